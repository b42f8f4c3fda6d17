package io.github.redisentra.gateway.admin;

import java.util.Optional;

/** One condition of readiness; {@link #problem()} is empty when it holds. Called on the admin thread. */
public interface ReadinessCheck {

    String name();

    /** Why the gateway is not ready, or empty when this check passes. May block briefly (e.g. a TCP probe). */
    Optional<String> problem();

    static ReadinessCheck of(String name, java.util.function.Supplier<Optional<String>> problem) {
        return new ReadinessCheck() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Optional<String> problem() {
                return problem.get();
            }
        };
    }
}
