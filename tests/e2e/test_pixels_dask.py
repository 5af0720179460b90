"""Pixels and storage on a Dask cluster (a real LocalCluster of worker processes) against the stand-in.

odc-stac and stackstac plan the load here (signing the hrefs) and the workers read the signed COGs
through GDAL, configured on them with ``configure_rio(client=...)``; a pickled ``CollectionStorage``
travels to a worker and reads the collection's container there with its own token.
"""

from __future__ import annotations

import os
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from _capture import FakeTokenCredential
from azure.core.credentials import AccessToken
from azure.planetarycomputer import (
    GDAL_SETTINGS,
    CollectionStorage,
    PlanetaryComputerProClient,
    load_odc,
    stack_stackstac,
)
from azure.planetarycomputer.models import StacSearchParameters
from standin import ENDPOINT, needs_standin

pytestmark = needs_standin

distributed = pytest.importorskip("distributed")
odc_stac = pytest.importorskip("odc.stac")
pytest.importorskip("stackstac")
pytest.importorskip("obstore")

COLLECTION = "sentinel-mini"
BBOX = (-122.52, 47.22, -122.48, 47.24)
RESOLUTION = 0.1 / 256


class AnyToken:
    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("pixels-dask", int(time.time()) + 3600)


@pytest.fixture(scope="module")
def client() -> PlanetaryComputerProClient:
    with PlanetaryComputerProClient(ENDPOINT, AnyToken()) as probe:
        href = probe.stac.get_item_collection(COLLECTION, limit=1).features[0].assets["B04"].href
    return PlanetaryComputerProClient(
        ENDPOINT, AnyToken(), storage_hosts=[urllib.parse.urlsplit(href).netloc]
    )


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    local = distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None
    )
    with local, distributed.Client(local) as dask_client:
        yield dask_client


@pytest.fixture(scope="module")
def items(client: PlanetaryComputerProClient) -> list[Any]:
    page = client.stac.search(StacSearchParameters(collections=[COLLECTION], bounding_box=list(BBOX)))
    return list(page.features)


def test_odc_and_stackstac_compute_on_worker_processes(
    client: PlanetaryComputerProClient, cluster: Any, items: list[Any]
) -> None:
    odc_stac.configure_rio(cloud_defaults=True, client=cluster, **GDAL_SETTINGS)
    signer = client.sas.signer()
    grid = {"bbox": BBOX, "crs": "EPSG:4326", "resolution": RESOLUTION}
    eager = load_odc(items, signer=signer, bands=["B04"], **grid)  # read here, in this process
    lazy = load_odc(items, signer=signer, bands=["B04"], chunks={"latitude": 32, "longitude": 32}, **grid)
    on_workers = cluster.compute(lazy.B04).result(timeout=120)
    np.testing.assert_array_equal(on_workers.values, eager.B04.values)
    assert np.count_nonzero(eager.B04.values) > 0

    stack = stack_stackstac(
        items,
        signer=signer,
        assets=["B04"],
        bounds_latlon=BBOX,
        epsg=4326,
        resolution=RESOLUTION,
        rescale=False,
        xy_coords="center",
    )
    stacked = cluster.compute(stack).result(timeout=120)
    as_odc = np.nan_to_num(stacked.values[:, 0], nan=0).astype(np.uint16)
    np.testing.assert_array_equal(as_odc, eager.B04.values)


def read_blob(storage: CollectionStorage, path: str) -> tuple[int, int]:
    """Runs on a worker: reads through obstore with the storage's own token."""
    import obstore

    return len(obstore.get(storage.obstore_store(), path).bytes().to_bytes()), os.getpid()


def test_a_collection_storage_travels_to_a_worker(client: PlanetaryComputerProClient, cluster: Any) -> None:
    import obstore

    storage = CollectionStorage.for_collection(client, COLLECTION, credential_factory=FakeTokenCredential)
    item_id = client.stac.get_item_collection(COLLECTION, limit=1).features[0].id
    path = f"{item_id}/B04.tif"
    size, pid = cluster.submit(read_blob, storage, path, pure=False).result(timeout=120)
    assert size == len(obstore.get(storage.obstore_store(), path).bytes().to_bytes()) > 0
    assert pid != os.getpid()  # it ran in the worker process
