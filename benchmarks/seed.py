"""Load a large synthetic collection into the local GeoCatalog stand-in (run with the stand-in's python).

usage: seed.py OUT_DIR COLLECTION_ID COUNT [small|sentinel2]

Writes collection.ndjson and items.ndjson under OUT_DIR, then loads them with pypgstac (the stand-in's
venv), which is far faster than the STAC API. Connection settings come from PGHOST/PGPORT/... .

Two shapes of item: ``small`` (one asset, two properties: the touch-the-id search scenario) and
``sentinel2``, shaped like the service's Sentinel-2 L2A items (18 assets, most with ``eo:bands``,
``raster:bands`` and ``proj:*`` fields, about 60 properties, a 9-vertex footprint): the realistic
search scenario. Standard library only, so it also runs in the benchmark workers' venvs.
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


# name, common name, centre wavelength (µm), full width (µm), gsd (m); the L2A bands at their native gsd
S2_BANDS = [
    ("B01", "coastal", 0.443, 0.027, 60),
    ("B02", "blue", 0.49, 0.098, 10),
    ("B03", "green", 0.56, 0.045, 10),
    ("B04", "red", 0.665, 0.038, 10),
    ("B05", "rededge", 0.704, 0.019, 20),
    ("B06", "rededge", 0.74, 0.018, 20),
    ("B07", "rededge", 0.783, 0.028, 20),
    ("B08", "nir", 0.842, 0.145, 10),
    ("B8A", "nir08", 0.865, 0.033, 20),
    ("B09", "nir09", 0.945, 0.026, 60),
    ("B11", "swir16", 1.61, 0.143, 20),
    ("B12", "swir22", 2.19, 0.242, 20),
]
S2_SIZE = {10: 10980, 20: 5490, 60: 1830}


def sentinel2_item(collection_id: str, n: int) -> dict:
    """An item shaped like a Sentinel-2 L2A item of the service (values synthetic, sizes real)."""
    tile = (
        f"{10 + n % 50}{'CDEFGHJKLMNPQRSTUVWX'[n % 20]}{'ABCDEFGHJK'[n % 10]}{'LMNPQRSTUV'[(n // 10) % 10]}"
    )
    when = dt.datetime(2019, 1, 1, 10, 30, 21, 24000, tzinfo=dt.timezone.utc) + dt.timedelta(hours=7 * n)
    stamp = when.strftime("%Y%m%dT%H%M%S")
    item_id = f"S2B_MSIL2A_{stamp}_R{n % 143:03d}_T{tile}_{stamp}-{n:06d}"
    west, south = round(-120.0 + (n % 300) * 0.9, 6), round(-60.0 + (n // 300 % 130) * 0.9, 6)
    east, north = round(west + 1.3917, 6), round(south + 0.9914, 6)
    footprint = [
        [west, south],
        [round(west + 0.4, 6), round(south - 0.0011, 6)],
        [round(west + 0.9, 6), round(south - 0.0023, 6)],
        [east, round(south + 0.0012, 6)],
        [round(east + 0.0028, 6), round(south + 0.5, 6)],
        [east, north],
        [round(west + 0.7, 6), round(north + 0.0031, 6)],
        [round(west - 0.0024, 6), north],
        [west, south],
    ]
    epsg = 32600 + 10 + n % 50
    x0, y0 = 300000.0 + 109800 * (n % 5), 5000040.0 + 109800 * (n % 7)
    base = f"https://sentinel2l2a01.blob.core.windows.net/sentinel2-l2/{tile[:2]}/{tile[2]}/{tile[3:]}"
    folder = f"{base}/{when:%Y/%m/%d}/S2B_MSIL2A_{stamp}_N0212_R{n % 143:03d}_T{tile}_{stamp}.SAFE"
    cog = "image/tiff; application=geotiff; profile=cloud-optimized"

    granule = f"{folder}/GRANULE/L2A_T{tile}_A0{n:05d}_{stamp}"

    def band_asset(name: str, common: str, centre: float, width: float, gsd: int) -> dict:
        size = S2_SIZE[gsd]
        return {
            "href": f"{granule}/IMG_DATA/R{gsd}m/T{tile}_{stamp}_{name}_{gsd}m.tif",
            "type": cog,
            "title": f"Band {name[1:]} - {common.capitalize()} - {gsd}m",
            "roles": ["data"],
            "gsd": float(gsd),
            "eo:bands": [
                {
                    "name": name,
                    "common_name": common,
                    "description": f"Band {name[1:]} - {common}",
                    "center_wavelength": centre,
                    "full_width_half_max": width,
                }
            ],
            "raster:bands": [
                {
                    "nodata": 0,
                    "data_type": "uint16",
                    "bits_per_sample": 15,
                    "spatial_resolution": gsd,
                    "scale": 0.0001,
                    "offset": -0.1,
                    "unit": "1",
                }
            ],
            "proj:shape": [size, size],
            "proj:transform": [float(gsd), 0.0, x0, 0.0, -float(gsd), y0],
            "proj:bbox": [x0, y0 - 109800.0, x0 + 109800.0, y0],
        }

    assets = {name: band_asset(name, common, c, w, g) for name, common, c, w, g in S2_BANDS}
    for name, title, gsd in (
        ("AOT", "Aerosol optical thickness (AOT)", 10),
        ("WVP", "Water vapour (WVP)", 10),
    ):
        assets[name] = {
            "href": f"{folder}/GRANULE/IMG_DATA/R{gsd}m/T{tile}_{stamp}_{name}_{gsd}m.tif",
            "type": cog,
            "title": title,
            "roles": ["data"],
            "gsd": float(gsd),
            "raster:bands": [{"nodata": 0, "data_type": "uint16", "spatial_resolution": gsd, "scale": 0.001}],
            "proj:shape": [S2_SIZE[gsd], S2_SIZE[gsd]],
            "proj:transform": [float(gsd), 0.0, x0, 0.0, -float(gsd), y0],
            "proj:bbox": [x0, y0 - 109800.0, x0 + 109800.0, y0],
        }
    assets["SCL"] = {
        "href": f"{folder}/GRANULE/IMG_DATA/R20m/T{tile}_{stamp}_SCL_20m.tif",
        "type": cog,
        "title": "Scene classfication map (SCL)",
        "roles": ["data"],
        "gsd": 20.0,
        "raster:bands": [{"nodata": 0, "data_type": "uint8", "spatial_resolution": 20}],
        "proj:shape": [5490, 5490],
        "proj:transform": [20.0, 0.0, x0, 0.0, -20.0, y0],
        "proj:bbox": [x0, y0 - 109800.0, x0 + 109800.0, y0],
    }
    assets["visual"] = {
        "href": f"{folder}/GRANULE/IMG_DATA/R10m/T{tile}_{stamp}_TCI_10m.tif",
        "type": cog,
        "title": "True color image",
        "roles": ["data"],
        "gsd": 10.0,
        "eo:bands": [
            {"name": name, "common_name": common, "center_wavelength": c, "full_width_half_max": w}
            for name, common, c, w, _ in S2_BANDS[3:0:-1]
        ],
        "raster:bands": [{"nodata": 0, "data_type": "uint8", "spatial_resolution": 10}] * 3,
        "proj:shape": [10980, 10980],
        "proj:transform": [10.0, 0.0, x0, 0.0, -10.0, y0],
        "proj:bbox": [x0, y0 - 109800.0, x0 + 109800.0, y0],
    }
    assets["preview"] = {
        "href": f"{folder}/GRANULE/QI_DATA/T{tile}_{stamp}_PVI.tif",
        "type": cog,
        "title": "Thumbnail",
        "roles": ["thumbnail"],
        "eo:bands": assets["visual"]["eo:bands"],
        "raster:bands": [{"nodata": 0, "data_type": "uint8"}] * 3,
        "proj:shape": [343, 343],
        "proj:transform": [320.0, 0.0, x0, 0.0, -320.0, y0],
    }
    assets["product-metadata"] = {
        "href": f"{folder}/MTD_MSIL2A.xml",
        "type": "application/xml",
        "title": "Product metadata",
        "roles": ["metadata"],
    }
    assert len(assets) == 18
    properties: dict = {
        "datetime": when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "platform": "Sentinel-2B",
        "constellation": "Sentinel 2",
        "instruments": ["msi"],
        "eo:cloud_cover": round((n * 7.31) % 100, 6),
        "proj:epsg": epsg,
        "mgrs:utm_zone": int(tile[:2]),
        "mgrs:latitude_band": tile[2],
        "mgrs:grid_square": tile[3:],
        "sat:orbit_state": "descending" if n % 2 else "ascending",
        "sat:relative_orbit": n % 143,
        "s2:mgrs_tile": tile,
        "s2:granule_id": f"S2B_OPER_MSI_L2A_TL_ESRI_{stamp}_A0{n:05d}_T{tile}_N02.12",
        "s2:datatake_id": f"GS2B_{stamp}_0{n:05d}_N02.12",
        "s2:product_uri": f"S2B_MSIL2A_{stamp}_N0212_R{n % 143:03d}_T{tile}_{stamp}.SAFE",
        "s2:datastrip_id": f"S2B_OPER_MSI_L2A_DS_ESRI_{stamp}_S{stamp}_N02.12",
        "s2:product_type": "S2MSI2A",
        "s2:datatake_type": "INS-NOBS",
        "s2:generation_time": when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "s2:processing_baseline": "02.12",
    }
    for k, name in enumerate(
        [
            "water",
            "snow_ice",
            "vegetation",
            "thin_cirrus",
            "cloud_shadow",
            "nodata_pixel",
            "unclassified",
            "dark_features",
            "not_vegetated",
            "degraded_msi_data",
            "high_proba_clouds",
            "medium_proba_clouds",
            "saturated_defective_pixel",
        ]
    ):
        properties[f"s2:{name}_percentage"] = round((n * (k + 3) * 1.37) % 100, 6)
    properties["s2:mean_solar_zenith"] = round(20 + (n % 500) / 10, 8)
    properties["s2:mean_solar_azimuth"] = round(100 + (n % 700) / 10, 8)
    properties["s2:reflectance_conversion_factor"] = round(0.96 + (n % 80) / 1000, 10)
    for name, *_ in S2_BANDS:
        properties[f"s2:mean_viewing_zenith_{name}"] = round(5 + (n % 70) / 10, 8)
        properties[f"s2:mean_viewing_azimuth_{name}"] = round(200 + (n % 90) / 10, 8)
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "stac_extensions": [
            "https://stac-extensions.github.io/eo/v1.0.0/schema.json",
            "https://stac-extensions.github.io/sat/v1.0.0/schema.json",
            "https://stac-extensions.github.io/projection/v1.0.0/schema.json",
            "https://stac-extensions.github.io/raster/v1.1.0/schema.json",
        ],
        "id": item_id,
        "collection": collection_id,
        "bbox": [west, south, east, north],
        "geometry": {"type": "Polygon", "coordinates": [footprint]},
        "properties": properties,
        "links": [
            {
                "rel": "license",
                "href": "https://sentinel.esa.int/documents/247904/690755/Sentinel_Data_Legal_Notice",
            },
            {
                "rel": "preview",
                "href": f"https://example.invalid/data/item/map?collection={collection_id}&item={item_id}",
                "title": "Map of item",
                "type": "text/html",
            },
        ],
        "assets": assets,
    }


def main() -> None:
    out, collection_id, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    shape = sys.argv[4] if len(sys.argv) > 4 else "small"
    if shape not in ("small", "sentinel2"):
        raise SystemExit(f"unknown item shape {shape!r}: small or sentinel2")
    out.mkdir(parents=True, exist_ok=True)
    side = 200
    collection = {
        "type": "Collection",
        "stac_version": "1.0.0",
        "id": collection_id,
        "title": "Benchmark items",
        "description": f"Synthetic {shape} items for the benchmarks (benchmarks/seed.py)",
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
            made = item(collection_id, n, side) if shape == "small" else sentinel2_item(collection_id, n)
            f.write(json.dumps(made, separators=(",", ":")) + "\n")
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
