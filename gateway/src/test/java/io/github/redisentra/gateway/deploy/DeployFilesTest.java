package io.github.redisentra.gateway.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.gateway.config.Setting;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The container and Kubernetes files under {@code deploy/} may only set variables the gateway knows (a typo there
 * would silently fall back to a default), and the Dockerfile must wrap the jar this module builds.
 */
class DeployFilesTest {
    private static final Path DEPLOY = Path.of("..", "deploy");
    /** Variables read by the JVM, not by the gateway. */
    private static final Set<String> JVM_VARIABLES = Set.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS");

    private static Set<String> known() {
        return Setting.all().stream().map(Setting::key).collect(Collectors.toSet());
    }

    @Test
    void kubernetesManifestsSetOnlyVariablesTheGatewayKnows() throws IOException {
        List<String> gatewayVariables = new ArrayList<>();
        try (Stream<Path> files = Files.list(DEPLOY.resolve("kubernetes"))) {
            for (Path file :
                    files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                try (Reader reader = Files.newBufferedReader(file)) {
                    for (Object doc : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(reader)) {
                        collectGatewayEnv(doc, file, gatewayVariables);
                    }
                }
            }
        }
        assertThat(gatewayVariables).as("variables set on gateway containers").isNotEmpty();
        Set<String> unknown = new TreeSet<>();
        for (String v : gatewayVariables) {
            String name = v.substring(v.indexOf(": ") + 2);
            if (!known().contains(name)) {
                unknown.add(v);
            }
        }
        assertThat(unknown).as("variables the gateway does not read").isEmpty();
        assertThat(gatewayVariables).anyMatch(v -> v.endsWith(": TENANT_ID"));
    }

    @Test
    void dockerfileSetsOnlyKnownVariablesAndRunsTheShadedJar() throws IOException {
        String dockerfile = Files.readString(DEPLOY.resolve("Dockerfile"));
        Matcher env = Pattern.compile("(?m)^ENV\\s+((?:.*\\\\\\n)*.*)$").matcher(dockerfile);
        Set<String> names = new TreeSet<>();
        while (env.find()) {
            Matcher pair = Pattern.compile("([A-Z_][A-Z0-9_]*)=").matcher(env.group(1));
            while (pair.find()) {
                names.add(pair.group(1));
            }
        }
        assertThat(names).contains("LISTEN_ADDR");
        names.removeAll(JVM_VARIABLES);
        assertThat(known()).containsAll(names);
        // The image copies the jar `mvn package` writes here (maven-shade-plugin outputFile).
        assertThat(dockerfile).contains("gateway/target/redis-entra-gateway.jar");
        String pom = Files.readString(Path.of("pom.xml"));
        assertThat(pom).contains("redis-entra-gateway.jar");
        assertThat(dockerfile).contains("USER 10001").contains("HEALTHCHECK").contains("ENTRYPOINT [\"java\"");
        // The dependency layer copies every module's pom first (a missing one makes Maven fail to read the
        // reactor, and `|| true` would hide it: no cached dependencies).
        String parent = Files.readString(Path.of("..", "pom.xml"));
        Matcher module = Pattern.compile("<module>([^<]+)</module>").matcher(parent);
        while (module.find()) {
            String m = module.group(1);
            if (Files.exists(Path.of("..", m, "pom.xml")) && !m.startsWith("bench")) {
                assertThat(dockerfile)
                        .as("Dockerfile copies %s/pom.xml", m)
                        .contains("COPY " + m + "/pom.xml " + m + "/");
            }
        }
    }

