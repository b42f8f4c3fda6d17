package io.github.redisentra.gateway.cluster;

import io.github.redisentra.gateway.config.HostPort;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Rewrites the replies of a cluster-transparent gateway that name upstream addresses, so that a cluster client only
 * ever sees gateway endpoints (issue #18). Works on complete replies, RESP2 or RESP3, and keeps their shapes.
 *
 * <p>Rules, per reply:
 *
 * <ul>
 *   <li>{@code CLUSTER SLOTS}: each node array's endpoint and port become the gateway's endpoint for the node (looked
 *       up by node id, else by address); in the metadata map {@code ip} and {@code hostname} become the gateway host
 *       (other keys are kept). A node without a gateway endpoint is dropped from its entry, the whole slot range when
 *       it is the master: never a {@code null} or {@code ?} endpoint. Node ids are kept; 2-, 3- and 4-element node
 *       arrays are handled.
 *   <li>{@code CLUSTER SHARDS}: {@code ip}, {@code endpoint}, {@code hostname} become the gateway host; {@code port}
 *       is always emitted (Lettuce reads only it) and {@code tls-port} only if it was there, both with the gateway
 *       port. Unknown nodes are dropped, the whole shard when it is a master of a shard with slots.
 *   <li>{@code CLUSTER NODES} / {@code REPLICAS} / {@code SLAVES}: {@code ip:port@cport[,hostname]} becomes
 *       {@code gwhost:gwport@0[,gwhost]} (the bus port is nobody's business; Redis itself writes {@code @0} for a node
 *       without address); lines of nodes without a gateway endpoint are left out. The bulk length is recomputed; a
 *       RESP3 verbatim string keeps its {@code txt:} prefix.
 *   <li>{@code ROLE}: a replica's master host and port; a master's replica list (unknown replicas left out; an
 *       unknown master is shown as host {@code ""} and port 0).
 *   <li>{@code INFO}: {@code master_host}/{@code master_port} (both lines left out when the master is unknown),
 *       {@code slaveN:ip=…,port=…} (left out when unknown) and {@code tcp_port} (the gateway's port for this node).
 *   <li>{@code CLIENT LIST} / {@code CLIENT INFO}: {@code laddr=} becomes the gateway's endpoint for this node (the
 *       field is left out when the session's node is not known); {@code addr=} is the gateway's own address already.
 *   <li>{@code -MOVED} / {@code -ASK} ({@link #redirect}): the target, including the empty-host form ({@code :port},
 *       "the host you are talking to") and {@code ?}, becomes the gateway endpoint; a target without one is reported
 *       so that the session refreshes the topology first, and after a refresh it is answered with {@link #TRYAGAIN}.
 *   <li>{@code EXEC}: a top-level redirect as above; inside the result array, every redirect error, and the result of
 *       each queued topology command (by the kinds the session recorded while queueing).
 * </ul>
 *
 * <p>Only topology replies and transaction results are decoded; other replies are only looked at when they are
 * errors starting with {@code M} or {@code A}. Not thread-safe: one instance per rewrite, on the session's loop.
 */
public final class ClusterReplies {

    /** What rewriting a reply needs. */
    public enum Kind {
        /** Nothing but a redirect check when the reply is an error. */
        NONE,
        SLOTS,
        SHARDS,
        NODES,
        REPLICAS,
        ROLE,
        INFO,
        CLIENT,
        /** A transaction's result: redirects inside it, and the queued topology commands' results. */
        EXEC
    }

    /** What a redirect error became. */
    public enum Outcome {
        NOT_REDIRECT,
        REWRITTEN,
        UNKNOWN_TARGET
    }

    /** @param line the rewritten error line (with its {@code -}, without CRLF) for {@link Outcome#REWRITTEN} */
    public record Redirect(Outcome outcome, String line) {
        static final Redirect NOT = new Redirect(Outcome.NOT_REDIRECT, null);
        static final Redirect UNKNOWN = new Redirect(Outcome.UNKNOWN_TARGET, null);
    }

    /**
     * The answer in place of a redirect whose target still has no gateway endpoint after a topology refresh: a client
     * retries a {@code TRYAGAIN} (Redis's own code for "the cluster is moving, ask again") after a short wait.
     */
    public static final String TRYAGAIN = "-TRYAGAIN gateway: cluster topology is changing, retry";

    private static final ByteBuf UNREADABLE = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(
                    "-ERR gateway: could not rewrite a topology reply\r\n".getBytes(StandardCharsets.US_ASCII))
            .asReadOnly());

    private final NodeEndpoints endpoints;
    private final ClusterNode self;
    private final HostPort selfEndpoint;
    private boolean unknownSeen;

    /**
     * @param endpoints the current map
     * @param self the upstream node the session is bridged to, or {@code null} when not known (then an empty-host
     *     redirect cannot be resolved and {@code laddr=} / {@code tcp_port} are left out)
     */
    public ClusterReplies(NodeEndpoints endpoints, ClusterNode self) {
        this.endpoints = endpoints;
        this.self = self;
        this.selfEndpoint = self == null ? null : endpoints.forNodeId(self.id());
    }

    /** Whether a rewrite met a node the map does not know (it was left out): worth a topology refresh. */
    public boolean unknownSeen() {
        return unknownSeen;
    }

    /** Whether {@code frame} (a complete reply) may be a {@code -MOVED} or {@code -ASK}: worth a closer look. */
    public static boolean mayBeRedirect(ByteBuf frame) {
        int i = frame.readerIndex();
        if (frame.readableBytes() < 6 || frame.getByte(i) != '-') {
            return false;
        }
        byte b = frame.getByte(i + 1);
        return b == 'M' || b == 'A';
    }

    /**
     * Rewrites the complete reply {@code frame} (not released; the caller keeps owning it).
     *
     * @param execKinds for {@link Kind#EXEC}: the kind of each queued command, or {@code null}
     * @param afterRefresh whether the topology was refreshed for this reply already: then an unknown redirect target
     *     is answered with {@link #TRYAGAIN}
     * @return {@code frame} itself when nothing changed, a new buffer with the rewritten reply, or {@code null} when a
     *     redirect names an unknown target and the topology should be refreshed first (never after a refresh)
     */
    public ByteBuf rewrite(Kind kind, Kind[] execKinds, ByteBuf frame, boolean afterRefresh) {
        byte type = frame.getByte(frame.readerIndex());
        if (type == '-') {
            return rewriteError(frame, afterRefresh);
        }
        if (kind == Kind.NONE) {
            return frame;
        }
        if (kind == Kind.EXEC && !execNeedsLook(frame, execKinds)) {
            return frame;
        }
        RespValue v;
        try {
            v = RespValue.parse(frame.duplicate());
        } catch (RuntimeException e) {
            return UNREADABLE.duplicate(); // nothing upstream may leak through a reply we could not read
        }
        if (kind == Kind.EXEC) {
            if (!rewriteExec(v, execKinds, afterRefresh)) {
                return null;
            }
        } else {
            rewrite(kind, v);
        }
        return v.encode();
    }

    private ByteBuf rewriteError(ByteBuf frame, boolean afterRefresh) {
        if (!mayBeRedirect(frame)) {
            return frame;
        }
        String line = frame.toString(frame.readerIndex() + 1, frame.readableBytes() - 3, StandardCharsets.ISO_8859_1);
        Redirect r = redirect(line);
        return switch (r.outcome()) {
            case NOT_REDIRECT -> frame;
            case REWRITTEN -> lineBuf(r.line());
            case UNKNOWN_TARGET -> afterRefresh ? lineBuf(TRYAGAIN) : null;
        };
    }

    private static ByteBuf lineBuf(String line) {
        return Unpooled.wrappedBuffer((line + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
    }

    /**
     * Rewrites a redirect error.
     *
     * @param error the error line without its {@code -} and CRLF, e.g. {@code MOVED 3999 10.0.0.5:8501}
     */
    public Redirect redirect(String error) {
        String kw;
        if (error.startsWith("MOVED ")) {
            kw = "MOVED";
        } else if (error.startsWith("ASK ")) {
            kw = "ASK";
        } else {
            return Redirect.NOT;
        }
        String[] f = error.split(" ");
        if (f.length != 3) {
            return Redirect.NOT;
        }
        int colon = f[2].lastIndexOf(':');
        if (colon < 0) {
            return Redirect.NOT;
        }
        int port;
        try {
            port = Integer.parseInt(f[2].substring(colon + 1));
        } catch (NumberFormatException e) {
            return Redirect.NOT;
        }
        String host = f[2].substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        HostPort hp = lookup(null, host, port);
        if (hp == null) {
            return Redirect.UNKNOWN;
        }
        return new Redirect(Outcome.REWRITTEN, "-" + kw + " " + f[1] + " " + hp.host() + ":" + hp.port());
    }

    /** The gateway endpoint for a node, by id first, else by address ({@code ?} or empty: the session's host). */
    private HostPort lookup(String id, String host, int port) {
        if (id != null && !id.isEmpty()) {
            HostPort hp = endpoints.forNodeId(id);
            if (hp != null) {
                return hp;
            }
        }
        if (host == null || host.isEmpty() || host.equals("?")) {
            host = self == null ? null : self.host();
        }
        HostPort hp = host == null || port <= 0 ? null : endpoints.forUpstream(host, port);
        if (hp == null) {
            unknownSeen = true;
        }
        return hp;
    }

    // ------------------------------------------------------------------ per kind, on a decoded reply (in place)

    void rewrite(Kind kind, RespValue v) {
        switch (kind) {
            case SLOTS -> slots(v);
            case SHARDS -> shards(v);
            case NODES -> {
                if (v.hasText()) {
                    v.string(nodesText(v.string()));
                }
            }
            case REPLICAS -> replicas(v);
            case ROLE -> role(v);
            case INFO -> {
                if (v.hasText()) {
                    v.string(info(v.string()));
                }
            }
            case CLIENT -> {
                if (v.hasText()) {
                    v.string(clientList(v.string()));
                }
            }
            default -> {}
        }
    }

    private void slots(RespValue v) {
        if (!v.isList()) {
            return;
        }
        List<RespValue> entries = new ArrayList<>(v.items.size());
        for (RespValue e : v.items) {
            if (!e.isList() || e.items.size() < 3) {
                entries.add(e);
                continue;
            }
            List<RespValue> kept = new ArrayList<>(e.items.size());
            kept.add(e.items.get(0));
            kept.add(e.items.get(1));
            boolean masterKnown = true;
            for (int i = 2; i < e.items.size(); i++) {
                RespValue node = e.items.get(i);
                if (slotNode(node)) {
                    kept.add(node);
                } else if (i == 2) {
                    masterKnown = false;
                    break;
                }
            }
            if (masterKnown) {
                e.items = kept;
                entries.add(e);
            }
        }
        v.items = entries;
    }

    /** Rewrites one node array of CLUSTER SLOTS in place; {@code false} when the node has no gateway endpoint. */
    private boolean slotNode(RespValue node) {
        if (!node.isList() || node.items.size() < 2) {
            return false;
        }
        List<RespValue> f = node.items;
        String host = f.get(0).isNull() ? null : f.get(0).string();
        int port = intOf(f.get(1));
        String id = f.size() >= 3 && f.get(2).hasText() ? f.get(2).string() : null;
        HostPort hp = lookup(id, host, port);
        if (hp == null) {
            return false;
        }
        f.set(0, text(f.get(0), hp.host()));
        f.set(1, RespValue.integer(hp.port()));
        if (f.size() >= 4 && f.get(3).isList()) {
            List<RespValue> meta = f.get(3).items;
            for (int k = 0; k + 1 < meta.size(); k += 2) {
                String key = meta.get(k).string();
                if ("ip".equals(key) || "hostname".equals(key)) {
                    meta.set(k + 1, text(meta.get(k + 1), hp.host()));
                }
            }
        }
        return true;
    }

    private void shards(RespValue v) {
        if (!v.isList()) {
            return;
        }
        List<RespValue> kept = new ArrayList<>(v.items.size());
        for (RespValue shard : v.items) {
            if (!shard.isList()) {
                kept.add(shard);
                continue;
            }
            RespValue slots = value(shard, "slots");
            RespValue nodes = value(shard, "nodes");
            if (nodes == null || !nodes.isList()) {
                kept.add(shard);
                continue;
            }
            boolean masterDropped = false;
            List<RespValue> keptNodes = new ArrayList<>(nodes.items.size());
            for (RespValue node : nodes.items) {
                if (!node.isList()) {
                    continue;
                }
                if (shardNode(node)) {
                    keptNodes.add(node);
                } else if ("master".equals(stringValue(node, "role"))) {
                    masterDropped = true;
                }
            }
            nodes.items = keptNodes;
            boolean hasSlots = slots != null && slots.isList() && !slots.items.isEmpty();
            if (!keptNodes.isEmpty() && !(masterDropped && hasSlots)) {
                kept.add(shard);
            }
        }
        v.items = kept;
    }

    private boolean shardNode(RespValue node) {
        String id = stringValue(node, "id");
        String host = stringValue(node, "endpoint");
        if (host == null || host.isEmpty() || host.equals("?")) {
            host = stringValue(node, "ip");
        }
        RespValue portValue = value(node, "port");
        if (portValue == null) {
            portValue = value(node, "tls-port");
        }
        int port = portValue == null ? -1 : intOf(portValue);
        HostPort hp = lookup(id, host, port);
        if (hp == null) {
            return false;
        }
        List<RespValue> f = node.items;
        boolean hadPort = value(node, "port") != null;
        List<RespValue> out = new ArrayList<>(f.size() + 2);
        for (int k = 0; k + 1 < f.size(); k += 2) {
            String key = f.get(k).string();
            RespValue val = f.get(k + 1);
            if ("port".equals(key) || "tls-port".equals(key)) {
                val = RespValue.integer(hp.port());
            } else if ("ip".equals(key) || "endpoint".equals(key) || "hostname".equals(key)) {
                val = text(val, hp.host());
            }
            out.add(f.get(k));
            out.add(val);
        }
        if (!hadPort) { // a TLS-only cluster names only tls-port; Lettuce reads only port
            int at = out.size() >= 2 && "id".equals(out.get(0).string()) ? 2 : 0;
            out.add(at, RespValue.integer(hp.port()));
            out.add(at, RespValue.bulk("port"));
        }
        node.items = out;
        return true;
    }

    private void replicas(RespValue v) {
        if (!v.isList()) {
            return;
        }
        List<RespValue> kept = new ArrayList<>(v.items.size());
        for (RespValue line : v.items) {
            if (!line.hasText()) {
                kept.add(line);
                continue;
            }
            String rewritten = nodeLine(line.string());
            if (rewritten != null) {
                line.string(rewritten);
                kept.add(line);
            }
        }
        v.items = kept;
    }

    /** The text of a CLUSTER NODES reply, each line rewritten or left out. */
    String nodesText(String text) {
        StringBuilder b = new StringBuilder(text.length());
        int from = 0;
        while (from < text.length()) {
            int nl = text.indexOf('\n', from);
            int end = nl < 0 ? text.length() : nl;
            String line = text.substring(from, end);
            from = nl < 0 ? text.length() : nl + 1;
            String cr = "";
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
                cr = "\r";
            }
            if (line.isBlank()) {
                b.append(line).append(cr);
                if (nl >= 0) {
                    b.append('\n');
                }
                continue;
            }
            String rewritten = nodeLine(line);
            if (rewritten != null) {
                b.append(rewritten).append(cr);
                if (nl >= 0) {
                    b.append('\n');
                }
            }
        }
        return b.toString();
    }

    /** One CLUSTER NODES line rewritten, or {@code null} when its node has no gateway endpoint (or it is no line). */
    String nodeLine(String line) {
        int s1 = line.indexOf(' ');
        int s2 = s1 < 0 ? -1 : line.indexOf(' ', s1 + 1);
        if (s2 < 0) {
            unknownSeen = true;
            return null;
        }
        String id = line.substring(0, s1);
        String addr = line.substring(s1 + 1, s2);
        String hostname = null;
        int comma = addr.indexOf(',');
        if (comma >= 0) {
            hostname = addr.substring(comma + 1);
            addr = addr.substring(0, comma);
        }
        int at = addr.indexOf('@');
        if (at >= 0) {
            addr = addr.substring(0, at);
        }
        int colon = addr.lastIndexOf(':');
        String host = colon < 0 ? "" : addr.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port = colon < 0 ? -1 : parseInt(addr.substring(colon + 1));
        HostPort hp = lookup(id, host, port);
        if (hp == null) {
            return null;
        }
        StringBuilder b = new StringBuilder(line.length());
        b.append(id).append(' ').append(hp.host()).append(':').append(hp.port()).append("@0");
        if (hostname != null) {
            b.append(',').append(hostname.isEmpty() ? "" : hp.host());
        }
        return b.append(line, s2, line.length()).toString();
    }

    private void role(RespValue v) {
        if (!v.isList() || v.items.isEmpty() || !v.items.get(0).hasText()) {
            return;
        }
        String role = v.items.get(0).string();
        if ("master".equals(role) && v.items.size() >= 3 && v.items.get(2).isList()) {
            RespValue replicas = v.items.get(2);
            List<RespValue> kept = new ArrayList<>(replicas.items.size());
            for (RespValue r : replicas.items) {
                if (!r.isList() || r.items.size() < 2) {
                    continue;
                }
                HostPort hp = lookup(null, r.items.get(0).string(), intOf(r.items.get(1)));
                if (hp != null) {
                    r.items.set(0, text(r.items.get(0), hp.host()));
                    r.items.set(1, sameKind(r.items.get(1), hp.port()));
                    kept.add(r);
                }
            }
            replicas.items = kept;
        } else if ("slave".equals(role) && v.items.size() >= 3) {
            HostPort hp = lookup(null, v.items.get(1).string(), intOf(v.items.get(2)));
            v.items.set(1, text(v.items.get(1), hp == null ? "" : hp.host()));
            v.items.set(2, sameKind(v.items.get(2), hp == null ? 0 : hp.port()));
        }
    }

    /** INFO text: the replication section's addresses and the server section's {@code tcp_port}. */
    String info(String text) {
        String[] lines = text.split("\r\n", -1);
        String masterHost = null;
        int masterPort = -1;
        for (String l : lines) {
            if (l.startsWith("master_host:")) {
                masterHost = l.substring("master_host:".length());
            } else if (l.startsWith("master_port:")) {
                masterPort = parseInt(l.substring("master_port:".length()));
            }
        }
        HostPort master = masterHost == null ? null : lookup(null, masterHost, masterPort);
        StringBuilder b = new StringBuilder(text.length());
        for (int i = 0; i < lines.length; i++) {
            String l = lines[i];
            String out = l;
            if (l.startsWith("master_host:")) {
                out = master == null ? null : "master_host:" + master.host();
            } else if (l.startsWith("master_port:")) {
                out = master == null ? null : "master_port:" + master.port();
            } else if (l.startsWith("tcp_port:")) {
                out = selfEndpoint == null ? null : "tcp_port:" + selfEndpoint.port();
            } else if (l.startsWith("slave") && l.contains(":ip=")) {
                out = infoReplica(l);
            }
            if (out != null) {
                b.append(out);
                if (i < lines.length - 1) {
                    b.append("\r\n");
                }
            }
        }
        return b.toString();
    }

    /** {@code slave0:ip=…,port=…,state=…}: rewritten, or {@code null} when the replica is unknown. */
    private String infoReplica(String line) {
        int colon = line.indexOf(':');
        String[] fields = line.substring(colon + 1).split(",");
        String ip = null;
        int port = -1;
        for (String f : fields) {
            if (f.startsWith("ip=")) {
                ip = f.substring(3);
            } else if (f.startsWith("port=")) {
                port = parseInt(f.substring(5));
            }
        }
        HostPort hp = lookup(null, ip, port);
        if (hp == null) {
            return null;
        }
        StringBuilder b = new StringBuilder(line.length()).append(line, 0, colon + 1);
        for (int i = 0; i < fields.length; i++) {
            String f = fields[i];
            if (f.startsWith("ip=")) {
                f = "ip=" + hp.host();
            } else if (f.startsWith("port=")) {
                f = "port=" + hp.port();
            }
            b.append(i == 0 ? "" : ",").append(f);
        }
        return b.toString();
    }

    /** CLIENT LIST / INFO text: {@code laddr=} of each line becomes the gateway's endpoint for this node. */
    String clientList(String text) {
        StringBuilder b = new StringBuilder(text.length());
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String[] fields = lines[i].split(" ", -1);
            boolean first = true;
            for (String f : fields) {
                if (f.startsWith("laddr=")) {
                    if (selfEndpoint == null) {
                        continue;
                    }
                    f = "laddr=" + selfEndpoint;
                }
                b.append(first ? "" : " ").append(f);
                first = false;
            }
            if (i < lines.length - 1) {
                b.append('\n');
            }
        }
        return b.toString();
    }

    // ------------------------------------------------------------------ EXEC

    /** Whether a transaction's result holds an error or a queued topology command's result (scanned, not decoded). */
    private static boolean execNeedsLook(ByteBuf frame, Kind[] execKinds) {
        if (execKinds != null) {
            for (Kind k : execKinds) {
                if (k != Kind.NONE && k != Kind.EXEC) {
                    return true;
                }
            }
        }
        int p = frame.readerIndex();
        int end = frame.writerIndex();
        if (frame.getByte(p) != '*') {
            return false;
        }
        try {
            int[] pos = {p};
            long n = header(frame, pos, end);
            for (long i = 0; i < n; i++) {
                if (frame.getByte(pos[0]) == '-') {
                    return true;
                }
                skip(frame, pos, end, 0);
            }
        } catch (RuntimeException e) {
            return true; // let the decoder judge it
        }
        return false;
    }

    private boolean rewriteExec(RespValue v, Kind[] execKinds, boolean afterRefresh) {
        if (!v.isList()) {
            return true;
        }
        for (int i = 0; i < v.items.size(); i++) {
            RespValue e = v.items.get(i);
            if (e.type == '-' && e.text != null) {
                Redirect r = redirect(e.text);
                if (r.outcome() == Outcome.REWRITTEN) {
                    e.text = r.line().substring(1);
                } else if (r.outcome() == Outcome.UNKNOWN_TARGET) {
                    if (!afterRefresh) {
                        return false;
                    }
                    e.text = TRYAGAIN.substring(1);
                }
            } else if (execKinds != null && i < execKinds.length && execKinds[i] != Kind.EXEC) {
                rewrite(execKinds[i], e);
            }
        }
        return true;
    }

    /** Reads a type byte and a length line; returns the element count of an aggregate (a map's doubled). */
    private static long header(ByteBuf b, int[] pos, int end) {
        byte type = b.getByte(pos[0]);
        int cr = b.indexOf(pos[0] + 1, end, (byte) '\r');
        if (cr < 0) {
            throw new IllegalArgumentException("incomplete");
        }
        long n = 0;
        boolean neg = false;
        for (int i = pos[0] + 1; i < cr; i++) {
            byte c = b.getByte(i);
            if (c == '-') {
                neg = true;
            } else if (c >= '0' && c <= '9') {
                n = n * 10 + (c - '0');
            }
        }
        pos[0] = cr + 2;
        if (neg) {
            return 0;
        }
        return type == '%' || type == '|' ? 2 * n : n;
    }

    private static void skip(ByteBuf b, int[] pos, int end, int depth) {
        if (depth > 32) {
            throw new IllegalArgumentException("too deep");
        }
        byte type = b.getByte(pos[0]);
        long n = header(b, pos, end);
        switch (type) {
            case '$', '=', '!' -> {
                if (n > 0 || b.getByte(pos[0] - 3) == '0') {
                    pos[0] += (int) n + 2;
                }
            }
            case '*', '%', '~', '>', '|' -> {
                for (long i = 0; i < n; i++) {
                    skip(b, pos, end, depth + 1);
                }
                if (type == '|') {
                    skip(b, pos, end, depth + 1);
                }
            }
            default -> {
                // a simple type: its line was the whole element
            }
        }
    }

    // ------------------------------------------------------------------ small helpers

    /** The value of {@code key} in a map (RESP3) or flat key-value array (RESP2), or {@code null}. */
    private static RespValue value(RespValue map, String key) {
        List<RespValue> f = map.items;
        for (int k = 0; k + 1 < f.size(); k += 2) {
            if (key.equals(f.get(k).string())) {
                return f.get(k + 1);
            }
        }
        return null;
    }

    private static String stringValue(RespValue map, String key) {
        RespValue v = value(map, key);
        return v == null || !v.hasText() ? null : v.string();
    }

    /** {@code s} as a string of the same type as {@code old} when that was a string, else as a bulk string. */
    private static RespValue text(RespValue old, String s) {
        if ((old.type == '$' || old.type == '+' || old.type == '=') && old.text != null && old.attribute == null) {
            old.string(s);
            return old;
        }
        return RespValue.bulk(s);
    }

    /** {@code n} as an integer, or as a string when {@code old} was one (ROLE writes a replica's port as a string). */
    private static RespValue sameKind(RespValue old, int n) {
        if (old.type == ':') {
            return RespValue.integer(n);
        }
        return text(old, Integer.toString(n));
    }

    private static int intOf(RespValue v) {
        if (!v.hasText()) {
            return -1;
        }
        return parseInt(v.string());
    }

    private static int parseInt(String s) {
        try {
            return Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
