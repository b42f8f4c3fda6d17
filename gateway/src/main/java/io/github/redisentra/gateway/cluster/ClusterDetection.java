package io.github.redisentra.gateway.cluster;

import io.github.redisentra.gateway.resp.RespConnection;
import java.io.IOException;
import java.util.List;

/**
 * Whether a cache is an OSS cluster, asked without {@code CLUSTER INFO} or {@code CLUSTER MYID} (Azure Managed Redis
 * does not implement every {@code CLUSTER} subcommand): {@code INFO cluster} saying {@code cluster_enabled:0} means
 * one endpoint; otherwise {@code CLUSTER NODES} decides: refused (Enterprise policy, a user denied {@code CLUSTER},
 * cluster support disabled) means one endpoint, a list of nodes means a cluster.
 *
 * @param cluster whether the cache is a cluster
 * @param reason why, in words for a log line or a start-up failure
 * @param nodes the nodes {@code CLUSTER NODES} listed (empty unless a cluster)
 */
public record ClusterDetection(boolean cluster, String reason, List<ClusterNode> nodes) {

    public ClusterDetection {
        nodes = List.copyOf(nodes);
    }

    /**
     * Asks the cache on {@code c} (authenticated already).
     *
     * @throws IOException when the connection fails (the answer is then unknown), not when the cache refuses
     */
    public static ClusterDetection ask(RespConnection c) throws IOException {
        try {
            Object info = c.call("INFO", "cluster");
            if (info instanceof String s && s.contains("cluster_enabled:0")) {
                return new ClusterDetection(false, c.address() + " says cluster_enabled:0", List.of());
            }
        } catch (RespConnection.ErrorReply e) {
            // INFO refused (a restricted user): CLUSTER NODES below decides
        }
        Object text;
        try {
            text = c.call("CLUSTER", "NODES");
        } catch (RespConnection.ErrorReply e) {
            return new ClusterDetection(false, c.address() + " refuses CLUSTER NODES: -" + e.reply(), List.of());
        }
        if (!(text instanceof String s)) {
            return new ClusterDetection(false, c.address() + " answered CLUSTER NODES with " + text, List.of());
        }
        List<ClusterNode> nodes;
        try {
            nodes = ClusterNodes.parse(s);
        } catch (IllegalArgumentException e) {
            return new ClusterDetection(
                    false,
                    c.address() + " answered CLUSTER NODES with no node list (" + e.getMessage() + ")",
                    List.of());
        }
        if (nodes.isEmpty()) {
            return new ClusterDetection(false, c.address() + " lists no node in CLUSTER NODES", List.of());
        }
        long masters = nodes.stream().filter(ClusterNode::master).count();
        return new ClusterDetection(
                true, c.address() + " is a cluster of " + nodes.size() + " nodes (" + masters + " masters)", nodes);
    }
}
