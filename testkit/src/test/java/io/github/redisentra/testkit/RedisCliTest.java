package io.github.redisentra.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RedisCliTest {

    @Test
    void encodesCommandsAsRespMultibulkWithByteLengths() {
        assertThat(new String(RedisCli.encode("SET", "k", "é"), StandardCharsets.UTF_8))
                .isEqualTo("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\né\r\n");
    }

    @Test
    void redisConfigArgumentsAreQuotedOnlyWhenNeeded() {
        assertThat(RedisServer.quote(">plain")).isEqualTo(">plain");
        assertThat(RedisServer.quote(">with space")).isEqualTo("\">with space\"");
        assertThat(RedisServer.quote("a\"b\\c")).isEqualTo("\"a\\\"b\\\\c\"");
        assertThat(RedisServer.quote("")).isEqualTo("\"\"");
    }

    @Test
    void errorReplyExposesItsCode() {
        assertThat(new RedisErrorReply("WRONGPASS invalid username-password pair").code())
                .isEqualTo("WRONGPASS");
        assertThat(new RedisErrorReply("NOAUTH").code()).isEqualTo("NOAUTH");
    }
}
