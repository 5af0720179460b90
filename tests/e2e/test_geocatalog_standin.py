"""End-to-end tests: the library against the local GeoCatalog stand-in (tests/geocatalog/up).

Skipped when the stand-in is not reachable at GEOCATALOG_ENDPOINT (default http://127.0.0.1:8811),
unless GEOCATALOG_REQUIRED=1 (set by .ci/run after starting it): then an unreachable stand-in fails.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
import uuid

import pytest
from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.planetarycomputer import PlanetaryComputerProClient
from standin import ENDPOINT, needs_standin

NAIP = "naip-atl"
ITEM = "ga_m_3308421_se_16_060_20211114"
LON, LAT = -84.4, 33.65


pytestmark = needs_standin


class FakeCredential:
    """A TokenCredential that hands out a fixed token; the stand-in accepts any bearer token."""

    def __init__(self) -> None:
        self.calls = 0

    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        self.calls += 1
        return AccessToken("fake-token", int(time.time()) + 3600)

    def get_token_info(self, *scopes: str, options: object = None) -> AccessTokenInfo:
        self.calls += 1
        return AccessTokenInfo("fake-token", int(time.time()) + 3600)


@pytest.fixture(scope="module")
def client() -> PlanetaryComputerProClient:
    return PlanetaryComputerProClient(ENDPOINT, FakeCredential(), polling_interval=0.2)


def _collection_body(collection_id: str) -> dict:
    return {
        "id": collection_id,
        "type": "Collection",
        "stac_version": "1.0.0",
        "description": "Temporary collection of the e2e tests",
        "license": "proprietary",
        "links": [],
        "extent": {
            "spatial": {"bbox": [[-180, -90, 180, 90]]},
            "temporal": {"interval": [["2020-01-01T00:00:00Z", None]]},
        },
    }


# ---------------------------------------------------------------------------------------------- auth
def test_requests_without_a_token_are_rejected() -> None:
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(f"{ENDPOINT}/stac/collections", timeout=5)
    assert info.value.code == 401


# ---------------------------------------------------------------------------------------------- stac
def test_collections(client: PlanetaryComputerProClient) -> None:
    ids = {c.id for c in client.stac.get_collections().collections}
    assert {NAIP, "sentinel-mini"} <= ids
    collection = client.stac.get_collection(NAIP)
    assert collection.id == NAIP
    self_links = [link.href for link in collection.links if link.rel == "self"]
    assert self_links == [f"{ENDPOINT}/stac/collections/{NAIP}"]


def test_get_item(client: PlanetaryComputerProClient) -> None:
    item = client.stac.get_item(NAIP, ITEM)
    assert item.id == ITEM
    assert item["bbox"] == pytest.approx([-84.44157, 33.621853, -84.370894, 33.690654])
    assert "image" in item.assets


def test_search_follows_next_links_across_pages(client: PlanetaryComputerProClient) -> None:
    body: dict = {"collections": [NAIP], "limit": 40, "sortby": [{"field": "id", "direction": "asc"}]}
    seen: list[str] = []
    pages = 0
    while True:
        page = client.stac.search(body=body)
        pages += 1
        seen.extend(feature.id for feature in page.features)
        next_links = [link for link in page.links or [] if link.rel == "next"]
        if not next_links:
            break
        body = dict(next_links[0]["body"])
        assert pages < 20
    assert pages >= 4
    assert len(seen) == len(set(seen)) >= 160
    assert seen == sorted(seen)


def test_search_with_spatial_filter(client: PlanetaryComputerProClient) -> None:
    page = client.stac.search(
        body={"collections": [NAIP], "bbox": [-84.43, 33.63, -84.42, 33.64], "limit": 10}
    )
    assert ITEM in {f.id for f in page.features}


def test_create_and_delete_collection_lro(client: PlanetaryComputerProClient) -> None:
    collection_id = f"e2e-{uuid.uuid4().hex[:8]}"
    poller = client.stac.begin_create_collection(body=_collection_body(collection_id))
    poller.result()
    assert poller.status() == "Succeeded"
    assert client.stac.get_collection(collection_id).id == collection_id

    poller = client.stac.begin_delete_collection(collection_id)
    poller.result()
    assert poller.status() == "Succeeded"
    from azure.core.exceptions import ResourceNotFoundError

    with pytest.raises(ResourceNotFoundError):
        client.stac.get_collection(collection_id)


# ---------------------------------------------------------------------------------------------- data
def test_get_tile_is_png(client: PlanetaryComputerProClient) -> None:
    data = b"".join(
        client.data.get_tile(
            NAIP,
            ITEM,
            "WebMercatorQuad",
            14,
            4350,
            6564,
            assets=["image"],
            asset_band_indices=["image|1,2,3"],
            format="png",
        )
    )
    assert data[:8] == b"\x89PNG\r\n\x1a\n"


def test_tilejson(client: PlanetaryComputerProClient) -> None:
    tilejson = client.data.get_item_tile_json(
        NAIP, ITEM, assets=["image"], asset_band_indices=["image|1,2,3"]
    )
    assert tilejson.tiles[0].startswith(f"{ENDPOINT}/data/mosaic/collections/{NAIP}/items/{ITEM}/tiles/")
    assert tilejson.bounds == pytest.approx([-84.44157, 33.621853, -84.370894, 33.690654])


def test_point(client: PlanetaryComputerProClient) -> None:
    point = client.data.get_item_point(NAIP, ITEM, longitude=LON, latitude=LAT, assets=["image"])
    assert point["coordinates"] == pytest.approx([LON, LAT])
    assert len(point["values"]) == 4
    assert point["band_names"] == ["image_b1", "image_b2", "image_b3", "image_b4"]


def test_statistics(client: PlanetaryComputerProClient) -> None:
    stats = client.data.get_item_statistics(NAIP, ITEM, assets=["image"])
    assert set(stats) == {"image_b1", "image_b2", "image_b3", "image_b4"}
    assert 0 < stats["image_b1"].mean < 255


# ---------------------------------------------------------------------------------------------- sas
def test_get_token(client: PlanetaryComputerProClient) -> None:
    token = client.sas.get_token(NAIP, duration_in_minutes=60)
    assert "sig=" in token.token
    assert token.expires_on is not None


def test_get_url_signs_an_asset_href_that_downloads(client: PlanetaryComputerProClient) -> None:
    href = client.stac.get_item(NAIP, ITEM).assets["image"].href
    with pytest.raises(urllib.error.HTTPError) as info:  # unsigned: refused by storage (Azurite)
        urllib.request.urlopen(href, timeout=10)
    assert info.value.code == 403
    signed = client.sas.get_url(href=href)
    assert signed.href.startswith(href + "?")
    with urllib.request.urlopen(signed.href, timeout=10) as response:
        assert response.read(4) in (b"II*\x00", b"MM\x00*")


# ---------------------------------------------------------------------------------------------- ingestion
# (ingestion runs that import data: tests/e2e/test_standin_storage.py)
def test_list_sources(client: PlanetaryComputerProClient) -> None:
    created = client.ingestion.create_source(
        body={
            "id": str(uuid.uuid4()),
            "kind": "SasToken",
            "connectionInfo": {
                "containerUrl": "http://127.0.0.1:10000/devstoreaccount1/ingest-samples",
                "sasToken": "sp=rl&sig=x",
            },
        }
    )
    try:
        assert created.id in {source.id for source in client.ingestion.list_sources()}
    finally:
        client.ingestion.delete_source(created.id)
