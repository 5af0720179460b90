"""Hostile and bad input: every argument works or is refused by name, before anything is sent.

Property-based (hypothesis, bounded and derandomized so every run tries the same inputs) over the
inputs of the client's helpers -- search bbox, datetime forms and intersects geometries, tile zoom
ranges and areas, tile coordinates, hrefs to sign and download -- and over the client's endpoint.
Each input either works (the request that goes out is well formed: strict JSON, on the endpoint,
no token elsewhere) or raises ValueError/TypeError whose message names the argument, and then no
request reached the transport (a CapturingTransport records every one).

Then malformed service answers -- non-JSON error bodies, HTML from a proxy, empty or truncated JSON,
oversized bodies -- must surface as azure-core errors (HttpResponseError, DecodeError), never as a
bare JSONDecodeError, KeyError or AttributeError.

One known limit stays out of the generated answers: a 200 whose JSON is not an object (a list,
null, a string) is returned by the generated operations as it is, not refused.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from _capture import (
    FAKE_TOKEN,
    AsyncCapturingTransport,
    CannedResponse,
    CapturingTransport,
    FakeAsyncTokenCredential,
    FakeTokenCredential,
)
from azure.core.exceptions import AzureError, DecodeError, HttpResponseError
from azure.planetarycomputer import PlanetaryComputerProClient
from azure.planetarycomputer._endpoint import request_origin
from azure.planetarycomputer.aio import PlanetaryComputerProClient as AsyncPlanetaryComputerProClient
from fault_server import FaultServer, Reply
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from reliability_stats import add_section

ENDPOINT = "https://cat.geocatalog.spatio.azure.com"
BEARER = f"Bearer {FAKE_TOKEN}"
EMPTY_PAGE = {"type": "FeatureCollection", "features": [], "links": []}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)

FUZZ = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
FEW = settings(FUZZ, max_examples=40)

EXAMPLES: dict[str, int] = {}
OUTCOMES: dict[str, int] = {}
"""Inputs tried per property, and how they ended (accepted / rejected), for the reliability summary."""


def tried(name: str, outcome: str) -> None:
    EXAMPLES[name] = EXAMPLES.get(name, 0) + 1
    OUTCOMES[f"{name}: {outcome}"] = OUTCOMES.get(f"{name}: {outcome}", 0) + 1


@pytest.fixture(scope="module", autouse=True)
def _report_counts() -> Iterator[None]:
    """With RELIABILITY_STATS=<file>, add the number of inputs tried to that JSON file."""
    yield
    add_section("hypothesis", {"examples": dict(EXAMPLES), "outcomes": dict(OUTCOMES)})


def capture(
    responder: Any = None, endpoint: str = ENDPOINT
) -> tuple[PlanetaryComputerProClient, CapturingTransport]:
    transport = CapturingTransport(responder)
    return PlanetaryComputerProClient(
        endpoint, FakeTokenCredential(), transport=transport, retry_total=0
    ), transport


def _strict_json(body: bytes | None) -> Any:
    def refuse(constant: str) -> Any:
        raise AssertionError(f"non-standard JSON constant {constant} sent")

    assert body is not None
    return json.loads(body, parse_constant=refuse)


def _names_an_argument(error: Exception, names: list[str]) -> bool:
    message = str(error)
    return any(re.search(rf"\b{re.escape(name)}\b", message) for name in names)


# --------------------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------------------

junk = st.one_of(
    st.none(), st.booleans(), st.text(max_size=4), st.binary(max_size=4), st.just(object()), st.just({"a": 1})
)
number = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.integers(min_value=10**308, max_value=10**400),  # beyond a float's range
    st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-1000, max_value=1000),
)
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
longitude = st.floats(min_value=-180, max_value=180)
latitude = st.floats(min_value=-90, max_value=90)


@st.composite
def valid_bboxes(draw: st.DrawFn) -> list[float]:
    west, east = sorted([draw(longitude), draw(longitude)])
    south, north = sorted([draw(latitude), draw(latitude)])
    if draw(st.booleans()):
        low, high = sorted([draw(finite), draw(finite)])
        return [west, south, low, east, north, high]
    return [west, south, east, north]


bboxes = st.one_of(
    valid_bboxes(),
    valid_bboxes(),
    st.lists(st.one_of(number, junk), min_size=0, max_size=7),
    st.tuples(number, number, number, number),
    junk.filter(lambda value: value is not None),
    st.integers(),
)


@st.composite
def rfc3339_like(draw: st.DrawFn) -> str:
    """Date-time text close to RFC 3339, with every field possibly out of range."""
    year = draw(st.integers(min_value=0, max_value=12000))
    month, day = draw(st.integers(0, 14)), draw(st.integers(0, 33))
    hour, minute, second = draw(st.integers(0, 25)), draw(st.integers(0, 61)), draw(st.integers(0, 61))
    zone = draw(st.sampled_from(["Z", "z", "", "+00:00", "-05:30", "+14:00", "+2400", "-99:99", "+1"]))
    fraction = draw(st.sampled_from(["", ".5", ".123456789", ",25", "."]))
    separator = draw(st.sampled_from(["T", "t", " ", "_"]))
    full = f"{year:04d}-{month:02d}-{day:02d}{separator}{hour:02d}:{minute:02d}:{second:02d}{fraction}{zone}"
    partial = draw(
        st.sampled_from([f"{year:04d}", f"{year:04d}-{month:02d}", f"{year:04d}-{month:02d}-{day:02d}"])
    )
    return draw(st.sampled_from([full, partial]))


offsets = st.builds(
    dt.timezone,
    st.timedeltas(min_value=-dt.timedelta(hours=23, minutes=59), max_value=dt.timedelta(hours=23)),
)
# The whole calendar: a time zone shift past its ends must be refused by name, not overflow.
moments = st.datetimes(
    min_value=dt.datetime(1, 1, 1),
    max_value=dt.datetime(9999, 12, 31),
    timezones=st.one_of(st.none(), offsets),
)
bounds = st.one_of(
    st.none(), st.just(".."), st.just(""), moments, st.dates(), rfc3339_like(), st.text(max_size=12)
)
datetimes = st.one_of(
    moments,
    st.dates(),
    rfc3339_like(),
    st.builds(
        lambda a, b, sep: f"{a}{sep}{b}", rfc3339_like(), rfc3339_like(), st.sampled_from(["/", "//", "/../"])
    ),
    st.builds(lambda a: f"{a}/..", rfc3339_like()),
    st.builds(lambda a: f"../{a}", rfc3339_like()),
    st.tuples(bounds, bounds),
    st.lists(bounds, max_size=3),
    st.text(max_size=30),
    junk,
    st.integers(),
)

geometry_types = st.sampled_from(
    [
        "Point",
        "LineString",
        "Polygon",
        "MultiPoint",
        "MultiLineString",
        "MultiPolygon",
        "GeometryCollection",
        "Feature",
        "point",
        "Circle",
        "",
        None,
    ]
)
positions = st.lists(st.one_of(longitude, latitude, finite), min_size=0, max_size=4)
coordinates = st.recursive(
    st.one_of(positions, st.just([]), st.text(max_size=3), st.none()),
    lambda inner: st.lists(inner, max_size=5),
    max_leaves=20,
)


@st.composite
def geometries(draw: st.DrawFn, depth: int = 0) -> Any:
    kind = draw(geometry_types)
    if kind == "Feature":
        return {
            "type": "Feature",
            "properties": {},
            "geometry": draw(geometries(depth + 1)) if depth < 2 else None,
        }
    geometry: dict[str, Any] = {"type": kind}
    if kind == "GeometryCollection":
        if depth < 2 and draw(st.booleans()):
            geometry["geometries"] = draw(st.lists(geometries(depth + 1), max_size=3))
    elif draw(st.integers(0, 9)):  # mostly with coordinates
        geometry["coordinates"] = draw(coordinates)
    return geometry


class Shape:
    """An object with ``__geo_interface__``, as shapely geometries have."""

    def __init__(self, interface: Any) -> None:
        self.__geo_interface__ = interface


intersections = st.one_of(geometries(), st.builds(Shape, geometries()), junk, st.lists(finite, max_size=3))


valid_shapes = st.one_of(
    st.builds(lambda x, y: {"type": "Point", "coordinates": [x, y]}, longitude, latitude),
    st.builds(
        lambda points: {"type": "LineString", "coordinates": points},
        st.lists(st.tuples(longitude, latitude).map(list), min_size=2, max_size=4),
    ),
)


# --------------------------------------------------------------------------------------------------
# Search: bbox, datetime, intersects (and the other search arguments)
# --------------------------------------------------------------------------------------------------


def check_search(name: str, arguments: dict[str, Any]) -> None:
    arguments = {key: value for key, value in arguments.items() if value is not None}  # None: not given
    client, transport = capture(CannedResponse.json(EMPTY_PAGE))
    search = client.stac.search_items_paged
    try:
        pager = search(**arguments)
    except (ValueError, TypeError) as error:
        assert _names_an_argument(error, list(arguments)), (
            f"{type(error).__name__} names no argument: {error}"
        )
        assert transport.requests == [], "a request was sent for rejected input"
        tried(name, "rejected")
        return
    assert list(pager) == []
    (request,) = transport.requests
    assert request.method == "POST" and request.path == "/stac/search"
    body = _strict_json(request.body)
    for argument in arguments:
        assert argument in body or argument in ("max_items",), f"{argument} missing from {body}"
    if "bbox" in body:
        assert all(isinstance(value, (int, float)) for value in body["bbox"])
    tried(name, "accepted")


@FUZZ
@given(bbox=bboxes)
def test_search_bbox(bbox: Any) -> None:
    check_search("search bbox", {"bbox": bbox})


@FUZZ
@given(value=datetimes)
def test_search_datetime(value: Any) -> None:
    check_search("search datetime", {"datetime": value})


@FUZZ
@given(value=intersections)
def test_search_intersects(value: Any) -> None:
    check_search("search intersects", {"intersects": value})


@st.composite
def search_arguments(draw: st.DrawFn) -> dict[str, Any]:
    """Several search arguments at once: half the time all plausible, otherwise anything."""
    plausible = draw(st.booleans())
    area = draw(st.sampled_from(["bbox", "intersects", None]))
    arguments: dict[str, Any] = {}
    if area == "bbox":
        arguments["bbox"] = draw(valid_bboxes() if plausible else bboxes)
    elif area == "intersects":
        arguments["intersects"] = draw(valid_shapes if plausible else intersections)
    if not plausible and draw(st.booleans()):  # both areas: refused together
        arguments["bbox"], arguments["intersects"] = draw(valid_bboxes()), draw(valid_shapes)
    arguments["datetime"] = draw(st.one_of(st.none(), moments, st.dates()) if plausible else datetimes)
    arguments["limit"] = draw(st.integers(1, 10000) if plausible else st.one_of(st.integers(-5, 20000), junk))
    arguments["collections"] = draw(
        st.sampled_from(["naip", "naip,sentinel-2", ["a", "b"]])
        if plausible
        else st.one_of(st.text(max_size=8), st.lists(st.one_of(st.text(max_size=5), junk), max_size=3))
    )
    return arguments


@FEW
@given(arguments=search_arguments())
def test_search_arguments_together(arguments: dict[str, Any]) -> None:
    check_search("search combined", arguments)


# --------------------------------------------------------------------------------------------------
# Tiles: zoom ranges and areas of the tile helper, and tile coordinates of the tile operations
# --------------------------------------------------------------------------------------------------

TILE_ROUTE = re.compile(
    r"/data/mosaic/collections/naip/items/tile-1/tiles/WebMercatorQuad/(\d+)\.0/(\d+)\.0/(\d+)\.0"
)
zoom_values = st.one_of(
    st.integers(0, 12),
    st.lists(st.integers(0, 8), min_size=1, max_size=3),
    st.integers(-3, 30),
    st.lists(st.one_of(st.integers(-2, 26), junk, st.floats(0, 5)), max_size=4),
    st.sets(st.integers(0, 6), max_size=3),
    st.builds(range, st.integers(-1, 4), st.integers(0, 6)),
    junk,
)


def _tile_helper(client: Any) -> Callable[..., Any]:
    helper = client.data.iter_tiles
    pytest.importorskip("morecantile")
    return helper


def check_tiles(name: str, arguments: dict[str, Any]) -> None:
    client, transport = capture(CannedResponse.data(PNG, "image/png"))
    iter_tiles = _tile_helper(client)
    try:
        tiles = iter_tiles("naip", "tile-1", concurrency=arguments.pop("concurrency", 2), **arguments)
    except Exception as error:
        if not isinstance(error, (ValueError, TypeError)):
            raise
        assert _names_an_argument(error, [*arguments, "concurrency"]), f"{type(error).__name__}: {error}"
        assert transport.requests == [], "a request was sent for rejected input"
        tried(name, "rejected")
        return
    try:
        received = list(itertools.islice(tiles, 3))
    finally:
        tiles.close()
    assert all(body == PNG for _, body in received)
    zooms = arguments["zooms"]
    allowed = {zooms} if isinstance(zooms, int) else set(zooms)
    for request in transport.requests:
        match = TILE_ROUTE.fullmatch(request.path)
        assert match is not None and urlsplit(request.url).netloc == urlsplit(ENDPOINT).netloc, request.url
        z, x, y = (int(group) for group in match.groups())
        assert z in allowed and 0 <= x < 2**z and 0 <= y < 2**z
        assert request.header("Authorization") == BEARER
    tried(name, "accepted")


@st.composite
def tile_arguments(draw: st.DrawFn) -> dict[str, Any]:
    """Zooms, bbox and concurrency: a third of the time all plausible, otherwise anything."""
    if draw(st.integers(0, 2)) == 0:
        return {
            "zooms": draw(st.one_of(st.integers(0, 12), st.lists(st.integers(0, 8), min_size=1, max_size=3))),
            "bbox": draw(valid_bboxes()),
            "concurrency": draw(st.integers(1, 6)),
        }
    return {
        "zooms": draw(zoom_values),
        "bbox": draw(bboxes),
        "concurrency": draw(st.one_of(st.integers(1, 6), st.integers(-2, 6), junk)),
    }


@FUZZ
@given(arguments=tile_arguments())
def test_tile_zooms_and_bbox(arguments: dict[str, Any]) -> None:
    check_tiles("tiles zooms/bbox", arguments)


@FUZZ
@given(intersects=st.one_of(valid_shapes, intersections), zooms=st.integers(0, 8))
def test_tile_intersects(intersects: Any, zooms: int) -> None:
    pytest.importorskip("shapely")
    check_tiles("tiles intersects", {"zooms": zooms, "intersects": intersects})


@FEW
@given(
    intersects=st.builds(
        lambda ring: {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
        st.lists(st.tuples(longitude, latitude), min_size=3, max_size=6),
    ),
    zooms=st.lists(st.integers(0, 6), min_size=1, max_size=3),
)
def test_tile_polygons(intersects: Any, zooms: list[int]) -> None:
    pytest.importorskip("shapely")
    check_tiles("tiles polygons", {"zooms": zooms, "intersects": intersects})


@FEW
@given(
    directory_kind=st.sampled_from(["fresh", "fresh", "fresh", "file", "junk"]),
    image_format=st.one_of(
        st.sampled_from(["png", "tif", "jpg"]),
        st.sampled_from(["png", "tif", "jpg"]),
        st.sampled_from(["../x", "p/ng", "", "png?x=1"]),
        junk,
    ),
    zooms=st.integers(0, 1),
)
def test_tile_download_directory_and_format(directory_kind: str, image_format: Any, zooms: int) -> None:
    client, transport = capture(CannedResponse.data(PNG, "image/png"))
    _tile_helper(client)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        directory: Any = root / "tiles"
        if directory_kind == "file":
            directory.write_bytes(b"not a directory")
        elif directory_kind == "junk":
            directory = 42
        try:
            result = client.data.download_tiles(
                "naip",
                "tile-1",
                directory=directory,
                zooms=zooms,
                bbox=(-10, -10, 10, 10),
                format=image_format,
            )
        except (ValueError, TypeError) as error:
            assert _names_an_argument(error, ["directory", "format"]), f"{type(error).__name__}: {error}"
            assert transport.requests == []
            tried("tiles download", "rejected")
            return
        written = sorted(
            str(path.relative_to(root))
            for path in root.rglob("*")
            if path.is_file() and path.name != ".planetarycomputer-tiles.json"  # the folder's manifest
        )
    assert result.fetched == len(transport.requests) == len(written) == 4**zooms
    assert all(name.endswith(f".{image_format}") and ".part" not in name for name in written)
    tried("tiles download", "accepted")


coordinate_values = st.one_of(
    st.integers(0, 2**20),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    junk,
    st.text(max_size=6),
)


@FUZZ
@given(z=coordinate_values, x=coordinate_values, y=coordinate_values)
def test_tile_coordinates_stay_on_the_tile_route(z: Any, x: Any, y: Any) -> None:
    """Whatever z/x/y, get_tile requests the tile route on the endpoint or raises ValueError/TypeError."""
    client, transport = capture(CannedResponse.data(PNG, "image/png"))
    try:
        body = b"".join(client.data.get_tile("naip", "tile-1", "WebMercatorQuad", z, x, y))
    except (ValueError, TypeError):
        assert transport.requests == []
        tried("tile coordinates", "rejected")
        return
    (request,) = transport.requests
    prefix = f"{ENDPOINT}/data/mosaic/collections/naip/items/tile-1/tiles/WebMercatorQuad/"
    assert body == PNG and request.url.startswith(prefix)
    segments = urlsplit(request.url).path.split("/")[-3:]
    assert [float(unquote(segment)) for segment in segments] == pytest.approx(
        [float(z), float(x), float(y)], nan_ok=True
    )
    tried("tile coordinates", "accepted")


# --------------------------------------------------------------------------------------------------
# Hrefs: signing, downloading and get_url
# --------------------------------------------------------------------------------------------------

MANAGED = "https://geocatalogstore.blob.core.windows.net/naip-bf48131e"


@st.composite
def hrefs(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["https", "http", "HTTPS", "ftp", "file", "javascript", ""]))
    host = draw(
        st.sampled_from(
            [
                "geocatalogstore.blob.core.windows.net",
                "GeoCatalogStore.Blob.Core.Windows.Net",
                "cat.geocatalog.spatio.azure.com",
                "evil.example\\@cat.geocatalog.spatio.azure.com",
                "cat.geocatalog.spatio.azure.com@evil.example",
                "127.0.0.1:8080",
                "[::1]",
                "",
                "blob.core.windows.net",
            ]
        )
    )
    container = draw(
        st.sampled_from(["naip-bf48131e", "NAIP-bf48131e", "naip", "-bf48131e", "a-b-c-0123abcd", ""])
    )
    path = draw(st.text(max_size=12))
    query = draw(
        st.sampled_from(["", "?sv=1", "?sig=abc&se=2000-01-01T00:00:00Z", "?se=garbage&sig=x", "#frag"])
    )
    return draw(st.one_of(st.just(f"{scheme}://{host}/{container}/{path}{query}"), st.text(max_size=40)))


def _token_then_bytes(request: Any) -> CannedResponse:
    """The GeoCatalog signs whatever href it is asked about; storage answers with bytes."""
    if request.path == "/sas/sign":
        href = dict(request.query)["href"]
        expiry = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        joiner = "&" if urlsplit(href).query else "?"
        return CannedResponse.json({"href": f"{href}{joiner}sv=2024-05-04&sig=fresh", "msft:expiry": expiry})
    return CannedResponse.data(PNG, "image/tiff")


def _token_only_to_the_endpoint(transport: CapturingTransport) -> None:
    for request in transport.requests:
        to_endpoint = request_origin(request.url) == request_origin(ENDPOINT)
        assert (request.header("Authorization") == BEARER) == to_endpoint, request.url


@FUZZ
@given(href=hrefs())
def test_sign_hrefs(href: str) -> None:
    client, transport = capture(_token_then_bytes)
    try:
        signed = client.sas.sign(href)
    except (ValueError, TypeError) as error:
        assert transport.requests == [] and _names_an_argument(error, ["href", "obj", "collection_id"])
        tried("sign href", "rejected")
        return
    assert isinstance(signed, str)
    for request in transport.requests:
        assert request.method == "GET" and request.path == "/sas/sign"
    if transport.requests:
        assert urlsplit(signed).query.endswith("sv=2024-05-04&sig=fresh") and signed.lower().startswith(
            "https://"
        )
    else:
        assert signed == href
    _token_only_to_the_endpoint(transport)
    tried("sign href", "accepted")


@FUZZ
@given(href=hrefs())
def test_download_hrefs(href: str) -> None:
    client, transport = capture(_token_then_bytes)
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / "asset.bin"
        try:
            written = client.sas.download_asset(href, target)
        except (ValueError, TypeError) as error:
            assert _names_an_argument(error, ["asset", "href", "path"]), f"{type(error).__name__}: {error}"
            assert all(request.path == "/sas/sign" for request in transport.requests)
            tried("download href", "rejected")
            return
        assert Path(written).read_bytes() == PNG
    downloads = [request for request in transport.requests if not request.path.startswith("/sas/")]
    assert len(downloads) == 1
    _token_only_to_the_endpoint(transport)
    tried("download href", "accepted")


@FUZZ
@given(href=st.one_of(hrefs(), st.text(max_size=60)))
def test_get_url_sends_any_href_exactly(href: str) -> None:
    client, transport = capture(_token_then_bytes)
    client.sas.get_url(href=href)
    (request,) = transport.requests
    assert request.path == "/sas/sign"
    assert dict(request.query)["href"] == href
    tried("get_url href", "accepted")


# --------------------------------------------------------------------------------------------------
# The client's endpoint
# --------------------------------------------------------------------------------------------------


@st.composite
def endpoints(draw: st.DrawFn) -> Any:
    scheme = draw(st.sampled_from(["https", "https", "http", "http", "HTTPS", "Http", "ftp", "", "https:/"]))
    host = draw(
        st.one_of(
            st.sampled_from(["cat.geocatalog.spatio.azure.com", "127.0.0.1", "localhost"]),
            st.sampled_from(["geocatalog.example.com", "127.0.0.53", "[::1]"]),
            st.sampled_from(
                [
                    "cat.geocatalog.spatio.azure.com",
                    "127.0.0.1",
                    "127.8.9.10",
                    "localhost",
                    "LOCALHOST",
                    "[::1]",
                    "[::ffff:127.0.0.1]",
                    "0.0.0.0",
                    "example.com",
                    "evil.example\\@127.0.0.1",
                    "127.0.0.1\\@evil.example",
                    "user@127.0.0.1",
                    "127.0.0.1.evil.example",
                    "xn--ctalog-bua.example",
                    "-bad-.example",
                    "",
                ]
            ),
            st.text(max_size=12),
        )
    )
    port = draw(st.sampled_from(["", "", ":8080", ":0", ":65535", ":65536", ":-1", ":http", ":"]))
    tail = draw(st.sampled_from(["", "", "/", "/base", "/base/", "?x=1", "#f", "/..", "/./x", " ", "\n"]))
    composed = f"{scheme}://{host}{port}{tail}"
    return draw(st.one_of(st.just(composed), st.just(composed), st.text(max_size=30), junk))


good_endpoints = st.builds(
    lambda secure, name, loopback, port, base: (
        f"https://{name}{port}{base}" if secure else f"http://{loopback}{port}{base}"
    ),
    st.booleans(),
    st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?(\.[a-z0-9]{1,8}){0,3}", fullmatch=True),
    st.sampled_from(["127.0.0.1", "127.1.2.3", "localhost", "LocalHost", "[::1]"]),
    st.one_of(st.just(""), st.integers(1, 65535).map(lambda port: f":{port}")),
    st.sampled_from(["", "/", "/geocatalog", "/a/b/"]),
)


@FUZZ
@given(endpoint=st.one_of(good_endpoints, endpoints()))
def test_client_endpoint(endpoint: Any) -> None:
    transport = CapturingTransport(CannedResponse.json({"id": "catalog", "links": []}))
    try:
        client = PlanetaryComputerProClient(endpoint, FakeTokenCredential(), transport=transport)
    except (ValueError, TypeError) as error:
        assert "endpoint" in str(error), f"{type(error).__name__} does not name the endpoint: {error}"
        tried("endpoint", "rejected")
        return
    origin = request_origin(endpoint.strip())
    assert origin is not None
    scheme, host, _ = origin
    assert scheme == "https" or host in ("localhost", "::1") or host.startswith("127.")
    client.stac.get_landing_page()
    (request,) = transport.requests
    assert request_origin(request.url) == origin
    assert urlsplit(request.url).path == urlsplit(endpoint.strip()).path.rstrip("/") + "/stac"
    assert request.header("Authorization") == BEARER
    # Every HTTP library must read the same host from the URL the token goes to.
    from urllib3.util import parse_url

    parsed = parse_url(request.url)
    assert (parsed.host or "").strip("[]").lower() == host
    tried("endpoint", "accepted")


# --------------------------------------------------------------------------------------------------
# Malformed service responses surface as azure-core errors
# --------------------------------------------------------------------------------------------------

MALFORMED = {
    "empty 200": CannedResponse(200, {"Content-Type": "application/json"}, b""),
    "empty 200 without type": CannedResponse(200, {}, b""),
    "HTML 200 from a proxy": CannedResponse(
        200, {"Content-Type": "text/html"}, b"<html><body>login</body></html>"
    ),
    "HTML 502 from a proxy": CannedResponse(
        502, {"Content-Type": "text/html"}, b"<html>502 Bad Gateway</html>"
    ),
    "text 500": CannedResponse(500, {"Content-Type": "text/plain"}, b"upstream connect error"),
    "truncated JSON": CannedResponse(200, {"Content-Type": "application/json"}, b'{"id": "naip", "lin'),
    "truncated JSON as text": CannedResponse(200, {"Content-Type": "text/plain"}, b'{"id": "naip", "lin'),
    "binary 200": CannedResponse(200, {"Content-Type": "application/json"}, bytes(range(256))),
    "error not JSON": CannedResponse(400, {"Content-Type": "application/json"}, b"Bad Request"),
    "error as a string": CannedResponse.json({"error": "just a string"}, status=400),
    "error as a list": CannedResponse.json([{"error": 1}], status=409),
    "oversized HTML 503": CannedResponse(503, {"Content-Type": "text/html"}, b"<p>" + b"x" * 3_000_000),
}
OPERATIONS: dict[str, Callable[[Any], Any]] = {
    "stac.get_collection": lambda client: client.stac.get_collection("naip"),
    "stac.get_collections": lambda client: client.stac.get_collections(),
    "stac.search": lambda client: client.stac.search({"collections": ["naip"]}),
    "sas.get_token": lambda client: client.sas.get_token("naip"),
    "sas.get_url": lambda client: client.sas.get_url(href="https://a.blob.core.windows.net/c/x"),
    "ingestion.get_operation": lambda client: client.ingestion.get_operation("op"),
    "ingestion.list_operations": lambda client: list(client.ingestion.list_operations()),
    "data.get_item_statistics": lambda client: client.data.get_item_statistics("c", "i", assets=["a"]),
}


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize("answer", list(MALFORMED))
def test_malformed_answers_raise_azure_errors(answer: str, operation: str) -> None:
    client, transport = capture(MALFORMED[answer])
    with pytest.raises(HttpResponseError) as caught:
        OPERATIONS[operation](client)
    error = caught.value
    assert error.status_code == MALFORMED[answer].status
    if MALFORMED[answer].status == 200:
        assert isinstance(error, DecodeError)
    assert len(str(error)) < 10_000  # an oversized body is not pasted whole into the message
    assert len(transport.requests) == 1
    tried("malformed answers", "raised")


@pytest.mark.parametrize(
    "answer", ["empty 200", "HTML 200 from a proxy", "truncated JSON as text", "HTML 502 from a proxy"]
)
async def test_async_malformed_answers_raise_azure_errors(answer: str) -> None:
    transport = AsyncCapturingTransport(MALFORMED[answer])
    client = AsyncPlanetaryComputerProClient(
        ENDPOINT, FakeAsyncTokenCredential(), transport=transport, retry_total=0
    )
    async with client:
        with pytest.raises(HttpResponseError):
            await client.stac.get_collection("naip")
        with pytest.raises(HttpResponseError):
            await client.sas.get_token("naip")
    tried("malformed answers", "raised")


@FUZZ
@given(
    status=st.sampled_from([200, 200, 200, 400, 401, 403, 404, 409, 429, 500, 502, 503]),
    content_type=st.sampled_from(["application/json", "text/html", "text/plain", "", "application/xml"]),
    body=st.one_of(
        st.just(b'{"id": "naip", "links": []}'),
        st.binary(max_size=64),
        st.text(max_size=64).map(str.encode),
        st.dictionaries(
            st.text(max_size=5), st.one_of(st.none(), st.integers(), st.text(max_size=5)), max_size=4
        )
        .map(lambda payload: {"id": "naip", **payload})
        .map(lambda payload: json.dumps(payload).encode()),
    ),
)
def test_arbitrary_answers_to_a_json_operation(status: int, content_type: str, body: bytes) -> None:
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    # A JSON value that is not an object is returned as it is (the known limit in the docstring).
    assume(status != 200 or parsed is None or isinstance(parsed, dict))
    headers = {"Content-Type": content_type} if content_type else {}
    client, _ = capture(CannedResponse(status, headers, body))
    try:
        collection = client.stac.get_collection("naip")
    except HttpResponseError as error:
        assert error.status_code == status
        tried("arbitrary answers", "raised")
        return
    except AzureError as error:  # e.g. a DecodeError raised while the pipeline read the body
        assert status == 200, error
        tried("arbitrary answers", "raised")
        return
    assert status == 200 and isinstance(parsed, dict) and collection is not None
    tried("arbitrary answers", "accepted")


def test_real_transport_malformed_and_oversized_answers() -> None:
    with FaultServer() as server:
        server.script("/stac/collections/empty", Reply.empty(200))
        server.script("/stac/collections/html", Reply.html(502))
        server.script(
            "/stac/collections/cut", Reply(200, {"Content-Type": "application/json"}, b'{"id": "cu')
        )
        server.script(
            "/stac/collections/short",
            Reply.truncated(b'{"id": "short", "links": []}', 10, "application/json"),
        )
        server.script("/stac/collections/huge", Reply.text("<p>" + "x" * 8_000_000, 500, "text/html"))
        server.script(
            "/stac/collections/big", Reply.json({"id": "big", "links": [], "description": "d" * 4_000_000})
        )
        with PlanetaryComputerProClient(
            server.url, FakeTokenCredential(), retry_total=1, retry_backoff_factor=0
        ) as client:
            for name, error_type in [
                ("empty", DecodeError),
                ("html", HttpResponseError),
                ("cut", DecodeError),
                ("short", AzureError),
                ("huge", HttpResponseError),
            ]:
                with pytest.raises(error_type) as caught:
                    client.stac.get_collection(name)
                assert len(str(caught.value)) < 10_000, name
                tried("malformed answers (real transport)", "raised")
            assert client.stac.get_collection("big").id == "big"
        assert server.count("/stac/collections/html") == 2  # a 502 is retried once, then reported
    tried("malformed answers (real transport)", "accepted")


# --------------------------------------------------------------------------------------------------
# Edge cases found by the properties above, pinned
# --------------------------------------------------------------------------------------------------


def _refused_by_name(call: Callable[[], Any], name: str) -> None:
    with pytest.raises((ValueError, TypeError), match=name):
        call()


def test_overflowing_bbox_is_refused() -> None:
    """An int beyond a float's range in bbox is a ValueError naming bbox (not an OverflowError)."""
    client, _transport = capture(CannedResponse.json(EMPTY_PAGE))
    _refused_by_name(lambda: client.stac.search_items_paged(bbox=[10**400, 0, 1, 1]), "bbox")


