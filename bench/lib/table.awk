# Turns bench/run's raw.tsv (kind config test contender round rps p50_ms p99_ms) into Markdown tables of
# medians. Portable awk (mawk/gawk). Variables: contenders (comma list, column order), configs (comma list),
# mode ("" = throughput matrix, "conn" = connection cost).

function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    if (n == 0) return ""
    for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    if (n % 2) return a[(n + 1) / 2] + 0
    return (a[n / 2] + a[n / 2 + 1]) / 2
}
function directOf(c) { if (c ~ /^cluster-/) return "cluster-direct"; return (c == "twemproxy" || c == "direct-plain") ? "direct-plain" : "direct-tls" }
function ratio(a, b) { return (a == "" || b == "" || b + 0 == 0) ? "–" : sprintf("%.2f", a / b) }
function verdict(ok) { return ok ? "met" : "**missed**" }

BEGIN { FS = "\t"; nc = split(contenders, cs, ","); ncf = split(configs, cfs, ",")
        nt = split("GET,SET,LRANGE_100,MSET", ts, ",") }
NR == 1 { next }
mode == "" && $1 == "matrix" { k = $2 SUBSEP $3 SUBSEP $4; rps[k] = rps[k] " " $6; p50[k] = p50[k] " " $7; p99[k] = p99[k] " " $8; have[$3] = 1 }
mode == "cpu" && $1 == "cpu" { k = $2 SUBSEP $3 SUBSEP $4; cpu[k] = cpu[k] " " $6; have[$3] = 1 }
mode == "jvm" && ($1 == "cpu" || $1 == "jitcpu" || $1 == "gccpu" || $1 == "cpunojit") {
    k = $2 SUBSEP $3 SUBSEP $4; v[$1, k] = v[$1, k] " " $6; have[$3] = 1
    if ($1 == "jitcpu") byround[k] = byround[k] (byround[k] == "" ? "" : ", ") sprintf("%.2f", $6) }
mode == "conn" && $1 == "conn" { k = $4; rps[k] = rps[k] " " $6; p50[k] = p50[k] " " $7; p99[k] = p99[k] " " $8 }
mode == "conn" && $1 == "conncpu" { k = $4; cpu[k] = cpu[k] " " $6; ucpu[k] = ucpu[k] " " $7 }
mode == "resume" && $1 == "resume" { k = $4; rps[k] = rps[k] " " $6; res[k] = res[k] " " $7; cpu[k] = cpu[k] " " $8 }

