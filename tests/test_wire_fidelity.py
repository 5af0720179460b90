"""Every operation of the wire contract (tests/data/contract.json), sync and aio.

For each of the 144 operations and both clients this checks

* the operation group has the method, with the contract's signature: positional parameters in
  order, keyword-only parameters, required vs optional and defaults, parameter and return types
  (typing spellings normalized: ``List`` -> ``list``, ``Optional[X]`` with a ``None`` default -> ``X``,
  ``MutableMapping[str, Any]`` -> ``JSON``, union members in any order);
* the request on the wire for synthetic argument values built the way the reference capture built
  them (``verified_by_capture``): HTTP method, path, query parameters, Accept, Content-Type and body;
* the same for "awkward" values (reserved characters in path and query values, commas inside csv
  elements, enum members, floats given as ints, model instances as bodies, an explicit Accept), where
  the expected request is computed from the path template and the query rules of the contract;
* the return value: ``ItemPaged``/``AsyncItemPaged`` of the item model (following ``nextLink`` with
  the client's api-version), ``LROPoller``/``AsyncLROPoller`` that completes, an (async) iterator of
  bytes for stream operations, and an instance of the contract's model (or a list of them) for JSON.

A mismatch is reported with the operation, what the contract expects and what the client did.
"""

from __future__ import annotations

import inspect
import io
import json
import re
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import pytest
from _capture import (
    AsyncCapturingTransport,
    CapturedRequest,
    CapturingTransport,
    FakeAsyncTokenCredential,
    FakeTokenCredential,
    OperationResponder,
    data_path,
    format_type,
    normalize_type,
    type_node,
)
from azure.core.async_paging import AsyncItemPaged
from azure.core.paging import ItemPaged
from azure.core.polling import AsyncLROPoller, LROPoller
from azure.planetarycomputer import PlanetaryComputerProClient, models
from azure.planetarycomputer.aio import PlanetaryComputerProClient as AsyncPlanetaryComputerProClient

CONTRACT: dict[str, Any] = json.loads(data_path("contract.json").read_text(encoding="utf-8"))
OPERATIONS: list[dict[str, Any]] = CONTRACT["operations"]
API_VERSION: str = CONTRACT["api_version"]
GROUPS: list[str] = CONTRACT["client"]["groups"]
ENDPOINT = "https://contoso.abc123.westeurope.geocatalog.spatio.azure.com"
MODES = ("sync", "aio")
STYLES = ("synthetic", "awkward")
STREAM_BODY = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
Json = Any


def _op_id(op: dict[str, Any]) -> str:
    return f"{op['group']}.{op['name']}"


OP_IDS = [_op_id(op) for op in OPERATIONS]


def _async_return(python_return: str) -> str:
    node = type_node(python_return)
    renamed = {"LROPoller": "AsyncLROPoller", "ItemPaged": "AsyncItemPaged", "Iterator": "AsyncIterator"}
    return format_type((renamed.get(node[0], node[0]), node[1]))


