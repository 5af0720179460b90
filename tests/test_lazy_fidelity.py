"""Lazy models read exactly like the generated ones, and reading never changes their mapping.

A differential test: every field of every model a search returns (the item, its geometry classes,
properties, assets, providers, links), read through ``search_items_paged``'s lazy items and through
the eagerly built generated model, on the recorded search pages and on Hypothesis-generated items.
Also: the mapping (``dict(item)``, ``item.as_dict()``) stays the JSON received, whatever was read;
containers of models are edited through; reprs are short; and, for every operation, a 200 whose
JSON does not have the shape the operation's model needs raises DecodeError naming the operation.
"""

from __future__ import annotations

import asyncio
import copy
import json
import pickle
from typing import Any

import pytest
from _capture import (
    AsyncCapturingTransport,
    CannedResponse,
    CapturedRequest,
    CapturingTransport,
    FakeAsyncTokenCredential,
    FakeTokenCredential,
)
from azure.core.exceptions import DecodeError
from azure.planetarycomputer import PlanetaryComputerProClient
from azure.planetarycomputer._generated._utils.model_base import Model, _deserialize
from azure.planetarycomputer._lazy_items import lazy_model
from azure.planetarycomputer.aio import PlanetaryComputerProClient as AsyncPlanetaryComputerProClient
from azure.planetarycomputer.models import Polygon, StacAsset, StacCollection, StacItem, StacLink
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_search_lazy_items import FEATURES

ENDPOINT = "https://cat.geocatalog.spatio.azure.com"


def searched(features: list[dict[str, Any]]) -> list[StacItem]:
    def answer(request: CapturedRequest) -> CannedResponse:
        return CannedResponse.json({"type": "FeatureCollection", "features": features, "links": []})

    client = PlanetaryComputerProClient(ENDPOINT, FakeTokenCredential(), transport=CapturingTransport(answer))
    return list(client.stac.search_items_paged())


def generated_class(model: Model) -> type:
    """The generated class of a model (a lazy model's class is a subclass of it)."""
    cls = type(model)
    return cls.__mro__[1] if cls.__module__.endswith("_lazy_items") else cls


def assert_same(lazy: Any, eager: Any, path: str) -> None:
    """``lazy`` is what ``eager`` is: same classes, types and values, recursively through models."""
    if isinstance(eager, Model):
        assert isinstance(lazy, Model), path
        assert generated_class(lazy) is type(eager), path
        for attribute in getattr(type(eager), "_attr_to_rest_field"):  # noqa: B009
            assert_same(getattr(lazy, attribute), getattr(eager, attribute), f"{path}.{attribute}")
        return
    if isinstance(eager, list):
        assert isinstance(lazy, list) and len(lazy) == len(eager), path
        for n, (a, b) in enumerate(zip(lazy, eager)):
            assert_same(a, b, f"{path}[{n}]")
        return
    if isinstance(eager, dict):
        assert isinstance(lazy, dict) and list(lazy) == list(eager), path
        for key in eager:
            assert_same(lazy[key], eager[key], f"{path}[{key!r}]")
        return
    assert type(lazy) is type(eager), f"{path}: {type(lazy).__name__} != {type(eager).__name__}"
    assert lazy == eager, path


def read_everything(model: Any) -> None:
    """Read every typed field, recursively (what the differential test does to the lazy side)."""
    if isinstance(model, Model):
        for attribute in getattr(type(model), "_attr_to_rest_field"):  # noqa: B009
            read_everything(getattr(model, attribute))
    elif isinstance(model, list):
        for entry in model:
            read_everything(entry)
    elif isinstance(model, dict):
        for entry in model.values():
            read_everything(entry)


def check_item(feature: dict[str, Any]) -> None:
    (item,) = searched([copy.deepcopy(feature)])
    eager = _deserialize(StacItem, copy.deepcopy(feature))
    assert_same(item, eager, "item")
    assert_same(item, eager, "item")  # second reads (kept values) are the same too
    # reading changed nothing in the mapping: it is the JSON received, plain JSON all the way down
    assert json.loads(json.dumps(dict(item))) == feature
    assert json.dumps(dict(item), sort_keys=True) == json.dumps(feature, sort_keys=True)
    assert item.as_dict() == feature


def test_every_field_of_recorded_items_reads_as_the_generated_model() -> None:
    assert len(FEATURES) >= 5
    for feature in FEATURES:
        check_item(feature)


# ------------------------------------------------------------------------------- generated items
numbers = st.one_of(
    st.integers(-180, 180), st.floats(-180, 180, allow_nan=False, allow_infinity=False), st.booleans()
)
texts = st.text(max_size=8)
timestamps = st.sampled_from(
    ["2021-01-02T03:04:05Z", "2021-01-02T03:04:05.123456+02:00", "2020-02-29T00:00:00Z", "not a date"]
)


