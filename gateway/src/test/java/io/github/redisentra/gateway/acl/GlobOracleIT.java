package io.github.redisentra.gateway.acl;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.testkit.RedisServer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link Glob} against redis-server's own matcher on random patterns and keys over a small alphabet full of glob
 * syntax: each pattern becomes a key pattern of an ACL user, and {@code ACL DRYRUN … GET key} says whether it
 * matched. 400 pairs by default; {@code -Dglob.oracle.pairs=N} for more (seed printed on failure).
 */
class GlobOracleIT {
    private static final char[] PATTERN_ALPHABET = "ab*?[]^-\\".toCharArray();
    private static final char[] KEY_ALPHABET = "ab*?[]^-\\".toCharArray();

    @Test
    void globMatchesRedis() {
        int pairs = Integer.getInteger("glob.oracle.pairs", 400);
        long seed = Long.getLong("glob.oracle.seed", System.nanoTime());
        Random r = new Random(seed);
        List<String> mismatches = new ArrayList<>();
        int matched = 0;
        try (RedisServer redis = RedisServer.start()) {
            for (int i = 0; i < pairs; i++) {
                String pattern = random(r, PATTERN_ALPHABET, 1 + r.nextInt(6));
                String key = random(r, KEY_ALPHABET, 1 + r.nextInt(5));
                if (pattern.equals("*")) {
                    continue; // means allkeys
                }
                redis.cli().call("ACL", "SETUSER", "g", "reset", "on", "nopass", "+get", "~" + pattern);
                boolean redisSays =
                        redis.cli().callString("ACL", "DRYRUN", "g", "GET", key).equals("OK");
                boolean we = Glob.match(pattern.getBytes(StandardCharsets.UTF_8), key.getBytes(StandardCharsets.UTF_8));
                matched += redisSays ? 1 : 0;
                if (redisSays != we) {
                    mismatches.add("pattern " + pattern + " key " + key + ": redis " + redisSays);
                }
            }
        }
        assertThat(mismatches).as("seed %d", seed).isEmpty();
        assertThat(matched).as("some pairs match").isPositive();
    }

    private static String random(Random r, char[] alphabet, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(alphabet[r.nextInt(alphabet.length)]);
        }
        return sb.toString();
    }
}
