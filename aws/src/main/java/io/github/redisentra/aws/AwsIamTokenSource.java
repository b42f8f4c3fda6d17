package io.github.redisentra.aws;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.RefreshPolicy;
import io.github.redisentra.core.TokenSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;

/**
 * Mints the IAM authentication tokens that Amazon ElastiCache (Valkey 7.2+, Redis OSS 7.0+) and Amazon MemoryDB accept
 * as the {@code AUTH} password of an IAM-enabled user.
 *
 * <p>A token is a SigV4 query-string presign of {@code GET http://<cache name>/?Action=connect&User=<user id>} (plus
 * {@code &ResourceType=ServerlessCache} for an ElastiCache Serverless cache), for service {@code elasticache} or
 * {@code memorydb}, valid 900 seconds, with the leading {@code http://} removed. It is signed locally with the AWS SDK's
 * {@link AwsV4HttpSigner}; only the credentials may involve a network call (STS, IMDS, ECS, SSO…), made by the
 * {@link AwsCredentialsProvider} on the refresher's worker thread.
 *
 * <pre>{@code
 * AwsIamTokenSource source = AwsIamTokenSource.builder(AwsIamTokenSource.Kind.ELASTICACHE)
 *         .cacheName("my-replication-group")   // the replication group id / serverless cache / MemoryDB cluster name
 *         .userId("my-iam-user")                 // the IAM-enabled user; also the Redis user name
 *         .region("eu-west-1")
 *         .build();                              // credentials: the SDK's default provider chain
 * TokenRefresher refresher = TokenRefresher.builder(source).policy(AwsIamTokenSource.recommendedRefreshPolicy()).build();
 * }</pre>
 *
 * <h2>Connection lifetime</h2>
 *
 * The services close a connection 12 hours after it authenticated unless it sends {@code AUTH} (or {@code HELLO … AUTH})
 * with a fresh token before then. The redis-entra Lettuce and Jedis providers re-authenticate every connection on each
 * renewal (with {@link #recommendedRefreshPolicy()} every 7.5 minutes), which keeps connections well inside that limit.
 * They never send {@code AUTH} inside {@code MULTI}/{@code EXEC} (IAM re-authentication is refused there): the
 * re-authentication is deferred until the transaction ends. Connections made outside those providers must be recycled
 * before 12 hours. TLS (in-transit encryption) is required by both services; see {@link AwsIamLettuce#requireTls} and
 * {@link AwsIamJedis#requireTls}.
 *
 * <p>Tokens carry no claims: {@link AccessToken#objectId()} is empty and {@link #redisUsername(AccessToken)} returns the
 * configured user id. Neither {@link #describe()} nor {@link #toString()} shows a credential or a token.
 */
public final class AwsIamTokenSource implements TokenSource {

    /** What kind of cache the token is for: it decides the signing service and the {@code ResourceType} parameter. */
    public enum Kind {
        /** A node-based ElastiCache cache (replication group): service {@code elasticache}. */
        ELASTICACHE("elasticache", false),
        /** An ElastiCache Serverless cache: service {@code elasticache}, {@code ResourceType=ServerlessCache}. */
        ELASTICACHE_SERVERLESS("elasticache", true),
        /** A MemoryDB cluster: service {@code memorydb}. */
        MEMORYDB("memorydb", false);

        private final String service;
        private final boolean serverless;

        Kind(String service, boolean serverless) {
            this.service = service;
            this.serverless = serverless;
        }

        /** The SigV4 signing name: {@code elasticache} or {@code memorydb}. */
        public String service() {
            return service;
        }

        /** Whether the token carries {@code ResourceType=ServerlessCache}. */
        public boolean serverless() {
            return serverless;
        }

