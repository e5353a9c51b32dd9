#!/usr/bin/env bash
# Interleaved A/B of the token path: the server jar of a base commit against the working tree's, both serving at
# once (own database, own Redis key prefix, the image's JVM settings), loaded in turn by the same wrk runs —
# A8 B8 A32 B32, ROUNDS times — so whatever else the machine is doing lands on both alike. Prints each run and the
# median ratio B/A per connection count. bench/run.sh is the benchmark; this is the before/after check for one
# change when the machine is not quiet enough for two run.sh passes to compare. From the repository root:
#
#   bench/ab.sh <base-commit> [rounds=5] [seconds=10] [algorithm=RS256]
#
# AB_ENV_A / AB_ENV_B: extra environment for one side (space-separated NAME=value), e.g. the same commit twice
# with AB_ENV_A="AUDIT_DURABILITY=async" to measure what synchronous audit costs.
#
# BENCH_PARTITION=1: the servers get CPU 0 to themselves; wrk, PostgreSQL and Redis share the others (bench/partition.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
base=${1:?usage: bench/ab.sh <base-commit> [rounds] [seconds] [algorithm]}
rounds=${2:-5}
seconds=${3:-10}
algorithm=${4:-RS256}
work=$root/bench/.work/ab
rm -rf "$work" && mkdir -p "$work"
pids=()
# shellcheck source=bench/partition.sh
. bench/partition.sh
cleanup() {
  unpin_services
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  git worktree remove --force "$work/base-tree" 2>/dev/null || true
}
trap cleanup EXIT
command -v wrk >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; }

echo "== build: base $base and the working tree"
git worktree add -q --detach "$work/base-tree" "$base"
(cd "$work/base-tree" && ./mvnw -q -B -pl service -am package -DskipTests -Dspotless.check.skip=true)
./mvnw -q -B -pl service -am package -DskipTests -Dspotless.check.skip=true
cp "$work/base-tree/service/target/agentidp-server.jar" "$work/a.jar"
cp service/target/agentidp-server.jar "$work/b.jar"
image_jvm=$(sed -n 's/^ENV JAVA_TOOL_OPTIONS="\([^"]*\)".*/\1/p' service/Dockerfile | sed 's/-XX:SharedArchiveFile=[^ ]*//')

