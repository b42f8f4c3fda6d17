package io.github.redisentra.cli;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.MsalUserTokenSource;
import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.gateway.config.HostPort;
import io.github.redisentra.gateway.tls.TrustMaterial;
import io.github.redisentra.gateway.upstream.UpstreamEndpoint;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(
        name = "connect",
        mixinStandardHelpOptions = true,
        description = {
            "Listen on 127.0.0.1:6390 and forward each local connection over TLS to the gateway (--gateway) or"
                    + " straight to an Azure cache (--cache) as the signed-in user: AUTH <oid> <token>, again at"
                    + " every renewal (never inside MULTI; RESP2 subscribers are moved to a new connection"
                    + " make-before-break). Point any Redis client at it; an AUTH or HELLO it sends is answered"
                    + " here and never forwarded. Runs until Ctrl-C.",
            "",
            "  redis-entra connect --gateway redis-gw.example.com:6388 --scope api://<gateway app>/.default",
            "  redis-entra connect --cache mycache.redis.cache.windows.net:6380",
            "  redis-cli -p 6390 -a local        (any password unless --local-password is set)"
        })
final class ConnectCommand implements Callable<Integer> {
    static final String DEFAULT_LISTEN = "127.0.0.1:6390";

    @ParentCommand
    RedisEntraCommand root;

    @Mixin
    SignInOptions signIn;

    @ArgGroup(multiplicity = "1")
    Target target;

    static final class Target {
        @Option(
                names = "--gateway",
                paramLabel = "HOST:PORT",
                required = true,
                description = "The redis-entra gateway (TLS listener), e.g. redis-gw.example.com:6388.")
        String gateway;

        @Option(
                names = "--cache",
                paramLabel = "HOST:PORT",
                required = true,
                description = "An Azure cache (Entra authentication), e.g. mycache.redis.cache.windows.net:6380.")
        String cache;
    }

    @Option(
            names = "--scope",
            paramLabel = "SCOPE",
            description = "Scope of the user's token: with --gateway its API (api://<gateway app>/.default, required);"
                    + " with --cache " + SignInOptions.REDIS_SCOPE + " (the default).")
    String scope;

    @Option(
            names = "--listen",
            paramLabel = "HOST:PORT",
            defaultValue = DEFAULT_LISTEN,
            description = "Local address (default " + DEFAULT_LISTEN + "; port 0: any free port). Loopback only,"
                    + " unless --allow-remote and a local password are given.")
    String listen;

    @Option(
            names = "--allow-remote",
            description = "Allow a non-loopback --listen address (requires --local-password): anyone who can reach"
                    + " it and knows the password acts as you.")
    boolean allowRemote;

    @Option(
            names = "--local-password",
            paramLabel = "PASSWORD",
            description = "Password local clients must send (AUTH); prefer REDIS_ENTRA_LOCAL_PASSWORD or the config"
                    + " file, a flag is visible in the process list.")
    String localPassword;

    @Option(
            names = "--upstream-ca-file",
            paramLabel = "PEM",
            description = "Extra CA certificates to trust for the gateway or cache (e.g. the gateway's private CA).")
    Path upstreamCaFile;

    @Option(
            names = "--upstream-server-name",
            paramLabel = "NAME",
            description = "Name to verify the upstream certificate against and send as SNI (default: its host).")
    String upstreamServerName;

    @Option(
            names = "--connect-timeout",
            paramLabel = "DURATION",
            defaultValue = "PT10S",
            description = "Connect plus TLS handshake timeout (ISO-8601, default PT10S).")
    Duration connectTimeout;

