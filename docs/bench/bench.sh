#!/usr/bin/env bash
# bitsbridge benchmark: bitsbridge against an nginx proxy_pass hop (the best a proxy hop does on
# this machine) and rclone serve http (the best-known S3-over-HTTP server), measured side by side
# in one run, contenders alternating. Everything listens on 127.0.0.1 only.
#
#   docs/bench/bench.sh            (after ./mvnw -B -q -DskipTests package)
#   RUNS=5 DURATION=15s SIZE_MIB=1024 docs/bench/bench.sh
#
# Prints a table and writes docs/bench/results.md, docs/bench/results.csv and (with gnuplot)
# docs/performance.png.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
JAR=${JAR:-$ROOT/cli/target/bitsbridge.jar}
RUNS=${RUNS:-5}
DURATION=${DURATION:-15s}
SIZE_MIB=${SIZE_MIB:-1024}
STALLED=${STALLED:-100}
WARMUP=${WARMUP:-20}
OUT_MD=${OUT_MD:-$HERE/results.md}
OUT_CSV=${OUT_CSV:-$HERE/results.csv}
CHART=${CHART:-$ROOT/docs/performance.png}

missing=()
for t in nginx rclone wrk curl openssl python3 java; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "missing tools: ${missing[*]}"
  echo "install them, e.g. on Debian/Ubuntu: sudo apt-get install -y nginx rclone wrk curl openssl python3 gnuplot-nox"
  exit 1
fi
command -v gnuplot >/dev/null 2>&1 || echo "note: gnuplot not found (apt-get install gnuplot-nox): no chart will be drawn"
[ -f "$JAR" ] || { echo "no $JAR: build first with ./mvnw -B -q -DskipTests package"; exit 1; }

# The benchmark brings its own CA for the TLS origin; an inherited AWS_CA_BUNDLE would change
# what bitsbridge trusts and makes rclone refuse plain-HTTP endpoints.
unset AWS_CA_BUNDLE
source "$HERE/lib.sh"
bench_workdir bench
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "== preparing data in $W (${SIZE_MIB} MiB and 200 MiB objects)"
mkdir -p "$W/origin/bench" "$W/s3" "$W/nginx-tmp"
head -c $((SIZE_MIB * 1024 * 1024)) /dev/urandom > "$W/origin/bench/big.bin"
head -c $((200 * 1024 * 1024)) /dev/urandom > "$W/origin/bench/200m.bin"
chmod -R a+rX "$W/origin"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/key.pem" -out "$W/cert.pem" -days 2 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1

PO=$(port); POS=$(port); PH=$(port); PHS=$(port); PS3=$(port); PR=$(port); PB=$(port); PBS=$(port); PB3=$(port)
cat > "$W/nginx.conf" <<NGINX
worker_processes auto;
pid $W/nginx.pid;
error_log $W/nginx-error.log;
events { worker_connections 4096; }
http {
$(nginx_http_basics)
  log_format conn '\$connection \$status';
  access_log off;
  # The origin: files laid out as bucket/key; it ignores SigV4 headers.
  server { listen 127.0.0.1:$PO; root $W/origin; access_log $W/origin.log conn; }
  server {
    listen 127.0.0.1:$POS ssl; root $W/origin; access_log $W/origin-tls.log conn;
    ssl_certificate $W/cert.pem; ssl_certificate_key $W/key.pem;
  }
  # The reference: a plain proxy_pass hop with upstream keepalive. It writes an access log line
  # per request (nginx's default, combined format), as bitsbridge does: logging is part of what a
  # proxy in production costs.
  upstream origin { server 127.0.0.1:$PO; keepalive 64; }
  upstream origin_tls { server 127.0.0.1:$POS; keepalive 64; }
  server { listen 127.0.0.1:$PH; access_log $W/hop.log;
    location / { proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection ""; } }
  server { listen 127.0.0.1:$PHS; access_log $W/hop-tls.log;
    location / { proxy_pass https://origin_tls; proxy_http_version 1.1; proxy_set_header Connection "";
                 proxy_ssl_session_reuse on; } }
}
NGINX
nginx -p "$W" -c "$W/nginx.conf"

