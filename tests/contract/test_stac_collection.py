"""Recorded STAC collection traffic: collections, assets, configuration, render options, mosaics,
queryables (recordings ``00_stac_collection`` and ``07_collection_lifecycle``)."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.planetarycomputer import models
from azure.planetarycomputer._generated._utils.model_base import SdkJSONEncoder

from .conftest import (
    PNG_MAGIC,
    UTC,
    Replay,
    assert_not_found,
    cassette,
    cassette_marks,
    multipart_parts,
    naip,
    read_stream,
    settle,
)

IMAGE_OPTIONS = "assets=image&asset_bidx=image|1,2,3"


def assert_sent_parts(replay: Replay, recorded_index: int, file_name: str, content: bytes, data: Any) -> None:
    """The multipart body the client sent: the file part byte for byte, the JSON metadata part,
    both as recorded (multipart boundaries are random, so the cassette matcher skips these bodies)."""
    assert len(replay.sent_files) == 1
    sent = multipart_parts(replay.sent_files[0])
    recorded = replay.request_parts(recorded_index)
    assert sorted(sent) == sorted(recorded) == ["data", "file"]
    assert sent["file"] == recorded["file"] == (file_name, content)
    assert sent["data"][0] is None
    assert json.loads(sent["data"][1]) == json.loads(recorded["data"][1]) == data


# --------------------------------------------------------------------------------------------------
# Collections
# --------------------------------------------------------------------------------------------------


@cassette("stac/00_stac_collection/test_01_list_collections")
async def test_list_collections(replay: Replay) -> None:
    async with replay.client() as client:
        catalog = await settle(client.stac.get_collections())

    recorded = replay.response_json(0)
    assert dict(catalog) == recorded
    assert isinstance(catalog, models.StacCatalogCollections)
    ids = [collection.id for collection in catalog.collections]
    assert ids[:3] == ["sdk-readme-test", "karthick-collection", "example-collection-1"]
    assert len(ids) == len(recorded["collections"]) == 5
    first = catalog.collections[0]
    assert first.description == "Test collection for SDK README validation"
    assert first.license == "proprietary"
    assert first.extent.spatial.bounding_box == [[-180, -90, 180, 90]]
    assert first.extent.temporal.interval == [[None, None]]
    assert first.created_on == datetime.datetime(2026, 4, 13, 12, 39, 15, 965546, tzinfo=UTC)
    assert [link.rel for link in first.links][:4] == ["items", "parent", "root", "self"]
    replay.assert_all_played()


@cassette("stac/00_stac_collection/test_03_get_collection")
async def test_get_collection(replay: Replay) -> None:
    async with replay.client() as client:
        collection = await settle(client.stac.get_collection(naip(3)))

    assert dict(collection) == replay.response_json(0)
    assert isinstance(collection, models.StacCollection)
    assert collection.id == naip(3)
    assert collection.title == "NAIP Collection"
    assert collection.description == "An example collection"
    assert collection.license == "CC-BY-4.0"
    assert collection.stac_version == "1.0.0"
    assert collection.short_description == "An example NAIP collection"
    assert collection.created_on == datetime.datetime(2026, 4, 13, 17, 3, 51, 474510, tzinfo=UTC)
    assert collection.extent.temporal.interval == [
        [datetime.datetime(2018, 1, 1, tzinfo=UTC), datetime.datetime(2018, 12, 31, 23, 59, 59, tzinfo=UTC)]
    ]
    assert collection.assets is not None
    assert collection.assets["thumbnail"].href == (
        f"https://SANITIZED.blob.core.windows.net/{naip(3)}-bf48131e/collection-assets/thumbnail/thumbnail.png"
    )
    assert collection.assets["thumbnail"].roles == ["thumbnail"]
    replay.assert_all_played()


@cassette("stac/00_stac_collection/test_03_get_collection")
async def test_typed_access_leaves_the_wire_json_intact(replay: Replay) -> None:
    """Models are MutableMappings over the wire JSON. Reading a typed attribute parses the temporal
    interval into datetimes and the generated model runtime keeps the parsed values in the mapping,
    so ``dict(model)`` then holds datetimes; what the model serializes to (what is sent back to the
    service) must still be exactly the wire JSON."""
    async with replay.client() as client:
        collection = await settle(client.stac.get_collection(naip(3)))

    recorded = replay.response_json(0)
    assert collection.extent.temporal.interval[0][0] == datetime.datetime(2018, 1, 1, tzinfo=UTC)
    assert json.loads(json.dumps(collection, cls=SdkJSONEncoder)) == recorded
    assert json.loads(json.dumps(collection["extent"], cls=SdkJSONEncoder)) == recorded["extent"]
    replay.assert_all_played()


@cassette("stac/00_stac_collection/test_02_get_conformance_class")
async def test_get_conformance_classes(replay: Replay) -> None:
    async with replay.client() as client:
        conformance = await settle(client.stac.get_conformance_classes())

    assert dict(conformance) == replay.response_json(0)
    assert isinstance(conformance, models.StacConformanceClasses)
    assert len(conformance.conforms_to) == 15
    assert conformance.conforms_to[0] == "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2"
    assert "https://api.stacspec.org/v1.0.0/item-search#sort" in conformance.conforms_to
    replay.assert_all_played()


@cassette("stac/07_collection_lifecycle/test_01_begin_create_collection")
async def test_begin_create_collection(replay: Replay) -> None:
    collection_id = "test-collection-lifecycle"
    body = models.StacCollection(
        id=collection_id,
        description="Test collection for lifecycle operations",
        extent=models.StacExtensionExtent(
            spatial=models.StacExtensionSpatialExtent(bounding_box=[[-180, -90, 180, 90]]),
            temporal=models.StacCollectionTemporalExtent(
                interval=[
                    [
                        datetime.datetime(2020, 1, 1, tzinfo=UTC),
                        datetime.datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC),
                    ]
                ]
            ),
        ),
        license="proprietary",
        links=[],
        stac_version="1.0.0",
        title="Test Collection Lifecycle",
        type="Collection",
    )
    async with replay.client() as client:
        with pytest.raises(ResourceNotFoundError) as missing:
            await settle(client.stac.get_collection(collection_id))
        poller = await settle(client.stac.begin_create_collection(body, polling_interval=0))
        result = await settle(poller.result())
        created = await settle(client.stac.get_collection(collection_id))

    assert dict(created) == replay.response_json(5)
    assert_not_found(
        missing.value,
        f"Collection '{collection_id}' not found. Please verify the collection ID and try again.",
    )
    assert result is None
    assert poller.status() == "Succeeded"
    assert created.id == collection_id
    assert created.title == "Test Collection Lifecycle"
    assert created.extent.temporal.interval == [
        [datetime.datetime(2020, 1, 1, tzinfo=UTC), datetime.datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC)]
    ]
    assert created.created_on == datetime.datetime(2026, 4, 16, 15, 10, 54, 223505, tzinfo=UTC)
    replay.assert_all_played()


@cassette("stac/07_collection_lifecycle/test_03_begin_delete_collection")
async def test_begin_delete_collection(replay: Replay) -> None:
    collection_id = "test-collection-lifecycle"
    async with replay.client() as client:
        poller = await settle(client.stac.begin_delete_collection(collection_id, polling_interval=0))
        result = await settle(poller.result())
        with pytest.raises(ResourceNotFoundError) as gone:
            await settle(client.stac.get_collection(collection_id))

    assert result is None
    assert poller.status() == "Succeeded"
    assert_not_found(
        gone.value, f"Collection '{collection_id}' not found. Please verify the collection ID and try again."
    )
    replay.assert_all_played()


# --------------------------------------------------------------------------------------------------
# Collection assets (multipart) and the thumbnail
# --------------------------------------------------------------------------------------------------


@cassette("stac/00_stac_collection/test_10a_create_thumbnail_asset")
async def test_create_thumbnail_asset(replay: Replay) -> None:
    collection_id = naip(11)
    png = replay.request_parts(1)["file"][1]
    data = {
        "key": "thumbnail",
        "href": "https://example.com/thumbnail.png",
        "type": "image/png",
        "roles": ["thumbnail"],
        "title": "Collection Thumbnail",
    }
    async with replay.client() as client:
        before = await settle(client.stac.delete_collection_asset(collection_id, "thumbnail"))
        created = await settle(
            client.stac.create_collection_asset(
                collection_id,
                models.StacAssetData(data=models.AssetMetadata(data), file=("thumbnail.png", png)),
            )
        )
        fetched = await settle(client.stac.get_collection(collection_id))

    assert dict(created) == replay.response_json(1)
    assert dict(fetched) == replay.response_json(2)
    assert png.startswith(PNG_MAGIC) and len(png) == 75
    assert_sent_parts(replay, 1, "thumbnail.png", png, data)
    assert isinstance(before, models.StacCollection)
    assert before.id == collection_id
    assert "assets" not in before
    thumbnail_href = f"https://SANITIZED.blob.core.windows.net/{collection_id}-bf48131e/collection-assets/thumbnail/thumbnail.png"
    assert created.assets["thumbnail"].href == thumbnail_href
    assert created.assets["thumbnail"].title == "Collection Thumbnail"
    assert fetched.assets["thumbnail"].href == thumbnail_href
    replay.assert_all_played()


@cassette("stac/00_stac_collection/test_11_get_collection_thumbnail")
async def test_get_collection_thumbnail(replay: Replay) -> None:
    collection_id = naip(12)
    async with replay.client() as client:
        collection = await settle(client.stac.get_collection(collection_id))
        thumbnail = await read_stream(await settle(client.stac.get_collection_thumbnail(collection_id)))

    assert collection.assets["thumbnail"].type == "image/png"
    assert thumbnail == replay.response_body(1)
    assert thumbnail.startswith(PNG_MAGIC)
    assert len(thumbnail) == 75
    replay.assert_all_played()


@cassette("stac/07_collection_lifecycle/test_04_create_collection_asset")
async def test_create_collection_asset(replay: Replay) -> None:
    collection_id = naip(4)
    data = {
        "key": "test-asset",
        "href": "https://example.com/test-asset.txt",
        "type": "text/plain",
        "roles": ["metadata"],
        "title": "Test Asset",
    }
    async with replay.client() as client:
        with pytest.raises(ResourceNotFoundError) as missing:
            await settle(client.stac.delete_collection_asset(collection_id, "test-asset"))
        created = await settle(
            client.stac.create_collection_asset(
                collection_id,
                models.StacAssetData(
                    data=models.AssetMetadata(data), file=("test-asset.txt", b"Test asset content")
                ),
            )
        )

    assert dict(created) == replay.response_json(1)
    assert_not_found(
        missing.value,
        f"Asset key 'test-asset' not found in collection '{collection_id}'. "
        "Please verify the asset key and collection ID, and try again.",
    )
    assert_sent_parts(replay, 1, "test-asset.txt", b"Test asset content", data)
    assert created.assets["test-asset"].href == (
        f"https://SANITIZED.blob.core.windows.net/{collection_id}-bf48131e/collection-assets/test-asset/test-asset.txt"
    )
    assert created.assets["test-asset"].roles == ["metadata"]
    assert sorted(created.assets) == ["test-asset", "thumbnail"]
    replay.assert_all_played()


@cassette("stac/07_collection_lifecycle/test_05_replace_collection_asset")
async def test_replace_collection_asset(replay: Replay) -> None:
    collection_id = naip(5)
    data = {
        "key": "test-asset",
        "href": "https://example.com/test-asset-updated.txt",
        "type": "text/plain",
        "roles": ["metadata"],
        "title": "Test Asset - Updated",
    }
    content = b"Test asset content - updated"
    async with replay.client() as client:
        replaced = await settle(
            client.stac.replace_collection_asset(
                collection_id,
                "test-asset",
                models.StacAssetData(data=models.AssetMetadata(data), file=("test-asset.txt", content)),
            )
        )

    assert dict(replaced) == replay.response_json(0)
    assert_sent_parts(replay, 0, "test-asset.txt", content, data)
    assert replaced.id == collection_id
    assert replaced.assets["test-asset"].title == "Test Asset - Updated"
    replay.assert_all_played()


@cassette("stac/07_collection_lifecycle/test_06_delete_collection_asset")
async def test_delete_collection_asset(replay: Replay) -> None:
    collection_id = naip(6)
    data = {
        "key": "test-asset-to-be-deleted",
        "href": "https://example.com/test-asset-to-delete.txt",
        "type": "text/plain",
        "roles": ["metadata"],
        "title": "Test Asset To Be Deleted",
    }
    content = b"Test asset content for deletion"
    async with replay.client() as client:
        created = await settle(
            client.stac.create_collection_asset(
                collection_id,
                models.StacAssetData(
                    data=models.AssetMetadata(data), file=("test-asset-to-delete.txt", content)
                ),
            )
        )
        deleted = await settle(client.stac.delete_collection_asset(collection_id, "test-asset-to-be-deleted"))
        fetched = await settle(client.stac.get_collection(collection_id))

    assert dict(deleted) == replay.response_json(1)
    assert dict(fetched) == replay.response_json(2)
    assert_sent_parts(replay, 0, "test-asset-to-delete.txt", content, data)
    assert "test-asset-to-be-deleted" in created.assets
    assert sorted(deleted.assets) == ["test-asset", "thumbnail"]
    assert sorted(fetched.assets) == ["test-asset", "thumbnail"]
    replay.assert_all_played()


# --------------------------------------------------------------------------------------------------
# Configuration: partition type, tile settings, whole configuration
# --------------------------------------------------------------------------------------------------


@cassette("stac/00_stac_collection/test_04_get_partition_type")
async def test_get_partition_type(replay: Replay) -> None:
    async with replay.client() as client:
        partition = await settle(client.stac.get_partition_type(naip(4)))

    assert dict(partition) == {"scheme": "none"}
    assert isinstance(partition, models.PartitionType)
    assert partition.scheme == "none"
    replay.assert_all_played()


@cassette("stac/00_stac_collection/test_18_replace_partition_type")
async def test_replace_partition_type(replay: Replay) -> None:
    collection_id = "test-partition-type-collection"
    body = models.StacCollection(
        id=collection_id,
        description="Temporary collection for partition type testing",
        extent=models.StacExtensionExtent(
            spatial=models.StacExtensionSpatialExtent(bounding_box=[[-180, -90, 180, 90]]),
            temporal=models.StacCollectionTemporalExtent(
                interval=[
                    [
                        datetime.datetime(2020, 1, 1, tzinfo=UTC),
                        datetime.datetime(2099, 12, 31, 23, 59, 59, tzinfo=UTC),
                    ]
                ]
            ),
        ),
        license="proprietary",
        links=[],
        stac_version="1.0.0",
        title="Test Partition Type Collection",
        type="Collection",
    )
    async with replay.client() as client:
        with pytest.raises(ResourceNotFoundError) as missing:
            await settle(client.stac.get_collection(collection_id))
        created = await settle(client.stac.begin_create_collection(body, polling_interval=0))
        await settle(created.result())
        replaced = await settle(
            client.stac.replace_partition_type(collection_id, models.PartitionType(scheme="year"))
        )
        partition = await settle(client.stac.get_partition_type(collection_id))
        deleted = await settle(client.stac.begin_delete_collection(collection_id, polling_interval=0))
        await settle(deleted.result())

    assert_not_found(
        missing.value,
        f"Collection '{collection_id}' not found. Please verify the collection ID and try again.",
    )
    assert created.status() == "Succeeded"
    assert replaced is None
    assert partition.scheme == "year"
    assert deleted.status() == "Succeeded"
    replay.assert_all_played()


@cassette("stac/00_stac_collection/test_06_get_tile_settings")
async def test_get_tile_settings(replay: Replay) -> None:
    async with replay.client() as client:
        settings = await settle(client.stac.get_tile_settings(naip(6)))

    assert dict(settings) == replay.response_json(0)
    assert isinstance(settings, models.TileSettings)
    assert settings.min_zoom == 6
    assert settings.max_items_per_tile == 35
    assert settings.default_location is None
    replay.assert_all_played()


@cassette("stac/00_stac_collection/test_19_replace_tile_settings")
async def test_replace_tile_settings(replay: Replay) -> None:
    async with replay.client() as client:
        settings = await settle(
            client.stac.replace_tile_settings(
                naip(22), models.TileSettings(max_items_per_tile=35, min_zoom=6)
            )
        )

    assert dict(settings) == replay.response_json(0)
    assert settings.max_items_per_tile == 35
    assert settings.min_zoom == 6
    replay.assert_all_played()


@cassette("stac/00_stac_collection/test_10_get_collection_configuration")
async def test_get_collection_configuration(replay: Replay) -> None:
    async with replay.client() as client:
        configuration = await settle(client.stac.get_collection_configuration(naip(10)))

    assert dict(configuration) == replay.response_json(0)
    assert isinstance(configuration, models.UserCollectionSettings)
    assert configuration.tile_settings.max_items_per_tile == 35
    mosaics = configuration.mosaic_configuration.mosaics
    assert [mosaic.id for mosaic in mosaics] == ["default", "test-mosaic-1"]
    render_options = configuration.mosaic_configuration.render_options
    assert [option.id for option in render_options] == ["test-natural-color"]
    assert render_options[0].options == IMAGE_OPTIONS
    assert render_options[0].min_zoom == 6
    replay.assert_all_played()


# --------------------------------------------------------------------------------------------------
# Render options
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("collection_id", "expected_ids"),
    [
        pytest.param(
            "naip",
            ["natural-color", "test-natural-color"],
            marks=cassette_marks("stac/00_stac_collection/test_05_get_render_options"),
            id="get_render_options",
        ),
        pytest.param(
            naip(5),
            ["test-natural-color"],
            marks=cassette_marks("stac/00_stac_collection/test_05_list_render_options"),
            id="list_render_options",
        ),
    ],
)
async def test_get_render_options(replay: Replay, collection_id: str, expected_ids: list[str]) -> None:
    async with replay.client() as client:
        options = await settle(client.stac.get_render_options(collection_id))

    assert [dict(option) for option in options] == replay.response_json(0)
    assert all(isinstance(option, models.RenderOption) for option in options)
    assert [option.id for option in options] == expected_ids
    assert options[-1].name == "Test Natural color updated"
    assert options[-1].description == "RGB from visual assets - updated"
    assert options[-1].type == "raster-tile"
    assert options[-1].options == IMAGE_OPTIONS
    replay.assert_all_played()


@cassette("stac/00_stac_collection/test_12_create_render_option")
async def test_create_render_option(replay: Replay) -> None:
    collection_id = naip(13)
    body = models.RenderOption(
        id="test-natural-color",
        name="Test Natural color",
        type="raster-tile",
        options=IMAGE_OPTIONS,
        min_zoom=6,
    )
    async with replay.client() as client:
        existing = await settle(client.stac.get_render_option(collection_id, "test-natural-color"))
        deleted = await settle(client.stac.delete_render_option(collection_id, "test-natural-color"))
        created = await settle(client.stac.create_render_option(collection_id, body))

    assert dict(created) == replay.response_json(2)
    assert existing.name == "Test Natural color updated"
    assert deleted is None
    assert created.id == "test-natural-color"
    assert created.name == "Test Natural color"
    assert created.description is None
    replay.assert_all_played()


@cassette("stac/00_stac_collection/test_13_get_render_option")
async def test_get_render_option(replay: Replay) -> None:
    async with replay.client() as client:
        option = await settle(client.stac.get_render_option(naip(14), "test-natural-color"))

    assert dict(option) == replay.response_json(0)
    assert option.id == "test-natural-color"
    assert option.name == "Test Natural color"
    assert option.min_zoom == 6
    replay.assert_all_played()


@cassette("stac/00_stac_collection/test_14_replace_render_option")
async def test_replace_render_option(replay: Replay) -> None:
    body = models.RenderOption(
        id="test-natural-color",
        name="Test Natural color updated",
        description="RGB from visual assets - updated",
        type="raster-tile",
        options=IMAGE_OPTIONS,
        min_zoom=6,
    )
    async with replay.client() as client:
        option = await settle(client.stac.replace_render_option(naip(15), "test-natural-color", body))

    assert dict(option) == replay.response_json(0)
    assert option.description == "RGB from visual assets - updated"
    replay.assert_all_played()


@cassette("stac/00_stac_collection/test_14a_delete_render_option")
async def test_delete_render_option(replay: Replay) -> None:
    collection_id = naip(16)
    body = models.RenderOption(
        id="test-render-opt-delete",
        name="Test Render Option To Be Deleted",
        type="raster-tile",
        options=IMAGE_OPTIONS,
        min_zoom=6,
    )
    async with replay.client() as client:
        created = await settle(client.stac.create_render_option(collection_id, body))
        fetched = await settle(client.stac.get_render_option(collection_id, "test-render-opt-delete"))
        deleted = await settle(client.stac.delete_render_option(collection_id, "test-render-opt-delete"))
        with pytest.raises(ResourceNotFoundError) as gone:
            await settle(client.stac.get_render_option(collection_id, "test-render-opt-delete"))

    assert created.id == fetched.id == "test-render-opt-delete"
    assert fetched.name == "Test Render Option To Be Deleted"
    assert deleted is None
    assert_not_found(
        gone.value, f"Render Option 'test-render-opt-delete' not found for collection '{collection_id}'"
    )
    replay.assert_all_played()


# --------------------------------------------------------------------------------------------------
# Mosaics
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "collection_id",
    [
        pytest.param(
            "naip", marks=cassette_marks("stac/00_stac_collection/test_07_get_mosaics"), id="get_mosaics"
        ),
        pytest.param(
            naip(7), marks=cassette_marks("stac/00_stac_collection/test_07_list_mosaics"), id="list_mosaics"
        ),
    ],
)
async def test_get_mosaics(replay: Replay, collection_id: str) -> None:
    async with replay.client() as client:
        mosaics = await settle(client.stac.get_mosaics(collection_id))

    assert [dict(mosaic) for mosaic in mosaics] == replay.response_json(0)
    assert all(isinstance(mosaic, models.StacMosaic) for mosaic in mosaics)
    assert [mosaic.id for mosaic in mosaics] == ["default", "test-mosaic-1"]
    assert mosaics[0].name == "Default"
    assert mosaics[0].description == ""
    assert mosaics[1].description == "Most recent available imagery in this collection - updated"
    assert mosaics[1].cql == []
    replay.assert_all_played()


@cassette("stac/00_stac_collection/test_15_add_mosaic")
async def test_add_mosaic(replay: Replay) -> None:
    collection_id = naip(17)
    async with replay.client() as client:
        existing = await settle(client.stac.get_mosaic(collection_id, "test-mosaic-1"))
        deleted = await settle(client.stac.delete_mosaic(collection_id, "test-mosaic-1"))
        added = await settle(
            client.stac.add_mosaic(
                collection_id,
                models.StacMosaic(id="test-mosaic-1", name="Test Most recent available", cql=[]),
            )
        )

    assert dict(added) == replay.response_json(2)
    assert existing.description == "Most recent available imagery in this collection - updated"
    assert deleted is None
    assert added.id == "test-mosaic-1"
    assert added.name == "Test Most recent available"
    assert added.description is None
    replay.assert_all_played()


@cassette("stac/00_stac_collection/test_16_get_mosaic")
async def test_get_mosaic(replay: Replay) -> None:
    async with replay.client() as client:
        mosaic = await settle(client.stac.get_mosaic(naip(18), "test-mosaic-1"))

    assert dict(mosaic) == replay.response_json(0)
    assert mosaic.id == "test-mosaic-1"
    assert mosaic.cql == []
    replay.assert_all_played()


@cassette("stac/00_stac_collection/test_17_replace_mosaic")
async def test_replace_mosaic(replay: Replay) -> None:
    body = models.StacMosaic(
        id="test-mosaic-1",
        name="Test Most recent available",
        description="Most recent available imagery in this collection - updated",
        cql=[],
    )
    async with replay.client() as client:
        mosaic = await settle(client.stac.replace_mosaic(naip(19), "test-mosaic-1", body))

    assert dict(mosaic) == replay.response_json(0)
    assert mosaic.description == "Most recent available imagery in this collection - updated"
    replay.assert_all_played()


@cassette("stac/00_stac_collection/test_17a_delete_mosaic")
async def test_delete_mosaic(replay: Replay) -> None:
    collection_id = naip(20)
    body = models.StacMosaic(id="test-mosaic-to-be-deleted", name="Test Mosaic To Be Deleted", cql=[])
    async with replay.client() as client:
        added = await settle(client.stac.add_mosaic(collection_id, body))
        fetched = await settle(client.stac.get_mosaic(collection_id, "test-mosaic-to-be-deleted"))
        deleted = await settle(client.stac.delete_mosaic(collection_id, "test-mosaic-to-be-deleted"))
        with pytest.raises(ResourceNotFoundError) as gone:
            await settle(client.stac.get_mosaic(collection_id, "test-mosaic-to-be-deleted"))

    assert added.id == fetched.id == "test-mosaic-to-be-deleted"
    assert deleted is None
    assert_not_found(
        gone.value, f"Mosaic 'test-mosaic-to-be-deleted' not found for collection '{collection_id}'"
    )
    replay.assert_all_played()


# --------------------------------------------------------------------------------------------------
# Queryables
# --------------------------------------------------------------------------------------------------


@cassette("stac/00_stac_collection/test_08_get_collection_queryables")
async def test_get_collection_queryables(replay: Replay) -> None:
    collection_id = naip(8)
    async with replay.client() as client:
        queryables = await settle(client.stac.get_collection_queryables(collection_id))

    assert dict(queryables) == replay.response_json(0)
    assert isinstance(queryables, models.QueryableDefinitionsResponse)
    assert queryables["title"] == "STAC Queryables."
    assert sorted(queryables["properties"]) == ["datetime", "geometry", "id", "test:property"]
    assert queryables["properties"]["datetime"]["format"] == "date-time"
    assert queryables["$id"].endswith(f"/stac/collections/{collection_id}/queryables?api-version=2026-04-15")
    replay.assert_all_played()


@cassette("stac/00_stac_collection/test_09_list_queryables")
async def test_get_queryables(replay: Replay) -> None:
    async with replay.client() as client:
        queryables = await settle(client.stac.get_queryables())

    assert dict(queryables) == replay.response_json(0)
    assert isinstance(queryables, models.QueryableDefinitionsResponse)
    assert queryables["additionalProperties"] is True
    assert queryables["properties"]["test:property"] == {"description": "Test property - updated"}
    replay.assert_all_played()


@cassette("stac/00_stac_collection/test_20_create_queryables")
async def test_create_queryables(replay: Replay) -> None:
    collection_id = naip(23)
    body = [
        models.StacQueryable(
            name="test:property", data_type="number", create_index=False, definition={"data_type": "number"}
        )
    ]
    async with replay.client() as client:
        existing = await settle(client.stac.get_collection_queryables(collection_id))
        deleted = await settle(client.stac.delete_queryable(collection_id, "test:property"))
        created = await settle(client.stac.create_queryables(collection_id, body))

    assert [dict(queryable) for queryable in created] == replay.response_json(2)
    assert "test:property" in existing["properties"]
    assert deleted is None
    assert all(isinstance(queryable, models.StacQueryable) for queryable in created)
    assert [queryable.name for queryable in created] == ["test:property"]
    assert created[0].data_type == "number"
    assert created[0].create_index is False
    assert created[0].definition == {"data_type": "number"}
    replay.assert_all_played()


@cassette("stac/00_stac_collection/test_21_replace_queryable")
async def test_replace_queryable(replay: Replay) -> None:
    body = models.StacQueryable(
        name="test:property",
        data_type="number",
        create_index=False,
        definition={"description": "Test property - updated"},
    )
    async with replay.client() as client:
        queryable = await settle(client.stac.replace_queryable(naip(24), "test:property", body))

    assert dict(queryable) == replay.response_json(0)
    assert queryable.name == "test:property"
    assert queryable.definition == {"description": "Test property - updated"}
    assert queryable.data_type is None
    replay.assert_all_played()


@cassette("stac/00_stac_collection/test_21a_delete_queryable")
async def test_delete_queryable(replay: Replay) -> None:
    collection_id = naip(25)
    name = "test:property_to_be_deleted"
    body = [
        models.StacQueryable(
            name=name,
            data_type="number",
            create_index=False,
            definition={"description": "Test property for deletion"},
        )
    ]
    async with replay.client() as client:
        created = await settle(client.stac.create_queryables(collection_id, body))
        before = await settle(client.stac.get_collection_queryables(collection_id))
        deleted = await settle(client.stac.delete_queryable(collection_id, name))
        after = await settle(client.stac.get_collection_queryables(collection_id))

    assert dict(after) == replay.response_json(3)
    assert [queryable.name for queryable in created] == [name]
    assert name in before["properties"]
    assert deleted is None
    assert name not in after["properties"]
    replay.assert_all_played()
