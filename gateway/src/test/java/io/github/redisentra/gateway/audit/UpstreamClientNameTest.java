package io.github.redisentra.gateway.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.gateway.auth.Principal;
import io.github.redisentra.gateway.config.UpstreamClientNameSource;
import io.github.redisentra.gateway.resp.Command;
import io.github.redisentra.gateway.resp.RequestFramer;
import io.github.redisentra.gateway.resp.RequestLimits;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class UpstreamClientNameTest {
    static final String OID = "4f6c0000-0000-4000-8000-000000000001";

    static Principal entra(String oid, String name) {
        return new Principal(oid, "72f988bf-86f1-41af-91ab-2d7cd011db47", name, Instant.MAX, Set.of(), Set.of());
    }

    static Principal ldap(String user, String dn) {
        return new Principal(user, null, dn, Instant.MAX, Set.of(), Set.of());
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void theNameCarriesTheUserAndTheClientsOwnName() {
        Principal alice = entra(OID, "alice@contoso.com");
        assertThat(UpstreamClientName.of(UpstreamClientNameSource.OID, alice, null))
                .isEqualTo("entra:" + OID);
        assertThat(UpstreamClientName.of(UpstreamClientNameSource.NAME, alice, null))
                .isEqualTo("entra:alice@contoso.com");
        assertThat(UpstreamClientName.of(UpstreamClientNameSource.OID, alice, ascii("billing-worker")))
                .isEqualTo("entra:" + OID + "/billing-worker");
        assertThat(UpstreamClientName.of(UpstreamClientNameSource.OID, alice, new byte[0]))
                .isEqualTo("entra:" + OID);
        assertThat(UpstreamClientName.of(UpstreamClientNameSource.NAME, entra(OID, null), null))
                .isEqualTo("entra:" + OID);
        assertThat(UpstreamClientName.of(
                        UpstreamClientNameSource.OID, ldap("jdoe", "uid=jdoe,ou=people,dc=example,dc=com"), null))
                .isEqualTo("ldap:jdoe");
        assertThat(UpstreamClientName.of(UpstreamClientNameSource.OFF, alice, ascii("x")))
                .isNull();
        assertThat(UpstreamClientName.of(UpstreamClientNameSource.OID, null, null))
                .isNull();
    }

    @Test
    void theUserPartIsPercentEncodedToWhatRedisAccepts() {
        assertThat(UpstreamClientName.of(
                        UpstreamClientNameSource.NAME,
                        ldap("jdoe", "cn=John Doe,ou=people,dc=example,dc=com"),
                        ascii("app/1")))
                .isEqualTo("ldap:cn=John%20Doe,ou=people,dc=example,dc=com/app/1");
        assertThat(UpstreamClientName.of(UpstreamClientNameSource.NAME, entra(OID, "Jürgen 100%/x\r\n"), null))
                .isEqualTo("entra:J%C3%BCrgen%20100%25%2Fx%0D%0A");
    }

    @Test
    void everyNameIsValidForRedisAndBoundedWhateverTheInput() {
        Random r = new Random(22);
        for (int i = 0; i < 2000; i++) {
            StringBuilder s = new StringBuilder();
            int len = r.nextInt(300);
            for (int k = 0; k < len; k++) {
                s.append((char) (r.nextInt(4) == 0 ? r.nextInt(0x3000) : r.nextInt(128)));
            }
            byte[] client = new byte[1 + r.nextInt(200)];
            for (int k = 0; k < client.length; k++) {
                client[k] = (byte) ('!' + r.nextInt('~' - '!' + 1));
            }
            String name = UpstreamClientName.of(UpstreamClientNameSource.NAME, entra(OID, s.toString()), client);
            assertThat(UpstreamClientName.valid(ascii(name))).as(name).isTrue();
            String user = name.substring("entra:".length(), name.indexOf('/'));
            assertThat(user.length()).isLessThanOrEqualTo(UpstreamClientName.MAX_USER_CHARS);
            assertThat(user).doesNotContain("/").doesNotMatch(".*%.?$"); // never cut inside a %XX
            assertThat(name.length() - name.indexOf('/') - 1)
                    .isEqualTo(Math.min(client.length, UpstreamClientName.MAX_CLIENT_CHARS));
        }
    }

    @Test
    void validIsRedissRule() {
        assertThat(UpstreamClientName.valid(ascii("worker-1"))).isTrue();
        assertThat(UpstreamClientName.valid(new byte[0])).isTrue();
        assertThat(UpstreamClientName.valid(ascii("two words"))).isFalse();
        assertThat(UpstreamClientName.valid(ascii("line\n"))).isFalse();
        assertThat(UpstreamClientName.valid("Jürgen".getBytes(StandardCharsets.UTF_8)))
                .isFalse();
    }

    @Test
    void theFrameIsClientSetnameAsRespMultibulk() throws Exception {
        String name = UpstreamClientName.of(UpstreamClientNameSource.OID, entra(OID, null), ascii("w1"));
        byte[] frame = UpstreamClientName.setNameFrame(name);
        assertThat(new String(frame, StandardCharsets.US_ASCII))
                .isEqualTo("*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$" + name.length() + "\r\n" + name + "\r\n");
        Command c = new RequestFramer().next(Unpooled.wrappedBuffer(frame), RequestLimits.AUTHENTICATED_DEFAULT);
        assertThat(c.argc()).isEqualTo(3);
        assertThat(c.is("CLIENT")).isTrue();
        assertThat(c.argIs(1, "SETNAME")).isTrue();
        assertThat(c.argString(2)).isEqualTo(name);
        c.release();
    }

    @Test
    void theCachesReplyIsCheckedNotShown() {
        assertThat(UpstreamClientName.acknowledged(Unpooled.copiedBuffer("+OK\r\n", StandardCharsets.US_ASCII)))
                .isTrue();
        assertThat(UpstreamClientName.acknowledged(Unpooled.copiedBuffer(
                        "-NOPERM this user has no permissions to run the 'client|setname' command\r\n",
                        StandardCharsets.US_ASCII)))
                .isFalse();
        assertThat(UpstreamClientName.acknowledged(Unpooled.copiedBuffer("-ERR x\r\n", StandardCharsets.US_ASCII)))
                .isFalse();
    }

    @Test
    void sourcesParse() {
        assertThat(UpstreamClientNameSource.parse("OID")).isEqualTo(UpstreamClientNameSource.OID);
        assertThat(UpstreamClientNameSource.parse("name")).isEqualTo(UpstreamClientNameSource.NAME);
        assertThat(UpstreamClientNameSource.parse("off")).isEqualTo(UpstreamClientNameSource.OFF);
        assertThat(UpstreamClientNameSource.parse("upn")).isNull();
    }
}
