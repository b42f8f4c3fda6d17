package io.github.redisentra.cli;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.MsalUserTokenSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(
        name = "login",
        mixinStandardHelpOptions = true,
        description = {
            "Sign in once, by device code (default: open the printed URL on any device and enter the code) or in the"
                    + " browser (--browser). The sign-in is kept in the persistent token cache (OS-protected store),"
                    + " so later commands need no prompt until the refresh token expires."
        })
final class LoginCommand implements Callable<Integer> {
    @ParentCommand
    RedisEntraCommand root;

    @Mixin
    SignInOptions signIn;

    @Option(
            names = "--scope",
            paramLabel = "SCOPE",
            defaultValue = SignInOptions.REDIS_SCOPE,
            description = "Scope of the first token (default: " + SignInOptions.REDIS_SCOPE + "); `token` and"
                    + " `connect` get tokens for other scopes with the same sign-in.")
    String scope;

    @Option(names = "--browser", description = "Sign in in the system browser instead of by device code.")
    boolean browser;

    @Option(
            names = "--timeout",
            paramLabel = "DURATION",
            defaultValue = "PT15M",
            description = "How long to wait for the user (ISO-8601, default PT15M).")
    Duration timeout;

    @Override
    public Integer call() throws CliException {
        Cli cli = root.cli;
        MsalUserTokenSource source = signIn.source(
                cli,
                scope,
                browser
                        ? MsalUserTokenSource.SignInMode.INTERACTIVE_BROWSER
                        : MsalUserTokenSource.SignInMode.DEVICE_CODE);
        AccessToken token;
        try {
            token = source.signIn();
        } catch (TimeoutException e) {
            throw new CliException(CliException.FAILED, "sign-in not finished in time: " + e.getMessage());
        } catch (IOException e) {
            throw new CliException(
                    CliException.FAILED, "sign-in at " + signIn.authority() + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(CliException.FAILED, "interrupted");
        }
        cli.out.println("Signed in as " + source.accountName().orElse("?") + " (object id "
                + token.objectId().orElse("?") + ", tenant " + token.tenantId().orElse(signIn.tenant) + ").");
        Path cache = signIn.cacheDirectory(cli);
        boolean unprotected = Files.isRegularFile(cache.resolve("msal-" + signIn.clientId.strip() + ".cache.json"));
        cli.out.println("Sign-in kept in " + cache
                + (unprotected
                        ? " as an owner-only file, NOT encrypted (no OS-protected store here; --allow-unprotected-cache)."
                        : " (OS-protected store)."));
        return 0;
    }
}
