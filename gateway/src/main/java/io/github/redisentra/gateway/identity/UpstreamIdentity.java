package io.github.redisentra.gateway.identity;

import io.github.redisentra.aws.AwsIamTokenSource;
import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.RefreshPolicy;
import io.github.redisentra.core.RefreshStatus;
import io.github.redisentra.core.TokenListener;
import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.core.TokenSource;
import io.github.redisentra.gateway.config.AwsIamUpstream;
import io.github.redisentra.gateway.config.UpstreamIdentitySettings;
import io.github.redisentra.gateway.upstream.UpstreamCredentials;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * An upstream identity as {@link UpstreamCredentials} (the gateway's own, or one a role names): one token for the
 * identity, kept fresh by the core {@link TokenRefresher} (renewed at least 3 minutes before {@code exp}, with jitter
 * and backoff), or a static password for a self-hosted Redis. Upstream connections read {@link #current()} when they
 * connect and {@link #subscribe(Consumer) subscribe} to re-AUTH when a new token arrives.
 *
 * <p>User name: {@code REDIS_AAD_OBJECT_ID} when set, otherwise the {@code oid} of the token (the identity's object
 * id, which Azure caches expect), or {@code REDIS_USERNAME} with a password, or {@code AWS_IAM_USER_ID} with
 * {@code UPSTREAM_AUTH=aws-iam} (tokens from {@link AwsIamTokenSource}, renewed with its recommended policy: every
 * 7.5 minutes, each renewal re-AUTHing every upstream connection, which also keeps them inside the services'
 * 12-hour connection limit).
 */
public final class UpstreamIdentity implements UpstreamCredentials, AutoCloseable {

    private final TokenSource source;
    private final TokenRefresher refresher;
    /** The static password as a token that never expires (the form every upstream credential takes), or null. */
    private final AccessToken password;

    private final String passwordUser;
    private final String configuredUser;
    private final Duration connectionLimit;

    private UpstreamIdentity(
            TokenSource source,
            TokenRefresher refresher,
            AccessToken password,
            String passwordUser,
            String configuredUser,
            Duration connectionLimit) {
        this.source = source;
        this.refresher = refresher;
        this.password = password;
        this.passwordUser = passwordUser;
        this.configuredUser = configuredUser;
        this.connectionLimit = connectionLimit;
    }

    /** The credential the configuration selects. Starts the token refresher (its first request runs at once). */
    public static UpstreamIdentity fromSettings(UpstreamIdentitySettings config) {
        if (config.redisPassword().isPresent()) {
            String pw = config.redisPassword().get();
            return new UpstreamIdentity(
                    null, null, AccessToken.opaque(pw, null, Instant.MAX), config.redisUsername(), null, null);
        }
        if (config.awsIam().isPresent()) {
            AwsIamUpstream aws = config.awsIam().get();
            return awsIam(aws.tokenSourceBuilder().build(), AwsIamTokenSource.recommendedRefreshPolicy(), aws.userId());
        }
        TokenSource source = UpstreamTokenSources.create(config, config.tokenScope());
        return of(source, RefreshPolicy.defaults(), config.objectId().orElse(null));
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
        return new UpstreamIdentity(source, r, null, null, username, connectionLimit);
    }

    /**
     * Completes with the first token (a static password at once), checked to have a user name; fails with the
     * source's error message when none can be had.
     */
    public CompletableFuture<AccessToken> first() {
        if (refresher == null) {
            return CompletableFuture.completedFuture(password);
        }
        return refresher.firstToken().thenApply(t -> {
            username(t); // a token without oid and no configured user name fails here, not at the first AUTH
            return t;
        });
    }

    @Override
    public Optional<AccessToken> current() {
        return refresher == null ? Optional.of(password) : refresher.current();
    }

    /**
     * {@code REDIS_USERNAME} (or {@code default}) with a password; otherwise the configured user name, or the
     * token's {@code oid}.
     *
     * @throws IllegalStateException when the token has no {@code oid} and no user name is configured
     */
    @Override
    public String username(AccessToken token) {
        if (refresher == null) {
            return passwordUser == null || passwordUser.isEmpty() ? "default" : passwordUser;
        }
        if (configuredUser != null && !configuredUser.isBlank()) {
            return configuredUser;
        }
        return token.objectId()
                .orElseThrow(() -> new IllegalStateException("the upstream token " + token + " has no oid claim: set"
                        + " REDIS_AAD_OBJECT_ID to the object id of the gateway's identity"));
    }

    /**
     * The token's expiry, or for AWS IAM {@link AwsIamTokenSource#CONNECTION_LIMIT 12 hours} after each acknowledged
     * AUTH; never for a password.
     */
    @Override
    public Instant authenticatedUntil(AccessToken token, Instant acknowledgedAt) {
        return connectionLimit == null ? token.expiresAt() : acknowledgedAt.plus(connectionLimit);
    }

    /**
     * Calls {@code onRenewed} with every new token, on the refresher's thread (hand the work to an event loop; do not
     * block). Nothing is ever delivered for a static password.
     */
    @Override
    public AutoCloseable subscribe(Consumer<AccessToken> onRenewed) {
        return refresher == null ? () -> {} : refresher.subscribe(onRenewed::accept);
    }

    /** Listens to the refresher's events, renewals and failures (e.g. metrics); nothing for a static password. */
    public AutoCloseable listen(TokenListener listener) {
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
        return refresher == null ? "static password for user " + username(password) : source.describe();
    }

    @Override
    public String toString() {
        return refresher == null
                ? "password credentials for user " + username(password)
                : "token credentials" + (configuredUser == null ? " (user = token oid)" : " for " + configuredUser)
                        + (connectionLimit == null ? "" : ", connections kept " + connectionLimit + " after each AUTH");
    }

    @Override
    public void close() {
        if (refresher != null) {
            refresher.close();
            source.close();
        }
    }
}
