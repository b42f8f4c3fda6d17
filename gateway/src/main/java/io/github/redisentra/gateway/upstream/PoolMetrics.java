package io.github.redisentra.gateway.upstream;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/** The counters of a gateway's warm pools (every listener's), for {@code /metrics}. */
public final class PoolMetrics {
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder otherIdentity = new LongAdder();
    private final LongAdder fillFailures = new LongAdder();
    private final AtomicInteger size = new AtomicInteger();
    private final Map<String, LongAdder> retired = new ConcurrentHashMap<>();

    void hit() {
        hits.increment();
    }

    void miss() {
        misses.increment();
    }

    void otherIdentity() {
        otherIdentity.increment();
    }

    void fillFailed() {
        fillFailures.increment();
    }

    void added() {
        size.incrementAndGet();
    }

    void removed() {
        size.decrementAndGet();
    }

    void retire(String reason) {
        retired.computeIfAbsent(reason, k -> new LongAdder()).increment();
    }

    /** New sessions that took a warm connection. */
    public long hits() {
        return hits.sum();
    }

    /** New sessions of the gateway's identity that found no warm connection on their event loop (they dialled). */
    public long misses() {
        return misses.sum();
    }

    /** Warm connections ready now. */
    public int size() {
        return size.get();
    }

    /** Warm connections closed without being handed out, for {@code reason} (renewed, expiring, idle, closed). */
    public long retired(String reason) {
        LongAdder n = retired.get(reason);
        return n == null ? 0 : n.sum();
    }

    /** Prometheus lines. */
    public String render(String prefix) {
        String takes = prefix + "upstream_pool_takes_total";
        String ret = prefix + "upstream_pool_retired_total";
        StringBuilder sb = new StringBuilder()
                .append("# HELP ")
                .append(takes)
                .append(" New sessions' upstream connections (UPSTREAM_POOL_SIZE): hit (a warm, authenticated one),"
                        + " miss (none warm on the session's event loop: dialled), other_identity (the roles name"
                        + " another upstream identity: dialled)\n")
                .append("# TYPE ")
                .append(takes)
                .append(" counter\n");
        sb.append(takes).append("{result=\"hit\"} ").append(hits()).append('\n');
        sb.append(takes).append("{result=\"miss\"} ").append(misses()).append('\n');
        sb.append(takes)
                .append("{result=\"other_identity\"} ")
                .append(otherIdentity.sum())
                .append('\n');
        sb.append("# HELP ").append(prefix).append("upstream_pool_connections Warm upstream connections ready\n");
        sb.append("# TYPE ").append(prefix).append("upstream_pool_connections gauge\n");
        sb.append(prefix).append("upstream_pool_connections ").append(size()).append('\n');
        sb.append("# HELP ")
                .append(ret)
                .append(" Warm upstream connections closed without being handed out: renewed (the token was"
                        + " renewed since their AUTH), expiring (authenticated for less than the re-AUTH margin),"
                        + " idle (UPSTREAM_POOL_MAX_IDLE), closed (by the cache or the network)\n");
        sb.append("# TYPE ").append(ret).append(" counter\n");
        for (String reason : new String[] {"renewed", "expiring", "idle", "closed"}) {
            sb.append(ret)
                    .append("{reason=\"")
                    .append(reason)
                    .append("\"} ")
                    .append(retired(reason))
                    .append('\n');
        }
        sb.append("# HELP ")
                .append(prefix)
                .append("upstream_pool_fill_failures_total Warm upstream connections that could not be opened or"
                        + " authenticated\n");
        sb.append("# TYPE ").append(prefix).append("upstream_pool_fill_failures_total counter\n");
        sb.append(prefix)
                .append("upstream_pool_fill_failures_total ")
                .append(fillFailures.sum())
                .append('\n');
        return sb.toString();
    }
}
