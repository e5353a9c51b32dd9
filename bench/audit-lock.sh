#!/usr/bin/env bash
# What the audit chain's advisory lock costs (issue 18): the same server jar, AUDIT_DURABILITY=sync, once as one
# process and once as two processes on one database (each loaded with half the connections), plus the same jar in
# AUDIT_DURABILITY=async — interleaved ONE, TWO, ASYNC, ROUNDS times, so whatever else the machine does lands on all
# alike. After each run it counts the events and the transactions (groups) that wrote them (distinct xmin): one
# transaction per group holds the chain lock, so groups/s is the lock's rate and its inverse the cycle of one group
# (lock, head, insert, commit) while it is the bottleneck. Needs a packaged jar (./mvnw -pl service -am package).
#
#   bench/audit-lock.sh [rounds=3] [seconds=10] [connections=32]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
rounds=${1:-3}
seconds=${2:-10}
connections=${3:-32}
work=$root/bench/.work/audit-lock
rm -rf "$work" && mkdir -p "$work"
jar=$root/service/target/agentidp-server.jar
db=agentidp_auditlock
database="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
image_jvm=$(sed -n 's/^ENV JAVA_TOOL_OPTIONS="\([^"]*\)".*/\1/p' service/Dockerfile | sed 's/-XX:SharedArchiveFile=[^ ]*//')
psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
java -jar "$jar" keygen --algorithm RS256 --out "$work/keys" --force >/dev/null
env -i PATH="$PATH" DATABASE_URL="$database" java -jar "$jar" migrate >/dev/null
admin_secret=$(openssl rand -hex 24); hash_key=$(openssl rand -hex 32); chain_key=$(openssl rand -hex 32)