# --------------------------------------------------------------------------------------------------
# Signatures
# --------------------------------------------------------------------------------------------------

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def signature_problems(method: Any, op: dict[str, Any], mode: str) -> list[str]:
    """Differences between the method's signature and the contract's python_signature/python_return."""
    problems: list[str] = []
    signature = inspect.signature(method)
    home = sys.modules.get(inspect.unwrap(method).__module__)
    unset = getattr(home, "_Unset", object())
    params = [p for p in signature.parameters.values() if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    expected = op["python_signature"]

    want_positional = [s["name"] for s in expected if s["kind"] == "positional"]
    got_positional = [p.name for p in params if p.kind in _POSITIONAL]
    if want_positional != got_positional:
        problems.append(f"positional parameters: expected {want_positional}, got {got_positional}")
    want_keyword = {s["name"] for s in expected if s["kind"] == "keyword"}
    got_keyword = {p.name for p in params if p.kind is p.KEYWORD_ONLY}
    if want_keyword - got_keyword:
        problems.append(f"keyword-only parameters missing: {sorted(want_keyword - got_keyword)}")
    if got_keyword - want_keyword:
        problems.append(f"keyword-only parameters not in the contract: {sorted(got_keyword - want_keyword)}")

    by_name = {p.name: p for p in params}
    for spec in expected:
        param = by_name.get(spec["name"])
        if param is None:
            continue
        if spec["kind"] == "positional" and param.kind is param.KEYWORD_ONLY:
            problems.append(f"{spec['name']}: expected positional, got keyword-only")
        if spec["kind"] == "keyword" and param.kind in _POSITIONAL:
            problems.append(f"{spec['name']}: expected keyword-only, got positional")
        has_default = param.default is not param.empty
        if spec["required"] and has_default:
            problems.append(f"{spec['name']}: expected required, got default {param.default!r}")
        elif not spec["required"]:
            if not has_default:
                problems.append(f"{spec['name']}: expected optional, default {spec['default']}; got required")
            elif spec["default"] == "None" and param.default is not None:
                problems.append(f"{spec['name']}: expected default None, got {param.default!r}")
            elif spec["default"] == "_Unset" and param.default is not unset:
                problems.append(f"{spec['name']}: expected default _Unset, got {param.default!r}")
            elif spec["default"] not in ("None", "_Unset") and repr(param.default) != spec["default"]:
                problems.append(f"{spec['name']}: expected default {spec['default']}, got {param.default!r}")
        drop_none = spec["default"] == "None"
        want_type = normalize_type(spec["type"], drop_none=drop_none)
        got_type = normalize_type(param.annotation, drop_none=drop_none)
        if want_type != got_type:
            problems.append(f"{spec['name']}: expected type {want_type}, got {got_type}")

    want_return = op["python_return"] if mode == "sync" else _async_return(op["python_return"])
    want_return = normalize_type(want_return)
    got_return = normalize_type(signature.return_annotation)
    if want_return != got_return:
        problems.append(f"return type: expected {want_return}, got {got_return}")
    return problems


# --------------------------------------------------------------------------------------------------
# Argument values and the request they must produce
# --------------------------------------------------------------------------------------------------


@dataclass
class Call:
    """Arguments for one call and the request they must produce."""

    args: list[Any] = field(default_factory=list)
    kwargs: dict[str, Any] = field(default_factory=dict)
    path_segments: list[str] = field(default_factory=list)  # decoded
    query: list[tuple[str, Any]] = field(default_factory=list)  # decoded; csv values as tuples
    accept: str | None = None
    content_type: str | None = None
    body: Any = None  # expected JSON, or bytes for a binary body
    body_kind: str | None = None  # "json" | "bytes" | "multipart"
    multipart: dict[str, Any] = field(default_factory=dict)


# The reference client sends fractional tile coordinates (3.5) as given; this one refuses them
# before sending, so its synthetic tile coordinates are whole numbers (3.0) and the reference's
# path is compared with those put in their place.
TILE_COORDINATES = ("z", "x", "y")


def reference_path(op: dict[str, Any]) -> str:
    """The path the reference client sent, with whole tile coordinates in place of fractional ones."""
    path: str = op["verified_by_capture"]["path"]
    for index, param in enumerate(op["path_params"]):
        if param["wire_name"] in TILE_COORDINATES:
            path = re.sub(rf"(?<=[/@]){index + 0.5}(?=[/@.]|$)", str(float(index)), path)
    return path


def _path_value(param: dict[str, Any], index: int, style: str) -> tuple[Any, str]:
    """(argument, its expected decoded text in the path)."""
    kind = param["type"]
    if param["wire_name"] in TILE_COORDINATES and style == "synthetic":
        return float(index), str(float(index))
    if kind == "int":
        value: Any = 100 + index if style == "synthetic" else 7 + index
        return value, str(value)
    if kind == "float":
        if style == "synthetic":
            return index + 0.5, str(index + 0.5)
        return index + 3, str(float(index + 3))  # an int for a float parameter: sent like float()
    if style == "synthetic":
        return f"p{param['wire_name']}-v{index}", f"p{param['wire_name']}-v{index}"
    value = f"{param['wire_name']} {index}/a?b#c%d&e+f,é"
    return value, value


def _enum_member(enum_name: str | None) -> Any:
    enum = getattr(models, enum_name, None) if enum_name else None
    return next(iter(enum)) if enum is not None else None


def _query_value(param: dict[str, Any], index: int, style: str) -> tuple[Any, list[Any]]:
    """(argument, expected decoded values: one per occurrence; a tuple of elements for csv)."""
    k = 10 + index
    kind, name, style_of_array = param["type"], param["python_name"], param.get("array_style")
    if kind == "bool":
        flag = style == "synthetic"
        return flag, ["true" if flag else "false"]
    if kind == "int":
        return 100 + k, [str(100 + k)]
    if kind == "float":
        return (k + 0.5, [str(k + 0.5)]) if style == "synthetic" else (k, [str(float(k))])
    if kind in ("[str]", "[int]"):
        if kind == "[int]":
            items: list[Any] = [100 + k, 101 + k]
        elif style == "synthetic":
            items = [f"q{name}-v{k}", f"q{name}b-v{k + 1}"]
        else:
            items = [f"{name}|1,2 {k}", f"x/y&z=w+é{k}"]
        texts = [str(item) for item in items]
        return items, ([tuple(texts)] if style_of_array == "csv" else texts)
    if kind == "str":
        member = _enum_member(param.get("enum")) if style == "awkward" else None
        if member is not None:
            return member, [member.value]
        value = f"q{name}-v{k}" if style == "synthetic" else f"{name} {k}/a?b#c%d&e=f+g,h"
        return value, [value]
    raise AssertionError(f"no value rule for query parameter type {kind!r}")


# Where this client deliberately departs from the reference client's wire names. The reference
# sends register_mosaics_search's keywords as "filter_lang" and "datetime_property", names the
# tiler does not read; the live service's traffic (recordings, test_01_register_mosaics_search)
# and the STAC search body use "filter-lang" and "datetime".
_CORRECTED_BODY_NAMES = {"filter_lang": "filter-lang", "datetime_property": "datetime"}

_SPREAD_VALUES: dict[str, Any] = {
    "bounding_box": [-10.5, 20.0, 11.25, 30.0],
    "collections": ["naip", "sentinel-2-l2a"],
    "datetime": "2024-01-01T00:00:00Z/2024-12-31T23:59:59Z",
    "filter": {"op": "=", "args": [{"property": "platform"}, "sentinel-2a"]},
    "filter_language": "cql2-json",
    "ids": ["item-1", "item-2"],
    "intersects": {"type": "Point", "coordinates": [10.0, 20.0]},
    "metadata": {"name": "wire test mosaic", "type": "mosaic"},
    "query": {"eo:cloud_cover": {"lt": 10}},
    "sort_by": [{"field": "datetime", "direction": "desc"}],
}


def _json_body(model: str) -> Json:
    if model.startswith("list["):
        return [{"name": "body-item-1", "description": "first"}, {"name": "body-item-2"}]
    return {"id": "body-id", "title": "Synthetic body", "description": "wire fidelity"}


_MODELS: dict[str, dict[str, Any]] = {model["name"]: model for model in CONTRACT["models"]}


def _model_json(model: str, payload: Json, *, exclude_readonly: bool) -> Json:
    """The JSON a model instance built from ``payload`` must send.

    Read-only fields are left out (when the operation excludes them); a discriminated subclass
    writes its own discriminator value.
    """
    if model.startswith("list["):
        item_model = model[len("list[") : -1]
        return [_model_json(item_model, item, exclude_readonly=exclude_readonly) for item in payload]
    spec = _MODELS.get(model, {"fields": [], "base": None})
    readonly = {field["wire_name"] for field in spec["fields"] if field["readonly"] and exclude_readonly}
    sent = {name: value for name, value in payload.items() if name not in readonly}
    if spec.get("discriminator_value"):
        sent[_MODELS[spec["base"]]["discriminator"]["wire_name"]] = spec["discriminator_value"]
    return sent


def _as_model(model: str, payload: Json) -> Any:
    if model.startswith("list["):
        item_cls = getattr(models, model[len("list[") : -1], None)
        return [item_cls(item) for item in payload] if item_cls else payload
    cls = getattr(models, model, None)
    return cls(payload) if cls else payload


def build_call(op: dict[str, Any], style: str) -> Call:
    """Arguments for ``op`` and the request they must produce, from the contract's static facts."""
    call = Call()
    values: dict[str, Any] = {}

    texts: dict[str, str] = {}
    for index, param in enumerate(op["path_params"]):
        value, text = _path_value(param, index, style)
        values[param["python_name"]] = value
        texts[param["wire_name"]] = text
    call.path_segments = [
        re.sub(r"\{(\w+)\}", lambda match: texts[match.group(1)], segment)
        for segment in op["path"].split("/")
    ]

    call.query.append(("api-version", API_VERSION))
    for index, param in enumerate(op["query_params"]):
        value, expected = _query_value(param, index, style)
        values[param["python_name"]] = value
        call.query.extend((param["wire_name"], text) for text in expected)

    if op["accept_sent"] == "always":
        call.accept = op["accept"]
    elif op["accept_sent"] == "if_set" and style == "awkward":
        call.kwargs["headers"] = {"Accept": "image/webp"}
        call.accept = "image/webp"

    body = op["body"]
    if body is not None:
        if body["serialization"] == "multipart":
            metadata = {"key": "thumbnail", "type": "image/png", "roles": ["thumbnail"], "title": "t"}
            multipart_body = {"data": metadata, "file": ("thumb.png", STREAM_BODY)}
            values[body["python_name"]] = (
                _as_model(body["model"], multipart_body) if style == "awkward" else multipart_body
            )
            call.body_kind = "multipart"
            call.multipart = {"data": metadata, "file": STREAM_BODY}
        elif body.get("spread_keywords") and style == "synthetic":
            for spread in body["spread_keywords"]:
                values[spread["python_name"]] = _SPREAD_VALUES[spread["python_name"]]
            call.body = {
                _CORRECTED_BODY_NAMES.get(s["wire_name"], s["wire_name"]): _SPREAD_VALUES[s["python_name"]]
                for s in body["spread_keywords"]
            }
            call.body_kind = "json"
            call.content_type = body["content_types"][0]
        else:
            payload = _json_body(body["model"] or "")
            use_model = style == "awkward" and body["model"]
            if use_model:
                values[body["python_name"]] = _as_model(body["model"], payload)
                exclude_readonly = bool(body["exclude_readonly"])
                call.body = _model_json(body["model"], payload, exclude_readonly=exclude_readonly)
            else:
                values[body["python_name"]] = payload
                call.body = payload
            call.body_kind = "json"
            call.content_type = body["content_types"][0]

    for spec in op["python_signature"]:
        if spec["name"] not in values:
            if spec["required"]:
                raise AssertionError(f"{_op_id(op)}: no value for required parameter {spec['name']}")
            continue
        if spec["kind"] == "positional":
            call.args.append(values[spec["name"]])
        else:
            call.kwargs[spec["name"]] = values[spec["name"]]
    return call


def _sample(type_text: str) -> Json:
    """A JSON response payload of the given contract type."""
    name, args = type_node(type_text)
    if name == "list":
        return [_sample(format_type(args[0]))]
    return {"str": "text", "int": 1, "float": 1.5, "bool": True}.get(name, {})


def _conforms(value: Any, type_text: str) -> bool:
    name, args = type_node(type_text)
    if name == "list":
        item_type = format_type(args[0])
        return isinstance(value, list) and bool(value) and all(_conforms(item, item_type) for item in value)
    if name == "Any":
        return True
    if name in ("str", "int", "float", "bool"):
        return isinstance(value, {"str": str, "int": int, "float": float, "bool": bool}[name])
    cls = getattr(models, name, None)
    return cls is not None and isinstance(value, cls)


def _header_value(op: dict[str, Any], name: str) -> str:
    """The value served for a response header the contract lists for ``op``."""
    if name.lower() == "content-type":
        return "image/png" if op["kind"] == "stream" else "application/json"
    return {"location": f"{ENDPOINT}/created/resource-1"}.get(name.lower(), f"value-of-{name}")


def responder_for(op: dict[str, Any]) -> OperationResponder:
    response = op["response"]
    status = op["success_status_codes"][0]
    headers = {
        name: _header_value(op, name) for name in op["response_headers"] if name.lower() != "content-type"
    }
    if op["kind"] == "lro":
        return OperationResponder("lro", status=op["lro"]["initial_status_codes"][0])
    if op["kind"] == "paged":
        item = _sample(response["item_type"])
        return OperationResponder("paged", [[item], [item]])
    if op["kind"] == "stream":
        content_type = _header_value(op, "content-type")
        return OperationResponder(
            "bytes", STREAM_BODY, status=status, content_type=content_type, headers=headers
        )
    if response["kind"] == "none":
        return OperationResponder("none", status=status, headers=headers)
    return OperationResponder("json", _sample(response["type"]), status=status, headers=headers)


# --------------------------------------------------------------------------------------------------
# Comparing a captured request with the expected one
# --------------------------------------------------------------------------------------------------


def _decoded_query(request: CapturedRequest, csv_names: set[str]) -> list[tuple[str, Any]]:
    decoded: list[tuple[str, Any]] = []
    for raw_name, raw_value in request.raw_query:
        name = unquote(raw_name)
        if name in csv_names:
            decoded.append((name, tuple(unquote(part) for part in raw_value.split(","))))
        else:
            decoded.append((name, unquote(raw_value)))
    return decoded


def _multiset_diff(want: list[Any], got: list[Any]) -> str:
    missing = list((Counter(want) - Counter(got)).elements())
    extra = list((Counter(got) - Counter(want)).elements())
    return f"missing {missing}, unexpected {extra}"


def request_problems(op: dict[str, Any], call: Call, request: CapturedRequest, api_version: str) -> list[str]:
    problems: list[str] = []
    if request.method != op["http_method"]:
        problems.append(f"HTTP method: expected {op['http_method']}, sent {request.method}")
    got_segments = [unquote(segment) for segment in request.path.split("/")]
    if got_segments != call.path_segments:
        problems.append(f"path: expected {'/'.join(call.path_segments)!r}, sent {request.path!r}")

    csv_names = {q["wire_name"] for q in op["query_params"] if q.get("array_style") == "csv"}
    want_query = [(name, api_version if name == "api-version" else v) for name, v in call.query]
    got_query = _decoded_query(request, csv_names)
    if Counter(want_query) != Counter(got_query):
        problems.append(f"query: {_multiset_diff(want_query, got_query)}")

    accept = request.header("Accept")
    if accept != call.accept:
        rule = op["accept_sent"]
        problems.append(f"Accept ({rule}): expected {call.accept!r}, sent {accept!r}")

    content_type = request.header("Content-Type")
    if content_type != call.content_type:
        problems.append(f"Content-Type: expected {call.content_type!r}, sent {content_type!r}")

    if call.body_kind == "json":
        try:
            sent = request.json()
        except ValueError as error:
            problems.append(f"body: expected JSON {call.body!r}, sent {request.body!r} ({error})")
        else:
            if sent != call.body:
                problems.append(f"body: expected {call.body!r}, sent {sent!r}")
    elif call.body_kind == "bytes":
        if request.body != call.body:
            problems.append(f"body: expected {call.body!r}, sent {request.body!r}")
    elif call.body_kind == "multipart":
        parts = {name: content for name, content in (request.files or [])}
        if set(parts) != set(call.multipart):
            problems.append(f"multipart parts: expected {sorted(call.multipart)}, sent {sorted(parts)}")
        else:
            data = parts["data"]
            if json.loads(data if isinstance(data, (str, bytes)) else data[1]) != call.multipart["data"]:
                problems.append(f"multipart 'data': expected {call.multipart['data']!r}, sent {data!r}")
            file_part = parts["file"]
            content = file_part[1] if isinstance(file_part, tuple) else file_part
            if content != call.multipart["file"]:
                problems.append("multipart 'file': content differs")
        if request.body is not None:
            problems.append(f"multipart body sent as plain content: {request.body[:80]!r}")
    elif request.body:
        problems.append(f"body: expected none, sent {request.body[:200]!r}")
    return problems


def capture_problems(op: dict[str, Any], request: CapturedRequest) -> list[str]:
    """Literal comparison with the request the reference client sent for the same synthetic values."""
    capture = op["verified_by_capture"]
    problems = []
    if request.path != reference_path(op):
        problems.append(f"path: reference sent {reference_path(op)!r}, sent {request.path!r}")
    want = [tuple(pair) for pair in capture["query"]]
    if Counter(want) != Counter(request.query):
        problems.append(f"query vs reference: {_multiset_diff(want, request.query)}")
    if request.header("Accept") != capture["accept"]:
        problems.append(f"Accept: reference sent {capture['accept']!r}, sent {request.header('Accept')!r}")
    if request.header("Content-Type") != capture["content_type"]:
        sent = request.header("Content-Type")
        problems.append(f"Content-Type: reference sent {capture['content_type']!r}, sent {sent!r}")
    return problems


# --------------------------------------------------------------------------------------------------
# Running one operation
# --------------------------------------------------------------------------------------------------


def make_client(mode: str, op: dict[str, Any], **client_kwargs: Any) -> tuple[Any, Any]:
    """A sync or aio client whose transport captures requests and answers as ``op`` would."""
    client_kwargs = {"polling_interval": 0, "retry_total": 0, **client_kwargs}
    if mode == "sync":
        transport: Any = CapturingTransport(responder_for(op))
        client: Any = PlanetaryComputerProClient(
            ENDPOINT, FakeTokenCredential(), transport=transport, **client_kwargs
        )
    else:
        transport = AsyncCapturingTransport(responder_for(op))
        client = AsyncPlanetaryComputerProClient(
            ENDPOINT, FakeAsyncTokenCredential(), transport=transport, **client_kwargs
        )
    return client, transport


async def _close(client: Any) -> None:
    closed = client.close()
    if inspect.isawaitable(closed):
        await closed


@dataclass
class Outcome:
    problems: list[str] = field(default_factory=list)
    requests: list[CapturedRequest] = field(default_factory=list)

    @property
    def faithful(self) -> bool:
        return not self.problems and bool(self.requests)


_OUTCOMES: dict[tuple[str, str, str, str], Outcome] = {}


async def _consume(result: Any, op: dict[str, Any], mode: str) -> list[str]:
    """Check the returned object and drive it to completion (pages, polls, bytes)."""
    problems: list[str] = []
    kind = op["kind"]
    if kind == "lro":
        poller_cls = LROPoller if mode == "sync" else AsyncLROPoller
        if not isinstance(result, poller_cls):
            return [f"return: expected {poller_cls.__name__}, got {type(result).__name__}"]
        final = result.result() if mode == "sync" else await result.result()
        if final is not None or not result.done():
            problems.append(f"poller: expected done with result None, got done={result.done()} {final!r}")
    elif kind == "paged":
        pager_cls = ItemPaged if mode == "sync" else AsyncItemPaged
        if not isinstance(result, pager_cls):
            return [f"return: expected {pager_cls.__name__}, got {type(result).__name__}"]
        items = list(result) if isinstance(result, ItemPaged) else [item async for item in result]
        item_type = op["response"]["item_type"]
        if len(items) != 2 or not all(_conforms(item, item_type) for item in items):
            got = [type(item).__name__ for item in items]
            problems.append(f"pages: expected 2 {item_type} over 2 pages, got {got}")
    elif kind == "stream":
        if mode == "sync":
            if not isinstance(result, Iterator):
                return [f"return: expected Iterator[bytes], got {type(result).__name__}"]
            chunks = list(result)
        else:
            if not isinstance(result, AsyncIterator):
                return [f"return: expected AsyncIterator[bytes], got {type(result).__name__}"]
            chunks = [chunk async for chunk in result]
        if not all(isinstance(chunk, bytes) for chunk in chunks) or b"".join(chunks) != STREAM_BODY:
            problems.append("stream: the bytes read differ from the bytes served")
    elif op["response"]["kind"] == "none":
        if result is not None:
            problems.append(f"return: expected None, got {result!r}")
    elif not _conforms(result, op["response"]["type"]):
        problems.append(f"return: expected {op['response']['type']}, got {type(result).__name__}: {result!r}")
    return problems


async def exercise(mode: str, op: dict[str, Any], style: str, api_version: str | None = None) -> Outcome:
    """Call ``op`` once through a capturing client and list every difference from the contract."""
    key = (mode, _op_id(op), style, api_version or "")
    if key in _OUTCOMES:
        return _OUTCOMES[key]
    outcome = _OUTCOMES[key] = Outcome()
    client_kwargs = {"api_version": api_version} if api_version else {}
    client, transport = make_client(mode, op, **client_kwargs)
    try:
        group = getattr(client, op["group"], None)
        method = getattr(group, op["name"], None) if group is not None else None
        if method is None:
            outcome.problems.append(f"client.{op['group']} has no method {op['name']}")
            return outcome
        outcome.problems.extend(f"signature: {p}" for p in signature_problems(method, op, mode))
        call = build_call(op, style)
        try:
            result = method(*call.args, **call.kwargs)
            if inspect.isawaitable(result):
                result = await result
            outcome.problems.extend(await _consume(result, op, mode))
        except Exception as error:  # a call that fails is a finding, reported with the request sent
            outcome.problems.append(f"call raised {type(error).__name__}: {error}")
        outcome.requests = list(transport.requests)
        if not outcome.requests:
            outcome.problems.append("no request was sent")
            return outcome
        first = outcome.requests[0]
        outcome.problems.extend(request_problems(op, call, first, api_version or API_VERSION))
        if style == "synthetic" and not api_version:
            outcome.problems.extend(f"capture: {p}" for p in capture_problems(op, first))
        if op["kind"] == "paged" and len(outcome.requests) > 1:
            second = outcome.requests[1]
            outcome.problems.extend(_next_page_problems(op, first, second, api_version or API_VERSION))
        return outcome
    finally:
        await _close(client)


def _next_page_problems(
    op: dict[str, Any], first: CapturedRequest, second: CapturedRequest, api_version: str
) -> list[str]:
    problems = []
    if second.method != op["paging"]["next_request_method"]:
        problems.append(f"next page: expected {op['paging']['next_request_method']}, sent {second.method}")
    if second.path != first.path:
        problems.append(f"next page: expected the nextLink path {first.path!r}, sent {second.path!r}")
    want = Counter([("token", "page2"), ("api-version", api_version)])
    if Counter(second.query) != want:
        problems.append(f"next page query: {_multiset_diff(list(want.elements()), second.query)}")
    return problems


def _report(op: dict[str, Any], mode: str, outcome: Outcome) -> str:
    lines = [f"{mode} {_op_id(op)} departs from the wire contract:"]
    lines.extend(f"  - {problem}" for problem in outcome.problems)
    if outcome.requests:
        first = outcome.requests[0]
        lines.append(f"  request sent: {first.method} {first.url}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------------


def test_contract_covers_every_group() -> None:
    assert len(OPERATIONS) == 144
    assert set(GROUPS) == {"stac", "data", "ingestion", "sas"}
    assert {op["group"] for op in OPERATIONS} == set(GROUPS)
    assert len(set(OP_IDS)) == len(OP_IDS)


@pytest.mark.parametrize("op", OPERATIONS, ids=OP_IDS)
def test_synthetic_values_follow_the_reference_capture(op: dict[str, Any]) -> None:
    """The expected request built here from the static facts is the one the reference client sent."""
    capture = op["verified_by_capture"]
    call = build_call(op, "synthetic")
    assert "/".join(call.path_segments) == reference_path(op)
    flat = [(name, ",".join(v) if isinstance(v, tuple) else v) for name, v in call.query]
    assert Counter(flat) == Counter(tuple(pair) for pair in capture["query"])
    assert call.accept == capture["accept"]
    assert call.content_type == capture["content_type"]
    assert capture["method"] == op["http_method"]


@pytest.mark.parametrize("op", OPERATIONS, ids=OP_IDS)
@pytest.mark.parametrize("mode", MODES)
async def test_operation_matches_contract(mode: str, op: dict[str, Any]) -> None:
    outcome = await exercise(mode, op, "synthetic")
    assert outcome.faithful, _report(op, mode, outcome)


@pytest.mark.parametrize("op", OPERATIONS, ids=OP_IDS)
@pytest.mark.parametrize("mode", MODES)
async def test_operation_encodes_awkward_values(mode: str, op: dict[str, Any]) -> None:
    outcome = await exercise(mode, op, "awkward")
    assert outcome.faithful, _report(op, mode, outcome)


BINARY_OPS = [op for op in OPERATIONS if op["body"] and "IO[bytes]" in op["body"]["accepted_types"]]


@pytest.mark.parametrize("op", BINARY_OPS, ids=[_op_id(op) for op in BINARY_OPS])
@pytest.mark.parametrize("mode", MODES)
async def test_binary_body_is_sent_unchanged(mode: str, op: dict[str, Any]) -> None:
    raw = b'{"raw": "bytes", "sent": [1, 2, 3]}'
    client, transport = make_client(mode, op)
    call = build_call(op, "synthetic")
    body_name = op["body"]["python_name"]
    names = [s["name"] for s in op["python_signature"] if s["kind"] == "positional"]
    positional = dict(zip(names, call.args))
    positional[body_name] = io.BytesIO(raw)
    args = [positional[name] for name in names if name in positional]
    spread = {keyword["python_name"] for keyword in op["body"].get("spread_keywords", [])}
    kwargs = {name: value for name, value in call.kwargs.items() if name not in spread}
    result = getattr(getattr(client, op["group"]), op["name"])(*args, **kwargs)
    if inspect.isawaitable(result):
        result = await result
    await _consume(result, op, mode)
    await _close(client)
    sent = transport.requests[0]
    assert sent.body == raw, f"{mode} {_op_id(op)}: binary body changed on the way: {sent.body!r}"
    assert sent.header("Content-Type") == op["body"]["content_types"][0]


@pytest.mark.parametrize("mode", MODES)
async def test_wire_fidelity_coverage(mode: str) -> None:
    """Every operation of the contract, checked end to end, in both clients: 144/144."""
    faithful = []
    for op in OPERATIONS:
        outcomes = [await exercise(mode, op, style) for style in STYLES]
        if all(outcome.faithful for outcome in outcomes):
            faithful.append(_op_id(op))
    unfaithful = sorted(set(OP_IDS) - set(faithful))
    print(f"wire fidelity ({mode}): {len(faithful)}/{len(OPERATIONS)} operations match the contract")
    assert len(faithful) == len(OPERATIONS) == 144, f"{mode}: operations off the contract: {unfaithful}"


@pytest.mark.parametrize("mode", MODES)
async def test_api_version_override_is_sent(mode: str) -> None:
    wrong = []
    for op in OPERATIONS:
        outcome = await exercise(mode, op, "synthetic", api_version="2099-01-01")
        initial = outcome.requests[:1] + (outcome.requests[1:2] if op["kind"] == "paged" else [])
        for request in initial:
            versions = [value for name, value in request.query if name == "api-version"]
            if versions != ["2099-01-01"]:
                wrong.append(f"{_op_id(op)}: {request.method} {request.url}")
    assert not wrong, f"{mode}: api_version='2099-01-01' not sent by:\n" + "\n".join(wrong)


PLAIN_OPS = [op for op in OPERATIONS if op["kind"] in ("plain", "stream")]


@pytest.mark.parametrize("op", PLAIN_OPS, ids=[_op_id(op) for op in PLAIN_OPS])
@pytest.mark.parametrize("mode", MODES)
async def test_response_headers_reach_cls(mode: str, op: dict[str, Any]) -> None:
    """The response headers the contract lists are handed to a ``cls`` callback, with their values."""
    client, _transport = make_client(mode, op)
    seen: dict[str, Any] = {}

    def cls(pipeline_response: Any, deserialized: Any, headers: dict[str, Any]) -> str:
        seen.update(headers)
        return "from-cls"

    call = build_call(op, "synthetic")
    result = getattr(getattr(client, op["group"]), op["name"])(*call.args, cls=cls, **call.kwargs)
    if inspect.isawaitable(result):
        result = await result
    await _close(client)
    assert result == "from-cls"
    want = {name.lower(): _header_value(op, name) for name in op["response_headers"]}
    got = {name.lower(): value for name, value in seen.items()}
    assert got == want, f"{mode} {_op_id(op)}: response headers {got} instead of {want}"


JSON_STREAMABLE = [op for op in OPERATIONS if op["response"].get("stream_option")]


@pytest.mark.parametrize("op", JSON_STREAMABLE, ids=[_op_id(op) for op in JSON_STREAMABLE])
@pytest.mark.parametrize("mode", MODES)
async def test_json_operation_streams_raw_bytes_on_request(mode: str, op: dict[str, Any]) -> None:
    """``stream=True`` gives the response body as an iterator of bytes instead of a model."""
    client, _transport = make_client(mode, op)
    call = build_call(op, "synthetic")
    result = getattr(getattr(client, op["group"]), op["name"])(*call.args, stream=True, **call.kwargs)
    if inspect.isawaitable(result):
        result = await result
    if mode == "sync":
        assert isinstance(result, Iterator), type(result)
        chunks = list(result)
    else:
        assert isinstance(result, AsyncIterator), type(result)
        chunks = [chunk async for chunk in result]
    await _close(client)
    assert json.loads(b"".join(chunks)) == _sample(op["response"]["type"])


@pytest.mark.parametrize("mode", MODES)
async def test_client_constructor_matches_contract(mode: str) -> None:
    """Constructor parameters, operation groups, default scope, api-version and polling interval."""
    spec = CONTRACT["client"]
    cls: Any = PlanetaryComputerProClient if mode == "sync" else AsyncPlanetaryComputerProClient
    assert cls.__name__ == spec["class"]
    if mode == "aio":
        assert cls.__module__.startswith(spec["async_module"])
    parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    assert [(p.name, p.kind.name.lower()) for p in parameters] == [
        (param["name"], param["kind"]) for param in spec["constructor"]
    ]
    client, transport = make_client(mode, OPERATIONS[0])
    default_client = cls(ENDPOINT, FakeTokenCredential() if mode == "sync" else FakeAsyncTokenCredential())
    assert default_client._config.polling_interval == spec["polling_interval_default"]
    assert default_client._config.api_version == API_VERSION
    for group in spec["groups"]:
        assert getattr(client, group) is not None, group
    call = build_call(OPERATIONS[0], "synthetic")
    result = getattr(getattr(client, OPERATIONS[0]["group"]), OPERATIONS[0]["name"])(
        *call.args, **call.kwargs
    )
    if inspect.isawaitable(result):
        await result
    credential = client._config.credential
    assert credential.requested_scopes == [tuple(spec["credential_scopes"])]
    assert transport.requests[0].header("Authorization") == f"Bearer {credential.token}"
    await _close(client)
    await _close(default_client)
