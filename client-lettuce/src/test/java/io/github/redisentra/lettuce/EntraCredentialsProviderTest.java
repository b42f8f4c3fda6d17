package io.github.redisentra.lettuce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.RefreshPolicy;
import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.core.TokenSource;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisCredentials;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.protocol.ProtocolVersion;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.Disposable;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EntraCredentialsProviderTest {

    static TokenRefresher refresher(TokenSource source) {
        return TokenRefresher.builder(source)
                .policy(RefreshPolicy.builder()
                        .minimumDelay(Duration.ofSeconds(1))
                        .build())
                .build();
    }

    @Test
    void credentialsUseTheTokensOidAsUserUnlessOneIsConfigured() {
        IssuingTokenSource source = new IssuingTokenSource(Duration.ofMinutes(5));
        try (TokenRefresher refresher = refresher(source);
                EntraCredentialsProvider byOid = EntraCredentialsProvider.create(refresher);
                EntraCredentialsProvider named = EntraCredentialsProvider.builder(refresher)
                        .username("app")
                        .build()) {
            AccessToken token = refresher.firstToken().join();
            RedisCredentials oid = byOid.resolveCredentials().block(Duration.ofSeconds(10));
            RedisCredentials app = named.resolveCredentials().block(Duration.ofSeconds(10));

            assertThat(oid.getUsername()).isEqualTo(source.objectId);
            assertThat(new String(oid.getPassword())).isEqualTo(token.secret());
            assertThat(app.getUsername()).isEqualTo("app");
            assertThat(byOid.currentUsername()).contains(source.objectId);
        }
    }

    @Test
    void credentialsStreamReplaysTheLatestEmitsEachRenewalAndCompletesOnClose() {
        IssuingTokenSource source = new IssuingTokenSource(Duration.ofSeconds(3));
        try (TokenRefresher refresher = refresher(source)) {
            EntraCredentialsProvider provider = EntraCredentialsProvider.create(refresher);
            AccessToken first = refresher.firstToken().join();
            List<String> seen = new CopyOnWriteArrayList<>();
            AtomicBoolean completed = new AtomicBoolean();
            Disposable subscription = provider.credentials()
                    .subscribe(c -> seen.add(new String(c.getPassword())), e -> {}, () -> completed.set(true));

            assertThat(seen).containsExactly(first.secret());
            await().atMost(Duration.ofSeconds(20)).until(() -> seen.size() >= 3);
            assertThat(seen).doesNotHaveDuplicates();
            assertThat(provider.supportsStreaming()).isTrue();

            provider.close();
            assertThat(completed).isTrue();
            assertThat(refresher.current())
                    .as("a caller's refresher stays open")
                    .isPresent();
            subscription.dispose();
        }
    }

    @Test
    void resolveCredentialsWaitsForTheFirstTokenWithoutBlockingTheCaller() throws Exception {
        IssuingTokenSource tokens = new IssuingTokenSource(Duration.ofMinutes(5));
        CountDownLatch endpointAnswers = new CountDownLatch(1);
        TokenSource slow = new TokenSource() {
            @Override
            public AccessToken getToken(boolean forceRefresh) throws Exception {
                endpointAnswers.await();
                return tokens.getToken(forceRefresh);
            }

            @Override
            public String describe() {
                return "slow test endpoint";
            }
        };
        try (TokenRefresher refresher = refresher(slow);
                EntraCredentialsProvider provider = EntraCredentialsProvider.create(refresher)) {
            CompletableFuture<RedisCredentials> resolved =
                    provider.resolveCredentials().toFuture();
            assertThat(resolved).isNotDone();

            endpointAnswers.countDown();
            RedisCredentials credentials = resolved.get(10, TimeUnit.SECONDS);
            assertThat(credentials.getUsername()).isEqualTo(tokens.objectId);
        }
    }

    @Test
    void resolveCredentialsFailsWithAClearMessageWhenNoTokenComesInTime() {
        TokenSource failing = new TokenSource() {
            @Override
            public AccessToken getToken(boolean forceRefresh) throws Exception {
                throw new IllegalStateException("sign-in required");
            }

            @Override
            public String describe() {
                return "failing test endpoint";
            }
        };
        try (TokenRefresher refresher = refresher(failing);
                EntraCredentialsProvider provider = EntraCredentialsProvider.builder(refresher)
                        .tokenWait(Duration.ofMillis(300))
                        .build()) {
            Throwable error = provider.resolveCredentials()
                    .map(c -> (Throwable) null)
                    .onErrorResume(e -> reactor.core.publisher.Mono.just(e))
                    .block(Duration.ofSeconds(10));
            assertThat(error)
                    .hasMessageContaining("No valid Entra ID token")
                    .hasMessageContaining("refresher status: ");
        }
    }

    @Test
    void toStringNeverShowsTheToken() {
        IssuingTokenSource source = new IssuingTokenSource(Duration.ofMinutes(5));
        try (TokenRefresher refresher = refresher(source);
                EntraCredentialsProvider provider = EntraCredentialsProvider.create(refresher)) {
            AccessToken token = refresher.firstToken().join();
            RedisCredentials credentials = provider.resolveCredentials().block(Duration.ofSeconds(10));
            assertThat(provider.toString()).doesNotContain(token.secret()).contains(token.fingerprint());
            assertThat(credentials.toString()).doesNotContain(token.secret());
        }
    }

    @Test
    void clientOptionsTurnOnReauthenticationAndResp3AndKeepTheCallersOtherOptions() {
        ClientOptions mine = ClientOptions.builder()
                .autoReconnect(false)
                .protocolVersion(ProtocolVersion.RESP2)
                .build();
        ClientOptions options = EntraLettuce.clientOptions(mine);
        assertThat(options.isAutoReconnect()).isFalse();
        assertThat(options.getConfiguredProtocolVersion()).isEqualTo(ProtocolVersion.RESP3);
        assertThat(options.getReauthenticateBehaviour())
                .isEqualTo(ClientOptions.ReauthenticateBehavior.ON_NEW_CREDENTIALS);

        ClusterClientOptions cluster = ClusterClientOptions.builder()
                .maxRedirects(7)
                .autoReconnect(false)
                .build();
        ClientOptions clusterOptions = EntraLettuce.clientOptions(cluster);
        assertThat(clusterOptions).isInstanceOf(ClusterClientOptions.class);
        assertThat(((ClusterClientOptions) clusterOptions).getMaxRedirects()).isEqualTo(7);
        assertThat(clusterOptions.isAutoReconnect()).isFalse();
        assertThat(clusterOptions.getReauthenticateBehaviour())
                .isEqualTo(ClientOptions.ReauthenticateBehavior.ON_NEW_CREDENTIALS);
        assertThat(clusterOptions.getConfiguredProtocolVersion()).isEqualTo(ProtocolVersion.RESP3);
    }
}
