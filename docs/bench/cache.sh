#!/usr/bin/env bash
# The disk cache benchmark (docs/cache.md, "Measurements"): bitsbridge with --cache-dir in front of
# an nginx origin (it serves the files and ignores signatures), warmed by one whole GET, against
# nginx serving the same file from local disk (sendfile), in one run:
#   1. one client, whole object (curl, RUNS times each);
#   2. 64 KiB ranges at random offsets, 64 connections (wrk), after a warm-up;
#   3. bytes the origin sent for CLIENTS concurrent cold clients (whole GETs and ranges mixed)
#      on a second object, every client's bytes checked (SHA-256);
#   4. an object replaced at the origin, through a second bitsbridge with a short validity window:
#      which version each GET got (SHA-256: v1, v2, or neither) and what the origin sent for it.
#   Section 2 also prints the server's CPU time per request (user + system, from /proc): on a
#   machine shared with other work, a steadier comparison than requests per second.
#   docs/bench/cache.sh   (after ./mvnw -B -q -o -DskipTests package; needs nginx, wrk, curl, python3)
#   SIZE_MIB=1024 RUNS=3 DURATION=15s WARMUP=15 CLIENTS=50 REPLACE_MIB=64 REPLACE_VALIDITY=5 docs/bench/cache.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
JAR=${JAR:-$ROOT/cli/target/bitsbridge.jar}
SIZE_MIB=${SIZE_MIB:-1024}
RUNS=${RUNS:-3}
DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-15}
CLIENTS=${CLIENTS:-50}
REPLACE_MIB=${REPLACE_MIB:-64}
REPLACE_VALIDITY=${REPLACE_VALIDITY:-5}
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
BBPID=${PIDS[0]}
cpu_ticks() { # user + system clock ticks of bitsbridge, or of nginx's workers
  local t=0 p ps=$BBPID
  [ "$1" = nginx-disk ] && ps=$(pgrep -P "$(cat "$W/nginx.pid")")
  for p in $ps; do set -- $(cut -d' ' -f14,15 "/proc/$p/stat"); t=$((t + $1 + $2)); done
  echo $t
}
for c in nginx-disk bitsbridge-warm nginx-disk bitsbridge-warm; do
  u=$NGX; [ "$c" = bitsbridge-warm ] && u=$BBURL
  wrk -t2 -c64 -d"${WARMUP}s" -s "$HERE/ranges.lua" "$u" >/dev/null 2>&1 || true
  c0=$(cpu_ticks $c)
  res=$(wrk -t2 -c64 -d"$DURATION" --latency -s "$HERE/ranges.lua" "$u" | grep '^RESULT')
  c1=$(cpu_ticks $c)
  n=$(echo "$res" | sed 's/.*requests=\([0-9]*\).*/\1/')
  echo "  $c $res cpu_us_per_req=$(python3 -c "print(round(($c1 - $c0) * 1e6 / $(getconf CLK_TCK) / max(1, $n), 1))")"
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
echo "== 4. object replaced in S3 (a second bitsbridge with --cache-validity ${REPLACE_VALIDITY}s; replace.bin, ${REPLACE_MIB} MiB)"
mkdir -p "$W/state2" "$W/cache2"
head -c $((REPLACE_MIB * 1024 * 1024)) /dev/urandom > "$W/origin/bench/replace.bin"
head -c $((REPLACE_MIB * 1024 * 1024)) /dev/urandom > "$W/replace-v2.bin"
touch -d '-1 hour' "$W/origin/bench/replace.bin" # another second than v2's: nginx's ETag is mtime-size
chmod a+r "$W/origin/bench/replace.bin" "$W/replace-v2.bin"
PR=$(port)
java -jar "$JAR" serve --skip-checks --bucket bench --endpoint "http://127.0.0.1:$PO" --path-style --port "$PR" \
  --state-dir "$W/state2" --cache-dir "$W/cache2" --cache-size $((REPLACE_MIB * 3))M \
  --cache-validity "${REPLACE_VALIDITY}s" > "$W/bb2.log" 2>&1 &
PIDS+=($!)
RURL="http://127.0.0.1:$PR/replace.bin"
wait_http "$RURL"
V1=$(sha256sum < "$W/origin/bench/replace.bin" | cut -c1-64); V2=$(sha256sum < "$W/replace-v2.bin" | cut -c1-64)
version_of() { case "$1" in "$V1") echo v1 ;; "$V2") echo v2 ;; *) echo MIXED-OR-WRONG ;; esac; }
curl -s "$RURL" | sha256sum | cut -c1-64 > "$W/h"; echo "  cold fetch: $(version_of "$(cat "$W/h")")"
mv "$W/replace-v2.bin" "$W/origin/bench/replace.bin"  # replaced in one step, as S3 does
: > "$W/origin.log"
curl -s "$RURL" | sha256sum | cut -c1-64 > "$W/h"
echo "  within the window: $(version_of "$(cat "$W/h")") (origin sent $(awk '{s += $1} END {print s + 0}' "$W/origin.log") bytes)"
sleep $((REPLACE_VALIDITY + 1))
: > "$W/origin.log"
curl -s "$RURL" | sha256sum | cut -c1-64 > "$W/h"
SENT=$(awk '{s += $1} END {print s + 0}' "$W/origin.log")
echo "  after the window: $(version_of "$(cat "$W/h")"), origin sent $SENT bytes = $(python3 -c "print(f'{$SENT / ($REPLACE_MIB * 1048576):.3f}')") x the object in $(wc -l < "$W/origin.log") requests"
: > "$W/origin.log"
curl -s "$RURL" | sha256sum | cut -c1-64 > "$W/h"
echo "  again: $(version_of "$(cat "$W/h")"), origin sent $(awk '{s += $1} END {print s + 0}' "$W/origin.log") bytes"

echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
