package io.github.redisentra.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UserLocksTest {
    static final Instant T0 = Instant.parse("2026-12-04T12:00:00Z");
    static final String OID = "6F1D3C52-5B1A-4D2E-9A57-1F0C2B7E9D01";

    static Clock at(Instant t) {
        return Clock.fixed(t, ZoneOffset.UTC);
    }

    @Test
    void refusesCredentialsIssuedUpToTheLockUntilItExpires(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("locks.json");
        UserLocks locks = UserLocks.file(file, at(T0));
        locks.lock(OID, Duration.ofHours(1), "incident 42");
        assertThat(locks.refusing(OID.toLowerCase(), T0.minusSeconds(1))).isPresent();
        assertThat(locks.refusing(OID, T0)).as("iat in the second of the lock").isPresent();
        assertThat(locks.refusing(OID, T0.plusSeconds(1))).isEmpty();
        assertThat(locks.refusing(OID, null)).as("directory password: no iat").isPresent();
        assertThat(locks.refusing("someone-else", null)).isEmpty();

        UserLocks later = UserLocks.file(file, at(T0.plus(Duration.ofMinutes(59))));
        assertThat(later.active()).singleElement().satisfies(l -> {
            assertThat(l.user()).isEqualTo(OID.toLowerCase());
            assertThat(l.reason()).isEqualTo("incident 42");
            assertThat(l.expiresAt()).isEqualTo(T0.plus(Duration.ofHours(1)));
        });
        UserLocks expired = UserLocks.file(file, at(T0.plus(Duration.ofHours(1))));
        assertThat(expired.active()).isEmpty();
        assertThat(expired.refusing(OID, T0.minusSeconds(1))).isEmpty();
    }

    @Test
    void unlockPersistsAndABrokenFileStopsTheStart(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("locks.json");
        UserLocks locks = UserLocks.file(file, at(T0));
        locks.lock("Directory.User", null, null);
        assertThat(locks.unlock("directory.user")).isPresent();
        assertThat(UserLocks.file(file, at(T0)).active()).isEmpty();
        assertThat(locks.unlock("directory.user")).isEmpty();

        Files.writeString(file, "{\"locks\":[{\"user\":\"x\"}]}");
        assertThatThrownBy(() -> UserLocks.file(file, at(T0)))
                .hasMessageContaining("USER_LOCKS_FILE " + file + " is not a locks file");
    }
}
