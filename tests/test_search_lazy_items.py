"""Search items are typed views over the received JSON, built lazily.

An item from ``search_items_paged`` is a ``StacItem`` over the parsed JSON: no generated model is
constructed for it up front, its nested models (geometry, properties, assets, links) are built the
first time they are read, and it behaves like the eagerly built ``StacItem(json)``.
"""

from __future__ import annotations

import copy
import json
import pickle
from typing import Any

import pytest
from _capture import CannedResponse, CapturedRequest, CapturingTransport, FakeTokenCredential, data_path
from azure.planetarycomputer import PlanetaryComputerProClient
from azure.planetarycomputer._generated._utils.model_base import Model, SdkJSONEncoder, _deserialize
from azure.planetarycomputer._lazy_items import lazy_model
from azure.planetarycomputer.models import (
    Geometry,
    MultiPolygon,
    Point,
    Polygon,
    StacAsset,
    StacItem,
    StacItemOrStacItemCollection,
    StacItemProperties,
    StacLink,
    StacProvider,
)

ENDPOINT = "https://cat.geocatalog.spatio.azure.com"


def recorded_features() -> list[dict[str, Any]]:
    features = []
    paths = [
        *data_path("recordings").glob("*search_items*.json"),
        *data_path("recordings").glob("*get_item.json"),
    ]
    for path in sorted(paths):
        for entry in json.loads(path.read_text())["Entries"]:
            body = entry["ResponseBody"]
            if isinstance(body, dict):
                features.extend(body.get("features", []))
                if body.get("type") == "Feature":
                    features.append(body)
    assert features, "the recordings hold search results"
    return features


FEATURES = recorded_features()


def searched_items(features: list[dict[str, Any]]) -> list[StacItem]:
    def answer(request: CapturedRequest) -> CannedResponse:
        return CannedResponse.json({"type": "FeatureCollection", "features": features, "links": []})

    client = PlanetaryComputerProClient(ENDPOINT, FakeTokenCredential(), transport=CapturingTransport(answer))
    return list(client.stac.search_items_paged())


def raw(item: Model, key: str) -> Any:
    """What the item holds under ``key`` right now, bypassing any conversion."""
    return dict.get(item._data, key)


