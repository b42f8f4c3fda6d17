package io.github.redisentra.jedis;

import com.microsoft.aad.msal4j.SystemBrowserOptions;
import io.github.redisentra.core.MsalUserTokenSource;
import io.github.redisentra.core.RefreshPolicy;
import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.emulator.AppRegistration;
import io.github.redisentra.emulator.AppSpec;
import io.github.redisentra.emulator.Endpoint;
import io.github.redisentra.emulator.EntraEmulator;
import io.github.redisentra.emulator.Tenant;
import io.github.redisentra.emulator.User;
import io.github.redisentra.emulator.UserSpec;
import io.github.redisentra.testkit.AzureCacheStandIn;
import io.github.redisentra.testkit.RedisServer;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Azure, locally: the Entra ID emulator as the identity provider, a TLS redis-server, and per signed-in user an
 * {@link AzureCacheStandIn} whose ACL user (the user's oid) accepts only that user's current tokens and whose front
 * door closes a connection when the token it authenticated with expires.
 */
final class EmulatedAzure implements AutoCloseable {
    static final String REDIS_SCOPE = "https://redis.azure.com/.default";
    /** Renew at 75 % like production, but allow renewals 2 s apart so short tokens are not held back. */
    static final RefreshPolicy SHORT_TOKENS =
            RefreshPolicy.builder().minimumDelay(Duration.ofSeconds(2)).build();

    private static final AtomicInteger USERS = new AtomicInteger();

    final EntraEmulator emu;
    final Tenant tenant;
    final AppRegistration app;
    final RedisServer redis;

    EmulatedAzure() {
        emu = EntraEmulator.builder()
                .deviceCodePollInterval(Duration.ofSeconds(1))
                .build()
                .start();
        tenant = emu.createTenant("contoso");
        app = tenant.registerApp(AppSpec.publicClient("redis-app").redirectUri("http://localhost"));
        redis = RedisServer.builder()
                .tlsOnly()
                .disableDefaultUser()
                .name("azure-standin")
                .start();
    }

    enum Flow {
        DEVICE_CODE,
        AUTHORIZATION_CODE
    }

    /** A user signed in through MSAL against the emulator, with a cache accepting only their current tokens. */
    final class Identity implements AutoCloseable {
        final User user;
        final MsalUserTokenSource source;
        final AzureCacheStandIn cache;
        final TokenRefresher refresher;
        /** Token-endpoint requests made by the sign-in itself (device-code polling included). */
        final long signInRequests;

        Identity(Duration lifetime, Flow flow) throws Exception {
            emu.defaultTokenLifetime(lifetime);
            user = tenant.addUser(UserSpec.named("user" + USERS.incrementAndGet()));
            cache = AzureCacheStandIn.builder(redis)
                    .objectId(user.objectId())
                    .cutAtExpiry()
                    .build()
                    .watch(emu);
            MsalUserTokenSource.Builder builder = MsalUserTokenSource.builder(app.clientId())
                    .authority(tenant.authority())
                    .instanceDiscovery(false)
                    .validateAuthority(false)
                    // MSAL drops the authority's port on silent refresh; this client restores it (and sends the form
                    // content type MSAL's device-code request leaves out).
                    .httpClient(new PortPreservingHttpClient(emu.sslContext(), emu.httpsPort()))
                    .scopes(REDIS_SCOPE)
                    .signInTimeout(Duration.ofSeconds(30));
            if (flow == Flow.DEVICE_CODE) {
                // What the person does on the device-code page, done by the test.
                builder.deviceCodeHandler(code -> emu.approveDeviceCode(code.userCode(), user));
            } else {
                // A scripted browser: follows MSAL's authorize URL and signs the user in; MSAL gets the code on its
                // loopback redirect.
                builder.signInMode(MsalUserTokenSource.SignInMode.INTERACTIVE_BROWSER)
                        .redirectUri(URI.create("http://localhost"))
                        .loginHint(user.upn())
                        .systemBrowserOptions(SystemBrowserOptions.builder()
                                .openBrowserAction(url -> CompletableFuture.runAsync(() -> {
                                    try {
                                        emu.browser().signIn(url.toURI(), user);
                                    } catch (Exception e) {
                                        throw new IllegalStateException(e);
                                    }
                                }))
                                .build());
            }
            source = builder.build();
            source.signIn();
            signInRequests = emu.requestCount(Endpoint.TOKEN);
            refresher = TokenRefresher.builder(source).policy(SHORT_TOKENS).build();
            redis.cli().call("ACL", "LOG", "RESET");
        }

        /** Token-endpoint requests since sign-in: the refresher's renewals (a count for the whole process). */
        long tokenRequests() {
            return emu.requestCount(Endpoint.TOKEN) - signInRequests;
        }

        /** ACL LOG entries: each is an AUTH the server refused (or a denied command). */
        List<?> aclLog() {
            return (List<?>) redis.cli().call("ACL", "LOG");
        }

        @Override
        public void close() {
            refresher.close();
            source.close();
            cache.close();
        }
    }

    Identity signIn(Duration lifetime) throws Exception {
        return new Identity(lifetime, Flow.DEVICE_CODE);
    }

    Identity signIn(Duration lifetime, Flow flow) throws Exception {
        return new Identity(lifetime, flow);
    }

    @Override
    public void close() {
        redis.close();
        emu.close();
    }
}
