"""No secret in any cassette or recording under tests/; the cassettes are what the converter makes of the
recordings.

Every cassette (each ``.yaml``/``.yml``/``.json`` file in a ``cassettes`` folder, and each vcrpy YAML
cassette anywhere else under tests/) is parsed and each string in it -- URIs, header names and values,
bodies, binary bodies included -- is searched for an ``Authorization`` header, a bearer token or a SAS
signature (``sig=``/``sig%3D``) whose value is anything but ``REDACTED``.

The recorded live traffic the cassettes come from (tests/data/recordings, Azure SDK test-proxy JSON) is
part of the repository too and gets the same search, base64 bodies decoded; there the recorder's own
placeholder ``Sanitized`` is an accepted signature value as well.
"""

from __future__ import annotations

import ast
import base64
import binascii
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]
from recordings_to_cassettes import DEFAULT_RECORDINGS, convert_all

from .conftest import CASSETTES

TESTS = Path(__file__).resolve().parents[1]
# Written independently of the converter's scrubbing pattern on purpose: a gap in one is not copied into the
# check meant to catch it.
_SIGNATURE = re.compile(r"(?i)sig(?:=|%3D)((?:(?!%26)[^&\"'\s<>\\])*)")
_BEARER = re.compile(r"(?i)\bbearer\s+[A-Za-z0-9\-._~+/]+=*")
_SECRET_HEADERS = {"authorization", "proxy-authorization", "cookie", "set-cookie"}


def cassette_files(root: Path = TESTS) -> list[Path]:
    """Every cassette under ``root``: any YAML or JSON file in a ``cassettes`` folder, and any other
    YAML file holding vcrpy ``interactions``."""
    found = []
    for path in root.rglob("*"):
        parts = path.relative_to(root).parts
        if any(part.startswith(".") or part in ("site-packages", "node_modules") for part in parts):
            continue  # virtual environments and tool caches hold no cassettes of ours
        if not path.is_file() or path.suffix not in (".yaml", ".yml", ".json"):
            continue
        in_cassettes = "cassettes" in parts
        if in_cassettes or (
            path.suffix != ".json" and re.search(r"(?m)^interactions:", path.read_text(encoding="utf-8"))
        ):
            found.append(path)
    return sorted(found)


def _strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """Every string in a parsed cassette, keys included, with where it was found."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key, f"{where} key")
            yield from _strings(item, f"{where}/{key}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _strings(item, f"{where}[{index}]")
    elif isinstance(value, (bytes, bytearray)):
        yield where, bytes(value).decode("latin-1")
    elif isinstance(value, str):
        yield where, value


def _headers(data: Any) -> Iterator[tuple[str, str]]:
    for index, interaction in enumerate(data.get("interactions") or [] if isinstance(data, dict) else []):
        for side in ("request", "response"):
            headers = (interaction.get(side) or {}).get("headers") or {}
            for name in headers:
                yield f"interaction {index} {side}", str(name)


def secrets_in(path: Path) -> list[str]:
    """What in the cassette at ``path`` looks like a credential or an unredacted SAS signature."""
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)  # JSON is YAML too; !!binary bodies load as bytes
    found = [f"{where}: {name} header" for where, name in _headers(data) if name.lower() in _SECRET_HEADERS]
    for where, value in _strings(data, path.name):
        if _BEARER.search(value):
            found.append(f"{where}: bearer token")
        found.extend(
            f"{where}: sig={match.group(1)!r}"
            for match in _SIGNATURE.finditer(value)
            if match.group(1) != "REDACTED"
        )
    if re.search(r"(?im)^\s*['\"]?authorization['\"]?\s*:", text):
        found.append(f"{path.name}: an Authorization key")
    return found


_RECORDER_PLACEHOLDERS = {"REDACTED", "Sanitized"}
_BASE64 = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")


def _decoded_base64(value: str) -> str | None:
    """The bytes a base64 string stands for (the recorder stores images that way), as latin-1 text."""
    if len(value) % 4 or not _BASE64.fullmatch(value):
        return None
    try:
        return base64.b64decode(value, validate=True).decode("latin-1")
    except binascii.Error:
        return None


def recording_secrets_in(path: Path) -> list[str]:
    """What in the test-proxy recording at ``path`` looks like a credential or an unsanitized signature."""
    data = json.loads(path.read_text(encoding="utf-8"))
    found = [
        f"entry {index} {side}: {name} header"
        for index, entry in enumerate(data.get("Entries") or [])
        for side in ("RequestHeaders", "ResponseHeaders")
        for name in entry.get(side) or {}
        if name.lower() in _SECRET_HEADERS
    ]
    for where, value in _strings(data, path.name):
        decoded = _decoded_base64(value)
        for text in (value,) if decoded is None else (value, decoded):
            if _BEARER.search(text):
                found.append(f"{where}: bearer token")
            found.extend(
                f"{where}: sig={match.group(1)!r}"
                for match in _SIGNATURE.finditer(text)
                if match.group(1) not in _RECORDER_PLACEHOLDERS
            )
    return found


def test_there_are_recordings() -> None:
    assert len(list(DEFAULT_RECORDINGS.glob("*.json"))) >= 85


@pytest.mark.parametrize(
    "path", sorted(DEFAULT_RECORDINGS.glob("*.json")), ids=lambda path: path.name.split(".py", 1)[-1]
)
def test_recording_holds_no_secret(path: Path) -> None:
    assert recording_secrets_in(path) == []


def _recording(signature: str, request_headers: dict[str, str], debug_header: str) -> dict[str, Any]:
    """A two-entry test-proxy recording with SAS signatures in a URI, a base64 body and a JSON body."""
    png = b"\x89PNG\r\n\x1a\n...https://a/b?sv=1&sig=" + signature.encode() + b"&w=256 ..."
    return {
        "Entries": [
            {
                "RequestUri": "https://host.example/sas/sign?href=https%3A%2F%2Fa.blob.core.windows.net"
                f"%2Fc%3Fsv%3D1%26sig%3D{signature}",
                "RequestMethod": "GET",
                "RequestHeaders": {"User-Agent": "azsdk-python", **request_headers},
                "RequestBody": None,
                "StatusCode": 200,
                "ResponseHeaders": {"Content-Type": "image/png", "X-Debug": debug_header},
                "ResponseBody": base64.b64encode(png).decode(),
            },
            {
                "RequestUri": "https://host.example/sas/token/naip",
                "RequestMethod": "GET",
                "RequestHeaders": {},
                "RequestBody": None,
                "StatusCode": 200,
                "ResponseHeaders": {"Content-Type": "application/json"},
                "ResponseBody": {"token": f"sv=2021-01-01&st=Sanitized&sig={signature}"},
            },
        ],
        "Variables": {},
    }


def test_the_recording_scan_finds_what_it_looks_for(tmp_path: Path) -> None:
    leaky = tmp_path / "leaky.json"
    leaky.write_text(
        json.dumps(_recording("c2VjcmV0", {"Authorization": "Sanitized"}, "Bearer eyJ0eXAiOiJKV1QiLCJh")),
        encoding="utf-8",
    )
    clean = tmp_path / "clean.json"
    clean.write_text(json.dumps(_recording("Sanitized", {}, "cache miss")), encoding="utf-8")

    found = recording_secrets_in(leaky)
    assert "entry 0 RequestHeaders: Authorization header" in found
    assert any(line.endswith("bearer token") for line in found)
    # percent-encoded in the URI, in the base64 body and in the JSON body
    assert [line for line in found if "c2VjcmV0" in line] == [
        "leaky.json/Entries[0]/RequestUri: sig='c2VjcmV0'",
        "leaky.json/Entries[0]/ResponseBody: sig='c2VjcmV0'",
        "leaky.json/Entries[1]/ResponseBody/token: sig='c2VjcmV0'",
    ]
    assert recording_secrets_in(clean) == []


def test_there_are_cassettes() -> None:
    assert len(list(CASSETTES.rglob("*.yaml"))) >= 85


@pytest.mark.parametrize("path", cassette_files(), ids=lambda path: str(path.relative_to(TESTS)))
def test_cassette_holds_no_secret(path: Path) -> None:
    assert secrets_in(path) == []


_LEAKY = """\
interactions:
- request:
    body: '{"sasToken": "sv=2021-01-01&sig=c2VjcmV0"}'
    headers:
      Authorization:
      - Bearer eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.payload.signature
    method: POST
    uri: https://host.example/sas/sign?href=https%3A%2F%2Fa.blob.core.windows.net%2Fc%3Fsv%3D1%26sig%3Dabc123
  response:
    body:
      string: !!binary |
        eyJocmVmIjogImh0dHBzOi8vYS9iP3NpZz1sZWFrZWQifQ==
    headers:
      Set-Cookie:
      - session=1
    status: {code: 200, message: OK}
