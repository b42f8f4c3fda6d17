package io.github.redisentra.gateway.session;

import io.github.redisentra.gateway.acl.AccessControl;
import io.github.redisentra.gateway.acl.CommandArgs;
import io.github.redisentra.gateway.acl.Permissions;
import io.github.redisentra.gateway.acl.RolePolicy;
import io.github.redisentra.gateway.auth.Principal;
import io.github.redisentra.gateway.cluster.ClusterCommands;
import io.github.redisentra.gateway.resp.Command;
import io.github.redisentra.gateway.upstream.UpstreamCredentials;
import java.net.SocketAddress;
import java.time.Clock;

/**
 * The one decision every client command passes before any byte of it goes upstream: buffered or streamed (then
 * judged on its head, see {@link io.github.redisentra.gateway.resp.RequestFramer}), inline or multibulk, inside
 * {@code MULTI} or not, subscribed or not. It also holds the client identity and its expiry, which it is the judge
 * of: {@link #expired()} is what the session asks before delivering out-of-band data.
 *
 * <p>In order: {@code QUIT}; the RESP2 subscribed context; {@code AUTH}, {@code HELLO} and {@code RESET} (run by
 * the session: their credentials never go upstream); authentication and expiry ({@code -NOAUTH}); the roles file's
 * permissions ({@code -NOPERM} in Redis's words, after checking that a reload left this user's upstream identity
 * alone); commands the gateway cannot carry ({@code MONITOR}, {@code CLIENT REPLY}); in cluster mode, the
 * {@code CLUSTER} subcommands that administer the cluster ({@link ClusterCommands#refusal}). A refused {@code EXEC} is
 * answered as Redis's {@code execCommandAbort} does. Refusals are counted and permission denials audited here, once.
 */
final class CommandGate {
    /** What the session does with a command. */
    enum Kind {
        /** Forward it upstream. */
        FORWARD,
        /** {@code AUTH}, {@code HELLO}, {@code RESET}, {@code QUIT}: the session runs it. */
        SESSION,
        /** Answer {@link Decision#line()} in its place (inside MULTI the transaction fails at EXEC, as in Redis). */
        REFUSE,
        /** A refused {@code EXEC}: answer the {@code -EXECABORT} line and discard the transaction upstream. */
        ABORT_EXEC,
        /** Close the session with {@link Decision#line()}. */
        FAIL,
        /** The head of a streamed command whose verdict needs arguments not read yet: buffer and ask again. */
        UNDECIDED
    }

    record Decision(Kind kind, String line) {}

    static final Decision FORWARD = new Decision(Kind.FORWARD, null);
    static final Decision SESSION = new Decision(Kind.SESSION, null);
    static final Decision UNDECIDED = new Decision(Kind.UNDECIDED, null);

    private final AccessControl access;
    private final UpstreamCredentials gatewayCredentials;
    private final Clock clock;
    private final GatewayEvents events;
    /** Whether the session is bridged to a node of an OSS-cluster cache (cluster administration is refused). */
    private final boolean cluster;
    /** The session's one view of its commands for the permission check, reused (no allocation per command). */
    private final CommandArgs args = new CommandArgs();

    private SocketAddress client;

    private Principal principal;
    private long validUntilMillis;
    private RolePolicy policy;
    private Permissions permissions;

    /** @param access the roles file's permissions, or {@code null} when there is none */
    CommandGate(AccessControl access, UpstreamCredentials gatewayCredentials, Clock clock, GatewayEvents events) {
        this(access, gatewayCredentials, clock, events, false);
    }

    /** @param cluster whether the session is bridged to a node of an OSS-cluster cache */
    CommandGate(
            AccessControl access,
            UpstreamCredentials gatewayCredentials,
            Clock clock,
            GatewayEvents events,
            boolean cluster) {
        this.access = access;
        this.gatewayCredentials = gatewayCredentials;
        this.clock = clock;
        this.events = events;
        this.cluster = cluster;
    }

    void client(SocketAddress address) {
        this.client = address;
    }

    /** A successful AUTH: {@code p} is the identity until {@code validUntilMillis}. */
    void signIn(Principal p, long validUntilMillis) {
        this.principal = p;
        this.validUntilMillis = validUntilMillis;
        this.policy = null; // permissions recomputed for the new principal at its first command
    }

    /** RESET: no identity any more. */
    void signOut() {
        this.principal = null;
    }

    /** The last authenticated identity (possibly expired), or {@code null}. */
    Principal principal() {
        return principal;
    }

