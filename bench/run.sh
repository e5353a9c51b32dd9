#!/usr/bin/env bash
# The token benchmark, end to end, on this machine; writes bench/RESULTS.md. From the repository root:
#
#   bench/run.sh
#
# 1. the limit: `openssl speed` (RSA-2048 and P-256 signatures, all cores) and JMH (our signer per provider, and
#    the whole minting function);
# 2. AgentIdP `serve` (the image's jar and JVM settings) on the local PostgreSQL (fresh database) and Redis, RS256
#    and then ES256 keys, driven by wrk at 1, 8, 32 and 128 keep-alive connections, REPS times each; then the
#    scenarios at 32 connections, REPS times each, each run right after a client-secret run of the same client: a
#    token bound to an RFC 8707 resource (`resource`), the same client with private_key_jwt (ES256 assertions), and
#    jwt-bearer (an ES256 external token, its issuer's JWK set inline in a trust policy) — with the IdP's and wrk's
#    CPU per request; and an RFC 8693 token exchange (`token_exchange`: a worker
#    exchanging a planner's token); then issue 18's audit durability: the same server (AUDIT_DURABILITY=sync, the
#    default) against a second one on the same database with AUDIT_DURABILITY=async, interleaved at 32 connections,
#    and each at a fixed half of its own peak for p99;
# 3. Keycloak (keycloak-quarkus-dist from Maven Central, `start-dev` on loopback, a confidential client with a
#    service account) under the same load in the same run.
# Every server is checked: no failed request, and a sample of the tokens verified against its JWKS.
#
# Knobs (environment): BENCH_REPS (3), BENCH_SECONDS (10), BENCH_CONNECTIONS ("1 8 32 128"), BENCH_WARMUP (20),
# BENCH_SKIP_KEYCLOAK=1, BENCH_SKIP_JMH=1, BENCH_SKIP_SCENARIOS=1, BENCH_PKJWT_ASSERTIONS (per private_key_jwt or
# jwt-bearer run; default 1.5 × the secret path's), BENCH_PARTITION=1 (the servers on CPU 0, wrk, hey, PostgreSQL and
# Redis on the others: bench/partition.sh), BENCH_REPORT (where the report goes; default bench/RESULTS.md — a partial
# run should not replace the last full one). Needs root
# only to apt-get wrk/hey when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
reps=${BENCH_REPS:-3}
seconds=${BENCH_SECONDS:-10}
connections=${BENCH_CONNECTIONS:-"1 8 32 128"}
warmup=${BENCH_WARMUP:-20}
# shellcheck source=bench/jit.sh
. bench/jit.sh
# shellcheck source=bench/partition.sh
. bench/partition.sh
report=${BENCH_REPORT:-bench/RESULTS.md}
keycloak_version=26.7.3
work=$root/bench/.work
results=$work/results.jsonl
started=$(date +%s)

say() { printf '\n== %s [%ss]\n' "$*" $(($(date +%s) - started)); }
die() { echo "bench: $*" >&2; exit 1; }

# --- tools and services ---------------------------------------------------------------------------------------
for tool in wrk hey; do
  if ! command -v "$tool" >/dev/null; then
    [ "$(id -u)" = 0 ] || die "needs $tool (Debian: apt-get install $tool)"
    apt-get install -y -qq "$tool" >/dev/null || die "apt-get install $tool failed"
  fi
done
for tool in java curl jq openssl python3 psql redis-cli pg_isready; do
  command -v "$tool" >/dev/null || die "needs $tool"
done
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi
keycloak_java=""
for jdk in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-21-jdk-amd64 ${KEYCLOAK_JAVA_HOME:-}; do
  [ -x "$jdk/bin/java" ] && keycloak_java=$jdk
done
[ -n "$keycloak_java" ] || [ -n "${BENCH_SKIP_KEYCLOAK:-}" ] || die "Keycloak needs Java 21+: set KEYCLOAK_JAVA_HOME"

