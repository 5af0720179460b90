"""Smoke run of benchmarks/run.py at tiny sizes: the code paths work; no speed is asserted.

Skipped when the GeoCatalog stand-in is not reachable at GEOCATALOG_ENDPOINT (default
http://127.0.0.1:8811), unless GEOCATALOG_REQUIRED=1: then an unreachable stand-in fails. Does not need
the peers venv (benchmarks/.venv-peers): the peers are measured when it exists, skipped otherwise.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from standin import needs_standin

RUN_PY = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"


pytestmark = needs_standin


def _load_run() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchmarks_run", RUN_PY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("peers", [False, True], ids=["ours-only", "with-peers-if-installed"])
def test_benchmarks_smoke(peers: bool) -> None:
    bench = _load_run()
    report: dict[str, Any] = bench.run(
        quick=True,
        reps=1,
        peers=peers,  # used only if benchmarks/.venv-peers already exists; never created in quick mode
        search_sizes=[(200, 100)],  # 200 items, 2 pages, of the stand-in's sample collections
        collections=["naip-atl", "sentinel-mini"],
        max_tiles=4,
        stream_mb=4,
        s2_collection="sentinel-mini",  # the realistic reads, on the stand-in's sample items
        s2_items=5,
        memory_counts=[300, 1_500],
        setup=False,
        write=False,
    )
    groups = [s["group"] for s in report["scenarios"]]
    assert groups == [
        "search",
        "search-s2",
        "import",
        "tiles",
        "aio-search",
        "aio-tiles",
        "memory",
        "memory",
        "stream",
    ]
    search, s2, imports, tiles, aio_search, aio_tiles, memory_small, memory_large, stream = report[
        "scenarios"
    ]
    for name, med in s2["medians"].items():
        assert med["items"] == 5 and med["assets_read"] > 0, name
    assert len({med["assets_read"] for med in s2["medians"].values()}) == 1  # every client read the same
    assert all(med["items"] == 200 for med in aio_search["medians"].values())
    aio_counts = {name: med["tiles"] for name, med in aio_tiles["medians"].items()}
    assert aio_counts["ours"] >= 4 and len(set(aio_counts.values())) == 1, aio_counts
    assert memory_small["medians"]["ours"]["items"] == 300
    assert memory_large["medians"]["ours"]["items"] == 1_500
    assert memory_large["medians"]["ours"]["maxrss_mb"] > 0
    for name, med in search["medians"].items():
        assert med["items"] == 200, name
        assert med["wall_s"] > 0 and med["cpu_s"] >= 0
    assert "ours" in imports["medians"] and imports["medians"]["ours"]["import_s"] > 0
    counts = {name: med["tiles"] for name, med in tiles["medians"].items()}
    assert counts["ours"] >= 4 and len(set(counts.values())) == 1, counts
    assert all(med["bytes"] > 0 for med in tiles["medians"].values())
    assert all(med["bytes"] == 4 << 20 for med in stream["medians"].values())
    markdown = bench.markdown(report)
    assert "| ours |" in markdown and "CPUs" in markdown
    if not peers:
        assert set(search["medians"]) == {"ours"}
