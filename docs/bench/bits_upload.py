#!/usr/bin/env python3
"""A BITS upload client for machines without Windows: speaks BITS_POST as Windows does
(Create-Session, in-order Fragments with Content-Range, Close-Session) and resumes from the
offset the server reports. Used to try uploads by hand and to measure them.

  bits_upload.py URL FILE [--fragment-mib N] [--session ID] [--stop-after-mib N]

Prints the session id first, so an interrupted upload can be resumed with --session."""
import argparse, http.client, os, sys, time, urllib.parse

PROTOCOL = "{7df0354d-249b-430f-820d-3d2a9bef4931}"

def post(conn, path, headers, body=b""):
    h = {"BITS-Packet-Type": headers.pop("type"), "Content-Length": str(len(body)),
         "User-Agent": "Microsoft BITS/7.8"}
    h.update(headers)
    conn.request("BITS_POST", path, body=body, headers=h)
    r = conn.getresponse()
    r.read()
    return r.status, {k.lower(): v for k, v in r.getheaders()}

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url"); ap.add_argument("file")
    ap.add_argument("--fragment-mib", type=float, default=4)
    ap.add_argument("--session"); ap.add_argument("--stop-after-mib", type=float)
    a = ap.parse_args()
    u = urllib.parse.urlsplit(a.url)
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=600)
    size = os.path.getsize(a.file)
    session = a.session
    if not session:
        st, h = post(conn, u.path, {"type": "Create-Session", "BITS-Supported-Protocols": PROTOCOL})
        if st != 200:
            sys.exit(f"Create-Session: {st} {h.get('bits-error-code')} {h.get('x-bitsbridge-error')}")
        session = h["bits-session-id"]
    print(f"session {session}", flush=True)
    frag = int(a.fragment_mib * 1024 * 1024)
    off, t0, sent = 0, time.time(), 0
    if a.session:
        off = 0  # ask the server: a zero-length probe is not allowed, so send the first fragment
    with open(a.file, "rb") as f:
        while off < size:
            n = min(frag, size - off)
            f.seek(off)
            body = f.read(n)
            st, h = post(conn, u.path, {"type": "Fragment", "BITS-Session-Id": session,
                                        "Content-Range": f"bytes {off}-{off + n - 1}/{size}"}, body)
            if st not in (200, 416):
                sys.exit(f"Fragment at {off}: {st} {h.get('bits-error-code')} {h.get('x-bitsbridge-error')}")
            if st == 416:
                print(f"server holds {h['bits-received-content-range']} bytes: resuming there", flush=True)
            else:
                sent += n
            off = int(h["bits-received-content-range"])
            if a.stop_after_mib and off >= a.stop_after_mib * 1024 * 1024:
                print(f"stopping at {off}", flush=True)
                return
    st, h = post(conn, u.path, {"type": "Close-Session", "BITS-Session-Id": session})
    dt = time.time() - t0
    print(f"done: {size} bytes, {sent} sent in this run, {dt:.1f} s, {sent / dt / 1e6:.1f} MB/s; close {st}", flush=True)

main()
