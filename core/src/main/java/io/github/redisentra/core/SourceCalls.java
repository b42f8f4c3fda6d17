package io.github.redisentra.core;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Calls a {@link TokenSource} on a request thread while the refresher's worker waits at most a timeout: a call still
 * running then is abandoned (its thread interrupted, its late answer dropped), so a hung call cannot stall renewal.
 */
final class SourceCalls implements AutoCloseable {
    private final TokenSource source;
    private final Executor executor;
    private final ExecutorService owned;

    /** Calls on {@code executor}, or, when it is {@code null}, on daemon threads of its own named {@code threadName}. */
    SourceCalls(TokenSource source, Executor executor, String threadName) {
        this.source = source;
        if (executor != null) {
            this.executor = executor;
            this.owned = null;
        } else {
            this.owned = Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, threadName);
                t.setDaemon(true);
                return t;
            });
            this.executor = owned;
        }
    }

    /** One call of {@link TokenSource#getToken(boolean)}, failing with a {@link TimeoutException} after {@code timeout}. */
    AccessToken getToken(boolean forceRefresh, Duration timeout) throws Exception {
        FutureTask<AccessToken> call = new FutureTask<>(() -> source.getToken(forceRefresh));
        try {
            executor.execute(call);
        } catch (RejectedExecutionException e) {
            throw new IllegalStateException("the token refresher is closed", e);
        }
        try {
            return call.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            call.cancel(true);
            throw new TimeoutException(source.describe() + " did not answer within " + timeout
                    + " (RefreshPolicy.requestTimeout); the request was abandoned");
        } catch (InterruptedException e) {
            call.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            if (cause instanceof Exception ex) {
                throw ex;
            }
            throw (Error) cause;
        }
    }

    /** Stops the threads it owns (interrupting a running call); a given executor is left alone. */
    @Override
    public void close() {
        if (owned != null) {
            owned.shutdownNow();
        }
    }
}
