"""The pystac bridge: ``to_pystac()`` / ``from_pystac()`` keep every field of STAC items and collections.

Checked on the items and collections recorded from a live GeoCatalog (search pages, get_item,
collections with ``msft:*`` fields) and on Hypothesis-generated items carrying extension fields,
``msft:*`` / ``_msft:*`` fields, links and assets with extra fields. pystac is real.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pystac
import pytest
from _capture import (
    AsyncCapturingTransport,
    CannedResponse,
    CapturedRequest,
    CapturingTransport,
    FakeAsyncTokenCredential,
    FakeTokenCredential,
    shared_path,
)
from azure.planetarycomputer import PlanetaryComputerProClient
from azure.planetarycomputer._bridges import from_pystac, to_pystac
from azure.planetarycomputer._bridges._pystac import item_collection_to_pystac
from azure.planetarycomputer._generated._utils.model_base import SdkJSONEncoder
from azure.planetarycomputer._lazy_items import lazy_model
from azure.planetarycomputer.aio import PlanetaryComputerProClient as AsyncPlanetaryComputerProClient
from azure.planetarycomputer.models import StacCollection, StacItem, StacItemCollection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ENDPOINT = "https://cat.geocatalog.spatio.azure.com"


def _bodies() -> Iterator[Any]:
    for path in sorted(shared_path("recordings").glob("*.json")):
        for entry in json.loads(path.read_text())["Entries"]:
            yield entry["ResponseBody"]


def recorded_items() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for body in _bodies():
        if isinstance(body, dict):
            items += [f for f in body.get("features") or [] if isinstance(f, dict)]
            if body.get("type") == "Feature":
                items.append(body)
    return [item for item in items if "stac_version" in item]  # the tiler's GeoJSON features are not STAC


def recorded_collections() -> list[dict[str, Any]]:
    collections: list[dict[str, Any]] = []
    for body in _bodies():
        if isinstance(body, dict):
            collections += [c for c in body.get("collections") or [] if isinstance(c, dict)]
            if body.get("type") == "Collection":
                collections.append(body)
    return collections


ITEMS = recorded_items()
COLLECTIONS = recorded_collections()


def wire(model: Any) -> Any:
    return json.loads(json.dumps(model, cls=SdkJSONEncoder))


def test_the_recordings_hold_what_the_round_trips_need() -> None:
    assert len(ITEMS) >= 20 and len(COLLECTIONS) >= 10
    assert any(key.startswith("_msft:") for item in ITEMS for key in item)
    assert any(key.startswith("msft:") for collection in COLLECTIONS for key in collection)


@pytest.mark.parametrize("build", ["eager", "lazy", "lazy, fields read"])
def test_recorded_items_round_trip_through_pystac_unchanged(build: str) -> None:
    for source in ITEMS:
        if build == "eager":
            item = StacItem(copy.deepcopy(source))
        else:
            item = lazy_model(StacItem, copy.deepcopy(source))
            if build == "lazy, fields read":
                _ = item.properties.date_time, item.geometry, item.assets, item.links
        converted = item.to_pystac()  # type: ignore[attr-defined]

        assert isinstance(converted, pystac.Item)
        assert converted.id == source["id"] and converted.collection_id == source.get("collection")
        assert converted.to_dict(transform_hrefs=False) == source
        back = StacItem.from_pystac(converted)  # type: ignore[attr-defined]
        assert isinstance(back, StacItem)
        assert wire(back) == source


def test_recorded_collections_round_trip_through_pystac_unchanged() -> None:
    for source in COLLECTIONS:
        converted = StacCollection(copy.deepcopy(source)).to_pystac()  # type: ignore[attr-defined]

        assert isinstance(converted, pystac.Collection)
        assert converted.to_dict(transform_hrefs=False) == source
        assert {k: v for k, v in converted.extra_fields.items() if k.startswith("msft:")} == {
            k: v for k, v in source.items() if k.startswith("msft:")
        }
        back = StacCollection.from_pystac(converted)  # type: ignore[attr-defined]
        assert isinstance(back, StacCollection) and wire(back) == source


def page_of(features: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features, **extra}


def test_a_search_page_keeps_its_links_and_context() -> None:
    links = [{"rel": "next", "href": f"{ENDPOINT}/stac/search?token=next:abc", "method": "GET"}]
    page = page_of(ITEMS[:3], links=links, context={"returned": 3, "matched": 9})
    client = PlanetaryComputerProClient(
        ENDPOINT, FakeTokenCredential(), transport=CapturingTransport(CannedResponse.json(page))
    )
    result = client.stac.search({"collections": ["naip"]})
    assert isinstance(result, StacItemCollection)

    converted = result.to_pystac()  # type: ignore[attr-defined]

    assert isinstance(converted, pystac.ItemCollection)
    assert converted.to_dict(transform_hrefs=False) == page
    assert converted.extra_fields["context"] == {"returned": 3, "matched": 9}
    back = StacItemCollection.from_pystac(converted)  # type: ignore[attr-defined]
    assert wire(back) == page


def two_page_responder(features: list[dict[str, Any]]) -> Any:
    half = len(features) // 2

    def answer(request: CapturedRequest) -> CannedResponse:
        if "token=2" in request.url:
            return CannedResponse.json(page_of(features[half:], links=[]))
        link = {"rel": "next", "href": f"{ENDPOINT}/stac/search?token=2", "method": "GET"}
        return CannedResponse.json(page_of(features[:half], links=[link]))

    return answer


def test_the_sync_pager_gives_every_page_as_one_item_collection() -> None:
    transport = CapturingTransport(two_page_responder(ITEMS[:10]))
    client = PlanetaryComputerProClient(ENDPOINT, FakeTokenCredential(), transport=transport)

    converted = client.stac.search_items_paged(collections="naip").to_pystac()

    assert len(transport.requests) == 2
    assert [item.to_dict(transform_hrefs=False) for item in converted] == ITEMS[:10]


async def test_the_async_pager_gives_every_page_as_one_item_collection() -> None:
    transport = AsyncCapturingTransport(two_page_responder(ITEMS[:10]))
    async with AsyncPlanetaryComputerProClient(
        ENDPOINT, FakeAsyncTokenCredential(), transport=transport
    ) as client:
        converted = await client.stac.search_items_paged(collections="naip").to_pystac()

    assert [item.to_dict(transform_hrefs=False) for item in converted] == ITEMS[:10]


def test_plain_json_and_iterables_convert_too() -> None:
    assert isinstance(to_pystac(ITEMS[0]), pystac.Item)
    assert isinstance(to_pystac(COLLECTIONS[0]), pystac.Collection)
    assert isinstance(to_pystac(page_of(ITEMS[:2])), pystac.ItemCollection)
    models = [StacItem(copy.deepcopy(item)) for item in ITEMS[:4]]
    assert [i.to_dict(transform_hrefs=False) for i in item_collection_to_pystac(models)] == ITEMS[:4]


def test_what_is_not_stac_is_refused_with_a_type_error() -> None:
    with pytest.raises(TypeError, match="obj must be a STAC item, collection or item collection"):
        to_pystac({"type": "Catalog", "id": "x"})
    with pytest.raises(TypeError, match="obj must be"):
        to_pystac("an item")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"obj must be a pystac\.Item, pystac\.Collection"):
        from_pystac({"type": "Feature"})  # type: ignore[arg-type]
    collection = to_pystac(COLLECTIONS[0])
    with pytest.raises(TypeError, match=r"obj must be a pystac\.Item, got Collection"):
        StacItem.from_pystac(collection)  # type: ignore[attr-defined]


def test_a_pystac_item_made_by_hand_becomes_a_model_for_writes() -> None:
    import datetime as dt

    item = pystac.Item(
        "new-item",
        {"type": "Point", "coordinates": [1.0, 2.0]},
        [1.0, 2.0, 1.0, 2.0],
        dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc),
        {"eo:cloud_cover": 3.5, "msft:region": "westeurope"},
        collection="naip",
    )
    item.add_asset("image", pystac.Asset("https://example.com/a.tif", media_type=pystac.MediaType.COG))

    model = StacItem.from_pystac(item)  # type: ignore[attr-defined]

    assert model.id == "new-item" and model.collection == "naip"
    assert model.properties["msft:region"] == "westeurope"
    assert model.assets["image"].href == "https://example.com/a.tif"
    assert wire(model) == item.to_dict(transform_hrefs=False)


# --------------------------------------------------------------------------------------------------
# Generated items
# --------------------------------------------------------------------------------------------------

_names = st.from_regex(r"[a-z][a-z0-9_-]{0,11}", fullmatch=True)
_json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**53), 2**53), st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)  # fmt: skip
_json = st.recursive(
    _json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_names, inner, max_size=3),
    max_leaves=8,
)
_field_names = st.one_of(
    _names,
    _names.map(lambda n: f"msft:{n}"),
    _names.map(lambda n: f"_msft:{n}"),
    _names.map(lambda n: f"eo:{n}"),
)
# pystac writes datetime in its canonical form: whole seconds, or 6 fraction digits, and "Z".
_datetimes = st.datetimes(min_value=__import__("datetime").datetime(1970, 1, 1)).map(
    lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if d.microsecond else "%Y-%m-%dT%H:%M:%SZ")
)
_coordinate = st.floats(-180, 180, allow_nan=False)
_links = st.lists(
    st.fixed_dictionaries(
        {"rel": st.sampled_from(["self", "root", "parent", "collection", "license", "via"]),
         "href": _names.map(lambda n: f"https://example.com/{n}")},
        optional={"type": st.just("application/json"), "title": st.text(max_size=8), "msft:x": _json},
    ),
    max_size=4,
)  # fmt: skip
_assets = st.dictionaries(
    _names,
    st.fixed_dictionaries(
        {"href": _names.map(lambda n: f"https://acct.blob.core.windows.net/c-0123abcd/{n}.tif")},
        optional={"type": st.just("image/tiff"), "roles": st.lists(_names, max_size=2),
                  "eo:bands": st.lists(st.dictionaries(_names, _json_scalars, max_size=2), max_size=2),
                  "msft:extra": _json},
    ),
    max_size=3,
)  # fmt: skip


def _extension_url(name: str) -> str:
    return f"https://stac-extensions.github.io/{name}/v1.0.0/schema.json"


@st.composite
def stac_items(draw: st.DrawFn) -> dict[str, Any]:
    x, y = draw(_coordinate), draw(st.floats(-90, 90, allow_nan=False))
    properties = {"datetime": draw(_datetimes), **draw(st.dictionaries(_field_names, _json, max_size=4))}
    item: dict[str, Any] = {
        "type": "Feature",
        "stac_version": draw(st.sampled_from(["1.0.0", "1.1.0"])),
        "stac_extensions": draw(st.lists(_names.map(_extension_url), max_size=2)),
        "id": draw(_names),
        "geometry": {"type": "Point", "coordinates": [x, y]},
        "bbox": [x, y, x, y],
        "properties": properties,
        "links": draw(_links),
        "assets": draw(_assets),
        "collection": draw(_names),
    }  # fmt: skip
    for key, value in draw(st.dictionaries(_field_names, _json, max_size=3)).items():
        item.setdefault(key, value)
    return item


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stac_items())
def test_generated_items_round_trip_through_pystac_unchanged(source: dict[str, Any]) -> None:
    for item in (StacItem(copy.deepcopy(source)), lazy_model(StacItem, copy.deepcopy(source))):
        converted = item.to_pystac()  # type: ignore[attr-defined]
        assert converted.to_dict(transform_hrefs=False) == source
        assert wire(from_pystac(converted)) == source
