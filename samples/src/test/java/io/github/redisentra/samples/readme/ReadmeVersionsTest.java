package io.github.redisentra.samples.readme;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every redis-entra version a Markdown file tells users to write is the project's version, so a release (`mvn
 * versions:set`, then the READMEs; see the README's Development section) cannot ship documentation that names another
 * one.
 */
class ReadmeVersionsTest {
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    private static final Pattern PARENT_VERSION =
            Pattern.compile("<artifactId>redis-entra-parent</artifactId>\\s*<version>([^<]+)</version>");
    private static final Pattern MAVEN = Pattern.compile(
            "<groupId>io\\.github\\.redisentra</groupId>\\s*<artifactId>([^<]+)</artifactId>\\s*<version>([^<]+)</version>");
    private static final Pattern GRADLE = Pattern.compile("io\\.github\\.redisentra:([a-z-]+):([^\"')\\s]+)");

    @Test
    void markdownNamesTheProjectVersionOnly() throws IOException {
        Matcher parent = PARENT_VERSION.matcher(Files.readString(ROOT.resolve("pom.xml")));
        assertThat(parent.find()).as("the parent pom's version").isTrue();
        String version = parent.group(1);
        List<String> wrong = new ArrayList<>();
        int seen = 0;
        try (Stream<Path> files = Files.walk(ROOT)) {
            for (Path md : files.filter(p -> p.toString().endsWith(".md"))
                    .filter(p ->
                            !p.toString().contains("/target/") && !p.toString().contains("/.git/"))
                    .filter(p -> !p.getFileName().toString().equals("CHANGELOG.md"))
                    .toList()) {
                String text = Files.readString(md);
                for (Pattern pattern : List.of(MAVEN, GRADLE)) {
                    Matcher m = pattern.matcher(text);
                    while (m.find()) {
                        seen++;
                        if (!m.group(2).equals(version)) {
                            wrong.add(ROOT.relativize(md) + ": " + m.group(1) + " " + m.group(2));
                        }
                    }
                }
            }
        }
        assertThat(wrong).as("versions other than %s", version).isEmpty();
        assertThat(seen).as("redis-entra versions found in Markdown files").isGreaterThanOrEqualTo(3);
    }
}
