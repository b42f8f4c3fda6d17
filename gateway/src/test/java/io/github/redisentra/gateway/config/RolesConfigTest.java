package io.github.redisentra.gateway.config;

import static io.github.redisentra.gateway.config.GatewayConfigTest.with;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.gateway.GatewaySetup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ROLES_FILE and ROLES_RELOAD_INTERVAL in the configuration: validated with the rest, at start (the file read by the
 * gateway's assembly, {@link GatewaySetup}, its problems reported with the settings').
 */
class RolesConfigTest {
    @TempDir
    Path dir;

    @Test
    void aValidRolesFileIsTheAuthorizationRule() throws Exception {
        Path f = Files.writeString(
                dir.resolve("roles.yaml"), "roles:\n  r:\n    match: {appRoles: [Redis.Read]}\n    rules: +@read\n");
        GatewaySetup s = GatewaySetup.read(with("REQUIRED_GROUP_IDS", null, "ROLES_FILE", f.toString()));
        GatewayConfig c = s.config();
        assertThat(s.roles()).isPresent();
        assertThat(c.roles().file()).contains(f);
        assertThat(c.roles().reloadInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(GatewaySetup.read(minimal()).roles()).isEmpty();
    }

    /** The problems reported for {@code m}, the roles file read as the gateway reads it (assembly). */
    static java.util.List<String> problems(java.util.Map<String, String> m) {
        try {
            GatewaySetup.read(m);
        } catch (ConfigException e) {
            return e.problems();
        }
        throw new AssertionError("configuration was accepted");
    }

    private static java.util.Map<String, String> minimal() {
        return GatewayConfigTest.minimal();
    }

    @Test
    void rolesFileProblemsAreConfigurationProblemsWithTheirPositions() throws Exception {
        Path f = Files.writeString(
                dir.resolve("roles.yaml"), "roles:\n  r:\n    match: {groups: [g]}\n    rules: +@read +nosuch\n");
        assertThat(problems(with("ROLES_FILE", f.toString(), "ALLOWED_APP_ROLES", "Redis.User")))
                .containsExactly(
                        "ROLES_FILE " + f + ":4:12: roles.r.rules: ACL rule '+nosuch': unknown command 'nosuch'",
                        "ROLES_FILE decides who is admitted (a user must match a role): unset ALLOWED_GROUP_IDS and"
                                + " ALLOWED_APP_ROLES and name those groups and app roles in the roles' match"
                                + " instead");
        assertThat(problems(with("ROLES_FILE", dir.resolve("missing.yaml").toString())))
                .containsExactly("ROLES_FILE names a file that does not exist or is not readable: \""
                        + dir.resolve("missing.yaml") + "\"");
        assertThat(problems(with("ROLES_FILE", f.toString(), "ROLES_RELOAD_INTERVAL", "soon")))
                .contains("ROLES_RELOAD_INTERVAL must be a duration such as 30s, 5m, 1h, 500ms or PT1M, got \"soon\"");
    }
}
