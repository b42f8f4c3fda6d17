package io.github.redisentra.emulator;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenRequestContext;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.identity.ManagedIdentityCredential;
import com.azure.identity.ManagedIdentityCredentialBuilder;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

/**
 * Run in a child JVM by {@link AzureIdentityIT}: azure-identity 1.19 hands managed identity to MSAL4J, which
 * reads IDENTITY_ENDPOINT / IDENTITY_HEADER from the real process environment (not from azure-core's
 * Configuration), so the environment must be the child's. Prints claims, never the token.
 */
public final class ManagedIdentityProbe {
    private ManagedIdentityProbe() {}

    public static void main(String[] args) throws Exception {
        ManagedIdentityCredentialBuilder builder =
                new ManagedIdentityCredentialBuilder().httpClient(new JdkHttpClientBuilder().build());
        if (args.length > 1) {
            builder.clientId(args[1]);
        }
        ManagedIdentityCredential credential = builder.build();
        AccessToken token = credential.getTokenSync(new TokenRequestContext().addScopes(args[0]));
        JWTClaimsSet claims = SignedJWT.parse(token.getToken()).getJWTClaimsSet();
        System.out.println("RESULT oid=" + claims.getStringClaim("oid") + " aud="
                + claims.getAudience().get(0) + " expiresAt="
                + token.getExpiresAt().toEpochSecond());
        System.exit(0);
    }
}