echo "== starting s3proxy (signature checking on), rclone serve http and bitsbridge"
cat > "$W/s3proxy.conf" <<S3P
s3proxy.endpoint=http://127.0.0.1:$PS3
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=benchkey
s3proxy.credential=benchsecret
jclouds.provider=filesystem
jclouds.filesystem.basedir=$W/s3
S3P
java -cp "$JAR" org.gaul.s3proxy.Main --properties "$W/s3proxy.conf" > "$W/s3proxy.log" 2>&1 &
PIDS+=($!)
export RCLONE_CONFIG_S3P_TYPE=s3 RCLONE_CONFIG_S3P_PROVIDER=Other RCLONE_CONFIG_S3P_ENDPOINT=http://127.0.0.1:$PS3 \
  RCLONE_CONFIG_S3P_ACCESS_KEY_ID=benchkey RCLONE_CONFIG_S3P_SECRET_ACCESS_KEY=benchsecret \
  RCLONE_CONFIG_S3P_FORCE_PATH_STYLE=true RCLONE_CONFIG_S3P_REGION=us-east-1
for _ in $(seq 100); do rclone lsd s3p: >/dev/null 2>&1 && break; sleep 0.2; done
rclone mkdir s3p:bench
rclone copyto "$W/origin/bench/big.bin" s3p:bench/big.bin
rclone copyto "$W/origin/bench/200m.bin" s3p:bench/200m.bin
rclone serve http s3p:bench --addr 127.0.0.1:$PR > "$W/rclone.log" 2>&1 &
PIDS+=($!)

export AWS_ACCESS_KEY_ID=benchkey AWS_SECRET_ACCESS_KEY=benchsecret AWS_REGION=us-east-1
java -jar "$JAR" serve --skip-checks --bucket bench --endpoint "http://127.0.0.1:$PO" --path-style --port "$PB" > "$W/bb.log" 2>&1 &
BB_PID=$!; PIDS+=($BB_PID)
java -jar "$JAR" serve --skip-checks --bucket bench --endpoint "https://127.0.0.1:$POS" --path-style --ca-bundle "$W/cert.pem" \
  --port "$PBS" > "$W/bb-tls.log" 2>&1 &
PIDS+=($!)
java -jar "$JAR" serve --skip-checks --bucket bench --endpoint "http://127.0.0.1:$PS3" --path-style --port "$PB3" > "$W/bb-s3.log" 2>&1 &
PIDS+=($!)

declare -A URL=(
  [origin]="http://127.0.0.1:$PO/bench/big.bin"
  [nginx-hop]="http://127.0.0.1:$PH/bench/big.bin"
  [nginx-hop-tls]="http://127.0.0.1:$PHS/bench/big.bin"
  [bitsbridge]="http://127.0.0.1:$PB/big.bin"
  [bitsbridge-tls]="http://127.0.0.1:$PBS/big.bin"
  [rclone-s3proxy]="http://127.0.0.1:$PR/big.bin"
  [bitsbridge-s3proxy]="http://127.0.0.1:$PB3/big.bin"
)
ORDER=(origin nginx-hop bitsbridge nginx-hop-tls bitsbridge-tls rclone-s3proxy bitsbridge-s3proxy)
for c in "${ORDER[@]}"; do wait_http "${URL[$c]}" 206; done

echo "== 1. one ${SIZE_MIB} MiB download with curl, median of $RUNS after a warm-up (MB/s)"
declare -A SPEEDS
for c in "${ORDER[@]}"; do curl -s -o /dev/null "${URL[$c]}"; done
for r in $(seq "$RUNS"); do
  for c in "${ORDER[@]}"; do
    s=$(curl -s -o /dev/null -w '%{speed_download}' "${URL[$c]}")
    SPEEDS[$c]="${SPEEDS[$c]:-} $s"
  done
done
declare -A MBPS
for c in "${ORDER[@]}"; do
  MBPS[$c]=$(echo "${SPEEDS[$c]}" | tr ' ' '\n' | grep -v '^$' | median | awk '{printf "%.0f", $1/1e6}')
  printf '  %-20s %6s MB/s\n' "$c" "${MBPS[$c]}"
done

