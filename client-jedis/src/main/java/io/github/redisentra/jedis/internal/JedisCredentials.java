package io.github.redisentra.jedis.internal;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.TokenCredentials;
import redis.clients.jedis.RedisCredentials;

/** The core {@link TokenCredentials} as Jedis credentials; {@link #toString()} never shows the token. */
public final class JedisCredentials extends TokenCredentials implements RedisCredentials {

    JedisCredentials(String user, AccessToken token) {
        super(user, token);
    }

    @Override
    public String getUser() {
        return username();
    }

    /** A fresh copy each call: Jedis zeroes the bytes it encoded from it. */
    @Override
    public char[] getPassword() {
        return password();
    }
}
