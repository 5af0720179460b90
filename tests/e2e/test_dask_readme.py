"""The README section "Dask" runs as written on the local GeoCatalog, as a script (worker processes
import it), with the stand-in's addresses in place of the defaults."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from readme_sections import python_blocks
from standin import ENDPOINT, needs_standin

SECTION = "## Dask"

pytestmark = needs_standin


def section_blocks() -> list[str]:
    return python_blocks(SECTION)


def test_the_dask_example_runs(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    pytest.importorskip("odc.stac")
    (block,) = section_blocks()
    blob_host = f"127.0.0.1:{os.environ.get('GEOCATALOG_BLOB_PORT', '10000')}"
    script = tmp_path / "dask_example.py"
    script.write_text(block.replace("http://127.0.0.1:8811", ENDPOINT).replace("127.0.0.1:10000", blob_host))
    result = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert lines[0] == "12 partitions"
    assert lines[1] == "120 items; (120, 2)"
    assert lines[2] == "120 hrefs, 120 items downloaded, 0 failed"
    assert len(list((tmp_path / "assets" / "sentinel-mini").glob("*/B04.tif"))) == 120
    assert "sig=" not in result.stdout + result.stderr
    sizes, maximum = lines[3].rsplit(" ", 1)
    assert "'x': 250" in sizes or "'longitude': 250" in sizes
    assert int(maximum) > 0
