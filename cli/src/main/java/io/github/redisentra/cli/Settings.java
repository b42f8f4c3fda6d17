package io.github.redisentra.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Where an option's value comes from when it is not on the command line: first the environment variable {@code
 * REDIS_ENTRA_<NAME>} ({@code --client-id} → {@code REDIS_ENTRA_CLIENT_ID}), then the key {@code <name>} of the
 * config file ({@code client-id=...}), then the option's built-in default. So: flag &gt; environment &gt; file &gt;
 * default. Except the one-shot switches in {@link #FLAG_ONLY}.
 *
 * <p>The config file is {@code --config FILE}, else {@code $REDIS_ENTRA_CONFIG}, else {@code
 * $XDG_CONFIG_HOME/redis-entra/config.properties} ({@code ~/.config/redis-entra/config.properties}); a missing
 * default file is no error, a missing named one is.
 */
final class Settings implements CommandLine.IDefaultValueProvider {
    static final String ENV_PREFIX = "REDIS_ENTRA_";
    /**
     * One-shot switches of a single invocation, never taken from the environment or the file (a {@code
     * REDIS_ENTRA_USERNAME} meant as a Redis user name must not turn {@code token} into printing the object id).
     */
    static final Set<String> FLAG_ONLY = Set.of("--config", "--username", "--force-refresh");

    private final Cli cli;
    private final Path file;
    private final Properties values;

    private Settings(Cli cli, Path file, Properties values) {
        this.cli = cli;
        this.file = file;
        this.values = values;
    }

    /** Reads the config file named by {@code args}, the environment or the default location. */
    static Settings load(Cli cli, String[] args) throws CliException {
        Path named = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                named = Path.of(args[i + 1]);
            } else if (args[i].startsWith("--config=")) {
                named = Path.of(args[i].substring("--config=".length()));
            }
        }
        String fromEnv = cli.env.get(ENV_PREFIX + "CONFIG");
        if (named == null && fromEnv != null && !fromEnv.isBlank()) {
            named = Path.of(fromEnv);
        }
        Path path = named != null ? named : defaultFile(cli);
        Properties p = new Properties();
        if (Files.isRegularFile(path)) {
            try (Reader r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
                p.load(r);
            } catch (IOException | IllegalArgumentException e) {
                throw new CliException(
                        CliException.USAGE, "cannot read the config file " + path + ": " + e.getMessage());
            }
        } else if (named != null) {
            throw new CliException(CliException.USAGE, "config file " + path + " not found");
        }
        return new Settings(cli, path, p);
    }

    static Path defaultFile(Cli cli) {
        return cli.configHome().resolve("redis-entra").resolve("config.properties");
    }

    /** The config file in use (it may not exist). */
    Path file() {
        return file;
    }

    /** The environment variable for an option's long name. */
    static String envName(String longName) {
        return ENV_PREFIX + key(longName).toUpperCase(Locale.ROOT).replace('-', '_');
    }

    private static String key(String longName) {
        return longName.startsWith("--") ? longName.substring(2) : longName;
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (!(arg instanceof OptionSpec option) || option.usageHelp() || option.versionHelp()) {
            return null;
        }
        String name = option.longestName();
        if (!name.startsWith("--") || FLAG_ONLY.contains(name)) {
            return null;
        }
        String v = cli.env.get(envName(name));
        if (v != null && !v.isBlank()) {
            return v.strip();
        }
        v = values.getProperty(key(name));
        if (v != null && !v.isBlank()) {
            return v.strip();
        }
        return option.defaultValue();
    }
}