rm -rf "$work/run" && mkdir -p "$work/run"
: > "$results"
pids=()
cleanup() {
  unpin_services
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
# Every load generator runs where partition.sh puts it (nowhere in particular by default).
wrk() { "${pin_load[@]}" "$(type -P wrk)" "$@"; }
hey() { "${pin_load[@]}" "$(type -P hey)" "$@"; }

say "build"
./mvnw -q -B -Pbench -pl service,bench -am package -DskipTests
server_jar=$root/service/target/agentidp-server.jar
bench_jar=$root/bench/target/agentidp-bench.jar
# The image's JVM settings, read from the Dockerfile so the benchmark cannot drift from what ships.
image_jvm=$(sed -n 's/^ENV JAVA_TOOL_OPTIONS="\([^"]*\)".*/\1/p' service/Dockerfile)
[ -n "$image_jvm" ] || die "no JAVA_TOOL_OPTIONS in service/Dockerfile"
# ... and its class-data-sharing archive, made by the same training script for this machine's JVM.
cds=$work/run/agentidp.jsa
service/src/main/docker/cds-archive.sh "$server_jar" "$cds" "$root/policies" >/dev/null 2>&1 \
  || die "the CDS training run failed: service/src/main/docker/cds-archive.sh"
image_jvm=${image_jvm//\/app\/agentidp.jsa/$cds}

# --- helpers --------------------------------------------------------------------------------------------------
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }            # user + system, in clock ticks
backing_ticks() {                                                    # PostgreSQL and Redis, every process
  local total=0 pid
  for pid in $(pgrep -x postgres; pgrep -x redis-server); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
hz=$(getconf CLK_TCK)

wait_ready() { # url, pid, timeout seconds -> prints milliseconds since $2 started (from $3 = start ns)
  local url=$1 pid=$2 start_ns=$3 deadline=$(($(date +%s) + $4))
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "$url")" = 200 ]; do
    kill -0 "$pid" 2>/dev/null || return 1
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.01
  done
  echo $((($(date +%s%N) - start_ns) / 1000000))
}

warm_run() { # basic url: 10 s at 32 connections
  BENCH_BASIC=$1 BENCH_OUT=/dev/null wrk -t2 -c32 -d10s -s bench/token.lua "$2" >/dev/null
}

# load server variant url pid basic — the connection matrix, REPS times each, one JSON line per run
load() {
  local server=$1 variant=$2 url=$3 pid=$4 basic=$5 c rep
  mkdir -p "$work/run/$server-$variant/samples"
  BENCH_BASIC=$basic BENCH_OUT=/dev/null wrk -t2 -c32 -d"${warmup}s" -s bench/token.lua "$url" >/dev/null
  # Then on until the JIT is quiet (bench/jit.sh; a pid that is not the JVM reads as quiet at once).
  warm_until_quiet "$pid" "${BENCH_WARMUP_MAX:-120}" warm_run "$basic" "$url"
  for c in $connections; do
    for rep in $(seq 1 "$reps"); do
      local out=$work/run/$server-$variant/wrk-$c-$rep.json
      local cpu0 back0 cpu1 back1
      cpu0=$(cpu_ticks "$pid"); back0=$(backing_ticks)
      BENCH_BASIC=$basic BENCH_OUT=$out BENCH_SAMPLES=$work/run/$server-$variant/samples \
        wrk -t"$((c < 2 ? c : 2))" -c"$c" -d"${seconds}s" --timeout 10s -s bench/token.lua "$url" >/dev/null
      cpu1=$(cpu_ticks "$pid"); back1=$(backing_ticks)
      jq -c --arg server "$server" --arg variant "$variant" --argjson c "$c" --argjson rep "$rep" \
        --argjson cpu "$(echo "($cpu1 - $cpu0) / $hz" | bc -l)" \
        --argjson backing "$(echo "($back1 - $back0) / $hz" | bc -l)" \
        '. + {server: $server, variant: $variant, connections: $c, rep: $rep, server_cpu_s: $cpu,
              backing_cpu_s: $backing}' "$out" >> "$results"
      printf '   %-9s %-6s c=%-3s #%s: %s\n' "$server" "$variant" "$c" "$rep" \
        "$(jq -r '"\(.requests * 1000000 / .duration_us | floor)/s p99 \(.p99_us / 1000)ms non200 \(.non200)"' "$out")"
    done
  done
}

# measured out path pid wrk-args... — one wrk run with the server's, the backing services' and wrk's own CPU
# (a load-generator script that builds a long body per request costs the server throughput on a small machine);
# prints a JSON object of the three, in seconds, to merge into the run's row.
measured() {
  local out=$1 pid=$2 cpu0 back0 cpu1 back1 wrk_cpu; shift 2
  cpu0=$(cpu_ticks "$pid"); back0=$(backing_ticks)
  [ "$1" = wrk ] && set -- "${pin_load[@]}" "$(type -P wrk)" "${@:2}"
  wrk_cpu=$(/usr/bin/time -f '%U %S' "$@" 2>&1 >/dev/null | tail -1 | awk '{print $1 + $2}')
  cpu1=$(cpu_ticks "$pid"); back1=$(backing_ticks)
  jq -nc --argjson cpu "$(echo "($cpu1 - $cpu0) / $hz" | bc -l)" --argjson back "$(echo "($back1 - $back0) / $hz" | bc -l)" \
    --argjson wrk "$wrk_cpu" '{server_cpu_s: $cpu, backing_cpu_s: $back, wrk_cpu_s: $wrk}'
}

