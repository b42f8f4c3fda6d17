package com.example.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.redisentra.emulator.EntraEmulator;
import io.github.redisentra.emulator.ManagedIdentity;
import io.github.redisentra.emulator.Tenant;
import io.github.redisentra.testkit.AzureCacheStandIn;
import io.github.redisentra.testkit.RedisServer;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The Spring Boot starter in a user's application that imports redis-entra-bom before Spring Boot's BOM (the README's
 * advice), run in a JVM of its own on the application's runtime class path only: the auto-configuration must be found
 * in the published jars, and the tested Lettuce and Netty must win over Boot's.
 */
class BootQuickStartIT {

    @Test
    void starterSignsBootsRedisTemplateInWithAManagedIdentity() throws Exception {
        try (EntraEmulator emu = EntraEmulator.builder().build().start();
                RedisServer redis = RedisServer.builder()
                        .tlsOnly()
                        .disableDefaultUser()
                        .name("consumer-boot")
                        .start()) {
            Tenant tenant = emu.createTenant("contoso");
            ManagedIdentity mi = tenant.addManagedIdentity("boot-app");
            tenant.setSystemAssignedIdentity(mi);
            try (AzureCacheStandIn cache = AzureCacheStandIn.builder(redis)
                    .objectId(mi.objectId())
                    .build()
                    .watch(emu)) {
                Path log = Path.of("target", "boot-process.log");
                ProcessBuilder pb = new ProcessBuilder(
                                Path.of(System.getProperty("java.home"), "bin", "java")
                                        .toString(),
                                "-XX:TieredStopAtLevel=1",
                                "-cp",
                                System.getProperty("consumer.classes") + File.pathSeparator + runtimeClassPath(),
                                BootQuickStart.class.getName(),
                                "--spring.main.banner-mode=off",
                                "--spring.data.redis.host=" + redis.host(),
                                "--spring.data.redis.port=" + redis.tlsPort(),
                                "--spring.data.redis.ssl.bundle=cache",
                                "--spring.ssl.bundle.pem.cache.truststore.certificate=file:" + redis.caFile(),
                                "--redis.entra.enabled=true",
                                "--redis.entra.credential=managed-identity")
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile());
                pb.environment().put("IDENTITY_ENDPOINT", emu.appServiceIdentityEndpoint().toString());
                pb.environment().put("IDENTITY_HEADER", emu.appServiceIdentityHeader());
                Process p = pb.start();
                boolean exited = p.waitFor(120, TimeUnit.SECONDS);
                if (!exited) {
                    p.destroyForcibly();
                }
                String output = Files.readString(log);
                assertTrue(exited, "the Boot application did not finish in 120 s:\n" + output);
                assertEquals(0, p.exitValue(), "the Boot application failed:\n" + output);
                assertTrue(output.contains("spring-boot: hello from Spring Boot"), output);
            }
        }
    }

    @Test
    void ourBomWinsOverBootsForTheTestedClientStack() throws Exception {
        List<String> wrong = new ArrayList<>();
        String cp = runtimeClassPath();
        for (String expected : System.getProperty("consumer.testedJars").split(",")) {
            if (!cp.contains(File.separator + expected + ".jar")) {
                wrong.add(expected);
            }
        }
        assertTrue(wrong.isEmpty(), "not on the class path in the tested version: " + wrong + "\n" + cp);
    }

    private static String runtimeClassPath() throws Exception {
        return Files.readString(Path.of(System.getProperty("consumer.runtimeClasspathFile")))
                .trim();
    }
}
