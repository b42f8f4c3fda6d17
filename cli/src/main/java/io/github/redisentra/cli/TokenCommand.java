package io.github.redisentra.cli;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.MsalUserTokenSource;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(
        name = "token",
        mixinStandardHelpOptions = true,
        description = {
            "Print an access token of the signed-in user on standard output, for scripts; the one command that prints"
                    + " a token. Nothing else is written to standard output.",
            "",
            "  Gateway:  REDISCLI_AUTH=\"$(redis-entra token --scope api://<gateway app>/.default)\" redis-cli -p 6388",
            "            (or redis-cli -a \"$(redis-entra token ...)\": AUTH <token> as user default, which the"
                    + " gateway accepts)",
            "  Azure cache (needs the user name, the token's object id):",
            "            REDISCLI_AUTH=\"$(redis-entra token)\" redis-cli --tls -h <cache> -p 6380"
                    + " --user \"$(redis-entra token --username)\""
        })
final class TokenCommand implements Callable<Integer> {
    @ParentCommand
    RedisEntraCommand root;

    @Mixin
    SignInOptions signIn;

    @Option(
            names = "--scope",
            paramLabel = "SCOPE",
            defaultValue = SignInOptions.REDIS_SCOPE,
            description = "Scope of the token (default: " + SignInOptions.REDIS_SCOPE + ", an Azure cache; the"
                    + " gateway: api://<gateway app>/.default).")
    String scope;

    @Option(
            names = "--force-refresh",
            description = "Get a new token from the identity provider instead of a cached one.")
    boolean forceRefresh;

    @Option(
            names = "--username",
            description = "Print the Redis user name for the token (its object id, oid) instead of the token.")
    boolean username;

    @Override
    public Integer call() throws CliException {
        MsalUserTokenSource source = signIn.source(root.cli, scope, MsalUserTokenSource.SignInMode.DEVICE_CODE);
        AccessToken token = signIn.silentToken(source, forceRefresh);
        if (username) {
            root.cli.out.println(source.redisUsername(token));
        } else {
            root.cli.out.println(token.secret());
        }
        root.cli.out.flush();
        return 0;
    }
}