        /**
         * The kind for a service name ({@code elasticache} or {@code memorydb}, any case) and a serverless flag, for
         * configurations that name them separately.
         *
         * @throws IllegalArgumentException for an unknown service, or for MemoryDB with serverless (MemoryDB has no
         *     serverless caches; {@code ResourceType=ServerlessCache} is for ElastiCache Serverless only)
         */
        public static Kind of(String service, boolean serverless) {
            Objects.requireNonNull(service, "service");
            switch (service.strip().toLowerCase(Locale.ROOT)) {
                case "elasticache":
                    return serverless ? ELASTICACHE_SERVERLESS : ELASTICACHE;
                case "memorydb":
                    if (serverless) {
                        throw new IllegalArgumentException("MemoryDB has no serverless caches:"
                                + " ResourceType=ServerlessCache is for ElastiCache Serverless only; use service"
                                + " \"elasticache\" for an ElastiCache Serverless cache, or serverless=false for a"
                                + " MemoryDB cluster");
                    }
                    return MEMORYDB;
                default:
                    throw new IllegalArgumentException(
                            "AWS cache service must be \"elasticache\" or \"memorydb\", got \"" + service + "\"");
            }
        }
    }

    /**
     * How long the services keep a connection after its last {@code AUTH} (or {@code HELLO … AUTH}): 12 hours. A token's
     * expiry does not close a connection already authenticated with it; this limit does, unless the connection
     * re-authenticates with a fresh token.
     */
    public static final Duration CONNECTION_LIMIT = Duration.ofHours(12);

    /** How long a token is valid: 15 minutes, as the services require. */
    public static final Duration TOKEN_VALIDITY = Duration.ofSeconds(900);

    private static final RefreshPolicy RECOMMENDED_POLICY = RefreshPolicy.builder()
            .refreshRatio(0.5)
            .lowerBound(Duration.ofMinutes(5))
            .build();

    /** Letters, digits and hyphens, starting with a letter; 1 to 40 characters (checked separately). */
    private static final Pattern USER_ID = Pattern.compile("[A-Za-z][A-Za-z0-9-]*");
    /** Cache and cluster names: letters, digits and hyphens (they become a host name in the signed URL). */
    private static final Pattern CACHE_NAME = Pattern.compile("[a-z0-9][a-z0-9-]*");
    /** AWS region names such as {@code us-east-1}, {@code us-gov-west-1}, {@code cn-north-1}. */
    private static final Pattern REGION = Pattern.compile("[a-z]{2}(-[a-z0-9]+)+-[0-9]+");

    private static final String SCHEME = "http://";

    private final Kind kind;
    private final String cacheName;
    private final String userId;
    private final String region;
    private final AwsCredentialsProvider credentials;
    private final boolean ownsCredentials;
    private final Clock clock;
    private final Duration validity;
    private final AwsV4HttpSigner signer = AwsV4HttpSigner.create();

    private AwsIamTokenSource(Builder b) {
        this.kind = b.kind;
        this.cacheName = b.cacheName;
        this.userId = b.userId;
        this.region = b.region;
        this.ownsCredentials = b.credentials == null;
        this.credentials = b.credentials != null
                ? b.credentials
                : DefaultCredentialsProvider.builder().build();
        this.clock = b.clock;
        this.validity = b.validity;
    }

    /** A builder for tokens of the given kind of cache. */
    public static Builder builder(Kind kind) {
        return new Builder(Objects.requireNonNull(kind, "kind"));
    }

    /**
     * The refresh policy to use with these 15-minute tokens: renew at half the lifetime (every 7.5 minutes), and no later
     * than 5 minutes before expiry, so a credential outage (IMDS, STS) of several minutes is ridden out while the
     * current token stays valid for new connections; each renewal also re-authenticates open connections, far inside
     * the 12-hour connection limit. Backoff and jitter are the {@link RefreshPolicy} defaults.
     */
    public static RefreshPolicy recommendedRefreshPolicy() {
        return RECOMMENDED_POLICY;
    }