echo "== 2. 64 connections x 64 KiB ranges at random offsets for $DURATION after a ${WARMUP}s warm-up (wrk)"
declare -A RPS P50 P99 ERRS
export OBJECT_SIZE=$((SIZE_MIB * 1024 * 1024)) RANGE_SIZE=65536
for c in nginx-hop bitsbridge nginx-hop-tls bitsbridge-tls rclone-s3proxy bitsbridge-s3proxy; do
  # Warm-up (not measured), the same for every contender: the JVM compiles the range path (its
  # throughput still rises for ~20 s under this load on 2 cores), the pools fill with connections.
  wrk -t2 -c64 -d"${WARMUP}s" -s "$HERE/ranges.lua" "${URL[$c]}" >/dev/null 2>&1 || true
  line=$(wrk -t2 -c64 -d"$DURATION" --latency -s "$HERE/ranges.lua" "${URL[$c]}" | grep '^RESULT')
  RPS[$c]=$(sed 's/.*rps=\([0-9.]*\).*/\1/' <<<"$line")
  P50[$c]=$(sed 's/.*p50_ms=\([0-9.]*\).*/\1/' <<<"$line")
  P99[$c]=$(sed 's/.*p99_ms=\([0-9.]*\).*/\1/' <<<"$line")
  ERRS[$c]=$(awk '{for(i=1;i<=NF;i++){split($i,a,"="); if(a[1]=="socket_errors"||a[1]=="non_2xx") s+=a[2]}} END{print s+0}' <<<"$line")
  printf '  %-20s %8s req/s  p50 %6s ms  p99 %6s ms  errors %s\n' "$c" "${RPS[$c]}" "${P50[$c]}" "${P99[$c]}" "${ERRS[$c]}"
done

