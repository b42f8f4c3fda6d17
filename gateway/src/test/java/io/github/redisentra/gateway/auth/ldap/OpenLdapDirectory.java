package io.github.redisentra.gateway.auth.ldap;

import io.github.redisentra.testkit.OpenLdapServer;
import io.github.redisentra.testkit.TestCertificateAuthority;
import org.junit.jupiter.api.Assumptions;

/**
 * The directory the OpenLDAP tests sign in against: a real {@code slapd} ({@link OpenLdapServer}) seeded with users by
 * {@code slapadd} and with groups by {@code ldapadd} after start, so that the {@code memberof} overlay writes each
 * member's {@code memberOf}. The {@code ppolicy} overlay applies {@link #POLICY} to every user: {@value #MAX_FAILURE}
 * consecutive failed binds lock the account until an administrator unlocks it (the locked state is reported in the
 * password-policy response control), passwords older than a year have expired (no grace binds), and a password set
 * or reset by an administrator must be changed first.
 *
 * <p>Users (password {@code <name>-pw}, DN {@code uid=<name>,}{@link #PEOPLE}): {@code alice} (Redis Users, Redis
 * Readers), {@code walt} (Redis Writers), {@code bob} (no group), {@code expired} (Redis Users; password changed in
 * 2000), {@code reset} (Redis Users; {@code pwdReset: TRUE}), {@code locky} and {@code brute} (Redis Users; for lockout
 * tests), and the service account {@link #SVC_DN} / {@link #SVC_PW} under {@link #SERVICE_POLICY} (never locked). Same DNs as {@link TestDirectory}.
 */
public final class OpenLdapDirectory {
    public static final String BASE = TestDirectory.BASE;
    public static final String PEOPLE = TestDirectory.PEOPLE;
    public static final String GROUPS = TestDirectory.GROUPS;
    public static final String SVC_DN = TestDirectory.SVC_DN;
    public static final String SVC_PW = TestDirectory.SVC_PW;
    public static final String USERS_GROUP = "cn=Redis Users," + GROUPS;
    public static final String READERS_GROUP = "cn=Redis Readers," + GROUPS;
    public static final String WRITERS_GROUP = "cn=Redis Writers," + GROUPS;
    public static final String POLICY = "cn=default,ou=policies," + BASE;
    /** The service account's own policy: no lockout (a gateway with a wrong service password must not lock it). */
    public static final String SERVICE_POLICY = "cn=service,ou=policies," + BASE;

    public static final int MAX_FAILURE = 3;

    private OpenLdapDirectory() {}

    /** Skips the calling test (JUnit assumption) with what to install when slapd is not installed. */
    public static void assumeInstalled() {
        Assumptions.assumeTrue(
                OpenLdapServer.unavailable().isEmpty(),
                () -> "skipped: " + OpenLdapServer.unavailable().orElse("") + " (.ci/run installs it)");
    }

    /** A started slapd holding this directory, its certificate issued by {@code ca}. */
    public static OpenLdapServer start(TestCertificateAuthority ca) {
        return OpenLdapServer.builder(ca)
                .suffix(BASE)
                .defaultPasswordPolicy(POLICY)
                .slapadd(entries())
                .ldapadd(groups())
                .start();
    }

    public static String dn(String user) {
        return "uid=" + user + "," + PEOPLE;
    }

    static String entries() {
        StringBuilder b = new StringBuilder();
        b.append("""
                dn: %s
                objectClass: dcObject
                objectClass: organization
                dc: example
                o: example

                """.formatted(BASE));
        for (String ou : new String[] {"people", "groups", "svc", "policies"}) {
            b.append("dn: ou=%s,%s\nobjectClass: organizationalUnit\nou: %s\n\n".formatted(ou, BASE, ou));
        }
        b.append("""
                dn: %s
                objectClass: namedPolicy
                objectClass: pwdPolicy
                cn: default
                pwdAttribute: userPassword
                pwdMaxAge: 31536000
                pwdGraceAuthnLimit: 0
                pwdLockout: TRUE
                pwdMaxFailure: %d
                pwdLockoutDuration: 0
                pwdMustChange: TRUE
                pwdAllowUserChange: TRUE

                dn: %s
                objectClass: namedPolicy
                objectClass: pwdPolicy
                cn: service
                pwdAttribute: userPassword
                pwdLockout: FALSE

                dn: %s
                objectClass: person
                cn: svc
                sn: svc
                userPassword: %s
                pwdPolicySubentry: %s

                """.formatted(POLICY, MAX_FAILURE, SERVICE_POLICY, SVC_DN, SVC_PW, SERVICE_POLICY));
        for (String u : new String[] {"alice", "walt", "bob", "locky", "brute"}) {
            b.append(user(u));
        }
        b.append(user("expired")).append("pwdChangedTime: 20000101000000Z\n\n");
        b.append(user("reset")).append("pwdReset: TRUE\n\n");
        return b.toString();
    }

    private static String user(String name) {
        return "dn: %s\nobjectClass: inetOrgPerson\nuid: %s\ncn: %s\nsn: %s\nuserPassword: %s-pw\n"
                        .formatted(dn(name), name, name, name, name)
                + (name.equals("expired") || name.equals("reset") ? "" : "\n");
    }

    static String groups() {
        return group(USERS_GROUP, "Redis Users", "alice", "expired", "reset", "locky", "brute")
                + group(READERS_GROUP, "Redis Readers", "alice")
                + group(WRITERS_GROUP, "Redis Writers", "walt");
    }

    private static String group(String dn, String cn, String... members) {
        StringBuilder b = new StringBuilder("dn: " + dn + "\nobjectClass: groupOfNames\ncn: " + cn + "\n");
        for (String m : members) {
            b.append("member: ").append(dn(m)).append('\n');
        }
        return b.append('\n').toString();
    }
}
