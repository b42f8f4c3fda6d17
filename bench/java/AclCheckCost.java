import io.github.redisentra.gateway.acl.AclSelector;
import io.github.redisentra.gateway.acl.Args;
import io.github.redisentra.gateway.acl.CommandTable;
import io.github.redisentra.gateway.acl.Permissions;
import java.util.List;

/**
 * CPU cost of the gateway's permission check per command, on one thread, for the 20-rule role bench/run's
 * gateway-roles contender uses: GET and SET of redis-benchmark's key (matched by the 8th key pattern).
 *
 * <pre>java -cp gateway/target/redis-entra-gateway.jar bench/java/AclCheckCost.java [iterations]</pre>
 */
public final class AclCheckCost {
    static final String RULES = "+@read +@write +@connection +@keyspace -@dangerous +@string +@list +@hash +@set"
            + " +@sortedset %R~ro:* %W~wo:* ~app:* ~cache:* ~session:* ~queue:* ~tmp:* ~key:* ~mylist* &bench.*";

    public static void main(String[] a) {
        int n = a.length > 0 ? Integer.parseInt(a[0]) : 5_000_000;
        CommandTable t = CommandTable.builtIn();
        Permissions p = new Permissions(t, List.of(AclSelector.compile(t, RULES)));
        Args get = Args.of("GET", "key:__rand_int__");
        Args set = Args.of("SET", "key:__rand_int__", "xxx");
        for (int round = 0; round < 5; round++) {
            System.out.printf(
                    "round %d: GET %.0f ns/check, SET %.0f ns/check%n", round, time(p, get, n), time(p, set, n));
        }
    }

    static double time(Permissions p, Args args, int n) {
        int allowed = 0;
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            if (p.check(args).allowed()) {
                allowed++;
            }
        }
        long t1 = System.nanoTime();
        if (allowed != n) {
            throw new IllegalStateException("denied: " + p.check(args));
        }
        return (t1 - t0) / (double) n;
    }
}
