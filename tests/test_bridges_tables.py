"""Search exports to Arrow, GeoParquet and GeoDataFrame: every item read back, memory bounded by a page.

Real stac-geoparquet, pyarrow and geopandas; pages come from a capturing transport (recorded
items of a live GeoCatalog, or generated ones) or from the stand-in. The stac-geoparquet layout
changes an item in exactly three documented ways, which the comparison allows for and nothing
else: top-level fields outside the item spec (``_msft:ts``, ``_msft:etag``) come back under
``properties``; struct fields some items lack come back as null; the STAC timestamps
(``datetime``, ``created``...) are Arrow timestamps, written back with 6 fraction digits (same instant).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import tracemalloc
from pathlib import Path
from typing import Any

import geopandas
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely.geometry
import stac_geoparquet.arrow
from _capture import (
    AsyncCapturingTransport,
    CannedResponse,
    CapturedRequest,
    CapturingTransport,
    FakeAsyncTokenCredential,
    FakeTokenCredential,
)
from azure.core.exceptions import HttpResponseError
from azure.planetarycomputer import PlanetaryComputerProClient
from azure.planetarycomputer._generated._utils.model_base import SdkJSONEncoder
from azure.planetarycomputer.aio import PlanetaryComputerProClient as AsyncPlanetaryComputerProClient
from standin import ENDPOINT as STANDIN
from standin import needs_standin
from test_bridges_pystac import ITEMS

ENDPOINT = "https://cat.geocatalog.spatio.azure.com"
ITEM_FIELDS = {
    "type", "stac_version", "stac_extensions", "id", "geometry", "bbox", "properties", "links", "assets",
    "collection",
}  # fmt: skip


TIMESTAMPS = ("datetime", "start_datetime", "end_datetime", "created", "updated")


def instants(item: dict[str, Any]) -> dict[str, Any]:
    """``item`` with its STAC timestamp properties as datetimes (compared as instants)."""
    properties = item["properties"]
    for key in TIMESTAMPS:
        if isinstance(properties.get(key), str):
            properties[key] = dt.datetime.fromisoformat(properties[key].replace("Z", "+00:00"))
    return item


def expected_after_round_trip(source: dict[str, Any]) -> dict[str, Any]:
    expected = copy.deepcopy(source)
    for key in [key for key in expected if key not in ITEM_FIELDS]:
        expected["properties"][key] = expected.pop(key)
    return instants(expected)


def without_added_nulls(value: Any, reference: Any) -> Any:
    """``value`` without the null entries of mappings whose key ``reference`` does not have."""
    if isinstance(value, dict) and isinstance(reference, dict):
        return {
            key: without_added_nulls(entry, reference.get(key))
            for key, entry in value.items()
            if not (entry is None and key not in reference)
        }
    if isinstance(value, list) and isinstance(reference, list) and len(value) == len(reference):
        return [without_added_nulls(entry, ref) for entry, ref in zip(value, reference)]
    return value


def assert_same_items(read_back: list[dict[str, Any]], sources: list[dict[str, Any]]) -> None:
    assert [item["id"] for item in read_back] == [item["id"] for item in sources]
    for back, source in zip(read_back, sources):
        expected = expected_after_round_trip(source)
        assert instants(without_added_nulls(json.loads(json.dumps(back)), expected)) == expected


def paged_responder(pages: list[list[dict[str, Any]]], seen: list[int] | None = None) -> Any:
    def answer(request: CapturedRequest) -> CannedResponse:
        number = int(dict(request.query).get("page", "0"))
        if seen is not None:
            seen.append(pa.total_allocated_bytes())
        links = []
        if number + 1 < len(pages):
            links = [{"rel": "next", "href": f"{ENDPOINT}/stac/search?page={number + 1}", "method": "GET"}]
        return CannedResponse.json({"type": "FeatureCollection", "features": pages[number], "links": links})

    return answer


def sync_client(pages: list[list[dict[str, Any]]], seen: list[int] | None = None) -> tuple[Any, Any]:
    transport = CapturingTransport(paged_responder(pages, seen))
    return PlanetaryComputerProClient(ENDPOINT, FakeTokenCredential(), transport=transport), transport


RECORDED_PAGES = [ITEMS[:7], ITEMS[7:15], ITEMS[15:]]


def test_recorded_items_survive_a_geoparquet_round_trip(tmp_path: Path) -> None:
    client, transport = sync_client(RECORDED_PAGES)
    target = tmp_path / "out" / "items.parquet"

    counts: list[int] = []
    written = client.stac.search_items_paged(collections="naip").to_geoparquet(target, progress=counts.append)

    assert written == target and len(transport.requests) == 3
    assert counts == [7, 15, len(ITEMS)]
    assert [p.name for p in target.parent.iterdir()] == ["items.parquet"]  # no partial file left
    table = pq.read_table(target)
    assert b"geo" in table.schema.metadata  # GeoParquet metadata
    assert_same_items(list(stac_geoparquet.arrow.stac_table_to_items(table)), ITEMS)

    frame = geopandas.read_parquet(target)
    assert list(frame["id"]) == [item["id"] for item in ITEMS]
    for geometry, item in zip(frame.geometry, ITEMS):
        assert geometry.equals(shapely.geometry.shape(item["geometry"]))


def test_to_arrow_streams_a_reader_and_to_geodataframe_gives_wgs84_rows() -> None:
    client, _ = sync_client(RECORDED_PAGES)
    pager = client.stac.search_items_paged(collections="naip")

    reader = pager.to_arrow()
    assert isinstance(reader, pa.RecordBatchReader)
    table = reader.read_all()
    assert table.num_rows == len(ITEMS)
    assert_same_items(list(stac_geoparquet.arrow.stac_table_to_items(table)), ITEMS)

    frame = pager.to_geodataframe()
    assert isinstance(frame, geopandas.GeoDataFrame) and len(frame) == len(ITEMS)
    assert frame.crs is not None and frame.crs.to_epsg() == 4326
    assert frame.geometry.iloc[0].equals(shapely.geometry.shape(ITEMS[0]["geometry"]))


def test_pages_with_different_fields_are_unified() -> None:
    base = copy.deepcopy(ITEMS[0])
    first = [dict(copy.deepcopy(base), id=f"a{i}") for i in range(3)]
    second = []
    for i in range(3):
        item = dict(copy.deepcopy(base), id=f"b{i}")
        item["properties"]["eo:cloud_cover"] = 12.5 + i
        item["properties"]["msft:region"] = "westeurope"
        second.append(item)
    client, _ = sync_client([first, second])

    table = client.stac.search_items_paged().to_arrow().read_all()

    assert table.num_rows == 6
    assert table.column("eo:cloud_cover").to_pylist() == [None, None, None, 12.5, 13.5, 14.5]
    assert_same_items(list(stac_geoparquet.arrow.stac_table_to_items(table)), first + second)


async def test_the_async_pager_exports_the_same(tmp_path: Path) -> None:
    transport = AsyncCapturingTransport(paged_responder(RECORDED_PAGES))
    async with AsyncPlanetaryComputerProClient(
        ENDPOINT, FakeAsyncTokenCredential(), transport=transport
    ) as client:
        pager = client.stac.search_items_paged(collections="naip")
        counts: list[int] = []
        table = (await pager.to_arrow(progress=counts.append)).read_all()
        target = await pager.to_geoparquet(tmp_path / "async.parquet")
        frame = await pager.to_geodataframe()

    assert counts == [7, 15, len(ITEMS)]
    assert_same_items(list(stac_geoparquet.arrow.stac_table_to_items(table)), ITEMS)
    assert_same_items(list(stac_geoparquet.arrow.stac_table_to_items(pq.read_table(target))), ITEMS)
    assert list(frame["id"]) == [item["id"] for item in ITEMS]


def test_an_empty_search_exports_nothing_and_says_so(tmp_path: Path) -> None:
    client, _ = sync_client([[]])
    pager = client.stac.search_items_paged()
    assert pager.to_arrow().read_all().num_rows == 0
    assert len(pager.to_geodataframe()) == 0
    with pytest.raises(ValueError, match="no items"):
        pager.to_geoparquet(tmp_path / "empty.parquet")
    assert list(tmp_path.iterdir()) == []


def test_bad_arguments_are_refused_before_any_request(tmp_path: Path) -> None:
    client, transport = sync_client(RECORDED_PAGES)
    pager = client.stac.search_items_paged()
    with pytest.raises(ValueError, match="is a directory"):
        pager.to_geoparquet(tmp_path)
    with pytest.raises(TypeError, match="path must be a file path"):
        pager.to_geoparquet(3)
    with pytest.raises(TypeError, match="progress must be callable"):
        pager.to_geoparquet(tmp_path / "x.parquet", progress=True)
    with pytest.raises(TypeError, match="progress must be callable"):
        pager.to_arrow(progress="yes")
    assert transport.requests == []


def test_a_failing_page_leaves_no_file(tmp_path: Path) -> None:
    answer = paged_responder(RECORDED_PAGES)

    def fail_on_the_last_page(request: CapturedRequest) -> CannedResponse:
        if dict(request.query).get("page") == "2":
            return CannedResponse.json({"error": {"code": "Boom", "message": "page failed"}}, status=500)
        return answer(request)

    transport = CapturingTransport(fail_on_the_last_page)
    client = PlanetaryComputerProClient(ENDPOINT, FakeTokenCredential(), transport=transport, retry_total=0)
    with pytest.raises(HttpResponseError, match="page failed"):
        client.stac.search_items_paged().to_geoparquet(tmp_path / "items.parquet")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------------------------------
# Memory: bounded by a page, not by the result
# --------------------------------------------------------------------------------------------------


def bulky_pages(count: int, per_page: int = 20) -> list[list[dict[str, Any]]]:
    base = copy.deepcopy(ITEMS[0])
    pages = []
    for page in range(count):
        items = []
        for index in range(per_page):
            item = copy.deepcopy(base)
            item["id"] = f"item-{page}-{index}"
            item["properties"]["msft:notes"] = f"{page}-{index}-" + "x" * 6000  # ~6 KB per item
            items.append(item)
        pages.append(items)
    return pages


def export_peak(pages: list[list[dict[str, Any]]], target: Path) -> tuple[int, list[int]]:
    seen: list[int] = []
    # The pages are served as bytes, so only the client's own work is measured.
    bodies = [json.dumps({"type": "FeatureCollection", "features": page}) for page in pages]
    del pages

    def answer(request: CapturedRequest) -> CannedResponse:
        number = int(dict(request.query).get("page", "0"))
        seen.append(pa.total_allocated_bytes())
        body = json.loads(bodies[number])
        if number + 1 < len(bodies):
            body["links"] = [{"rel": "next", "href": f"{ENDPOINT}/stac/search?page={number + 1}"}]
        return CannedResponse(headers={"Content-Type": "application/json"}, body=json.dumps(body).encode())

    client = PlanetaryComputerProClient(ENDPOINT, FakeTokenCredential(), transport=CapturingTransport(answer))
    pager = client.stac.search_items_paged()
    tracemalloc.start()
    try:
        pager.to_geoparquet(target)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, seen


def test_memory_stays_bounded_by_a_page_not_by_the_result(tmp_path: Path) -> None:
    pages = bulky_pages(40)
    result_bytes = sum(len(json.dumps(page)) for page in pages)
    page_bytes = result_bytes // len(pages)
    peak, arrow_live = export_peak(pages, tmp_path / "big.parquet")

    assert pq.read_metadata(tmp_path / "big.parquet").num_rows == 40 * 20
    # Holding the result would take more than its JSON size in Python objects; streaming takes
    # some pages' worth (the page being converted, the one being parsed, the spool's bookkeeping).
    assert peak < result_bytes / 4, (peak, result_bytes, page_bytes)
    assert peak < 12 * page_bytes, (peak, page_bytes)
    # Arrow memory in use when each page is requested does not grow with the pages spooled so far.
    assert max(arrow_live[5:]) < max(arrow_live[:5]) + 4 * page_bytes, arrow_live


# --------------------------------------------------------------------------------------------------
# On the stand-in
# --------------------------------------------------------------------------------------------------


@needs_standin[0]
@needs_standin[1]
def test_a_standin_search_exported_to_geoparquet_reads_back_identical(tmp_path: Path) -> None:
    client = PlanetaryComputerProClient(STANDIN, FakeTokenCredential())
    search: dict[str, Any] = {"collections": "sentinel-mini", "limit": 9, "sortby": "id"}
    sources = [
        json.loads(json.dumps(item, cls=SdkJSONEncoder)) for item in client.stac.search_items_paged(**search)
    ]
    assert len(sources) > 9 * 3  # several pages

    target = client.stac.search_items_paged(**search).to_geoparquet(tmp_path / "standin.parquet")

    assert_same_items(list(stac_geoparquet.arrow.stac_table_to_items(pq.read_table(target))), sources)
    frame = geopandas.read_parquet(target)
    assert list(frame["id"]) == [item["id"] for item in sources]
    for geometry, item in zip(frame.geometry, sources):
        assert geometry.equals(shapely.geometry.shape(item["geometry"]))
