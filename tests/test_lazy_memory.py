"""Paging through many items keeps memory flat: nothing grows with the number of items beyond a page.

A loopback server makes pages of small items on the fly (it holds nothing), and the client pages through
50 pages with ``search_items_paged``, touching each item. ``tracemalloc`` (all allocations of this
process, the server's included) gives what is held at the start of each page, after a garbage
collection: it must not grow from page to page. The 100,000-item measurement of peak RSS is in
benchmarks/ (the memory group).
"""

from __future__ import annotations

import gc
import http.server
import json
import threading
import tracemalloc
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from _capture import FakeTokenCredential
from azure.planetarycomputer import PlanetaryComputerProClient

PAGE_SIZE = 200


def _feature(n: int) -> dict[str, Any]:
    x, y = -100 + (n % 200) * 0.01, 30 + (n // 200) * 0.01
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": f"item-{n:08d}",
        "collection": "memory",
        "bbox": [x, y, x + 0.01, y + 0.01],
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y]]],
        },
        "properties": {"datetime": "2020-01-01T00:00:00Z", "eo:cloud_cover": n % 100},
        "links": [],
        "assets": {"data": {"href": f"https://example.invalid/{n}.tif", "roles": ["data"]}},
    }


class _Pager(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _page(self, number: int) -> None:
        features = [_feature(number * PAGE_SIZE + k) for k in range(PAGE_SIZE)]
        following = f"http://{self.headers.get('Host')}/stac/search?token={number + 1}"
        body = json.dumps(
            {"type": "FeatureCollection", "features": features, "links": [{"rel": "next", "href": following}]}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/geo+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._page(0)

    def do_GET(self) -> None:
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
        self._page(int(query.get("token", 0)))

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Pager)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _held_at_each_page(client: PlanetaryComputerProClient, pages: int) -> list[int]:
    """The heap held (after a collection) at the start of each page while paging through ``pages``."""
    held = []
    seen = 0
    for item in client.stac.search_items_paged(
        collections=["memory"], limit=PAGE_SIZE, max_items=pages * PAGE_SIZE
    ):
        if seen % PAGE_SIZE == 0:
            gc.collect()
            held.append(tracemalloc.get_traced_memory()[0])
        _ = item.id, item.properties.date_time, item.assets["data"].href, item.bounding_box
        seen += 1
    assert seen == pages * PAGE_SIZE
    return held


def test_paging_through_many_pages_holds_no_more_than_the_current_page(endpoint: str) -> None:
    page_bytes = len(json.dumps([_feature(n) for n in range(PAGE_SIZE)]))
    client = PlanetaryComputerProClient(endpoint, FakeTokenCredential())
    tracemalloc.start()
    try:
        # Warm up: connection pool, lazy classes, and the standard library's URL-parsing cache (128
        # entries; each page parses a few new URLs), which holds more than a page's worth while it fills.
        _held_at_each_page(client, 60)
        held = _held_at_each_page(client, 50)
    finally:
        tracemalloc.stop()
        client.close()
    # Kept items or pages would add a parsed page (several times its text) per page: 40 pages, tens
    # of MB. Flat: after the first pages, what is held varies by less than one page's text.
    steady = held[5:]
    assert max(steady) - min(steady) < page_bytes, (min(steady), max(steady), page_bytes)
