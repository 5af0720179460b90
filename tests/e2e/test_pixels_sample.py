"""samples/pixels.py against the local GeoCatalog stand-in: odc-stac and stackstac read the same pixels
of signed COGs, and adlfs and obstore list and read the collection's container."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from standin import ENDPOINT, needs_standin

ROOT = Path(__file__).resolve().parents[2]

pytestmark = needs_standin

for _library in ("odc.stac", "stackstac", "adlfs", "obstore"):
    pytest.importorskip(_library)


def test_the_pixels_sample_runs_end_to_end() -> None:
    script = ROOT / "samples" / "pixels.py"
    result = subprocess.run(
        [sys.executable, str(script), "--endpoint", ENDPOINT],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "sig=" not in output
    assert "1. 2 items of sentinel-mini" in result.stdout
    assert "same pixels as odc-stac: True" in result.stdout
    assert "as adlfs reads them: True" in result.stdout
    assert "b'II*\\x00'" in result.stdout  # a GeoTIFF's first bytes, read by obstore
