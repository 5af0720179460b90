"""Tile helpers under abuse: absurd plans, antimeridian areas, disks that refuse writes, interrupted
and cancelled runs, foreign download folders, long file names and progress from the wrong thread.

The sync and async clients run for real against :class:`fault_server.FaultServer` (stalled and
trickling tiles, counted requests) or against canned transports; connections are counted from the
process's own socket table (``/proc/self/net/tcp``), so a leak cannot hide behind a pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import os
import random
import signal
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import morecantile
import pytest
from _capture import FakeAsyncTokenCredential, FakeTokenCredential
from azure.planetarycomputer import PlanetaryComputerProClient, _atomic_file
from azure.planetarycomputer._atomic_file import (
    AtomicFile,
    is_temporary_name,
    temporary_name,
    write_atomically,
)
from azure.planetarycomputer._tile_grid import Tile, count_covering_tiles, covering_tiles, normalize_area
from azure.planetarycomputer._tiles import DEFAULT_MAX_TILES, MANIFEST_NAME, TileDownloadResult, TileProgress
from azure.planetarycomputer.aio import PlanetaryComputerProClient as AsyncPlanetaryComputerProClient
from fault_server import FaultServer, RecordedRequest, Reply
from test_tiles import BBOX, body_for, files_under, hand_computed, make_client, tile_of

WEB_MERCATOR = morecantile.tms.get("WebMercatorQuad")
TILES = "/data/mosaic/collections/naip/items/tile-1/tiles/WebMercatorQuad/"
COLLECTION = {
    "id": "naip",
    "type": "Collection",
    "stac_version": "1.0.0",
    "description": "NAIP",
    "license": "proprietary",
    "links": [],
    "extent": {"spatial": {"bbox": [[-85.6, 30.3, -80.8, 35.0]]}, "temporal": {"interval": [[None, None]]}},
}
NO_RETRIES = {"retry_total": 0}
SLOW = 20.0
"""How long a stalled or trickling tile would take: far beyond every bound asserted here."""
PROMPT = 2.0
"""How soon an interrupted run must be back (it waits 0.5 s for requests in flight, then leaves)."""


def server_tile(request: RecordedRequest) -> Tile:
    z, x, y = request.path.split("/")[-3:]
    return Tile(int(float(x)), int(float(y)), int(float(z)))


def client_connections(port: int) -> int:
    """TCP connections this process holds open to ``port`` (its own sockets, any state but closed)."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            link = os.readlink(f"/proc/self/fd/{fd}")
            if link.startswith("socket:["):
                inodes.add(link[len("socket:[") : -1])
    held = 0
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        with contextlib.suppress(FileNotFoundError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if int(fields[2].rsplit(":", 1)[1], 16) == port and fields[9] in inodes:
                    held += 1
    return held


def settle(port: int, at_most: int, seconds: float = 3.0) -> int:
    """The connections held to ``port`` once they have had ``seconds`` to drop to ``at_most``."""
    deadline = time.monotonic() + seconds
    held = client_connections(port)
    while held > at_most and time.monotonic() < deadline:
        time.sleep(0.05)
        held = client_connections(port)
    return held


needs_proc = pytest.mark.skipif(not Path("/proc/self/net/tcp").exists(), reason="counts sockets in /proc")


# --------------------------------------------------------------------------------------------------
# #20.8: plans of absurd size are counted by arithmetic and refused before any request
# --------------------------------------------------------------------------------------------------


def test_the_whole_world_at_zoom_24_is_refused_at_the_call_stating_the_count() -> None:
    client, transport = make_client()
    world = [-180.0, -85.0, 180.0, 85.0]
    with pytest.raises(ValueError, match=r"280,552,934,473,728 tiles .*max_tiles=50,000"):
        client.data.iter_tiles("naip", "item-1", bbox=world, zooms=24, progress=lambda _: None)
    with pytest.raises(ValueError, match=r"280,552,934,473,729 tiles at zooms 0, 24"):
        client.data.download_tiles("naip", "item-1", directory="unused", bbox=world, zooms=[0, 24])
    assert transport.requests == [] and DEFAULT_MAX_TILES == 50_000


def test_max_tiles_is_a_limit_on_the_plan_and_a_checked_keyword(tmp_path: Path) -> None:
    client, transport = make_client()
    with pytest.raises(ValueError, match=r"the bbox has 20 tiles at zooms 12, more than max_tiles=19"):
        client.data.download_tiles("naip", "item-1", directory=tmp_path, bbox=BBOX, zooms=12, max_tiles=19)
    assert transport.requests == [] and list(tmp_path.iterdir()) == []
    result = client.data.download_tiles(
        "naip", "item-1", directory=tmp_path, bbox=BBOX, zooms=12, max_tiles=20
    )
    assert result.fetched == 20
    bad: Any
    for bad, error in ((0, ValueError), (True, TypeError), (2.5, TypeError)):
        with pytest.raises(error, match="max_tiles"):
            client.data.iter_tiles("naip", "item-1", bbox=BBOX, zooms=12, max_tiles=bad)


async def test_async_max_tiles_refuses_before_any_request() -> None:
    from test_tiles_aio import make_client as make_async_client

    client, transport = make_async_client()
    with pytest.raises(ValueError, match=r"280,552,934,473,728 tiles"):
        await client.data.iter_tiles("naip", "item-1", bbox=[-180, -85, 180, 85], zooms=24)
    with pytest.raises(ValueError, match=r"20 tiles .*max_tiles=5"):
        await client.data.download_tiles(
            "naip", "item-1", directory="unused", bbox=BBOX, zooms=12, max_tiles=5
        )
    assert transport.requests == []


@pytest.mark.parametrize("tms_id", morecantile.tms.list())
def test_the_arithmetic_count_is_what_enumeration_yields(tms_id: str) -> None:
    """Random boxes, crossing the antimeridian or not, in every built-in tile matrix set (one with
    variable matrix widths among them): the count equals morecantile's own distinct tiles."""
    tms = morecantile.tms.get(tms_id)
    draw = random.Random(tms_id)
    zooms = list(range(tms.minzoom, min(tms.maxzoom, tms.minzoom + 5) + 1))
    for _ in range(20):
        west = draw.uniform(-180, 180)
        east = draw.uniform(west, min(180.0, west + draw.choice([0.01, 1.0, 30.0, 200.0])))
        if draw.random() < 0.3:
            west, east = east, west
        south = draw.uniform(-89, 89)
        north = draw.uniform(south, min(90.0, south + draw.choice([0.01, 1.0, 30.0])))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = {tuple(tile) for tile in tms.tiles(west, south, east, north, zooms, truncate=True)}
            area = normalize_area([west, south, east, north], None)
            planned = [tuple(tile) for tile in covering_tiles(tms, zooms, area)]
            counted = count_covering_tiles(tms, zooms, area)
        assert set(planned) == expected and len(planned) == len(expected) == counted, (
            west,
            south,
            east,
            north,
        )


def test_progress_totals_use_the_same_count() -> None:
    client, _ = make_client()
    updates: list[TileProgress] = []
    list(client.data.iter_tiles("naip", "item-1", bbox=BBOX, zooms=[11, 12], progress=updates.append))
    expected = len(hand_computed(BBOX, 11)) + len(hand_computed(BBOX, 12))
    assert {update.total for update in updates} == {expected} and updates[-1].fetched == expected


# --------------------------------------------------------------------------------------------------
# #20.9: a bbox crossing the antimeridian, planned as its two halves
# --------------------------------------------------------------------------------------------------

FIJI = [179.5, -17.0, -179.5, -16.5]  # 1 degree by 0.5 degree across the antimeridian


def test_a_crossing_bbox_plans_the_tiles_of_its_two_halves() -> None:
    whole = list(covering_tiles(WEB_MERCATOR, [13], normalize_area(FIJI, None)))
    west_half = set(covering_tiles(WEB_MERCATOR, [13], normalize_area([179.5, -17.0, 180.0, -16.5], None)))
    east_half = set(covering_tiles(WEB_MERCATOR, [13], normalize_area([-180.0, -17.0, -179.5, -16.5], None)))
    assert set(whole) == west_half | east_half and len(whole) == len(set(whole)) == 312
    assert count_covering_tiles(WEB_MERCATOR, [13], normalize_area(FIJI, None)) == 312
    # The columns are those at both edges of the world, nothing in between.
    columns = {tile.x for tile in whole}
    assert columns == set(range(8180, 8192)) | set(range(0, 12))


def test_a_multipolygon_split_at_the_antimeridian_is_planned_as_narrowly_as_the_bbox() -> None:
    """RFC 7946 splits a crossing geometry at 180; its plain bounds would span the whole band
    (106,496 tiles at zoom 13, over max_tiles), its parts give the 312 of the crossing box."""
    fiji = {
        "type": "MultiPolygon",
        "coordinates": [
            [[[179.5, -17.0], [180.0, -17.0], [180.0, -16.5], [179.5, -16.5], [179.5, -17.0]]],
            [[[-180.0, -17.0], [-179.5, -17.0], [-179.5, -16.5], [-180.0, -16.5], [-180.0, -17.0]]],
        ],
    }
    area = normalize_area(None, fiji)
    assert area.bbox == (179.5, -17.0, -179.5, -16.5)
    assert count_covering_tiles(WEB_MERCATOR, [13], area) == 312
    assert set(covering_tiles(WEB_MERCATOR, [13], area)) == set(
        covering_tiles(WEB_MERCATOR, [13], normalize_area(FIJI, None))
    )
    # Parts far from the antimeridian keep their plain bounds.
    apart = {"type": "MultiPoint", "coordinates": [[-10.0, 0.0], [10.0, 1.0]]}
    assert normalize_area(None, apart).bbox == (-10.0, 0.0, 10.0, 1.0)


def test_halves_sharing_tiles_at_low_zoom_yield_each_tile_once() -> None:
    area = normalize_area([10.0, -17.0, -10.0, -16.5], None)  # almost the whole band
    tiles = list(covering_tiles(WEB_MERCATOR, [0, 1, 2], area))
    assert len(tiles) == len(set(tiles)) == count_covering_tiles(WEB_MERCATOR, [0, 1, 2], area)
    assert Tile(0, 0, 0) in tiles and sum(1 for tile in tiles if tile.z == 0) == 1


def test_iter_tiles_over_the_antimeridian_requests_each_tile_once() -> None:
    client, transport = make_client()
    results = dict(client.data.iter_tiles("naip", "item-1", bbox=FIJI, zooms=10))
    requested = [tile_of(request) for request in transport.requests]
    assert sorted(requested) == sorted(results) and len(set(requested)) == len(requested)
    assert {tile.x for tile in requested} == {1022, 1023, 0, 1}


@pytest.mark.parametrize(
    "bbox", [[190.0, -17.0, -179.5, -16.5], [179.5, -17.0, -190.0, -16.5], [179.5, -16.0, -179.5, -16.5]]
)
def test_a_crossing_bbox_is_still_checked(bbox: list[float]) -> None:
    with pytest.raises(ValueError, match="bbox"):
        normalize_area(bbox, None)


# --------------------------------------------------------------------------------------------------
# #20.13: temporary names within the filesystem's longest name
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("length", [200, 236, 237, 250, 255])
def test_legal_names_up_to_name_max_are_written(tmp_path: Path, length: int) -> None:
    name = ("é" * length)[: length // 2] + "x" * (length - 2 * (length // 2))  # two bytes per é
    assert len(os.fsencode(name)) == length
    target = tmp_path / name
    assert write_atomically(target, [b"abc", b"def"]) == 6
    assert target.read_bytes() == b"abcdef" and [path.name for path in tmp_path.iterdir()] == [name]


def test_temporary_names_fit_and_stay_recognisable() -> None:
    for name in ("a.png", "b" * 255, "ü" * 127):
        temporary = temporary_name(name, 255)
        assert len(os.fsencode(temporary)) <= 255 and is_temporary_name(temporary)
        assert temporary != temporary_name(name, 255)  # fresh each time
    assert not is_temporary_name("notes.part") and not is_temporary_name(".a.png.part")


def test_download_asset_writes_a_254_byte_name(tmp_path: Path) -> None:
    with FaultServer() as server, FaultServer("127.0.0.2") as storage:
        storage.script("/container/a.tif", Reply.data(b"tif" * 1000, "image/tiff"))
        target = tmp_path / ("a" * 250 + ".tif")
        with PlanetaryComputerProClient(server.url, FakeTokenCredential(), **NO_RETRIES) as client:
            client.sas.download_asset(f"{storage.url}/container/a.tif?sv=2024-05-04&sig=c2ln", target)
    assert target.read_bytes() == b"tif" * 1000


# --------------------------------------------------------------------------------------------------
# #20.11: a download folder remembers what its tiles are of
# --------------------------------------------------------------------------------------------------


def test_item_b_into_item_a_folder_is_refused_or_refetched_with_overwrite(tmp_path: Path) -> None:
    client, transport = make_client()
    client.data.download_tiles("naip", "item-a", directory=tmp_path, bbox=BBOX, zooms=12)
    manifest = json.loads((tmp_path / MANIFEST_NAME).read_text())
    assert manifest["target"] == {"collection_id": "naip", "item_id": "item-a"}
    assert (
        manifest["render_options"] == {"format": "png"}
        and manifest["tile_matrix_set_id"] == "WebMercatorQuad"
    )
    transport.requests.clear()

    with pytest.raises(ValueError, match=r"holds tiles of .*item-a.*not .*item-b.*overwrite=True"):
        client.data.download_tiles("naip", "item-b", directory=tmp_path, bbox=BBOX, zooms=12)
    with pytest.raises(ValueError, match=r"render_options"):
        client.data.download_tiles(
            "naip", "item-a", directory=tmp_path, bbox=BBOX, zooms=12, assets=["image"]
        )
    assert transport.requests == []

    result = client.data.download_tiles(
        "naip", "item-b", directory=tmp_path, bbox=BBOX, zooms=12, overwrite=True
    )
    assert (result.fetched, result.skipped) == (20, 0)
    assert all("/items/item-b/" in request.path for request in transport.requests)
    assert json.loads((tmp_path / MANIFEST_NAME).read_text())["target"]["item_id"] == "item-b"
    transport.requests.clear()
    again = client.data.download_tiles("naip", "item-b", directory=tmp_path, bbox=BBOX, zooms=[12])
    assert (again.fetched, again.skipped) == (0, 20) and transport.requests == []


async def test_async_item_b_into_item_a_folder_is_refused(tmp_path: Path) -> None:
    from test_tiles_aio import make_client as make_async_client

    client, transport = make_async_client()
    await client.data.download_tiles("naip", "item-a", directory=tmp_path, bbox=BBOX, zooms=12)
    transport.requests.clear()
    with pytest.raises(ValueError, match=r"item-a.*item-b"):
        await client.data.download_tiles("naip", "item-b", directory=tmp_path, bbox=BBOX, zooms=12)
    assert transport.requests == []
    result = await client.data.download_tiles(
        "naip", "item-b", directory=tmp_path, bbox=BBOX, zooms=12, overwrite=True
    )
    assert result.fetched == 20


# --------------------------------------------------------------------------------------------------
# #20.15: progress is reported from the iterating thread, skipped tiles included
# --------------------------------------------------------------------------------------------------


def test_progress_of_skipped_tiles_comes_from_the_iterating_thread(tmp_path: Path) -> None:
    client, _ = make_client()
    client.data.download_tiles("naip", "item-1", directory=tmp_path, bbox=BBOX, zooms=12)
    for path in sorted(tmp_path.rglob("*.png"))[:7]:
        path.unlink()
    threads: set[int] = set()
    updates: list[TileProgress] = []

    def progress(update: TileProgress) -> None:
        threads.add(threading.get_ident())
        updates.append(update)

    result = client.data.download_tiles(
        "naip", "item-1", directory=tmp_path, bbox=BBOX, zooms=12, concurrency=4, progress=progress
    )
    assert (result.fetched, result.skipped) == (7, 13)
    assert threads == {threading.get_ident()} and len(updates) == 20
    assert updates[-1] == TileProgress(total=20, fetched=7, skipped=13, bytes=result.bytes)


async def test_async_progress_of_skipped_tiles_comes_from_the_event_loop_thread(tmp_path: Path) -> None:
    from test_tiles_aio import make_client as make_async_client

    client, _ = make_async_client()
    await client.data.download_tiles("naip", "item-1", directory=tmp_path, bbox=BBOX, zooms=12)
    threads: set[int] = set()
    result = await client.data.download_tiles(
        "naip",
        "item-1",
        directory=tmp_path,
        bbox=BBOX,
        zooms=12,
        progress=lambda _: threads.add(threading.get_ident()),
    )
    assert result.skipped == 20 and threads == {threading.get_ident()}


# --------------------------------------------------------------------------------------------------
# #20.5: a disk that refuses writes stops the run at once, with the responses closed
# --------------------------------------------------------------------------------------------------


def test_a_directory_under_a_regular_file_fails_before_any_request(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"")
    client, transport = make_client()
    with pytest.raises(NotADirectoryError):
        client.data.download_tiles(
            "naip", "item-1", directory=tmp_path / "file" / "tiles", bbox=BBOX, zooms=12
        )
    assert transport.requests == []


@pytest.mark.parametrize("code", [errno.EROFS, errno.ENOSPC, errno.ENOTDIR, errno.EACCES])
def test_an_error_every_tile_would_hit_stops_the_run_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    """The disk refuses the fourth temporary file: the run raises that OSError, having requested at
    most the tiles already in flight, not the other ~400."""
    opened = []
    real_open = _atomic_file._open_exclusive

    def refusing_open(path: Path) -> Any:
        opened.append(path)
        if len(opened) > 3:
            raise OSError(code, os.strerror(code), str(path))
        return real_open(path)

    monkeypatch.setattr(_atomic_file, "_open_exclusive", refusing_open)
    client, transport = make_client()
    area = [-84.5, 33.5, -84.0, 34.0]
    with pytest.raises(OSError) as caught:
        client.data.download_tiles("naip", "item-1", directory=tmp_path, bbox=area, zooms=13, concurrency=4)
    assert caught.value.errno == code
    assert count_covering_tiles(WEB_MERCATOR, [13], normalize_area(area, None)) > 100
    assert len(transport.requests) <= 3 + 4  # the first three, and at most one per worker after
    assert not any(is_temporary_name(path.name) for path in tmp_path.rglob("*"))


async def test_async_disk_errors_stop_the_run_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_tiles_aio import make_client as make_async_client

    client, transport = make_async_client()
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(NotADirectoryError):
        await client.data.download_tiles(
            "naip", "item-1", directory=tmp_path / "file" / "x", bbox=BBOX, zooms=12
        )
    assert transport.requests == []

    real_open = _atomic_file._open_exclusive
    opened: list[Path] = []

    def full_disk(path: Path) -> Any:
        opened.append(path)
        if len(opened) > 3:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real_open(path)

    monkeypatch.setattr(_atomic_file, "_open_exclusive", full_disk)
    with pytest.raises(OSError, match="No space left"):
        await client.data.download_tiles(
            "naip",
            "item-1",
            directory=tmp_path / "tiles",
            bbox=[-84.5, 33.5, -84.0, 34.0],
            zooms=13,
            concurrency=4,
        )
    assert len(transport.requests) <= 3 + 4
    assert not any(is_temporary_name(path.name) for path in tmp_path.rglob("*"))


@needs_proc
def test_a_failing_write_closes_the_response_and_the_client_answers_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = AtomicFile.write

    def full_disk(self: AtomicFile, chunk: bytes) -> None:
        if self.path.suffix != ".png":  # the manifest goes through
            return real_write(self, chunk)
        raise OSError(errno.ENOSPC, "No space left on device", str(self.temporary))

    monkeypatch.setattr(AtomicFile, "write", full_disk)
    with FaultServer() as server:
        server.route(TILES + "*", lambda request: Reply.data(b"x" * 200_000, "image/png"))
        server.script("/stac/collections/naip", Reply.json(COLLECTION))
        with PlanetaryComputerProClient(server.url, FakeTokenCredential(), **NO_RETRIES) as client:
            with pytest.raises(OSError, match="No space left"):
                client.data.download_tiles(
                    "naip",
                    "tile-1",
                    directory=tmp_path,
                    bbox=[-84.5, 33.5, -84.0, 34.0],
                    zooms=13,
                    concurrency=4,
                )
            assert server.count() <= 4 + 4
            assert settle(server.port, at_most=4) <= 4  # at most the pool's keep-alive connections
            assert client.stac.get_collection("naip").id == "naip"


# --------------------------------------------------------------------------------------------------
# #20.6: break and Ctrl-C return at once, whatever the server does; leftovers are cleaned next time
# --------------------------------------------------------------------------------------------------

FIRST = Tile(
    2170, 3279, 13
)  # the first of the 16 tiles planned; answered at once, the others stall or trickle
INTERRUPT_AREA = [-84.62, 33.63, -84.5, 33.75]


def misbehaving(mode: str) -> Any:
    def answer(request: RecordedRequest) -> Reply:
        if server_tile(request) == FIRST:
            return Reply.data(b"first", "image/png")
        if mode == "stall":
            return Reply.stall(SLOW, body=b"x" * 1000, after=10, content_type="image/png")
        return Reply.trickle(b"x" * 1000, every=SLOW / 1000, content_type="image/png")

    return answer


@pytest.fixture
def tile_server() -> Iterator[FaultServer]:
    with FaultServer() as server:
        yield server


def slow_client(server: FaultServer) -> PlanetaryComputerProClient:
    return PlanetaryComputerProClient(server.url, FakeTokenCredential(), read_timeout=SLOW + 10, **NO_RETRIES)


@pytest.mark.parametrize("mode", ["stall", "trickle"])
def test_break_returns_at_once(tile_server: FaultServer, mode: str) -> None:
    tile_server.route(TILES + "*", misbehaving(mode))
    assert FIRST in set(covering_tiles(WEB_MERCATOR, [13], normalize_area(INTERRUPT_AREA, None)))
    with slow_client(tile_server) as client:
        started = time.monotonic()
        for tile, body in client.data.iter_tiles(
            "naip", "tile-1", bbox=INTERRUPT_AREA, zooms=13, concurrency=4
        ):
            assert (tile, body) == (FIRST, b"first")
            break
        assert time.monotonic() - started < PROMPT
    assert tile_server.count() <= 1 + 4


def interrupt_main_thread_after(seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, signal.pthread_kill, (threading.main_thread().ident, signal.SIGINT))
    timer.start()
    return timer


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="SIGINT goes to main")
@pytest.mark.parametrize("mode", ["stall", "trickle"])
def test_ctrl_c_returns_at_once_and_the_next_run_cleans_up(
    tile_server: FaultServer, tmp_path: Path, mode: str
) -> None:
    tile_server.route(TILES + "*", misbehaving(mode))
    with slow_client(tile_server) as client:
        timer = interrupt_main_thread_after(0.5)
        started = time.monotonic()
        try:
            with pytest.raises(KeyboardInterrupt):
                client.data.download_tiles(
                    "naip", "tile-1", directory=tmp_path, bbox=INTERRUPT_AREA, zooms=13, concurrency=4
                )
        finally:
            timer.cancel()
        assert time.monotonic() - started < 0.5 + PROMPT
        assert tile_server.count() <= 1 + 4
        # Nothing but whole tiles: the temporary files of the abandoned tiles are gone too.
        assert files_under(tmp_path) in ({"13/2170/3279.png": b"first"}, {})

        # A killed process leaves its temporary files: here, two of ours and two look-alikes of a user's.
        leftovers = [
            tmp_path / "13" / "2171" / f".3285.png.{'0' * 12}.part",
            tmp_path / f".x.{'a' * 12}.part",
        ]
        keep = [tmp_path / "13" / "2171" / "notes.part", tmp_path / "13" / ".3285.png.part"]
        for path in leftovers + keep:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"partial")
        tile_server.route(
            TILES + "*", lambda request: Reply.data(body_for(server_tile(request)), "image/png")
        )
        result = client.data.download_tiles(
            "naip", "tile-1", directory=tmp_path, bbox=INTERRUPT_AREA, zooms=13
        )
    planned = set(covering_tiles(WEB_MERCATOR, [13], normalize_area(INTERRUPT_AREA, None)))
    assert result.fetched + result.skipped == len(planned) and result.failed == 0
    assert not any(path.exists() for path in leftovers) and all(path.exists() for path in keep)
    assert not any(is_temporary_name(path.name) for path in tmp_path.rglob("*"))


