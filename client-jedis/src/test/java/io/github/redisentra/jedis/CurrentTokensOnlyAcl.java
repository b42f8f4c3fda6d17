package io.github.redisentra.jedis;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.testkit.RedisServer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Makes a redis-server behave like an Azure cache for one identity: its ACL user (named by the identity's oid) accepts
 * exactly the tokens that have been issued and have not expired. A token's password is removed at its expiry, so an
 * AUTH or a reconnect with a stale token is refused with WRONGPASS.
 */
final class CurrentTokensOnlyAcl implements AutoCloseable {
    private final RedisServer redis;
    private final String user;
    private final ScheduledExecutorService expiries = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "acl-expiry");
        t.setDaemon(true);
        return t;
    });

    CurrentTokensOnlyAcl(RedisServer redis, String user) {
        this.redis = redis;
        this.user = user;
        redis.cli().call("ACL", "SETUSER", user, "reset", "on", "~*", "&*", "+@all");
        redis.cli().call("ACL", "LOG", "RESET");
    }

    void accept(AccessToken token) {
        redis.cli().call("ACL", "SETUSER", user, ">" + token.secret());
        long delay = Duration.between(Instant.now(), token.expiresAt()).toMillis();
        expiries.schedule(
                () -> redis.cli().call("ACL", "SETUSER", user, "<" + token.secret()),
                Math.max(0, delay),
                TimeUnit.MILLISECONDS);
    }

    /** Entries of ACL LOG: each is a refused AUTH (or a denied command) since this stand-in started. */
    List<?> aclLog() {
        return (List<?>) redis.cli().call("ACL", "LOG");
    }

    /** How many AUTH commands the server has processed (HELLO ... AUTH counts under hello). */
    long authCalls() {
        String info = redis.cli().callString("INFO", "commandstats");
        for (String line : info.split("\r?\n")) {
            if (line.startsWith("cmdstat_auth:")) {
                String calls = line.substring(line.indexOf("calls=") + 6);
                return Long.parseLong(calls.substring(0, calls.indexOf(',')));
            }
        }
        return 0;
    }

    @Override
    public void close() {
        expiries.shutdownNow();
    }
}
