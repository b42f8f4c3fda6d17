package io.github.redisentra.cli;

import java.io.PrintWriter;
import picocli.CommandLine;

/** Entry point of {@code redis-entra} (the shaded jar's main class; the launcher script runs it). */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        if (System.getProperty("logback.configurationFile") == null) {
            // Not the gateway's JSON logging: warnings on stderr, stdout stays for `token`.
            System.setProperty("logback.configurationFile", "io/github/redisentra/cli/logback.xml");
        }
        System.exit(run(Cli.system(), args));
    }

    /** Runs one command line and returns its exit code (see {@link CliException} for the codes). */
    static int run(Cli cli, String... args) {
        PrintWriter err = new PrintWriter(cli.err, true);
        Settings settings;
        try {
            settings = Settings.load(cli, args);
        } catch (CliException e) {
            err.println("redis-entra: " + e.getMessage());
            return e.exitCode();
        }
        CommandLine cl = new CommandLine(new RedisEntraCommand(cli, settings));
        cl.setDefaultValueProvider(settings);
        cl.setOut(new PrintWriter(cli.out, true));
        cl.setErr(err);
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            if (e instanceof CliException ce) {
                err.println("redis-entra: " + ce.getMessage());
                return ce.exitCode();
            }
            // Unexpected: the type and message, not a stack trace (a message never holds a token).
            err.println("redis-entra: " + e);
            return CliException.FAILED;
        });
        return cl.execute(args);
    }
}
