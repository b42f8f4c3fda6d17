package io.github.redisentra.cli;

import io.github.redisentra.core.MsalUserTokenSource;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

@Command(
        name = "logout",
        mixinStandardHelpOptions = true,
        description = "Remove the signed-in account and its tokens from the persistent token cache.")
final class LogoutCommand implements Callable<Integer> {
    @ParentCommand
    RedisEntraCommand root;

    @Mixin
    SignInOptions signIn;

    @Override
    public Integer call() throws CliException {
        Cli cli = root.cli;
        MsalUserTokenSource source =
                signIn.source(cli, SignInOptions.REDIS_SCOPE, MsalUserTokenSource.SignInMode.DEVICE_CODE);
        Optional<String> account = source.accountName();
        try {
            source.signOut();
        } catch (IOException e) {
            throw new CliException(CliException.FAILED, e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(CliException.FAILED, "interrupted");
        }
        cli.out.println(account.map(a -> "Signed out " + a + ".").orElse("Nobody was signed in."));
        return 0;
    }
}
