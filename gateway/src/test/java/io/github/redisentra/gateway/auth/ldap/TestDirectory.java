package io.github.redisentra.gateway.auth.ldap;

import com.unboundid.ldap.listener.InMemoryDirectoryServer;
import com.unboundid.ldap.listener.InMemoryDirectoryServerConfig;
import com.unboundid.ldap.listener.InMemoryListenerConfig;
import com.unboundid.ldap.listener.interceptor.InMemoryInterceptedSearchRequest;
import com.unboundid.ldap.listener.interceptor.InMemoryInterceptedSimpleBindRequest;
import com.unboundid.ldap.listener.interceptor.InMemoryOperationInterceptor;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.ResultCode;
import io.github.redisentra.testkit.TestCertificate;
import io.github.redisentra.testkit.TestCertificateAuthority;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;

/**
 * A real LDAP server for tests: UnboundID's {@link InMemoryDirectoryServer} on loopback, with a plain listener that
 * supports StartTLS and an LDAPS listener (certificates from the testkit CA), on fixed ports so that it can be stopped
 * and started again (failover tests). Schema checking is off so that entries can carry {@code memberOf} like Active
 * Directory's. An interceptor counts simple binds per DN, records search filters, can hold binds until released
 * (a slow directory) and answers binds of chosen DNs like AD answers for disabled or locked accounts.
 *
 * <p>Users (password {@code <name>-pw}): {@code alice} (Redis Users, Readers), {@code bob} (no group), {@code carol}
 * (AD says disabled), {@code dave} (AD says locked), {@code erin} (password policy control says locked), {@code slowpoke} (Redis Users), two {@code twin} entries in
 * different OUs, and the service account {@code cn=svc,ou=svc,dc=example,dc=com} / {@code svc-pw}.
 */
public final class TestDirectory implements AutoCloseable {
    public static final String BASE = "dc=example,dc=com";
    public static final String PEOPLE = "ou=people," + BASE;
    public static final String GROUPS = "ou=groups," + BASE;
    public static final String SVC_DN = "cn=svc,ou=svc," + BASE;
    public static final String SVC_PW = "svc-pw";
    public static final String USERS_GROUP = "cn=Redis Users," + GROUPS;
    public static final String READERS_GROUP = "cn=Readers," + GROUPS;

    final InMemoryDirectoryServer ds;
    final TestCertificateAuthority ca;
    final int ldapPort;
    final int ldapsPort;
    /** An LDAPS listener on 127.0.0.2, a name the server certificate does not carry (host-name checks). */
    final int otherNamePort;

    public final Map<String, AtomicInteger> binds = new ConcurrentHashMap<>();
    public final List<String> boundDns = new CopyOnWriteArrayList<>();
    public final List<String> filters = new CopyOnWriteArrayList<>();
    final AtomicReference<CountDownLatch> holdBindsOf = new AtomicReference<>();
    volatile String heldDn;
    public final CountDownLatch bindHeld = new CountDownLatch(1);

