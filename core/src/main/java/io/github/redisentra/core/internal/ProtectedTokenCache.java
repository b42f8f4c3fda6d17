package io.github.redisentra.core.internal;

import com.microsoft.aad.msal4j.ITokenCacheAccessAspect;
import com.microsoft.aad.msal4jextensions.PersistenceSettings;
import com.microsoft.aad.msal4jextensions.PersistenceTokenCacheAccessAspect;
import java.nio.file.Path;

/** The OS-protected MSAL cache of msal4j-persistence-extension (DPAPI, Keychain, libsecret). */
public final class ProtectedTokenCache {
    private ProtectedTokenCache() {}

    /**
     * Opens the protected cache for {@code clientId} in {@code dir}.
     *
     * @throws Exception or {@link Error} (a JNA link or structure error) when this OS offers no protected store (Linux without
     *     libsecret or without a running Secret Service)
     */
    public static ITokenCacheAccessAspect open(Path dir, String fileName, String clientId) throws Exception {
        PersistenceSettings settings = PersistenceSettings.builder(fileName, dir)
                .setMacKeychain("io.github.redisentra.msal", "MSALCache-" + clientId)
                .setLinuxKeyring(
                        null,
                        "io.github.redisentra.msal",
                        "redis-entra MSAL token cache",
                        "MsalClientID",
                        clientId,
                        "Product",
                        "redis-entra")
                .build();
        return new PersistenceTokenCacheAccessAspect(settings);
    }
}
