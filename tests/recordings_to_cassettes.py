"""Convert the recorded GeoCatalog traffic (Azure SDK test-proxy JSON) into vcrpy YAML cassettes.

Usage::

    python tests/recordings_to_cassettes.py          # (re)write tests/cassettes/** from tests/data/recordings
    python tests/recordings_to_cassettes.py --check  # exit 1 if a cassette is missing or out of date
    python tests/recordings_to_cassettes.py --recordings DIR --out DIR

One recording becomes one cassette, ``tests/cassettes/<group>/<module>/<test>.yaml``: ``<group>`` is the
client operation group (stac, data, ingestion, sas) most of the recording's calls go to, ``<module>``
the recorded test module (``00_stac_collection``) and ``<test>`` the recorded test. Output is
deterministic, so re-running the script on unchanged recordings changes nothing.

What the conversion does to each exchange (and why):

* Bodies are decoded to the bytes that were on the wire. JSON objects are written as JSON text; JSON
  arrays the recorder stored as a JSON-encoded *string* are written as that string's text (the array);
  XML stored as an array of lines is concatenated (each line already carries its newline, which
  reproduces the recorded ``Content-Length`` exactly); images and other binary bodies stored as
  base64 are decoded; multipart request bodies (an array of parts, binary parts prefixed ``b64:``) are
  reassembled byte for byte. The revoke-token body ``"null"`` is the 4-byte JSON text ``null``.
* ``Content-Encoding`` and ``Transfer-Encoding`` are dropped and ``Content-Length`` is set to the length
  of the decoded body: the recorder stored bodies already decompressed and de-chunked.
* Secrets are scrubbed: ``Authorization``, ``Cookie`` and ``Set-Cookie`` headers are dropped, and every
  SAS signature (``sig=...`` and its percent-encoded form ``sig%3D...``) in URLs, headers and bodies,
  including JSON ``token``/``sasToken`` fields and signed hrefs, becomes ``sig=REDACTED``.
* Long-running-operation headers are made consistent with the recorded polls. The recorder sanitized
  the host in ``operation-location``/``Location`` differently from the request host, and zeroed every
  GUID in request URIs but not the one in ``Location``; the client follows those headers, so their
  scheme and host are set to the request's and their GUIDs zeroed -- exactly the URLs of the recorded
  polls and final GET.
* The endpoint host stays the sanitized host as recorded (always https).
"""

from __future__ import annotations

import argparse
import base64
import http
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml  # type: ignore[import-untyped]

__all__ = [
    "DEFAULT_CASSETTES",
    "DEFAULT_RECORDINGS",
    "Exchange",
    "cassette_name",
    "cassette_text",
    "convert_all",
    "decode_body",
    "load_exchanges",
    "lro_polls",
    "main",
    "operation_group",
    "scrub_text",
    "scrub_value",
]

DEFAULT_RECORDINGS = Path(__file__).resolve().parent / "data" / "recordings"
DEFAULT_CASSETTES = Path(__file__).resolve().parent / "cassettes"

REDACTED = "REDACTED"
# ``sig=<value>`` and ``sig%3D<value>`` (also after an encoded ``%26``): the value runs to the next
# query separator (raw or encoded), quote or space.
_SIG = re.compile(r"(?i)(sig(?:=|%3D))((?:(?!%26)[^&\"'\s<>\\])*)")
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_ZERO_GUID = "00000000-0000-0000-0000-000000000000"

_SECRET_HEADERS = {"authorization", "cookie", "set-cookie", "proxy-authorization"}
# The recorder stored bodies decompressed and de-chunked: these no longer describe the stored bytes.
_ENCODING_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}
# Headers whose URL the client follows while polling a long-running operation.
_LRO_HEADERS = {"operation-location", "location", "azure-asyncoperation"}

_GROUP_BY_PREFIX = {"stac": "stac", "data": "data", "inma": "ingestion", "sas": "sas"}
_RECORDING_NAME = re.compile(r"^(?P<module>.+?)\.py(?:Test\w*?)?(?P<test>test_\w+)\.json$")


# --------------------------------------------------------------------------------------------------
# Scrubbing
# --------------------------------------------------------------------------------------------------


def scrub_text(text: str) -> str:
    """Replace every SAS signature value in ``text`` with ``REDACTED``."""
    return _SIG.sub(lambda match: match.group(1) + REDACTED, text)


def scrub_value(value: Any) -> Any:
    """:func:`scrub_text` applied to every string in a JSON value."""
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, list):
        return [scrub_value(item) for item in value]
    if isinstance(value, dict):
        return {key: scrub_value(item) for key, item in value.items()}
    return value


def _scrub_bytes(body: bytes) -> bytes:
    # latin-1 maps bytes 1:1, so binary content outside a signature is left untouched.
    return scrub_text(body.decode("latin-1")).encode("latin-1")


