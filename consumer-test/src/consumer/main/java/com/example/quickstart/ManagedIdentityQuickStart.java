package com.example.quickstart;

import io.github.redisentra.core.AzureCredentialTokenSource;
import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.core.TokenSource;
import io.github.redisentra.jedis.EntraJedis;
import io.github.redisentra.lettuce.EntraLettuce;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;

/**
 * A user's application: the README's managed-identity quick start for Lettuce, and the same identity through Jedis,
 * with the cache's host and TLS port as arguments (the README's snippets hard-code Azure's 6380). The managed identity
 * is found the way Azure provides it ({@code IDENTITY_ENDPOINT} / {@code IDENTITY_HEADER}); TLS trust comes from the
 * JVM's trust store. Prints one line per client; exits non-zero on any failure.
 */
public final class ManagedIdentityQuickStart {
    private ManagedIdentityQuickStart() {}

    public static void main(String[] args) throws Exception {
        String cacheHost = args[0];
        int port = Integer.parseInt(args[1]);

        // The README's Lettuce managed-identity snippet, with the port as a variable.
        TokenSource source = AzureCredentialTokenSource.managedIdentity();
        RedisClient client = RedisClient.create(RedisURI.builder()
                .withHost(cacheHost)
                .withPort(port)
                .withSsl(true)
                .withAuthentication(EntraLettuce.credentialsProvider(source))
                .build());
        EntraLettuce.configure(client);
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            connection.sync().set("consumer:lettuce", "hello from Lettuce");
            System.out.println("lettuce: " + connection.sync().get("consumer:lettuce"));
        } finally {
            client.shutdown();
        }

        // Jedis: the README's pooled client, on a refresher over the same kind of source.
        try (TokenSource jedisSource = AzureCredentialTokenSource.managedIdentity();
                TokenRefresher refresher = TokenRefresher.builder(jedisSource).build();
                redis.clients.jedis.RedisClient redis = EntraJedis.builder(refresher)
                        .hostAndPort(new HostAndPort(cacheHost, port))
                        .clientConfig(DefaultJedisClientConfig.builder().ssl(true).build())
                        .build()) {
            redis.set("consumer:jedis", "hello from Jedis");
            System.out.println("jedis: " + redis.get("consumer:jedis"));
        }
        source.close();
    }
}
