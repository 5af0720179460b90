"""The default synchronous transport: azure-core's HttpTransport on urllib3, without the requests layer.

requests (azure-core's default) spends about as much CPU per request as the HTTP exchange itself:
it re-reads the proxy environment variables and ~/.netrc, merges session settings and builds
cookie jars on every call. A tile or a search page is one small request, so that overhead
dominates: this transport sends the same requests through urllib3 (which requests uses
underneath) and maps its errors to the same azure-core exceptions.

Environment settings (``use_env_settings=True``, the default) are those requests reads:
``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``ALL_PROXY`` / ``NO_PROXY`` (as the standard library reads them)
and ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE``. requests scans the whole environment on every
request; here each request looks up just these variables, and a host's proxy is worked out again
only when one of them has changed.
Unlike requests, ``~/.netrc`` is never read: its Basic credentials would replace the bearer token.
Pass ``transport=azure.core.pipeline.transport.RequestsTransport()`` to the client to use requests.

A body read into memory (every JSON answer, each search page) is bounded, because the service's
answers must not cost unbounded memory or time (:data:`DEFAULT_MAX_RESPONSE_SIZE`,
:data:`DEFAULT_RESPONSE_TIMEOUT`): its decoded size (a gzip bomb is refused as it expands, not
after) and the time from sending to the last byte (a body trickling a byte at a time never trips
``read_timeout``, which bounds each wait for data, not the whole). Streamed downloads (tiles,
assets) are decoded chunk by chunk and bounded by ``read_timeout`` per chunk only, since a large
file may rightly take long, unless ``response_timeout`` is given for that very request: then the
whole stream must arrive within it.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import os
import socket
import threading
import time
import urllib.request
from collections.abc import Mapping, MutableMapping
from typing import Any, Union
from urllib.parse import unquote, urlsplit

import urllib3
from azure.core.configuration import ConnectionConfiguration
from azure.core.exceptions import (
    DecodeError,
    HttpResponseError,
    IncompleteReadError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)
from azure.core.pipeline.transport import HttpTransport
from azure.core.rest import HttpRequest, HttpResponse
from azure.core.rest._http_response_impl import HttpResponseImpl
from azure.core.utils import case_insensitive_dict
from urllib3.exceptions import (
    ConnectTimeoutError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.exceptions import DecodeError as Urllib3DecodeError
from urllib3.exceptions import HTTPError as Urllib3HTTPError
from urllib3.util.request import ACCEPT_ENCODING

__all__ = ["DEFAULT_MAX_RESPONSE_SIZE", "DEFAULT_RESPONSE_TIMEOUT", "Urllib3Transport"]

_LOGGER = logging.getLogger(__name__)

# Large enough that a tile or a search page is a handful of reads; azure-core's 4 KiB default
# would turn a 1 MB body into 250 Python-level iterations.
DEFAULT_BLOCK_SIZE = 64 * 1024
DEFAULT_POOL_MAXSIZE = 10  # connections kept per host, as requests does
DEFAULT_MAX_RESPONSE_SIZE = 256 * 1024 * 1024
"""Bytes a body read into memory may have once decoded (``max_response_size``): 256 MiB.