# scenario name variant url pid basic body — one more token path at 32 connections, REPS times, interleaved with the
# plain client-secret path so that both see the same machine; kind "scenario" rows (report.py compares them)
scenario() {
  local name=$1 variant=$2 url=$3 pid=$4 basic=$5 body=$6 rep path form out cpu
  mkdir -p "$work/run/agentidp-$variant-$name/samples"
  BENCH_BASIC=$basic BENCH_BODY=$body BENCH_OUT=/dev/null wrk -t2 -c32 -d"${warmup}s" -s bench/token.lua "$url" \
    >/dev/null
  for rep in $(seq 1 "$reps"); do
    for path in client_secret "$name"; do
      form=grant_type=client_credentials; [ "$path" = client_secret ] || form=$body
      out=$work/run/agentidp-$variant-$name/wrk-$path-$rep.json
      cpu=$(BENCH_BASIC=$basic BENCH_BODY=$form BENCH_OUT=$out \
        BENCH_SAMPLES=$work/run/agentidp-$variant-$name/samples \
        measured "$out" "$pid" wrk -t2 -c32 -d"${seconds}s" --timeout 10s -s bench/token.lua "$url")
      scenario_row "$name" "$path" "$variant" "$rep" "$out" "$cpu"
    done
  done
}

scenario_row() { # scenario path variant rep wrk-json cpu-json
  jq -c --arg scenario "$1" --arg path "$2" --arg variant "$3" --argjson rep "$4" --argjson cpu "$6" \
    '. + $cpu + {kind: "scenario", scenario: $scenario, path: $path, server: "agentidp", variant: $variant,
          connections: 32, rep: $rep}' "$5" >> "$results"
  printf '   %-9s %-6s %-15s c=32  #%s: %s\n' agentidp "$3" "$2" "$4" \
    "$(jq -r '"\(.requests * 1000000 / .duration_us | floor)/s p99 \(.p99_us / 1000)ms non200 \(.non200)"' "$5")  $(
      tail -1 "$results" | jq -r '"IdP CPU \(.server_cpu_s * 1e6 / .requests | floor) µs/token, wrk \(.wrk_cpu_s * 1e6
        / .requests | floor) µs/request"')"
}

# half_peak server variant url basic [peak] — p99 at half the peak throughput (by default the best run of the
# connection matrix), at a fixed offered rate (hey)
half_peak() {
  local server=$1 variant=$2 url=$3 basic=$4 peak=${5:-} rate rep
  [ -n "$peak" ] || peak=$(jq -s --arg s "$server" --arg v "$variant" '[.[] | select(.server == $s and
        .variant == $v and .kind == null) | .requests * 1000000 / .duration_us] | max' "$results")
  rate=$(echo "$peak / 2" | bc)
  mkdir -p "$work/run/$server-$variant"
  for rep in $(seq 1 "$reps"); do
    local out=$work/run/$server-$variant/hey-$rep.txt
    hey -z "${seconds}s" -c 16 -q "$(echo "$rate / 16" | bc -l | cut -c1-8)" -m POST \
      -H "Authorization: Basic $basic" -T application/x-www-form-urlencoded -d grant_type=client_credentials \
      "$url" > "$out"
    python3 - "$out" "$server" "$variant" "$rate" "$rep" >> "$results" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
p99 = re.search(r"99%+ in ([0-9.]+) secs", text)
ok = sum(int(n) for n in re.findall(r"\[200\]\s+(\d+) responses", text))
bad = sum(int(n) for code, n in re.findall(r"\[(\d+)\]\s+(\d+) responses", text) if code != "200")
rps = re.search(r"Requests/sec:\s+([0-9.]+)", text)
print(json.dumps({"kind": "half_peak", "server": sys.argv[2], "variant": sys.argv[3], "offered_rps": int(sys.argv[4]),
                  "rep": int(sys.argv[5]), "achieved_rps": float(rps.group(1)) if rps else 0,
                  "p99_us": float(p99.group(1)) * 1e6 if p99 else None, "ok": ok, "failed": bad,
                  "errors": len(re.findall(r"^\s+\[\d+\]\s+Post", text, re.M))}))
PY
    printf '   %-9s %-6s half peak %s/s #%s: %s\n' "$server" "$variant" "$rate" "$rep" \
      "$(tail -1 "$results" | jq -r '"p99 \(.p99_us / 1000)ms failed \(.failed)"')"
  done
}

