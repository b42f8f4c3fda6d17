package io.github.redisentra.emulator;

/** The emulator's endpoints, as addressed by {@link Faults} and {@link EntraEmulator#requestCount(Endpoint)}. */
public enum Endpoint {
    /** {@code /{tenant}/v2.0/.well-known/openid-configuration} and the v1 document. */
    DISCOVERY,
    /** {@code /{tenant}/discovery/v2.0/keys} and {@code /{tenant}/discovery/keys}. */
    JWKS,
    /** {@code /{tenant}/oauth2/v2.0/token} (and v1 {@code /{tenant}/oauth2/token}). */
    TOKEN,
    /** {@code /{tenant}/oauth2/v2.0/devicecode}. */
    DEVICE_CODE,
    /** {@code /{tenant}/oauth2/v2.0/authorize} (the sign-in page). */
    AUTHORIZE,
    /** {@code /devicelogin} (the page where a person enters a user code). */
    DEVICE_LOGIN,
    /** App Service ({@code /msi/token}) and IMDS ({@code /metadata/identity/oauth2/token}) token endpoints. */
    MANAGED_IDENTITY,
    /** Microsoft Graph ({@code /graph/v1.0/...}). */
    GRAPH,
    /** {@code /common/discovery/instance} (AAD instance discovery). */
    INSTANCE_DISCOVERY
}