    /**
     * Signs a new token now. Every call signs afresh (signing is local and cheap); {@code forceRefresh} is irrelevant.
     *
     * @throws Exception when the credentials provider cannot supply credentials (its message names the providers it
     *     tried; it contains no secret)
     */
    @Override
    public AccessToken getToken(boolean forceRefresh) throws Exception {
        AwsCredentials creds = credentials.resolveCredentials();
        if (creds == null) {
            throw new IllegalStateException("the AWS credentials provider "
                    + credentials.getClass().getSimpleName() + " returned no credentials");
        }
        // X-Amz-Date has whole seconds: sign at a whole second so iat/exp below are exactly the token's own.
        Instant signedAt = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        String token = sign(creds, signedAt);
        return AccessToken.opaque(token, signedAt, signedAt.plus(validity));
    }

    private String sign(AwsCredentials creds, Instant signedAt) {
        SdkHttpRequest.Builder request = SdkHttpRequest.builder()
                .method(SdkHttpMethod.GET)
                .protocol("http")
                .host(cacheName)
                .encodedPath("/")
                .putRawQueryParameter("Action", "connect")
                .putRawQueryParameter("User", userId);
        if (kind.serverless()) {
            request.putRawQueryParameter("ResourceType", "ServerlessCache");
        }
        Clock fixed = Clock.fixed(signedAt, ZoneOffset.UTC);
        SignedRequest signed = signer.sign(r -> r.identity(creds)
                .request(request.build())
                .putProperty(AwsV4FamilyHttpSigner.SERVICE_SIGNING_NAME, kind.service())
                .putProperty(AwsV4HttpSigner.REGION_NAME, region)
                .putProperty(AwsV4FamilyHttpSigner.AUTH_LOCATION, AwsV4FamilyHttpSigner.AuthLocation.QUERY_STRING)
                .putProperty(AwsV4FamilyHttpSigner.EXPIRATION_DURATION, validity)
                .putProperty(HttpSigner.SIGNING_CLOCK, fixed));
        String uri = signed.request().getUri().toString();
        if (!uri.startsWith(SCHEME)) {
            throw new IllegalStateException("the AWS signer returned an unexpected URL shape (not http://)");
        }
        return uri.substring(SCHEME.length());
    }

    /** The configured user id: the Redis user name of every token of this source. */
    @Override
    public String redisUsername(AccessToken token) {
        return userId;
    }

    /** The user id tokens are minted for (also the Redis user name). */
    public String userId() {
        return userId;
    }

    /** The (lowercased) cache name tokens are minted for. */
    public String cacheName() {
        return cacheName;
    }

    /** The AWS region of the cache. */
    public String region() {
        return region;
    }

    /** The kind of cache. */
    public Kind kind() {
        return kind;
    }

    @Override
    public String describe() {
        return "AWS IAM " + kind.service() + (kind.serverless() ? " serverless" : "") + " token (cache " + cacheName
                + ", user " + userId + ", region " + region + ", credentials "
                + credentials.getClass().getSimpleName() + ")";
    }

