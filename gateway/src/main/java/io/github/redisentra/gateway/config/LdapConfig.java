package io.github.redisentra.gateway.config;

import static io.github.redisentra.gateway.config.Setting.*;

import com.unboundid.ldap.sdk.DN;
import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.LDAPURL;
import com.unboundid.ldap.sdk.RDN;
import com.unboundid.ldap.sdk.SearchScope;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The LDAP / Active Directory part of the configuration ({@code LDAP_*} settings): present only when
 * {@code LDAP_SERVERS} is set. Parsed with the rest of {@link GatewayConfig} at start-up and again, on its own, by the
 * admin {@code reload} endpoint.
 *
 * <p>Groups in {@code LDAP_REQUIRED_GROUPS}/{@code LDAP_ALLOWED_GROUPS} are either DNs (compared in normalized form:
 * case and spacing do not matter; a DN matches group DNs only) or, explicitly, {@code name:} + a group's name (the
 * value of its first RDN, e.g. its {@code cn}, in any OU); see {@link DirectoryGroups#groupReference}.
 */
public record LdapConfig(
        List<Server> servers,
        Mode mode,
        String bindDnTemplate,
        String serviceDn,
        String servicePassword,
        String searchBase,
        SearchScope searchScope,
        String searchFilter,
        boolean startTls,
        Path caFile,
        Path clientCertFile,
        Path clientKeyFile,
        boolean verifyHostname,
        Duration connectTimeout,
        Duration operationTimeout,
        int poolSize,
        Duration healthCheckInterval,
        String groupAttribute,
        String groupSearchBase,
        String groupSearchFilter,
        boolean nestedGroups,
        Set<String> requiredGroups,
        Set<String> allowedGroups,
        boolean allowAnyUser,
        Duration cacheTtl,
        int cacheMaxEntries,
        Duration sessionMaxAge) {

    /** The placeholder for the user name in {@code LDAP_BIND_DN_TEMPLATE} and {@code LDAP_SEARCH_FILTER}. */
    public static final String USER = "{user}";
    /** The placeholder for the user's DN in {@code LDAP_GROUP_SEARCH_FILTER}. */
    public static final String USER_DN = "{dn}";
    /** Active Directory's LDAP_MATCHING_RULE_IN_CHAIN (transitive membership). */
    public static final String IN_CHAIN_OID = "1.2.840.113556.1.4.1941";

    public static final String DEFAULT_GROUP_FILTER = "(member={dn})";
    public static final String NESTED_GROUP_FILTER = "(member:" + IN_CHAIN_OID + ":={dn})";

    /** How the user's DN is found. */
    public enum Mode {
        /** The DN is {@code LDAP_BIND_DN_TEMPLATE} with the user name as the value of one RDN (or a UPN). */
        BIND,
        /** The service account searches for exactly one entry, whose DN is then bound with the user's password. */
        SEARCH_BIND
    }

    /** One directory server, tried in the configured order. */
    public record Server(String url, String host, int port, boolean ldaps) {
        @Override
        public String toString() {
            return url;
        }
    }

    public LdapConfig {
        servers = List.copyOf(servers);
        requiredGroups = Set.copyOf(requiredGroups);
        allowedGroups = Set.copyOf(allowedGroups);
    }

    /**
     * How long a directory sign-in lasts before the client must {@code AUTH} again ({@code LDAP_SESSION_MAX_AGE}), or
     * {@code null}: until the client disconnects.
     */
    @Override
    public Duration sessionMaxAge() {
        return sessionMaxAge;
    }

    /** Whether any TLS (LDAPS or StartTLS) is in use. */
    public boolean tls() {
        return startTls || servers.stream().anyMatch(Server::ldaps);
    }

    /** Whether groups come from a group search ({@code LDAP_GROUP_SEARCH_BASE}) rather than the user's attribute. */
    public boolean groupSearch() {
        return groupSearchBase != null;
    }

    /** Secret: never log it. */
    @Override
    public String servicePassword() {
        return servicePassword;
    }

    @Override
    public String toString() {
        return "LdapConfig[servers=" + servers + ", mode=" + mode + ", serviceDn=" + serviceDn + ", servicePassword="
                + (servicePassword == null ? "(unset)" : "<redacted>") + "]";
    }

    /** Reads only the LDAP settings from {@code env} (setting name → value); empty when LDAP_SERVERS is unset. */
    public static Optional<LdapConfig> read(Map<String, String> env) throws ConfigException {
        Map<Setting, String> values = new EnumMap<>(Setting.class);
        for (Setting s : Setting.values()) {
            String v = env.get(s.key());
            if (v != null && !v.isBlank()) {
                values.put(s, s.isSecret() ? v.strip() : v.trim());
            }
        }
        List<String> problems = new ArrayList<>();
        Optional<LdapConfig> c = parse(values, problems::add);
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return c;
    }

    /** Parses the LDAP settings of {@code values}, reporting every problem to {@code problem}. */
    static Optional<LdapConfig> parse(Map<Setting, String> values, Consumer<String> problem) {
        P p = new P(values, problem);
        if (p.get(LDAP_SERVERS) == null) {
            for (Setting s : LDAP_SETTINGS) {
                if (s != LDAP_SERVERS && values.containsKey(s)) {
                    problem.accept(s.key() + " is set but LDAP_SERVERS is not: set LDAP_SERVERS to enable LDAP"
                            + " sign-in, or unset " + s.key());
                    break;
                }
            }
            return Optional.empty();
        }
        List<Server> servers = p.servers();
        Mode mode = p.mode();
        String template = p.get(LDAP_BIND_DN_TEMPLATE);
        String serviceDn = p.dn(LDAP_BIND_DN);
        String servicePassword = p.get(LDAP_BIND_PASSWORD);
        String searchBase = p.dn(LDAP_SEARCH_BASE);
        String filter = p.getOrDefault(LDAP_SEARCH_FILTER);
        if (mode == Mode.BIND) {
            if (template == null) {
                problem.accept("LDAP_BIND_DN_TEMPLATE is required with LDAP_MODE=bind, e.g."
                        + " LDAP_BIND_DN_TEMPLATE=uid={user},ou=people,dc=example,dc=com (OpenLDAP) or"
                        + " {user}@corp.example.com (Active Directory)");
            } else {
                checkTemplate(template, problem);
            }
        } else {
            if (serviceDn == null || servicePassword == null) {
                problem.accept("LDAP_MODE=search+bind needs the service account: set LDAP_BIND_DN and"
                        + " LDAP_BIND_PASSWORD");
            }
            if (searchBase == null) {
                problem.accept("LDAP_SEARCH_BASE is required with LDAP_MODE=search+bind, e.g."
                        + " LDAP_SEARCH_BASE=ou=people,dc=example,dc=com");
            }
            p.filter(LDAP_SEARCH_FILTER, filter, USER, USER);
        }
        if ((serviceDn == null) != (servicePassword == null)) {
            problem.accept("LDAP_BIND_DN and LDAP_BIND_PASSWORD must be set together");
        }
        Path clientCert = p.readableFile(LDAP_CLIENT_CERT_FILE);
        Path clientKey = p.readableFile(LDAP_CLIENT_KEY_FILE);
        if ((p.get(LDAP_CLIENT_CERT_FILE) == null) != (p.get(LDAP_CLIENT_KEY_FILE) == null)) {
            problem.accept("LDAP_CLIENT_CERT_FILE and LDAP_CLIENT_KEY_FILE must be set together");
        }
        boolean startTls = p.bool(LDAP_STARTTLS);
        if (startTls && servers.stream().anyMatch(Server::ldaps)) {
            problem.accept("LDAP_STARTTLS=true applies to ldap:// servers; ldaps:// servers already use TLS — use"
                    + " one or the other");
        }
        boolean allowPlaintext = p.bool(LDAP_ALLOW_PLAINTEXT);
        if (!startTls && !allowPlaintext) {
            // As for the RESP listener: clear text only on loopback, or when explicitly allowed.
            for (Server s : servers) {
                if (!s.ldaps() && !new HostPort(s.host(), s.port()).isLoopback()) {
                    problem.accept("LDAP_SERVERS " + s.url() + " is not a loopback address and uses neither LDAPS nor"
                            + " StartTLS: users' passwords would cross the network in clear. Use ldaps://" + s.host()
                            + ":636, or set LDAP_STARTTLS=true, or set LDAP_ALLOW_PLAINTEXT=true if the network is"
                            + " otherwise protected");
                }
            }
        }
        String groupSearchBase = p.dn(LDAP_GROUP_SEARCH_BASE);
        boolean nested = p.bool(LDAP_NESTED_GROUPS);
        String groupFilter = p.get(LDAP_GROUP_SEARCH_FILTER);
        if (groupFilter == null) {
            groupFilter = nested ? NESTED_GROUP_FILTER : DEFAULT_GROUP_FILTER;
        }
        if (groupSearchBase != null) {
            p.filter(LDAP_GROUP_SEARCH_FILTER, groupFilter, USER_DN, USER);
        } else if (p.get(LDAP_GROUP_SEARCH_FILTER) != null) {
            problem.accept("LDAP_GROUP_SEARCH_FILTER needs LDAP_GROUP_SEARCH_BASE");
        }
        if (nested && groupSearchBase == null) {
            problem.accept("LDAP_NESTED_GROUPS=true resolves nested groups with a group search: set"
                    + " LDAP_GROUP_SEARCH_BASE (Active Directory's in-chain rule, " + IN_CHAIN_OID + ")");
        }
        Set<String> required = p.groups(LDAP_REQUIRED_GROUPS);
        Set<String> allowed = p.groups(LDAP_ALLOWED_GROUPS);
        boolean any = p.bool(LDAP_ALLOW_ANY_USER);
        boolean roles = values.containsKey(ROLES_FILE);
        if (roles) {
            // As for Entra users: the roles decide who is admitted; LDAP_REQUIRED_GROUPS still applies on top.
            if (values.containsKey(LDAP_ALLOWED_GROUPS)) {
                problem.accept("ROLES_FILE decides who is admitted (a user must match a role): unset"
                        + " LDAP_ALLOWED_GROUPS and name those directory groups (DN or name) in the roles' match"
                        + " instead");
            }
            if (any) {
                problem.accept("ROLES_FILE decides who is admitted (a user must match a role): unset"
                        + " LDAP_ALLOW_ANY_USER (a directory user matching no role is refused)");
            }
        } else if (required.isEmpty() && allowed.isEmpty() && !any) {
            problem.accept("no LDAP authorization rule: set ROLES_FILE, LDAP_REQUIRED_GROUPS or LDAP_ALLOWED_GROUPS,"
                    + " or set LDAP_ALLOW_ANY_USER=true to admit every user the directory authenticates");
        }
        SearchScope scope = p.scope();
        return Optional.of(new LdapConfig(
                servers,
                mode,
                template,
                serviceDn,
                servicePassword,
                searchBase,
                scope,
                filter,
                startTls,
                p.readableFile(LDAP_CA_FILE),
                clientCert,
                clientKey,
                p.bool(LDAP_TLS_VERIFY_HOSTNAME),
                p.duration(LDAP_CONNECT_TIMEOUT, false),
                p.duration(LDAP_OPERATION_TIMEOUT, false),
                p.intIn(LDAP_POOL_SIZE, 1, 256),
                p.duration(LDAP_HEALTH_CHECK_INTERVAL, false),
                p.getOrDefault(LDAP_GROUP_ATTRIBUTE),
                groupSearchBase,
                groupFilter,
                nested,
                required,
                allowed,
                any,
                p.duration(LDAP_CACHE_TTL, true),
                p.intIn(LDAP_CACHE_MAX_ENTRIES, 0, 10_000_000),
                values.containsKey(LDAP_SESSION_MAX_AGE) ? p.duration(LDAP_SESSION_MAX_AGE, false) : null));
    }

    /** The LDAP settings, in table order. */
    static final List<Setting> LDAP_SETTINGS = Arrays.stream(Setting.values())
            .filter(s -> s.key().startsWith("LDAP_"))
            .toList();

    private static void checkTemplate(String template, Consumer<String> problem) {
        int first = template.indexOf(USER);
        if (first < 0 || template.indexOf(USER, first + 1) >= 0) {
            problem.accept("LDAP_BIND_DN_TEMPLATE must contain " + USER + " exactly once, got \"" + template + "\"");
            return;
        }
        if (template.contains("=")) {
            // A DN template: {user} must be the whole value of one RDN, so the user name can only fill that value.
            try {
                int rdnsWithUser = 0;
                for (RDN rdn : new DN(template).getRDNs()) {
                    for (String v : rdn.getAttributeValues()) {
                        if (v.equals(USER)) {
                            rdnsWithUser++;
                        } else if (v.contains(USER)) {
                            rdnsWithUser = -100;
                        }
                    }
                }
                if (rdnsWithUser != 1) {
                    problem.accept("LDAP_BIND_DN_TEMPLATE: " + USER + " must be the whole value of one RDN"
                            + " (uid={user},ou=people,dc=example,dc=com), got \"" + template + "\"");
                }
            } catch (LDAPException e) {
                problem.accept("LDAP_BIND_DN_TEMPLATE is not a valid DN: " + e.getMessage());
            }
        } else if (!template.startsWith(USER) || template.length() == USER.length()) {
            problem.accept("LDAP_BIND_DN_TEMPLATE must be a DN (uid={user},ou=people,dc=example,dc=com) or a user"
                    + " principal name suffix ({user}@corp.example.com), got \"" + template + "\"");
        }
    }

    /** Small typed readers over the raw values, reporting problems instead of throwing. */
    private record P(Map<Setting, String> values, Consumer<String> problem) {
        String get(Setting s) {
            return values.get(s);
        }

        String getOrDefault(Setting s) {
            String v = values.get(s);
            return v != null ? v : s.defaultValue().orElse(null);
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

        List<Server> servers() {
            List<Server> out = new ArrayList<>();
            for (String u : get(LDAP_SERVERS).split("[\\s,]+")) {
                if (u.isEmpty()) {
                    continue;
                }
                try {
                    LDAPURL url = new LDAPURL(u);
                    String scheme = url.getScheme().toLowerCase(Locale.ROOT);
                    if (!scheme.equals("ldap") && !scheme.equals("ldaps")) {
                        throw new LDAPException(com.unboundid.ldap.sdk.ResultCode.PARAM_ERROR, "scheme");
                    }
                    if (!url.hostProvided()) {
                        throw new LDAPException(com.unboundid.ldap.sdk.ResultCode.PARAM_ERROR, "host");
                    }
                    URI.create(u); // reject spaces and the like early
                    out.add(new Server(
                            scheme + "://" + url.getHost() + ":" + url.getPort(),
                            url.getHost(),
                            url.getPort(),
                            scheme.equals("ldaps")));
                } catch (LDAPException | IllegalArgumentException e) {
                    problem.accept("LDAP_SERVERS must be ldap:// or ldaps:// URLs with a host (comma-separated, tried"
                            + " in order), got \"" + u + "\"");
                }
            }
            return out;
        }

        Mode mode() {
            String v = getOrDefault(LDAP_MODE).toLowerCase(Locale.ROOT);
            return switch (v) {
                case "bind" -> Mode.BIND;
                case "search+bind", "search_bind", "search-bind" -> Mode.SEARCH_BIND;
                default -> {
                    problem.accept("LDAP_MODE must be bind or search+bind, got \"" + v + "\"");
                    yield Mode.BIND;
                }
            };
        }

        SearchScope scope() {
            String v = getOrDefault(LDAP_SEARCH_SCOPE).toLowerCase(Locale.ROOT);
            return switch (v) {
                case "sub", "subtree" -> SearchScope.SUB;
                case "one", "onelevel" -> SearchScope.ONE;
                case "base" -> SearchScope.BASE;
                default -> {
                    problem.accept("LDAP_SEARCH_SCOPE must be sub, one or base, got \"" + v + "\"");
                    yield SearchScope.SUB;
                }
            };
        }

        String dn(Setting s) {
            String v = get(s);
            if (v != null && !DN.isValidDN(v)) {
                problem.accept(s.key() + " must be a DN such as " + s.example() + ", got \"" + v + "\"");
                return null;
            }
            return v;
        }

        void filter(Setting s, String template, String placeholder, String orPlaceholder) {
            if (!template.contains(placeholder) && !template.contains(orPlaceholder)) {
                problem.accept(s.key() + " must contain " + placeholder + ", got \"" + template + "\"");
                return;
            }
            try {
                Filter.create(template.replace(USER, "x").replace(USER_DN, "x"));
            } catch (LDAPException e) {
                problem.accept(s.key() + " is not a valid LDAP filter (RFC 4515): \"" + template + "\"");
            }
        }

        Set<String> groups(Setting s) {
            Set<String> out = new LinkedHashSet<>();
            // DNs contain commas: the list is separated by semicolons.
            String v = get(s);
            if (v == null) {
                return Set.of();
            }
            for (String g : v.split(";")) {
                if (g.isBlank()) {
                    continue;
                }
                String ref;
                try {
                    ref = DirectoryGroups.groupReference(g);
                } catch (IllegalArgumentException e) {
                    problem.accept(s.key() + ": " + e.getMessage());
                    continue;
                }
                if (!DirectoryGroups.isDirectoryGroup(ref)) {
                    // The old form: a bare name matched a group of that name in any OU. Say how to write it now.
                    problem.accept(s.key() + ": \"" + g.trim() + "\" is neither a DN nor " + DirectoryGroups.NAME_PREFIX
                            + "<group name>:"
                            + " write the group's DN (cn=" + g.trim()
                            + ",ou=groups,dc=example,dc=com) to match that one"
                            + " group, or " + DirectoryGroups.NAME_PREFIX + g.trim()
                            + " to match every directory group named \""
                            + g.trim() + "\" in any OU");
                    continue;
                }
                out.add(ref);
            }
            return out;
        }

        boolean bool(Setting s) {
            String v = getOrDefault(s).toLowerCase(Locale.ROOT);
            return switch (v) {
                case "true", "1", "yes", "on" -> true;
                case "false", "0", "no", "off" -> false;
                default -> {
                    problem.accept(s.key() + " must be true or false, got \"" + v + "\"");
                    yield Boolean.parseBoolean(s.defaultValue().orElse("false"));
                }
            };
        }

        Duration duration(Setting s, boolean zeroAllowed) {
            String v = getOrDefault(s);
            Duration d = GatewayConfig.parseDuration(v);
            if (d == null || d.isNegative() || (!zeroAllowed && d.isZero())) {
                problem.accept(s.key() + " must be a " + (zeroAllowed ? "" : "positive ") + "duration such as 30s,"
                        + " 5m or 500ms, got \"" + v + "\"");
                return GatewayConfig.parseDuration(s.defaultValue().orElse("1s"));
            }
            return d;
        }

        int intIn(Setting s, int min, int max) {
            String v = getOrDefault(s);
            try {
                int n = Integer.parseInt(v);
                if (n >= min && n <= max) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            problem.accept(s.key() + " must be a whole number from " + min + " to " + max + ", got \"" + v + "\"");
            return Integer.parseInt(s.defaultValue().orElse("1"));
        }

        Path readableFile(Setting s) {
            String v = get(s);
            if (v == null) {
                return null;
            }
            Path path = Path.of(v);
            if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
                problem.accept(s.key() + " names a file that does not exist or is not readable: \"" + v + "\"");
                return null;
            }
            return path;
        }
    }
}