echo "== 3. upstream connections opened for 256 ranges (1 MiB) on one client connection"
declare -A CONNS
for c in nginx-hop bitsbridge; do
  : > "$W/origin.log"
  port_path=${URL[$c]#http://127.0.0.1:}
  python3 "$HERE/oneconn.py" 127.0.0.1 "${port_path%%/*}" "/${port_path#*/}" 256 $((SIZE_MIB * 1024 * 1024)) 1048576 >/dev/null
  sleep 0.5
  CONNS[$c]=$(awk '{print $1}' "$W/origin.log" | sort -u | wc -l)
  printf '  %-20s %s connections\n' "$c" "${CONNS[$c]}"
done

echo "== 4. RSS with $STALLED stalled clients on a 200 MiB object"
declare -A RSS
NGINX_PIDS=$(pgrep -d, -f "nginx: (master|worker)" || true)
BB_RSS_IDLE=$(awk '/VmRSS/ {printf "%.0f", $2/1024}' /proc/$BB_PID/status)
RSS[bitsbridge]=$(python3 "$HERE/stall.py" 127.0.0.1 "$PB" /200m.bin "$STALLED" 5 "$BB_PID" | sed 's/.*rss_mib=//')
RSS[nginx-hop]=$(python3 "$HERE/stall.py" 127.0.0.1 "$PH" /bench/200m.bin "$STALLED" 5 "$NGINX_PIDS" | sed 's/.*rss_mib=//')
printf '  %-20s %s MiB (idle before: %s MiB)\n' bitsbridge "${RSS[bitsbridge]}" "$BB_RSS_IDLE"
printf '  %-20s %s MiB (all nginx processes)\n' nginx-hop "${RSS[nginx-hop]}"

echo "== 5. time from process start to the first byte served (median of 3)"
# As operators run it: the distribution's launcher (cli/src/main/dist/bitsbridge), which maps a
# class-data-sharing archive recorded by the first 'serve' (one unmeasured training run here).
# Plain 'java -jar' (no archive) is measured too, for reference.
mkdir -p "$W/dist"
cp "$JAR" "$W/dist/bitsbridge.jar"
cp "$ROOT/cli/src/main/dist/bitsbridge" "$W/dist/bitsbridge"
chmod +x "$W/dist/bitsbridge"
export BITSBRIDGE_CDS_DIR="$W/cds"
first_byte() { # command... -> ms from start to the first 206
  local P t0 t1 sp
  P=$(port)
  t0=$(date +%s%N)
  "$@" serve --skip-checks --bucket bench --endpoint "http://127.0.0.1:$PO" --path-style --port "$P" > "$W/bb-start.log" 2>&1 &
  sp=$!
  until [ "$(curl -s -o /dev/null -w '%{http_code}' -r 0-0 "http://127.0.0.1:$P/big.bin" 2>/dev/null || true)" = 206 ]; do sleep 0.02; done
  t1=$(date +%s%N)
  kill $sp; wait $sp 2>/dev/null || true
  echo $(( (t1 - t0) / 1000000 ))
}
first_byte "$W/dist/bitsbridge" >/dev/null # training run: records the archive at exit
T=(); J=()
for _ in 1 2 3; do
  T+=("$(first_byte "$W/dist/bitsbridge")")
  J+=("$(first_byte java -jar "$JAR")")
done
FIRST_MS=$(printf '%s\n' "${T[@]}" | median)
FIRST_JAR_MS=$(printf '%s\n' "${J[@]}" | median)
printf '  %-20s %s ms (launcher, CDS archive)\n' bitsbridge "$FIRST_MS"
printf '  %-20s %s ms (java -jar, no archive)\n' bitsbridge "$FIRST_JAR_MS"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
{
  echo "| measure | bitsbridge | reference | ratio | target |"
  echo "|---|---|---|---|---|"
  echo "| 1 GiB download, plain upstream (MB/s) | ${MBPS[bitsbridge]} | nginx hop ${MBPS[nginx-hop]} | $(ratio "${MBPS[bitsbridge]}" "${MBPS[nginx-hop]}") | ≥ 1.0 |"
  echo "| 1 GiB download, TLS upstream (MB/s) | ${MBPS[bitsbridge-tls]} | nginx hop ${MBPS[nginx-hop-tls]} | $(ratio "${MBPS[bitsbridge-tls]}" "${MBPS[nginx-hop-tls]}") | ≥ 1.0 |"
  echo "| 1 GiB download in front of s3proxy (MB/s) | ${MBPS[bitsbridge-s3proxy]} | rclone ${MBPS[rclone-s3proxy]} | $(ratio "${MBPS[bitsbridge-s3proxy]}" "${MBPS[rclone-s3proxy]}") | ≥ 1.5 |"
  echo "| 64 KiB ranges, 64 connections (req/s) | ${RPS[bitsbridge]} (p50 ${P50[bitsbridge]} ms, p99 ${P99[bitsbridge]} ms, errors ${ERRS[bitsbridge]}) | nginx hop ${RPS[nginx-hop]} (p50 ${P50[nginx-hop]} ms, p99 ${P99[nginx-hop]} ms) | $(ratio "${RPS[bitsbridge]}" "${RPS[nginx-hop]}") | ≥ 0.9, 0 errors |"
  echo "| 64 KiB ranges, TLS upstream (req/s) | ${RPS[bitsbridge-tls]} (errors ${ERRS[bitsbridge-tls]}) | nginx hop ${RPS[nginx-hop-tls]} | $(ratio "${RPS[bitsbridge-tls]}" "${RPS[nginx-hop-tls]}") | |"
  echo "| 64 KiB ranges in front of s3proxy (req/s) | ${RPS[bitsbridge-s3proxy]} (errors ${ERRS[bitsbridge-s3proxy]}) | rclone ${RPS[rclone-s3proxy]} | $(ratio "${RPS[bitsbridge-s3proxy]}" "${RPS[rclone-s3proxy]}") | ≥ 1.5 |"
  echo "| upstream connections for 256 ranges on one connection | ${CONNS[bitsbridge]} | nginx hop ${CONNS[nginx-hop]} | | ≤ 4 |"
  echo "| RSS with $STALLED stalled clients on 200 MiB (MiB) | ${RSS[bitsbridge]} | nginx ${RSS[nginx-hop]} | | < 512 |"
  echo "| process start to first byte (ms) | $FIRST_MS (launcher with CDS archive) | java -jar without archive $FIRST_JAR_MS | | ≤ 1500 |"
  echo
  echo "Machine: $(nproc) cores ($CPU), $(free -g | awk '/Mem:/ {print $2}') GiB; $(java -version 2>&1 | head -1);"
  echo "nginx $(nginx -v 2>&1 | sed 's/.*nginx\///'), $(rclone version | head -1), wrk $(wrk --version 2>&1 | head -1 | awk '{print $2}'); $(date -u +%Y-%m-%d)."
  echo "Direct from the nginx origin (no hop): ${MBPS[origin]} MB/s."
} > "$OUT_MD"
{
  echo "contender,download_mbps,ranges_rps,p50_ms,p99_ms"
  for c in "${ORDER[@]}"; do echo "$c,${MBPS[$c]},${RPS[$c]:-},${P50[$c]:-},${P99[$c]:-}"; done
} > "$OUT_CSV"
echo; cat "$OUT_MD"

if command -v gnuplot >/dev/null 2>&1; then
  grep -v '^origin,' "$OUT_CSV" | tail -n +2 | tr ',' ' ' > "$W/chart.dat"
  gnuplot <<GP
set terminal pngcairo size 1000,420 font ",10"
set output "$CHART"
set multiplot layout 1,2 title "bitsbridge, an nginx proxy hop and rclone serve http (loopback, $(nproc) cores)"
set yrange [0:*]
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.8
set xtics rotate by -30 noenhanced
set grid ytics
set title "1 GiB download (MB/s)"
plot "$W/chart.dat" using 2:xtic(1) notitle linecolor rgb "#3572a5"
set title "64 KiB random ranges, 64 connections (req/s)"
plot "$W/chart.dat" using 3:xtic(1) notitle linecolor rgb "#e07b39"
unset multiplot
GP
  echo "chart: $CHART"
fi
