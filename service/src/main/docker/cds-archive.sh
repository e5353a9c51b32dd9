#!/usr/bin/env bash
# Writes the AppCDS archive of the server jar: a training run of `serve` (against a PostgreSQL and a Redis that do
# not exist, so nothing is reached and nothing secret is involved), a few requests, then SIGTERM; the JVM writes
# every class it loaded to the archive. Starting with -XX:SharedArchiveFile=<archive> then skips loading and
# verifying those classes again: about a second less to ready on 2 vCPUs. The archive only fits the JVM and the
# jar it was made with; with any other the JVM says so once and starts without it.
#   usage: cds-archive.sh <agentidp-server.jar> <archive.jsa> <policy dir>
set -euo pipefail
jar=$1 archive=$2 policies=$3
port=39871
work=$(mktemp -d)
pid=""
trap '[ -z "$pid" ] || kill -9 "$pid" 2>/dev/null; rm -rf "$work"' EXIT
java -jar "$jar" keygen --out "$work" >/dev/null

env -i PATH="$PATH" JAVA_TOOL_OPTIONS="-XX:ArchiveClassesAtExit=$archive -Xlog:cds=off -Xlog:cds+dynamic=off" \
  PORT=$port NODE_ENV=training ISSUER_URL="http://127.0.0.1:$port" DB_MIGRATE_ON_START=false \
  DATABASE_URL="postgres://training@127.0.0.1:1/training?sslmode=disable" REDIS_URL="redis://127.0.0.1:1" \
  JWT_PRIVATE_KEY="$(cat "$work/jwt_private.pem")" CREDENTIAL_HASH_KEY="$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" \
  AUDIT_CHAIN_KEY="$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" \
  POLICY_DIR="$policies" java -jar "$jar" serve >"$work/serve.log" 2>&1 &
pid=$!

request() { # method path [body]: one HTTP/1.0 exchange over bash's /dev/tcp (no curl in the JRE image)
  local body=${3:-}
  (
    exec 3<>"/dev/tcp/127.0.0.1/$port"
    printf '%s %s HTTP/1.0\r\nHost: localhost\r\nAuthorization: Basic dHJhaW5pbmc6dHJhaW5pbmc=\r\n' "$1" "$2" >&3
    printf 'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %s\r\n\r\n%s' "${#body}" "$body" >&3
    cat <&3 >/dev/null
  ) 2>/dev/null
}
for _ in $(seq 1 300); do
  request GET /health && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
  sleep 0.1
done
for _ in 1 2; do
  request GET /health/ready || true
  request POST /api/v1/token grant_type=client_credentials
  request GET /.well-known/jwks.json
  request GET /.well-known/oauth-authorization-server
  request GET /metrics
done
kill -TERM "$pid"
wait "$pid"
pid=""
test -s "$archive"
