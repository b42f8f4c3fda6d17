package io.github.redisentra.gateway.config;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * OSS-clustered caches: {@code REDIS_CLUSTER}, {@code CLUSTER_LISTEN_PORTS}, {@code CLUSTER_ANNOUNCE_HOST},
 * {@code CLUSTER_REFRESH_INTERVAL} and {@code CLUSTER_NODE_GRACE}.
 *
 * @param mode whether the gateway asks the cache if it is a cluster ({@link Mode#AUTO}), requires one, or never asks
 * @param ports the node endpoints' ports; {@code first == 0}: any free port (LISTEN_ADDR port 0, tests)
 * @param announceHost what clients are given as the node endpoints' host; empty when LISTEN_ADDR binds a wildcard
 *     address and {@code CLUSTER_ANNOUNCE_HOST} is unset (then cluster mode cannot start)
 * @param refreshInterval how often the topology is read
 * @param nodeGrace how long a departed node's endpoint keeps its open connections
 */
public record ClusterSettings(
        Mode mode, PortRange ports, Optional<String> announceHost, Duration refreshInterval, Duration nodeGrace) {

    /** {@code REDIS_CLUSTER}. */
    public enum Mode {
        AUTO,
        ON,
        OFF
    }

    /** How many node ports the default range has. */
    public static final int DEFAULT_PORT_COUNT = 32;

    /** An inclusive port range; {@code 0-0} stands for "any free port". */
    public record PortRange(int first, int last) {
        public static final PortRange ANY = new PortRange(0, 0);

        public boolean any() {
            return first == 0;
        }

        public boolean contains(int port) {
            return !any() && port >= first && port <= last;
        }

        public int size() {
            return last - first + 1;
        }

        @Override
        public String toString() {
            return any() ? "any free port" : first + "-" + last;
        }
    }

    /** Reads the settings of {@code values} (defaults applied), reporting every problem to {@code problem}. */
    static ClusterSettings parse(Map<Setting, String> values, HostPort listen, Consumer<String> problem) {
        String m = value(values, Setting.REDIS_CLUSTER);
        Mode mode;
        try {
            mode = Mode.valueOf(m.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            problem.accept("REDIS_CLUSTER must be auto, on or off, got \"" + m + "\"");
            mode = Mode.AUTO;
        }
        PortRange ports = ports(values.get(Setting.CLUSTER_LISTEN_PORTS), listen, problem);
        String announce = values.get(Setting.CLUSTER_ANNOUNCE_HOST);
        if (announce != null && (announce.contains(" ") || announce.contains("/") || announce.contains(","))) {
            problem.accept("CLUSTER_ANNOUNCE_HOST must be a host name or IP address, got \"" + announce + "\"");
            announce = null;
        }
        if (announce == null && listen != null && !wildcard(listen.host())) {
            announce = listen.host();
        }
        if (mode == Mode.ON && announce == null && listen != null) {
            problem.accept("REDIS_CLUSTER=on needs CLUSTER_ANNOUNCE_HOST: LISTEN_ADDR " + listen + " binds every"
                    + " address, so the gateway cannot tell clients where its node endpoints are. Set it to the name or"
                    + " address clients reach this gateway at (e.g. CLUSTER_ANNOUNCE_HOST="
                    + Setting.CLUSTER_ANNOUNCE_HOST.example() + ")");
        }
        Duration refresh = duration(values, Setting.CLUSTER_REFRESH_INTERVAL, Duration.ofMillis(100), problem);
        Duration grace = duration(values, Setting.CLUSTER_NODE_GRACE, Duration.ZERO, problem);
        return new ClusterSettings(mode, ports, Optional.ofNullable(announce), refresh, grace);
    }

    /** {@code 0.0.0.0}, {@code ::} and their spellings: an address a client cannot connect to. */
    static boolean wildcard(String host) {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("0:0:0:0:0:0:0:0") || host.equals("*");
    }

    private static PortRange ports(String v, HostPort listen, Consumer<String> problem) {
        int listenPort = listen == null ? -1 : listen.port();
        if (v == null) {
            if (listenPort == 0) {
                return PortRange.ANY;
            }
            int first = Math.max(1, listenPort + 1);
            return new PortRange(Math.min(first, 65535), Math.min(65535, first + DEFAULT_PORT_COUNT - 1));
        }
        int dash = v.indexOf('-');
        try {
            int first = Integer.parseInt(dash < 0 ? v : v.substring(0, dash).trim());
            int last = dash < 0 ? first : Integer.parseInt(v.substring(dash + 1).trim());
            if (first < 1 || last > 65535 || first > last) {
                throw new NumberFormatException();
            }
            PortRange r = new PortRange(first, last);
            if (r.contains(listenPort)) {
                problem.accept("CLUSTER_LISTEN_PORTS " + r + " contains LISTEN_ADDR's port " + listenPort
                        + ": choose a range beside it");
            }
            return r;
        } catch (NumberFormatException e) {
            problem.accept("CLUSTER_LISTEN_PORTS must be a port range first-last within 1-65535, got \"" + v + "\"");
            return PortRange.ANY;
        }
    }

    private static String value(Map<Setting, String> values, Setting s) {
        String v = values.get(s);
        return v != null ? v.trim() : s.defaultValue().orElseThrow();
    }

    private static Duration duration(Map<Setting, String> values, Setting s, Duration min, Consumer<String> problem) {
        String v = value(values, s);
        Duration d = SettingsReader.parseDuration(v);
        if (d == null || d.compareTo(min) < 0) {
            problem.accept(s.key() + " must be a duration of at least " + min.toMillis() + " ms (e.g. " + s.example()
                    + "), got \"" + v + "\"");
            return SettingsReader.parseDuration(s.defaultValue().orElseThrow());
        }
        return d;
    }
}
