package io.github.redisentra.gateway;

import io.github.redisentra.gateway.tls.TlsContexts;
import io.netty.channel.epoll.Epoll;
import io.netty.handler.ssl.OpenSsl;
import java.util.Locale;
import java.util.Optional;

/**
 * Which of Netty's native libraries loaded: the epoll transport and OpenSSL (BoringSSL). Both ship for Linux x86-64
 * and aarch64; Netty unpacks them into {@code io.netty.native.workdir} (default {@code java.io.tmpdir}) and, when that
 * directory is not writable (a read-only root file system without a volume at {@code /tmp}), silently falls back to
 * NIO and the JDK's TLS engine. The gateway logs this at start so the fallback is never silent.
 *
 * @param epoll whether the epoll transport is in use
 * @param epollProblem why not, or {@code null}
 * @param openSsl whether TLS runs on OpenSSL
 * @param openSslProblem why not, or {@code null}
 */
public record NativeSupport(boolean epoll, String epollProblem, boolean openSsl, String openSslProblem) {

    /** What Netty reports in this process. */
    public static NativeSupport detect() {
        return new NativeSupport(
                Epoll.isAvailable(),
                Epoll.isAvailable() ? null : String.valueOf(Epoll.unavailabilityCause()),
                OpenSsl.isAvailable(),
                OpenSsl.isAvailable() ? null : String.valueOf(OpenSsl.unavailabilityCause()));
    }

    /** {@code transport epoll, TLS engine OpenSSL (BoringSSL)} or the NIO / JDK equivalents. */
    public String describe() {
        return "transport " + (epoll ? "epoll" : "NIO") + ", TLS engine " + TlsContexts.describe();
    }

    /**
     * On a platform the gateway ships natives for (Linux x86-64 and aarch64), the advice when one did not load;
     * empty where everything loaded or no natives ship (NIO and the JDK engine are then expected).
     */
    public Optional<String> problem() {
        if ((epoll && openSsl) || !shippedFor(System.getProperty("os.name"), System.getProperty("os.arch"))) {
            return Optional.empty();
        }
        String workdir = System.getProperty("io.netty.native.workdir", System.getProperty("java.io.tmpdir"));
        return Optional.of("Netty could not load its native libraries (" + (epoll ? "" : "epoll: " + epollProblem)
                + (epoll || openSsl ? "" : "; ") + (openSsl ? "" : "OpenSSL: " + openSslProblem)
                + "); it runs on NIO and the JDK's TLS engine, which is slower. Netty unpacks them into \"" + workdir
                + "\": make it writable (Kubernetes with readOnlyRootFilesystem: an emptyDir volume at /tmp) or point"
                + " -Dio.netty.native.workdir at a writable directory in JAVA_TOOL_OPTIONS");
    }

    static boolean shippedFor(String osName, String osArch) {
        String os = osName == null ? "" : osName.toLowerCase(Locale.ROOT);
        String arch = osArch == null ? "" : osArch.toLowerCase(Locale.ROOT);
        return os.startsWith("linux")
                && (arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64") || arch.equals("arm64"));
    }

    /** Prints {@link #describe()} and the problem, if any: what a child JVM reports in the tests. */
    public static void main(String[] args) {
        NativeSupport n = detect();
        System.out.println(n.describe());
        n.problem().ifPresent(p -> System.out.println("problem: " + p));
    }
}
