package io.github.redisentra.cli;

import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The top command: only sub-commands and the shared {@code --config}. */
@Command(
        name = "redis-entra",
        mixinStandardHelpOptions = true,
        versionProvider = RedisEntraCommand.Version.class,
        subcommands = {
            LoginCommand.class,
            TokenCommand.class,
            StatusCommand.class,
            LogoutCommand.class,
            ConnectCommand.class,
            CommandLine.HelpCommand.class
        },
        description = {
            "Sign in with Microsoft Entra ID and reach Redis as yourself: through the redis-entra gateway or straight"
                    + " to an Azure cache, from any Redis client.",
            "",
            "Settings: a flag, else the environment variable REDIS_ENTRA_<FLAG> (--client-id: REDIS_ENTRA_CLIENT_ID),"
                    + " else <flag>=<value> in the config file (--config, $REDIS_ENTRA_CONFIG, default"
                    + " ~/.config/redis-entra/config.properties)."
        },
        footer = {
            "",
            "Exit codes: 0 ok, 1 failed, 2 usage, 3 sign-in required (run `redis-entra login`), 4 gateway or cache"
                    + " unreachable or refused the user."
        })
final class RedisEntraCommand implements Runnable {
    final Cli cli;
    final Settings settings;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(
            names = "--config",
            paramLabel = "FILE",
            scope = CommandLine.ScopeType.INHERIT,
            description = "Config file (properties: client-id=..., tenant=...).")
    Path config;

    RedisEntraCommand(Cli cli, Settings settings) {
        this.cli = cli;
        this.settings = settings;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = RedisEntraCommand.class.getPackage().getImplementationVersion();
            return new String[] {"redis-entra " + (v == null ? "(development build)" : v)};
        }
    }
}
