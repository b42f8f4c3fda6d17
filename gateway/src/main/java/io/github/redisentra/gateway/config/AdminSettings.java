package io.github.redisentra.gateway.config;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The admin HTTP listener and its API: {@code ADMIN_ADDR} (empty when {@code off}), the API's bearer token
 * {@code ADMIN_API_TOKEN} (secret: never log it) and {@code USER_LOCKS_FILE}, where user locks are kept across
 * restarts (empty: in memory only).
 */
public record AdminSettings(Optional<HostPort> address, Optional<String> apiToken, Optional<Path> userLocksFile) {
    @Override
    public String toString() {
        return "AdminSettings[address=" + address + ", apiToken=" + (apiToken.isPresent() ? "<redacted>" : "(unset)")
                + ", userLocksFile=" + userLocksFile + "]";
    }
}
