"""Image responses stream from the socket: a 200 MB crop never sits in memory.

A local HTTP server on 127.0.0.1 plays the GeoCatalog and answers a bbox crop with a 200 MB body
sent in chunks. The client (sync over requests, aio over aiohttp -- the default transports) reads it
chunk by chunk into a file while ``tracemalloc`` watches the Python heap: its peak must stay far
below the body size, and the file must hold exactly the bytes served. The bearer token reaches the
loopback endpoint (http is allowed only there).
"""

from __future__ import annotations

import hashlib
import http.server
import threading
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from _capture import FAKE_TOKEN, FakeAsyncTokenCredential, FakeTokenCredential
from azure.planetarycomputer import PlanetaryComputerProClient
from azure.planetarycomputer.aio import PlanetaryComputerProClient as AsyncPlanetaryComputerProClient

BODY_SIZE = 200 * 1024 * 1024
CHUNK_SIZE = 256 * 1024
HEAP_LIMIT = 32 * 1024 * 1024
CROP_PATH = "/data/mosaic/collections/naip/items/tile-1/bbox/-84.5,33.5,-84.25,33.75.tif"


def _chunk(index: int, base: bytes) -> bytes:
    """Chunk ``index`` of the synthetic body: distinct per chunk, so a lost or repeated chunk shows."""
    return index.to_bytes(8, "big") + base[8:]


def _synthetic_body() -> Iterator[bytes]:
    base = bytes(range(256)) * (CHUNK_SIZE // 256)
    sent = 0
    for index in range(0, BODY_SIZE // CHUNK_SIZE + 1):
        piece = _chunk(index, base)[: BODY_SIZE - sent]
        if not piece:
            return
        sent += len(piece)
        yield piece


@dataclass
class Served:
    requests: list[dict[str, str]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    sha256: str = ""
    size: int = 0
    # Set by the server thread once it has recorded what it sent: the client may finish reading
    # the body before that thread gets to record it.
    recorded: threading.Event = field(default_factory=threading.Event)


class _CropHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    served: Served

    def do_GET(self) -> None:
        self.served.requests.append(dict(self.headers.items()))
        self.served.paths.append(self.path)
        if not self.path.startswith(CROP_PATH + "?"):
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "image/tiff")
        self.send_header("Content-Length", str(BODY_SIZE))
        self.end_headers()
        digest = hashlib.sha256()
        size = 0
        for piece in _synthetic_body():
            self.wfile.write(piece)
            digest.update(piece)
            size += len(piece)
        self.wfile.flush()
        self.served.sha256, self.served.size = digest.hexdigest(), size
        self.served.recorded.set()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def crop_server() -> Iterator[tuple[str, Served]]:
    served = Served()
    handler = type("CropHandler", (_CropHandler,), {"served": served})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="crop-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", served
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _file_digest(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def _check(served: Served, target: Path, heap_peak: int) -> None:
    assert served.paths and served.paths[0].startswith(CROP_PATH + "?api-version="), served.paths
    assert served.requests[0].get("Authorization") == f"Bearer {FAKE_TOKEN}"
    assert served.recorded.wait(timeout=30), "the server did not finish sending the body"
    assert served.size == BODY_SIZE
    assert _file_digest(target) == (served.sha256, BODY_SIZE)
    print(f"Python heap peak {heap_peak / 2**20:.2f} MiB while streaming {BODY_SIZE >> 20} MiB")
    assert heap_peak < HEAP_LIMIT, f"heap peak {heap_peak / 2**20:.1f} MiB: the body was buffered"


def test_sync_crop_streams_to_file(crop_server: tuple[str, Served], tmp_path: Path) -> None:
    endpoint, served = crop_server
    target = tmp_path / "crop.tif"
    with PlanetaryComputerProClient(endpoint, FakeTokenCredential()) as client:
        tracemalloc.start()
        try:
            chunks = client.data.get_item_bbox_crop("naip", "tile-1", -84.5, 33.5, -84.25, 33.75, "tif")
            with target.open("wb") as sink:
                for chunk in chunks:
                    sink.write(chunk)
            _, heap_peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    _check(served, target, heap_peak)


async def test_aio_crop_streams_to_file(crop_server: tuple[str, Served], tmp_path: Path) -> None:
    endpoint, served = crop_server
    target = tmp_path / "crop.tif"
    async with AsyncPlanetaryComputerProClient(endpoint, FakeAsyncTokenCredential()) as client:
        tracemalloc.start()
        try:
            chunks = await client.data.get_item_bbox_crop("naip", "tile-1", -84.5, 33.5, -84.25, 33.75, "tif")
            with target.open("wb") as sink:
                async for chunk in chunks:
                    sink.write(chunk)
            _, heap_peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    _check(served, target, heap_peak)
