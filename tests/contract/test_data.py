"""Recorded raster tiler traffic: tile matrix sets, item metadata and statistics, WMTS/TileJSON, points,
mosaic searches and legends (recordings ``04_stac_item_tiler``, ``05_mosaics_tiler``, ``06_map_legends``)."""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ElementTree
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.planetarycomputer import models

from .conftest import PNG_MAGIC, UTC, Replay, cassette, cassette_marks, naip, read_stream, settle

ITEM_ID = "ga_m_3308421_se_16_060_20211114"
ITEM_BOUNDS = [-84.44157, 33.621853, -84.370894, 33.690654]
SEARCH_ID = "5bdb874db9ec386ccd82e56af5d216a3"
WMTS = "{http://www.opengis.net/wmts/1.0}"
OWS = "{http://www.opengis.net/ows/1.1}"
# ``asset_bidx`` is a comma-separated array whose single element holds commas (bands 1,2,3 of "image"):
# on the wire those commas must stay percent-encoded (image%7C1%2C2%2C3).
IMAGE_RGB = ["image|1,2,3"]


# --------------------------------------------------------------------------------------------------
# Tile matrix sets
# --------------------------------------------------------------------------------------------------


@cassette("data/04_stac_item_tiler/test_01_get_tile_matrix_definitions")
async def test_get_tile_matrix_definitions(replay: Replay) -> None:
    async with replay.client() as client:
        matrix_set = await settle(client.data.get_tile_matrix_definitions("WebMercatorQuad"))

    assert dict(matrix_set) == replay.response_json(0)
    assert isinstance(matrix_set, models.TileMatrixSet)
    assert matrix_set.id == "WebMercatorQuad"
    assert matrix_set.title == "Google Maps Compatible for the World"
    assert matrix_set.crs == "http://www.opengis.net/def/crs/EPSG/0/3857"
    assert matrix_set.ordered_axes == ["X", "Y"]
    assert [matrix.id for matrix in matrix_set.tile_matrices] == [str(zoom) for zoom in range(25)]
    top = matrix_set.tile_matrices[0]
    assert top.scale_denominator == 559082264.028717
    assert top.cell_size == 156543.033928041
    assert top.point_of_origin == [-20037508.342789244, 20037508.342789244]
    assert (top.tile_width, top.tile_height, top.matrix_width, top.matrix_height) == (256, 256, 1, 1)
    assert matrix_set.tile_matrices[14].matrix_width == 2**14
    replay.assert_all_played()


@cassette("data/04_stac_item_tiler/test_02_list_tile_matrices")
async def test_get_tile_matrices(replay: Replay) -> None:
    async with replay.client() as client:
        names = await settle(client.data.get_tile_matrices())

    assert names == replay.response_json(0)
    assert len(names) == 13
    assert names[0] == "CDB1GlobalGrid"
    assert "WebMercatorQuad" in names and "WorldCRS84Quad" in names
    replay.assert_all_played()


# --------------------------------------------------------------------------------------------------
# One item
# --------------------------------------------------------------------------------------------------


@cassette("data/04_stac_item_tiler/test_03_list_available_assets")
async def test_get_item_available_assets(replay: Replay) -> None:
    async with replay.client() as client:
        assets = await settle(client.data.get_item_available_assets(naip(3), ITEM_ID))

    assert assets == ["image", "tilejson"]
    replay.assert_all_played()


@cassette("data/04_stac_item_tiler/test_04_get_bounds")
async def test_get_item_bounds(replay: Replay) -> None:
    async with replay.client() as client:
        bounds = await settle(client.data.get_item_bounds(naip(4), ITEM_ID))

    assert dict(bounds) == replay.response_json(0)
    assert isinstance(bounds, models.StacItemBounds)
    assert bounds.bounds == ITEM_BOUNDS
    replay.assert_all_played()


@cassette("data/04_stac_item_tiler/test_06_get_info_geo_json")
async def test_get_item_info_geo_json(replay: Replay) -> None:
    async with replay.client() as client:
        feature = await settle(client.data.get_item_info_geo_json(naip(6), ITEM_ID, assets=["image"]))

    assert dict(feature) == replay.response_json(0)
    assert isinstance(feature, models.TilerInfoGeoJsonFeature)
    assert feature.type == "Feature"
    assert isinstance(feature.geometry, models.Polygon)
    assert feature.geometry.coordinates[0][0] == [-84.44157, 33.621853]
    image = feature.properties["image"]
    assert image.dtype == "uint8"
    assert (image.width, image.height, image.count) == (10620, 12460, 4)
    assert image.color_interpretation == ["red", "green", "blue", "undefined"]
    assert image.overviews == [2, 4, 8, 16, 32]
    assert (image.min_zoom, image.max_zoom) == (12, 18)
    replay.assert_all_played()


