#!/usr/bin/env python3
"""Turns bench/run.sh's JSON lines into bench/RESULTS.md: medians and spread, ratios, and the targets."""
import argparse
import json
import statistics
from datetime import datetime, timezone

parser = argparse.ArgumentParser()
parser.add_argument("results")
for flag in ("machine", "jdk", "keycloak-jdk", "keycloak-version", "commit", "image-jvm", "reps", "seconds", "elapsed",
             "partition"):
    parser.add_argument("--" + flag, default="")
args = parser.parse_args()
rows = [json.loads(line) for line in open(args.results) if line.strip()]


def of(kind=None, **match):
    return [r for r in rows if r.get("kind") == kind and all(r.get(k) == v for k, v in match.items())]


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def spread(values):
    values = [v for v in values if v is not None]
    return f"{min(values):,.0f}–{max(values):,.0f}" if values else "–"


def rps(run):
    return run["requests"] * 1e6 / run["duration_us"]


def ms(us):
    return "–" if us is None else f"{us / 1000:.1f}"


def ratio(a, b):
    return "–" if not a or not b else f"{a / b:.2f}×"


out = []
w = out.append
openssl = of("openssl")
rsa_multi = median([r["rsa2048_sign_s"] for r in openssl])
ec_multi = median([r["ecdsap256_sign_s"] for r in openssl])
rsa_one = median([r["rsa2048_sign_s"] for r in of("openssl_one_core")])
servers = [("agentidp", "RS256"), ("agentidp", "ES256"), ("keycloak", "RS256")]
levels = sorted({r["connections"] for r in of(None)})


def summary(server, variant, c):
    runs = of(None, server=server, variant=variant, connections=c)
    if not runs:
        return None
    return {
        "rps": median([rps(r) for r in runs]),
        "rps_spread": spread([rps(r) for r in runs]),
        "p50": median([r["p50_us"] for r in runs]),
        "p99": median([r["p99_us"] for r in runs]),
        "p999": median([r["p999_us"] for r in runs]),
        "failed": sum(r["non200"] + r["socket_errors"] + r["timeouts"] for r in runs),
        "requests": sum(r["requests"] for r in runs),
        "cpu": median([r["server_cpu_s"] * 1000 / r["requests"] for r in runs if r["requests"]]),
        "backing": median([r["backing_cpu_s"] * 1000 / r["requests"] for r in runs if r["requests"]]),
        "runs": len(runs),
    }


table = {(s, v, c): summary(s, v, c) for s, v in servers for c in levels}
process = {(r["server"], r["variant"]): r for r in of("process")}
verify = {(r["server"], r["variant"]): r for r in of("verify")}
half = {(s, v): of("half_peak", server=s, variant=v) for s, v in servers}

w("# Token benchmark results")
w("")
w(f"Run {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}, commit `{args.commit}`, "
  f"{args.elapsed} s end to end.")
w("")
w(f"- **Machine:** {args.machine}; shared and noisy; " + (
    "partitioned (`BENCH_PARTITION=1`): the servers on CPU 0, wrk, hey, PostgreSQL and Redis on the others."
    if args.partition == "1" else "client, servers, PostgreSQL and Redis on the same cores."))
w(f"- **AgentIdP:** `agentidp-server.jar serve` on {args.jdk}, the image's JVM settings "
  f"(`{args.image_jvm}`), local PostgreSQL (fresh database) and Redis, access log on.")
w(f"- **Keycloak:** {args.keycloak_version} (`keycloak-quarkus-dist`), `start-dev` on loopback (embedded H2), "
  f"{args.keycloak_jdk}; realm `bench`, a confidential client with a service account, default RS256 key.")
w(f"- **Load:** wrk, 2 threads, keep-alive, `POST` `grant_type=client_credentials` with HTTP Basic; each point "
  f"{args.reps} runs × {args.seconds} s after a warm-up; medians, spread = min–max of the runs. "
  f"p99 at half the peak: hey at a fixed offered rate, 16 workers.")
w("")
w("Reproduce: `bench/run.sh` (≈ 15 minutes; knobs in its header).")
w("")

w("## Targets")
w("")
w("| target | measured | |")
w("|---|---|---|")
a32 = table.get(("agentidp", "RS256", 32))
k32 = table.get(("keycloak", "RS256", 32))
e32 = table.get(("agentidp", "ES256", 32))


