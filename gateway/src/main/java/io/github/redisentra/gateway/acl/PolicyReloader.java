package io.github.redisentra.gateway.acl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads the roles file when it changes (its content is polled, so editors, {@code mv} and Kubernetes ConfigMap
 * symlink swaps are all seen) and on demand ({@code SIGHUP}). A file that does not validate is rejected with every
 * problem logged, and the policy in force stays; a valid one replaces it for every open session from its next
 * command.
 */
public final class PolicyReloader implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PolicyReloader.class);

    private final Path file;
    private volatile CommandTable table;
    private final AccessControl access;
    private final Consumer<RolePolicy> onReload;
    private final ScheduledExecutorService scheduler;
    private byte[] lastDigest;

    /**
     * @param onReload also told of each accepted policy (e.g. the authenticator's admission groups)
     * @param interval how often the file is polled; zero polls never (SIGHUP and {@link #reload()} only)
     */
    public PolicyReloader(
            Path file, CommandTable table, AccessControl access, Consumer<RolePolicy> onReload, Duration interval) {
        this.file = Objects.requireNonNull(file, "file");
        this.table = table;
        this.access = access;
        this.onReload = onReload;
        this.lastDigest = digest();
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "roles-reload");
            t.setDaemon(true);
            return t;
        });
        if (!interval.isZero()) {
            long ms = interval.toMillis();
            scheduler.scheduleWithFixedDelay(this::reloadIfChanged, ms, ms, TimeUnit.MILLISECONDS);
        }
    }

    /** Installs a {@code SIGHUP} handler that reloads (where the JVM allows signal handlers). */
    public void reloadOnSighup() {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("HUP"), s -> scheduler.execute(this::reload));
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            log.warn(
                    "SIGHUP cannot be handled here ({}); the roles file is still reloaded when it changes",
                    e.toString());
        }
    }

    private void reloadIfChanged() {
        byte[] d = digest();
        if (d != null && !Arrays.equals(d, lastDigest)) {
            reload();
        }
    }

    /** Loads the file now; returns whether the new policy was accepted. */
    public synchronized boolean reload() {
        lastDigest = digest();
        RolePolicy next;
        try {
            next = RolePolicy.load(file, table);
            access.install(next); // builds the upstream identities it names first; rejected when they cannot be
        } catch (RolePolicy.InvalidPolicyException e) {
            log.atError()
                    .addKeyValue("event", "roles_reload")
                    .addKeyValue("result", "rejected")
                    .addKeyValue("problems", e.problems())
                    .log("roles file {} rejected, the previous policy stays in force:\n{}", file, e.getMessage());
            return false;
        } catch (RuntimeException e) {
            log.error(
                    "roles file {} could not be reloaded, the previous policy stays in force: {}", file, e.toString());
            return false;
        }
        if (onReload != null) {
            onReload.accept(next);
        }
        log.atInfo()
                .addKeyValue("event", "roles_reload")
                .addKeyValue("result", "accepted")
                .addKeyValue(
                        "roles",
                        next.roles().stream().map(RolePolicy.Role::name).toList())
                .log("roles file {} reloaded", file);
        return true;
    }

    /**
     * Switches to a command table learned from the upstream: the roles file is compiled against it and, when it
     * compiles, replaces the policy in force (and later reloads use the table). When it does not (a rule names a
     * command the upstream lacks), the policy in force and its table stay, and the problems are logged.
     */
    public synchronized boolean adoptTable(CommandTable learned) {
        RolePolicy next;
        try {
            next = RolePolicy.load(file, learned);
            access.install(next);
        } catch (RolePolicy.InvalidPolicyException e) {
            log.atWarn()
                    .addKeyValue("event", "command_table")
                    .addKeyValue("result", "rejected")
                    .addKeyValue("problems", e.problems())
                    .log(
                            "the roles file does not compile against the upstream's command table (redis {}); keeping"
                                    + " the built-in table (redis {}):\n{}",
                            learned.version(),
                            table.version(),
                            e.getMessage());
            return false;
        }
        table = learned;
        if (onReload != null) {
            onReload.accept(next);
        }
        log.atInfo()
                .addKeyValue("event", "command_table")
                .addKeyValue("result", "accepted")
                .addKeyValue("commands", learned.size())
                .log("permissions use the upstream's command table (redis {})", learned.version());
        return true;
    }

    /** The table roles are compiled against. */
    public CommandTable table() {
        return table;
    }

    /** Runs {@code task} on the reloader's thread (blocking work such as asking the upstream). */
    public void execute(Runnable task) {
        scheduler.execute(task);
    }

    private byte[] digest() {
        try {
            return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
        } catch (IOException e) {
            return null; // mid-swap or removed: keep the current policy, look again later
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
