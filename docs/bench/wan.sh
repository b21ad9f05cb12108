#!/usr/bin/env bash
# The WAN benchmark (docs/performance.md, "One client across a WAN"): s3proxy behind a user-space
# delay line (proxy/src/test/.../testing/WanLink: RTT/2 each way, a fixed window per connection),
# for each RTT in one run: curl and aria2c direct on a presigned URL, curl and a BITS-style job
# (HEAD + 8 MiB ranges on one connection) through bitsbridge, with the S3 requests each took.
# Writes docs/bench/wan-results.md. Needs curl; aria2c if installed (apt-get install -y aria2).
#   SIZE_MIB=256 RTT_MS=40,80 WINDOW_KIB=512 RUNS=2 VARIANTS=false ONLY= docs/bench/wan.sh
#   (ONLY=TEXT: rows whose name contains TEXT; VARIANTS=true adds --parallel-connections 1 and 16)
set -euo pipefail
cd "$(dirname "$0")/../.."
# Only the proxy module's test classes are needed: nothing is installed into ~/.m2.
./mvnw -B -o test -pl proxy -Dtest=WanBench -Dsurefire.failIfNoSpecifiedTests=false -Dbitsbridge.bench=wan \
  -Dbench.sizeMib="${SIZE_MIB:-256}" -Dbench.rttMs="${RTT_MS:-40,80}" -Dbench.windowKib="${WINDOW_KIB:-512}" \
  -Dbench.runs="${RUNS:-2}" -Dbench.only="${ONLY:-}" -Dbench.variants="${VARIANTS:-false}" | grep -E 'Tests run:|ERROR' || true
grep 'MB/s' proxy/target/surefire-reports/dev.bitsbridge.proxy.load.WanBench-output.txt || true
cat docs/bench/wan-results.md
