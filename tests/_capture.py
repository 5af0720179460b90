"""Capturing azure-core transports and fake credentials for offline client tests.

``CapturingTransport`` (sync) and ``AsyncCapturingTransport`` (async) plug into the client through the
ordinary ``transport=`` keyword. They record every request that reaches the wire (method, URL,
headers, body bytes, multipart files) and answer it with a canned response chosen by a *responder*:

* ``CannedResponse``: one fixed answer (``CannedResponse.json(...)`` for JSON, plain bytes otherwise);
* ``OperationResponder``: an answer suited to a kind of operation -- a JSON body, a byte stream, a
  single page ``{"value": [...]}`` (optionally followed by more pages through ``nextLink``) or a
  long-running operation (202 with ``operation-location`` to an operation that has already
  ``Succeeded``, so a poller built with ``polling_interval=0`` finishes at once);
* any callable ``(CapturedRequest) -> CannedResponse``.

``FakeTokenCredential`` / ``FakeAsyncTokenCredential`` hand out a fixed bearer token and count the
scopes they were asked for.

Also shared by the contract tests: ``data_path`` (the wire contract and recordings in tests/data/),
``recordings_dir`` (the recordings to replay generically) and ``normalize_type`` / ``type_node`` (one
spelling for equivalent type annotations).
"""

from __future__ import annotations

import enum
import inspect
import itertools
import json
import os
import re
import time
import types
import typing
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union
from urllib.parse import unquote, urlsplit

from azure.core.credentials import AccessToken, AccessTokenInfo, TokenRequestOptions
from azure.core.pipeline.transport import AsyncHttpTransport, HttpTransport
from azure.core.rest import HttpRequest

# azure-core's own transports build their responses on these implementations of the abstract
# ``azure.core.rest`` response classes; reusing them keeps the canned responses indistinguishable
# from real ones (streaming, read(), json(), ContentDecodePolicy...).
from azure.core.rest._http_response_impl import HttpResponseImpl
from azure.core.rest._http_response_impl_async import AsyncHttpResponseImpl
from azure.core.utils import case_insensitive_dict

__all__ = [
    "FAKE_TOKEN",
    "AsyncCapturingTransport",
    "CannedResponse",
    "CapturedRequest",
    "CapturingTransport",
    "FakeAsyncTokenCredential",
    "FakeTokenCredential",
    "OperationResponder",
    "data_path",
    "format_type",
    "normalize_type",
    "recordings_dir",
    "type_node",
]

FAKE_TOKEN = "fake-geocatalog-token"

_REASONS = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 404: "Not Found"}


# --------------------------------------------------------------------------------------------------
# Requests
# --------------------------------------------------------------------------------------------------


@dataclass
class CapturedRequest:
    """One request as it reached the transport."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None
    files: Any = None

    @property
    def path(self) -> str:
        """The raw (still percent-encoded) path of the URL."""
        return urlsplit(self.url).path

    @property
    def raw_query(self) -> list[tuple[str, str]]:
        """Query parameters in order, names and values still percent-encoded."""
        query = urlsplit(self.url).query
        if not query:
            return []
        return [(name, value) for name, _, value in (part.partition("=") for part in query.split("&"))]

    @property
    def query(self) -> list[tuple[str, str]]:
        """Query parameters in order, names and values percent-decoded (``+`` is kept as is)."""
        return [(unquote(name), unquote(value)) for name, value in self.raw_query]

    def header(self, name: str) -> str | None:
        """A header's value, looked up case-insensitively; None when the request did not carry it."""
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return None

    def json(self) -> Any:
        """The body parsed as JSON."""
        if self.body is None:
            raise ValueError(f"{self.method} {self.url} has no body")
        return json.loads(self.body)


def _body_bytes(request: HttpRequest) -> tuple[bytes | None, Any]:
    files = getattr(request, "_files", None)
    data = getattr(request, "_data", None)
    if data is None:
        return None, files
    if isinstance(data, bytes):
        return data, files
    if isinstance(data, str):
        return data.encode("utf-8"), files
    if hasattr(data, "read"):
        chunk = data.read()
        return (chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)), files
    if isinstance(data, dict):  # form fields
        return json.dumps(data).encode("utf-8"), files
    return bytes(data), files


def _capture(request: HttpRequest) -> CapturedRequest:
    body, files = _body_bytes(request)
    return CapturedRequest(
        method=request.method, url=request.url, headers=dict(request.headers), body=body, files=files
    )


# --------------------------------------------------------------------------------------------------
# Responses
# --------------------------------------------------------------------------------------------------