start() { # name port -> basic credentials of a fresh client in $work/<name>.basic
  local name=$1 port=$2 db=agentidp_ab_$1 admin_secret hash_key idp admin id secret
  psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
  java -jar "$work/$name.jar" keygen --algorithm "$algorithm" --out "$work/keys-$name" --force >/dev/null
  admin_secret=$(openssl rand -hex 24); hash_key=$(openssl rand -hex 32)
  local database="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
  env -i PATH="$PATH" DATABASE_URL="$database" java -jar "$work/$name.jar" migrate >/dev/null
  local extra_var=AB_ENV_${name^^}
  # shellcheck disable=SC2086 # word splitting of NAME=value pairs is the point
  env -i PATH="$PATH" HOME="$HOME" JAVA_TOOL_OPTIONS="$image_jvm" PORT="$port" NODE_ENV=benchmark ${!extra_var:-} \
    ISSUER_URL="http://127.0.0.1:$port" DATABASE_URL="$database" DB_MIGRATE_ON_START=false \
    REDIS_URL="redis://127.0.0.1:6379" REDIS_KEY_PREFIX="agentidp-ab-$name-$$:" \
    JWT_PRIVATE_KEY="$(cat "$work/keys-$name/jwt_private.pem")" JWT_PUBLIC_KEY="$(cat "$work/keys-$name/jwt_public.pem")" \
    CREDENTIAL_HASH_KEY="$hash_key" AUDIT_CHAIN_KEY="$(openssl rand -hex 32)" BOOTSTRAP_ADMIN_SECRET="$admin_secret" \
    POLICY_DIR="$root/policies" RATE_LIMIT_MAX_REQUESTS=1000000 \
    "${pin_idp[@]}" java -jar "$work/$name.jar" serve > "$work/$name.log" 2>&1 &
  pids+=("$!")
  idp=http://127.0.0.1:$port
  for _ in $(seq 600); do [ "$(curl -s -o /dev/null -w '%{http_code}' "$idp/health/ready")" = 200 ] && break; sleep 0.1; done
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$idp/health/ready")" = 200 ] \
    || { tail -5 "$work/$name.log" >&2; echo "bench/ab.sh: $name did not become ready" >&2; exit 1; }
  admin=$(curl -sf -u "agentidp-admin:$admin_secret" -d grant_type=client_credentials "$idp/api/v1/token" | jq -r .access_token)
  id=$(curl -sf -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    -d '{"name":"bench","owner":"bench","scopes":[]}' "$idp/api/v1/agents" | jq -r .agentId)
  secret=$(curl -sf -X POST -H "Authorization: Bearer $admin" "$idp/api/v1/agents/$id/credentials" | jq -r .clientSecret)
  printf '%s:%s' "$id" "$secret" | base64 -w0 > "$work/$name.basic"
}
pin_services
echo "== start both ($algorithm)"
start a 3911 # not in $(…): the server's pid must reach this shell's cleanup
pid_a=${pids[-1]}
start b 3912
pid_b=${pids[-1]}
# Server CPU (user + system, clock ticks) from /proc: on a shared machine CPU per token is the robust figure.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# Idle and total ticks of the whole machine: a side that leaves the CPU idle is waiting, not computing.
# Partitioned, the servers' own CPU 0: idle there means the IdP waited.
machine() { awk -v line="^$idle_cpu_line " '$0 ~ line {print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; }
hz=$(getconf CLK_TCK)
basic_a=$(cat "$work/a.basic")
basic_b=$(cat "$work/b.basic")
# shellcheck source=bench/jit.sh
. bench/jit.sh
warm() { # port basic: one 10 s run at 32 connections
  BENCH_BASIC=$2 BENCH_OUT=/dev/null "${pin_load[@]}" wrk -t2 -c32 -d10s -s bench/token.lua "http://127.0.0.1:$1/api/v1/token" >/dev/null
}
echo "== warm-up (JIT, pools, caches) of each side until its C2 compiler is quiet"
warm_until_quiet "$pid_a" "${AB_WARMUP_MAX:-120}" warm 3911 "$basic_a"
warm_until_quiet "$pid_b" "${AB_WARMUP_MAX:-120}" warm 3912 "$basic_b"

results=$work/ab.jsonl
: > "$results"
run() { # name port basic connections round
  local out=$work/$1-$4-$5.json pid before after
  pid=$([ "$1" = a ] && echo "$pid_a" || echo "$pid_b")
  before=$(ticks "$pid")
  read -r idle_before total_before < <(machine)
  BENCH_BASIC=$3 BENCH_OUT=$out "${pin_load[@]}" wrk -t"$(($4 < 2 ? $4 : 2))" -c"$4" -d"${seconds}s" --timeout 10s -s bench/token.lua \
    "http://127.0.0.1:$2/api/v1/token" >/dev/null
  after=$(ticks "$pid")
  read -r idle_after total_after < <(machine)
  jq -c --arg s "$1" --argjson c "$4" --argjson r "$5" --argjson cpu "$(( (after - before) * 1000 / hz ))" \
    --argjson idle "$(( (idle_after - idle_before) * 100 / (total_after - total_before) ))" \
    '. + {side: $s, connections: $c, round: $r, cpu_ms: $cpu, machine_idle_pct: $idle}' "$out" >> "$results"
  printf '   %s c=%-3s round %s: %s\n' "$1" "$4" "$5" \
    "$(tail -1 "$results" | jq -r '"\(.requests * 1000000 / .duration_us | floor)/s p99 \(.p99_us / 1000)ms non200 \(.non200) server CPU per token \(.cpu_ms * 1000 / .requests | floor) us, '"$idle_label"' \(.machine_idle_pct) %"')"
}
echo "== interleaved load: $rounds rounds × (A8 B8 A32 B32) × ${seconds}s"
for r in $(seq 1 "$rounds"); do
  for c in 8 32; do
    # Alternate which side goes first so neither always follows the other.
    if [ $((r % 2)) = 1 ]; then run a 3911 "$basic_a" "$c" "$r"; run b 3912 "$basic_b" "$c" "$r"
    else run b 3912 "$basic_b" "$c" "$r"; run a 3911 "$basic_a" "$c" "$r"; fi
  done
done
python3 - "$results" "$base" "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- service || echo +local)" <<'EOF'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
print(f"\n== B ({sys.argv[3]}) / A ({sys.argv[2]}), tokens/s")
for c in sorted({r["connections"] for r in rows}):
    rate = lambda s: [r["requests"] * 1e6 / r["duration_us"] for r in rows if r["side"] == s and r["connections"] == c]
    ratios = []
    for rnd in sorted({r["round"] for r in rows}):
        a = [r["requests"] * 1e6 / r["duration_us"] for r in rows if r["side"] == "a" and r["connections"] == c and r["round"] == rnd]
        b = [r["requests"] * 1e6 / r["duration_us"] for r in rows if r["side"] == "b" and r["connections"] == c and r["round"] == rnd]
        ratios.append(b[0] / a[0])
    fails = sum(r["non200"] for r in rows if r["connections"] == c)
    cpu = lambda s: [r["cpu_ms"] * 1000 / r["requests"] for r in rows if r["side"] == s and r["connections"] == c]
    print(f"c={c:<3} server CPU per token: A median {statistics.median(cpu('a')):.0f} us  "
          f"B median {statistics.median(cpu('b')):.0f} us  B/A {statistics.median(cpu('b')) / statistics.median(cpu('a')):.3f}")
    print(f"c={c:<3} A median {statistics.median(rate('a')):7.0f}/s  B median {statistics.median(rate('b')):7.0f}/s  "
          f"B/A per round {' '.join(f'{x:.3f}' for x in ratios)}  median {statistics.median(ratios):.3f}  non200 {fails}")
EOF
