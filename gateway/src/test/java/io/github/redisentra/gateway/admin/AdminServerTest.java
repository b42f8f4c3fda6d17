package io.github.redisentra.gateway.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.gateway.auth.AuthDecision;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class AdminServerTest {
    final Instant now = Instant.parse("2026-11-23T12:00:00Z");
    final GatewayMetrics metrics = new GatewayMetrics(Clock.fixed(now, ZoneOffset.UTC));
    final AtomicReference<Optional<String>> upstream = new AtomicReference<>(Optional.empty());
    final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    AdminServer admin;

    AdminServer start() throws Exception {
        admin = AdminServer.start(
                new InetSocketAddress("127.0.0.1", 0),
                metrics,
                List.of(
                        ReadinessCheck.of("signing keys", Optional::empty),
                        ReadinessCheck.of("upstream", upstream::get)));
        return admin;
    }

    @AfterEach
    void stop() {
        if (admin != null) {
            admin.close();
        }
    }

    HttpResponse<String> get(String path) throws Exception {
        URI uri = URI.create("http://127.0.0.1:" + admin.address().getPort() + path);
        return http.send(
                HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void healthzAnswersWhileTheProcessRuns() throws Exception {
        start();
        HttpResponse<String> r = get("/healthz");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("ok\n");
        assertThat(get("/nothing").statusCode()).isEqualTo(404);
    }

    @Test
    void readyzListsEveryCheckAndFailsWhenOneFails() throws Exception {
        start();
        HttpResponse<String> ok = get("/readyz");
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.body()).isEqualTo("ready\nsigning keys: ok\nupstream: ok\n");

        upstream.set(Optional.of("connection refused to cache.example:6380"));
        HttpResponse<String> down = get("/readyz");
        assertThat(down.statusCode()).isEqualTo(503);
        assertThat(down.body())
                .isEqualTo("not ready\nsigning keys: ok\nupstream: connection refused to cache.example:6380\n");
    }

    @Test
    void readyzFailsOnceDraining() throws Exception {
        start();
        admin.markDraining();
        HttpResponse<String> r = get("/readyz");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).startsWith("not ready\ndraining: the gateway is shutting down\n");
        assertThat(get("/healthz").statusCode()).isEqualTo(200);
    }

    @Test
    void metricsExposeConnectionsAuthResultsUpstreamTokenAndBytes() throws Exception {
        start();
        metrics.clientConnected();
        metrics.clientConnected();
        metrics.clientDisconnected();
        metrics.authDecided(new AuthDecision.Denied("expired", "expired at ..."));
        metrics.authDecided(new AuthDecision.Denied("expired", "expired at ..."));
        metrics.authDecided(new AuthDecision.Denied("bad_signature", "x"));
        metrics.commandRefused("noauth");
        metrics.upstreamConnected();
        metrics.upstreamFailed("connect_refused");
        metrics.upstreamReauthenticated(true);
        metrics.upstreamReauthenticated(false);
        metrics.bytesFromClient(100);
        metrics.bytesToClient(250);
        metrics.upstreamTokenListener()
                .onToken(AccessToken.opaque("secret-token-value", now.minusSeconds(60), now.plusSeconds(3540)));
        metrics.upstreamTokenListener().onRefreshFailure(new RuntimeException("x"), 1, now);

        HttpResponse<String> r = get("/metrics");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).contains("text/plain; version=0.0.4; charset=utf-8");
        assertThat(r.body())
                .contains("redis_entra_gateway_client_connections_total 2\n")
                .contains("redis_entra_gateway_client_connections 1\n")
                .contains("redis_entra_gateway_auth_total{result=\"denied\",reason=\"expired\"} 2\n")
                .contains("redis_entra_gateway_auth_total{result=\"denied\",reason=\"bad_signature\"} 1\n")
                .contains("redis_entra_gateway_commands_refused_total{reason=\"noauth\"} 1\n")
                .contains("redis_entra_gateway_upstream_connections_total 1\n")
                .contains("redis_entra_gateway_upstream_failures_total{reason=\"connect_refused\"} 1\n")
                .contains("redis_entra_gateway_upstream_reauth_total{result=\"ok\"} 1\n")
                .contains("redis_entra_gateway_upstream_reauth_total{result=\"failed\"} 1\n")
                .contains("redis_entra_gateway_client_received_bytes_total 100\n")
                .contains("redis_entra_gateway_client_sent_bytes_total 250\n")
                .contains("redis_entra_gateway_upstream_token_refreshes_total 1\n")
                .contains("redis_entra_gateway_upstream_token_refresh_failures_total 1\n")
                .contains("redis_entra_gateway_upstream_token_age_seconds 60\n")
                .contains("redis_entra_gateway_upstream_token_expiry_seconds 3540\n")
                .contains("# TYPE redis_entra_gateway_auth_total counter\n")
                .doesNotContain("secret-token-value");
    }
}
