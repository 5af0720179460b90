"""Replay of recorded GeoCatalog traffic through the public client (pytest-recording + vcrpy).

Every contract test is tied to one cassette of ``tests/cassettes/`` (written by
``tests/recordings_to_cassettes.py`` from the recordings in ``tests/data/recordings``) with
:func:`cassette`, and receives a :class:`Replay`. The fixture runs each test twice, with the sync and
the async client, so one test body checks both: :func:`settle`, :func:`read_stream` and :func:`collect`
accept either flavour's return values.

Replay is strict (``record_mode="none"``, no playback repeats): a request the cassette does not hold
fails the test, and :meth:`Replay.assert_all_played` fails it when a recorded request was not sent.
Requests match on method, scheme, host, path, query (as a multiset; comma-separated values keep their
separators apart from percent-encoded commas) and, for JSON bodies, on the parsed JSON. Multipart bodies
carry a random boundary and are matched on method, path and query only; tests check their parts with
:func:`multipart_parts`.

Shared test helpers (``_capture``, ``recordings_to_cassettes``) live in tests/, which pytest puts on
``sys.path`` as the root of this package; they are imported flat, like the other test modules do.
"""

from __future__ import annotations

import contextlib
import datetime
import importlib
import importlib.metadata
import importlib.util
import inspect
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

import pytest
from _capture import FakeAsyncTokenCredential, FakeTokenCredential
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.core.pipeline import PipelineRequest
from azure.core.polling.async_base_polling import AsyncLROBasePolling
from azure.core.polling.base_polling import LROBasePolling
from azure.planetarycomputer import PlanetaryComputerProClient
from azure.planetarycomputer.aio import PlanetaryComputerProClient as AsyncPlanetaryComputerProClient
from recordings_to_cassettes import scrub_text

# vcrpy ships no type information: its cassettes, requests and VCR objects are typed as Any here.
Cassette = Any
Request = Any
VCR = Any

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"
UTC = datetime.timezone.utc
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

__all__ = [
    "CASSETTES",
    "PNG_MAGIC",
    "REPLAY_SUMMARY",
    "UTC",
    "VCRPY_MISSING",
    "AsyncRecordedPolls",
    "RecordedPolls",
    "Replay",
    "assert_not_found",
    "cassette",
    "cassette_marks",
    "collect",
    "multipart_parts",
    "naip",
    "parse_multipart",
    "query_multiset",
    "read_stream",
    "settle",
]


# --------------------------------------------------------------------------------------------------
# Matching
# --------------------------------------------------------------------------------------------------


def query_multiset(query: str) -> list[tuple[str, tuple[str, ...]]]:
    """A raw query string as a sorted multiset of (name, values split on literal commas).

    Splitting before percent-decoding keeps ``a,b`` (a comma-separated array of two) apart from
    ``a%2Cb`` (one value containing a comma), which a plain decoded comparison would confuse.
    """
    pairs = []
    for part in query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        pairs.append((unquote(name), tuple(unquote(piece) for piece in value.split(","))))
    return sorted(pairs)


def _header(request: Request, name: str) -> str:
    value = request.headers.get(name) or ""
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def _is_multipart(request: Request) -> bool:
    body = request.body
    # aiohttp hands vcrpy a FormData object rather than the encoded bytes.
    return "multipart/" in _header(request, "Content-Type").lower() or not isinstance(
        body, (bytes, str, type(None))
    )


def _body_bytes(request: Request) -> bytes:
    body = request.body
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    return bytes(body)


def match_query(sent: Request, recorded: Request) -> None:
    """vcrpy matcher: the query strings are equal as multisets (see :func:`query_multiset`)."""
    got, want = query_multiset(sent.parsed_uri.query), query_multiset(recorded.parsed_uri.query)
    if got != want:
        raise AssertionError(f"query {got} != recorded {want}")


