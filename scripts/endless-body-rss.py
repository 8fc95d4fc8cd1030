#!/usr/bin/env python3
"""Peak memory (max RSS) of a full `rotcheck run` against an endpoint that answers every request
with an endless body (HTTP 200, chunked, never finished). rotcheck reads each body up to its cap
(--max-body-bytes, 1 MiB) and, once a case is judged, keeps only a redacted 16 KiB prefix of it.

Usage: scripts/endless-body-rss.py [path/to/rotcheck]   (default: target/release/rotcheck, else
target/debug/rotcheck). Prints one line: the figure the README quotes.
"""
import os
import resource
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHUNK = b'{"tunnelId":"' + b"x" * 65536


class Endless(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        self.send_response(200)
        self.send_header("content-type", "application/x-amz-json-1.1")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        try:
            while True:  # until the client hangs up
                self.wfile.write(b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK))
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = do_POST

    def log_message(self, *args):
        pass


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    binary = sys.argv[1] if len(sys.argv) > 1 else next(
        (p for p in (os.path.join(root, "target", b, "rotcheck") for b in ("release", "debug")) if os.path.exists(p)),
        None,
    )
    if not binary:
        sys.exit("build rotcheck first (cargo build --release)")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Endless)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = "http://127.0.0.1:%d" % server.server_address[1]
    env = dict(os.environ)
    for k in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_IOTSECURETUNNELING", "AWS_PROFILE", "AWS_ACCESS_KEY_ID"):
        env.pop(k, None)
    run = subprocess.run(
        [binary, "run", "--no-progress", "--endpoint", url, "--time-scale", "60"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    cases = run.stdout.decode(errors="replace").splitlines()[0] if run.stdout else ""
    print(
        "peak RSS %.1f MiB for a full run against an endless-body endpoint (exit %d; %s)"
        % (peak_kib / 1024.0, run.returncode, cases.split(": ", 1)[-1][:40])
    )


if __name__ == "__main__":
    main()
