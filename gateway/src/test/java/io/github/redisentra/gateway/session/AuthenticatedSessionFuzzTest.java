package io.github.redisentra.gateway.session;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.redisentra.gateway.acl.AccessControl;
import io.github.redisentra.gateway.acl.Args;
import io.github.redisentra.gateway.acl.CommandTable;
import io.github.redisentra.gateway.acl.Permissions;
import io.github.redisentra.gateway.acl.RolePolicy;
import io.github.redisentra.gateway.auth.Principal;
import io.github.redisentra.gateway.resp.Command;
import io.github.redisentra.gateway.resp.RequestFramer;
import io.github.redisentra.gateway.resp.RequestLimits;
import io.github.redisentra.gateway.resp.RespProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Coverage-guided fuzzing (Jazzer) of the authenticated command path with a roles file: commands of any shape —
 * every command of the table, keys and channels inside and outside the roles, values large enough to be streamed,
 * MULTI, subscriptions, AUTH/HELLO/RESET, malformed tails, split anywhere — reach a real {@link ClientSession} on an
 * embedded channel whose upstream is an in-memory channel. Checked where bytes go upstream: framed as the cache
 * would frame them, every command is one the roles allow (no key or channel outside them ever reaches the cache), and
 * no AUTH carries anything but the gateway's own credential. Without {@code JAZZER_FUZZ} this replays the committed
 * corpus; {@code mvn verify} fuzzes it for 5 s (README: "Fuzzing").
 */
class AuthenticatedSessionFuzzTest {
    static final String ROLES = """
            roles:
              app:
                match: {groups: [g-app]}
                rules: +@all -@dangerous %R~app:* %W~out:* ~rw:* &news.*
              pub:
                match: {groups: [g-pub]}
                rules: +@read +@pubsub ~pub:* &chat
            """;
    static final Principal USER = new Principal(
            "fuzz-oid", "fuzz-tid", "fuzz", Instant.now().plusSeconds(86_400), Set.of("g-app", "g-pub"), Set.of());
    static final RolePolicy POLICY = policy();
    static final Permissions PERMS = AccessControl.permissionsFor(POLICY, USER);
    static final RequestLimits CACHE_LIMITS = new RequestLimits(1024 * 1024, Integer.MAX_VALUE, 64 * 1024, true);

    static final List<String> NAMES = names();
    static final String[] ARGS = {
        "app:1", "out:1", "rw:1", "pub:1", "secret", "news.1", "chat", "other", "0", "1", "2", "-1", "KEYS",
        "STORE", "GET", "BY", "*", "LIMIT", "STREAMS", "$", "AUTH", "default", "3", "SETNAME", "REPLY", "OFF"
    };

