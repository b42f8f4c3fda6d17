package io.github.redisentra.spring;

/**
 * redis.entra cannot start as configured. Its message says what is wrong and names the property; Spring Boot's
 * start-up failure report shows it on its own, with {@link #action()} as the fix.
 */
public class RedisEntraConfigurationException extends IllegalStateException {
    private static final long serialVersionUID = 1L;
    private final String action;

    public RedisEntraConfigurationException(String problem, String action) {
        super(problem + " " + action);
        this.action = action;
        this.problem = problem;
    }

    private final String problem;

    /** What is wrong. */
    public String problem() {
        return problem;
    }

    /** How to fix it. */
    public String action() {
        return action;
    }
}
