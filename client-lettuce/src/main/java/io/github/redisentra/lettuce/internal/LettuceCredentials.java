package io.github.redisentra.lettuce.internal;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.TokenCredentials;
import io.lettuce.core.RedisCredentials;

/**
 * The core {@link TokenCredentials} as Lettuce credentials. Unlike {@code RedisCredentials.just(..)}, its
 * {@link #toString()} can never reveal the token: Lettuce and applications log credentials objects in debug output.
 */
public final class LettuceCredentials extends TokenCredentials implements RedisCredentials {

    public LettuceCredentials(String username, AccessToken token) {
        super(username, token);
    }

    @Override
    public String getUsername() {
        return username();
    }

    @Override
    public boolean hasUsername() {
        return username() != null;
    }

    /** A fresh copy each call: Lettuce may clear the array it was handed. */
    @Override
    public char[] getPassword() {
        return password();
    }

    @Override
    public boolean hasPassword() {
        return true;
    }
}