def verdict(ok):
    return "met" if ok else "**missed**"


if a32 and rsa_multi:
    share = a32["rps"] / rsa_multi
    w(f"| RS256 at 32 connections ≥ 70 % of `openssl speed -multi` RSA-2048 signing | {a32['rps']:,.0f} tokens/s "
      f"= {share:.0%} of {rsa_multi:,.0f} signatures/s | {verdict(share >= 0.7)} |")
if a32 and k32:
    w(f"| ≥ 5 × Keycloak at 32 connections | {a32['rps']:,.0f} vs {k32['rps']:,.0f} tokens/s = "
      f"{a32['rps'] / k32['rps']:.1f}× | {verdict(a32['rps'] >= 5 * k32['rps'])} |")
for s, v in servers[:2]:
    h = half[(s, v)]
    if h:
        p99 = median([r["p99_us"] for r in h])
        w(f"| p99 ≤ 10 ms at half the peak ({v}) | {ms(p99)} ms at {h[0]['offered_rps']:,} tokens/s offered "
          f"(runs: {', '.join(ms(r['p99_us']) for r in h)} ms) | {verdict(p99 is not None and p99 <= 10_000)} |")
durability = of("durability")


def durability_of(v, mode):
    return [r for r in durability if r["variant"] == v and r["mode"] == mode and r["requests"]]


def failures(runs):
    return sum(r["non200"] + r["socket_errors"] + r["timeouts"] for r in runs)


def half_cell(rows):
    """p99 at a fixed offered rate, and whether hey held it: a rate not held is overload, not half load."""
    if not rows:
        return "–"
    achieved, offered = median([r["achieved_rps"] for r in rows]), rows[0]["offered_rps"]
    held = "" if achieved >= 0.9 * offered else f", **not held: {achieved:,.0f}/s achieved**"
    return f"{ms(median([r['p99_us'] for r in rows]))} ms at {offered:,}/s offered{held}"


for v in ("RS256", "ES256"):
    sync, asyn = durability_of(v, "sync"), durability_of(v, "async")
    if sync and asyn:
        failed = failures(sync) + failures(asyn)
        # Each pair ran back to back on the same machine: the median of the pairs' ratios is the figure, robust
        # to the minutes when the whole box slows down (the ratio of the medians is shown beside it).
        pairs = [rps(a) / rps(b) for a, b in zip(sorted(sync, key=lambda r: r["rep"]),
                                                 sorted(asyn, key=lambda r: r["rep"]))]
        share = median(pairs)
        w(f"| `AUDIT_DURABILITY=sync` ≥ 90 % of `async` at 32 connections ({v}, issue 18) | {share:.0%}, median of "
          f"the pairs ({', '.join(f'{p:.2f}' for p in pairs)}); medians {median([rps(r) for r in sync]):,.0f} vs "
          f"{median([rps(r) for r in asyn]):,.0f} tokens/s; {failed} failed | {verdict(share >= 0.9 and not failed)} |")
    h, ha = (of("half_peak", server="agentidp", variant=f"{v}-{m}") for m in ("sync", "async"))
    if h:
        p99 = median([r["p99_us"] for r in h])
        failed = sum(r["failed"] + r["errors"] for r in h)
        held = median([r["achieved_rps"] for r in h]) >= 0.9 * h[0]["offered_rps"]
        w(f"| p99 ≤ 12 ms at half the peak, sync ({v}, issue 18) | {half_cell(h)}; async {half_cell(ha)}; {failed} "
          f"failed | {verdict(p99 is not None and p99 <= 12_000 and held and not failed)} |")
for s, v in servers[:2]:
    p = process.get((s, v))
    if p:
        w(f"| peak RSS ≤ 256 MiB under sustained load ({v}) | {p['peak_rss_kib'] / 1024:.0f} MiB | "
          f"{verdict(p['peak_rss_kib'] <= 256 * 1024)} |")
        w(f"| ready ≤ 2 s after process start ({v}) | {p['ready_ms'] / 1000:.2f} s (median of "
          f"{len(str(p.get('ready_runs', '')).split()) or 1} starts) | {verdict(p['ready_ms'] <= 2000)} |")
