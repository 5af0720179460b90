"""No secret in any cassette under tests/; the cassettes are what the converter makes of the recordings.

Every cassette (each ``.yaml``/``.yml``/``.json`` file in a ``cassettes`` folder, and each vcrpy YAML
cassette anywhere else under tests/) is parsed and each string in it -- URIs, header names and values,
bodies, binary bodies included -- is searched for an ``Authorization`` header, a bearer token or a SAS
signature (``sig=``/``sig%3D``) whose value is anything but ``REDACTED``.
"""

from __future__ import annotations

import ast
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
    if not DEFAULT_RECORDINGS.is_dir():
        pytest.skip(f"no recordings at {DEFAULT_RECORDINGS} to compare the cassettes with")
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
