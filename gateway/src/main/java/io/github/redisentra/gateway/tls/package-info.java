/**
 * TLS material in one place: {@link io.github.redisentra.gateway.tls.TrustMaterial} (the JVM's anchors plus an
 * optional CA file, as a trust manager, a JDK {@code SSLContext} and a Netty client context) for the upstream, LDAP and
 * HTTPS (OpenID metadata, signing keys, Graph, azure-identity); {@link io.github.redisentra.gateway.tls.KeyMaterial}
 * (a client certificate from PEM files); {@link io.github.redisentra.gateway.tls.TlsSockets} (blocking sockets limited
 * to TLS 1.3/1.2 with host-name verification) and {@link io.github.redisentra.gateway.tls.TlsContexts} (the Netty
 * engine, OpenSSL where available, for the client listener and the upstream).
 */
package io.github.redisentra.gateway.tls;