# durability variant url pid basic — issue 18: this server (AUDIT_DURABILITY=sync, the default: no token before
# its audit event commits) against a second one on the same database and keys with AUDIT_DURABILITY=async, at 32
# connections, REPS pairs back to back (sync first in odd pairs, async first in even ones); kind "durability" rows.
# Then each one's p99 at half its own median in these runs (half_peak variants "<alg>-sync", "<alg>-async"): the
# median, not the best run, since on a shared box the best run is a quiet minute and half of it is no half load.
durability() {
  local variant=$1 url=$2 pid=$3 basic=$4 async_url=http://127.0.0.1:$((port + 1))/api/v1/token async_pid
  local mode rep out cpu target_pid target_url start_ns peak
  serve $((port + 1)) async "$work/run/agentidp-$variant-async.log"
  async_pid=$!; pids+=("$async_pid")
  start_ns=$(date +%s%N)
  wait_ready "http://127.0.0.1:$((port + 1))/health/ready" "$async_pid" "$start_ns" 60 >/dev/null \
    || { tail -20 "$work/run/agentidp-$variant-async.log"; die "the async AgentIdP did not become ready"; }
  mkdir -p "$work/run/agentidp-$variant-durability"
  warm_until_quiet "$async_pid" "${BENCH_WARMUP_MAX:-120}" warm_run "$basic" "$async_url"
  warm_until_quiet "$pid" "${BENCH_WARMUP_MAX:-120}" warm_run "$basic" "$url"
  for rep in $(seq 1 "$reps"); do
    for mode in $([ $((rep % 2)) = 1 ] && echo sync async || echo async sync); do
      target_pid=$pid target_url=$url
      [ "$mode" = sync ] || target_pid=$async_pid target_url=$async_url
      out=$work/run/agentidp-$variant-durability/wrk-$mode-$rep.json
      cpu=$(BENCH_BASIC=$basic BENCH_OUT=$out \
        measured "$out" "$target_pid" wrk -t2 -c32 -d"${seconds}s" --timeout 10s -s bench/token.lua "$target_url")
      jq -c --arg mode "$mode" --arg variant "$variant" --argjson rep "$rep" --argjson cpu "$cpu" \
        '. + $cpu + {kind: "durability", mode: $mode, server: "agentidp", variant: $variant, connections: 32,
              rep: $rep}' "$out" >> "$results"
      printf '   %-9s %-6s %-6s c=32  #%s: %s\n' agentidp "$variant" "$mode" "$rep" \
        "$(jq -r '"\(.requests * 1000000 / .duration_us | floor)/s p99 \(.p99_us / 1000)ms non200 \(.non200)"' "$out")"
    done
  done
  # As report.py: the median of the pairs' ratios (each pair saw the same minute of this machine).
  jq -rs --arg v "$variant" '
    def median: sort | .[(length / 2 | floor)];
    def rate: .requests * 1000000 / ([.duration_us, 1] | max);
    [.[] | select(.kind == "durability" and .variant == $v)] as $rows
    | [$rows[] | select(.mode == "sync")] as $s | [$rows[] | select(.mode == "async")] as $a
    | [range(0; [$s, $a] | map(length) | min) as $i | ($s[$i] | rate) / ([($a[$i] | rate), 1] | max)] | median
    | "   sync / async at c=32, median of the pairs: \(. * 100 | floor) % (issue 18: at least 90 %)"' "$results"
  for mode in sync async; do # each at half its own median rate in these runs, in turn
    target_url=$url; [ "$mode" = sync ] || target_url=$async_url
    peak=$(jq -s --arg v "$variant" --arg m "$mode" '[.[] | select(.kind == "durability" and .variant == $v and
      .mode == $m) | .requests * 1000000 / .duration_us] | sort | .[(length / 2 | floor)]' "$results")
    half_peak agentidp "$variant-$mode" "$target_url" "$basic" "$peak"
  done
  kill -TERM "$async_pid"; wait "$async_pid" || true
}

# exchange variant idp pid admin — RFC 8693 token exchange at 32 connections against the client-secret path of the same
# run (issue 17: at least 70 %): a worker agent, holding a delegation from a planner agent, exchanges the planner's
# token for one of its own — one client authentication, one verification, one Redis revocation check, one
# delegation lookup in PostgreSQL and one signature per request. Both paths authenticate as the worker.
exchange() {
  local variant=$1 idp=$2 pid=$3 admin=$4 planner worker planner_secret worker_secret subject
  planner=$(curl -sf -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    -d '{"name":"bench-planner","owner":"bench","scopes":["tokens:read"]}' "$idp/api/v1/agents" | jq -r .agentId)
  worker=$(curl -sf -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    -d '{"name":"bench-worker","owner":"bench","scopes":["tokens:read"]}' "$idp/api/v1/agents" | jq -r .agentId)
  planner_secret=$(curl -sf -X POST -H "Authorization: Bearer $admin" "$idp/api/v1/agents/$planner/credentials" \
    | jq -r .clientSecret)
  worker_secret=$(curl -sf -X POST -H "Authorization: Bearer $admin" "$idp/api/v1/agents/$worker/credentials" \
    | jq -r .clientSecret)
  curl -sf -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    -d "{\"actorAgentId\":\"$worker\",\"scopes\":[\"tokens:read\"]}" \
    "$idp/api/v1/agents/$planner/delegations" >/dev/null || die "cannot create the bench delegation"
  subject=$(curl -sf -u "$planner:$planner_secret" -d grant_type=client_credentials "$idp/api/v1/token" \
    | jq -r .access_token)
  scenario token_exchange "$variant" "$idp/api/v1/token" "$pid" "$(printf '%s:%s' "$worker" "$worker_secret" | base64 -w0)" \
    "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token=$subject&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token"
}

