package io.github.redisentra.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.util.Hashtable;
import javax.naming.AuthenticationException;
import javax.naming.CommunicationException;
import javax.naming.Context;
import javax.naming.NamingException;
import javax.naming.directory.Attribute;
import javax.naming.directory.InitialDirContext;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The testkit's slapd, checked with the JDK's own LDAP client (JNDI): entries loaded offline, groups added online
 * get {@code memberOf} on their members from the overlay, a stopped server refuses connections and comes back with
 * its data on the same port, and {@code close()} ends the process and deletes its directory.
 */
@Timeout(60)
class OpenLdapServerIT {
    static final String BASE = "dc=kit,dc=test";

    @BeforeEach
    void requireSlapd() {
        Assumptions.assumeTrue(
                OpenLdapServer.unavailable().isEmpty(),
                () -> "skipped: " + OpenLdapServer.unavailable().orElse(""));
    }

    @Test
    void overlaysRestartAndCleanUp() throws Exception {
        OpenLdapServer ldap = OpenLdapServer.builder(TestCertificateAuthority.create("openldap-kit-ca"))
                .suffix(BASE)
                .slapadd("""
                        dn: dc=kit,dc=test
                        objectClass: dcObject
                        objectClass: organization
                        dc: kit
                        o: kit

                        dn: uid=ann,dc=kit,dc=test
                        objectClass: inetOrgPerson
                        uid: ann
                        cn: ann
                        sn: ann
                        userPassword: ann-pw
                        """)
                .ldapadd("""
                        dn: cn=crew,dc=kit,dc=test
                        objectClass: groupOfNames
                        cn: crew
                        member: uid=ann,dc=kit,dc=test
                        """)
                .start();
        try {
            assertThat(memberOf(ldap, "ann-pw")).isEqualTo("cn=crew,dc=kit,dc=test");
            assertThatThrownBy(() -> memberOf(ldap, "wrong")).isInstanceOf(AuthenticationException.class);

            ldap.stop();
            assertThat(ldap.running()).isFalse();
            assertThatThrownBy(() -> memberOf(ldap, "ann-pw")).isInstanceOf(CommunicationException.class);
            ldap.start();
            assertThat(memberOf(ldap, "ann-pw"))
                    .as("data kept across a restart")
                    .isEqualTo("cn=crew,dc=kit,dc=test");
        } finally {
            ldap.close();
        }
        assertThat(ldap.running()).isFalse();
        assertThat(Files.exists(ldap.directory())).isFalse();
    }

    /** Binds as ann with {@code password} over plain LDAP and reads ann's memberOf. */
    private static String memberOf(OpenLdapServer ldap, String password) throws NamingException {
        Hashtable<String, String> env = new Hashtable<>();
        env.put(Context.INITIAL_CONTEXT_FACTORY, "com.sun.jndi.ldap.LdapCtxFactory");
        env.put(Context.PROVIDER_URL, ldap.ldapUrl());
        env.put(Context.SECURITY_AUTHENTICATION, "simple");
        env.put(Context.SECURITY_PRINCIPAL, "uid=ann," + BASE);
        env.put(Context.SECURITY_CREDENTIALS, password);
        env.put("com.sun.jndi.ldap.connect.timeout", "3000");
        InitialDirContext ctx = new InitialDirContext(env);
        try {
            Attribute a = ctx.getAttributes("uid=ann," + BASE, new String[] {"memberOf"})
                    .get("memberOf");
            return a == null ? null : String.valueOf(a.get());
        } finally {
            ctx.close();
        }
    }
}
