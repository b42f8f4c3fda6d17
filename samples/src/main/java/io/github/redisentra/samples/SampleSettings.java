package io.github.redisentra.samples;

import io.github.redisentra.core.MsalUserTokenSource;
import io.github.redisentra.emulator.msal.EmulatorMsalHttpClient;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * What the sample apps connect to: the Entra authority, the public client and scope to sign in with, and the Redis
 * endpoint (the gateway, or a cache directly).
 *
 * <p>Each setting is read from a command-line argument ({@code --redis-port 6390}), else the environment variable
 * ({@code REDIS_PORT=6390}), else its default. The defaults are the local emulator's demo tenant ({@code java -jar
 * emulator/target/redis-entra-emulator.jar}) and a gateway on {@code 127.0.0.1:6388}, so a sample runs locally
 * without any setting; against Azure set at least {@code ENTRA_AUTHORITY_HOST}, {@code ENTRA_TENANT_ID}, {@code
 * ENTRA_CLIENT_ID}, {@code ENTRA_SCOPE} and the Redis endpoint.
 */
public final class SampleSettings {
    /** The emulator's fixed demo directory (see emulator/README.md). */
    public static final String DEMO_TENANT_ID = "4d3e7d2a-5f1b-4c8e-9a6d-0e1f2a3b4c5d";

    public static final String DEMO_CLIENT_ID = "6e1b1e5f-0000-4000-8000-000000000002";
    public static final String DEMO_SCOPE = "api://redis-gateway/.default";

    /** Every setting with its default ({@code null}: none). Order = the order of {@link #describe()}. */
    private static final Map<String, String> DEFAULTS = new LinkedHashMap<>();

    static {
        DEFAULTS.put("ENTRA_AUTHORITY_HOST", "https://localhost:8443");
        DEFAULTS.put("ENTRA_TENANT_ID", DEMO_TENANT_ID);
        DEFAULTS.put("ENTRA_CLIENT_ID", DEMO_CLIENT_ID);
        DEFAULTS.put("ENTRA_SCOPE", DEMO_SCOPE);
        DEFAULTS.put("ENTRA_LOGIN_HINT", null);
        DEFAULTS.put("ENTRA_CA_FILE", null);
        DEFAULTS.put("REDIS_HOST", "127.0.0.1");
        DEFAULTS.put("REDIS_PORT", "6388");
        DEFAULTS.put("REDIS_TLS", "false");
        DEFAULTS.put("REDIS_CA_FILE", null);
        DEFAULTS.put("HOLD", "0s");
    }

    private final Map<String, String> values;

    private SampleSettings(Map<String, String> values) {
        this.values = values;
    }

