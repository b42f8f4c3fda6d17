package io.github.redisentra.core;

import com.nimbusds.jose.util.JSONObjectUtils;
import io.github.redisentra.core.internal.ProcessRunner;
import java.io.IOException;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeoutException;

/**
 * Runs a command through {@code /bin/sh -c} and uses what it prints as the token (the gateway's {@code
 * LOCAL_REDIS_TOKEN_COMMAND}). The command runs on each {@link #getToken(boolean)} &mdash; on the refresher's
 * worker, never on an event loop &mdash; and is killed, with its children, when it exceeds the timeout.
 *
 * <p>Standard output, trimmed, is either
 *
 * <ul>
 *   <li>a bare token (one line, no whitespace) &mdash; its expiry from the JWT {@code exp}, or {@link
 *       Builder#opaqueTokenLifetime(Duration)} for an opaque value; or
 *   <li>the JSON that {@code az account get-access-token} prints: {@code accessToken} plus {@code expires_on}
 *       (epoch seconds) or {@code expiresOn} (local date-time, as older Azure CLI versions print it).
 * </ul>
 *
 * Standard error is kept (its tail) for error messages, with anything that looks like a token removed. A
 * non-zero exit status, a timeout or unusable output is an error naming what went wrong; the output itself is
 * never put in a message.
 *
 * <pre>{@code
 * TokenSource source = CommandTokenSource.builder(
 *                 "az account get-access-token --resource https://redis.azure.com -o json")
 *         .timeout(Duration.ofSeconds(20))
 *         .build();
 * }</pre>
 */
