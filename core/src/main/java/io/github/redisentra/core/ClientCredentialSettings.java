package io.github.redisentra.core;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Function;

/**
 * What every client integration's builder asks the same way (Lettuce's {@code EntraCredentialsProvider}, Jedis's
 * {@code EntraJedis}, Spring Boot's Redisson resolver): which Redis user name goes with a token, and how long a
 * connection attempt waits for a valid token when there is none. One place for the rules and the error messages;
 * the builders delegate their setters here.
 *
 * <p>User name: the one set with {@link #username(String)}, else the one {@link #usernameFrom(TokenSource) a source}
 * names, else the token's {@code oid} claim (what Azure Cache for Redis expects), else none ({@code AUTH <token>},
 * Redis's {@code default} user).
 *
 * <p>Mutable, for builders; not thread-safe. Take {@link #usernames()} and {@link #tokenWait()} when building.
 */
public final class ClientCredentialSettings {
    private String username;
    private Function<AccessToken, String> fromToken = token -> token.objectId().orElse(null);
    private Duration tokenWait;

    /** Settings with no fixed user name (the token's {@code oid}) and the given default token wait. */
    public ClientCredentialSettings(Duration defaultTokenWait) {
        this.tokenWait = checkTokenWait(defaultTokenWait);
    }

    /**
     * The Redis user name to send with every token; {@code null} goes back to the source's or the token's.
     *
     * @throws IllegalArgumentException when blank
     */
    public void username(String username) {
        if (username != null && username.isBlank()) {
            throw new IllegalArgumentException(
                    "username must not be blank; pass null to use the token's oid claim as the Redis user");
        }
        this.username = username;
    }

    /**
     * Takes the user name from {@code source} ({@link TokenSource#redisUsername(AccessToken)}: the user name configured
     * on the source, else the token's {@code oid}). A {@link #username(String)} still wins.
     */
    public void usernameFrom(TokenSource source) {
        Objects.requireNonNull(source, "source");
        this.fromToken = source::redisUsername;
    }

    /**
     * How long a connection attempt waits for a valid token; zero fails at once.
     *
     * @throws IllegalArgumentException when null or negative
     */
    public void tokenWait(Duration tokenWait) {
        this.tokenWait = checkTokenWait(tokenWait);
    }

    /** The user name for each token (may answer {@code null}: Redis's {@code default} user). */
    public Function<AccessToken, String> usernames() {
        String fixed = username;
        Function<AccessToken, String> byToken = fromToken;
        return fixed != null ? token -> fixed : byToken;
    }

    /** The fixed user name, or {@code null} when it comes from the token. */
    public String username() {
        return username;
    }

    /** How long a connection attempt waits for a valid token. */
    public Duration tokenWait() {
        return tokenWait;
    }

    private static Duration checkTokenWait(Duration tokenWait) {
        if (tokenWait == null || tokenWait.isNegative()) {
            throw new IllegalArgumentException(
                    "tokenWait must be zero (fail at once) or positive (e.g. PT30S), got " + tokenWait);
        }
        return tokenWait;
    }
}
