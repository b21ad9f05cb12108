# Shared by the loopback benchmarks (bench.sh, readahead.sh, cache.sh); source it, do not run it.
#   bench_workdir NAME   a private folder $W, removed with every process in $PIDS (and nginx) at exit
#   port                 a free 127.0.0.1 port
#   wait_http URL [CODE] until a 1-byte range of URL answers CODE (default 206); exits after 20 s
#   nginx_http_basics    the lines of an nginx http {} block every benchmark's nginx uses

bench_workdir() {
  W=$(mktemp -d "/tmp/bitsbridge-$1.XXXXXX")
  chmod 755 "$W"
  PIDS=()
  trap bench_cleanup EXIT
}

bench_cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$W/nginx.pid" ] && kill "$(cat "$W/nginx.pid")" 2>/dev/null || true
  sleep 1
  rm -rf "$W"
}

port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

wait_http() {
  for _ in $(seq 200); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' -r 0-0 "$1" 2>/dev/null || true)" = "${2:-206}" ] && return 0
    sleep 0.1
  done
  echo "timed out waiting for $1"; exit 1
}

nginx_http_basics() {
  mkdir -p "$W/nginx-tmp"
  cat <<NGINX
  types { application/octet-stream bin; }
  default_type application/octet-stream;
  sendfile on;
  # No TCP_CORK (tcp_nopush): with it, nginx holds the last partial segment of every response
  # until a delayed ACK comes back, and each 64 KiB range then takes ~44 ms whatever sits in front
  # of the origin. S3 does not behave like that; the benchmark should measure the proxies.
  tcp_nopush off;
  keepalive_requests 1000000;
  client_body_temp_path $W/nginx-tmp/body;
  proxy_temp_path $W/nginx-tmp/proxy;
  fastcgi_temp_path $W/nginx-tmp/fastcgi;
  uwsgi_temp_path $W/nginx-tmp/uwsgi;
  scgi_temp_path $W/nginx-tmp/scgi;
NGINX
}
