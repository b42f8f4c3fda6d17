package io.github.redisentra.gateway.acl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.redisentra.gateway.auth.Principal;
import io.github.redisentra.gateway.config.DirectoryGroups;
import java.io.StringReader;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RolePolicyTest {
    static final Path FILE = Path.of("roles.yaml");
    static final CommandTable T = CommandTable.builtIn();

    static RolePolicy parse(String yaml) throws RolePolicy.InvalidPolicyException {
        return RolePolicy.parse(FILE, new StringReader(yaml), T);
    }

    static Principal principal(Set<String> groups, Set<String> roles) {
        return new Principal("oid", "tid", "name", Instant.MAX, groups, roles);
    }

    @Test
    void everyProblemIsReportedWithLineColumnAndField() {
        String yaml = """
                roles:
                  readers:
                    match:
                      groups: [g1]
                    rules: +@read ~app:* +nosuchcommand
                  writers:
                    match:
                      group: [g2]
                    rules: +@write
                  empty:
                    match: {}
                    rules: +@bogus
                  norules:
                    match:
                      appRoles: Redis.X
                extra: 1
                """;
        assertThatThrownBy(() -> parse(yaml))
                .isInstanceOf(RolePolicy.InvalidPolicyException.class)
                .satisfies(e -> assertThat(((RolePolicy.InvalidPolicyException) e).problems())
                        .containsExactly(
                                "roles.yaml:16:1: (top level): unknown field 'extra' (allowed: [roles])",
                                "roles.yaml:5:12: roles.readers.rules: ACL rule '+nosuchcommand': unknown command"
                                        + " 'nosuchcommand'",
                                "roles.yaml:8:7: roles.writers.match: unknown field 'group' (allowed: [groups,"
                                        + " appRoles])",
                                "roles.yaml:8:7: roles.writers.match: names no group and no app role, so the role"
                                        + " matches nobody",
                                "roles.yaml:11:12: roles.empty.match: names no group and no app role, so the role"
                                        + " matches nobody",
                                "roles.yaml:12:12: roles.empty.rules: ACL rule '+@bogus': unknown command category"
                                        + " 'bogus' (known: " + T.categories() + ")",
                                "roles.yaml:14:5: roles.norules: missing 'rules' (Redis ACL rules such as \"+@read"
                                        + " ~app:*\")"));
    }

    @Test
    void yamlSyntaxErrorsAndDuplicatesCarryTheirPosition() {
        assertThatThrownBy(() -> parse("roles:\n  a: [\n")).hasMessageStartingWith("roles.yaml:3:1: not valid YAML");
        assertThatThrownBy(
                        () -> parse("roles:\n  a:\n    match: {groups: [g]}\n    rules: +get\n  a:\n    rules: +set\n"))
                .hasMessage("roles.yaml:5:3: roles: role 'a' is defined twice");
        assertThatThrownBy(() -> parse("roles:\n  a:\n    match: {groups: [g]}\n    rules: +get\n    rules: +set\n"))
                .hasMessage("roles.yaml:5:5: roles.a: field 'rules' appears twice");
        assertThatThrownBy(() -> parse("")).hasMessage("roles.yaml: the file is empty; it needs a 'roles' mapping");
        assertThatThrownBy(() -> parse("roles: []\n"))
                .hasMessage("roles.yaml:1:8: roles: expected a mapping (key: value lines)");
        assertThatThrownBy(() -> parse("roles:\n  r:\n    match: {groups: [g]}\n    rules: ~a* allkeys ~b*\n"))
                .hasMessageContaining("ACL rule '~b*': adding a pattern after the * pattern");
    }

    @Test
    void directoryGroupDnsCompareNormalizedAsTheLdapAuthenticatorReportsThem() throws Exception {
        RolePolicy p = parse("""
                roles:
                  by-dn:
                    match:
                      groups: ["CN=Redis Writers, OU=Groups, DC=example, DC=com"]
                    rules: +@write ~w:*
                  by-name:
                    match:
                      groups: ["name:Redis Readers"]
                    rules: +@read ~r:*
                """);
        assertThat(p.warnings()).isEmpty();
        // What the LDAP authenticator makes of a user's group DNs.
        Principal writer = ldapUser("CN=Redis Writers,OU=Groups,DC=example,DC=com");
        Principal reader = ldapUser("cn=REDIS READERS,ou=elsewhere,dc=example,dc=com");
        assertThat(p.matching(writer)).extracting(RolePolicy.Role::name).containsExactly("by-dn");
        assertThat(p.matching(reader)).extracting(RolePolicy.Role::name).containsExactly("by-name");
        assertThat(p.matching(ldapUser("cn=redis writers,ou=other,dc=example,dc=com")))
                .as("same name, other DN: a DN value matches that DN only")
                .isEmpty();
    }

    static Principal ldapUser(String... groupDns) {
        return principal(DirectoryGroups.of(java.util.List.of(groupDns)), Set.of());
    }

    @Test
    void aGroupNamedLikeARolesDnInAnotherOuDoesNotMatchIt() throws Exception {
        RolePolicy p = parse("""
                roles:
                  writers:
                    match:
                      groups: ["cn=Redis Writers,ou=groups,dc=example,dc=com"]
                    rules: +@all allkeys
                """);
        // Anyone allowed to create groups in a self-service OU can name one "cn=Redis Writers,ou=groups,...": its
        // first RDN value (its name) then spells the real group's DN.
        Principal spoof = ldapUser(
                "cn=cn\\=Redis Writers\\,ou\\=groups\\,dc\\=example\\,dc\\=com,ou=self-service," + "dc=example,dc=com");
        assertThat(spoof.groups()).contains("name:cn=redis writers,ou=groups,dc=example,dc=com");
        assertThat(p.matching(spoof)).isEmpty();
        assertThat(p.permissionsFor(spoof)).isNull();
        // An explicit name: value does match by name, in any OU: that is what it says.
        RolePolicy byName = parse("roles:\n  w:\n    match: {groups: [\"name:redis writers\"]}\n    rules: +get\n");
        assertThat(byName.matching(ldapUser("cn=Redis Writers,ou=self-service,dc=example,dc=com")))
                .hasSize(1);
        assertThat(byName.matching(spoof)).isEmpty();
    }

    @Test
    void aBareGroupNameIsAWarningAndMatchesNoDirectoryGroup() throws Exception {
        RolePolicy p = parse("roles:\n  w:\n    match:\n      groups: [Redis Writers]\n    rules: +get\n");
        assertThat(p.warnings())
                .containsExactly("roles.yaml:4:15: roles.w.match.groups: \"Redis Writers\" matches no group: it is not"
                        + " an Entra group object id (GUID) nor a directory group DN. To match every directory group"
                        + " named \"Redis Writers\" (in any OU) write \"name:Redis Writers\"; to match one group, its"
                        + " DN");
        assertThat(p.matching(ldapUser("cn=Redis Writers,ou=groups,dc=example,dc=com")))
                .isEmpty();
        assertThatThrownBy(
                        () -> parse(
                                "roles:\n  w:\n    match:\n      groups: [\"cn=x,,\", \"name: \", \"name:ok\"]\n    rules: +get\n"))
                .isInstanceOf(RolePolicy.InvalidPolicyException.class)
                .satisfies(e -> assertThat(((RolePolicy.InvalidPolicyException) e).problems())
                        .containsExactly(
                                "roles.yaml:4:15: roles.w.match.groups: \"cn=x,,\" is not a valid DN (RFC 4514): write a"
                                        + " group DN such as cn=Redis Users,ou=groups,dc=example,dc=com, or"
                                        + " name:<group name>",
                                "roles.yaml:4:15: roles.w.match.groups: \"name:\": name: needs a group name after it"));
    }

    @Test
    void rolesMatchByGroupIgnoringCaseByDirectoryGroupAndByAppRoleAndUnite() throws Exception {
        RolePolicy p = parse("""
                roles:
                  readers:
                    match:
                      groups: [AAAAAAAA-0000-4000-8000-000000000001, "CN=Redis Readers,OU=Groups,DC=example,DC=com"]
                    rules: +@read ~app:*
                  writers:
                    match:
                      appRoles: [Redis.Write]
                    rules: [+@write, "~app:*"]
                """);
        assertThat(p.matching(principal(Set.of("aaaaaaaa-0000-4000-8000-000000000001"), Set.of())))
                .extracting(RolePolicy.Role::name)
                .containsExactly("readers");
        assertThat(p.matching(principal(Set.of("cn=redis readers,ou=groups,dc=example,dc=com"), Set.of())))
                .extracting(RolePolicy.Role::name)
                .containsExactly("readers");
        assertThat(p.matching(principal(Set.of(), Set.of("redis.write")))).isEmpty(); // app roles are exact
        Principal both = principal(Set.of("aaaaaaaa-0000-4000-8000-000000000001"), Set.of("Redis.Write"));
        assertThat(p.matching(both)).extracting(RolePolicy.Role::name).containsExactly("readers", "writers");
        Permissions perms = p.permissionsFor(both);
        assertThat(perms.check(Args.of("GET", "app:1")).allowed()).isTrue();
        assertThat(perms.check(Args.of("SET", "app:1", "v")).allowed()).isTrue();
        assertThat(perms.check(Args.of("SET", "x", "v")).reason()).isEqualTo("key");
        assertThat(p.permissionsFor(both)).isSameAs(perms); // shared per role set
        assertThat(p.permissionsFor(principal(Set.of("x"), Set.of()))).isNull();
        assertThat(p.groupsOfInterest())
                .containsExactlyInAnyOrder(
                        "aaaaaaaa-0000-4000-8000-000000000001", "cn=redis readers,ou=groups,dc=example,dc=com");
        assertThat(p.appRolesOfInterest()).containsExactly("Redis.Write");
    }
}
