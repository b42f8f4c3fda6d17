package io.github.redisentra.samples;

/**
 * Chooses the samples' logging setup (warnings to standard error) before the first logger exists. The class path
 * also carries the gateway's {@code logback.xml} (JSON to standard output), which would otherwise win and mix log
 * lines into a sample's output.
 */
public final class SampleLogging {
    private SampleLogging() {}

    /** Call first thing in {@code main}; a {@code -Dlogback.configurationFile} given by the user is kept. */
    public static void init() {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "redis-entra-samples-logback.xml");
        }
    }
}