The largest legitimate answer is a search page of 10,000 items (the service's maximum ``limit``);
rich STAC items are 5-15 kB, so such a page is 50-150 MB. 256 MiB leaves room for that while
refusing a gzip bomb long before it takes gigabytes (parsing JSON costs a few times its size).
"""
DEFAULT_RESPONSE_TIMEOUT = 300.0
"""Seconds from sending a request to the last byte of a body read into memory (``response_timeout``).

As long as the default ``read_timeout``: a 256 MiB page at 1 MB/s still arrives in time, while a
body trickling a byte at a time is cut off.
"""
_TRANSPORT_KEYWORDS = frozenset(
    {
        "stream",
        "connection_timeout",
        "read_timeout",
        "connection_verify",
        "connection_cert",
        "proxies",
        "max_response_size",
        "response_timeout",
    }
)

Verify = Union[bool, str]
Cert = Union[None, str, tuple[str, str]]


def _body_error(error: Exception) -> Exception:
    """The azure-core exception for a failure while reading a response body (as requests maps it)."""
    if isinstance(error, ReadTimeoutError):
        return ServiceResponseTimeoutError(error, error=error)
    if isinstance(error, Urllib3DecodeError):
        return DecodeError(error, error=error)
    if isinstance(error, ProtocolError):
        if "IncompleteRead" in str(error) or "InvalidChunkLength" in str(error):
            _LOGGER.warning("Incomplete download.")
            return IncompleteReadError(error, error=error)
        _LOGGER.warning("Unable to stream download.")
        return HttpResponseError(error, error=error)
    return ServiceResponseError(error, error=error)


def _send_error(error: Exception) -> Exception:
    """The azure-core exception for a failure before the response headers were read."""
    if isinstance(error, NewConnectionError):  # a subclass of ConnectTimeoutError: test it first
        return ServiceRequestError(error, error=error)
    if isinstance(error, ConnectTimeoutError):
        return ServiceRequestTimeoutError(error, error=error)
    if isinstance(error, ReadTimeoutError):
        return ServiceResponseTimeoutError(error, error=error)
    if isinstance(error, ProtocolError):  # the connection broke after the request was sent
        return ServiceResponseError(error, error=error)
    if isinstance(error, (SSLError, ProxyError, OSError)):
        return ServiceRequestError(error, error=error)
    return ServiceResponseError(error, error=error)


def positive_limit(name: str, value: Any) -> float | None:
    """``value`` as a positive limit; None (no limit) stays None.

    :raises TypeError: not a number. :raises ValueError: not positive.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number or None, got {type(value).__name__}")
    if not value > 0:
        raise ValueError(f"{name} must be positive, got {value!r}")
    return float(value)


def too_large_error(request: HttpRequest, limit: float, encoding: str | None) -> DecodeError:
    """The error for a body that grew past ``max_response_size`` once decoded."""
    decoded = f" once decoded from {encoding}" if encoding else ""
    return DecodeError(
        message=(
            f"the response to {request.method} {urlsplit(request.url).path} is larger than "
            f"max_response_size={int(limit)} bytes{decoded}; pass a larger max_response_size= "
            "if this answer is expected"
        )
    )


def overran_error(request: HttpRequest, limit: float) -> ServiceResponseTimeoutError:
    """The error for a body still incomplete ``response_timeout`` seconds after sending."""
    return ServiceResponseTimeoutError(
        f"the response to {request.method} {urlsplit(request.url).path} was not complete within "
        f"response_timeout={limit:g} s of sending (a body that trickles in never trips read_timeout)"
    )


def _socket_of(raw: urllib3.BaseHTTPResponse) -> socket.socket | None:
    """The socket a response's body is read from."""
    sock = getattr(getattr(raw, "connection", None), "sock", None)
    if isinstance(sock, socket.socket):
        return sock
    # With "Connection: close" http.client detaches the socket from the connection and reads the
    # body through the response's socket file: http.client.HTTPResponse.fp -> BufferedReader -> SocketIO.
    socket_io = getattr(getattr(getattr(raw, "_fp", None), "fp", None), "raw", None)
    sock = getattr(socket_io, "_sock", None)
    return sock if isinstance(sock, socket.socket) else None


class _Watch:
    """One body being read under a deadline; :class:`_Watchdog` shuts its socket down when it overruns."""

    __slots__ = ("done", "expired", "raw")

    def __init__(self, raw: urllib3.BaseHTTPResponse) -> None:
        self.raw: urllib3.BaseHTTPResponse | None = raw
        self.done = False
        self.expired = False

    def finish(self) -> None:
        """The body is read (or failed): nothing to watch, and the response is not kept alive."""
        self.done = True
        self.raw = None

    def expire(self) -> None:
        raw = self.raw
        if self.done or raw is None:
            return
        self.expired = True
        sock = _socket_of(raw)
        if sock is not None:
            with contextlib.suppress(OSError):  # wakes the reading thread: its blocked recv returns
                sock.shutdown(socket.SHUT_RDWR)


class _Watchdog:
    """One daemon thread for the process that ends body reads overrunning their deadline.

    A blocked read cannot be given an overall deadline by socket timeouts (each one bounds a
    single wait for data), and a timer thread per response would cost more than the request on a
    tile run; one heap of deadlines and one thread cost a lock and a heap push per response.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._heap: list[tuple[float, int, _Watch]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self._wake_at = float("inf")
        """When the thread wakes up next by itself (inf: only when notified)."""

    def watch(self, deadline: float, raw: urllib3.BaseHTTPResponse) -> _Watch:
        entry = _Watch(raw)
        with self._condition:
            # Finished reads leave their entries behind; deadlines mostly come in order, so they
            # gather at the head. Dropping them here keeps the heap as small as the reads under way.
            heap = self._heap
            while heap and heap[0][2].done:
                heapq.heappop(heap)
            if len(heap) > _HEAP_REBUILD:
                heap[:] = [item for item in heap if not item[2].done]
                heapq.heapify(heap)
            heapq.heappush(heap, (deadline, next(self._order), entry))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="pc-response-deadlines", daemon=True)
                self._thread.start()
            elif deadline < self._wake_at:  # only an earlier deadline is worth waking the thread for
                self._condition.notify()
        return entry

    def _run(self) -> None:
        with self._condition:
            while True:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._wake_at = float("inf")
                    self._condition.wait()
                    continue
                self._wake_at = self._heap[0][0]
                wait = self._wake_at - time.monotonic()
                if wait > 0:
                    self._condition.wait(wait)
                    continue
                _, _, entry = heapq.heappop(self._heap)
                entry.expire()


_HEAP_REBUILD = 4096
_WATCHDOG = _Watchdog()


class _StreamDownload:
    """Iterates over a response body in ``block_size`` chunks, mapping urllib3 errors.

    The signature is azure-core's stream download generator's, which HttpResponseImpl calls.
    """

    def __init__(self, pipeline: Any, response: Urllib3TransportResponse, *, decompress: bool = True) -> None:
        self.pipeline = pipeline
        self.request = response.request
        self.response = response
        self._raw: urllib3.BaseHTTPResponse = response.internal_response
        self._chunks = self._raw.stream(response.block_size, decode_content=decompress)
        self.content_length = int(response.headers.get("Content-Length", 0))
        # Only a response_timeout given for this very request bounds a stream (see the module)
        deadline = response.stream_deadline
        self._watch = None if deadline is None else _WATCHDOG.watch(deadline, self._raw)
        response.stream_watch = self._watch

    def __len__(self) -> int:
        return self.content_length

    def __iter__(self) -> _StreamDownload:
        return self

    def _overran(self) -> bool:
        return self._watch is not None and self._watch.expired

    def _end(self) -> None:
        self._raw.close()
        if self._watch is not None:
            self._watch.finish()

    def __next__(self) -> bytes:
        try:
            while True:
                chunk = next(self._chunks)
                if chunk:
                    return chunk
        except StopIteration:
            self._end()
            if self._overran():  # the cut connection may also look like a clean end
                raise overran_error(self.request, self.response.response_timeout or 0) from None
            raise
        except Urllib3HTTPError as error:
            self._end()
            if self._overran():
                raise overran_error(self.request, self.response.response_timeout or 0) from None
            raise _body_error(error) from error
        except Exception:
            self._end()
            raise


class Urllib3TransportResponse(HttpResponseImpl):
    """An ``azure.core.rest.HttpResponse`` over a urllib3 response."""

    def __init__(self, *, request: HttpRequest, internal_response: urllib3.BaseHTTPResponse, block_size: int):
        headers = case_insensitive_dict(internal_response.headers.itermerged())
        super().__init__(
            request=request,
            internal_response=internal_response,
            status_code=internal_response.status,
            reason=internal_response.reason,
            headers=headers,
            content_type=headers.get("Content-Type"),
            block_size=block_size,
            stream_download_generator=_StreamDownload,
        )

    max_response_size: float | None = DEFAULT_MAX_RESPONSE_SIZE
    deadline: float | None = None
    """``time.monotonic()`` by which a body read into memory must be complete; None: no deadline."""
    response_timeout: float | None = DEFAULT_RESPONSE_TIMEOUT
    stream_deadline: float | None = None
    """The deadline of a streamed body: only when ``response_timeout`` was given for the request."""
    stream_watch: _Watch | None = None

    def close(self) -> None:
        # A stream closed before its end must not be watched any longer: its connection may go
        # back to the pool and serve another request.
        if self.stream_watch is not None:
            self.stream_watch.finish()
        super().close()

    def read(self) -> bytes:
        if self._content is None:
            self._stream_download_check()
            raw: urllib3.BaseHTTPResponse = self._internal_response
            try:
                self._content = self._read_bounded(raw)
            except Urllib3HTTPError as error:
                raw.close()
                raise _body_error(error) from error
            except BaseException:
                raw.close()
                raise
        self._set_read_checks()
        return self._content

    def _read_bounded(self, raw: urllib3.BaseHTTPResponse) -> bytes:
        """The decoded body, refused past ``max_response_size`` bytes or after the deadline."""
        limit = self.max_response_size
        watch = None
        if self.deadline is not None:
            if time.monotonic() >= self.deadline:
                raise overran_error(self.request, self.response_timeout or 0)
            watch = _WATCHDOG.watch(self.deadline, raw)
        chunks: list[bytes] = []
        size = 0
        encoding = self.headers.get("Content-Encoding")
        length = self.headers.get("Content-Length")
        try:
            if not encoding and length is not None and length.isdigit():
                # Not encoded, of a known size: checked before reading, then read in one go (the
                # usual JSON answer; urllib3 enforces the Content-Length)
                if limit is not None and int(length) > limit:
                    raise too_large_error(self.request, limit, None)
                chunks.append(raw.read(decode_content=True))
            else:
                # Encoded or of unknown size: counted as it is decoded, a raw block at a time (a
                # 64 KiB block of gzip decodes to 64 MiB at most)
                for chunk in raw.stream(self._block_size, decode_content=True):
                    size += len(chunk)
                    if limit is not None and size > limit:
                        raise too_large_error(self.request, limit, encoding)
                    chunks.append(chunk)
        except Urllib3HTTPError:
            if watch is not None and watch.expired:
                raise overran_error(self.request, self.response_timeout or 0) from None
            raise
        finally:
            if watch is not None:
                watch.finish()
        if watch is not None and watch.expired:  # the cut connection may also look like a clean end
            raise overran_error(self.request, self.response_timeout or 0)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)


# The variables that decide a request's proxy and CA bundle (the proxy ones in lower and upper case:
# the standard library reads both).
_ENVIRONMENT_VARIABLES = (
    *(
        name
        for base in ("https_proxy", "http_proxy", "all_proxy", "no_proxy")
        for name in (base, base.upper())
    ),
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
)


def _default_ca_bundle() -> str | None:
    """The CA bundle requests verifies with by default: certifi's, when it is installed."""
    try:
        import certifi
    except ImportError:  # the system's default trust store, as urllib3 loads it
        return None
    return str(certifi.where())


def _select_proxy(proxies: Mapping[str, str], scheme: str, host: str) -> str | None:
    """The proxy for a URL from a requests-style ``proxies`` mapping, most specific key first."""
    for key in (f"{scheme}://{host}", scheme, f"all://{host}", "all"):
        proxy = proxies.get(key)
        if proxy:
            return proxy
    return None


def _environment_proxy(scheme: str, host: str) -> str | None:
    proxies = urllib.request.getproxies_environment()
    if not proxies or urllib.request.proxy_bypass_environment(host, proxies):  # type: ignore[attr-defined]
        return None
    return _select_proxy(proxies, scheme, host)


class Urllib3Transport(HttpTransport):
    """azure-core HttpTransport over a urllib3 connection pool per host (thread-safe).

    :keyword int connection_timeout: Seconds to connect (default 300).
    :keyword int read_timeout: Seconds to wait for data on an open connection (default 300).
    :keyword connection_verify: True (default), False, or the path of a CA bundle file or directory.
    :keyword connection_cert: A client certificate: a path, or a (certificate, key) pair of paths.
    :keyword int connection_data_block_size: Bytes per chunk when streaming a body (default 64 KiB).
    :keyword int connection_pool_maxsize: Connections kept per host (default 10).
    :keyword bool use_env_settings: Read proxies and the CA bundle from the environment (default True).
    :keyword int max_response_size: Bytes a body read into memory may have once decoded (default
        256 MiB, :data:`DEFAULT_MAX_RESPONSE_SIZE`); larger raises DecodeError. None: no limit.
    :keyword float response_timeout: Seconds from sending to the last byte of a body read into memory
        (default 300, :data:`DEFAULT_RESPONSE_TIMEOUT`); later raises ServiceResponseTimeoutError.
        None: no limit. Streamed downloads are bounded by ``read_timeout`` per chunk only, unless
        ``response_timeout`` is passed for that request.

    ``send`` also takes ``proxies`` (a requests-style mapping, as azure-core's ProxyPolicy passes it),
    ``stream``, ``max_response_size``, ``response_timeout`` and the connection keywords above, per
    request.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("connection_data_block_size", DEFAULT_BLOCK_SIZE)
        self.connection_config: ConnectionConfiguration = kwargs.pop(
            "connection_config", None
        ) or ConnectionConfiguration(**kwargs)
        self._pool_maxsize = int(kwargs.get("connection_pool_maxsize", DEFAULT_POOL_MAXSIZE))
        self._use_env_settings = bool(kwargs.get("use_env_settings", True))
        self._max_response_size = positive_limit(
            "max_response_size", kwargs.get("max_response_size", DEFAULT_MAX_RESPONSE_SIZE)
        )
        self._response_timeout = positive_limit(
            "response_timeout", kwargs.get("response_timeout", DEFAULT_RESPONSE_TIMEOUT)
        )
        self._lock = threading.Lock()
        # One PoolManager per (proxy, verify, cert); each keeps one pool of connections per host.
        self._managers: dict[tuple[str | None, Verify, Cert], urllib3.PoolManager] = {}
        # The environment variables as last seen, the CA bundle they name and each host's proxy.
        self._environment: tuple[str | None, ...] = ()
        self._environment_ca_bundle: str | None = None
        self._environment_proxies: dict[tuple[str, str], str | None] = {}
        self._closed = False

    def __enter__(self) -> Urllib3Transport:
        self.open()
        return self

    def __exit__(self, *args: Any) -> None:
        self.close()

    def open(self) -> None:
        if self._closed:
            raise ValueError(
                "HTTP transport has already been closed. You may check if you're calling a function "
                "outside of the `with` of your client creation, or if you called `close()` on your "
                "client already."
            )

    def close(self) -> None:
        with self._lock:
            self._closed = True
            managers, self._managers = self._managers, {}
        for manager in managers.values():
            manager.clear()

    def ensure_pool_size(self, maxsize: int) -> None:
        """Keep at least ``maxsize`` connections per host (for ``maxsize`` concurrent requests)."""
        with self._lock:
            if maxsize <= self._pool_maxsize:
                return
            self._pool_maxsize = maxsize
            managers, self._managers = self._managers, {}
        for manager in managers.values():  # new pools get the new size; idle connections go
            manager.clear()

    def send(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        """Send ``request`` and return the response (its body read unless ``stream=True``)."""
        self.open()
        if not isinstance(request, HttpRequest):
            raise TypeError(
                "Urllib3Transport sends azure.core.rest.HttpRequest objects; got "
                f"{type(request).__module__}.{type(request).__qualname__}"
            )
        unexpected = kwargs.keys() - _TRANSPORT_KEYWORDS
        if unexpected:
            raise TypeError(f"send() got unexpected keyword arguments: {', '.join(sorted(unexpected))}")
        config = self.connection_config
        stream = bool(kwargs.get("stream", False))
        max_size = positive_limit(
            "max_response_size", kwargs.get("max_response_size", self._max_response_size)
        )
        response_timeout = positive_limit(
            "response_timeout", kwargs.get("response_timeout", self._response_timeout)
        )
        started = time.monotonic()
        timeout = self._timeout(kwargs)
        verify: Verify = kwargs.get("connection_verify", config.verify)
        cert: Cert = kwargs.get("connection_cert", config.cert)
        if isinstance(cert, list):
            cert = (cert[0], cert[1])
        if self._use_env_settings:
            self._follow_environment()
            if verify is True and self._environment_ca_bundle:
                verify = self._environment_ca_bundle
        proxy = self._proxy_for(request.url, kwargs.get("proxies"))
        manager = self._manager(proxy, verify, cert)
        body, headers = self._body_and_headers(request)
        try:
            raw = manager.urlopen(
                request.method,
                request.url,
                body=body,
                headers=headers,
                redirect=False,  # the pipeline's RedirectPolicy decides, and strips the token
                retries=False,  # the pipeline's RetryPolicy retries
                timeout=timeout,
                preload_content=False,
                decode_content=False,
                enforce_content_length=True,
            )
        except Urllib3HTTPError as error:
            raise _send_error(error) from error
        except OSError as error:
            raise ServiceRequestError(error, error=error) from error
        response = Urllib3TransportResponse(
            request=request, internal_response=raw, block_size=config.data_block_size
        )
        response.max_response_size = max_size
        response.response_timeout = response_timeout
        response.deadline = None if response_timeout is None else started + response_timeout
        if stream and kwargs.get("response_timeout") is not None:
            response.stream_deadline = response.deadline
        if not stream:
            try:
                response.read()
            finally:
                response.close()
        return response

    # ------------------------------------------------------------------------------------------
    def _timeout(self, kwargs: Mapping[str, Any]) -> urllib3.Timeout:
        connect = kwargs.get("connection_timeout", self.connection_config.timeout)
        if isinstance(connect, tuple):  # azure-core's deprecated (connect, read) form
            if "read_timeout" in kwargs:
                raise ValueError("Cannot set tuple connection_timeout and read_timeout together")
            connect, read = connect
        else:
            read = kwargs.get("read_timeout", self.connection_config.read_timeout)
        return urllib3.Timeout(connect=connect, read=read)

    def _follow_environment(self) -> None:
        environment = tuple(map(os.environ.get, _ENVIRONMENT_VARIABLES))
        if environment != self._environment:
            self._environment_proxies = {}
            self._environment_ca_bundle = environment[-2] or environment[-1]  # REQUESTS_, then CURL_
            self._environment = environment

    def _proxy_for(self, url: str, proxies: Mapping[str, str] | None) -> str | None:
        parts = urlsplit(url)
        scheme, host = parts.scheme.lower(), (parts.hostname or "")
        if proxies:
            return _select_proxy(proxies, scheme, host)
        if not self._use_env_settings:
            return None
        key = (scheme, host)
        try:
            return self._environment_proxies[key]
        except KeyError:
            proxy = self._environment_proxies[key] = _environment_proxy(scheme, host)
            return proxy

    def _manager(self, proxy: str | None, verify: Verify, cert: Cert) -> urllib3.PoolManager:
        key = (proxy, verify, cert)
        manager = self._managers.get(key)
        if manager is None:
            with self._lock:
                manager = self._managers.get(key)
                if manager is None:
                    manager = self._managers[key] = self._new_manager(proxy, verify, cert)
        return manager

    def _new_manager(self, proxy: str | None, verify: Verify, cert: Cert) -> urllib3.PoolManager:
        pool: dict[str, Any] = {"maxsize": self._pool_maxsize, "block": False}
        if verify is False:
            pool["cert_reqs"] = "CERT_NONE"
        else:
            bundle = verify if isinstance(verify, str) else _default_ca_bundle()
            pool["cert_reqs"] = "CERT_REQUIRED"
            if bundle is not None:
                pool["ca_cert_dir" if os.path.isdir(bundle) else "ca_certs"] = bundle
        if isinstance(cert, tuple):
            pool["cert_file"], pool["key_file"] = cert
        elif cert:
            pool["cert_file"] = cert
        if proxy is None:
            return urllib3.PoolManager(**pool)
        if proxy.lower().startswith("socks"):
            try:
                from urllib3.contrib.socks import SOCKSProxyManager
            except ImportError as error:
                raise ServiceRequestError(
                    f"the SOCKS proxy {self._redact_proxy(proxy)} needs PySocks: pip install pysocks",
                    error=error,
                ) from error
            return SOCKSProxyManager(proxy, **pool)
        parts = urlsplit(proxy)
        proxy_headers = None
        if parts.username is not None:
            credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            proxy_headers = urllib3.make_headers(proxy_basic_auth=credentials)
        return urllib3.ProxyManager(proxy, proxy_headers=proxy_headers, **pool)

    @staticmethod
    def _redact_proxy(proxy: str) -> str:
        parts = urlsplit(proxy)
        return f"{parts.scheme}://{parts.hostname}:{parts.port}" if parts.hostname else "(unparsable)"

    @staticmethod
    def _body_and_headers(request: HttpRequest) -> tuple[Any, MutableMapping[str, str]]:
        headers = request.headers
        if "Accept-Encoding" not in headers:  # as requests: compressed JSON is a tenth of the bytes
            headers["Accept-Encoding"] = ACCEPT_ENCODING
        files = request.files
        data: Any = request.data
        if files or isinstance(data, Mapping):
            # Multipart and form bodies are rare (asset uploads): let requests encode them, so the
            # bytes are the same as with azure-core's default transport.
            import requests

            prepared = requests.Request(
                "POST",
                "http://multipart.invalid/",
                files=files,
                data=data if isinstance(data, Mapping) else None,
            ).prepare()
            for name in ("Content-Type", "Content-Length"):
                value = prepared.headers.get(name)
                if value is not None:
                    headers[name] = str(value)
            return prepared.body, headers
        if isinstance(data, str):
            data = data.encode("utf-8")
            headers["Content-Length"] = str(len(data))  # azure-core counted characters
        elif hasattr(data, "read") and "Content-Length" not in headers and "Transfer-Encoding" not in headers:
            # As requests does: a file of known size goes with a Content-Length, not chunked (some
            # servers, e.g. storage, refuse chunked uploads).
            remaining = _remaining_length(data)
            if remaining is not None:
                headers["Content-Length"] = str(remaining)
        return data, headers


def _remaining_length(file: Any) -> int | None:
    """Bytes left to read in a file-like object, or None when that cannot be known."""
    try:
        position = file.tell()
        if hasattr(file, "fileno"):
            return max(os.fstat(file.fileno()).st_size - position, 0)
        end = file.seek(0, os.SEEK_END)
        file.seek(position)
        return max(end - position, 0)
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both of the last two
        return None
