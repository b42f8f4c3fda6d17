package io.github.redisentra.spring;

import io.github.redisentra.core.AzureCredentialTokenSource;
import io.github.redisentra.core.CommandTokenSource;
import io.github.redisentra.core.MsalUserTokenSource;
import io.github.redisentra.core.StaticTokenSource;
import io.github.redisentra.core.TokenSource;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds the {@link TokenSource} that {@code redis.entra.credential} names; every missing setting is named. */
final class TokenSourceFactory {
    private static final Logger log = LoggerFactory.getLogger(TokenSourceFactory.class);

    private TokenSourceFactory() {}

    static TokenSource create(RedisEntraProperties p) throws Exception {
        String[] scopes = scopes(p);
        return switch (p.getCredential()) {
            case DEVICE_CODE, BROWSER -> userSource(p, scopes);
            case MANAGED_IDENTITY -> managedIdentity(p).forScopes(scopes);
            case WORKLOAD_IDENTITY ->
                AzureCredentialTokenSource.workloadIdentity().forScopes(scopes);
            case CLIENT_SECRET ->
                AzureCredentialTokenSource.clientSecret(
                                require(p.getTenantId(), "tenant-id", p),
                                require(p.getClientId(), "client-id", p),
                                require(p.getClientSecret(), "client-secret", p))
                        .forScopes(scopes);
            case CLIENT_CERTIFICATE -> {
                if (p.getCertificate() == null) {
                    throw missing("certificate", p);
                }
                yield AzureCredentialTokenSource.clientCertificate(
                                require(p.getTenantId(), "tenant-id", p),
                                require(p.getClientId(), "client-id", p),
                                p.getCertificate(),
                                blank(p.getCertificatePassword()) ? null : p.getCertificatePassword())
                        .forScopes(scopes);
            }
            case AZURE_CLI -> AzureCredentialTokenSource.azureCli().forScopes(scopes);
            case STATIC -> StaticTokenSource.of(require(p.getToken(), "token", p));
            case COMMAND ->
                CommandTokenSource.builder(require(p.getCommand(), "command", p))
                        .timeout(p.getCommandTimeout())
                        .build();
        };
    }

    private static TokenSource userSource(RedisEntraProperties p, String[] scopes) throws Exception {
        MsalUserTokenSource.Builder b = MsalUserTokenSource.builder(require(p.getClientId(), "client-id", p))
                .authority(URI.create(
                        !blank(p.getAuthority())
                                ? p.getAuthority()
                                : "https://login.microsoftonline.com/"
                                        + (blank(p.getTenantId()) ? "organizations" : p.getTenantId()) + "/"))
                .scopes(scopes)
                .signInTimeout(p.getSignInTimeout())
                .allowUnprotectedCache(p.isAllowUnprotectedCache())
                .signInMode(
                        p.getCredential() == RedisEntraProperties.Credential.BROWSER
                                ? MsalUserTokenSource.SignInMode.INTERACTIVE_BROWSER
                                : MsalUserTokenSource.SignInMode.DEVICE_CODE)
                // The device-code message holds a one-time code and a URL, no token: the log is where a service
                // operator looks.
                .deviceCodePrompt(message -> log.warn("redis.entra sign-in: {}", message));
        if (p.getCacheDirectory() != null) {
            b.persistentCache(p.getCacheDirectory());
        }
        MsalUserTokenSource source = b.build();
        if (!source.isSignedIn()) {
            log.info("redis.entra: no signed-in account in the token cache; starting {} sign-in", p.getCredential());
            source.signIn();
        }
        return source;
    }

    /** System-assigned, or the user-assigned identity that exactly one of three properties names. */
    private static AzureCredentialTokenSource managedIdentity(RedisEntraProperties p) {
        long chosen = java.util.stream.Stream.of(
                        p.getClientId(), p.getManagedIdentityObjectId(), p.getManagedIdentityResourceId())
                .filter(v -> !blank(v))
                .count();
        if (chosen > 1) {
            throw new RedisEntraConfigurationException(
                    "redis.entra.client-id, managed-identity-object-id and managed-identity-resource-id each choose a"
                            + " user-assigned managed identity; more than one is set.",
                    "Keep one of them (or none, for the system-assigned identity).");
        }
        if (!blank(p.getManagedIdentityObjectId())) {
            return AzureCredentialTokenSource.managedIdentityByObjectId(
                    p.getManagedIdentityObjectId().strip());
        }
        if (!blank(p.getManagedIdentityResourceId())) {
            return AzureCredentialTokenSource.managedIdentityByResourceId(
                    p.getManagedIdentityResourceId().strip());
        }
        return blank(p.getClientId())
                ? AzureCredentialTokenSource.managedIdentity()
                : AzureCredentialTokenSource.managedIdentity(p.getClientId().strip());
    }

    private static String[] scopes(RedisEntraProperties p) {
        List<String> scopes = p.getScopes();
        if (scopes == null || scopes.isEmpty() || scopes.stream().anyMatch(TokenSourceFactory::blank)) {
            throw new RedisEntraConfigurationException(
                    "redis.entra.scopes is empty or has a blank entry.",
                    "List at least one scope, e.g. https://redis.azure.com/.default.");
        }
        return scopes.toArray(String[]::new);
    }

    private static String require(String value, String property, RedisEntraProperties p) {
        if (blank(value)) {
            throw missing(property, p);
        }
        return value.strip();
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    static RedisEntraConfigurationException missing(String property, RedisEntraProperties p) {
        String kind = p.getCredential().name().toLowerCase(Locale.ROOT).replace('_', '-');
        return new RedisEntraConfigurationException(
                "redis.entra." + property + " is required for redis.entra.credential=" + kind + ".",
                "Set redis.entra." + property + ", or choose another redis.entra.credential.");
    }
}
