package io.github.redisentra.core;

import com.microsoft.aad.msal4j.DeviceCode;
import com.microsoft.aad.msal4j.DeviceCodeFlowParameters;
import com.microsoft.aad.msal4j.IAccount;
import com.microsoft.aad.msal4j.IAuthenticationResult;
import com.microsoft.aad.msal4j.IHttpClient;
import com.microsoft.aad.msal4j.ITokenCacheAccessAspect;
import com.microsoft.aad.msal4j.InteractiveRequestParameters;
import com.microsoft.aad.msal4j.MsalInteractionRequiredException;
import com.microsoft.aad.msal4j.PublicClientApplication;
import com.microsoft.aad.msal4j.SilentParameters;
import com.microsoft.aad.msal4j.SystemBrowserOptions;
import io.github.redisentra.core.internal.FileTokenCache;
import io.github.redisentra.core.internal.ProtectedTokenCache;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import javax.net.ssl.SSLSocketFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A signed-in user's tokens through MSAL4J's {@code PublicClientApplication}.
 *
 * <p>Sign-in is explicit: {@link #signIn()} runs the device-code or interactive-browser flow once, on the caller's
 * thread. {@link #getToken(boolean)} is silent only (MSAL's {@code acquireTokenSilently}, with {@code
 * forceRefresh} passed through) and fails with {@link SignInRequiredException} when there is no signed-in account
 * or the refresh token is no longer accepted; so a {@link TokenRefresher} never opens a browser or prints a code.
 *
 * <p>With a {@link Builder#persistentCache(Path) persistent cache}, a later run finds the account and needs no
 * sign-in ({@link #isSignedIn()}). The cache is kept in the OS-protected store (Windows DPAPI, macOS Keychain,
 * Linux libsecret); where that is unavailable it is a file readable only by its owner (directory 0700, file 0600)
 * &mdash; and only when the application called {@link Builder#allowUnprotectedCache(boolean)
 * allowUnprotectedCache(true)}; otherwise {@link Builder#build()} fails and says so.
 *
 * <pre>{@code
 * MsalUserTokenSource source = MsalUserTokenSource.builder("<client id>")
 *         .authority(URI.create("https://login.microsoftonline.com/<tenant id>/"))
 *         .scopes("https://redis.azure.com/.default")
 *         .persistentCache(Path.of(System.getProperty("user.home"), ".redis-entra"))
 *         .build();
 * if (!source.isSignedIn()) {
 *     source.signIn();                       // prints "To sign in, use a web browser to open …" on stderr
 * }
 * TokenRefresher refresher = TokenRefresher.builder(source).build();
 * }</pre>
 */
public final class MsalUserTokenSource implements TokenSource {
    private static final Logger log = LoggerFactory.getLogger(MsalUserTokenSource.class);
    private static final Duration SILENT_TIMEOUT = Duration.ofSeconds(60);

    /** How {@link #signIn()} asks the user. */
    public enum SignInMode {
        /** Show a code and a URL (through the prompt callback); the user signs in on any device. */
        DEVICE_CODE,
        /** Open the system browser; MSAL receives the answer on a loopback redirect ({@code http://localhost}). */
        INTERACTIVE_BROWSER
    }

    /** No signed-in account, or its refresh token is no longer accepted: call {@link #signIn()}. */
    public static final class SignInRequiredException extends Exception {
        private static final long serialVersionUID = 1L;

        SignInRequiredException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final PublicClientApplication app;
    private final String clientId;
    private final URI authority;
    private final Set<String> scopes;
    private final SignInMode mode;
    private final Consumer<DeviceCode> deviceCodeHandler;
    private final URI redirectUri;
    private final SystemBrowserOptions browserOptions;
    private final String loginHint;
    private final Duration signInTimeout;
    private final String username;
    private final boolean persistent;
    private volatile IAccount account;

    private MsalUserTokenSource(Builder b, PublicClientApplication app, boolean persistent) {
        this.app = app;
        this.clientId = b.clientId;
        this.authority = b.authority;
        this.scopes = Set.copyOf(b.scopes);
        this.mode = b.mode;
        this.deviceCodeHandler = b.deviceCodeHandler;
        this.redirectUri = b.redirectUri;
        this.browserOptions = b.browserOptions;
        this.loginHint = b.loginHint;
        this.signInTimeout = b.signInTimeout;
        this.username = b.username;
        this.persistent = persistent;
    }

    /** A builder for the public client (app registration) {@code clientId}. */
    public static Builder builder(String clientId) {
        return new Builder(clientId);
    }

    /**
     * Signs the user in with the configured {@link SignInMode}, on the calling thread, and returns the first
     * token. Blocks until the user finished or the sign-in timeout passed.
     *
     * @throws TimeoutException when the user did not finish in time
     * @throws IOException when the identity provider refused or could not be reached (message from MSAL)
     */
    public AccessToken signIn() throws IOException, TimeoutException, InterruptedException {
        CompletableFuture<IAuthenticationResult> flow;
        if (mode == SignInMode.DEVICE_CODE) {
            flow = app.acquireToken(
                    DeviceCodeFlowParameters.builder(scopes, deviceCodeHandler).build());
        } else {
            InteractiveRequestParameters.InteractiveRequestParametersBuilder p =
                    InteractiveRequestParameters.builder(redirectUri).scopes(scopes);
            if (loginHint != null) {
                p.loginHint(loginHint);
            }
            if (browserOptions != null) {
                p.systemBrowserOptions(browserOptions);
            }
            flow = app.acquireToken(p.build());
        }
        IAuthenticationResult result = await(flow, signInTimeout, "sign-in");
        account = result.account();
        AccessToken token = toToken(result);
        log.info("signed in to {} as {} ({})", authority, token.objectId().orElse("-"), mode);
        return token;
    }

    /**
     * A token for the signed-in account, without user interaction.
     *
     * @param forceRefresh skip MSAL's cache (which serves a token until five minutes before it expires)
     * @throws SignInRequiredException when nobody is signed in or the refresh token is rejected
     */
    @Override
    public AccessToken getToken(boolean forceRefresh)
            throws SignInRequiredException, IOException, TimeoutException, InterruptedException {
        IAccount a = findAccount()
                .orElseThrow(() -> new SignInRequiredException(
                        "sign-in required: no signed-in account for client " + clientId + " at " + authority
                                + (persistent ? " in the persistent token cache" : "") + "; call signIn() first",
                        null));
        SilentParameters params;
        try {
            params = SilentParameters.builder(scopes, a)
                    .forceRefresh(forceRefresh)
                    .build();
            return toToken(await(app.acquireTokenSilently(params), SILENT_TIMEOUT, "silent token renewal"));
        } catch (MalformedURLException e) {
            throw new IllegalStateException("authority " + authority + " is not a valid URL", e);
        } catch (IOException e) {
            if (e.getCause() instanceof MsalInteractionRequiredException mire) {
                throw new SignInRequiredException(
                        "sign-in required: the identity provider wants the user to sign in again (" + mire.getMessage()
                                + "); call signIn()",
                        mire);
            }
            throw e;
        }
    }

    /** Whether an account is signed in (in this process or found in the persistent cache). */
    public boolean isSignedIn() {
        return findAccount().isPresent();
    }

    /** The signed-in account's user name (UPN), when there is one. Not the Redis user name. */
    public Optional<String> accountName() {
        return findAccount().map(IAccount::username);
    }

    /** Removes the account and its tokens from MSAL's cache (and so from the persistent cache). */
    public void signOut() throws InterruptedException, IOException {
        try {
            for (IAccount a : app.getAccounts().get(SILENT_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                app.removeAccount(a).get(SILENT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("sign-out failed: " + e.getMessage(), e);
        }
        account = null;
        log.info("signed out of {} for client {}", authority, clientId);
    }

    /** The Redis user name for {@code token}: the configured one, else the token's {@code oid}. */
    @Override
    public String redisUsername(AccessToken token) {
        return username != null ? username : TokenSource.super.redisUsername(token);
    }

    @Override
    public String describe() {
        return "MSAL user sign-in (client " + clientId + ", authority " + authority + ", scopes "
                + String.join(" ", scopes) + ")";
    }

    @Override
    public String toString() {
        return describe();
    }

    private Optional<IAccount> findAccount() {
        IAccount a = account;
        if (a != null) {
            return Optional.of(a);
        }
        Set<IAccount> accounts;
        try {
            accounts = app.getAccounts().get(SILENT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } catch (ExecutionException | TimeoutException e) {
            log.warn("could not read accounts from the token cache: {}", e.toString());
            return Optional.empty();
        }
        Optional<IAccount> found = accounts.stream()
                .filter(x -> loginHint == null || loginHint.equalsIgnoreCase(x.username()))
                .findFirst();
        found.ifPresent(x -> account = x);
        return found;
    }

    private static IAuthenticationResult await(
            CompletableFuture<IAuthenticationResult> f, Duration timeout, String what)
            throws IOException, TimeoutException, InterruptedException {
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new TimeoutException(what + " did not finish within " + timeout);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new IOException(
                    what + " failed: " + cause.getClass().getSimpleName() + ": " + cause.getMessage(), cause);
        }
    }

    private static AccessToken toToken(IAuthenticationResult r) {
        return AccessToken.of(
                r.accessToken(),
                r.expiresOnDate() == null ? null : r.expiresOnDate().toInstant());
    }

    /** What to do when no OS-protected store is available, in a few lines. */
    static String noProtectedStoreMessage(String why) {
        return "No OS-protected store for the persistent token cache (" + why + ").\n"
                + "First: on Linux install libsecret and a Secret Service and run in a D-Bus session with an unlocked"
                + " keyring (Debian: apt-get install libsecret-1-0 gnome-keyring).\n"
                + "Or: allowUnprotectedCache(true) (an owner-only 0600 file; redis.entra.allow-unprotected-cache=true),"
                + " or no persistentCache(...) (tokens in memory only).";
    }

    /** One short line for why the store failed: its class and the first line of its message, without classpaths. */
    static String shortReason(Throwable e) {
        String message = e.getMessage() == null ? "" : e.getMessage().strip();
        int cut = message.indexOf('\n');
        if (cut >= 0) {
            message = message.substring(0, cut);
        }
        // JNA: "Unable to load library 'secret-1': Native library (…) not found in resource path ([file:…, …])".
        cut = message.indexOf(" in resource path");
        if (cut >= 0) {
            message = message.substring(0, cut);
        }
        if (message.length() > 200) {
            message = message.substring(0, 200) + "…";
        }
        return e.getClass().getSimpleName() + (message.isEmpty() ? "" : ": " + message);
    }

    /**
     * The warning for an authority on a port other than 443 (MSAL4J drops it on silent renewal), if it has one.
     */
    static Optional<String> portWarning(URI authority, boolean customHttpClient) {
        int port = authority.getPort();
        if (port == -1 || port == 443) {
            return Optional.empty();
        }
        return Optional.of("authority " + authority + " is on port " + port + ": MSAL4J sends silent token renewals to "
                + authority.getHost() + " without the port (443), so sign-in works but renewals will fail"
                + (customHttpClient
                        ? " unless the IHttpClient given to httpClient(...) restores the port"
                        : " with \"connection refused\"")
                + ". Serve the authority on port 443"
                + (customHttpClient ? "." : ", or pass an IHttpClient that restores the port (httpClient(...))."));
    }

    /** Configures a {@link MsalUserTokenSource}; {@link #build()} checks the settings and opens the cache. */
    public static final class Builder {
        private final String clientId;
        private URI authority = URI.create("https://login.microsoftonline.com/organizations/");
        private List<String> scopes = List.of(AzureCredentialTokenSource.REDIS_SCOPE);
        private boolean instanceDiscovery = true;
        private boolean validateAuthority = true;
        private SSLSocketFactory sslSocketFactory;
        private IHttpClient httpClient;
        private SignInMode mode = SignInMode.DEVICE_CODE;
        private Consumer<DeviceCode> deviceCodeHandler = code -> System.err.println(code.message());
        private URI redirectUri = URI.create("http://localhost");
        private SystemBrowserOptions browserOptions;
        private String loginHint;
        private Duration signInTimeout = Duration.ofMinutes(15);
        private String username;
        private Path cacheDirectory;
        private boolean allowUnprotectedCache;

        private Builder(String clientId) {
            if (clientId == null || clientId.isBlank()) {
                throw new IllegalArgumentException(
                        "clientId must be the application (client) id of a public client app registration");
            }
            this.clientId = clientId.strip();
        }

        /**
         * The authority, {@code https://<host>/<tenant>/}. Default {@code https://login.microsoftonline.com/organizations/}.
         * Must be https.
         *
         * <p>A port other than 443 ({@code https://idp.example:8443/<tenant>/}) works for sign-in but not for renewal:
         * MSAL4J sends silent renewals for such an authority to the host <em>without</em> its port (443), so they fail
         * with "connection refused" once the first token is due. {@link #build()} logs a warning then. Serve the
         * authority on 443, or pass an {@link #httpClient(IHttpClient) IHttpClient} that restores the port.
         */
        public Builder authority(URI authority) {
            Objects.requireNonNull(authority, "authority");
            if (!"https".equalsIgnoreCase(authority.getScheme()) || authority.getHost() == null) {
                throw new IllegalArgumentException("authority must be an https URL such as"
                        + " https://login.microsoftonline.com/<tenant id>/, got " + authority);
            }
            String s = authority.toString();
            this.authority = URI.create(s.endsWith("/") ? s : s + "/");
            return this;
        }

        /** The scopes to request. Default {@code https://redis.azure.com/.default}. */
        public Builder scopes(String... scopes) {
            if (scopes.length == 0 || java.util.Arrays.stream(scopes).anyMatch(s -> s == null || s.isBlank())) {
                throw new IllegalArgumentException("scopes must be non-blank, e.g. api://<app>/.default");
            }
            this.scopes = List.copyOf(new LinkedHashSet<>(List.of(scopes)));
            return this;
        }

        /** Whether MSAL asks Microsoft which hosts are valid authorities. Turn off for a non-Microsoft authority. */
        public Builder instanceDiscovery(boolean enabled) {
            this.instanceDiscovery = enabled;
            return this;
        }

        /** Whether MSAL checks the authority against Microsoft's list. Turn off for a non-Microsoft authority. */
        public Builder validateAuthority(boolean enabled) {
            this.validateAuthority = enabled;
            return this;
        }

        /** TLS for MSAL's default HTTP client, e.g. trusting a private CA. */
        public Builder sslSocketFactory(SSLSocketFactory factory) {
            this.sslSocketFactory = Objects.requireNonNull(factory, "factory");
            return this;
        }

        /** MSAL's HTTP client, replacing its default one. */
        public Builder httpClient(IHttpClient client) {
            this.httpClient = Objects.requireNonNull(client, "client");
            return this;
        }

        /** How {@link MsalUserTokenSource#signIn()} asks the user. Default {@link SignInMode#DEVICE_CODE}. */
        public Builder signInMode(SignInMode mode) {
            this.mode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /** Where the device-code instructions go ("To sign in, use a web browser…"). Default standard error. */
        public Builder deviceCodePrompt(Consumer<String> prompt) {
            Objects.requireNonNull(prompt, "prompt");
            this.deviceCodeHandler = code -> prompt.accept(code.message());
            return this;
        }

        /** The whole device code (user code, URL, expiry) instead of the message; replaces {@link #deviceCodePrompt}. */
        public Builder deviceCodeHandler(Consumer<DeviceCode> handler) {
            this.deviceCodeHandler = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /** Loopback redirect for the browser flow, {@code http://localhost[:port]}. Default {@code http://localhost}. */
        public Builder redirectUri(URI redirectUri) {
            Objects.requireNonNull(redirectUri, "redirectUri");
            String host = redirectUri.getHost();
            if (!"http".equalsIgnoreCase(redirectUri.getScheme())
                    || !("localhost".equalsIgnoreCase(host) || "127.0.0.1".equals(host))) {
                throw new IllegalArgumentException(
                        "redirectUri must be a loopback http URL such as http://localhost, got " + redirectUri);
            }
            this.redirectUri = redirectUri;
            return this;
        }

        /** MSAL's browser options (e.g. an {@code openBrowserAction} replacing the system browser). */
        public Builder systemBrowserOptions(SystemBrowserOptions options) {
            this.browserOptions = Objects.requireNonNull(options, "options");
            return this;
        }

        /** The expected user (UPN): pre-filled in the browser, and picks the account from the cache. */
        public Builder loginHint(String upn) {
            this.loginHint = Objects.requireNonNull(upn, "upn");
            return this;
        }

        /** How long {@code signIn()} waits for the user. Default 15 minutes. */
        public Builder signInTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("signInTimeout must be positive, got " + timeout);
            }
            this.signInTimeout = timeout;
            return this;
        }

        /** The Redis user name, when it is not the token's {@code oid}. */
        public Builder username(String username) {
            if (username == null || username.isBlank()) {
                throw new IllegalArgumentException("username must not be empty");
            }
            this.username = username;
            return this;
        }

        /** Keep MSAL's token cache in {@code directory}, so later runs sign in silently. Default: memory only. */
        public Builder persistentCache(Path directory) {
            this.cacheDirectory = Objects.requireNonNull(directory, "directory");
            return this;
        }

        /**
         * Allow a plain file (0600, in a 0700 directory) when the OS offers no protected store. Default false:
         * then {@link #build()} fails where the protected store is unavailable.
         */
        public Builder allowUnprotectedCache(boolean allow) {
            this.allowUnprotectedCache = allow;
            return this;
        }

        /**
         * The source.
         *
         * @throws IllegalStateException when a persistent cache was asked for, no protected store is available and
         *     unprotected storage was not allowed
         */
        public MsalUserTokenSource build() {
            FileTokenCache fileCache = null;
            ITokenCacheAccessAspect aspect = null;
            if (cacheDirectory != null) {
                String fileName = "msal-" + clientId + ".cache";
                try {
                    aspect = ProtectedTokenCache.open(cacheDirectory, fileName, clientId);
                } catch (Exception | Error e) {
                    // Not only LinkageError (no libsecret): with libsecret but no working Secret Service the
                    // extension's Linux path fails with JNA's java.lang.Error ("Exception reading field 'domain' in
                    // class ...GError", Azure/azure-sdk-for-java#32138). Only a VirtualMachineError is fatal here.
                    if (e instanceof VirtualMachineError vme) {
                        throw vme;
                    }
                    String why = shortReason(e);
                    if (!allowUnprotectedCache) {
                        // The full error (JNA's link error quotes the whole classpath) only at DEBUG.
                        log.debug("no OS-protected token cache in {}", cacheDirectory, e);
                        throw new IllegalStateException(noProtectedStoreMessage(why));
                    }
                    try {
                        // The extension may have created its (still empty) file before failing.
                        java.nio.file.Path stub = cacheDirectory.resolve(fileName);
                        if (java.nio.file.Files.isRegularFile(stub) && java.nio.file.Files.size(stub) == 0) {
                            java.nio.file.Files.delete(stub);
                        }
                        fileCache = new FileTokenCache(cacheDirectory.resolve(fileName + ".json"));
                    } catch (IOException io) {
                        throw new IllegalStateException(
                                "cannot create the token cache in " + cacheDirectory + ": " + io, io);
                    }
                    aspect = fileCache;
                    log.warn(
                            "no OS-protected token cache ({}); keeping tokens UNENCRYPTED in {} (owner-only, 0600) because"
                                    + " allowUnprotectedCache(true) was set",
                            why,
                            fileCache.file());
                }
            }
            // With a transport of the caller's own (tests, proxies), it may already restore the port: say so quietly.
            portWarning(authority, httpClient != null).ifPresent(w -> {
                if (httpClient != null) {
                    log.info(w);
                } else {
                    log.warn(w);
                }
            });
            PublicClientApplication.Builder b = PublicClientApplication.builder(clientId)
                    .instanceDiscovery(instanceDiscovery)
                    .validateAuthority(validateAuthority);
            try {
                b.authority(authority.toString());
            } catch (MalformedURLException e) {
                throw new IllegalArgumentException("authority " + authority + " is not a valid URL", e);
            }
            if (sslSocketFactory != null) {
                b.sslSocketFactory(sslSocketFactory);
            }
            if (httpClient != null) {
                b.httpClient(httpClient);
            }
            if (aspect != null) {
                b.setTokenCacheAccessAspect(aspect);
            }
            return new MsalUserTokenSource(this, b.build(), cacheDirectory != null);
        }
    }
}
