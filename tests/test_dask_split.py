"""Search partitions without a service: windows, cells, ownership, argument checks, pickling, lazy imports.

The completeness of real splits is tested against the stand-in (tests/e2e/test_dask_partitions.py).
"""

from __future__ import annotations

import datetime as dt
import pickle
import subprocess
import sys
from typing import Any

import pytest
from azure.planetarycomputer import PlanetaryComputerProClient
from azure.planetarycomputer._dask._partitions import GridCell, TimeWindow, grid_cells, time_windows
from dask_support import StandinCredential

UTC = dt.timezone.utc
ENDPOINT = "https://contoso.geocatalog.spatio.azure.com"


@pytest.fixture
def client() -> PlanetaryComputerProClient:
    return PlanetaryComputerProClient(ENDPOINT, StandinCredential())


def utc(year: int, month: int, day: int) -> dt.datetime:
    return dt.datetime(year, month, day, tzinfo=UTC)


def test_month_windows_are_half_open_and_the_last_is_closed() -> None:
    start, end = utc(2023, 1, 15), utc(2023, 4, 1)
    windows = time_windows(start, end, by="month", n=None)
    assert [(w.start, w.end, w.closed) for w in windows] == [
        (utc(2023, 1, 15), utc(2023, 2, 1), False),
        (utc(2023, 2, 1), utc(2023, 3, 1), False),
        (utc(2023, 3, 1), utc(2023, 4, 1), True),  # the last one holds the range's last instant
    ]
    edge = utc(2023, 2, 1)
    assert [w.contains(edge) for w in windows] == [False, True, False]
    assert [w.contains(end) for w in windows] == [False, False, True]


def test_weeks_start_on_monday_and_n_windows_are_equal() -> None:
    weeks = time_windows(utc(2023, 1, 1), utc(2023, 1, 20), by="week", n=None)
    assert [w.start for w in weeks[1:]] == [utc(2023, 1, 2), utc(2023, 1, 9), utc(2023, 1, 16)]
    equal = time_windows(utc(2023, 1, 1), utc(2023, 1, 5), by=None, n=4)
    assert [w.end - w.start for w in equal] == [dt.timedelta(days=1)] * 4
    assert equal[-1].closed and not any(w.closed for w in equal[:-1])


def test_more_windows_than_microseconds_gives_no_empty_window() -> None:
    start = utc(2023, 1, 1)
    windows = time_windows(start, start + dt.timedelta(microseconds=2), by=None, n=10)
    assert len(windows) == 2 and all(w.start < w.end for w in windows)


def test_cells_own_every_point_once_including_edges() -> None:
    cells = grid_cells((0.0, 0.0, 3.0, 2.0), 3, 2)
    points = [(x / 2, y / 2) for x in range(7) for y in range(5)]
    for x, y in points:
        assert sum(cell.contains(x, y) for cell in cells) == 1, (x, y)


def test_halves_keep_ownership() -> None:
    window = TimeWindow(utc(2023, 1, 1), utc(2023, 1, 3), closed=True)
    halves = window.halves()
    assert halves is not None
    first, second = halves
    for moment in (utc(2023, 1, 1), utc(2023, 1, 2), utc(2023, 1, 3)):
        assert first.contains(moment) + second.contains(moment) == 1
    cell = GridCell(0.0, 0.0, 2.0, 1.0, closed_east=True, closed_north=False)
    cells = cell.halves()
    assert cells is not None
    west, east = cells
    assert west.east == east.west == 1.0 and east.closed_east and not west.closed_east
    assert TimeWindow(utc(2023, 1, 1), utc(2023, 1, 1) + dt.timedelta(microseconds=1)).halves() is None


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"datetime": "2023"}, ValueError, "by="),
        ({"datetime": "2023", "by": "fortnight"}, ValueError, "by must be"),
        ({"datetime": "2023", "by": "month", "n": 3}, ValueError, "not both"),
        ({"datetime": "2023", "n": 0}, ValueError, "n must be"),
        ({"by": "month"}, ValueError, "datetime must be a closed range"),
        ({"datetime": "2023-01-01/..", "by": "month"}, ValueError, "datetime must be a closed range"),
        ({"grid": 2}, ValueError, "needs the search's bbox"),
        ({"grid": (2, 0), "bbox": (0, 0, 1, 1)}, ValueError, "grid must be"),
        ({"grid": 2, "bbox": (170, 0, -170, 1)}, ValueError, "antimeridian"),
        ({"datetime": "2023", "by": "month", "max_items": 10}, ValueError, "max_items"),
        ({"datetime": "2023", "by": "month", "limit": 0}, ValueError, "limit"),
        ({"datetime": "2023", "by": "month", "max_matched": 0}, ValueError, "max_matched"),
    ],
)
def test_bad_splits_fail_early_naming_the_argument(
    client: PlanetaryComputerProClient, arguments: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        client.stac.search_partitions(credential_factory=StandinCredential, **arguments)


def test_a_credential_object_or_none_is_refused(client: PlanetaryComputerProClient) -> None:
    with pytest.raises(TypeError, match="not a credential"):
        client.stac.search_partitions(datetime="2023", by="month", credential_factory=StandinCredential())
    with pytest.raises(TypeError, match="credential_factory is required"):
        client.stac.search_partitions(datetime="2023", by="month", credential_factory=None)


def test_partitions_pickle_as_configuration(client: PlanetaryComputerProClient) -> None:
    partitions = client.stac.search_partitions(
        collections="naip",
        datetime="2023",
        bbox=(0, 0, 2, 2),
        by="month",
        grid=2,
        credential_factory=StandinCredential,
    )
    assert len(partitions) == 12 * 4
    copy = pickle.loads(pickle.dumps(partitions[5]))
    assert copy == partitions[5]
    body = copy.search_body()
    assert body["collections"] == ["naip"] and body["datetime"].startswith("2023-02-01T00:00:00Z/")
    assert body["bbox"] == [1.0, 0.0, 2.0, 1.0]
    assert "standin-token" not in repr(copy)


def test_planning_imports_no_dask() -> None:
    code = (
        "import sys\n"
        "from azure.planetarycomputer import PlanetaryComputerProClient\n"
        "from dask_support import StandinCredential\n"
        f"client = PlanetaryComputerProClient({ENDPOINT!r}, StandinCredential())\n"
        "client.stac.search_partitions(datetime='2023', by='month', credential_factory=StandinCredential)\n"
        "print(sorted(m for m in ('dask', 'distributed', 'pyarrow', 'odc') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=str(_tests_dir())
    ).stdout
    assert out.strip() == "[]"


def test_missing_dask_names_the_extra(
    client: PlanetaryComputerProClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    partitions = client.stac.search_partitions(
        datetime="2023", by="month", credential_factory=StandinCredential
    )
    monkeypatch.setitem(sys.modules, "dask.bag", None)
    with pytest.raises(ImportError, match=r"azure-planetarycomputer\[dask\]"):
        partitions.to_dask_bag()


def _tests_dir() -> Any:
    from pathlib import Path

    return Path(__file__).resolve().parent
