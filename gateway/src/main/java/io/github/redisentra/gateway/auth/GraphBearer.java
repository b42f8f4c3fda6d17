package io.github.redisentra.gateway.auth;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.RefreshPolicy;
import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.core.TokenSource;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * The gateway's own token for Microsoft Graph, asked for group overage only. Nothing is fetched until a token with
 * group overage first needs Graph (most tenants never see one, and managed-identity endpoints throttle); from then on a
 * {@link TokenRefresher} keeps it fresh. {@link #get()} never blocks: it answers with the current token, or a stage that
 * completes with the first one (bounded by the HTTP timeout).
 */
public final class GraphBearer implements GraphGroups.BearerToken, AutoCloseable {
    private final TokenSource source;
    private final Duration timeout;
    private TokenRefresher refresher; // guarded by this; null until first needed
    private boolean closed; // guarded by this

    /** @param source the gateway identity's token source for the Graph scope (built at start, so errors show then) */
    public GraphBearer(TokenSource source, Duration timeout) {
        this.source = source;
        this.timeout = timeout;
    }

    @Override
    public CompletionStage<String> get() {
        TokenRefresher r;
        synchronized (this) {
            if (closed) {
                return CompletableFuture.failedFuture(new IllegalStateException("the gateway is shutting down"));
            }
            if (refresher == null) {
                refresher = TokenRefresher.builder(source)
                        .policy(RefreshPolicy.defaults())
                        .name("microsoft-graph")
                        .build(); // the first request starts now, on the refresher's own thread
            }
            r = refresher;
        }
        Optional<AccessToken> now = r.current();
        if (now.isPresent()) {
            return CompletableFuture.completedFuture(now.get().secret());
        }
        CompletableFuture<AccessToken> first = r.firstToken();
        if (first.isDone() && !first.isCompletedExceptionally()) {
            // There was a token, it expired, and renewing it keeps failing: say why instead of sending a stale one.
            return CompletableFuture.failedFuture(new IllegalStateException(
                    "it expired and renewing it fails: " + r.status().lastFailureMessage()));
        }
        return first.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).handle((token, e) -> {
            if (e != null) {
                String why = r.status().lastFailureMessage();
                throw new IllegalStateException("none within " + timeout.toMillis() + " ms (HTTP_TIMEOUT)"
                        + (why == null ? "" : "; last failure: " + why));
            }
            return token.secret();
        });
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (refresher != null) {
            refresher.close();
        }
    }
}
