"""Statistics and info maps come back typed: ``stats["b1"].mean``, ``stats["image"]["b1"].percentile98``.

The responses are the recorded ones of a live GeoCatalog (tests/data/recordings), served through the
capturing transport to the sync and the aio client.
"""

from __future__ import annotations

import inspect
import json
from typing import Any

import pytest
from _capture import (
    AsyncCapturingTransport,
    CannedResponse,
    CapturingTransport,
    FakeAsyncTokenCredential,
    FakeTokenCredential,
    data_path,
)
from azure.core.rest import HttpRequest
from azure.planetarycomputer import PlanetaryComputerProClient, models
from azure.planetarycomputer._generated import models as generated_models
from azure.planetarycomputer._generated._utils.model_base import SdkJSONEncoder
from azure.planetarycomputer._generated.aio.operations import DataOperations as GeneratedAsyncDataOperations
from azure.planetarycomputer._generated.operations import DataOperations as GeneratedDataOperations
from azure.planetarycomputer._operations import DataOperations
from azure.planetarycomputer.aio import PlanetaryComputerProClient as AsyncPlanetaryComputerProClient
from azure.planetarycomputer.aio._operations import DataOperations as AsyncDataOperations

ENDPOINT = "https://contoso.abc123.westeurope.geocatalog.spatio.azure.com"
TYPED_OPERATIONS = {
    "get_item_statistics": models.TilerStacItemStatistics,
    "get_item_asset_statistics": models.AssetStatisticsResponse,
    "get_item_info": models.TilerInfoMapResponse,
}


def recorded_body(scenario: str, path_part: str) -> Any:
    """The JSON body the live service answered to the request whose path contains ``path_part``."""
    [recording] = [p for p in data_path("recordings").iterdir() if scenario in p.name]
    entries = json.loads(recording.read_text(encoding="utf-8"))["Entries"]
    for entry in entries:
        if path_part in entry["RequestUri"].split("?")[0] and entry["StatusCode"] == 200:
            body = entry["ResponseBody"]
            return json.loads(body) if isinstance(body, str) else body
    raise LookupError(f"no 200 response to {path_part!r} in {recording.name}")


ITEM_STATISTICS = recorded_body("list_statistics", "/statistics")
ASSET_STATISTICS = recorded_body("get_asset_statistics", "/asset_statistics")
INFO_GEOJSON = recorded_body("get_info", "/info.geojson")
ITEM_INFO = INFO_GEOJSON["properties"]  # asset -> TilerInfo: the body of /info for the same item
TILE_JSON = recorded_body("get_tile_json", "/tilejson.json")


def _sync(payload: Any) -> tuple[PlanetaryComputerProClient, CapturingTransport]:
    transport = CapturingTransport(CannedResponse.json(payload))
    return PlanetaryComputerProClient(ENDPOINT, FakeTokenCredential(), transport=transport), transport


def _aio(payload: Any) -> tuple[AsyncPlanetaryComputerProClient, AsyncCapturingTransport]:
    transport = AsyncCapturingTransport(CannedResponse.json(payload))
    client = AsyncPlanetaryComputerProClient(ENDPOINT, FakeAsyncTokenCredential(), transport=transport)
    return client, transport


def _check_item_statistics(stats: Any) -> None:
    assert type(stats) is models.TilerStacItemStatistics
    assert isinstance(stats, generated_models.TilerStacItemStatistics)
    band = stats["image_b1"]
    assert isinstance(band, models.BandStatistics)
    assert band.mean == pytest.approx(122.09540892575887)
    assert band.percentile2 == 26.0 and band.percentile98 == 226.0
    assert band.minimum == 11.0 and band.maximum == 246.0
    assert band.histogram[1][0] == 11.0
    assert stats["image_b1"] is band  # built once, then kept
    assert all(isinstance(value, models.BandStatistics) for value in stats.values())
    assert {name: value.valid_percent for name, value in stats.items()} == {
        name: raw["valid_percent"] for name, raw in ITEM_STATISTICS.items()
    }
    assert isinstance(stats.get("image_b2"), models.BandStatistics) and stats.get("nope") is None
    _check_wire_json(stats, ITEM_STATISTICS)


def _check_asset_statistics(asset_stats: Any) -> None:
    assert type(asset_stats) is models.AssetStatisticsResponse
    image = asset_stats["image"]
    assert isinstance(image, models.BandStatisticsMap)
    assert isinstance(image["b1"], models.BandStatistics)
    assert image["b1"].percentile98 == 226.0
    assert asset_stats["image"]["b3"].mean == ASSET_STATISTICS["image"]["b3"]["mean"]
    assert [type(band) for band in image.values()] == [models.BandStatistics] * len(ASSET_STATISTICS["image"])
    _check_wire_json(asset_stats, ASSET_STATISTICS)


def _check_item_info(info: Any) -> None:
    assert type(info) is models.TilerInfoMapResponse
    image = info["image"]
    assert isinstance(image, models.TilerInfo)
    assert image.dtype == "uint8"
    assert (image.min_zoom, image.max_zoom) == (12, 18)
    assert image.bounds[0] == pytest.approx(-84.44157036219231)
    assert image.band_descriptions == [["b1", ""], ["b2", ""], ["b3", ""], ["b4", ""]]
    _check_wire_json(info, ITEM_INFO)


