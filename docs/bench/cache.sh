#!/usr/bin/env bash
# The disk cache benchmark (docs/cache.md, "Measurements"): bitsbridge with --cache-dir in front of
# an nginx origin (it serves the files and ignores signatures), warmed by one whole GET, against
# nginx serving the same file from local disk (sendfile), in one run:
#   1. one client, whole object (curl, RUNS times each);
#   2. 64 KiB ranges at random offsets, 64 connections (wrk), after a warm-up;
#   3. bytes the origin sent for CLIENTS concurrent cold clients (whole GETs and ranges mixed)
#      on a second object, every client's bytes checked (SHA-256).
#   docs/bench/cache.sh   (after ./mvnw -B -q -o -DskipTests package; needs nginx, wrk, curl, python3)
#   SIZE_MIB=1024 RUNS=3 DURATION=15s WARMUP=15 CLIENTS=50 docs/bench/cache.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
JAR=${JAR:-$ROOT/cli/target/bitsbridge.jar}
SIZE_MIB=${SIZE_MIB:-1024}
RUNS=${RUNS:-3}
DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-15}
CLIENTS=${CLIENTS:-50}
[ -f "$JAR" ] || { echo "no $JAR: build first with ./mvnw -B -q -o -DskipTests package"; exit 1; }
source "$HERE/lib.sh"
bench_workdir cachebench
mbps() { python3 -c "import sys; print(f'{int(sys.argv[1]) / float(sys.argv[2]) / 1e6:.1f}')" "$1" "$2"; }

mkdir -p "$W/origin/bench" "$W/state" "$W/cache"
head -c $((SIZE_MIB * 1024 * 1024)) /dev/urandom > "$W/origin/bench/big.bin"
head -c $((SIZE_MIB * 1024 * 1024)) /dev/urandom > "$W/origin/bench/fleet.bin"
chmod -R a+rX "$W/origin"
PO=$(port); PB=$(port)
cat > "$W/nginx.conf" <<NGINX
worker_processes auto;
pid $W/nginx.pid;
error_log $W/nginx-error.log;
events { worker_connections 4096; }
http {
$(nginx_http_basics)
  log_format bytes '\$body_bytes_sent';
  server { listen 127.0.0.1:$PO; root $W/origin; access_log $W/origin.log bytes; }
}
NGINX
nginx -p "$W" -c "$W/nginx.conf"
export AWS_ACCESS_KEY_ID=benchkey AWS_SECRET_ACCESS_KEY=benchsecret AWS_REGION=us-east-1
java -jar "$JAR" serve --skip-checks --bucket bench --endpoint "http://127.0.0.1:$PO" --path-style --port "$PB" \
  --state-dir "$W/state" --cache-dir "$W/cache" --cache-size $((SIZE_MIB * 3))M --cache-validity 1h \
  --max-connections-per-client 256 > "$W/bb.log" 2>&1 &
PIDS+=($!)
NGX="http://127.0.0.1:$PO/bench/big.bin"
BBURL="http://127.0.0.1:$PB/big.bin"
wait_http "$NGX"; wait_http "$BBURL"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
BYTES=$((SIZE_MIB * 1024 * 1024))
curl -s -o /dev/null "$BBURL"   # fills the cache (and warms the JVM's paths)
curl -s -o /dev/null "$BBURL"

echo "== 1. one client, whole object of ${SIZE_MIB} MiB (MB/s per run)"
for c in nginx-disk bitsbridge-warm; do
  u=$NGX; [ "$c" = bitsbridge-warm ] && u=$BBURL
  line=""
  for _ in $(seq "$RUNS"); do
    t=$(curl -s -o /dev/null -w '%{time_total}' "$u")
    line="$line $(mbps "$BYTES" "$t")"
  done
  echo "  $c:$line"
done

echo "== 2. 64 KiB random ranges, 64 connections, ${DURATION} after a ${WARMUP}s warm-up"
export OBJECT_SIZE=$BYTES RANGE_SIZE=65536
for c in nginx-disk bitsbridge-warm nginx-disk bitsbridge-warm; do
  u=$NGX; [ "$c" = bitsbridge-warm ] && u=$BBURL
  wrk -t2 -c64 -d"${WARMUP}s" -s "$HERE/ranges.lua" "$u" >/dev/null 2>&1 || true
  echo "  $c $(wrk -t2 -c64 -d"$DURATION" --latency -s "$HERE/ranges.lua" "$u" | grep '^RESULT')"
done

echo "== 3. $CLIENTS concurrent cold clients on fleet.bin (${SIZE_MIB} MiB): whole GETs and 8 MiB-range jobs mixed"
: > "$W/origin.log"
python3 - "$PB" "$BYTES" "$CLIENTS" "$W/origin/bench/fleet.bin" <<'PY'
import hashlib, http.client, sys, threading
port, size, clients, path = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
want = hashlib.sha256(open(path, "rb").read()).hexdigest()
bad = []
def client(i):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    h = hashlib.sha256()
    if i % 2:
        c.request("GET", "/fleet.bin"); r = c.getresponse()
        while True:
            b = r.read(1 << 20)
            if not b: break
            h.update(b)
    else:
        c.request("HEAD", "/fleet.bin"); c.getresponse().read()
        step = 8 << 20
        for off in range(0, size, step):
            c.request("GET", "/fleet.bin", headers={"Range": f"bytes={off}-{min(size, off + step) - 1}"})
            r = c.getresponse(); h.update(r.read())
    if h.hexdigest() != want: bad.append(i)
ts = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
[t.start() for t in ts]; [t.join() for t in ts]
print(f"  {clients} clients, byte-exact: {clients - len(bad)} of {clients}")
PY
sleep 0.5
SENT=$(awk '{s += $1} END {print s + 0}' "$W/origin.log")
echo "  origin sent $SENT bytes = $(python3 -c "print(f'{$SENT / $BYTES:.3f}')") x the object, in $(wc -l < "$W/origin.log") requests"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
