"""The README section "Analysis with the STAC tools you know" runs as written on the local GeoCatalog.

Its python blocks are executed in order, in one namespace, in a temporary working directory, with
the stand-in's address in place of the default ``http://127.0.0.1:8811``.
"""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import pytest
from readme_sections import README, python_blocks
from standin import ENDPOINT, needs_standin

SECTION = "## Analysis with the STAC tools you know"

pytestmark = needs_standin


def section_blocks() -> list[str]:
    # The "Pixels and storage" subsection has its own test (tests/e2e/test_pixels_readme.py).
    return python_blocks(SECTION, until="### Pixels and storage")


def test_every_python_block_of_the_section_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = section_blocks()
    assert len(blocks) == 4  # the client, pystac, pystac-client, tables
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        for block in blocks:
            exec(compile(block.replace("http://127.0.0.1:8811", ENDPOINT), str(README), "exec"), namespace)
    output = printed.getvalue()
    assert "proprietary 30" in output  # the collection's license, 30 items
    assert output.count("B04.tif") >= 40  # one line per item of the pystac-client search, and more
    assert (tmp_path / "sentinel-mini.parquet").is_file() and os.listdir(tmp_path) == [
        "sentinel-mini.parquet"
    ]
