package io.github.redisentra.cli;

import com.microsoft.aad.msal4j.DeviceCode;
import com.microsoft.aad.msal4j.SystemBrowserOptions;
import io.github.redisentra.core.RefreshPolicy;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * What a run of the command sees of its process: environment, standard output and error, the home directory; and,
 * for tests that run the command in their own JVM, what a person would do (approve a device code, use a browser).
 */
final class Cli {
    final Map<String, String> env;
    final PrintStream out;
    final PrintStream err;
    final Path home;
    /** Called after the device-code instructions were printed (tests approve the code through the emulator). */
    Consumer<DeviceCode> deviceCodeObserver = code -> {};
    /** MSAL's browser options for {@code login --browser}; {@code null}: the system browser. */
    SystemBrowserOptions browserOptions;
    /** Called once {@code connect} listens (tests stop it through the handle). */
    Consumer<Tunnel> onListening = tunnel -> {};
    /** {@code connect}'s renewal schedule; {@code null}: {@link Tunnel#refreshPolicy()}. */
    RefreshPolicy refreshPolicy;
    /** Whether {@code connect} closes its tunnel on JVM shutdown (Ctrl-C); only in the real process. */
    boolean shutdownHook;

    Cli(Map<String, String> env, PrintStream out, PrintStream err, Path home) {
        this.env = Map.copyOf(Objects.requireNonNull(env, "env"));
        this.out = Objects.requireNonNull(out, "out");
        this.err = Objects.requireNonNull(err, "err");
        this.home = Objects.requireNonNull(home, "home");
    }

    static Cli system() {
        Cli cli = new Cli(System.getenv(), System.out, System.err, Path.of(System.getProperty("user.home")));
        cli.shutdownHook = true;
        return cli;
    }

    /** {@code $XDG_CONFIG_HOME} or {@code ~/.config}. */
    Path configHome() {
        String xdg = env.get("XDG_CONFIG_HOME");
        return xdg != null && !xdg.isBlank() ? Path.of(xdg) : home.resolve(".config");
    }

    /** {@code $XDG_CACHE_HOME} or {@code ~/.cache}. */
    Path cacheHome() {
        String xdg = env.get("XDG_CACHE_HOME");
        return xdg != null && !xdg.isBlank() ? Path.of(xdg) : home.resolve(".cache");
    }
}
