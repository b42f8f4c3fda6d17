package io.github.redisentra.gateway.acl;

import io.github.redisentra.gateway.resp.Command;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A command's arguments as the ACL engine reads them (argument 0 is the command name). A view may know only the
 * leading arguments of a command whose count it knows (the head of a streamed command): reading any other argument
 * throws {@link NotYetRead}, so a check either decides from what was read or says it cannot decide yet.
 */
public interface Args {
    /** The number of arguments the command has (including those not read yet). */
    int count();

    /**
     * Argument {@code i} as bytes (a copy when the source is a buffer).
     *
     * @throws NotYetRead when argument {@code i} has not been read yet
     */
    byte[] bytes(int i);

    /**
     * The length of argument {@code i}.
     *
     * @throws NotYetRead when argument {@code i} has not been read yet
     */
    default int length(int i) {
        return bytes(i).length;
    }

    /** Byte {@code k} of argument {@code i} (for table lookups without a copy). */
    default byte byteAt(int i, int k) {
        return bytes(i)[k];
    }

    /**
     * Argument {@code i}'s bytes in an array whose first {@link #length(int)} bytes they are: the argument's own
     * array, or a buffer the view reuses (valid until the next {@code peek} on this view; never kept).
     */
    default byte[] peek(int i) {
        return bytes(i);
    }

    /** Thrown when a check needs an argument that has not arrived yet; carries no stack trace (it is control flow). */
    final class NotYetRead extends RuntimeException {
        static final NotYetRead INSTANCE = new NotYetRead();

        private NotYetRead() {
            super("argument not read yet", null, false, false);
        }
    }

    /** Whether argument {@code i} equals {@code upper} ignoring ASCII case ({@code upper} in upper case). */
    default boolean is(int i, String upper) {
        byte[] b = bytes(i);
        if (b.length != upper.length()) {
            return false;
        }
        for (int k = 0; k < b.length; k++) {
            int c = b[k];
            if (c >= 'a' && c <= 'z') {
                c -= 32;
            }
            if (c != upper.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    /** Argument {@code i} in lower case (for table lookups). */
    default String lower(int i) {
        return new String(bytes(i), StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
    }

    static Args of(String... args) {
        byte[][] b = new byte[args.length][];
        for (int i = 0; i < args.length; i++) {
            b[i] = args[i].getBytes(StandardCharsets.UTF_8);
        }
        return of(b);
    }

    static Args of(byte[][] args) {
        return new Args() {
            @Override
            public int count() {
                return args.length;
            }

            @Override
            public byte[] bytes(int i) {
                return args[i];
            }
        };
    }

    /**
     * A view of a framed client command (valid while the command's frame is). For the head of a streamed command
     * ({@link Command#declaredArgc()} above {@link Command#argc()}) the arguments after the head are not read yet.
     * A session reuses one {@link CommandArgs} instead.
     */
    static Args of(Command cmd) {
        return new CommandArgs().of(cmd);
    }
}
