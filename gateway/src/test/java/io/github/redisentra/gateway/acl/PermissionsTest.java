package io.github.redisentra.gateway.acl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.redisentra.gateway.auth.EntraAuthenticator;
import io.github.redisentra.gateway.auth.GroupPolicy;
import java.io.StringReader;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The gateway's rules on top of Redis's (the Redis part is checked against redis-server by AclOracleIT). */
class PermissionsTest {
    static final CommandTable T = CommandTable.builtIn();

    static Permissions perms(String... roles) {
        return new Permissions(
                T,
                java.util.Arrays.stream(roles)
                        .map(r -> AclSelector.compile(T, r))
                        .toList());
    }

    static String reason(Permissions p, String... cmd) {
        return p.check(Args.of(cmd)).reason();
    }

    @Test
    void sharedIdentityCommandsNeedAGrantByName() {
        Permissions all = perms("+@all allkeys allchannels");
        assertThat(reason(all, "GET", "k")).isEqualTo("allowed");
        assertThat(reason(all, "FLUSHALL")).isEqualTo("command");
        assertThat(reason(all, "CONFIG", "GET", "maxmemory")).isEqualTo("command");
        assertThat(reason(all, "CLIENT", "LIST")).isEqualTo("command");
        assertThat(reason(all, "CLIENT", "INFO")).isEqualTo("allowed"); // the client's own connection
        assertThat(reason(all, "EVAL", "return 1", "0")).isEqualTo("command");
        assertThat(reason(all, "MONITOR")).isEqualTo("command");

        Permissions named = perms("+@all allkeys allchannels +flushall +config|get +client");
        assertThat(reason(named, "FLUSHALL")).isEqualTo("allowed");
        assertThat(reason(named, "CONFIG", "GET", "maxmemory")).isEqualTo("allowed");
        assertThat(reason(named, "CONFIG", "SET", "maxmemory", "0")).isEqualTo("command");
        assertThat(reason(named, "CLIENT", "KILL", "ID", "1")).isEqualTo("allowed"); // +client names them all

        // a later category removal takes the explicit grant away, as it takes Redis's bit away
        assertThat(reason(perms("+flushall -@dangerous"), "FLUSHALL")).isEqualTo("command");
        // the explicit grant must come from the role that allows the command
        assertThat(reason(perms("+@all allkeys", "+flushall -flushall"), "FLUSHALL"))
                .isEqualTo("command");
    }

    @Test
    void clientUnblockAndTrackingBcastOrRedirectReachOtherUsersAndNeedAGrantByName() {
        // +@connection (in many read-only roles) includes CLIENT UNBLOCK and CLIENT TRACKING.
        for (Permissions p : List.of(perms("+@read +@connection ~app:*"), perms("+@all allkeys allchannels"))) {
            assertThat(reason(p, "CLIENT", "UNBLOCK", "42")).isEqualTo("command");
            assertThat(reason(p, "client", "unblock", "42", "ERROR")).isEqualTo("command");
            assertThat(reason(p, "CLIENT", "TRACKING", "on")).isEqualTo("allowed"); // own keys only
            assertThat(reason(p, "CLIENT", "TRACKING", "on", "OPTIN", "NOLOOP")).isEqualTo("allowed");
            assertThat(reason(p, "CLIENT", "TRACKING", "on", "PREFIX", "bcast")).isEqualTo("allowed");
            assertThat(reason(p, "CLIENT", "TRACKING", "on", "PREFIX", "app:", "bcast"))
                    .isEqualTo("command");
            assertThat(reason(p, "CLIENT", "TRACKING", "on", "Bcast")).isEqualTo("command");
            assertThat(reason(p, "CLIENT", "TRACKING", "on", "REDIRECT", "7")).isEqualTo("command");
        }
        assertThat(perms("+@read +@connection ~app:*")
                        .check(Args.of("CLIENT", "TRACKING", "on", "BCAST"))
                        .fullName())
                .isEqualTo("client|tracking");
        Permissions named = perms("+@read +@connection ~app:* +client|unblock +client|tracking");
        assertThat(reason(named, "CLIENT", "UNBLOCK", "42")).isEqualTo("allowed");
        assertThat(reason(named, "CLIENT", "TRACKING", "on", "BCAST")).isEqualTo("allowed");
        assertThat(reason(named, "CLIENT", "TRACKING", "on", "REDIRECT", "7")).isEqualTo("allowed");
    }

