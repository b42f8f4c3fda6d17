package io.github.redisentra.core;

import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import java.time.Instant;
import java.util.Date;

/** Unsigned JWTs for tests of code that reads (never verifies) a token's claims. */
final class TestJwts {
    private TestJwts() {}

    static String unsigned(String oid, Instant iat, Instant exp) {
        return new PlainJWT(new JWTClaimsSet.Builder()
                        .claim("oid", oid)
                        .claim("tid", "00000000-0000-0000-0000-00000000000t")
                        .issueTime(Date.from(iat))
                        .expirationTime(Date.from(exp))
                        .build())
                .serialize();
    }
}
