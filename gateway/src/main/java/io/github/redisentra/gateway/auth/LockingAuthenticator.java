package io.github.redisentra.gateway.auth;

import io.github.redisentra.core.AccessToken;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.LongAdder;

/**
 * Incident response: every client credential passes here after the Entra / directory checks, so a locked user is
 * refused in one place whatever the path (AUTH, HELLO AUTH, re-AUTH, cached directory sign-ins). Locking a user also
 * closes their open sessions at once, through the {@link SessionDirectory} this class keeps informed of who was
 * admitted on which connection.
 *
 * <p>A refusal is a {@link AuthDecision.Denied} with reason {@code user_locked}, so the client sees Redis's
 * {@code WRONGPASS} like for any refusal, and the audit log and {@code auth_total} carry the reason.
 */
public final class LockingAuthenticator implements Authenticator {
    /** What a session closed by a lock reads before the connection closes. */
    public static final String CLOSED_LINE =
            "-ERR gateway: an administrator locked this user out; the connection is closed";

    private final Authenticator inner;
    private final UserLocks locks;
    private final AuditLog audit;
    private final Clock clock;
    private final LongAdder sessionsClosed = new LongAdder();
    private final LongAdder lockActions = new LongAdder();
    private volatile SessionDirectory sessions = SessionDirectory.NONE;

    /** What a lock did. */
    public record Locked(UserLocks.Lock lock, int sessionsClosed) {}

    public LockingAuthenticator(Authenticator inner, UserLocks locks, AuditLog audit, Clock clock) {
        this.inner = Objects.requireNonNull(inner, "inner");
        this.locks = Objects.requireNonNull(locks, "locks");
        this.audit = Objects.requireNonNull(audit, "audit");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The sessions to inform and close (the listener's registry, once it runs). */
    public void sessions(SessionDirectory directory) {
        this.sessions = directory == null ? SessionDirectory.NONE : directory;
    }

    public UserLocks locks() {
        return locks;
    }

    @Override
    public CompletionStage<AuthDecision> authenticate(AuthRequest request) {
        return inner.authenticate(request).thenApply(d -> {
            if (!(d instanceof AuthDecision.Allowed allowed)) {
                return d;
            }
            Principal p = allowed.principal();
            sessions.admitted(request.clientAddress(), p.objectId());
            Optional<UserLocks.Lock> lock = locks.refusing(p.objectId(), p.issuedAt());
            if (lock.isEmpty()) {
                return d;
            }
            UserLocks.Lock l = lock.get();
            String detail = "user locked by an administrator at " + l.lockedAt()
                    + (p.issuedAt() == null ? "" : "; credential issued at " + p.issuedAt())
                    + (l.expiresAt() == null ? "" : "; lock expires at " + l.expiresAt());
            audit.record(new AuditEvent(
                    clock.instant(),
                    request.clientAddress(),
                    "denied",
                    "user_locked",
                    detail,
                    p.objectId(),
                    p.displayName(),
                    p.tenantId(),
                    p.groups(),
                    p.roles(),
                    p.expiresAt(),
                    p.tenantId() == null ? null : AccessToken.fingerprintOf(request.password())));
            return new AuthDecision.Denied("user_locked", detail);
        });
    }

    /**
     * Locks {@code user} ({@code oid} or directory user name) for {@code ttl} ({@code null}: until lifted), closes
     * their open sessions and records it in the audit log.
     */
    public Locked lock(String user, Duration ttl, String reason, String requestedBy) throws IOException {
        UserLocks.Lock l = locks.lock(user, ttl, reason);
        int closed = sessions.closeSessionsOf(l.user(), CLOSED_LINE);
        sessionsClosed.add(closed);
        lockActions.increment();
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("user", l.user());
        fields.put("locked_at", l.lockedAt().toString());
        fields.put("expires_at", l.expiresAt() == null ? null : l.expiresAt().toString());
        fields.put("reason", l.reason());
        fields.put("sessions_closed", Integer.toString(closed));
        fields.put("requested_by", requestedBy);
        audit.adminAction("user_locked", fields);
        return new Locked(l, closed);
    }

    /** Lifts the lock of {@code user}; returns whether one was in force. */
    public boolean unlock(String user, String requestedBy) throws IOException {
        Optional<UserLocks.Lock> lifted = locks.unlock(user);
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("user", UserLocks.normalize(user));
        fields.put("was_locked", Boolean.toString(lifted.isPresent()));
        fields.put("requested_by", requestedBy);
        audit.adminAction("user_unlocked", fields);
        return lifted.isPresent();
    }

    /** Prometheus lines (prefix as the gateway's). */
    public String renderMetrics(String prefix) {
        List<UserLocks.Lock> active = locks.active();
        return "# HELP " + prefix + "user_locks Users locked out by an administrator, in force now\n"
                + "# TYPE " + prefix + "user_locks gauge\n"
                + prefix + "user_locks " + active.size() + "\n"
                + "# HELP " + prefix + "user_lock_actions_total Locks placed through the admin API\n"
                + "# TYPE " + prefix + "user_lock_actions_total counter\n"
                + prefix + "user_lock_actions_total " + lockActions.sum() + "\n"
                + "# HELP " + prefix + "user_lock_sessions_closed_total Open sessions closed because their user was"
                + " locked\n"
                + "# TYPE " + prefix + "user_lock_sessions_closed_total counter\n"
                + prefix + "user_lock_sessions_closed_total " + sessionsClosed.sum() + "\n";
    }
}
