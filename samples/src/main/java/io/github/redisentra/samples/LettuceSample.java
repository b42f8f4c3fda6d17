package io.github.redisentra.samples;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.MsalUserTokenSource;
import io.github.redisentra.core.ReauthenticationListener;
import io.github.redisentra.core.TokenListener;
import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.lettuce.EntraCredentialsProvider;
import io.github.redisentra.lettuce.EntraLettuce;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SslOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.event.connection.DisconnectedEvent;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import reactor.core.Disposable;

/**
 * Lettuce through the redis-entra gateway: a user signs in with the device-code flow (MSAL, through core's {@link
 * MsalUserTokenSource}), Lettuce sends the user's token as the Redis password, and re-authenticates its connections
 * (the pub/sub one included) whenever the token renews.
 *
 * <pre>
 * java -cp samples/target/redis-entra-samples.jar io.github.redisentra.samples.LettuceSample [--name value]...
 * </pre>
 *
 * Settings: {@link SampleSettings}. {@code --hold 5m} keeps the connections open afterwards, pinging every two
 * seconds, to watch renewals and re-authentication happen.
 */
public final class LettuceSample {
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);
    static final String CHANNEL = "demo:news";

    /** What the run showed; the demo checks it. */
    public record Outcome(
            String objectId,
            boolean stringsWorked,
            boolean messageReceived,
            int renewals,
            int reauthenticationsAfterRenewal,
            int reauthenticationFailures,
            int disconnects,
            boolean outlivedFirstToken) {}

    private LettuceSample() {}

    public static void main(String[] args) throws Exception {
        SampleLogging.init();
        if (args.length == 1 && ("--help".equals(args[0]) || "-h".equals(args[0]))) {
            System.out.print(SampleSettings.usage(LettuceSample.class.getName()));
            return;
        }
        SampleSettings settings;
        try {
            settings = SampleSettings.from(args, System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        // The device-code instructions go to stderr (MsalUserTokenSource's default prompt).
        Outcome o;
        try {
            o = run(settings, b -> {}, System.out);
        } catch (Exception e) {
            System.err.println("the Lettuce sample failed: " + e);
            System.exit(1);
            return;
        }
        System.exit(o.stringsWorked() && o.messageReceived() ? 0 : 1);
    }

    /**
     * Signs in, runs strings and pub/sub through the configured endpoint, then holds the connections for {@link
     * SampleSettings#hold()}.
     *
     * @param signIn adjusts the sign-in (the demo approves the device code through the emulator)
     */
    public static Outcome run(SampleSettings settings, Consumer<MsalUserTokenSource.Builder> signIn, PrintStream out)
            throws Exception {
        MsalUserTokenSource.Builder builder = settings.signIn().signInMode(MsalUserTokenSource.SignInMode.DEVICE_CODE);
        signIn.accept(builder);
        MsalUserTokenSource source = builder.build();
        AccessToken first = source.signIn();
        String oid = first.objectId().orElse("?");
        out.println("signed in (device code) as " + source.accountName().orElse("?") + ", oid " + oid
                + ", token sha256=" + first.fingerprint() + " expires " + TIME.format(first.expiresAt()));

        // One refresher per process: it renews the token before expiry; the provider streams each renewal to Lettuce.
        AtomicInteger renewals = new AtomicInteger();
        AtomicReference<Instant> firstRenewal = new AtomicReference<>();
        AtomicInteger reauthAfterRenewal = new AtomicInteger();
        AtomicInteger reauthFailures = new AtomicInteger();
        AtomicInteger disconnects = new AtomicInteger();
        try (TokenRefresher refresher =
                        TokenRefresher.builder(source).name("lettuce-sample").build();
                EntraCredentialsProvider credentials = EntraCredentialsProvider.create(refresher)) {
            AccessToken current = refresher.firstToken().get(60, TimeUnit.SECONDS);
            Instant firstExpiry = current.expiresAt();
            AutoCloseable renewalWatch = refresher.subscribe(new TokenListener() {
                private volatile String last = current.fingerprint();

                @Override
                public void onToken(AccessToken token) {
                    if (!token.fingerprint().equals(last)) {
                        last = token.fingerprint();
                        renewals.incrementAndGet();
                        firstRenewal.compareAndSet(null, Instant.now());
                        out.println("token renewed: sha256=" + token.fingerprint() + " expires "
                                + TIME.format(token.expiresAt()));
                    }
                }

                @Override
                public void onRefreshFailure(Throwable error, int consecutiveFailures, Instant nextAttempt) {
                    out.println("token renewal failed (" + consecutiveFailures + " in a row), retrying at "
                            + TIME.format(nextAttempt) + ": " + error.getMessage());
                }
            });

            RedisURI uri = RedisURI.builder()
                    .withHost(settings.redisHost())
                    .withPort(settings.redisPort())
                    .withSsl(settings.redisTls())
                    .withAuthentication(credentials)
                    .build();
            RedisClient client = EntraLettuce.configure(RedisClient.create(uri));
            if (settings.redisTls() && settings.redisCaFile().isPresent()) {
                client.setOptions(EntraLettuce.clientOptions(ClientOptions.builder()
                        .sslOptions(SslOptions.builder()
                                .trustManager(settings.redisCaFile().get().toFile())
                                .build())
                        .build()));
            }
            AutoCloseable reauthWatch = EntraLettuce.watchReauthentication(client, new ReauthenticationListener() {
                @Override
                public void onReauthenticated(String endpointId, String tokenFingerprint) {
                    if (firstRenewal.get() != null) {
                        reauthAfterRenewal.incrementAndGet();
                        out.println("connection re-authenticated in place with the renewed token (AUTH, no reconnect)");
                    }
                }

                @Override
                public void onReauthenticationFailed(String endpointId, Throwable cause) {
                    reauthFailures.incrementAndGet();
                    out.println("re-authentication FAILED: " + cause);
                }
            });
            Disposable disconnectWatch = client.getResources().eventBus().get().subscribe(e -> {
                if (e instanceof DisconnectedEvent) {
                    disconnects.incrementAndGet();
                }
            });
            boolean strings;
            boolean message;
            boolean outlived = false;
            int reconnects;
            try (StatefulRedisConnection<String, String> connection = client.connect();
                    StatefulRedisPubSubConnection<String, String> pubsub = client.connectPubSub()) {
                RedisCommands<String, String> redis = connection.sync();
                redis.set("sample:lettuce:greeting", "hello from Lettuce");
                String got = redis.get("sample:lettuce:greeting");
                long visits = redis.incr("sample:lettuce:visits");
                strings = "hello from Lettuce".equals(got);
                out.println("strings: SET/GET sample:lettuce:greeting -> \"" + got
                        + "\", INCR sample:lettuce:visits -> " + visits);

                CompletableFuture<String> received = new CompletableFuture<>();
                pubsub.addListener(new RedisPubSubAdapter<>() {
                    @Override
                    public void message(String channel, String msg) {
                        received.complete(channel + ": " + msg);
                    }
                });
                pubsub.sync().subscribe(CHANNEL);
                long receivers = redis.publish(CHANNEL, "hello subscribers");
                String delivered = received.get(10, TimeUnit.SECONDS);
                message = delivered.equals(CHANNEL + ": hello subscribers");
                out.println("pub/sub: PUBLISH " + CHANNEL + " reached " + receivers + " subscriber(s); received \""
                        + delivered + "\"");

                if (!settings.hold().isZero()) {
                    out.println("holding the connections for " + settings.hold().toSeconds()
                            + " s (PING every 2 s) while the token renews");
                    Instant until = Instant.now().plus(settings.hold());
                    while (Instant.now().isBefore(until)) {
                        redis.ping();
                        pubsub.sync().ping();
                        TimeUnit.SECONDS.sleep(2); // pacing the pings, not waiting for a condition
                    }
                    redis.set("sample:lettuce:after-hold", "ok");
                    outlived = Instant.now().isAfter(firstExpiry);
                    out.println("still serving at " + TIME.format(Instant.now()) + ", after the first token expired at "
                            + TIME.format(firstExpiry) + ": renewals " + renewals.get()
                            + ", re-authentications " + reauthAfterRenewal.get() + ", reconnects " + disconnects.get());
                }
                // Read before the connections close: closing them is a disconnect too.
                reconnects = disconnects.get();
            } finally {
                disconnectWatch.dispose();
                reauthWatch.close();
                renewalWatch.close();
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
            return new Outcome(
                    oid,
                    strings,
                    message,
                    renewals.get(),
                    reauthAfterRenewal.get(),
                    reauthFailures.get(),
                    reconnects,
                    outlived);
        }
    }
}
