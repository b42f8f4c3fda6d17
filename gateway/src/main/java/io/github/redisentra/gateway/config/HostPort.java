package io.github.redisentra.gateway.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/** A host (name, IPv4, or bracketed IPv6 literal) and a TCP port. */
public record HostPort(String host, int port) {

    /**
     * Parses {@code host:port} or {@code [v6]:port}.
     *
     * @throws IllegalArgumentException with a message naming the setting and the value
     */
    public static HostPort parse(String setting, String value) {
        String v = value.trim();
        String host;
        String portText;
        if (v.startsWith("[")) {
            int close = v.indexOf(']');
            if (close < 0 || close + 1 >= v.length() || v.charAt(close + 1) != ':') {
                throw new IllegalArgumentException(setting + " must be host:port, got \"" + value + "\"");
            }
            host = v.substring(1, close);
            portText = v.substring(close + 2);
        } else {
            int colon = v.lastIndexOf(':');
            if (colon <= 0 || v.indexOf(':') != colon) {
                throw new IllegalArgumentException(setting + " must be host:port, got \"" + value + "\"");
            }
            host = v.substring(0, colon);
            portText = v.substring(colon + 1);
        }
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (host.isEmpty() || port < 0 || port > 65535) {
            throw new IllegalArgumentException(
                    setting + " must be host:port with a port from 0 to 65535, got \"" + value + "\"");
        }
        return new HostPort(host, port);
    }

    /** Whether the host is a loopback address or {@code localhost} (no DNS lookup for other names). */
    public boolean isLoopback() {
        if (host.equalsIgnoreCase("localhost")) {
            return true;
        }
        if (!looksLikeIpLiteral(host)) {
            return false;
        }
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    public InetSocketAddress toSocketAddress() {
        return new InetSocketAddress(host, port);
    }

    private static boolean looksLikeIpLiteral(String h) {
        return h.contains(":") || h.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'));
    }

    @Override
    public String toString() {
        return host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
    }
}
