"""A loopback HTTP proxy that delays each response: ``latency_proxy.py PORT UPSTREAM MS [HEADER]``.

Stands for a far-away service in front of the local stand-in: each request is forwarded (keep-alive, one
upstream connection per thread) and its response held back ``MS`` milliseconds before it is sent. With
``HEADER`` (``"Name: value"``) that header is added to every forwarded request: the search benchmark
reaches the stand-in, which wants a bearer token, this way from a client that cannot send headers (rustac).
"""

from __future__ import annotations

import http.client
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "proxy-connection",
    "upgrade",
}


def make_handler(
    upstream: str, delay: float, extra: dict[str, str] | None = None
) -> type[BaseHTTPRequestHandler]:
    target = urllib.parse.urlsplit(upstream)
    local = threading.local()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _connection(self) -> http.client.HTTPConnection:
            conn = getattr(local, "conn", None)
            if conn is None:
                conn = local.conn = http.client.HTTPConnection(target.hostname, target.port, timeout=120)
            return conn

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            headers.update(extra or {})
            for attempt in range(2):
                conn = self._connection()
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    response = conn.getresponse()
                    payload = response.read()
                    break
                except (http.client.HTTPException, OSError):
                    conn.close()
                    local.conn = None
                    if attempt:
                        raise
            time.sleep(delay)
            self.send_response(response.status)
            for key, value in response.getheaders():
                if key.lower() not in HOP_BY_HOP:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

    return Handler


def main() -> None:
    port, upstream, delay_ms = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    extra = {}
    if len(sys.argv) > 4:
        name, _, value = sys.argv[4].partition(":")
        extra[name.strip()] = value.strip()
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(upstream, delay_ms / 1000, extra))
    server.daemon_threads = True
    print(f"listening on http://127.0.0.1:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