@pytest.mark.parametrize(
    "value",
    [
        "9999-12-31T23:00:00-05:00",
        "0001-01-01T00:00:00+01:00",
        dt.datetime(9999, 12, 31, 23, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
    ],
)
def test_overflowing_datetime_is_refused(value: Any) -> None:
    """A datetime whose UTC shift passes year 1 or 9999 is a ValueError naming datetime."""
    client, _ = capture(CannedResponse.json(EMPTY_PAGE))
    _refused_by_name(lambda: client.stac.search_items_paged(datetime=value), "datetime")


def test_non_json_intersects_is_refused() -> None:
    """NaN coordinates in intersects are refused (NaN is not JSON)."""
    client, _transport = capture(CannedResponse.json(EMPTY_PAGE))
    _refused_by_name(
        lambda: list(
            client.stac.search_items_paged(intersects={"type": "Point", "coordinates": [math.nan, 0]})
        ),
        "intersects",
    )


def test_unserializable_intersects_is_refused() -> None:
    """A coordinate that is not JSON is a TypeError naming intersects."""
    client, _ = capture(CannedResponse.json(EMPTY_PAGE))
    _refused_by_name(
        lambda: client.stac.search_items_paged(intersects={"type": "Point", "coordinates": {1, 2}}),
        "intersects",
    )


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "LineString", "coordinates": [[0, 0]]},
        {"type": "GeometryCollection", "geometries": [{"type": "Point"}]},
        {"type": "Point", "coordinates": [math.nan, 0]},
    ],
)
def test_invalid_tile_geometry_is_refused_by_name(geometry: dict[str, Any]) -> None:
    """Geometries shapely cannot build (or with non-finite coordinates) are a ValueError naming intersects."""
    pytest.importorskip("shapely")
    client, _ = capture(CannedResponse.data(PNG, "image/png"))
    _refused_by_name(
        lambda: client.data.iter_tiles("naip", "tile-1", zooms=1, intersects=geometry), "intersects"
    )


