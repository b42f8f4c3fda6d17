package io.github.redisentra.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AuditSettingsTest {
    @Test
    void defaultsAreNoAuditAndConnectionsNamedByOid() {
        List<String> problems = new ArrayList<>();
        AuditSettings s = AuditSettings.parse(new EnumMap<>(Setting.class), problems::add);
        assertThat(problems).isEmpty();
        assertThat(s).isEqualTo(new AuditSettings(AuditMode.OFF, 10_000, 65_536, UpstreamClientNameSource.OID));
    }

    @Test
    void valuesAreReadAndEveryBadOneIsReported() {
        List<String> problems = new ArrayList<>();
        AuditSettings s = AuditSettings.parse(
                new EnumMap<>(Map.of(
                        Setting.AUDIT_COMMANDS, "WRITES",
                        Setting.AUDIT_COMMANDS_PER_SECOND, "0",
                        Setting.AUDIT_COMMANDS_QUEUE, "1024",
                        Setting.UPSTREAM_CLIENT_NAME, "name")),
                problems::add);
        assertThat(problems).isEmpty();
        assertThat(s).isEqualTo(new AuditSettings(AuditMode.WRITES, 0, 1024, UpstreamClientNameSource.NAME));
        AuditSettings.parse(
                new EnumMap<>(Map.of(
                        Setting.AUDIT_COMMANDS, "yes",
                        Setting.AUDIT_COMMANDS_PER_SECOND, "-1",
                        Setting.AUDIT_COMMANDS_QUEUE, "lots",
                        Setting.UPSTREAM_CLIENT_NAME, "upn")),
                problems::add);
        assertThat(problems)
                .containsExactly(
                        "AUDIT_COMMANDS must be off, writes or all, got \"yes\"",
                        "AUDIT_COMMANDS_PER_SECOND must be an integer from 0 to 10000000, got \"-1\"",
                        "AUDIT_COMMANDS_QUEUE must be an integer from 16 to 16777216, got \"lots\"",
                        "UPSTREAM_CLIENT_NAME must be oid, name or off, got \"upn\"");
    }
}
