package io.github.redisentra.gateway;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.TokenListener;
import io.github.redisentra.gateway.auth.EntraAuthenticator;
import io.github.redisentra.gateway.auth.TenantKeys;
import io.github.redisentra.gateway.config.ConfigException;
import io.github.redisentra.gateway.config.EntraSettings;
import io.github.redisentra.gateway.config.GatewayConfig;
import io.github.redisentra.gateway.config.UpstreamIdentitySettings;
import io.github.redisentra.gateway.config.UpstreamSettings;
import io.github.redisentra.gateway.identity.UpstreamIdentity;
import io.github.redisentra.gateway.identity.UpstreamProbe;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code --check-config}: with a valid configuration, read both OpenID metadata documents and the signing keys,
 * obtain an upstream token, connect upstream once (TLS, AUTH, PING), and print what was found with secrets
 * redacted. Each failure names the step and the exact problem; the exit status is non-zero if any step failed.
 */
final class ConfigCheck {
    private ConfigCheck() {}

    /** @return the process exit status: 0 when every step passed, 1 otherwise */
    static int run(GatewayConfig config, PrintStream out, Clock clock) throws ConfigException {
        return run(GatewaySetup.of(config), out, clock);
    }

    /** @return the process exit status: 0 when every step passed, 1 otherwise */
    static int run(GatewaySetup setup, PrintStream out, Clock clock) {
        GatewayConfig config = setup.config();
        EntraSettings entra = config.entra();
        out.println("configuration: valid");
        out.print(config.summary());
        boolean ok = true;

        long waitMillis = config.http().timeout().toMillis() * 3;
        if (entra.enabled()) {
            try (EntraAuthenticator auth =
                    setup.entraAuthenticator(null, new io.github.redisentra.gateway.auth.AuditLog(), clock)) {
                auth.start().get(waitMillis, TimeUnit.MILLISECONDS);
                TenantKeys.Status s = auth.keyStatus();
                out.println("metadata: OK, issuers " + String.join(", ", auth.issuers()));
                out.println("signing keys: OK, " + s.keyCount() + " key(s)");
            } catch (ExecutionException e) {
                ok = false;
                out.println("metadata/signing keys: FAILED reading " + entra.metadataUrlV2() + " and "
                        + entra.metadataUrlV1() + ": " + message(e.getCause()));
            } catch (TimeoutException e) {
                ok = false;
                out.println("metadata/signing keys: FAILED, no answer within " + waitMillis + " ms from "
                        + entra.authorityHost());
            } catch (Exception e) {
                ok = false;
                out.println("metadata/signing keys: FAILED: " + message(e));
            }
        } else {
            out.println("entra: off (LDAP-only gateway)");
        }

        int up = checkUpstream("upstream", config.upstreamIdentity(), config.upstream(), waitMillis, out, config);
        if (up == FATAL) {
            return 1;
        }
        ok &= up == OK;
        // the identities roles name (upstream: blocks), each checked the same way
        if (setup.roles().isPresent()) {
            for (io.github.redisentra.gateway.acl.RolePolicy.UpstreamSpec spec :
                    setup.roles().get().upstreams()) {
                String label = "role upstream " + spec.where().replaceFirst("^.*: ", "");
                GatewayConfig derived;
                try {
                    derived = config.withUpstreamIdentity(spec.settings());
                } catch (Exception e) {
                    out.println(label + " credential: FAILED: " + message(e));
                    return 1;
                }
                int r = checkUpstream(label, derived.upstreamIdentity(), derived.upstream(), waitMillis, out, null);
                if (r == FATAL) {
                    return 1;
                }
                ok &= r == OK;
            }
        }
        if (config.ldap().isPresent()) {
            ok &= checkLdap(config, out, clock);
        }
        out.println(ok ? "check-config: OK" : "check-config: FAILED");
        return ok ? 0 : 1;
    }

