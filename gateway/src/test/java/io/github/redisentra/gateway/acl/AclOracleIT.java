package io.github.redisentra.gateway.acl;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.testkit.RedisErrorReply;
import io.github.redisentra.testkit.RedisServer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The ACL engine against the real thing: for each rule set, a redis-server 7 ACL user gets the same rules and
 * {@code ACL DRYRUN} decides every command of {@link #COMMANDS}; the engine must reach the same decision (allowed,
 * or denied for the command, a key or a channel). Several roles are compared with a user with selectors (Redis's
 * union). The gateway's own shared-identity rule is off here (it is stricter than Redis on purpose). Every head of
 * every command (its first arguments, as a streamed command is judged) is decided like the whole command or not
 * at all.
 */
class AclOracleIT {
    static RedisServer redis;

    /** Rule sets: one role, or several separated by " | " (the union). */
    static Stream<String> ruleSets() {
        return Stream.of(
                "+@read ~app:*",
                "+@all -@dangerous allkeys",
                "+@write -set %R~r:* %W~w:* ~rw:*",
                "+@all resetkeys %R~* %W~w:*",
                "-@all +get +set +config|get +client ~k*",
                "+@pubsub &news.* &chat",
                "+@all -@slow +config ~x[abc]?",
                "+@hash +@string -hset ~h:\\** allchannels",
                "+select|0 +get ~*",
                "+@admin -config|set allkeys",
                "+get ~a:* | +set ~b:*",
                "+@read %R~r:* | +@write %W~w:* | +@pubsub &chat",
                "+@scripting ~s:*",
                "+@geo +@sortedset ~g:* %R~src:*",
                "+@stream %R~s:* ~s:1",
                "+@list +@sortedset ~l:* ~g:*",
                "+@bitmap %R~b:*",
                "+set +bitfield %R~*",
                "+set +bitfield %W~*",
                "+@keyspace ~k:* %R~r:*",
                "+sort +sort_ro ~s:* %W~dst:*",
                "+@all -@keyspace +del ~[a-c]?:* &[^x]*",
                "+@connection +@transaction +@fast -@write ~k?",
                "+@string -@read +get|x ~*",
                "nocommands +@blocking ~l:*");
    }

    static final String[][] COMMANDS = {
        {"GET", "app:1"},
        {"GET", "x"},
        {"GET", "k:1"},
        {"GET", "k1"},
        {"SET", "app:1", "v"},
        {"SET", "x", "v"},
        {"SET", "r:1", "v", "GET"},
        {"SET", "w:1", "v"},
        {"SET", "w:1", "v", "GET"},
        {"SET", "rw:1", "v", "GET"},
        {"SET", "b:1", "v"},
        {"MGET", "app:1", "x"},
        {"MGET", "a:1", "a:2"},
        {"MSET", "a:1", "1", "b:1", "2"},
        {"DEL", "app:1"},
        {"DEL", "w:1"},
        {"DEL", "a:1"},
        {"COPY", "r:1", "w:1"},
        {"RENAME", "k:1", "k:2"},
        {"GETDEL", "w:1"},
        {"GETEX", "r:1"},
        {"APPEND", "w:1", "x"},
        {"EXISTS", "r:1"},
        {"CONFIG", "GET", "maxmemory"},
        {"CONFIG", "SET", "maxmemory", "0"},
        {"CONFIG", "RESETSTAT"},
        {"CLIENT", "LIST"},
        {"CLIENT", "INFO"},
        {"CLIENT", "SETNAME", "n"},
        {"CLIENT", "ID"},
        {"SELECT", "0"},
        {"SELECT", "1"},
        {"PUBLISH", "news.1", "m"},
        {"PUBLISH", "chat", "m"},
        {"PUBLISH", "other", "m"},
        {"PUBLISH", "xray", "m"},
        {"SUBSCRIBE", "news.1", "chat"},
        {"SUBSCRIBE", "chat", "other"},
        {"PSUBSCRIBE", "news.*"},
        {"PSUBSCRIBE", "news.1"},
        {"PSUBSCRIBE", "n*"},
        {"SSUBSCRIBE", "chat"},
        {"SPUBLISH", "chat", "m"},
        {"UNSUBSCRIBE", "x"},
        {"PING"},
        {"ECHO", "x"},
        {"HSET", "h:*x", "f", "v"},
        {"HSET", "h:1", "f", "v"},
        {"HGET", "h:*a", "f"},
        {"HGET", "h:1", "f"},
        {"EVAL", "return 1", "2", "s:1", "s:2"},
        {"EVAL", "return 1", "1", "x"},
        {"EVAL", "return 1", "0"},
        {"EVALSHA", "abc", "0"},
        {"FCALL", "f", "1", "s:1"},
        {"FCALL_RO", "f", "1", "x"},
        {"GEORADIUS", "g:1", "0", "0", "1", "km", "STORE", "g:2"},
        {"GEORADIUS", "g:1", "0", "0", "1", "km", "STORE", "x"},
        {"GEORADIUS", "src:1", "0", "0", "1", "km", "STOREDIST", "g:3"},
        {"GEORADIUS_RO", "src:1", "0", "0", "1", "km"},
        {"ZUNIONSTORE", "g:d", "2", "g:1", "src:1"},
        {"ZUNIONSTORE", "g:d", "2", "g:1", "x"},
        {"ZRANGE", "g:1", "0", "1"},
        {"XREAD", "COUNT", "1", "STREAMS", "s:1", "s:2", "0", "0"},
        {"XREAD", "STREAMS", "s:1", "0"},
        {"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s:1", "0"},
        {"XADD", "s:1", "*", "f", "v"},
        {"LMPOP", "2", "l:1", "l:2", "LEFT"},
        {"BLMPOP", "0", "2", "l:1", "x", "LEFT"},
        {"BLPOP", "l:1", "0"},
        {"BITFIELD", "b:1", "GET", "u8", "0"},
        {"BITFIELD", "b:1", "SET", "u8", "0", "1"},
        {"BITFIELD", "x", "GET", "u8", "0", "OVERFLOW", "SAT"},
        {"BITFIELD_RO", "b:1", "GET", "u8", "0"},
        {"SORT", "s:1"},
        {"SORT", "s:1", "STORE", "dst:1"},
        {"SORT", "s:1", "LIMIT", "0", "1", "STORE", "x"},
        {"SORT_RO", "s:1"},
        {"OBJECT", "ENCODING", "k:1"},
        {"MEMORY", "USAGE", "k:1"},
        {"SCAN", "0"},
        {"KEYS", "*"},
        {"DBSIZE"},
        {"INFO"},
        {"ZADD", "g:1", "1", "m"},
        {"LPUSH", "l:1", "a"},
        {"INCR", "x"},
        {"INCR", "k1"},
        {"GETRANGE", "r:1", "0", "1"},
        {"SETRANGE", "w:1", "0", "x"},
        {"SINTERCARD", "2", "a:1", "b"},
        {"ZINTERCARD", "1", "g:1"},
        {"ACL", "WHOAMI"},
        {"ACL", "LIST"},
        {"MIGRATE", "h", "1", "", "0", "5000", "KEYS", "k:1", "k:2"},
        {"WATCH", "k:1"},
        {"MULTI"},
        {"EXEC"},
        {"LCS", "k:1", "k:2"},
        {"PFMERGE", "w:1", "r:1"},
        {"SMOVE", "r:1", "w:1", "m"},
        {"LMOVE", "l:1", "l:2", "LEFT", "RIGHT"},
        {"RPOPLPUSH", "l:1", "x"},
        {"SINTERSTORE", "w:1", "r:1", "r:2"},
        {"GETSET", "w:1", "v"},
        {"EXPIRE", "k:1", "10"},
        {"TOUCH", "k:1"},
        {"UNLINK", "w:1"},
        {"DUMP", "r:1"},
        {"RESTORE", "w:1", "0", "x"},
        {"TYPE", "k:1"},
        {"PUBSUB", "CHANNELS"},
        {"FUNCTION", "LIST"},
        {"SCRIPT", "FLUSH"},
        {"FLUSHDB"},
        {"FLUSHALL"},
        {"SHUTDOWN"},
        {"DEBUG", "SLEEP", "0"},
        {"WAIT", "0", "0"},
        {"AUTH", "x"},
        {"HELLO"},
        {"OBJECT", "FREQ", "k:1"},
        {"XINFO", "STREAM", "s:1"},
        {"XGROUP", "CREATE", "s:1", "g", "$"},
        {"STRLEN", "a:1"},
        {"SUNSUBSCRIBE"},
        {"RENAME", "a:1", "c:1"},
        {"GET", "\u00e9"},
        {"DEL", "k:1", "k:2", "r:1"}
    };

