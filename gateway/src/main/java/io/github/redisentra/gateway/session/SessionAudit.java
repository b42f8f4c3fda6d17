package io.github.redisentra.gateway.session;

import io.github.redisentra.gateway.acl.CommandKeys;
import io.github.redisentra.gateway.acl.CommandTable.Spec;
import io.github.redisentra.gateway.audit.AuditUser;
import io.github.redisentra.gateway.audit.CommandAudit;
import io.github.redisentra.gateway.audit.CommandAudit.Result;
import io.github.redisentra.gateway.audit.UpstreamClientName;
import io.github.redisentra.gateway.auth.Principal;
import io.github.redisentra.gateway.config.AuditMode;
import io.github.redisentra.gateway.config.UpstreamClientNameSource;
import io.github.redisentra.gateway.resp.Command;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Who did what, for one session: the command audit's records ({@code AUDIT_COMMANDS}) and the upstream connection's
 * name ({@code UPSTREAM_CLIENT_NAME}). The session calls it where the gate's decision is carried out (an audited
 * {@code FORWARD} owes a {@link ReplyLedger.Audited} entry, a refusal is recorded on the spot) and where the head
 * entry's reply is dispatched, so every command passes it once. Names: {@code CLIENT SETNAME <derived>} after the
 * upstream connection's {@code AUTH} (owing a swallowed {@link ReplyLedger.Named} entry) and whenever another
 * principal signs in; the client's own {@code CLIENT SETNAME} / {@code HELLO … SETNAME} is kept here and sent as the
 * derived name's suffix, {@code CLIENT GETNAME} answers the client's own name. Event-loop confined.
 */
final class SessionAudit {
    private static final byte[] ECHO = "*2\r\n$4\r\nECHO\r\n$".getBytes(StandardCharsets.US_ASCII);

    private final ClientSession s;
    private final CommandAudit audit;
    private final UpstreamClientNameSource names;
    private final boolean auditing;

    /** The signed-in user as audit lines show it; null before sign-in. */
    private AuditUser user;
    /** The client's own name (its CLIENT SETNAME or HELLO SETNAME); null: none. */
    private byte[] clientName;
    /** The principal the upstream connection was last named for; null: unnamed. */
    private Principal namedFor;

    SessionAudit(ClientSession session, SessionSettings settings) {
        this.s = session;
        this.audit = settings.audit();
        this.names = settings.upstreamClientName();
        this.auditing = audit.mode() != AuditMode.OFF;
    }

    // ---------------------------------------------------------------- sign-in, RESET, upstream AUTH

    /** A principal signed in: its audit identity; a connected upstream is renamed if the principal changed. */
    void signedIn(Principal p) {
        if (auditing) {
            user = AuditUser.of(p, s.access == null ? null : s.access.current(), s.client.remoteAddress());
        }
        if (s.upstream != null && !s.resp2Subscribed() && !same(p, namedFor)) {
            nameUpstream();
        }
    }

    /** The client sent RESET: it is nobody and has no name until it signs in again. */
    void reset() {
        user = null;
        clientName = null;
    }

    /** After the upstream connection's AUTH (at connect, after RESET): names it for the signed-in principal. */
    void upstreamAuthenticated() {
        namedFor = null;
        if (!s.failed && s.gate.principal() != null) {
            nameUpstream();
        }
    }

    private void nameUpstream() {
        byte[] frame = nameFrame();
        if (frame != null) {
            namedFor = s.gate.principal();
            s.writeGatewayCommand(Unpooled.wrappedBuffer(frame), ReplyLedger.NAMED);
        }
    }

    /** The {@code CLIENT SETNAME} frame for the signed-in principal and the client's name; null when not naming. */
    byte[] nameFrame() {
        String name = UpstreamClientName.of(names, s.gate.principal(), clientName);
        return name == null ? null : UpstreamClientName.setNameFrame(name);
    }

    private static boolean same(Principal a, Principal b) {
        return a != null
                && b != null
                && Objects.equals(a.objectId(), b.objectId())
                && Objects.equals(a.tenantId(), b.tenantId())
                && Objects.equals(a.displayName(), b.displayName());
    }

    // ---------------------------------------------------------------- the client's own name

