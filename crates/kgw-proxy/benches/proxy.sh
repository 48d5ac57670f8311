#!/usr/bin/env bash
# Same upstream behind nginx-as-proxy and behind `kgw serve`, same wrk run; prints req/s and p99.
# Usage: crates/kgw-proxy/benches/proxy.sh [DURATION=10s] [CONNECTIONS=32]
# Not part of CI: numbers depend on the machine (2 shared cores here: wrk, the proxy and the
# upstream compete for them).
set -euo pipefail
DURATION=${1:-10s}
CONNECTIONS=${2:-32}
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
WORK=$(mktemp -d)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
  apt-get update -qq && apt-get install -y -qq nginx wrk >/dev/null
fi

UPSTREAM_PORT=18090 NGINX_PORT=18091 KGW_PORT=18092
mkdir -p "$WORK/upstream/logs" "$WORK/nginx/logs"
# The upstream (`return 200`) runs in an nginx process of its own, and both proxies forward to
# it. Serving it from the proxying nginx's own workers (one config) would let nginx answer its
# upstream hop inside the same worker, a shortcut no separate proxy has: the upstream's workers
# would then compete for the 2 cores only in kgw's run.
COMMON="worker_processes auto; daemon off; error_log /dev/null crit; events { worker_connections 4096; }"
cat >"$WORK/upstream/nginx.conf" <<CONF
$COMMON
pid $WORK/upstream/nginx.pid;
http {
  access_log off;
  server { listen 127.0.0.1:$UPSTREAM_PORT; location / { return 200 "ok\n"; } }
}
CONF
# nginx as a reverse proxy with keepalive to the upstream.
cat >"$WORK/nginx/nginx.conf" <<CONF
$COMMON
pid $WORK/nginx/nginx.pid;
http {
  access_log off;
  upstream app { server 127.0.0.1:$UPSTREAM_PORT; keepalive 64; }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host jsonplaceholder.typicode.com;
    }
  }
}
CONF
for side in upstream nginx; do
  nginx -p "$WORK/$side" -c "$WORK/$side/nginx.conf" &
  PIDS+=($!)
done

# kgw: `kgw serve` (release build) on the docs' static-backend scenario with the Backend pointed
# at the same upstream. It serves on one worker thread per core, as nginx runs one worker
# process per core (`worker_processes auto`).
mkdir -p "$WORK/kgw"
sed "s/host: jsonplaceholder.typicode.com/host: 127.0.0.1/; s/port: 80/port: $UPSTREAM_PORT/" \
  "$ROOT/docs/examples/static-backend/backend.yaml" >"$WORK/kgw/backend.yaml"
cp "$ROOT/docs/examples/static-backend/gateway.yaml" "$ROOT/docs/examples/static-backend/route.yaml" "$WORK/kgw/"
(cd "$ROOT" && CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target} cargo build -q --release -p kgw-cli)
RUST_LOG=warn "${CARGO_TARGET_DIR:-$ROOT/target}/release/kgw" serve \
  --gateway kgateway-system/http --listen "8080=127.0.0.1:$KGW_PORT" "$WORK/kgw" >/dev/null &
PIDS+=($!)

for port in $UPSTREAM_PORT $NGINX_PORT $KGW_PORT; do
  for _ in $(seq 50); do curl -s -o /dev/null -H 'Host: static.example' "http://127.0.0.1:$port/" && break; sleep 0.1; done
done

run() { # name port -> "req/s p99_ms"
  wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -H 'Host: static.example' "http://127.0.0.1:$2/" >"$WORK/$1.txt"
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/$1.txt")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}' "$WORK/$1.txt")
  echo "$rps $p99"
}
curl -s -o /dev/null -w '%{http_code}\n' -H 'Host: static.example' "http://127.0.0.1:$KGW_PORT/" | grep -q 200 || { echo "kgw does not answer 200" >&2; exit 1; }
echo "before: $(uptime)"
read -r direct_rps direct_p99 < <(run direct $UPSTREAM_PORT)
read -r nginx_rps nginx_p99 < <(run nginx $NGINX_PORT)
read -r kgw_rps kgw_p99 < <(run kgw $KGW_PORT)
printf '%-22s %12s %10s\n' target 'req/s' 'p99 (ms)'
printf '%-22s %12s %10s\n' 'upstream (direct)' "$direct_rps" "$direct_p99"
printf '%-22s %12s %10s\n' 'nginx proxy' "$nginx_rps" "$nginx_p99"
printf '%-22s %12s %10s\n' 'kgw-proxy' "$kgw_rps" "$kgw_p99"
echo "after: $(uptime)"
awk -v k="$kgw_rps" -v n="$nginx_rps" -v kp="$kgw_p99" -v np="$nginx_p99" \
  'BEGIN { printf "kgw/nginx req/s ratio: %.2fx   p99 ratio: %.2fx\n", k/n, kp/np }'
