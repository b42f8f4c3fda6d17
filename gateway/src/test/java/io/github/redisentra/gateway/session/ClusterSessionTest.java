package io.github.redisentra.gateway.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.gateway.cluster.ClusterNode;
import io.github.redisentra.gateway.cluster.ClusterView;
import io.github.redisentra.gateway.cluster.NodeEndpoints;
import io.github.redisentra.gateway.config.HostPort;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A session of a cluster-transparent gateway without sockets: a real {@link ClientSession} on an embedded channel, its
 * upstream an embedded channel the test answers for the cache, and a {@link ClusterView} whose refreshes the test
 * completes by hand.
 */
class ClusterSessionTest {
    static final String A = "a".repeat(40);
    static final String B = "b".repeat(40);
    static final String D = "d".repeat(40);

    /** The topology: a map the test changes, refreshes it completes itself. */
    static final class FakeView implements ClusterView, NodeEndpoints {
        final Map<String, HostPort> byId = new HashMap<>();
        final Map<String, HostPort> byAddress = new HashMap<>();
        final List<Runnable> refreshes = new ArrayList<>();

        void node(String id, String host, int port, int gatewayPort) {
            HostPort gw = new HostPort("gw.example", gatewayPort);
            byId.put(id, gw);
            byAddress.put(host + "|" + port, gw);
        }

        @Override
        public NodeEndpoints endpoints() {
            return this;
        }

        @Override
        public void refresh(Runnable done) {
            refreshes.add(done);
        }

        @Override
        public ClusterNode self() {
            return new ClusterNode(A, "10.0.0.5", 8501, 18501, "", Set.of("master"), null, List.of());
        }

        @Override
        public HostPort forNodeId(String nodeId) {
            return byId.get(nodeId);
        }

        @Override
        public HostPort forUpstream(String host, int port) {
            return byAddress.get(host + "|" + port);
        }
    }

    final FakeView view = new FakeView();
    EmbeddedSession session;
    EmbeddedChannel client;

    @AfterEach
    void close() {
        if (session != null) {
            session.close();
        }
    }

    /** A signed-in session; {@code cluster}: bridged to node A of {@link #view}. */
    void start(boolean cluster) {
        view.node(A, "10.0.0.5", 8501, 7001);
        view.node(B, "10.0.0.6", 8502, 7002);
        session = EmbeddedSession.signedIn(
                cluster ? SessionSettings.DEFAULTS.withCluster(view) : SessionSettings.DEFAULTS);
        client = session.client;
    }

    void send(String bytes) {
        session.send(bytes);
    }

    /** Replies as the cache. */
    void reply(String bytes) {
        session.reply(bytes);
    }

    String received() {
        return String.join("", session.clientWrites());
    }

    String upstreamReceived() {
        return String.join("", session.upstreamWrites());
    }

    static String bulk(String s) {
        return "$" + s.length() + "\r\n" + s + "\r\n";
    }

    static String slots(String host, int port, String id) {
        return "*1\r\n*3\r\n:0\r\n:16383\r\n*3\r\n" + bulk(host) + ":" + port + "\r\n" + bulk(id);
    }

    @Test
    void aClusterSlotsReplyIsRewrittenThroughTheLedger() {
        start(true);
        send("*2\r\n$7\r\nCLUSTER\r\n$5\r\nSLOTS\r\n");
        assertThat(upstreamReceived()).contains("SLOTS");
        reply(slots("10.0.0.6", 8502, B));
        assertThat(received()).isEqualTo(slots("gw.example", 7002, B));
    }

    @Test
    void movedAndAskAreRewrittenAndPlainRepliesAroundThemPassUnchanged() {
        start(true);
        send("GET a\r\nGET b\r\nGET c\r\nGET d\r\n");
        reply("$1\r\n1\r\n-MOVED 42 10.0.0.6:8502\r\n-ASK 43 :8501\r\n-ERR other\r\n");
        assertThat(received())
                .isEqualTo("$1\r\n1\r\n-MOVED 42 gw.example:7002\r\n-ASK 43 gw.example:7001\r\n-ERR other\r\n");
        assertThat(view.refreshes).isEmpty();
    }

    @Test
    void aRedirectToAnUnknownNodeHoldsItAndEveryLaterReplyInOrderUntilTheTopologyIsRefreshed() {
        start(true);
        send("GET a\r\nGET b\r\nCLUSTER FORGET x\r\nGET c\r\n");
        assertThat(received())
                .as("the refusal waits for the replies owed before it")
                .isEmpty();
        reply("-MOVED 42 10.0.0.7:8504\r\n$1\r\nb\r\n");
        reply("-MOVED 43 10.0.0.6:8502\r\n");
        assertThat(received()).as("held while the topology is refreshed").isEmpty();
        assertThat(view.refreshes).hasSize(1);

        view.node(D, "10.0.0.7", 8504, 7004); // the refresh found the new node and listens for it
        view.refreshes.remove(0).run();
        assertThat(received())
                .isEqualTo("-MOVED 42 gw.example:7004\r\n$1\r\nb\r\n"
                        + "-ERR gateway: CLUSTER FORGET is not allowed through the gateway\r\n"
                        + "-MOVED 43 gw.example:7002\r\n");

        send("GET e\r\nPING\r\n");
        reply("-MOVED 44 10.0.0.8:8506\r\n+PONG\r\n");
        assertThat(received()).isEmpty();
        view.refreshes.remove(0).run(); // still unknown after the refresh
        assertThat(received()).isEqualTo("-TRYAGAIN gateway: cluster topology is changing, retry\r\n+PONG\r\n");
        send("GET f\r\n");
        reply("$1\r\nf\r\n");
        assertThat(received()).as("the session goes on").isEqualTo("$1\r\nf\r\n");
    }

