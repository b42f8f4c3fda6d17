package io.github.redisentra.cli;

import com.microsoft.aad.msal4j.MsalInteractionRequiredException;
import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.MsalUserTokenSource;
import io.github.redisentra.emulator.msal.EmulatorMsalHttpClient;
import io.github.redisentra.gateway.tls.TrustMaterial;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;
import picocli.CommandLine.Option;

/**
 * Who signs in where, and where the tokens are kept: the options every command that needs the user shares, and the
 * one place that builds core's {@link MsalUserTokenSource} from them and turns its failures into messages that say
 * what to do.
 */
final class SignInOptions {
    static final String REDIS_SCOPE = "https://redis.azure.com/.default";

    @Option(
            names = "--tenant",
            paramLabel = "TENANT",
            defaultValue = "organizations",
            description = "Entra tenant id or domain (default: organizations, any work account).")
    String tenant;

    @Option(
            names = "--client-id",
            paramLabel = "ID",
            description = "Application (client) id of the public client app registration to sign in with.")
    String clientId;

    @Option(
            names = "--authority-host",
            paramLabel = "URL",
            defaultValue = "https://login.microsoftonline.com",
            description = "Identity provider (default: https://login.microsoftonline.com). A localhost URL is taken"
                    + " for the redis-entra emulator.")
    URI authorityHost;

    @Option(
            names = "--authority-ca-file",
            paramLabel = "PEM",
            description = "Extra CA certificates to trust for the identity provider (a private CA, the emulator's).")
    Path authorityCaFile;

    @Option(
            names = "--cache-dir",
            paramLabel = "DIR",
            description = "Where the sign-in is kept (default: $XDG_CACHE_HOME/redis-entra, ~/.cache/redis-entra).")
    Path cacheDir;

    @Option(
            names = "--allow-unprotected-cache",
            paramLabel = "true|false",
            arity = "0..1",
            fallbackValue = "true",
            defaultValue = "false",
            description = "Where the OS offers no protected store (Linux without libsecret / Secret Service), keep"
                    + " the sign-in in an owner-only file (0600) instead of failing.")
    boolean allowUnprotectedCache;

    Path cacheDirectory(Cli cli) {
        return cacheDir != null ? cacheDir : cli.cacheHome().resolve("redis-entra");
    }

    URI authority() {
        String host = authorityHost.toString();
        return URI.create((host.endsWith("/") ? host : host + "/") + tenant + "/");
    }

    private boolean localAuthority() {
        String h = authorityHost.getHost();
        return "localhost".equalsIgnoreCase(h) || "127.0.0.1".equals(h);
    }

    /** The source for {@code scope}, device code or browser sign-in, with the persistent cache. */
    MsalUserTokenSource source(Cli cli, String scope, MsalUserTokenSource.SignInMode mode) throws CliException {
        if (clientId == null || clientId.isBlank()) {
            throw new CliException(
                    CliException.USAGE,
                    "no client id: pass --client-id, set " + Settings.envName("--client-id")
                            + " or client-id= in the config file (the application id of a public client app"
                            + " registration)");
        }
        MsalUserTokenSource.Builder b;
        try {
            b = MsalUserTokenSource.builder(clientId)
                    .authority(authority())
                    .scopes(scope)
                    .signInMode(mode)
                    .deviceCodeHandler(code -> {
                        cli.err.println(code.message());
                        cli.err.flush();
                        cli.deviceCodeObserver.accept(code);
                    })
                    .persistentCache(cacheDirectory(cli))
                    .allowUnprotectedCache(allowUnprotectedCache);
        } catch (IllegalArgumentException e) {
            throw new CliException(CliException.USAGE, e.getMessage());
        }
        if (cli.browserOptions != null) {
            b.systemBrowserOptions(cli.browserOptions);
        }
        Optional<Path> ca = Optional.ofNullable(authorityCaFile);
        if (localAuthority()) {
            // MSAL4J drops a non-443 port on silent renewal; the emulator's transport restores it.
            int port = authorityHost.getPort() == -1 ? 443 : authorityHost.getPort();
            b.instanceDiscovery(false).validateAuthority(false).httpClient(new EmulatorMsalHttpClient(trust(ca), port));
        } else if (ca.isPresent()) {
            b.sslSocketFactory(trust(ca).getSocketFactory());
        }
        try {
            return b.build();
        } catch (IllegalStateException e) {
            throw new CliException(
                    CliException.FAILED,
                    e.getMessage()
                            + "\nFor redis-entra: --allow-unprotected-cache, "
                            + Settings.envName("--allow-unprotected-cache")
                            + "=true or allow-unprotected-cache=true in the config file.");
        }
    }

    private static SSLContext trust(Optional<Path> ca) throws CliException {
        try {
            return TrustMaterial.load(ca).sslContext();
        } catch (GeneralSecurityException | IOException e) {
            throw new CliException(
                    CliException.USAGE, "cannot read the CA file " + ca.orElse(null) + ": " + e.getMessage());
        }
    }

    /** A token without user interaction, or a message that says what to do. */
    AccessToken silentToken(MsalUserTokenSource source, boolean forceRefresh) throws CliException {
        try {
            return source.getToken(forceRefresh);
        } catch (MsalUserTokenSource.SignInRequiredException e) {
            throw signInRequired(e);
        } catch (IOException | TimeoutException e) {
            throw new CliException(
                    CliException.FAILED, "cannot get a token from " + authority() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(CliException.FAILED, "interrupted");
        }
    }

    /** Not signed in, or the refresh token is no longer accepted. */
    CliException signInRequired(MsalUserTokenSource.SignInRequiredException e) {
        if (e.getCause() instanceof MsalInteractionRequiredException mire) {
            return new CliException(
                    CliException.SIGN_IN_REQUIRED,
                    "your sign-in has expired or was revoked (" + firstLine(mire.getMessage())
                            + "): run `redis-entra login`",
                    e);
        }
        return new CliException(
                CliException.SIGN_IN_REQUIRED,
                "not signed in (client " + clientId + ", tenant " + tenant + "): run `redis-entra login`",
                e);
    }

    static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        String line = s.strip();
        int cut = line.indexOf('\n');
        line = cut >= 0 ? line.substring(0, cut).strip() : line;
        return line.length() > 300 ? line.substring(0, 300) + "…" : line;
    }
}
