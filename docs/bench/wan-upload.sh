#!/usr/bin/env bash
# The WAN upload benchmark (docs/performance.md, "Uploads over a WAN"): s3proxy behind a user-space
# delay line (proxy/src/test/.../testing/WanLink: RTT/2 each way, a fixed window per connection);
# the same file uploaded with `aws s3 cp` (parallel multipart) and as a BITS upload (Create-Session,
# 8 MiB fragments on one connection, Close-Session) through a bitsbridge process on the same link;
# every object checked byte-exact (SHA-256); the last run SIGKILLs bitsbridge at 40 % and resumes.
# Writes docs/bench/wan-upload-results.md. Needs the aws cli (v1 or v2).
#   SIZE_MIB=1024 RTT_MS=40 WINDOW_KIB=512 RUNS=1 PARALLELISM=4,8 FRAGMENT_MIB=8 docs/bench/wan-upload.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
./mvnw -B -o test -pl proxy -Dtest=WanUploadBench -Dsurefire.failIfNoSpecifiedTests=false \
  -Dbitsbridge.bench=wan-upload -Dbench.sizeMib="${SIZE_MIB:-1024}" -Dbench.rttMs="${RTT_MS:-40}" \
  -Dbench.windowKib="${WINDOW_KIB:-512}" -Dbench.runs="${RUNS:-1}" -Dbench.parallelism="${PARALLELISM:-4,8}" \
  -Dbench.fragmentMib="${FRAGMENT_MIB:-8}" | grep -E 'Tests run:|ERROR' || true
grep -E 'MB/s|byte-exact' proxy/target/surefire-reports/dev.bitsbridge.proxy.load.WanUploadBench-output.txt || true
cat docs/bench/wan-upload-results.md