for s, v in servers:
    t = verify.get((s, v))
    failed = sum((table.get((s, v, c)) or {}).get("failed", 0) for c in levels)
    failed += sum(r["failed"] for r in half[(s, v)])
    if t:
        ok = t["checked"] > 0 and t["checked"] == t["valid"] and failed == 0
        w(f"| every request succeeds, sampled tokens verify against the JWKS ({s} {v}) | {failed} failed; "
          f"{t['valid']}/{t['checked']} tokens valid | {verdict(ok)} |")
w("")

w("## The limit: one signature")
w("")
w("| what | signatures/s |")
w("|---|---|")
w(f"| `openssl speed rsa2048`, one core | {rsa_one:,.0f} |" if rsa_one else "")
w(f"| `openssl speed -multi` rsa2048, all cores (median; runs {spread([r['rsa2048_sign_s'] for r in openssl])}) "
  f"| {rsa_multi:,.0f} |")
w(f"| `openssl speed -multi` ecdsap256, all cores (median; runs {spread([r['ecdsap256_sign_s'] for r in openssl])}) "
  f"| {ec_multi:,.0f} |")
jmh = of("jmh")
if jmh:
    w("")
    w("JMH (`bench/` module, `-f 1 -wi 2 -i 3`; ± is JMH's 99.9 % error):")
    w("")
    w("| benchmark | algorithm | provider | threads | ops/s |")
    w("|---|---|---|---|---|")
    for r in sorted(jmh, key=lambda r: (r["benchmark"], r["params"].get("algorithm", ""), r["threads"],
                                        -r["score"])):
        err = f" ± {r['error']:,.0f}" if r.get("error") == r.get("error") and r.get("error") else ""
        w(f"| {r['benchmark']} | {r['params'].get('algorithm', '')} | "
          f"{r['params'].get('provider', 'picked at startup')} | {r['threads']} | {r['score']:,.0f}{err} |")
w("")

w("## Under load")
w("")
w("CPU columns are seconds of CPU per 1000 tokens: the IdP's own process, and PostgreSQL + Redis (AgentIdP only; "
  "Keycloak's H2 runs inside its process).")
w("")
w("| server | connections | tokens/s (median) | spread | p50 ms | p99 ms | p99.9 ms | failed | IdP CPU s/1000 | "
  "PG+Redis CPU s/1000 |")
w("|---|---|---|---|---|---|---|---|---|---|")
for s, v in servers:
    for c in levels:
        t = table.get((s, v, c))
        if t:
            backing = f"{t['backing']:.2f}" if s == "agentidp" else "–"
            w(f"| {s} {v} | {c} | {t['rps']:,.0f} | {t['rps_spread']} | {ms(t['p50'])} | {ms(t['p99'])} | "
              f"{ms(t['p999'])} | {t['failed']} | {t['cpu']:.2f} | {backing} |")
w("")
w("### AgentIdP / Keycloak")
w("")
w("| AgentIdP variant | connections | throughput | p99 latency | IdP CPU per token |")
w("|---|---|---|---|---|")
for v in ("RS256", "ES256"):
    for c in levels:
        a, k = table.get(("agentidp", v, c)), table.get(("keycloak", "RS256", c))
        if a and k:
            w(f"| {v} | {c} | {ratio(a['rps'], k['rps'])} | {ratio(a['p99'], k['p99'])} | "
              f"{ratio(a['cpu'], k['cpu'])} |")
