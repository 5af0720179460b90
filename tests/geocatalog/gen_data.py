"""Generate the stand-in's sample data and put it where the service keeps it: in blob storage (Azurite).

Uploads, into each collection's managed container ``<collection>-<8 hex>`` (see blobstore.py):
  naip-atl       171 items (incl. the recorded ids): 4-band uint8 RGBIR COG, thumbnail, metadata JSON
  sentinel-mini  120 items: separate B02/B03/B04/B08 uint16 band COGs, a visual RGB COG, thumbnail, metadata
  landsat-mini   24 items: red/green/blue/nir08 band COGs, thumbnail, metadata
  dem-mini       12 items: 1-band float32 elevation COG
  lulc-mini      12 items: 1-band classified uint8 COG (classification extension)
plus the collections' thumbnails, and an ingestion source container ``ingest-samples`` holding a static
STAC catalog (with broken items) and a stac-geoparquet file (written with rustac) for ingestion runs.
Writes collections.ndjson and items.ndjson under OUT_DIR for `pypgstac load`.

usage: gen_data.py OUT_DIR
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache, partial
from pathlib import Path
from typing import Any, Callable, Union

import blobstore
import numpy as np
from rasterio.errors import NotGeoreferencedWarning
from rasterio.io import MemoryFile
from rasterio.transform import from_bounds

SIZE = 256
STAMP = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
COG = "image/tiff; application=geotiff; profile=cloud-optimized"
INGEST_CONTAINER = "ingest-samples"
RECORDED_NAIP = {
    "ga_m_3308421_se_16_060_20211114": (-84.44157, 33.621853, -84.370894, 33.690654),
    "ga_m_3308429_nw_16_060_20211114": (-84.504026, 33.559387, -84.43345, 33.628155),
    "ga_m_3308429_sw_16_060_20211114": (-84.504016, 33.496851, -84.433429, 33.565619),
}
warnings.filterwarnings("ignore", category=NotGeoreferencedWarning)
Content = Union[bytes, Callable[[], bytes]]
uploads: list[tuple[str, str, Content, str]] = []


def put(container: str, blob: str, data: Content, content_type: str) -> str:
    """Queue an upload (``data`` may be a function making the bytes, run in the upload pool: COG
    encoding is most of the seed's time); return the blob URL the records point at."""
    uploads.append((container, blob, data, content_type))
    return blobstore.blob_url(container, blob)


def send(upload: tuple[str, str, Content, str]) -> None:
    container, blob, data, content_type = upload
    blobstore.upload(container, blob, data() if callable(data) else data, content_type)


def cog_bytes(bounds: tuple, bands: int, dtype: str, seed: int, classes: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    data = np.empty((bands, SIZE, SIZE), dtype=dtype)
    scale = {"uint8": 250, "uint16": 4000, "float32": 1800}[dtype]
    for b in range(bands):
        wave = np.sin((xx + seed * 7 + b * 40) / 23.0) * np.cos((yy + b * 17) / 31.0)
        noise = rng.normal(0, 0.08, (SIZE, SIZE))
        values = np.clip((wave + 1.1 + noise) / 2.3 * scale, 1, scale)
        if classes:
            values = 1 + (values / scale * classes).astype(int) % classes
        data[b] = values.astype(dtype)
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
    with MemoryFile() as mem:
        with mem.open(**profile) as dst:
            dst.write(data)
        with mem.open() as src:
            cog = dict(
                src.profile, driver="COG", compress="DEFLATE", blocksize=256, overview_resampling="average"
            )
            for key in ("blockxsize", "blockysize", "tiled", "interleave"):
                cog.pop(key, None)
            with MemoryFile() as out:
                with out.open(**cog) as dst:
                    dst.write(src.read())
                return bytes(out.read())


@lru_cache(maxsize=64)
def picture_bytes(seed: int, driver: str = "PNG") -> bytes:
    rgb = ((np.indices((3, 64, 96)).sum(axis=0) * (3 + seed % 5)) % 255).astype("uint8")
    with MemoryFile() as mem:
        with mem.open(driver=driver, width=96, height=64, count=3, dtype="uint8") as dst:
            dst.write(rgb)
        return bytes(mem.read())


def polygon(b: tuple) -> dict:
    minx, miny, maxx, maxy = b
    return {
        "type": "Polygon",
        "coordinates": [[[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy], [minx, miny]]],
    }


def proj_fields(bounds: tuple) -> dict:
    minx, miny, maxx, maxy = bounds
    return {
        "proj:epsg": 4326,
        "proj:bbox": list(bounds),
        "proj:shape": [SIZE, SIZE],
        "proj:transform": [(maxx - minx) / SIZE, 0.0, minx, 0.0, -(maxy - miny) / SIZE, maxy, 0.0, 0.0, 1.0],
    }


EXTENSIONS = [
    "https://stac-extensions.github.io/eo/v1.1.0/schema.json",
    "https://stac-extensions.github.io/projection/v1.1.0/schema.json",
    "https://stac-extensions.github.io/raster/v1.1.0/schema.json",
]
BAND_INFO = {
    "red": {"name": "Red", "common_name": "red", "center_wavelength": 0.665},
    "green": {"name": "Green", "common_name": "green", "center_wavelength": 0.56},
    "blue": {"name": "Blue", "common_name": "blue", "center_wavelength": 0.49},
    "nir": {"name": "NIR", "common_name": "nir", "description": "near-infrared", "center_wavelength": 0.842},
}


def raster_band(dtype: str, gsd: float, **extra: Any) -> dict:
    return {"data_type": dtype, "nodata": 0, "spatial_resolution": gsd, **extra}


def item_record(
    cid: str, item_id: str, bounds: tuple, when: dt.datetime, properties: dict, assets: dict
) -> dict:
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "stac_extensions": EXTENSIONS,
        "id": item_id,
        "collection": cid,
        "bbox": list(bounds),
        "geometry": polygon(bounds),
        "properties": {"datetime": when.strftime("%Y-%m-%dT%H:%M:%SZ"), **proj_fields(bounds), **properties},
        "links": [],
        "assets": assets,
        "_msft:ts": STAMP,
        "_msft:etag": f"seed-{item_id}",
    }


def common_assets(container: str, item_id: str, n: int, meta: dict) -> dict:
    """Thumbnail and metadata JSON, as real items carry besides their data."""
    return {
        "thumbnail": {
            "href": put(container, f"{item_id}/thumbnail.jpg", picture_bytes(n % 5, "JPEG"), "image/jpeg"),
            "type": "image/jpeg",
            "roles": ["thumbnail"],
            "title": "Thumbnail",
        },
        "metadata": {
            "href": put(container, f"{item_id}/metadata.json", json.dumps(meta).encode(), "application/json"),
            "type": "application/json",
            "roles": ["metadata"],
            "title": "Scene metadata",
        },
    }


def tilejson(item_id: str, bounds: tuple) -> bytes:
    return json.dumps(
        {
            "tilejson": "2.2.0",
            "name": item_id,
            "bounds": list(bounds),
            "minzoom": 12,
            "maxzoom": 18,
            "tiles": [],
        }
    ).encode()


def naip_item(item_id: str, bounds: tuple, when: dt.datetime, container: str, n: int) -> dict:
    image = put(container, f"{item_id}/image.tif", partial(cog_bytes, bounds, 4, "uint8", n), COG)
    assets = {
        "image": {
            "href": image,
            "type": COG,
            "roles": ["data"],
            "title": "RGBIR COG tile",
            "eo:bands": [BAND_INFO[b] for b in ("red", "green", "blue", "nir")],
            "raster:bands": [raster_band("uint8", 0.6) for _ in range(4)],
        },
        **common_assets(container, item_id, n, {"id": item_id, "state": "ga", "resolution_m": 0.6}),
        "tilejson": {
            "href": put(container, f"{item_id}/tilejson.json", tilejson(item_id, bounds), "application/json"),
            "type": "application/json",
            "roles": ["tiles"],
            "title": "TileJSON with default rendering",
        },
        "rendered_preview": {
            "href": put(
                container, f"{item_id}/rendered_preview.png", picture_bytes((n + 1) % 5), "image/png"
            ),
            "rel": "preview",
            "type": "image/png",
            "roles": ["overview"],
            "title": "Rendered preview",
        },
    }
    props = {
        "gsd": 0.6,
        "naip:year": str(when.year),
        "naip:state": "ga",
        "platform": "naip",
        "constellation": "naip",
        "providers": [
            {
                "name": "USDA Farm Service Agency",
                "roles": ["producer", "licensor"],
                "url": "https://www.fsa.usda.gov",
            }
        ],
    }
    return item_record("naip-atl", item_id, bounds, when, props, assets)


def band_assets(
    container: str, item_id: str, bounds: tuple, n: int, bands: dict, dtype: str, gsd: float
) -> dict:
    assets = {}
    for k, (key, common) in enumerate(bands.items()):
        href = put(container, f"{item_id}/{key}.tif", partial(cog_bytes, bounds, 1, dtype, n * 10 + k), COG)
        assets[key] = {
            "href": href,
            "type": COG,
            "roles": ["data"],
            "title": f"{BAND_INFO[common]['name']} band",
            "eo:bands": [dict(BAND_INFO[common], name=key)],
            "raster:bands": [raster_band(dtype, gsd, scale=0.0001, offset=0)],
            "gsd": gsd,
        }
    return assets


def naip_catalog(container: str, items: list[dict]) -> None:
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
        items.append(naip_item(item_id, bounds, when, container, n))


def sentinel_catalog(container: str, items: list[dict]) -> None:
    bands = {"B02": "blue", "B03": "green", "B04": "red", "B08": "nir"}
    for i in range(10):
        for j in range(12):
            minx, miny = -122.6 + j * 0.1, 47.2 + i * 0.1
            bounds = (round(minx, 6), round(miny, 6), round(minx + 0.1, 6), round(miny + 0.1, 6))
            item_id = f"S2_MINI_{i:02d}_{j:02d}"
            n = 1000 + i * 12 + j
            when = dt.datetime(2023, 1 + (i + j) % 12, 1 + j, 19, 0, tzinfo=dt.timezone.utc)
            cloud = (i * 7 + j) % 100
            assets = band_assets(container, item_id, bounds, n, bands, "uint16", 10.0)
            assets["visual"] = {
                "href": put(
                    container, f"{item_id}/visual.tif", partial(cog_bytes, bounds, 3, "uint8", n), COG
                ),
                "type": COG,
                "roles": ["visual"],
                "title": "True color image",
                "eo:bands": [BAND_INFO[b] for b in ("red", "green", "blue")],
                "raster:bands": [raster_band("uint8", 10.0) for _ in range(3)],
            }
            assets.update(common_assets(container, item_id, n, {"id": item_id, "cloud": cloud}))
            props = {
                "gsd": 10.0,
                "platform": "sentinel-2a" if (i + j) % 2 else "sentinel-2b",
                "constellation": "sentinel-2",
                "instruments": ["msi"],
                "eo:cloud_cover": cloud,
                "s2:mgrs_tile": f"10T{chr(ord('A') + i)}{chr(ord('A') + j)}",
            }
            items.append(item_record("sentinel-mini", item_id, bounds, when, props, assets))


def landsat_catalog(container: str, items: list[dict]) -> None:
    bands = {"red": "red", "green": "green", "blue": "blue", "nir08": "nir"}
    for i in range(4):
        for j in range(6):
            minx, miny = -105.3 + j * 0.2, 39.5 + i * 0.2
            bounds = (round(minx, 6), round(miny, 6), round(minx + 0.2, 6), round(miny + 0.2, 6))
            item_id = f"LC09_MINI_{i:02d}_{j:02d}"
            n = 3000 + i * 6 + j
            when = dt.datetime(2022, 1 + (2 * i + j) % 12, 3 + j, 17, 30, tzinfo=dt.timezone.utc)
            assets = band_assets(container, item_id, bounds, n, bands, "uint16", 30.0)
            assets.update(common_assets(container, item_id, n, {"id": item_id, "path": 33, "row": 32 + i}))
            props = {
                "gsd": 30.0,
                "platform": "landsat-9",
                "instruments": ["oli", "tirs"],
                "eo:cloud_cover": round((i * 13 + j * 7) % 60 + 0.5, 1),
                "landsat:wrs_path": "033",
                "landsat:wrs_row": f"{32 + i:03d}",
            }
            items.append(item_record("landsat-mini", item_id, bounds, when, props, assets))


def single_band_catalog(cid: str, prefix: str, container: str, items: list[dict], kind: str) -> None:
    for k in range(12):
        minx, miny = -120.0 + (k % 4) * 0.25, 36.0 + (k // 4) * 0.25
        bounds = (minx, miny, minx + 0.25, miny + 0.25)
        item_id = f"{prefix}_{k:02d}"
        n = 5000 + k
        if kind == "dem":
            data = partial(cog_bytes, bounds, 1, "float32", n)
            asset = {
                "title": "Elevation",
                "raster:bands": [raster_band("float32", 30.0, unit="metre")],
                "roles": ["data"],
            }
            props = {"gsd": 30.0, "platform": "tandem-x", "instruments": ["sar"]}
            when = dt.datetime(2021, 1, 1, tzinfo=dt.timezone.utc)
        else:
            data = partial(cog_bytes, bounds, 1, "uint8", n, classes=9)
            asset = {
                "title": "Land cover class",
                "raster:bands": [raster_band("uint8", 10.0)],
                "classification:classes": [
                    {"value": v, "description": d}
                    for v, d in enumerate(
                        [
                            "no data",
                            "water",
                            "trees",
                            "grass",
                            "flooded vegetation",
                            "crops",
                            "scrub",
                            "built area",
                            "bare ground",
                            "snow",
                        ]
                    )
                ],
                "roles": ["data"],
            }
            props = {"gsd": 10.0, "platform": "sentinel-2", "io:supercell_id": f"10S{k:02d}"}
            when = dt.datetime(2022 + k % 2, 1, 1, tzinfo=dt.timezone.utc)
        href = put(container, f"{item_id}/data.tif", data, COG)
        assets = {"data": {"href": href, "type": COG, **asset}}
        items.append(item_record(cid, item_id, bounds, when, props, assets))


def collection(cid: str, title: str, bbox: list, start: str, item_assets: dict, summaries: dict) -> dict:
    container = blobstore.container_for(cid)
    thumb = put(container, "collection-assets/thumbnail/thumbnail.png", picture_bytes(len(cid)), "image/png")
    return {
        "type": "Collection",
        "stac_version": "1.0.0",
        "stac_extensions": [
            "https://stac-extensions.github.io/item-assets/v1.0.0/schema.json",
            "https://stac-extensions.github.io/raster/v1.1.0/schema.json",
        ],
        "id": cid,
        "title": title,
        "description": f"{title} (sample data of the local GeoCatalog stand-in)",
        "license": "proprietary",
        "extent": {"spatial": {"bbox": [bbox]}, "temporal": {"interval": [[start, None]]}},
        "links": [],
        "item_assets": item_assets,
        "summaries": summaries,
        "keywords": ["sample", "stand-in"],
        "providers": [{"name": "GeoCatalog stand-in", "roles": ["host", "processor"]}],
        "assets": {
            "thumbnail": {
                "href": thumb,
                "type": "image/png",
                "roles": ["thumbnail"],
                "title": "Collection Thumbnail",
                "description": f"Thumbnail of {title}",
            }
        },
        "msft:_created": STAMP,
        "msft:_updated": STAMP,
        "msft:short_description": title,
    }


def ingestion_samples(items_by_collection: dict[str, list[dict]]) -> None:
    """A static catalog with 5 good and 3 broken items, and a stac-geoparquet file of 4 items, in a
    container of their own (an ingestion source, not a collection container)."""
    links: list[dict] = [{"rel": "root", "href": "./catalog.json", "type": "application/json"}]
    base = "naip-extra"
    for k in range(5):
        bounds = (-84.2 + k * 0.05, 34.1, -84.15 + k * 0.05, 34.15)
        item_id = f"ga_m_ingested_{k}"
        item = naip_item(
            item_id, bounds, dt.datetime(2022, 6, 1 + k, tzinfo=dt.timezone.utc), INGEST_CONTAINER, 500 + k
        )
        # a source catalog refers to its assets relatively, like catalogs made with pystac
        moved = {}
        for key, asset in item["assets"].items():
            blob = blobstore.parse_blob_url(asset["href"])
            assert blob is not None
            data = next(u[2] for u in uploads if u[0] == INGEST_CONTAINER and u[1] == blob[1])
            put(INGEST_CONTAINER, f"{base}/{blob[1]}", data, "application/octet-stream")
            moved[key] = dict(asset, href=f"./{blob[1].split('/', 1)[1]}")
        item["assets"] = moved
        uploads[:] = [u for u in uploads if not (u[0] == INGEST_CONTAINER and u[1].startswith(item_id + "/"))]
        for key in ("_msft:ts", "_msft:etag", "collection"):
            item.pop(key)
        put(
            INGEST_CONTAINER,
            f"{base}/{item_id}/{item_id}.json",
            json.dumps(item).encode(),
            "application/json",
        )
        links.append({"rel": "item", "href": f"./{item_id}/{item_id}.json", "type": "application/json"})
    broken = {
        "ga_m_broken_no_geometry": lambda it: it.pop("geometry"),
        "ga_m_broken_missing_asset": lambda it: it["assets"]["image"].update(
            href="./ga_m_broken_missing_asset/gone.tif"
        ),
    }
    for n, (item_id, breaks) in enumerate(broken.items()):
        bounds = (-84.2 + n * 0.05, 34.2, -84.15 + n * 0.05, 34.25)
        item = {
            "type": "Feature",
            "stac_version": "1.0.0",
            "id": item_id,
            "bbox": list(bounds),
            "geometry": polygon(bounds),
            "properties": {"datetime": "2022-07-01T00:00:00Z"},
            "links": [],
            "assets": {"image": {"href": f"./{item_id}/image.tif", "type": COG, "roles": ["data"]}},
        }
        if item_id != "ga_m_broken_missing_asset":
            put(
                INGEST_CONTAINER,
                f"{base}/{item_id}/image.tif",
                partial(cog_bytes, bounds, 4, "uint8", 700 + n),
                COG,
            )
        breaks(item)
        put(
            INGEST_CONTAINER,
            f"{base}/{item_id}/{item_id}.json",
            json.dumps(item).encode(),
            "application/json",
        )
        links.append({"rel": "item", "href": f"./{item_id}/{item_id}.json", "type": "application/json"})
    put(
        INGEST_CONTAINER,
        f"{base}/ga_m_broken_not_json/ga_m_broken_not_json.json",
        b"{not json",
        "application/json",
    )
    links.append(
        {
            "rel": "item",
            "href": "./ga_m_broken_not_json/ga_m_broken_not_json.json",
            "type": "application/json",
        }
    )
    catalog = {
        "type": "Catalog",
        "stac_version": "1.0.0",
        "id": base,
        "description": "Sample static catalog",
        "links": links,
    }
    put(INGEST_CONTAINER, f"{base}/catalog.json", json.dumps(catalog).encode(), "application/json")

    # stac-geoparquet: absolute asset hrefs into the source container
    records = []
    for k in range(4):
        bounds = (-121.0 + k * 0.1, 37.0, -120.9 + k * 0.1, 37.1)
        item_id = f"S2_PARQUET_{k:02d}"
        href = put(
            INGEST_CONTAINER,
            f"parquet/{item_id}/B04.tif",
            partial(cog_bytes, bounds, 1, "uint16", 900 + k),
            COG,
        )
        records.append(
            {
                "type": "Feature",
                "stac_version": "1.0.0",
                "id": item_id,
                "bbox": list(bounds),
                "geometry": polygon(bounds),
                "properties": {
                    "datetime": f"2023-0{k + 1}-15T19:00:00Z",
                    "eo:cloud_cover": 10.0 * k,
                    "platform": "sentinel-2a",
                    "gsd": 10.0,
                },
                "links": [],
                "assets": {"B04": {"href": href, "type": COG, "roles": ["data"], "title": "Red band"}},
            }
        )
    import rustac  # the stand-in's venv has it (requirements.txt)

    path = Path(sys.argv[1]) / "items.parquet"
    rustac.write_sync(str(path), records)
    put(INGEST_CONTAINER, "parquet/items.parquet", path.read_bytes(), "application/vnd.apache.parquet")


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    items: list[dict] = []
    naip_catalog(blobstore.container_for("naip-atl"), items)
    sentinel_catalog(blobstore.container_for("sentinel-mini"), items)
    landsat_catalog(blobstore.container_for("landsat-mini"), items)
    single_band_catalog("dem-mini", "DEM_MINI", blobstore.container_for("dem-mini"), items, "dem")
    single_band_catalog("lulc-mini", "LULC_MINI", blobstore.container_for("lulc-mini"), items, "lulc")

    def assets_of(example: str) -> dict:
        item = next(i for i in items if i["id"] == example)
        return {k: {f: v for f, v in a.items() if f != "href"} for k, a in item["assets"].items()}

    collections = [
        collection(
            "naip-atl",
            "NAIP Test Dataset",
            [-84.9, 33.2, -83.92, 34.04],
            "2019-01-01T00:00:00Z",
            assets_of("ga_m_3308421_se_16_060_20211114"),
            {"gsd": [0.6], "platform": ["naip"]},
        ),
        collection(
            "sentinel-mini",
            "Sentinel-2 mini",
            [-122.6, 47.2, -121.4, 48.2],
            "2023-01-01T00:00:00Z",
            assets_of("S2_MINI_00_00"),
            {
                "gsd": [10.0],
                "platform": ["sentinel-2a", "sentinel-2b"],
                "eo:cloud_cover": {"minimum": 0, "maximum": 100},
            },
        ),
        collection(
            "landsat-mini",
            "Landsat 9 mini",
            [-105.3, 39.5, -104.1, 40.3],
            "2022-01-01T00:00:00Z",
            assets_of("LC09_MINI_00_00"),
            {"gsd": [30.0], "platform": ["landsat-9"]},
        ),
        collection(
            "dem-mini",
            "Elevation mini",
            [-120.0, 36.0, -119.0, 36.75],
            "2021-01-01T00:00:00Z",
            assets_of("DEM_MINI_00"),
            {"gsd": [30.0]},
        ),
        collection(
            "lulc-mini",
            "Land cover mini",
            [-120.0, 36.0, -119.0, 36.75],
            "2022-01-01T00:00:00Z",
            assets_of("LULC_MINI_00"),
            {"gsd": [10.0]},
        ),
    ]
    ingestion_samples({})

    containers = {u[0] for u in uploads}
    for container in containers:
        blobstore.ensure_container(container)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(send, uploads))
    (out / "collections.ndjson").write_text("".join(json.dumps(c) + "\n" for c in collections))
    (out / "items.ndjson").write_text("".join(json.dumps(i) + "\n" for i in items))
    print(
        f"{len(collections)} collections, {len(items)} items,"
        f" {len(uploads)} blobs in {len(containers)} containers"
    )


if __name__ == "__main__":
    main()
