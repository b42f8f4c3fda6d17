package io.github.redisentra.cli;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.MsalUserTokenSource;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(
        name = "status",
        mixinStandardHelpOptions = true,
        description = {
            "Who is signed in: account, object id, tenant, and until when a token for the scope is valid (never the"
                    + " token). Exit code 3 when nobody is signed in or the sign-in expired."
        })
final class StatusCommand implements Callable<Integer> {
    @ParentCommand
    RedisEntraCommand root;

    @Mixin
    SignInOptions signIn;

    @Option(
            names = "--scope",
            paramLabel = "SCOPE",
            defaultValue = SignInOptions.REDIS_SCOPE,
            description = "Scope whose token is checked (default: " + SignInOptions.REDIS_SCOPE + ").")
    String scope;

    @Override
    public Integer call() throws CliException {
        Cli cli = root.cli;
        MsalUserTokenSource source = signIn.source(cli, scope, MsalUserTokenSource.SignInMode.DEVICE_CODE);
        if (!source.isSignedIn()) {
            throw new CliException(
                    CliException.SIGN_IN_REQUIRED,
                    "not signed in (client " + signIn.clientId + ", tenant " + signIn.tenant + ", cache "
                            + signIn.cacheDirectory(cli) + "): run `redis-entra login`");
        }
        cli.out.println("Account:   " + source.accountName().orElse("?"));
        cli.out.println("Authority: " + signIn.authority() + " (client " + signIn.clientId + ")");
        cli.out.println("Cache:     " + signIn.cacheDirectory(cli));
        AccessToken token = signIn.silentToken(source, false);
        cli.out.println("Object id: " + token.objectId().orElse("?") + " (the Redis user name)");
        cli.out.println("Tenant:    " + token.tenantId().orElse("?"));
        Duration left = Duration.between(Instant.now(), token.expiresAt());
        cli.out.println("Token:     " + scope + " valid until " + token.expiresAt() + " ("
                + Math.max(0, left.toMinutes()) + " min; renewed silently from the cached sign-in)");
        return 0;
    }
}