@dataclass
class CannedResponse:
    """A response to hand back: status, headers and body, streamed in ``chunk_size`` pieces."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    chunk_size: int = 4096

    @classmethod
    def json(cls, payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> CannedResponse:
        all_headers = {"Content-Type": "application/json"}
        all_headers.update(headers or {})
        return cls(status=status, headers=all_headers, body=json.dumps(payload).encode("utf-8"))

    @classmethod
    def data(
        cls, body: bytes, content_type: str = "application/octet-stream", status: int = 200
    ) -> CannedResponse:
        return cls(status=status, headers={"Content-Type": content_type}, body=body)

    def _chunks(self) -> Iterator[bytes]:
        for start in range(0, len(self.body), self.chunk_size):
            yield self.body[start : start + self.chunk_size]


Responder = Callable[[CapturedRequest], CannedResponse]
ResponderLike = Union[Responder, CannedResponse, Sequence[CannedResponse], None]


class _Closable:
    """Stands in for the library response object that real transports wrap."""

    def close(self) -> None:
        pass


class _AsyncClosable:
    async def close(self) -> None:
        pass


def _response_kwargs(request: HttpRequest, canned: CannedResponse) -> dict[str, Any]:
    headers = case_insensitive_dict(canned.headers)
    return {
        "request": request,
        "status_code": canned.status,
        "reason": _REASONS.get(canned.status, "Status"),
        "content_type": headers.get("Content-Type"),
        "headers": headers,
        "block_size": canned.chunk_size,
    }


def _sync_response(request: HttpRequest, canned: CannedResponse) -> HttpResponseImpl:
    def stream(**_: Any) -> Iterator[bytes]:
        return canned._chunks()

    return HttpResponseImpl(
        internal_response=_Closable(), stream_download_generator=stream, **_response_kwargs(request, canned)
    )


def _async_response(request: HttpRequest, canned: CannedResponse) -> AsyncHttpResponseImpl:
    async def stream(**_: Any) -> AsyncIterator[bytes]:
        for chunk in canned._chunks():
            yield chunk

    return AsyncHttpResponseImpl(
        internal_response=_AsyncClosable(),
        stream_download_generator=stream,
        **_response_kwargs(request, canned),
    )


# --------------------------------------------------------------------------------------------------
# Responders
# --------------------------------------------------------------------------------------------------


class OperationResponder:
    """Answers suited to one kind of operation.

    ``headers`` are added to every answer.

    :param kind: ``"json"`` (``payload`` as JSON, ``status``), ``"none"`` (empty body), ``"bytes"``
        (``payload`` as a byte stream), ``"paged"`` (``payload`` is the list of pages, each a list of
        items; every page but the last links to the next through ``nextLink``) or ``"lro"`` (202 with
        ``operation-location``; every later request -- the polls and any final GET -- gets an
        operation whose status is ``Succeeded``).
    """

    _ids = itertools.count(1)

    def __init__(
        self,
        kind: str,
        payload: Any = None,
        *,
        status: int = 200,
        content_type: str = "",
        headers: dict[str, str] | None = None,
    ) -> None:
        if kind not in ("json", "none", "bytes", "paged", "lro"):
            raise ValueError(f"unknown response kind {kind!r}")
        self.kind = kind
        self.payload = payload
        self.status = status
        self.content_type = content_type
        self.headers = dict(headers or {})
        self._calls = 0
        self.operation_id = f"capture-lro-{next(self._ids)}"

    def __call__(self, request: CapturedRequest) -> CannedResponse:
        canned = self._answer(request)
        canned.headers.update(self.headers)
        return canned

    def _answer(self, request: CapturedRequest) -> CannedResponse:
        call = self._calls
        self._calls += 1
        if self.kind == "json":
            return CannedResponse.json(self.payload, status=self.status)
        if self.kind == "none":
            return CannedResponse(status=self.status)
        if self.kind == "bytes":
            content_type = self.content_type or "application/octet-stream"
            return CannedResponse.data(self.payload, content_type, self.status)
        if self.kind == "paged":
            pages = self.payload or [[]]
            index = min(call, len(pages) - 1)
            page: dict[str, Any] = {"value": pages[index]}
            if index + 1 < len(pages):
                parts = urlsplit(request.url)
                page["nextLink"] = f"{parts.scheme}://{parts.netloc}{parts.path}?token=page{index + 2}"
            return CannedResponse.json(page)
        # lro
        parts = urlsplit(request.url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if call == 0:
            location = f"{origin}/inma/operations/{self.operation_id}"
            return CannedResponse.json(
                {"id": self.operation_id, "status": "Running"},
                status=self.status if self.status != 200 else 202,
                headers={"operation-location": location},
            )
        return CannedResponse.json({"id": self.operation_id, "status": "Succeeded"})


def _as_responder(responder: ResponderLike) -> Responder:
    if responder is None:
        return lambda _request: CannedResponse.json({})
    if isinstance(responder, CannedResponse):
        fixed = responder
        return lambda _request: fixed
    if callable(responder):
        return responder
    queue = list(responder)

    def next_in_queue(request: CapturedRequest) -> CannedResponse:
        if not queue:
            raise AssertionError(f"no canned response left for {request.method} {request.url}")
        return queue.pop(0)

    return next_in_queue


# --------------------------------------------------------------------------------------------------
# Transports
# --------------------------------------------------------------------------------------------------


class _CaptureBase:
    def __init__(self, responder: ResponderLike = None) -> None:
        self.requests: list[CapturedRequest] = []
        self._responder = _as_responder(responder)
        self.closed = False

    def respond_with(self, responder: ResponderLike) -> None:
        """Answer the following requests with ``responder`` (and forget what was captured so far)."""
        self._responder = _as_responder(responder)
        self.requests.clear()

    @property
    def last(self) -> CapturedRequest:
        if not self.requests:
            raise AssertionError("no request was sent")
        return self.requests[-1]

    def _answer(self, request: HttpRequest) -> CannedResponse:
        captured = _capture(request)
        self.requests.append(captured)
        return self._responder(captured)


class CapturingTransport(_CaptureBase, HttpTransport):
    """A sync transport that records requests and answers with canned responses."""

    def send(self, request: HttpRequest, **kwargs: Any) -> HttpResponseImpl:
        response = _sync_response(request, self._answer(request))
        if not kwargs.get("stream", False):
            response.read()
        return response

    def open(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True

    def __enter__(self) -> CapturingTransport:
        self.open()
        return self

    def __exit__(self, *args: Any) -> None:
        self.close()


class AsyncCapturingTransport(_CaptureBase, AsyncHttpTransport):
    """An async transport that records requests and answers with canned responses."""

    async def send(self, request: HttpRequest, **kwargs: Any) -> AsyncHttpResponseImpl:
        response = _async_response(request, self._answer(request))
        if not kwargs.get("stream", False):
            await response.read()
        return response

    async def open(self) -> None:
        self.closed = False

    async def close(self) -> None:
        self.closed = True

    async def __aenter__(self) -> AsyncCapturingTransport:
        await self.open()
        return self

    async def __aexit__(self, *args: Any) -> None:
        await self.close()


# --------------------------------------------------------------------------------------------------
# Credentials
# --------------------------------------------------------------------------------------------------


class FakeTokenCredential:
    """A ``TokenCredential`` (and ``SupportsTokenInfo``) that always returns ``token``."""

    def __init__(self, token: str = FAKE_TOKEN) -> None:
        self.token = token
        self.requested_scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.requested_scopes.append(scopes)
        return AccessToken(self.token, int(time.time()) + 3600)

    def get_token_info(self, *scopes: str, options: TokenRequestOptions | None = None) -> AccessTokenInfo:
        self.requested_scopes.append(scopes)
        return AccessTokenInfo(self.token, int(time.time()) + 3600)

    def close(self) -> None:
        pass

    def __enter__(self) -> FakeTokenCredential:
        return self

    def __exit__(self, *args: Any) -> None:
        pass


class FakeAsyncTokenCredential:
    """An ``AsyncTokenCredential`` (and ``AsyncSupportsTokenInfo``) that always returns ``token``."""

    def __init__(self, token: str = FAKE_TOKEN) -> None:
        self.token = token
        self.requested_scopes: list[tuple[str, ...]] = []

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.requested_scopes.append(scopes)
        return AccessToken(self.token, int(time.time()) + 3600)

    async def get_token_info(
        self, *scopes: str, options: TokenRequestOptions | None = None
    ) -> AccessTokenInfo:
        self.requested_scopes.append(scopes)
        return AccessTokenInfo(self.token, int(time.time()) + 3600)

    async def close(self) -> None:
        pass

    async def __aenter__(self) -> FakeAsyncTokenCredential:
        return self

    async def __aexit__(self, *args: Any) -> None:
        pass


# --------------------------------------------------------------------------------------------------
# Shared test inputs
# --------------------------------------------------------------------------------------------------


TEST_DATA = Path(__file__).resolve().parent / "data"
"""Facts about the service the tests read: ``contract.json`` (the wire contract) and ``recordings/``
(recorded live traffic, Azure SDK test-proxy JSON). Part of the repository, so every clone can run the
tests."""


def data_path(*parts: str) -> Path:
    """A file or folder under tests/data: ``data_path("contract.json")``, ``data_path("recordings", n)``."""
    path = TEST_DATA.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: the tests read the service's contract and recordings")
    return path


def recordings_dir() -> Path:
    """The recordings the generic replay tests go through: ``GEOCATALOG_RECORDINGS`` when set (to try
    recordings the repository does not hold), else tests/data/recordings.

    Tests that need one particular recording read it with :func:`data_path` instead: their expectations
    are about that file.
    """
    override = os.environ.get("GEOCATALOG_RECORDINGS")
    path = Path(override) if override else TEST_DATA / "recordings"
    if not path.is_dir():
        raise FileNotFoundError(f"{path} is not a folder of recordings (set by GEOCATALOG_RECORDINGS?)")
    return path


# --------------------------------------------------------------------------------------------------
# Type spellings
# --------------------------------------------------------------------------------------------------

TypeNode = tuple[str, tuple[Any, ...]]
# ``X | Y`` builds a types.UnionType from Python 3.10 on; before, only typing.Union exists.
_UNION_TYPE: Any = getattr(types, "UnionType", typing.Union)
_TOKEN = re.compile(r"\s*([A-Za-z_][\w.]*|\[|\]|,|\||\.\.\.)")
_ALIASES = {"List": "list", "Dict": "dict", "Tuple": "tuple", "Set": "set", "NoneType": "None"}


def _annotation_text(annotation: Any) -> str:
    """A type annotation (object or string) written out as text, classes by their bare names."""
    if annotation is inspect.Parameter.empty:
        return "<unannotated>"
    if annotation is None or annotation is type(None):
        return "None"
    if isinstance(annotation, enum.Enum):  # a Literal's member; before str: these enums are str too
        return f"{type(annotation).__name__}.{annotation.name}"
    if isinstance(annotation, str):
        return annotation.replace("'", "").replace('"', "")
    if isinstance(annotation, typing.ForwardRef):
        return annotation.__forward_arg__
    origin = typing.get_origin(annotation)
    if origin is None:
        return getattr(annotation, "__name__", None) or getattr(annotation, "_name", None) or repr(annotation)
    if origin is typing.Union or origin is _UNION_TYPE:
        name = "Union"
    else:
        name = getattr(origin, "__name__", None) or getattr(origin, "_name", None) or repr(origin)
    return f"{name}[{', '.join(_annotation_text(arg) for arg in typing.get_args(annotation))}]"


def _parse(text: str) -> TypeNode:
    tokens = _TOKEN.findall(text)
    position = 0

    def node() -> TypeNode:
        # PEP 604 unions (X | Y) as written in annotations under `from __future__ import annotations`.
        nonlocal position
        members = [primary()]
        while position < len(tokens) and tokens[position] == "|":
            position += 1
            members.append(primary())
        return members[0] if len(members) == 1 else ("Union", tuple(members))

    def primary() -> TypeNode:
        nonlocal position
        name = tokens[position]
        position += 1
        args: list[TypeNode] = []
        if position < len(tokens) and tokens[position] == "[":
            position += 1
            while tokens[position] != "]":
                args.append(node())
                if tokens[position] == ",":
                    position += 1
            position += 1
        return name, tuple(args)

    parsed = node()
    if position != len(tokens):
        raise ValueError(f"cannot parse type {text!r}")
    return parsed


def _bare_name(name: str) -> str:
    """Drop module qualifiers (``typing.``, ``_models.``...) but keep ``Enum.MEMBER``."""
    parts = name.split(".")
    while len(parts) > 1 and not parts[0][:1].isupper():
        parts.pop(0)
    bare = ".".join(parts)
    return _ALIASES.get(bare, bare)


def _canonical(node: TypeNode) -> TypeNode:
    name, args = _bare_name(node[0]), tuple(_canonical(arg) for arg in node[1])
    if name == "Optional":
        name, args = "Union", (args[0], ("None", ()))
    if name == "MutableMapping" and args == (("str", ()), ("Any", ())):
        return "JSON", ()
    if name == "Union":
        members: list[TypeNode] = []
        for arg in args:
            for member in arg[1] if arg[0] == "Union" else (arg,):
                if member not in members:
                    members.append(member)
        if len(members) == 1:
            return members[0]
        return "Union", tuple(sorted(members, key=format_type))
    return name, args


def format_type(node: TypeNode) -> str:
    """The text of a canonical type node."""
    name, args = node
    return name + (f"[{', '.join(format_type(arg) for arg in args)}]" if args else "")


def type_node(annotation: Any) -> TypeNode:
    """The canonical tree of a type: ``List`` -> ``list``, ``Optional[X]`` -> ``Union[X, None]``,
    ``MutableMapping[str, Any]`` -> ``JSON``, module qualifiers dropped, union members sorted."""
    return _canonical(_parse(_annotation_text(annotation)))


def normalize_type(annotation: Any, *, drop_none: bool = False) -> str:
    """One spelling for equivalent type annotations; ``drop_none`` leaves ``None`` out of a union."""
    node = type_node(annotation)
    if drop_none and node[0] == "Union":
        node = _canonical(("Union", tuple(member for member in node[1] if member != ("None", ()))))
    return format_type(node)
