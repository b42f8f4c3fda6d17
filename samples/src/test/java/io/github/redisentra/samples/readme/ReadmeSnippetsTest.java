package io.github.redisentra.samples.readme;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every Java block in the README is a region of a source file that the build compiles: the block follows a marker
 * {@code <!-- snippet: path/To.java#tag -->} and must equal the lines between {@code // tag::tag[]} and
 * {@code // end::tag[]} in that file (indentation removed). So the README's code cannot drift from code that
 * compiles.
 */
class ReadmeSnippetsTest {
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    private static final Pattern BLOCK =
            Pattern.compile("(?:<!-- snippet: (\\S+)#(\\S+) -->\\s*\\n)?```java\\n(.*?)```", Pattern.DOTALL);

    @Test
    void everyJavaBlockInTheReadmeIsACompiledSnippet() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        Matcher m = BLOCK.matcher(readme);
        int blocks = 0;
        List<String> problems = new ArrayList<>();
        while (m.find()) {
            blocks++;
            if (m.group(1) == null) {
                problems.add("a ```java block without a snippet marker starts with: "
                        + m.group(3).lines().findFirst().orElse(""));
                continue;
            }
            String expected = region(ROOT.resolve(m.group(1)), m.group(2));
            if (!m.group(3).equals(expected)) {
                problems.add("README block " + m.group(1) + "#" + m.group(2) + " differs from the source region:\n"
                        + expected);
            }
        }
        assertThat(problems).isEmpty();
        assertThat(blocks).as("Java blocks in the README").isGreaterThanOrEqualTo(3);
    }

    /** The lines between the tag markers, with their common indentation removed, each ending in a newline. */
    static String region(Path file, String tag) throws IOException {
        List<String> lines = Files.readAllLines(file);
        int start = -1;
        int end = -1;
        for (int i = 0; i < lines.size(); i++) {
            String t = lines.get(i).trim();
            if (t.equals("// tag::" + tag + "[]")) {
                start = i + 1;
            } else if (t.equals("// end::" + tag + "[]")) {
                end = i;
            }
        }
        assertThat(start).as("tag %s in %s", tag, file).isPositive();
        assertThat(end).as("end of tag %s in %s", tag, file).isGreaterThanOrEqualTo(start);
        List<String> region = lines.subList(start, end);
        int indent = region.stream()
                .filter(l -> !l.isBlank())
                .mapToInt(l -> l.length() - l.stripLeading().length())
                .min()
                .orElse(0);
        StringBuilder sb = new StringBuilder();
        for (String l : region) {
            sb.append(l.isBlank() ? "" : l.substring(indent)).append('\n');
        }
        return sb.toString();
    }
}
