package io.github.redisentra.gateway.admin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP admin listener ({@code ADMIN_ADDR}): {@code /healthz} (the process is alive), {@code /readyz} (every
 * {@link ReadinessCheck} holds and the gateway is not draining; 503 with the problems otherwise) and {@code /metrics}
 * (Prometheus text). Runs on the JDK HTTP server with its own small thread pool, apart from the event loops.
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);

    private final HttpServer server;
    private final ExecutorService executor;
    private final AtomicBoolean draining = new AtomicBoolean();

    private AdminServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Binds {@code address} and starts serving. */
    public static AdminServer start(InetSocketAddress address, GatewayMetrics metrics, List<ReadinessCheck> checks)
            throws IOException {
        HttpServer server = HttpServer.create(address, 16);
        AtomicInteger n = new AtomicInteger();
        ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "admin-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        AdminServer admin = new AdminServer(server, executor);
        List<ReadinessCheck> all = List.copyOf(checks);
        server.createContext("/healthz", ex -> admin.respond(ex, 200, "text/plain; charset=utf-8", "ok\n"));
        server.createContext("/readyz", ex -> {
            StringBuilder body = new StringBuilder();
            boolean ready = !admin.draining.get();
            if (!ready) {
                body.append("draining: the gateway is shutting down\n");
            }
            for (ReadinessCheck c : all) {
                Optional<String> problem;
                try {
                    problem = c.problem();
                } catch (RuntimeException e) {
                    problem = Optional.of("check failed: " + e);
                }
                if (problem.isPresent()) {
                    ready = false;
                    body.append(c.name()).append(": ").append(problem.get()).append('\n');
                } else {
                    body.append(c.name()).append(": ok\n");
                }
            }
            admin.respond(
                    ex, ready ? 200 : 503, "text/plain; charset=utf-8", (ready ? "ready\n" : "not ready\n") + body);
        });
        server.createContext(
                "/metrics", ex -> admin.respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.render()));
        server.setExecutor(executor);
        server.start();
        log.info(
                "admin listener on http://{}:{}",
                server.getAddress().getHostString(),
                server.getAddress().getPort());
        return admin;
    }

    /**
     * Serves {@code path} (and everything under it) with {@code handler} on the admin executor — for the admin API,
     * whose handlers do their own authentication and method checks.
     */
    public void route(String path, com.sun.net.httpserver.HttpHandler handler) {
        server.createContext(path, handler);
    }

    /** The bound address (useful with port 0). */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    /** From now on {@code /readyz} answers 503: the gateway is draining. */
    public void markDraining() {
        draining.set(true);
    }

    private void respond(HttpExchange ex, int status, String type, String body) throws IOException {
        try (ex) {
            if (!ex.getRequestMethod().equals("GET") && !ex.getRequestMethod().equals("HEAD")) {
                ex.sendResponseHeaders(405, -1);
                return;
            }
            String path = ex.getRequestURI().getPath();
            if (!path.equals(ex.getHttpContext().getPath())) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", type);
            ex.getResponseHeaders().set("Cache-Control", "no-store");
            if (ex.getRequestMethod().equals("HEAD")) {
                ex.sendResponseHeaders(status, -1);
                return;
            }
            ex.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