w("")
scenarios = of("scenario")
if scenarios:
    w("### Scenarios (AgentIdP, 32 connections, interleaved with the client-secret path)")
    w("")
    w("| variant | scenario | tokens/s (median) | spread | p99 ms | failed | client-secret path tokens/s | ratio "
      "| IdP CPU µs/token (secret path) | wrk CPU µs/request (secret path) |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    for v, name in sorted({(r["variant"], r["scenario"]) for r in scenarios}):
        runs = [r for r in scenarios if r["variant"] == v and r["scenario"] == name and r["path"] == name]
        base = [r for r in scenarios if r["variant"] == v and r["scenario"] == name and r["path"] == "client_secret"]
        own, ref = median([rps(r) for r in runs]), median([rps(r) for r in base])
        failed = sum(r["non200"] + r["socket_errors"] + r["timeouts"] for r in runs)
        def per(rows, key):
            values = [r[key] * 1e6 / r["requests"] for r in rows if key in r and r["requests"]]
            return f"{median(values):,.0f}" if values else "–"
        w(f"| {v} | {name} | {own:,.0f} | {spread([rps(r) for r in runs])} | {ms(median([r['p99_us'] for r in runs]))} "
          f"| {failed} | {ref:,.0f} | {ratio(own, ref)} | {per(runs, 'server_cpu_s')} ({per(base, 'server_cpu_s')}) "
          f"| {per(runs, 'wrk_cpu_s')} ({per(base, 'wrk_cpu_s')}) |")
    w("")
if durability:
    w("### Audit durability (issue 18: AgentIdP, 32 connections, sync and async servers on one database, interleaved)")
    w("")
    w("| variant | mode | tokens/s (median) | spread | p99 ms | failed | IdP CPU µs/token | PG+Redis CPU µs/token "
      "| p99 at half its median rate |")
    w("|---|---|---|---|---|---|---|---|---|")
    for v in ("RS256", "ES256"):
        for mode in ("sync", "async"):
            runs = durability_of(v, mode)
            if not runs:
                continue
            hp = of("half_peak", server="agentidp", variant=f"{v}-{mode}")
            cpu = median([r["server_cpu_s"] * 1e6 / r["requests"] for r in runs])
            back = median([r["backing_cpu_s"] * 1e6 / r["requests"] for r in runs])
            w(f"| {v} | {mode} | {median([rps(r) for r in runs]):,.0f} | {spread([rps(r) for r in runs])} | "
              f"{ms(median([r['p99_us'] for r in runs]))} | {failures(runs)} | {cpu:,.0f} | {back:,.0f} | "
              f"{half_cell(hp)} |")
    w("")
w("### Processes")
w("")
w("| server | ready after start | peak RSS (VmHWM) | signing provider |")
w("|---|---|---|---|")
for (s, v), p in sorted(process.items()):
    runs = f" (starts: {p['ready_runs']} ms)" if p.get("ready_runs") else ""
    w(f"| {s} {v} | {p['ready_ms'] / 1000:.2f} s{runs} | {p['peak_rss_kib'] / 1024:.0f} MiB | {p['provider']} |")
w("")

if a32:
    w("## Where the time goes (AgentIdP RS256, 32 connections)")
    w("")
    sign = next((r["score"] for r in jmh if r["benchmark"] == "SignerBenchmark.sign" and r["threads"] == 1
                 and r["params"].get("algorithm") == "RS256"
                 and r["params"].get("provider") == "AmazonCorrettoCryptoProvider"), None)
    cores = float(args.machine.split()[0]) if args.machine.split()[0].isdigit() else 2
    machine_ms = cores * 1000 / a32["rps"]
    w(f"Per token, in CPU milliseconds: the whole machine spends {machine_ms:.2f} ({cores:.0f} cores / "
      f"{a32['rps']:,.0f} tokens/s); the IdP process {a32['cpu']:.2f}, of which the RSA signature is "
      + (f"{1000 / sign:.2f} (JMH, one thread)" if sign else "unknown")
      + f"; PostgreSQL + Redis {a32['backing']:.2f}; the rest — wrk, the kernel's loopback TCP, other tenants — "
      f"{max(0.0, machine_ms - a32['cpu'] - a32['backing']):.2f}.")
    if sign:
        w("")
        w(f"At {sign:,.0f} signatures/s per core the signature alone would allow {sign * cores:,.0f} tokens/s on "
          f"{cores:.0f} cores; everything around it (HTTP, the credential lookup, two Redis calls, the audit "
          f"row, the access log, the load generator itself) costs {machine_ms - 1000 / sign:.2f} ms per token.")
    w("")
profiles = {r["variant"]: r for r in of("profile")}
if profiles:
    w("JFR profile of the IdP process during one more 32-connection run (`settings=profile`; execution and native-method "
      "samples, idle event-loop waits left out), by the innermost recognisable frame:")
    w("")
    variants = sorted(profiles)
    w("| where | " + " | ".join(variants) + " |")
    w("|---|" + "---|" * len(variants))
    names = []
    for v in variants:
        for b in profiles[v]["buckets"]:
            if b["bucket"] not in names:
                names.append(b["bucket"])
    for name in names:
        cells = []
        for v in variants:
            share = next((b["share"] for b in profiles[v]["buckets"] if b["bucket"] == name), 0)
            cells.append(f"{share:.0%}")
        w(f"| {name} | " + " | ".join(cells) + " |")
    w("| samples | " + " | ".join(str(profiles[v]["samples"]) for v in variants) + " |")
    w("")
print("\n".join(out))
