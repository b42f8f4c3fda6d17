package io.github.redisentra.jedis.internal;

/**
 * What a connection provider of ours holds besides its pools: the client's re-authentication and, when the provider
 * owns it, the refresher. Shared by {@link EntraConnectionProvider} and {@link EntraClusterConnectionProvider}, whose
 * Jedis superclasses differ.
 */
final class ClientReauthentication {
    private final ConnectionReauthenticator reauthenticator;
    private final AutoCloseable ownedRefresher;

    /** @param ownedRefresher the refresher to close with the provider, or null when it serves other clients too */
    ClientReauthentication(ConnectionReauthenticator reauthenticator, AutoCloseable ownedRefresher) {
        this.reauthenticator = reauthenticator;
        this.ownedRefresher = ownedRefresher;
    }

    ConnectionReauthenticator reauthenticator() {
        return reauthenticator;
    }

    /**
     * Ends the re-authentication, then runs {@code closePools}, then closes the owned refresher: each step also when the
     * one before it threw.
     */
    void close(Runnable closePools) {
        try {
            reauthenticator.close();
        } finally {
            try {
                closePools.run();
            } finally {
                if (ownedRefresher != null) {
                    try {
                        ownedRefresher.close();
                    } catch (Exception e) {
                        // the refresher logs its own close problems
                    }
                }
            }
        }
    }
}
