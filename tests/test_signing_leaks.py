"""Interrupted downloads close their response: no connection or file descriptor is left behind.

Storage is a FaultServer on 127.0.0.2 that sends the headers and a first part of a large body, then
trickles nothing for a while (async), or answers in full (sync). Downloads are cut short -- by
``asyncio.wait_for`` timing out, or by the file writer failing -- and the client's connections to
that server (read from ``/proc/net/tcp``) and the process's descriptors are counted before and after.
"""

from __future__ import annotations

import asyncio
import errno
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest
from _capture import FakeAsyncTokenCredential, FakeTokenCredential
from azure.planetarycomputer import PlanetaryComputerProClient
from azure.planetarycomputer import _signing as sync_signing
from azure.planetarycomputer.aio import PlanetaryComputerProClient as AsyncPlanetaryComputerProClient
from fault_server import FaultServer, Reply

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts descriptors in /proc")

BODY = bytes(range(256)) * 32 * 1024  # 8 MiB
STALL = 1.5  # seconds the trickling server keeps each connection silent


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def connections_to(port: int) -> int:
    """Client-side TCP connections of this process to ``port`` on 127.0.0.2, established or closing."""
    inodes = set()
    for name in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    count = 0
    with open("/proc/net/tcp") as table:
        next(table)
        for line in table:
            fields = line.split()
            remote, inode = fields[2], fields[9]
            if inode in inodes and remote == f"0200007F:{port:04X}":
                count += 1
    return count


def settle(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Wait for ``check`` (sockets close asynchronously); True as soon as it holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


@pytest.fixture
def storage() -> Iterator[FaultServer]:
    with FaultServer("127.0.0.2") as running:
        running.script(
            "/acct/trickle/a.tif", Reply.stall(STALL, body=BODY, after=64 * 1024, content_type="image/tiff")
        )
        running.script("/acct/ok/a.tif", Reply.data(b"GeoTIFF", "image/tiff"))
        running.script("/acct/big/a.tif", Reply.data(BODY, "image/tiff"))
        yield running


@pytest.fixture
def endpoint() -> Iterator[FaultServer]:
    with FaultServer() as running:
        yield running


async def test_cancelled_async_downloads_leave_no_connection_open(
    endpoint: FaultServer, storage: FaultServer, tmp_path: Path
) -> None:
    async with AsyncPlanetaryComputerProClient(
        endpoint.url, FakeAsyncTokenCredential(), retry_total=0
    ) as client:
        await client.sas.download_asset(f"{storage.url}/acct/ok/a.tif", tmp_path / "warm.tif")
        descriptors = open_descriptors()

        async def cut_short(index: int) -> None:
            href = f"{storage.url}/acct/trickle/a.tif"
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(client.sas.download_asset(href, tmp_path / f"{index}.tif"), 0.3)

        # 100 downloads cut short while reading the body: 10 at a time, until 100 have reached the
        # server (under load some time out while still connecting, which is not the case tested).
        batches = 0
        while storage.count("/acct/trickle/a.tif") < 100 and batches < 60:
            await asyncio.gather(*(cut_short(batches * 10 + index) for index in range(10)))
            batches += 1
        assert storage.count("/acct/trickle/a.tif") >= 100
        # Closed by the client at once, while the server still holds its side open.
        assert await asyncio.to_thread(settle, lambda: connections_to(storage.port) <= 1, 1.0)
        # The next request still answers.
        done = await asyncio.wait_for(
            client.sas.download_asset(f"{storage.url}/acct/ok/a.tif", tmp_path / "next.tif"), 5
        )
        assert done.read_bytes() == b"GeoTIFF"
        # Once the server has let go of its side too, the descriptor count is back where it started.
        await asyncio.sleep(STALL)
        assert await asyncio.to_thread(settle, lambda: open_descriptors() <= descriptors)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["next.tif", "warm.tif"]  # no .part files


def test_a_failing_writer_closes_the_sync_download(
    endpoint: FaultServer, storage: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(path: Path, chunks: Iterable[bytes]) -> int:
        next(iter(chunks))  # the body is flowing...
        raise OSError(errno.ENOSPC, "No space left on device")  # ...and the disk fills up

    with PlanetaryComputerProClient(endpoint.url, FakeTokenCredential(), retry_total=0) as client:
        client.sas.download_asset(f"{storage.url}/acct/ok/a.tif", tmp_path / "warm.tif")
        descriptors = open_descriptors()
        with monkeypatch.context() as patched:
            patched.setattr(sync_signing, "write_atomically", disk_full)
            for index in range(30):
                with pytest.raises(OSError, match="No space left"):
                    client.sas.download_asset(f"{storage.url}/acct/big/a.tif", tmp_path / f"{index}.tif")
        assert settle(lambda: connections_to(storage.port) <= 1)
        done = client.sas.download_asset(f"{storage.url}/acct/ok/a.tif", tmp_path / "next.tif")
        assert done.read_bytes() == b"GeoTIFF"
        assert settle(lambda: open_descriptors() <= descriptors)
