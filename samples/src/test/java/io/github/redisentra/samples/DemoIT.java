package io.github.redisentra.samples;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.samples.demo.DemoMain;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs the whole local demo in-process (emulator, redis-server, the gateway as a child JVM, both samples) so that
 * {@code mvn verify} keeps {@code ./demo.sh} from rotting.
 */
class DemoIT {

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void demoRunsEndToEndAndExitsZeroWithTheKeyTranscriptLines() {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream tee = new PrintStream(new TeeStream(captured, System.out), true, StandardCharsets.UTF_8);

        int status = DemoMain.run(tee);

        String transcript = captured.toString(StandardCharsets.UTF_8);
        assertThat(status).as("demo exit status").isZero();
        assertThat(transcript)
                .contains("[gateway] ready on 127.0.0.1:")
                .contains("(TLS; admin")
                .contains("IDENTITY_HEADER=(redacted)")
                .contains("/devicelogin and enter the code")
                .contains("a person would now open")
                .contains("strings: SET/GET sample:lettuce:greeting -> \"hello from Lettuce\"")
                .contains("pub/sub: PUBLISH demo:news reached 1 subscriber(s)")
                .contains("token renewed: sha256=")
                .contains("connection re-authenticated in place with the renewed token")
                .contains("signed in (browser) as alice@demo.test")
                .contains("-> 100 over")
                .contains("[bob]    refused: WRONGPASS invalid username-password pair or user is disabled.")
                .contains("audit: bob denied, reason missing_group")
                .contains("redis_entra_gateway_auth_total{result=\"denied\",reason=\"missing_group\"} 1")
                .contains("$ redis-entra login")
                .contains("redis-cli SET/GET/INCR through redis-entra connect and the gateway")
                .contains("[redis-cli] hello from redis-cli")
                .contains("DEMO OK")
                .doesNotContain("FAILED");
        // Tokens appear only as fingerprints: no JWT (base64url of '{"') anywhere in what a user sees.
        assertThat(transcript.contains("eyJ")).as("transcript contains a JWT").isFalse();
    }

    /** Writes to both streams. */
    private static final class TeeStream extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        TeeStream(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws java.io.IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws java.io.IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }

        @Override
        public void flush() throws java.io.IOException {
            a.flush();
            b.flush();
        }
    }
}
