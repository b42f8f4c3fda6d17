package io.github.redisentra.samples.demo;

import com.microsoft.aad.msal4j.SystemBrowserOptions;
import io.github.redisentra.emulator.User;
import io.github.redisentra.samples.JedisSample;
import io.github.redisentra.samples.LettuceSample;
import io.github.redisentra.samples.SampleLogging;
import io.github.redisentra.samples.SampleSettings;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The one-command local demo ({@code ./demo.sh}): starts the Entra ID emulator, a TLS {@code redis-server} standing
 * in for Azure Cache for Redis and the gateway; runs the Lettuce sample (device code, approved automatically) and the
 * Jedis sample (browser sign-in, scripted) through the gateway as alice; shows bob, who is not in the allowed group,
 * refused; watches a token renewal re-authenticate live connections; runs a {@code redis-cli} session through {@code
 * redis-entra connect} signed in as alice; then stops everything. Exit status 0 when every
 * check passed.
 */
public final class DemoMain {
    private static final Pattern REASON = Pattern.compile("\"reason\"\\s*:\\s*\"([^\"]+)\"");
    private static final Pattern TOKEN_HASH = Pattern.compile("\"token_sha256\"\\s*:\\s*\"([^\"]+)\"");

    private DemoMain() {}

    public static void main(String[] args) {
        SampleLogging.init();
        System.exit(run(System.out));
    }

    /** Runs the whole demo, printing the transcript to {@code out}; returns the exit status. */
    public static int run(PrintStream out) {
        Transcript t = new Transcript(out);
        t.step("demo", "redis-entra local demo: Entra ID groups for Redis, through the gateway");
        try (DemoEnvironment env = DemoEnvironment.start(t)) {
            try {
                lettuce(env, t);
                jedis(env, t);
                refusedUser(env, t);
                RedisCliThroughTunnel.run(env, t);
            } catch (Exception e) {
                t.check(false, "the demo stopped early: " + e);
            }
            t.step("gateway", "metrics (http://127.0.0.1:.../metrics), authentication decisions:");
            env.gateway.metrics().stream()
                    .filter(l -> l.startsWith("redis_entra_gateway_auth_total"))
                    .forEach(l -> t.detail("gateway", l));
            if (t.failures() > 0) {
                // The gateway's side of the story (JSON lines: tokens appear only as fingerprints).
                t.step("gateway", "last lines of the gateway's log:");
                env.gateway.logTail(30).lines().forEach(l -> t.detail("gateway", l));
            }
            t.step("demo", "stopping the gateway (SIGTERM: drain, then exit), redis-server and the emulator");
            env.gateway.stop();
            int status = env.gateway.exitStatus();
            t.check(status == 0 || status == 143, "gateway stopped cleanly (exit status " + status + ")");
        } catch (Exception e) {
            t.step("demo", "DEMO FAILED: " + e);
            return 1;
        }
        if (t.failures() > 0) {
            t.step("demo", "DEMO FAILED: " + t.failures() + " check(s) failed");
            return 1;
        }
        t.step("demo", "DEMO OK: everything stopped; all checks passed");
        t.step("demo", "next: run the samples yourself, against this emulator or Azure: samples/README.md");
        return 0;
    }

