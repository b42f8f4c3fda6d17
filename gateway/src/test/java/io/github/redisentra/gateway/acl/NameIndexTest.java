package io.github.redisentra.gateway.acl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.github.redisentra.gateway.acl.CommandTable.Spec;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The byte lookup of command and subcommand names finds what the lower-cased String lookup found (issue #19). */
class NameIndexTest {
    private final CommandTable table = CommandTable.builtIn();

    private Spec byString(byte[] name) {
        return table.command(new String(name, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT));
    }

    @Test
    void everyNameInAnyCaseAndNearMisses() {
        Random r = new Random(19);
        for (int id = 0; id < table.size(); id++) {
            Spec s = table.byId(id);
            String name = s.parent() == null
                    ? s.fullName()
                    : s.fullName().substring(s.fullName().indexOf('|') + 1);
            for (int round = 0; round < 8; round++) {
                byte[] b = name.getBytes(StandardCharsets.ISO_8859_1);
                for (int k = 0; k < b.length; k++) {
                    if (r.nextBoolean()) {
                        b[k] = (byte) Character.toUpperCase(b[k]);
                    }
                }
                if (round >= 6 && b.length > 0) { // near misses: one byte changed, Latin-1 included
                    b[r.nextInt(b.length)] = (byte) r.nextInt(256);
                }
                if (s.parent() == null) {
                    assertSame(byString(b), table.command(Args.of(new byte[][] {b}), 0), name);
                } else {
                    Spec parent = s.parent();
                    Spec expected = parent.subcommands()
                            .get(new String(b, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT));
                    assertSame(expected, parent.subcommand(Args.of(new byte[][] {new byte[0], b}), 1), name);
                }
            }
        }
    }

    @Test
    void latin1CaseFoldingAsStringLowerCase() {
        for (int c = 0; c < 256; c++) {
            assertEquals(Character.toLowerCase(c), NameIndex.lower((byte) c), "code point " + c);
        }
        byte[][] odd = {
            {},
            {(byte) 0xC0},
            "GET\u00c0".getBytes(StandardCharsets.ISO_8859_1),
            "g".repeat(300).getBytes()
        };
        for (byte[] b : odd) {
            assertSame(byString(b), table.command(Args.of(new byte[][] {b}), 0));
        }
    }
}
