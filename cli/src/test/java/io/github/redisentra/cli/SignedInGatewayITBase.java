package io.github.redisentra.cli;

import io.github.redisentra.gateway.GatewayServer;
import io.github.redisentra.gateway.session.GatewayEvents;
import io.github.redisentra.testkit.AzureCacheStandIn;
import io.github.redisentra.testkit.RedisServer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the command's ITs against a gateway and a cache share, for the class: the {@link CliHarness} in a temporary
 * home, a {@link GatewayHarness} (its TLS redis-server and gateway), an Azure cache stand-in for alice on that server,
 * and alice and eve signed in for the gateway's API, each with a token cache of their own. A subclass creates
 * {@link #h} (adding what it needs to the tenant), then calls {@link #startGateway}.
 */
abstract class SignedInGatewayITBase {
    @TempDir
    static Path home;

    static CliHarness h;
    static GatewayHarness g;
    static RedisServer redis;
    static GatewayServer gateway;
    static AzureCacheStandIn cache;
    static Path aliceCache;
    static Path eveCache;

    /** Starts the gateway ({@link GatewayHarness}'s arguments), alice's cache stand-in, and signs alice and eve in. */
    static void startGateway(String name, List<String> audiences, String clockSkew, GatewayEvents events)
            throws Exception {
        g = new GatewayHarness(h, name, audiences, clockSkew, events);
        redis = g.redis;
        gateway = g.gateway;
        cache = g.cacheFor(h, h.alice);
        aliceCache = h.signedIn("alice-cache", h.alice);
        eveCache = h.signedIn("eve-cache", h.eve);
    }

    @AfterAll
    static void stop() {
        GatewayHarness.closeQuietly(cache, g, h);
    }
}
