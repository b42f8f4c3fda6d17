package io.github.redisentra.gateway.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.gateway.config.HostPort;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The rewriting of replies that name upstream addresses, on hand-written replies in the shapes Redis writes them
 * (research notes §1): pre-7.0 node arrays, {@code ?} and null endpoints, host names, IPv6, RESP2 and RESP3.
 * {@link ClusterRepliesIT} does the same on replies captured from a real cluster.
 */
class ClusterRepliesTest {
    static final String A = "a".repeat(40);
    static final String B = "b".repeat(40);
    static final String C = "c".repeat(40);
    static final String D = "d".repeat(40);

    /** A, B masters, C the replica of A; D is a node the gateway does not serve (yet). */
    static final MapEndpoints MAP = new MapEndpoints()
            .node(A, "10.0.0.5", 8501, new HostPort("gw.example", 7001))
            .node(B, "10.0.0.6", 8502, new HostPort("gw.example", 7002))
            .node(C, "10.0.0.5", 8503, new HostPort("gw.example", 7003))
            .node("e".repeat(40), "fd00::5", 8505, new HostPort("gw.example", 7005));

    static final ClusterNode SELF_A =
            new ClusterNode(A, "10.0.0.5", 8501, 18501, "", Set.of("master"), null, List.of());

    /** A {@link NodeEndpoints} from maps, as the wiring's would be. */
    static final class MapEndpoints implements NodeEndpoints {
        final Map<String, HostPort> byId = new HashMap<>();
        final Map<String, HostPort> byAddress = new HashMap<>();

