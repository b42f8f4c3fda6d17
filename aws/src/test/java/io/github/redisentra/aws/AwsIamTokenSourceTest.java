package io.github.redisentra.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.redisentra.aws.AwsIamTokenSource.Kind;
import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.RefreshPolicy;
import io.github.redisentra.testkit.SigV4TokenVerifier;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;

/**
 * Tokens against the AWS SDK signer (byte for byte), against literal golden values, and against an independent SigV4
 * computation ({@link SigV4TokenVerifier}); configuration errors; no secret in descriptions.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AwsIamTokenSourceTest {
    // The SigV4 documentation's example credentials: fake, safe to commit.
    static final String ACCESS_KEY = "AKIDEXAMPLE";
    static final String SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    // A session token with the characters that need encoding in a query: '/', '+', '='.
    static final String SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE//+session/token+value==";
    static final Instant SIGNED_AT = Instant.parse("2026-11-23T12:34:56Z");
    static final Clock CLOCK = Clock.fixed(SIGNED_AT, ZoneOffset.UTC);
    static final String REGION = "eu-west-1";
    static final String CACHE = "my-cache";
    static final String USER = "app-user";

    static AwsCredentials credentials(boolean session) {
        return session
                ? AwsSessionCredentials.create(ACCESS_KEY, SECRET_KEY, SESSION_TOKEN)
                : AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY);
    }

    static AwsIamTokenSource source(Kind kind, boolean session) {
        return AwsIamTokenSource.builder(kind)
                .cacheName("My-Cache") // lowercased by the source
                .userId(USER)
                .region(REGION)
                .credentialsProvider(StaticCredentialsProvider.create(credentials(session)))
                .clock(CLOCK)
                .build();
    }

    /** What the AWS SDK signer produces for the documented request, built here from a URI (another code path). */
    static String sdkReference(Kind kind, boolean session) {
        String url = "http://" + CACHE + "/?Action=connect&User=" + USER
                + (kind == Kind.ELASTICACHE_SERVERLESS ? "&ResourceType=ServerlessCache" : "");
        SdkHttpRequest request = SdkHttpRequest.builder()
                .method(SdkHttpMethod.GET)
                .uri(URI.create(url))
                .build();
        String signed = AwsV4HttpSigner.create()
                .sign(r -> r.identity(credentials(session))
                        .request(request)
                        .putProperty(AwsV4FamilyHttpSigner.SERVICE_SIGNING_NAME, kind.service())
                        .putProperty(AwsV4HttpSigner.REGION_NAME, REGION)
                        .putProperty(
                                AwsV4FamilyHttpSigner.AUTH_LOCATION, AwsV4FamilyHttpSigner.AuthLocation.QUERY_STRING)
                        .putProperty(AwsV4FamilyHttpSigner.EXPIRATION_DURATION, Duration.ofSeconds(900))
                        .putProperty(HttpSigner.SIGNING_CLOCK, CLOCK))
                .request()
                .getUri()
                .toString();
        assertThat(signed).startsWith("http://");
        return signed.substring("http://".length());
    }

    static SigV4TokenVerifier verifier(Kind kind, boolean session, Clock clock) {
        return SigV4TokenVerifier.builder()
                .credentials(ACCESS_KEY, SECRET_KEY, session ? SESSION_TOKEN : null)
                .region(REGION)
                .service(kind.service())
                .cacheName(CACHE)
                .userId(USER)
                .serverless(kind.serverless())
                .clock(clock)
                .build();
    }

    static java.util.stream.Stream<Arguments> shapes() {
        return java.util.stream.Stream.of(
                Arguments.of(Kind.ELASTICACHE, false, GOLDEN_ELASTICACHE),
                Arguments.of(Kind.ELASTICACHE, true, GOLDEN_ELASTICACHE_SESSION),
                Arguments.of(Kind.ELASTICACHE_SERVERLESS, false, GOLDEN_SERVERLESS),
                Arguments.of(Kind.ELASTICACHE_SERVERLESS, true, GOLDEN_SERVERLESS_SESSION),
                Arguments.of(Kind.MEMORYDB, false, GOLDEN_MEMORYDB),
                Arguments.of(Kind.MEMORYDB, true, GOLDEN_MEMORYDB_SESSION));
    }

    // Golden tokens for the inputs above; their signatures are re-derived independently in
    // goldenTokensCarryTheIndependentlyComputedSignature, so they are not merely what the code printed once.
    static final String GOLDEN_ELASTICACHE = "my-cache/?Action=connect"
            + "&User=app-user"
            + "&X-Amz-Algorithm=AWS4-HMAC-SHA256"
            + "&X-Amz-Date=20261123T123456Z"
            + "&X-Amz-SignedHeaders=host"
            + "&X-Amz-Credential=AKIDEXAMPLE%2F20261123%2Feu-west-1%2Felasticache%2Faws4_request"
            + "&X-Amz-Expires=900"
            + "&X-Amz-Signature=c5591b430d2269496b8f6c5e88ed03ab15a7d7dd4603e070c91e2ec8c42472c9";
    static final String GOLDEN_ELASTICACHE_SESSION = "my-cache/?Action=connect"
            + "&User=app-user"
            + "&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEXAMPLE%2F%2F%2Bsession%2Ftoken%2Bvalue%3D%3D"
            + "&X-Amz-Algorithm=AWS4-HMAC-SHA256"
            + "&X-Amz-Date=20261123T123456Z"
            + "&X-Amz-SignedHeaders=host"
            + "&X-Amz-Credential=AKIDEXAMPLE%2F20261123%2Feu-west-1%2Felasticache%2Faws4_request"
            + "&X-Amz-Expires=900"
            + "&X-Amz-Signature=cdaf0c20130b9f96a02238f9563347724f30535675e6cfc2728b0a5f5b0a0667";
    static final String GOLDEN_SERVERLESS = "my-cache/?Action=connect"
            + "&User=app-user"
            + "&ResourceType=ServerlessCache"
            + "&X-Amz-Algorithm=AWS4-HMAC-SHA256"
            + "&X-Amz-Date=20261123T123456Z"
            + "&X-Amz-SignedHeaders=host"
            + "&X-Amz-Credential=AKIDEXAMPLE%2F20261123%2Feu-west-1%2Felasticache%2Faws4_request"
            + "&X-Amz-Expires=900"
            + "&X-Amz-Signature=ea13554ed12484e6d5e370ca309b35e7da97b0a3ac289dc185788a354ef05089";
    static final String GOLDEN_SERVERLESS_SESSION = "my-cache/?Action=connect"
            + "&User=app-user"
            + "&ResourceType=ServerlessCache"
            + "&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEXAMPLE%2F%2F%2Bsession%2Ftoken%2Bvalue%3D%3D"
            + "&X-Amz-Algorithm=AWS4-HMAC-SHA256"
            + "&X-Amz-Date=20261123T123456Z"
            + "&X-Amz-SignedHeaders=host"
            + "&X-Amz-Credential=AKIDEXAMPLE%2F20261123%2Feu-west-1%2Felasticache%2Faws4_request"
            + "&X-Amz-Expires=900"
            + "&X-Amz-Signature=1b011111a843f06c5101d015d3ab3ec3fd3d5f36e95b06e872737b2f17a103ed";
    static final String GOLDEN_MEMORYDB = "my-cache/?Action=connect"
            + "&User=app-user"
            + "&X-Amz-Algorithm=AWS4-HMAC-SHA256"
            + "&X-Amz-Date=20261123T123456Z"
            + "&X-Amz-SignedHeaders=host"
            + "&X-Amz-Credential=AKIDEXAMPLE%2F20261123%2Feu-west-1%2Fmemorydb%2Faws4_request"
            + "&X-Amz-Expires=900"
            + "&X-Amz-Signature=d52c96bb17f7a12bc4fa6e2eaeafc056ab3d717bd6f3dc5e6754418ab32f7cae";
    static final String GOLDEN_MEMORYDB_SESSION = "my-cache/?Action=connect"
            + "&User=app-user"
            + "&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEXAMPLE%2F%2F%2Bsession%2Ftoken%2Bvalue%3D%3D"
            + "&X-Amz-Algorithm=AWS4-HMAC-SHA256"
            + "&X-Amz-Date=20261123T123456Z"
            + "&X-Amz-SignedHeaders=host"
            + "&X-Amz-Credential=AKIDEXAMPLE%2F20261123%2Feu-west-1%2Fmemorydb%2Faws4_request"
            + "&X-Amz-Expires=900"
            + "&X-Amz-Signature=e0bdb98a247ec43145722fd8329194585416edf0d4c16df4d8de1ef2af246775";

    @ParameterizedTest(name = "{0}, session token {1}")
    @MethodSource("shapes")
    void tokenIsByteForByteWhatTheAwsSdkSignerProduces(Kind kind, boolean session, String golden) throws Exception {
        AccessToken token = source(kind, session).getToken(false);
        assertThat(token.secret().equals(sdkReference(kind, session)))
                .as("token equals the SDK signer's presigned URL without http:// (sha256 %s)", token.fingerprint())
                .isTrue();
        assertThat(token.secret().equals(golden))
                .as(
                        "token equals the golden value (sha256 %s vs %s)",
                        token.fingerprint(), AccessToken.fingerprintOf(golden))
                .isTrue();
    }

    @ParameterizedTest(name = "{0}, session token {1}")
    @MethodSource("shapes")
    void goldenTokensCarryTheIndependentlyComputedSignature(Kind kind, boolean session, String golden)
            throws Exception {
        SigV4TokenVerifier verifier = verifier(kind, session, CLOCK);
        SigV4TokenVerifier.Parsed parsed = verifier.parse(golden);
        assertThat(parsed.query().get("X-Amz-Signature")).isEqualTo(parsed.expectedSignature());
        assertThat(verifier.verify(USER, golden)).isEqualTo(SIGNED_AT.plusSeconds(900));
    }

    @Test
    void canonicalRequestAndStringToSignFollowTheSigV4Specification() throws Exception {
        String token = source(Kind.ELASTICACHE_SERVERLESS, true).getToken(false).secret();
        SigV4TokenVerifier.Parsed parsed =
                verifier(Kind.ELASTICACHE_SERVERLESS, true, CLOCK).parse(token);
        // Written out by hand from the specification: method, path, sorted encoded query, the host header, the signed
        // header list, the empty payload's hash.
        String encodedSession = SigV4TokenVerifier.uriEncode(SESSION_TOKEN);
        assertThat(encodedSession).doesNotContain("/", "+", "=");
        String expectedCanonical = "GET\n"
                + "/\n"
                + "Action=connect&ResourceType=ServerlessCache&User=app-user&X-Amz-Algorithm=AWS4-HMAC-SHA256"
                + "&X-Amz-Credential=AKIDEXAMPLE%2F20261123%2Feu-west-1%2Felasticache%2Faws4_request"
                + "&X-Amz-Date=20261123T123456Z&X-Amz-Expires=900&X-Amz-Security-Token=" + encodedSession
                + "&X-Amz-SignedHeaders=host\n"
                + "host:my-cache\n"
                + "\n"
                + "host\n"
                + "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assertThat(parsed.canonicalRequest()).isEqualTo(expectedCanonical);
        String expectedStringToSign = "AWS4-HMAC-SHA256\n"
                + "20261123T123456Z\n"
                + "20261123/eu-west-1/elasticache/aws4_request\n"
                + SigV4TokenVerifier.hex(SigV4TokenVerifier.sha256(expectedCanonical.getBytes(StandardCharsets.UTF_8)));
        assertThat(parsed.stringToSign()).isEqualTo(expectedStringToSign);
        byte[] key = SigV4TokenVerifier.hmac(("AWS4" + SECRET_KEY).getBytes(StandardCharsets.UTF_8), "20261123");
        key = SigV4TokenVerifier.hmac(key, "eu-west-1");
        key = SigV4TokenVerifier.hmac(key, "elasticache");
        key = SigV4TokenVerifier.hmac(key, "aws4_request");
        assertThat(parsed.query().get("X-Amz-Signature"))
                .isEqualTo(SigV4TokenVerifier.hex(SigV4TokenVerifier.hmac(key, expectedStringToSign)));
    }

    @Test
    void tokenLooksLikeTheDocumentedShape() throws Exception {
        String node = source(Kind.ELASTICACHE, false).getToken(false).secret();
        assertThat(node).startsWith("my-cache/?Action=connect&User=app-user&").doesNotContain("ResourceType");
        assertThat(node).doesNotStartWith("http");
        String serverless =
                source(Kind.ELASTICACHE_SERVERLESS, false).getToken(false).secret();
        assertThat(serverless).contains("ResourceType=ServerlessCache");
        String memorydb = source(Kind.MEMORYDB, false).getToken(false).secret();
        assertThat(memorydb).contains("%2Fmemorydb%2Faws4_request").doesNotContain("ResourceType");
    }

    @Test
    void tokenIsIssuedNowAndExpiresIn900Seconds() throws Exception {
        Clock fractional = Clock.fixed(SIGNED_AT.plusMillis(789), ZoneOffset.UTC);
        AccessToken token = AwsIamTokenSource.builder(Kind.ELASTICACHE)
                .cacheName(CACHE)
                .userId(USER)
                .region(REGION)
                .credentialsProvider(StaticCredentialsProvider.create(credentials(false)))
                .clock(fractional)
                .build()
                .getToken(true);
        assertThat(token.issuedAt()).contains(SIGNED_AT);
        assertThat(token.expiresAt()).isEqualTo(SIGNED_AT.plusSeconds(900));
        assertThat(token.objectId()).isEmpty();
    }

    @Test
    void everyCallSignsAFreshToken() throws Exception {
        Instant[] now = {SIGNED_AT};
        Clock moving = new Clock() {
            @Override
            public ZoneOffset getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now[0];
            }
        };
        AwsIamTokenSource source = AwsIamTokenSource.builder(Kind.ELASTICACHE)
                .cacheName(CACHE)
                .userId(USER)
                .region(REGION)
                .credentialsProvider(StaticCredentialsProvider.create(credentials(false)))
                .clock(moving)
                .build();
        AccessToken first = source.getToken(false);
        now[0] = SIGNED_AT.plusSeconds(1);
        AccessToken second = source.getToken(false);
        assertThat(second).isNotEqualTo(first);
        assertThat(second.expiresAt()).isEqualTo(first.expiresAt().plusSeconds(1));
    }

    @Test
    void recommendedPolicyRenewsHalfwayAndLeavesAtLeastFiveMinutes() {
        RefreshPolicy policy = AwsIamTokenSource.recommendedRefreshPolicy();
        Duration renewAfter =
                Duration.ofMillis((long) (AwsIamTokenSource.TOKEN_VALIDITY.toMillis() * policy.refreshRatio()));
        assertThat(renewAfter).isEqualTo(Duration.ofMinutes(7).plusSeconds(30));
        assertThat(AwsIamTokenSource.TOKEN_VALIDITY.minus(renewAfter)).isGreaterThanOrEqualTo(policy.lowerBound());
        assertThat(policy.lowerBound()).isEqualTo(Duration.ofMinutes(5));
        // Re-AUTH at every renewal keeps connections far inside the services' 12-hour limit.
        assertThat(renewAfter).isLessThan(Duration.ofHours(12));
    }

    @Test
    void redisUserNameIsTheUserId() throws Exception {
        AwsIamTokenSource source = source(Kind.MEMORYDB, false);
        assertThat(source.redisUsername(source.getToken(false))).isEqualTo(USER);
    }

    @Test
    void describeAndToStringShowNoSecret() throws Exception {
        AwsIamTokenSource source = source(Kind.ELASTICACHE_SERVERLESS, true);
        AccessToken token = source.getToken(false);
        for (String text : new String[] {source.describe(), source.toString(), token.toString()}) {
            assertThat(text.contains(SECRET_KEY)).isFalse();
            assertThat(text.contains(SESSION_TOKEN)).isFalse();
            assertThat(text.contains(ACCESS_KEY)).isFalse();
            assertThat(text.contains("X-Amz-Signature")).isFalse();
        }
        assertThat(source.describe()).contains("my-cache", USER, REGION, "elasticache", "serverless");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "1user",
                "-user",
                "user-",
                "us--er",
                "user_name",
                "user name",
                "user.name",
                "a234567890123456789012345678901234567890x"
            })
    void invalidUserIdsAreRefusedWithTheRules(String userId) {
        assertThatThrownBy(() -> AwsIamTokenSource.builder(Kind.ELASTICACHE).userId(userId))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1 to 40");
    }

    @ParameterizedTest
    @ValueSource(strings = {"a", "app-user", "App-User-2", "a234567890123456789012345678901234567890"})
    void validUserIdsAreKeptAsGiven(String userId) {
        assertThat(AwsIamTokenSource.builder(Kind.ELASTICACHE)
                        .userId(userId)
                        .cacheName(CACHE)
                        .region(REGION)
                        .credentialsProvider(StaticCredentialsProvider.create(credentials(false)))
                        .build()
                        .userId())
                .isEqualTo(userId);
    }

    @Test
    void memoryDbServerlessIsAConfigurationError() {
        assertThatThrownBy(() -> AwsIamTokenSource.builder(Kind.MEMORYDB).serverless(true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("MemoryDB has no serverless caches")
                .hasMessageContaining("ElastiCache Serverless");
        assertThatThrownBy(() -> Kind.of("memorydb", true)).hasMessageContaining("MemoryDB has no serverless caches");
        assertThatThrownBy(() -> Kind.of("redshift", false)).hasMessageContaining("\"elasticache\" or \"memorydb\"");
        assertThat(Kind.of("ElastiCache", true)).isEqualTo(Kind.ELASTICACHE_SERVERLESS);
        assertThat(Kind.of("memorydb", false)).isEqualTo(Kind.MEMORYDB);
    }

    @Test
    void serverlessFlagSwitchesTheElastiCacheKind() {
        AwsIamTokenSource source = AwsIamTokenSource.builder(Kind.ELASTICACHE)
                .serverless(true)
                .cacheName(CACHE)
                .userId(USER)
                .region(REGION)
                .credentialsProvider(StaticCredentialsProvider.create(credentials(false)))
                .build();
        assertThat(source.kind()).isEqualTo(Kind.ELASTICACHE_SERVERLESS);
    }

    @Test
    void cacheNameIsLowercasedAndHostNamesAreRefused() {
        assertThat(source(Kind.ELASTICACHE, false).cacheName()).isEqualTo("my-cache");
        assertThatThrownBy(() -> AwsIamTokenSource.builder(Kind.ELASTICACHE)
                        .cacheName("master.my-cache.abc123.euw1.cache.amazonaws.com"))
                .hasMessageContaining("not a host name");
        assertThatThrownBy(() -> AwsIamTokenSource.builder(Kind.ELASTICACHE).cacheName("my cache"))
                .hasMessageContaining("letters, digits and hyphens");
    }

    @Test
    void regionAndMissingSettingsAreCheckedWithClearMessages() {
        assertThatThrownBy(() -> AwsIamTokenSource.builder(Kind.ELASTICACHE).region("Ireland"))
                .hasMessageContaining("us-east-1");
        assertThatThrownBy(() -> AwsIamTokenSource.builder(Kind.ELASTICACHE)
                        .cacheName(CACHE)
                        .build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("userId")
                .hasMessageContaining("region");
    }

    @Test
    void credentialFailureIsReportedWithoutSecrets() {
        AwsIamTokenSource source = AwsIamTokenSource.builder(Kind.ELASTICACHE)
                .cacheName(CACHE)
                .userId(USER)
                .region(REGION)
                .credentialsProvider(() -> {
                    throw new IllegalStateException("no credentials in the chain");
                })
                .build();
        assertThatThrownBy(() -> source.getToken(false)).hasMessageContaining("no credentials");
    }

    @Test
    void verifierRefusesTamperedExpiredAndMisdirectedTokens() throws Exception {
        String token = source(Kind.ELASTICACHE, true).getToken(false).secret();
        SigV4TokenVerifier ok = verifier(Kind.ELASTICACHE, true, CLOCK);
        assertThat(ok.verify(USER, token)).isEqualTo(SIGNED_AT.plusSeconds(900));

        String sig = ok.parse(token).query().get("X-Amz-Signature");
        String flipped = (sig.charAt(0) == 'a' ? 'b' : 'a') + sig.substring(1);
        assertThatThrownBy(() -> ok.verify(USER, token.replace(sig, flipped)))
                .hasMessageContaining("signature does not match");
        assertThatThrownBy(() -> ok.verify(USER, token.replace("User=app-user", "User=other-user")))
                .hasMessageContaining("signature does not match");
        assertThatThrownBy(() -> ok.verify("other-user", token)).hasMessageContaining("user name");
        assertThatThrownBy(() -> verifier(Kind.ELASTICACHE, true, Clock.offset(CLOCK, Duration.ofSeconds(900)))
                        .verify(USER, token))
                .hasMessageContaining("expired");
        assertThatThrownBy(() -> verifier(Kind.MEMORYDB, true, CLOCK).verify(USER, token))
                .hasMessageContaining("service");
        assertThatThrownBy(
                        () -> verifier(Kind.ELASTICACHE_SERVERLESS, true, CLOCK).verify(USER, token))
                .hasMessageContaining("ResourceType");
        assertThatThrownBy(() -> verifier(Kind.ELASTICACHE, false, CLOCK).verify(USER, token))
                .hasMessageContaining("session token");
        SigV4TokenVerifier wrongSecret = SigV4TokenVerifier.builder()
                .credentials(ACCESS_KEY, "another-secret", SESSION_TOKEN)
                .region(REGION)
                .service("elasticache")
                .cacheName(CACHE)
                .userId(USER)
                .build();
        assertThatThrownBy(() -> wrongSecret.verify(USER, token)).hasMessageContaining("signature does not match");
        SigV4TokenVerifier otherCache = SigV4TokenVerifier.builder()
                .credentials(ACCESS_KEY, SECRET_KEY, SESSION_TOKEN)
                .region(REGION)
                .service("elasticache")
                .cacheName("other-cache")
                .userId(USER)
                .clock(CLOCK)
                .build();
        assertThatThrownBy(() -> otherCache.verify(USER, token)).hasMessageContaining("not other-cache");
    }
}
