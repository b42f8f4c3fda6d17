package io.github.redisentra.lettuce;

import io.github.redisentra.lettuce.internal.DefaultChannelReauthentication;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisCredentialsProvider;
import io.lettuce.core.SslOptions;
import io.lettuce.core.StatefulRedisConnectionImpl;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.pubsub.StatefulRedisClusterPubSubConnection;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;

/**
 * What a Lettuce {@link RedisClusterClient} needs on top of {@link EntraLettuce} to use an OSS-clustered Azure cache
 * (Azure Managed Redis with the OSS clustering policy, Azure Cache for Redis Premium with clustering) directly.
 *
 * <p>The cache's topology ({@code CLUSTER SLOTS}/{@code NODES}, {@code -MOVED}, {@code -ASK}) names its shards by IP
 * address and port, while its certificate names only the cache's host name. Lettuce dials the IPs; left alone it
 * verifies the certificate against the IP and every shard connection fails. {@link #sslOptions(SslOptions, String)}
 * sends the cache host name as TLS SNI and verifies the certificate against it, whatever address was dialled (the JDK's
 * trust manager checks the SNI name first). Each shard connection authenticates and re-authenticates on its own
 * with the credentials provider of the seed URI; {@link #clusterClientOptions(ClusterClientOptions)} adds live
 * re-authentication and RESP3 (as {@link EntraLettuce} does) and a topology refresh that follows failovers and port
 * changes.
 *
 * <pre>{@code
 * RedisURI seed = RedisURI.builder()
 *         .withHost("mycache.westeurope.redis.azure.net").withPort(10000).withSsl(true)
 *         .withAuthentication(credentialsProvider)
 *         .build();
 * RedisClusterClient client = RedisClusterClient.create(seed);
 * client.setOptions(EntraLettuceCluster.clusterClientOptions(ClusterClientOptions.builder()
 *         .sslOptions(EntraLettuceCluster.sslOptions(SslOptions.create(), "mycache.westeurope.redis.azure.net"))
 *         .build()));
 * }</pre>
 *
 * <p>Open connections with {@link #connect(RedisClusterClient, RedisCredentialsProvider)} and
 * {@link #connectPubSub(RedisClusterClient, RedisCredentialsProvider)} rather
 * than {@code client.connect()}: Lettuce 7.7 re-authenticates the per-node connections but not the channel each cluster
 * connection keeps of its own (keyless commands such as {@code PUBLISH}, and plain {@code SUBSCRIBE}); a cache that
 * closes connections at token expiry cuts that channel once per token lifetime. These methods add its
 * re-authentication.
 *
 * <p>Connection budget: each cluster connection holds one connection per shard it uses (plus pub/sub connections and
 * short topology-refresh connections), so the cache sees about (client connections × nodes used).
 */
public final class EntraLettuceCluster {

    /** Periodic topology refresh of {@link #topologyRefreshOptions()}: AMR moves shard ports over time. */
    public static final Duration DEFAULT_REFRESH_PERIOD = Duration.ofSeconds(30);

    private EntraLettuceCluster() {}

    /**
     * {@code base} with the TLS server name (SNI) set to {@code cacheHostName} and HTTPS host-name verification, so a
     * certificate naming only the cache host is accepted on connections to the shards' IP addresses. Everything else of
     * {@code base} (trust, protocols, cipher suites) is kept; a base {@code sslParameters} supplier is replaced.
     */
    public static SslOptions sslOptions(SslOptions base, String cacheHostName) {
        Objects.requireNonNull(base, "base");
        SNIHostName name = new SNIHostName(Objects.requireNonNull(cacheHostName, "cacheHostName"));
        return base.mutate()
                .sslParameters(() -> {
                    SSLParameters parameters = new SSLParameters();
                    parameters.setServerNames(List.of(name));
                    parameters.setEndpointIdentificationAlgorithm("HTTPS");
                    return parameters;
                })
                .build();
    }

    /**
     * {@code client.connect()} plus re-authentication of the connection's own (default) channel with {@code credentials}
     * (the provider on the seed URI).
     */
    public static StatefulRedisClusterConnection<String, String> connect(
            RedisClusterClient client, RedisCredentialsProvider credentials) {
        return connect(client, StringCodec.UTF8, credentials);
    }

    /** {@code client.connect(codec)} plus re-authentication of the connection's own (default) channel. */
    public static <K, V> StatefulRedisClusterConnection<K, V> connect(
            RedisClusterClient client, RedisCodec<K, V> codec, RedisCredentialsProvider credentials) {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(credentials, "credentials");
        StatefulRedisClusterConnection<K, V> connection = client.connect(codec);
        DefaultChannelReauthentication.installOnCluster((RedisChannelHandler<?, ?>) connection, credentials);
        return connection;
    }

    /** {@code client.connectPubSub()} plus re-authentication of the connection's own (default) channel. */
    public static StatefulRedisClusterPubSubConnection<String, String> connectPubSub(
            RedisClusterClient client, RedisCredentialsProvider credentials) {
        return connectPubSub(client, StringCodec.UTF8, credentials);
    }

    /** {@code client.connectPubSub(codec)} plus re-authentication of the connection's own (default) channel. */
    public static <K, V> StatefulRedisClusterPubSubConnection<K, V> connectPubSub(
            RedisClusterClient client, RedisCodec<K, V> codec, RedisCredentialsProvider credentials) {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(credentials, "credentials");
        StatefulRedisClusterPubSubConnection<K, V> connection = client.connectPubSub(codec);
        DefaultChannelReauthentication.installOnPubSub((StatefulRedisConnectionImpl<?, ?>) connection, credentials);
        return connection;
    }

    /**
     * Topology refresh for a cache whose shards fail over and change ports: every adaptive trigger (MOVED, ASK,
     * persistent reconnects, unknown node) and a periodic refresh every {@link #DEFAULT_REFRESH_PERIOD}.
     */
    public static ClusterTopologyRefreshOptions topologyRefreshOptions() {
        return ClusterTopologyRefreshOptions.builder()
                .enableAllAdaptiveRefreshTriggers()
                .enablePeriodicRefresh(DEFAULT_REFRESH_PERIOD)
                .build();
    }

    /**
     * {@code base} with live re-authentication and RESP3 ({@link EntraLettuce#clusterClientOptions(ClusterClientOptions)})
     * and, when {@code base} leaves topology refresh at Lettuce's default (off), {@link #topologyRefreshOptions()}.
     */
    public static ClusterClientOptions clusterClientOptions(ClusterClientOptions base) {
        Objects.requireNonNull(base, "base");
        ClusterClientOptions entra = EntraLettuce.clusterClientOptions(base);
        ClusterTopologyRefreshOptions refresh = entra.getTopologyRefreshOptions();
        boolean defaultRefresh = !refresh.isPeriodicRefreshEnabled()
                && refresh.getAdaptiveRefreshTriggers().isEmpty();
        return defaultRefresh
                ? entra.mutate()
                        .topologyRefreshOptions(topologyRefreshOptions())
                        .build()
                : entra;
    }
}
