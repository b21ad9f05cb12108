#!/usr/bin/env bash
# Parallel transfers and read-ahead on loopback (docs/performance.md, "Read-ahead"), one run:
#   1. 64 KiB ranges at random offsets, 64 connections (wrk): bitsbridge with its defaults
#      (parallel parts and read-ahead on) against an nginx proxy_pass hop, same nginx origin;
#   2. S3 requests per whole-object GET and per BITS-style job (counted in the origin's log);
#   3. CLIENTS concurrent downloads of a large object (half of them read at 4 MB/s, half as fast
#      as they can): bitsbridge's peak RSS (VmHWM) and the read-ahead metrics sampled every 0.2 s.
#
#   docs/bench/readahead.sh        (after ./mvnw -B -q -o -DskipTests package; needs nginx, wrk, curl, python3)
#   SIZE_MIB=256 CLIENTS=50 DURATION=15s WARMUP=20 docs/bench/readahead.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
JAR=${JAR:-$ROOT/cli/target/bitsbridge.jar}
SIZE_MIB=${SIZE_MIB:-256}
CLIENTS=${CLIENTS:-50}
DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-20}
SECTIONS=${SECTIONS:-123}
# BASELINE_JAR=path: another build of bitsbridge measured in section 1 as well (before/after a change).
BASELINE_JAR=${BASELINE_JAR:-}
[ -f "$JAR" ] || { echo "no $JAR: build first with ./mvnw -B -q -o -DskipTests package"; exit 1; }
source "$HERE/lib.sh"
bench_workdir readahead

mkdir -p "$W/origin/bench" "$W/nginx-tmp" "$W/state"
head -c $((SIZE_MIB * 1024 * 1024)) /dev/urandom > "$W/origin/bench/big.bin"
chmod -R a+rX "$W/origin"
PO=$(port); PH=$(port); PB=$(port)
cat > "$W/nginx.conf" <<NGINX
worker_processes auto;
pid $W/nginx.pid;
error_log $W/nginx-error.log;
events { worker_connections 4096; }
http {
$(nginx_http_basics)
  log_format req '\$connection \$status \$http_range';
  access_log off;
  server { listen 127.0.0.1:$PO; root $W/origin; access_log $W/origin.log req; }
  upstream origin { server 127.0.0.1:$PO; keepalive 64; }
  server { listen 127.0.0.1:$PH; access_log $W/hop.log;
    location / { proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection ""; } }
}
NGINX
nginx -p "$W" -c "$W/nginx.conf"
export AWS_ACCESS_KEY_ID=benchkey AWS_SECRET_ACCESS_KEY=benchsecret AWS_REGION=us-east-1
java -jar "$JAR" serve --bucket bench --endpoint "http://127.0.0.1:$PO" --path-style --port "$PB" \
  --state-dir "$W/state" --skip-checks > "$W/bb.log" 2>&1 &
BB=$!; PIDS+=($BB)
HOP="http://127.0.0.1:$PH/bench/big.bin"
BBURL="http://127.0.0.1:$PB/big.bin"
wait_http "$HOP"; wait_http "$BBURL"
CONTENDERS="nginx-hop bitsbridge nginx-hop bitsbridge"
if [ -n "$BASELINE_JAR" ]; then
  PBB=$(port)
  java -jar "$BASELINE_JAR" serve --bucket bench --endpoint "http://127.0.0.1:$PO" --path-style --port "$PBB" \
    --state-dir "$W/state-baseline" --skip-checks > "$W/bb-baseline.log" 2>&1 &
  PIDS+=($!)
  BASEURL="http://127.0.0.1:$PBB/big.bin"
  wait_http "$BASEURL"
  CONTENDERS="nginx-hop bitsbridge baseline nginx-hop bitsbridge baseline"
fi
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

export OBJECT_SIZE=$((SIZE_MIB * 1024 * 1024)) RANGE_SIZE=65536
[[ $SECTIONS == *1* ]] && echo "== 1. 64 KiB random ranges, 64 connections, ${DURATION} after a ${WARMUP}s warm-up"
[[ $SECTIONS == *1* ]] && for c in $CONTENDERS; do
  u=$HOP; [ "$c" = bitsbridge ] && u=$BBURL; [ "$c" = baseline ] && u=$BASEURL
  wrk -t2 -c64 -d"${WARMUP}s" -s "$HERE/ranges.lua" "$u" >/dev/null 2>&1 || true
  line=$(wrk -t2 -c64 -d"$DURATION" --latency -s "$HERE/ranges.lua" "$u" | grep '^RESULT')
  echo "  $c $line"