def match_body(sent: Request, recorded: Request) -> None:
    """vcrpy matcher: equal JSON (parsed) or equal bytes; multipart bodies are not compared."""
    if _is_multipart(sent) or _is_multipart(recorded):
        return
    got, want = _body_bytes(sent), _body_bytes(recorded)
    if got == want:
        return
    if "json" in _header(recorded, "Content-Type").lower() and got and want:
        try:
            if json.loads(got) == json.loads(want):
                return
        except ValueError:
            pass
    raise AssertionError(f"body {got[:300]!r} != recorded {want[:300]!r}")


def scrub_request(request: Request) -> Request:
    """Before a request is recorded or matched: no SAS signature in its URL or body."""
    request.uri = scrub_text(request.uri)
    body = request.body
    if isinstance(body, bytes):
        request.body = scrub_text(body.decode("latin-1")).encode("latin-1")
    return request


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """Before a response is recorded: no cookies, no SAS signature in headers or body."""
    headers = response.get("headers") or {}
    for name in list(headers):
        if name.lower() in ("set-cookie", "authorization"):
            del headers[name]
        else:
            headers[name] = [scrub_text(value) for value in headers[name]]
    body = response.get("body") or {}
    if isinstance(body.get("string"), bytes):
        body["string"] = scrub_text(body["string"].decode("latin-1")).encode("latin-1")
    return response


@pytest.hookimpl(optionalhook=True)  # pytest-recording's hook; the plugin is absent on Python 3.9
def pytest_recording_configure(config: pytest.Config, vcr: VCR) -> None:
    vcr.register_matcher("query", match_query)
    vcr.register_matcher("body", match_body)


@pytest.fixture
def vcr_config() -> dict[str, Any]:
    return {
        "record_mode": "none",
        "match_on": ["method", "scheme", "host", "path", "query", "body"],
        "filter_headers": ["authorization", "cookie"],
        "before_record_request": scrub_request,
        "before_record_response": scrub_response,
        "allow_playback_repeats": False,
    }


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(CASSETTES)


VCRPY_MISSING = (
    "the cassette replay needs vcrpy and pytest-recording, which the test extra installs on Python 3.10+ "
    "only: on 3.9 vcrpy requires urllib3<2 and this package urllib3>=2 (the generic replay of every "
    "recording, test_replay_every_recording.py, needs neither and runs everywhere)"
)
_VCRPY = all(importlib.util.find_spec(name) is not None for name in ("vcr", "pytest_recording"))


def _urllib3_headers_for_vcrpy8() -> None:
    """Give urllib3 the header mapping its API promises when vcrpy is older than 9.

    vcrpy before 9 (the newest on Python 3.10) answers urllib3 2 with an ``http.client`` header object
    where urllib3's responses carry an ``HTTPHeaderDict`` (``itermerged()``...); vcrpy 9 converts it
    in its urllib3 connection stubs, and this does the same for older ones.
    """
    from urllib3 import HTTPHeaderDict

    urllib3_stubs = importlib.import_module("vcr.stubs.urllib3_stubs")  # absent where vcrpy is: no types

    for stub in (urllib3_stubs.VCRRequestsHTTPConnection, urllib3_stubs.VCRRequestsHTTPSConnection):
        recorded_response = stub.getresponse

        def getresponse(self: Any, *args: Any, _recorded: Any = recorded_response, **kwargs: Any) -> Any:
            response = _recorded(self, *args, **kwargs)
            response.headers = HTTPHeaderDict(response.getheaders())
            return response

        stub.getresponse = getresponse


if _VCRPY and int(importlib.metadata.version("vcrpy").split(".")[0]) < 9:
    _urllib3_headers_for_vcrpy8()


def cassette_marks(name: str) -> tuple[pytest.MarkDecorator, ...]:
    """The marks that replay ``tests/cassettes/<name>.yaml``, e.g. for ``pytest.param(marks=...)``."""
    return (
        pytest.mark.skipif(not _VCRPY, reason=VCRPY_MISSING),
        pytest.mark.vcr,
        pytest.mark.default_cassette(name),
    )