# --------------------------------------------------------------------------------------------------
# #20.4: cancelled async runs give their connections back
# --------------------------------------------------------------------------------------------------


@needs_proc
@pytest.mark.parametrize("mode", ["stall", "trickle"])
async def test_cancelled_async_runs_do_not_leak_connections(
    tile_server: FaultServer, tmp_path: Path, mode: str
) -> None:
    tile_server.route(TILES + "*", misbehaving(mode))
    tile_server.script("/stac/collections/naip", Reply.json(COLLECTION))
    async with AsyncPlanetaryComputerProClient(
        tile_server.url, FakeAsyncTokenCredential(), read_timeout=SLOW + 10, **NO_RETRIES
    ) as client:
        assert (await client.stac.get_collection("naip")).id == "naip"
        baseline = client_connections(tile_server.port)
        for run in range(14):
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(
                    client.data.download_tiles(
                        "naip", "tile-1", directory=tmp_path / str(run), bbox=INTERRUPT_AREA, zooms=13
                    ),
                    0.3,
                )
        for _ in range(13):
            tiles = await client.data.iter_tiles("naip", "tile-1", bbox=INTERRUPT_AREA, zooms=13)
            assert await tiles.__anext__() == (FIRST, b"first")
            await tiles.aclose()
        assert tile_server.count() > 14 * 8  # every run had its 8 tiles in flight
        await asyncio.sleep(0.1)
        assert client_connections(tile_server.port) <= baseline
        collection = await asyncio.wait_for(client.stac.get_collection("naip"), 5)
        assert collection.id == "naip"
    assert not any(is_temporary_name(path.name) for path in tmp_path.rglob("*"))


async def test_async_download_result_is_unchanged_by_the_new_bookkeeping(tmp_path: Path) -> None:
    from test_tiles_aio import make_client as make_async_client

    client, _ = make_async_client()
    result = await client.data.download_tiles("naip", "item-1", directory=tmp_path, bbox=FIJI, zooms=9)
    expected = set(covering_tiles(WEB_MERCATOR, [9], normalize_area(FIJI, None)))
    assert result == TileDownloadResult(
        len(expected), 0, 0, sum(len(body_for(t)) for t in expected), tmp_path
    )