done

if [[ $SECTIONS == *2* ]]; then
echo "== 2. S3 requests (origin log lines)"
: > "$W/origin.log"
curl -s -o /dev/null "$BBURL"; sleep 0.5
echo "  whole-object GET of ${SIZE_MIB} MiB: $(wc -l < "$W/origin.log") requests (bound: size/part + 2 = $((SIZE_MIB / 8 + 2)))"
: > "$W/origin.log"
python3 - "$PB" $((SIZE_MIB * 1024 * 1024)) <<'PY'
import http.client, sys
port, size, r = int(sys.argv[1]), int(sys.argv[2]), 8 << 20
c = http.client.HTTPConnection("127.0.0.1", port)
c.request("HEAD", "/big.bin"); c.getresponse().read()
for off in range(0, size, r):
    c.request("GET", "/big.bin", headers={"Range": f"bytes={off}-{min(size, off + r) - 1}"})
    assert c.getresponse().read() is not None
PY
sleep 0.5
echo "  BITS-style job (HEAD + 8 MiB ranges, one connection): $(wc -l < "$W/origin.log") requests for $((SIZE_MIB / 8 + 1)) client requests"
: > "$W/origin.log"
python3 - "$PB" $((SIZE_MIB * 1024 * 1024)) <<'PY'
import http.client, random, sys
port, size = int(sys.argv[1]), int(sys.argv[2])
c = http.client.HTTPConnection("127.0.0.1", port)
c.request("HEAD", "/big.bin"); c.getresponse().read()
rnd = random.Random(1)
for i in range(500):
    n = 65536 if i % 2 else (1 << 20) + rnd.randrange(1 << 20)
    off = rnd.randrange(size - n)
    c.request("GET", "/big.bin", headers={"Range": f"bytes={off}-{off + n - 1}"})
    c.getresponse().read()
PY
sleep 0.5
echo "  500 random ranges (64 KiB and 1-2 MiB) after a HEAD, one connection: $(wc -l < "$W/origin.log") requests for 501 client requests"
fi
[[ $SECTIONS == *3* ]] || exit 0

echo "== 3. $CLIENTS concurrent downloads of ${SIZE_MIB} MiB for 20 s: peak RSS and read-ahead metrics"
TOKEN=$(cat "$W/state/admin-token")
RSS_IDLE=$(awk '/VmRSS/ {printf "%.0f", $2/1024}' /proc/$BB/status)
CURLS=()
for i in $(seq "$CLIENTS"); do
  if [ $((i % 2)) = 0 ]; then
    curl -s -o /dev/null --max-time 20 --limit-rate 4M "$BBURL" & CURLS+=($!)
  else
    curl -s -o /dev/null --max-time 20 "$BBURL" & CURLS+=($!)
  fi
done
MAXHELD=0; MAXRES=0; MAXPARTS=0
END=$((SECONDS + 21))
while [ $SECONDS -lt $END ]; do
  m=$(curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PB/_bitsbridge/metrics" || true)
  h=$(awk '/^bitsbridge_parallel_readahead_bytes /{printf "%.0f", $2}' <<<"$m")
  r=$(awk '/^bitsbridge_parallel_readahead_reserved_bytes /{printf "%.0f", $2}' <<<"$m")
  p=$(awk '/^bitsbridge_parallel_parts_inflight /{printf "%.0f", $2}' <<<"$m")
  [ "${h:-0}" -gt "$MAXHELD" ] && MAXHELD=$h
  [ "${r:-0}" -gt "$MAXRES" ] && MAXRES=$r
  [ "${p:-0}" -gt "$MAXPARTS" ] && MAXPARTS=$p
  sleep 0.2
done
for p in "${CURLS[@]}"; do wait "$p" 2>/dev/null || true; done
BUDGET=$(curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PB/_bitsbridge/metrics" \
  | awk '/^bitsbridge_parallel_readahead_budget_bytes /{printf "%.0f", $2}')
echo "  peak RSS (VmHWM) $(awk '/VmHWM/ {printf "%.0f", $2/1024}' /proc/$BB/status) MiB (idle before: $RSS_IDLE MiB)"
echo "  read-ahead held at most $((MAXHELD / 1048576)) MiB, reserved at most $((MAXRES / 1048576)) MiB of a budget of $((BUDGET / 1048576)) MiB; parts in flight at most $MAXPARTS"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
