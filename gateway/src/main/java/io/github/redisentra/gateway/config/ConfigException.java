package io.github.redisentra.gateway.config;

import java.util.List;

/** The configuration is invalid; {@link #problems()} lists every problem found, each naming the setting. */
public final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    public ConfigException(List<String> problems) {
        super(format(problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }

    private static String format(List<String> problems) {
        StringBuilder sb = new StringBuilder("invalid gateway configuration (" + problems.size() + " problem"
                + (problems.size() == 1 ? "" : "s") + "):");
        for (String p : problems) {
            sb.append("\n  - ").append(p);
        }
        return sb.toString();
    }
}