    /** Closes the default credentials provider when this source created it; a provider passed in is left open. */
    @Override
    public void close() {
        if (ownsCredentials && credentials instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                // Closing the default chain only releases its HTTP clients; nothing to report to the caller.
            }
        }
    }

    @Override
    public String toString() {
        return describe();
    }

    /** Configures an {@link AwsIamTokenSource}; every setting is checked when set, the combination by {@link #build()}. */
    public static final class Builder {
        private Kind kind;
        private String cacheName;
        private String userId;
        private String region;
        private AwsCredentialsProvider credentials;
        private Clock clock = Clock.systemUTC();
        private Duration validity = TOKEN_VALIDITY;

        private Builder(Kind kind) {
            this.kind = kind;
        }

        /**
         * The cache's name, lowercased: the replication group id (ElastiCache), the serverless cache name (ElastiCache
         * Serverless) or the cluster name (MemoryDB) &mdash; not its endpoint host name.
         */
        public Builder cacheName(String cacheName) {
            Objects.requireNonNull(cacheName, "cacheName");
            String name = cacheName.strip().toLowerCase(Locale.ROOT);
            if (name.contains(".")) {
                throw new IllegalArgumentException(
                        "cacheName must be the cache's name (replication group id, serverless"
                                + " cache name or MemoryDB cluster name), not a host name; got \"" + cacheName + "\"");
            }
            if (!CACHE_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("cacheName must be letters, digits and hyphens, e.g."
                        + " \"my-cache\"; got \"" + cacheName + "\"");
            }
            this.cacheName = name;
            return this;
        }

        /**
         * The IAM-enabled user's id, sent as the {@code User} parameter of the token and as the Redis user name (on
         * ElastiCache an IAM user's user name must equal its user id). 1 to 40 letters, digits or hyphens, starting with
         * a letter, without two consecutive hyphens or a trailing hyphen.
         */
        public Builder userId(String userId) {
            Objects.requireNonNull(userId, "userId");
            this.userId = validUserId(userId);
            return this;
        }

        /**
         * Whether the cache is serverless, for configurations that say so separately from the service:
         * {@code serverless(true)} turns {@link Kind#ELASTICACHE} into {@link Kind#ELASTICACHE_SERVERLESS} and back.
         *
         * @throws IllegalArgumentException for MemoryDB, which has no serverless caches
         */
        public Builder serverless(boolean serverless) {
            this.kind = Kind.of(kind.service(), serverless);
            return this;
        }

        /** The cache's AWS region, e.g. {@code us-east-1}. */
        public Builder region(String region) {
            Objects.requireNonNull(region, "region");
            String r = region.strip();
            if (!REGION.matcher(r).matches()) {
                throw new IllegalArgumentException(
                        "region must be an AWS region name such as \"us-east-1\"; got \"" + region + "\"");
            }
            this.region = r;
            return this;
        }

        /**
         * Where AWS credentials come from (default: the SDK's {@link DefaultCredentialsProvider} chain &mdash;
         * environment, system properties, web identity, SSO/profile, container, instance profile). A provider passed
         * here is not closed by the source.
         */
        public Builder credentialsProvider(AwsCredentialsProvider provider) {
            this.credentials = Objects.requireNonNull(provider, "provider");
            return this;
        }

        /** The clock that dates tokens (default system UTC); for tests. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * TESTS ONLY: a token validity other than the services' 900 seconds, so renewal can be exercised in seconds. Real
         * caches only accept 900-second tokens; this is package-private so applications cannot reach it.
         */
        Builder validityForTests(Duration validity) {
            Objects.requireNonNull(validity, "validity");
            if (validity.compareTo(Duration.ofSeconds(1)) < 0 || validity.compareTo(TOKEN_VALIDITY) > 0) {
                throw new IllegalArgumentException("validity must be between 1 s and 900 s, got " + validity);
            }
            this.validity = validity;
            return this;
        }

        /**
         * The source.
         *
         * @throws IllegalStateException when cache name, user id or region is missing
         */
        public AwsIamTokenSource build() {
            StringBuilder missing = new StringBuilder();
            if (cacheName == null) {
                missing.append(" cacheName");
            }
            if (userId == null) {
                missing.append(" userId");
            }
            if (region == null) {
                missing.append(" region");
            }
            if (missing.length() > 0) {
                throw new IllegalStateException("AWS IAM token source for " + kind + " is missing:" + missing);
            }
            return new AwsIamTokenSource(this);
        }
    }

    static String validUserId(String userId) {
        String id = userId.strip();
        String rules = "; an ElastiCache/MemoryDB user id has 1 to 40 letters, digits or hyphens, starts with a letter"
                + " and has neither two consecutive hyphens nor a trailing hyphen";
        if (id.isEmpty() || id.length() > 40) {
            throw new IllegalArgumentException("userId must have 1 to 40 characters, got " + id.length() + rules);
        }
        if (!USER_ID.matcher(id).matches()) {
            throw new IllegalArgumentException("userId \"" + id + "\" is not valid" + rules);
        }
        if (id.contains("--") || id.endsWith("-")) {
            throw new IllegalArgumentException("userId \"" + id + "\" is not valid" + rules);
        }
        return id;
    }
}
