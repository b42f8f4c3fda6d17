package io.github.redisentra.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.redisentra.gateway.GatewayServer;
import io.github.redisentra.gateway.resp.RequestLimits;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Session rules over real sockets: NOAUTH, AUTH forms, ordering, MULTI, expiry, malformed input, deadlines. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GatewaySessionIT {
    static GatewayHarness h;
    static CountingEvents events = new CountingEvents();
    static GatewayServer gw;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        h = new GatewayHarness(Duration.ofMinutes(10), false);
        gw = h.startGateway(GatewayHarness.sessionSettings(), events);
        port = gw.localAddress().getPort();
    }

    @AfterAll
    static void stop() {
        if (h != null) {
            h.close();
        }
    }

    /** Waits until connections of earlier tests (closed asynchronously) are gone; none of them stay open. */
    private static long quiescentUpstreamConnections() {
        await().atMost(Duration.ofSeconds(20)).until(() -> h.upstreamConnections() == 0);
        return 0;
    }

    private static String auth(String jwt) {
        return "AUTH " + jwt + "\r\n";
    }

    @Test
    void everythingButAuthHelloQuitResetIsRefusedWithNoauthBeforeAuthentication() throws Exception {
        try (RawClient c = new RawClient(port)) {
            c.send("PING\r\nGET k\r\n*1\r\n$4\r\nINFO\r\nHELLO\r\nHELLO 3\r\n");
            assertThat(c.line()).isEqualTo("-NOAUTH Authentication required.");
            assertThat(c.line()).isEqualTo("-NOAUTH Authentication required.");
            assertThat(c.line()).isEqualTo("-NOAUTH Authentication required.");
            String helloNoauth = "-NOAUTH HELLO must be called with the client already authenticated, otherwise the"
                    + " HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the"
                    + " RESP protocol version at the same time";
            assertThat(c.line()).isEqualTo(helloNoauth);
            assertThat(c.line()).isEqualTo(helloNoauth);
            c.send("AUTH\r\nAUTH a b c\r\nHELLO 4\r\nHELLO x\r\nHELLO 3 AUTH u\r\nHELLO 3 FOO\r\nRESET\r\nQUIT\r\n");
            assertThat(c.line()).isEqualTo("-ERR wrong number of arguments for 'auth' command");
            assertThat(c.line()).isEqualTo("-ERR syntax error");
            assertThat(c.line()).isEqualTo("-NOPROTO unsupported protocol version");
            assertThat(c.line()).isEqualTo("-ERR Protocol version is not an integer or out of range");
            assertThat(c.line()).isEqualTo("-ERR Syntax error in HELLO option 'AUTH'");
            assertThat(c.line()).isEqualTo("-ERR Syntax error in HELLO option 'FOO'");
            assertThat(c.line()).isEqualTo("+RESET");
            assertThat(c.line()).isEqualTo("+OK");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void pipelinedCommandsAroundAuthAreAnsweredInOrderAndRunAsTheNewIdentity() throws Exception {
        try (RawClient c = new RawClient(port)) {
            c.send("GET pipelined:a\r\n" + auth(h.token(h.alice)) + "SET pipelined:a 1\r\nGET pipelined:a\r\n");
            assertThat(c.line()).isEqualTo("-NOAUTH Authentication required.");
            assertThat(c.line()).isEqualTo("+OK");
            assertThat(c.line()).isEqualTo("+OK");
            assertThat(c.line()).isEqualTo("$1");
            assertThat(c.line()).isEqualTo("1");
            c.send("SET pipelined:b 2\r\n");
            assertThat(c.line()).isEqualTo("+OK");
            c.send("GET pipelined:a\r\n" + auth(h.token(h.bob)) + "GET pipelined:b\r\n");
            assertThat(c.readLike("$1\r\n1\r\n+OK\r\n$1\r\n2\r\n")).isEqualTo("$1\r\n1\r\n+OK\r\n$1\r\n2\r\n");
        }
    }

    @Test
    void failedAuthAnswersWrongpassKeepsThePreviousIdentityAndOpensNoUpstreamConnection() throws Exception {
        long before = quiescentUpstreamConnections();
        String wrongpass = "-WRONGPASS invalid username-password pair or user is disabled.";
        try (RawClient c = new RawClient(port)) {
            String good = h.token(h.alice);
            String tampered = good.substring(0, good.length() - 4) + (good.endsWith("AAAA") ? "BBBB" : "AAAA");
            c.send(auth("not-a-jwt")
                    + auth(tampered)
                    + auth(h.token(h.outsider))
                    + "AUTH someone-else " + good + "\r\n"
                    + "HELLO 3 AUTH default " + tampered + "\r\n");
            for (int i = 0; i < 5; i++) {
                assertThat(c.line()).isEqualTo(wrongpass);
            }
            assertThat(h.upstreamConnections()).isEqualTo(before);
            c.send("AUTH " + h.alice.objectId() + " " + good + "\r\nPING\r\n" + auth("bad") + "PING\r\n");
            assertThat(c.line()).isEqualTo("+OK");
            assertThat(c.line()).isEqualTo("+PONG");
            assertThat(c.line()).isEqualTo(wrongpass);
            assertThat(c.line()).isEqualTo("+PONG");
            assertThat(h.upstreamConnections()).isEqualTo(before + 1);
        }
    }

    @Test
    void helloAuthSwitchesToResp3WithTheServersOwnReply() throws Exception {
        try (RawClient c = new RawClient(port)) {
            c.send("HELLO 3 AUTH default " + h.token(h.alice) + " SETNAME gw-test\r\nCLIENT GETNAME\r\n");
            assertThat(c.line()).isEqualTo("%7");
            assertThat(c.line()).isEqualTo("$6");
            assertThat(c.line()).isEqualTo("server");
            skipTo(c, "proto");
            assertThat(c.line()).isEqualTo(":3");
            skipTo(c, "modules");
            assertThat(c.line()).isEqualTo("*0");
            assertThat(c.line()).isEqualTo("$7");
            assertThat(c.line()).isEqualTo("gw-test");
        }
    }

    private static void skipTo(RawClient c, String line) throws IOException {
        for (int i = 0; i < 40; i++) {
            if (c.line().equals(line)) {
                return;
            }
        }
        throw new AssertionError("no line " + line);
    }

    @Test
    void authAndHelloInsideMultiAreNeverForwardedAndAbortTheTransaction() throws Exception {
        try (RawClient c = new RawClient(port)) {
            String t = h.token(h.alice);
            c.send(auth(t) + "DEL multi:k\r\nMULTI\r\nSET multi:k 1\r\n" + auth(t) + "EXEC\r\nGET multi:k\r\n");
            assertThat(c.line()).isEqualTo("+OK");
            assertThat(c.line()).isEqualTo(":0");
            assertThat(c.line()).isEqualTo("+OK");
            assertThat(c.line()).isEqualTo("+QUEUED");
            assertThat(c.line()).startsWith("-ERR AUTH and HELLO are not supported inside MULTI");
            assertThat(c.line()).isEqualTo("-EXECABORT Transaction discarded because of previous errors.");
            assertThat(c.line()).isEqualTo("$-1");
            c.send("MULTI\r\nINCR multi:n\r\nINCR multi:n\r\nEXEC\r\n");
            assertThat(c.line()).isEqualTo("+OK");
            assertThat(c.line()).isEqualTo("+QUEUED");
            assertThat(c.line()).isEqualTo("+QUEUED");
            assertThat(c.line()).isEqualTo("*2");
        }
    }

    @Test
    void expiredIdentityGetsNoauthUntilItAuthenticatesAgain() throws Exception {
        try (RawClient c = new RawClient(port)) {
            c.send(auth(h.token(h.alice, Duration.ofSeconds(3))) + "SET exp:k v\r\n");
            assertThat(c.line()).isEqualTo("+OK");
            assertThat(c.line()).isEqualTo("+OK");
            await().atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> {
                        c.send("GET exp:k\r\n");
                        String l = c.line();
                        if (l.startsWith("$")) {
                            c.line();
                        }
                        return l.equals("-NOAUTH Authentication required.");
                    });
            c.send(auth(h.token(h.alice)) + "GET exp:k\r\n");
            assertThat(c.line()).isEqualTo("+OK");
            assertThat(c.line()).isEqualTo("$1");
            assertThat(c.line()).isEqualTo("v");
        }
    }

    @Test
    void anIdentityExpiringInsideMultiAbortsTheTransactionOnBothSides() throws Exception {
        try (RawClient c = new RawClient(port)) {
            c.send(auth(h.token(h.alice, Duration.ofSeconds(3))) + "DEL txexp:k\r\nMULTI\r\nSET txexp:k 1\r\n");
            assertThat(c.line()).isEqualTo("+OK");
            assertThat(c.line()).startsWith(":");
            assertThat(c.line()).isEqualTo("+OK");
            assertThat(c.line()).isEqualTo("+QUEUED");
            await().atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> {
                        c.send("ECHO x\r\n");
                        String l = c.line();
                        return l.equals("-NOAUTH Authentication required.");
                    });
            c.send("EXEC\r\n" + auth(h.token(h.alice)) + "PING\r\nGET txexp:k\r\n");
            assertThat(c.line())
                    .isEqualTo("-EXECABORT Transaction discarded because of: NOAUTH Authentication required.");
            assertThat(c.line()).isEqualTo("+OK");
            assertThat(c.line()).isEqualTo("+PONG"); // upstream is no longer inside MULTI
            assertThat(c.line()).isEqualTo("$-1"); // the queued SET never ran
        }
    }

    @Test
    void resetDeauthenticatesTheClientButLeavesTheUpstreamUsable() throws Exception {
        try (RawClient c = new RawClient(port)) {
            c.send(auth(h.token(h.alice)) + "CLIENT SETNAME before\r\nRESET\r\nGET k\r\n" + auth(h.token(h.alice))
                    + "CLIENT GETNAME\r\nPING\r\n");
            assertThat(c.line()).isEqualTo("+OK");
            assertThat(c.line()).isEqualTo("+OK");
            assertThat(c.line()).isEqualTo("+RESET");
            assertThat(c.line()).isEqualTo("-NOAUTH Authentication required.");
            assertThat(c.line()).isEqualTo("+OK");
            assertThat(c.line()).isEqualTo("$-1");
            assertThat(c.line()).isEqualTo("+PONG");
        }
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "*x\\r\\n|-ERR Protocol error: invalid multibulk length",
                "*20\\r\\n|-ERR Protocol error: unauthenticated multibulk length",
                "*1\\r\\n+a\\r\\n|-ERR Protocol error: expected '$', got '+'",
                "*1\\r\\n*1\\r\\n|-ERR Protocol error: expected '$', got '*'",
                "*1\\r\\n$-3\\r\\n|-ERR Protocol error: invalid bulk length",
                "*2\\r\\n$4\\r\\nAUTH\\r\\n$104857600\\r\\n|-ERR Protocol error: unauthenticated bulk length",
                "GET \"a\\r\\n|-ERR Protocol error: unbalanced quotes in request",
                "PING\\r\\n*1\\r\\n%1\\r\\n|-NOAUTH Authentication required.\\r\\n-ERR Protocol error: expected '$', got '%'",
            })
    void malformedInputIsAnsweredWithRedisErrorTextThenClosed(String input, String expected) throws Exception {
        String raw = input.replace("\\r", "\r").replace("\\n", "\n");
        String exp = expected.replace("\\r", "\r").replace("\\n", "\n") + "\r\n";
        try (RawClient c = new RawClient(port)) {
            c.send(raw);
            assertThat(c.readLike(exp)).isEqualTo(exp);
            assertThat(c.closedByServer()).isTrue();
        }
        try (RawClient other = new RawClient(port)) { // the gateway keeps serving
            other.send("PING\r\n");
            assertThat(other.line()).isEqualTo("-NOAUTH Authentication required.");
        }
    }

    @Test
    void aJwtWithManyGroupsFitsThePreAuthLimits() throws Exception {
        // ~200 GUIDs: well above Redis's own 16 KiB pre-auth bulk limit would be ~450 groups; this checks the path.
        String padded = h.token(h.alice);
        assertThat(padded.length()).isLessThan(RequestLimits.PRE_AUTH_DEFAULT.maxBulkBytes());
        try (RawClient c = new RawClient(port)) {
            c.send("*2\r\n$4\r\nAUTH\r\n$" + padded.length() + "\r\n" + padded + "\r\nPING\r\n");
            assertThat(c.line()).isEqualTo("+OK");
            assertThat(c.line()).isEqualTo("+PONG");
        }
    }

    @Test
    void aSubscriberWhoseTokenExpiresIsClosedWithAClearError() throws Exception {
        try (RawClient c = new RawClient(port)) {
            c.send("HELLO 3 AUTH default " + h.token(h.alice, Duration.ofSeconds(3)) + "\r\n");
            skipTo(c, "modules");
            assertThat(c.line()).isEqualTo("*0");
            c.send("SUBSCRIBE expiring\r\n");
            assertThat(c.line()).isEqualTo(">3");
            skipTo(c, ":1");
            assertThat(c.line()).startsWith("-ERR gateway: the client token expired while subscribed");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void aRefusedExecIsAnsweredAsRedisAbortsTheTransaction() throws Exception {
        // redis-server 7.0 (requirepass; RESP2 subscribed) answers these EXECs word for word so
        try (RawClient c = new RawClient(port)) {
            c.send("EXEC\r\n" + auth(h.token(h.alice)) + "SUBSCRIBE exec-context\r\nEXEC\r\n");
            assertThat(c.line())
                    .isEqualTo("-EXECABORT Transaction discarded because of: NOAUTH Authentication required.");
            assertThat(c.line()).isEqualTo("+OK");
            skipTo(c, ":1");
            assertThat(c.line())
                    .isEqualTo("-EXECABORT Transaction discarded because of: Can't execute 'exec': only (P|S)SUBSCRIBE"
                            + " / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context");
        }
    }

    /** Polls with PING until the session's identity has expired (the gateway answers NOAUTH). */
    private static void awaitExpired(RawClient c) {
        await().atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(300))
                .until(() -> {
                    c.send("PING\r\n");
                    return c.line().equals("-NOAUTH Authentication required.");
                });
    }

    @Test
    void aResp3SubscriptionMadeInsideMultiReceivesNothingAfterTheTokenExpired() throws Exception {
        try (RawClient c = new RawClient(port)) {
            c.send("HELLO 3 AUTH default " + h.token(h.alice, Duration.ofSeconds(3)) + "\r\n");
            skipTo(c, "modules");
            assertThat(c.line()).isEqualTo("*0");
            c.send("MULTI\r\nSUBSCRIBE tx-expiring\r\nEXEC\r\n");
            assertThat(c.line()).isEqualTo("+OK");
            assertThat(c.line()).isEqualTo("+QUEUED");
            skipTo(c, ":1"); // EXEC's reply: the subscription, confirmed by a push
            awaitExpired(c);
            h.redis.cli().call("PUBLISH", "tx-expiring", "after expiry");
            assertThat(c.line()).startsWith("-ERR gateway: the client token expired while subscribed");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void aResp2SubscribePipelinedBehindABlockingCommandReceivesNothingAfterTheTokenExpired() throws Exception {
        try (RawClient c = new RawClient(port)) {
            c.send(auth(h.token(h.alice, Duration.ofSeconds(3))) + "BLPOP expiring:list 4\r\nSUBSCRIBE expiring2\r\n");
            assertThat(c.line()).isEqualTo("+OK");
            assertThat(c.line()).isEqualTo("*-1"); // BLPOP timed out after the token's expiry
            skipTo(c, ":1"); // then the subscription was confirmed
            h.redis.cli().call("PUBLISH", "expiring2", "after expiry");
            assertThat(c.line()).startsWith("-ERR gateway: the client token expired while subscribed");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void thousandsOfPipelinedFailedAuthsAreEachAnsweredInOrderAndOpenNothing() throws Exception {
        long before = quiescentUpstreamConnections();
        int n = 2000;
        try (RawClient c = new RawClient(port)) {
            c.send("AUTH not-a-token\r\n".repeat(n) + "PING\r\n");
            for (int i = 0; i < n; i++) {
                assertThat(c.line()).isEqualTo("-WRONGPASS invalid username-password pair or user is disabled.");
            }
            assertThat(c.line()).isEqualTo("-NOAUTH Authentication required.");
        }
        assertThat(h.upstreamConnections()).isEqualTo(before);
    }

    @Test
    void idleUnauthenticatedConnectionsAreClosedAtTheAuthDeadline() throws Exception {
        GatewayServer quick = h.startGateway(
                GatewayHarness.sessionSettings().withAuthDeadline(Duration.ofMillis(700)), new CountingEvents());
        try (RawClient idle = new RawClient(quick.localAddress().getPort());
                RawClient slowloris = new RawClient(quick.localAddress().getPort());
                RawClient authed = new RawClient(quick.localAddress().getPort())) {
            authed.send(auth(h.token(h.alice)));
            assertThat(authed.line()).isEqualTo("+OK");
            slowloris.send("*2\r\n$4\r\nAUTH\r\n$1000\r\nabc"); // half a frame, held open
            assertThat(slowloris.line()).startsWith("-ERR gateway: authentication timeout");
            assertThat(slowloris.closedByServer()).isTrue();
            assertThat(idle.line()).startsWith("-ERR gateway: authentication timeout");
            assertThat(idle.closedByServer()).isTrue();
            await().atMost(Duration.ofSeconds(5)).until(() -> quick.connectionCount() == 1);
            authed.send("PING\r\n");
            assertThat(authed.line()).isEqualTo("+PONG");
        } catch (IOException e) {
            throw e;
        }
    }
}