        MapEndpoints node(String id, String host, int port, HostPort gateway) {
            byId.put(id, gateway);
            byAddress.put(host + "|" + port, gateway);
            return this;
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

    static ByteBuf buf(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
    }

    static String rewrite(ClusterReplies.Kind kind, String reply) {
        return rewrite(new ClusterReplies(MAP, SELF_A), kind, reply, false);
    }

    static String rewrite(ClusterReplies r, ClusterReplies.Kind kind, String reply, boolean afterRefresh) {
        ByteBuf in = buf(reply);
        try {
            ByteBuf out = r.rewrite(kind, null, in, afterRefresh);
            if (out == null) {
                return null;
            }
            String s = out.toString(StandardCharsets.ISO_8859_1);
            if (out != in) {
                out.release();
            }
            RespValue.parse(buf(s)); // the result is one complete, well-formed reply
            return s;
        } finally {
            in.release();
        }
    }

    static String bulk(String s) {
        return "$" + s.length() + "\r\n" + s + "\r\n";
    }

    static String verbatim(String s) {
        return "=" + (s.length() + 4) + "\r\ntxt:" + s + "\r\n";
    }

    /** One 7.0 node array in RESP2: endpoint, port, id, metadata as a flat array. */
    static String node7(String endpoint, int port, String id, String... meta) {
        StringBuilder b = new StringBuilder("*4\r\n")
                .append(endpoint == null ? "$-1\r\n" : bulk(endpoint))
                .append(':')
                .append(port)
                .append("\r\n")
                .append(bulk(id))
                .append('*')
                .append(meta.length)
                .append("\r\n");
        for (String m : meta) {
            b.append(bulk(m));
        }
        return b.toString();
    }

    static void assertNoUpstream(String s) {
        assertThat(s).doesNotContain("10.0.0.", "850", "node7001.test", "fd00::");
    }

    @Test
    void clusterSlotsNodeArraysGetTheGatewaysEndpointsAndHostnameMetadata() {
        String reply = "*2\r\n"
                + "*4\r\n:0\r\n:5460\r\n" + node7("10.0.0.5", 8501, A, "hostname", "node7001.test")
                + node7("10.0.0.5", 8503, C, "hostname", "node7001.test")
                + "*3\r\n:5461\r\n:16383\r\n" + node7("10.0.0.6", 8502, B);
        String out = rewrite(ClusterReplies.Kind.SLOTS, reply);
        assertNoUpstream(out);
        RespValue v = RespValue.parse(buf(out));
        RespValue first = v.items.get(0);
        assertThat(first.items).hasSize(4);
        assertThat(first.items.get(2).items.get(0).string()).isEqualTo("gw.example");
        assertThat(first.items.get(2).items.get(1).integer()).isEqualTo(7001);
        assertThat(first.items.get(2).items.get(2).string())
                .as("node ids are kept")
                .isEqualTo(A);
        assertThat(first.items.get(2).items.get(3).items.get(1).string()).isEqualTo("gw.example");
        assertThat(first.items.get(3).items.get(1).integer()).isEqualTo(7003);
        assertThat(v.items.get(1).items.get(2).items.get(1).integer()).isEqualTo(7002);
    }

    @Test
    void anUnknownReplicaIsLeftOutAndAnUnknownMastersRangeToo() {
        String reply = "*2\r\n"
                + "*4\r\n:0\r\n:5460\r\n" + node7("10.0.0.5", 8501, A) + node7("10.0.0.7", 8504, D)
                + "*3\r\n:5461\r\n:16383\r\n" + node7("10.0.0.7", 8504, D);
        ClusterReplies r = new ClusterReplies(MAP, SELF_A);
        String out = rewrite(r, ClusterReplies.Kind.SLOTS, reply, false);
        RespValue v = RespValue.parse(buf(out));
        assertThat(v.items).as("the range served by an unknown master is gone").hasSize(1);
        assertThat(v.items.get(0).items)
                .as("start, end, the master; not the unknown replica")
                .hasSize(3);
        assertThat(out).doesNotContain("10.0.0.7", D);
        assertThat(r.unknownSeen()).isTrue();
    }

    @Test
    void preSevenThreeAndTwoElementNodeArraysAreRewrittenByIdOrByAddress() {
        String reply = "*1\r\n*4\r\n:0\r\n:16383\r\n"
                + "*3\r\n" + bulk("10.0.0.5") + ":8501\r\n" + bulk(A)
                + "*2\r\n" + bulk("10.0.0.5") + ":8503\r\n";
        String out = rewrite(ClusterReplies.Kind.SLOTS, reply);
        assertNoUpstream(out);
        RespValue e = RespValue.parse(buf(out)).items.get(0);
        assertThat(e.items.get(2).items).hasSize(3);
        assertThat(e.items.get(2).items.get(1).integer()).isEqualTo(7001);
        assertThat(e.items.get(3).items).hasSize(2);
        assertThat(e.items.get(3).items.get(1).integer()).isEqualTo(7003);
    }

    @Test
    void nullAndQuestionMarkEndpointsBecomeTheGatewayHostNeverNull() {
        // RESP3, cluster-preferred-endpoint-type unknown-endpoint (null, both in the map) and hostname without one (?)
        String reply = "*1\r\n*4\r\n:0\r\n:16383\r\n"
                + "*4\r\n_\r\n:8501\r\n" + bulk(A) + "%2\r\n" + bulk("ip") + bulk("10.0.0.5") + bulk("hostname")
                + bulk("node7001.test")
                + "*4\r\n" + bulk("?") + ":8503\r\n" + bulk(C) + "%1\r\n" + bulk("ip") + bulk("10.0.0.5");
        String out = rewrite(ClusterReplies.Kind.SLOTS, reply);
        assertNoUpstream(out);
        assertThat(out).doesNotContain("_\r\n", "$1\r\n?").contains("%2\r\n", "%1\r\n");
        RespValue e = RespValue.parse(buf(out)).items.get(0);
        assertThat(e.items.get(2).items.get(0).string()).isEqualTo("gw.example");
        assertThat(e.items.get(3).items.get(0).string()).isEqualTo("gw.example");
    }

    @Test
    void clusterShardsAlwaysNamesPortAndKeepsTlsPortOnlyWhereItWas() {
        // RESP3, TLS-only cluster: tls-port, no port
        String node = "%8\r\n" + bulk("id") + bulk(A) + bulk("tls-port") + ":8501\r\n" + bulk("ip") + bulk("10.0.0.5")
                + bulk("endpoint") + bulk("10.0.0.5") + bulk("hostname") + bulk("node7001.test") + bulk("role")
                + bulk("master") + bulk("replication-offset") + ":42\r\n" + bulk("health") + bulk("online");
        String unknownReplica = "%4\r\n" + bulk("id") + bulk(D) + bulk("port") + ":8504\r\n" + bulk("ip")
                + bulk("10.0.0.7") + bulk("role") + bulk("replica");
        String reply = "*1\r\n%2\r\n" + bulk("slots") + "*2\r\n:0\r\n:5460\r\n" + bulk("nodes") + "*2\r\n" + node
                + unknownReplica;
        String out = rewrite(ClusterReplies.Kind.SHARDS, reply);
        assertNoUpstream(out);
        assertThat(out).doesNotContain(D);
        RespValue n = RespValue.parse(buf(out)).items.get(0).items.get(3).items.get(0);
        assertThat(n.type).isEqualTo((byte) '%');
        assertThat(n.items.get(0).string()).isEqualTo("id");
        assertThat(n.items.get(2).string()).as("port right after id").isEqualTo("port");
        assertThat(n.items.get(3).integer()).isEqualTo(7001);
        assertThat(n.items.get(4).string()).isEqualTo("tls-port");
        assertThat(n.items.get(5).integer()).isEqualTo(7001);
        assertThat(n.items).hasSize(18);
    }

    @Test
    void clusterShardsInResp2IsAFlatArrayAndAShardWithAnUnknownMasterIsLeftOut() {
        String nodeB = "*8\r\n" + bulk("id") + bulk(B) + bulk("port") + ":8502\r\n" + bulk("ip") + bulk("10.0.0.6")
                + bulk("role") + bulk("master");
        String nodeD = "*8\r\n" + bulk("id") + bulk(D) + bulk("port") + ":8504\r\n" + bulk("ip") + bulk("10.0.0.7")
                + bulk("role") + bulk("master");
        String reply = "*2\r\n"
                + "*4\r\n" + bulk("slots") + "*2\r\n:5461\r\n:10922\r\n" + bulk("nodes") + "*1\r\n" + nodeB
                + "*4\r\n" + bulk("slots") + "*2\r\n:10923\r\n:16383\r\n" + bulk("nodes") + "*1\r\n" + nodeD;
        String out = rewrite(ClusterReplies.Kind.SHARDS, reply);
        RespValue v = RespValue.parse(buf(out));
        assertThat(v.items).hasSize(1);
        assertThat(out).doesNotContain("10.0.0.", "8502", D).contains(bulk("gw.example"));
        assertThat(v.items.get(0).items.get(3).items.get(0).items).hasSize(8);
    }

    static final String NODES = A + " 10.0.0.5:8501@18501,node7001.test myself,master - 0 0 1 connected 0-5460\n"
            + C + " 10.0.0.5:8503@18503,node7003.test slave " + A + " 0 1700000000000 1 connected\n"
            + D + " 10.0.0.7:8504@18504,node7004.test master - 0 1700000000000 3 connected 5461-16383\n"
            + B + " 10.0.0.6:8502@18502 master - 0 1700000000000 2 connected [5461->-" + A + "]\n";

    @Test
    void clusterNodesLinesAreRewrittenUnknownOnesLeftOutAndTheLengthRecomputed() {
        String out = rewrite(ClusterReplies.Kind.NODES, bulk(NODES));
        assertNoUpstream(out);
        assertThat(out).doesNotContain("node7003.test", "1850", D);
        String text = RespValue.parse(buf(out)).string();
        List<ClusterNode> nodes = ClusterNodes.parse(text);
        assertThat(nodes).extracting(ClusterNode::id).containsExactly(A, C, B);
        assertThat(nodes.get(0).address()).isEqualTo("gw.example:7001");
        assertThat(nodes.get(0).hostname()).isEqualTo("gw.example");
        assertThat(nodes.get(0).myself()).isTrue();
        assertThat(nodes.get(1).masterId()).isEqualTo(A);
        assertThat(nodes.get(2).hostname()).isEmpty();
        assertThat(text).endsWith("[5461->-" + A + "]\n");
    }

    @Test
    void aResp3VerbatimNodesReplyKeepsItsTxtPrefix() {
        String out = rewrite(ClusterReplies.Kind.NODES, verbatim(NODES));
        assertThat(out).startsWith("=").contains("\r\ntxt:" + A + " gw.example:7001@0,gw.example ");
        assertNoUpstream(out);
        RespValue v = RespValue.parse(buf(out));
        assertThat(v.type).isEqualTo((byte) '=');
        assertThat(ClusterNodes.parse(v.string())).hasSize(3);
    }

    @Test
    void clusterReplicasLinesAreRewrittenAndIpv6UpstreamsToo() {
        String e = "e".repeat(40);
        String reply = "*3\r\n" + bulk(C + " 10.0.0.5:8503@18503 slave " + A + " 0 1 1 connected")
                + bulk(D + " 10.0.0.7:8504@18504 slave " + A + " 0 1 1 connected")
                + bulk(e + " fd00::5:8505@18505 slave " + A + " 0 1 1 connected");
        String out = rewrite(ClusterReplies.Kind.REPLICAS, reply);
        assertNoUpstream(out);
        RespValue v = RespValue.parse(buf(out));
        assertThat(v.items).hasSize(2);
        assertThat(ClusterNodes.parse(v.items.get(1).string()).get(0).port()).isEqualTo(7005);
    }

    @Test
    void roleOfAReplicaAndOfAMasterNameGatewayEndpoints() {
        String replica = "*5\r\n" + bulk("slave") + bulk("10.0.0.5") + ":8501\r\n" + bulk("connected") + ":100\r\n";
        String out = rewrite(ClusterReplies.Kind.ROLE, replica);
        assertThat(out)
                .isEqualTo(
                        "*5\r\n" + bulk("slave") + bulk("gw.example") + ":7001\r\n" + bulk("connected") + ":100\r\n");

        String master = "*3\r\n" + bulk("master") + ":100\r\n*2\r\n*3\r\n" + bulk("10.0.0.5") + bulk("8503")
                + bulk("100") + "*3\r\n" + bulk("10.0.0.7") + bulk("8504") + bulk("90");
        out = rewrite(ClusterReplies.Kind.ROLE, master);
        assertThat(out)
                .isEqualTo("*3\r\n" + bulk("master") + ":100\r\n*1\r\n*3\r\n" + bulk("gw.example") + bulk("7003")
                        + bulk("100"));
    }

    @Test
    void infoReplicationNamesGatewayEndpointsAndLeavesUnknownReplicasOut() {
        String info = "# Server\r\nredis_version:7.0.15\r\ntcp_port:8501\r\n\r\n# Replication\r\nrole:master\r\n"
                + "connected_slaves:2\r\nslave0:ip=10.0.0.5,port=8503,state=online,offset=1,lag=0\r\n"
                + "slave1:ip=10.0.0.7,port=8504,state=online,offset=1,lag=0\r\nmaster_repl_offset:1\r\n";
        String out = rewrite(ClusterReplies.Kind.INFO, bulk(info));
        assertNoUpstream(out);
        String text = RespValue.parse(buf(out)).string();
        assertThat(text)
                .contains("tcp_port:7001\r\n", "slave0:ip=gw.example,port=7003,state=online,offset=1,lag=0\r\n")
                .doesNotContain("slave1:")
                .endsWith("master_repl_offset:1\r\n");

        String replica = "# Replication\r\nrole:slave\r\nmaster_host:10.0.0.5\r\nmaster_port:8501\r\n"
                + "master_link_status:up\r\n";
        text = RespValue.parse(buf(rewrite(ClusterReplies.Kind.INFO, verbatim(replica))))
                .string();
        assertThat(text).contains("master_host:gw.example\r\nmaster_port:7001\r\nmaster_link_status:up");
    }

    @Test
    void clientInfoLaddrBecomesTheGatewaysEndpointForThisNode() {
        String line = "id=3 addr=192.168.1.9:40000 laddr=10.0.0.5:8501 fd=8 name= age=0\n";
        String out = rewrite(ClusterReplies.Kind.CLIENT, bulk(line));
        assertThat(RespValue.parse(buf(out)).string())
                .isEqualTo("id=3 addr=192.168.1.9:40000 laddr=gw.example:7001 fd=8 name= age=0\n");
        String unknownSelf = rewrite(new ClusterReplies(MAP, null), ClusterReplies.Kind.CLIENT, bulk(line), false);
        assertThat(unknownSelf).doesNotContain("laddr", "8501");
    }

    @Test
    void movedAndAskNameTheGatewayEndpointIncludingTheEmptyHostForm() {
        ClusterReplies r = new ClusterReplies(MAP, SELF_A);
        assertThat(r.redirect("MOVED 3999 10.0.0.6:8502").line()).isEqualTo("-MOVED 3999 gw.example:7002");
        assertThat(r.redirect("ASK 3999 10.0.0.6:8502").line()).isEqualTo("-ASK 3999 gw.example:7002");
        assertThat(r.redirect("MOVED 3999 :8503").line())
                .as("empty host: the host of the node the client talks to")
                .isEqualTo("-MOVED 3999 gw.example:7003");
        assertThat(r.redirect("MOVED 3999 ?:8503").line()).isEqualTo("-MOVED 3999 gw.example:7003");
        assertThat(r.redirect("MOVED 1 fd00::5:8505").line()).isEqualTo("-MOVED 1 gw.example:7005");
        assertThat(r.redirect("MOVED 3999 10.0.0.7:8504").outcome()).isEqualTo(ClusterReplies.Outcome.UNKNOWN_TARGET);
        assertThat(r.redirect("ERR MOVED is not a command").outcome()).isEqualTo(ClusterReplies.Outcome.NOT_REDIRECT);
        assertThat(r.redirect("TRYAGAIN Multiple keys request during rehashing of slot")
                        .outcome())
                .isEqualTo(ClusterReplies.Outcome.NOT_REDIRECT);
    }

    @Test
    void anUnknownRedirectAsksForARefreshFirstAndIsATryagainAfterIt() {
        ClusterReplies r = new ClusterReplies(MAP, SELF_A);
        assertThat(rewrite(r, ClusterReplies.Kind.NONE, "-MOVED 3999 10.0.0.7:8504\r\n", false))
                .isNull();
        assertThat(rewrite(r, ClusterReplies.Kind.NONE, "-MOVED 3999 10.0.0.7:8504\r\n", true))
                .isEqualTo(ClusterReplies.TRYAGAIN + "\r\n");
        assertThat(rewrite(r, ClusterReplies.Kind.NONE, "-ERR no\r\n", false)).isEqualTo("-ERR no\r\n");
        assertThat(rewrite(r, ClusterReplies.Kind.NONE, ":1\r\n", false)).isEqualTo(":1\r\n");
    }

    @Test
    void aTransactionsResultHasItsRedirectsAndQueuedTopologyRewritten() {
        String exec =
                "*3\r\n+OK\r\n-MOVED 12 10.0.0.6:8502\r\n*1\r\n*3\r\n:0\r\n:16383\r\n" + node7("10.0.0.5", 8501, A);
        ByteBuf in = buf(exec);
        ClusterReplies.Kind[] kinds = {ClusterReplies.Kind.NONE, ClusterReplies.Kind.NONE, ClusterReplies.Kind.SLOTS};
        ByteBuf out = new ClusterReplies(MAP, SELF_A).rewrite(ClusterReplies.Kind.EXEC, kinds, in, false);
        String s = out.toString(StandardCharsets.ISO_8859_1);
        out.release();
        in.release();
        assertNoUpstream(s);
        assertThat(s).startsWith("*3\r\n+OK\r\n-MOVED 12 gw.example:7002\r\n");

        ByteBuf plain = buf("*2\r\n+OK\r\n$3\r\nabc\r\n");
        assertThat(new ClusterReplies(MAP, SELF_A).rewrite(ClusterReplies.Kind.EXEC, null, plain, false))
                .as("a result with nothing to rewrite is passed on as it is")
                .isSameAs(plain);
        plain.release();
    }

    @Test
    void clusterAdministrationIsRefusedAndTopologyCommandsClassified() {
        for (String sub : List.of(
                "MEET",
                "forget",
                "SETSLOT",
                "FAILOVER",
                "RESET",
                "ADDSLOTS",
                "ADDSLOTSRANGE",
                "DELSLOTS",
                "DELSLOTSRANGE",
                "FLUSHSLOTS",
                "REPLICATE",
                "SAVECONFIG",
                "BUMPEPOCH",
                "SET-CONFIG-EPOCH")) {
            assertThat(ClusterCommands.refusal("cluster", sub)).as(sub).startsWith("-ERR gateway: CLUSTER ");
        }
        assertThat(ClusterCommands.refusal("CLUSTER", "meet"))
                .isEqualTo("-ERR gateway: CLUSTER MEET is not allowed through the gateway");
        for (String sub : List.of("SLOTS", "NODES", "LINKS", "COUNT-FAILURE-REPORTS", "KEYSLOT", "MYID", "INFO")) {
            assertThat(ClusterCommands.refusal("CLUSTER", sub)).as(sub).isNull();
        }
        assertThat(ClusterCommands.refusal("GET", "MEET")).isNull();
        assertThat(ClusterCommands.replyKind("cluster", "slaves")).isEqualTo(ClusterReplies.Kind.REPLICAS);
        assertThat(ClusterCommands.replyKind("CLUSTER", "SHARDS")).isEqualTo(ClusterReplies.Kind.SHARDS);
        assertThat(ClusterCommands.replyKind("CLUSTER", "LINKS")).isEqualTo(ClusterReplies.Kind.NONE);
        assertThat(ClusterCommands.replyKind("client", "info")).isEqualTo(ClusterReplies.Kind.CLIENT);
        assertThat(ClusterCommands.replyKind("CLIENT", "SETNAME")).isEqualTo(ClusterReplies.Kind.NONE);
        assertThat(ClusterCommands.replyKind("role", null)).isEqualTo(ClusterReplies.Kind.ROLE);
        assertThat(ClusterCommands.replyKind("GET", "k")).isEqualTo(ClusterReplies.Kind.NONE);
    }
}
