package io.github.redisentra.gateway;

import java.util.Properties;

/**
 * Netty settings the gateway's command line defaults differently from Netty, each only when the operator has
 * not set it (system property, e.g. {@code -D...} in {@code JAVA_OPTS}).
 *
 * <p>Netty's leak detector ({@code io.netty.leakDetection.level}, Netty's default {@code simple}) samples
 * buffer allocations and records stack traces for them; in production that costs CPU on every request for a
 * report nobody is expected to need (#19). The gateway's tests run with {@code paranoid} (the build's argLine).
 * Must run before any Netty class that reads it is initialised: {@code ResourceLeakDetector} reads it once, in
 * its static initialiser.
 */
final class NettyDefaults {
    static final String LEAK_DETECTION = "io.netty.leakDetection.level";
    /** Older spellings Netty still honours; setting any of them counts as "set". */
    private static final String[] LEAK_DETECTION_LEGACY = {
        "io.netty.leakDetectionLevel", "io.netty.noResourceLeakDetection"
    };

    private NettyDefaults() {}

    /**
     * Sets {@code io.netty.leakDetection.level=disabled} in {@code props} unless it or a legacy spelling is set.
     *
     * @return whether it set the default
     */
    static boolean applyLeakDetectionDefault(Properties props) {
        if (props.getProperty(LEAK_DETECTION) != null) {
            return false;
        }
        for (String legacy : LEAK_DETECTION_LEGACY) {
            if (props.getProperty(legacy) != null) {
                return false;
            }
        }
        props.setProperty(LEAK_DETECTION, "disabled");
        return true;
    }
}
