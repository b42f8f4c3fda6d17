import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Opens COUNT plaintext connections to HOST:PORT on loopback, authenticates each one with
 * {@code AUTH USER <secret from SECRET_FILE>} (a JWT for the gateway, a password elsewhere) (expects {@code +OK}), then holds them idle until SIGTERM.
 * Used by bench/run to measure the gateway's memory per idle authenticated connection. Prints
 * {@code idle-clients: ready OK FAILED SECONDS} once every connection is authenticated (or failed), never the
 * token. Bounded: at most {@code DEADLINE_SECONDS} for the whole ramp-up.
 * Usage: {@code java bench/java/IdleClients.java HOST PORT COUNT USER TOKEN_FILE [THREADS] [DEADLINE_SECONDS]}
 */
public final class IdleClients {
    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println("usage: IdleClients HOST PORT COUNT USER TOKEN_FILE [THREADS] [DEADLINE_SECONDS]");
            System.exit(2);
        }
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        int count = Integer.parseInt(args[2]);
        String user = args[3];
        String token = Files.readString(Path.of(args[4])).trim();
        int threads = args.length > 5 ? Integer.parseInt(args[5]) : 16;
        long deadlineSeconds = args.length > 6 ? Long.parseLong(args[6]) : 180;
        if (!host.equals("127.0.0.1") && !host.equals("localhost") && !host.equals("::1")) {
            throw new IllegalArgumentException("loopback only, got host " + host);
        }
        byte[] auth = resp("AUTH", user, token);
        List<Socket> open = Collections.synchronizedList(new ArrayList<>(count));
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicInteger firstErrorShown = new AtomicInteger();
        long start = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        for (int i = 0; i < count; i++) {
            pool.execute(() -> {
                Socket s = new Socket();
                try {
                    s.connect(new InetSocketAddress(host, port), 10_000);
                    s.setSoTimeout(30_000);
                    OutputStream out = s.getOutputStream();
                    out.write(auth);
                    out.flush();
                    String reply = readLine(s.getInputStream());
                    if (reply.equals("+OK")) {
                        open.add(s);
                        ok.incrementAndGet();
                        return;
                    }
                    if (firstErrorShown.getAndIncrement() == 0) {
                        System.err.println("idle-clients: unexpected AUTH reply: " + reply);
                    }
                } catch (Exception e) {
                    if (firstErrorShown.getAndIncrement() == 0) {
                        System.err.println("idle-clients: " + e);
                    }
                }
                failed.incrementAndGet();
                try {
                    s.close();
                } catch (Exception ignored) {
                    // already failed
                }
            });
        }
        pool.shutdown();
        boolean done = pool.awaitTermination(deadlineSeconds, TimeUnit.SECONDS);
        if (!done) {
            pool.shutdownNow();
        }
        double secs = (System.nanoTime() - start) / 1e9;
        System.out.printf("idle-clients: ready %d %d %.1f%n", ok.get(), failed.get(), secs);
        System.out.flush();
        // Hold the connections until bench/run stops us (SIGTERM; the sockets close with the process).
        new java.util.concurrent.CountDownLatch(1).await();
    }

    private static byte[] resp(String... args) {
        StringBuilder b = new StringBuilder().append('*').append(args.length).append("\r\n");
        for (String a : args) {
            b.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String readLine(InputStream in) throws Exception {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (c != '\r') {
                b.append((char) c);
            }
            if (b.length() > 200) {
                break;
            }
        }
        return b.toString();
    }
}
