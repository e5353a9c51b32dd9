#!/usr/bin/env bash
# Which of the service's own source files run from `Main` to the first client_credentials token (docs/architecture.md,
# "How many files"): starts the server jar with class-load logging, waits for its "listening" log line (no HTTP
# request before the token), asks for one token with client_secret_basic, and lists the top-level classes of
# ai.sentryagent.agentidp loaded — a Java class is loaded when its code first runs (or a type check first needs it),
# so this is the set of files whose code the path runs. From the repository root, after
# `./mvnw -o -B -pl service -am package -DskipTests`:
#
#   bench/token-path-files.sh [jar=service/target/agentidp-server.jar]
set -euo pipefail
cd "$(dirname "$0")/.."
jar=${1:-service/target/agentidp-server.jar}
work=$(mktemp -d)
db=agentidp_path_files
port=3921
trap 'kill -TERM "$pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
java -jar "$jar" keygen --out "$work/keys" --force >/dev/null
secret=$(openssl rand -hex 24)
env -i PATH="$PATH" HOME="$HOME" PORT=$port NODE_ENV=benchmark ISSUER_URL="http://127.0.0.1:$port" \
  DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable" REDIS_URL="redis://127.0.0.1:6379" \
  REDIS_KEY_PREFIX="agentidp-path-$$:" JWT_PRIVATE_KEY="$(cat "$work/keys/jwt_private.pem")" \
  JWT_PUBLIC_KEY="$(cat "$work/keys/jwt_public.pem")" CREDENTIAL_HASH_KEY="$(openssl rand -hex 32)" \
  AUDIT_CHAIN_KEY="$(openssl rand -hex 32)" BOOTSTRAP_ADMIN_SECRET="$secret" POLICY_DIR="$(pwd)/policies" \
  java -Xlog:class+load=info:file="$work/classes.log" -jar "$jar" serve > "$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 600); do grep -qs "listening on port" "$work/server.log" && break; sleep 0.1; done
grep -q "listening on port" "$work/server.log" || { tail -5 "$work/server.log" >&2; exit 1; }
files() { grep -o 'ai\.sentryagent\.agentidp\.[A-Za-z0-9_.$]*' "$1" | sed 's/\$.*//; s/^ai\.sentryagent\.agentidp\.//' | sort -u; }
files "$work/classes.log" > "$work/startup.txt"
status=$(curl -s -o "$work/token.json" -w '%{http_code}' -u "agentidp-admin:$secret" -d grant_type=client_credentials \
  "http://127.0.0.1:$port/api/v1/token")
[ "$status" = 200 ] || { echo "token request answered $status" >&2; exit 1; }
files "$work/classes.log" > "$work/all.txt"
echo "== startup: $(wc -l < "$work/startup.txt") files"; cat "$work/startup.txt"
echo "== first loaded by the token request: $(comm -13 "$work/startup.txt" "$work/all.txt" | wc -l) files"
comm -13 "$work/startup.txt" "$work/all.txt"
echo "== from Main to the token: $(wc -l < "$work/all.txt") files"
