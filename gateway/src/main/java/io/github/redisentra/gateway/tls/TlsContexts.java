package io.github.redisentra.gateway.tls;

import io.netty.handler.ssl.OpenSsl;
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

    /** Client context for upstream connections, trusting {@code trust} ({@link TrustMaterial#nettyClient()}). */
    static SslContext upstreamClient(TrustManager trust) throws SSLException {
        return SslContextBuilder.forClient()
                .sslProvider(provider())
                .trustManager(trust)
                .protocols(PROTOCOLS)
                .build();
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