    private static void lettuce(DemoEnvironment env, Transcript t) throws Exception {
        t.step("demo", "1. Lettuce sample as alice: device-code sign-in, strings, pub/sub, then a token renewal");
        Map<String, String> settings = env.sampleSettings(env.alice);
        // Hold the connections past the first token's expiry plus the gateway's tolerance: only a live re-AUTH keeps
        // a session going that long without reconnecting.
        long hold = DemoEnvironment.USER_TOKEN_LIFETIME
                .plus(DemoEnvironment.GATEWAY_CLOCK_SKEW)
                .plusSeconds(4)
                .toSeconds();
        settings.put("HOLD", hold + "s");
        PrintStream out = t.linesOf("lettuce");
        LettuceSample.Outcome o = LettuceSample.run(
                SampleSettings.of(settings),
                b -> b.deviceCodeHandler(code -> {
                    out.println(code.message());
                    t.step(
                            "demo",
                            "a person would now open " + code.verificationUri() + " and enter the code; approving it"
                                    + " as " + env.alice.upn() + " through the emulator");
                    env.emulator.approveDeviceCode(code.userCode(), env.alice);
                }),
                out);
        t.check(o.objectId().equals(env.alice.objectId()), "Lettuce signed in as alice (oid " + o.objectId() + ")");
        t.check(o.stringsWorked(), "Lettuce SET/GET/INCR through the gateway");
        t.check(o.messageReceived(), "Lettuce pub/sub message delivered through the gateway");
        t.check(o.renewals() >= 1, "the user's token renewed before it expired (" + o.renewals() + " renewal(s))");
        t.check(
                o.reauthenticationsAfterRenewal() >= 1 && o.reauthenticationFailures() == 0,
                "live connections re-authenticated with the renewed token (" + o.reauthenticationsAfterRenewal()
                        + " AUTH(s), " + o.reauthenticationFailures() + " failure(s))");
        t.check(
                o.outlivedFirstToken() && o.disconnects() == 0,
                "connections outlived the first token without reconnecting (" + o.disconnects() + " reconnect(s))");
        Set<String> tokens = audit(env, env.alice, "allowed").stream()
                .map(l -> first(TOKEN_HASH, l))
                .collect(Collectors.toSet());
        t.step("gateway", "audit: alice allowed with " + tokens.size() + " distinct token(s) (sha256 " + tokens + ")");
        t.check(tokens.size() >= 2, "the gateway validated alice's renewed token on re-AUTH");
    }

    private static void jedis(DemoEnvironment env, Transcript t) throws Exception {
        t.step("demo", "2. Jedis sample as alice: interactive browser sign-in, pooled client");
        JedisSample.Outcome o = JedisSample.run(
                SampleSettings.of(env.sampleSettings(env.alice)),
                b -> scriptedBrowser(b, env, env.alice, t),
                t.linesOf("jedis"));
        t.check(o.worked(), "Jedis pooled INCRs through the gateway (counter " + o.counter() + ")");
    }

    private static void refusedUser(DemoEnvironment env, Transcript t) throws Exception {
        t.step("demo", "3. Jedis sample as bob, who signs in fine but is not in the allowed group");
        JedisSample.Outcome o = JedisSample.run(
                SampleSettings.of(env.sampleSettings(env.bob)),
                b -> scriptedBrowser(b, env, env.bob, t),
                t.linesOf("bob"));
        t.check(
                !o.worked() && o.refusal().map(r -> r.startsWith("WRONGPASS")).orElse(false),
                "bob refused by the gateway with " + o.refusal().orElse("(no error)"));
        List<String> denied = audit(env, env.bob, "denied");
        String reason = denied.isEmpty() ? "(none)" : first(REASON, denied.get(denied.size() - 1));
        t.step("gateway", "audit: bob denied, reason " + reason);
        t.check("missing_group".equals(reason), "the gateway's reason for bob is missing_group (wrong group)");
    }

    /** MSAL's "open the browser" replaced by the emulator's scripted browser, which picks {@code user}. */
    private static void scriptedBrowser(
            io.github.redisentra.core.MsalUserTokenSource.Builder b, DemoEnvironment env, User user, Transcript t) {
        b.systemBrowserOptions(SystemBrowserOptions.builder()
                .openBrowserAction(url -> CompletableFuture.runAsync(() -> {
                    try {
                        URI page = url.toURI();
                        t.step(
                                "demo",
                                "the browser would open " + page.getScheme() + "://" + page.getAuthority()
                                        + page.getPath() + "; signing in as " + user.upn() + " there");
                        env.emulator.browser().signIn(page, user);
                    } catch (Exception e) {
                        t.step("demo", "scripted browser failed: " + e);
                    }
                }))
                .build());
    }

    /** The gateway's audit events for {@code user} with {@code result} (JSON lines; tokens appear only hashed). */
    private static List<String> audit(DemoEnvironment env, User user, String result) throws IOException {
        return env.gateway.logLines().stream()
                .filter(l -> l.contains("\"result\":\"" + result + "\""))
                .filter(l -> l.contains(user.objectId()))
                .toList();
    }

    private static String first(Pattern p, String line) {
        Matcher m = p.matcher(line);
        return m.find() ? m.group(1) : "?";
    }
}
