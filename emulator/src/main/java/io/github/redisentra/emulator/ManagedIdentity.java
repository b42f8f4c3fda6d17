package io.github.redisentra.emulator;

import java.time.Duration;
import java.util.UUID;

/** A user-assigned managed identity (or, once {@link Tenant#setSystemAssignedIdentity}, the system-assigned one). */
public final class ManagedIdentity {
    private final Tenant tenant;
    private final String name;
    private final String clientId;
    private final String objectId;
    private final String resourceId;
    private volatile Duration tokenLifetime;

    ManagedIdentity(Tenant tenant, String name, String clientId, String objectId) {
        this.clientId = clientId != null ? clientId : UUID.randomUUID().toString();
        this.objectId = objectId != null ? objectId : UUID.randomUUID().toString();
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("A managed identity needs a non-blank name");
        }
        this.tenant = tenant;
        this.name = name;
        this.resourceId = "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/emulator"
                + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/" + name;
    }

    public Tenant tenant() {
        return tenant;
    }

    public String name() {
        return name;
    }

    public String clientId() {
        return clientId;
    }

    /** The object (principal) id: the {@code oid} of its tokens and the user name Azure Redis expects. */
    public String objectId() {
        return objectId;
    }

    /** The ARM resource id ({@code mi_res_id} / {@code msi_res_id}). */
    public String resourceId() {
        return resourceId;
    }

    /** Token lifetime for this identity, or null for the emulator default. */
    public Duration tokenLifetime() {
        return tokenLifetime;
    }

    /** Changes the lifetime of tokens issued to this identity from now on (null: emulator default). */
    public ManagedIdentity tokenLifetime(Duration lifetime) {
        this.tokenLifetime = lifetime;
        return this;
    }

    @Override
    public String toString() {
        return "ManagedIdentity[" + name + " clientId=" + clientId + " oid=" + objectId + "]";
    }
}
