package io.github.redisentra.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.redisentra.emulator.EntraEmulator;
import io.github.redisentra.emulator.ManagedIdentity;
import io.github.redisentra.emulator.Tenant;
import io.github.redisentra.emulator.TokenRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The stand-in fed by the real emulator: tokens it issues for the managed identity are the passwords. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StandInEmulatorIT {

    private static EntraEmulator emulator;
    private static RedisServer redis;
    private static Tenant tenant;

    @BeforeAll
    static void start() {
        emulator = EntraEmulator.builder().build().start();
        tenant = emulator.createTenant("contoso");
        redis = RedisServer.builder()
                .tlsOnly()
                .disableDefaultUser()
                .name("azure-cache")
                .start();
    }

    @AfterAll
    static void stop() {
        if (redis != null) {
            redis.close();
        }
        if (emulator != null) {
            emulator.close();
        }
    }

    @Test
    void freshManagedIdentityTokenIsAcceptedAndRefusedOnceExpired() {
        ManagedIdentity mi = tenant.addManagedIdentity("gateway-mi-" + System.nanoTime());
        try (AzureCacheStandIn cache = AzureCacheStandIn.builder(redis)
                        .objectId(mi.objectId())
                        .build()
                        .watch(emulator);
                RedisCli client = redis.connectTls()) {
            String token = emulator.mintAccessToken(
                    TokenRequest.forManagedIdentity(tenant, mi, AzureCacheStandIn.REDIS_AUDIENCE)
                            .lifetime(Duration.ofSeconds(4)));

            assertThat(client.call("AUTH", mi.objectId(), token)).isEqualTo("OK");
            assertThat(client.call("ACL", "WHOAMI")).isEqualTo(mi.objectId());

            await().atMost(Duration.ofSeconds(30)).until(() -> cache.validTokenCount() == 0);
            try (RedisCli late = redis.connectTls()) {
                assertThatThrownBy(() -> late.call("AUTH", mi.objectId(), token))
                        .isInstanceOfSatisfying(
                                RedisErrorReply.class,
                                e -> assertThat(e.getMessage())
                                        .isEqualTo("WRONGPASS invalid username-password pair or user is disabled."));
            }
        }
    }

    @Test
    void tokensForOtherAudiencesOrIdentitiesAreRefused() {
        ManagedIdentity mi = tenant.addManagedIdentity("gateway-mi-" + System.nanoTime());
        ManagedIdentity other = tenant.addManagedIdentity("other-mi-" + System.nanoTime());
        try (AzureCacheStandIn cache = AzureCacheStandIn.builder(redis)
                        .objectId(mi.objectId())
                        .build()
                        .watch(emulator);
                RedisCli client = redis.connectTls()) {
            String graphToken = emulator.mintAccessToken(
                    TokenRequest.forManagedIdentity(tenant, mi, "https://graph.microsoft.com"));
            String otherToken = emulator.mintAccessToken(
                    TokenRequest.forManagedIdentity(tenant, other, AzureCacheStandIn.REDIS_AUDIENCE));

            assertThat(cache.validTokenCount()).isZero();
            assertThatThrownBy(() -> client.call("AUTH", mi.objectId(), graphToken))
                    .hasMessageStartingWith("WRONGPASS");
            assertThatThrownBy(() -> client.call("AUTH", mi.objectId(), otherToken))
                    .hasMessageStartingWith("WRONGPASS");
            assertThatThrownBy(() -> client.call("AUTH", other.objectId(), otherToken))
                    .hasMessageStartingWith("WRONGPASS");
        }
    }

    @Test
    void tokenFromTheAppServiceManagedIdentityEndpointIsAccepted() throws Exception {
        ManagedIdentity mi = tenant.addManagedIdentity("gateway-mi-" + System.nanoTime());
        try (AzureCacheStandIn cache = AzureCacheStandIn.builder(redis)
                        .objectId(mi.objectId())
                        .build()
                        .watch(emulator);
                RedisCli client = redis.connectTls()) {
            URI uri = URI.create(emulator.appServiceIdentityEndpoint() + "?api-version=2019-08-01&resource="
                    + AzureCacheStandIn.REDIS_AUDIENCE + "&client_id=" + mi.clientId());
            HttpResponse<String> response = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(uri)
                                    .header("X-IDENTITY-HEADER", emulator.appServiceIdentityHeader())
                                    .build(),
                            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            assertThat(response.statusCode())
                    .as("managed identity endpoint status")
                    .isEqualTo(200);
            Matcher accessToken =
                    Pattern.compile("\"access_token\"\\s*:\\s*\"([^\"]+)\"").matcher(response.body());
            assertThat(accessToken.find()).as("response has an access_token").isTrue();

            assertThat(cache.validTokenCount()).isEqualTo(1);
            assertThat(client.call("AUTH", mi.objectId(), accessToken.group(1))).isEqualTo("OK");
        }
    }

    @Test
    void closedStandInStopsListening() {
        ManagedIdentity mi = tenant.addManagedIdentity("gateway-mi-" + System.nanoTime());
        AzureCacheStandIn cache =
                AzureCacheStandIn.builder(redis).objectId(mi.objectId()).build().watch(emulator);
        cache.close();
        String token =
                emulator.mintAccessToken(TokenRequest.forManagedIdentity(tenant, mi, AzureCacheStandIn.REDIS_AUDIENCE));
        assertThat(cache.validTokenCount()).isZero();
        try (RedisCli client = redis.connectTls()) {
            assertThatThrownBy(() -> client.call("AUTH", mi.objectId(), token)).hasMessageStartingWith("WRONGPASS");
        }
    }
}
