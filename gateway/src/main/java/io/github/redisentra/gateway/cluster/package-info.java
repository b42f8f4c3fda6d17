/**
 * OSS-cluster caches (issue #18): the upstream topology as {@code CLUSTER NODES} describes it, where the gateway
 * serves each upstream node ({@link io.github.redisentra.gateway.cluster.NodeEndpoints}), and the rewriting of every
 * reply that names an upstream address so that a cluster-aware client only ever sees gateway endpoints
 * ({@link io.github.redisentra.gateway.cluster.ClusterReplies}: topology replies, {@code ROLE}, {@code INFO},
 * {@code CLIENT LIST/INFO}, {@code -MOVED}/{@code -ASK}, transaction results), with which commands need it and which
 * {@code CLUSTER} subcommands are refused ({@link io.github.redisentra.gateway.cluster.ClusterCommands}).
 *
 * <p>Depends on {@code config} and {@code resp} only; the session reaches the topology through
 * {@link io.github.redisentra.gateway.cluster.ClusterView}.
 */
package io.github.redisentra.gateway.cluster;
