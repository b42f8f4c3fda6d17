/**
 * The opt-in command audit ({@code AUDIT_COMMANDS=off|writes|all}): one JSON line per command with who sent it
 * (oid, name, role, client address), the command's name, its key count, the result class and the latency, never
 * an argument value. {@link io.github.redisentra.gateway.audit.CommandAudit} takes events on the event loops
 * without blocking (a bounded queue, one writer thread, a line rate bound) and counts what it drops;
 * {@link io.github.redisentra.gateway.audit.CommandNames} resolves a command's name bytes to the command table's
 * entry without making a string per command.
 */
package io.github.redisentra.gateway.audit;
