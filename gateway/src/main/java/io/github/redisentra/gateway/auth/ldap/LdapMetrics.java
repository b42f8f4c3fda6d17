package io.github.redisentra.gateway.auth.ldap;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * LDAP sign-in metrics in the Prometheus text format: attempts by result and reason, credential-cache hits, misses,
 * evictions and size, directory latency quantiles per operation (over the most recent samples) and each server's
 * state. Labels are reason codes, operation names and configured server URLs — never client input.
 */
public final class LdapMetrics {
    private static final String P = "redis_entra_gateway_ldap_";
    private static final int WINDOW = 1024;

    private final Map<String, LongAdder> attempts = new ConcurrentHashMap<>();
    final LongAdder cacheHits = new LongAdder();
    final LongAdder cacheMisses = new LongAdder();
    final LongAdder cacheEvictions = new LongAdder();
    final LongAdder cacheExpirations = new LongAdder();
    private final Map<String, Latency> latencies = new ConcurrentHashMap<>();
    private final Map<String, Boolean> serverUp = new ConcurrentHashMap<>();
    private volatile LongSupplier cacheSize = () -> 0;

    /** Latency samples of one operation: a ring of the most recent {@value #WINDOW}, plus count and sum. */
    static final class Latency {
        private final double[] ring = new double[WINDOW];
        private long count;
        private double sum;

        synchronized void add(double seconds) {
            ring[(int) (count % WINDOW)] = seconds;
            count++;
            sum += seconds;
        }

        /** The q-quantile (0..1) of the recent samples, or NaN without samples. */
        synchronized double quantile(double q) {
            int n = (int) Math.min(count, WINDOW);
            if (n == 0) {
                return Double.NaN;
            }
            double[] s = Arrays.copyOf(ring, n);
            Arrays.sort(s);
            int i = (int) Math.ceil(q * n) - 1;
            return s[Math.max(0, Math.min(n - 1, i))];
        }

        synchronized long count() {
            return count;
        }

        synchronized double sum() {
            return sum;
        }
    }

    void attempt(String result, String reason) {
        attempts.computeIfAbsent(result + "\u0000" + (reason == null ? "" : reason), k -> new LongAdder())
                .increment();
    }

    void latency(String operation, double seconds) {
        latencies.computeIfAbsent(operation, k -> new Latency()).add(seconds);
    }

    void serverState(String url, boolean up) {
        serverUp.put(url, up);
    }

    void cacheSize(LongSupplier size) {
        this.cacheSize = size;
    }

    public long attempts(String result, String reason) {
        LongAdder a = attempts.get(result + "\u0000" + (reason == null ? "" : reason));
        return a == null ? 0 : a.sum();
    }

    public long cacheHits() {
        return cacheHits.sum();
    }

    public long cacheMisses() {
        return cacheMisses.sum();
    }

    public long cacheEvictions() {
        return cacheEvictions.sum();
    }

    public long latencyCount(String operation) {
        Latency l = latencies.get(operation);
        return l == null ? 0 : l.count();
    }

    /** The q-quantile of the operation's recent latencies in seconds (NaN without samples). */
    public double latencyQuantile(String operation, double q) {
        Latency l = latencies.get(operation);
        return l == null ? Double.NaN : l.quantile(q);
    }

    /** The Prometheus text for these metrics. */
    public String render() {
        StringBuilder sb = new StringBuilder(1024);
        header(sb, "auth_total", "counter", "LDAP sign-in attempts by result and reason");
        for (Map.Entry<String, LongAdder> e : new TreeMap<>(attempts).entrySet()) {
            String[] rk = e.getKey().split("\u0000", -1);
            sb.append(P)
                    .append("auth_total{result=\"")
                    .append(rk[0])
                    .append("\",reason=\"")
                    .append(rk[1])
                    .append("\"} ")
                    .append(e.getValue().sum())
                    .append('\n');
        }
        counter(sb, "cache_hits_total", "Sign-ins answered from the credential cache", cacheHits.sum());
        counter(sb, "cache_misses_total", "Sign-ins that had to ask the directory", cacheMisses.sum());
        counter(sb, "cache_evictions_total", "Cache entries evicted as least recently used", cacheEvictions.sum());
        counter(sb, "cache_expirations_total", "Cache entries dropped after LDAP_CACHE_TTL", cacheExpirations.sum());
        header(sb, "cache_entries", "gauge", "Cached sign-ins");
        sb.append(P).append("cache_entries ").append(cacheSize.getAsLong()).append('\n');
        header(sb, "latency_seconds", "summary", "Directory operation latency (recent samples)");
        for (Map.Entry<String, Latency> e : new TreeMap<>(latencies).entrySet()) {
            for (double q : new double[] {0.5, 0.9, 0.99}) {
                double v = e.getValue().quantile(q);
                sb.append(P)
                        .append("latency_seconds{operation=\"")
                        .append(e.getKey())
                        .append("\",quantile=\"")
                        .append(q)
                        .append("\"} ")
                        .append(Double.isNaN(v) ? "NaN" : String.valueOf(v))
                        .append('\n');
            }
            sb.append(P)
                    .append("latency_seconds_sum{operation=\"")
                    .append(e.getKey())
                    .append("\"} ")
                    .append(e.getValue().sum())
                    .append('\n');
            sb.append(P)
                    .append("latency_seconds_count{operation=\"")
                    .append(e.getKey())
                    .append("\"} ")
                    .append(e.getValue().count())
                    .append('\n');
        }
        header(sb, "server_up", "gauge", "1 when the directory server passed its last health check");
        for (Map.Entry<String, Boolean> e : new TreeMap<>(serverUp).entrySet()) {
            sb.append(P)
                    .append("server_up{server=\"")
                    .append(e.getKey().replace("\\", "\\\\").replace("\"", "\\\""))
                    .append("\"} ")
                    .append(e.getValue() ? 1 : 0)
                    .append('\n');
        }
        return sb.toString();
    }

    private static void header(StringBuilder sb, String name, String type, String help) {
        sb.append("# HELP ").append(P).append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(P).append(name).append(' ').append(type).append('\n');
    }

    private static void counter(StringBuilder sb, String name, String help, long v) {
        header(sb, name, "counter", help);
        sb.append(P).append(name).append(' ').append(v).append('\n');
    }
}
