package io.github.redisentra.gateway.cluster;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Parses the text of a {@code CLUSTER NODES} reply (also {@code CLUSTER REPLICAS}, whose lines are the same). */
public final class ClusterNodes {

    private ClusterNodes() {}

    /**
     * One {@link ClusterNode} per line.
     *
     * @throws IllegalArgumentException naming the line when one is not a {@code CLUSTER NODES} line
     */
    public static List<ClusterNode> parse(String text) {
        List<ClusterNode> nodes = new ArrayList<>();
        for (String line : text.split("\r?\n")) {
            if (!line.isBlank()) {
                nodes.add(parseLine(line.trim()));
            }
        }
        return nodes;
    }

    /** {@code <id> <ip:port@cport[,hostname]> <flags> <master> <ping> <pong> <epoch> <link> [slot ...]}. */
    static ClusterNode parseLine(String line) {
        String[] f = line.split(" +");
        if (f.length < 8) {
            throw new IllegalArgumentException("not a CLUSTER NODES line (" + f.length + " fields): " + line);
        }
        String id = f[0];
        String addr = f[1];
        String hostname = "";
        int comma = addr.indexOf(',');
        if (comma >= 0) {
            hostname = addr.substring(comma + 1);
            addr = addr.substring(0, comma);
        }
        int at = addr.indexOf('@');
        int busPort = 0;
        if (at >= 0) {
            busPort = parsePort(addr.substring(at + 1), line);
            addr = addr.substring(0, at);
        }
        int colon = addr.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("CLUSTER NODES address without a port: " + line);
        }
        String host = addr.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port = parsePort(addr.substring(colon + 1), line);
        Set<String> flags = new HashSet<>(Arrays.asList(f[2].split(",")));
        String masterId = "-".equals(f[3]) ? null : f[3];
        List<SlotRange> slots = new ArrayList<>();
        for (int i = 8; i < f.length; i++) {
            String s = f[i];
            if (s.startsWith("[")) {
                continue; // [slot->-id] migrating / [slot-<-id] importing: the slot's owner is still this node
            }
            int dash = s.indexOf('-');
            try {
                slots.add(
                        dash < 0
                                ? new SlotRange(Integer.parseInt(s), Integer.parseInt(s))
                                : new SlotRange(
                                        Integer.parseInt(s.substring(0, dash)),
                                        Integer.parseInt(s.substring(dash + 1))));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("CLUSTER NODES slot \"" + s + "\" is not a slot: " + line, e);
            }
        }
        return new ClusterNode(id, host, port, busPort, hostname, flags, masterId, slots);
    }

    private static int parsePort(String text, String line) {
        try {
            int port = Integer.parseInt(text);
            if (port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return port;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("CLUSTER NODES port \"" + text + "\" is not a port: " + line);
        }
    }
}