    private static RolePolicy policy() {
        try {
            Path f = Files.createTempFile("fuzz-roles", ".yaml");
            Files.writeString(f, ROLES);
            RolePolicy p = RolePolicy.load(f, CommandTable.builtIn());
            Files.delete(f);
            return p;
        } catch (IOException | RolePolicy.InvalidPolicyException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> names() {
        List<String> n = new ArrayList<>();
        for (CommandTable.Spec s : CommandTable.builtIn().topLevel()) {
            n.add(s.fullName().toUpperCase(Locale.ROOT));
        }
        return List.copyOf(n);
    }

    @FuzzTest(maxDuration = "5s")
    void noKeyOrChannelOutsideTheRolesReachesTheCache(FuzzedDataProvider data) throws Exception {
        int chunk = data.consumeInt(1, 80_000);
        ByteArrayOutputStream in = new ByteArrayOutputStream();
        in.write("AUTH token\r\n".getBytes(StandardCharsets.US_ASCII));
        int large = 2;
        for (int i = data.consumeInt(1, 12); i > 0; i--) {
            List<byte[]> args = new ArrayList<>();
            String name = data.pickValue(NAMES);
            args.add(name.getBytes(StandardCharsets.US_ASCII));
            CommandTable.Spec spec = CommandTable.builtIn().command(name.toLowerCase(Locale.ROOT));
            if (spec.subcommands() != null && data.consumeBoolean()) {
                String sub = data.pickValue(spec.subcommands().keySet());
                args.add(sub.getBytes(StandardCharsets.US_ASCII));
            }
            for (int a = data.consumeInt(0, 6); a > 0; a--) {
                switch (data.consumeInt(0, 3)) {
                    case 0, 1 -> args.add(data.pickValue(ARGS).getBytes(StandardCharsets.US_ASCII));
                    case 2 -> args.add(data.consumeBytes(data.consumeInt(0, 12)));
                    default ->
                        args.add(
                                large-- > 0 ? large(data) : data.pickValue(ARGS).getBytes(StandardCharsets.US_ASCII));
                }
            }
            encode(in, args);
        }
        in.write(data.consumeRemainingAsBytes()); // whatever else, malformed or not
        assertOnlyPermittedCommandsGoUpstream(in.toByteArray(), chunk);
    }

    /** A value large enough to be streamed, starting with a key or channel name of the pool. */
    private static byte[] large(FuzzedDataProvider data) {
        byte[] head = data.pickValue(ARGS).getBytes(StandardCharsets.US_ASCII);
        byte[] b = new byte[RequestFramer.STREAM_THRESHOLD + data.consumeInt(0, 64)];
        Arrays.fill(b, (byte) '-');
        System.arraycopy(head, 0, b, 0, head.length);
        return b;
    }

    private static void encode(ByteArrayOutputStream out, List<byte[]> args) throws IOException {
        out.write(("*" + args.size() + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (byte[] a : args) {
            out.write(("$" + a.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(a);
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
    }

    /** The examples, and their shapes inside MULTI and inline: the checks catch each one. */
    @Test
    void largeArgumentsThatOnceSkippedTheRoleCheckAreCaught() throws Exception {
        String pad = "-".repeat(RequestFramer.STREAM_THRESHOLD);
        List<List<String>> cases = List.of(
                List.of("MGET", "app:" + pad, "secret"),
                List.of("SET", "secret", pad),
                List.of("EVAL", "return redis.call('get','secret') --" + pad, "0"),
                List.of("FCALL", "f", "1", "secret", pad),
                List.of("PUBLISH", "other", pad),
                List.of("MULTI"),
                List.of("SET", "out:1", pad),
                List.of("SET", "app:1", pad),
                List.of("EXEC"));
        ByteArrayOutputStream in = new ByteArrayOutputStream();
        in.write("AUTH token\r\n".getBytes(StandardCharsets.US_ASCII));
        for (List<String> c : cases) {
            encode(
                    in,
                    c.stream().map(s -> s.getBytes(StandardCharsets.US_ASCII)).toList());
        }
        for (int chunk : new int[] {7, 1000, 70_000, 1 << 20}) {
            List<String> upstream = assertOnlyPermittedCommandsGoUpstream(in.toByteArray(), chunk);
            assertThat(upstream).as("what reached the cache").containsExactly("AUTH", "MULTI", "SET", "AUTH", "EXEC");
        }
    }

    /**
     * Feeds {@code input} to a session in pieces of {@code chunk} bytes and checks every command written upstream;
     * returns their names.
     */
    static List<String> assertOnlyPermittedCommandsGoUpstream(byte[] input, int chunk) {
        EmbeddedSession session = new EmbeddedSession(SessionSettings.DEFAULTS, USER, new AccessControl(POLICY));
        EmbeddedChannel client = session.client;
        ByteBuf sent = Unpooled.buffer();
        try {
            for (int from = 0; from < input.length && client.isActive(); from += chunk) {
                session.send(Unpooled.copiedBuffer(input, from, Math.min(chunk, input.length - from)));
                session.drainUpstreams(sent);
            }
            client.runPendingTasks();
            session.drainUpstreams(sent);
            return check(sent);
        } finally {
            session.close();
            sent.release();
        }
    }

    /** Frames what went upstream as the cache would and checks each complete command. */
    private static List<String> check(ByteBuf sent) {
        List<String> names = new ArrayList<>();
        RequestFramer framer = new RequestFramer();
        for (; ; ) {
            Command c;
            try {
                c = framer.next(sent, CACHE_LIMITS);
            } catch (RespProtocolException e) {
                throw new AssertionError("the gateway wrote malformed RESP upstream: " + e.getMessage());
            }
            if (c == null) {
                return names;
            }
            try {
                String name = c.nameLowerCase();
                names.add(name.toUpperCase(Locale.ROOT));
                switch (name) {
                    case "auth" -> {
                        boolean bare = c.argc() == 1;
                        boolean gateways = c.argc() == 3
                                && c.argString(1).equals("gateway")
                                && c.argString(2).equals(EmbeddedSession.GATEWAY_TOKEN.secret());
                        assertThat(bare || gateways)
                                .as("an AUTH upstream is the gateway's own")
                                .isTrue();
                    }
                    case "hello" -> { // re-encoded by the gateway: HELLO [protover] [SETNAME name], never AUTH
                        int i = c.argc() > 1 && !c.argIs(1, "SETNAME") ? 2 : 1;
                        assertThat(i == c.argc() || (i + 2 == c.argc() && c.argIs(i, "SETNAME")))
                                .as("HELLO upstream carries no AUTH")
                                .isTrue();
                    }
                    case "reset", "discard", "ping" -> {} // the gateway's own (no key, no channel)
                    default -> {
                        Permissions.Verdict v = PERMS.check(Args.of(c));
                        assertThat(v.allowed())
                                .as("%s (%d arguments) reached the cache: %s", name, c.argc(), v.reason())
                                .isTrue();
                    }
                }
            } finally {
                c.release();
            }
        }
    }
}
