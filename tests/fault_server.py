"""A scriptable HTTP server on the loopback interface that misbehaves on request.

``FaultServer`` listens on ``127.0.0.1`` (or any other loopback address, e.g. ``127.0.0.2`` to play
a second host) on a free port, in a background thread. Each path is scripted with a sequence of
:class:`Reply` objects (the last one repeats) or with a function of the request; every request is
recorded with its method, path, query, headers and body.

A reply can be an ordinary response (any status, headers, body) or a fault:

* ``Reply.json(...)``, ``Reply.data(...)``, ``Reply.html(...)``, ``Reply.text(...)``,
  ``Reply.empty(...)``, ``Reply.redirect(...)``: well-formed responses (HTML error pages from a
  proxy, non-JSON error bodies, empty 200s, oversized bodies and redirects are just bodies/statuses);
* ``Reply.reset(body, after=n)``: the headers and ``n`` bytes of the body, then a TCP reset;
* ``Reply.truncated(body, after=n)``: ``Content-Length`` of the whole body, ``n`` bytes, then a clean
  close (the body is silently short unless the client checks);
* ``Reply.stall(seconds, ...)``: nothing at all for ``seconds`` (before the status line) or, with
  ``after=n``, the headers and ``n`` bytes of the body and then silence;
* ``Reply.trickle(body, every=s)``: the headers, then the body one byte every ``s`` seconds, so no
  single wait for data is long but the whole never ends in reasonable time.

Waits are bounded: every stall also ends as soon as the server stops, and the server's threads are
daemons, so a test that fails half-way never hangs the run.

Module-level :data:`STATS` counts the faults injected by all servers of the run (for the
reliability summary).
"""

from __future__ import annotations

import http.server
import json
import socket
import ssl
import struct
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Union
from urllib.parse import parse_qsl, urlsplit

__all__ = ["STATS", "FaultServer", "RecordedRequest", "Reply"]

STATS: dict[str, int] = {}
"""Faults injected in this process, by kind (``status:503``, ``reset``, ``truncated``, ``stall``...)."""

_STATS_LOCK = threading.Lock()
MAX_STALL = 30.0
"""No stall lasts longer than this, whatever a test asks."""


def _count(kind: str) -> None:
    with _STATS_LOCK:
        STATS[kind] = STATS.get(kind, 0) + 1


# --------------------------------------------------------------------------------------------------
# Replies
# --------------------------------------------------------------------------------------------------


