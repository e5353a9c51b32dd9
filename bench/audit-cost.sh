#!/usr/bin/env bash
# What synchronous audit costs per token (issue 18): two servers from one jar — AUDIT_DURABILITY=sync and async —
# each on its own database, loaded in turn (S A, then A S, …) at one connection count, and per run the CPU of the
# IdP, of PostgreSQL (this database's backends plus the WAL writer, background writer and checkpointer) and of
# Redis from /proc, the database's commits and inserted rows (pg_stat_database), the WAL and its fsyncs (pg_stat_wal,
# server-wide: other databases' writes land there too), the transactions that wrote the run's events (distinct
# xmin = sync groups or async batches), and — sampled every 50 ms — how many requests were waiting on a commit
# (sessions "idle in transaction" or active on the chain). Needs a packaged jar (./mvnw -pl service -am package).
#
#   bench/audit-cost.sh [rounds=3] [seconds=10] [connections=32] [algorithm=RS256] [jar]
#
# AUDIT_COST_RATE=n: a fixed offered rate (hey, n tokens/s over the connections) instead of wrk's closed loop — CPU per
# token at one rate for both, and the p99 at half the peak (run.sh's half_peak uses 16 connections).
# AUDIT_COST_ENV_S / AUDIT_COST_ENV_A: extra environment for the sync / async server (NAME=value …);
# AUDIT_COST_JAR_S / AUDIT_COST_JAR_A: another jar for one side, AUDIT_COST_MODE_A=sync: sync on both sides (then
# "S/A" compares two builds of sync mode); AUDIT_COST_JFR=1 records a JFR of each server to
# bench/.work/audit-cost/<side>.jfr. BENCH_PARTITION=1: the servers on CPU 0, everything else on the others
# (bench/partition.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
rounds=${1:-3}
seconds=${2:-10}
connections=${3:-32}
algorithm=${4:-RS256}
jar=${5:-$root/service/target/agentidp-server.jar}
work=$root/bench/.work/audit-cost
rm -rf "$work" && mkdir -p "$work"
cp "${AUDIT_COST_JAR_S:-$jar}" "$work/server-s.jar"
cp "${AUDIT_COST_JAR_A:-$jar}" "$work/server-a.jar"
pids=()
# shellcheck source=bench/partition.sh
. bench/partition.sh
cleanup() {
  unpin_services
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
image_jvm=$(sed -n 's/^ENV JAVA_TOOL_OPTIONS="\([^"]*\)".*/\1/p' service/Dockerfile | sed 's/-XX:SharedArchiveFile=[^ ]*//')
q() { psql -qAt -h 127.0.0.1 -U postgres -d "$1" -c "$2"; }

start() { # side port durability
  local side=$1 port=$2 db=agentidp_cost_$1 admin_secret idp admin id secret jfr=""
  psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
  java -jar "$work/server-$side.jar" keygen --algorithm "$algorithm" --out "$work/keys-$side" --force >/dev/null
  admin_secret=$(openssl rand -hex 24)
  local database="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
  env -i PATH="$PATH" DATABASE_URL="$database" java -jar "$work/server-$side.jar" migrate >/dev/null
  [ "${AUDIT_COST_JFR:-0}" = 1 ] && jfr="-XX:StartFlightRecording=filename=$work/$side.jfr,settings=profile"
  local extra_var=AUDIT_COST_ENV_${side^^}
  # shellcheck disable=SC2086 # word splitting of NAME=value pairs is the point
  env -i PATH="$PATH" HOME="$HOME" JAVA_TOOL_OPTIONS="$image_jvm $jfr" PORT="$port" NODE_ENV=benchmark \
    ISSUER_URL="http://127.0.0.1:$port" DATABASE_URL="$database" DB_MIGRATE_ON_START=false \
    REDIS_URL="redis://127.0.0.1:6379" REDIS_KEY_PREFIX="agentidp-cost-$side-$$:" AUDIT_DURABILITY="$3" \
    JWT_PRIVATE_KEY="$(cat "$work/keys-$side/jwt_private.pem")" JWT_PUBLIC_KEY="$(cat "$work/keys-$side/jwt_public.pem")" \
    CREDENTIAL_HASH_KEY="$(openssl rand -hex 32)" AUDIT_CHAIN_KEY="$(openssl rand -hex 32)" \
    BOOTSTRAP_ADMIN_SECRET="$admin_secret" POLICY_DIR="$root/policies" RATE_LIMIT_MAX_REQUESTS=1000000 \
    ${!extra_var:-} "${pin_idp[@]}" java -jar "$work/server-$side.jar" serve > "$work/$side.log" 2>&1 &
  pids+=("$!")
  echo "$!" > "$work/$side.pid"
  idp=http://127.0.0.1:$port
  for _ in $(seq 600); do [ "$(curl -s -o /dev/null -w '%{http_code}' "$idp/health/ready")" = 200 ] && break; sleep 0.1; done
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$idp/health/ready")" = 200 ] \
    || { tail -5 "$work/$side.log" >&2; echo "bench/audit-cost.sh: $side did not become ready" >&2; exit 1; }
  admin=$(curl -sf -u "agentidp-admin:$admin_secret" -d grant_type=client_credentials "$idp/api/v1/token" | jq -r .access_token)
  id=$(curl -sf -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    -d '{"name":"bench","owner":"bench","scopes":[]}' "$idp/api/v1/agents" | jq -r .agentId)
  secret=$(curl -sf -X POST -H "Authorization: Bearer $admin" "$idp/api/v1/agents/$id/credentials" | jq -r .clientSecret)
  printf '%s:%s' "$id" "$secret" | base64 -w0 > "$work/$side.basic"
}
ticks() { # pids… -> utime+stime summed, in clock ticks
  local sum=0 pid
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] || continue
    sum=$((sum + $(sed 's/^.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}')))
  done
  echo "$sum"
}
pg_pids() { # db -> the database's backends (autovacuum included) and the WAL writer, background writer, checkpointer
  q postgres "SELECT pid FROM pg_stat_activity WHERE datname = '$1' OR backend_type IN ('walwriter', 'background writer', 'checkpointer')"
}
snapshot() { # side -> one JSON object of counters
  local db=agentidp_cost_$1
  # shellcheck disable=SC2046 # one pid per word
  jq -nc --argjson idp "$(ticks "$(cat "$work/$1.pid")")" --argjson pg "$(ticks $(pg_pids "$db"))" \
    --argjson redis "$(ticks $(pgrep -x redis-server))" \
    --argjson db "$(q postgres "SELECT json_build_object('commits', xact_commit, 'inserted', tup_inserted, 'returned', tup_returned, 'fetched', tup_fetched) FROM pg_stat_database WHERE datname = '$db'")" \
    --argjson wal "$(q postgres "SELECT json_build_object('records', wal_records, 'bytes', wal_bytes, 'writes', wal_write, 'syncs', wal_sync) FROM pg_stat_wal")" \
    --argjson seq "$(q "$db" "SELECT coalesce(max(seq), 0) FROM audit_events")" \
    '{idp: $idp, pg: $pg, redis: $redis, db: $db, wal: $wal, seq: $seq}'
}
waiting() { # db out: sampled every 50 ms until killed — sessions of the database inside a transaction
  while :; do
    q postgres "SELECT count(*) FILTER (WHERE state = 'idle in transaction'), count(*) FILTER (WHERE state = 'active' AND xact_start IS NOT NULL AND backend_type = 'client backend') FROM pg_stat_activity WHERE datname = '$1'" >> "$2"
    sleep 0.05
  done
}
pin_services
echo "== start both ($algorithm, $connections connections)"
start s 3931 sync # not in $(…): the server's pid must reach this shell's cleanup
start a 3932 "${AUDIT_COST_MODE_A:-async}"
# shellcheck source=bench/jit.sh
. bench/jit.sh
warm() { # side: 10 s of load
  BENCH_BASIC=$(cat "$work/$1.basic") BENCH_OUT=/dev/null "${pin_load[@]}" wrk -t2 -c"$connections" -d10s -s bench/token.lua \
    "http://127.0.0.1:$([ "$1" = s ] && echo 3931 || echo 3932)/api/v1/token" >/dev/null
}
warm_until_quiet "${pids[0]}" "${AUDIT_COST_WARMUP_MAX:-120}" warm s
warm_until_quiet "${pids[1]}" "${AUDIT_COST_WARMUP_MAX:-120}" warm a
sleep 1.5
hz=$(getconf CLK_TCK)
results=$work/audit-cost.jsonl
: > "$results"
run() { # side round
  local side=$1 port out=$work/run.json before after sampler
  port=$([ "$side" = s ] && echo 3931 || echo 3932)
  before=$(snapshot "$side")
  : > "$work/waiting.txt"
  waiting "agentidp_cost_$side" "$work/waiting.txt" & sampler=$!
  if [ -n "${AUDIT_COST_RATE:-}" ]; then load_at_rate "$port" "$side" "$out"; else
    BENCH_BASIC=$(cat "$work/$side.basic") BENCH_OUT=$out "${pin_load[@]}" wrk -t2 -c"$connections" -d"${seconds}s" --timeout 10s \
      -s bench/token.lua "http://127.0.0.1:$port/api/v1/token" >/dev/null
  fi
  kill "$sampler"; wait "$sampler" 2>/dev/null || true
  sleep 1.5 # the async batch lands within a second
  after=$(snapshot "$side")
  local groups
  groups=$(q "agentidp_cost_$side" "SELECT count(DISTINCT xmin::text) FROM audit_events WHERE seq > $(jq .seq <<< "$before") AND seq <= $(jq .seq <<< "$after")")
  python3 - "$side" "$2" "$hz" "$groups" "$work/waiting.txt" "$out" "$before" "$after" <<'PY' | tee -a "$results"
import json, statistics, sys
side, rnd, hz, groups, waiting, out, before, after = sys.argv[1:]
hz, groups = int(hz), int(groups)
w = json.load(open(out)); b = json.loads(before); a = json.loads(after)
tokens = w["requests"] - w["non200"]
events = a["seq"] - b["seq"]
per = lambda x: x * 1000 / max(tokens, 1)  # per 1000 tokens
samples = [tuple(map(int, l.split("|"))) for l in open(waiting) if "|" in l]
print(json.dumps({
    "side": side, "round": int(rnd), "tokens_per_s": round(w["requests"] * 1e6 / w["duration_us"]),
    "p99_ms": w["p99_us"] / 1000, "non200": w["non200"], "events": events, "transactions_writing": groups,
    "events_per_transaction": round(events / max(groups, 1), 1),
    "cpu_ms_per_1000": {k: round(per((a[k] - b[k]) * 1000 / hz), 1) for k in ("idp", "pg", "redis")},
    "commits_per_1000": round(per(a["db"]["commits"] - b["db"]["commits"]), 1),
    "rows_read_per_1000": round(per(a["db"]["returned"] - b["db"]["returned"] + a["db"]["fetched"] - b["db"]["fetched"])),
    "wal_bytes_per_token": round((a["wal"]["bytes"] - b["wal"]["bytes"]) / max(tokens, 1)),
    "wal_syncs_per_1000": round(per(a["wal"]["syncs"] - b["wal"]["syncs"]), 1),
    "sessions_in_tx_mean": round(statistics.mean(s[0] + s[1] for s in samples), 2) if samples else None,
}))
PY
}
load_at_rate() { # port side out — hey at AUDIT_COST_RATE tokens/s over the connections (as run.sh's half_peak)
  "${pin_load[@]}" hey -z "${seconds}s" -c "$connections" -q "$(echo "$AUDIT_COST_RATE / $connections" | bc -l | cut -c1-8)" -m POST \
    -H "Authorization: Basic $(cat "$work/$2.basic")" -T application/x-www-form-urlencoded -d grant_type=client_credentials \
    "http://127.0.0.1:$1/api/v1/token" > "$work/hey.txt"
  python3 - "$work/hey.txt" "$seconds" > "$3" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
ok = sum(int(n) for n in re.findall(r"\[200\]\s+(\d+) responses", text))
bad = sum(int(n) for code, n in re.findall(r"\[(\d+)\]\s+(\d+) responses", text) if code != "200")
p99 = re.search(r"99%+ in ([0-9.]+) secs", text)
print(json.dumps({"requests": ok + bad, "non200": bad, "duration_us": int(sys.argv[2]) * 1000000,
                  "p99_us": float(p99.group(1)) * 1e6 if p99 else 0}))
PY
}
echo "== interleaved: $rounds rounds × (S A) × ${seconds}s"
for r in $(seq 1 "$rounds"); do
  if [ $((r % 2)) = 1 ]; then run s "$r"; run a "$r"; else run a "$r"; run s "$r"; fi
