package io.github.redisentra.samples;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.MsalUserTokenSource;
import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.jedis.EntraJedis;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Jedis through the redis-entra gateway: a user signs in interactively in the browser (MSAL, through core's {@link
 * MsalUserTokenSource}), and a pooled Jedis client serves several threads with the user's token, each pooled
 * connection re-authenticated as the token renews.
 *
 * <pre>
 * java -cp samples/target/redis-entra-samples.jar io.github.redisentra.samples.JedisSample [--name value]...
 * </pre>
 *
 * Settings: {@link SampleSettings}. MSAL opens the system browser and receives the answer on a loopback port
 * ({@code http://localhost}); on a machine without a browser use the Lettuce sample's device code instead.
 */
public final class JedisSample {
    static final int THREADS = 4;
    static final int INCREMENTS_PER_THREAD = 25;

    /**
     * What the run showed; the demo checks it.
     *
     * @param refusal the server's error when it refused the user (e.g. {@code WRONGPASS ...}), else empty
     */
    public record Outcome(
            String objectId, boolean worked, long counter, int pooledConnections, Optional<String> refusal) {}

    private JedisSample() {}

    public static void main(String[] args) throws Exception {
        SampleLogging.init();
        if (args.length == 1 && ("--help".equals(args[0]) || "-h".equals(args[0]))) {
            System.out.print(SampleSettings.usage(JedisSample.class.getName()));
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
        Outcome o;
        try {
            o = run(settings, b -> {}, System.out);
        } catch (Exception e) {
            System.err.println("the Jedis sample failed: " + e);
            System.exit(1);
            return;
        }
        System.exit(o.worked() ? 0 : 1);
    }

    /**
     * Signs in with the browser, then runs {@value #THREADS} threads of INCRs over one pooled client.
     *
     * @param signIn adjusts the sign-in (the demo scripts the browser through the emulator)
     */
    public static Outcome run(SampleSettings settings, Consumer<MsalUserTokenSource.Builder> signIn, PrintStream out)
            throws Exception {
        MsalUserTokenSource.Builder builder =
                settings.signIn().signInMode(MsalUserTokenSource.SignInMode.INTERACTIVE_BROWSER);
        signIn.accept(builder);
        MsalUserTokenSource source = builder.build();
        AccessToken first = source.signIn();
        String oid = first.objectId().orElse("?");
        out.println("signed in (browser) as " + source.accountName().orElse("?") + ", oid " + oid + ", token sha256="
                + first.fingerprint());

        DefaultJedisClientConfig.Builder config =
                DefaultJedisClientConfig.builder().ssl(settings.redisTls());
        settings.redisTrust().ifPresent(ctx -> config.sslSocketFactory(ctx.getSocketFactory()));
        try (TokenRefresher refresher =
                        TokenRefresher.builder(source).name("jedis-sample").build();
                RedisClient redis = EntraJedis.builder(refresher)
                        .hostAndPort(new HostAndPort(settings.redisHost(), settings.redisPort()))
                        .clientConfig(config.build())
                        .build()) {
            String key = "sample:jedis:counter";
            try {
                redis.del(key);
            } catch (JedisException e) {
                Optional<String> refusal = serverError(e);
                out.println("refused: " + refusal.orElse(String.valueOf(e)));
                return new Outcome(oid, false, 0, 0, refusal);
            }
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            try {
                List<Future<?>> work = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    work.add(pool.submit(() -> {
                        for (int i = 0; i < INCREMENTS_PER_THREAD; i++) {
                            redis.incr(key);
                        }
                    }));
                }
                for (Future<?> f : work) {
                    f.get(30, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            long counter = Long.parseLong(redis.get(key));
            int connections = EntraJedis.openConnections(redis);
            out.println("pooled client: " + THREADS + " threads x " + INCREMENTS_PER_THREAD + " INCR " + key + " -> "
                    + counter + " over " + connections + " pooled connection(s)");
            return new Outcome(
                    oid, counter == (long) THREADS * INCREMENTS_PER_THREAD, counter, connections, Optional.empty());
        }
    }

    /** The Redis error reply in the cause chain ({@code WRONGPASS ...}), never a credential. */
    static Optional<String> serverError(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && (m.startsWith("WRONGPASS") || m.startsWith("NOAUTH") || m.startsWith("NOPERM"))) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }
}
