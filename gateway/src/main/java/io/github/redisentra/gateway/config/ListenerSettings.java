package io.github.redisentra.gateway.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The client-facing RESP listener: {@code LISTEN_ADDR}, {@code LISTEN_TLS_CERT_FILE} / {@code LISTEN_TLS_KEY_FILE}
 * (checked every {@code LISTEN_TLS_RELOAD_INTERVAL}; {@link Duration#ZERO}: never) and
 * {@code ALLOW_PLAINTEXT_LISTENER}.
 */
public record ListenerSettings(
        HostPort address,
        Optional<Path> tlsCertFile,
        Optional<Path> tlsKeyFile,
        Duration tlsReloadInterval,
        boolean allowPlaintext) {

    /** Whether the client-facing listener uses TLS. */
    public boolean tls() {
        return tlsCertFile.isPresent() && tlsKeyFile.isPresent();
    }
}