def test_search_items_are_built_without_constructing_generated_models(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a generated model was constructed eagerly")

    for model in (StacItem, Polygon, StacItemProperties, StacAsset, StacLink):
        monkeypatch.setattr(model, "__init__", refuse)
    items = searched_items(FEATURES[:5])
    assert [item.id for item in items] == [feature["id"] for feature in FEATURES[:5]]


def test_nested_models_are_built_on_first_read_and_kept() -> None:
    item = searched_items(FEATURES[:1])[0]
    for key in ("geometry", "properties", "assets", "links"):
        assert type(raw(item, key)) in (dict, list)  # still the JSON as received

    geometry = item.geometry
    assert isinstance(geometry, Polygon)
    assert raw(item, "geometry") is FEATURES[0]["geometry"] or type(raw(item, "geometry")) is dict
    assert geometry._data is raw(item, "geometry")  # a view over the JSON, which stays in the mapping
    assert item.geometry is geometry  # ... and not rebuilt on the next read

    assets = item.assets
    assert all(isinstance(asset, StacAsset) for asset in assets.values())
    assert item.assets is assets
    image = assets["image"]
    assert type(raw(image, "href")) is str
    assert image.href == FEATURES[0]["assets"]["image"]["href"]


def test_typed_access_matches_the_eagerly_built_model() -> None:
    items = searched_items(FEATURES)
    for feature, item in zip(FEATURES, items):
        eager = StacItem(copy.deepcopy(feature))
        assert isinstance(item, StacItem)
        assert item.id == eager.id
        assert item.collection == eager.collection
        assert item.bounding_box == eager.bounding_box
        assert item.timestamp == eager.timestamp
        assert isinstance(item.geometry, Polygon) and isinstance(eager.geometry, Polygon)
        assert item.geometry.type == eager.geometry.type
        assert item.geometry.coordinates == eager.geometry.coordinates
        assert item.properties.date_time == eager.properties.date_time
        assert item.properties.gsd == eager.properties.gsd
        providers, eager_providers = item.properties.providers, eager.properties.providers
        assert providers is not None and eager_providers is not None
        assert isinstance(providers[0], StacProvider)
        assert [p.name for p in providers] == [p.name for p in eager_providers]
        assert {name: asset.href for name, asset in item.assets.items()} == {
            name: asset.href for name, asset in eager.assets.items()
        }
        links, eager_links = item.links or [], eager.links or []
        assert links and [(link.rel, link.href) for link in links] == [
            (link.rel, link.href) for link in eager_links
        ]
        assert item == eager
        assert item.as_dict() == eager.as_dict()


def test_an_item_serializes_back_to_the_json_received() -> None:
    for feature, item in zip(FEATURES, searched_items(FEATURES)):
        item.geometry, item.properties, item.assets, item.links  # noqa: B018 - convert some fields first
        assert json.loads(json.dumps(item, cls=SdkJSONEncoder)) == feature
        assert item["id"] == feature["id"]
        assert dict(item["properties"]) == feature["properties"]


def test_the_discriminator_picks_the_geometry_class() -> None:
    feature = copy.deepcopy(FEATURES[0])
    feature["geometry"] = {"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 1], [0, 0]]]]}
    item = lazy_model(StacItem, feature)
    assert isinstance(item.geometry, MultiPolygon)
    assert isinstance(item.geometry, Geometry)


def test_writes_through_attributes_and_keys_are_seen_by_reads() -> None:
    item = lazy_model(StacItem, copy.deepcopy(FEATURES[0]))
    item.geometry  # noqa: B018 - converted once
    item["geometry"] = {"type": "Point", "coordinates": [1.0, 2.0]}
    assert isinstance(item.geometry, Point)
    assert item.geometry.coordinates == [1.0, 2.0]

    item.geometry = Polygon(coordinates=[[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]])
    assert item.geometry.coordinates[0][1] == [1.0, 0.0]

    item.properties["eo:cloud_cover"] = 3
    assert item.properties["eo:cloud_cover"] == 3
    item.assets["extra"] = StacAsset(href="https://example.com/x.tif")
    assert item.assets["extra"].href == "https://example.com/x.tif"
    assert item.as_dict()["assets"]["extra"] == {"href": "https://example.com/x.tif"}

    del item["links"]
    assert item.links is None


def test_items_survive_pickling_before_and_after_reads() -> None:
    fresh, touched = searched_items(FEATURES[:2])
    touched.geometry, touched.assets  # noqa: B018
    for item in (fresh, touched):
        copy_ = pickle.loads(pickle.dumps(item))
        assert isinstance(copy_, StacItem) and type(copy_) is type(item)
        assert copy_ == item
        assert copy_.assets["image"].href == item.assets["image"].href
        assert isinstance(copy_.geometry, Polygon)


def test_an_item_is_a_view_over_its_json_not_a_copy() -> None:
    feature = copy.deepcopy(FEATURES[0])
    item = lazy_model(StacItem, feature)
    assert item._data is feature
    item.id = "changed"
    assert feature["id"] == "changed"
    geometry = item.geometry
    assert feature["geometry"] is geometry._data  # the typed geometry is a view over the JSON
    assert dict(geometry) == FEATURES[0]["geometry"]
    geometry.bounding_box = [0.0, 0.0, 1.0, 1.0]
    assert feature["geometry"]["bbox"] == [0.0, 0.0, 1.0, 1.0]


def test_plain_fields_read_like_the_generated_descriptors() -> None:
    """Plain fields are read straight from the JSON only when that gives what the model would."""
    feature = copy.deepcopy(FEATURES[0])
    feature["properties"]["gsd"] = 1  # an int in a float field: the model gives 1.0
    feature["collection"] = None
    item, eager = lazy_model(StacItem, feature), StacItem(copy.deepcopy(feature))
    for read in (
        lambda i: i.id,
        lambda i: i.type,
        lambda i: i.collection,
        lambda i: i.stac_version,
        lambda i: i.e_tag,
        lambda i: i.timestamp,
        lambda i: i.bounding_box,
        lambda i: i.properties.gsd,
        lambda i: i.properties.date_time,
        lambda i: i.assets["image"].roles,
        lambda i: i.links[0].rel,
    ):
        assert read(item) == read(eager)
        assert type(read(item)) is type(read(eager))
    assert type(item.properties.gsd) is float

    item.id = "renamed"
    assert item.id == item["id"] == "renamed"


def test_the_lazy_classes_take_no_part_in_generated_deserialization() -> None:
    searched_items(FEATURES[:1])[0].geometry  # noqa: B018 - makes LazyStacItem and LazyPolygon exist
    eager = _deserialize(StacItemOrStacItemCollection, copy.deepcopy(FEATURES[0]))
    assert type(eager) is StacItem
    assert type(eager.geometry) is Polygon
    assert set(StacItemOrStacItemCollection.__mapping__) == {"Feature", "FeatureCollection"}
    assert "LazyPolygon" not in Geometry.__mapping__
