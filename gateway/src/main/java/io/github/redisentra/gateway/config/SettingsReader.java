package io.github.redisentra.gateway.config;

import static io.github.redisentra.gateway.config.Setting.*;

import io.github.redisentra.aws.AwsIamTokenSource;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Typed reads of the raw setting values for {@link GatewayConfig}, collecting problems instead of failing on the
 * first; each problem names the setting and how to fix it.
 */
final class SettingsReader {
    static final Pattern GUID =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    private static final Pattern SHORT_DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");

    final Map<Setting, String> values = new EnumMap<>(Setting.class);
    final List<String> problems = new ArrayList<>();

    SettingsReader(Map<String, String> source) {
        for (Setting s : Setting.values()) {
            String v = source.get(s.key());
            if (v != null && !v.isBlank()) {
                values.put(s, s.isSecret() ? v.strip() : v.trim());
            }
        }
    }

    void problem(String p) {
        problems.add(p);
    }

    void throwIfProblems() {
        if (!problems.isEmpty()) {
            throw new Unchecked(new ConfigException(problems));
        }
    }

    String get(Setting s) {
        return values.get(s);
    }

    String getOrDefault(Setting s) {
        String v = values.get(s);
        return v != null ? v : s.defaultValue().orElse(null);
    }

    String required(Setting s) {
        String v = getOrDefault(s);
        if (v == null) {
            problem(s.key() + " is required (" + s.meaning() + "), e.g. " + s.key() + "=" + s.example());
        }
        return v;
    }

    HostPort hostPort(Setting s) {
        String v = required(s);
        if (v == null) {
            return null;
        }
        try {
            return HostPort.parse(s.key(), v);
        } catch (IllegalArgumentException e) {
            problem(e.getMessage());
            return null;
        }
    }

