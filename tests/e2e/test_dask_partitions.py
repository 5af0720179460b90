"""Search partitions against the local GeoCatalog stand-in: exactly the items of the unsplit search.

A collection of items placed on purpose on window edges (month, ISO week, day and equal-window
boundaries, the first and last microsecond of the range, just outside it), with range items that
begin before the search, and geometries that straddle grid cells, sit on cell edges, touch the
search box from outside or have a bounding box whose corner is not on them. Each split must return
the same ids as the plain pager, none twice. Runs in this process (no Dask needed); the cluster
tests are in test_dask_cluster.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from azure.planetarycomputer import PlanetaryComputerProClient
from dask_support import AREA, StandinCredential, create_collection, edge_items
from standin import ENDPOINT, needs_standin

pytestmark = needs_standin


@pytest.fixture(scope="module")
def client() -> PlanetaryComputerProClient:
    return PlanetaryComputerProClient(ENDPOINT, StandinCredential(), polling_interval=0.2)


@pytest.fixture(scope="module")
def edges(client: PlanetaryComputerProClient) -> Iterator[str]:
    collection = f"dask-edges-{uuid.uuid4().hex[:8]}"
    create_collection(client, collection, edge_items(collection))
    yield collection
    client.stac.begin_delete_collection(collection).result()


def plain_ids(client: PlanetaryComputerProClient, **search: Any) -> list[str]:
    return sorted(item.id for item in client.stac.search_items_paged(**search))


def assert_exactly(ids: list[str], expected: list[str]) -> None:
    duplicates = sorted({item_id for item_id in ids if ids.count(item_id) > 1})
    assert not duplicates, f"returned twice: {duplicates}"
    assert sorted(ids) == expected, (
        f"lost: {sorted(set(expected) - set(ids))}, extra: {sorted(set(ids) - set(expected))}"
    )


SPLITS = [
    pytest.param({"datetime": "2023", "by": "month"}, id="month"),
    pytest.param({"datetime": "2023", "by": "week"}, id="week"),
    pytest.param({"datetime": "2023-01", "by": "day"}, id="day"),
    pytest.param({"datetime": ("2022-06-01T00:00:00Z", "2024-06-01T00:00:00Z"), "by": "year"}, id="year"),
    pytest.param({"datetime": ("2023-01-01T00:00:00Z", "2023-01-05T00:00:00Z"), "n": 4}, id="n4-edges"),
    pytest.param({"datetime": "2023", "n": 7}, id="n7"),
    pytest.param({"datetime": "2023", "bbox": AREA, "grid": 2}, id="grid2"),
    pytest.param({"datetime": "2023", "bbox": AREA, "grid": (3, 2), "by": "month"}, id="grid3x2-month"),
    pytest.param({"bbox": AREA, "grid": (5, 5)}, id="grid5-no-time"),
]


@pytest.mark.parametrize("split", SPLITS)
def test_partitions_return_exactly_the_items_of_the_unsplit_search(
    client: PlanetaryComputerProClient, edges: str, split: dict[str, Any]
) -> None:
    search = {key: value for key, value in split.items() if key not in ("by", "n", "grid")}
    expected = plain_ids(client, collections=edges, limit=5, **search)
    assert len(expected) >= 10
    partitions = client.stac.search_partitions(
        collections=edges, limit=5, credential_factory=StandinCredential, **split
    )
    assert len(partitions) > 1
    assert_exactly([item["id"] for item in partitions.items()], expected)


def test_edge_items_are_found_by_two_windows_and_kept_by_one(
    client: PlanetaryComputerProClient, edges: str
) -> None:
    partitions = client.stac.search_partitions(
        collections=edges, datetime="2023", by="month", limit=100, credential_factory=StandinCredential
    )
    assert len(partitions) == 12
    found = [item.id for partition in partitions for item in partition.pager()]
    kept = [item["id"] for item in partitions.items()]
    # The service's windows are closed: items on the first of a month are in two windows' results.
    assert {"t06-g0", "t08-g0"} <= {item_id for item_id in found if found.count(item_id) > 1}
    assert len(found) > len(kept) == len(set(kept))


def test_straddling_items_are_found_by_several_cells_and_kept_by_one(
    client: PlanetaryComputerProClient, edges: str
) -> None:
    partitions = client.stac.search_partitions(
        collections=edges, bbox=AREA, grid=2, limit=100, credential_factory=StandinCredential
    )
    found = [item.id for partition in partitions for item in partition.pager()]
    kept = [item["id"] for item in partitions.items()]
    assert found.count("t03-g0") == 4  # covers the whole area
    assert len(kept) == len(set(kept)) == len(set(found))


def test_partitions_matching_too_many_are_split_further(
    client: PlanetaryComputerProClient, edges: str
) -> None:
    expected = plain_ids(client, collections=edges, datetime="2023", bbox=AREA)
    coarse = client.stac.search_partitions(
        collections=edges,
        datetime="2023",
        bbox=AREA,
        by="year",
        limit=5,
        credential_factory=StandinCredential,
    )
    fine = client.stac.search_partitions(
        collections=edges,
        datetime="2023",
        bbox=AREA,
        by="year",
        grid=1,
        limit=5,
        max_matched=4,
        credential_factory=StandinCredential,
    )
    assert len(coarse) == 1 and len(fine) > 4
    for partition in fine:  # each one small enough, or as small as it gets
        assert not partition.exceeds(4) or partition.split() is None or len(partition.items()) <= 4
    assert sum(not partition.exceeds(4) for partition in fine) >= len(fine) - 2
    assert_exactly([item["id"] for item in fine.items()], expected)


def test_partitions_pickle_without_a_secret(client: PlanetaryComputerProClient, edges: str) -> None:
    import pickle

    partitions = client.stac.search_partitions(
        collections=edges, datetime="2023", by="month", credential_factory=StandinCredential
    )
    blob = pickle.dumps(list(partitions))
    assert b"standin-token" not in blob and b"Bearer" not in blob
    copies = pickle.loads(blob)
    assert [item["id"] for item in copies[1].items()] == [item["id"] for item in partitions[1].items()]
