#!/usr/bin/env python3
"""Bounded HTTP load on loopback: N threads, keep-alive, GET a path until a
stop file appears or the time limit passes. Counts status classes and socket
errors and prints one JSON line. Used by bench/deploy.sh."""
import http.client, json, os, sys, threading, time

host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
threads, limit, stop_file = int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
assert host.startswith("127."), "loopback only"

lock = threading.Lock()
counts = {"2xx": 0, "non_2xx": 0, "socket_errors": 0}
deadline = time.monotonic() + limit

def worker():
    conn = None
    while time.monotonic() < deadline and not os.path.exists(stop_file):
        try:
            if conn is None:
                conn = http.client.HTTPConnection(host, port, timeout=10)
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            key = "2xx" if 200 <= response.status < 300 else "non_2xx"
            if response.getheader("Connection", "").lower() == "close":
                conn.close(); conn = None
        except (OSError, http.client.HTTPException):
            key = "socket_errors"
            if conn is not None:
                conn.close()
            conn = None
        with lock:
            counts[key] += 1

pool = [threading.Thread(target=worker) for _ in range(threads)]
for t in pool: t.start()
for t in pool: t.join()
print(json.dumps(counts))