    public TestDirectory(TestCertificateAuthority ca) throws Exception {
        this.ca = ca;
        this.ldapPort = freePort();
        this.ldapsPort = freePort();
        this.otherNamePort = freePort();
        TestCertificate cert = ca.issueServerCertificate();
        SSLContext server = ca.sslContext(cert);
        InMemoryDirectoryServerConfig cfg = new InMemoryDirectoryServerConfig(BASE);
        cfg.setSchema(null); // AD-like memberOf attributes
        cfg.setListenerConfigs(
                InMemoryListenerConfig.createLDAPConfig(
                        "ldap", InetAddress.getLoopbackAddress(), ldapPort, server.getSocketFactory()),
                InMemoryListenerConfig.createLDAPSConfig(
                        "ldaps",
                        InetAddress.getLoopbackAddress(),
                        ldapsPort,
                        server.getServerSocketFactory(),
                        ca.trustingSslContext().getSocketFactory()),
                InMemoryListenerConfig.createLDAPSConfig(
                        "ldaps-other-name",
                        InetAddress.getByName("127.0.0.2"),
                        otherNamePort,
                        server.getServerSocketFactory(),
                        ca.trustingSslContext().getSocketFactory()));
        cfg.addInMemoryOperationInterceptor(new InMemoryOperationInterceptor() {
            @Override
            public void processSimpleBindRequest(InMemoryInterceptedSimpleBindRequest request) throws LDAPException {
                String dn = request.getRequest().getBindDN();
                boundDns.add(dn);
                binds.computeIfAbsent(dn.toLowerCase(java.util.Locale.ROOT), k -> new AtomicInteger())
                        .incrementAndGet();
                CountDownLatch hold = holdBindsOf.get();
                if (hold != null && dn.equalsIgnoreCase(heldDn)) {
                    bindHeld.countDown();
                    try {
                        hold.await(60, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                if (dn.equalsIgnoreCase("uid=carol," + PEOPLE)) {
                    throw new LDAPException(
                            ResultCode.INVALID_CREDENTIALS,
                            "80090308: LdapErr: DSID-0C09030B, comment: AcceptSecurityContext error, data 533, v893");
                }
                if (dn.equalsIgnoreCase("uid=erin," + PEOPLE)) { // OpenLDAP ppolicy: locked, with the control
                    throw new LDAPException(
                            ResultCode.INVALID_CREDENTIALS, null, null, null, new com.unboundid.ldap.sdk.Control[] {
                                new com.unboundid.ldap.sdk.experimental.DraftBeheraLDAPPasswordPolicy10ResponseControl(
                                        null,
                                        -1,
                                        com.unboundid.ldap.sdk.experimental.DraftBeheraLDAPPasswordPolicy10ErrorType
                                                .ACCOUNT_LOCKED)
                            });
                }
                if (dn.equalsIgnoreCase("uid=dave," + PEOPLE)) {
                    throw new LDAPException(
                            ResultCode.INVALID_CREDENTIALS,
                            "80090308: LdapErr: DSID-0C09030B, comment: AcceptSecurityContext error, data 775, v893");
                }
            }

            @Override
            public void processSearchRequest(InMemoryInterceptedSearchRequest request) {
                filters.add(request.getRequest().getFilter().toString());
            }
        });
        ds = new InMemoryDirectoryServer(cfg);
        ds.add("dn: " + BASE, "objectClass: top", "objectClass: domain", "dc: example");
        ds.add("dn: " + PEOPLE, "objectClass: organizationalUnit", "ou: people");
        ds.add("dn: ou=other," + BASE, "objectClass: organizationalUnit", "ou: other");
        ds.add("dn: ou=svc," + BASE, "objectClass: organizationalUnit", "ou: svc");
        ds.add("dn: " + GROUPS, "objectClass: organizationalUnit", "ou: groups");
        ds.add("dn: " + SVC_DN, "objectClass: person", "cn: svc", "sn: svc", "userPassword: " + SVC_PW);
        user("alice", USERS_GROUP, READERS_GROUP);
        user("bob");
        user("carol", USERS_GROUP);
        user("dave", USERS_GROUP);
        user("erin", USERS_GROUP);
        user("slowpoke", USERS_GROUP);
        ds.add(
                "dn: uid=twin," + PEOPLE,
                "objectClass: inetOrgPerson",
                "uid: twin",
                "cn: twin",
                "sn: t",
                "userPassword: twin-pw");
        ds.add(
                "dn: uid=twin,ou=other," + BASE,
                "objectClass: inetOrgPerson",
                "uid: twin",
                "cn: twin",
                "sn: t",
                "userPassword: twin-pw");
        ds.add(
                "dn: " + USERS_GROUP,
                "objectClass: groupOfNames",
                "cn: Redis Users",
                "member: uid=alice," + PEOPLE,
                "member: uid=slowpoke," + PEOPLE);
        ds.add("dn: " + READERS_GROUP, "objectClass: groupOfNames", "cn: Readers", "member: uid=alice," + PEOPLE);
        ds.startListening();
    }

    private void user(String name, String... groups) throws Exception {
        String[] lines = new String[6 + groups.length];
        lines[0] = "dn: uid=" + name + "," + PEOPLE;
        lines[1] = "objectClass: inetOrgPerson";
        lines[2] = "uid: " + name;
        lines[3] = "cn: " + name;
        lines[4] = "sn: " + name;
        lines[5] = "userPassword: " + name + "-pw";
        for (int i = 0; i < groups.length; i++) {
            lines[6 + i] = "memberOf: " + groups[i];
        }
        ds.add(lines);
    }

    /** Simple binds of {@code dn} seen by this server (case-insensitive). */
    public int bindsOf(String dn) {
        AtomicInteger n = binds.get(dn.toLowerCase(java.util.Locale.ROOT));
        return n == null ? 0 : n.get();
    }

    public int userBinds(String uid) {
        return bindsOf("uid=" + uid + "," + PEOPLE);
    }

    public String ldapUrl() {
        return "ldap://localhost:" + ldapPort;
    }

    public String ldapsUrl() {
        return "ldaps://localhost:" + ldapsPort;
    }

    /** Holds every bind of {@code dn} until the returned latch is counted down. */
    public CountDownLatch holdBinds(String dn) {
        CountDownLatch l = new CountDownLatch(1);
        heldDn = dn;
        holdBindsOf.set(l);
        return l;
    }

    public void stop() {
        ds.shutDown(true);
    }

    public void start() throws LDAPException {
        ds.startListening();
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        CountDownLatch l = holdBindsOf.get();
        if (l != null) {
            l.countDown();
        }
        ds.shutDown(true);
    }
}