    long validUntilMillis() {
        return validUntilMillis;
    }

    boolean authenticated() {
        return principal != null && clock.millis() <= validUntilMillis;
    }

    /** Whether the session had an identity and it has expired: such a session receives nothing out of band. */
    boolean expired() {
        return principal != null && clock.millis() > validUntilMillis;
    }

    /**
     * Decides a complete command, or the head of a streamed one ({@link Command#declaredArgc()} above {@link
     * Command#argc()}).
     *
     * @param resp2Subscribed whether the connection is in RESP2 subscribed mode
     * @param upstreamIdentity the identity the session's upstream connection acts as
     * @param maxBuffered for a head: how many more bytes of the command the session may buffer; an undecided head
     *     whose large bulk is longer is refused (the arguments it would need are never read)
     */
    Decision decide(Command cmd, boolean resp2Subscribed, UpstreamCredentials upstreamIdentity, long maxBuffered) {
        boolean exec = cmd.is("EXEC");
        if (cmd.is("QUIT")) {
            return SESSION;
        }
        if (resp2Subscribed && !allowedWhileSubscribedResp2(cmd)) {
            return refuse(
                    exec,
                    "-ERR Can't execute '" + cmd.nameLowerCase()
                            + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this"
                            + " context");
        }
        if (cmd.is("AUTH") || cmd.is("HELLO") || cmd.is("RESET")) {
            return SESSION;
        }
        if (!authenticated()) {
            events.commandRefused(principal == null ? "noauth" : "expired");
            return refuse(exec, ClientSession.NOAUTH);
        }
        Decision d = permitted(cmd, exec, upstreamIdentity, maxBuffered);
        if (d != FORWARD) {
            return d;
        }
        if (cmd.is("MONITOR")) {
            return refuse(false, "-ERR MONITOR is not supported through the gateway");
        }
        if (cmd.is("CLIENT") && cmd.argc() > 1 && cmd.argIs(1, "REPLY")) {
            return refuse(false, "-ERR CLIENT REPLY is not supported through the gateway");
        }
        if (cluster && cmd.is("CLUSTER")) {
            String refusal = ClusterCommands.refusal(cmd);
            if (refusal != null) {
                events.commandRefused("cluster_admin");
                return refuse(false, refusal);
            }
        }
        return FORWARD;
    }

    /** The roles file's check; permissions follow policy reloads from the next command on. */
    private Decision permitted(Command cmd, boolean exec, UpstreamCredentials upstreamIdentity, long maxBuffered) {
        if (access == null) {
            return FORWARD;
        }
        RolePolicy current = access.current();
        if (current != policy) {
            if (access.upstreamFor(principal, gatewayCredentials, client) != upstreamIdentity) {
                // a reload gave this user another upstream identity (or none): never keep acting as the old one
                events.commandRefused("upstream_changed");
                return new Decision(
                        Kind.FAIL, "-ERR gateway: the roles file changed this user's upstream identity; reconnect");
            }
            policy = current;
            permissions = AccessControl.permissionsFor(current, principal);
        }
        Permissions.Verdict v = permissions.check(args.of(cmd));
        if (v.allowed()) {
            return FORWARD;
        }
        if (v.undecided()) {
            if (cmd.nextBulkLength() <= maxBuffered) {
                return UNDECIDED;
            }
            v = permissions.unreadable(v);
        }
        events.commandRefused("noperm_" + v.reason());
        access.denied(principal, client, v);
        return refuse(exec, access.errorLine(v, permissions, principal));
    }

    /** Redis's {@code rejectCommand}: a refused EXEC becomes {@code execCommandAbort}'s reply. */
    private static Decision refuse(boolean exec, String line) {
        if (!exec) {
            return new Decision(Kind.REFUSE, line);
        }
        String why = line.substring(1);
        if (why.startsWith("ERR ")) {
            why = why.substring(4); // Redis formats these without an error code
        }
        return new Decision(Kind.ABORT_EXEC, "-EXECABORT Transaction discarded because of: " + why);
    }

    private static boolean allowedWhileSubscribedResp2(Command cmd) {
        return cmd.is("SUBSCRIBE")
                || cmd.is("PSUBSCRIBE")
                || cmd.is("SSUBSCRIBE")
                || cmd.is("UNSUBSCRIBE")
                || cmd.is("PUNSUBSCRIBE")
                || cmd.is("SUNSUBSCRIBE")
                || cmd.is("PING")
                || cmd.is("RESET");
    }
}
