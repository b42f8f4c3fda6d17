package io.github.redisentra.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The hand-written compact-JWS shape check agrees with the regular expression it replaced. */
class CompactJwsTest {
    private static final Pattern REFERENCE = Pattern.compile("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*");

    @Test
    void agreesWithTheRegularExpression() {
        String[] samples = {
            "a.b.c",
            "a.b.",
            "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln-_",
            ".b.c",
            "a..c",
            "a.b.c.d",
            "a.b",
            "abc",
            "",
            "a.b.c=",
            "a+b.c.d",
            "a.b/c.d",
            "a.b.c ",
            "é.b.c",
            "A-Z_09.a.",
            "..",
            "a.b.c\n"
        };
        for (String s : samples) {
            boolean twoDots = s.chars().filter(c -> c == '.').count() == 2;
            boolean expected = REFERENCE.matcher(s).matches();
            assertThat(twoDots && TokenSignature.compactJws(s)).as("'%s'", s).isEqualTo(expected);
        }
    }
}
