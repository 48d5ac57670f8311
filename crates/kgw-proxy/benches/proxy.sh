#!/usr/bin/env bash
# Same upstream behind nginx-as-proxy, behind `kgw serve`, and behind the bare hyper proxy of
# `examples/hyper_floor.rs` (what hyper alone costs, none of kgw's work), same wrk run; prints
# req/s, p99, and the CPU time and context switches each target's threads spent per request.
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

UPSTREAM_PORT=18090 NGINX_PORT=18091 KGW_PORT=18092 FLOOR_PORT=18093
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
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
(cd "$ROOT" && CARGO_TARGET_DIR=$TARGET cargo build -q --release -p kgw-cli &&
  CARGO_TARGET_DIR=$TARGET cargo build -q --release -p kgw-proxy --example hyper_floor)
RUST_LOG=warn "$TARGET/release/kgw" serve \
  --gateway kgateway-system/http --listen "8080=127.0.0.1:$KGW_PORT" "$WORK/kgw" >/dev/null &
KGW_PID=$!
PIDS+=("$KGW_PID")
# The floor: hyper's HTTP/1 server and client with one runtime per core, as `kgw serve` runs
# them, and nothing else.
"$TARGET/release/examples/hyper_floor" "127.0.0.1:$FLOOR_PORT" "127.0.0.1:$UPSTREAM_PORT" &
FLOOR_PID=$!
PIDS+=("$FLOOR_PID")

for port in $UPSTREAM_PORT $NGINX_PORT $KGW_PORT $FLOOR_PORT; do
  for _ in $(seq 50); do curl -s -o /dev/null -H 'Host: static.example' "http://127.0.0.1:$port/" && break; sleep 0.1; done
done

# Sums over every thread of PIDS: user ticks, system ticks, voluntary and involuntary context
# switches (from /proc, so that the CPU a proxy spends per request can be compared).
counters() {
  local pid task u=0 s=0 v=0 i=0 fields
  for pid in "$@"; do
    for task in /proc/"$pid"/task/*; do
      read -r -a fields <"$task/stat" 2>/dev/null || continue
      # `comm` (field 2) has no spaces here, so utime and stime are fields 14 and 15.
      u=$((u + fields[13])) s=$((s + fields[14]))
      v=$((v + $(awk '/^voluntary_ctxt_switches/ {print $2}' "$task/status" 2>/dev/null || echo 0)))
      i=$((i + $(awk '/^nonvoluntary_ctxt_switches/ {print $2}' "$task/status" 2>/dev/null || echo 0)))
    done
  done
  echo "$u $s $v $i"
}

run() { # name port pid... -> "req/s p99_ms user_us/req sys_us/req vol_cs/req invol_cs/req"
  local name=$1 port=$2
  shift 2
  local before after
  before=$(counters "$@")
  wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -H 'Host: static.example' "http://127.0.0.1:$port/" >"$WORK/$name.txt"
  after=$(counters "$@")
  local rps p99 requests
  rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/$name.txt")
  requests=$(awk '/requests in/ {print $1}' "$WORK/$name.txt")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}' "$WORK/$name.txt")
  echo "$rps $p99 $(awk -v b="$before" -v a="$after" -v n="$requests" -v hz="$(getconf CLK_TCK)" 'BEGIN {
    split(b, x); split(a, y); n = n > 0 ? n : 1
    printf "%.2f %.2f %.3f %.3f", (y[1]-x[1])*1e6/hz/n, (y[2]-x[2])*1e6/hz/n, (y[3]-x[3])/n, (y[4]-x[4])/n }')"
}
curl -s -o /dev/null -w '%{http_code}\n' -H 'Host: static.example' "http://127.0.0.1:$KGW_PORT/" | grep -q 200 || { echo "kgw does not answer 200" >&2; exit 1; }
echo "before: $(uptime)"
# The processes whose threads serve each target: nginx's workers (children of its master), and
# kgw itself.
workers() { pgrep -P "$(cat "$WORK/$1/nginx.pid")" | tr '\n' ' '; }
# shellcheck disable=SC2046 # one PID per word
read -r direct_rps direct_p99 direct_cpu < <(run direct $UPSTREAM_PORT $(workers upstream))
# shellcheck disable=SC2046
read -r nginx_rps nginx_p99 nginx_cpu < <(run nginx $NGINX_PORT $(workers nginx))
read -r kgw_rps kgw_p99 kgw_cpu < <(run kgw $KGW_PORT "$KGW_PID")
read -r floor_rps floor_p99 floor_cpu < <(run floor $FLOOR_PORT "$FLOOR_PID")
printf '%-22s %12s %10s   %s\n' target 'req/s' 'p99 (ms)' \
  'per request: user µs, system µs, voluntary and involuntary switches of the target'"'"'s threads'
printf '%-22s %12s %10s   %s\n' 'upstream (direct)' "$direct_rps" "$direct_p99" "$direct_cpu"
printf '%-22s %12s %10s   %s\n' 'nginx proxy' "$nginx_rps" "$nginx_p99" "$nginx_cpu"
printf '%-22s %12s %10s   %s\n' 'kgw-proxy' "$kgw_rps" "$kgw_p99" "$kgw_cpu"
printf '%-22s %12s %10s   %s\n' 'hyper floor' "$floor_rps" "$floor_p99" "$floor_cpu"
echo "after: $(uptime)"
awk -v k="$kgw_rps" -v n="$nginx_rps" -v kp="$kgw_p99" -v np="$nginx_p99" -v f="$floor_rps" -v fp="$floor_p99" \
  'BEGIN { printf "kgw/nginx req/s ratio: %.2fx   p99 ratio: %.2fx\n", k/n, kp/np
           printf "hyper floor/nginx req/s ratio: %.2fx   p99 ratio: %.2fx\n", f/n, fp/np }'
