"""The README's main job (samples/main_job.py) against the local GeoCatalog stand-in.

Real requests, real responses, real files: collections, a search across pages, the tiles covering
an item downloaded with a progress bar (and a re-run that skips them), point values, statistics,
signing and an asset download.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from standin import ENDPOINT, needs_standin

ROOT = Path(__file__).resolve().parents[2]


pytestmark = needs_standin


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
    assert "5. sign(item):" in first and "downloaded" in first
    (asset,) = tmp_path.glob("*.tif")
    assert asset.stat().st_size > 0

    second = run_main_job(tmp_path)
    assert f"0 fetched, {len(tiles)} already there" in second
