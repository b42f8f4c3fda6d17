package io.github.redisentra.gateway.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.redisentra.gateway.config.HostPort;
import io.github.redisentra.gateway.resp.ReplyFramer;
import io.github.redisentra.testkit.AzureClusterStandIn;
import io.github.redisentra.testkit.RedisServer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Replies captured from a real 3-master / 3-replica TLS cluster (the testkit's {@link AzureClusterStandIn}, Redis
 * announcing its front doors' ports), in RESP2 and after {@code HELLO 3}, rewritten with a map that gives each node a
 * gateway endpoint: no upstream address remains, and each result is one well-formed reply of the right shape.
 */
class ClusterRepliesIT {
    static final String GATEWAY_HOST = "gw.test";

    static AzureClusterStandIn cluster;
    static final Map<String, HostPort> byId = new HashMap<>();
    static final Map<String, HostPort> byAddress = new HashMap<>();
    static final Map<String, ClusterNode> nodesById = new LinkedHashMap<>();
    static final List<Integer> upstreamPorts = new ArrayList<>();
    static final NodeEndpoints MAP = new NodeEndpoints() {
        @Override
        public HostPort forNodeId(String nodeId) {
            return byId.get(nodeId);
        }

        @Override
        public HostPort forUpstream(String host, int port) {
            return byAddress.get(host + "|" + port);
        }
    };

    @BeforeAll
    static void start() {
        cluster = AzureClusterStandIn.builder().start();
        // CLUSTER SLOTS names a replica only once its replication offset moved (research notes §1.1)
        for (int i = 0; i < AzureClusterStandIn.MASTERS; i++) {
            cluster.node(i).server().cli().call("SET", "{" + keyOf(i) + "}warm", "1");
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            List<?> ranges = (List<?>) cluster.node(0).server().cli().call("CLUSTER", "SLOTS");
            return ranges.size() == AzureClusterStandIn.MASTERS
                    && ranges.stream().allMatch(r -> ((List<?>) r).size() == 4);
        });
        String text = cluster.node(0).server().cli().callString("CLUSTER", "NODES");
        int next = 7001;
        for (ClusterNode n : ClusterNodes.parse(text)) {
            HostPort gw = new HostPort(GATEWAY_HOST, next++);
            byId.put(n.id(), gw);
            byAddress.put(n.host() + "|" + n.port(), gw);
            nodesById.put(n.id(), n);
        }
        for (AzureClusterStandIn.Node n : cluster.nodes()) {
            upstreamPorts.add(n.announcedPort());
            upstreamPorts.add(n.server().tlsPort());
        }
        assertThat(nodesById).hasSize(AzureClusterStandIn.NODES);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** A TLS connection to a node's own port as the kit's admin user, reading replies as raw frames. */
    static final class RawNode implements AutoCloseable {
        final SSLSocket socket;
        final InputStream in;
        final OutputStream out;
        final ByteBuf buffer = Unpooled.buffer();

        RawNode(AzureClusterStandIn.Node node) throws Exception {
            RedisServer s = node.server();
            Socket plain = new Socket(RedisServer.HOST, s.tlsPort());
            socket = (SSLSocket) s.clientSslContext()
                    .getSocketFactory()
                    .createSocket(plain, cluster.cacheHostName(), s.tlsPort(), true);
            SSLParameters p = socket.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate names only the cache host (SNI)
            socket.setSSLParameters(p);
            socket.setSoTimeout(10_000);
            in = socket.getInputStream();
            out = socket.getOutputStream();
            assertThat(text(call("AUTH", s.adminUsername(), s.adminPassword()))).isEqualTo("+OK\r\n");
        }

        /** Sends one command; returns its reply's bytes exactly as the node wrote them. */
        ByteBuf call(String... args) throws Exception {
            StringBuilder b = new StringBuilder("*" + args.length + "\r\n");
            for (String a : args) {
                b.append('$').append(a.length()).append("\r\n").append(a).append("\r\n");
            }
            out.write(b.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            ReplyFramer framer = new ReplyFramer();
            byte[] chunk = new byte[16 * 1024];
            for (; ; ) {
                int len = framer.next(buffer);
                if (len > 0) {
                    ByteBuf frame = buffer.readRetainedSlice(len);
                    buffer.discardReadBytes();
                    return frame;
                }
                int n = in.read(chunk);
                if (n < 0) {
                    throw new IOException("closed by the node");
                }
                buffer.writeBytes(chunk, 0, n);
            }
        }

        @Override
        public void close() throws IOException {
            buffer.release();
            socket.close();
        }
    }

    static String text(ByteBuf b) {
        String s = b.toString(StandardCharsets.ISO_8859_1);
        b.release();
        return s;
    }

    /** Rewrites {@code reply} (released) as a session bridged to {@code self} would. */
    static String rewritten(ClusterReplies.Kind kind, ByteBuf reply, AzureClusterStandIn.Node self) {
        ClusterReplies r = new ClusterReplies(MAP, nodesById.get(self.id()));
        ByteBuf out = r.rewrite(kind, null, reply, false);
        assertThat(out).as("no redirect to an unknown node").isNotNull();
        String s = out.toString(StandardCharsets.ISO_8859_1);
        if (out != reply) {
            out.release();
        }
        reply.release();
        assertNoUpstreamAddress(s);
        return s;
    }

    static void assertNoUpstreamAddress(String reply) {
        // CLIENT INFO's addr= is the client's address: through the gateway, the gateway's own (here: the test's)
        String s = reply.replaceAll("(^|\\s)addr=\\S+", "$1addr=client");
        assertThat(s).doesNotContain(RedisServer.HOST).doesNotContain(cluster.cacheHostName());
        for (int port : upstreamPorts) {
            assertThat(Pattern.compile("[:=@]" + port + "(\r|\n|,| |$)")
                            .matcher(s)
                            .find())
                    .as("upstream port %d in %s", port, s)
                    .isFalse();
        }
    }

    static RespValue parse(String s) {
        RespValue v = RespValue.parse(Unpooled.wrappedBuffer(s.getBytes(StandardCharsets.ISO_8859_1)));
        assertThat(v.toString()).as("re-encodes to the same bytes").isEqualTo(s);
        return v;
    }

    @Test
    void topologyRepliesInResp2AndResp3NameOnlyGatewayEndpoints() throws Exception {
        AzureClusterStandIn.Node master = cluster.node(0);
        AzureClusterStandIn.Node replica = cluster.node(AzureClusterStandIn.MASTERS);
        try (RawNode m = new RawNode(master);
                RawNode r = new RawNode(replica)) {
            for (int protocol : new int[] {2, 3}) {
                if (protocol == 3) {
                    assertThat(text(m.call("HELLO", "3"))).startsWith("%");
                    assertThat(text(r.call("HELLO", "3"))).startsWith("%");
                }
                String why = "RESP" + protocol;

                RespValue slots = parse(rewritten(ClusterReplies.Kind.SLOTS, m.call("CLUSTER", "SLOTS"), master));
                assertThat(slots.items).as(why).hasSize(AzureClusterStandIn.MASTERS);
                for (RespValue range : slots.items) {
                    assertThat(range.items)
                            .as(why + ": start, end, master, replica")
                            .hasSize(4);
                    RespValue node = range.items.get(2);
                    assertThat(node.items).as("a 4-element node array").hasSize(4);
                    assertThat(node.items.get(0).string()).isEqualTo(GATEWAY_HOST);
                    assertThat(byId.get(node.items.get(2).string())).isEqualTo(new HostPort(GATEWAY_HOST, (int)
                            node.items.get(1).integer()));
                    assertThat(node.items.get(3).type).isEqualTo((byte) (protocol == 3 ? '%' : '*'));
                }

                RespValue shards = parse(rewritten(ClusterReplies.Kind.SHARDS, m.call("CLUSTER", "SHARDS"), master));
                assertThat(shards.items).as(why).hasSize(AzureClusterStandIn.MASTERS);
                for (RespValue shard : shards.items) {
                    RespValue nodes = shard.items.get(3);
                    assertThat(nodes.items).hasSize(2);
                    for (RespValue n : nodes.items) {
                        Map<String, String> f = fields(n);
                        HostPort gw = byId.get(f.get("id"));
                        assertThat(f)
                                .containsEntry("port", Integer.toString(gw.port()))
                                .containsEntry("tls-port", Integer.toString(gw.port()))
                                .containsEntry("ip", GATEWAY_HOST)
                                .containsEntry("endpoint", GATEWAY_HOST);
                    }
                }

                String nodesReply = rewritten(ClusterReplies.Kind.NODES, m.call("CLUSTER", "NODES"), master);
                RespValue nodesText = parse(nodesReply);
                assertThat(nodesText.type).as(why).isEqualTo((byte) (protocol == 3 ? '=' : '$'));
                List<ClusterNode> nodes = ClusterNodes.parse(nodesText.string());
                assertThat(nodes).hasSize(AzureClusterStandIn.NODES);
                for (ClusterNode n : nodes) {
                    assertThat(new HostPort(n.host(), n.port())).isEqualTo(byId.get(n.id()));
                    assertThat(n.slots()).isEqualTo(nodesById.get(n.id()).slots());
                }
                assertThat(nodes.stream().filter(ClusterNode::myself).map(ClusterNode::id))
                        .containsExactly(master.id());

                RespValue replicas = parse(
                        rewritten(ClusterReplies.Kind.REPLICAS, m.call("CLUSTER", "REPLICAS", master.id()), master));
                assertThat(replicas.items).hasSize(1);
                ClusterNode rep =
                        ClusterNodes.parse(replicas.items.get(0).string()).get(0);
                assertThat(rep.id()).isEqualTo(replica.id());
                assertThat(rep.port()).isEqualTo(byId.get(replica.id()).port());

                RespValue replicaRole = parse(rewritten(ClusterReplies.Kind.ROLE, r.call("ROLE"), replica));
                assertThat(replicaRole.items.get(0).string()).isEqualTo("slave");
                assertThat(replicaRole.items.get(1).string()).isEqualTo(GATEWAY_HOST);
                assertThat(replicaRole.items.get(2).integer())
                        .isEqualTo(byId.get(master.id()).port());
                RespValue masterRole = parse(rewritten(ClusterReplies.Kind.ROLE, m.call("ROLE"), master));
                assertThat(masterRole.items.get(0).string()).isEqualTo("master");
                // a master lists its replicas by the port they listen on (REPLCONF listening-port), here the
                // node's own port behind its front door: not an address of the topology, so left out
                for (RespValue listed : masterRole.items.get(2).items) {
                    assertThat(listed.items.get(0).string()).isEqualTo(GATEWAY_HOST);
                }

                String replicaInfo = parse(rewritten(ClusterReplies.Kind.INFO, r.call("INFO", "replication"), replica))
                        .string();
                assertThat(replicaInfo)
                        .contains("master_host:" + GATEWAY_HOST + "\r\n")
                        .contains("master_port:" + byId.get(master.id()).port() + "\r\n");
                String masterInfo = parse(rewritten(ClusterReplies.Kind.INFO, m.call("INFO"), master))
                        .string();
                assertThat(masterInfo)
                        .contains("tcp_port:" + byId.get(master.id()).port() + "\r\n", "role:master");

                String client = parse(rewritten(ClusterReplies.Kind.CLIENT, m.call("CLIENT", "INFO"), master))
                        .string();
                assertThat(client).contains(" laddr=" + byId.get(master.id()) + " ");

                String key = keyNotOn(master);
                ByteBuf moved = m.call("GET", key);
                assertThat(moved.toString(StandardCharsets.ISO_8859_1)).startsWith("-MOVED ");
                String movedOut = rewritten(ClusterReplies.Kind.NONE, moved, master);
                int owner = cluster.masterOf(Integer.parseInt(movedOut.split(" ")[1]));
                assertThat(movedOut)
                        .as(why)
                        .endsWith(" " + GATEWAY_HOST + ":"
                                + byId.get(cluster.node(owner).id()).port() + "\r\n");
            }
        }
    }

    /** A key tag that node {@code master}'s slots hold (the three masters start with 0-5460, 5461-10922, ...). */
    static String keyOf(int master) {
        for (int i = 0; ; i++) {
            String key = "w" + i;
            long slot = (Long) cluster.node(master).server().cli().call("CLUSTER", "KEYSLOT", key);
            if (cluster.masterOf((int) slot) == master) {
                return key;
            }
        }
    }

    /** A key whose slot another master serves. */
    static String keyNotOn(AzureClusterStandIn.Node master) {
        for (int i = 0; ; i++) {
            String key = "k" + i;
            long slot = (Long) master.server().cli().call("CLUSTER", "KEYSLOT", key);
            if (cluster.masterOf((int) slot) != master.index()) {
                return key;
            }
        }
    }

    /** A map (RESP3) or flat key-value array (RESP2) of scalars as strings. */
    static Map<String, String> fields(RespValue map) {
        Map<String, String> f = new HashMap<>();
        for (int k = 0; k + 1 < map.items.size(); k += 2) {
            RespValue v = map.items.get(k + 1);
            f.put(map.items.get(k).string(), v.hasText() ? v.string() : null);
        }
        return f;
    }
}
