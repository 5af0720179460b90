"""From a GeoCatalog to the STAC tools you know: pystac, pystac-client, Arrow, GeoParquet, GeoPandas.

Converts a collection and a search to pystac objects and back, searches with pystac-client through
the GeoCatalog (api-version, bearer token and signing handled), and exports a search to an Arrow
table, a stac-geoparquet file and a GeoDataFrame.

    pip install "azure-planetarycomputer[pystac-client,geoparquet,geopandas]"
    python samples/stac_tools.py [--endpoint URL] [--out DIR]

Against a real GeoCatalog, pass its https endpoint (credentials from azure-identity's
DefaultAzureCredential). Against the local stand-in (tests/geocatalog/up), GEOCATALOG_ENDPOINT or
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
from azure.planetarycomputer.models import StacCollection, StacItem

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
    args = parser.parse_args()
    out: Path = args.out

    client = PlanetaryComputerProClient(args.endpoint, credential_for(args.endpoint))
    print(f"GeoCatalog: {args.endpoint}")
    collection = client.stac.get_collections().collections[0]

    # 1. pystac: models to pystac objects and back, every field kept
    pystac_collection = collection.to_pystac()  # type: ignore[attr-defined]
    print(f"1. pystac: {pystac_collection!r}, license {pystac_collection.license}")
    pager = client.stac.search_items_paged(collections=collection.id, limit=10, max_items=25)
    item_collection = pager.to_pystac()
    first = item_collection.items[0]
    print(f"   search -> pystac.ItemCollection of {len(item_collection)} items; first {first.id}")
    back = StacItem.from_pystac(first)  # type: ignore[attr-defined]
    same = StacCollection.from_pystac(pystac_collection)  # type: ignore[attr-defined]
    assert back.id == first.id and same.id == collection.id
    print(f"   pystac.Item -> StacItem {back.id} (ready for client.stac.create_item)")

    # 2. pystac-client through the GeoCatalog: api-version, refreshed token, assets signed on arrival
    catalog = client.stac.open_pystac_client()
    search = catalog.search(collections=[collection.id], limit=10, max_items=40)
    pages = list(search.pages())
    items = [item for page in pages for item in page.items]
    print(f"2. pystac-client: {len(items)} items in {len(pages)} pages")

    # 3. Tables: Arrow, GeoParquet (the layout StacGeoparquet ingestion reads), GeoDataFrame
    pager = client.stac.search_items_paged(collections=collection.id, limit=25)
    table = pager.to_arrow().read_all()
    print(f"3. Arrow: {table.num_rows} rows, columns {', '.join(table.column_names[:8])}...")
    path = pager.to_geoparquet(out / f"{collection.id}.parquet")
    print(f"   GeoParquet: {path} ({path.stat().st_size} bytes)")
    frame = pager.to_geodataframe()
    bounds = [round(float(value), 3) for value in frame.total_bounds]
    print(f"   GeoDataFrame: {len(frame)} rows, CRS EPSG:{frame.crs.to_epsg()}, bounds {bounds}")


if __name__ == "__main__":
    main()
