package io.github.redisentra.spring;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.TokenListener;
import io.github.redisentra.core.TokenRefresher;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The tokens a {@link TokenRefresher} made current, in order, so a load test can run exactly until it has covered what
 * it claims: {@code n} renewals, and the expiry of the token the n-th one replaced (when the cache would cut a
 * connection that missed that renewal).
 */
final class RenewalWatch implements AutoCloseable {
    private final List<AccessToken> tokens = new CopyOnWriteArrayList<>();
    private final AutoCloseable subscription;

    RenewalWatch(TokenRefresher refresher) {
        subscription = refresher.subscribe(new TokenListener() {
            @Override
            public void onToken(AccessToken token) {
                if (tokens.stream().noneMatch(t -> t.fingerprint().equals(token.fingerprint()))) {
                    tokens.add(token);
                }
            }
        });
    }

    /** New tokens after the first one seen. */
    int renewals() {
        return Math.max(0, tokens.size() - 1);
    }

    /** Whether {@code n} renewals happened and the token the n-th one replaced has expired (1 s ago at least). */
    boolean coveredRenewalsAndExpiry(int n) {
        if (renewals() < n) {
            return false;
        }
        return Instant.now().isAfter(tokens.get(n - 1).expiresAt().plusSeconds(1));
    }

    @Override
    public void close() throws Exception {
        subscription.close();
    }
}