    @Test
    void aLargeTopologyReplyIsReadWholeAndRewrittenNotStreamedInParts() {
        start(true);
        send("INFO\r\n");
        String info = "# Server\r\ntcp_port:8501\r\n" + "# Padding\r\n" + ("x:" + "y".repeat(98) + "\r\n").repeat(1000)
                + "# Replication\r\nrole:slave\r\nmaster_host:10.0.0.6\r\nmaster_port:8502\r\n";
        String reply = bulk(info);
        reply(reply.substring(0, 80_000)); // beyond the streaming threshold, not complete
        assertThat(received()).as("no part of it before it is complete").isEmpty();
        reply(reply.substring(80_000));
        String expected = info.replace("tcp_port:8501", "tcp_port:7001")
                .replace("master_host:10.0.0.6", "master_host:gw.example")
                .replace("master_port:8502", "master_port:7002");
        assertThat(received()).as("rewritten whole, its length recomputed").isEqualTo(bulk(expected));
    }

    @Test
    void inResp3AVerbatimNodesReplyIsRewrittenAndAnUnknownNodeAsksForARefresh() {
        start(true);
        send("HELLO 3\r\n");
        reply("%1\r\n$5\r\nproto\r\n:3\r\n");
        assertThat(received()).startsWith("%1");
        send("CLUSTER NODES\r\n");
        String text = A + " 10.0.0.5:8501@18501 myself,master - 0 0 1 connected 0-16383\n" + D
                + " 10.0.0.7:8504@18504 slave " + A + " 0 1 1 connected\n";
        reply("=" + (text.length() + 4) + "\r\ntxt:" + text + "\r\n");
        String kept = A + " gw.example:7001@0 myself,master - 0 0 1 connected 0-16383\n";
        assertThat(received()).isEqualTo("=" + (kept.length() + 4) + "\r\ntxt:" + kept + "\r\n");
        assertThat(view.refreshes)
                .as("the node the map lacks: looked for, without holding the reply")
                .hasSize(1);
    }

    @Test
    void aRefreshThatNeverReportsBackStallsTheSessionOnlyForTheBoundedWait() {
        start(true);
        client.freezeTime();
        send("GET a\r\nGET b\r\n");
        reply("-MOVED 42 10.0.0.7:8504\r\n$1\r\nb\r\n");
        client.advanceTimeBy(ClusterHold.REFRESH_WAIT.toMillis() - 1, java.util.concurrent.TimeUnit.MILLISECONDS);
        client.runScheduledPendingTasks();
        assertThat(received()).isEmpty();
        client.advanceTimeBy(1, java.util.concurrent.TimeUnit.MILLISECONDS);
        client.runScheduledPendingTasks();
        assertThat(received()).isEqualTo("-TRYAGAIN gateway: cluster topology is changing, retry\r\n$1\r\nb\r\n");

        send("GET c\r\n");
        reply("-MOVED 43 10.0.0.8:8506\r\n");
        view.refreshes.remove(0).run(); // the first refresh reports back late: it must not release the second hold
        assertThat(received()).isEmpty();
        view.node("f".repeat(40), "10.0.0.8", 8506, 7006);
        view.refreshes.remove(0).run();
        assertThat(received()).isEqualTo("-MOVED 43 gw.example:7006\r\n");
    }

    @Test
    void clusterAdministrationIsRefusedLocallyAndNeverReachesTheCache() {
        start(true);
        send("CLUSTER MEET 10.0.0.9 7000\r\n");
        assertThat(received()).isEqualTo("-ERR gateway: CLUSTER MEET is not allowed through the gateway\r\n");
        assertThat(upstreamReceived()).isEmpty();
    }

    @Test
    void aTransactionsResultHasItsQueuedTopologyAndRedirectsRewritten() {
        start(true);
        send("MULTI\r\nCLUSTER SLOTS\r\nSET k v\r\nEXEC\r\n");
        reply("+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n" + slots("10.0.0.6", 8502, B) + "-MOVED 1 10.0.0.5:8501\r\n");
        assertThat(received())
                .isEqualTo("+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n" + slots("gw.example", 7002, B)
                        + "-MOVED 1 gw.example:7001\r\n");
    }

    @Test
    void withoutAClusterEverythingPassesThroughAsBefore() {
        start(false);
        send("GET a\r\nCLUSTER SLOTS\r\nCLUSTER MEET 10.0.0.9 7000\r\n");
        reply("-MOVED 42 10.0.0.6:8502\r\n" + slots("10.0.0.6", 8502, B) + "+OK\r\n");
        assertThat(received()).isEqualTo("-MOVED 42 10.0.0.6:8502\r\n" + slots("10.0.0.6", 8502, B) + "+OK\r\n");
    }
}