def record(
    required: dict[str, st.SearchStrategy[Any]], optional: dict[str, st.SearchStrategy[Any]] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """``st.fixed_dictionaries`` with mixed value types spelt out: older Hypothesis (the newest on
    Python 3.9) cannot infer them for mypy."""
    return st.fixed_dictionaries(required, optional=optional or {})


positions = st.lists(numbers, min_size=2, max_size=3)
rings = st.lists(positions, min_size=1, max_size=4)
geometries = st.one_of(
    record({"type": st.just("Point"), "coordinates": positions}),
    record({"type": st.just("LineString"), "coordinates": rings}),
    record({"type": st.just("Polygon"), "coordinates": st.lists(rings, min_size=1, max_size=2)}),
    record(
        {"type": st.just("MultiPolygon"), "coordinates": st.lists(st.lists(rings, max_size=2), max_size=2)},
        optional={"bbox": st.lists(numbers, min_size=4, max_size=4)},
    ),
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), texts),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(texts, inner, max_size=3)),
    max_leaves=6,
)
common = {
    "platform": texts,
    "instruments": st.lists(texts, max_size=3),
    "gsd": numbers,
    "created": timestamps,
    "updated": timestamps,
    "title": texts,
    "providers": st.lists(
        record(
            {"name": texts},
            optional={"roles": st.lists(texts, max_size=2), "url": texts, "description": texts},
        ),
        max_size=2,
    ),
    "eo:bands": st.lists(st.dictionaries(texts, json_values, max_size=3), max_size=3),
}
assets = record(
    {"href": texts},
    optional={"type": texts, "roles": st.lists(texts, max_size=3), "title": texts, **common},
)
links = record(
    {"href": texts},
    optional={
        "rel": texts,
        "type": st.sampled_from(["application/json", "image/tiff", "other/thing"]),
        "method": st.sampled_from(["GET", "POST", "PATCH"]),
        "headers": st.dictionaries(texts, texts, max_size=2),
        "body": st.dictionaries(texts, json_values, max_size=3),
        "merge": st.booleans(),
        "length": st.one_of(st.integers(0, 10**6), numbers),
        "title": texts,
    },
)
items = record(
    {
        "type": st.just("Feature"),
        "id": texts,
        "geometry": geometries,
        "bbox": st.lists(numbers, min_size=4, max_size=6),
        "properties": record(
            {"datetime": st.one_of(timestamps, st.none())},
            optional={
                **common,
                "start_datetime": timestamps,
                "end_datetime": timestamps,
                "eo:cloud_cover": numbers,
            },
        ),
        "assets": st.dictionaries(texts, assets, max_size=4),
    },
    optional={
        "collection": st.one_of(texts, st.none()),
        "stac_version": texts,
        "stac_extensions": st.lists(texts, max_size=3),
        "links": st.lists(links, max_size=3),
        "msft:_created": timestamps,
        "_msft:ts": timestamps,
        "_msft:etag": texts,
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items)
def test_every_field_of_generated_items_reads_as_the_generated_model(feature: dict[str, Any]) -> None:
    check_item(feature)


# ------------------------------------------------------------------------ the mapping stays the JSON
COLLECTION: dict[str, Any] = {
    "type": "Collection",
    "id": "sentinel-2-l2a",
    "description": "d",
    "license": "proprietary",
    "stac_version": "1.0.0",
    "links": [{"rel": "self", "href": "https://example.com/c"}],
    "extent": {
        "spatial": {"bbox": [[-180, -90, 180, 90]]},
        "temporal": {"interval": [["2015-06-27T10:25:31Z", None]]},
    },
    "summaries": {"gsd": [10, 20, 60]},
}


def test_reading_a_converted_list_leaves_the_mapping_as_received() -> None:
    """The generated model writes what it converts back into its mapping; the lazy one does not."""
    eager = StacCollection(copy.deepcopy(COLLECTION))
    lazy = lazy_model(StacCollection, copy.deepcopy(COLLECTION))
    assert lazy.extent.temporal.interval == eager.extent.temporal.interval
    assert (
        lazy.extent.spatial.bounding_box
        == eager.extent.spatial.bounding_box
        == [[-180.0, -90.0, 180.0, 90.0]]
    )
    assert type(lazy.extent.spatial.bounding_box[0][0]) is float
    assert lazy.as_dict() == COLLECTION
    assert json.loads(json.dumps(dict(lazy["extent"]))) == COLLECTION["extent"]
    # the generated runtime's gap, which this layer closes: its mapping now holds datetimes
    assert eager.as_dict()["extent"]["temporal"]["interval"] != COLLECTION["extent"]["temporal"]["interval"]


def test_a_kept_value_follows_writes_through_the_mapping_and_the_attributes() -> None:
    item = lazy_model(StacItem, copy.deepcopy(FEATURES[0]))
    assert item.bounding_box == [float(v) for v in FEATURES[0]["bbox"]]
    item["bbox"] = [1, 2, 3, 4]
    assert item.bounding_box == [1.0, 2.0, 3.0, 4.0] and type(item.bounding_box[0]) is float
    item.bounding_box = [5.0, 6.0, 7.0, 8.0]
    assert item["bbox"] == [5.0, 6.0, 7.0, 8.0]
    item.properties.created = None  # deletes, as in the generated model
    assert "created" not in item["properties"] and item.properties.created is None


def test_lists_and_maps_of_models_are_edited_through_to_the_json() -> None:
    feature = copy.deepcopy(FEATURES[0])
    item = lazy_model(StacItem, feature)
    item.assets["extra"] = StacAsset(href="https://example.com/x.tif")
    assert item.as_dict()["assets"]["extra"] == {"href": "https://example.com/x.tif"}
    del item.assets["extra"]
    assert "extra" not in feature["assets"]
    links = item.links
    assert links is not None
    links.append(StacLink(rel="alternate", href="https://example.com/a"))
    assert feature["links"][-1]["href"] == "https://example.com/a"
    assert item.links is links and links[-1].rel == "alternate"
    links.pop(0)
    assert [link.href for link in links] == [link["href"] for link in feature["links"]]
    # entries added through the mapping appear in the typed view
    feature["assets"]["more"] = {"href": "https://example.com/m.tif"}
    assert item.assets["more"].href == "https://example.com/m.tif"
    assert pickle.loads(pickle.dumps(item)).as_dict() == item.as_dict()


# ----------------------------------------------------------------------------------------- reprs
def test_item_and_collection_reprs_are_short_and_identify_them() -> None:
    (item,) = searched([copy.deepcopy(FEATURES[0])])
    feature = FEATURES[0]
    assert (
        repr(item) == f"StacItem(type='Feature', id={feature['id']!r}, collection={feature['collection']!r})"
    )
    collection = lazy_model(StacCollection, copy.deepcopy(COLLECTION))
    assert repr(collection) == "StacCollection(type='Collection', id='sentinel-2-l2a')"
    asset = lazy_model(
        StacAsset, {"href": "https://a.blob.core.windows.net/c/x.tif?sv=1&sig=SECRET", "roles": ["data"]}
    )
    shown = repr(asset)
    assert shown.startswith("StacAsset(") and "SECRET" not in shown and len(shown) < 200
    assert len(repr(item.properties)) < 400


# ---------------------------------------------------------------- JSON that is not the model's shape
@pytest.mark.parametrize("body", [[], "x", 1, None, [{"id": "a"}]])
def test_a_200_that_is_not_an_object_where_a_model_is_expected_raises_decode_error(body: Any) -> None:
    client = PlanetaryComputerProClient(
        ENDPOINT, FakeTokenCredential(), transport=CapturingTransport(lambda r: CannedResponse.json(body))
    )
    with pytest.raises(DecodeError) as raised:
        client.stac.get_collection("c")
    message = str(raised.value)
    assert (
        "get_collection" in message and "GET /stac/collections/c" in message and "StacCollection" in message
    )
    assert raised.value.response is not None and raised.value.response.status_code == 200
    with pytest.raises(DecodeError, match="get_item"):
        client.stac.get_item("c", "i")


def test_a_200_that_is_not_an_array_where_a_list_is_expected_raises_decode_error() -> None:
    client = PlanetaryComputerProClient(
        ENDPOINT, FakeTokenCredential(), transport=CapturingTransport(lambda r: CannedResponse.json("abc"))
    )
    with pytest.raises(DecodeError, match="JSON array"):
        client.stac.get_mosaics("c")


def test_the_async_client_raises_the_same_decode_error() -> None:
    async def main() -> None:
        transport = AsyncCapturingTransport(lambda r: CannedResponse.json([1, 2]))
        async with AsyncPlanetaryComputerProClient(
            ENDPOINT, FakeAsyncTokenCredential(), transport=transport
        ) as client:
            with pytest.raises(DecodeError, match=r"get_collection.*StacCollection"):
                await client.stac.get_collection("c")
            transport.respond_with(lambda r: CannedResponse.json(COLLECTION))
            assert (await client.stac.get_collection("c")).id == "sentinel-2-l2a"

    asyncio.run(main())


def test_integral_coordinates_read_as_floats_and_stay_ints_in_the_mapping() -> None:
    """PostGIS writes whole-number coordinates as JSON integers; the generated model reads floats."""
    feature = copy.deepcopy(FEATURES[0])
    feature["geometry"] = {
        "type": "Polygon",
        "coordinates": [[[-120, 45], [-119.5, 45], [-119.5, 46.0], [-120, 45]]],
    }
    feature["bbox"] = [-120, 45, -119.5, 46]
    item, eager = lazy_model(StacItem, copy.deepcopy(feature)), _deserialize(StacItem, copy.deepcopy(feature))
    assert_same(item, eager, "item")
    polygon = item.geometry
    assert isinstance(polygon, Polygon)
    coordinates = polygon.coordinates
    assert coordinates[0][0] == [-120.0, 45.0] and type(coordinates[0][0][0]) is float
    assert polygon.coordinates is coordinates  # converted once, then kept
    assert item.as_dict() == feature and type(item["geometry"]["coordinates"][0][0][0]) is int