    /**
     * {@code CLIENT SETNAME} / {@code CLIENT GETNAME} of a client whose upstream connection the gateway names: run
     * here (true, {@code cmd} released) instead of being forwarded; {@code entry} is what the command owes.
     */
    boolean clientName(Command cmd, ReplyLedger.Owed entry) {
        if (names == UpstreamClientNameSource.OFF || s.gate.principal() == null || !cmd.is("CLIENT")) {
            return false;
        }
        if (cmd.argc() == 3 && cmd.argIs(1, "SETNAME")) {
            ByteBuf arg = cmd.arg(2);
            byte[] name = new byte[arg.readableBytes()];
            arg.getBytes(arg.readerIndex(), name);
            cmd.release();
            if (!UpstreamClientName.valid(name)) {
                refusedLine(entry, UpstreamClientName.INVALID_NAME);
                s.refuse(UpstreamClientName.INVALID_NAME);
                return true;
            }
            clientName = name.length == 0 ? null : name;
            Principal p = s.gate.principal();
            namedFor = p;
            String derived = UpstreamClientName.of(names, p, clientName);
            // the cache's reply to the derived name is the client's (+OK, or its error)
            s.writeGatewayCommand(Unpooled.wrappedBuffer(UpstreamClientName.setNameFrame(derived)), entry);
            return true;
        }
        if (cmd.argc() == 2 && cmd.argIs(1, "GETNAME") && !s.inMulti) {
            cmd.release();
            if (clientName == null) {
                String nil = s.protocol.version == 3 ? "_" : "$-1";
                refusedLine(entry, nil);
                s.local(nil, false);
            } else { // the client's own name as a bulk reply, in its place in the reply stream
                ByteBuf echo = s.client.alloc().buffer(32 + clientName.length);
                echo.writeBytes(ECHO).writeCharSequence(Integer.toString(clientName.length), StandardCharsets.US_ASCII);
                echo.writeShort(0x0d0a).writeBytes(clientName).writeShort(0x0d0a);
                s.writeGatewayCommand(echo, entry);
            }
            return true;
        }
        return false;
    }

    /** The name to send in a {@code HELLO … SETNAME} ({@code name} already valid): the derived one when naming. */
    byte[] helloName(byte[] name) {
        if (name == null || names == UpstreamClientNameSource.OFF || s.gate.principal() == null) {
            return name;
        }
        clientName = name.length == 0 ? null : name;
        namedFor = s.gate.principal();
        return UpstreamClientName.of(names, namedFor, clientName).getBytes(StandardCharsets.US_ASCII);
    }

    // ---------------------------------------------------------------- the command audit

    /** What a command the gate forwards owes: {@code entry}, or an {@link ReplyLedger.Audited} one if audited. */
    ReplyLedger.Owed forwarded(Command cmd, ReplyLedger.Owed entry) {
        if (!auditing) {
            return entry;
        }
        Spec spec = audit.resolve(cmd);
        if (!audit.audits(spec) || !audit.admit()) { // over the rate: counted as dropped, nothing built
            return entry;
        }
        int keys = CommandKeys.count(spec, cmd);
        if (entry != ReplyLedger.FORWARD) { // (un)subscribe: confirmed out of band, recorded as sent
            audit.recordAdmitted(user, spec, keys, Result.OK, 0);
            return entry;
        }
        return new ReplyLedger.Audited(spec, keys, System.nanoTime());
    }

    /** The reply (or a large reply's first part) for the head entry {@code entry}: recorded if it is audited. */
    void replied(ReplyLedger.Owed entry, ByteBuf frame) {
        if (entry instanceof ReplyLedger.Audited a) {
            audit.recordAdmitted(user, a.spec, a.keys, Result.ofReply(frame), System.nanoTime() - a.startNanos);
        }
    }

    /**
     * The reply for the head entry {@code a}, known not to be an error (its first byte), recorded without reading
     * it: what {@link #replied} records for such a reply, so that the reply may stay in a pass-through run.
     */
    void repliedWithoutError(ReplyLedger.Audited a) {
        audit.recordAdmitted(user, a.spec, a.keys, Result.OK, System.nanoTime() - a.startNanos);
    }

    /** A command the gate refused with {@code d}, after sign-in (before it, nobody is there to audit). */
    void refused(Command cmd, CommandGate.Decision d) {
        if (!auditing || user == null || d.line() == null) {
            return;
        }
        Spec spec = audit.resolve(cmd);
        if (audit.audits(spec)) {
            audit.record(user, spec, CommandKeys.count(spec, cmd), Result.ofLine(d.line()), 0);
        }
    }

    private void refusedLine(ReplyLedger.Owed entry, String line) {
        if (entry instanceof ReplyLedger.Audited a) {
            audit.recordAdmitted(user, a.spec, a.keys, Result.ofLine(line), 0);
        }
    }
}