version: 1
"""


def test_the_scan_finds_what_it_looks_for(tmp_path: Path) -> None:
    leaky = tmp_path / "cassettes" / "leaky.yaml"
    leaky.parent.mkdir()
    leaky.write_text(_LEAKY, encoding="utf-8")
    clean = tmp_path / "cassettes" / "clean.yaml"
    clean.write_text(_LEAKY.replace("sig=c2VjcmV0", "sig=REDACTED"), encoding="utf-8")

    assert cassette_files(tmp_path) == [clean, leaky]
    found = "\n".join(secrets_in(leaky))
    assert "Authorization header" in found
    assert "Set-Cookie header" in found
    assert "bearer token" in found
    assert "sig='c2VjcmV0'" in found  # in a JSON body
    assert "sig='abc123'" in found  # percent-encoded inside a query parameter
    assert "sig='leaked'" in found  # inside a binary (base64) body
    assert not any("c2VjcmV0" in line for line in secrets_in(clean))


def test_cassettes_are_current() -> None:
    """Each recording converts to exactly the committed cassette, and no other cassette exists."""
    assert DEFAULT_RECORDINGS.is_dir(), (
        "the recordings the cassettes are made from are part of the repository"
    )
    expected = convert_all(DEFAULT_RECORDINGS, CASSETTES)
    stale = [
        str(path.relative_to(CASSETTES))
        for path, text in expected.items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    ]
    extra = sorted(
        str(path.relative_to(CASSETTES)) for path in set(CASSETTES.rglob("*.yaml")) - set(expected)
    )
    assert stale == [], "re-run python tests/recordings_to_cassettes.py"
    assert extra == [], "cassettes no recording converts to"


def _replayed_cassettes() -> set[str]:
    """The cassette names the contract tests replay (arguments of cassette()/cassette_marks())."""
    names: set[str] = set()
    for module in Path(__file__).parent.glob("test_*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("cassette", "cassette_marks")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                names.add(node.args[0].value)
    return names


def test_every_cassette_is_replayed_by_a_contract_test() -> None:
    cassettes = {str(path.relative_to(CASSETTES).with_suffix("")) for path in CASSETTES.rglob("*.yaml")}
    replayed = _replayed_cassettes()
    assert sorted(cassettes - replayed) == []
    assert sorted(replayed - cassettes) == []
