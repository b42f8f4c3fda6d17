package io.github.redisentra.cli;

import com.microsoft.aad.msal4j.DeviceCode;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * {@code redis-entra} run inside another JVM, as the local demo does: the same command lines, settings from the given
 * environment (not this process's), and the person's part (entering a device code) handed to the caller. Not an API
 * for applications: they use the client modules.
 */
public final class EmbeddedCli {
    private final Map<String, String> env;
    private final PrintStream out;
    private final PrintStream err;
    private final Path home;
    private final Consumer<DeviceCode> deviceCode;

    /**
     * @param env the {@code REDIS_ENTRA_*} settings (nothing is read from this process's environment)
     * @param out the command's standard output ({@code token} writes a token there: keep it from any transcript)
     * @param err the command's standard error (status lines, device-code instructions)
     * @param home the home directory (default cache and config locations below it)
     * @param deviceCode called after the device-code instructions were printed, e.g. to approve them at an emulator
     */
    public EmbeddedCli(
            Map<String, String> env, PrintStream out, PrintStream err, Path home, Consumer<DeviceCode> deviceCode) {
        this.env = Map.copyOf(env);
        this.out = out;
        this.err = err;
        this.home = home;
        this.deviceCode = deviceCode;
    }

    /** Runs one command line ({@code login}, {@code token}, {@code status}, {@code logout}); returns its exit code. */
    public int run(String... args) {
        return Main.run(cli(), args);
    }

    /**
     * Starts {@code connect} with {@code args} (after {@code connect}) and returns once it listens; fails with the
     * command's exit code and standard error when it ends instead.
     */
    public Connected connect(Duration startTimeout, String... args) throws Exception {
        CompletableFuture<Tunnel> listening = new CompletableFuture<>();
        Cli cli = cli();
        cli.onListening = listening::complete;
        List<String> all = new ArrayList<>(List.of("connect"));
        all.addAll(List.of(args));
        CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> Main.run(cli, all.toArray(String[]::new)));
        CompletableFuture.anyOf(listening, run).get(startTimeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!listening.isDone()) {
            throw new IllegalStateException("redis-entra connect ended with exit code " + run.get());
        }
        return new Connected(listening.get(), run);
    }

    private Cli cli() {
        Cli cli = new Cli(env, out, err, home);
        cli.deviceCodeObserver = deviceCode;
        return cli;
    }

    /** A running {@code connect}; {@link #close()} stops it as Ctrl-C would. */
    public static final class Connected implements AutoCloseable {
        private final Tunnel tunnel;
        private final CompletableFuture<Integer> run;

        private Connected(Tunnel tunnel, CompletableFuture<Integer> run) {
            this.tunnel = tunnel;
            this.run = run;
        }

        /** Where local clients connect. */
        public InetSocketAddress localAddress() {
            return tunnel.localAddress();
        }

        /** Stops listening, closes every connection and returns the command's exit code. */
        public int stop() throws InterruptedException, ExecutionException, TimeoutException {
            tunnel.close();
            return run.get(30, TimeUnit.SECONDS);
        }

        @Override
        public void close() throws Exception {
            if (!run.isDone()) {
                stop();
            }
        }
    }
}
