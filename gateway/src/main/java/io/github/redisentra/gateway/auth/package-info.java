/**
 * Who a client is: {@link io.github.redisentra.gateway.auth.Authenticator} implementations decide a client's
 * {@code AUTH} credential (Entra tokens validated against the tenant's keys and group policy, directory passwords in
 * {@code auth.ldap}) without blocking an event loop, into an {@link io.github.redisentra.gateway.auth.AuthDecision}
 * with a {@link io.github.redisentra.gateway.auth.Principal}; every decision goes to the audit log (never the token).
 * Group overage is resolved through Microsoft Graph with the gateway's own token
 * ({@link io.github.redisentra.gateway.auth.GraphBearer}). Admission by a roles file comes in as a
 * {@link io.github.redisentra.gateway.auth.GroupPolicy} (this package does not read roles).
 */
package io.github.redisentra.gateway.auth;
