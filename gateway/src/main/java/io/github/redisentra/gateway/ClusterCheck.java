package io.github.redisentra.gateway;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.gateway.cluster.ClusterDetection;
import io.github.redisentra.gateway.cluster.ClusterNode;
import io.github.redisentra.gateway.cluster.SlotRange;
import io.github.redisentra.gateway.cluster.Topology;
import io.github.redisentra.gateway.config.ClusterSettings;
import io.github.redisentra.gateway.config.GatewayConfig;
import io.github.redisentra.gateway.identity.UpstreamProbe;
import io.github.redisentra.gateway.resp.RespConnection;
import io.github.redisentra.gateway.upstream.UpstreamCredentials;
import java.io.PrintStream;
import java.util.Locale;

/**
 * {@code --check-config}'s cluster part ({@code REDIS_CLUSTER}): whether the cache is a cluster, and if so its nodes
 * (short id, role, slots, upstream address) with the gateway endpoint each would get at start.
 */
final class ClusterCheck {
    private ClusterCheck() {}

    /** @return whether the check passed ({@code on} needs a cluster; a cluster needs an announce host) */
    static boolean print(GatewayConfig config, UpstreamCredentials identity, AccessToken token, PrintStream out) {
        ClusterSettings cs = config.cluster();
        String mode = "REDIS_CLUSTER=" + cs.mode().name().toLowerCase(Locale.ROOT);
        if (cs.mode() == ClusterSettings.Mode.OFF) {
            out.println("cluster: " + mode + ", one endpoint (the cache is not asked)");
            return true;
        }
        ClusterDetection d;
        try (RespConnection c = UpstreamProbe.connect(config.upstream(), identity, token)) {
            d = ClusterDetection.ask(c);
        } catch (Exception e) {
            out.println("cluster: FAILED asking the cache: " + e.getMessage());
            return false;
        }
        if (!d.cluster()) {
            boolean ok = cs.mode() != ClusterSettings.Mode.ON;
            out.println("cluster: " + (ok ? "" : "FAILED, ") + mode + ", not a cluster (" + d.reason() + ")"
                    + (ok ? ": one endpoint" : ""));
            return ok;
        }
        if (cs.announceHost().isEmpty()) {
            out.println("cluster: FAILED, " + d.reason() + " but CLUSTER_ANNOUNCE_HOST is not set (LISTEN_ADDR "
                    + config.listener().address() + " binds every address)");
            return false;
        }
        String host = cs.announceHost().get();
        out.println("cluster: " + mode + ", " + d.reason() + "; node endpoints at " + host + " on ports " + cs.ports()
                + " (given in node id order at start, ports in use skipped):");
        java.util.Map<String, Integer> order = new java.util.HashMap<>();
        d.nodes().stream()
                .filter(n -> !n.unusable())
                .map(ClusterNode::id)
                .sorted()
                .forEach(id -> order.put(id, order.size()));
        int i = 0;
        for (ClusterNode n : d.nodes()) {
            String role = n.master() ? "master" : n.replica() ? "replica of " + Topology.shortId(n.masterId()) : "node";
            String slots = n.slots().isEmpty()
                    ? ""
                    : " slots "
                            + String.join(
                                    ",",
                                    n.slots().stream().map(SlotRange::toString).toList());
            String endpoint;
            if (n.unusable()) {
                endpoint = "none yet (" + String.join(",", n.flags()) + ")";
            } else {
                endpoint = cs.ports().any()
                        ? host + ":<free port>"
                        : host + ":" + (cs.ports().first() + i);
                i++;
            }
            out.println("  " + Topology.shortId(n.id()) + " " + role + slots + ": " + n.address() + " -> " + endpoint);
        }
        if (!cs.ports().any() && i > cs.ports().size()) {
            out.println("cluster: FAILED, " + i + " nodes but CLUSTER_LISTEN_PORTS " + cs.ports() + " has "
                    + cs.ports().size() + " ports");
            return false;
        }
        return true;
    }
}
