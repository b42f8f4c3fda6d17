package io.github.redisentra.cli;

/** A failure the user can act on: its message is printed as is (one or a few lines, never a secret). */
final class CliException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Exit code for a failure that is not one of the others. */
    static final int FAILED = 1;
    /** Exit code for bad usage (picocli's own code for it). */
    static final int USAGE = 2;
    /** Exit code when nobody is signed in or the sign-in expired: run {@code redis-entra login}. */
    static final int SIGN_IN_REQUIRED = 3;
    /** Exit code when the gateway or the cache cannot be reached or refuses the user. */
    static final int UPSTREAM = 4;

    private final int exitCode;

    CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    CliException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
