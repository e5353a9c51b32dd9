#!/usr/bin/env bash
# What one token costs on each client-authentication path, on one running server: the client-secret path,
# private_key_jwt (ES256 client assertions) and jwt-bearer (ES256 external tokens, the issuer's JWK set inline in a
# trust policy) and RFC 8693 token exchange (a worker exchanging a planner's token under a delegation), interleaved —
# secret, private_key_jwt, secret, jwt-bearer, secret, token exchange — ROUNDS times at 32 connections, so
# each assertion path is compared with a secret-path run made next to it. Per run: tokens/s and, per token, the
# server's CPU (/proc/<pid>/stat), PostgreSQL's (the backends of the bench database only), Redis's (a redis-server of
# its own, so other users of the machine's Redis do not count), the load generator's (wrk's rusage), Redis commands
# (INFO commandstats) and PostgreSQL transactions (pg_stat_database.xact_commit). CPU per token holds on a shared
# machine far better than tokens/s. From the repository root:
#
#   bench/paths.sh [rounds=3] [seconds=10] [server-jar=service/target/agentidp-server.jar]
#
# PATHS_ALGORITHM: the server's signing key, ES256 (default) or RS256 (the assertions stay ES256).
# PATHS_PROFILE=1: a JFR recording of each path's first round, printed to bench/.work/paths/<path>.jfr.txt (read
# it with bench/frames.py). Build first (./mvnw -o -B -pl service -am package -DskipTests); for a before/after, run it once per jar. Writes
# bench/.work/paths/paths.jsonl and prints the medians.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
rounds=${1:-3}
seconds=${2:-10}
jar=$(realpath "${3:-service/target/agentidp-server.jar}")
work=$root/bench/.work/paths
rm -rf "$work" && mkdir -p "$work"
port=3930
redis_port=6391
db=agentidp_paths
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
}
trap cleanup EXIT

# The assertion maker: the bench module's class, compiled against the server jar (Nimbus is in it), so this needs
# neither JMH nor the bench profile.
javac -q -cp "$jar" -d "$work/classes" bench/src/main/java/ai/sentryagent/agentidp/bench/Assertions.java 2>/dev/null \
  || javac -cp "$jar" -d "$work/classes" bench/src/main/java/ai/sentryagent/agentidp/bench/Assertions.java
assertions() { java -cp "$work/classes:$jar" ai.sentryagent.agentidp.bench.Assertions "$@"; }

redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no --dir "$work" \
  --logfile "$work/redis.log" --pidfile "$work/redis.pid"
for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis_pid=$(cat "$work/redis.pid")

psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
database="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
java -jar "$jar" keygen --algorithm "${PATHS_ALGORITHM:-ES256}" --out "$work/keys" --force >/dev/null
env -i PATH="$PATH" DATABASE_URL="$database" java -jar "$jar" migrate >/dev/null
admin_secret=$(openssl rand -hex 24)
image_jvm=$(sed -n 's/^ENV JAVA_TOOL_OPTIONS="\([^"]*\)".*/\1/p' service/Dockerfile | sed 's/-XX:SharedArchiveFile=[^ ]*//')
env -i PATH="$PATH" HOME="$HOME" JAVA_TOOL_OPTIONS="$image_jvm" PORT=$port NODE_ENV=benchmark \
  ISSUER_URL="http://127.0.0.1:$port" DATABASE_URL="$database" DB_MIGRATE_ON_START=false \
  REDIS_URL="redis://127.0.0.1:$redis_port" REDIS_KEY_PREFIX="agentidp-paths:" \
  JWT_PRIVATE_KEY="$(cat "$work/keys/jwt_private.pem")" JWT_PUBLIC_KEY="$(cat "$work/keys/jwt_public.pem")" \
  CREDENTIAL_HASH_KEY="$(openssl rand -hex 32)" AUDIT_CHAIN_KEY="$(openssl rand -hex 32)" \
  BOOTSTRAP_ADMIN_SECRET="$admin_secret" POLICY_DIR="$root/policies" RATE_LIMIT_MAX_REQUESTS=1000000 \
  CUSTOM_SCOPES=bench:read ${PATHS_ENV:-} \
  java -jar "$jar" serve > "$work/server.log" 2>&1 &