# --------------------------------------------------------------------------------------------------
# Bodies
# --------------------------------------------------------------------------------------------------


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def _is_json(content_type: str) -> bool:
    media = content_type.split(";")[0].strip().lower()
    return media.endswith("/json") or media.endswith("+json")


def _is_text(content_type: str) -> bool:
    media = content_type.split(";")[0].strip().lower()
    return _is_json(content_type) or media.startswith("text/") or media.endswith(("/xml", "+xml"))


def decode_body(body: Any, headers: Mapping[str, str], *, compact: bool) -> bytes | None:
    """The bytes that were on the wire for a recorded body (``None`` when there was none).

    ``compact`` selects the JSON separators the recorded side used for JSON objects: the service
    answers compact JSON, the recorded client sent ``json.dumps`` defaults.
    """
    if body is None:
        return None
    content_type = _header(headers, "Content-Type") or ""
    if isinstance(body, (dict, bool, int, float)):
        return _json_bytes(body, compact=compact)
    if isinstance(body, list):
        if "multipart/" in content_type.lower():
            return b"".join(
                base64.b64decode(part[4:]) if part.startswith("b64:") else part.encode("utf-8")
                for part in body
            )
        if _is_json(content_type) or not all(isinstance(part, str) for part in body):
            return _json_bytes(body, compact=compact)
        # Text (XML) stored line by line; every line but the last keeps its newline.
        return "".join(body).encode("utf-8")
    if isinstance(body, str):
        if _is_text(content_type) or not content_type:
            return body.encode("utf-8")
        return base64.b64decode(body)
    raise TypeError(f"unsupported recorded body of type {type(body).__name__}")


def _json_bytes(value: Any, *, compact: bool) -> bytes:
    separators = (",", ":") if compact else (", ", ": ")
    return json.dumps(value, separators=separators, ensure_ascii=False).encode("utf-8")


# --------------------------------------------------------------------------------------------------
# Exchanges
# --------------------------------------------------------------------------------------------------


@dataclass
class Exchange:
    """One recorded request and its response, decoded and scrubbed."""

    method: str
    uri: str
    request_headers: dict[str, str]
    request_body: bytes | None
    status: int
    response_headers: dict[str, str]
    response_body: bytes = b""
    recorded_body: Any = field(default=None, repr=False)

    @property
    def path(self) -> str:
        return urlsplit(self.uri).path

    def response_header(self, name: str) -> str | None:
        return _header(self.response_headers, name)

    @property
    def content_type(self) -> str:
        return self.response_header("Content-Type") or ""

    def response_json(self) -> Any:
        return json.loads(self.response_body)


def _clean_headers(headers: Mapping[str, str], body: bytes | None) -> dict[str, str]:
    cleaned = {
        name: scrub_text(value)
        for name, value in headers.items()
        if name.lower() not in _SECRET_HEADERS and name.lower() not in _ENCODING_HEADERS
    }
    if body is not None or _header(headers, "Content-Length") is not None:
        cleaned["Content-Length"] = str(len(body or b""))
    return cleaned


def _follow_request_origin(url: str, request_uri: str) -> str:
    """An LRO header URL on the request's scheme and host, with GUIDs zeroed like the recorded URIs."""
    target, request = urlsplit(url), urlsplit(request_uri)
    if not target.scheme:  # relative: resolved against the request by the client
        return _GUID.sub(_ZERO_GUID, url)
    path = _GUID.sub(_ZERO_GUID, target.path)
    return urlunsplit((request.scheme, request.netloc, path, target.query, target.fragment))


def _exchange(entry: Mapping[str, Any]) -> Exchange:
    uri = scrub_text(entry["RequestUri"])
    if urlsplit(uri).scheme != "https":
        raise ValueError(f"recorded request is not https: {uri}")
    request_headers = dict(entry.get("RequestHeaders") or {})
    response_headers = dict(entry.get("ResponseHeaders") or {})
    request_body = decode_body(entry.get("RequestBody"), request_headers, compact=False)
    response_body = decode_body(entry.get("ResponseBody"), response_headers, compact=True) or b""
    if request_body is not None:
        request_body = _scrub_bytes(request_body)
    response_body = _scrub_bytes(response_body)
    cleaned_response = _clean_headers(response_headers, response_body)
    for name, value in list(cleaned_response.items()):
        if name.lower() in _LRO_HEADERS:
            cleaned_response[name] = _follow_request_origin(value, uri)
    return Exchange(
        method=entry["RequestMethod"].upper(),
        uri=uri,
        request_headers=_clean_headers(request_headers, request_body),
        request_body=request_body,
        status=int(entry["StatusCode"]),
        response_headers=cleaned_response,
        response_body=response_body,
        recorded_body=scrub_value(entry.get("ResponseBody")),
    )


