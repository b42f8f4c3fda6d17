package io.github.redisentra.testkit;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.emulator.Endpoint;
import io.github.redisentra.emulator.Faults;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/**
 * What the client modules' re-authentication ITs share: {@link EmulatedAzure} for the class, a signed-in identity per
 * test whose refresher counts tokens, cleanup in reverse order, waiting for a renewal, and the outage drill that
 * measures how soon commands work again after the identity provider returns. Each subclass adds only its client.
 */
public abstract class ReauthenticationITBase {
    protected static EmulatedAzure azure;

    protected EmulatedAzure.Identity id;
    protected TokenRefresher refresher;
    protected final AtomicLong tokensSeen = new AtomicLong();
    /** The distinct tokens the refresher made current, in order. */
    protected final List<AccessToken> tokens = new CopyOnWriteArrayList<>();
    /** Closed after each test, last added first. */
    protected final List<AutoCloseable> cleanup = new ArrayList<>();

    @BeforeAll
    static void startAzure() {
        azure = new EmulatedAzure();
    }

    @AfterAll
    static void stopAzure() {
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
        azure.emu.faults().outage(Endpoint.TOKEN, (Faults.OutageMode) null);
    }

    /** Signs a new user in (device code) with tokens living {@code lifetime}. */
    protected void identity(Duration lifetime) throws Exception {
        identity(lifetime, EmulatedAzure.Flow.DEVICE_CODE);
    }

    /** Signs a new user in with the given flow, with tokens living {@code lifetime}. */
    protected void identity(Duration lifetime, EmulatedAzure.Flow flow) throws Exception {
        id = azure.signIn(lifetime, flow);
        cleanup.add(id);
        refresher = id.refresher;
        refresher.subscribe(token -> {
            tokensSeen.incrementAndGet();
            if (tokens.stream().noneMatch(t -> t.fingerprint().equals(token.fingerprint()))) {
                tokens.add(token);
            }
        });
    }

    /**
     * Whether a load that started at {@code start} has run long enough: {@code -Dredisentra.load.seconds=N} seconds
     * when set, else until it has covered two renewals and the expiry (+1 s) of the token the second one replaced
     * (when the cache would cut a connection that missed it), {@code max} at most.
     */
    protected boolean loadDone(Instant start, Duration max) {
        Duration elapsed = Duration.between(start, Instant.now());
        Long fixed = Long.getLong("redisentra.load.seconds");
        if (fixed != null) {
            return elapsed.compareTo(Duration.ofSeconds(fixed)) >= 0;
        }
        if (elapsed.compareTo(max) >= 0) {
            return true;
        }
        return tokens.size() >= 3
                && Instant.now().isAfter(tokens.get(1).expiresAt().plusSeconds(1));
    }

    /** Waits (at most 60 s) for a token other than the current one and returns it. */
    protected AccessToken awaitRenewal() {
        AccessToken before = refresher.current().orElseThrow();
        waitUntil(
                Duration.ofSeconds(60),
                () -> refresher.current().filter(t -> !t.equals(before)).isPresent());
        return refresher.current().orElseThrow();
    }

    /**
     * What an outage drill measured.
     *
     * @param recovery from the end of the outage to the first command that succeeded
     * @param tokenRequests token-endpoint requests during the outage
     * @param requestsPerSecond the same per second of outage
     * @param failedCommands commands that failed during the drill
     * @param commands commands run during the drill
     * @param succeededWhileExpired whether a command succeeded after the token expired (+1 s) and before the outage
     *     ended; {@code false} proves the cache really cut the client off
     */
    public record OutageRecovery(
            Duration recovery,
            long tokenRequests,
            double requestsPerSecond,
            long failedCommands,
            int commands,
            boolean succeededWhileExpired) {}

    /**
     * The outage: starts with a whole fresh token that expires within it (the one just signed in with when it
     * is at most 2 s old, else the next renewal's), makes the token endpoint unreachable (connections dropped) for {@code outage} while {@code command} runs over
     * and over, then measures how soon after the endpoint is back a command succeeds. Prints the figures.
     */
    protected OutageRecovery outageDrill(String client, Duration outage, CommandProbe.Command command)
            throws Exception {
        AccessToken current = refresher.current().orElseThrow();
        boolean fresh = current.issuedAt()
                .map(iat -> Duration.between(iat, Instant.now()).compareTo(Duration.ofSeconds(2)) <= 0)
                .orElse(false);
        AccessToken renewed = fresh ? current : awaitRenewal();
        long before = azure.emu.requestCount(Endpoint.TOKEN);
        // Connections dropped: the refresher's own timing decides. (With HTTP 503, MSAL4J also refuses to send for 5 s
        // after each answer, which puts recovery anywhere up to ~5.3 s; core's TokenRefresherEmulatorIT measures that.)
        azure.emu.faults().outage(Endpoint.TOKEN, Faults.OutageMode.CONNECTION_DROP);
        Instant outageStart = Instant.now();
        try (CommandProbe probe = new CommandProbe(client, Duration.ofMillis(10), command)) {
            waitUntil(outage.plusSeconds(10), () -> !Instant.now().isBefore(outageStart.plus(outage)));
            azure.emu.faults().outage(Endpoint.TOKEN, (Faults.OutageMode) null);
            Instant outageEnd = Instant.now();
            long requests = azure.emu.requestCount(Endpoint.TOKEN) - before;
            waitUntil(
                    Duration.ofSeconds(20),
                    () -> probe.firstSuccessAfter(outageEnd).isPresent());
            Optional<Instant> back = probe.firstSuccessAfter(outageEnd);
            Duration recovery = Duration.between(outageEnd, back.orElseThrow());
            double perSecond =
                    requests / (Duration.between(outageStart, outageEnd).toMillis() / 1000.0);
            OutageRecovery r = new OutageRecovery(
                    recovery,
                    requests,
                    perSecond,
                    probe.failures(),
                    probe.attempts(),
                    probe.anySuccessBetween(renewed.expiresAt().plusSeconds(1), outageEnd));
            System.out.printf(
                    "%s, outage %s over %s tokens: %d token requests (%.2f/s), %d failed commands of %d,"
                            + " commands succeed again %d ms after the endpoint returned%n",
                    client,
                    outage,
                    Duration.between(renewed.issuedAt().orElse(outageStart), renewed.expiresAt()),
                    requests,
                    perSecond,
                    r.failedCommands(),
                    r.commands(),
                    recovery.toMillis());
            return r;
        }
    }

    /** Polls {@code condition} every 20 ms until it holds; fails after {@code timeout}. */
    protected static void waitUntil(Duration timeout, BooleanSupplier condition) {
        Instant deadline = Instant.now().plus(timeout);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("condition not met within " + timeout);
            }
            try {
                Thread.sleep(20); // polling a condition, not synchronizing on time
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting", e);
            }
        }
    }
}