def cassette(name: str) -> Callable[[F], F]:
    """Replay ``tests/cassettes/<name>.yaml`` for the decorated test."""

    def decorate(test: F) -> F:
        for mark in cassette_marks(name):
            test = mark(test)
        return test

    return decorate


# --------------------------------------------------------------------------------------------------
# Recorded values
# --------------------------------------------------------------------------------------------------


def naip(atl: int) -> str:
    """The sanitized ids of the recorded test collections: ``naip`` followed by ``atl`` times ``-atl``."""
    return "naip" + "-atl" * atl


def assert_not_found(error: HttpResponseError, message: str) -> None:
    """The service's 404 surfaced as ``ResourceNotFoundError`` with its error code and message."""
    assert isinstance(error, ResourceNotFoundError)
    assert error.status_code == 404
    assert error.error is not None
    assert error.error.code == "ResourceNotFound"
    assert error.error.message == message


# --------------------------------------------------------------------------------------------------
# Calling sync and async clients alike
# --------------------------------------------------------------------------------------------------


async def settle(value: Awaitable[T] | T) -> T:
    """The value itself, or what it resolves to when the async client returned an awaitable."""
    if inspect.isawaitable(value):
        return await value
    return value


async def read_stream(stream: Any) -> bytes:
    """All bytes of a sync ``Iterator[bytes]`` or async ``AsyncIterator[bytes]`` response stream."""
    if hasattr(stream, "__aiter__"):
        return b"".join([chunk async for chunk in stream])
    return b"".join(stream)


async def collect(pager: Any) -> list[Any]:
    """Every item of an ``ItemPaged`` or ``AsyncItemPaged``."""
    if hasattr(pager, "__aiter__"):
        return [item async for item in pager]
    return list(pager)


class RecordedPolls(LROBasePolling):
    """Polls a long-running operation exactly ``polls`` times, then stops without a verdict.

    For recordings whose client moved on while the operation was still running: the recorded polls
    are replayed, no more.
    """

    def __init__(self, polls: int) -> None:
        super().__init__(timeout=0)
        self._polls = polls

    def run(self) -> None:
        for _ in range(self._polls):
            if self.finished():
                return
            self.update_status()


class AsyncRecordedPolls(AsyncLROBasePolling):
    """Async twin of :class:`RecordedPolls`."""

    def __init__(self, polls: int) -> None:
        super().__init__(timeout=0)
        self._polls = polls

    async def run(self) -> None:
        for _ in range(self._polls):
            if self.finished():
                return
            await self.update_status()


def parse_multipart(body: bytes, content_type: str) -> dict[str, tuple[str | None, bytes]]:
    """The parts of an encoded ``multipart/form-data`` body: field name -> (file name, content)."""
    boundary = content_type.split("boundary=", 1)[1].split(";")[0].strip('"')
    parts: dict[str, tuple[str | None, bytes]] = {}
    for chunk in body.split(b"--" + boundary.encode())[1:-1]:
        head, _, content = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        disposition = dict(
            item.strip().split("=", 1) for item in head.decode("utf-8").split(";")[1:] if "=" in item
        )
        filename = disposition.get("filename")
        parts[disposition["name"].strip('"')] = (
            filename.strip('"') if filename else None,
            content.removesuffix(b"\r\n"),
        )
    return parts


def multipart_parts(files: Any) -> dict[str, tuple[str | None, bytes]]:
    """The parts of a multipart request as the client handed them to the transport:
    field name -> (file name, content)."""
    parts: dict[str, tuple[str | None, bytes]] = {}
    for name, value in files:
        filename: str | None = None
        content = value
        if isinstance(value, tuple):
            filename, content = value[0], value[1]
        if hasattr(content, "read"):
            content = content.read()
        parts[name] = (filename, content.encode("utf-8") if isinstance(content, str) else bytes(content))
    return parts


# --------------------------------------------------------------------------------------------------
# The fixture
# --------------------------------------------------------------------------------------------------