@cassette("data/04_stac_item_tiler/test_19_get_item_asset_details")
async def test_get_item_info(replay: Replay) -> None:
    async with replay.client() as client:
        info = await settle(client.data.get_item_info(naip(19), ITEM_ID, assets=["image"]))

    assert dict(info) == replay.response_json(0)
    assert isinstance(info, models.TilerInfoMapResponse)
    assert sorted(info) == ["image"]
    image = models.TilerInfo(info["image"])
    assert image.dtype == "uint8"
    assert image.driver == "GTiff"
    assert image.bounds == [-84.44157036219231, 33.62185311275707, -84.37089430625126, 33.690654419926105]
    assert image.coordinate_reference_system == "http://www.opengis.net/def/crs/EPSG/0/4326"
    replay.assert_all_played()


@cassette("data/04_stac_item_tiler/test_07_list_statistics")
async def test_get_item_statistics(replay: Replay) -> None:
    async with replay.client() as client:
        statistics = await settle(client.data.get_item_statistics(naip(7), ITEM_ID, assets=["image"]))

    assert dict(statistics) == replay.response_json(0)
    assert isinstance(statistics, models.TilerStacItemStatistics)
    assert sorted(statistics) == ["image_b1", "image_b2", "image_b3", "image_b4"]
    red = models.BandStatistics(statistics["image_b1"])
    assert (red.minimum, red.maximum) == (11.0, 246.0)
    assert red.mean == 122.09540892575887
    assert red.count == 893952.0
    assert red.std == 60.36645444129488
    assert (red.percentile2, red.percentile98) == (26.0, 226.0)
    assert red.histogram[0][0] == 61766
    assert len(red.histogram[1]) == 11
    replay.assert_all_played()


@cassette("data/04_stac_item_tiler/test_09_get_asset_statistics")
async def test_get_item_asset_statistics(replay: Replay) -> None:
    async with replay.client() as client:
        statistics = await settle(client.data.get_item_asset_statistics(naip(9), ITEM_ID, assets=["image"]))

    assert dict(statistics) == replay.response_json(0)
    assert isinstance(statistics, models.AssetStatisticsResponse)
    assert sorted(statistics["image"]) == ["b1", "b2", "b3", "b4"]
    green = models.BandStatistics(statistics["image"]["b2"])
    assert (green.minimum, green.maximum, green.median) == (38.0, 245.0, 149.0)
    assert green.mean == 144.07083825529782
    assert green.valid_percent == 100.0
    replay.assert_all_played()


@cassette("data/04_stac_item_tiler/test_12_get_geo_json_statistics")
async def test_get_item_feature_statistics(replay: Replay) -> None:
    ring = [
        [-84.3906, 33.6714],
        [-84.3814, 33.6714],
        [-84.3814, 33.6806],
        [-84.3906, 33.6806],
        [-84.3906, 33.6714],
    ]
    area = models.Feature(type="Feature", geometry=models.Polygon(coordinates=[ring]), properties={})
    async with replay.client() as client:
        feature = await settle(
            client.data.get_item_feature_statistics(naip(12), ITEM_ID, area, assets=["image"])
        )

    assert dict(feature) == replay.response_json(0)
    assert isinstance(feature, models.StacItemStatisticsGeoJson)
    assert isinstance(feature.geometry, models.Polygon)
    assert feature.geometry.coordinates == [ring]
    assert feature.properties is not None
    red = models.BandStatistics(feature.properties.statistics["image_b1"])
    assert (red.minimum, red.maximum) == (12.0, 234.0)
    assert red.mean == 77.8508653640747
    assert red.count == 1048576.0
    replay.assert_all_played()


@cassette("data/04_stac_item_tiler/test_15_get_point")
async def test_get_item_point(replay: Replay) -> None:
    async with replay.client() as client:
        point = await settle(client.data.get_item_point(naip(15), ITEM_ID, -84.386, 33.676, assets=["image"]))

    assert dict(point) == replay.response_json(0)
    assert isinstance(point, models.TilerCoreModelsResponsesPoint)
    assert point.coordinates == [-84.386, 33.676]
    assert point.values_property == [52.0, 75.0, 75.0, 86.0]
    assert point.band_names == ["image_b1", "image_b2", "image_b3", "image_b4"]
    replay.assert_all_played()


