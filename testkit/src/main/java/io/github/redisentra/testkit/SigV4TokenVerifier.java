package io.github.redisentra.testkit;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Verifies an ElastiCache / MemoryDB IAM token the way the service would, written from the SigV4 specification alone
 * (no AWS SDK code): it rebuilds the canonical request and the string to sign from the token's own query, derives the
 * signing key from the secret access key with HMAC-SHA256, and compares signatures; then checks the cache name, user,
 * service, region, access key, session token and that the token has not expired.
 *
 * <p>The stand-in for the service in the end-to-end tests (aws module, gateway): only tokens this class accepted become passwords of the
 * Redis ACL user. Rejection messages never contain the token, the signature or a key.
 */
public final class SigV4TokenVerifier {
    public static final String ALGORITHM = "AWS4-HMAC-SHA256";
    /** SHA-256 of the empty payload: a GET has no body. */
    public static final String EMPTY_PAYLOAD_SHA256 =
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");
    private static final Set<String> KNOWN = Set.of(
            "Action",
            "User",
            "ResourceType",
            "X-Amz-Algorithm",
            "X-Amz-Credential",
            "X-Amz-Date",
            "X-Amz-Expires",
            "X-Amz-SignedHeaders",
            "X-Amz-Security-Token",
            "X-Amz-Signature");

    private final String accessKeyId;
    private final String secretAccessKey;
    private final String sessionToken;
    private final String region;
    private final String service;
    private final String cacheName;
    private final String userId;
    private final boolean serverless;
    private final Clock clock;

    /** The parts of a token, and the intermediate SigV4 values, for tests that check them one by one. */
    public record Parsed(
            String host,
            Map<String, String> query,
            String canonicalRequest,
            String stringToSign,
            String expectedSignature,
            Instant signedAt,
            Instant expiresAt) {}

    /** Thrown for a token the service would refuse; the message names the check that failed. */
    public static final class Rejected extends Exception {
        Rejected(String reason) {
            super(reason);
        }
    }

