"""Every recorded exchange, replayed generically through the public sync client.

Nothing here knows the particular recordings. For every ``*.json`` in ``tests/data/recordings`` (or in
the folder ``GEOCATALOG_RECORDINGS`` names) and every entry in it, the contract operation is found whose
method and path template match the recorded request (templates may hold several parameters in one
segment, e.g. ``/bbox/{minx},{miny},{maxx},{maxy}.{format}`` or ``/tiles/{z}/{x}/{y}@{scale}x.{format}``),
and the Python call is derived from the request: path parameters become positional arguments of their
``python_type`` (``13.0`` -> float), query parameters keyword arguments (wire name -> Python name;
``multi`` arrays from repeated parameters, ``csv`` arrays split on literal commas, booleans from
``true``/``false``), the JSON or multipart body the ``body``.

The call runs against a fake transport that holds just that exchange -- plus, for a long-running
operation, the recorded polls of ``/inma/operations/{id}`` that follow it, and for a paged one the
recorded requests of the pages its ``nextLink`` names -- asserts that the request
equals the recorded one (method, host, path, query multiset, JSON body or multipart parts) and answers
with the recorded response. The parsed result must equal the recording: ``dict(model)`` the JSON,
streams the bytes, errors an ``HttpResponseError`` with the recorded status and error code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from _capture import (
    CannedResponse,
    CapturedRequest,
    CapturingTransport,
    FakeTokenCredential,
    data_path,
    recordings_dir,
)
from azure.core.exceptions import HttpResponseError
from azure.planetarycomputer import PlanetaryComputerProClient
from recordings_to_cassettes import Exchange, load_exchanges, lro_polls

from .conftest import REPLAY_SUMMARY, RecordedPolls, multipart_parts, parse_multipart, query_multiset

RECORDINGS = recordings_dir()
CONTRACT = data_path("contract.json")

TERMINAL = {"succeeded", "failed", "canceled", "cancelled"}
_PARAM_PATTERNS = {
    "float": r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?",
    "int": r"-?\d+",
}
_STR_PATTERN = r"[^/]+?"


# --------------------------------------------------------------------------------------------------
# The contract's operations, matched by method and path template
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """One operation of the contract with the regular expression of its path template."""

    spec: Mapping[str, Any]
    pattern: re.Pattern[str]
    params: tuple[Mapping[str, Any], ...]  # path parameters in template order
    literal_length: int

    @property
    def name(self) -> str:
        return f"{self.spec['group']}.{self.spec['name']}"

    @property
    def kind(self) -> str:
        return str(self.spec["kind"])

    def path_values(self, path: str) -> dict[str, Any] | None:
        """Python name -> typed value of every path parameter, or None when ``path`` does not match."""
        match = self.pattern.fullmatch(path)
        if match is None:
            return None
        return {
            param["python_name"]: _typed(unquote(raw), param["python_type"])
            for param, raw in zip(self.params, match.groups())
        }


def _compile(spec: Mapping[str, Any]) -> Operation:
    by_wire = {param["wire_name"]: param for param in spec["path_params"]}
    params: list[Mapping[str, Any]] = []
    regex, literal = "", 0
    for piece in re.split(r"(\{[^}]+\})", spec["path"]):
        if piece.startswith("{") and piece.endswith("}"):
            param = by_wire[piece[1:-1]]
            params.append(param)
            regex += f"({_PARAM_PATTERNS.get(param['python_type'], _STR_PATTERN)})"
        else:
            regex += re.escape(piece)
            literal += len(piece)
    return Operation(spec=spec, pattern=re.compile(regex), params=tuple(params), literal_length=literal)


def _typed(value: str, python_type: str) -> Any:
    if python_type == "float":
        return float(value)
    if python_type == "int":
        return int(value)
    if python_type == "bool":
        lowered = value.lower()
        if lowered not in ("true", "false"):
            raise ValueError(f"not a boolean: {value!r}")
        return lowered == "true"
    return value  # str and string enums (Union[str, Enum])


def find_operation(operations: Sequence[Operation], method: str, path: str) -> Operation:
    """The operation whose method and path template match; the most literal template wins."""
    candidates = [
        operation
        for operation in operations
        if operation.spec["http_method"] == method and operation.path_values(path) is not None
    ]
    if not candidates:
        raise LookupError(f"no contract operation matches {method} {path}")
    best = max(operation.literal_length for operation in candidates)
    winners = [operation for operation in candidates if operation.literal_length == best]
    if len(winners) > 1:
        raise LookupError(f"{method} {path} matches {[operation.name for operation in winners]} alike")
    return winners[0]


# --------------------------------------------------------------------------------------------------
# The plan: one case per recorded call (an LRO's polls belong to its call)
# --------------------------------------------------------------------------------------------------


@dataclass
class Case:
    recording: Path
    index: int
    exchanges: list[Exchange]  # the call's exchange first, then the LRO polls it makes
    operation: Operation | None = None
    problem: str = ""

    @property
    def id(self) -> str:
        stem = self.recording.stem.replace("test_planetary_computer_", "").split(".py")
        test = stem[-1].rsplit("test_", 1)[-1] if len(stem) > 1 else stem[0]
        name = self.operation.name if self.operation else "unmapped"
        return f"{stem[0]}/{test}#{self.index}-{name}"


@dataclass
class Plan:
    cases: list[Case] = field(default_factory=list)
    entries: int = 0
    followed: int = 0  # LRO polls and next pages, replayed inside the call that makes them

    @property
    def unmapped(self) -> list[Case]:
        return [case for case in self.cases if case.operation is None]


def _load_operations() -> list[Operation]:
    if not CONTRACT.is_file():
        raise FileNotFoundError(f"{CONTRACT} is missing: the replay derives calls from the contract")
    contract = json.loads(CONTRACT.read_text(encoding="utf-8"))
    return [_compile(spec) for spec in contract["operations"]]


def _next_pages(exchanges: Sequence[Exchange], index: int) -> list[int]:
    """The recorded requests right after ``index`` that fetched the pages its ``nextLink`` chain names."""
    pages: list[int] = []
    current = exchanges[index]
    while current.status == 200 and "json" in current.content_type:
        body = current.response_json()
        next_link = body.get("nextLink") if isinstance(body, dict) else None
        following = index + len(pages) + 1
        if not next_link or following >= len(exchanges):
            break
        candidate = exchanges[following]
        if candidate.method != "GET" or urlsplit(candidate.uri)[2:4] != urlsplit(next_link)[2:4]:
            break
        pages.append(following)
        current = candidate
    return pages


def _plan(operations: Sequence[Operation]) -> Plan:
    plan = Plan()
    for recording in sorted(RECORDINGS.glob("*.json")):
        exchanges = load_exchanges(recording)
        polls = lro_polls(exchanges)
        followed = {index for indices in polls.values() for index in indices}
        plan.entries += len(exchanges)
        for index, exchange in enumerate(exchanges):
            if index in followed:
                continue
            case = Case(recording, index, [exchange])
            try:
                operation = find_operation(operations, exchange.method, exchange.path)
                derive_call(operation, exchange)
                if index in polls and operation.kind != "lro":
                    raise LookupError(f"202 with operation-location, but {operation.name} is not an LRO")
                case.operation = operation
                more = polls.get(index, []) if operation.kind == "lro" else []
                if operation.kind == "paged":
                    more = _next_pages(exchanges, index)
                    followed.update(more)
                case.exchanges.extend(exchanges[later] for later in more)
            except (LookupError, ValueError) as error:
                case.problem = str(error)
            plan.cases.append(case)
        plan.followed += len(followed)
    return plan


# --------------------------------------------------------------------------------------------------
# The one-exchange transport
# --------------------------------------------------------------------------------------------------


class RecordedExchanges:
    """Responder for ``CapturingTransport``: checks each request against the next recorded exchange
    and answers with its recorded response."""

    def __init__(self, exchanges: Sequence[Exchange]) -> None:
        self.pending = list(exchanges)
        self.served = 0

    def __call__(self, request: CapturedRequest) -> CannedResponse:
        if not self.pending:
            raise AssertionError(f"request beyond the recording: {request.method} {request.url}")
        exchange = self.pending.pop(0)
        assert_same_request(request, exchange)
        self.served += 1
        return CannedResponse(
            status=exchange.status, headers=dict(exchange.response_headers), body=exchange.response_body
        )


def assert_same_request(request: CapturedRequest, exchange: Exchange) -> None:
    sent, recorded = urlsplit(request.url), urlsplit(exchange.uri)
    where = f"{exchange.method} {exchange.uri}"
    assert request.method == exchange.method, f"method {request.method} != recorded {where}"
    assert (sent.scheme, sent.netloc.lower()) == (recorded.scheme, recorded.netloc.lower()), where
    assert sent.path == recorded.path, f"path {sent.path} != recorded {recorded.path}"
    assert query_multiset(sent.query) == query_multiset(recorded.query), (
        f"query {query_multiset(sent.query)} != recorded {query_multiset(recorded.query)}"
    )
    recorded_type = exchange.request_headers.get("Content-Type", "")
    if "multipart/" in recorded_type:
        assert request.files, f"{where}: no multipart body sent"
        sent_parts = multipart_parts(request.files)
        recorded_parts = parse_multipart(exchange.request_body or b"", recorded_type)
        assert sent_parts.keys() == recorded_parts.keys(), (
            f"parts {sorted(sent_parts)} != {sorted(recorded_parts)}"
        )
        for name, (filename, content) in recorded_parts.items():
            assert sent_parts[name][0] == filename, (
                f"part {name}: file name {sent_parts[name][0]} != {filename}"
            )
            assert _json_or_bytes(sent_parts[name][1]) == _json_or_bytes(content), f"part {name} differs"
        return
    sent_body, recorded_body = request.body or b"", exchange.request_body or b""
    if "json" in recorded_type and sent_body and recorded_body:
        assert json.loads(sent_body) == json.loads(recorded_body), f"JSON body differs from recorded {where}"
    else:
        assert sent_body == recorded_body, f"body {sent_body[:200]!r} != recorded {recorded_body[:200]!r}"


def _json_or_bytes(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return content


# --------------------------------------------------------------------------------------------------
# From a recorded request to a Python call
# --------------------------------------------------------------------------------------------------


def derive_call(operation: Operation, exchange: Exchange) -> tuple[list[Any], dict[str, Any]]:
    """The positional and keyword arguments that make ``operation`` send ``exchange``'s request."""
    spec = operation.spec
    values = operation.path_values(exchange.path) or {}
    by_wire = {param["wire_name"]: param for param in spec["query_params"]}
    keywords: dict[str, Any] = {}
    for raw_name, _, raw_value in (
        part.partition("=") for part in urlsplit(exchange.uri).query.split("&") if part
    ):
        name = unquote(raw_name)
        if name == "api-version":
            continue
        if name not in by_wire:
            raise LookupError(f"query parameter {name!r} is not a parameter of {operation.name}")
        param = by_wire[name]
        python_type: str = param["python_type"]
        if param["array_style"] == "csv":
            element = python_type[len("list[") : -1]
            keywords[param["python_name"]] = [
                _typed(unquote(piece), element) for piece in raw_value.split(",")
            ]
        elif param["array_style"] == "multi":
            element = python_type[len("list[") : -1]
            keywords.setdefault(param["python_name"], []).append(_typed(unquote(raw_value), element))
        else:
            keywords[param["python_name"]] = _typed(unquote(raw_value), python_type)
    body = spec["body"]
    if body is not None and exchange.request_body is not None:
        values[body["python_name"]] = _body_argument(body, exchange)
    positional: list[Any] = []
    for entry in spec["python_signature"]:
        if entry["name"] in values:
            if entry["kind"] == "positional":
                positional.append(values.pop(entry["name"]))
            else:
                keywords[entry["name"]] = values.pop(entry["name"])
    if values:
        raise LookupError(f"{operation.name} has no parameter for {sorted(values)}")
    return positional, keywords


