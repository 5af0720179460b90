"""What the Dask tests share and send to worker processes: credential factories, item functions,
and the collection of items on partition edges.

Worker processes import these by module name (tests/ is on their ``sys.path``, inherited from the
test process), so they live here rather than in a test module.
"""

from __future__ import annotations

import itertools
import os
import time
from typing import TYPE_CHECKING, Any

from azure.core.credentials import AccessToken, AccessTokenInfo

if TYPE_CHECKING:
    from azure.planetarycomputer import PlanetaryComputerProClient

SHORT_TOKEN_SECONDS = 3
"""Life of the tokens of :class:`ShortLivedCredential`; the checking proxy refuses them after it."""

_serial = itertools.count()


class StandinCredential:
    """Any token for the stand-in, valid an hour. The class itself is the credential factory."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("standin-token", int(time.time()) + 3600)

    def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        return AccessTokenInfo("standin-token", int(time.time()) + 3600)


class ShortLivedCredential:
    """Tokens that expire after SHORT_TOKEN_SECONDS: ``short.<pid>.<n>.<expiry>``.

    The token says which process asked for it and when it expires, so that a checking proxy can
    refuse an expired one and count the processes that refreshed theirs.
    """

    def _token(self) -> tuple[str, int]:
        expires_on = int(time.time()) + SHORT_TOKEN_SECONDS
        return f"short.{os.getpid()}.{next(_serial)}.{expires_on}", expires_on

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(*self._token())

    def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        return AccessTokenInfo(*self._token())


class FixedTokenCredential:
    """One token, claimed valid for an hour whatever it really is."""

    def __init__(self, token: str) -> None:
        self.token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self.token, int(time.time()) + 3600)

    def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        return AccessTokenInfo(self.token, int(time.time()) + 3600)


class Broadcast:
    """The mistake users make: one short-lived token made at the start, sent to every worker."""

    def __init__(self) -> None:
        self.token = f"short.{os.getpid()}.0.{int(time.time()) + SHORT_TOKEN_SECONDS}"

    def __call__(self) -> FixedTokenCredential:
        return FixedTokenCredential(self.token)


def item_id(item: dict[str, Any]) -> str:
    return str(item["id"])


def slow_item_id(item: dict[str, Any]) -> str:
    """The item's id after a pause: long enough for a job to be cut in the middle."""
    time.sleep(0.3)
    return str(item["id"])


def worker_pid(item: dict[str, Any]) -> int:
    return os.getpid()


def first_href(item: dict[str, Any]) -> str:
    return str(next(iter(item["assets"].values()))["href"])


# Items on partition edges

AREA = (10.0, 10.0, 14.0, 14.0)

INSTANTS = [
    "2022-12-31T23:59:59.999999Z",  # just before the range: in no partition
    "2023-01-01T00:00:00Z",  # the range's first microsecond
    "2023-01-02T00:00:00Z",  # a Monday, a day edge, an n=4 edge of the first five days
    "2023-01-03T00:00:00Z",
    "2023-01-04T00:00:00Z",
    "2023-01-05T00:00:00Z",  # the end of the five-day range (closed)
    "2023-02-01T00:00:00Z",
    "2023-02-28T23:59:59.999999Z",
    "2023-03-01T00:00:00Z",
    "2023-06-15T12:00:00.5Z",
    "2023-07-02T23:59:59.999999Z",
    "2023-07-03T00:00:00Z",  # a Monday
    "2023-12-31T00:00:00Z",
    "2023-12-31T23:59:59.999999Z",  # the range's last microsecond
    "2024-01-01T00:00:00Z",  # just after the range
]
RANGES = [("2022-12-20T00:00:00Z", "2023-01-10T00:00:00Z"), ("2023-03-15T00:00:00Z", "2023-05-15T00:00:00Z")]


def _box(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


GEOMETRIES = [
    _box(10.5, 10.5, 11.0, 11.0),  # inside one cell
    _box(11.5, 10.5, 12.5, 11.0),  # straddles x = 12
    _box(12.0, 12.0, 12.5, 12.5),  # lower-left corner on the centre of a 2 x 2 grid
    _box(9.0, 9.0, 15.0, 15.0),  # covers the whole area
    {"type": "Polygon", "coordinates": [[[10.1, 13.9], [13.9, 10.1], [13.9, 13.9], [10.1, 13.9]]]},
    _box(13.5, 13.5, 16.0, 16.0),  # partly outside
    _box(14.0, 11.0, 15.0, 11.5),  # touches the area's east edge from outside
    _box(12.0, 10.5, 12.5, 11.0),  # its west edge on x = 12
    _box(11.0, 11.9, 11.5, 12.1),  # straddles y = 12
]


def _item(
    item_id: str, collection: str, geometry: dict[str, Any], properties: dict[str, Any]
) -> dict[str, Any]:
    ring = geometry["coordinates"][0]
    xs, ys = [x for x, _ in ring], [y for _, y in ring]
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": item_id,
        "collection": collection,
        "geometry": geometry,
        "bbox": [min(xs), min(ys), max(xs), max(ys)],
        "properties": properties,
        "links": [],
        "assets": {},
    }


def edge_items(collection: str) -> list[dict[str, Any]]:
    items = []
    for index, instant in enumerate(INSTANTS):
        for offset in (0, 4):
            geometry = GEOMETRIES[(index + offset) % len(GEOMETRIES)]
            items.append(_item(f"t{index:02d}-g{offset}", collection, geometry, {"datetime": instant}))
    for index, (start, end) in enumerate(RANGES):
        properties = {"datetime": None, "start_datetime": start, "end_datetime": end}
        items.append(_item(f"range{index}", collection, GEOMETRIES[index + 1], properties))
    items[3]["properties"]["extra:only_here"] = 7  # a column one partition has and the others lack
    return items


def create_collection(
    client: PlanetaryComputerProClient, collection: str, items: list[dict[str, Any]]
) -> None:
    client.stac.begin_create_collection(
        body={
            "id": collection,
            "type": "Collection",
            "stac_version": "1.0.0",
            "description": "Items on partition edges (Dask tests)",
            "license": "proprietary",
            "links": [],
            "extent": {
                "spatial": {"bbox": [[-180, -90, 180, 90]]},
                "temporal": {"interval": [["2020-01-01T00:00:00Z", None]]},
            },
        }
    ).result()
    client.stac.begin_create_item(collection, {"type": "FeatureCollection", "features": items}).result()