pid=$!; pids+=("$pid")
idp=http://127.0.0.1:$port
for _ in $(seq 600); do [ "$(curl -s -o /dev/null -w '%{http_code}' "$idp/health/ready")" = 200 ] && break; sleep 0.1; done
[ "$(curl -s -o /dev/null -w '%{http_code}' "$idp/health/ready")" = 200 ] \
  || { tail -20 "$work/server.log" >&2; echo "bench/paths.sh: the server did not become ready" >&2; exit 1; }
admin=$(curl -sf -u "agentidp-admin:$admin_secret" -d grant_type=client_credentials "$idp/api/v1/token" | jq -r .access_token)
id=$(curl -sf -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
  -d '{"name":"bench","owner":"bench","scopes":["bench:read"]}' "$idp/api/v1/agents" | jq -r .agentId)
secret=$(curl -sf -X POST -H "Authorization: Bearer $admin" "$idp/api/v1/agents/$id/credentials" | jq -r .clientSecret)
basic=$(printf '%s:%s' "$id" "$secret" | base64 -w0)
# private_key_jwt: the client's ES256 key; jwt-bearer: an external issuer's ES256 key, its JWK set in the policy.
mkdir -p "$work/client" "$work/issuer"
assertions key "$work/client"
assertions key "$work/issuer"
curl -sf -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
  -d "{\"jwk\":$(cat "$work/client/public.json")}" "$idp/api/v1/agents/$id/keys" >/dev/null \
  || { echo "bench/paths.sh: the client key was not registered" >&2; exit 1; }
issuer=https://ci.bench.example
curl -sf -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
  -d "{\"name\":\"bench\",\"issuer\":\"$issuer\",\"jwks\":{\"keys\":[$(cat "$work/issuer/public.json")]},
       \"audience\":\"$idp\",\"subject\":\"repo:bench/bench:ref:refs/heads/main\",
\"agentId\":\"$id\",\"scopes\":[\"bench:read\"]}" \
  "$idp/api/v1/trust-policies" >/dev/null \
  || { echo "bench/paths.sh: the trust policy was not created" >&2; exit 1; }
# token exchange (RFC 8693): a worker holding a delegation from a planner exchanges the planner's token.
planner=$(curl -sf -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
  -d '{"name":"bench-planner","owner":"bench","scopes":["bench:read"]}' "$idp/api/v1/agents" | jq -r .agentId)
planner_secret=$(curl -sf -X POST -H "Authorization: Bearer $admin" "$idp/api/v1/agents/$planner/credentials" \
  | jq -r .clientSecret)
curl -sf -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
  -d "{\"actorAgentId\":\"$id\",\"scopes\":[\"bench:read\"]}" "$idp/api/v1/agents/$planner/delegations" >/dev/null \
  || { echo "bench/paths.sh: the delegation was not created" >&2; exit 1; }
