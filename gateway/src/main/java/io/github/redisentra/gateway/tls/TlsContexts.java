package io.github.redisentra.gateway.tls;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.ReferenceCountedOpenSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;

/**
 * Builds the gateway's Netty TLS contexts (client listener and upstream) on the fastest engine available:
 * OpenSSL (BoringSSL from {@code netty-tcnative-boringssl-static}) when its native library loads on this platform,
 * the JDK's engine otherwise. {@code -Dio.netty.handler.ssl.noOpenSsl=true} forces the JDK engine.
 *
 * <p>On the upstream side the context keeps a client session cache keyed by the cache's host and port (Netty does
 * so for both engines when the handler is created with {@code newHandler(alloc, host, port)}), so later connections
 * resume a TLS session instead of doing a full handshake where the server allows it.
 */
public final class TlsContexts {
    /** The protocol versions every TLS connection of the gateway offers or accepts. */
    static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private TlsContexts() {}

    /** The engine new contexts use: {@link SslProvider#OPENSSL} when available, else {@link SslProvider#JDK}. */
    public static SslProvider provider() {
        return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    /** A human-readable name of the engine in use, for the start-up log. */
    public static String describe() {
        return OpenSsl.isAvailable()
                ? "OpenSSL (" + OpenSsl.versionString() + ")"
                : "JDK (OpenSSL unavailable: " + String.valueOf(OpenSsl.unavailabilityCause()) + ")";
    }

    /**
     * What OpenSSL may queue per upstream connection for records it writes outside a {@code wrap} (Netty's default is
     * 2,048 bytes, allocated natively with each engine and held for the connection's life). A client without a
     * certificate writes little there: its last handshake flight (TLS 1.3 Finished, about 60 bytes; TLS 1.2 key
     * exchange + Finished, about 130) and alerts. More is not lost: the engine flushes it through the next wrap.
     */
    static final int UPSTREAM_NON_APPLICATION_BUFFER = 256;

    /**
     * Client context for upstream connections, trusting {@code trust} ({@link TrustMaterial#nettyClient()}), and
     * verifying the certificate against the host name each engine is made for ({@code HTTPS} endpoint
     * identification, RFC 2818/6125), not only against the trust roots. Set here once for every engine the context
     * makes, rather than by rebuilding each engine's {@code SSLParameters} per connection (#19).
     */
    static SslContext upstreamClient(TrustManager trust) throws SSLException {
        SslContext ctx = SslContextBuilder.forClient()
                .sslProvider(provider())
                .trustManager(trust)
                .protocols(PROTOCOLS)
                .endpointIdentificationAlgorithm("HTTPS")
                .build();
        if (ctx instanceof ReferenceCountedOpenSslContext openSsl) {
            // one per idle connection: 1.75 KiB of native memory less for each (bench/README.md, #19)
            openSsl.setBioNonApplicationBufferSize(UPSTREAM_NON_APPLICATION_BUFFER);
        }
        return ctx;
    }

    /** Server context for the client listener, from PEM streams (read once, so a reload builds what it checked). */
    public static SslContext listener(java.io.InputStream certChainPem, java.io.InputStream keyPem)
            throws SSLException {
        try {
            return SslContextBuilder.forServer(certChainPem, keyPem)
                    .sslProvider(provider())
                    .protocols(PROTOCOLS)
                    .build();
        } catch (IllegalArgumentException e) {
            throw new SSLException(e.getMessage(), e);
        }
    }
}
