package io.github.redisentra.gateway.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The gateway's HTTPS client (Entra metadata and keys, Microsoft Graph, token endpoints): {@code HTTP_TIMEOUT} and the
 * extra trusted CA certificates of {@code HTTPS_CA_FILE}.
 */
public record HttpSettings(Duration timeout, Optional<Path> caFile) {}
