"""Pixels and storage: a GeoCatalog's COGs into xarray, and a collection's container as a file system.

Searches a small area, loads it with odc-stac and with stackstac through GDAL over signed hrefs,
checks that both read the same pixels, then lists and reads the collection's blob container with
adlfs (fsspec) and obstore using the collection's SAS token.

    pip install "azure-planetarycomputer[odc,stackstac,adlfs,obstore]"
    python samples/pixels.py [--endpoint URL] [--collection ID] [--bbox W S E N] [--asset KEY]

Against a real GeoCatalog, pass its https endpoint (credentials from azure-identity's
DefaultAzureCredential) and a collection, area and asset of yours. Against the local stand-in
(tests/geocatalog/up), the defaults work: http://127.0.0.1:8811 with a placeholder token, which the
stand-in accepts, and its Azurite storage host, found from an asset href.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import odc.stac
from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.planetarycomputer import (
    DEFAULT_STORAGE_HOSTS,
    GDAL_SETTINGS,
    CollectionStorage,
    PlanetaryComputerProClient,
    load_odc,
    stack_stackstac,
)
from azure.planetarycomputer._endpoint import is_loopback_host
from azure.planetarycomputer.models import StacSearchParameters

DEFAULT_ENDPOINT = os.environ.get("GEOCATALOG_ENDPOINT", "http://127.0.0.1:8811")


class LocalStandInCredential:
    """A placeholder token for the local stand-in, which accepts any bearer token."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("local-stand-in", int(time.time()) + 3600)

    def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        return AccessTokenInfo("local-stand-in", int(time.time()) + 3600)


def make_client(endpoint: str, collection: str, asset: str) -> PlanetaryComputerProClient:
    if not is_loopback_host(urlsplit(endpoint).hostname or ""):
        from azure.identity import DefaultAzureCredential

        return PlanetaryComputerProClient(endpoint, DefaultAzureCredential())
    # The stand-in keeps its blobs in Azurite (path-style http://127.0.0.1:<port>/devstoreaccount1/...):
    # tell the client that host is storage, as a private endpoint would be told.
    probe = PlanetaryComputerProClient(endpoint, LocalStandInCredential())
    href = probe.stac.get_item_collection(collection, limit=1).features[0].assets[asset].href
    hosts = [*DEFAULT_STORAGE_HOSTS, urlsplit(href).netloc]
    return PlanetaryComputerProClient(endpoint, LocalStandInCredential(), storage_hosts=hosts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default=DEFAULT_ENDPOINT)
    parser.add_argument("--collection", default="sentinel-mini")
    parser.add_argument("--bbox", type=float, nargs=4, default=[-122.52, 47.22, -122.48, 47.24])
    parser.add_argument("--asset", default="B04")
    parser.add_argument("--resolution", type=float, default=0.1 / 256, help="in degrees (EPSG:4326)")
    args = parser.parse_args()
    bbox = tuple(args.bbox)

    client = make_client(args.endpoint, args.collection, args.asset)
    signer = client.sas.signer()
    page = client.stac.search(StacSearchParameters(collections=[args.collection], bounding_box=list(bbox)))
    items = list(page.features)
    print(f"1. {len(items)} items of {args.collection} in {bbox}: {', '.join(i.id for i in items)}")

    # odc-stac reads in worker threads: configure GDAL for them once per process.
    odc.stac.configure_rio(cloud_defaults=True, **GDAL_SETTINGS)
    grid = {"crs": "EPSG:4326", "resolution": args.resolution}
    dataset = load_odc(items, signer=signer, bands=[args.asset], bbox=bbox, **grid)
    odc_pixels = dataset[args.asset].values
    print(f"2. odc-stac: {dict(dataset.sizes)}, {np.count_nonzero(odc_pixels)} pixels with data")

    stack = stack_stackstac(
        items,
        signer=signer,
        assets=[args.asset],
        bounds_latlon=bbox,
        epsg=4326,
        resolution=args.resolution,
        rescale=False,
        xy_coords="center",
    ).compute()
    stack_pixels = np.nan_to_num(stack.values[:, 0], nan=0).astype(odc_pixels.dtype)
    same = stack_pixels.shape == odc_pixels.shape and np.array_equal(stack_pixels, odc_pixels)
    print(f"3. stackstac: {dict(stack.sizes)}, same pixels as odc-stac: {same}")
    if not same:
        raise SystemExit("odc-stac and stackstac read different pixels")

    storage = CollectionStorage.for_collection(client, args.collection)
    print(f"4. {args.collection} is stored in {storage.container.container_url}")

    import fsspec

    fs = fsspec.filesystem("abfs", **storage.fsspec_storage_options())
    name = storage.container.container_name
    folder = fs.ls(name)[0]
    files = fs.ls(folder)
    print(f"5. adlfs: {len(fs.ls(name))} entries in the container; {folder} holds {len(files)} files")

    import obstore

    store = storage.obstore_store()
    first = files[0].split("/", 1)[1]
    head = obstore.get_range(store, first, start=0, end=4).to_bytes()
    agree = head == fs.cat(files[0])[:4]
    print(f"6. obstore: the first bytes of {first} are {head!r}, as adlfs reads them: {agree}")
    if not agree:
        raise SystemExit("obstore and adlfs read different bytes")


if __name__ == "__main__":
    main()