@cassette("data/04_stac_item_tiler/test_17_get_tile_json")
async def test_get_item_tile_json(replay: Replay) -> None:
    collection_id = naip(17)
    async with replay.client() as client:
        tile_json = await settle(
            client.data.get_item_tile_json(
                collection_id,
                ITEM_ID,
                assets=["image"],
                asset_band_indices=IMAGE_RGB,
                tile_matrix_set_id="WebMercatorQuad",
                tile_format="png",
                tile_scale=1,
                min_zoom=7,
                max_zoom=14,
            )
        )

    assert dict(tile_json) == replay.response_json(0)
    assert isinstance(tile_json, models.TileJsonMetadata)
    assert tile_json.tile_json == "2.2.0"
    assert tile_json.scheme == "xyz"
    assert (tile_json.min_zoom, tile_json.max_zoom) == (7, 14)
    assert tile_json.bounds == ITEM_BOUNDS
    assert tile_json.center == [-84.406232, 33.656253500000005, 7]
    assert tile_json.tiles == [
        "https://Sanitized.sanitized_label.sanitized_location.geocatalog.spatio.azure.com/data/mosaic/collections/"
        f"{collection_id}/items/{ITEM_ID}/tiles/WebMercatorQuad/{{z}}/{{x}}/{{y}}@1x.png"
        "?api-version=2026-04-15&assets=image&asset_bidx=image%7C1%2C2%2C3"
    ]
    replay.assert_all_played()


@cassette("data/04_stac_item_tiler/test_08_get_wmts_capabilities")
async def test_get_item_wmts_capabilities(replay: Replay) -> None:
    async with replay.client() as client:
        document = await read_stream(
            await settle(
                client.data.get_item_wmts_capabilities(
                    naip(8),
                    ITEM_ID,
                    assets=["image"],
                    asset_band_indices=IMAGE_RGB,
                    tile_matrix_set_id="WebMercatorQuad",
                    tile_format="png",
                    tile_scale=1,
                    min_zoom=7,
                    max_zoom=14,
                )
            )
        )

    assert document == replay.response_body(0)
    assert len(document) == 8590
    capabilities = ElementTree.fromstring(document)
    assert capabilities.tag == f"{WMTS}Capabilities"
    assert capabilities.get("version") == "1.0.0"
    assert capabilities.findtext(f"{OWS}ServiceIdentification/{OWS}ServiceType") == "OGC WMTS"
    matrix_set = capabilities.find(f"{WMTS}Contents/{WMTS}TileMatrixSet")
    assert matrix_set is not None
    assert matrix_set.findtext(f"{OWS}Identifier") == "WebMercatorQuad"
    replay.assert_all_played()


# --------------------------------------------------------------------------------------------------
# Mosaic searches
# --------------------------------------------------------------------------------------------------


def mosaic_filter(collection_id: str) -> dict[str, Any]:
    """The recorded tests' mosaic search filter: one collection, 2021-2022."""
    return {
        "op": "and",
        "args": [
            {"op": "=", "args": [{"property": "collection"}, collection_id]},
            {"op": ">=", "args": [{"property": "datetime"}, "2021-01-01T00:00:00Z"]},
            {"op": "<=", "args": [{"property": "datetime"}, "2022-12-31T23:59:59Z"]},
        ],
    }


async def register_search(client: Any, collection_id: str) -> models.TilerMosaicSearchRegistrationResponse:
    """Register the recorded mosaic search (newest first) with a JSON body, as a prerequisite of the
    mosaic tests; :func:`test_register_mosaics_search` covers the keyword form."""
    registration: models.TilerMosaicSearchRegistrationResponse = await settle(
        client.data.register_mosaics_search(
            {
                "filter": mosaic_filter(collection_id),
                "filter-lang": "cql2-json",
                "sortby": [{"direction": "desc", "field": "datetime"}],
            }
        )
    )
    return registration


