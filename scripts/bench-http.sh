#!/usr/bin/env bash
# HTTP benchmark: `grao serve` against nginx (1 worker process) answering the same JSON body on
# another loopback port, measured by wrk in the same run. Prints one JSON line per figure.
# Usage: scripts/bench-http.sh            (BENCH_DURATION=10s by default; BENCH_CONNECTIONS="64 256")
# Run it on a quiet machine: wrk takes one of the two cores, the server gets the other.
set -euo pipefail
cd "$(dirname "$0")/.."

duration="${BENCH_DURATION:-10s}"
connections="${BENCH_CONNECTIONS:-64 256}"
grao_port="${BENCH_GRAO_PORT:-18180}"
nginx_port="${BENCH_NGINX_PORT:-18181}"

scripts/install-deps.sh nginx wrk
swift build -c release --product grao >&2

for port in "$grao_port" "$nginx_port"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "bench-http: port $port is busy; set BENCH_GRAO_PORT / BENCH_NGINX_PORT" >&2
        exit 1
    fi
done

tmp=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

# nginx as in research/perf-anchors.md §4: one worker, no access log, unlimited keep-alive requests,
# answering the body grao's /healthz answers.
cat > "$tmp/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    client_body_temp_path $tmp/client_body;
    proxy_temp_path $tmp/proxy;
    fastcgi_temp_path $tmp/fastcgi;
    uwsgi_temp_path $tmp/uwsgi;
    scgi_temp_path $tmp/scgi;
    server {
        listen 127.0.0.1:$nginx_port;
        location = /healthz {
            default_type application/json;
            return 200 '{"status":"ok"}';
        }
    }
}
CONF

wait_for() {
    for _ in $(seq 1 100); do
        if curl -sf "http://127.0.0.1:$1/healthz" >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    echo "bench-http: nothing answers on port $1" >&2
    exit 1
}

start_grao() {  # $1 = log level
    .build/release/grao serve --host 127.0.0.1 --port "$grao_port" --log-level "$1" 2>"$tmp/grao-$1.log" &
    grao_pid=$!
    pids+=("$grao_pid")
    wait_for "$grao_port"
}

# Runs wrk and prints: requests/s, p99 in ms, non-2xx count, socket error count.
measure() {  # $1 = port, $2 = connections, $3 = duration
    local out
    out=$(wrk -t1 -c"$2" -d"$3" --latency "http://127.0.0.1:$1/healthz")
    echo "$out" >> "$tmp/wrk.log"
    python3 - "$out" <<'PY'
import re, sys
text = sys.argv[1]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
m = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
p99 = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
print(rps, p99, int(non2xx.group(1)) if non2xx else 0, sum(map(int, errors.groups())) if errors else 0)
PY
}


echo "{\"figure\":\"load_average_before\",\"value\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"cpus\":$(nproc)}"

nginx -p "$tmp" -c "$tmp/nginx.conf" &
pids+=($!)
start_grao notice
wait_for "$nginx_port"

# Warm-up: page in both servers and open the loopback path.
measure "$grao_port" 64 2s >/dev/null
measure "$nginx_port" 64 2s >/dev/null

declare -A rps p99
for c in $connections; do
    for server in grao nginx; do
        port=$grao_port; [ "$server" = nginx ] && port=$nginx_port
        read -r r p n e < <(measure "$port" "$c" "$duration")
        rps[$server$c]=$r
        p99[$server$c]=$p
        echo "{\"figure\":\"requests_per_second\",\"server\":\"$server\",\"connections\":$c,\"duration\":\"$duration\",\"value\":$r,\"non_2xx\":$n,\"socket_errors\":$e}"
        echo "{\"figure\":\"p99_latency_ms\",\"server\":\"$server\",\"connections\":$c,\"value\":$p}"
    done
    ratio=$(python3 -c "print(round(${rps[grao$c]} / ${rps[nginx$c]}, 3))")
    echo "{\"figure\":\"requests_per_second_ratio_grao_to_nginx\",\"connections\":$c,\"value\":$ratio,\"target\":0.8}"
done

# The same server with its access log on (written to a file), since production runs keep it.
kill -TERM "$grao_pid"
wait "$grao_pid" 2>/dev/null || true
start_grao info
read -r r p n e < <(measure "$grao_port" 64 "$duration")
echo "{\"figure\":\"requests_per_second\",\"server\":\"grao-access-log\",\"connections\":64,\"duration\":\"$duration\",\"value\":$r,\"non_2xx\":$n,\"socket_errors\":$e}"
echo "{\"figure\":\"p99_latency_ms\",\"server\":\"grao-access-log\",\"connections\":64,\"value\":$p}"
echo "{\"figure\":\"load_average_after\",\"value\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}"
