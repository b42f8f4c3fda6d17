package io.github.redisentra.gateway.acl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.redisentra.core.RefreshPolicy;
import io.github.redisentra.core.StaticTokenSource;
import io.github.redisentra.gateway.auth.Principal;
import io.github.redisentra.gateway.config.GatewayConfig;
import io.github.redisentra.gateway.identity.UpstreamIdentity;
import io.github.redisentra.gateway.upstream.UpstreamCredentials;
import java.io.StringReader;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Roles' {@code upstream:} blocks: parsing, which identity a principal gets, and the identities' lifecycle. */
class RoleUpstreamsTest {
    static final Path FILE = Path.of("roles.yaml");

    static RolePolicy parse(String yaml) throws RolePolicy.InvalidPolicyException {
        return RolePolicy.parse(FILE, new StringReader(yaml), CommandTable.builtIn());
    }

    static Principal principal(String... groups) {
        return new Principal("oid", "tid", "name", Instant.MAX, Set.of(groups), Set.of());
    }

    static final String POLICY = """
            roles:
              readers:
                match: {groups: [r]}
                rules: +@read ~*
                upstream:
                  managedIdentityClientId: 0f0f0f0f-0000-4000-8000-000000000001
              lookers:
                match: {groups: [l]}
                rules: +@read ~*
                upstream: {managedIdentityClientId: 0f0f0f0f-0000-4000-8000-000000000001}
              writers:
                match: {groups: [w]}
                rules: +@all ~*
                upstream:
                  tokenCommand: print-writer-token
                  objectId: 0f0f0f0f-0000-4000-8000-0000000000bb
              plain:
                match: {groups: [p]}
                rules: +@all ~*
            """;

    @Test
    void blocksParseToGatewaySettingsAndEqualBlocksAreOneIdentity() throws Exception {
        RolePolicy p = parse(POLICY);
        assertThat(p.upstreams()).hasSize(2);
        assertThat(p.roles().get(0).upstream()).isEqualTo(p.roles().get(1).upstream());
        assertThat(p.roles().get(0).upstream().settings())
                .isEqualTo(Map.of("UAMI_CLIENT_ID", "0f0f0f0f-0000-4000-8000-000000000001"));
        assertThat(p.roles().get(2).upstream().settings())
                .isEqualTo(Map.of(
                        "LOCAL_REDIS_TOKEN_COMMAND",
                        "print-writer-token",
                        "REDIS_AAD_OBJECT_ID",
                        "0f0f0f0f-0000-4000-8000-0000000000bb"));
        assertThat(p.roles().get(2).upstream().toString()).doesNotContain("print-writer-token");
        assertThat(p.roles().get(3).upstream()).isNull();
    }

    @Test
    void badBlocksAreReportedWithLineAndField() {
        String yaml = """
                roles:
                  a:
                    match: {groups: [a]}
                    rules: +@read
                    upstream:
                      password: nope
                  b:
                    match: {groups: [b]}
                    rules: +@read
                    upstream: {}
                  c:
                    match: {groups: [c]}
                    rules: +@read
                    upstream: just-a-string
                """;
        assertThatThrownBy(() -> parse(yaml))
                .isInstanceOf(RolePolicy.InvalidPolicyException.class)
                .satisfies(e -> assertThat(((RolePolicy.InvalidPolicyException) e).problems())
                        .containsExactly(
                                "roles.yaml:6:7: roles.a.upstream: unknown field 'password' (allowed: [awsIamUserId,"
                                        + " clientCertificatePath, clientId, federatedTokenFile,"
                                        + " managedIdentityClientId, objectId, tenantId, tokenCommand])",
                                "roles.yaml:6:7: roles.a.upstream: names no identity (fields: [awsIamUserId,"
                                        + " clientCertificatePath, clientId, federatedTokenFile,"
                                        + " managedIdentityClientId, objectId, tenantId, tokenCommand])",
                                "roles.yaml:10:15: roles.b.upstream: names no identity (fields: [awsIamUserId,"
                                        + " clientCertificatePath, clientId, federatedTokenFile,"
                                        + " managedIdentityClientId, objectId, tenantId, tokenCommand])",
                                "roles.yaml:14:15: roles.c.upstream: expected a mapping (key: value lines)"));
    }

    /** Identities on static tokens (no network): what the gateway builds, minus the token service. */
    static final class Built {
        final List<Map<String, String>> created = new ArrayList<>();
        final RoleUpstreams identities = new RoleUpstreams(settings -> {
            if (settings.containsKey("AZURE_CLIENT_CERTIFICATE_PATH")) {
                throw new IllegalArgumentException("no such certificate");
            }
            created.add(settings);
            return UpstreamIdentity.of(
                    StaticTokenSource.of(
                            "secret-" + created.size(), Instant.now().plusSeconds(3600)),
                    RefreshPolicy.defaults(),
                    "user-" + created.size());
        });
    }