    boolean bool(Setting s) {
        String v = getOrDefault(s);
        switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes", "on" -> {
                return true;
            }
            case "false", "0", "no", "off" -> {
                return false;
            }
            default -> {
                problem(s.key() + " must be true or false, got \"" + v + "\"");
                return Boolean.parseBoolean(s.defaultValue().orElse("false"));
            }
        }
    }

    String guid(Setting s, boolean required) {
        String v = required ? required(s) : get(s);
        if (v == null) {
            return null;
        }
        if (!GUID.matcher(v).matches()) {
            problem(s.key() + " must be a GUID (" + s.meaning() + "), got \"" + v + "\"");
            return null;
        }
        return v.toLowerCase(Locale.ROOT);
    }

    Set<String> guidSet(Setting s) {
        Set<String> out = new LinkedHashSet<>();
        for (String item : list(s)) {
            if (GUID.matcher(item).matches()) {
                out.add(item.toLowerCase(Locale.ROOT));
            } else {
                problem(s.key() + " must be comma-separated group object ids (GUIDs), got \"" + item + "\"");
            }
        }
        return Set.copyOf(out);
    }

    Set<String> stringSet(Setting s) {
        return Set.copyOf(new LinkedHashSet<>(list(s)));
    }

    List<String> list(Setting s) {
        String v = get(s);
        if (v == null) {
            return List.of();
        }
        return Arrays.stream(v.split(","))
                .map(String::trim)
                .filter(x -> !x.isEmpty())
                .toList();
    }

    List<String> audiences() {
        if (required(EXPECTED_AUDIENCE) == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (String a : list(EXPECTED_AUDIENCE)) {
            if (GUID.matcher(a).matches()) {
                out.add(a.toLowerCase(Locale.ROOT));
            } else if (isAbsoluteUri(a)) {
                out.add(a);
            } else {
                problem("EXPECTED_AUDIENCE must be comma-separated client ids (GUIDs) or App ID URIs"
                        + " (api://…), got \"" + a + "\"");
            }
        }
        if (out.isEmpty() && problems.stream().noneMatch(p -> p.startsWith("EXPECTED_AUDIENCE"))) {
            problem("EXPECTED_AUDIENCE is required (" + EXPECTED_AUDIENCE.meaning() + ")");
        }
        return List.copyOf(out);
    }

    private static boolean isAbsoluteUri(String a) {
        try {
            URI u = new URI(a);
            return u.getScheme() != null && (u.getHost() != null || u.getAuthority() != null);
        } catch (URISyntaxException e) {
            return false;
        }
    }

    URI httpsUrl(Setting s) {
        String v = getOrDefault(s);
        try {
            URI u = new URI(v);
            if (!"https".equalsIgnoreCase(u.getScheme()) || u.getHost() == null) {
                problem(s.key() + " must be an https:// URL, got \"" + v + "\"");
                return null;
            }
            String text = u.toString();
            while (text.endsWith("/")) {
                text = text.substring(0, text.length() - 1);
            }
            return URI.create(text);
        } catch (URISyntaxException e) {
            problem(s.key() + " must be an https:// URL, got \"" + v + "\"");
            return null;
        }
    }

    Duration duration(Setting s, boolean zeroAllowed) {
        String v = getOrDefault(s);
        Duration d = parseDuration(v);
        if (d == null || d.isNegative() || (!zeroAllowed && d.isZero())) {
            problem(s.key() + " must be a " + (zeroAllowed ? "" : "positive ") + "duration such as 30s, 5m,"
                    + " 1h, 500ms or PT1M, got \"" + v + "\"");
            return parseDuration(s.defaultValue().orElse("0s"));
        }
        return d;
    }

    static Duration parseDuration(String v) {
        Matcher m = SHORT_DURATION.matcher(v.toLowerCase(Locale.ROOT));
        if (m.matches()) {
            long n;
            try {
                n = Long.parseLong(m.group(1));
            } catch (NumberFormatException e) {
                return null;
            }
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        }
        try {
            return Duration.parse(v);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    int positiveInt(Setting s, int min, int max) {
        String v = getOrDefault(s);
        try {
            int n = Integer.parseInt(v);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        problem(s.key() + " must be a whole number from " + min + " to " + max + ", got \"" + v + "\"");
        return Integer.parseInt(s.defaultValue().orElse("0"));
    }

    Path readableFile(Setting s) {
        String v = get(s);
        if (v == null) {
            return null;
        }
        Path p = Path.of(v);
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
            problem(s.key() + " names a file that does not exist or is not readable: \"" + v + "\"");
            return null;
        }
        return p;
    }

    /** {@code ROLES_FILE}, checked readable, and {@code check}'s problems with reading it, prefixed with the name. */
    Path rolesFile(GatewayConfig.FileCheck check) {
        Path file = readableFile(ROLES_FILE);
        if (file != null) {
            for (String p : check.problems(file)) {
                problem("ROLES_FILE " + p);
            }
        }
        return file;
    }

    /** A file the gateway writes (it may not exist yet): its directory must exist. */
    Path writableFile(Setting s) {
        String v = get(s);
        if (v == null) {
            return null;
        }
        Path p = Path.of(v);
        Path dir = p.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir) || Files.isDirectory(p)) {
            problem(s.key() + " must name a file in an existing directory, got \"" + v + "\"");
            return null;
        }
        return p;
    }

    String logLevel() {
        String v = getOrDefault(LOG_LEVEL).toUpperCase(Locale.ROOT);
        if (!List.of("ERROR", "WARN", "INFO", "DEBUG", "TRACE").contains(v)) {
            problem("LOG_LEVEL must be ERROR, WARN, INFO, DEBUG or TRACE, got \"" + getOrDefault(LOG_LEVEL) + "\"");
            return "INFO";
        }
        return v;
    }

    LogSettings.Format logFormat() {
        String v = getOrDefault(LOG_FORMAT);
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "json" -> LogSettings.Format.JSON;
            case "text" -> LogSettings.Format.TEXT;
            default -> {
                problem("LOG_FORMAT must be json or text, got \"" + v + "\"");
                yield LogSettings.Format.JSON;
            }
        };
    }

    UpstreamCredentialSource credentialSource() {
        String family = getOrDefault(UPSTREAM_AUTH);
        switch (family.toLowerCase(Locale.ROOT)) {
            case "aws-iam" -> {
                // Settings that choose or name another upstream credential would be silently ignored: refuse.
                for (Setting s : List.of(
                        REDIS_PASSWORD,
                        REDIS_USERNAME,
                        LOCAL_REDIS_TOKEN,
                        LOCAL_REDIS_TOKEN_COMMAND,
                        AZURE_CLIENT_SECRET,
                        AZURE_CLIENT_CERTIFICATE_PATH,
                        REDIS_AAD_OBJECT_ID,
                        REDIS_TOKEN_SCOPE)) {
                    if (get(s) != null) {
                        problem(s.key() + " is not used with UPSTREAM_AUTH=aws-iam (the gateway authenticates"
                                + " upstream as AWS_IAM_USER_ID with an IAM token): unset it");
                    }
                }
                return UpstreamCredentialSource.AWS_IAM;
            }
            case "entra" -> {
                for (Setting s : List.of(AWS_CACHE_NAME, AWS_IAM_USER_ID, AWS_SERVICE, AWS_SERVERLESS)) {
                    if (get(s) != null) {
                        problem(s.key() + " is only used with UPSTREAM_AUTH=aws-iam: set UPSTREAM_AUTH=aws-iam or"
                                + " unset " + s.key());
                    }
                }
            }
            default -> problem("UPSTREAM_AUTH must be entra or aws-iam, got \"" + family + "\"");
        }
        List<String> chosen = new ArrayList<>();
        for (Setting s : List.of(
                REDIS_PASSWORD,
                LOCAL_REDIS_TOKEN,
                LOCAL_REDIS_TOKEN_COMMAND,
                AZURE_CLIENT_SECRET,
                AZURE_CLIENT_CERTIFICATE_PATH)) {
            if (get(s) != null) {
                chosen.add(s.key());
            }
        }
        if (chosen.size() > 1) {
            problem("choose one upstream credential, found " + String.join(", ", chosen) + ": unset all but one");
        }
        UpstreamCredentialSource mode;
        if (get(REDIS_PASSWORD) != null) {
            mode = UpstreamCredentialSource.PASSWORD;
        } else if (get(LOCAL_REDIS_TOKEN) != null) {
            mode = UpstreamCredentialSource.STATIC_TOKEN;
        } else if (get(LOCAL_REDIS_TOKEN_COMMAND) != null) {
            mode = UpstreamCredentialSource.TOKEN_COMMAND;
        } else if (get(AZURE_CLIENT_SECRET) != null) {
            mode = UpstreamCredentialSource.CLIENT_SECRET;
        } else if (get(AZURE_CLIENT_CERTIFICATE_PATH) != null) {
            mode = UpstreamCredentialSource.CLIENT_CERTIFICATE;
        } else if (get(AZURE_FEDERATED_TOKEN_FILE) != null) {
            mode = UpstreamCredentialSource.WORKLOAD_IDENTITY;
        } else {
            mode = UpstreamCredentialSource.MANAGED_IDENTITY;
        }
        if (mode == UpstreamCredentialSource.CLIENT_SECRET
                || mode == UpstreamCredentialSource.CLIENT_CERTIFICATE
                || mode == UpstreamCredentialSource.WORKLOAD_IDENTITY) {
            for (Setting s : List.of(AZURE_CLIENT_ID, AZURE_TENANT_ID)) {
                if (get(s) == null) {
                    problem(s.key() + " is required for the " + mode.description() + " upstream credential");
                }
            }
        }
        if (get(REDIS_USERNAME) != null && mode != UpstreamCredentialSource.PASSWORD) {
            problem("REDIS_USERNAME is only used with REDIS_PASSWORD; for Entra tokens the user name is"
                    + " REDIS_AAD_OBJECT_ID (or the token's oid)");
        }
        return mode;
    }

    /** The {@code UPSTREAM_AUTH=aws-iam} settings, each problem reported with the setting's name. */
    AwsIamUpstream awsIam(boolean redisTls) {
        if (!redisTls) {
            problem("REDIS_TLS=false cannot be used with UPSTREAM_AUTH=aws-iam: ElastiCache and MemoryDB accept IAM"
                    + " tokens only over TLS (in-transit encryption)");
        }
        AwsIamTokenSource.Kind kind = null;
        String service = getOrDefault(AWS_SERVICE).toLowerCase(Locale.ROOT);
        boolean serverless = bool(AWS_SERVERLESS);
        if (!service.equals("elasticache") && !service.equals("memorydb")) {
            problem("AWS_SERVICE must be elasticache or memorydb, got \"" + getOrDefault(AWS_SERVICE) + "\"");
        } else if (service.equals("memorydb") && serverless) {
            problem("AWS_SERVERLESS=true cannot be used with AWS_SERVICE=memorydb: MemoryDB has no serverless"
                    + " caches (ResourceType=ServerlessCache is for ElastiCache Serverless only); use"
                    + " AWS_SERVICE=elasticache for an ElastiCache Serverless cache, or AWS_SERVERLESS=false for a"
                    + " MemoryDB cluster");
        } else {
            kind = AwsIamTokenSource.Kind.of(service, serverless);
        }
        // The token source's own checks, so the configuration accepts exactly what it will sign for.
        AwsIamTokenSource.Builder probe = AwsIamTokenSource.builder(AwsIamTokenSource.Kind.ELASTICACHE);
        String cacheName = awsValue(AWS_CACHE_NAME, v -> {
            probe.cacheName(v);
            return v.strip().toLowerCase(Locale.ROOT);
        });
        String userId = awsValue(AWS_IAM_USER_ID, v -> {
            probe.userId(v);
            return v.strip();
        });
        String region = awsValue(AWS_REGION, v -> {
            probe.region(v);
            return v.strip();
        });
        if (kind == null || cacheName == null || userId == null || region == null) {
            return null;
        }
        return new AwsIamUpstream(kind, cacheName, userId, region);
    }

    private String awsValue(Setting s, java.util.function.UnaryOperator<String> check) {
        String v = get(s);
        if (v == null) {
            problem(s.key() + " is required with UPSTREAM_AUTH=aws-iam ("
                    + s.meaning().replace("aws-iam: ", "") + "), e.g. " + s.key() + "=" + s.example());
            return null;
        }
        try {
            return check.apply(v);
        } catch (IllegalArgumentException e) {
            problem(s.key() + " is not valid: " + e.getMessage());
            return null;
        }
    }

    /** Carries the checked exception out of the constructor. */
    static final class Unchecked extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final ConfigException cause;

        Unchecked(ConfigException cause) {
            super(cause.getMessage(), null, false, false);
            this.cause = cause;
        }
    }
}
