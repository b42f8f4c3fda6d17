package io.github.redisentra.gateway.acl;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;

/** Asks a Redis server for its command table: {@code INFO server} (the version) and {@code COMMAND}. */
public final class UpstreamCommands {
    private UpstreamCommands() {}

    /** Encodes a command (a RESP array of bulk strings). */
    @FunctionalInterface
    public interface Encoder {
        byte[] encode(String... args);
    }

    /**
     * Runs the two commands on an authenticated connection and builds the table.
     *
     * @throws IOException when the server refuses them (e.g. {@code COMMAND} renamed away) or answers in a shape
     *     without key specs and subcommands (Redis before 7)
     */
    public static CommandTable fetch(OutputStream out, InputStream in, Encoder encoder) throws IOException {
        out.write(encoder.encode("INFO", "server"));
        out.write(encoder.encode("COMMAND"));
        out.flush();
        Object info = RespReader.read(in);
        Object commands = RespReader.read(in);
        if (info instanceof RespReader.Error e) {
            throw new IOException("INFO server refused: " + e.message());
        }
        if (commands instanceof RespReader.Error e) {
            throw new IOException("COMMAND refused: " + e.message());
        }
        String version = null;
        for (String line : String.valueOf(info).split("\r?\n")) {
            if (line.startsWith("redis_version:")) {
                version = line.substring("redis_version:".length()).trim();
            }
        }
        if (!(commands instanceof List<?> list) || list.isEmpty()) {
            throw new IOException("COMMAND answered no command table");
        }
        try {
            return CommandTable.fromCommandReply(list, version);
        } catch (IllegalArgumentException | ClassCastException e) {
            throw new IOException("COMMAND reply unusable (" + e.getMessage() + ")", e);
        }
    }
}
