package io.github.redisentra.gateway.listener;

import io.github.redisentra.gateway.tls.TlsContexts;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.SslContext;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLSessionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listener's TLS context, which each new client connection asks for ({@link #current()}). Built from PEM files,
 * it is rebuilt when their content changes: cert-manager renews the Secret, and Kubernetes swaps the mounted files
 * at once (the volume's {@code ..data} symlink points at a new directory). Open connections keep the session they
 * negotiated; only connections accepted after the reload see the new certificate.
 *
 * <p>A new pair is adopted only when it builds and the key belongs to the certificate (a half-written pair, cert new
 * and key old, is kept out until both match); otherwise the previous context stays and the failure is logged and
 * counted. Files are compared by content (SHA-256), not by time stamps, which a symlink swap need not change.
 *
 * <p>Every context resumes TLS sessions ({@link #resumable}): a client reconnecting (a pool growing, a reconnect after
 * a network blip) skips the certificate and key exchange — TLS 1.2 from the server's session cache, TLS 1.3 with
 * session tickets (on OpenSSL/BoringSSL under keys the engine generates and rotates itself; the JDK engine's
 * stateless tickets or its cache). A reloaded certificate comes with a new context and so new caches and ticket
 * keys: sessions of the old certificate are not resumed, the client does a full handshake and sees the new one.
 */
public final class ListenerTls implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ListenerTls.class);
    /** Sessions the server remembers for resumption (the JDK's and BoringSSL's default size). */
    static final int SESSION_CACHE_SIZE = 20_480;
    /** How long a TLS 1.2 session can be resumed; TLS 1.3 tickets have the engine's own lifetime. */
    static final Duration SESSION_TIMEOUT = Duration.ofHours(1);

    private static final Pattern PKCS8 =
            Pattern.compile("-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");

    private final Path certFile;
    private final Path keyFile;
    private final Clock clock;
    private volatile SslContext current;
    private volatile X509Certificate leaf;
    private volatile String contentHash;
    private final LongAdder reloads = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private String lastFailure;
    private ScheduledExecutorService poller;

    private ListenerTls(SslContext fixed) {
        this.certFile = null;
        this.keyFile = null;
        this.clock = Clock.systemUTC();
        this.current = resumable(fixed);
    }

    private ListenerTls(Path certFile, Path keyFile, Clock clock) {
        this.certFile = certFile;
        this.keyFile = keyFile;
        this.clock = clock;
    }

    /** A context that never changes (tests, embedding); {@code null} stays {@code null} (plaintext). */
    public static ListenerTls fixed(SslContext context) {
        return context == null ? null : new ListenerTls(context);
    }

    /** Loads the certificate chain and PKCS#8 key; fails (at start) when they do not make a usable pair. */
    public static ListenerTls fromFiles(Path certChainPem, Path keyPem, Clock clock) throws IOException {
        ListenerTls t = new ListenerTls(
                Objects.requireNonNull(certChainPem, "certChainPem"), Objects.requireNonNull(keyPem, "keyPem"), clock);
        Loaded first = t.load();
        t.adopt(first);
        return t;
    }

    /** Checks the files every {@code interval} from now on ({@code 0}: never); returns this. */
    public synchronized ListenerTls watch(Duration interval) {
        if (certFile == null || interval.isZero() || poller != null) {
            return this;
        }
        poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread th = new Thread(r, "listener-tls-reload");
            th.setDaemon(true);
            return th;
        });
        long ms = interval.toMillis();
        poller.scheduleWithFixedDelay(this::reloadIfChanged, ms, ms, TimeUnit.MILLISECONDS);
        return this;
    }

    /** The context for a connection accepted now. */
    public SslContext current() {
        return current;
    }

    /** The leaf certificate in use ({@code null} for a fixed context). */
    public X509Certificate certificate() {
        return leaf;
    }

    /**
     * Reads the files; adopts them when their content changed and they make a valid pair. Returns whether a new
     * certificate is now served. Never throws: a bad pair keeps the old context.
     */
    public synchronized boolean reloadIfChanged() {
        if (certFile == null) {
            return false;
        }
        Loaded next;
        try {
            byte[] cert = Files.readAllBytes(certFile);
            byte[] key = Files.readAllBytes(keyFile);
            if (hash(cert, key).equals(contentHash)) {
                return false;
            }
            next = build(cert, key);
        } catch (IOException | RuntimeException e) {
            failures.increment();
            String problem = e.getMessage() == null ? e.toString() : e.getMessage();
            if (!problem.equals(lastFailure)) {
                log.warn(
                        "listener certificate {} / {} changed but cannot be used ({}); still serving the certificate"
                                + " of {}",
                        certFile,
                        keyFile,
                        problem,
                        describe(leaf));
            }
            lastFailure = problem;
            return false;
        }
        X509Certificate old = leaf;
        adopt(next);
        reloads.increment();
        lastFailure = null;
        log.info(
                "listener certificate reloaded: now {} (was {}); open connections keep theirs",
                describe(leaf),
                describe(old));
        return true;
    }

    /** Prometheus lines for the metrics page (prefix as the gateway's). */
    public String renderMetrics(String prefix) {
        StringBuilder sb = new StringBuilder();
        X509Certificate c = leaf;
        if (c != null) {
            sb.append("# HELP ")
                    .append(prefix)
                    .append("listener_certificate_expiry_seconds Seconds until the listener")
                    .append(" certificate in use expires\n");
            sb.append("# TYPE ").append(prefix).append("listener_certificate_expiry_seconds gauge\n");
            sb.append(prefix)
                    .append("listener_certificate_expiry_seconds ")
                    .append(Duration.between(clock.instant(), c.getNotAfter().toInstant())
                            .toSeconds())
                    .append('\n');
        }
        sb.append("# HELP ")
                .append(prefix)
                .append("listener_certificate_reloads_total Listener certificate files")
                .append(" that changed, by whether the new pair was adopted\n");
        sb.append("# TYPE ").append(prefix).append("listener_certificate_reloads_total counter\n");
        sb.append(prefix)
                .append("listener_certificate_reloads_total{result=\"ok\"} ")
                .append(reloads.sum())
                .append('\n');
        sb.append(prefix)
                .append("listener_certificate_reloads_total{result=\"failed\"} ")
                .append(failures.sum())
                .append('\n');
        return sb.toString();
    }

    @Override
    public synchronized void close() {
        if (poller != null) {
            poller.shutdownNow();
        }
    }

    private record Loaded(SslContext context, X509Certificate leaf, String hash) {}

    private Loaded load() throws IOException {
        byte[] cert = Files.readAllBytes(certFile);
        byte[] key = Files.readAllBytes(keyFile);
        try {
            return build(cert, key);
        } catch (RuntimeException e) {
            throw new IOException("listener certificate " + certFile + " / key " + keyFile + ": " + e.getMessage(), e);
        }
    }

    private void adopt(Loaded l) {
        current = l.context();
        leaf = l.leaf();
        contentHash = l.hash();
    }

    private static Loaded build(byte[] cert, byte[] key) throws IOException {
        X509Certificate leaf;
        try {
            leaf = (X509Certificate)
                    CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(cert));
        } catch (GeneralSecurityException e) {
            throw new IOException("the certificate file holds no PEM certificate (" + e.getMessage() + ")", e);
        }
        checkKeyMatches(leaf, key);
        SslContext ctx = resumable(TlsContexts.listener(new ByteArrayInputStream(cert), new ByteArrayInputStream(key)));
        return new Loaded(ctx, leaf, hash(cert, key));
    }

    /**
     * Turns on server-side session resumption explicitly, whatever the engine's defaults: the session cache (TLS 1.2
     * session ids, the JDK's TLS 1.3 PSKs) with {@link #SESSION_CACHE_SIZE} entries and {@link #SESSION_TIMEOUT}.
     * TLS 1.3 tickets are on by default in both engines (Netty's {@code jdk.tls.server.enableSessionTicketExtension}
     * for TLS 1.3); no fixed ticket key is installed, so the engine keeps rotating its own (forward secrecy).
     */
    static SslContext resumable(SslContext ctx) {
        if (ctx == null || !ctx.isServer()) {
            return ctx;
        }
        SSLSessionContext sessions = ctx.sessionContext();
        if (sessions instanceof OpenSslSessionContext openSsl) {
            openSsl.setSessionCacheEnabled(true);
        }
        sessions.setSessionCacheSize(SESSION_CACHE_SIZE);
        sessions.setSessionTimeout((int) SESSION_TIMEOUT.toSeconds());
        return ctx;
    }

    /**
     * Signs with the key and verifies with the certificate: a renewal caught between writing the certificate and the
     * key must not be served (every handshake would fail). Key formats other than unencrypted PKCS#8 are left to
     * Netty to accept or refuse.
     */
    static void checkKeyMatches(X509Certificate cert, byte[] keyPem) throws IOException {
        Matcher m = PKCS8.matcher(new String(keyPem, StandardCharsets.US_ASCII));
        if (!m.find()) {
            return;
        }
        byte[] der = Base64.getMimeDecoder().decode(m.group(1));
        String alg = cert.getPublicKey().getAlgorithm();
        try {
            PrivateKey key = KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
            String sigAlg = switch (alg) {
                case "RSA" -> "SHA256withRSA";
                case "EC" -> "SHA256withECDSA";
                case "Ed25519", "EdDSA" -> "Ed25519";
                default -> null;
            };
            if (sigAlg == null) {
                return;
            }
            byte[] probe = "redis-entra listener key check".getBytes(StandardCharsets.US_ASCII);
            Signature s = Signature.getInstance(sigAlg);
            s.initSign(key);
            s.update(probe);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(sigAlg);
            v.initVerify(cert.getPublicKey());
            v.update(probe);
            if (!v.verify(sig)) {
                throw new IOException("the private key does not belong to the certificate " + describe(cert));
            }
        } catch (GeneralSecurityException e) {
            throw new IOException(
                    "the private key does not belong to the certificate " + describe(cert) + " (" + e.getMessage()
                            + ")",
                    e);
        }
    }

    private static String hash(byte[] cert, byte[] key) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(cert);
            d.update((byte) 0);
            d.update(key);
            return HexFormat.of().formatHex(d.digest());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String describe(X509Certificate c) {
        if (c == null) {
            return "-";
        }
        Instant notAfter = c.getNotAfter().toInstant();
        return "\"" + c.getSubjectX500Principal().getName() + "\" serial "
                + c.getSerialNumber().toString(16) + " valid until " + notAfter;
    }
}
