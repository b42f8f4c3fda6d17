package io.github.redisentra.gateway.it;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import io.github.redisentra.gateway.auth.AuthDecision;
import io.github.redisentra.gateway.auth.AuthRequest;
import io.github.redisentra.gateway.auth.Authenticator;
import io.github.redisentra.gateway.auth.Principal;
import java.net.URL;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;

/**
 * A deliberately small test-scope authenticator (the real one is {@code EntraAuthenticator}): validates
 * emulator-minted JWTs with nimbus against the emulator's JWKS (RS256, issuer, audience, exp) and requires one group.
 * Runs off the event loop on its own executor, as the contract demands.
 */
final class EmulatorJwtAuthenticator implements Authenticator, AutoCloseable {
    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    private final String requiredGroup;
    private final ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "test-authenticator");
        t.setDaemon(true);
        return t;
    });
    final AtomicInteger decisions = new AtomicInteger();

    EmulatorJwtAuthenticator(String jwksUrl, SSLContext trust, String issuer, List<String> audiences, String group)
            throws Exception {
        this.requiredGroup = group;
        JWKSource<SecurityContext> keys = JWKSourceBuilder.create(
                        new URL(jwksUrl),
                        new DefaultResourceRetriever(5000, 5000, 1 << 20, true, trust.getSocketFactory()))
                .retrying(false)
                .build();
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.RS256, keys));
        processor.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(
                Set.copyOf(audiences),
                new JWTClaimsSet.Builder().issuer(issuer).build(),
                Set.of("exp", "oid", "tid"),
                null));
    }

    @Override
    public CompletionStage<AuthDecision> authenticate(AuthRequest request) {
        return CompletableFuture.supplyAsync(() -> decide(request), executor);
    }

    private AuthDecision decide(AuthRequest request) {
        decisions.incrementAndGet();
        try {
            JWTClaimsSet c = processor.process(request.password(), null);
            List<String> groups = c.getStringListClaim("groups");
            if (groups == null || groups.stream().noneMatch(requiredGroup::equalsIgnoreCase)) {
                return new AuthDecision.Denied("missing_group", "not in the required group");
            }
            return new AuthDecision.Allowed(new Principal(
                    c.getStringClaim("oid"),
                    c.getStringClaim("tid"),
                    c.getStringClaim("preferred_username"),
                    c.getExpirationTime().toInstant(),
                    Set.of(requiredGroup),
                    Set.of()));
        } catch (Exception e) {
            return new AuthDecision.Denied("invalid_token", e.getClass().getSimpleName());
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
