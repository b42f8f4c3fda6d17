package io.github.redisentra.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.testkit.RedisCli;
import io.github.redisentra.testkit.RedisServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The drill the command's tunnel ITs run across token renewals, whatever is behind the tunnel. */
final class RenewalDrill {
    /** {@code -Dredisentra.cli.longRun=true}: issue #20's acceptance run, 20 s tokens for 130 s. */
    static final boolean LONG_RUN = Boolean.getBoolean("redisentra.cli.longRun");
    /** The users' token lifetime in the renewal ITs: 12 s by default (about four renewals in {@link #RUN_FOR}). */
    static final Duration TOKEN_LIFETIME = Duration.ofSeconds(LONG_RUN ? 20 : 12);
    /** How long the renewal ITs' drills run: 15 s by default. */
    static final Duration RUN_FOR = Duration.ofSeconds(LONG_RUN ? 130 : 15);

    private RenewalDrill() {}

    /**
     * For {@code runFor}, four times a second: {@code counter} INCRs {@code counterKey} (nothing lost), a message
     * published straight to {@code redis} on {@code prefix:ch} reaches {@code subscriber} exactly once, in order, and
     * the interactive redis-cli {@code cli}, driven through its stdin like a person at its prompt, INCRs
     * {@code prefix:interactive}. Then the counter holds the rounds run, and redis-cli ends when its stdin closes.
     *
     * @return the rounds run
     */
    static int run(
            RedisServer redis,
            RedisCli counter,
            String counterKey,
            RedisCli subscriber,
            String prefix,
            Process cli,
            Duration runFor)
            throws Exception {
        Writer typed = new OutputStreamWriter(cli.getOutputStream(), StandardCharsets.UTF_8);
        BufferedReader shown = new BufferedReader(new InputStreamReader(cli.getInputStream(), StandardCharsets.UTF_8));
        String channel = prefix + ":ch";
        assertThat(subscriber.call("SUBSCRIBE", channel)).isEqualTo(List.of("subscribe", channel, 1L));
        long deadline = System.nanoTime() + runFor.toNanos();
        int n = 0;
        while (System.nanoTime() < deadline) {
            n++;
            assertThat(counter.call("INCR", counterKey)).isEqualTo((long) n);
            // two receivers while a handover overlaps the old and the new upstream subscription
            assertThat((Long) redis.cli().call("PUBLISH", channel, "m" + n)).isBetween(1L, 2L);
            // each message exactly once, in order (a duplicate or a loss fails the next comparison)
            assertThat(subscriber.readNext()).isEqualTo(List.of("message", channel, "m" + n));
            typed.write("INCR " + prefix + ":interactive\n");
            typed.flush();
            assertThat(shown.readLine()).isEqualTo(Integer.toString(n));
            Thread.sleep(250);
        }
        assertThat(redis.cli().callString("GET", counterKey)).isEqualTo(Integer.toString(n));
        typed.close();
        assertThat(cli.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return n;
    }
}