@pytest.mark.parametrize("z", [-1, 2.5, math.nan, math.inf])
def test_invalid_tile_coordinates_are_refused_before_sending(z: float) -> None:
    """data.get_tile / get_item_tile refuse a z/x/y that is not a non-negative whole number."""
    client, transport = capture(CannedResponse.data(PNG, "image/png"))
    _refused_by_name(lambda: client.data.get_item_tile("naip", "tile-1", "WebMercatorQuad", z, 0, 0), "z")
    assert transport.requests == []


# --------------------------------------------------------------------------------------------------
# The per-request URL checks take shortcuts (an origin cached per scheme and authority, a substring
# test before parsing a path): they must agree with the plain definitions on any URL.
# --------------------------------------------------------------------------------------------------

_URL_PIECES = st.sampled_from(
    [
        "https://",
        "http://",
        "HTTPS://",
        "//",
        "https:/",
        "ftp://",
        "",
        "host",
        "Host.Example.com",
        "127.0.0.1",
        "[::1]",
        "[::1",
        "user@",
        ":443",
        ":99999",
        ":",
        "/",
        "\\",
        "?",
        "#",
        "/.",
        "/..",
        "/%2e",
        "/%2E%2e",
        "a",
        ".",
        "%2e",
        " ",
        "\t",
        "é",
        "://",
        "@",
        "x.blob.core.windows.net",
    ]
)


def _plain_origin(url: str) -> tuple[str, str, int] | None:
    from azure.planetarycomputer._endpoint import _DEFAULT_PORTS, _origin_problem

    if _origin_problem(url) is not None:
        return None
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS[scheme]


def _plain_dot_segment(url: str) -> str | None:
    return next((s for s in urlsplit(url).path.split("/") if unquote(s) in (".", "..")), None)


@settings(max_examples=3000, deadline=None)
@given(st.lists(_URL_PIECES, max_size=10).map("".join))
def test_the_shortcut_url_checks_agree_with_their_definitions(url: str) -> None:
    from azure.planetarycomputer._endpoint import dot_segment

    try:
        expected_origin: Any = _plain_origin(url)
    except ValueError:
        expected_origin = None
    assert request_origin(url) == expected_origin
    try:
        expected_segment = _plain_dot_segment(url)
    except ValueError:
        return  # urlsplit refuses it: so does the guard, which calls it too
    assert dot_segment(url) == expected_segment
