package io.github.redisentra.bench;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.emulator.Endpoint;
import io.github.redisentra.jedis.EntraJedis;
import io.github.redisentra.lettuce.EntraCredentialsProvider;
import io.github.redisentra.lettuce.EntraLettuce;
import io.github.redisentra.testkit.EmulatedAzure;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SslOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import redis.clients.authentication.core.IdentityProviderConfig;
import redis.clients.authentication.core.SimpleToken;
import redis.clients.authentication.core.TokenAuthConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.authentication.AuthXManager;

/**
 * Clients through token renewals under load, against the project's Entra ID emulator and a TLS redis-server stand-in
 * that accepts only the identity's current tokens and cuts a connection when its token expires (as Azure does).
 *
 * <p>For each client setup, {@code threads} threads run SET+GET on their own connection (Lettuce) or through the
 * pool (Jedis) for {@code seconds}, while tokens of {@code lifetimeSeconds} are renewed. Reported per setup: commands
 * run and failed, latency p50/p99/max of commands started within 1 s after a renewal vs all others (the renewal's
 * added latency), renewals seen, and token-endpoint calls per token lifetime for the whole process.
 *
 * <ul>
 *   <li>{@code lettuce}: redis-entra-lettuce ({@link EntraCredentialsProvider}, live re-AUTH on new credentials);
 *   <li>{@code jedis}: redis-entra-jedis ({@link EntraJedis});
 *   <li>{@code jedis-authx}: Jedis's own {@link AuthXManager} on redis-authx-core 0.2.0, configured as Jedis's docs
 *       show ({@code EntraIDTokenAuthConfigBuilder}'s documented defaults: refresh ratio 0.75, lower bound 2 min,
 *       request timeout 1 s, 5 attempts 100 ms apart) with the lower bound scaled to the short bench token
 *       (2 min of a 60 min token → the same fraction of {@code lifetimeSeconds}); its identity provider asks MSAL
 *       silently, as redis-authx-entraid's provider does.
 * </ul>
 *
 * <p>Usage: {@code java -cp bench/jmh/target/benchmarks.jar io.github.redisentra.bench.ClientRenewalBench
 * [seconds=60] [lifetimeSeconds=20] [threads=4] [setups=lettuce,jedis,jedis-authx]}
 */
