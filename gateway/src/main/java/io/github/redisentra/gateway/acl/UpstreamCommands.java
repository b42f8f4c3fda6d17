package io.github.redisentra.gateway.acl;

import io.github.redisentra.gateway.resp.RespConnection;
import java.io.IOException;
import java.util.List;

/** Asks a Redis server for its command table: {@code INFO server} (the version) and {@code COMMAND}. */
public final class UpstreamCommands {
    private UpstreamCommands() {}

    /**
     * Runs the two commands on an authenticated connection and builds the table.
     *
     * @throws IOException when the server refuses them (e.g. {@code COMMAND} renamed away) or answers in a shape
     *     without key specs and subcommands (Redis before 7)
     */
    public static CommandTable fetch(RespConnection upstream) throws IOException {
        Object info;
        Object commands;
        try {
            info = upstream.call("INFO", "server");
        } catch (RespConnection.ErrorReply e) {
            throw new IOException("INFO server refused: " + e.reply(), e);
        }
        try {
            commands = upstream.call("COMMAND");
        } catch (RespConnection.ErrorReply e) {
            throw new IOException("COMMAND refused: " + e.reply(), e);
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