def _check_wire_json(result: Any, wire: Any) -> None:
    """However much was read as typed models, the result still is the wire JSON."""
    assert dict(result) == wire
    assert result == wire
    assert result.as_dict() == wire
    assert json.loads(json.dumps(result.as_dict())) == wire
    assert json.loads(json.dumps(result, cls=SdkJSONEncoder)) == wire


def test_sync_item_statistics_are_typed() -> None:
    client, transport = _sync(ITEM_STATISTICS)
    stats = client.data.get_item_statistics("naip-atl", "ga_m_3308421_se_16_060_20211114", assets=["image"])
    assert transport.last.path.endswith("/items/ga_m_3308421_se_16_060_20211114/statistics")
    _check_item_statistics(stats)


def test_sync_asset_statistics_are_typed_two_levels_deep() -> None:
    client, _ = _sync(ASSET_STATISTICS)
    _check_asset_statistics(client.data.get_item_asset_statistics("naip-atl", "item", assets=["image"]))


def test_sync_item_info_is_typed() -> None:
    client, _ = _sync(ITEM_INFO)
    _check_item_info(client.data.get_item_info("naip-atl", "item", assets=["image"]))


async def test_aio_item_statistics_are_typed() -> None:
    client, _ = _aio(ITEM_STATISTICS)
    async with client:
        _check_item_statistics(await client.data.get_item_statistics("naip-atl", "item", assets=["image"]))


async def test_aio_asset_statistics_are_typed_two_levels_deep() -> None:
    client, _ = _aio(ASSET_STATISTICS)
    async with client:
        _check_asset_statistics(await client.data.get_item_asset_statistics("naip-atl", "item"))


async def test_aio_item_info_is_typed() -> None:
    client, _ = _aio(ITEM_INFO)
    async with client:
        _check_item_info(await client.data.get_item_info("naip-atl", "item", assets=["image"]))


def test_band_keys_as_in_a_single_asset_item() -> None:
    """``stats["b1"].mean``, the shape of statistics without asset prefixes."""
    wire = {"b1": ITEM_STATISTICS["image_b1"], "b2": ITEM_STATISTICS["image_b2"]}
    client, _ = _sync(wire)
    stats = client.data.get_item_statistics("collection", "item")
    assert stats["b1"].mean == wire["b1"]["mean"]
    assert stats["b2"].std == wire["b2"]["std"]


def test_typed_values_write_through_to_the_wire_json() -> None:
    client, _ = _sync(ASSET_STATISTICS)
    asset_stats = client.data.get_item_asset_statistics("collection", "item")
    asset_stats["image"]["b1"].mean = 1.5
    assert asset_stats.as_dict()["image"]["b1"]["mean"] == 1.5
    asset_stats["extra"] = {"b9": {"min": 0.0}}  # a raw value set later is typed on access too
    assert asset_stats["extra"]["b9"].minimum == 0.0


def test_typed_models_replace_the_generated_names() -> None:
    for name, cls in TYPED_OPERATIONS.items():
        generated = getattr(generated_models, cls.__name__)
        assert cls is not generated and issubclass(cls, generated), name
        assert cls.__name__ in models.__all__
    assert issubclass(models.BandStatisticsMap, generated_models.BandStatisticsMap)
    assert models.BandStatistics is generated_models.BandStatistics


@pytest.mark.parametrize("name", sorted(TYPED_OPERATIONS))
@pytest.mark.parametrize("mode", ["sync", "aio"])
def test_wrapped_operations_keep_signature_and_docs(mode: str, name: str) -> None:
    generated_group = GeneratedDataOperations if mode == "sync" else GeneratedAsyncDataOperations
    public = inspect.getattr_static(DataOperations if mode == "sync" else AsyncDataOperations, name)
    generated = getattr(generated_group, name)
    assert public.__wrapped__ is generated
    assert public.__doc__ == generated.__doc__ and public.__name__ == name
    want = inspect.signature(generated).replace(return_annotation=TYPED_OPERATIONS[name])
    assert inspect.signature(public) == want
    assert inspect.iscoroutinefunction(public) == (mode == "aio")


def test_stream_and_cls_results_pass_through() -> None:
    client, _ = _sync(ITEM_STATISTICS)
    chunks: Any = client.data.get_item_statistics("collection", "item", stream=True)
    raw = b"".join(chunks)
    assert json.loads(raw) == ITEM_STATISTICS
    marker = client.data.get_item_statistics("collection", "item", cls=lambda *args: "from-cls")
    assert marker == "from-cls"


def test_send_request_is_untouched() -> None:
    client, _ = _sync(ITEM_STATISTICS)
    response = client.send_request(HttpRequest("GET", "/data/mosaic/collections/c/items/i/statistics"))
    assert response.json() == ITEM_STATISTICS


def test_info_geojson_properties_are_typed() -> None:
    client, _ = _sync(INFO_GEOJSON)
    feature = client.data.get_item_info_geo_json("naip-atl", "item", assets=["image"])
    assert isinstance(feature, models.TilerInfoGeoJsonFeature)
    assert isinstance(feature.properties["image"], models.TilerInfo)
    assert feature.properties["image"].dtype == "uint8"


def test_tile_json_tiles_are_read_as_attributes() -> None:
    client, _ = _sync(TILE_JSON)
    tile_json = client.data.get_item_tile_json("naip-atl", "item", assets=["image"])
    assert isinstance(tile_json, models.TileJsonMetadata)
    assert tile_json.tiles[0] == TILE_JSON["tiles"][0]
    assert "{z}/{x}/{y}" in tile_json.tiles[0]
    assert (tile_json.min_zoom, tile_json.max_zoom) == (7, 14)
