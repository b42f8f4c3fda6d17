package io.github.redisentra.gateway.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A {@code .env} file under the environment: {@code ENV_FILE} names it, else {@code ./.env} is read when present.
 * Every name the environment (or a {@code -D} property) already has keeps its value there: the file only fills in.
 *
 * <p>Syntax, the one {@code docker run --env-file} reads plus what dotenv files commonly add: one {@code NAME=value}
 * per line, an optional {@code export } before the name, blank lines and lines starting with {@code #} ignored, the
 * value taken to the end of the line with surrounding blanks trimmed and one pair of matching surrounding quotes
 * ({@code "…"} or {@code '…'}) removed; no escapes, no inline comments, no variable expansion. A bare {@code NAME}
 * (docker's "take it from the host") changes nothing. A malformed line fails the start; its content is not echoed,
 * since values may be secrets.
 */
public final class EnvFile {
    /** The default file, relative to the working directory, read only when it exists. */
    public static final Path DEFAULT = Path.of(".env");

    private static final Pattern LINE =
            Pattern.compile("(?:export\\s+)?([A-Za-z_][A-Za-z0-9_]*)\\s*(?:=(.*))?", Pattern.DOTALL);
    private static final Set<String> KNOWN =
            Setting.all().stream().map(Setting::key).collect(Collectors.toUnmodifiableSet());

    /**
     * The result of reading the file.
     *
     * @param environment the environment with the file's values filled in
     * @param file the file read, or {@code null} when none was
     * @param warnings lines naming no gateway setting (ignored, probably typos)
     */
    public record Loaded(Map<String, String> environment, Path file, List<String> warnings) {}

    private EnvFile() {}

    /** Reads {@code ENV_FILE} (or {@code ./.env} when present) under {@code environment}. */
    public static Loaded apply(Map<String, String> environment) throws ConfigException {
        String named = environment.get(Setting.ENV_FILE.key());
        Path file;
        if (named != null && !named.isBlank()) {
            file = Path.of(named.trim());
            if (!Files.isRegularFile(file)) {
                throw new ConfigException(List.of("ENV_FILE names \"" + file + "\", which is not a readable file"));
            }
        } else if (Files.isRegularFile(DEFAULT)) {
            file = DEFAULT;
        } else {
            return new Loaded(environment, null, List.of());
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException(List.of("cannot read ENV_FILE \"" + file + "\": " + e.getMessage()));
        }
        Map<String, String> fromFile = new HashMap<>();
        List<String> warnings = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (i == 0 && line.startsWith("\uFEFF")) {
                line = line.substring(1).strip();
            }
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            Matcher m = LINE.matcher(line);
            String where = file + ":" + (i + 1);
            if (!m.matches()) {
                problems.add(where + " is not a NAME=value line (comments start with #)");
                continue;
            }
            String name = m.group(1);
            if (!KNOWN.contains(name)) {
                warnings.add(where + ": " + name + " is not a gateway setting (ignored; --help lists them)");
            }
            if (m.group(2) != null) {
                fromFile.put(name, unquote(m.group(2).strip()));
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        Map<String, String> merged = new HashMap<>(fromFile);
        merged.putAll(environment); // the process environment wins
        return new Loaded(Map.copyOf(merged), file, List.copyOf(warnings));
    }

    private static String unquote(String v) {
        if (v.length() >= 2 && (v.charAt(0) == '"' || v.charAt(0) == '\'') && v.charAt(v.length() - 1) == v.charAt(0)) {
            return v.substring(1, v.length() - 1);
        }
        return v;
    }

    /**
     * The {@code .env.example} the project ships: every setting, commented out, with its meaning and default
     * ({@code EnvFileTest} keeps the file equal to this).
     */
    public static String example() {
        StringBuilder sb = new StringBuilder();
        sb.append("# redis-entra gateway settings. Copy to .env (read from the working directory when present) or\n")
                .append("# point ENV_FILE at a copy, then uncomment what you need. The process environment and\n")
                .append("# -DNAME=value properties win over the file. One NAME=value per line; quotes around a value\n")
                .append("# are removed; no inline comments. Reference: README.md, \"Configuration reference\".\n")
                .append(
                        "# Generated from Setting.java (java -jar redis-entra-gateway.jar --env-example); EnvFileTest checks it.\n");
        for (Setting s : Setting.values()) {
            sb.append('\n');
            for (String line : wrap(s.meaning()
                    + s.defaultValue().map(d -> " (default: " + d + ")").orElse(""))) {
                sb.append("# ").append(line).append('\n');
            }
            sb.append('#').append(s.key()).append('=').append(s.example()).append('\n');
        }
        return sb.toString();
    }

    private static List<String> wrap(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.split(" ")) {
            if (line.length() > 0 && line.length() + 1 + word.length() > 110) {
                out.add(line.toString());
                line.setLength(0);
            }
            if (line.length() > 0) {
                line.append(' ');
            }
            line.append(word);
        }
        out.add(line.toString());
        return out;
    }
}