    private SigV4TokenVerifier(Builder b) {
        this.accessKeyId = Objects.requireNonNull(b.accessKeyId, "accessKeyId");
        this.secretAccessKey = Objects.requireNonNull(b.secretAccessKey, "secretAccessKey");
        this.sessionToken = b.sessionToken;
        this.region = Objects.requireNonNull(b.region, "region");
        this.service = Objects.requireNonNull(b.service, "service");
        this.cacheName = Objects.requireNonNull(b.cacheName, "cacheName");
        this.userId = Objects.requireNonNull(b.userId, "userId");
        this.serverless = b.serverless;
        this.clock = b.clock;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Verifies {@code token} presented with {@code username} in {@code AUTH username token}.
     *
     * @return when the token expires
     * @throws Rejected when any check fails
     */
    public Instant verify(String username, String token) throws Rejected {
        if (!userId.equals(username)) {
            throw new Rejected("user name " + username + " is not the token's configured user " + userId);
        }
        Parsed p = parse(token);
        String given = p.query().get("X-Amz-Signature");
        if (!MessageDigest.isEqual(
                given.getBytes(StandardCharsets.US_ASCII), p.expectedSignature().getBytes(StandardCharsets.US_ASCII))) {
            throw new Rejected("signature does not match the one computed from the secret key");
        }
        require(p.host().equals(cacheName), "token is for cache " + p.host() + ", not " + cacheName);
        require("connect".equals(p.query().get("Action")), "Action is not connect");
        require(
                userId.equals(p.query().get("User")),
                "token is for user " + p.query().get("User"));
        require(
                serverless == "ServerlessCache".equals(p.query().get("ResourceType"))
                        && (serverless || !p.query().containsKey("ResourceType")),
                "ResourceType does not match " + (serverless ? "a serverless cache" : "a node-based cache"));
        String[] cred = p.query().get("X-Amz-Credential").split("/", -1);
        require(cred.length == 5, "X-Amz-Credential is not access-key/date/region/service/aws4_request");
        require(cred[0].equals(accessKeyId), "signed with another access key");
        require(cred[2].equals(region), "signed for region " + cred[2] + ", not " + region);
        require(cred[3].equals(service), "signed for service " + cred[3] + ", not " + service);
        require(cred[4].equals("aws4_request"), "credential scope does not end in aws4_request");
        require(
                Objects.equals(sessionToken, p.query().get("X-Amz-Security-Token")),
                sessionToken == null ? "unexpected session token" : "session token missing or different");
        Instant now = clock.instant();
        require(!p.signedAt().isAfter(now.plusSeconds(300)), "signed more than 5 minutes in the future");
        require(now.isBefore(p.expiresAt()), "expired at " + p.expiresAt());
        return p.expiresAt();
    }

    /** Parses {@code token} and computes its canonical request, string to sign and expected signature. */
    public Parsed parse(String token) throws Rejected {
        require(token != null && !token.startsWith("http"), "token must have its scheme stripped");
        int slash = token.indexOf("/?");
        require(slash > 0, "token is not host/?query");
        String host = token.substring(0, slash);
        String rawQuery = token.substring(slash + 2);
        Map<String, String> query = new LinkedHashMap<>();
        for (String pair : rawQuery.split("&", -1)) {
            int eq = pair.indexOf('=');
            require(eq > 0, "query parameter without a value");
            String name = decode(pair.substring(0, eq));
            require(KNOWN.contains(name), "unexpected query parameter " + name);
            require(query.put(name, decode(pair.substring(eq + 1))) == null, "repeated query parameter " + name);
        }
        for (String needed : List.of(
                "Action",
                "User",
                "X-Amz-Algorithm",
                "X-Amz-Credential",
                "X-Amz-Date",
                "X-Amz-Expires",
                "X-Amz-SignedHeaders",
                "X-Amz-Signature")) {
            require(query.containsKey(needed), "missing " + needed);
        }
        require(ALGORITHM.equals(query.get("X-Amz-Algorithm")), "algorithm is not " + ALGORITHM);
        require("host".equals(query.get("X-Amz-SignedHeaders")), "signed headers are not exactly host");
        Instant signedAt;
        try {
            signedAt = LocalDateTime.parse(query.get("X-Amz-Date"), AMZ_DATE).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            throw new Rejected("X-Amz-Date is not yyyyMMdd'T'HHmmss'Z'");
        }
        long expires;
        try {
            expires = Long.parseLong(query.get("X-Amz-Expires"));
        } catch (NumberFormatException e) {
            throw new Rejected("X-Amz-Expires is not a number");
        }
        require(expires >= 1 && expires <= 900, "X-Amz-Expires must be 1..900 seconds, got " + expires);
        String credential = query.get("X-Amz-Credential");
        int firstSlash = credential.indexOf('/');
        require(firstSlash > 0, "X-Amz-Credential has no scope");
        String scope = credential.substring(firstSlash + 1);
        String[] scopeParts = scope.split("/", -1);
        require(scopeParts.length == 4, "credential scope is not date/region/service/aws4_request");
        require(
                scopeParts[0].equals(query.get("X-Amz-Date").substring(0, 8)),
                "credential scope date differs from X-Amz-Date");

        // Canonical query: every parameter but the signature, names and values URI-encoded, sorted by name.
        List<String> params = new ArrayList<>();
        for (Map.Entry<String, String> e : query.entrySet()) {
            if (!e.getKey().equals("X-Amz-Signature")) {
                params.add(uriEncode(e.getKey()) + "=" + uriEncode(e.getValue()));
            }
        }
        params.sort(null);
        String canonicalRequest = "GET\n" + "/\n"
                + String.join("&", params) + "\n"
                + "host:" + host + "\n" + "\n"
                + "host\n"
                + EMPTY_PAYLOAD_SHA256;
        String stringToSign = ALGORITHM + "\n" + query.get("X-Amz-Date") + "\n" + scope + "\n"
                + hex(sha256(canonicalRequest.getBytes(StandardCharsets.UTF_8)));
        byte[] key = hmac(("AWS4" + secretAccessKey).getBytes(StandardCharsets.UTF_8), scopeParts[0]);
        key = hmac(key, scopeParts[1]);
        key = hmac(key, scopeParts[2]);
        key = hmac(key, "aws4_request");
        String signature = hex(hmac(key, stringToSign));
        return new Parsed(
                host,
                Map.copyOf(query),
                canonicalRequest,
                stringToSign,
                signature,
                signedAt,
                signedAt.plus(Duration.ofSeconds(expires)));
    }

    /** SigV4 URI encoding: unreserved characters as they are, every other byte as %XX (upper-case hex). */
    public static String uriEncode(String s) {
        StringBuilder out = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'A' && c <= 'Z')
                    || (c >= 'a' && c <= 'z')
                    || (c >= '0' && c <= '9')
                    || c == '-'
                    || c == '_'
                    || c == '.'
                    || c == '~') {
                out.append(c);
            } else {
                out.append('%').append(String.format("%02X", b & 0xff));
            }
        }
        return out.toString();
    }

    private static String decode(String s) throws Rejected {
        // '+' never appears in a SigV4-encoded query; reject rather than guess whether it meant a space.
        require(!s.contains("+"), "query contains '+'");
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new Rejected("malformed percent-encoding in the query");
        }
    }

    public static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is required by every Java platform", e);
        }
    }

    public static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }

    public static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    private static void require(boolean ok, String reason) throws Rejected {
        if (!ok) {
            throw new Rejected(reason);
        }
    }

    public static final class Builder {
        private String accessKeyId;
        private String secretAccessKey;
        private String sessionToken;
        private String region;
        private String service;
        private String cacheName;
        private String userId;
        private boolean serverless;
        private Clock clock = Clock.systemUTC();

        public Builder credentials(String accessKeyId, String secretAccessKey, String sessionToken) {
            this.accessKeyId = accessKeyId;
            this.secretAccessKey = secretAccessKey;
            this.sessionToken = sessionToken;
            return this;
        }

        public Builder region(String region) {
            this.region = region;
            return this;
        }

        public Builder service(String service) {
            this.service = service;
            return this;
        }

        public Builder cacheName(String cacheName) {
            this.cacheName = cacheName;
            return this;
        }

        public Builder userId(String userId) {
            this.userId = userId;
            return this;
        }

        public Builder serverless(boolean serverless) {
            this.serverless = serverless;
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        public SigV4TokenVerifier build() {
            return new SigV4TokenVerifier(this);
        }
    }
}