subject=$(curl -sf -u "$planner:$planner_secret" -d grant_type=client_credentials "$idp/api/v1/token" | jq -r .access_token)
exchange_body="grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token=$subject&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token"
assertion_prefix="grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion="
bearer_prefix="grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion="
# Assertions per run (each run gets a fresh file: a jti is single-use): 1.5 × what the warm-up's secret run did
# in a run's time, at least 8000/s, unless PATHS_ASSERTIONS says. A run that used them up shows non200 > 0: its
# tokens/s is the file's size, not the server's — rerun with more.
per_run=${PATHS_ASSERTIONS:-60000}
make_tokens() { # path file
  case $1 in
    private_key_jwt) assertions sign "$work/client" "$idp" "$id" "$per_run" "$2" ;;
    jwt_bearer) assertions bearer "$work/issuer" "$issuer" "$idp" repo:bench/bench:ref:refs/heads/main "$per_run" "$2" ;;
  esac
}

ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
pg_ticks() { # the backends serving the bench database
  local total=0 p
  for p in $(pgrep -f "postgres: .* $db "); do total=$((total + $(ticks "$p"))); done
  echo "$total"
}
# Round trips: the commands the server sent — the limiter's EVAL, the jti's SET — not the GET/INCR/PTTL/PEXPIRE/DEL
# its script calls inside (commandstats counts those too).
redis_calls() { redis-cli -p "$redis_port" info commandstats | tr -d '\r' \
  | awk -F'[=,:]' '/^cmdstat_/ && !/^cmdstat_(info|get|incr|pttl|pexpire|del):/ {n += $3} END {print n + 0}'; }
pg_xacts() { psql -qtA -h 127.0.0.1 -U postgres -d postgres -c "SELECT xact_commit FROM pg_stat_database WHERE datname = '$db'"; }
hz=$(getconf CLK_TCK)
results=$work/paths.jsonl
: > "$results"

run() { # path round duration [record]
  local path=$1 round=$2 duration=$3 out=$work/wrk-$1-$2.json script=bench/token.lua tokens="" s0 s1 p0 p1 r0 r1 c0 c1 x0 x1 w
  local body=grant_type=client_credentials; [ "$path" = token_exchange ] && body=$exchange_body
  if [ "$path" != client_secret ] && [ "$path" != token_exchange ]; then
    tokens=$work/tokens-$path-$round.txt
    make_tokens "$path" "$tokens"
    script=bench/pkjwt.lua
  fi
  local prefix=$assertion_prefix; [ "$path" = jwt_bearer ] && prefix=$bearer_prefix
  [ -z "${PATHS_PROFILE:-}" ] || [ "${4:-}" != record ] || [ "$round" != 1 ] \
    || jcmd "$pid" JFR.start name="$path" settings=profile >/dev/null
  s0=$(ticks "$pid"); p0=$(pg_ticks); r0=$(ticks "$redis_pid"); c0=$(redis_calls); x0=$(pg_xacts)
  w=$(BENCH_BASIC=$basic BENCH_BODY=$body BENCH_ASSERTIONS=$tokens BENCH_THREADS=2 BENCH_OUT=$out BENCH_PREFIX=$prefix \
    /usr/bin/time -f '%U %S' wrk -t2 -c32 -d"${duration}s" --timeout 10s -s "$script" "$idp/api/v1/token" 2>&1 >/dev/null \
    | tail -1)
  s1=$(ticks "$pid"); p1=$(pg_ticks); r1=$(ticks "$redis_pid"); c1=$(redis_calls); x1=$(pg_xacts)
  if [ -n "${PATHS_PROFILE:-}" ] && [ "${4:-}" = record ] && [ "$round" = 1 ]; then
    jcmd "$pid" JFR.dump name="$path" filename="$work/$path.jfr" >/dev/null
    jcmd "$pid" JFR.stop name="$path" >/dev/null
    jfr print --stack-depth 96 --events jdk.ExecutionSample "$work/$path.jfr" > "$work/$path.jfr.txt"
  fi
  [ -n "${4:-}" ] || return 0
  jq -c --arg path "$path" --argjson round "$round" --argjson hz "$hz" \
    --argjson server $((s1 - s0)) --argjson pg $((p1 - p0)) --argjson redis $((r1 - r0)) \
    --argjson calls $((c1 - c0)) --argjson xacts $((x1 - x0)) --argjson wrk "$(echo "$w" | awk '{print $1 + $2}')" \
    '. as $w | ($w.requests - $w.non200) as $ok | $w + {path: $path, round: $round, ok: $ok,
      tokens_s: ($ok * 1000000 / $w.duration_us),
      server_us: ($server / $hz * 1e6 / $ok), pg_us: ($pg / $hz * 1e6 / $ok), redis_us: ($redis / $hz * 1e6 / $ok),
      wrk_us: ($wrk * 1e6 / $w.requests), redis_cmds: ($calls / $ok), pg_xacts: ($xacts / $ok)}' "$out" >> "$results"
  tail -1 "$results" | jq -r '"   \(.path | . + " " * (16 - length)) #\(.round): \(.tokens_s | floor)/s non200 \(.non200)"
    + "  µs/token: server \(.server_us | floor) pg \(.pg_us | floor) redis \(.redis_us | floor) wrk \(.wrk_us | floor)"
    + "  redis cmds \(.redis_cmds * 100 | round / 100) pg xacts \(.pg_xacts * 100 | round / 100)"'
}