public final class ClientRenewalBench {
    private static final long WINDOW_NANOS = 1_000_000_000L;

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 60;
        int lifetimeSeconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        List<String> setups = Arrays.asList((args.length > 3 ? args[3] : "lettuce,jedis,jedis-authx").split(","));
        System.out.printf(
                "client renewal bench: %d s per setup, tokens of %d s, %d threads, %d cores%n%n",
                seconds, lifetimeSeconds, threads, Runtime.getRuntime().availableProcessors());
        System.out.println("| setup | SET+GET pairs | failed | connections cut at expiry | renewals"
                + " | p50 / p99 / max ms (≤ 1 s after a renewal) | p50 / p99 / max ms (other)"
                + " | token-endpoint calls per token lifetime |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        try (EmulatedAzure azure = new EmulatedAzure()) {
            for (String setup : setups) {
                System.out.println(run(azure, setup.trim(), seconds, lifetimeSeconds, threads));
            }
        }
    }

    interface Ops extends AutoCloseable {
        void setGet(int thread, String key) throws Exception;
    }

    static String run(EmulatedAzure azure, String setup, int seconds, int lifetimeSeconds, int threads)
            throws Exception {
        Duration lifetime = Duration.ofSeconds(lifetimeSeconds);
        EmulatedAzure.Identity id = azure.signIn(lifetime);
        ConcurrentLinkedQueue<Long> renewals = new ConcurrentLinkedQueue<>();
        List<AutoCloseable> cleanup = new ArrayList<>();
        cleanup.add(id);
        try {
            Ops ops;
            HostAndPort hp = new HostAndPort(azure.redis.host(), id.cache.tlsPort());
            switch (setup) {
                case "lettuce" -> {
                    id.refresher.subscribe(t -> renewals.add(System.nanoTime()));
                    EntraCredentialsProvider provider = EntraCredentialsProvider.create(id.refresher);
                    cleanup.add(provider);
                    io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create(RedisURI.builder()
                            .withHost(azure.redis.host())
                            .withPort(id.cache.tlsPort())
                            .withSsl(true)
                            .withTimeout(Duration.ofSeconds(20))
                            .withAuthentication(provider)
                            .build());
                    client.setOptions(EntraLettuce.clientOptions(ClientOptions.builder()
                            .sslOptions(SslOptions.builder()
                                    .trustManager(azure.redis.caFile().toFile())
                                    .build())
                            .build()));
                    cleanup.add(client::shutdown);
                    List<RedisCommands<String, String>> conns = new ArrayList<>();
                    for (int i = 0; i < threads; i++) {
                        StatefulRedisConnection<String, String> c = client.connect();
                        cleanup.add(c);
                        conns.add(c.sync());
                    }
                    ops = new Ops() {
                        @Override
                        public void setGet(int thread, String key) {
                            conns.get(thread).set(key, "v");
                            check(conns.get(thread).get(key));
                        }

                        @Override
                        public void close() {}
                    };
                }
                case "jedis" -> {
                    id.refresher.subscribe(t -> renewals.add(System.nanoTime()));
                    RedisClient client = EntraJedis.builder(id.refresher)
                            .hostAndPort(hp)
                            .clientConfig(DefaultJedisClientConfig.builder()
                                    .ssl(true)
                                    .sslSocketFactory(
                                            azure.redis.trustingSslContext().getSocketFactory())
                                    .socketTimeoutMillis(20_000)
                                    .build())
                            .build();
                    cleanup.add(client);
                    ops = jedisOps(client);
                }
                case "jedis-authx" -> {
                    id.refresher.close(); // this setup renews with AuthXManager instead
                    AtomicLong providerCalls = new AtomicLong();
                    IdentityProviderConfig idp = () -> () -> {
                        providerCalls.incrementAndGet();
                        try {
                            AccessToken t = id.source.getToken(false); // MSAL silent, like redis-authx-entraid
                            renewals.add(System.nanoTime());
                            return new SimpleToken(
                                    t.objectId().orElseThrow(),
                                    t.secret(),
                                    t.expiresAt().toEpochMilli(),
                                    System.currentTimeMillis(),
                                    Map.of("oid", t.objectId().orElseThrow()));
                        } catch (Exception e) {
                            throw new IllegalStateException(e.getClass().getSimpleName(), e);
                        }
                    };
                    int lowerBoundMillis = (int) (120_000L * lifetimeSeconds / 3600);
                    TokenAuthConfig config = new TokenAuthConfig.Builder<>()
                            .expirationRefreshRatio(0.75f)
                            .lowerRefreshBoundMillis(lowerBoundMillis)
                            .tokenRequestExecTimeoutInMs(1000)
                            .maxAttemptsToRetry(5)
                            .delayInMsToRetry(100)
                            .identityProviderConfig(idp)
                            .build();
                    AuthXManager manager = new AuthXManager(config);
                    RedisClient client = RedisClient.builder()
                            .hostAndPort(hp)
                            .clientConfig(DefaultJedisClientConfig.builder()
                                    .ssl(true)
                                    .sslSocketFactory(
                                            azure.redis.trustingSslContext().getSocketFactory())
                                    .socketTimeoutMillis(20_000)
                                    .protocol(RedisProtocol.RESP3)
                                    .authXManager(manager)
                                    .build())
                            .build();
                    cleanup.add(client);
                    ops = jedisOps(client);
                }
                default -> throw new IllegalArgumentException("unknown setup " + setup);
            }
            return measure(azure, id, setup, ops, renewals, seconds, lifetime, threads);
        } finally {
            for (int i = cleanup.size() - 1; i >= 0; i--) {
                try {
                    cleanup.get(i).close();
                } catch (Exception e) {
                    System.err.println("close: " + e);
                }
            }
        }
    }

    static Ops jedisOps(RedisClient client) {
        return new Ops() {
            @Override
            public void setGet(int thread, String key) {
                client.set(key, "v");
                check(client.get(key));
            }

            @Override
            public void close() {}
        };
    }

    static void check(String v) {
        if (!"v".equals(v)) {
            throw new IllegalStateException("unexpected reply " + v);
        }
    }

    static String measure(
            EmulatedAzure azure,
            EmulatedAzure.Identity id,
            String setup,
            Ops ops,
            ConcurrentLinkedQueue<Long> renewals,
            int seconds,
            Duration lifetime,
            int threads)
            throws Exception {
        ops.setGet(0, "warm"); // connected and authenticated before the clock starts
        renewals.clear();
        long calls0 = azure.emu.requestCount(Endpoint.TOKEN);
        long cut0 = id.cache.connectionsCut();
        Instant start = Instant.now();
        long startNanos = System.nanoTime();
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong failed = new AtomicLong();
        List<long[]> starts = new ArrayList<>();
        List<long[]> durations = new ArrayList<>();
        int[] counts = new int[threads];
        int cap = 2_000_000;
        CountDownLatch done = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            long[] s = new long[cap];
            long[] d = new long[cap];
            starts.add(s);
            durations.add(d);
            int thread = t;
            Thread worker = new Thread(() -> {
                int n = 0;
                String key = "renewal:" + thread;
                while (running.get() && n < cap) {
                    long t0 = System.nanoTime();
                    try {
                        ops.setGet(thread, key);
                    } catch (Exception e) {
                        failed.incrementAndGet();
                    }
                    s[n] = t0;
                    d[n] = System.nanoTime() - t0;
                    n++;
                }
                counts[thread] = n;
                done.countDown();
            });
            worker.setDaemon(true);
            worker.start();
        }
        Thread.sleep(seconds * 1000L); // the measured run: load for a fixed time
        running.set(false);
        done.await();
        Duration elapsed = Duration.between(start, Instant.now());
        long calls = azure.emu.requestCount(Endpoint.TOKEN) - calls0;
        long cut = id.cache.connectionsCut() - cut0;
        long[] renewalTimes = renewals.stream()
                .mapToLong(Long::longValue)
                .filter(r -> r >= startNanos)
                .toArray();
        List<Long> near = new ArrayList<>();
        List<Long> other = new ArrayList<>();
        long total = 0;
        for (int t = 0; t < threads; t++) {
            for (int i = 0; i < counts[t]; i++) {
                long s0 = starts.get(t)[i];
                boolean isNear = false;
                for (long r : renewalTimes) {
                    if (s0 >= r && s0 - r <= WINDOW_NANOS) {
                        isNear = true;
                        break;
                    }
                }
                (isNear ? near : other).add(durations.get(t)[i]);
                total++;
            }
        }
        double perLifetime = calls * (double) lifetime.toMillis() / elapsed.toMillis();
        return String.format(
                Locale.ROOT,
                "| %s | %d | %d | %d | %d | %s | %s | %.2f (%d calls in %.0f s) |",
                setup,
                total,
                failed.get(),
                cut,
                renewalTimes.length,
                percentiles(near),
                percentiles(other),
                perLifetime,
                calls,
                elapsed.toMillis() / 1000.0);
    }

    static String percentiles(List<Long> nanos) {
        if (nanos.isEmpty()) {
            return "–";
        }
        long[] a = nanos.stream().mapToLong(Long::longValue).sorted().toArray();
        return String.format(
                Locale.ROOT,
                "%.2f / %.2f / %.1f (n=%d)",
                a[a.length / 2] / 1e6,
                a[(int) Math.min(a.length - 1, Math.ceil(a.length * 0.99) - 1)] / 1e6,
                a[a.length - 1] / 1e6,
                a.length);
    }

    private ClientRenewalBench() {}
}
