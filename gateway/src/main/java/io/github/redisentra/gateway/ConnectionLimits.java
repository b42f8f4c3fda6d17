package io.github.redisentra.gateway;

/**
 * How many client connections the listener admits (see {@link ClientAdmission}).
 *
 * @param maxClients the most open client connections, like Redis's {@code maxclients}; one more is answered
 *     {@code -ERR max number of clients reached} and closed
 * @param maxUnauthenticatedPerAddress the most connections from one source address that have not signed in yet;
 *     {@code 0} for no cap
 */
public record ConnectionLimits(int maxClients, int maxUnauthenticatedPerAddress) {

    /** Redis's default {@code maxclients}. */
    public static final int MAX_CLIENTS_DEFAULT = 10_000;

    /**
     * A connection is unauthenticated for one round trip to the authenticator, so a healthy client (or a whole node
     * of them behind one SNAT address) rarely has many at once; a reconnect storm of more than this from one address
     * is refused in part and retried by the clients.
     */
    public static final int UNAUTHENTICATED_PER_ADDRESS_DEFAULT = 256;

    public static final ConnectionLimits DEFAULTS =
            new ConnectionLimits(MAX_CLIENTS_DEFAULT, UNAUTHENTICATED_PER_ADDRESS_DEFAULT);

    public ConnectionLimits {
        if (maxClients < 1) {
            throw new IllegalArgumentException("maxClients must be >= 1, got " + maxClients);
        }
        if (maxUnauthenticatedPerAddress < 0) {
            throw new IllegalArgumentException(
                    "maxUnauthenticatedPerAddress must be >= 0 (0: no cap), got " + maxUnauthenticatedPerAddress);
        }
    }
}
