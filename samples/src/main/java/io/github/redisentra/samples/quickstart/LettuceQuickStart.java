package io.github.redisentra.samples.quickstart;

import io.github.redisentra.core.AzureCredentialTokenSource;
import io.github.redisentra.core.MsalUserTokenSource;
import io.github.redisentra.core.ReauthenticationListener;
import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.core.TokenSource;
import io.github.redisentra.lettuce.EntraCredentialsProvider;
import io.github.redisentra.lettuce.EntraLettuce;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.net.URI;
import java.nio.file.Path;

/**
 * The Lettuce quick start shown in the README. The README includes the regions between the {@code tag::} and
 * {@code end::} markers verbatim, and {@code ReadmeSnippetsTest} fails when the two differ, so the README's code
 * always compiles.
 */
final class LettuceQuickStart {
    private LettuceQuickStart() {}

    static void signedInUserToAzureCache(String tenantId, String clientId, String cacheHost) throws Exception {
        // tag::lettuce-user[]
        MsalUserTokenSource source = MsalUserTokenSource.builder(clientId)
                .authority(URI.create("https://login.microsoftonline.com/" + tenantId + "/"))
                .scopes("https://redis.azure.com/.default") // or "api://<gateway app>/.default" for the gateway
                .persistentCache(Path.of(System.getProperty("user.home"), ".redis-entra"))
                .build();
        if (!source.isSignedIn()) {
            source.signIn(); // device code on stderr, once; later runs sign in silently from the cache
        }
        TokenRefresher refresher = TokenRefresher.builder(source).build(); // one per process, shared

        RedisURI uri = RedisURI.builder()
                .withHost(cacheHost) // <name>.redis.cache.windows.net, or the gateway
                .withPort(6380)
                .withSsl(true)
                .withAuthentication(EntraCredentialsProvider.create(refresher)) // user = the token's oid
                .build();
        RedisClient client = EntraLettuce.configure(RedisClient.create(uri)); // RESP3 + re-AUTH on renewal
        EntraLettuce.watchReauthentication(client, ReauthenticationListener.logging());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            connection.sync().set("greeting", "hello");
        }
        // end::lettuce-user[]
        client.shutdown();
        refresher.close();
        source.close();
    }

    static void managedIdentityToAzureCache(String cacheHost) {
        // tag::lettuce-managed-identity[]
        TokenSource source = AzureCredentialTokenSource.managedIdentity(); // or managedIdentity("<client id>")
        RedisClient client = RedisClient.create(RedisURI.builder()
                .withHost(cacheHost)
                .withPort(6380)
                .withSsl(true)
                .withAuthentication(EntraLettuce.credentialsProvider(source))
                .build());
        EntraLettuce.configure(client);
        // end::lettuce-managed-identity[]
        client.shutdown();
    }
}
