package io.github.redisentra.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.emulator.User;
import io.github.redisentra.emulator.UserSpec;
import io.github.redisentra.gateway.session.SessionSettings;
import io.github.redisentra.testkit.RedisCli;
import io.github.redisentra.testkit.RedisErrorReply;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Role permissions hold for commands whose arguments are large enough to be streamed (64 KiB and more): a streamed
 * command is judged like a buffered one before its first byte goes upstream, also when the deciding key comes after
 * the large argument. Every refusal leaves the real redis-server untouched: the key is absent and its {@code INFO
 * commandstats} line for the command is unchanged. The 100 MB arguments come from a generator, never allocated.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class LargeArgumentPermissionsIT {
    static final String READERS = "11111111-0000-4000-8000-000000000001";
    static final String WRITERS = "22222222-0000-4000-8000-000000000002";
    static final String READER_RULES = "+@read +@connection ~app:*";
    static final String WRITER_RULES = "+@read +@write +@connection +publish ~app:* &news.*";
    static final String NOPERM_KEY = "-NOPERM this user has no permissions to access one of the keys used as arguments";
    static final String NOPERM_CHANNEL =
            "-NOPERM this user has no permissions to access one of the channels used as arguments";
    static final int CHUNK = 64 * 1024;

    @TempDir
    static Path dir;

    static User reader;
    static User writer;
    static RolesGateway roles;

    @BeforeAll
    static void start() throws Exception {
        roles = new RolesGateway(
                dir,
                "roles:\n  readers:\n    match: {groups: [" + READERS + "]}\n    rules: " + READER_RULES
                        + "\n  writers:\n    match: {groups: [" + WRITERS + "]}\n    rules: " + WRITER_RULES + "\n",
                SessionSettings.DEFAULTS);
        reader = roles.tenant.addUser(UserSpec.named("reader").groups(READERS));
        writer = roles.tenant.addUser(UserSpec.named("writer").groups(WRITERS));
        roles.redis.cli().call("SET", "secret:a", "the-secret");
        roles.redis
                .cli()
                .call(
                        "FUNCTION",
                        "LOAD",
                        "#!lua name=sec\nredis.register_function('getsecret', function() return"
                                + " redis.call('get', 'secret:a') end)");
    }

    @AfterAll
    static void stop() {
        if (roles != null) {
            roles.close();
        }
    }

    static RawClient as(User u) throws Exception {
        RawClient c = new RawClient(roles.port());
        c.timeout(60_000);
        c.send("AUTH " + roles.token(u) + "\r\n");
        assertThat(c.line()).isEqualTo("+OK");
        return c;
    }

    /** A command's arguments: small ones as strings, the large one (at {@code bigAt}) generated as it is sent. */
    record Cmd(String stat, int bigAt, String bigPrefix, String... args) {}

    /**
     * Sends the command with a {@code size}-byte argument at {@code bigAt} (starting with {@code bigPrefix}, then
     * filler) from a 64 KiB chunk, then {@code PING}.
     */
    static void send(RawClient c, Cmd cmd, long size) throws IOException {
        StringBuilder head = new StringBuilder("*" + (cmd.args().length + 1) + "\r\n");
        byte[] chunk = new byte[CHUNK];
        Arrays.fill(chunk, (byte) '-');
        for (int i = 0; i <= cmd.args().length; i++) {
            if (i == cmd.bigAt()) {
                head.append('$').append(size).append("\r\n").append(cmd.bigPrefix());
                c.send(head.toString());
                head.setLength(0);
                for (long left = size - cmd.bigPrefix().length(); left > 0; left -= CHUNK) {
                    c.sendBytes(left >= CHUNK ? chunk : Arrays.copyOf(chunk, (int) left));
                }
                head.append("\r\n");
            } else {
                String a = cmd.args()[i < cmd.bigAt() ? i : i - 1];
                head.append('$')
                        .append(a.getBytes(StandardCharsets.UTF_8).length)
                        .append("\r\n");
                head.append(a).append("\r\n");
            }
        }
        c.send(head + "PING\r\n");
    }

    /** The command's {@code INFO commandstats} counters (calls, rejected and failed calls), without timings. */
    static String commandstats(String command) {
        String info = roles.redis.cli().callString("INFO", "commandstats");
        return info.lines()
                .filter(l -> l.startsWith("cmdstat_" + command + ":"))
                .map(l -> Arrays.stream(l.split(","))
                        .filter(f -> !f.contains("usec"))
                        .collect(Collectors.joining(",")))
                .findFirst()
                .orElse("never called");
    }

    static final Cmd MGET_KEY_FIRST = new Cmd("mget", 1, "app:", "MGET", "secret:a");
    static final Cmd SET_VALUE = new Cmd("set", 2, "v", "SET", "secret:b");
    static final Cmd EVAL_SCRIPT = new Cmd("eval", 1, "return redis.call('get','secret:a') --", "EVAL", "0");
    static final Cmd FCALL_ARG = new Cmd("fcall", 3, "x", "FCALL", "getsecret", "0");
    static final Cmd PUBLISH_MESSAGE = new Cmd("publish", 2, "m", "PUBLISH", "other");

    /** Sends {@code cmd} with a {@code size}-byte argument; asserts the refusal and that nothing reached the cache. */
    static void assertRefused(RawClient c, Cmd cmd, long size, String expected) throws IOException {
        String before = commandstats(cmd.stat());
        send(c, cmd, size);
        assertThat(c.line()).as("%s with a %d-byte argument", cmd.stat(), size).isEqualTo(expected);
        assertThat(c.line()).isEqualTo("+PONG"); // the connection stays usable and in order
        assertThat(commandstats(cmd.stat()))
                .as("%s reached the cache", cmd.stat())
                .isEqualTo(before);
        assertThat(roles.redis.cli().call("EXISTS", "secret:b")).isEqualTo(0L);
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(longs = {64 * 1024, 64 * 1024 + 1, 1024 * 1024, 100L * 1024 * 1024})
    void aReadOnlyRoleIsRefusedWhateverTheArgumentSize(long size) throws Exception {
        try (RawClient c = as(reader)) {
            assertRefused(c, MGET_KEY_FIRST, size, NOPERM_KEY);
            assertRefused(c, SET_VALUE, size, "-NOPERM this user has no permissions to run the 'set' command");
            assertRefused(c, EVAL_SCRIPT, size, "-NOPERM this user has no permissions to run the 'eval' command");
            assertRefused(c, FCALL_ARG, size, "-NOPERM this user has no permissions to run the 'fcall' command");
            assertRefused(
                    c, PUBLISH_MESSAGE, size, "-NOPERM this user has no permissions to run the 'publish' command");
        }
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(longs = {64 * 1024, 64 * 1024 + 1, 1024 * 1024})
    void keysAndChannelsOutsideAWriterRoleAreRefusedWhileItsOwnLargeValuesStream(long size) throws Exception {
        try (RawClient c = as(writer)) {
            assertRefused(c, MGET_KEY_FIRST, size, NOPERM_KEY);
            assertRefused(c, SET_VALUE, size, NOPERM_KEY);
            assertRefused(c, PUBLISH_MESSAGE, size, NOPERM_CHANNEL);
            // allowed: the large value streams (SET), the key after a large value is read first (MSET), a large
            // key is read and matched (MGET), a large message reaches its channel (PUBLISH)
            send(c, new Cmd("set", 2, "v", "SET", "app:big"), size);
            assertThat(c.line()).isEqualTo("+OK");
            assertThat(c.line()).isEqualTo("+PONG");
            send(c, new Cmd("mset", 2, "v", "MSET", "app:m1", "app:m2", "small"), size);
            assertThat(c.line()).isEqualTo("+OK");
            assertThat(c.line()).isEqualTo("+PONG");
            send(c, new Cmd("mget", 1, "app:", "MGET", "app:m2"), size);
            assertThat(c.line()).isEqualTo("*2");
            assertThat(c.line()).isEqualTo("$-1");
            assertThat(c.line()).isEqualTo("$5");
            assertThat(c.line()).isEqualTo("small");
            assertThat(c.line()).isEqualTo("+PONG");
            send(c, new Cmd("publish", 2, "m", "PUBLISH", "news.1"), size);
            assertThat(c.line()).isEqualTo(":0");
            assertThat(c.line()).isEqualTo("+PONG");
        }
        assertThat(roles.redis.cli().call("STRLEN", "app:big")).isEqualTo(size);
        assertThat(roles.redis.cli().call("STRLEN", "app:m1")).isEqualTo(size);
    }

    @Test
    void theRefusalsAreRedisOwnWordsForTheSameRules() {
        String big = "app:" + "-".repeat(CHUNK);
        assertThat(redisItself(READER_RULES, "MGET", big, "secret:a")).isEqualTo(NOPERM_KEY);
        assertThat(redisItself(READER_RULES, "SET", "secret:b", big))
                .isEqualTo("-NOPERM this user has no permissions to run the 'set' command");
        assertThat(redisItself(WRITER_RULES, "SET", "secret:b", big)).isEqualTo(NOPERM_KEY);
        assertThat(redisItself(WRITER_RULES, "PUBLISH", "other", big)).isEqualTo(NOPERM_CHANNEL);
    }

    /** What redis-server itself answers a user with {@code rules} (the gateway's ceiling) for {@code command}. */
    static String redisItself(String rules, String... command) {
        String[] setuser = ("ACL SETUSER twin reset on >twin-pass " + rules).split(" ");
        roles.redis.cli().call(setuser);
        try (RedisCli c = roles.redis.connect()) {
            c.call("AUTH", "twin", "twin-pass");
            return String.valueOf(c.call(command));
        } catch (RedisErrorReply e) {
            return "-" + e.getMessage();
        } finally {
            roles.redis.cli().call("ACL", "DELUSER", "twin");
        }
    }
}
