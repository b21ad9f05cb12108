#!/usr/bin/env python3
"""Opens N connections that each request a large object and then never read: stalled clients.
Holds them for HOLD seconds, then prints the RSS of PID (the process under test) and exits."""
import socket, sys, time

host, port, path, n, hold, pid = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]

def rss_kib(pid):
    total = 0
    for p in pid.split(","):
        with open(f"/proc/{p}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total

socks = []
for _ in range(n):
    s = socket.create_connection((host, port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: stalled\r\n\r\n".encode())
    socks.append(s)
time.sleep(hold)
peak = rss_kib(pid)
time.sleep(1)
peak = max(peak, rss_kib(pid))
print(f"RESULT stalled={n} rss_mib={peak / 1024:.0f}")
for s in socks:
    s.close()
