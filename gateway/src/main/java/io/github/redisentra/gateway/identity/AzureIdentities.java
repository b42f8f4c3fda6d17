package io.github.redisentra.gateway.identity;

import io.github.redisentra.core.TokenSource;
import io.github.redisentra.gateway.config.GatewayConfig;

/** azure-identity credentials for the gateway's Entra identity (upstream and Microsoft Graph). */
final class AzureIdentities {
    private AzureIdentities() {}

    static TokenSource tokenSource(GatewayConfig config, String scope) {
        throw new UnsupportedOperationException(
                "the " + config.upstreamCredential().description() + " upstream credential is not wired yet");
    }
}