    @Test
    void unknownCommandsAndSubcommandsPassOnlyForAnUnrestrictedRole() {
        assertThat(reason(perms("+@all allkeys"), "MODULE.CMD", "k")).isEqualTo("command");
        assertThat(reason(perms("+@all allkeys allchannels"), "MODULE.CMD", "k"))
                .isEqualTo("allowed");
        Permissions.Verdict v = perms("+@all ~*").check(Args.of("CONFIG", "NEWSUB"));
        assertThat(v.fullName()).isEqualTo("config|newsub");
        assertThat(Permissions.errorLine(v, "7.0.15", "u"))
                .isEqualTo("-NOPERM this user has no permissions to run the 'config|newsub' command");
        String longName = "X".repeat(1000);
        assertThat(perms("+get").check(Args.of(longName)).fullName()).hasSize(128);
    }

    @Test
    void sortPatternsNeedUnrestrictedKeyAccessAsInRedis() {
        Permissions limited = perms("+sort ~s:*");
        assertThat(reason(limited, "SORT", "s:1")).isEqualTo("allowed");
        assertThat(reason(limited, "SORT", "s:1", "BY", "nosort")).isEqualTo("allowed");
        Permissions.Verdict by = limited.check(Args.of("SORT", "s:1", "BY", "w_*"));
        assertThat(Permissions.errorLine(by, "7.0.15", "u"))
                .isEqualTo("-ERR BY option of SORT denied due to insufficient ACL permissions.");
        Permissions.Verdict get = limited.check(Args.of("SORT", "s:1", "LIMIT", "0", "1", "GET", "#"));
        assertThat(Permissions.errorLine(get, "7.0.15", "u"))
                .isEqualTo("-ERR GET option of SORT denied due to insufficient ACL permissions.");
        assertThat(reason(perms("+sort %R~*"), "SORT", "s:1", "GET", "o_*")).isEqualTo("allowed");
        assertThat(reason(perms("+sort ~s:*", "+sort allkeys"), "SORT", "s:1", "BY", "w_*"))
                .isEqualTo("allowed");
    }

    @Test
    void wordingFollowsTheUpstreamVersion() {
        Permissions p = perms("+get ~a*");
        Permissions.Verdict cmd = p.check(Args.of("SET", "a", "1"));
        Permissions.Verdict key = p.check(Args.of("GET", "b"));
        Permissions.Verdict channel = perms("+publish").check(Args.of("PUBLISH", "c", "m"));
        assertThat(Permissions.errorLine(cmd, "7.2.4", "oid-1"))
                .isEqualTo("-NOPERM User oid-1 has no permissions to run the 'set' command");
        assertThat(Permissions.errorLine(key, "7.4.0", "oid-1")).isEqualTo("-NOPERM No permissions to access a key");
        assertThat(Permissions.errorLine(channel, "8.0.1", "oid-1"))
                .isEqualTo("-NOPERM No permissions to access a channel");
        assertThat(Permissions.errorLine(key, "7.0.15", "oid-1"))
                .isEqualTo("-NOPERM this user has no permissions to access one of the keys used as arguments");
    }

    @Test
    void unsupportedRulesAreRefusedByName() {
        assertThatThrownBy(() -> AclSelector.compile(T, "on")).hasMessageStartingWith("ACL rule 'on': not a supported");
        assertThatThrownBy(() -> AclSelector.compile(T, ">secret")).hasMessageStartingWith("ACL rule '>secret'");
        assertThatThrownBy(() -> AclSelector.compile(T, "+config|nosuch"))
                .hasMessage("ACL rule '+config|nosuch': unknown subcommand 'nosuch' of 'config'");
        assertThatThrownBy(() -> AclSelector.compile(T, "+config|get|x"))
                .hasMessage("ACL rule '+config|get|x': allowing a first argument of a subcommand is not supported");
        assertThatThrownBy(() -> AclSelector.compile(T, "%X~a"))
                .hasMessage("ACL rule '%X~a': key permission flags are R and W");
        assertThatThrownBy(() -> AclSelector.compile(T, "allchannels &x"))
                .hasMessageContaining("'resetchannels' first");
    }

