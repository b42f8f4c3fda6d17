package io.github.redisentra.gateway.acl;

import io.github.redisentra.gateway.auth.Principal;
import io.github.redisentra.gateway.config.DirectoryGroups;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * The roles file ({@code ROLES_FILE}): which users get which Redis permissions.
 *
 * <pre>{@code
 * roles:
 *   readers:
 *     match:
 *       groups: [6f1d3c52-5b1a-4d2e-9a57-1f0c2b7e9d01]   # Entra group object ids, directory group DNs, name:<group>
 *       appRoles: [Redis.Read]                           # app roles of the token (exact)
 *     rules: +@read ~app:* &app:*                        # Redis ACL rules (a string or a list of strings)
 * }</pre>
 *
 * A role matches a principal that is a member of any of its groups or holds any of its app roles; the principal's
 * permissions are the union of the matching roles. Group values compare ignoring case (GUIDs, LDAP DNs and names
 * alike); a value that is a DN compares in its normalized form (spaces after commas do not matter either) and matches
 * directory group DNs only; a directory group is matched by its name only when the value says so explicitly,
 * {@code name:Redis Users} ({@link DirectoryGroups#groupReference}). Every problem is reported with its file, line and
 * column; a value that can match nothing (neither a GUID, a DN nor {@code name:}, e.g. a bare group name, which
 * earlier versions matched against directory group names) is a {@linkplain #warnings() warning}, logged at load.
 */
public final class RolePolicy {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(RolePolicy.class);
    private static final java.util.regex.Pattern GUID =
            java.util.regex.Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    /** One role. */
    public record Role(
            String name,
            Set<String> groups,
            Set<String> appRoles,
            String rules,
            AclSelector selector,
            UpstreamSpec upstream) {
        public Role(String name, Set<String> groups, Set<String> appRoles, String rules, AclSelector selector) {
            this(name, groups, appRoles, rules, selector, null);
        }
    }

    /**
     * The upstream identity a role names ({@code upstream:} block): gateway settings overriding the gateway's own
     * identity settings (e.g. {@code UAMI_CLIENT_ID}), built by the same identity builders. Equal specs are one
     * identity. {@code where} is the block's position in the file (for errors); it is not part of equality.
     */
    public record UpstreamSpec(Map<String, String> settings, String where) {
        /** The YAML field → gateway setting it sets. No secrets: a roles file names identities, never passwords. */
        public static final Map<String, String> FIELDS = Map.of(
                "managedIdentityClientId", "UAMI_CLIENT_ID",
                "clientId", "AZURE_CLIENT_ID",
                "tenantId", "AZURE_TENANT_ID",
                "clientCertificatePath", "AZURE_CLIENT_CERTIFICATE_PATH",
                "federatedTokenFile", "AZURE_FEDERATED_TOKEN_FILE",
                "tokenCommand", "LOCAL_REDIS_TOKEN_COMMAND",
                "objectId", "REDIS_AAD_OBJECT_ID",
                "awsIamUserId", "AWS_IAM_USER_ID");

        public UpstreamSpec {
            settings = Map.copyOf(settings);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof UpstreamSpec u && u.settings.equals(settings);
        }

        @Override
        public int hashCode() {
            return settings.hashCode();
        }

        /** Names the identity without its command line (which may carry arguments an operator treats as private). */
        @Override
        public String toString() {
            Map<String, String> shown = new java.util.TreeMap<>(settings);
            shown.computeIfPresent("LOCAL_REDIS_TOKEN_COMMAND", (k, v) -> "<command>");
            return "upstream identity " + shown;
        }
    }

    private final Path source;
    private final CommandTable table;
    private final List<Role> roles;
    private final List<String> warnings;
    private final Map<Set<String>, Permissions> cache = new ConcurrentHashMap<>();

    private RolePolicy(Path source, CommandTable table, List<Role> roles, List<String> warnings) {
        this.source = source;
        this.table = table;
        this.roles = List.copyOf(roles);
        this.warnings = List.copyOf(warnings);
    }

    /** Invalid roles file: every problem, each {@code file:line:column: field: what is wrong}. */
    public static final class InvalidPolicyException extends Exception {
        private static final long serialVersionUID = 1L;
        private final List<String> problems;

        public InvalidPolicyException(List<String> problems) {
            super(String.join("\n", problems), null, false, false);
            this.problems = List.copyOf(problems);
        }

        public List<String> problems() {
            return problems;
        }
    }

    public static RolePolicy load(Path file, CommandTable table) throws InvalidPolicyException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new InvalidPolicyException(List.of(file + ": cannot read: " + e.getMessage()));
        }
        RolePolicy p = parse(file, new StringReader(text), table);
        for (String w : p.warnings) {
            log.warn("roles file: {}", w);
        }
        return p;
    }

    static RolePolicy parse(Path file, Reader text, CommandTable table) throws InvalidPolicyException {
        String where = file == null ? "<roles>" : file.toString();
        List<String> problems = new ArrayList<>();
        Node root;
        try {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            options.setMaxAliasesForCollections(0);
            options.setAllowRecursiveKeys(false);
            root = new Yaml(options).compose(text);
        } catch (MarkedYAMLException e) {
            Mark m = e.getProblemMark();
            throw new InvalidPolicyException(
                    List.of(where + (m == null ? "" : ":" + (m.getLine() + 1) + ":" + (m.getColumn() + 1))
                            + ": not valid YAML: " + e.getProblem()));
        } catch (RuntimeException e) {
            throw new InvalidPolicyException(List.of(where + ": not valid YAML: " + e.getMessage()));
        }
        List<String> warnings = new ArrayList<>();
        Checker c = new Checker(where, problems, warnings);
        List<Role> roles = new ArrayList<>();
        if (root == null) {
            problems.add(where + ": the file is empty; it needs a 'roles' mapping");
        } else if (c.mapping(root, "(top level)") != null) {
            Map<String, Node> top = c.fields(root, "(top level)", List.of("roles"));
            Node rolesNode = top.get("roles");
            if (rolesNode == null) {
                problems.add(c.at(root) + ": (top level): missing 'roles'");
            } else if (c.mapping(rolesNode, "roles") != null) {
                MappingNode m = (MappingNode) rolesNode;
                if (m.getValue().isEmpty()) {
                    problems.add(c.at(m) + ": roles: no role defined");
                }
                Set<String> names = new java.util.HashSet<>();
                for (NodeTuple t : m.getValue()) {
                    String name = c.scalar(t.getKeyNode(), "roles.<name>");
                    if (name == null) {
                        continue;
                    }
                    if (!names.add(name)) {
                        c.problem(t.getKeyNode(), "roles: role '" + name + "' is defined twice");
                        continue;
                    }
                    Role r = role(c, name, t.getValueNode(), table);
                    if (r != null) {
                        roles.add(r);
                    }
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidPolicyException(problems);
        }
        return new RolePolicy(file, table, roles, warnings);
    }

    private static Role role(Checker c, String name, Node node, CommandTable table) {
        String path = "roles." + name;
        if (c.mapping(node, path) == null) {
            return null;
        }
        Map<String, Node> f = c.fields(node, path, List.of("match", "rules", "upstream"));
        Set<String> groups = new LinkedHashSet<>();
        Set<String> appRoles = new LinkedHashSet<>();
        Node match = f.get("match");
        if (match == null) {
            c.problem(node, path + ": missing 'match' (groups and/or appRoles)");
        } else if (c.mapping(match, path + ".match") != null) {
            Map<String, Node> mf = c.fields(match, path + ".match", List.of("groups", "appRoles"));
            Node groupsNode = mf.get("groups");
            for (String g : c.strings(groupsNode, path + ".match.groups")) {
                // As the LDAP authenticator reports groups: a DN normalized, name:x for names; a GUID lower-cased.
                String ref;
                try {
                    ref = DirectoryGroups.groupReference(g);
                } catch (IllegalArgumentException e) {
                    c.problem(groupsNode, path + ".match.groups: " + e.getMessage());
                    continue;
                }
                if (!DirectoryGroups.isDirectoryGroup(ref) && !GUID.matcher(ref).matches()) {
                    c.warning(
                            groupsNode,
                            path + ".match.groups: \"" + g + "\" matches no group: it is not an Entra group object id"
                                    + " (GUID) nor a directory group DN. To match every directory group named \"" + g
                                    + "\" (in any OU) write \"" + DirectoryGroups.NAME_PREFIX + g
                                    + "\"; to match one group,"
                                    + " its DN");
                }
                groups.add(ref);
            }
            appRoles.addAll(c.strings(mf.get("appRoles"), path + ".match.appRoles"));
            if (groups.isEmpty() && appRoles.isEmpty()) {
                c.problem(match, path + ".match: names no group and no app role, so the role matches nobody");
            }
        }
        Node rulesNode = f.get("rules");
        String rules = null;
        if (rulesNode == null) {
            c.problem(node, path + ": missing 'rules' (Redis ACL rules such as \"+@read ~app:*\")");
        } else if (rulesNode instanceof SequenceNode) {
            rules = String.join(" ", c.strings(rulesNode, path + ".rules"));
        } else {
            rules = c.scalar(rulesNode, path + ".rules");
        }
        if (rules == null) {
            return null;
        }
        AclSelector selector;
        try {
            selector = AclSelector.compile(table, rules);
        } catch (IllegalArgumentException e) {
            c.problem(rulesNode, path + ".rules: " + e.getMessage());
            return null;
        }
        UpstreamSpec upstream = null;
        Node up = f.get("upstream");
        if (up != null && c.mapping(up, path + ".upstream") != null) {
            List<String> allowed = new ArrayList<>(new java.util.TreeSet<>(UpstreamSpec.FIELDS.keySet()));
            Map<String, Node> uf = c.fields(up, path + ".upstream", allowed);
            Map<String, String> settings = new LinkedHashMap<>();
            for (Map.Entry<String, Node> e : uf.entrySet()) {
                String v = c.scalar(e.getValue(), path + ".upstream." + e.getKey());
                if (v == null) {
                    continue;
                }
                if (v.isBlank()) {
                    c.problem(e.getValue(), path + ".upstream." + e.getKey() + ": empty value");
                    continue;
                }
                settings.put(UpstreamSpec.FIELDS.get(e.getKey()), v.trim());
            }
            if (uf.isEmpty()) {
                c.problem(up, path + ".upstream: names no identity (fields: " + allowed + ")");
            } else if (!settings.isEmpty()) {
                upstream = new UpstreamSpec(settings, c.at(up) + ": " + path + ".upstream");
            }
        }
        return new Role(name, Set.copyOf(groups), Set.copyOf(appRoles), rules, selector, upstream);
    }

    /** Walks the node tree, collecting problems with their positions. */
    private record Checker(String where, List<String> problems, List<String> warnings) {
        String at(Node n) {
            Mark m = n.getStartMark();
            return where + ":" + (m.getLine() + 1) + ":" + (m.getColumn() + 1);
        }

        void problem(Node n, String what) {
            problems.add(at(n) + ": " + what);
        }

        void warning(Node n, String what) {
            warnings.add(at(n) + ": " + what);
        }

        MappingNode mapping(Node n, String path) {
            if (n instanceof MappingNode m) {
                return m;
            }
            problem(n, path + ": expected a mapping (key: value lines)");
            return null;
        }

        Map<String, Node> fields(Node n, String path, List<String> allowed) {
            Map<String, Node> out = new LinkedHashMap<>();
            for (NodeTuple t : ((MappingNode) n).getValue()) {
                String k = scalar(t.getKeyNode(), path);
                if (k == null) {
                    continue;
                }
                if (out.containsKey(k)) {
                    problem(t.getKeyNode(), path + ": field '" + k + "' appears twice");
                    continue;
                }
                if (!allowed.contains(k)) {
                    problem(t.getKeyNode(), path + ": unknown field '" + k + "' (allowed: " + allowed + ")");
                    continue;
                }
                out.put(k, t.getValueNode());
            }
            return out;
        }

        String scalar(Node n, String path) {
            if (n instanceof ScalarNode s) {
                return s.getValue();
            }
            problem(n, path + ": expected a single value");
            return null;
        }

        List<String> strings(Node n, String path) {
            List<String> out = new ArrayList<>();
            if (n == null) {
                return out;
            }
            if (n instanceof ScalarNode s) {
                if (!s.getValue().isBlank()) {
                    out.add(s.getValue().trim());
                }
                return out;
            }
            if (!(n instanceof SequenceNode seq)) {
                problem(n, path + ": expected a list of values");
                return out;
            }
            for (Node item : seq.getValue()) {
                String v = scalar(item, path + "[]");
                if (v != null && !v.isBlank()) {
                    out.add(v.trim());
                } else if (v != null) {
                    problem(item, path + ": empty value");
                }
            }
            return out;
        }
    }

    public Path source() {
        return source;
    }

    public CommandTable table() {
        return table;
    }

    public List<Role> roles() {
        return roles;
    }

    /** What loads but looks wrong ({@code file:line:column: field: what}), logged by {@link #load}. */
    public List<String> warnings() {
        return warnings;
    }

    /** Every group named by a role (lower case): the memberships worth asking the directory about. */
    public Set<String> groupsOfInterest() {
        Set<String> s = new LinkedHashSet<>();
        for (Role r : roles) {
            s.addAll(r.groups());
        }
        return Set.copyOf(s);
    }

    /** Every app role named by a role. */
    public Set<String> appRolesOfInterest() {
        Set<String> s = new LinkedHashSet<>();
        for (Role r : roles) {
            s.addAll(r.appRoles());
        }
        return Set.copyOf(s);
    }

    /** The roles matching a principal's groups (any case) and app roles, in file order. */
    public List<Role> matching(Set<String> groups, Set<String> appRoles) {
        Set<String> g = new LinkedHashSet<>();
        for (String x : groups) {
            g.add(x.toLowerCase(Locale.ROOT));
        }
        List<Role> out = new ArrayList<>();
        for (Role r : roles) {
            boolean match = false;
            for (String x : r.groups()) {
                if (g.contains(x)) {
                    match = true;
                    break;
                }
            }
            if (!match) {
                for (String x : r.appRoles()) {
                    if (appRoles.contains(x)) {
                        match = true;
                        break;
                    }
                }
            }
            if (match) {
                out.add(r);
            }
        }
        return out;
    }

    public List<Role> matching(Principal p) {
        return matching(p.groups(), p.roles());
    }

    /** The distinct upstream identities the roles name. */
    public Set<UpstreamSpec> upstreams() {
        Set<UpstreamSpec> s = new LinkedHashSet<>();
        for (Role r : roles) {
            if (r.upstream() != null) {
                s.add(r.upstream());
            }
        }
        return s;
    }

    /** The union of the matching roles' permissions (shared per role set), or {@code null} when no role matches. */
    public Permissions permissionsFor(Principal p) {
        List<Role> matched = matching(p);
        if (matched.isEmpty()) {
            return null;
        }
        Set<String> names = new LinkedHashSet<>();
        for (Role r : matched) {
            names.add(r.name());
        }
        return cache.computeIfAbsent(Set.copyOf(names), k -> {
            List<AclSelector> selectors = new ArrayList<>();
            for (Role r : matched) {
                selectors.add(r.selector());
            }
            return new Permissions(table, selectors);
        });
    }
}