@cassette("data/05_mosaics_tiler/test_01_register_mosaics_search")
async def test_register_mosaics_search(replay: Replay) -> None:
    async with replay.client() as client:
        registration = await settle(
            client.data.register_mosaics_search(
                filter=mosaic_filter(naip(1)),
                filter_language=models.FilterLanguage.CQL2_JSON,
                sort_by=[models.StacSortExtension(direction="desc", field="datetime")],
            )
        )

    assert dict(registration) == replay.response_json(0)
    assert isinstance(registration, models.TilerMosaicSearchRegistrationResponse)
    assert registration.search_id == SEARCH_ID
    assert registration.links is not None
    assert [link.rel for link in registration.links] == ["metadata", "tilejson", "wmts"]
    assert registration.links[1].href.endswith(f"/data/mosaic/{SEARCH_ID}/tilejson.json")
    replay.assert_all_played()


@cassette("data/05_mosaics_tiler/test_02_get_mosaics_search_info")
async def test_get_search_info(replay: Replay) -> None:
    async with replay.client() as client:
        registration = await register_search(client, naip(2))
        info = await settle(client.data.get_search_info(registration.search_id))

    assert dict(info) == replay.response_json(1)
    assert isinstance(info, models.TilerStacSearchRegistration)
    assert info.search.hash == SEARCH_ID
    assert info.search.use_count == 20
    assert info.search.last_used == datetime.datetime(2026, 4, 16, 17, 55, 5, 190346, tzinfo=UTC)
    assert info.search.metadata.type == "mosaic"
    assert info.search.search["filter-lang"] == "cql2-json"
    assert info.search.search["sortby"] == [{"field": "datetime", "direction": "desc"}]
    replay.assert_all_played()


@cassette("data/05_mosaics_tiler/test_03_get_mosaics_tile_json")
async def test_get_search_tile_json(replay: Replay) -> None:
    async with replay.client() as client:
        registration = await register_search(client, naip(3))
        tile_json = await settle(
            client.data.get_search_tile_json(
                registration.search_id,
                assets=["image"],
                asset_band_indices=IMAGE_RGB,
                tile_matrix_set_id="WebMercatorQuad",
                tile_format="png",
                tile_scale=1,
                min_zoom=9,
                collection_id=naip(3),
            )
        )

    assert dict(tile_json) == replay.response_json(1)
    assert tile_json.name == SEARCH_ID
    assert (tile_json.min_zoom, tile_json.max_zoom) == (9, 24)
    assert tile_json.bounds == [-180.0, -85.0511287798066, 180.00000000000009, 85.0511287798066]
    assert tile_json.tiles[0].endswith(f"&collection={naip(3)}")
    replay.assert_all_played()


@cassette("data/05_mosaics_tiler/test_04_get_mosaics_tile")
async def test_get_search_tile_error(replay: Replay) -> None:
    async with replay.client() as client:
        registration = await register_search(client, naip(4))
        with pytest.raises(HttpResponseError) as failed:
            # z/x/y and scale are floats on the wire: 13 -> "13.0" (as recorded).
            await settle(
                client.data.get_search_tile_by_scale_and_format(
                    registration.search_id,
                    "WebMercatorQuad",
                    13,
                    2174,
                    3282,
                    1,
                    "png",
                    assets=["image"],
                    asset_band_indices=IMAGE_RGB,
                    collection=naip(4),
                )
            )

    assert failed.value.status_code == 424
    assert failed.value.error is not None
    assert failed.value.error.code == "ServerError"
    assert failed.value.error.message == "HTTP response code: 404"
    replay.assert_all_played()


@cassette("data/05_mosaics_tiler/test_05_get_mosaics_wmts_capabilities")
async def test_get_search_wmts_capabilities(replay: Replay) -> None:
    async with replay.client() as client:
        registration = await register_search(client, "naip")
        document = await read_stream(
            await settle(
                client.data.get_search_wmts_capabilities(
                    registration.search_id,
                    tile_matrix_set_id="WebMercatorQuad",
                    tile_format="png",
                    tile_scale=1,
                    min_zoom=7,
                    max_zoom=13,
                    assets=["image"],
                    asset_band_indices=IMAGE_RGB,
                )
            )
        )

    assert document == replay.response_body(1)
    assert len(document) == 7900
    capabilities = ElementTree.fromstring(document)
    layer = capabilities.find(f"{WMTS}Contents/{WMTS}Layer")
    assert layer is not None
    assert layer.findtext(f"{OWS}Identifier") == "default"
    template = layer.find(f"{WMTS}ResourceURL")
    assert template is not None
    assert f"/data/mosaic/searches/{SEARCH_ID}/tiles/WebMercatorQuad/" in (template.get("template") or "")
    replay.assert_all_played()