    @Test
    void entraAdmissionAsksOnlyForGroupObjectIds() throws Exception {
        RolePolicy p = RolePolicy.parse(
                null,
                new StringReader("roles:\n  r:\n    match:\n      groups: [AAAAAAAA-0000-4000-8000-000000000001,"
                        + " \"cn=x,dc=y\"]\n      appRoles: [R]\n    rules: +get\n"),
                T);
        GroupPolicy g = EntraAuthenticator.admission(Set.of(), p.groupsOfInterest(), p.appRolesOfInterest());
        assertThat(g.allowedGroups()).containsExactly("aaaaaaaa-0000-4000-8000-000000000001");
        assertThat(g.allowedRoles()).containsExactly("R");
        assertThat(g.evaluate(Set.of("AAAAAAAA-0000-4000-8000-000000000001"), Set.of())
                        .admitted())
                .isTrue();
        assertThat(g.evaluate(Set.of("other"), Set.of()).admitted()).isFalse();
        assertThat(List.of(g.evaluate(Set.of(), Set.of("R")).admitted())).containsExactly(true);
    }

    /** The leading {@code read} arguments of a command of {@code args.length} arguments, as a streamed head. */
    static Args head(int read, String... args) {
        Args all = Args.of(args);
        return new Args() {
            @Override
            public int count() {
                return args.length;
            }

            @Override
            public byte[] bytes(int i) {
                if (i >= read) {
                    throw Args.NotYetRead.INSTANCE;
                }
                return all.bytes(i);
            }
        };
    }

    @Test
    void aHeadIsDecidedFromItsKeysAndUndecidedWhileAKeyIsUnread() {
        Permissions reader = perms("+@read +@connection ~app:*");
        Permissions writer = perms("+@read +@write ~app:* &news.*");
        // the value of SET is no key: decided on SET and its key
        assertThat(reason(writer, "SET", "app:1", "v")).isEqualTo("allowed");
        assertThat(writer.check(head(2, "SET", "app:1", "v")).reason()).isEqualTo("allowed");
        assertThat(writer.check(head(2, "SET", "secret", "v")).reason()).isEqualTo("key");
        assertThat(writer.check(head(2, "PUBLISH", "other", "m")).reason()).isEqualTo("command");
        // the command decides first: no key needs reading
        assertThat(reader.check(head(1, "SET", "secret", "v")).reason()).isEqualTo("command");
        assertThat(reader.check(head(1, "EVAL", "script", "0")).reason()).isEqualTo("command");
        // a key at or after the unread argument (MGET's, MSET's, EVAL's numkeys) keeps it undecided
        assertThat(reader.check(head(1, "MGET", "app:1", "secret")).undecided()).isTrue();
        assertThat(writer.check(head(2, "MSET", "app:1", "v", "app:2", "w")).undecided())
                .isTrue();
        assertThat(perms("+eval ~s:*").check(head(1, "EVAL", "s", "1", "k")).undecided())
                .isTrue();
        // ... unless a key read before it is refused already (Redis stops at the first refused key too)
        assertThat(reader.check(head(2, "MGET", "secret", "app:1")).reason()).isEqualTo("key");
        // one role that allows it from what was read is enough
        assertThat(perms("~app:* +@read", "+@read allkeys")
                        .check(head(1, "MGET", "app:1", "secret"))
                        .reason())
                .isEqualTo("allowed");
        // refused as an unreadable key when the deciding argument will never be read
        Permissions.Verdict undecided = reader.check(head(1, "MGET", "app:1", "secret"));
        assertThat(Permissions.errorLine(reader.unreadable(undecided), "7.0.15", "u"))
                .isEqualTo("-NOPERM this user has no permissions to access one of the keys used as arguments");
    }
}