@dataclass
class Replay:
    """One test's cassette and a client of the flavour (``sync``/``async``) under test."""

    cassette: Cassette
    flavor: str
    sent_files: list[Any] = field(default_factory=list)
    checked: bool = False

    @property
    def endpoint(self) -> str:
        """The endpoint the recording was made against: the scheme and host of its first request."""
        first = urlsplit(self.cassette.requests[0].uri)
        return f"{first.scheme}://{first.netloc}"

    @property
    def is_async(self) -> bool:
        return self.flavor == "async"

    def _capture_files(self, request: PipelineRequest[Any]) -> None:
        files = getattr(request.http_request, "files", None)
        if files:
            self.sent_files.append(files)

    @contextlib.asynccontextmanager
    async def client(self) -> AsyncIterator[Any]:
        """The public client for the recording's endpoint, with a constant fake token."""
        # No retries were recorded: a retry would only replay a mismatch more slowly.
        options: dict[str, Any] = {"raw_request_hook": self._capture_files, "retry_total": 0}
        if self.is_async:
            async with AsyncPlanetaryComputerProClient(
                self.endpoint, FakeAsyncTokenCredential(), **options
            ) as async_client:
                yield async_client
        else:
            with PlanetaryComputerProClient(self.endpoint, FakeTokenCredential(), **options) as sync_client:
                yield sync_client

    def recorded_polls(self, polls: int) -> LROBasePolling | AsyncLROBasePolling:
        """A polling method for ``begin_*(polling=...)`` that sends exactly ``polls`` status requests."""
        return AsyncRecordedPolls(polls) if self.is_async else RecordedPolls(polls)

    def response_body(self, index: int) -> bytes:
        """The recorded response body of the cassette's ``index``-th exchange."""
        body = self.cassette.responses[index]["body"]["string"]
        return body.encode("utf-8") if isinstance(body, str) else bytes(body)

    def response_json(self, index: int) -> Any:
        """The recorded response body of the ``index``-th exchange, parsed as JSON."""
        return json.loads(self.response_body(index))

    def request_json(self, index: int) -> Any:
        """The recorded request body of the ``index``-th exchange, parsed as JSON."""
        return json.loads(self.cassette.requests[index].body)

    def request_parts(self, index: int) -> dict[str, tuple[str | None, bytes]]:
        """The parts of the recorded multipart request body of the ``index``-th exchange."""
        request = self.cassette.requests[index]
        return parse_multipart(_body_bytes(request), _header(request, "Content-Type"))

    def assert_all_played(self) -> None:
        """Every recorded request was sent, each exactly once."""
        self.checked = True
        unplayed = [
            f"{request.method} {request.uri}"
            for index, request in enumerate(self.cassette.requests)
            if self.cassette.play_counts[index] == 0
        ]
        assert self.cassette.all_played, f"recorded requests never sent: {unplayed}"
        assert self.cassette.play_count == len(self.cassette), "a recorded response was played twice"


_CALL_PASSED = pytest.StashKey[bool]()
REPLAY_SUMMARY = pytest.StashKey[list[str]]()
"""Lines the generic replay (test_replay_every_recording.py) reports at the end of the run."""


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    lines = config.stash.get(REPLAY_SUMMARY, None)
    if lines:
        terminalreporter.section("recorded traffic")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[_CALL_PASSED] = report.passed
    return report


@pytest.fixture(params=["sync", "async"])
def replay(request: pytest.FixtureRequest, vcr: Cassette | None) -> Iterator[Replay]:
    """The test's cassette (see :func:`cassette`) and the client flavour to drive it with."""
    if vcr is None:
        pytest.fail("a contract test needs a cassette: decorate it with @cassette(name)")
    state = Replay(cassette=vcr, flavor=request.param)
    yield state
    if request.node.stash.get(_CALL_PASSED, False):
        assert state.checked, "the test never called replay.assert_all_played()"
