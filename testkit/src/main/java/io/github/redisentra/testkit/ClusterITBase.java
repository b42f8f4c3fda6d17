package io.github.redisentra.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.RefreshPolicy;
import io.github.redisentra.core.TokenRefresher;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/**
 * What the client modules' OSS-cluster ITs share, whatever the client: for the class, an {@link AzureClusterStandIn}
 * (3 masters, 3 replicas, TLS, only the signed-in user's current tokens, connections cut at token expiry) watching an
 * {@link EmulatedAzure} whose user is signed in, and one refresher renewing at half the token lifetime; per test,
 * cleanup in reverse order. Tokens live {@code redisentra.cluster.tokenSeconds} seconds (default 8). Each subclass
 * adds only its client.
 */
public abstract class ClusterITBase {
    protected static final Duration LIFETIME = Duration.ofSeconds(Long.getLong("redisentra.cluster.tokenSeconds", 8));

    protected static EmulatedAzure azure;
    protected static EmulatedAzure.Identity id;
    protected static AzureClusterStandIn cluster;
    /**
     * Renews at half the lifetime: with seconds-long tokens, 75 % leaves under two seconds for an AUTH to pass a busy
     * connection on a loaded machine (production leaves minutes).
     */
    protected static TokenRefresher refresher;
    /** Tokens {@link #refresher} made current since the class started. */
    protected static final AtomicLong renewals = new AtomicLong();

    /** Closed after each test, last added first. */
    protected final List<AutoCloseable> cleanup = new ArrayList<>();

    @BeforeAll
    static void startCluster() throws Exception {
        azure = new EmulatedAzure();
        id = azure.signIn(LIFETIME);
        cluster = AzureClusterStandIn.builder()
                .objectId(id.user.objectId())
                .watch(azure.emu)
                .start();
        refresher = TokenRefresher.builder(id.source)
                .policy(RefreshPolicy.builder()
                        .refreshRatio(0.5)
                        .lowerBound(Duration.ZERO)
                        .minimumDelay(Duration.ofSeconds(2))
                        .build())
                .build();
        // A token issued before a node watched the emulator: accept the current one everywhere.
        AccessToken current = refresher.validToken().get(30, TimeUnit.SECONDS);
        cluster.accept(id.user.objectId(), current.secret(), current.expiresAt());
        refresher.subscribe(token -> renewals.incrementAndGet());
    }

    @AfterAll
    static void stopCluster() {
        if (refresher != null) {
            refresher.close();
            refresher = null;
        }
        if (cluster != null) {
            cluster.close();
            cluster = null;
        }
        if (id != null) {
            id.close();
            id = null;
        }
        if (azure != null) {
            azure.close();
            azure = null;
        }
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
        cleanup.clear();
    }

    /** One key per hash slot, by the client's own slot function. */
    protected static String[] keyPerSlot(ToIntFunction<String> slotOf) {
        String[] keys = new String[16384];
        int missing = keys.length;
        for (int i = 0; missing > 0; i++) {
            String key = "k" + i;
            int slot = slotOf.applyAsInt(key);
            if (keys[slot] == null) {
                keys[slot] = key;
                missing--;
            }
        }
        return keys;
    }

    /** How many {@code AUTH} commands {@code node} has run since its statistics were last reset. */
    protected static long authCalls(AzureClusterStandIn.Node node) {
        String stats = node.server().cli().callString("INFO", "commandstats");
        for (String line : stats.split("\r?\n")) {
            if (line.startsWith("cmdstat_auth:calls=")) {
                return Long.parseLong(line.substring("cmdstat_auth:calls=".length(), line.indexOf(',')));
            }
        }
        return 0;
    }

    /**
     * Until when the renewal drill's rounds run at least: {@code until}, or a token lifetime from now when the set-up
     * took longer on a busy machine (the rounds span a token lifetime at least).
     */
    protected static Instant roundsUntil(Instant until) {
        Instant lifetimeOfRounds = Instant.now().plus(LIFETIME);
        return until.isAfter(lifetimeOfRounds) ? until : lifetimeOfRounds;
    }

    /**
     * Whether the renewal drill runs another round: before {@code roundsUntil}, or while {@link #refresher} has made
     * fewer than three tokens current since {@code renewalsBefore}; fails a minute past {@code roundsUntil}.
     */
    protected static boolean anotherRound(Instant roundsUntil, long renewalsBefore) {
        if (!Instant.now().isBefore(roundsUntil) && renewals.get() - renewalsBefore >= 3) {
            return false;
        }
        Instant now = Instant.now();
        assertTrue(now.isBefore(roundsUntil.plusSeconds(60)), () -> now + " before " + roundsUntil.plusSeconds(60));
        return true;
    }

