package io.github.redisentra.gateway.acl;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GlobTest {

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "*|anything|true",
                "*|''|false", // Redis never matches an empty key here: the loop needs a non-empty string
                "app:*|app:1|true",
                "app:*|app:|true",
                "app:*|ap|false",
                "a?c|abc|true",
                "a?c|ac|false",
                "h[ae]llo|hallo|true",
                "h[ae]llo|hillo|false",
                "h[^e]llo|hallo|true",
                "h[^e]llo|hello|false",
                "h[a-b]llo|hbllo|true",
                "h[b-a]llo|hbllo|true",
                "h[a-b]llo|hcllo|false",
                "a\\*|a*|true",
                "a\\*|ab|false",
                "a[\\]]b|a]b|true",
                "[abc|a|true",
                "ab\\|ab\\|true",
                "**x|yx|true",
                "a*b*c|axxbyyc|true",
                "a*b*c|axxbyy|false",
                "x[abc]?|xaz|true",
                "x[abc]?|xdz|false",
            })
    void matchesAsRedisStringmatchlen(String pattern, String string, boolean expected) {
        assertThat(Glob.match(b(pattern), b(string))).isEqualTo(expected);
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
