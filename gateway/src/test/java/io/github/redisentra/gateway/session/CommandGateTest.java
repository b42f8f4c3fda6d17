package io.github.redisentra.gateway.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.gateway.acl.AccessControl;
import io.github.redisentra.gateway.acl.CommandTable;
import io.github.redisentra.gateway.acl.RolePolicy;
import io.github.redisentra.gateway.auth.Principal;
import io.github.redisentra.gateway.resp.Command;
import io.github.redisentra.gateway.resp.RequestFramer;
import io.github.redisentra.gateway.resp.RequestLimits;
import io.github.redisentra.gateway.session.CommandGate.Decision;
import io.github.redisentra.gateway.session.CommandGate.Kind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gate's decision table alone, without sockets: commands framed from bytes, a clock the test moves. */
class CommandGateTest {
    static final String NOAUTH = "-NOAUTH Authentication required.";
    static final Principal READER =
            new Principal("oid-1", "tid", "reader", Instant.parse("2030-01-01T00:00:00Z"), Set.of("readers"), Set.of());

    @TempDir
    Path dir;

    long now = Instant.parse("2029-01-01T00:00:00Z").toEpochMilli();
    final List<String> refused = new ArrayList<>();
    final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(now);
        }
    };
    final GatewayEvents events = new GatewayEvents() {
        @Override
        public void commandRefused(String reason) {
            refused.add(reason);
        }
    };

    CommandGate gate(String rules) throws Exception {
        if (rules == null) {
            return new CommandGate(null, null, clock, events);
        }
        Path f = Files.writeString(
                dir.resolve("roles.yaml"), "roles:\n  r:\n    match: {groups: [readers]}\n    rules: " + rules + "\n");
        return new CommandGate(new AccessControl(RolePolicy.load(f, CommandTable.builtIn())), null, clock, events);
    }

    /** Decides the command in {@code resp} (complete). */
    static Decision decide(CommandGate g, String resp, boolean resp2Subscribed) throws Exception {
        ByteBuf in = Unpooled.copiedBuffer(resp, StandardCharsets.ISO_8859_1);
        try {
            Command c = new RequestFramer().next(in, RequestLimits.AUTHENTICATED_DEFAULT);
            try {
                return g.decide(c, resp2Subscribed, null, Long.MAX_VALUE);
            } finally {
                c.release();
            }
        } finally {
            in.release();
        }
    }

    /** Decides the head of a command whose argument {@code bigAt} is a 64 KiB bulk, of which only the header came. */
    static Decision decideHead(CommandGate g, long maxBuffered, int bigAt, String... args) throws Exception {
        StringBuilder b = new StringBuilder("*" + args.length + "\r\n");
        for (int i = 0; i < args.length; i++) {
            if (i == bigAt) {
                b.append("$").append(RequestFramer.STREAM_THRESHOLD).append("\r\n");
                break;
            }
            b.append("$")
                    .append(args[i].length())
                    .append("\r\n")
                    .append(args[i])
                    .append("\r\n");
        }
        ByteBuf in = Unpooled.copiedBuffer(b, StandardCharsets.ISO_8859_1);
        Decision[] d = new Decision[1];
        try {
            Command c = new RequestFramer().next(in, RequestLimits.AUTHENTICATED_DEFAULT, head -> {
                d[0] = g.decide(head, false, null, maxBuffered);
                return false;
            });
            assertThat(c).as("the command is not complete").isNull();
            return d[0];
        } finally {
            in.release();
        }
    }

    @Test
    void beforeAuthenticationOnlyTheSessionCommandsPassAndARefusedExecAbortsAsInRedis() throws Exception {
        CommandGate g = gate(null);
        assertThat(decide(g, "GET k\r\n", false)).isEqualTo(new Decision(Kind.REFUSE, NOAUTH));
        for (String c : List.of("AUTH x\r\n", "HELLO 3\r\n", "RESET\r\n", "QUIT\r\n")) {
            assertThat(decide(g, c, false)).isSameAs(CommandGate.SESSION);
        }
        assertThat(decide(g, "EXEC\r\n", false))
                .isEqualTo(new Decision(
                        Kind.ABORT_EXEC,
                        "-EXECABORT Transaction discarded because of: NOAUTH Authentication required."));
        assertThat(refused).containsExactly("noauth", "noauth");
    }

    @Test
    void anIdentityIsValidUntilItsExpiryThenRefusedAndExpired() throws Exception {
        CommandGate g = gate(null);
        g.signIn(READER, now + 1000);
        assertThat(decide(g, "GET k\r\n", false)).isSameAs(CommandGate.FORWARD);
        assertThat(g.expired()).isFalse();
        now += 1001;
        assertThat(g.expired()).isTrue();
        assertThat(decide(g, "GET k\r\n", false)).isEqualTo(new Decision(Kind.REFUSE, NOAUTH));
        assertThat(refused).containsExactly("expired");
        g.signOut();
        assertThat(g.expired()).as("no identity, nothing to expire").isFalse();
    }

    @Test
    void theResp2SubscribedContextAndUnsupportedCommands() throws Exception {
        CommandGate g = gate(null);
        g.signIn(READER, Long.MAX_VALUE);
        assertThat(decide(g, "GET k\r\n", true).line())
                .isEqualTo("-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET"
                        + " are allowed in this context");
        assertThat(decide(g, "EXEC\r\n", true).line())
                .startsWith("-EXECABORT Transaction discarded because of: Can't execute 'exec': only");
        assertThat(decide(g, "PING\r\n", true)).isSameAs(CommandGate.FORWARD);
        assertThat(decide(g, "RESET\r\n", true)).isSameAs(CommandGate.SESSION);
        assertThat(decide(g, "AUTH x\r\n", true).kind()).isEqualTo(Kind.REFUSE);
        assertThat(decide(g, "MONITOR\r\n", false).line())
                .isEqualTo("-ERR MONITOR is not supported through the gateway");
        assertThat(decide(g, "CLIENT REPLY OFF\r\n", false).kind()).isEqualTo(Kind.REFUSE);
        assertThat(decide(g, "CLIENT ID\r\n", false)).isSameAs(CommandGate.FORWARD);
    }

    @Test
    void inClusterModeClusterAdministrationIsRefusedAndTopologyQueriesPass() throws Exception {
        CommandGate g = new CommandGate(null, null, clock, events, true);
        g.signIn(READER, Long.MAX_VALUE);
        assertThat(decide(g, "CLUSTER MEET 10.0.0.9 7000\r\n", false))
                .isEqualTo(new Decision(Kind.REFUSE, "-ERR gateway: CLUSTER MEET is not allowed through the gateway"));
        assertThat(decide(g, "cluster setslot 1 node x\r\n", false).line())
                .isEqualTo("-ERR gateway: CLUSTER SETSLOT is not allowed through the gateway");
        for (String c : List.of("FORGET x", "FAILOVER", "RESET", "ADDSLOTSRANGE 0 1", "REPLICATE x", "SAVECONFIG")) {
            assertThat(decide(g, "CLUSTER " + c + "\r\n", false).kind()).as(c).isEqualTo(Kind.REFUSE);
        }
        for (String c : List.of("SLOTS", "SHARDS", "NODES", "LINKS", "KEYSLOT k", "COUNT-FAILURE-REPORTS x")) {
            assertThat(decide(g, "CLUSTER " + c + "\r\n", false)).as(c).isSameAs(CommandGate.FORWARD);
        }
        assertThat(refused).containsOnly("cluster_admin").hasSize(8);

        CommandGate standalone = new CommandGate(null, null, clock, events, false);
        standalone.signIn(READER, Long.MAX_VALUE);
        assertThat(decide(standalone, "CLUSTER MEET 10.0.0.9 7000\r\n", false))
                .as("not a cluster gateway: the cache decides, as before")
                .isSameAs(CommandGate.FORWARD);
        assertThat(decide(new CommandGate(null, null, clock, events, true), "CLUSTER MEET a 1\r\n", false))
                .as("authentication first")
                .isEqualTo(new Decision(Kind.REFUSE, NOAUTH));
    }

    @Test
    void permissionsDecideBufferedCommandsAndStreamedHeadsAlike() throws Exception {
        CommandGate g = gate("+@read +@connection ~app:*");
        g.signIn(READER, Long.MAX_VALUE);
        String noPermKey = "-NOPERM this user has no permissions to access one of the keys used as arguments";
        assertThat(decide(g, "GET app:1\r\n", false)).isSameAs(CommandGate.FORWARD);
        assertThat(decide(g, "MGET app:1 secret\r\n", false)).isEqualTo(new Decision(Kind.REFUSE, noPermKey));
        assertThat(decide(g, "EXEC\r\n", false).line())
                .isEqualTo("-EXECABORT Transaction discarded because of: NOPERM this user has no permissions to run"
                        + " the 'exec' command");
        // heads: decided from the command and the keys before the large bulk ...
        assertThat(decideHead(g, Long.MAX_VALUE, 2, "SET", "app:1", "v").line())
                .isEqualTo("-NOPERM this user has no permissions to run the 'set' command");
        assertThat(decideHead(g, Long.MAX_VALUE, 2, "GETRANGE", "app:1", "0", "1"))
                .isSameAs(CommandGate.FORWARD);
        assertThat(decideHead(g, Long.MAX_VALUE, 2, "MGET", "secret", "app:1"))
                .isEqualTo(new Decision(Kind.REFUSE, noPermKey));
        // ... undecided while a key is still to come and may be buffered, refused when it may not
        assertThat(decideHead(g, Long.MAX_VALUE, 1, "MGET", "app:1", "secret")).isSameAs(CommandGate.UNDECIDED);
        assertThat(decideHead(g, 1024, 1, "MGET", "app:1", "secret")).isEqualTo(new Decision(Kind.REFUSE, noPermKey));
        assertThat(refused)
                .containsExactly("noperm_key", "noperm_command", "noperm_command", "noperm_key", "noperm_key");
    }
}
