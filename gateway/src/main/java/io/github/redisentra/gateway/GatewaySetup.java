package io.github.redisentra.gateway;

import io.github.redisentra.gateway.acl.CommandTable;
import io.github.redisentra.gateway.acl.RolePolicy;
import io.github.redisentra.gateway.auth.AuditLog;
import io.github.redisentra.gateway.auth.EntraAuthenticator;
import io.github.redisentra.gateway.auth.GraphGroups;
import io.github.redisentra.gateway.auth.GroupPolicy;
import io.github.redisentra.gateway.config.ConfigException;
import io.github.redisentra.gateway.config.EntraSettings;
import io.github.redisentra.gateway.config.GatewayConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The configuration and the roles file it names ({@code ROLES_FILE}), read together: reading the roles file is
 * assembly (it needs {@code acl}), not configuration, yet its problems are reported with the settings' problems, each
 * prefixed {@code ROLES_FILE} and with its position in the file.
 *
 * @param roles the roles file, validated (per-role permissions), or empty when {@code ROLES_FILE} is unset
 */
public record GatewaySetup(GatewayConfig config, Optional<RolePolicy> roles) {

    /** Reads the configuration from {@code values} (setting name → value) and the roles file it names. */
    public static GatewaySetup read(Map<String, String> values) throws ConfigException {
        RolePolicy[] loaded = new RolePolicy[1];
        GatewayConfig config = GatewayConfig.from(values, file -> {
            try {
                loaded[0] = RolePolicy.load(file, CommandTable.builtIn());
                return List.of();
            } catch (RolePolicy.InvalidPolicyException e) {
                return e.problems();
            }
        });
        return new GatewaySetup(config, Optional.ofNullable(loaded[0]));
    }

    /**
     * Who the Entra authenticator admits: with a roles file, a member of a role's group or holder of a role's app role
     * (and of every {@code REQUIRED_GROUP_IDS} group); without, the {@code *_GROUP_IDS} / {@code ALLOWED_APP_ROLES}
     * rules.
     */
    public static GroupPolicy entraAdmission(EntraSettings entra, Optional<RolePolicy> roles) {
        return roles.map(p -> EntraAuthenticator.admission(
                        entra.requiredGroupIds(), p.groupsOfInterest(), p.appRolesOfInterest()))
                .orElseGet(() ->
                        new GroupPolicy(entra.requiredGroupIds(), entra.allowedGroupIds(), entra.allowedAppRoles()));
    }

    /** The Entra authenticator the settings and the roles describe; call its {@code start()} to load the keys. */
    public EntraAuthenticator entraAuthenticator(GraphGroups.BearerToken graphToken, AuditLog audit, Clock clock)
            throws GeneralSecurityException, IOException {
        return EntraAuthenticator.create(
                config.entra(), entraAdmission(config.entra(), roles), graphToken, audit, clock);
    }

    /** Reads the roles file that {@code config} (read already) names. */
    public static GatewaySetup of(GatewayConfig config) throws ConfigException {
        Optional<Path> file = config.roles().file();
        if (file.isEmpty()) {
            return new GatewaySetup(config, Optional.empty());
        }
        try {
            return new GatewaySetup(config, Optional.of(RolePolicy.load(file.get(), CommandTable.builtIn())));
        } catch (RolePolicy.InvalidPolicyException e) {
            throw new ConfigException(
                    e.problems().stream().map(p -> "ROLES_FILE " + p).toList());
        }
    }
}
