package io.github.redisentra.gateway.acl;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * Redis's command table as the ACL engine needs it: every command and subcommand with its arity, flags, ACL
 * categories and key specs, each with a numeric id (like Redis's command ids) for the permission bit sets.
 *
 * <p>Built from the shape of Redis 7's {@code COMMAND} reply (RESP2): the built-in table {@link #builtIn()} is that
 * reply from redis-server 7.0, stored as JSON by {@code gateway/tools/gen-command-table.py}; {@link
 * #fromCommandReply} reads the same shape from a live server.
 */
public final class CommandTable {
    static final String RESOURCE = "redis-commands.json";

    /** Key spec flags, as Redis 7 names them (lower case). */
    public static final int RO = 1,
            RW = 1 << 1,
            OW = 1 << 2,
            RM = 1 << 3,
            ACCESS = 1 << 4,
            UPDATE = 1 << 5,
            INSERT = 1 << 6,
            DELETE = 1 << 7,
            NOT_KEY = 1 << 8,
            INCOMPLETE = 1 << 9,
            VARIABLE_FLAGS = 1 << 10;

    private static final List<String> KEY_FLAG_NAMES = List.of(
            "ro", "rw", "ow", "rm", "access", "update", "insert", "delete", "not_key", "incomplete", "variable_flags");

    /**
     * One key spec: where the search begins ({@code index} or {@code keyword}) and how keys are found from there
     * ({@code range} or {@code keynum}); {@code unknown} searches make the spec invalid, as in Redis.
     */
    public record KeySpec(
            int flags,
            String beginType,
            int index,
            String keyword,
            int startFrom,
            String findType,
            int lastKey,
            int keyStep,
            int limit,
            int keyNumIdx,
            int firstKey) {}

    /** One command or subcommand. */
    public static final class Spec {
        final int id;
        final String fullName;
        final int arity;
        final Set<String> flags;
        final long categories;
        final List<KeySpec> keySpecs;
        final Map<String, Spec> subcommands;
        final NameIndex subIndex;
        Spec parent;

        Spec(
                int id,
                String fullName,
                int arity,
                Set<String> flags,
                long categories,
                List<KeySpec> keySpecs,
                Map<String, Spec> subcommands) {
            this.id = id;
            this.fullName = fullName;
            this.arity = arity;
            this.flags = flags;
            this.categories = categories;
            this.keySpecs = keySpecs;
            this.subcommands = subcommands;
            this.subIndex = subcommands == null ? null : new NameIndex(subcommands);
        }

        /** The subcommand named by argument {@code i} of {@code a} (any case), or {@code null}. */
        Spec subcommand(Args a, int i) {
            return subIndex == null ? null : subIndex.get(a, i);
        }

        public int id() {
            return id;
        }

        /** {@code get}, or {@code config|get} for a subcommand. */
        public String fullName() {
            return fullName;
        }

        public int arity() {
            return arity;
        }

        public Set<String> flags() {
            return flags;
        }

        public List<KeySpec> keySpecs() {
            return keySpecs;
        }

        public Map<String, Spec> subcommands() {
            return subcommands;
        }

        public Spec parent() {
            return parent;
        }

        /** Whether any key spec names real keys (Redis's {@code doesCommandHaveKeys} for built-in commands). */
        boolean hasKeys() {
            for (int i = 0; i < keySpecs.size(); i++) { // indexed: no iterator per command (issue #19)
                KeySpec k = keySpecs.get(i);
                if ((k.flags() & NOT_KEY) == 0) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public String toString() {
            return fullName;
        }
    }

    private final String version;
    private final Map<String, Spec> commands;
    private final NameIndex index;
    private final List<Spec> all;
    private final Map<String, Long> categoryBits;

    private CommandTable(String version, Map<String, Spec> commands, List<Spec> all, Map<String, Long> categoryBits) {
        this.version = version;
        this.commands = commands;
        this.index = new NameIndex(commands);
        this.all = all;
        this.categoryBits = categoryBits;
    }

    private static volatile CommandTable builtIn;

    /** The table of redis-server 7.0 shipped with the gateway. */
    public static CommandTable builtIn() {
        CommandTable t = builtIn;
        if (t == null) {
            try (InputStream in = CommandTable.class.getResourceAsStream(RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException("resource " + RESOURCE + " missing");
                }
                Map<String, Object> doc =
                        new Yaml(new LoaderOptions()).load(new InputStreamReader(in, StandardCharsets.UTF_8));
                t = fromCommandReply((List<?>) doc.get("commands"), (String) doc.get("redis_version"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            builtIn = t;
        }
        return t;
    }

    /**
     * Reads the reply of Redis 7's {@code COMMAND} (or {@code COMMAND INFO}) as nested lists: bulk and simple
     * strings as {@link String}, integers as {@link Number}.
     *
     * @throws IllegalArgumentException when the reply does not have the Redis 7 shape (ten elements per command)
     */
    public static CommandTable fromCommandReply(List<?> reply, String version) {
        Map<String, Long> cats = new LinkedHashMap<>();
        List<Spec> all = new ArrayList<>();
        Map<String, Spec> commands = new HashMap<>();
        List<List<?>> sorted = new ArrayList<>();
        for (Object o : reply) {
            if (o != null) {
                sorted.add((List<?>) o);
            }
        }
        sorted.sort((a, b) -> ((String) a.get(0)).compareToIgnoreCase((String) b.get(0)));
        for (List<?> c : sorted) {
            Spec s = parse(c, cats, all);
            commands.put(s.fullName, s);
        }
        return new CommandTable(version, Collections.unmodifiableMap(commands), List.copyOf(all), cats);
    }

    private static Spec parse(List<?> c, Map<String, Long> cats, List<Spec> all) {
        if (c.size() < 10) {
            throw new IllegalArgumentException("COMMAND entry " + c.get(0) + " has " + c.size()
                    + " elements; Redis 7 or later is needed for key specs and subcommands");
        }
        String name = ((String) c.get(0)).toLowerCase(Locale.ROOT);
        int arity = ((Number) c.get(1)).intValue();
        Set<String> flags = new TreeSet<>();
        for (Object f : (List<?>) c.get(2)) {
            flags.add(((String) f).toLowerCase(Locale.ROOT));
        }
        long categories = 0;
        for (Object cat : (List<?>) c.get(6)) {
            String n = ((String) cat).toLowerCase(Locale.ROOT);
            if (n.startsWith("@")) {
                n = n.substring(1);
            }
            Long bit = cats.get(n);
            if (bit == null) {
                if (cats.size() >= 63) {
                    throw new IllegalArgumentException("more than 63 ACL categories");
                }
                bit = 1L << cats.size();
                cats.put(n, bit);
            }
            categories |= bit;
        }
        List<KeySpec> keySpecs = new ArrayList<>();
        for (Object ks : (List<?>) c.get(8)) {
            keySpecs.add(keySpec(map((List<?>) ks)));
        }
        Spec spec = new Spec(all.size(), name, arity, Set.copyOf(flags), categories, List.copyOf(keySpecs), null);
        all.add(spec);
        List<?> subs = (List<?>) c.get(9);
        if (subs != null && !subs.isEmpty()) {
            Map<String, Spec> subMap = new HashMap<>();
            List<List<?>> sortedSubs = new ArrayList<>();
            for (Object o : subs) {
                sortedSubs.add((List<?>) o);
            }
            sortedSubs.sort((a, b) -> ((String) a.get(0)).compareToIgnoreCase((String) b.get(0)));
            for (List<?> sc : sortedSubs) {
                Spec sub = parse(sc, cats, all);
                sub.parent = spec;
                String subName = sub.fullName.substring(sub.fullName.indexOf('|') + 1);
                subMap.put(subName, sub);
            }
            return withSubcommands(spec, subMap, all);
        }
        return spec;
    }

    private static Spec withSubcommands(Spec s, Map<String, Spec> subs, List<Spec> all) {
        Spec c = new Spec(
                s.id, s.fullName, s.arity, s.flags, s.categories, s.keySpecs, Collections.unmodifiableMap(subs));
        for (Spec sub : subs.values()) {
            sub.parent = c;
        }
        all.set(s.id, c);
        return c;
    }

    private static Map<String, Object> map(List<?> flat) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            m.put(((String) flat.get(i)).toLowerCase(Locale.ROOT), flat.get(i + 1));
        }
        return m;
    }

    private static KeySpec keySpec(Map<String, Object> m) {
        int flags = 0;
        Object fl = m.get("flags");
        if (fl instanceof List<?> l) {
            for (Object f : l) {
                int i = KEY_FLAG_NAMES.indexOf(((String) f).toLowerCase(Locale.ROOT));
                if (i >= 0) {
                    flags |= 1 << i;
                }
            }
        }
        Map<String, Object> bs = map((List<?>) m.getOrDefault("begin_search", List.of()));
        Map<String, Object> bsSpec = bs.get("spec") instanceof List<?> l ? map(l) : Map.of();
        Map<String, Object> fk = map((List<?>) m.getOrDefault("find_keys", List.of()));
        Map<String, Object> fkSpec = fk.get("spec") instanceof List<?> l ? map(l) : Map.of();
        return new KeySpec(
                flags,
                String.valueOf(bs.get("type")),
                num(bsSpec, "index"),
                bsSpec.get("keyword") instanceof String k ? k : null,
                num(bsSpec, "startfrom"),
                String.valueOf(fk.get("type")),
                num(fkSpec, "lastkey"),
                num(fkSpec, "keystep"),
                num(fkSpec, "limit"),
                num(fkSpec, "keynumidx"),
                num(fkSpec, "firstkey"));
    }

    private static int num(Map<String, Object> m, String k) {
        return m.get(k) instanceof Number n ? n.intValue() : 0;
    }

    /** The Redis version the table describes. */
    public String version() {
        return version;
    }

    /** Number of ids (commands and subcommands). */
    public int size() {
        return all.size();
    }

    public Spec byId(int id) {
        return all.get(id);
    }

    /** A top-level command by lower-case name, or {@code null}. */
    public Spec command(String lowerName) {
        return commands.get(lowerName);
    }

    /** The top-level command named by argument {@code i} of {@code a} (any case), or {@code null}. */
    Spec command(Args a, int i) {
        return index.get(a, i);
    }

    /** {@code name} or {@code name|sub} (any case), or {@code null}. */
    public Spec lookup(String fullName) {
        String n = fullName.toLowerCase(Locale.ROOT);
        int bar = n.indexOf('|');
        if (bar < 0) {
            return commands.get(n);
        }
        Spec parent = commands.get(n.substring(0, bar));
        if (parent == null || parent.subcommands == null) {
            return null;
        }
        return parent.subcommands.get(n.substring(bar + 1));
    }

    /** The bit of an ACL category (without {@code @}, lower case), or 0 when unknown. */
    public long categoryBit(String name) {
        Long b = categoryBits.get(name.toLowerCase(Locale.ROOT));
        return b == null ? 0 : b;
    }

    public Set<String> categories() {
        return Collections.unmodifiableSet(categoryBits.keySet());
    }

    /** Top-level commands, in name order. */
    public List<Spec> topLevel() {
        List<Spec> out = new ArrayList<>();
        for (Spec s : all) {
            if (s.parent == null) {
                out.add(s);
            }
        }
        return out;
    }
}