def _body_argument(body: Mapping[str, Any], exchange: Exchange) -> Any:
    content = exchange.request_body or b""
    if body["serialization"] == "multipart":
        parts = parse_multipart(content, exchange.request_headers.get("Content-Type", ""))
        argument: dict[str, Any] = {}
        for name, (filename, part) in parts.items():
            if name in body.get("multipart_file_fields", []):
                argument[name] = (filename, part) if filename else part
            else:
                argument[name] = _json_or_bytes(part)
        return argument
    return json.loads(content)


def _plain(value: Any) -> Any:
    """Models as the dict of their wire JSON (``dict(model)``), lists element-wise."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _operation_status(exchange: Exchange) -> str:
    body = exchange.response_json() if exchange.response_body else {}
    return str(body.get("status", "")) if isinstance(body, dict) else ""


# --------------------------------------------------------------------------------------------------
# The tests
# --------------------------------------------------------------------------------------------------

OPERATIONS = _load_operations()
PLAN = _plan(OPERATIONS)


def _client_for(case: Case) -> tuple[PlanetaryComputerProClient, RecordedExchanges]:
    responder = RecordedExchanges(case.exchanges)
    first = urlsplit(case.exchanges[0].uri)
    client = PlanetaryComputerProClient(
        f"{first.scheme}://{first.netloc}",
        FakeTokenCredential(),
        transport=CapturingTransport(responder),
        retry_total=0,
    )
    return client, responder


@pytest.mark.parametrize("case", [pytest.param(case, id=case.id) for case in PLAN.cases])
def test_replay_recorded_exchange(case: Case) -> None:
    if case.operation is None:
        pytest.fail(f"cannot map {case.exchanges[0].method} {case.exchanges[0].uri}: {case.problem}")
    operation, exchange = case.operation, case.exchanges[0]
    positional, keywords = derive_call(operation, exchange)
    client, responder = _client_for(case)
    method = getattr(getattr(client, operation.spec["group"]), operation.spec["name"])
    failed = exchange.status not in operation.spec["success_status_codes"]

    with client:
        if operation.kind == "lro":
            _replay_lro(case, method, positional, keywords)
        elif failed:
            with pytest.raises(HttpResponseError) as raised:
                result = method(*positional, **keywords)
                if operation.kind in ("stream", "paged"):
                    list(result)
            _assert_service_error(raised.value, exchange)
        else:
            result = method(*positional, **keywords)
            _assert_result(operation, case.exchanges, result)

    assert not responder.pending, f"recorded requests never sent: {[e.uri for e in responder.pending]}"


def _replay_lro(case: Case, method: Any, positional: list[Any], keywords: dict[str, Any]) -> None:
    initial, polls = case.exchanges[0], case.exchanges[1:]
    last_status = _operation_status(polls[-1] if polls else initial)
    if last_status.lower() in TERMINAL:
        poller = method(*positional, polling_interval=0, **keywords)
        if last_status.lower() == "succeeded":
            assert poller.result() is None
        else:
            with pytest.raises(HttpResponseError):
                poller.result()
    else:
        # The recorded client moved on while the operation was still running: replay its polls only.
        poller = method(*positional, polling=RecordedPolls(len(polls)), **keywords)
        assert poller.result() is None
    assert poller.status() == last_status


def _assert_service_error(error: HttpResponseError, exchange: Exchange) -> None:
    assert error.status_code == exchange.status
    recorded = exchange.response_json() if exchange.response_body else {}
    if isinstance(recorded, dict) and isinstance(recorded.get("error"), dict):
        assert error.error is not None, "the service's error was not parsed"
        assert error.error.code == recorded["error"]["code"]
        assert error.error.message == recorded["error"]["message"]


def _assert_result(operation: Operation, pages: Sequence[Exchange], result: Any) -> None:
    exchange = pages[0]
    kind = operation.spec["response"]["kind"]
    if kind == "bytes":
        assert b"".join(result) == exchange.response_body
    elif kind == "none":
        assert result is None
    elif kind == "paged":
        items_name = operation.spec["response"]["items_name"]
        recorded = [item for page in pages for item in page.response_json()[items_name]]
        assert [_plain(item) for item in result] == recorded
    else:
        assert _plain(result) == exchange.response_json()


def test_every_recorded_entry_maps_to_an_operation(request: pytest.FixtureRequest) -> None:
    calls = len(PLAN.cases) - len(PLAN.unmapped)
    operations = {case.operation.name for case in PLAN.cases if case.operation}
    recordings = len(list(RECORDINGS.glob("*.json")))
    summary = (
        f"generic replay: {PLAN.entries} recorded entries in {recordings} recordings "
        f"-> {calls} calls (+{PLAN.followed} LRO polls and next pages replayed inside their calls) over "
        f"{len(operations)} of {len(OPERATIONS)} contract operations; unmapped: {len(PLAN.unmapped)}"
    )
    lines = [summary, *(f"  unmapped {case.id}: {case.problem}" for case in PLAN.unmapped)]
    request.config.stash[REPLAY_SUMMARY] = lines
    assert not PLAN.unmapped, "\n".join(lines)
    assert PLAN.entries == calls + PLAN.followed
