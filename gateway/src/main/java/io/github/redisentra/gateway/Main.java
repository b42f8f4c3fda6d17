package io.github.redisentra.gateway;

import io.github.redisentra.gateway.config.ConfigException;
import io.github.redisentra.gateway.config.EnvFile;
import io.github.redisentra.gateway.config.GatewayConfig;
import io.github.redisentra.gateway.config.LogSettings;
import io.github.redisentra.gateway.config.Setting;
import io.github.redisentra.gateway.logging.AsyncLogAppender;
import java.io.PrintStream;
import java.time.Clock;
import java.util.Map;

/**
 * {@code java -jar redis-entra-gateway.jar [--help | --check-config | --env-example]}.
 *
 * <p>No logger is touched before the configuration is read: {@code LOG_FORMAT} decides how logback is set up.
 * Settings come from the environment (and {@code -D} properties) over an optional {@code .env} file
 * ({@link EnvFile}).
 */
public final class Main {
    /** How long the exit waits for queued log lines to be written. */
    private static final java.time.Duration LOG_DRAIN = java.time.Duration.ofSeconds(2);

    private Main() {}

    public static void main(String[] args) {
        // Before any Netty class is loaded; only here, not in run(): the in-process tests keep their own level.
        NettyDefaults.applyLeakDetectionDefault(System.getProperties());
        int status = run(args, GatewayConfig.environment(), System.out, System.err, RespListenerWiring::start);
        AsyncLogAppender.drainAll(LOG_DRAIN);
        System.exit(status);
    }

    /**
     * Runs the gateway's command line; returns the exit status (or blocks while the gateway serves).
     *
     * @param server starts the RESP listener for a normal run
     */
    static int run(
            String[] args,
            Map<String, String> env,
            PrintStream out,
            PrintStream err,
            GatewayRuntime.RespListenerFactory server) {
        boolean check = false;
        for (String a : args) {
            switch (a) {
                case "--help", "-h" -> {
                    out.print(help());
                    return 0;
                }
                case "--check-config" -> check = true;
                case "--env-example" -> {
                    out.print(EnvFile.example());
                    return 0;
                }
                default -> {
                    err.println("unknown argument \"" + a + "\"; use --help, --check-config or --env-example");
                    return 2;
                }
            }
        }
        GatewaySetup setup;
        EnvFile.Loaded loaded;
        try {
            loaded = EnvFile.apply(env);
            loaded.warnings().forEach(err::println);
            setup = GatewaySetup.read(loaded.environment());
        } catch (ConfigException e) {
            err.println(e.getMessage());
            err.println("(java -jar redis-entra-gateway.jar --help lists every setting)");
            return 2;
        }
        LogSettings log = setup.config().log();
        System.setProperty("redisentra.log.format", log.format().name().toLowerCase(java.util.Locale.ROOT));
        System.setProperty("redisentra.log.level", log.level());
        if (check) {
            System.setProperty("redisentra.log.level", "WARN");
            return ConfigCheck.run(setup, out, Clock.systemUTC());
        }
        if (loaded.file() != null) {
            org.slf4j.LoggerFactory.getLogger(Main.class)
                    .info("settings read from {} (the process environment wins over it)", loaded.file());
        }
        try {
            GatewayRuntime runtime = GatewayRuntime.create(setup, Clock.systemUTC());
            Runtime.getRuntime()
                    .addShutdownHook(new Thread(
                            () -> {
                                runtime.shutdown();
                                AsyncLogAppender.drainAll(LOG_DRAIN); // logging is asynchronous: write the last lines
                            },
                            "gateway-shutdown"));
            runtime.start(server);
            Thread.currentThread().join();
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        } catch (Exception e) {
            err.println("the gateway could not start: " + e.getMessage());
            return 1;
        }
    }

    static String help() {
        StringBuilder sb = new StringBuilder();
        sb.append("redis-entra gateway: admits Redis clients by Entra ID group or app role and forwards them to the\n")
                .append("cache as its own identity.\n\n")
                .append("usage: java -jar redis-entra-gateway.jar [--check-config | --env-example | --help]\n")
                .append("  --check-config  validate the configuration, read the tenant's metadata and signing keys,\n")
                .append("                  get an upstream token, connect upstream once; exit non-zero on a problem\n")
                .append("  --env-example   print a .env file with every setting commented out (see ENV_FILE)\n")
                .append("  --help          this text\n\n")
                .append("Settings (environment variables; -DNAME=value overrides):\n\n");
        int width = 0;
        for (Setting s : Setting.values()) {
            width = Math.max(width, s.key().length());
        }
        for (Setting s : Setting.values()) {
            sb.append("  ")
                    .append(s.key())
                    .append(" ".repeat(width - s.key().length() + 2))
                    .append(s.meaning());
            sb.append('\n').append(" ".repeat(width + 4));
            sb.append(s.defaultValue().map(d -> "default: " + d).orElse("no default"));
            sb.append("; example: ").append(s.example()).append('\n');
        }
        return sb.toString();
    }
}
