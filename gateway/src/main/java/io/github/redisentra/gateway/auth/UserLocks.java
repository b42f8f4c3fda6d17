package io.github.redisentra.gateway.auth;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Users an administrator locked out ({@code tctl lock} for the gateway), by Entra {@code oid} or directory user name
 * (compared case-insensitively, as GUIDs and directory names are). A lock refuses the user's credentials issued
 * before it, until it is lifted or expires. With a file, every change is written there at once (atomically: a new
 * file renamed over the old one), and the locks in it are in force from the start of the next process.
 */
public final class UserLocks {
    /**
     * One lock.
     *
     * @param user the {@code oid} or directory user name, lower-cased
     * @param lockedAt credentials issued before this instant are refused
     * @param expiresAt when the lock lifts by itself, or {@code null}
     * @param reason the administrator's note, or {@code null}
     */
    public record Lock(String user, Instant lockedAt, Instant expiresAt, String reason) {
        boolean activeAt(Instant now) {
            return expiresAt == null || now.isBefore(expiresAt);
        }

        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("user", user);
            m.put("locked_at", lockedAt.toString());
            if (expiresAt != null) {
                m.put("expires_at", expiresAt.toString());
            }
            if (reason != null) {
                m.put("reason", reason);
            }
            return m;
        }
    }

    private final Path file;
    private final Clock clock;
    private final Map<String, Lock> locks = new ConcurrentHashMap<>();

    private UserLocks(Path file, Clock clock) {
        this.file = file;
        this.clock = clock;
    }

    /** Locks kept in memory only (lost on restart). */
    public static UserLocks inMemory(Clock clock) {
        return new UserLocks(null, clock);
    }

    /** Locks kept in {@code file}; reads the locks already there (a missing file is an empty set). */
    public static UserLocks file(Path file, Clock clock) throws IOException {
        UserLocks l = new UserLocks(file, clock);
        if (Files.exists(file)) {
            try {
                Map<String, Object> doc = JSONObjectUtils.parse(Files.readString(file, StandardCharsets.UTF_8));
                List<Object> entries = JSONObjectUtils.getJSONArray(doc, "locks");
                for (Object o : entries == null ? List.of() : entries) {
                    if (!(o instanceof Map<?, ?> m)
                            || !(m.get("user") instanceof String u)
                            || !(m.get("locked_at") instanceof String at)) {
                        throw new IOException("USER_LOCKS_FILE " + file
                                + " is not a locks file: an entry lacks \"user\" or \"locked_at\"");
                    }
                    Instant expires = m.get("expires_at") instanceof String e ? Instant.parse(e) : null;
                    String reason = m.get("reason") instanceof String r ? r : null;
                    Lock lock = new Lock(normalize(u), Instant.parse(at), expires, reason);
                    l.locks.put(lock.user(), lock);
                }
            } catch (ParseException | RuntimeException e) {
                throw new IOException("USER_LOCKS_FILE " + file + " is not a locks file: " + e.getMessage(), e);
            }
        }
        return l;
    }

    /** The file the locks are kept in, if any. */
    public Optional<Path> path() {
        return Optional.ofNullable(file);
    }

    /** The user key locks and sessions are compared by. */
    public static String normalize(String user) {
        return user.strip().toLowerCase(Locale.ROOT);
    }

    /** Locks {@code user} from now on (replacing an earlier lock of the same user); persisted before returning. */
    public synchronized Lock lock(String user, Duration ttl, String reason) throws IOException {
        Instant now = clock.instant();
        Lock lock = new Lock(normalize(user), now, ttl == null ? null : now.plus(ttl), reason);
        Lock previous = locks.put(lock.user(), lock);
        try {
            save();
        } catch (IOException e) {
            if (previous == null) {
                locks.remove(lock.user());
            } else {
                locks.put(lock.user(), previous);
            }
            throw e;
        }
        return lock;
    }

    /** Lifts the lock of {@code user}; returns the lock lifted, if there was an active one. */
    public synchronized Optional<Lock> unlock(String user) throws IOException {
        Lock removed = locks.remove(normalize(user));
        if (removed != null) {
            save();
        }
        return Optional.ofNullable(removed).filter(l -> l.activeAt(clock.instant()));
    }

    /** The locks in force, oldest first. */
    public List<Lock> active() {
        Instant now = clock.instant();
        List<Lock> out = new ArrayList<>();
        for (Lock l : locks.values()) {
            if (l.activeAt(now)) {
                out.add(l);
            }
        }
        out.sort(Comparator.comparing(Lock::lockedAt).thenComparing(Lock::user));
        return out;
    }

    /**
     * The lock that refuses a credential of {@code user} issued at {@code issuedAt} ({@code null}: unknown, as for
     * a directory password, which is refused for as long as the lock holds).
     */
    public Optional<Lock> refusing(String user, Instant issuedAt) {
        if (locks.isEmpty() || user == null) {
            return Optional.empty();
        }
        Lock l = locks.get(normalize(user));
        if (l == null || !l.activeAt(clock.instant())) {
            return Optional.empty();
        }
        // iat has whole seconds: a token issued in the second of the lock counts as issued before it.
        if (issuedAt != null && issuedAt.isAfter(l.lockedAt())) {
            return Optional.empty();
        }
        return Optional.of(l);
    }

    private void save() throws IOException {
        if (file == null) {
            return;
        }
        Instant now = clock.instant();
        List<Object> entries = new ArrayList<>();
        for (Lock l : active()) {
            if (l.activeAt(now)) {
                entries.add(l.toJson());
            }
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("locks", entries);
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            Files.writeString(tmp, JSONObjectUtils.toJSONString(doc) + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
