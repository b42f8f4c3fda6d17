package io.github.redisentra.gateway.it;

import io.github.redisentra.emulator.AppRegistration;
import io.github.redisentra.emulator.AppSpec;
import io.github.redisentra.emulator.EntraEmulator;
import io.github.redisentra.emulator.Tenant;
import io.github.redisentra.emulator.TokenRequest;
import io.github.redisentra.emulator.User;
import io.github.redisentra.gateway.GatewayServer;
import io.github.redisentra.gateway.GatewaySettings;
import io.github.redisentra.gateway.GatewaySetup;
import io.github.redisentra.gateway.acl.AccessControl;
import io.github.redisentra.gateway.auth.AuditLog;
import io.github.redisentra.gateway.auth.EntraAuthenticator;
import io.github.redisentra.gateway.config.GatewayConfig;
import io.github.redisentra.gateway.session.SessionSettings;
import io.github.redisentra.gateway.upstream.UpstreamCredentials;
import io.github.redisentra.gateway.upstream.UpstreamEndpoint;
import io.github.redisentra.testkit.RedisServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/**
 * What the role ITs share: a plaintext gateway in this JVM in front of a real redis-server (its admin user upstream)
 * whose roles file admits users by group, the Entra emulator's tenant the identity provider. Each test adds its own
 * users to {@link #tenant}. Closes the gateway, its authenticator, the server and the emulator, in that order; a start
 * that fails closes what it had started.
 */
final class RolesGateway implements AutoCloseable {
    final EntraEmulator emu;
    final Tenant tenant;
    final AppRegistration api;
    final RedisServer redis;
    final EntraAuthenticator auth;
    final GatewayServer gw;

    /**
     * @param dir where the roles file and the emulator's CA certificate are written
     * @param roles the roles file ({@code ROLES_FILE}): its text
     * @param session the gateway's session settings
     */
    RolesGateway(Path dir, String roles, SessionSettings session) throws Exception {
        emu = EntraEmulator.builder().build().start();
        try {
            tenant = emu.createTenant("contoso");
            api = tenant.registerApp(
                    AppSpec.api("gateway-api").acceptedTokenVersion(2).groupMembershipClaims(true));
            redis = RedisServer.start();
            Path rolesFile = Files.writeString(dir.resolve("roles.yaml"), roles);
            GatewayConfig config = GatewayConfig.from(Map.of(
                    "TENANT_ID", tenant.id(),
                    "EXPECTED_AUDIENCE", api.clientId(),
                    "ROLES_FILE", rolesFile.toString(),
                    "REDIS_HOSTPORT", "127.0.0.1:" + redis.port(),
                    "REDIS_TLS", "false",
                    "LISTEN_ADDR", "127.0.0.1:0",
                    "AZURE_AUTHORITY_HOST", emu.httpsBaseUrl().toString(),
                    "HTTPS_CA_FILE",
                            emu.writeCaCertificate(dir.resolve("ca.pem")).toString()));
            auth = GatewaySetup.of(config).entraAuthenticator(null, new AuditLog(), Clock.systemUTC());
            auth.start().get();
            gw = new GatewayServer(
                            GatewaySettings.loopback(0).withSession(session),
                            auth,
                            UpstreamEndpoint.plaintext("127.0.0.1", redis.port()),
                            UpstreamCredentials.password(redis.adminUsername(), redis.adminPassword()),
                            null,
                            new AccessControl(GatewaySetup.of(config).roles().orElseThrow()))
                    .start();
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    /** The gateway's listening port. */
    int port() {
        return gw.localAddress().getPort();
    }

    /** A token of {@code user} for the gateway, valid for half an hour. */
    String token(User user) {
        return emu.mintAccessToken(TokenRequest.forUser(tenant, user, api).lifetime(Duration.ofMinutes(30)));
    }

    @Override
    public void close() {
        for (AutoCloseable c : new AutoCloseable[] {gw, auth, redis, emu}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // keep closing the rest
            }
        }
    }
}