public final class CommandTokenSource implements TokenSource {
    private static final DateTimeFormatter AZ_LOCAL_TIME = new DateTimeFormatterBuilder()
            .appendPattern("yyyy-MM-dd HH:mm:ss")
            .optionalStart()
            .appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true)
            .optionalEnd()
            .toFormatter();

    private final String command;
    private final Duration timeout;
    private final Duration opaqueTokenLifetime;
    private final Clock clock;
    private final String program;

    private CommandTokenSource(Builder b) {
        this.command = b.command;
        this.timeout = b.timeout;
        this.opaqueTokenLifetime = b.opaqueTokenLifetime;
        this.clock = b.clock;
        String first = command.strip().split("\\s+", 2)[0];
        this.program = first.length() > 40 ? first.substring(0, 40) + "…" : first;
    }

    /** A source running {@code command} with the defaults (30-second timeout, JWT or az JSON output). */
    public static CommandTokenSource of(String command) {
        return builder(command).build();
    }

    /** A builder for a source running {@code command} through {@code /bin/sh -c}. */
    public static Builder builder(String command) {
        return new Builder(command);
    }

    @Override
    public AccessToken getToken(boolean forceRefresh) throws IOException, TimeoutException, InterruptedException {
        ProcessRunner.Result result = ProcessRunner.run(command, timeout);
        if (result.timedOut()) {
            throw new TimeoutException("token command `" + program + " …` did not finish within " + timeout
                    + " and was killed" + stderrSuffix(result, null));
        }
        String out = result.stdout().strip();
        if (result.exitCode() != 0) {
            throw new IOException("token command `" + program + " …` exited with status " + result.exitCode()
                    + stderrSuffix(result, out));
        }
        if (result.stdoutTruncated()) {
            throw new IOException("token command `" + program + " …` printed more than " + ProcessRunner.MAX_STDOUT
                    + " bytes; expected one token or az-style JSON");
        }
        if (out.isEmpty()) {
            throw new IOException("token command `" + program + " …` printed nothing on standard output"
                    + stderrSuffix(result, null));
        }
        return out.startsWith("{") ? fromJson(out) : fromBareToken(out);
    }

    private AccessToken fromBareToken(String out) throws IOException {
        if (out.chars().anyMatch(Character::isWhitespace)) {
            throw new IOException(
                    "token command `" + program + " …` printed " + out.lines().count()
                            + " line(s) with whitespace; expected a single token or az-style JSON {\"accessToken\", \"expiresOn\"}");
        }
        Instant fallback = opaqueTokenLifetime == null ? null : clock.instant().plus(opaqueTokenLifetime);
        try {
            return AccessToken.of(out, fallback);
        } catch (IllegalArgumentException e) {
            throw new IOException("token command `" + program + " …` printed a token that is not a JWT with exp"
                    + " (sha256 " + AccessToken.fingerprintOf(out) + "); print az-style JSON with expiresOn, or"
                    + " configure opaqueTokenLifetime");
        }
    }

    private AccessToken fromJson(String out) throws IOException {
        Map<String, Object> json;
        try {
            json = JSONObjectUtils.parse(out);
        } catch (ParseException e) {
            throw new IOException("token command `" + program + " …` printed JSON that could not be parsed ("
                    + out.length() + " characters); expected az-style {\"accessToken\", \"expiresOn\"}");
        }
        Object token = json.get("accessToken");
        if (token == null) {
            token = json.get("access_token");
        }
        if (!(token instanceof String value) || value.isBlank()) {
            throw new IOException("token command `" + program + " …` printed JSON without a string accessToken"
                    + " field (fields: " + json.keySet() + ")");
        }
        Instant expiry = jsonExpiry(json);
        if (expiry == null && opaqueTokenLifetime != null) {
            expiry = clock.instant().plus(opaqueTokenLifetime);
        }
        try {
            return AccessToken.of(value.strip(), expiry);
        } catch (IllegalArgumentException e) {
            throw new IOException("token command `" + program + " …` printed JSON whose token is not a JWT with exp"
                    + " and has no expires_on/expiresOn field");
        }
    }

    private Instant jsonExpiry(Map<String, Object> json) throws IOException {
        Object epoch = json.get("expires_on");
        if (epoch instanceof Number n) {
            return Instant.ofEpochSecond(n.longValue());
        }
        if (epoch instanceof String s && s.strip().matches("\\d+")) {
            return Instant.ofEpochSecond(Long.parseLong(s.strip()));
        }
        Object text = json.get("expiresOn");
        if (text instanceof String s && !s.isBlank()) {
            String v = s.strip();
            try {
                return OffsetDateTime.parse(v).toInstant();
            } catch (DateTimeParseException notOffset) {
                try {
                    // Older Azure CLI versions print the machine's local time without a zone.
                    return LocalDateTime.parse(v, AZ_LOCAL_TIME)
                            .atZone(ZoneId.systemDefault())
                            .toInstant();
                } catch (DateTimeParseException e) {
                    throw new IOException("token command `" + program + " …` printed expiresOn \"" + v
                            + "\", expected \"yyyy-MM-dd HH:mm:ss[.ffffff]\" or an ISO-8601 date-time");
                }
            }
        }
        return null;
    }

    private static String stderrSuffix(ProcessRunner.Result result, String stdout) {
        String err = result.stderrTail();
        if (stdout != null && !stdout.isEmpty()) {
            err = err.replace(stdout, "[redacted]");
        }
        err = ProcessRunner.redactTokens(err).strip();
        return err.isEmpty() ? "" : "; stderr: " + err;
    }

    @Override
    public String describe() {
        return "command `" + program + " …` (timeout " + timeout + ")";
    }

    @Override
    public String toString() {
        return describe();
    }

    /** Configures a {@link CommandTokenSource}. */
    public static final class Builder {
        private final String command;
        private Duration timeout = Duration.ofSeconds(30);
        private Duration opaqueTokenLifetime;
        private Clock clock = Clock.systemUTC();

        private Builder(String command) {
            Objects.requireNonNull(command, "command");
            if (command.isBlank()) {
                throw new IllegalArgumentException(
                        "token command is empty; set it to a shell command that prints a token");
            }
            this.command = command;
        }

        /** How long the command may run before it is killed. Default 30 seconds. */
        public Builder timeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("token command timeout must be positive, got " + timeout);
            }
            this.timeout = timeout;
            return this;
        }

        /**
         * How long an opaque token (not a JWT, no expiry in the output) is treated as valid after the command
         * printed it. Default: none, such output is an error.
         */
        public Builder opaqueTokenLifetime(Duration lifetime) {
            Objects.requireNonNull(lifetime, "lifetime");
            if (lifetime.isNegative() || lifetime.isZero()) {
                throw new IllegalArgumentException("opaqueTokenLifetime must be positive, got " + lifetime);
            }
            this.opaqueTokenLifetime = lifetime;
            return this;
        }

        /** The clock for opaque-token lifetimes. Default the system UTC clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** The source. */
        public CommandTokenSource build() {
            return new CommandTokenSource(this);
        }
    }
}
