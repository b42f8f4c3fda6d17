package io.github.redisentra.gateway.admin;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.lang.management.OperatingSystemMXBean;
import java.lang.management.RuntimeMXBean;
import java.lang.management.ThreadMXBean;
import java.util.Map;
import java.util.TreeMap;

/**
 * JVM and process metrics in the Prometheus text format, under the names Prometheus' Java client ("hotspot"
 * collectors) uses, so existing dashboards and alerts apply: heap and non-heap memory, garbage collections, threads,
 * open file descriptors (against the limit: one per client and per upstream connection), CPU time, start time; plus
 * the gateway's uptime and one {@code build_info} line naming its version, Java, Netty, transport and TLS engine.
 */
public final class ProcessMetrics {
    private final Map<String, String> buildInfo;

    /** @param buildInfo the labels of {@code redis_entra_gateway_build_info} (values are the gateway's own) */
    public ProcessMetrics(Map<String, String> buildInfo) {
        this.buildInfo = new TreeMap<>(buildInfo);
    }

    /** The metrics block. */
    public String render() {
        StringBuilder sb = new StringBuilder(2048);
        RuntimeMXBean runtime = ManagementFactory.getRuntimeMXBean();
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun && sun.getProcessCpuTime() >= 0) {
            type(sb, "process_cpu_seconds_total", "counter", "CPU time of the process");
            line(sb, "process_cpu_seconds_total", "", sun.getProcessCpuTime() / 1e9);
        }
        type(sb, "process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch");
        line(sb, "process_start_time_seconds", "", runtime.getStartTime() / 1000.0);
        if (os instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
            type(sb, "process_open_fds", "gauge", "Open file descriptors (sockets included)");
            line(sb, "process_open_fds", "", unix.getOpenFileDescriptorCount());
            type(sb, "process_max_fds", "gauge", "Limit of open file descriptors");
            line(sb, "process_max_fds", "", unix.getMaxFileDescriptorCount());
        }
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        MemoryUsage nonHeap = ManagementFactory.getMemoryMXBean().getNonHeapMemoryUsage();
        type(sb, "jvm_memory_bytes_used", "gauge", "Used bytes of a memory area");
        line(sb, "jvm_memory_bytes_used", "{area=\"heap\"}", heap.getUsed());
        line(sb, "jvm_memory_bytes_used", "{area=\"nonheap\"}", nonHeap.getUsed());
        type(sb, "jvm_memory_bytes_committed", "gauge", "Committed bytes of a memory area");
        line(sb, "jvm_memory_bytes_committed", "{area=\"heap\"}", heap.getCommitted());
        line(sb, "jvm_memory_bytes_committed", "{area=\"nonheap\"}", nonHeap.getCommitted());
        type(sb, "jvm_memory_bytes_max", "gauge", "Maximum bytes of a memory area (-1 when unbounded)");
        line(sb, "jvm_memory_bytes_max", "{area=\"heap\"}", heap.getMax());
        line(sb, "jvm_memory_bytes_max", "{area=\"nonheap\"}", nonHeap.getMax());
        type(sb, "jvm_gc_collection_seconds", "summary", "Time spent in a garbage collector, and collections");
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            String label = "{gc=\"" + escape(gc.getName()) + "\"}";
            line(sb, "jvm_gc_collection_seconds_count", label, Math.max(0, gc.getCollectionCount()));
            line(sb, "jvm_gc_collection_seconds_sum", label, Math.max(0, gc.getCollectionTime()) / 1000.0);
        }
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        type(sb, "jvm_threads_current", "gauge", "Live threads");
        line(sb, "jvm_threads_current", "", threads.getThreadCount());
        type(sb, "jvm_threads_daemon", "gauge", "Live daemon threads");
        line(sb, "jvm_threads_daemon", "", threads.getDaemonThreadCount());
        type(sb, "jvm_threads_peak", "gauge", "Most live threads since start");
        line(sb, "jvm_threads_peak", "", threads.getPeakThreadCount());
        String p = GatewayMetrics.PREFIX;
        type(sb, p + "uptime_seconds", "gauge", "Seconds since the gateway process started");
        line(sb, p + "uptime_seconds", "", runtime.getUptime() / 1000.0);
        type(sb, p + "build_info", "gauge", "The gateway's version and runtime (always 1)");
        StringBuilder labels = new StringBuilder("{");
        buildInfo.forEach((k, v) -> {
            if (labels.length() > 1) {
                labels.append(',');
            }
            labels.append(k).append("=\"").append(escape(v)).append('"');
        });
        line(sb, p + "build_info", labels.append('}').toString(), 1);
        return sb.toString();
    }

    private static void type(StringBuilder sb, String name, String type, String help) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void line(StringBuilder sb, String name, String labels, double v) {
        sb.append(name).append(labels).append(' ');
        if (v == Math.rint(v) && !Double.isInfinite(v) && Math.abs(v) < 1e15) {
            sb.append((long) v);
        } else {
            sb.append(v);
        }
        sb.append('\n');
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