    /**
     * Reads {@code --name value} arguments, then {@code env}, then the defaults.
     *
     * @throws IllegalArgumentException naming the bad argument or value
     */
    public static SampleSettings from(String[] args, Map<String, String> env) {
        Map<String, String> v = new LinkedHashMap<>();
        DEFAULTS.forEach((k, d) -> {
            String e = env.get(k);
            v.put(k, e != null && !e.isBlank() ? e.strip() : d);
        });
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument \"" + a + "\"; settings are --name value, e.g."
                        + " --redis-port 6388 (" + String.join(", ", DEFAULTS.keySet()) + ")");
            }
            String key = a.substring(2).replace('-', '_').toUpperCase(Locale.ROOT);
            if (!DEFAULTS.containsKey(key)) {
                throw new IllegalArgumentException("unknown setting " + a + "; known: "
                        + String.join(
                                ", ",
                                DEFAULTS.keySet().stream()
                                        .map(SampleSettings::argName)
                                        .toList()));
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(a + " needs a value");
            }
            v.put(key, args[++i]);
        }
        SampleSettings s = new SampleSettings(v);
        s.validate();
        return s;
    }

    /** Settings given as a map (the demo), over the defaults. */
    public static SampleSettings of(Map<String, String> values) {
        return from(new String[0], values);
    }

    private static String argName(String key) {
        return "--" + key.toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private void validate() {
        URI host = authorityHost();
        if (!"https".equalsIgnoreCase(host.getScheme()) || host.getHost() == null) {
            throw new IllegalArgumentException("ENTRA_AUTHORITY_HOST must be an https URL such as"
                    + " https://login.microsoftonline.com, got \"" + get("ENTRA_AUTHORITY_HOST") + "\"");
        }
        redisPort();
        hold();
        for (String file : new String[] {"ENTRA_CA_FILE", "REDIS_CA_FILE"}) {
            String f = get(file);
            if (f != null && !Files.isReadable(Path.of(f))) {
                throw new IllegalArgumentException(file + " must name a readable PEM file, got \"" + f + "\"");
            }
        }
    }

    private String get(String key) {
        return values.get(key);
    }

    public URI authorityHost() {
        String h = get("ENTRA_AUTHORITY_HOST");
        return URI.create(h.endsWith("/") ? h.substring(0, h.length() - 1) : h);
    }

    /** {@code https://<authority host>/<tenant>/}. */
    public URI authority() {
        return URI.create(authorityHost() + "/" + get("ENTRA_TENANT_ID") + "/");
    }

    public String clientId() {
        return get("ENTRA_CLIENT_ID");
    }

    public String scope() {
        return get("ENTRA_SCOPE");
    }

    public Optional<String> loginHint() {
        return Optional.ofNullable(get("ENTRA_LOGIN_HINT"));
    }

    public String redisHost() {
        return get("REDIS_HOST");
    }

    public int redisPort() {
        String p = get("REDIS_PORT");
        try {
            int port = Integer.parseInt(p);
            if (port < 1 || port > 65535) {
                throw new NumberFormatException();
            }
            return port;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("REDIS_PORT must be a port 1..65535, got \"" + p + "\"");
        }
    }

    public boolean redisTls() {
        return Boolean.parseBoolean(get("REDIS_TLS"));
    }

    /** Extra CA for the Redis endpoint (a gateway with its own certificate); empty: the JVM's trust store. */
    public Optional<Path> redisCaFile() {
        return Optional.ofNullable(get("REDIS_CA_FILE")).map(Path::of);
    }

    /** How long the Lettuce sample keeps its connections open afterwards (to watch a token renewal). */
    public Duration hold() {
        String h = get("HOLD").strip();
        try {
            long n = Long.parseLong(h.substring(0, h.length() - 1));
            Duration d = switch (h.charAt(h.length() - 1)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                default -> throw new NumberFormatException();
            };
            if (d.isNegative()) {
                throw new NumberFormatException();
            }
            return d;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("HOLD must be a duration like 0s, 90s or 10m, got \"" + h + "\"");
        }
    }

    /**
     * Whether the authority is a local one (the emulator): MSAL must then skip Microsoft's instance discovery and
     * authority validation, and trust the emulator's CA.
     */
    public boolean localAuthority() {
        String h = authorityHost().getHost();
        return "localhost".equalsIgnoreCase(h) || "127.0.0.1".equals(h);
    }

    /** The CA to trust for the authority: {@code ENTRA_CA_FILE}, or the file the standalone emulator writes. */
    public Optional<Path> authorityCaFile() {
        if (get("ENTRA_CA_FILE") != null) {
            return Optional.of(Path.of(get("ENTRA_CA_FILE")));
        }
        if (localAuthority()) {
            Path written = Path.of(System.getProperty("java.io.tmpdir"), "redis-entra-emulator-ca.pem");
            if (Files.isReadable(written)) {
                return Optional.of(written);
            }
        }
        return Optional.empty();
    }

    /**
     * An MSAL sign-in for these settings. For a local authority it uses the emulator's {@link
     * EmulatorMsalHttpClient}: MSAL4J drops a non-443 port on silent refresh, which that client puts back (see
     * emulator/README.md); against Entra ID MSAL's own HTTP client is used.
     */
    public MsalUserTokenSource.Builder signIn() {
        MsalUserTokenSource.Builder b =
                MsalUserTokenSource.builder(clientId()).authority(authority()).scopes(scope());
        loginHint().ifPresent(b::loginHint);
        if (localAuthority()) {
            Path ca = authorityCaFile()
                    .orElseThrow(() -> new IllegalArgumentException("the authority " + authorityHost()
                            + " is local but its CA is unknown: start the emulator (it writes"
                            + " $TMPDIR/redis-entra-emulator-ca.pem) or set ENTRA_CA_FILE"));
            int port = authorityHost().getPort() == -1 ? 443 : authorityHost().getPort();
            b.instanceDiscovery(false)
                    .validateAuthority(false)
                    .httpClient(new EmulatorMsalHttpClient(trusting(ca), port));
        } else {
            authorityCaFile().ifPresent(ca -> b.sslSocketFactory(trusting(ca).getSocketFactory()));
        }
        return b;
    }

    /** TLS trust for the Redis endpoint, when a CA file is configured. */
    public Optional<SSLContext> redisTrust() {
        return redisCaFile().map(SampleSettings::trusting);
    }

    /** An SSL context trusting the certificates of a PEM file (and nothing else). */
    public static SSLContext trusting(Path pemFile) {
        try (InputStream in = Files.newInputStream(pemFile)) {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            int i = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                ks.setCertificateEntry("ca-" + i++, c);
            }
            if (i == 0) {
                throw new IllegalArgumentException(pemFile + " holds no PEM certificate");
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException(
                    "cannot read CA certificates from " + pemFile + ": " + e.getMessage(), e);
        }
    }

    /** One line per setting (no secrets exist among them). */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        values.forEach((k, v) ->
                sb.append("  ").append(k).append('=').append(v == null ? "" : v).append('\n'));
        return sb.toString();
    }

    /** The settings and their defaults, for {@code --help}. */
    public static String usage(String mainClass) {
        StringBuilder sb = new StringBuilder("usage: java -cp samples/target/redis-entra-samples.jar " + mainClass
                + " [--name value]...\nSettings (argument, else environment variable, else default):\n");
        DEFAULTS.forEach((k, d) -> sb.append("  ")
                .append(argName(k))
                .append(" / ")
                .append(k)
                .append(d == null ? "" : "  (default " + d + ")")
                .append('\n'));
        return sb.toString();
    }
}
