"""The commissioning README's Python examples run as written, wherever the service has the operation.

Each ```python block of the commissioning README, ``../shared/seed/README.md`` beside the repository,
is executed verbatim in a temporary working directory. That document is not ours to ship, so it is not
in the repository: without it this module is skipped, and says so.
``azure.identity.DefaultAzureCredential`` is a fake credential, and the client is wired to a fake
transport that answers like the GeoCatalog, with bodies taken from the recorded traffic in
``tests/data/recordings`` (ids adjusted to what the example asks for). The test checks the requests each
example sends and what it prints.

Two examples name operations the service does not have (an "ingestion job" and a "signed URL
request"); they are documented differently and are not run here.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import sys
import types
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

import azure.planetarycomputer
import pytest
from _capture import CannedResponse, CapturedRequest, CapturingTransport, FakeTokenCredential, data_path
from azure.planetarycomputer import PlanetaryComputerProClient

README = Path(__file__).resolve().parents[2] / "shared" / "seed" / "README.md"
if not README.is_file():
    pytest.skip(
        "needs the commissioning README at ../shared/seed/README.md beside the repository "
        "(not shipped with it); not found",
        allow_module_level=True,
    )
RECORDINGS = data_path("recordings")
ENDPOINT = "https://your-endpoint.geocatalog.spatio.azure.com"
_RECORDED_HOST = re.compile(
    r"https://[A-Za-z0-9_.-]+\.geocatalog\.(?:ppe\.)?spatio\.azure(?:-test)?\.(?:com|net)"
)

RUNNABLE = {
    "Create the client with Microsoft Entra ID credential",
    "List STAC Collections",
    "Search for STAC Items",
    "Get STAC Item Details",
    "Create STAC Collection",
    "Generate Map Tiles",
    "Logging",
}
NOT_IN_THE_SERVICE = {"Data Ingestion Management", "Generate SAS Token for Secure Access"}


def readme_examples() -> dict[str, str]:
    """The README's python blocks, keyed by the heading they sit under."""
    examples: dict[str, str] = {}
    heading = ""
    lines = README.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        elif line.strip() == "```python":
            end = lines.index("```", index + 1)
            assert heading not in examples, f"two python blocks under {heading!r}"
            examples[heading] = "\n".join(lines[index + 1 : end]) + "\n"
            index = end
        index += 1
    return examples


EXAMPLES = readme_examples()


def recorded(fragment: str) -> list[dict[str, Any]]:
    [path] = [p for p in RECORDINGS.glob("*.json") if fragment in p.name]
    return json.loads(_RECORDED_HOST.sub(ENDPOINT, path.read_text()))["Entries"]


def respond(entry: dict[str, Any], body: Any = None) -> CannedResponse:
    headers = {
        key: value
        for key, value in entry["ResponseHeaders"].items()
        if key.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    }
    payload = entry["ResponseBody"] if body is None else body
    return CannedResponse(status=entry["StatusCode"], headers=headers, body=json.dumps(payload).encode())


class RecordedGeoCatalog:
    """Answers the operations the README uses with recorded responses."""

    def __init__(self) -> None:
        self.collections = recorded("test_01_list_collections")[0]
        self.search = recorded("test_05_search_items_with_spatial_filter")[0]
        self.item = recorded("TestPlanetaryComputerStacSpecificationtest_12_get_item")[1]
        self.lifecycle = recorded("test_01_begin_create_collection")
        legend = recorded("test_03_get_legend_as_png")[0]["ResponseBody"]
        self.image = base64.b64decode(legend)
        self.created: set[str] = set()
        self.polls = 0

    def __call__(self, request: CapturedRequest) -> CannedResponse:
        method, path = request.method, request.path
        parts = path.strip("/").split("/")
        if (method, path) == ("GET", "/stac/collections"):
            return respond(self.collections)
        if (method, path) == ("POST", "/stac/search"):
            return respond(self.search)
        if (
            method == "GET"
            and parts[:2] == ["stac", "collections"]
            and len(parts) == 5
            and parts[3] == "items"
        ):
            body = {**self.item["ResponseBody"], "id": parts[4], "collection": parts[2]}
            return respond(self.item, body)
        if method == "GET" and parts[:2] == ["stac", "collections"] and len(parts) == 3:
            if parts[2] not in self.created:
                message = f"Collection '{parts[2]}' not found. Please verify the collection ID and try again."
                return respond(self.lifecycle[0], {"error": {"code": "ResourceNotFound", "message": message}})
            return respond(self.lifecycle[-1], {**self.lifecycle[-1]["ResponseBody"], "id": parts[2]})
        if (method, path) == ("POST", "/stac/collections"):
            self.pending = request.json()["id"]
            return respond(
                self.lifecycle[1], {**self.lifecycle[1]["ResponseBody"], "collectionId": self.pending}
            )
        if method == "GET" and parts[:2] == ["inma", "operations"]:
            self.polls += 1
            if self.polls == 1:
                return respond(self.lifecycle[2])
            self.created.add(self.pending)
            return respond(self.lifecycle[3])
        if method == "GET" and parts[:3] == ["data", "mosaic", "collections"] and "tiles" in parts:
            return CannedResponse(
                status=200, headers={"Content-Type": "image/png"}, body=self.image, chunk_size=256
            )
        raise AssertionError(f"the README example sent an unexpected request: {method} {request.url}")


class NoSleepTransport(CapturingTransport):
    """Long-running operations poll without waiting."""

    def sleep(self, duration: float) -> None:
        pass


Run = Callable[[str], tuple[list[CapturedRequest], str]]