    @Override
    public Integer call() throws Exception {
        Cli cli = root.cli;
        UpstreamCheck.Kind kind = target.gateway != null ? UpstreamCheck.Kind.GATEWAY : UpstreamCheck.Kind.CACHE;
        HostPort upstream = hostPort(
                kind == UpstreamCheck.Kind.GATEWAY ? "--gateway" : "--cache",
                kind == UpstreamCheck.Kind.GATEWAY ? target.gateway : target.cache);
        if (upstream.port() == 0) {
            throw new CliException(CliException.USAGE, "the upstream port must not be 0");
        }
        String tokenScope = scope;
        if (tokenScope == null || tokenScope.isBlank()) {
            if (kind == UpstreamCheck.Kind.GATEWAY) {
                throw new CliException(
                        CliException.USAGE,
                        "--gateway needs --scope, the gateway's API: api://<gateway app>/.default (or "
                                + Settings.envName("--scope") + ", scope= in the config file)");
            }
            tokenScope = SignInOptions.REDIS_SCOPE;
        }
        InetSocketAddress listenAddress = listenAddress();
        String password = localPassword == null || localPassword.isEmpty() ? null : localPassword;

        MsalUserTokenSource source = signIn.source(cli, tokenScope, MsalUserTokenSource.SignInMode.DEVICE_CODE);
        if (!source.isSignedIn()) {
            throw new CliException(
                    CliException.SIGN_IN_REQUIRED,
                    "not signed in (client " + signIn.clientId + ", tenant " + signIn.tenant + "): run `redis-entra"
                            + " login`");
        }
        AccessToken first = signIn.silentToken(source, false);
        String user = source.redisUsername(first);
        String account = source.accountName().orElse(user);
        String serverName = upstreamServerName != null ? upstreamServerName : upstream.host();

        SSLContext probeTls;
        SslContext tls;
        try {
            TrustMaterial trust = TrustMaterial.load(Optional.ofNullable(upstreamCaFile));
            probeTls = trust.sslContext();
            tls = trust.nettyClient();
        } catch (GeneralSecurityException | IOException e) {
            throw new CliException(
                    CliException.USAGE, "cannot read --upstream-ca-file " + upstreamCaFile + ": " + e.getMessage());
        }
        UpstreamCheck.check(
                kind,
                upstream.host(),
                upstream.port(),
                serverName,
                probeTls,
                connectTimeout,
                user,
                account,
                first.secret());

        TokenRefresher refresher = TokenRefresher.builder(source)
                .name("redis-entra connect")
                .policy(cli.refreshPolicy != null ? cli.refreshPolicy : Tunnel.refreshPolicy())
                .build();
        AccessToken current;
        try {
            current = refresher.firstToken().get(60, TimeUnit.SECONDS);
        } catch (TimeoutException | ExecutionException e) {
            refresher.close();
            throw new CliException(
                    CliException.FAILED,
                    "no token within 60 s: "
                            + Optional.ofNullable(refresher.status().lastFailureMessage())
                                    .orElse(e.toString()));
        }
        Tunnel tunnel;
        try {
            tunnel = Tunnel.start(
                    listenAddress,
                    new UpstreamEndpoint(upstream.host(), upstream.port(), tls, serverName, connectTimeout),
                    refresher,
                    current,
                    account,
                    password);
        } catch (Exception e) {
            refresher.close();
            throw new CliException(CliException.FAILED, "cannot listen on " + listen + ": " + e.getMessage(), e);
        }
        if (cli.shutdownHook) {
            Runtime.getRuntime().addShutdownHook(new Thread(tunnel::close, "redis-entra-connect-shutdown"));
        }
        InetSocketAddress bound = tunnel.localAddress();
        cli.err.println("redis-entra: listening on " + bound.getHostString() + ":" + bound.getPort() + " as "
                + account + " (" + user + ") -> " + kind.words + " " + upstream.host() + ":" + upstream.port()
                + "; point any Redis client at it"
                + (password == null ? " (AUTH with any password)" : " (AUTH with the local password)")
                + ". Ctrl-C stops.");
        cli.err.flush();
        cli.onListening.accept(tunnel);
        tunnel.awaitClose();
        return 0;
    }

    private static HostPort hostPort(String option, String value) throws CliException {
        try {
            return HostPort.parse(option, value);
        } catch (IllegalArgumentException e) {
            throw new CliException(CliException.USAGE, e.getMessage());
        }
    }

    /** The listen address, refused unless loopback or explicitly allowed with a local password. */
    InetSocketAddress listenAddress() throws CliException {
        HostPort hp = hostPort("--listen", listen);
        if (!hp.isLoopback() && (!allowRemote || localPassword == null || localPassword.isEmpty())) {
            throw new CliException(
                    CliException.USAGE,
                    "refusing to listen on " + listen + ", which is not a loopback address: anyone reaching it"
                            + " would act as you. Add --allow-remote and a local password"
                            + " (REDIS_ENTRA_LOCAL_PASSWORD or --local-password) if you mean it.");
        }
        return hp.toSocketAddress();
    }
}
