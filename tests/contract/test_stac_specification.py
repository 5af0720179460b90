"""Recorded STAC API traffic: conformance, collections, search and item lifecycle
(recordings ``02_stac_specification``)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.planetarycomputer import models

from .conftest import UTC, Replay, assert_not_found, cassette, naip, settle

ITEM_ID = "ga_m_3308421_se_16_060_20211114"
ITEM_BBOX = [-84.44157, 33.621853, -84.370894, 33.690654]
ITEM_RING = [
    [-84.372943, 33.621853],
    [-84.370894, 33.689211],
    [-84.439575, 33.690654],
    [-84.44157, 33.623293],
    [-84.372943, 33.621853],
]


def naip_item(collection_id: str, item_id: str) -> models.StacItem:
    """The NAIP item the recorded tests create, built from the public models."""
    return models.StacItem(
        stac_version="1.0.0",
        id=item_id,
        collection=collection_id,
        bounding_box=ITEM_BBOX,
        geometry=models.Polygon(coordinates=[ITEM_RING]),
        properties=models.StacItemProperties(
            {
                "gsd": 0.6,
                "datetime": "2021-11-14T16:00:00Z",
                f"{collection_id}:year": "2021",
                "proj:bbox": [737334.0, 3723324.0, 743706.0, 3730800.0],
                "proj:epsg": 26916,
                f"{collection_id}:state": "ga",
                "proj:shape": [12460, 10620],
                "proj:transform": [0.6, 0.0, 737334.0, 0.0, -0.6, 3730800.0, 0.0, 0.0, 1.0],
            }
        ),
        links=[
            models.StacLink(
                rel="collection",
                type="application/json",
                href=f"https://planetarycomputer.microsoft.com/api/stac/v1/collections/{collection_id}",
            )
        ],
        assets={
            "image": models.StacAsset(
                href=(
                    f"https://SANITIZED.blob.core.windows.net/{collection_id}/v002/ga/2021/ga_060cm_2021/33084/"
                    "m_3308421_se_16_060_20211114.tif"
                ),
                type="image/tiff; application=geotiff; profile=cloud-optimized",
                roles=["data"],
                title="RGBIR COG tile",
            )
        },
        stac_extensions=["https://stac-extensions.github.io/projection/v1.0.0/schema.json"],
    )


def assert_item(item: Any, collection_id: str, item_id: str) -> None:
    assert isinstance(item, models.StacItem)
    assert item.type == "Feature"
    assert item.id == item_id
    assert item.collection == collection_id
    assert item.geometry.type == "Polygon"
    assert item.bounding_box[0] < item.bounding_box[2] and item.bounding_box[1] < item.bounding_box[3]
    assert item.properties.date_time == "2021-11-14T16:00:00Z"
    assert item.properties.gsd == 0.6


@cassette("stac/02_stac_specification/test_01_get_conformance_class")
async def test_get_conformance_classes(replay: Replay) -> None:
    async with replay.client() as client:
        conformance = await settle(client.stac.get_conformance_classes())

    assert dict(conformance) == replay.response_json(0)
    assert len(conformance.conforms_to) == 15
    assert "https://api.stacspec.org/v1.0.0/core" in conformance.conforms_to
    replay.assert_all_played()


@cassette("stac/02_stac_specification/test_03_list_collections")
async def test_list_collections(replay: Replay) -> None:
    async with replay.client() as client:
        catalog = await settle(client.stac.get_collections())

    assert dict(catalog) == replay.response_json(0)
    assert [collection.id for collection in catalog.collections] == [
        "naip-atl-atl",
        "sentinel-2",
        "landsat-8",
        "dem",
        "land-cover",
    ]
    replay.assert_all_played()


@cassette("stac/02_stac_specification/test_04_get_collection")
async def test_get_collection(replay: Replay) -> None:
    async with replay.client() as client:
        collection = await settle(client.stac.get_collection(naip(3)))

    assert dict(collection) == replay.response_json(0)
    assert collection.id == naip(3)
    assert collection.title == "NAIP Test Dataset"
    assert collection.license == "proprietary"
    assert collection.extent.spatial.bounding_box == [[-85.605165, 30.357851, -80.839729, 35.000659]]
    assert collection.item_assets["image"]["title"] == "RGBIR COG tile"
    replay.assert_all_played()


@cassette("stac/02_stac_specification/test_05_search_items_with_spatial_filter")
async def test_search_with_spatial_filter(replay: Replay) -> None:
    area = [
        [-84.46416308610219, 33.6033686729869],
        [-84.38815071170247, 33.6033686729869],
        [-84.38815071170247, 33.6713179813099],
        [-84.46416308610219, 33.6713179813099],
        [-84.46416308610219, 33.6033686729869],
    ]
    search = models.StacSearchParameters(
        collections=[naip(4)],
        filter_lang="cql2-json",
        filter={
            "op": "s_intersects",
            "args": [{"property": "geometry"}, {"type": "Polygon", "coordinates": [area]}],
        },
        date_time="2021-01-01T00:00:00Z/2022-12-31T00:00:00Z",
        sort_by=[models.StacSortExtension(field="datetime", direction="desc")],
        limit=50,
    )
    async with replay.client() as client:
        page = await settle(client.stac.search(search))

    assert dict(page) == replay.response_json(0)
    assert isinstance(page, models.StacItemCollection)
    assert page.type == "FeatureCollection"
    assert [item.id for item in page.features] == [
        "ga_m_3308429_nw_16_060_20211114",
        "ga_m_3308429_ne_16_060_20211114",
        "ga_m_3308421_sw_16_060_20211114",
        "ga_m_3308421_se_16_060_20211114",
    ]
    assert {item.geometry.type for item in page.features} == {"Polygon"}
    assert page.features[0].assets["image"].href == (
        f"https://SANITIZED.blob.core.windows.net/{naip(4)}-bf48131e/a34/ga_m_3308429_nw_16_060_20211114/image.tif"
    )
    assert page.links is not None
    assert [link.rel for link in page.links] == ["root", "self"]
    replay.assert_all_played()


@cassette("stac/02_stac_specification/test_08_search_items_with_temporal_filter")
async def test_search_with_temporal_filter(replay: Replay) -> None:
    search = models.StacSearchParameters(
        collections=[naip(7)], date_time="2021-01-01T00:00:00Z/2022-12-31T00:00:00Z", limit=10
    )
    async with replay.client() as client:
        page = await settle(client.stac.search(search))

    assert dict(page) == replay.response_json(0)
    assert len(page.features) == 10
    assert {item.properties.date_time for item in page.features} == {"2021-11-14T16:00:00Z"}
    assert {item.collection for item in page.features} == {naip(7)}
    replay.assert_all_played()


@cassette("stac/02_stac_specification/test_09_search_items_with_sorting")
async def test_search_with_sorting(replay: Replay) -> None:
    def by_datetime(direction: str) -> models.StacSearchParameters:
        return models.StacSearchParameters(
            collections=[naip(8)],
            sort_by=[models.StacSortExtension(field="datetime", direction=direction)],
            limit=5,
        )

    async with replay.client() as client:
        descending = await settle(client.stac.search(by_datetime("desc")))
        ascending = await settle(client.stac.search(by_datetime(models.StacSearchSortingDirection.ASC)))

    assert dict(descending) == replay.response_json(0)
    assert dict(ascending) == replay.response_json(1)
    assert len(descending.features) == len(ascending.features) == 5
    assert descending.features[0].id == "ga_m_3308429_sw_16_060_20211114"
    assert [link.rel for link in descending.links] == ["root", "self", "next"]
    replay.assert_all_played()


@cassette("stac/02_stac_specification/test_12_get_item")
async def test_get_item(replay: Replay) -> None:
    collection_id = naip(11)
    async with replay.client() as client:
        page = await settle(client.stac.get_item_collection(collection_id, limit=1))
        item = await settle(client.stac.get_item(collection_id, page.features[0].id))

    assert dict(page) == replay.response_json(0)
    assert dict(item) == replay.response_json(1)
    assert len(page.features) == 1
    assert page.links is not None
    next_link = next(link for link in page.links if link.rel == "next")
    assert next_link.href.endswith(
        f"/stac/collections/{collection_id}/items?api-version=2026-04-15&limit=1&token=Sanitized"
    )
    assert_item(item, collection_id, "ga_m_3308429_sw_16_060_20211114")
    assert item.bounding_box == [-84.504016, 33.496851, -84.433429, 33.565619]
    assert sorted(item.assets) == ["image", "rendered_preview", "thumbnail", "tilejson"]
    assert item.assets["thumbnail"].type == "image/jpeg"
    assert item.properties.providers[0].name == "USDA Farm Service Agency"
    assert item.e_tag and item.timestamp.tzinfo is not None
    replay.assert_all_played()


@cassette("stac/02_stac_specification/test_10_create_stac_item")
async def test_begin_create_item(replay: Replay) -> None:
    collection_id, item_id = naip(9), f"{ITEM_ID}_test"
    async with replay.client() as client:
        existing = await settle(client.stac.get_item_collection(collection_id))
        poller = await settle(
            client.stac.begin_create_item(
                collection_id, naip_item(collection_id, item_id), polling_interval=0
            )
        )
        result = await settle(poller.result())
        created = await settle(client.stac.get_item(collection_id, item_id))

    assert dict(existing) == replay.response_json(0)
    assert dict(created) == replay.response_json(5)
    assert len(existing.features) == 10
    assert item_id not in [item.id for item in existing.features]
    assert result is None
    assert poller.status() == "Succeeded"
    assert_item(created, collection_id, item_id)
    assert created.bounding_box == ITEM_BBOX
    assert created.geometry.coordinates == [ITEM_RING]
    assert created.assets["image"].href == (
        f"https://SANITIZED.blob.core.windows.net/{collection_id}-bf48131e/08a/{item_id}/image.tif"
    )
    assert created.timestamp == datetime.datetime(2026, 4, 16, 12, 19, 39, 262875, tzinfo=UTC)
    replay.assert_all_played()


@cassette("stac/02_stac_specification/test_11_update_stac_item")
async def test_begin_update_item_reports_failed_operation(replay: Replay) -> None:
    collection_id, item_id = naip(10), f"{ITEM_ID}_test"
    async with replay.client() as client:
        item = await settle(client.stac.get_item(collection_id, item_id))
        item.properties["platform"] = "Imagery"
        poller = await settle(client.stac.begin_update_item(collection_id, item_id, item, polling_interval=0))
        with pytest.raises(HttpResponseError) as failed:
            await settle(poller.result())

    # The service accepted the merge patch, then the operation failed (the asset's storage is private):
    # the error raised carries the operation's error code and message.
    replay.assert_all_played()
    assert poller.status() == "Failed"
    operation = replay.response_json(3)
    assert operation["error"]["error"]["code"] == "PublicAccessRestricted"
    assert failed.value.error is not None, f"no service error code surfaced: {failed.value.message[:80]!r}"
    assert failed.value.error.code == "PublicAccessRestricted"
    assert failed.value.error.message == operation["error"]["error"]["message"]


@cassette("stac/02_stac_specification/test_14_delete_stac_item")
async def test_begin_delete_item(replay: Replay) -> None:
    collection_id, item_id = naip(1), f"{ITEM_ID}_delete_test"
    async with replay.client() as client:
        created = await settle(
            client.stac.begin_create_item(
                collection_id, naip_item(collection_id, item_id), polling_interval=0
            )
        )
        await settle(created.result())
        item = await settle(client.stac.get_item(collection_id, item_id))
        deleted = await settle(client.stac.begin_delete_item(collection_id, item_id, polling_interval=0))
        result = await settle(deleted.result())
        with pytest.raises(ResourceNotFoundError) as gone:
            await settle(client.stac.get_item(collection_id, item_id))

    assert dict(item) == replay.response_json(4)
    assert created.status() == deleted.status() == "Succeeded"
    assert result is None
    assert_item(item, collection_id, item_id)
    assert_not_found(
        gone.value,
        f"Resource not found at '/stac/collections/{collection_id}/items/{item_id}' with parameters "
        f"{{'collection_id': '{collection_id}', 'item_id': '{item_id}'}}. "
        "Check the parameters and try again.",
    )
    replay.assert_all_played()
