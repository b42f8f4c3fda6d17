package io.github.redisentra.core;

import java.util.Objects;

/**
 * A Redis user name and one access token as its password: what every client integration sends in {@code AUTH}.
 * {@link #toString()} never shows the token (client libraries log credentials objects in debug output), and
 * {@link #password()} is a fresh copy each call (client libraries clear the array they were handed). The client
 * modules adapt it to their library's credentials interface.
 */
public class TokenCredentials {
    private final String username;
    private final AccessToken token;

    /**
     * @param username the Redis user, or {@code null} for {@code AUTH <token>} (Redis's {@code default} user)
     * @param token the password
     */
    public TokenCredentials(String username, AccessToken token) {
        this.username = username;
        this.token = Objects.requireNonNull(token, "token");
    }

    /** The token sent as the password. */
    public final AccessToken token() {
        return token;
    }

    /** The Redis user name, or {@code null} for Redis's {@code default} user. */
    public final String username() {
        return username;
    }

    /** The token as a new character array. */
    public final char[] password() {
        return token.secret().toCharArray();
    }

    @Override
    public final String toString() {
        return "TokenCredentials[user=" + (username == null ? "default" : username) + ", token=" + token + "]";
    }
}