END {
    if (mode == "cpu") {
        head = "| config | test |"; sep = "|---|---|"
        for (i = 1; i <= nc; i++) { head = head " " cs[i] " |"; sep = sep "---|" }
        print head; print sep
        for (f = 1; f <= ncf; f++) for (t = 1; t <= nt; t++) {
            if (!(ts[t] in have)) continue
            line = "| " cfs[f] " | " ts[t] " |"
            h0 = median(cpu[cfs[f] SUBSEP ts[t] SUBSEP "haproxy"])
            hc = median(cpu[cfs[f] SUBSEP ts[t] SUBSEP "cluster-direct"])
            for (i = 1; i <= nc; i++) {
                k = cfs[f] SUBSEP ts[t] SUBSEP cs[i]
                if (!(k in cpu)) { line = line " – |"; continue }
                h = (cs[i] ~ /^cluster-/) ? hc : h0
                v = median(cpu[k])
                line = line sprintf(" %.2f (%s) |", v, ratio(v, h))
            }
            print line
        }
        exit
    }
    if (mode == "jvm") { # Java contenders: the process's CPU per request, its JIT compiler and GC threads' part
        print "| config | test | contender | whole process | JIT compiler threads | JIT by round | GC threads | without JIT (÷ HAProxy) |"
        print "|---|---|---|---|---|---|---|---|"
        for (f = 1; f <= ncf; f++) for (t = 1; t <= nt; t++) {
            if (!(ts[t] in have)) continue
            h = median(v["cpu", cfs[f] SUBSEP ts[t] SUBSEP "haproxy"])
            for (i = 1; i <= nc; i++) {
                k = cfs[f] SUBSEP ts[t] SUBSEP cs[i]
                if (!(("jitcpu", k) in v)) continue
                w = median(v["cpunojit", k])
                printf "| %s | %s | %s | %.2f | %.2f | %s | %.2f | %.2f (%s) |\n", cfs[f], ts[t], cs[i], median(v["cpu", k]),
                    median(v["jitcpu", k]), byround[k], median(v["gccpu", k]), w, ratio(w, h)
            }
        }
        exit
    }
    if (mode == "conn") {
        print "| contender | new connections/s | ÷ direct-tls | ÷ HAProxy | p50 ms | p99 ms | CPU µs/conn: serving process (÷ HAProxy) | CPU µs/conn: TLS redis-server |"
        print "|---|---|---|---|---|---|---|---|"
        d = median(rps["direct-tls"]); h = median(rps["haproxy"]); hc = median(cpu["haproxy"])
        for (i = 1; i <= nc; i++) {
            c = cs[i]; if (!(c in rps)) continue
            r = median(rps[c])
            v = (c in cpu) ? sprintf("%.0f (%s)", median(cpu[c]), ratio(median(cpu[c]), hc)) : "–"
            u = (c in ucpu) ? sprintf("%.0f", median(ucpu[c])) : "–"
            printf "| %s | %.0f | %s | %s | %.3f | %.3f | %s | %s |\n", c, r, ratio(r, d), ratio(r, h), median(p50[c]), median(p99[c]), v, u
        }
        print ""
        print "Targets: ≥ 2,000 new authenticated connections/s on the plaintext listener (gateway); the TLS listener ≥ 0.8 × the direct TLS rate with a client that resumes (table below when measured)."
        for (i = 1; i <= nc; i++) {
            c = cs[i]; if (c !~ /^gateway/ || !(c in rps)) continue
            r = median(rps[c])
            printf "- %s: %.0f/s (%s), %s × direct TLS\n", c, r, c == "gateway-tls" ? "TLS listener, every handshake a full one" : verdict(r >= 2000), ratio(r, d)
        }
        exit
    }
    if (mode == "resume") {
        print "| contender | new connections/s | ÷ direct-tls | resumed handshakes | CPU µs/conn: serving process |"
        print "|---|---|---|---|---|"
        d = median(rps["direct-tls"])
        for (i = 1; i <= nc; i++) {
            c = cs[i]; if (!(c in rps)) continue
            r = median(rps[c])
            printf "| %s | %.0f | %s | %.1f %% | %.0f |\n", c, r, ratio(r, d), median(res[c]), median(cpu[c])
        }
        r = median(rps["gateway-tls"])
        if (r != "" && d != "") printf "\nTarget: gateway-tls ≥ 0.8 × direct TLS with this client: %s (%s)\n", ratio(r, d), verdict(r / d >= 0.8)
        exit
    }
    # throughput table
    head = "| config | test |"; sep = "|---|---|"
    for (i = 1; i <= nc; i++) { head = head " " cs[i] " |"; sep = sep "---|" }
    print head; print sep
    for (f = 1; f <= ncf; f++) for (t = 1; t <= nt; t++) {
        if (!(ts[t] in have)) continue
        line = "| " cfs[f] " | " ts[t] " |"
        for (i = 1; i <= nc; i++) {
            c = cs[i]; k = cfs[f] SUBSEP ts[t] SUBSEP c
            r = median(rps[k])
            if (r == "") { line = line " – |"; continue }
            d = median(rps[cfs[f] SUBSEP ts[t] SUBSEP directOf(c)]); h = median(rps[cfs[f] SUBSEP ts[t] SUBSEP "haproxy"])
            line = line sprintf(" %.0f (%s · %s) |", r, ratio(r, d), ratio(r, h))
        }
        print line
    }
    print ""
    print "### Latency p50 / p99 (ms, median of rounds, from redis-benchmark's CSV)"
    print ""
    print head; print sep
    for (f = 1; f <= ncf; f++) for (t = 1; t <= nt; t++) {
        if (!(ts[t] in have)) continue
        line = "| " cfs[f] " | " ts[t] " |"
        for (i = 1; i <= nc; i++) {
            k = cfs[f] SUBSEP ts[t] SUBSEP cs[i]
            line = line ((k in p50) ? sprintf(" %.3f / %.3f |", median(p50[k]), median(p99[k])) : " – |")
        }
        print line
    }
    # the issue's targets, where the run has the numbers
    print ""
    print "Targets (same run):"
    split("gateway,gateway-tls", gws, ",")
    for (g = 1; g <= 2; g++) {
        gw = gws[g]
        split("GET:1.0,SET:1.0,LRANGE_100:0.9", tg, ",")
        for (x = 1; x <= 3; x++) {
            split(tg[x], kv, ":"); k = "c50P16" SUBSEP kv[1]
            r = median(rps[k SUBSEP gw]); h = median(rps[k SUBSEP "haproxy"])
            if (r == "" || h == "") continue
            printf "- %s ÷ HAProxy, %s at -c 50 -P 16: %s (target ≥ %s: %s)\n", gw, kv[1], ratio(r, h), kv[2], verdict(r / h >= kv[2] + 0)
        }
        k = "c1P1" SUBSEP "GET"
        pg = median(p50[k SUBSEP gw]); ph = median(p50[k SUBSEP "haproxy"]); pd = median(p50[k SUBSEP "direct-tls"])
        if (pg != "" && ph != "" && pd != "") {
            ag = pg - pd; ah = ph - pd
            printf "- %s added p50 at -c 1 -P 1 (GET, vs direct TLS): %.3f ms; HAProxy's: %.3f ms (target ≤ 1.2 × HAProxy's: %s)\n", gw, ag, ah, verdict(ag <= 1.2 * ah || ag <= 0)
        }
    }
}
