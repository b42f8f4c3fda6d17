package io.github.redisentra.gateway.auth;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;

/**
 * What the per-address limits count by: an IPv4 address as is, an IPv6 address by its /64 prefix (one host or LAN
 * usually holds a whole /64, so counting single IPv6 addresses would let one client rotate through 2^64 of them).
 */
public final class SourceAddress {
    private SourceAddress() {}

    /** The key of {@code remote}, or {@code null} when it is not an IP socket address. */
    public static InetAddress of(SocketAddress remote) {
        if (!(remote instanceof InetSocketAddress i) || i.getAddress() == null) {
            return null;
        }
        InetAddress a = i.getAddress();
        if (!(a instanceof Inet6Address)) {
            return a;
        }
        byte[] b = a.getAddress();
        for (int k = 8; k < 16; k++) {
            b[k] = 0;
        }
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException impossible) {
            return a;
        }
    }

    /** How the key reads in messages: {@code 192.0.2.1}, or {@code 2001:db8:1:2::/64}. */
    public static String describe(InetAddress key) {
        return key instanceof Inet6Address ? key.getHostAddress() + "/64" : key.getHostAddress();
    }
}
