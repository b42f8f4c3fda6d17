package io.github.redisentra.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The lock-out's decisions on top of whatever the directory or Entra decided. */
class LockingAuthenticatorTest {
    final SocketAddress client = new InetSocketAddress("127.0.0.1", 50000);
    final List<String> admitted = new ArrayList<>();
    final List<String> closed = new ArrayList<>();
    final SessionDirectory directory = new SessionDirectory() {
        @Override
        public void admitted(SocketAddress c, String user) {
            admitted.add(c + " " + user);
        }

        @Override
        public int closeSessionsOf(String user, String errorLine) {
            closed.add(user + " " + errorLine);
            return 2;
        }
    };

    static Authenticator admits(Principal p) {
        return request -> CompletableFuture.completedFuture(new AuthDecision.Allowed(p));
    }

    @Test
    void directoryUserIsRefusedWhileLockedWhateverTheCachedSignIn() throws Exception {
        Principal ldapUser =
                new Principal("Directory.User", null, "uid=directory.user,ou=people", Instant.MAX, Set.of(), Set.of());
        LockingAuthenticator lockout = new LockingAuthenticator(
                admits(ldapUser), UserLocks.inMemory(Clock.systemUTC()), new AuditLog(), Clock.systemUTC());
        lockout.sessions(directory);
        AuthRequest request = new AuthRequest("Directory.User", "directory-password", client);

        assertThat(lockout.authenticate(request).toCompletableFuture().get()).isInstanceOf(AuthDecision.Allowed.class);
        LockingAuthenticator.Locked locked = lockout.lock("directory.user", null, "incident", "test");
        assertThat(locked.sessionsClosed()).isEqualTo(2);
        assertThat(closed).containsExactly("directory.user " + LockingAuthenticator.CLOSED_LINE);
        assertThat(lockout.authenticate(request).toCompletableFuture().get())
                .isInstanceOfSatisfying(
                        AuthDecision.Denied.class, d -> assertThat(d.reason()).isEqualTo("user_locked"));
        assertThat(admitted).containsExactly(client + " Directory.User", client + " Directory.User");

        assertThat(lockout.unlock("DIRECTORY.USER", "test")).isTrue();
        assertThat(lockout.authenticate(request).toCompletableFuture().get()).isInstanceOf(AuthDecision.Allowed.class);
        assertThat(lockout.renderMetrics("p_"))
                .contains("p_user_locks 0\n")
                .contains("p_user_lock_actions_total 1\n")
                .contains("p_user_lock_sessions_closed_total 2\n");
    }

    @Test
    void refusalsOfTheInnerAuthenticatorPassThroughUntouched() throws Exception {
        AuthDecision.Denied denied = new AuthDecision.Denied("expired", "expired at …");
        LockingAuthenticator lockout = new LockingAuthenticator(
                r -> CompletableFuture.completedFuture(denied),
                UserLocks.inMemory(Clock.systemUTC()),
                new AuditLog(),
                Clock.systemUTC());
        lockout.sessions(directory);
        assertThat(lockout.authenticate(new AuthRequest(null, "x", client))
                        .toCompletableFuture()
                        .get())
                .isSameAs(denied);
        assertThat(admitted).isEmpty();
    }
}