echo "== warm-up (JIT, pools, caches), then $rounds rounds × (secret, private_key_jwt, secret, jwt-bearer) × ${seconds}s"
run client_secret 0 10 record
[ -n "${PATHS_ASSERTIONS:-}" ] \
  || per_run=$(jq -r --argjson s "$seconds" '[.tokens_s * $s * 1.5, 8000 * $s] | max | floor' "$results")
: > "$results"
# Twice over: a JIT still compiling the assertion paths would bill its own CPU to the first recorded runs.
for path in private_key_jwt jwt_bearer token_exchange client_secret private_key_jwt jwt_bearer token_exchange; do run "$path" 0 10; done
# shellcheck source=bench/jit.sh
. bench/jit.sh
warm_pass() { local path; for path in client_secret private_key_jwt jwt_bearer token_exchange; do run "$path" 0 10; done; }
# Then whole passes until C2 is quiet: 80 s were not always enough (2026-12-02: the first recorded round still ran
# at half the second's rate).
warm_until_quiet "$pid" "${PATHS_WARMUP_MAX:-160}" warm_pass
for round in $(seq 1 "$rounds"); do
  run client_secret "$round" "$seconds" record
  run private_key_jwt "$round" "$seconds" record
  run client_secret "$round.5" "$seconds" record
  run jwt_bearer "$round" "$seconds" record
  run client_secret "$round.7" "$seconds" record
  run token_exchange "$round" "$seconds" record
done
python3 - "$results" <<'EOF'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
med = lambda path, key: statistics.median(r[key] for r in rows if r["path"] == path)
print("\n== medians (tokens/s; µs of CPU per token; round trips per token)")
for path in ("client_secret", "private_key_jwt", "jwt_bearer", "token_exchange"):
    print(f"{path:16} {med(path, 'tokens_s'):7.0f}/s  server {med(path, 'server_us'):5.0f}  pg {med(path, 'pg_us'):4.0f}"
          f"  redis {med(path, 'redis_us'):3.0f}  wrk {med(path, 'wrk_us'):3.0f}  redis cmds {med(path, 'redis_cmds'):.2f}"
          f"  pg xacts {med(path, 'pg_xacts'):.2f}  non200 {sum(r['non200'] for r in rows if r['path'] == path)}")
secret = {r["round"]: r for r in rows if r["path"] == "client_secret"}
for path, offset in (("private_key_jwt", 0), ("jwt_bearer", 0.5), ("token_exchange", 0.7)):
    ratios = [r["tokens_s"] / secret[r["round"] + offset]["tokens_s"] for r in rows if r["path"] == path]
    cpu = [secret[r["round"] + offset]["server_us"] / r["server_us"] for r in rows if r["path"] == path]
    print(f"{path} / adjacent secret run: tokens/s {' '.join(f'{x:.3f}' for x in ratios)} median "
          f"{statistics.median(ratios):.3f}; server CPU per token (secret/this) median {statistics.median(cpu):.3f}")
EOF
