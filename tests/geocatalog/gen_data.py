"""Generate the stand-in's sample data: small Cloud-Optimized GeoTIFFs and STAC records for them.

Writes, under the storage dir (served by the stand-in's /storage route):
  naip-atl/<item>/image.tif           4-band uint8 COGs around Atlanta (ids include the recorded ones)
  sentinel-mini/<item>/B04.tif        1-band uint16 COGs around Seattle
  naip-atl/collection-assets/thumbnail/thumbnail.png
  ingest-samples/naip-extra/...       a static STAC catalog (catalog.json + items) for ingestion runs
and, under the output dir, collections.ndjson and items.ndjson for `pypgstac load`.

usage: gen_data.py STORAGE_DIR OUT_DIR BASE_URL
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import rasterio
from rasterio.errors import NotGeoreferencedWarning
from rasterio.io import MemoryFile
from rasterio.transform import from_bounds

SIZE = 256
STAMP = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
RECORDED_NAIP = {
    "ga_m_3308421_se_16_060_20211114": (-84.44157, 33.621853, -84.370894, 33.690654),
    "ga_m_3308429_nw_16_060_20211114": (-84.504026, 33.559387, -84.43345, 33.628155),
    "ga_m_3308429_sw_16_060_20211114": (-84.504016, 33.496851, -84.433429, 33.565619),
}


def write_cog(path: Path, bounds: tuple, bands: int, dtype: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    data = np.empty((bands, SIZE, SIZE), dtype=dtype)
    scale = 250 if dtype == "uint8" else 4000
    for b in range(bands):
        wave = np.sin((xx + seed * 7 + b * 40) / 23.0) * np.cos((yy + b * 17) / 31.0)
        noise = rng.normal(0, 0.08, (SIZE, SIZE))
        data[b] = np.clip((wave + 1.1 + noise) / 2.3 * scale, 1, scale).astype(dtype)
    profile = {
        "driver": "GTiff",
        "width": SIZE,
        "height": SIZE,
        "count": bands,
        "dtype": dtype,
        "crs": "EPSG:4326",
        "transform": from_bounds(*bounds, SIZE, SIZE),
        "nodata": 0,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with MemoryFile() as mem:
        with mem.open(**profile) as dst:
            dst.write(data)
        with mem.open() as src:
            cog = dict(
                src.profile, driver="COG", compress="DEFLATE", blocksize=256, overview_resampling="average"
            )
            cog.pop("blockxsize", None)
            cog.pop("blockysize", None)
            cog.pop("tiled", None)
            cog.pop("interleave", None)
            with rasterio.open(path, "w", **cog) as dst:
                dst.write(src.read())


def polygon(b: tuple) -> dict:
    minx, miny, maxx, maxy = b
    return {
        "type": "Polygon",
        "coordinates": [[[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy], [minx, miny]]],
    }


def naip_item(item_id: str, bounds: tuple, when: dt.datetime, href: str, cid: str) -> dict:
    return {
        "type": "Feature",
        "_msft:ts": STAMP,
        "_msft:etag": f"seed-{item_id}",
        "stac_version": "1.0.0",
        "stac_extensions": [
            "https://stac-extensions.github.io/eo/v1.0.0/schema.json",
            "https://stac-extensions.github.io/projection/v1.0.0/schema.json",
        ],
        "id": item_id,
        "collection": cid,
        "bbox": list(bounds),
        "geometry": polygon(bounds),
        "properties": {
            "datetime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "gsd": 0.6,
            "naip:year": str(when.year),
            "naip:state": "ga",
            "proj:epsg": 4326,
        },
        "links": [],
        "assets": {
            "image": {
                "href": href,
                "type": "image/tiff; application=geotiff; profile=cloud-optimized",
                "roles": ["data"],
                "title": "RGBIR COG tile",
                "eo:bands": [
                    {"name": "Red", "common_name": "red"},
                    {"name": "Green", "common_name": "green"},
                    {"name": "Blue", "common_name": "blue"},
                    {"name": "NIR", "common_name": "nir", "description": "near-infrared"},
                ],
            }
        },
    }


def collection(
    cid: str, title: str, bbox: list, start: str, item_assets: dict, assets: dict | None = None
) -> dict:
    coll = {
        "type": "Collection",
        "stac_version": "1.0.0",
        "id": cid,
        "title": title,
        "description": f"{title} (sample data of the local GeoCatalog stand-in)",
        "license": "proprietary",
        "extent": {"spatial": {"bbox": [bbox]}, "temporal": {"interval": [[start, None]]}},
        "links": [],
        "item_assets": item_assets,
        "keywords": ["sample", "stand-in"],
        "msft:_created": STAMP,
        "msft:_updated": STAMP,
    }
    if assets:
        coll["assets"] = assets
    return coll


def main() -> None:
    storage, out, base = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3].rstrip("/")
    out.mkdir(parents=True, exist_ok=True)
    items: list[dict] = []

    # naip-atl: recorded ids plus a 12 x 14 grid
    naip: dict[str, tuple] = dict(RECORDED_NAIP)
    step = 0.07
    for i in range(12):
        for j in range(14):
            minx, miny = -84.9 + j * step, 33.2 + i * step
            naip[f"ga_m_sample_{i:02d}_{j:02d}"] = (
                round(minx, 6),
                round(miny, 6),
                round(minx + step, 6),
                round(miny + step, 6),
            )
    for n, (item_id, bounds) in enumerate(sorted(naip.items())):
        when = dt.datetime(2019 + n % 5, 1 + n % 12, 1 + n % 27, 16, 0, tzinfo=dt.timezone.utc)
        if item_id in RECORDED_NAIP:
            when = dt.datetime(2021, 11, 14, 16, 0, tzinfo=dt.timezone.utc)
        rel = f"naip-atl/{item_id}/image.tif"
        write_cog(storage / rel, bounds, 4, "uint8", n)
        items.append(naip_item(item_id, bounds, when, f"{base}/storage/{rel}", "naip-atl"))

    # sentinel-mini: 1-band uint16 on a 10 x 12 grid
    for i in range(10):
        for j in range(12):
            minx, miny = -122.6 + j * 0.1, 47.2 + i * 0.1
            bounds = (round(minx, 6), round(miny, 6), round(minx + 0.1, 6), round(miny + 0.1, 6))
            item_id = f"S2_MINI_{i:02d}_{j:02d}"
            rel = f"sentinel-mini/{item_id}/B04.tif"
            write_cog(storage / rel, bounds, 1, "uint16", 1000 + i * 12 + j)
            when = dt.datetime(2023, 1 + (i + j) % 12, 1 + j, 19, 0, tzinfo=dt.timezone.utc)
            items.append(
                {
                    "type": "Feature",
                    "stac_version": "1.0.0",
                    "id": item_id,
                    "_msft:ts": STAMP,
                    "_msft:etag": f"seed-{item_id}",
                    "collection": "sentinel-mini",
                    "bbox": list(bounds),
                    "geometry": polygon(bounds),
                    "properties": {
                        "datetime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "eo:cloud_cover": (i * 7 + j) % 100,
                        "platform": "sentinel-2a",
                    },
                    "links": [],
                    "assets": {
                        "B04": {
                            "href": f"{base}/storage/{rel}",
                            "type": "image/tiff; application=geotiff; profile=cloud-optimized",
                            "roles": ["data"],
                            "title": "Red band",
                        },
                    },
                }
            )

    # collection thumbnail (a plain PNG: no georeferencing)
    warnings.filterwarnings("ignore", category=NotGeoreferencedWarning)
    thumb_rel = "naip-atl/collection-assets/thumbnail/thumbnail.png"
    (storage / thumb_rel).parent.mkdir(parents=True, exist_ok=True)
    rgb = (np.indices((3, 64, 96)).sum(axis=0) * 3 % 255).astype("uint8")
    with rasterio.open(
        storage / thumb_rel, "w", driver="PNG", width=96, height=64, count=3, dtype="uint8"
    ) as dst:
        dst.write(rgb)

    cogs_type = "image/tiff; application=geotiff; profile=cloud-optimized"
    collections = [
        collection(
            "naip-atl",
            "NAIP Test Dataset",
            [-84.9, 33.2, -83.92, 34.04],
            "2019-01-01T00:00:00Z",
            {"image": {"type": cogs_type, "roles": ["data"], "title": "RGBIR COG tile"}},
            {
                "thumbnail": {
                    "href": f"{base}/storage/{thumb_rel}",
                    "type": "image/png",
                    "roles": ["thumbnail"],
                    "title": "NAIP thumbnail",
                }
            },
        ),
        collection(
            "sentinel-mini",
            "Sentinel-2 mini",
            [-122.6, 47.2, -121.4, 48.2],
            "2023-01-01T00:00:00Z",
            {"B04": {"type": cogs_type, "roles": ["data"], "title": "Red band"}},
        ),
    ]

    # a static catalog on disk for ingestion runs (items not in the seed)
    cat_dir = storage / "ingest-samples" / "naip-extra"
    links = [{"rel": "root", "href": "./catalog.json", "type": "application/json"}]
    for k in range(5):
        bounds = (-84.2 + k * 0.05, 34.1, -84.15 + k * 0.05, 34.15)
        item_id = f"ga_m_ingested_{k}"
        rel = f"ingest-samples/naip-extra/{item_id}/image.tif"
        write_cog(storage / rel, bounds, 4, "uint8", 500 + k)
        item = naip_item(
            item_id,
            bounds,
            dt.datetime(2022, 6, 1 + k, tzinfo=dt.timezone.utc),
            f"{base}/storage/{rel}",
            "naip-atl",
        )
        (cat_dir / item_id).mkdir(parents=True, exist_ok=True)
        (cat_dir / item_id / f"{item_id}.json").write_text(json.dumps(item))
        links.append({"rel": "item", "href": f"./{item_id}/{item_id}.json", "type": "application/json"})
    (cat_dir / "catalog.json").write_text(
        json.dumps(
            {
                "type": "Catalog",
                "stac_version": "1.0.0",
                "id": "naip-extra",
                "description": "Sample static catalog",
                "links": links,
            }
        )
    )

    (out / "collections.ndjson").write_text("".join(json.dumps(c) + "\n" for c in collections))
    (out / "items.ndjson").write_text("".join(json.dumps(i) + "\n" for i in items))
    print(f"{len(collections)} collections, {len(items)} items")


if __name__ == "__main__":
    main()