@cassette("data/05_mosaics_tiler/test_06_get_mosaics_assets_for_point")
async def test_get_search_point_with_assets(replay: Replay) -> None:
    async with replay.client() as client:
        registration = await register_search(client, "naip")
        items = await settle(
            client.data.get_search_point_with_assets(
                registration.search_id,
                -84.43202751899601,
                33.63964763972227,
                scan_limit=100,
                items_limit=100,
                time_limit=30,
                exit_when_full=True,
                skip_covered=True,
                coordinate_reference_system="EPSG:4326",
            )
        )

    assert [dict(item) for item in items] == replay.response_json(1)
    assert all(isinstance(item, models.StacItemPointAsset) for item in items)
    assert [item.id for item in items] == [f"{ITEM_ID}_test", ITEM_ID]
    assert {item.collection_id for item in items} == {"naip"}
    assert items[0].bounding_box == ITEM_BOUNDS
    assert items[1].assets["image"].href == (
        f"https://SANITIZED.blob.core.windows.net/naip-bf48131e/234/{ITEM_ID}/image.tif"
    )
    assert sorted(items[1].assets) == ["image", "rendered_preview", "thumbnail", "tilejson"]
    replay.assert_all_played()


@cassette("data/05_mosaics_tiler/test_07_get_mosaics_assets_for_tile")
async def test_get_search_assets_for_tile(replay: Replay) -> None:
    async with replay.client() as client:
        registration = await register_search(client, "naip")
        items = await settle(
            client.data.get_search_assets_for_tile(
                registration.search_id, "WebMercatorQuad", 13, 2174, 3282, collection_id="naip"
            )
        )

    recorded = replay.response_json(1)
    assert [dict(item) for item in items] == recorded
    assert all(isinstance(item, models.TilerAssetGeoJson) for item in items)
    assert len(items) == len(recorded) == 4
    assert items[0].id == "ga_m_3308429_nw_16_060_20211114"
    assert items[0].bounding_box == [-84.504026, 33.559387, -84.43345, 33.628155]
    assert items[0].assets["thumbnail"].type == "image/jpeg"
    replay.assert_all_played()


# --------------------------------------------------------------------------------------------------
# Legends
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "recording",
    [
        pytest.param(
            "test_01_get_class_map_legend",
            marks=cassette_marks("data/06_map_legends/test_01_get_class_map_legend"),
        ),
        pytest.param(
            "test_05_class_map_legend_structure",
            marks=cassette_marks("data/06_map_legends/test_05_class_map_legend_structure"),
        ),
    ],
)
async def test_get_class_map_legend(replay: Replay, recording: str) -> None:
    async with replay.client() as client:
        legend = await settle(client.data.get_class_map_legend("mtbs-severity"))

    assert dict(legend) == replay.response_json(0)
    assert isinstance(legend, models.ClassMapLegendResponse)
    assert sorted(legend) == [str(value) for value in range(7)]
    assert legend["0"] == [0, 0, 0, 0]
    assert legend["1"] == [0, 100, 0, 255]
    assert all(len(color) == 4 and all(0 <= channel <= 255 for channel in color) for color in legend.values())
    replay.assert_all_played()


@cassette("data/06_map_legends/test_02_get_interval_legend")
async def test_get_interval_legend(replay: Replay) -> None:
    async with replay.client() as client:
        legend = await settle(client.data.get_interval_legend("modis-64A1"))

    assert legend == replay.response_json(0)
    assert len(legend) == 13
    assert legend[0] == [[-2, 0], [0, 0, 0, 0]]
    assert legend[-1] == [[335, 366], [189, 0, 38, 255]]
    replay.assert_all_played()


@pytest.mark.parametrize(
    ("color_map", "size"),
    [
        pytest.param(
            "rdylgn", 550, marks=cassette_marks("data/06_map_legends/test_03_get_legend_as_png"), id="rdylgn"
        ),
        pytest.param(
            "viridis",
            533,
            marks=cassette_marks("data/06_map_legends/test_04_get_legend_with_different_colormap"),
            id="viridis",
        ),
    ],
)
async def test_get_legend(replay: Replay, color_map: str, size: int) -> None:
    async with replay.client() as client:
        image = await read_stream(await settle(client.data.get_legend(color_map)))

    assert image == replay.response_body(0)
    assert len(image) == size
    assert image.startswith(PNG_MAGIC)
    replay.assert_all_played()
