package io.github.redisentra.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class CommandTokenSourceTest {
    private final Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);

    @Test
    void aBareJwtOnStdoutIsTrimmedAndReadForItsClaims() throws Exception {
        String jwt = TestJwts.unsigned("oid-7", now, now.plusSeconds(3600));
        AccessToken t =
                CommandTokenSource.of("printf '  %s\\n\\n' '" + jwt + "'").getToken(false);
        assertThat(t.secret()).isEqualTo(jwt);
        assertThat(t.objectId()).contains("oid-7");
        assertThat(t.expiresAt()).isEqualTo(now.plusSeconds(3600));
    }

    @Test
    void azureCliJsonWithEpochExpiryIsAccepted() throws Exception {
        long exp = now.plusSeconds(1800).getEpochSecond();
        String cmd = "echo '{\"accessToken\": \"opaque-az-token\", \"expiresOn\": \"2000-01-01 00:00:00.000000\","
                + " \"expires_on\": " + exp + ", \"tokenType\": \"Bearer\"}'";
        AccessToken t = CommandTokenSource.of(cmd).getToken(false);
        assertThat(t.secret()).isEqualTo("opaque-az-token");
        assertThat(t.expiresAt()).isEqualTo(Instant.ofEpochSecond(exp));
    }

    @Test
    void azureCliJsonWithOnlyLocalExpiresOnIsReadInTheLocalZone() throws Exception {
        java.time.LocalDateTime local =
                java.time.LocalDateTime.ofInstant(now.plusSeconds(600), java.time.ZoneId.systemDefault());
        String text = local.format(java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS"));
        AccessToken t = CommandTokenSource.of("echo '{\"accessToken\":\"opaque\",\"expiresOn\":\"" + text + "\"}'")
                .getToken(false);
        assertThat(t.expiresAt()).isEqualTo(now.plusSeconds(600));
    }

    @Test
    void aJwtsOwnExpiryWinsOverTheJsonExpiry() throws Exception {
        String jwt = TestJwts.unsigned("oid-8", now, now.plusSeconds(900));
        String cmd = "echo '{\"accessToken\":\"" + jwt + "\",\"expires_on\":"
                + now.plusSeconds(5).getEpochSecond() + "}'";
        assertThat(CommandTokenSource.of(cmd).getToken(false).expiresAt()).isEqualTo(now.plusSeconds(900));
    }

    @Test
    void anOpaqueBareTokenNeedsAConfiguredLifetime() throws Exception {
        assertThatThrownBy(
                        () -> CommandTokenSource.of("echo opaque-secret-value").getToken(false))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("not a JWT")
                .hasMessageContaining("opaqueTokenLifetime")
                .hasMessageNotContaining("opaque-secret-value");
        MutableClock clock = new MutableClock(now);
        AccessToken t = CommandTokenSource.builder("echo opaque-secret-value")
                .opaqueTokenLifetime(Duration.ofMinutes(10))
                .clock(clock)
                .build()
                .getToken(false);
        assertThat(t.expiresAt()).isEqualTo(now.plus(Duration.ofMinutes(10)));
    }

    @Test
    void aFailingCommandReportsItsStatusAndStderrButNeverTheToken() {
        String jwt = TestJwts.unsigned("oid-9", now, now.plusSeconds(900));
        String cmd = "echo '" + jwt + "'; echo 'login required, token was " + jwt + "' >&2; exit 3";
        assertThatThrownBy(() -> CommandTokenSource.of(cmd).getToken(false))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("exited with status 3")
                .hasMessageContaining("login required")
                .hasMessageNotContaining(jwt)
                .hasMessageNotContaining("eyJ");
    }

    @Test
    void aCommandThatHangsIsKilledAtTheTimeout() {
        CommandTokenSource s = CommandTokenSource.builder("sleep 20")
                .timeout(Duration.ofMillis(300))
                .build();
        assertThatThrownBy(() -> s.getToken(false))
                .isInstanceOf(TimeoutException.class)
                .hasMessageContaining("did not finish within PT0.3S");
    }

    @Test
    void unusableOutputIsAClearErrorWithoutTheOutput() {
        assertThatThrownBy(() -> CommandTokenSource.of("true").getToken(false)).hasMessageContaining("printed nothing");
        assertThatThrownBy(() -> CommandTokenSource.of("printf 'line-one-secret\\nline-two-secret\\n'")
                        .getToken(false))
                .hasMessageContaining("2 line(s)")
                .hasMessageNotContaining("secret");
        assertThatThrownBy(() -> CommandTokenSource.of("echo '{\"accessToken\": \"abc-secret\", '")
                        .getToken(false))
                .hasMessageContaining("could not be parsed")
                .hasMessageNotContaining("abc-secret");
        assertThatThrownBy(() -> CommandTokenSource.of("echo '{\"token\": \"abc-secret\"}'")
                        .getToken(false))
                .hasMessageContaining("without a string accessToken")
                .hasMessageNotContaining("abc-secret");
        assertThatThrownBy(() -> CommandTokenSource.of("echo '{\"accessToken\":\"abc-secret\",\"expiresOn\":\"soon\"}'")
                        .getToken(false))
                .hasMessageContaining("expiresOn \"soon\"")
                .hasMessageNotContaining("abc-secret");
    }

    @Test
    void describeNamesOnlyTheProgram() {
        CommandTokenSource s = CommandTokenSource.of("echo abc-secret-in-command-line");
        assertThat(s.describe()).contains("`echo …`").doesNotContain("abc-secret");
        assertThatThrownBy(() -> CommandTokenSource.of(" ")).hasMessageContaining("empty");
        assertThatThrownBy(() -> CommandTokenSource.builder("x").timeout(Duration.ZERO))
                .hasMessageContaining("timeout must be positive");
    }
}
