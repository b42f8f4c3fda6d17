package io.github.redisentra.gateway.upstream;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.TokenRefresher;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The identity the gateway presents upstream: what to send in {@code AUTH <user> <secret>} and when it changes. The
 * one type for an upstream credential: its secret is always an {@link AccessToken} (a static password is a token
 * that never expires), implemented by {@code identity.UpstreamIdentity} (the gateway's own identity and each one a
 * role names) and by the {@link #password} and {@link #tokens} factories (tests, embedding). Sessions never decide
 * <em>which</em> identity they use; they ask this object (so per-role identities or other upstream kinds can be
 * added without touching session logic).
 */
public interface UpstreamCredentials {

    /** The user name to send with {@code token} (for Entra: the identity's object id). */
    String username(AccessToken token);

    /** The current credential, or empty while none has been obtained yet. */
    Optional<AccessToken> current();

    /**
     * Registers a listener for renewed credentials (called on any thread; it must not block). Every live
     * upstream connection re-AUTHs with the renewed one.
     *
     * @return closes the subscription
     */
    AutoCloseable subscribe(Consumer<AccessToken> onRenewed);

    /**
     * Until when an upstream connection stays authenticated after the cache acknowledged {@code AUTH} with
     * {@code token} at {@code acknowledgedAt}, without another {@code AUTH}. A session whose connection has not
     * re-authenticated shortly before then is closed with an error rather than cut by the cache mid-command. Default:
     * the token's expiry (Azure Cache for Redis closes a connection when its token expires).
     */
    default Instant authenticatedUntil(AccessToken token, Instant acknowledgedAt) {
        return token.expiresAt();
    }

    /**
     * The same credentials for a cache that keeps a connection for {@code limit} after each acknowledged
     * {@code AUTH}, whatever the token's expiry (ElastiCache / MemoryDB IAM: 12 hours).
     */
    default UpstreamCredentials withConnectionLimit(Duration limit) {
        Objects.requireNonNull(limit, "limit");
        if (limit.isNegative() || limit.isZero()) {
            throw new IllegalArgumentException("limit must be positive, got " + limit);
        }
        UpstreamCredentials delegate = this;
        return new UpstreamCredentials() {
            @Override
            public String username(AccessToken token) {
                return delegate.username(token);
            }

            @Override
            public Optional<AccessToken> current() {
                return delegate.current();
            }

            @Override
            public AutoCloseable subscribe(Consumer<AccessToken> onRenewed) {
                return delegate.subscribe(onRenewed);
            }

            @Override
            public Instant authenticatedUntil(AccessToken token, Instant acknowledgedAt) {
                return acknowledgedAt.plus(limit);
            }

            @Override
            public String toString() {
                return delegate + ", connections kept " + limit + " after each AUTH";
            }
        };
    }

    /** A fixed user name and password for a self-hosted Redis; never renewed. */
    static UpstreamCredentials password(String username, String password) {
        Objects.requireNonNull(password, "password");
        AccessToken token = AccessToken.opaque(password, null, Instant.MAX);
        return new UpstreamCredentials() {
            @Override
            public String username(AccessToken t) {
                return username == null || username.isEmpty() ? "default" : username;
            }

            @Override
            public Optional<AccessToken> current() {
                return Optional.of(token);
            }

            @Override
            public AutoCloseable subscribe(Consumer<AccessToken> onRenewed) {
                return () -> {};
            }

            @Override
            public String toString() {
                return "password credentials for user " + username(token);
            }
        };
    }

    /**
     * Renewable tokens, e.g. from core's {@code TokenRefresher}:
     * {@code tokens(objectIdOrNull, refresher::current, l -> refresher.subscribe(TokenListener-adapter))}.
     *
     * @param fixedUsername the configured user name ({@code REDIS_AAD_OBJECT_ID}), or {@code null} to use each
     *     token's {@code oid}
     */
    static UpstreamCredentials tokens(
            String fixedUsername,
            Supplier<Optional<AccessToken>> current,
            Function<Consumer<AccessToken>, AutoCloseable> subscribe) {
        Objects.requireNonNull(current, "current");
        Objects.requireNonNull(subscribe, "subscribe");
        return new UpstreamCredentials() {
            @Override
            public String username(AccessToken token) {
                if (fixedUsername != null && !fixedUsername.isBlank()) {
                    return fixedUsername;
                }
                return token.objectId()
                        .orElseThrow(() -> new IllegalStateException("the upstream token " + token
                                + " has no oid claim; configure the upstream user name (REDIS_AAD_OBJECT_ID)"));
            }

            @Override
            public Optional<AccessToken> current() {
                return current.get();
            }

            @Override
            public AutoCloseable subscribe(Consumer<AccessToken> onRenewed) {
                return subscribe.apply(onRenewed);
            }

            @Override
            public String toString() {
                return "token credentials" + (fixedUsername == null ? " (user = token oid)" : " for " + fixedUsername);
            }
        };
    }

    /**
     * Tokens kept fresh by core's {@link TokenRefresher} (the process's one upstream token).
     *
     * @param fixedUsername the configured user name, or {@code null} to use each token's {@code oid}
     */
    static UpstreamCredentials fromRefresher(String fixedUsername, TokenRefresher refresher) {
        Objects.requireNonNull(refresher, "refresher");
        return tokens(fixedUsername, refresher::current, listener -> refresher.subscribe(listener::accept));
    }
}
