package io.github.redisentra.gateway.identity;

import io.github.redisentra.aws.AwsIamTokenSource;
import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.RefreshPolicy;
import io.github.redisentra.core.RefreshStatus;
import io.github.redisentra.core.TokenListener;
import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.core.TokenSource;
import io.github.redisentra.gateway.config.AwsIamUpstream;
import io.github.redisentra.gateway.config.GatewayConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The gateway's own upstream credential: one token for the whole process, kept fresh by the core
 * {@link TokenRefresher} (renewed at least 3 minutes before {@code exp}, with jitter and backoff), or a static
 * password for a self-hosted Redis. Upstream connections read {@link #current()} when they connect and
 * {@link #subscribe(Consumer) subscribe} to re-AUTH when a new token arrives.
 *
 * <p>User name: {@code REDIS_AAD_OBJECT_ID} when set, otherwise the {@code oid} of the token (the identity's object
 * id, which Azure caches expect), or {@code REDIS_USERNAME} with a password, or {@code AWS_IAM_USER_ID} with
 * {@code UPSTREAM_AUTH=aws-iam} (tokens from {@link AwsIamTokenSource}, renewed with its recommended policy: every
 * 7.5 minutes, each renewal re-AUTHing every upstream connection, which also keeps them inside the services'
 * 12-hour connection limit).
 */
public final class UpstreamIdentity implements AutoCloseable {

    /** A user name and secret to send as {@code AUTH <username> <password>}. {@link #toString()} redacts. */
    public record Credentials(String username, String password, Instant expiresAt, String fingerprint) {
        @Override
        public String toString() {
            return "Credentials[username=" + username + ", password=<redacted sha256=" + fingerprint + ">, expiresAt="
                    + expiresAt + "]";
        }
    }

    private final TokenSource source;
    private final TokenRefresher refresher;
    private final Credentials staticCredentials;
    private final String configuredUser;
    private final Duration connectionLimit;

    private UpstreamIdentity(
            TokenSource source,
            TokenRefresher refresher,
            Credentials staticCredentials,
            String configuredUser,
            Duration connectionLimit) {
        this.source = source;
        this.refresher = refresher;
        this.staticCredentials = staticCredentials;
        this.configuredUser = configuredUser;
        this.connectionLimit = connectionLimit;
    }

    /** The credential the configuration selects. Starts the token refresher (its first request runs at once). */
    public static UpstreamIdentity fromConfig(GatewayConfig config) {
        if (config.redisPassword().isPresent()) {
            String pw = config.redisPassword().get();
            return new UpstreamIdentity(
                    null,
                    null,
                    new Credentials(config.redisUsername(), pw, null, AccessToken.fingerprintOf(pw)),
                    null,
                    null);
        }
        if (config.awsIam().isPresent()) {
            AwsIamUpstream aws = config.awsIam().get();
            return awsIam(aws.tokenSourceBuilder().build(), AwsIamTokenSource.recommendedRefreshPolicy(), aws.userId());
        }
        TokenSource source = UpstreamTokenSources.create(config, config.redisTokenScope());
        return of(source, RefreshPolicy.defaults(), config.redisObjectId().orElse(null));
    }

    /** Credentials from any token source (tests, or embedding); closing them closes the source. */
    public static UpstreamIdentity of(TokenSource source, RefreshPolicy policy, String username) {
        return of(source, policy, username, null);
    }

    /**
     * ElastiCache / MemoryDB IAM credentials: {@code source} signs the tokens (normally an {@link AwsIamTokenSource};
     * tests wrap it), {@code userId} is the user name, and upstream connections are kept
     * {@link AwsIamTokenSource#CONNECTION_LIMIT 12 hours} after each acknowledged AUTH rather than until the token's
     * expiry (the services do not close a connection when its token expires, only 12 hours after its last AUTH).
     */
    public static UpstreamIdentity awsIam(TokenSource source, RefreshPolicy policy, String userId) {
        return of(source, policy, userId, AwsIamTokenSource.CONNECTION_LIMIT);
    }

    private static UpstreamIdentity of(
            TokenSource source, RefreshPolicy policy, String username, Duration connectionLimit) {
        TokenRefresher r =
                TokenRefresher.builder(source).policy(policy).name("upstream").build();
        return new UpstreamIdentity(source, r, null, username, connectionLimit);
    }

    /** Completes with the first credentials; fails with the source's error message when none can be had. */
    public CompletableFuture<Credentials> first() {
        if (refresher == null) {
            return CompletableFuture.completedFuture(staticCredentials);
        }
        return refresher.firstToken().thenApply(this::toCredentials);
    }

    /** The current credentials, or empty before the first token. */
    public Optional<Credentials> current() {
        if (refresher == null) {
            return Optional.of(staticCredentials);
        }
        return refresher.current().map(this::toCredentials);
    }

    /**
     * Calls {@code onRenewed} with every new token's credentials, on the refresher's thread (hand the work to an
     * event loop; do not block). Nothing is ever delivered for a static password.
     */
    public AutoCloseable subscribe(Consumer<Credentials> onRenewed) {
        if (refresher == null) {
            return () -> {};
        }
        return refresher.subscribe(token -> onRenewed.accept(toCredentials(token)));
    }

    /** Subscribes a raw listener (e.g. metrics); nothing for a static password. */
    public AutoCloseable subscribe(TokenListener listener) {
        return refresher == null ? () -> {} : refresher.subscribe(listener);
    }

    /** Whether the credential expires (a token), as opposed to a static password. */
    public boolean expires() {
        return refresher != null;
    }

    /** The refresher's state, or empty for a static password. */
    public Optional<RefreshStatus> status() {
        return refresher == null ? Optional.empty() : Optional.of(refresher.status());
    }

    public String describe() {
        return refresher == null ? "static password for user " + staticCredentials.username() : source.describe();
    }

    /** The same identity in the form the session layer's upstream connections consume. */
    public io.github.redisentra.gateway.upstream.UpstreamCredentials asUpstreamCredentials() {
        if (refresher == null) {
            return io.github.redisentra.gateway.upstream.UpstreamCredentials.password(
                    staticCredentials.username(), staticCredentials.password());
        }
        io.github.redisentra.gateway.upstream.UpstreamCredentials tokens =
                io.github.redisentra.gateway.upstream.UpstreamCredentials.fromRefresher(configuredUser, refresher);
        return connectionLimit == null ? tokens : tokens.withConnectionLimit(connectionLimit);
    }

    private Credentials toCredentials(AccessToken t) {
        String user = configuredUser != null ? configuredUser : t.objectId().orElse(null);
        if (user == null) {
            throw new IllegalStateException("the upstream token " + t + " has no oid claim: set REDIS_AAD_OBJECT_ID to"
                    + " the object id of the gateway's identity");
        }
        return new Credentials(user, t.secret(), t.expiresAt(), t.fingerprint());
    }

    @Override
    public void close() {
        if (refresher != null) {
            refresher.close();
            source.close();
        }
    }
}
