"""The library's main job against a GeoCatalog, end to end.

Lists collections, searches across pages, downloads the map tiles covering an area with a
progress bar, reads point values and statistics, signs an item's assets and downloads one.

    python samples/main_job.py [--endpoint URL] [--out DIR]

Against a real GeoCatalog, pass its https endpoint (credentials from azure-identity's
DefaultAzureCredential). Against the local stand-in (tests/geocatalog/up), the default endpoint
http://127.0.0.1:8811 is used with a placeholder token, which the stand-in accepts.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.planetarycomputer import PlanetaryComputerProClient
from azure.planetarycomputer._endpoint import is_loopback_host
from azure.planetarycomputer.models import StacItem

DEFAULT_ENDPOINT = os.environ.get("GEOCATALOG_ENDPOINT", "http://127.0.0.1:8811")


class LocalStandInCredential:
    """A placeholder token for the local stand-in, which accepts any bearer token."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("local-stand-in", int(time.time()) + 3600)

    def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        return AccessTokenInfo("local-stand-in", int(time.time()) + 3600)


def credential_for(endpoint: str) -> Any:
    if is_loopback_host(urlsplit(endpoint).hostname or ""):
        return LocalStandInCredential()
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default=DEFAULT_ENDPOINT)
    parser.add_argument("--out", type=Path, default=Path("geocatalog-output"))
    parser.add_argument("--zoom", type=int, default=14)
    args = parser.parse_args()
    out: Path = args.out

    client = PlanetaryComputerProClient(args.endpoint, credential_for(args.endpoint))
    print(f"GeoCatalog: {args.endpoint}")

    collections = client.stac.get_collections().collections
    print(f"1. {len(collections)} collections: {', '.join(c.id for c in collections)}")
    collection = collections[0]

    pager = client.stac.search_items_paged(collections=collection.id, limit=50, max_items=200)
    pages = 0
    items: list[StacItem] = []
    for page in pager.by_page():
        pages += 1
        items.extend(page)
    matched = pager.matched()
    print(f"2. search: {len(items)} items of {collection.id} in {pages} pages (matched: {matched})")
    item = items[0]
    west, south, east, north = item.bounding_box
    print(f"   first item {item.id}, bbox {[round(v, 4) for v in item.bounding_box]}")

    asset = next(iter(item.assets))
    tiles_dir = out / "tiles"
    result = client.data.download_tiles(
        collection.id, item.id, directory=tiles_dir, bbox=[west, south, east, north],
        zooms=[args.zoom], assets=[asset], format="png", progress=True,
    )  # fmt: skip
    print(f"3. tiles at z{args.zoom}: {result.fetched} fetched, {result.skipped} already there, "
          f"{result.bytes} bytes, written under {tiles_dir.resolve()}/{{z}}/{{x}}/{{y}}.png")  # fmt: skip

    lon, lat = (west + east) / 2, (south + north) / 2
    point = client.data.get_item_point(collection.id, item.id, lon, lat, assets=[asset])
    print(f"4. values at ({lon:.5f}, {lat:.5f}): {dict(zip(point.band_names, point.values_property))}")
    statistics = client.data.get_item_statistics(collection.id, item.id, assets=[asset])
    for band, stats in statistics.items():
        print(f"   {band}: min {stats.minimum} max {stats.maximum} mean {stats.mean:.2f}")

    # sign() adds a container token to the hrefs on storage the GeoCatalog manages. On Azure that is
    # *.blob.core.windows.net; the local stand-in keeps its blobs in Azurite, whose path-style URLs
    # (http://127.0.0.1:<port>/devstoreaccount1/<container>/...) the client is told about with
    # storage_hosts=["127.0.0.1:<port>"]. sign() still signs a container only after the service
    # vouched for it (/sas/sign).
    if is_loopback_host(urlsplit(args.endpoint).hostname or ""):
        blob_host = urlsplit(item.assets[asset].href).netloc
        # NOTE: storage_hosts= is new in this version of the client; a client without it ignores the
        # keyword and signs nothing here, and the job falls back to get_url below (and says so).
        client = PlanetaryComputerProClient(
            args.endpoint, credential_for(args.endpoint), storage_hosts=[blob_host]
        )
    signed_item = client.sas.sign(item)
    managed = sum("sig=" in a.href for a in signed_item.assets.values())
    print(f"5. sign(item): {managed} of {len(item.assets)} asset hrefs on managed storage signed")
    href = signed_item.assets[asset].href
    if "sig=" in href:
        print(f"   downloading {href.split('?')[0]} signed by sas.sign (signature not shown)")
    else:
        href = client.sas.get_url(href=item.assets[asset].href).href
        print(f"   sas.sign left it unsigned; get_url signed {href.split('?')[0]}?... (signature not shown)")
    path = client.sas.download_asset(href, out / f"{item.id}-{asset}.tif")
    print(f"   downloaded {path.stat().st_size} bytes to {path.resolve()}")


if __name__ == "__main__":
    main()