start() { # name port durability
  env -i PATH="$PATH" HOME="$HOME" JAVA_TOOL_OPTIONS="$image_jvm" PORT="$2" NODE_ENV=benchmark \
    ISSUER_URL="http://127.0.0.1:3921" DATABASE_URL="$database" DB_MIGRATE_ON_START=false \
    REDIS_URL="redis://127.0.0.1:6379" REDIS_KEY_PREFIX="agentidp-auditlock-$$:" AUDIT_DURABILITY="$3" \
    JWT_PRIVATE_KEY="$(cat "$work/keys/jwt_private.pem")" JWT_PUBLIC_KEY="$(cat "$work/keys/jwt_public.pem")" \
    CREDENTIAL_HASH_KEY="$hash_key" AUDIT_CHAIN_KEY="$chain_key" BOOTSTRAP_ADMIN_SECRET="$admin_secret" \
    POLICY_DIR="$root/policies" RATE_LIMIT_MAX_REQUESTS=1000000 \
    java -jar "$jar" serve > "$work/$1.log" 2>&1 &
  pids+=("$!")
}
ready() {
  for _ in $(seq 600); do
    kill -0 "${pids[@]}" 2>/dev/null || { tail -3 "$work"/*.log >&2; echo "bench/audit-lock.sh: a server exited" >&2; exit 1; }
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/health/ready")" = 200 ] && return 0
    sleep 0.1
  done
  echo "bench/audit-lock.sh: port $1 did not become ready" >&2; exit 1
}
# One after the other: three JVMs starting at once on a busy 2-core machine can miss their own start-up deadlines.
start s1 3921 sync # not in $(…): the pids must reach this shell's cleanup
ready 3921
start s2 3922 sync
ready 3922
start a1 3923 async
ready 3923
idp=http://127.0.0.1:3921
admin=$(curl -sf -u "agentidp-admin:$admin_secret" -d grant_type=client_credentials "$idp/api/v1/token" | jq -r .access_token)
id=$(curl -sf -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
  -d '{"name":"bench","owner":"bench","scopes":[]}' "$idp/api/v1/agents" | jq -r .agentId)
secret=$(curl -sf -X POST -H "Authorization: Bearer $admin" "$idp/api/v1/agents/$id/credentials" | jq -r .clientSecret)
basic=$(printf '%s:%s' "$id" "$secret" | base64 -w0)

q() { psql -qAt -h 127.0.0.1 -U postgres -d "$db" -c "$1"; }
load() { # port connections out
  BENCH_BASIC=$basic BENCH_OUT=$3 wrk -t"$(($2 < 2 ? $2 : 2))" -c"$2" -d"${seconds}s" --timeout 10s -s bench/token.lua \
    "http://127.0.0.1:$1/api/v1/token" >/dev/null
}
results=$work/audit-lock.jsonl
: > "$results"
run() { # kind round
  local before after
  before=$(q "SELECT coalesce(max(seq), 0) FROM audit_events")
  case $1 in
    one) load 3921 "$connections" "$work/one.json" ;;
    two) load 3921 $((connections / 2)) "$work/two-a.json" & local other=$!
         load 3922 $((connections / 2)) "$work/two-b.json"; wait "$other" ;;
    async) load 3923 "$connections" "$work/async.json" ;;
  esac
  sleep 1.5 # the async batch lands within a second
  after=$(q "SELECT coalesce(max(seq), 0) FROM audit_events")
  local counts; counts=$(q "SELECT count(*), count(DISTINCT xmin::text) FROM audit_events WHERE seq > $before AND seq <= $after" | tr '|' ' ')
  local requests=0 non200=0 duration=0 p99=0
  for f in "$work"/$1*.json; do
    requests=$((requests + $(jq .requests "$f"))); non200=$((non200 + $(jq .non200 "$f")))
    duration=$(jq .duration_us "$f"); p99=$(jq -r ".p99_us" "$f")
  done
  rm -f "$work"/$1*.json
  read -r events groups <<< "$counts"
  jq -nc --arg kind "$1" --argjson round "$2" --argjson requests "$requests" --argjson non200 "$non200" \
    --argjson duration "$duration" --argjson p99 "$p99" --argjson events "$events" --argjson groups "$groups" \
    '{kind: $kind, round: $round, requests: $requests, non200: $non200, duration_us: $duration, p99_us: $p99,
      events: $events, groups: $groups}' | tee -a "$results"
}
echo "== warm-up"
for port in 3921 3922 3923; do load "$port" "$connections" /dev/null; done
echo "== interleaved: $rounds rounds × (one two async) × ${seconds}s at $connections connections"
for r in $(seq 1 "$rounds"); do
  case $((r % 3)) in
    1) order="one two async" ;; 2) order="two async one" ;; 0) order="async one two" ;;
  esac
  for kind in $order; do run "$kind" "$r"; done
done
python3 - "$results" "$seconds" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
rate = lambda r: r["requests"] * 1e6 / r["duration_us"]
def med(kind, f):
    return statistics.median(f(r) for r in rows if r["kind"] == kind)
for kind in ("one", "two", "async"):
    print(f"{kind:>5}: tokens/s median {med(kind, rate):7.0f}  events/group {med(kind, lambda r: r['events'] / max(r['groups'], 1)):6.1f}"
          f"  groups/s {med(kind, lambda r: r['groups'] / int(sys.argv[2])):6.0f}"
          f"  ms/group {med(kind, lambda r: int(sys.argv[2]) * 1000 / max(r['groups'], 1)):5.1f}  non200 {sum(r['non200'] for r in rows if r['kind'] == kind)}")
for a, b in (("two", "one"), ("one", "async")):
    ratios = [rate(x) / rate(y) for rnd in sorted({r["round"] for r in rows})
              for x in rows if x["kind"] == a and x["round"] == rnd for y in rows if y["kind"] == b and y["round"] == rnd]
    print(f"{a}/{b} per round {' '.join(f'{x:.3f}' for x in ratios)}  median {statistics.median(ratios):.3f}")
for kind in ("one", "two"):
    cycle = med(kind, lambda r: int(sys.argv[2]) * 1000 / max(r["groups"], 1))
    print(f"{kind}: one group per {cycle:.1f} ms on the chain lock; at 256 events per group (GROUP_MAX) the lock"
          f" would carry ~{256 * 1000 / cycle:.0f} tokens/s")
PY
