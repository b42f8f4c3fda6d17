package io.github.redisentra.gateway.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * {@code ROLES_FILE} (checked readable here; read and validated by the gateway's assembly, which reports its problems
 * with the other settings') and {@code ROLES_RELOAD_INTERVAL}.
 */
public record RolesSettings(Optional<Path> file, Duration reloadInterval) {}
