package io.github.redisentra.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EnvFileTest {
    @TempDir
    Path dir;

    Path file(String content) throws Exception {
        return Files.writeString(dir.resolve("gateway.env"), content);
    }

    @Test
    void fileFillsInWhatTheEnvironmentLacksAndTheEnvironmentWins() throws Exception {
        Path f = file("""
                # the seed proxy's file
                TENANT_ID=11111111-1111-1111-1111-111111111111
                export LOG_FORMAT=text
                REDIS_HOSTPORT = "cache.example:6380"
                EXPECTED_AUDIENCE='api://redis-gateway'
                LISTEN_ADDR=127.0.0.1:7000

                DRAIN_TIMEOUT=
                """);
        EnvFile.Loaded l = EnvFile.apply(Map.of("ENV_FILE", f.toString(), "LISTEN_ADDR", "127.0.0.1:6388"));
        assertThat(l.file()).isEqualTo(f);
        assertThat(l.warnings()).isEmpty();
        assertThat(l.environment())
                .containsEntry("TENANT_ID", "11111111-1111-1111-1111-111111111111")
                .containsEntry("LOG_FORMAT", "text")
                .containsEntry("REDIS_HOSTPORT", "cache.example:6380")
                .containsEntry("EXPECTED_AUDIENCE", "api://redis-gateway")
                .containsEntry("LISTEN_ADDR", "127.0.0.1:6388")
                .containsEntry("DRAIN_TIMEOUT", "");
    }

    @Test
    void unknownNamesAreReportedNotFatal() throws Exception {
        Path f = file("TENNANT_ID=x\nRUST_LOG=info\n");
        EnvFile.Loaded l = EnvFile.apply(Map.of("ENV_FILE", f.toString()));
        assertThat(l.warnings())
                .containsExactly(
                        f + ":1: TENNANT_ID is not a gateway setting (ignored; --help lists them)",
                        f + ":2: RUST_LOG is not a gateway setting (ignored; --help lists them)");
    }

    @Test
    void malformedLinesFailWithoutEchoingTheirContent() throws Exception {
        Path f = file("REDIS_PASSWORD=ok\nthis is s3cret-ish\n");
        assertThatThrownBy(() -> EnvFile.apply(Map.of("ENV_FILE", f.toString())))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(f + ":2 is not a NAME=value line")
                .hasMessageNotContaining("s3cret");
    }

    @Test
    void namedFileMustExistWhileTheDefaultIsOptional() throws Exception {
        assertThatThrownBy(() -> EnvFile.apply(
                        Map.of("ENV_FILE", dir.resolve("missing.env").toString())))
                .hasMessageContaining("ENV_FILE names \"" + dir.resolve("missing.env") + "\", which is not a readable");
        // Tests run in the module directory, which has no .env: nothing is read.
        assertThat(Files.exists(EnvFile.DEFAULT)).isFalse();
        EnvFile.Loaded l = EnvFile.apply(Map.of("TENANT_ID", "x"));
        assertThat(l.file()).isNull();
        assertThat(l.environment()).isEqualTo(Map.of("TENANT_ID", "x"));
    }

    @Test
    void shippedExampleListsEverySettingCommentedOut() throws Exception {
        Path example = Path.of("..", ".env.example");
        assertThat(Files.readString(example))
                .as(
                        "%s is generated from Setting: regenerate it with"
                                + " java -jar gateway/target/redis-entra-gateway.jar --env-example > .env.example",
                        example)
                .isEqualTo(EnvFile.example());
        // Read as an env file it sets nothing: every line is a comment.
        EnvFile.Loaded l = EnvFile.apply(Map.of("ENV_FILE", example.toString()));
        assertThat(l.environment()).isEqualTo(Map.of("ENV_FILE", example.toString()));
        for (Setting s : Setting.values()) {
            assertThat(EnvFile.example()).contains("\n#" + s.key() + "=");
        }
    }
}