@pytest.fixture
def run_example(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    """Runs one example verbatim; returns the requests it sent and what it printed."""
    monkeypatch.chdir(tmp_path)
    transport = NoSleepTransport(RecordedGeoCatalog())

    identity = types.ModuleType("azure.identity")
    identity.DefaultAzureCredential = lambda **kwargs: FakeTokenCredential()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "azure.identity", identity)

    class WiredClient(PlanetaryComputerProClient):
        def __init__(self, endpoint: str, credential: Any, **kwargs: Any) -> None:
            kwargs.setdefault("transport", transport)
            super().__init__(endpoint, credential, **kwargs)

    monkeypatch.setattr(azure.planetarycomputer, "PlanetaryComputerProClient", WiredClient)

    # A fresh interpreter has no root handlers, so the logging example's basicConfig takes effect.
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level

    def run(heading: str) -> tuple[list[CapturedRequest], str]:
        capsys.readouterr()
        root.handlers = []
        try:
            exec(compile(EXAMPLES[heading], f"README.md: {heading}", "exec"), {"__name__": "__main__"})
        finally:
            for handler in root.handlers:
                handler.close()
            root.handlers, root.level = saved_handlers, saved_level
        return transport.requests, capsys.readouterr().out

    return run


def request_line(request: CapturedRequest) -> str:
    parts = urlsplit(request.url)
    return f"{request.method} {parts.scheme}://{parts.netloc}{parts.path}"


def test_the_readme_examples_are_the_ones_this_test_knows() -> None:
    assert set(EXAMPLES) == RUNNABLE | NOT_IN_THE_SERVICE


def test_create_the_client(run_example: Run) -> None:
    requests, out = run_example("Create the client with Microsoft Entra ID credential")
    assert requests == []
    assert out == ""


def test_list_collections(run_example: Run) -> None:
    requests, out = run_example("List STAC Collections")
    assert [request_line(r) for r in requests] == [f"GET {ENDPOINT}/stac/collections"]
    assert requests[0].query == [("api-version", "2026-04-15")]
    assert requests[0].header("Authorization") == "Bearer fake-geocatalog-token"
    expected = []
    for collection in recorded("test_01_list_collections")[0]["ResponseBody"]["collections"]:
        expected += [
            f"Collection: {collection['id']}",
            f"  Title: {collection.get('title')}",
            f"  Description: {collection['description'][:100]}...",
        ]
    assert out.splitlines() == expected


def test_search_items(run_example: Run) -> None:
    requests, out = run_example("Search for STAC Items")
    assert [request_line(r) for r in requests] == [f"POST {ENDPOINT}/stac/search"]
    ring = [[-84.39, 33.76], [-84.37, 33.76], [-84.37, 33.78], [-84.39, 33.78], [-84.39, 33.76]]
    assert requests[0].json() == {
        "collections": ["naip"],
        "filter-lang": "cql2-json",
        "filter": {
            "op": "s_intersects",
            "args": [{"property": "geometry"}, {"type": "Polygon", "coordinates": [ring]}],
        },
        "limit": 10,
    }
    features = recorded("test_05_search_items_with_spatial_filter")[0]["ResponseBody"]["features"]
    assert out == f"Found {len(features)} items\n"


def test_get_item(run_example: Run) -> None:
    requests, out = run_example("Get STAC Item Details")
    assert [request_line(r) for r in requests] == [
        f"GET {ENDPOINT}/stac/collections/naip/items/ga_m_3308421_se_16_060_20211114"
    ]
    assets = list(
        recorded("TestPlanetaryComputerStacSpecificationtest_12_get_item")[1]["ResponseBody"]["assets"]
    )
    assert out.splitlines() == [
        "Item ID: ga_m_3308421_se_16_060_20211114",
        "Geometry type: Polygon",
        f"Assets: {assets}",
    ]


def test_create_collection(run_example: Run) -> None:
    requests, out = run_example("Create STAC Collection")
    lines = [request_line(r) for r in requests]
    assert lines[:2] == [
        f"GET {ENDPOINT}/stac/collections/my-collection",
        f"POST {ENDPOINT}/stac/collections",
    ]
    assert all(line.startswith(f"GET {ENDPOINT}/inma/operations/") for line in lines[2:-1])
    assert lines[-1] == f"GET {ENDPOINT}/stac/collections/my-collection"
    assert requests[1].json() == {
        "id": "my-collection",
        "type": "Collection",
        "stac_version": "1.0.0",
        "description": "A collection of geospatial data",
        "license": "proprietary",
        "extent": {
            "spatial": {"bbox": [[-180.0, -90.0, 180.0, 90.0]]},
            "temporal": {"interval": [["2023-01-01T00:00:00Z", None]]},
        },
        "links": [],
    }
    assert out == "Created collection: my-collection\n"


def test_map_tiles(run_example: Run, tmp_path: Path) -> None:
    requests, out = run_example("Generate Map Tiles")
    assert [request_line(r) for r in requests] == [
        f"GET {ENDPOINT}/data/mosaic/collections/naip/items/ga_m_3308421_se_16_060_20211114"
        "/tiles/WebMercatorQuad/14.0/4322.0/6463.0"
    ]
    assert requests[0].query == [("api-version", "2026-04-15"), ("assets", "image")]
    assert (tmp_path / "tile.png").read_bytes() == RecordedGeoCatalog().image
    assert out == ""


def test_logging(run_example: Run) -> None:
    requests, out = run_example("Logging")
    url = f"{ENDPOINT}/stac/collections/naip/items/ga_m_3308421_se_16_060_20211114?api-version=2026-04-15"
    assert [request_line(r) for r in requests] == [f"GET {url.split('?')[0]}"]
    # logging_enable=True: the request and response are traced at DEBUG, to stdout as configured.
    assert re.search(
        r" - azure\.core\.pipeline\.policies\.\w+ - DEBUG - Request URL: '" + re.escape(url) + "'", out
    )
    assert "Response status: 200" in out
