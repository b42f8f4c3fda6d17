package io.github.redisentra.emulator;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.net.URI;
import java.util.Map;
import java.util.Set;

/**
 * What a relying party (the gateway) does: read issuer and jwks_uri from the emulator's OpenID metadata over
 * HTTPS, then verify with nimbus. No emulator internals are used.
 */
final class TokenValidator {
    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    final String issuer;
    final String jwksUri;

    TokenValidator(EntraEmulator emulator, URI metadata, String audience) throws Exception {
        EmulatorHttp http = new EmulatorHttp(emulator);
        Map<String, Object> doc = http.get(metadata).json();
        this.issuer = JSONObjectUtils.getString(doc, "issuer");
        this.jwksUri = JSONObjectUtils.getString(doc, "jwks_uri");
        DefaultResourceRetriever retriever = new DefaultResourceRetriever(
                5000, 5000, 1 << 20, true, emulator.sslContext().getSocketFactory());
        // no cache: every validation reads the JWKS, so rotation/retirement shows at once
        JWKSource<SecurityContext> keys = JWKSourceBuilder.create(new URI(jwksUri).toURL(), retriever)
                .cache(false)
                .refreshAheadCache(false)
                .rateLimited(false)
                .retrying(false)
                .outageTolerant(false)
                .build();
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.RS256, keys));
        processor.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(
                audience,
                new JWTClaimsSet.Builder().issuer(issuer).build(),
                Set.of("oid", "tid", "iat", "nbf", "exp", "ver")));
    }

    JWTClaimsSet validate(String jwt) throws Exception {
        return processor.process(jwt, null);
    }
}
