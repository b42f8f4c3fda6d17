package io.github.redisentra.lettuce;

import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.TokenSource;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A token endpoint for tests that need many short-lived tokens quickly: issues JWT-shaped tokens (oid, tid, iat, exp)
 * for one identity, counts requests, and can be taken down. Each issued token is handed to the listeners (the Redis
 * stand-in that accepts only current tokens).
 */
final class IssuingTokenSource implements TokenSource {
    final String objectId = UUID.randomUUID().toString();
    final String tenantId = UUID.randomUUID().toString();
    private final Duration lifetime;
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong issued = new AtomicLong();
    private final CopyOnWriteArrayList<Consumer<AccessToken>> listeners = new CopyOnWriteArrayList<>();
    private volatile boolean down;

    IssuingTokenSource(Duration lifetime) {
        this.lifetime = lifetime;
    }

    void onIssue(Consumer<AccessToken> listener) {
        listeners.add(listener);
    }

    void setDown(boolean down) {
        this.down = down;
    }

    long requests() {
        return requests.get();
    }

    long issued() {
        return issued.get();
    }

    @Override
    public AccessToken getToken(boolean forceRefresh) throws Exception {
        requests.incrementAndGet();
        if (down) {
            throw new IOException("token endpoint unavailable (test outage)");
        }
        Instant now = Instant.now();
        String jwt = new PlainJWT(new JWTClaimsSet.Builder()
                        .claim("oid", objectId)
                        .claim("tid", tenantId)
                        .jwtID(UUID.randomUUID().toString())
                        .issueTime(Date.from(now))
                        .expirationTime(Date.from(now.plus(lifetime)))
                        .build())
                .serialize();
        AccessToken token = AccessToken.of(jwt, null);
        listeners.forEach(l -> l.accept(token));
        issued.incrementAndGet();
        return token;
    }

    @Override
    public String describe() {
        return "test token endpoint (oid " + objectId + ")";
    }
}
