package io.github.redisentra.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The hand-written GUID check (every sign-in's {@code oid}, the audiences) agrees with the expression it replaced. */
class GuidShapeTest {
    private static final Pattern REFERENCE =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    @Test
    void agreesWithTheRegularExpression() {
        String[] samples = {
            "c52613a4-edce-408d-86a5-505a2c709336",
            "C52613A4-EDCE-408D-86A5-505A2C709336",
            "c52613a4-edce-408d-86a5-505a2c70933",
            "c52613a4-edce-408d-86a5-505a2c7093366",
            "c52613a4_edce-408d-86a5-505a2c709336",
            "c52613a4-edce-408d-86a5-505a2c70933g",
            "c52613a4-edce-408d-86a5505a2c709336-",
            "c52613a4edce-408d-86a5-505a2c709336-",
            "{c52613a4-edce-408d-86a5-505a2c70933}",
            "c52613a4-edce-408d-86a5-505a2c70933 ",
            "api://redis-gateway",
            "",
            "------------------------------------",
            "00000000-0000-0000-0000-000000000000",
            "ffffffff-ffff-ffff-ffff-fffffffffff\u0660"
        };
        for (String s : samples) {
            assertThat(TokenClaims.isGuid(s))
                    .as("'%s'", s)
                    .isEqualTo(REFERENCE.matcher(s).matches());
        }
    }
}