    @BeforeAll
    static void start() {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stop() {
        if (redis != null) {
            redis.close();
        }
    }

    @ParameterizedTest
    @MethodSource("ruleSets")
    void engineDecidesAsRedisAclDryrun(String rules) {
        String[] roles = rules.split(" \\| ");
        List<String> setuser = new ArrayList<>(List.of("ACL", "SETUSER", "oracle", "reset", "on", "nopass"));
        setuser.addAll(Arrays.asList(roles[0].split(" ")));
        for (int i = 1; i < roles.length; i++) {
            setuser.add("(" + roles[i] + ")");
        }
        assertThat(redis.cli().callString(setuser.toArray(String[]::new))).isEqualTo("OK");
        CommandTable table = CommandTable.builtIn();
        List<AclSelector> selectors = new ArrayList<>();
        for (String r : roles) {
            selectors.add(AclSelector.compile(table, r));
        }
        Permissions perms = new Permissions(table, selectors, false);
        List<String> mismatches = new ArrayList<>();
        for (String[] cmd : COMMANDS) {
            String[] dry = new String[cmd.length + 3];
            dry[0] = "ACL";
            dry[1] = "DRYRUN";
            dry[2] = "oracle";
            System.arraycopy(cmd, 0, dry, 3, cmd.length);
            String expected;
            try {
                expected = classify(redis.cli().callString(dry));
            } catch (RedisErrorReply e) {
                mismatches.add(String.join(" ", cmd) + ": redis refused the dry run: " + e.getMessage());
                continue;
            }
            String actual = perms.check(Args.of(cmd)).reason();
            if (!expected.equals(actual)) {
                mismatches.add(String.join(" ", cmd) + ": redis " + expected + ", engine " + actual);
            }
            // a streamed command is judged on its head: a decided head must agree with the whole command
            for (int read = 1; read < cmd.length; read++) {
                Permissions.Verdict head = perms.check(PermissionsTest.head(read, cmd));
                if (!head.undecided() && !head.reason().equals(actual)) {
                    mismatches.add(String.join(" ", cmd) + " judged on " + read + " arguments: " + head.reason()
                            + ", whole: " + actual);
                }
            }
        }
        assertThat(mismatches).as("rules %s", rules).isEmpty();
    }

    /** ACL DRYRUN's answer as a verdict reason. */
    static String classify(String dryrun) {
        if (dryrun.equals("OK")) {
            return "allowed";
        }
        if (dryrun.contains("permissions to run the")) {
            return "command";
        }
        if (dryrun.contains("' key")) {
            return "key";
        }
        if (dryrun.contains("' channel")) {
            return "channel";
        }
        return "unexpected: " + dryrun;
    }
}
