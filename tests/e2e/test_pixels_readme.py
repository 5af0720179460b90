"""The README subsection "Pixels and storage" runs as written on the local GeoCatalog.

Its python blocks are executed in order, in one namespace, with the stand-in's address in place of
the default ``http://127.0.0.1:8811`` and its Azurite host in place of ``127.0.0.1:10000``.
"""

from __future__ import annotations

import contextlib
import io
import urllib.parse

import pytest
from readme_sections import README, python_blocks
from standin import ENDPOINT, needs_standin

SECTION = "### Pixels and storage"

pytestmark = needs_standin

for _library in ("odc.stac", "stackstac", "adlfs", "obstore"):
    pytest.importorskip(_library)


def section_blocks() -> list[str]:
    return python_blocks(SECTION)


def blob_host() -> str:
    from azure.planetarycomputer import PlanetaryComputerProClient
    from azure.planetarycomputer._endpoint import is_loopback_host

    assert is_loopback_host(urllib.parse.urlsplit(ENDPOINT).hostname or "")
    from _capture import FakeTokenCredential

    with PlanetaryComputerProClient(ENDPOINT, FakeTokenCredential()) as probe:
        href = probe.stac.get_item_collection("sentinel-mini", limit=1).features[0].assets["B04"].href
    return urllib.parse.urlsplit(href).netloc


def test_every_python_block_of_the_subsection_runs() -> None:
    blocks = section_blocks()
    assert len(blocks) == 4  # the client and items, odc-stac, stackstac, adlfs and obstore
    host = blob_host()
    namespace: dict[str, object] = {}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        for block in blocks:
            code = block.replace("http://127.0.0.1:8811", ENDPOINT).replace("127.0.0.1:10000", host)
            exec(compile(code, str(README), "exec"), namespace)
    lines = printed.getvalue().splitlines()
    assert lines[0].startswith("{'latitude': 52, 'longitude': 104, 'time': 2}"), lines
    assert lines[1].startswith("{'time': 2, 'band': 1, 'y': 52, 'x': 104}"), lines
    assert int(lines[0].split()[-1]) > 0 and float(lines[1].split()[-1]) > 0  # real pixel values
    assert "B04.tif" in lines[2] and lines[3] == "b'II*\\x00'", lines  # a listing; a GeoTIFF's first bytes
