package io.github.redisentra.gateway;

import io.github.redisentra.gateway.admin.GatewayMetrics;

/** Metric names the cluster tests look for. */
final class GatewayMetricsNames {
    static final String CLUSTER_NODES = GatewayMetrics.PREFIX + "cluster_nodes";

    private GatewayMetricsNames() {}
}
