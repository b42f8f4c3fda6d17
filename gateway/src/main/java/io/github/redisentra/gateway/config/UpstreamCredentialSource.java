package io.github.redisentra.gateway.config;

/** How the gateway authenticates to the upstream cache, chosen from which settings are present. */
public enum UpstreamCredentialSource {
    /** {@code REDIS_PASSWORD} (+ {@code REDIS_USERNAME}): a self-hosted Redis with a static password. */
    PASSWORD("static password (REDIS_PASSWORD)"),
    /** {@code LOCAL_REDIS_TOKEN}: a token used as-is until it expires. */
    STATIC_TOKEN("static token (LOCAL_REDIS_TOKEN)"),
    /** {@code LOCAL_REDIS_TOKEN_COMMAND}: a command printing a token. */
    TOKEN_COMMAND("token command (LOCAL_REDIS_TOKEN_COMMAND)"),
    /** {@code AZURE_CLIENT_ID} + {@code AZURE_TENANT_ID} + {@code AZURE_CLIENT_SECRET}. */
    CLIENT_SECRET("service principal with client secret"),
    /** {@code AZURE_CLIENT_ID} + {@code AZURE_TENANT_ID} + {@code AZURE_CLIENT_CERTIFICATE_PATH}. */
    CLIENT_CERTIFICATE("service principal with client certificate"),
    /** {@code AZURE_FEDERATED_TOKEN_FILE} (+ client and tenant id): AKS workload identity. */
    WORKLOAD_IDENTITY("AKS workload identity"),
    /** The default: system-assigned, or user-assigned with {@code UAMI_CLIENT_ID}. */
    MANAGED_IDENTITY("managed identity"),
    /** {@code UPSTREAM_AUTH=aws-iam}: ElastiCache / MemoryDB IAM tokens signed with the gateway's AWS credentials. */
    AWS_IAM("AWS IAM (ElastiCache / MemoryDB IAM token, AWS SDK default credentials)");

    private final String description;

    UpstreamCredentialSource(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }

    /** Whether this credential is an Entra identity that can also ask Microsoft Graph (group overage). */
    public boolean isAzureIdentity() {
        return this == CLIENT_SECRET
                || this == CLIENT_CERTIFICATE
                || this == WORKLOAD_IDENTITY
                || this == MANAGED_IDENTITY;
    }
}