done
python3 - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def med(side, f):
    return statistics.median(f(r) for r in rows if r["side"] == side)
print("\n== medians        sync      async")
for label, f in [("tokens/s", lambda r: r["tokens_per_s"]), ("p99 ms", lambda r: r["p99_ms"]),
                 ("IdP CPU ms/1000", lambda r: r["cpu_ms_per_1000"]["idp"]), ("PG CPU ms/1000", lambda r: r["cpu_ms_per_1000"]["pg"]),
                 ("Redis CPU ms/1000", lambda r: r["cpu_ms_per_1000"]["redis"]), ("commits/1000", lambda r: r["commits_per_1000"]),
                 ("events/tx", lambda r: r["events_per_transaction"]), ("WAL B/token", lambda r: r["wal_bytes_per_token"]),
                 ("WAL syncs/1000", lambda r: r["wal_syncs_per_1000"]), ("sessions in tx", lambda r: r["sessions_in_tx_mean"] or 0)]:
    print(f"{label:18} {med('s', f):9.1f} {med('a', f):9.1f}")
ratios = [s["tokens_per_s"] / a["tokens_per_s"] for s in rows if s["side"] == "s" for a in rows if a["side"] == "a" and a["round"] == s["round"]]
print(f"sync/async per round {' '.join(f'{x:.3f}' for x in ratios)}  median {statistics.median(ratios):.3f}")
PY
