package io.github.redisentra.testkit;

/**
 * Run in a child JVM by {@link RedisServerIT}: starts a server, prints {@code READY <pid> <dir>}, then waits
 * for its own death (the test kills this JVM with SIGKILL, so no shutdown hook runs).
 */
public final class WatchdogChild {

    private WatchdogChild() {}

    public static void main(String[] args) throws Exception {
        RedisServer server = RedisServer.builder().name("orphan").start();
        System.out.println("READY " + server.pid() + " " + server.directory());
        System.out.flush();
        System.in.read(); // blocks until the parent kills us
        server.close();
    }
}
