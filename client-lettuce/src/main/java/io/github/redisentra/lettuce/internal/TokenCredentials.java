package io.github.redisentra.lettuce.internal;

import io.github.redisentra.core.AccessToken;
import io.lettuce.core.RedisCredentials;

/**
 * Lettuce credentials built from one access token. Unlike {@code RedisCredentials.just(..)}, its {@link #toString()}
 * can never reveal the token: Lettuce and applications log credentials objects in debug output.
 */
public final class TokenCredentials implements RedisCredentials {
    private final String username;
    private final AccessToken token;

    public TokenCredentials(String username, AccessToken token) {
        this.username = username;
        this.token = token;
    }

    public AccessToken token() {
        return token;
    }

    @Override
    public String getUsername() {
        return username;
    }

    @Override
    public boolean hasUsername() {
        return username != null;
    }

    /** A fresh copy each call: Lettuce may clear the array it was handed. */
    @Override
    public char[] getPassword() {
        return token.secret().toCharArray();
    }

    @Override
    public boolean hasPassword() {
        return true;
    }

    @Override
    public String toString() {
        return "TokenCredentials[user=" + (username == null ? "default" : username) + ", token=" + token + "]";
    }
}
