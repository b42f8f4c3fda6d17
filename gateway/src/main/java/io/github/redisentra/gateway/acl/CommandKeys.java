package io.github.redisentra.gateway.acl;

import io.github.redisentra.gateway.acl.CommandTable.Spec;
import io.github.redisentra.gateway.resp.Command;

/**
 * How many keys a command names, found as the ACL check finds them (the command table's key specs and Redis's
 * {@code getkeys} procedures): for the command audit, which records the count and never the keys themselves.
 */
public final class CommandKeys {
    private CommandKeys() {}

    /**
     * The number of keys of {@code cmd} (a framed client command, argument 0 its name) as {@code spec} describes it;
     * {@code -1} when it cannot be told yet (the head of a streamed command whose keys follow the large argument).
     */
    public static int count(Spec spec, Command cmd) {
        if (spec == null) {
            return -1;
        }
        try {
            return Keys.keys(spec, Args.of(cmd), new Keys.Refs()).size();
        } catch (Args.NotYetRead e) {
            return -1;
        }
    }
}
