package io.github.redisentra.jedis.internal;

import io.github.redisentra.core.AccessToken;
import redis.clients.jedis.RedisCredentials;

/** Jedis credentials built from one access token; {@link #toString()} never shows the token. */
public final class TokenCredentials implements RedisCredentials {
    private final String user;
    private final AccessToken token;

    TokenCredentials(String user, AccessToken token) {
        this.user = user;
        this.token = token;
    }

    public AccessToken token() {
        return token;
    }

    @Override
    public String getUser() {
        return user;
    }

    /** A fresh copy each call: Jedis zeroes the bytes it encoded from it. */
    @Override
    public char[] getPassword() {
        return token.secret().toCharArray();
    }

    @Override
    public String toString() {
        return "TokenCredentials[user=" + (user == null ? "default" : user) + ", token=" + token + "]";
    }
}
