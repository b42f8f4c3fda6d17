package io.github.redisentra.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The reference table in the documentation and the {@link Setting} table in code must never drift. */
@Timeout(30)
class ConfigReferenceTest {

    static Path reference() {
        // Surefire runs in the module directory; the lead may move the table into the README.
        for (Path p : List.of(Path.of("CONFIG.md"), Path.of("../README.md"), Path.of("gateway/CONFIG.md"))) {
            try {
                if (Files.isRegularFile(p) && Files.readString(p).contains("| `LISTEN_ADDR` |")) {
                    return p;
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        throw new AssertionError("no document with the gateway configuration table (gateway/CONFIG.md)");
    }

    @Test
    void documentedTableEqualsTheSettingsInCode() throws Exception {
        List<String> documented = new ArrayList<>();
        boolean inTable = false;
        for (String line : Files.readAllLines(reference())) {
            if (line.startsWith("| Variable | Default | Meaning | Example |")) {
                inTable = true;
            } else if (inTable && line.startsWith("|")) {
                documented.add(line);
            } else if (inTable) {
                break;
            }
        }
        List<String> expected = Setting.markdownTable().lines().skip(1).toList();
        assertThat(documented)
                .as("rows of the table in %s (regenerate from Setting.markdownTable())", reference())
                .containsExactlyElementsOf(expected);
    }
}
