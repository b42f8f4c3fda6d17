package io.github.redisentra.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The packages of the gateway's main sources form no dependency cycle: the graph is computed from the sources (every
 * import and every fully qualified name outside comments and string literals), and a cycle fails the test with the
 * cycle and the files that make each of its edges.
 */
class PackageCyclesTest {
    static final String BASE = "io.github.redisentra.gateway";
    static final Path SOURCES = Path.of("src/main/java/io/github/redisentra/gateway");
    static final Pattern REFERENCE =
            Pattern.compile("\\b" + Pattern.quote(BASE) + "((?:\\.[a-z_][a-z0-9_]*)*)\\.[A-Z]");

    @Test
    void gatewayPackagesFormNoCycle() throws IOException {
        Map<String, Map<String, Set<String>>> graph = graph();
        assertThat(graph).as("packages found").containsKeys(BASE, BASE + ".config", BASE + ".session");
        List<String> cycle = findCycle(graph);
        assertThat(cycle)
                .as("package dependency cycle %s, through %s", String.join(" -> ", cycle), edges(graph, cycle))
                .isEmpty();
    }

    @Test
    void aCycleIsFoundAndNamed() {
        Map<String, Map<String, Set<String>>> g = new TreeMap<>();
        g.computeIfAbsent("a", k -> new TreeMap<>()).put("b", Set.of("A.java"));
        g.computeIfAbsent("b", k -> new TreeMap<>()).put("c", Set.of("B.java"));
        g.computeIfAbsent("c", k -> new TreeMap<>()).put("a", Set.of("C.java"));
        g.computeIfAbsent("d", k -> new TreeMap<>()).put("a", Set.of("D.java"));
        assertThat(findCycle(g)).containsExactly("a", "b", "c", "a");
        g.get("c").remove("a");
        assertThat(findCycle(g)).isEmpty();
        assertThat(packagesReferenced("import " + BASE + ".config.GatewayConfig;\n// " + BASE + ".acl.X\n"
                        + "String s = \"" + BASE + ".auth.Y\"; " + BASE + ".upstream.Z z;"))
                .containsExactly(BASE + ".config", BASE + ".upstream");
    }

    /** package → package it uses → the files (of the first package) that use it. */
    static Map<String, Map<String, Set<String>>> graph() throws IOException {
        Map<String, Map<String, Set<String>>> graph = new TreeMap<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String pkg = BASE + packageSuffix(SOURCES.relativize(f.getParent()));
                Map<String, Set<String>> out = graph.computeIfAbsent(pkg, k -> new TreeMap<>());
                for (String used : packagesReferenced(read(f))) {
                    if (!used.equals(pkg)) {
                        out.computeIfAbsent(used, k -> new TreeSet<>())
                                .add(SOURCES.relativize(f).toString());
                    }
                }
            }
        }
        return graph;
    }

    private static String packageSuffix(Path dir) {
        String s = dir.toString().replace('\\', '/').replace('/', '.');
        return s.isEmpty() ? "" : "." + s;
    }

    private static String read(Path f) {
        try {
            return Files.readString(f);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The gateway packages named in {@code source}'s code (comments and string literals skipped). */
    static Set<String> packagesReferenced(String source) {
        Set<String> out = new TreeSet<>();
        Matcher m = REFERENCE.matcher(codeOnly(source));
        while (m.find()) {
            out.add(BASE + m.group(1));
        }
        return out;
    }

    /** {@code source} with comments, string literals (text blocks too) and char literals blanked. */
    static String codeOnly(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (s.startsWith("//", i)) {
                int end = s.indexOf('\n', i);
                i = end < 0 ? s.length() : end;
            } else if (s.startsWith("/*", i)) {
                int end = s.indexOf("*/", i + 2);
                i = end < 0 ? s.length() : end + 2;
                sb.append(' ');
            } else if (s.startsWith("\"\"\"", i)) {
                int end = s.indexOf("\"\"\"", i + 3);
                while (end > 0 && s.charAt(end - 1) == '\\') {
                    end = s.indexOf("\"\"\"", end + 1);
                }
                i = end < 0 ? s.length() : end + 3;
                sb.append("\"\"");
            } else if (c == '"' || c == '\'') {
                int j = i + 1;
                while (j < s.length() && s.charAt(j) != c) {
                    j += s.charAt(j) == '\\' ? 2 : 1;
                }
                i = j + 1;
                sb.append(c).append(c);
            } else {
                sb.append(c);
                i++;
            }
        }
        return sb.toString();
    }

    /** One cycle as its packages, first repeated at the end; empty when there is none. */
    static List<String> findCycle(Map<String, Map<String, Set<String>>> graph) {
        Map<String, Integer> state = new TreeMap<>(); // 1 on the path, 2 done
        for (String start : graph.keySet()) {
            List<String> path = new ArrayList<>();
            List<String> cycle = visit(start, graph, state, path);
            if (!cycle.isEmpty()) {
                return cycle;
            }
        }
        return List.of();
    }

    private static List<String> visit(
            String p, Map<String, Map<String, Set<String>>> graph, Map<String, Integer> state, List<String> path) {
        Integer st = state.get(p);
        if (st != null && st == 2) {
            return List.of();
        }
        if (st != null && st == 1) {
            List<String> cycle = new ArrayList<>(path.subList(path.indexOf(p), path.size()));
            cycle.add(p);
            return cycle;
        }
        state.put(p, 1);
        path.add(p);
        for (String q : graph.getOrDefault(p, Map.of()).keySet()) {
            List<String> cycle = visit(q, graph, state, path);
            if (!cycle.isEmpty()) {
                return cycle;
            }
        }
        path.remove(path.size() - 1);
        state.put(p, 2);
        return List.of();
    }

    private static String edges(Map<String, Map<String, Set<String>>> graph, List<String> cycle) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i + 1 < cycle.size(); i++) {
            out.add(cycle.get(i) + " -> " + cycle.get(i + 1) + " in "
                    + graph.get(cycle.get(i)).get(cycle.get(i + 1)));
        }
        return String.join("; ", out);
    }
}
