package io.github.redisentra.gateway.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Enumerates, in the gateway's main sources, every path by which bytes reach an upstream connection, and fails when a
 * new one appears: "one gate" is a property of the code, not of one branch. A source scan: each call site is named
 * {@code File.method: call} (the enclosing method found by declaration lines; lambdas count as their method).
 */
class UpstreamPathsTest {
    static final Path MAIN = Path.of("src/main/java/io/github/redisentra/gateway");
    static final Pattern DECLARATION = Pattern.compile(
            "^\\s{4,8}(?:@Override\\s+)?(?:(?:public|private|protected|static|final|synchronized|default)\\s+)*"
                    + "[\\w<>\\[\\]?, .]+\\s+(\\w+)\\([^;]*$");
    static final Pattern SIGNATURE = Pattern.compile(
            "^(?:@Override\\s+)?(?:(?:public|private|protected|static|final|synchronized|default|abstract)\\s+)*"
                    + "[\\w<>\\[\\]?,.]+\\s+\\w+\\(");

    /** Call sites of {@code pattern} in {@code files} (relative to the gateway package), as File.method: call. */
    static TreeSet<String> callSites(Pattern pattern, String... files) throws IOException {
        TreeSet<String> sites = new TreeSet<>();
        List<Path> paths = new ArrayList<>();
        if (files.length == 0) {
            try (Stream<Path> all = Files.walk(MAIN)) {
                all.filter(p -> p.toString().endsWith(".java")).forEach(paths::add);
            }
        } else {
            for (String f : files) {
                paths.add(MAIN.resolve(f));
            }
        }
        for (Path p : paths) {
            String file = p.getFileName().toString().replace(".java", "");
            String method = "?";
            for (String line : Files.readAllLines(p)) {
                String code = line.strip();
                if (code.startsWith("*") || code.startsWith("/*") || code.startsWith("//")) {
                    continue;
                }
                boolean declaration = SIGNATURE.matcher(code).find()
                        && !code.startsWith("return ")
                        && !code.startsWith("new ")
                        && !code.startsWith("throw ")
                        && !code.contains(" = ");
                Matcher d = DECLARATION.matcher(line);
                if (declaration && d.find()) {
                    method = d.group(1);
                }
                if (declaration) {
                    continue; // a declaration, not a call
                }
                Matcher m = pattern.matcher(code);
                while (m.find()) {
                    sites.add(file + "." + method + ": " + m.group());
                }
            }
        }
        return sites;
    }

    @Test
    void theOnlyWritesToAnUpstreamChannelAreTheSessionsOneWriterAndTheHandoversNewConnection() throws IOException {
        // Netty channel writes in the per-connection packages: to the client, or to the upstream
        Pattern write = Pattern.compile("\\b\\w+\\.(?:write|writeAndFlush)\\(");
        assertThat(callSites(
                        write,
                        "session/ClientSession.java",
                        "session/ClientInput.java",
                        "session/ProtocolState.java",
                        "session/PubSubState.java",
                        "session/SessionUpstream.java",
                        "session/CommandGate.java",
                        "session/ReplyLedger.java",
                        "upstream/UpstreamAuth.java",
                        "upstream/UpstreamLink.java",
                        "upstream/Handover.java",
                        "upstream/UpstreamHandler.java",
                        "upstream/UpstreamConnector.java",
                        "upstream/WarmPool.java"))
                .containsExactlyInAnyOrder(
                        "ClientSession.closeAfterFlush: client.writeAndFlush(",
                        "ClientSession.fail: client.writeAndFlush(",
                        "ClientSession.toClient: client.write(",
                        "ClientSession.writeUpstream: upstream.write(",
                        // the run of commands forwarded by the gate, one slice of the client's input (#19)
                        "ClientSession.writeForwarded: upstream.write(",
                        // the new connection of a RESP2 subscriber's handover: AUTH + resubscription, then PING
                        "Handover.begin: channel.writeAndFlush(",
                        "Handover.oldStreamEnded: channel.writeAndFlush(",
                        // a warm connection of the pool (UPSTREAM_POOL_SIZE, #19): only its AUTH, before any session
                        // takes it
                        "WarmPool.fill: channel.writeAndFlush(");
    }

    @Test
    void theSessionsUpstreamWriterHasThreeCallersTheGateTheUpstreamAuthAndGatewayMadeCommands() throws IOException {
        assertThat(callSites(Pattern.compile("\\bwriteUpstream\\(")))
                .containsExactlyInAnyOrder(
                        "ClientSession.forwardUpstream: writeUpstream(",
                        "ClientSession.writeGatewayCommand: writeUpstream(",
                        "SessionUpstream.writeAuth: writeUpstream(");
    }

