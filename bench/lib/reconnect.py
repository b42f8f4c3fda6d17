#!/usr/bin/env python3
"""New authenticated connections per second with a client that resumes TLS sessions (bench/run's conn part).

redis-benchmark (hiredis) never offers a session to resume (no SSL_set_session, no client session cache), so every
one of its TLS connections is a full handshake. This client, with THREADS threads, opens COUNT connections in turn,
each: TCP connect, TLS handshake offering the thread's last session (TLS 1.3 ticket / TLS 1.2 id), AUTH, PING,
close; Python's ssl module releases the GIL during handshakes and I/O. Prints one line:
  reconnect: OK FAILED SECONDS RATE RESUMED
(RESUMED: connections whose handshake resumed; the secret is never printed). Loopback only.

Usage: reconnect.py HOST PORT COUNT THREADS CA_FILE USER SECRET_FILE [tls|plain]
USER "default" sends AUTH <secret> (a Redis password), else AUTH USER <secret> (the gateway's JWT).
"""

import socket
import ssl
import sys
import threading
import time


def main():
    if len(sys.argv) < 8:
        sys.exit("usage: reconnect.py HOST PORT COUNT THREADS CA_FILE USER SECRET_FILE [tls|plain]")
    host, port, count, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    ca, user = sys.argv[5], sys.argv[6]
    with open(sys.argv[7]) as f:
        secret = f.read().strip()
    use_tls = (sys.argv[8] if len(sys.argv) > 8 else "tls") == "tls"
    if host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("loopback only")
    args = ["AUTH", secret] if user == "default" else ["AUTH", user, secret]
    request = resp(args) + resp(["PING"])
    ctx = ssl.create_default_context(cafile=ca)
    ctx.check_hostname = False  # the bench certificates name localhost; the address is 127.0.0.1
    lock = threading.Lock()
    state = {"left": count, "ok": 0, "failed": 0, "resumed": 0, "error": None}

    def take():
        with lock:
            if state["left"] <= 0:
                return False
            state["left"] -= 1
            return True

    def worker():
        session = None
        while take():
            try:
                raw = socket.create_connection((host, port), timeout=30)
                raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                s = ctx.wrap_socket(raw, server_hostname="localhost", session=session) if use_tls else raw
                with s:
                    s.sendall(request)
                    got = b""
                    while got.count(b"\r\n") < 2:
                        chunk = s.recv(4096)
                        if not chunk:
                            raise OSError("closed after %r" % got[:40])
                        got += chunk
                    if not got.startswith(b"+OK\r\n+PONG\r\n"):
                        raise OSError("unexpected reply %r" % got[:60])
                    reused = use_tls and s.session_reused
                    if use_tls:
                        session = s.session  # the ticket arrived with the replies (TLS 1.3)
                with lock:
                    state["ok"] += 1
                    state["resumed"] += 1 if reused else 0
            except (OSError, ssl.SSLError) as e:
                with lock:
                    state["failed"] += 1
                    state["error"] = state["error"] or str(e)
                session = None

    start = time.monotonic()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    secs = time.monotonic() - start
    if state["error"]:
        print("reconnect: first error: " + state["error"], file=sys.stderr)
    print("reconnect: %d %d %.2f %.0f %d" % (state["ok"], state["failed"], secs, state["ok"] / secs, state["resumed"]))


def resp(args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        b = a.encode()
        out += b"$%d\r\n%s\r\n" % (len(b), b)
    return out


if __name__ == "__main__":
    main()
