/**
 * OSS-cluster caches (issue #18): the upstream topology as {@code CLUSTER NODES} describes it, where the gateway
 * serves each upstream node ({@link io.github.redisentra.gateway.cluster.NodeEndpoints}), and the rewriting of every
 * reply that names an upstream address so that a cluster-aware client only ever sees gateway endpoints.
 *
 * <p>Depends on {@code config} and {@code resp} only; the session reaches the topology through
 * {@link io.github.redisentra.gateway.cluster.ClusterView}.
 */
package io.github.redisentra.gateway.cluster;
