"""The README's main job (samples/main_job.py) against the local GeoCatalog stand-in.

Real requests, real responses, real files: collections, a search across pages, the tiles covering
an item downloaded with a progress bar (and a re-run that skips them), point values, statistics,
signing and an asset download.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENDPOINT = os.environ.get("GEOCATALOG_ENDPOINT", "http://127.0.0.1:8811").rstrip("/")


def _reachable() -> bool:
    request = urllib.request.Request(f"{ENDPOINT}/stac", headers={"Authorization": "Bearer probe"})
    try:
        with urllib.request.urlopen(request, timeout=3) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


STANDIN_UP = _reachable()
if not STANDIN_UP and os.environ.get("GEOCATALOG_REQUIRED") == "1":
    raise RuntimeError(f"GEOCATALOG_REQUIRED=1 but the GeoCatalog stand-in is not reachable at {ENDPOINT}")

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not STANDIN_UP, reason=f"GeoCatalog stand-in not reachable at {ENDPOINT}"),
]


def run_main_job(out: Path) -> str:
    script = ROOT / "samples" / "main_job.py"
    command = [sys.executable, str(script), "--endpoint", ENDPOINT, "--out", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sig=" not in result.stdout + result.stderr
    return result.stdout


def test_main_job_writes_tiles_and_an_asset_and_resumes(tmp_path: Path) -> None:
    first = run_main_job(tmp_path)
    tiles = sorted((tmp_path / "tiles").rglob("*.png"))
    assert tiles, first
    assert all(path.read_bytes().startswith(b"\x89PNG") for path in tiles)
    assert f"{len(tiles)} fetched, 0 already there" in first
    assert "pages" in first and "values at" in first and "mean" in first
    (asset,) = tmp_path.glob("*.tif")
    assert asset.stat().st_size > 0

    second = run_main_job(tmp_path)
    assert f"0 fetched, {len(tiles)} already there" in second