# assertions kind variant idp pid basic prefix maker... — issue 16's assertion paths: private_key_jwt (ES256 client
# assertions) or jwt_bearer (ES256 external tokens, the issuer's JWK set inline in a trust policy) at 32 connections,
# REPS times, each run right after a client-secret run of the same client, as `scenario` does, so the ratio compares
# like with like (issue 16: each at least 80 % of the client-secret path in the same run). Each request carries its
# own assertion (a jti is single-use), made before its pair of runs by `maker <count> <file>`: wrk cannot sign.
assertions() {
  local kind=$1 variant=$2 idp=$3 pid=$4 basic=$5 prefix=$6 dir=$work/run/agentidp-$2-$1 rep path out cpu count
  shift 6
  # Enough for 1.5 times the secret path's best 32-connection rate (signing them takes time of its own).
  count=${BENCH_PKJWT_ASSERTIONS:-$(jq -s --arg v "$variant" --argjson s "$seconds" '[.[] | select(.server ==
    "agentidp" and .variant == $v and .connections == 32 and .kind == null) | .requests * 1000000 / .duration_us]
    | max * $s * 1.5 | floor | if . < 10000 then 10000 else . end' "$results")}
  mkdir -p "$dir/samples"
  "$@" "$count" "$dir/warmup.txt"
  BENCH_BASIC=unused BENCH_ASSERTIONS=$dir/warmup.txt BENCH_PREFIX=$prefix BENCH_THREADS=2 BENCH_OUT=/dev/null \
    wrk -t2 -c32 -d"${seconds}s" --timeout 10s -s bench/pkjwt.lua "$idp/api/v1/token" >/dev/null
  for rep in $(seq 1 "$reps"); do
    "$@" "$count" "$dir/assertions.txt"
    for path in client_secret "$kind"; do
      out=$dir/wrk-$path-$rep.json
      if [ "$path" = client_secret ]; then
        cpu=$(BENCH_BASIC=$basic BENCH_OUT=$out BENCH_SAMPLES=$dir/samples \
          measured "$out" "$pid" wrk -t2 -c32 -d"${seconds}s" --timeout 10s -s bench/token.lua "$idp/api/v1/token")
      else
        cpu=$(BENCH_BASIC=unused BENCH_ASSERTIONS=$dir/assertions.txt BENCH_PREFIX=$prefix BENCH_THREADS=2 \
          BENCH_OUT=$out BENCH_SAMPLES=$dir/samples \
          measured "$out" "$pid" wrk -t2 -c32 -d"${seconds}s" --timeout 10s -s bench/pkjwt.lua "$idp/api/v1/token")
      fi
      scenario_row "$kind" "$path" "$variant" "$rep" "$out" "$cpu"
    done
  done
  jq -rs --arg v "$variant" --arg k "$kind" '
    def median: sort | .[(length / 2 | floor)];
    [.[] | select(.kind == "scenario" and .scenario == $k and .variant == $v)] as $rows
    | ($rows | map(select(.path == "client_secret") | .requests * 1000000 / .duration_us) | median) as $secret
    | ($rows | map(select(.path == $k) | .requests * 1000000 / .duration_us) | median) as $own
    | "   \($k) / client secret at c=32, medians: \($own | floor)/s / \($secret | floor)/s = \(
        $own / $secret * 100 | floor) % (issue 16: at least 80 %)"' "$results"
}

