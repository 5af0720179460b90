"""samples/stac_tools.py against the local GeoCatalog stand-in: every bridge, end to end.

Real pystac, pystac-client, stac-geoparquet, pyarrow and geopandas, in a separate interpreter.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
from standin import ENDPOINT, needs_standin

ROOT = Path(__file__).resolve().parents[2]

pytestmark = needs_standin


def test_the_stac_tools_sample_runs_every_bridge(tmp_path: Path) -> None:
    command = [
        sys.executable,
        str(ROOT / "samples" / "stac_tools.py"),
        "--endpoint",
        ENDPOINT,
        "--out",
        str(tmp_path),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "pystac.ItemCollection of 25 items" in output
    assert "2. pystac-client: 40 items in 4 pages" in output
    (written,) = tmp_path.glob("*.parquet")
    rows = pq.read_metadata(written).num_rows
    assert f"3. Arrow: {rows} rows" in output and f"GeoDataFrame: {rows} rows, CRS EPSG:4326" in output
