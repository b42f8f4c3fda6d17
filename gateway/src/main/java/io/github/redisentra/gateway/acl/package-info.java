/**
 * Per-role permissions with Redis 7 ACL semantics: the roles file ({@link io.github.redisentra.gateway.acl.RolePolicy}),
 * Redis's command table and key specs, the compiled selectors, and
 * {@link io.github.redisentra.gateway.acl.AccessControl}, the policy in force as sessions ask it (through
 * {@code session.CommandGate}); reloaded as a whole when the file changes. The upstream credentials roles name
 * ({@code upstream:} blocks) are {@link io.github.redisentra.gateway.acl.RoleUpstreams}: one
 * {@code identity.UpstreamIdentity} per distinct block, handed out as {@code upstream.UpstreamCredentials}.
 */
package io.github.redisentra.gateway.acl;