def load_exchanges(recording: Path) -> list[Exchange]:
    """The decoded, scrubbed exchanges of one recording file, in recorded order."""
    data = json.loads(recording.read_text(encoding="utf-8"))
    return [_exchange(entry) for entry in data["Entries"]]


def lro_polls(exchanges: Sequence[Exchange]) -> dict[int, list[int]]:
    """For every long-running-operation start (202 with ``operation-location``/``Location``), the indices
    of the recorded requests that polled it: the GETs right after it to the URL the headers name."""
    polls: dict[int, list[int]] = {}
    for index, exchange in enumerate(exchanges):
        if exchange.status != 202:
            continue
        targets = {
            urlsplit(value).path
            for name in ("operation-location", "location", "azure-asyncoperation")
            if (value := exchange.response_header(name))
        }
        if not targets:
            continue
        following: list[int] = []
        for later in range(index + 1, len(exchanges)):
            candidate = exchanges[later]
            if candidate.method != "GET" or candidate.path not in targets:
                break
            following.append(later)
        polls[index] = following
    return polls


def operation_group(path: str) -> str | None:
    """The client operation group a request path belongs to (``/stac/...`` -> ``stac``)."""
    first = path.strip("/").split("/", 1)[0]
    return _GROUP_BY_PREFIX.get(first)


def _recording_group(exchanges: Sequence[Exchange]) -> str:
    polled = {index for indices in lro_polls(exchanges).values() for index in indices}
    groups = [
        group
        for index, exchange in enumerate(exchanges)
        if index not in polled and (group := operation_group(exchange.path))
    ]
    if not groups:
        return "misc"
    counts = Counter(groups)
    best = max(counts.values())
    # Ties go to the group of the recording's last call: the operation the scenario is about.
    return next(group for group in reversed(groups) if counts[group] == best)


def cassette_name(recording: Path, exchanges: Sequence[Exchange]) -> str:
    """``<group>/<module>/<test>``: where the cassette of ``recording`` lives, without suffix."""
    match = _RECORDING_NAME.match(recording.name)
    if match:
        module = match.group("module").removeprefix("test_planetary_computer_")
        test = match.group("test")
    else:
        module, test = "misc", re.sub(r"\W+", "_", recording.stem)
    return f"{_recording_group(exchanges)}/{module}/{test}"


# --------------------------------------------------------------------------------------------------
# Cassettes
# --------------------------------------------------------------------------------------------------


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _yaml_body(body: bytes | None) -> str | bytes | None:
    """Text stays readable in the YAML; anything that is not UTF-8 is written as ``!!binary``."""
    if body is None:
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body


def _interaction(exchange: Exchange) -> dict[str, Any]:
    return {
        "request": {
            "method": exchange.method,
            "uri": exchange.uri,
            "body": _yaml_body(exchange.request_body),
            "headers": {name: [value] for name, value in exchange.request_headers.items()},
        },
        "response": {
            "status": {"code": exchange.status, "message": _reason(exchange.status)},
            "headers": {name: [value] for name, value in exchange.response_headers.items()},
            "body": {"string": _yaml_body(exchange.response_body)},
        },
    }


def cassette_text(exchanges: Iterable[Exchange]) -> str:
    """The vcrpy (format version 1) YAML cassette replaying ``exchanges``."""
    data = {"interactions": [_interaction(exchange) for exchange in exchanges], "version": 1}
    return yaml.dump(data, Dumper=yaml.SafeDumper, sort_keys=True, allow_unicode=True, width=120)


def convert_all(recordings: Path, out: Path) -> dict[Path, str]:
    """Every cassette the recordings in ``recordings`` convert to: output path -> YAML text."""
    cassettes: dict[Path, str] = {}
    for recording in sorted(recordings.glob("*.json")):
        exchanges = load_exchanges(recording)
        path = out / f"{cassette_name(recording, exchanges)}.yaml"
        if path in cassettes:
            raise ValueError(f"two recordings convert to {path}")
        cassettes[path] = cassette_text(exchanges)
    return cassettes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recordings", type=Path, default=DEFAULT_RECORDINGS, help="test-proxy JSON folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_CASSETTES, help="cassette folder")
    parser.add_argument("--check", action="store_true", help="write nothing; fail if cassettes are stale")
    args = parser.parse_args(argv)
    if not args.recordings.is_dir():
        parser.error(f"no recordings folder at {args.recordings}")
    cassettes = convert_all(args.recordings, args.out)
    stale = [
        path
        for path, text in cassettes.items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    ]
    if args.check:
        for path in stale:
            print(f"stale or missing: {path}", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(cassettes[path], encoding="utf-8")
    print(f"{len(cassettes)} cassettes in {args.out} ({len(stale)} written)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
