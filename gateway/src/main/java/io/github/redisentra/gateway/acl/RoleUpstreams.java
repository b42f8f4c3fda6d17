package io.github.redisentra.gateway.acl;

import io.github.redisentra.gateway.upstream.UpstreamCredentials;

/**
 * The upstream identities the roles name ({@code upstream:} blocks), one renewable credential per distinct identity
 * however many sessions use it. The gateway's {@code identity.RoleIdentities} builds them with the gateway's own
 * identity builders.
 */
public interface RoleUpstreams {
    /**
     * Makes every identity {@code next} names available (creating those not yet known), before {@code next} is put
     * in force; a problem (a block the identity builders refuse) rejects the policy with the block's position.
     */
    void prepare(RolePolicy next) throws RolePolicy.InvalidPolicyException;

    /** Closes the identities {@code current} no longer names (after it was put in force). */
    void retainOnly(RolePolicy current);

    /** The credentials of an identity {@link #prepare prepared} earlier, or {@code null} when unknown. */
    UpstreamCredentials credentials(RolePolicy.UpstreamSpec spec);
}