    @Test
    void readOnlyGatewayContainersGiveNettyAWritableNativeWorkDirectory() throws IOException {
        // The Dockerfile names the directory Netty unpacks its natives into; every gateway container with a
        // read-only root file system must mount a writable emptyDir exactly there, or Netty silently falls back
        // to NIO and the JDK's TLS engine (NativeSupportTest shows that fallback).
        Matcher workdir = Pattern.compile("-Dio\\.netty\\.native\\.workdir=(\\S+?)[\"\\s]")
                .matcher(Files.readString(DEPLOY.resolve("Dockerfile")));
        assertThat(workdir.find())
                .as("the Dockerfile sets io.netty.native.workdir")
                .isTrue();
        String dir = workdir.group(1);
        List<String> checked = new ArrayList<>();
        for (Path file : kubernetesFiles()) {
            for (Map<String, Object> pod : podSpecs(file)) {
                List<Map<String, Object>> volumes = listOfMaps(pod.get("volumes"));
                for (Map<String, Object> c : listOfMaps(pod.get("containers"))) {
                    if (!String.valueOf(c.get("image")).contains("redis-entra-gateway")) {
                        continue;
                    }
                    Object sc = c.get("securityContext");
                    if (!(sc instanceof Map<?, ?> m && Boolean.TRUE.equals(m.get("readOnlyRootFilesystem")))) {
                        continue;
                    }
                    String where = file.getFileName() + " container " + c.get("name");
                    String volume = listOfMaps(c.get("volumeMounts")).stream()
                            .filter(v -> dir.equals(v.get("mountPath")) && !Boolean.TRUE.equals(v.get("readOnly")))
                            .map(v -> String.valueOf(v.get("name")))
                            .findFirst()
                            .orElseThrow(() -> new AssertionError(where + " mounts no writable volume at " + dir));
                    assertThat(volumes)
                            .as("%s: volume %s is an emptyDir", where, volume)
                            .anyMatch(v -> volume.equals(v.get("name")) && v.containsKey("emptyDir"));
                    checked.add(where);
                }
            }
        }
        assertThat(checked).as("read-only gateway containers").hasSize(3);
    }

    @Test
    void nativeLibrariesShipForLinuxOnX86AndArm() {
        // What README promises: epoll and OpenSSL (BoringSSL) on linux x86-64 and aarch64 (AKS/EKS ARM nodes).
        for (String lib : List.of(
                "libnetty_transport_native_epoll_x86_64.so",
                "libnetty_transport_native_epoll_aarch_64.so",
                "libnetty_tcnative_linux_x86_64.so",
                "libnetty_tcnative_linux_aarch_64.so")) {
            assertThat(DeployFilesTest.class.getClassLoader().getResource("META-INF/native/" + lib))
                    .as(lib + " on the gateway's runtime classpath")
                    .isNotNull();
        }
    }

    private static List<Path> kubernetesFiles() throws IOException {
        try (Stream<Path> files = Files.list(DEPLOY.resolve("kubernetes"))) {
            return files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
        }
    }

    /** The pod specs (Deployment templates) of a manifest file. */
    private static List<Map<String, Object>> podSpecs(Path file) throws IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        try (Reader reader = Files.newBufferedReader(file)) {
            for (Object doc : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(reader)) {
                if (doc instanceof Map<?, ?> d
                        && d.get("spec") instanceof Map<?, ?> spec
                        && spec.get("template") instanceof Map<?, ?> t
                        && t.get("spec") instanceof Map<?, ?> pod) {
                    out.add(cast(pod));
                }
            }
        }
        return out;
    }

    private static List<Map<String, Object>> listOfMaps(Object o) {
        if (!(o instanceof List<?> l)) {
            return List.of();
        }
        return l.stream()
                .filter(Map.class::isInstance)
                .map(DeployFilesTest::cast)
                .toList();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Object o) {
        return (Map<String, Object>) o;
    }

    /** Every env entry of a container whose image is the gateway's, as "file: NAME". */
    @SuppressWarnings("unchecked")
    private static void collectGatewayEnv(Object node, Path file, List<String> out) {
        if (node instanceof Map<?, ?> map) {
            Object image = map.get("image");
            if (image instanceof String s
                    && s.contains("redis-entra-gateway")
                    && map.get("env") instanceof List<?> env) {
                for (Object e : env) {
                    out.add(file.getFileName() + ": " + ((Map<String, Object>) e).get("name"));
                }
            }
            map.values().forEach(v -> collectGatewayEnv(v, file, out));
        } else if (node instanceof List<?> list) {
            list.forEach(v -> collectGatewayEnv(v, file, out));
        }
    }
}
