"""Load a large synthetic collection into the local GeoCatalog stand-in (run with the stand-in's python).

usage: seed.py OUT_DIR COLLECTION_ID COUNT

Writes collection.ndjson and items.ndjson under OUT_DIR, then loads them with pypgstac (the stand-in's
venv), which is far faster than the STAC API. Connection settings come from PGHOST/PGPORT/... .
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path


def item(collection_id: str, n: int, side: int) -> dict:
    i, j = divmod(n, side)
    step = 0.01
    minx, miny = round(-100.0 + j * step, 6), round(30.0 + i * step, 6)
    maxx, maxy = round(minx + step, 6), round(miny + step, 6)
    when = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(hours=n)
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": f"bench-{n:06d}",
        "collection": collection_id,
        "bbox": [minx, miny, maxx, maxy],
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy], [minx, miny]]],
        },
        "properties": {"datetime": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "eo:cloud_cover": n % 100},
        "links": [],
        "assets": {
            "data": {
                "href": f"https://example.invalid/{collection_id}/{n}.tif",
                "type": "image/tiff; application=geotiff; profile=cloud-optimized",
                "roles": ["data"],
            }
        },
    }


def main() -> None:
    out, collection_id, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    out.mkdir(parents=True, exist_ok=True)
    side = 200
    collection = {
        "type": "Collection",
        "stac_version": "1.0.0",
        "id": collection_id,
        "title": "Benchmark items",
        "description": "Synthetic small items for the benchmarks (benchmarks/seed.py)",
        "license": "proprietary",
        "extent": {
            "spatial": {"bbox": [[-100.0, 30.0, -100.0 + side * 0.01, 30.0 + (count // side + 1) * 0.01]]},
            "temporal": {"interval": [["2020-01-01T00:00:00Z", None]]},
        },
        "links": [],
    }
    (out / "collection.ndjson").write_text(json.dumps(collection) + "\n")
    with open(out / "items.ndjson", "w") as f:
        for n in range(count):
            f.write(json.dumps(item(collection_id, n, side), separators=(",", ":")) + "\n")
    pypgstac = str(Path(sys.executable).with_name("pypgstac"))
    env = dict(os.environ)
    subprocess.run(
        [pypgstac, "load", "collections", str(out / "collection.ndjson"), "--method", "upsert"],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(
        [pypgstac, "load", "items", str(out / "items.ndjson"), "--method", "insert_ignore"],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    print(f"loaded {count} items into {collection_id}")


if __name__ == "__main__":
    main()