@dataclass
class Reply:
    """One scripted answer.

    :ivar status: The status code.
    :ivar headers: Response headers (``Content-Length`` is added unless given).
    :ivar body: The whole body.
    :ivar fault: ``None`` (a normal answer), ``"reset"`` (TCP reset after ``send_bytes``),
        ``"close"`` (clean close after ``send_bytes``), ``"stall"`` (silence; see ``stall_seconds``),
        ``"trickle"`` (the body a byte at a time, ``stall_seconds`` apart).
    :ivar send_bytes: How many body bytes go out before the fault; ``None``: all of them.
    :ivar stall_seconds: How long a stall lasts (bounded by :data:`MAX_STALL` and by the server's stop).
    :ivar stall_before_headers: Whether the stall comes before the status line (else after ``send_bytes``).
    :ivar pause_before_fault: Seconds between the last bytes sent and a reset, so the client has
        read what was sent before the reset arrives.
    """

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    fault: str | None = None
    send_bytes: int | None = None
    stall_seconds: float = 0.0
    stall_before_headers: bool = True
    pause_before_fault: float = 0.0

    @classmethod
    def json(cls, payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
        return cls(
            status,
            {"Content-Type": "application/json", **(headers or {})},
            json.dumps(payload).encode("utf-8"),
        )

    @classmethod
    def error(cls, status: int, code: str = "Transient", message: str = "try again", **headers: str) -> Reply:
        """An error in the service's shape: ``{"error": {"code", "message"}}``."""
        return cls.json({"error": {"code": code, "message": message}}, status, {**headers})

    @classmethod
    def data(cls, body: bytes, content_type: str = "application/octet-stream", status: int = 200) -> Reply:
        return cls(status, {"Content-Type": content_type}, body)

    @classmethod
    def text(cls, body: str, status: int = 200, content_type: str = "text/plain") -> Reply:
        return cls(status, {"Content-Type": content_type}, body.encode("utf-8"))

    @classmethod
    def html(cls, status: int = 502, title: str = "502 Bad Gateway") -> Reply:
        """An HTML error page, as a reverse proxy or gateway writes it."""
        page = (
            f"<html><head><title>{title}</title></head><body><center><h1>{title}</h1></center></body></html>"
        )
        return cls.text(page, status, "text/html")

    @classmethod
    def empty(cls, status: int = 200, content_type: str | None = "application/json") -> Reply:
        return cls(status, {"Content-Type": content_type} if content_type else {}, b"")

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Reply:
        return cls(status, {"Location": location}, b"")

    @classmethod
    def reset(cls, body: bytes, after: int, content_type: str = "image/png", pause: float = 0.2) -> Reply:
        """Headers and ``after`` bytes of ``body``, then a TCP reset."""
        return cls(200, {"Content-Type": content_type}, body, "reset", after, pause_before_fault=pause)

    @classmethod
    def truncated(cls, body: bytes, after: int, content_type: str = "image/png") -> Reply:
        """``Content-Length: len(body)`` but only ``after`` bytes, then a clean close."""
        return cls(200, {"Content-Type": content_type}, body, "close", after)

    @classmethod
    def trickle(cls, body: bytes, every: float = 0.5, content_type: str = "application/json") -> Reply:
        """The headers at once, then ``body`` a byte every ``every`` seconds (until the server stops)."""
        return cls(200, {"Content-Type": content_type}, body, "trickle", 0, stall_seconds=every)

    @classmethod
    def stall(
        cls,
        seconds: float,
        *,
        body: bytes = b"",
        after: int | None = None,
        content_type: str = "application/json",
    ) -> Reply:
        """Silence for ``seconds``: before the status line, or after ``after`` bytes of ``body``."""
        return cls(
            200,
            {"Content-Type": content_type},
            body,
            "stall",
            after,
            stall_seconds=seconds,
            stall_before_headers=after is None,
        )


# --------------------------------------------------------------------------------------------------
# Requests
# --------------------------------------------------------------------------------------------------


@dataclass
class RecordedRequest:
    """One request as the server received it."""

    server: str
    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.target).query, keep_blank_values=True))

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None

    def json(self) -> Any:
        return json.loads(self.body)


Handler = Callable[[RecordedRequest], Reply]
Script = Union[Handler, Sequence[Reply]]


class _Route:
    def __init__(self, script: Script) -> None:
        self._lock = threading.Lock()
        self._handler: Handler | None = None
        self._queue: list[Reply] = []
        if callable(script):
            self._handler = script
        else:
            self._queue = list(script)
            if not self._queue:
                raise ValueError("a scripted route needs at least one reply")

    def answer(self, request: RecordedRequest) -> Reply:
        if self._handler is not None:
            return self._handler(request)
        with self._lock:
            return self._queue.pop(0) if len(self._queue) > 1 else self._queue[0]


# --------------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------------


class _FaultHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fault_server: FaultServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def handle(self) -> None:
        try:
            super().handle()
        except OSError:  # the client went away (reset, timeout): nothing to answer
            self.close_connection = True

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts = []
            for _ in range(100_000):
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                parts.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(parts)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        server = self.fault_server
        request = RecordedRequest(
            server=server.url,
            method=self.command,
            target=self.path,
            headers=list(self.headers.items()),
            body=self._read_body(),
        )
        server._record(request)
        reply = server._reply_for(request)
        server._count_reply(reply)

        if reply.fault == "stall" and reply.stall_before_headers:
            server._wait(reply.stall_seconds)
            self.close_connection = True
            return
        self.send_response(reply.status)
        headers = {key.lower(): (key, value) for key, value in reply.headers.items()}
        for key, value in headers.values():
            self.send_header(key, value)
        if "content-length" not in headers:
            self.send_header("Content-Length", str(len(reply.body)))
        if reply.fault:
            self.send_header("Connection", "close")
        self.end_headers()

        if reply.fault == "trickle":
            self.close_connection = True
            for index in range(len(reply.body) if self.command != "HEAD" else 0):
                self.wfile.write(reply.body[index : index + 1])
                self.wfile.flush()
                if server._stopping.is_set():
                    return
                server._wait(reply.stall_seconds)
            return
        body = reply.body if reply.send_bytes is None else reply.body[: reply.send_bytes]
        if self.command != "HEAD":
            for start in range(0, len(body), 64 * 1024):
                self.wfile.write(body[start : start + 64 * 1024])
        self.wfile.flush()
        if reply.fault is None:
            return
        self.close_connection = True
        if reply.fault == "stall":
            server._wait(reply.stall_seconds)
        elif reply.fault == "reset":
            server._wait(reply.pause_before_fault)
            # SO_LINGER with a zero timeout turns close() into a TCP reset.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        elif reply.fault == "close":
            self.connection.shutdown(socket.SHUT_RDWR)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve


class FaultServer:
    """A threaded HTTP/1.1 server on a loopback address with per-path scripted replies.

    Use as a context manager (or call :meth:`start` / :meth:`stop`)::

        with FaultServer() as server:
            server.script("/stac/collections/naip", Reply.error(503, **{"Retry-After": "1"}),
                          Reply.json({...}))
            ... client calls http://127.0.0.1:<port> ...
            assert server.count("/stac/collections/naip") == 2
    """

    def __init__(self, host: str = "127.0.0.1", ssl_context: ssl.SSLContext | None = None) -> None:
        self.host = host
        self.scheme = "http" if ssl_context is None else "https"
        self.requests: list[RecordedRequest] = []
        self._routes: dict[tuple[str | None, str], _Route] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        handler = type("Handler", (_FaultHandler,), {"fault_server": self})
        self._httpd = http.server.ThreadingHTTPServer((host, 0), handler)
        self._httpd.daemon_threads = True
        if ssl_context is not None:  # HTTPS, with the context's certificate
            self._httpd.socket = ssl_context.wrap_socket(self._httpd.socket, server_side=True)
        self.port: int = self._httpd.server_address[1]
        self._thread: threading.Thread | None = None
        self.faults = 0
        """Faults this server injected: error statuses, resets, truncations and stalls."""

    # lifecycle ------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def start(self) -> FaultServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},
            name=f"fault-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *args: Any) -> None:
        self.stop()

    # scripting ------------------------------------------------------------------------------------

    def script(self, path: str, *replies: Reply, method: str | None = None) -> None:
        """Answer ``path`` (``method`` only, or any) with ``replies`` in turn; the last one repeats."""
        self._routes[(method, path)] = _Route(replies)

    def route(self, path: str, handler: Handler, method: str | None = None) -> None:
        """Answer ``path`` with ``handler(request)``; a path ending in ``*`` matches by prefix."""
        self._routes[(method, path)] = _Route(handler)

    # inspection -----------------------------------------------------------------------------------

    def count(self, path: str | None = None, method: str | None = None) -> int:
        """How many requests arrived (for ``path`` and ``method`` when given)."""
        return len(list(self.matching(path, method)))

    def matching(self, path: str | None = None, method: str | None = None) -> Iterator[RecordedRequest]:
        with self._lock:
            recorded = list(self.requests)
        for request in recorded:
            if (path is None or request.path == path) and (method is None or request.method == method):
                yield request

    # internals ------------------------------------------------------------------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _reply_for(self, request: RecordedRequest) -> Reply:
        for key in ((request.method, request.path), (None, request.path)):
            if key in self._routes:
                return self._routes[key].answer(request)
        for (method, path), route in self._routes.items():
            if path.endswith("*") and request.path.startswith(path[:-1]) and method in (None, request.method):
                return route.answer(request)
        return Reply.error(404, "NotScripted", f"no reply scripted for {request.method} {request.path}")

    def _count_reply(self, reply: Reply) -> None:
        kind = reply.fault or (f"status:{reply.status}" if reply.status >= 400 else None)
        if kind is None:
            return
        with self._lock:
            self.faults += 1
        _count(kind)

    def _wait(self, seconds: float) -> None:
        self._stopping.wait(min(max(seconds, 0.0), MAX_STALL))