    /** Connects to every directory server (TLS, service bind) and asks WhoAmI. */
    private static boolean checkLdap(GatewayConfig config, PrintStream out, Clock clock) {
        try (io.github.redisentra.gateway.auth.ldap.LdapAuthenticator ldap =
                io.github.redisentra.gateway.auth.ldap.LdapAuthenticator.create(
                        config.ldap().get(), new io.github.redisentra.gateway.auth.AuditLog(), clock)) {
            boolean ok = true;
            for (var c : ldap.probe()) {
                if (c.up()) {
                    out.println("ldap " + c.url() + ": OK, WhoAmI answered in " + Math.round(c.latencySeconds() * 1000)
                            + " ms");
                } else {
                    ok = false;
                    out.println("ldap " + c.url() + ": FAILED: " + c.error());
                }
            }
            return ok;
        } catch (Exception e) {
            out.println("ldap: FAILED: " + message(e));
            return false;
        }
    }

    /** The messages of the cause chain, without wrappers and repeats (azure-identity says "see inner exception"). */
    private static String message(Throwable e) {
        StringBuilder sb = new StringBuilder();
        java.util.Set<String> seen = new java.util.HashSet<>();
        int depth = 0;
        for (Throwable t = e; t != null && depth < 6; t = t.getCause(), depth++) {
            if (t instanceof ExecutionException || t instanceof java.util.concurrent.CompletionException) {
                continue;
            }
            String m = t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
            if (seen.add(m) && sb.indexOf(m) < 0) {
                sb.append(sb.length() == 0 ? "" : ": ").append(m);
            }
        }
        return sb.length() == 0 ? e.getClass().getSimpleName() : sb.toString();
    }

    private static final int OK = 0;
    private static final int PROBE_FAILED = 1;
    private static final int FATAL = 2;

    /** Obtains a token of {@code config}'s upstream identity and AUTHs + PINGs upstream with it. */
    private static int checkUpstream(
            String label,
            UpstreamIdentitySettings identity,
            UpstreamSettings config,
            long waitMillis,
            PrintStream out,
            GatewayConfig clusterCheck) {
        boolean probeOk = true;
        UpstreamIdentity upstream;
        try {
            upstream = UpstreamIdentity.fromSettings(identity);
        } catch (RuntimeException e) {
            out.println(label + " credential: FAILED: " + message(e));
            return FATAL;
        }
        try (upstream) {
            AccessToken c;
            // The refresher retries forever; for a check, the first failure is the answer.
            CompletableFuture<AccessToken> first = new CompletableFuture<>();
            upstream.first().whenComplete((v, e) -> {
                if (e != null) {
                    first.completeExceptionally(e);
                } else {
                    first.complete(v);
                }
            });
            AutoCloseable failures = upstream.listen(new TokenListener() {
                @Override
                public void onToken(AccessToken token) {}

                @Override
                public void onRefreshFailure(Throwable error, int consecutiveFailures, Instant nextAttempt) {
                    first.completeExceptionally(error);
                }
            });
            try (failures) {
                c = first.get(
                        Math.max(
                                waitMillis,
                                identity.localRedisTokenCommandTimeout().toMillis() + 1000),
                        TimeUnit.MILLISECONDS);
                out.println(label + " credential: OK, " + upstream.describe() + ", user " + upstream.username(c)
                        + (c.expiresAt().equals(Instant.MAX) ? "" : ", expires " + c.expiresAt()) + ", sha256 "
                        + c.fingerprint());
            } catch (ExecutionException e) {
                out.println(label + " credential: FAILED (" + upstream.describe() + "): " + message(e.getCause()));
                return FATAL;
            } catch (TimeoutException e) {
                out.println(label + " credential: FAILED (" + upstream.describe() + "): no token in time");
                return FATAL;
            }
            try {
                UpstreamProbe.check(config, upstream, c);
                out.println(label + ": OK, " + config.address()
                        + (config.tls() ? " over TLS (" + config.hostname() + ")" : " in plaintext")
                        + ", AUTH and PING succeeded");
            } catch (Exception e) {
                probeOk = false;
                out.println(label + ": FAILED: " + message(e));
            }
            if (probeOk && clusterCheck != null) {
                probeOk = ClusterCheck.print(clusterCheck, upstream, c, out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return FATAL;
        } catch (Exception e) { // closing the subscription
            out.println(label + " credential: FAILED: " + message(e));
            return FATAL;
        }
        return probeOk ? OK : PROBE_FAILED;
    }
}
