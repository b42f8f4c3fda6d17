package io.github.redisentra.aws;

import java.time.Duration;

/**
 * TEST ONLY, in the aws module's package so gateway tests can reach the token source's package-private test validity:
 * tokens living seconds instead of 900 s, so renewals and re-AUTHs happen within a test. Real caches accept only
 * 900-second tokens; application code cannot reach this (it is in the gateway's test sources).
 */
public final class ShortLivedAwsTokens {
    private ShortLivedAwsTokens() {}

    public static AwsIamTokenSource.Builder validity(AwsIamTokenSource.Builder builder, Duration validity) {
        return builder.validityForTests(validity);
    }
}
