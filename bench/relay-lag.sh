#!/usr/bin/env bash
# Does the audit stream's relay keep up with the peak token rate (issue 18)? A single-node Kafka broker (KRaft) from
# the kafka-test-broker module's classpath, one server jar with KAFKA_BROKERS set, wrk at the peak for SECONDS, and
# every 0.5 s the lag: the newest committed event's seq minus the relay's published_seq (audit_stream_position).
# Prints the lag series, its maximum and how long the relay needed to catch up after the load stopped.
# Needs a packaged jar and the broker classpath (./mvnw -o -pl kafka-test-broker,service -am package -DskipTests).
#
#   bench/relay-lag.sh [seconds=20] [connections=32] [durability=sync] [algorithm=RS256]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
seconds=${1:-20}
connections=${2:-32}
durability=${3:-sync}
algorithm=${4:-RS256}
work=$root/bench/.work/relay-lag
rm -rf "$work" && mkdir -p "$work/kafka"
cp service/target/agentidp-server.jar "$work/server.jar"
classpath=$(cat kafka-test-broker/target/broker.classpath)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
port=39092; controller=39093
cat > "$work/kafka/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$work/kafka/data
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
auto.create.topics.enable=true
EOF
kjava() { java -Xmx384m -XX:+UseSerialGC -cp "$classpath" "$@"; }
kjava kafka.tools.StorageTool format -t "$(kjava kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)" \
  -c "$work/kafka/server.properties" > "$work/kafka/format.log" 2>&1
# java itself in the background (not the function): its pid is the one cleanup must stop.
java -Xmx384m -XX:+UseSerialGC -cp "$classpath" kafka.Kafka "$work/kafka/server.properties" > "$work/kafka/broker.log" 2>&1 &
pids+=("$!")
for _ in $(seq 300); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.2; done

db=agentidp_relaylag
database="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
java -jar "$work/server.jar" keygen --algorithm "$algorithm" --out "$work/keys" --force >/dev/null
env -i PATH="$PATH" DATABASE_URL="$database" java -jar "$work/server.jar" migrate >/dev/null
admin_secret=$(openssl rand -hex 24)
image_jvm=$(sed -n 's/^ENV JAVA_TOOL_OPTIONS="\([^"]*\)".*/\1/p' service/Dockerfile | sed 's/-XX:SharedArchiveFile=[^ ]*//')
env -i PATH="$PATH" HOME="$HOME" JAVA_TOOL_OPTIONS="$image_jvm" PORT=3941 NODE_ENV=benchmark \
  ISSUER_URL="http://127.0.0.1:3941" DATABASE_URL="$database" DB_MIGRATE_ON_START=false \
  REDIS_URL="redis://127.0.0.1:6379" REDIS_KEY_PREFIX="agentidp-relaylag-$$:" AUDIT_DURABILITY="$durability" \
  KAFKA_BROKERS="127.0.0.1:$port" KAFKA_SECURITY_PROTOCOL=PLAINTEXT \
  JWT_PRIVATE_KEY="$(cat "$work/keys/jwt_private.pem")" JWT_PUBLIC_KEY="$(cat "$work/keys/jwt_public.pem")" \
  CREDENTIAL_HASH_KEY="$(openssl rand -hex 32)" AUDIT_CHAIN_KEY="$(openssl rand -hex 32)" \
  BOOTSTRAP_ADMIN_SECRET="$admin_secret" POLICY_DIR="$root/policies" RATE_LIMIT_MAX_REQUESTS=1000000 \
  java -jar "$work/server.jar" serve > "$work/server.log" 2>&1 &
pids+=("$!")
idp=http://127.0.0.1:3941
for _ in $(seq 600); do [ "$(curl -s -o /dev/null -w '%{http_code}' "$idp/health/ready")" = 200 ] && break; sleep 0.1; done
admin=$(curl -sf -u "agentidp-admin:$admin_secret" -d grant_type=client_credentials "$idp/api/v1/token" | jq -r .access_token)
id=$(curl -sf -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
  -d '{"name":"bench","owner":"bench","scopes":[]}' "$idp/api/v1/agents" | jq -r .agentId)
secret=$(curl -sf -X POST -H "Authorization: Bearer $admin" "$idp/api/v1/agents/$id/credentials" | jq -r .clientSecret)
basic=$(printf '%s:%s' "$id" "$secret" | base64 -w0)
lag() { psql -qAt -h 127.0.0.1 -U postgres -d "$db" -c "SELECT coalesce((SELECT max(seq) FROM audit_events), 0), coalesce((SELECT max(published_seq) FROM audit_stream_position), -1)"; }
BENCH_BASIC=$basic BENCH_OUT=/dev/null wrk -t2 -c"$connections" -d10s -s bench/token.lua "$idp/api/v1/token" >/dev/null # warm-up
BENCH_BASIC=$basic BENCH_OUT="$work/wrk.json" wrk -t2 -c"$connections" -d"${seconds}s" -s bench/token.lua "$idp/api/v1/token" >/dev/null &
load=$!
: > "$work/lag.txt"
start=$(date +%s.%N)
while kill -0 "$load" 2>/dev/null; do echo "$(date +%s.%N) $(lag)" >> "$work/lag.txt"; sleep 0.5; done
stopped=$(date +%s.%N)
for _ in $(seq 240); do
  echo "$(date +%s.%N) $(lag)" >> "$work/lag.txt"
  read -r newest published <<< "$(lag | tr '|' ' ')"
  [ "$published" -ge "$newest" ] && break
  sleep 0.5
done
python3 - "$work/lag.txt" "$start" "$stopped" "$work/wrk.json" <<'PY'
import json, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
start, stopped = float(sys.argv[2]), float(sys.argv[3])
w = json.load(open(sys.argv[4]))
series = [(float(t) - start, *map(int, v.split("|"))) for t, v in rows]
lags = [(t, n - p) for t, n, p in series]
print(json.dumps({"tokens_per_s": round(w["requests"] * 1e6 / w["duration_us"]), "non200": w["non200"],
                  "max_lag_events": max(l for _, l in lags if _ <= stopped - start),
                  "median_lag_events_under_load": sorted(l for t, l in lags if t <= stopped - start)[len([1 for t, _ in lags if t <= stopped - start]) // 2],
                  "caught_up_s_after_load": round(lags[-1][0] - (stopped - start), 1) if lags[-1][1] <= 0 else None,
                  "series": [[round(t, 1), l] for t, l in lags]}))
PY
