#!/usr/bin/env python3
"""One keep-alive connection, COUNT requests for RANGE_SIZE ranges: the shape of a BITS job.
Verifies each answer is a 206 of the right length."""
import http.client, sys

host, port, path, count, size, rsize = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
c = http.client.HTTPConnection(host, port)
bad = 0
for i in range(count):
    first = (i * rsize) % (size - rsize)
    c.request("GET", path, headers={"Range": f"bytes={first}-{first + rsize - 1}", "User-Agent": "Microsoft BITS/7.8"})
    r = c.getresponse()
    body = r.read()
    if r.status != 206 or len(body) != rsize:
        bad += 1
print(f"RESULT requests={count} bad={bad}")
