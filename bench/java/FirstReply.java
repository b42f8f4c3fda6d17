import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * Time to first reply of a new connection (issue #19): for each of N rounds and each TARGET in turn (alternated, so a
 * load change on the machine touches every target alike), opens a new TCP connection to 127.0.0.1, does a full TLS
 * handshake when the target is TLS (a fresh client SSL context each time: no session resumption, as a new client
 * process), sends {@code AUTH USER <secret>} and waits for {@code +OK}, sends {@code PING} and waits for
 * {@code +PONG}, and closes. The time measured runs from before the connect to the PONG. Between two connections it
 * pauses PAUSE_MS (new connections arrive one at a time, as sessions of a service do, not as a storm). The first
 * WARMUP rounds are not counted (JIT of this client).
 *
 * <p>Prints one line per target: {@code first-reply<TAB>LABEL<TAB>N<TAB>p50_us<TAB>p90_us<TAB>p99_us<TAB>auth_p50_us},
 * never a secret. Usage: {@code java bench/java/FirstReply.java N WARMUP PAUSE_MS CA_FILE TARGET...} with TARGET
 * {@code label,port,tls(0|1),user,secret_file}. User {@code -}: no AUTH, the PING's reply (whatever it is) ends the
 * measurement, and the "AUTH reply" column is the connect + TLS handshake alone.
 */
public final class FirstReply {
    record Target(String label, int port, boolean tls, String user, String secret) {}

    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println("usage: FirstReply N WARMUP PAUSE_MS CA_FILE label,port,tls,user,secret_file...");
            System.exit(2);
        }
        int n = Integer.parseInt(args[0]);
        int warmup = Integer.parseInt(args[1]);
        long pauseMs = Long.parseLong(args[2]);
        TrustManagerFactory trust = trust(Path.of(args[3]));
        List<Target> targets = new ArrayList<>();
        for (int i = 4; i < args.length; i++) {
            String[] f = args[i].split(",", 5);
            targets.add(new Target(
                    f[0], Integer.parseInt(f[1]), f[2].equals("1"), f[3], Files.readString(Path.of(f[4])).trim()));
        }
        List<List<Long>> total = new ArrayList<>();
        List<List<Long>> auth = new ArrayList<>();
        for (Target t : targets) {
            total.add(new ArrayList<>());
            auth.add(new ArrayList<>());
        }
        int failures = 0;
        for (int r = -warmup; r < n; r++) {
            for (int t = 0; t < targets.size(); t++) {
                Target target = targets.get(t);
                SSLContext tls = null;
                if (target.tls()) {
                    tls = SSLContext.getInstance("TLS");
                    tls.init(null, trust.getTrustManagers(), null); // fresh: no session to resume
                }
                byte[] authCmd = resp("AUTH", target.user(), target.secret());
                long[] times;
                try {
                    times = once(target, tls, authCmd);
                } catch (IOException e) {
                    failures++;
                    System.err.println("first-reply: " + target.label() + " failed: " + e.getMessage());
                    if (failures > 20) {
                        throw e;
                    }
                    continue; // not counted; the round goes on
                }
                if (r >= 0) {
                    auth.get(t).add(times[0]);
                    total.get(t).add(times[1]);
                }
                Thread.sleep(pauseMs);
            }
        }
        for (int t = 0; t < targets.size(); t++) {
            long[] a = total.get(t).stream().mapToLong(Long::longValue).sorted().toArray();
            long[] b = auth.get(t).stream().mapToLong(Long::longValue).sorted().toArray();
            System.out.printf(
                    "first-reply\t%s\t%d\t%d\t%d\t%d\t%d%n",
                    targets.get(t).label(), a.length, pct(a, 50), pct(a, 90), pct(a, 99), pct(b, 50));
        }
    }

    /** One new connection: microseconds to the AUTH reply and to the PING reply. */
    static long[] once(Target t, SSLContext tls, byte[] authCmd) throws IOException {
        long t0 = System.nanoTime();
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.setSoTimeout(15_000);
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), t.port()), 5_000);
            if (tls != null) {
                SSLSocket ssl = (SSLSocket) tls.getSocketFactory().createSocket(s, "localhost", t.port(), true);
                SSLParameters p = ssl.getSSLParameters();
                p.setServerNames(List.of(new SNIHostName("localhost")));
                p.setEndpointIdentificationAlgorithm("HTTPS");
                ssl.setSSLParameters(p);
                ssl.startHandshake();
                s = ssl;
            }
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            boolean signIn = !t.user().equals("-");
            if (signIn) {
                out.write(authCmd);
                out.flush();
                expect(in, "+OK");
            }
            long t1 = System.nanoTime();
            out.write("*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            expect(in, signIn ? "+PONG" : null);
            long t2 = System.nanoTime();
            return new long[] {(t1 - t0) / 1000, (t2 - t0) / 1000};
        } finally {
            s.close();
        }
    }

    static void expect(InputStream in, String want) throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            if (c != '\r') {
                line.append((char) c);
            }
        }
        if (want != null && !line.toString().equals(want)) {
            String got = line.length() > 80 ? line.substring(0, 80) : line.toString();
            throw new IOException("expected " + want + ", got \"" + got + "\"");
        }
    }

    static long pct(long[] sorted, int p) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    static TrustManagerFactory trust(Path caFile) throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        ks.setCertificateEntry(
                "ca",
                CertificateFactory.getInstance("X.509")
                        .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(caFile))));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        return tmf;
    }

    static byte[] resp(String... args) {
        StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
        for (String a : args) {
            sb.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }
}