    @Test
    void aPrincipalGetsItsRolesIdentityOrTheGatewaysAndDisagreeingRolesAreRefused() throws Exception {
        Built b = new Built();
        RolePolicy p = parse(POLICY);
        AccessControl ac = new AccessControl(p, b.identities);
        UpstreamCredentials gateway = UpstreamCredentials.password("gw", "pw");
        UpstreamCredentials reader = ac.upstreamFor(principal("r"), gateway, null);
        assertThat(reader).isNotNull().isNotSameAs(gateway);
        assertThat(ac.upstreamFor(principal("l"), gateway, null)).isSameAs(reader);
        assertThat(ac.upstreamFor(principal("r", "l"), gateway, null)).isSameAs(reader);
        assertThat(ac.upstreamFor(principal("w"), gateway, null)).isNotNull().isNotSameAs(reader);
        assertThat(ac.upstreamFor(principal("p"), gateway, null)).isSameAs(gateway);
        // two identities, or an identity and the gateway's own: no ceiling is picked, the user is refused
        assertThat(ac.upstreamFor(principal("r", "w"), gateway, null)).isNull();
        assertThat(ac.upstreamFor(principal("r", "p"), gateway, null)).isNull();
        assertThat(b.created).hasSize(2);
        assertThat(b.identities.size()).isEqualTo(2);
        b.identities.close();
    }

    @Test
    void readinessNamesTheRoleIdentityWhoseTokenRunsOut() throws Exception {
        Instant soon = Instant.now().plusSeconds(30);
        RoleUpstreams ids = new RoleUpstreams(settings -> UpstreamIdentity.of(
                StaticTokenSource.of(
                        "secret",
                        settings.containsKey("UAMI_CLIENT_ID")
                                ? soon
                                : Instant.now().plusSeconds(3600)),
                RefreshPolicy.defaults(),
                "user"));
        try (ids) {
            new AccessControl(parse(POLICY), ids);
            ids.firstTokens().get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(ids.tokenProblem(Instant.now())).isEmpty();
            assertThat(ids.tokenProblem(Instant.now().plusSeconds(60)))
                    .hasValueSatisfying(p -> assertThat(p)
                            .startsWith("roles.readers.upstream: token expires at ")
                            .doesNotContain("roles.writers")
                            .doesNotContain("secret"));
        }
    }

    @Test
    void withoutIdentitiesARoleNamingOneIsRefusedNotGivenTheGatewaysIdentity() throws Exception {
        AccessControl ac = new AccessControl(parse(POLICY));
        UpstreamCredentials gateway = UpstreamCredentials.password("gw", "pw");
        assertThat(ac.upstreamFor(principal("r"), gateway, null)).isNull();
        assertThat(ac.upstreamFor(principal("p"), gateway, null)).isSameAs(gateway);
    }

    @Test
    void reloadsBuildNewIdentitiesOnceCloseUnusedOnesAndRejectUnbuildableOnes() throws Exception {
        Built b = new Built();
        AccessControl ac = new AccessControl(parse(POLICY), b.identities);
        UpstreamCredentials gateway = UpstreamCredentials.password("gw", "pw");
        UpstreamCredentials reader = ac.upstreamFor(principal("r"), gateway, null);

        ac.install(parse(POLICY.replace("tokenCommand: print-writer-token", "tokenCommand: other")));
        assertThat(b.created).hasSize(3); // only the changed identity is new
        assertThat(b.identities.size()).isEqualTo(2); // the old writer identity was closed
        assertThat(ac.upstreamFor(principal("r"), gateway, null)).isSameAs(reader);

        RolePolicy before = ac.current();
        String broken = POLICY.replace("tokenCommand: print-writer-token", "clientCertificatePath: /nope.pem");
        assertThatThrownBy(() -> ac.install(parse(broken)))
                .isInstanceOf(RolePolicy.InvalidPolicyException.class)
                .hasMessageContaining(
                        "roles.yaml:15:7: roles.writers.upstream: cannot build the identity:" + " no such certificate");
        assertThat(ac.current()).isSameAs(before);
        assertThat(b.identities.size()).isEqualTo(2);
        b.identities.close();
        assertThat(b.identities.size()).isZero();
    }

    @Test
    void aDerivedConfigurationReplacesEveryIdentitySettingAndKeepsTheRest() throws Exception {
        GatewayConfig base = GatewayConfig.from(Map.of(
                "TENANT_ID", "72f988bf-86f1-41af-91ab-2d7cd011db47",
                "EXPECTED_AUDIENCE", "api://gateway",
                "ALLOW_ANY_TENANT_USER", "true",
                "REDIS_HOSTPORT", "cache.example:6380",
                "LISTEN_ADDR", "127.0.0.1:0",
                "UAMI_CLIENT_ID", "0f0f0f0f-0000-4000-8000-000000000009",
                "REDIS_AAD_OBJECT_ID", "0f0f0f0f-0000-4000-8000-0000000000aa"));
        GatewayConfig d = base.withUpstreamIdentity(Map.of("LOCAL_REDIS_TOKEN_COMMAND", "print-token"));
        assertThat(d.upstreamIdentity().source())
                .isEqualTo(io.github.redisentra.gateway.config.UpstreamCredentialSource.TOKEN_COMMAND);
        assertThat(d.upstreamIdentity().uamiClientId()).isEmpty();
        assertThat(d.upstreamIdentity().objectId()).isEmpty();
        assertThat(d.upstream().address()).isEqualTo(base.upstream().address());
        GatewayConfig mi = base.withUpstreamIdentity(Map.of("UAMI_CLIENT_ID", "0f0f0f0f-0000-4000-8000-000000000002"));
        assertThat(mi.upstreamIdentity().source())
                .isEqualTo(io.github.redisentra.gateway.config.UpstreamCredentialSource.MANAGED_IDENTITY);
        assertThat(mi.upstreamIdentity().uamiClientId()).contains("0f0f0f0f-0000-4000-8000-000000000002");
    }
}
