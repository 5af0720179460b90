"""Which library converts search results to Arrow/GeoParquet: stac-geoparquet or rustac.

The choice behind ``azure.planetarycomputer._bridges._tables``. On the items recorded from a live
GeoCatalog (read through tests/_capture.py's ``shared_path``), for each library:

* fidelity: the items converted to Arrow and back, compared with the source (fields lost or changed,
  ignoring null fields the Arrow schema adds to items that lack them);
* speed: the median time to convert ``--items`` copies of them to an Arrow table (the export's
  direction; reading back is not part of an export).

    pip install stac-geoparquet rustac arro3-core
    python benchmarks/geoparquet_libraries.py [--items 3000] [--reps 5]
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from _capture import shared_path


def recorded_items() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for path in sorted(shared_path("recordings").glob("*.json")):
        for entry in json.loads(path.read_text())["Entries"]:
            body = entry["ResponseBody"]
            if isinstance(body, dict):
                items += [f for f in body.get("features") or [] if isinstance(f, dict)]
                if body.get("type") == "Feature":
                    items.append(body)
    return [item for item in items if "stac_version" in item]


def differences(source: Any, back: Any, path: str = "") -> list[str]:
    if isinstance(source, dict) and isinstance(back, dict):
        found = []
        for key in source.keys() | back.keys():
            if key not in back or (back.get(key) is None and source.get(key) is not None):
                found.append(f"{path}{key}: lost")
            elif key not in source:
                if back[key] is not None:
                    found.append(f"{path}{key}: added")
            else:
                found += differences(source[key], back[key], f"{path}{key}.")
        return found
    if isinstance(source, (list, tuple)) and isinstance(back, (list, tuple)) and len(source) == len(back):
        return [d for s, b in zip(source, back) for d in differences(s, b, path)]
    return [] if source == back else [f"{path.rstrip('.')}: {source!r:.40} -> {back!r:.40}"]


def stac_geoparquet_to_arrow(items: list[dict[str, Any]]) -> Any:
    import stac_geoparquet.arrow

    return stac_geoparquet.arrow.parse_stac_items_to_arrow(items, schema="FullFile").read_all()


def stac_geoparquet_from_arrow(table: Any) -> list[dict[str, Any]]:
    import stac_geoparquet.arrow

    return list(stac_geoparquet.arrow.stac_table_to_items(table))


def rustac_to_arrow(items: list[dict[str, Any]]) -> Any:
    import pyarrow
    import rustac

    return pyarrow.table(rustac.to_arrow(items))


def rustac_from_arrow(table: Any) -> list[dict[str, Any]]:
    import rustac

    back = rustac.from_arrow(table)
    return list(back["features"] if isinstance(back, dict) else back)


def measure(
    name: str,
    to_arrow: Callable[[list[dict[str, Any]]], Any],
    from_arrow: Callable[[Any], list[dict[str, Any]]],
    items: list[dict[str, Any]],
    count: int,
    reps: int,
) -> None:
    try:
        back = from_arrow(to_arrow(copy.deepcopy(items)))
    except ImportError as error:
        print(f"{name}: not installed ({error})")
        return
    lost = sorted({d for source, item in zip(items, back) for d in differences(source, item)})
    many = [dict(copy.deepcopy(items[i % len(items)]), id=f"item-{i}") for i in range(count)]
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        to_arrow(many)
        times.append(time.perf_counter() - start)
    print(f"{name}: {count} items to an Arrow table, median {statistics.median(times):.3f} s")
    print("   differences: " + ("none" if not lost else "; ".join(lost[:12])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=3000)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    items = recorded_items()
    print(f"{len(items)} recorded items")
    measure(
        "stac-geoparquet", stac_geoparquet_to_arrow, stac_geoparquet_from_arrow, items, args.items, args.reps
    )
    measure("rustac", rustac_to_arrow, rustac_from_arrow, items, args.items, args.reps)


if __name__ == "__main__":
    main()
