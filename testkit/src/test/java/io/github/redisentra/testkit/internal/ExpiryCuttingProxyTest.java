package io.github.redisentra.testkit.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ExpiryCuttingProxyTest {

    @Test
    void readsMultibulkAndInlineCommandsAndKeepsTheirExactBytes() throws Exception {
        String wire = "*3\r\n$4\r\nAUTH\r\n$3\r\noid\r\n$5\r\ntoken\r\nPING\r\nHELLO 3 AUTH u p\n";
        InputStream in = new ByteArrayInputStream(wire.getBytes(StandardCharsets.UTF_8));

        ByteArrayOutputStream first = new ByteArrayOutputStream();
        assertThat(ExpiryCuttingProxy.readCommand(in, first)).containsExactly("AUTH", "oid", "token");
        assertThat(first.toString(StandardCharsets.UTF_8))
                .isEqualTo("*3\r\n$4\r\nAUTH\r\n$3\r\noid\r\n$5\r\ntoken\r\n");

        ByteArrayOutputStream second = new ByteArrayOutputStream();
        assertThat(ExpiryCuttingProxy.readCommand(in, second)).containsExactly("PING");
        assertThat(second.toString(StandardCharsets.UTF_8)).isEqualTo("PING\r\n");

        ByteArrayOutputStream third = new ByteArrayOutputStream();
        assertThat(ExpiryCuttingProxy.readCommand(in, third)).containsExactly("HELLO", "3", "AUTH", "u", "p");
        assertThat(third.toString(StandardCharsets.UTF_8)).isEqualTo("HELLO 3 AUTH u p\n");

        assertThat(ExpiryCuttingProxy.readCommand(in, new ByteArrayOutputStream()))
                .isNull();
    }
}
