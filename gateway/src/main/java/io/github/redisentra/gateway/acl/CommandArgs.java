package io.github.redisentra.gateway.acl;

import io.github.redisentra.gateway.resp.Command;

/**
 * The {@link Args} view of a framed client command, reused from command to command by one session (one event-loop
 * thread): the check reads the command's input in place (issue #19: no allocation per command with a roles file).
 * For the head of a streamed command ({@link Command#declaredArgc()} above {@link Command#argc()}) the arguments
 * after the head are not read yet and reading them throws {@link NotYetRead}.
 */
public final class CommandArgs implements Args {
    /** Keys longer than this are copied into an array of their own instead of the reused one. */
    private static final int MAX_SCRATCH = 4096;

    private Command cmd;
    // made on first use, then reused: a one-off view (Args.of) costs one small object
    private byte[] scratch;
    private Keys.Refs keys;
    private Keys.Refs channels;

    /** Points this view at {@code command} (valid while its frame is); returns this view. */
    public CommandArgs of(Command command) {
        this.cmd = command;
        return this;
    }

    private Command read(int i) {
        if (i >= cmd.argc()) {
            throw NotYetRead.INSTANCE;
        }
        return cmd;
    }

    /** Scratch list for the command's keys. */
    Keys.Refs keys() {
        if (keys == null) {
            keys = new Keys.Refs();
        }
        return keys;
    }

    /** Scratch list for the command's channels. */
    Keys.Refs channels() {
        if (channels == null) {
            channels = new Keys.Refs();
        }
        return channels;
    }

    @Override
    public int count() {
        return cmd.declaredArgc();
    }

    @Override
    public byte[] bytes(int i) {
        byte[] out = new byte[read(i).argLength(i)];
        cmd.argBytes(i, out);
        return out;
    }

    @Override
    public int length(int i) {
        return read(i).argLength(i);
    }

    @Override
    public byte byteAt(int i, int k) {
        return read(i).argByte(i, k);
    }

    @Override
    public byte[] peek(int i) {
        int len = read(i).argLength(i);
        if (len > MAX_SCRATCH) {
            return bytes(i);
        }
        if (scratch == null || len > scratch.length) {
            scratch = new byte[Math.max(64, Math.max(len, scratch == null ? 0 : scratch.length * 2))];
        }
        cmd.argBytes(i, scratch);
        return scratch;
    }

    @Override
    public boolean is(int i, String upper) {
        return read(i).argIs(i, upper);
    }
}