verify_samples() { # server variant jwks issuer
  local server=$1 variant=$2 line
  line=$(java -cp "$bench_jar" ai.sentryagent.agentidp.bench.VerifyTokens "$3" "$4" \
    "$work/run/$server-$variant"/samples/*.txt) || true
  echo "   $server $variant: tokens checked/valid against the JWKS: $line"
  jq -nc --arg s "$server" --arg v "$variant" --arg line "$line" \
    '{kind: "verify", server: $s, variant: $v, checked: ($line | split(" ")[0] | tonumber? // 0),
      valid: ($line | split(" ")[1] | tonumber? // 0)}' >> "$results"
}

# --- 1. the limit ---------------------------------------------------------------------------------------------
cores=$(nproc)
say "openssl speed (-multi $cores), $reps runs"
for rep in $(seq 1 "$reps"); do
  rsa=$(openssl speed -seconds 3 -multi "$cores" rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print $6}')
  ec=$(openssl speed -seconds 3 -multi "$cores" ecdsap256 2>/dev/null | awk '/nistp256\)/ {print $(NF-1)}')
  echo "   rsa2048 sign/s $rsa, ecdsap256 sign/s $ec"
  jq -nc --argjson rep "$rep" --argjson rsa "$rsa" --argjson ec "$ec" \
    '{kind: "openssl", rep: $rep, rsa2048_sign_s: $rsa, ecdsap256_sign_s: $ec}' >> "$results"
done
rsa1=$(openssl speed -seconds 3 rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print $6}')
jq -nc --argjson rsa "$rsa1" '{kind: "openssl_one_core", rsa2048_sign_s: $rsa}' >> "$results"

if [ -z "${BENCH_SKIP_JMH:-}" ]; then
  say "JMH: signer per provider and minting, one thread; best provider on $cores threads"
  java -jar "$bench_jar" -f 1 -wi 2 -w 2s -i 3 -r 3s -t 1 -rf json -rff "$work/run/jmh-1.json" >/dev/null
  java -jar "$bench_jar" -f 1 -wi 2 -w 2s -i 3 -r 3s -t "$cores" -p provider=AmazonCorrettoCryptoProvider \
    -rf json -rff "$work/run/jmh-$cores.json" >/dev/null
  for file in "$work/run/jmh-1.json" "$work/run/jmh-$cores.json"; do
    jq -c '.[] | {kind: "jmh", benchmark: (.benchmark | split(".") | .[-2:] | join(".")), threads: .threads,
                  params: (.params // {}), score: .primaryMetric.score, error: .primaryMetric.scoreError}' \
      "$file" >> "$results"
  done
  jq -r 'select(.kind == "jmh") | "   \(.benchmark) \(.params) t=\(.threads): \(.score | floor)/s"' "$results"
fi

# --- 2. AgentIdP ----------------------------------------------------------------------------------------------
port=3900
# serve port durability log — one AgentIdP in the background ($! is its pid), with run_agentidp's keys and database
serve() {
  "${pin_idp[@]}" env -i PATH="$PATH" HOME="$HOME" JAVA_TOOL_OPTIONS="$image_jvm" \
    PORT=$1 NODE_ENV=benchmark ISSUER_URL="http://127.0.0.1:$port" AUDIT_DURABILITY="$2" \
    DATABASE_URL="$database" DB_MIGRATE_ON_START=false \
    REDIS_URL="redis://127.0.0.1:6379" REDIS_KEY_PREFIX="agentidp-bench-$started-$algorithm:" \
    JWT_PRIVATE_KEY="$(cat "$work/run/keys-$algorithm/jwt_private.pem")" \
    JWT_PUBLIC_KEY="$(cat "$work/run/keys-$algorithm/jwt_public.pem")" \
    CREDENTIAL_HASH_KEY="$hash_key" AUDIT_CHAIN_KEY="$chain_key" BOOTSTRAP_ADMIN_SECRET="$admin_secret" \
    POLICY_DIR="$root/policies" CUSTOM_SCOPES=bench:read \
    RATE_LIMIT_MAX_REQUESTS=1000000 \
    java -jar "$server_jar" serve > "$3" 2>&1 &
}
pin_services
run_agentidp() {
  local algorithm=$1 admin_secret hash_key admin id secret basic start_ns ready pid=""
  say "AgentIdP $algorithm: serve on a fresh database"
  psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS agentidp_bench" \
    -c "CREATE DATABASE agentidp_bench" >/dev/null
  java -jar "$server_jar" keygen --algorithm "$algorithm" --out "$work/run/keys-$algorithm" --force >/dev/null
  admin_secret=$(openssl rand -hex 24); hash_key=$(openssl rand -hex 32); chain_key=$(openssl rand -hex 32)
  database="postgres://postgres@127.0.0.1:5432/agentidp_bench?sslmode=disable"
  # As deployed: the migrate job first, then tasks that start on a migrated schema.
  env -i PATH="$PATH" DATABASE_URL="$database" java -jar "$server_jar" migrate >/dev/null
  local readies=() attempt
  for attempt in $(seq 1 "$reps"); do # ready time, several starts; the last one stays up for the load
    [ -z "${pid:-}" ] || { kill -TERM "$pid"; wait "$pid" || true; }
    start_ns=$(date +%s%N)
    serve "$port" sync "$work/run/agentidp-$algorithm.log"
    pid=$!; pids+=("$pid")
    ready=$(wait_ready "http://127.0.0.1:$port/health/ready" "$pid" "$start_ns" 60) \
      || { tail -20 "$work/run/agentidp-$algorithm.log"; die "AgentIdP did not become ready"; }
    readies+=("$ready")
  done
  ready=$(printf '%s\n' "${readies[@]}" | sort -n | sed -n "$(((${#readies[@]} + 1) / 2))p")
  echo "   ready after process start: ${readies[*]} ms (median $ready); $(grep -o \
    'signing [A-Z0-9]* tokens with the [A-Za-z]* provider' "$work/run/agentidp-$algorithm.log")"
  local idp=http://127.0.0.1:$port
  admin=$(curl -sf -u "agentidp-admin:$admin_secret" -d grant_type=client_credentials "$idp/api/v1/token" \
    | jq -r .access_token)
  id=$(curl -sf -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    -d '{"name":"bench","owner":"bench","scopes":[],"resources":["https://resource.bench.example/api"]}' \
    "$idp/api/v1/agents" | jq -r .agentId)
  secret=$(curl -sf -X POST -H "Authorization: Bearer $admin" "$idp/api/v1/agents/$id/credentials" \
    | jq -r .clientSecret)
  basic=$(printf '%s:%s' "$id" "$secret" | base64 -w0)
  load agentidp "$algorithm" "$idp/api/v1/token" "$pid" "$basic"
  half_peak agentidp "$algorithm" "$idp/api/v1/token" "$basic"
  verify_samples agentidp "$algorithm" "$idp/.well-known/jwks.json" "$idp"
  durability "$algorithm" "$idp/api/v1/token" "$pid" "$basic"
  [ -z "${BENCH_SKIP_SCENARIOS:-}" ] || { finish_agentidp; return; }
  # RFC 8707: the same client asks for a token bound to its registered resource (aud = the resource).
  scenario resource "$algorithm" "$idp/api/v1/token" "$pid" "$basic" \
    "grant_type=client_credentials&resource=https%3A%2F%2Fresource.bench.example%2Fapi"
  verify_samples agentidp "$algorithm-resource" "$idp/.well-known/jwks.json" "$idp"
  # private_key_jwt: the same client with its ES256 key registered.
  local keys=$work/run/keys-$algorithm-client issuer_keys=$work/run/keys-$algorithm-issuer fed fed_secret fed_basic
  mkdir -p "$keys" "$issuer_keys"
  java -cp "$bench_jar" ai.sentryagent.agentidp.bench.Assertions key "$keys"
  curl -sf -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    -d "{\"jwk\":$(cat "$keys/public.json")}" "$idp/api/v1/agents/$id/keys" >/dev/null \
    || die "the bench client's public key was not registered"
  assertions private_key_jwt "$algorithm" "$idp" "$pid" "$basic" \
    "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=" \
    java -cp "$bench_jar" ai.sentryagent.agentidp.bench.Assertions sign "$keys" "$idp" "$id"
  verify_samples agentidp "$algorithm-private_key_jwt" "$idp/.well-known/jwks.json" "$idp"
  # jwt-bearer: a CI job's OIDC token for an agent with a scope (a trust policy grants at least one); its secret
  # path runs are that agent's, so both tokens carry the same claims.
  java -cp "$bench_jar" ai.sentryagent.agentidp.bench.Assertions key "$issuer_keys"
  fed=$(curl -sf -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    -d '{"name":"bench-federated","owner":"bench","scopes":["bench:read"]}' "$idp/api/v1/agents" | jq -r .agentId)
  fed_secret=$(curl -sf -X POST -H "Authorization: Bearer $admin" "$idp/api/v1/agents/$fed/credentials" \
    | jq -r .clientSecret)
  fed_basic=$(printf '%s:%s' "$fed" "$fed_secret" | base64 -w0)
  curl -sf -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    -d "{\"name\":\"bench\",\"issuer\":\"https://ci.bench.example\",\"jwks\":{\"keys\":[$(cat "$issuer_keys/public.json")]},
         \"audience\":\"$idp\",\"subject\":\"repo:bench/bench:ref:refs/heads/main\",\"agentId\":\"$fed\",
         \"scopes\":[\"bench:read\"]}" "$idp/api/v1/trust-policies" >/dev/null \
    || die "the bench trust policy was not created"
  assertions jwt_bearer "$algorithm" "$idp" "$pid" "$fed_basic" \
    "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=" \
    java -cp "$bench_jar" ai.sentryagent.agentidp.bench.Assertions bearer "$issuer_keys" https://ci.bench.example \
    "$idp" repo:bench/bench:ref:refs/heads/main
  verify_samples agentidp "$algorithm-jwt_bearer" "$idp/.well-known/jwks.json" "$idp"
  exchange "$algorithm" "$idp" "$pid" "$admin"
  verify_samples agentidp "$algorithm-token_exchange" "$idp/.well-known/jwks.json" "$idp"
  finish_agentidp
}
finish_agentidp() { # run_agentidp's last part: a profile, the process figures, stop (its locals are visible here)
  local rss
  rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  # A profile of one more 32-connection run (JFR; not counted in the table): where the IdP's CPU goes.
  local jfr=$work/run/agentidp-$algorithm.jfr
  jcmd "$pid" JFR.start name=bench settings=profile >/dev/null
  BENCH_BASIC=$basic BENCH_OUT=/dev/null wrk -t2 -c32 -d"${seconds}s" -s bench/token.lua "$idp/api/v1/token" >/dev/null
  jcmd "$pid" JFR.dump name=bench filename="$jfr" >/dev/null
  jcmd "$pid" JFR.stop name=bench >/dev/null
  jfr print --events jdk.ExecutionSample,jdk.NativeMethodSample "$jfr" > "$jfr.txt"
  python3 bench/profile.py "$jfr.txt" | jq -c --arg v "$algorithm" '. + {server: "agentidp", variant: $v}' \
    >> "$results"
  jq -nc --arg v "$algorithm" --argjson ready "$ready" --argjson rss "$rss" \
    --arg provider "$(grep -o 'with the [A-Za-z]* provider' "$work/run/agentidp-$algorithm.log" | awk '{print $3}')" \
    --arg readies "${readies[*]}" \
    '{kind: "process", server: "agentidp", variant: $v, ready_ms: $ready, peak_rss_kib: $rss,
      provider: $provider, ready_runs: $readies}' >> "$results"
  echo "   peak RSS $((rss / 1024)) MiB"
  kill -TERM "$pid"; wait "$pid" || true
}
run_agentidp RS256
run_agentidp ES256

# --- 3. Keycloak ----------------------------------------------------------------------------------------------
if [ -z "${BENCH_SKIP_KEYCLOAK:-}" ]; then
  say "Keycloak $keycloak_version: start-dev on loopback (Java: $keycloak_java)"
  kc_home=$work/keycloak-$keycloak_version
  if [ ! -x "$kc_home/bin/kc.sh" ]; then
    ./mvnw -q -B dependency:copy -Dartifact="org.keycloak:keycloak-quarkus-dist:$keycloak_version:tar.gz" \
      -DoutputDirectory="$work"
    tar -xzf "$work/keycloak-quarkus-dist-$keycloak_version.tar.gz" -C "$work"
    rm -f "$work/keycloak-quarkus-dist-$keycloak_version.tar.gz"
  fi
  rm -rf "$kc_home/data"
  kc_password=$(openssl rand -hex 16)
  start_ns=$(date +%s%N)
  JAVA_HOME=$keycloak_java KC_BOOTSTRAP_ADMIN_USERNAME=admin KC_BOOTSTRAP_ADMIN_PASSWORD=$kc_password \
    "${pin_idp[@]}" "$kc_home/bin/kc.sh" start-dev --http-host=127.0.0.1 --http-port=8180 > "$work/run/keycloak.log" 2>&1 &
  kc_launcher=$!; pids+=("$kc_launcher")
  kc=http://127.0.0.1:8180
  ready=$(wait_ready "$kc/realms/master/.well-known/openid-configuration" "$kc_launcher" "$start_ns" 240) \
    || { tail -30 "$work/run/keycloak.log"; die "Keycloak did not become ready"; }
  kc_pid=$(pgrep -f "keycloak.*quarkus|kc.home.dir=$kc_home" -n || echo "$kc_launcher")
  echo "   ready ${ready} ms after start (pid $kc_pid)"
  admin=$(curl -sf -d grant_type=password -d client_id=admin-cli -d username=admin -d "password=$kc_password" \
    "$kc/realms/master/protocol/openid-connect/token" | jq -r .access_token)
  curl -sf -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    -d '{"realm":"bench","enabled":true}' "$kc/admin/realms" >/dev/null
  kc_secret=$(openssl rand -hex 24)
  curl -sf -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    -d "{\"clientId\":\"bench-agent\",\"secret\":\"$kc_secret\",\"publicClient\":false,
         \"serviceAccountsEnabled\":true,\"standardFlowEnabled\":false,\"directAccessGrantsEnabled\":false,
         \"clientAuthenticatorType\":\"client-secret\"}" "$kc/admin/realms/bench/clients" >/dev/null
  basic=$(printf '%s:%s' bench-agent "$kc_secret" | base64 -w0)
  token_url=$kc/realms/bench/protocol/openid-connect/token
  curl -sf -u "bench-agent:$kc_secret" -d grant_type=client_credentials "$token_url" >/dev/null \
    || die "Keycloak does not issue tokens to the bench client"
  load keycloak RS256 "$token_url" "$kc_pid" "$basic"
  half_peak keycloak RS256 "$token_url" "$basic"
  verify_samples keycloak RS256 "$kc/realms/bench/protocol/openid-connect/certs" "$kc/realms/bench"
  rss=$(awk '/VmHWM/ {print $2}' "/proc/$kc_pid/status")
  jq -nc --argjson ready "$ready" --argjson rss "$rss" \
    '{kind: "process", server: "keycloak", variant: "RS256", ready_ms: $ready, peak_rss_kib: $rss,
      provider: "JDK"}' >> "$results"
  kill -TERM "$kc_pid" 2>/dev/null || true
fi

# --- results --------------------------------------------------------------------------------------------------
say "report"
commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- service bench policies || echo "+local changes")
python3 bench/report.py "$results" \
  --machine "$cores vCPU, $(lscpu | sed -n 's/^Model name:\s*//p' | head -1), $(free -g | awk '/^Mem/ {print $2}') GiB" \
  --jdk "$(java -version 2>&1 | head -1)" \
  --keycloak-jdk "$([ -n "$keycloak_java" ] && "$keycloak_java/bin/java" -version 2>&1 | head -1)" \
  --keycloak-version "$keycloak_version" --commit "$commit" --image-jvm "$image_jvm" \
  --partition "${BENCH_PARTITION:-0}" \
  --reps "$reps" --seconds "$seconds" --elapsed $(($(date +%s) - started)) > "$report"
mkdir -p bench/results && cp "$results" "bench/results/$(date -u +%Y-%m-%dT%H%M)-run.jsonl"
echo "$report written in $(($(date +%s) - started)) s"