    /** A round's 64 keys of {@code keys} (spread over the slots): each set to its round's value and read back. */
    protected static void setAndGetRound(
            String[] keys, int round, BiFunction<String, String, String> set, Function<String, String> get) {
        for (int i = 0; i < 64; i++) {
            String key = keys[(round * 257 + i * 331) % keys.length];
            assertEquals("OK", set.apply(key, key + ":" + round));
            assertEquals(key + ":" + round, get.apply(key));
        }
    }

    /** Waits until {@code count} is {@code expected}, failing after 10 seconds ({@code what} names it). */
    protected static void awaitCount(String what, AtomicLong count, long expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (count.get() != expected && System.nanoTime() < deadline) {
            Thread.sleep(50); // until the last deliveries arrive
        }
        assertEquals(expected, count.get(), what);
    }

    /**
     * After the renewal drill, read through the client's {@code get}: the transactions' counter {@code {tx}:a} is
     * {@code transactions}, and every one of {@code keys} still holds a value of its own.
     */
    protected static void keysKept(String[] keys, long transactions, Function<String, String> get) {
        assertEquals(String.valueOf(transactions), get.apply("{tx}:a"));
        for (String key : keys) {
            String value = get.apply(key);
            assertTrue(value != null && value.startsWith(key), () -> key + " holds " + value);
        }
    }

    /** {@link #authCalls} of every node, by node index. */
    protected static Map<Integer, Long> authCallsByNode() {
        Map<Integer, Long> authsByNode = new TreeMap<>();
        for (AzureClusterStandIn.Node node : cluster.nodes()) {
            authsByNode.put(node.index(), authCalls(node));
        }
        return authsByNode;
    }

    /** Every master of {@link #cluster} ran at least three {@code AUTH} commands, by {@code authsByNode}. */
    protected static void assertEveryMasterReauthenticatedThrice(Map<Integer, Long> authsByNode) {
        for (int node = 0; node < cluster.nodes().size(); node++) {
            if (cluster.isMaster(node)) {
                long auths = authsByNode.get(node);
                assertTrue(auths >= 3, "re-AUTHs on master node " + node + ": " + auths);
            }
        }
    }

    /**
     * A failover to {@code replica} under {@code writer}'s writes: once more than {@code before} writes are acknowledged
     * (within 10 s), then until more than {@code after} further ones are (within {@code within}); then the writer is
     * closed.
     */
    protected static void failoverWhileWriting(
            AcknowledgedWriter writer, int replica, int before, int after, Duration within)
            throws InterruptedException {
        awaitAcknowledged(writer, before, Duration.ofSeconds(10));
        cluster.failover(replica);
        int atFailover = writer.acknowledgedCount();
        awaitAcknowledged(writer, atFailover + after, within);
        writer.close();
    }

    private static void awaitAcknowledged(AcknowledgedWriter writer, int count, Duration within)
            throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (writer.acknowledgedCount() <= count) {
            assertTrue(
                    System.nanoTime() < deadline, () -> "more than " + count + " acknowledged writes within " + within);
            Thread.sleep(100); // as Awaitility polls
        }
    }

    /**
     * The slot-migration drill: while slot {@code slot} migrates between two masters, keys written before stay readable
     * and new keys are written (to the target, after {@code -ASK}) through the client's {@code set} and {@code get};
     * after the migration and {@code refreshTopology} both are read back, and the target holds the new keys.
     */
    protected static void keysStayReachableDuringAMigration(
            int slot, BiFunction<String, String, String> set, Function<String, String> get, Runnable refreshTopology) {
        int from = cluster.masterOf(slot);
        int to = cluster.masterOf((slot + 6000) % 16384);
        assertNotEquals(from, to, "the slot's master and the migration target");
        for (int i = 0; i < 20; i++) {
            set.apply("{mig}:old" + i, "o" + i);
        }
        cluster.beginMigration(slot, from, to);
        try {
            for (int i = 0; i < 20; i++) {
                // absent on the source: -ASK to the target, which the client follows with ASKING
                assertEquals("OK", set.apply("{mig}:new" + i, "n" + i));
                assertEquals("o" + i, get.apply("{mig}:old" + i));
            }
        } finally {
            cluster.finishMigration(slot, from, to);
        }
        refreshTopology.run();
        for (int i = 0; i < 20; i++) {
            assertEquals("n" + i, get.apply("{mig}:new" + i));
            assertEquals("o" + i, get.apply("{mig}:old" + i));
        }
        assertEquals("n0", cluster.node(to).server().cli().call("GET", "{mig}:new0"));
    }
}
