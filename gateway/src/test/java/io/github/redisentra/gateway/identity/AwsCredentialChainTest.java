package io.github.redisentra.gateway.identity;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.auth.credentials.internal.WebIdentityCredentialsUtils;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;

/**
 * The gateway's class path carries what the AWS SDK's default chain needs for EKS IRSA (web identity): the STS module
 * (without it the chain's web identity provider fails with "To use web identity tokens, the 'sts' service module must
 * be on the class path") and an SDK HTTP client for it (without one, "Unable to load an HTTP implementation"). No STS
 * call is made.
 */
class AwsCredentialChainTest {

    @Test
    void theDefaultChainCanUseWebIdentityOnTheGatewaysClassPath() {
        // What the default chain's web identity provider loads (SDK-internal; it throws when sts is missing).
        assertThat(WebIdentityCredentialsUtils.factory()).isNotNull();
        // The STS client it builds needs an HTTP implementation: the gateway ships url-connection-client.
        try (StsClient sts = StsClient.builder()
                .region(Region.EU_WEST_1)
                .credentialsProvider(AnonymousCredentialsProvider.create())
                .build()) {
            assertThat(sts.serviceClientConfiguration().region()).isEqualTo(Region.EU_WEST_1);
        }
    }
}
