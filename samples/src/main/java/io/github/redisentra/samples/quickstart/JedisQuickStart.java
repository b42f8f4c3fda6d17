package io.github.redisentra.samples.quickstart;

import io.github.redisentra.core.MsalUserTokenSource;
import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.jedis.EntraJedis;
import java.net.URI;
import java.nio.file.Path;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;

/** The Jedis quick start shown in the README (see {@link LettuceQuickStart} for how it is kept in sync). */
final class JedisQuickStart {
    private JedisQuickStart() {}

    static void signedInUserToAzureCache(String tenantId, String clientId, String cacheHost) throws Exception {
        // tag::jedis-user[]
        MsalUserTokenSource source = MsalUserTokenSource.builder(clientId)
                .authority(URI.create("https://login.microsoftonline.com/" + tenantId + "/"))
                .scopes("https://redis.azure.com/.default") // or "api://<gateway app>/.default" for the gateway
                .signInMode(MsalUserTokenSource.SignInMode.INTERACTIVE_BROWSER)
                .redirectUri(URI.create("http://localhost"))
                .persistentCache(Path.of(System.getProperty("user.home"), ".redis-entra"))
                .build();
        if (!source.isSignedIn()) {
            source.signIn(); // opens the browser once
        }
        TokenRefresher refresher = TokenRefresher.builder(source).build(); // one per process, shared

        RedisClient redis = EntraJedis.builder(refresher) // pooled; idle and returned connections re-AUTH
                .hostAndPort(new HostAndPort(cacheHost, 6380))
                .clientConfig(DefaultJedisClientConfig.builder().ssl(true).build())
                .build();
        redis.set("greeting", "hello");
        // end::jedis-user[]
        redis.close();
        refresher.close();
        source.close();
    }
}