    @Test
    void clientCommandBytesGoUpstreamOnlyWithAForwardDecisionOfTheGate() throws IOException {
        // every caller passes the gate's decision, which forwardUpstream requires to be FORWARD
        assertThat(callSites(Pattern.compile("\\bforwardUpstream\\(\\w+,")))
                .containsExactlyInAnyOrder(
                        "ClientInput.process: forwardUpstream(streamed,", "ClientSession.forward: forwardUpstream(d,");
        assertThat(callSites(Pattern.compile("\\bforwardUpstream\\("))).hasSize(2);
    }

    @Test
    void theRunOfForwardedCommandsHoldsOnlyCommandsTheGateForwarded() throws IOException {
        // writeForwarded writes the run; only forwardUpstream (which requires FORWARD) puts commands in it: the
        // session's one ForwardRun is private to it, and joined only there
        assertThat(callSites(Pattern.compile("\\bnew ForwardRun\\(")))
                .containsExactly("ClientSession.?: new ForwardRun(");
        assertThat(callSites(
                        Pattern.compile("\\bprivate final ForwardRun forwardRun\\b"), "session/ClientSession.java"))
                .hasSize(1);
        assertThat(callSites(
                        Pattern.compile("\\bjoin\\([^)]*\\)"), "session/ClientSession.java", "session/ForwardRun.java"))
                .containsExactly("ClientSession.forwardUpstream: join(cmd)");
        assertThat(callSites(Pattern.compile("\\bforwardRun\\.\\w+\\(")))
                .containsExactlyInAnyOrder(
                        "ClientSession.forwardUpstream: forwardRun.continuedBy(",
                        "ClientSession.forwardUpstream: forwardRun.join(",
                        "ClientSession.writeForwarded: forwardRun.take(",
                        "ClientSession.fail: forwardRun.drop(",
                        "ClientSession.cleanup: forwardRun.drop(");
        assertThat(callSites(Pattern.compile("\\brun = [^;]*"), "session/ForwardRun.java"))
                .containsExactlyInAnyOrder(
                        "ForwardRun.join: run = in", "ForwardRun.take: run = null", "ForwardRun.drop: run = null");
        assertThat(callSites(Pattern.compile("\\brunEnd = [^;]*"), "session/ForwardRun.java"))
                .containsExactly("ForwardRun.join: runEnd = cmd.viewEnd()");
    }

    @Test
    void gatewayMadeCommandsAreConstantsTheReencodedHelloOrTheConnectionsName() throws IOException {
        assertThat(callSites(Pattern.compile("\\bwriteGatewayCommand\\([^,]*")))
                .containsExactlyInAnyOrder(
                        "SessionUpstream.owePing: writeGatewayCommand(Unpooled.wrappedBuffer(PING_CMD)",
                        "ClientSession.refuse: writeGatewayCommand(Unpooled.wrappedBuffer(BARE_AUTH)",
                        "ClientSession.refused: writeGatewayCommand(Unpooled.wrappedBuffer(DISCARD_CMD)",
                        "ProtocolState.forwardHello: writeGatewayCommand(frame",
                        "ProtocolState.reset: writeGatewayCommand(Unpooled.wrappedBuffer(RESET_CMD)",
                        // the upstream connection's name (UPSTREAM_CLIENT_NAME, #22): derived from the principal,
                        // with the client's own (validated) name as suffix; CLIENT GETNAME's answer is an ECHO of it
                        "SessionAudit.nameUpstream: writeGatewayCommand(Unpooled.wrappedBuffer(frame)",
                        "SessionAudit.clientName: writeGatewayCommand(Unpooled.wrappedBuffer(UpstreamClientName.setNameFrame(derived))",
                        "SessionAudit.clientName: writeGatewayCommand(echo");
    }

    @Test
    void upstreamAuthIsTheOnlyWriterOfAuthFrames() throws IOException {
        assertThat(callSites(Pattern.compile("\\b(?:writeAuth|writeAuthFrame)\\(")))
                .containsExactlyInAnyOrder(
                        // the handover sends its AUTH on its new connection itself, in one write with the
                        // resubscription, but the frame is UpstreamAuth's
                        "Handover.resubscription: writeAuthFrame(",
                        "UpstreamAuth.send: writeAuth(",
                        "UpstreamAuth.send: writeAuthFrame(",
                        "UpstreamAuth.writeAuthFrame: writeAuthFrame(",
                        // a warm connection's AUTH (UPSTREAM_POOL_SIZE, #19), UpstreamAuth's frame for the identity
                        "WarmPool.fill: writeAuthFrame(");
    }
}
