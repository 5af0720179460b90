"""Searches and item jobs on a real Dask cluster (``LocalCluster``, 2 worker processes) against the stand-in.

One cluster for the module. Partitions run on the workers, which build their own clients from the
credential factory: the bag and the data frame hold exactly the plain pager's items; failing
downloads are retried and recorded; tokens that expire in 3 seconds are refreshed on the workers
(a proxy in front of the stand-in refuses expired ones); a worker killed mid-job loses no item.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.planetarycomputer import PlanetaryComputerProClient
from dask_support import (
    AREA,
    SHORT_TOKEN_SECONDS,
    Broadcast,
    ShortLivedCredential,
    StandinCredential,
    create_collection,
    edge_items,
    item_id,
    slow_item_id,
    worker_pid,
)
from fault_server import FaultServer, RecordedRequest, Reply
from standin import ENDPOINT, needs_standin

distributed = pytest.importorskip("distributed")

pytestmark = needs_standin


@pytest.fixture(scope="module")
def dask_client() -> Iterator[Any]:
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


@pytest.fixture(scope="module")
def client() -> PlanetaryComputerProClient:
    return PlanetaryComputerProClient(ENDPOINT, StandinCredential(), polling_interval=0.2)


@pytest.fixture(scope="module")
def edges(client: PlanetaryComputerProClient) -> Iterator[str]:
    collection = f"dask-cluster-{uuid.uuid4().hex[:8]}"
    create_collection(client, collection, edge_items(collection))
    yield collection
    client.stac.begin_delete_collection(collection).result()


def plain_ids(client: PlanetaryComputerProClient, **search: Any) -> list[str]:
    return sorted(item.id for item in client.stac.search_items_paged(**search))


def test_bag_on_the_cluster_holds_exactly_the_items(
    client: PlanetaryComputerProClient, edges: str, dask_client: Any
) -> None:
    search: dict[str, Any] = {"collections": edges, "datetime": "2023", "bbox": AREA, "limit": 4}
    expected = plain_ids(client, **search)
    partitions = client.stac.search_partitions(
        **search, by="month", grid=2, credential_factory=StandinCredential
    )
    bag = partitions.to_dask_bag()
    assert bag.npartitions == len(partitions) == 48
    ids = bag.pluck("id").compute()
    assert sorted(ids) == expected and len(ids) == len(set(ids))
    # The searches ran on the workers, not here.
    pids = set(partitions.map_items(worker_pid, sign=False, dask_client=dask_client).values_of())
    assert os.getpid() not in pids and len(pids) == 2


def test_dataframe_from_arrow_pages_unifies_columns(
    client: PlanetaryComputerProClient, edges: str, dask_client: Any
) -> None:
    search: dict[str, Any] = {"collections": edges, "datetime": "2023", "limit": 3}
    expected = plain_ids(client, **search)
    partitions = client.stac.search_partitions(**search, by="month", credential_factory=StandinCredential)
    frame = partitions.to_dask_dataframe()
    assert frame.npartitions == 12
    table = frame.compute()
    assert sorted(table["id"]) == expected
    assert table["extra:only_here"].notna().sum() == 1  # one partition had it; the others get nulls
    assert str(table["datetime"].dtype).startswith("timestamp[")
    assert isinstance(table["geometry"].iloc[0], bytes)  # WKB, as the stac-geoparquet layout has it


# -- failures -------------------------------------------------------------------------------------


@pytest.fixture
def blob_server() -> Iterator[FaultServer]:
    with FaultServer() as server:
        yield server


def _asset_items(collection: str, server: FaultServer) -> list[dict[str, Any]]:
    items = edge_items(collection)[2:9]  # inside the range, in the first days of January
    for item in items:
        item["assets"] = {"data": {"href": f"{server.url}/blobs/{item['id']}.tif", "type": "image/tiff"}}
    return items


def test_download_assets_retries_records_failures_and_resumes(
    client: PlanetaryComputerProClient, dask_client: Any, blob_server: FaultServer, tmp_path: Path
) -> None:
    collection = f"dask-faults-{uuid.uuid4().hex[:8]}"
    items = _asset_items(collection, blob_server)
    ids = [item["id"] for item in items]
    broken, flaky = ids[2], ids[4]
    for name in ids:
        blob_server.script(f"/blobs/{name}.tif", Reply.data(name.encode() * 100))
    blob_server.script(f"/blobs/{broken}.tif", Reply.error(500, "InternalError", "disk on fire"))
    blob_server.script(f"/blobs/{flaky}.tif", Reply.error(503), Reply.data(flaky.encode() * 100))
    create_collection(client, collection, items)
    try:
        partitions = client.stac.search_partitions(
            collections=collection,
            datetime="2023",
            by="month",
            limit=2,
            credential_factory=StandinCredential,
            client_options={"retry_total": 0},  # the retries counted here are the job's own
        )
        result = partitions.download_assets(tmp_path, retries=2, on_error="record", dask_client=dask_client)

        assert [failure.item_id for failure in result.failures] == [broken]
        failure = result.failures[0]
        assert failure.attempts == 3 and failure.error_type == "HttpResponseError"
        assert "disk on fire" in failure.message and failure.collection == collection
        assert blob_server.count(f"/blobs/{broken}.tif") == 3
        assert blob_server.count(f"/blobs/{flaky}.tif") == 2
        assert sorted(name for name, _ in result.values) == sorted(set(ids) - {broken})
        for name in set(ids) - {broken}:
            assert (tmp_path / collection / name / "data.tif").read_bytes() == name.encode() * 100
        assert not (tmp_path / collection / broken).exists() or not any(
            (tmp_path / collection / broken).iterdir()
        )
        assert all(not path.name.startswith(".") for path in tmp_path.rglob("*"))  # no temporary file left

        # Run again: what is there is not fetched again; the broken one is tried again.
        before = {name: blob_server.count(f"/blobs/{name}.tif") for name in ids}
        again = partitions.download_assets(tmp_path, retries=0, on_error="record", dask_client=dask_client)
        after = {name: blob_server.count(f"/blobs/{name}.tif") for name in ids}
        assert {name for name in ids if after[name] != before[name]} == {broken}
        assert [failure.item_id for failure in again.failures] == [broken]

        # on_error="raise": the job fails, naming the item.
        with pytest.raises(Exception, match=broken) as raised:
            partitions.download_assets(tmp_path, retries=0, dask_client=dask_client)
        assert type(raised.value).__name__ == "ItemJobError"
    finally:
        client.stac.begin_delete_collection(collection).result()


# -- tokens that expire during the job ------------------------------------------------------------


class TokenCheckingProxy:
    """Forwards to the stand-in; refuses a bearer token ``short.<pid>.<n>.<expiry>`` past its expiry."""

    def __init__(self, server: FaultServer) -> None:
        self.server = server
        self.tokens: set[str] = set()
        self.refused = 0
        self._lock = threading.Lock()
        server.route("/*", self.forward)

    def forward(self, request: RecordedRequest) -> Reply:
        token = (request.header("Authorization") or "").removeprefix("Bearer ")
        parts = token.split(".")
        with self._lock:
            self.tokens.add(token)
            if len(parts) != 4 or not parts[3].isdigit() or int(parts[3]) < time.time():
                self.refused += 1
                return Reply.error(401, "InvalidAuthenticationToken", "The access token has expired.")
        headers = {
            key: value
            for key, value in request.headers
            if key.lower() not in ("authorization", "host", "content-length")
        }
        headers["Authorization"] = "Bearer standin-token"
        headers["Host"] = f"{self.server.host}:{self.server.port}"  # so that next links point here
        forwarded = urllib.request.Request(
            ENDPOINT + request.target, data=request.body or None, headers=headers, method=request.method
        )
        try:
            with urllib.request.urlopen(forwarded, timeout=30) as response:
                return Reply(
                    response.status, {"Content-Type": response.headers["Content-Type"]}, response.read()
                )
        except urllib.error.HTTPError as error:
            return Reply(error.code, {"Content-Type": error.headers["Content-Type"]}, error.read())

    def pids(self) -> set[str]:
        return {token.split(".")[1] for token in self.tokens if token.count(".") == 3}


def test_short_lived_tokens_are_refreshed_on_the_workers(
    client: PlanetaryComputerProClient, edges: str, dask_client: Any
) -> None:
    search: dict[str, Any] = {"collections": edges, "datetime": "2023", "limit": 2}
    expected = plain_ids(client, **search)
    with FaultServer() as server:
        proxy = TokenCheckingProxy(server)
        proxied = PlanetaryComputerProClient(server.url, ShortLivedCredential())
        partitions = proxied.stac.search_partitions(
            **search, by="month", credential_factory=ShortLivedCredential
        )
        started = time.monotonic()
        result = partitions.map_items(slow_item_id, sign=False, retries=0, dask_client=dask_client)
        elapsed = time.monotonic() - started

    assert elapsed > SHORT_TOKEN_SECONDS + 1  # the job outlived its tokens
    assert sorted(result.values_of()) == expected and not result.failures
    assert proxy.refused == 0
    worker_pids = {str(pid) for pid in dask_client.run(os.getpid).values()}
    assert worker_pids <= proxy.pids()  # each worker authenticated on its own...
    assert len(proxy.tokens) > 2 * len(worker_pids)  # ...and more than once


def test_a_token_broadcast_to_the_workers_expires_mid_job(
    client: PlanetaryComputerProClient, edges: str, dask_client: Any
) -> None:
    """The mistake the helpers avoid, shown against the same proxy: the job loses items."""
    with FaultServer() as server:
        proxy = TokenCheckingProxy(server)
        proxied = PlanetaryComputerProClient(server.url, ShortLivedCredential())
        partitions = proxied.stac.search_partitions(
            collections=edges, datetime="2023", limit=2, by="month", credential_factory=Broadcast()
        )
        result = partitions.map_items(
            slow_item_id, sign=False, retries=0, on_error="record", dask_client=dask_client
        )
    assert proxy.refused > 0
    assert result.failures and {failure.error_type for failure in result.failures} == {
        "ClientAuthenticationError"
    }


# -- a worker dies --------------------------------------------------------------------------------


def test_a_worker_killed_mid_job_loses_no_item(
    client: PlanetaryComputerProClient, edges: str, dask_client: Any
) -> None:
    search: dict[str, Any] = {"collections": edges, "datetime": "2023", "limit": 5}
    expected = plain_ids(client, **search)
    partitions = client.stac.search_partitions(**search, by="month", credential_factory=StandinCredential)
    victim = next(iter(dask_client.run(os.getpid).values()))
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = partitions.map_items(slow_item_id, sign=False, dask_client=dask_client)
        except BaseException as error:  # reported below
            outcome["error"] = error

    job = threading.Thread(target=run)
    job.start()
    time.sleep(2.0)  # the workers are inside their first partitions
    os.kill(victim, signal.SIGKILL)
    job.join(timeout=120)
    assert not job.is_alive()
    assert "error" not in outcome, outcome.get("error")
    ids = outcome["result"].values_of()
    assert sorted(ids) == expected and len(ids) == len(set(ids))
    assert victim not in set(dask_client.run(os.getpid).values())
    dask_client.wait_for_workers(2, timeout=60)  # the nanny restarted it


def test_map_items_checks_its_arguments(
    client: PlanetaryComputerProClient, edges: str, dask_client: Any
) -> None:
    partitions = client.stac.search_partitions(
        collections=edges, datetime="2023", by="month", credential_factory=StandinCredential
    )
    with pytest.raises(ValueError, match="on_error"):
        partitions.map_items(item_id, on_error="ignore", dask_client=dask_client)
    with pytest.raises(ValueError, match="retries"):
        partitions.map_items(item_id, retries=-1, dask_client=dask_client)
    with pytest.raises(TypeError, match="fn"):
        partitions.map_items("id", dask_client=dask_client)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="dask_client"):
        partitions.map_items(item_id, dask_client=object())


# -- lazy rasters ---------------------------------------------------------------------------------


def test_odc_stac_load_signs_on_the_workers_at_read_time(dask_client: Any) -> None:
    pystac = pytest.importorskip("pystac")
    rasterio = pytest.importorskip("rasterio")
    odc_stac = pytest.importorskip("odc.stac")
    import pickle
    from urllib.parse import urlsplit

    from azure.planetarycomputer._bridges._pystac import stac_json
    from azure.planetarycomputer._dask._rasters import load_signed

    probe = PlanetaryComputerProClient(ENDPOINT, StandinCredential())
    (item,) = probe.stac.search_items_paged(collections="sentinel-mini", limit=1, max_items=1)
    blob_host = urlsplit(item.assets["B04"].href).netloc
    client = PlanetaryComputerProClient(ENDPOINT, StandinCredential(), storage_hosts=[blob_host])
    signer = client.sas.signer(credential_factory=StandinCredential)
    unsigned = pystac.Item.from_dict(stac_json(item))
    grid = {
        "crs": "EPSG:4326",
        "resolution": 0.000390625,
        "bbox": item["bbox"],
        "chunks": {"x": 128, "y": 128},
    }

    lazy = load_signed([unsigned], signer=signer, bands=["B04"], **grid)
    graph = pickle.dumps(dict(lazy.__dask_graph__()))
    assert b"sig=" not in graph  # nothing signed when the graph was built: the workers sign as they read
    pixels = lazy.B04.compute().values[0]
    with rasterio.open(signer(item.assets["B04"].href)) as source:
        expected = source.read(1)
    assert pixels.shape == expected.shape == (256, 256)
    assert (pixels == expected).all() and expected.any()

    # odc-stac's own patch_url signs on this machine, once, when load() is called: the signature
    # then travels in the graph and expires with it.
    eager = odc_stac.load([unsigned], bands=["B04"], patch_url=signer, **grid)
    assert b"sig=" in pickle.dumps(dict(eager.__dask_graph__()))
    with pytest.raises(ValueError, match="patch_url"):
        load_signed([unsigned], signer=signer, patch_url=signer, **grid)


# -- tiles of a large area ------------------------------------------------------------------------

TILE_TARGET: dict[str, Any] = {
    "collection_id": "naip-atl",
    "item_id": "ga_m_sample_05_05",
    "bbox": (-84.54, 33.56, -84.495, 33.605),
    "assets": ["image"],
    "asset_band_indices": ["image|1,2,3"],
}


def test_tiles_of_an_area_are_spread_over_the_workers_as_download_tiles_writes_them(
    client: PlanetaryComputerProClient, dask_client: Any, tmp_path: Path
) -> None:
    pytest.importorskip("morecantile")
    alone = client.data.download_tiles(directory=tmp_path / "alone", zooms=[14, 15], **TILE_TARGET)
    spread = client.data.download_tiles_on_dask(
        directory=tmp_path / "spread",
        zooms=[14, 15],
        tiles_per_task=3,  # several bands per zoom
        credential_factory=StandinCredential,
        dask_client=dask_client,
        **TILE_TARGET,
    )
    assert not spread.failures
    assert spread.result.fetched == alone.fetched > 6 and spread.result.skipped == 0

    def files(folder: Path) -> dict[str, bytes]:
        return {
            str(path.relative_to(folder)): path.read_bytes() for path in folder.rglob("*") if path.is_file()
        }

    assert files(tmp_path / "spread") == files(tmp_path / "alone")  # same tiles, same bytes, same manifest

    removed = sorted((tmp_path / "spread" / "15").rglob("*.png"))[0]
    removed.unlink()
    again = client.data.download_tiles_on_dask(
        directory=tmp_path / "spread",
        zooms=[14, 15],
        tiles_per_task=3,
        credential_factory=StandinCredential,
        dask_client=dask_client,
        **TILE_TARGET,
    )
    assert (again.result.fetched, again.result.skipped) == (1, alone.fetched - 1)
    assert removed.read_bytes() == files(tmp_path / "alone")[str(removed.relative_to(tmp_path / "spread"))]
