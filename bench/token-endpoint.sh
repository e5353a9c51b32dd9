#!/usr/bin/env bash
# Load benchmark of the token endpoint: `dev` on embedded PostgreSQL and Redis, one agent, wrk POSTing
# client_credentials requests with HTTP Basic. Run from the repository root after packaging the jar:
#   ./mvnw -q -pl service -am package -DskipTests && bench/token-endpoint.sh [seconds] [connections]
# Writes bench/results/token-endpoint-<date>.md. Loopback only; bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in wrk jq curl; do
  command -v "$tool" >/dev/null || { echo "bench: needs $tool (Debian: apt-get install $tool)" >&2; exit 1; }
done
duration=${1:-20}
connections=${2:-32}
port=${PORT:-3900}
work=$(mktemp -d)
trap 'kill $(cat "$work/pid") 2>/dev/null || true; wait 2>/dev/null || true; cp "$work/dev.log" /tmp/bench-dev.log 2>/dev/null; rm -rf "$work"' EXIT

root=$(pwd)
(cd "$work" && exec env PORT="$port" RATE_LIMIT_MAX_REQUESTS=1000000 java -jar "$root/service/target/agentidp.jar" dev) \
  > "$work/dev.log" 2>&1 &
echo $! > "$work/pid"
for _ in $(seq 1 120); do
  grep -q "Press Ctrl-C" "$work/dev.log" && break
  kill -0 "$(cat "$work/pid")" 2>/dev/null || { cat "$work/dev.log" >&2; exit 1; }
  sleep 1
done
secret=$(grep "client secret:" "$work/dev.log" | awk '{print $3}')
idp=http://127.0.0.1:$port
admin=$(curl -s -u "agentidp-admin:$secret" -d grant_type=client_credentials $idp/api/v1/token | jq -r .access_token)
id=$(curl -s -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
  -d '{"name":"bench","owner":"bench","scopes":[]}' $idp/api/v1/agents | jq -r .agentId)
client_secret=$(curl -s -X POST -H "Authorization: Bearer $admin" $idp/api/v1/agents/$id/credentials | jq -r .clientSecret)
basic=$(printf '%s:%s' "$id" "$client_secret" | base64 -w0)

cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = "grant_type=client_credentials"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic $basic"
LUA
curl -s -o /dev/null -w 'warm-up: %{http_code}\n' -X POST -H "Authorization: Basic $basic" -d grant_type=client_credentials $idp/api/v1/token
wrk -t2 -c"$connections" -d5s -s "$work/post.lua" --latency $idp/api/v1/token > /dev/null
result=$(wrk -t2 -c"$connections" -d"${duration}s" -s "$work/post.lua" --latency $idp/api/v1/token)
rss=$(ps -o rss= -p "$(cat "$work/pid")" | awk '{printf "%.0f MiB", $1/1024}')
issued=$(curl -s $idp/metrics | grep '^agentidp_tokens_issued_total{outcome="issued"}' | awk '{print $2}')

out=bench/results/token-endpoint-$(date -u +%Y-%m-%d).md
{
  echo "# Token endpoint, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Machine: $(nproc) vCPU, $(java -version 2>&1 | head -1). Server: \`agentidp.jar dev\` (embedded PostgreSQL 16 +"
  echo "Redis, rate limit raised), RS256 ($(grep -o "with the [A-Za-z]* provider" "$work/dev.log" | head -1 | sed "s/with the //")), one agent, HTTP Basic. Load: wrk -t2 -c$connections"
  echo "-d${duration}s on the same machine (client and server share the 2 cores)."
  echo
  echo '```'
  echo "$result"
  echo '```'
  echo
  echo "Server RSS after the run: $rss. Tokens issued (metric): $issued."
} > "$out"
cat "$out"
