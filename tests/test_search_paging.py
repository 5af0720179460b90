"""``client.stac.search_items_paged``: paging, next links, resumption, limits, counts and retries.

Every test runs the real client over a fake transport. ``StacSearchService`` answers like the
GeoCatalog's ``/stac/search``: pages built from the features of the recorded searches in
``tests/data/recordings``, with ``rel="next"`` links in the style under test (POST with a full body as
the live service sends, POST with ``merge``, or GET with a token in the query).
"""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from _capture import (
    AsyncCapturingTransport,
    CannedResponse,
    CapturedRequest,
    CapturingTransport,
    FakeAsyncTokenCredential,
    FakeTokenCredential,
    data_path,
)
from azure.core.exceptions import (
    ClientAuthenticationError,
    DecodeError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
)
from azure.core.paging import ItemPaged
from azure.planetarycomputer import PlanetaryComputerProClient
from azure.planetarycomputer.aio import PlanetaryComputerProClient as AsyncPlanetaryComputerProClient
from azure.planetarycomputer.models import Polygon, StacAsset, StacItem, StacItemProperties

ENDPOINT = "https://cat.geocatalog.spatio.azure.com"
SEARCH_URL = f"{ENDPOINT}/stac/search?api-version=2026-04-15"


# --------------------------------------------------------------------------------------------------
# A fake /stac/search serving recorded features
# --------------------------------------------------------------------------------------------------


def recorded_features() -> list[dict[str, Any]]:
    """The distinct features of the recorded searches, in recorded order."""
    features: dict[str, dict[str, Any]] = {}
    for path in sorted(data_path("recordings").glob("*search_items*.json")):
        for entry in json.loads(path.read_text())["Entries"]:
            for feature in entry["ResponseBody"].get("features", []):
                features.setdefault(feature["id"], feature)
    return list(features.values())


def catalog(count: int) -> list[dict[str, Any]]:
    """``count`` real-shaped features: the recorded ones, repeated with distinct ids as needed."""
    base = recorded_features()
    features = []
    for index in range(count):
        feature = json.loads(json.dumps(base[index % len(base)]))
        feature["id"] = f"{feature['id']}-{index:03d}"
        features.append(feature)
    return features


class StacSearchService:
    """Answers ``/stac/search`` (POST, and GET for token links) with pages of ``features``.

    :param link: ``"post"`` (next link: POST with the whole body plus a token, as recorded),
        ``"merge"`` (POST, body ``{"token"}``, ``merge: true``), ``"get"`` (GET, token and limit
        in the query) or ``"relative-get"`` (the same with a relative href, no api-version).
    :param count: ``"context"`` (``context.matched``), ``"ogc"`` (``numberMatched``) or None.
    :param empty_after: serve an empty page (still with a next link) from this page index on.
    :param failures: status codes to answer the next requests with before serving pages.
    """

    def __init__(
        self,
        features: list[dict[str, Any]],
        *,
        link: str = "post",
        count: str | None = "context",
        empty_after: int | None = None,
        failures: list[int] | None = None,
        link_headers: dict[str, str] | None = None,
        default_limit: int = 10,
    ) -> None:
        self.features = features
        self.link = link
        self.count = count
        self.empty_after = empty_after
        self.failures = list(failures or [])
        self.link_headers = link_headers
        self.default_limit = default_limit

    def __call__(self, request: CapturedRequest) -> CannedResponse:
        if self.failures:
            return CannedResponse.json(
                {"error": {"code": "TooManyRequests", "message": "slow down"}}, status=self.failures.pop(0)
            )
        assert request.path == "/stac/search", request.url
        if request.method == "POST":
            body = request.json()
            token, limit = body.get("token"), body.get("limit", self.default_limit)
        else:
            query = parse_qs(urlsplit(request.url).query)
            token, limit, body = query.get("token", [None])[0], int(query["limit"][0]), {}
        start = int(token.split(":")[1]) if token else 0
        index = start // limit
        page_features: list[dict[str, Any]] = self.features[start : start + limit]
        if self.empty_after is not None and index >= self.empty_after:
            page_features = []
        links = [
            {"rel": "root", "type": "application/json", "href": f"{ENDPOINT}/stac/"},
            {"rel": "self", "type": "application/geo+json", "href": f"{ENDPOINT}/stac/search"},
        ]
        if start + limit < len(self.features):
            links.append(self._next(body, f"next:{start + limit}", limit))
        page: dict[str, Any] = {"type": "FeatureCollection", "features": page_features, "links": links}
        if self.count == "context":
            page["context"] = {"returned": len(page_features), "limit": limit, "matched": len(self.features)}
        elif self.count == "ogc":
            page["numberMatched"], page["numberReturned"] = len(self.features), len(page_features)
        return CannedResponse(
            status=200,
            headers={"Content-Type": "application/geo+json"},
            body=json.dumps(page).encode(),
        )

    def _next(self, body: dict[str, Any], token: str, limit: int) -> dict[str, Any]:
        link: dict[str, Any] = {"rel": "next", "type": "application/geo+json"}
        if self.link == "post":
            link.update(method="POST", href=SEARCH_URL, body={**body, "token": token})
        elif self.link == "merge":
            link.update(method="POST", href=SEARCH_URL, body={"token": token}, merge=True)
        elif self.link == "get":
            link.update(method="GET", href=f"{SEARCH_URL}&limit={limit}&token={token}")
        elif self.link == "relative-get":
            link.update(href=f"/stac/search?limit={limit}&token={token}")
        else:
            raise AssertionError(self.link)
        if self.link_headers:
            link["headers"] = self.link_headers
        return link


class NoSleepTransport(CapturingTransport):
    """Records the waits the retry policy asks for instead of sleeping."""

    def __init__(self, responder: Any) -> None:
        super().__init__(responder)
        self.sleeps: list[float] = []

    def sleep(self, duration: float) -> None:
        self.sleeps.append(duration)


class AsyncNoSleepTransport(AsyncCapturingTransport):
    def __init__(self, responder: Any) -> None:
        super().__init__(responder)
        self.sleeps: list[float] = []

    async def sleep(self, duration: float) -> None:
        self.sleeps.append(duration)


def client_for(service: Any, **kwargs: Any) -> tuple[PlanetaryComputerProClient, NoSleepTransport]:
    transport = NoSleepTransport(service)
    return PlanetaryComputerProClient(
        ENDPOINT, FakeTokenCredential(), transport=transport, **kwargs
    ), transport


def async_client_for(
    service: Any, **kwargs: Any
) -> tuple[AsyncPlanetaryComputerProClient, AsyncNoSleepTransport]:
    transport = AsyncNoSleepTransport(service)
    client = AsyncPlanetaryComputerProClient(
        ENDPOINT, FakeAsyncTokenCredential(), transport=transport, **kwargs
    )
    return client, transport


def ids(items: Any) -> list[str]:
    return [item.id for item in items]


def token_request(token: str | None) -> dict[str, Any]:
    assert token is not None
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    return decoded


# --------------------------------------------------------------------------------------------------
# Paging
# --------------------------------------------------------------------------------------------------


def test_iterating_yields_every_item_of_every_page_typed() -> None:
    features = catalog(23)
    client, transport = client_for(StacSearchService(features))
    pager = client.stac.search_items_paged(collections="naip", limit=5)

    assert isinstance(pager, ItemPaged)
    assert transport.requests == []  # nothing is sent until iteration starts
    items = list(pager)

    assert ids(items) == [feature["id"] for feature in features]
    assert len(transport.requests) == 5
    item = items[0]
    assert isinstance(item, StacItem)
    assert isinstance(item.geometry, Polygon) and item.geometry.type == "Polygon"
    assert isinstance(item.properties, StacItemProperties) and item.properties["proj:epsg"] == 26916
    assert isinstance(item.assets["image"], StacAsset)
    assert item.assets["image"].href == features[0]["assets"]["image"]["href"]


def test_the_first_page_is_a_post_of_the_normalized_search() -> None:
    client, transport = client_for(StacSearchService(catalog(3)))
    list(client.stac.search_items_paged(collections="naip", datetime="2021", limit=5))

    first = transport.requests[0]
    assert (first.method, first.url) == ("POST", SEARCH_URL)
    assert first.header("Content-Type") == "application/json"
    assert first.json() == {
        "collections": ["naip"],
        "datetime": "2021-01-01T00:00:00Z/2021-12-31T23:59:59.999999Z",
        "limit": 5,
    }


def test_post_next_links_are_followed_with_their_body_as_sent() -> None:
    service = StacSearchService(catalog(12), link="post")
    client, transport = client_for(service)
    list(client.stac.search_items_paged(collections="naip", limit=5))

    bodies = [request.json() for request in transport.requests]
    assert bodies == [
        {"collections": ["naip"], "limit": 5},
        {"collections": ["naip"], "limit": 5, "token": "next:5"},
        {"collections": ["naip"], "limit": 5, "token": "next:10"},
    ]
    assert {request.url for request in transport.requests} == {SEARCH_URL}


def test_a_post_link_body_replaces_the_previous_body_unless_it_says_merge() -> None:
    """Without ``merge`` the link's body is sent exactly: keys the service left out stay out."""

    def answer(request: CapturedRequest) -> CannedResponse:
        body = request.json()
        if "token" not in body:
            next_link = {
                "rel": "next",
                "method": "POST",
                "href": SEARCH_URL,
                "body": {"token": "t2", "limit": 1},
            }
            return CannedResponse.json(
                {"type": "FeatureCollection", "features": catalog(1), "links": [next_link]}
            )
        return CannedResponse.json({"type": "FeatureCollection", "features": catalog(1), "links": []})

    client, transport = client_for(answer)
    list(client.stac.search_items_paged(collections="naip", fields="id", limit=1))
    assert transport.requests[1].json() == {"token": "t2", "limit": 1}


def test_merge_links_are_laid_over_the_previous_body() -> None:
    client, transport = client_for(StacSearchService(catalog(9), link="merge"))
    items = list(client.stac.search_items_paged(collections=["naip"], bbox=[-85, 33, -84, 34], limit=4))

    assert len(items) == 9
    bodies = [request.json() for request in transport.requests]
    common = {"collections": ["naip"], "bbox": [-85.0, 33.0, -84.0, 34.0], "limit": 4}
    assert bodies == [common, {**common, "token": "next:4"}, {**common, "token": "next:8"}]


def test_get_next_links_are_followed_as_given() -> None:
    client, transport = client_for(StacSearchService(catalog(7), link="get"))
    items = list(client.stac.search_items_paged(collections="naip", limit=3))

    assert len(items) == 7
    assert [(request.method, request.url) for request in transport.requests] == [
        ("POST", SEARCH_URL),
        ("GET", f"{SEARCH_URL}&limit=3&token=next:3"),
        ("GET", f"{SEARCH_URL}&limit=3&token=next:6"),
    ]
    assert transport.requests[1].body is None


def test_relative_get_links_are_resolved_and_get_the_api_version() -> None:
    client, transport = client_for(StacSearchService(catalog(5), link="relative-get"))
    list(client.stac.search_items_paged(limit=3))

    second = transport.requests[1]
    assert second.method == "GET"
    assert second.path == "/stac/search"
    assert second.query == [("limit", "3"), ("token", "next:3"), ("api-version", "2026-04-15")]


def test_a_link_with_its_own_api_version_keeps_it() -> None:
    def answer(request: CapturedRequest) -> CannedResponse:
        links = []
        if request.method == "POST":
            links = [
                {"rel": "next", "href": f"{ENDPOINT}/stac/search?token=t&api-version=2025-04-30-preview"}
            ]
        return CannedResponse.json({"type": "FeatureCollection", "features": catalog(1), "links": links})

    client, transport = client_for(answer)
    list(client.stac.search_items_paged())
    assert transport.requests[1].query == [("token", "t"), ("api-version", "2025-04-30-preview")]


def test_per_call_options_go_with_every_page(caplog: pytest.LogCaptureFixture) -> None:
    service = StacSearchService(catalog(6), link="get", link_headers={"x-ms-page": "next"})
    client, transport = client_for(service)
    caplog.set_level(logging.DEBUG, logger="azure.core.pipeline.policies.http_logging_policy")
    pager = client.stac.search_items_paged(
        limit=2,
        sign=True,
        duration_in_minutes=60,
        headers={"x-ms-client-request-id": "job-17"},
        params={"trace": "on"},
        logging_enable=True,
    )
    list(pager)

    assert len(transport.requests) == 3
    for request in transport.requests:
        assert request.header("x-ms-client-request-id") == "job-17"
        query = dict(request.query)
        assert (query["api-version"], query["sign"], query["duration"], query["trace"]) == (
            "2026-04-15",
            "true",
            "60",
            "on",
        )
    assert [request.header("x-ms-page") for request in transport.requests] == [None, "next", "next"]
    # logging_enable=True turns on the network trace (DEBUG) for this call's requests, every page.
    logged = [record.getMessage() for record in caplog.records if "Request URL" in record.getMessage()]
    assert len(logged) == 3


def test_the_token_reaches_the_service_unchanged_in_the_query() -> None:
    def answer(request: CapturedRequest) -> CannedResponse:
        links = []
        if request.method == "POST":
            links = [{"rel": "next", "href": f"{SEARCH_URL}&token=next%3Aa%2Bb%3D%3D"}]
        return CannedResponse.json({"type": "FeatureCollection", "features": catalog(1), "links": links})

    client, transport = client_for(answer)
    list(client.stac.search_items_paged())
    assert transport.requests[1].raw_query[1] == ("token", "next%3Aa%2Bb%3D%3D")


# --------------------------------------------------------------------------------------------------
# Stopping: max_items, empty pages, repeated links
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "max_items", "expected_items", "expected_requests"),
    [
        (5, 12, 12, 3),  # the third page is cut short
        (5, 10, 10, 2),  # reached at a page boundary: no third request
        (10, 3, 3, 1),  # fewer than one page
        (5, 100, 23, 5),  # more than there are
        (None, 15, 15, 2),  # the service's default page size (10 here)
    ],
)
def test_max_items_bounds_the_total_whatever_the_page_size(
    limit: int | None, max_items: int, expected_items: int, expected_requests: int
) -> None:
    features = catalog(23)
    client, transport = client_for(StacSearchService(features))
    items = list(client.stac.search_items_paged(limit=limit, max_items=max_items))

    assert ids(items) == [feature["id"] for feature in features[:expected_items]]
    assert len(transport.requests) == expected_requests
    # max_items never changes the page size asked for.
    assert {request.json().get("limit") for request in transport.requests} == {limit}


def test_max_items_caps_each_pass_over_the_pager() -> None:
    client, _ = client_for(StacSearchService(catalog(23)))
    pager = client.stac.search_items_paged(limit=5, max_items=7)
    assert [len(list(page)) for page in pager.by_page()] == [5, 2]
    assert [len(list(page)) for page in pager.by_page()] == [5, 2]


def test_an_empty_page_ends_the_search_even_with_a_next_link() -> None:
    client, transport = client_for(StacSearchService(catalog(30), empty_after=2))
    items = list(client.stac.search_items_paged(limit=5))

    assert len(items) == 10
    assert len(transport.requests) == 3  # pages 1, 2 and the empty page 3; never page 4


def test_a_next_link_repeating_the_same_request_ends_the_search() -> None:
    def answer(request: CapturedRequest) -> CannedResponse:
        link = {"rel": "next", "method": "POST", "href": SEARCH_URL, "body": request.json()}
        return CannedResponse.json({"type": "FeatureCollection", "features": catalog(2), "links": [link]})

    client, transport = client_for(answer)
    assert len(list(client.stac.search_items_paged(limit=2))) == 2
    assert len(transport.requests) == 1


def test_a_page_without_a_next_link_is_the_last() -> None:
    client, transport = client_for(StacSearchService(catalog(4)))
    assert len(list(client.stac.search_items_paged(limit=10))) == 4
    assert len(transport.requests) == 1


# --------------------------------------------------------------------------------------------------
# Pages and continuation tokens
# --------------------------------------------------------------------------------------------------


def test_by_page_yields_pages_and_a_token_after_each() -> None:
    client, _ = client_for(StacSearchService(catalog(12)))
    pages = client.stac.search_items_paged(limit=5).by_page()
    sizes, tokens = [], []
    for page in pages:
        sizes.append(len(list(page)))
        tokens.append(pages.continuation_token)
    assert sizes == [5, 5, 2]
    assert tokens[-1] is None
    assert all(isinstance(token, str) for token in tokens[:-1])


def test_the_token_is_self_contained_base64_json_of_the_next_request() -> None:
    client, _ = client_for(StacSearchService(catalog(12), link="merge"))
    pages = client.stac.search_items_paged(collections="naip", limit=5).by_page()
    next(pages)
    token = pages.continuation_token
    assert token is not None and re.fullmatch(r"[A-Za-z0-9_-]+", token)
    decoded = token_request(token)
    assert decoded["method"] == "POST"
    assert decoded["href"] == SEARCH_URL
    assert decoded["body"] == {"collections": ["naip"], "limit": 5, "token": "next:5"}  # merge applied
    assert decoded["yielded"] == 5


def test_a_job_resumes_on_the_page_it_died_on() -> None:
    """Simulates a process that handled pages 1-2, died on page 3, and a new one that resumes."""
    features = catalog(23)
    client, transport = client_for(StacSearchService(features, link="merge"))
    pages = client.stac.search_items_paged(collections="naip", limit=5).by_page()
    saved: str | None = None
    for number, page in enumerate(pages, start=1):
        if number == 3:
            break  # the job dies while handling page 3
        list(page)
        saved = pages.continuation_token
    page_three_request = transport.requests[2]
    assert saved is not None

    new_client, new_transport = client_for(StacSearchService(features, link="merge"))
    resumed = new_client.stac.search_items_paged(collections="naip", limit=5).by_page(
        continuation_token=saved
    )
    rest = [item.id for page in resumed for item in page]

    assert rest == [feature["id"] for feature in features[10:]]
    first = new_transport.requests[0]
    assert (first.method, first.url, first.json()) == (
        page_three_request.method,
        page_three_request.url,
        page_three_request.json(),
    )


def test_get_link_tokens_resume_with_a_get() -> None:
    client, _ = client_for(StacSearchService(catalog(9), link="get"))
    pages = client.stac.search_items_paged(limit=3).by_page()
    next(pages)
    token = pages.continuation_token

    other, transport = client_for(StacSearchService(catalog(9), link="get"))
    rest = list(other.stac.search_items_paged(limit=3).by_page(continuation_token=token))
    assert len(rest) == 2
    assert (transport.requests[0].method, transport.requests[0].url) == (
        "GET",
        f"{SEARCH_URL}&limit=3&token=next:3",
    )


def test_max_items_counts_the_items_before_the_token() -> None:
    features = catalog(23)
    client, _ = client_for(StacSearchService(features))
    pages = client.stac.search_items_paged(limit=5, max_items=12).by_page()
    next(pages)
    token = pages.continuation_token

    other, _transport = client_for(StacSearchService(features))
    rest = list(other.stac.search_items_paged(limit=5, max_items=12))  # a fresh pass: 12 items
    assert len(rest) == 12
    resumed = [
        item for page in other.stac.search_items_paged(limit=5, max_items=12).by_page(token) for item in page
    ]
    assert ids(resumed) == [feature["id"] for feature in features[5:12]]


def test_a_failing_page_carries_the_token_to_resume_from() -> None:
    service = StacSearchService(catalog(12))
    client, _ = client_for(service, retry_total=0)
    pages = client.stac.search_items_paged(limit=5).by_page()
    list(next(pages))
    service.failures = [500]
    with pytest.raises(HttpResponseError) as raised:
        next(pages)
    assert raised.value.continuation_token == pages.continuation_token
    assert token_request(raised.value.continuation_token)["body"]["token"] == "next:5"


@pytest.mark.parametrize(
    "token",
    [
        "not a token",
        base64.urlsafe_b64encode(b'{"v": 1}').decode(),
        base64.urlsafe_b64encode(b'{"v": 2, "method": "GET", "href": "https://x", "yielded": 0}').decode(),
        base64.urlsafe_b64encode(b'{"v": 1, "method": "DELETE", "href": "https://x", "yielded": 0}').decode(),
        base64.urlsafe_b64encode(
            b'{"v": 1, "method": "GET", "href": "file:///etc/passwd", "yielded": 0}'
        ).decode(),
        base64.urlsafe_b64encode(b'{"v": 1, "method": "GET", "href": "https://x", "yielded": -1}').decode(),
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
    ],
)
def test_a_foreign_token_is_refused_before_any_request(token: str) -> None:
    client, transport = client_for(StacSearchService(catalog(3)))
    with pytest.raises(ValueError, match=r"^continuation_token"):
        next(client.stac.search_items_paged().by_page(continuation_token=token))
    assert transport.requests == []


# --------------------------------------------------------------------------------------------------
# Match counts
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "expected"), [("context", 23), ("ogc", 23), (None, None)])
def test_matched_reports_the_service_s_count(count: str | None, expected: int | None) -> None:
    client, _ = client_for(StacSearchService(catalog(23), count=count))
    assert client.stac.search_items_paged(limit=5).matched() == expected


def test_matched_before_iterating_fetches_the_first_page_once() -> None:
    features = catalog(12)
    client, transport = client_for(StacSearchService(features))
    pager = client.stac.search_items_paged(limit=5)

    assert pager.matched() == 12
    assert len(transport.requests) == 1
    assert ids(pager) == [feature["id"] for feature in features]
    assert len(transport.requests) == 3  # page 1 was not asked for again
    assert pager.matched() == 12
    assert len(transport.requests) == 3


# --------------------------------------------------------------------------------------------------
# Retries and errors
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_a_search_post_is_retried_like_a_get(status: int) -> None:
    client, transport = client_for(StacSearchService(catalog(3), failures=[status, status]), retry_total=3)
    assert len(list(client.stac.search_items_paged(collections="naip"))) == 3
    assert [request.method for request in transport.requests] == ["POST"] * 3
    assert all(request.json() == {"collections": ["naip"]} for request in transport.requests)


def test_a_later_page_is_retried_too() -> None:
    service = StacSearchService(catalog(8))
    client, transport = client_for(service, retry_total=3)
    pages = client.stac.search_items_paged(limit=5).by_page()
    list(next(pages))
    service.failures = [429]
    assert len(list(next(pages))) == 3
    assert [request.json().get("token") for request in transport.requests] == [None, "next:5", "next:5"]


def test_a_search_post_is_retried_after_a_connection_error() -> None:
    """azure-core retries a POST on a connection error only when asked to: a search asks."""
    service = StacSearchService(catalog(3))
    calls = []

    def flaky(request: CapturedRequest) -> CannedResponse:
        calls.append(request)
        if len(calls) == 1:
            raise ServiceRequestError("connection reset")
        return service(request)

    client, transport = client_for(flaky, retry_total=2)
    assert len(list(client.stac.search_items_paged(collections="naip"))) == 3
    assert len(transport.requests) == 2


def test_the_generated_one_page_search_is_retried_too() -> None:
    client, transport = client_for(StacSearchService(catalog(3), failures=[429]), retry_total=2)
    page = client.stac.search({"collections": ["naip"]})
    assert len(page.features) == 3
    assert len(transport.requests) == 2


def test_the_retry_budget_is_the_callers() -> None:
    client, transport = client_for(StacSearchService(catalog(3), failures=[503, 503, 503]))
    with pytest.raises(HttpResponseError) as raised:
        list(client.stac.search_items_paged(retry_total=1))
    assert raised.value.status_code == 503
    assert len(transport.requests) == 2


@pytest.mark.parametrize(
    ("status", "error"),
    [(404, ResourceNotFoundError), (401, ClientAuthenticationError), (400, HttpResponseError)],
)
def test_service_errors_are_raised_with_the_service_s_message(status: int, error: type[Exception]) -> None:
    def answer(request: CapturedRequest) -> CannedResponse:
        return CannedResponse.json(
            {"error": {"code": "BadSearch", "message": "unknown collection"}},
            status=status,
            headers={"x-ms-error-code": "BadSearch"},
        )

    client, _ = client_for(answer)
    with pytest.raises(error) as raised:
        list(client.stac.search_items_paged(collections="nope"))
    assert "unknown collection" in str(raised.value)


# --------------------------------------------------------------------------------------------------
# Input forms on the wire, and refusals before any request
# --------------------------------------------------------------------------------------------------

POLYGON = {
    "type": "Polygon",
    "coordinates": [[[-84.39, 33.76], [-84.37, 33.76], [-84.37, 33.78], [-84.39, 33.76]]],
}


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"collections": "naip"}, {"collections": ["naip"]}),
        ({"collections": ["naip", "s2"]}, {"collections": ["naip", "s2"]}),
        ({"ids": "a,b"}, {"ids": ["a", "b"]}),
        ({"bbox": (-84.39, 33.76, -84.37, 33.78)}, {"bbox": [-84.39, 33.76, -84.37, 33.78]}),
        ({"intersects": POLYGON}, {"intersects": POLYGON}),
        ({"datetime": "2023-06"}, {"datetime": "2023-06-01T00:00:00Z/2023-06-30T23:59:59.999999Z"}),
        ({"datetime": "../2023-01-01"}, {"datetime": "../2023-01-01T23:59:59.999999Z"}),
        (
            {"sortby": "-properties.datetime"},
            {"sortby": [{"field": "properties.datetime", "direction": "desc"}]},
        ),
        ({"fields": "id,-geometry"}, {"fields": {"include": ["id"], "exclude": ["geometry"]}}),
        (
            {"filter": {"op": "=", "args": [{"property": "id"}, "x"]}},
            {"filter": {"op": "=", "args": [{"property": "id"}, "x"]}, "filter-lang": "cql2-json"},
        ),
        ({"filter": "id = 'x'"}, {"filter": "id = 'x'", "filter-lang": "cql2-text"}),
        (
            {"filter": "id = 'x'", "filter_crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
            {
                "filter": "id = 'x'",
                "filter-lang": "cql2-text",
                "filter-crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
            },
        ),
        ({"query": {"eo:cloud_cover": {"lt": 10}}}, {"query": {"eo:cloud_cover": {"lt": 10}}}),
        ({"limit": 10000}, {"limit": 10000}),
        ({"body": {"collections": ["naip"], "limit": 3}, "limit": 7}, {"collections": ["naip"], "limit": 7}),
    ],
)
def test_argument_forms_on_the_wire(kwargs: dict[str, Any], expected: dict[str, Any]) -> None:
    client, transport = client_for(StacSearchService(catalog(1)))
    list(client.stac.search_items_paged(**kwargs))
    assert transport.requests[0].json() == expected


def test_a_shapely_geometry_is_sent_as_geojson() -> None:
    geometry = pytest.importorskip("shapely.geometry")
    client, transport = client_for(StacSearchService(catalog(1)))
    list(client.stac.search_items_paged(intersects=geometry.Point(-84.38, 33.77)))
    assert transport.requests[0].json() == {"intersects": {"type": "Point", "coordinates": [-84.38, 33.77]}}


def test_sign_and_duration_are_query_options() -> None:
    client, transport = client_for(StacSearchService(catalog(1)))
    list(client.stac.search_items_paged(sign="true", duration_in_minutes=30))
    assert transport.requests[0].query == [
        ("api-version", "2026-04-15"),
        ("sign", "true"),
        ("duration", "30"),
    ]


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"bbox": [0, 0, 1]}, ValueError, "bbox"),
        ({"bbox": [0, 2, 1, 1]}, ValueError, "bbox"),
        ({"bbox": [0, -95, 1, 1]}, ValueError, "bbox"),
        ({"bbox": [0, 0, 1, 1], "intersects": POLYGON}, ValueError, "bbox and intersects"),
        ({"datetime": "last tuesday"}, ValueError, "datetime"),
        ({"datetime": ("2024", "2023")}, ValueError, "datetime"),
        ({"limit": 0}, ValueError, "limit"),
        ({"limit": 10001}, ValueError, "limit"),
        ({"max_items": 0}, ValueError, "max_items"),
        ({"max_items": "5"}, TypeError, "max_items"),
        ({"intersects": {"type": "Sphere"}}, ValueError, "intersects"),
        ({"filter": {"op": "="}, "filter_lang": "cql2-text"}, ValueError, "filter_lang"),
        ({"sortby": "-"}, ValueError, "sortby"),
        ({"fields": {"only": ["id"]}}, ValueError, "fields"),
        ({"collections": 7}, TypeError, "collections"),
        ({"sign": "maybe"}, ValueError, "sign"),
        ({"duration_in_minutes": 0}, ValueError, "duration_in_minutes"),
        ({"headers": ["x"]}, TypeError, "headers"),
    ],
)
def test_bad_arguments_are_refused_before_any_request(
    kwargs: dict[str, Any], error: type[Exception], name: str
) -> None:
    client, transport = client_for(StacSearchService(catalog(1)))
    with pytest.raises(error, match=rf"^{name}"):
        client.stac.search_items_paged(**kwargs)
    assert transport.requests == []


# --------------------------------------------------------------------------------------------------
# Async
# --------------------------------------------------------------------------------------------------


async def test_async_iterating_yields_every_item_of_every_page() -> None:
    features = catalog(23)
    client, transport = async_client_for(StacSearchService(features, link="merge"))
    async with client:
        pager = client.stac.search_items_paged(collections="naip", limit=5)
        items = [item async for item in pager]
    assert ids(items) == [feature["id"] for feature in features]
    assert len(transport.requests) == 5
    assert transport.requests[1].json() == {"collections": ["naip"], "limit": 5, "token": "next:5"}
    assert isinstance(items[0], StacItem) and isinstance(items[0].geometry, Polygon)


async def test_async_get_links_and_max_items() -> None:
    features = catalog(23)
    client, transport = async_client_for(StacSearchService(features, link="get"))
    async with client:
        items = [item async for item in client.stac.search_items_paged(limit=5, max_items=12)]
    assert ids(items) == [feature["id"] for feature in features[:12]]
    assert [request.method for request in transport.requests] == ["POST", "GET", "GET"]


async def test_async_resume_from_a_token() -> None:
    features = catalog(12)
    client, _ = async_client_for(StacSearchService(features))
    async with client:
        pages = client.stac.search_items_paged(limit=5).by_page()
        first = [item async for item in await pages.__anext__()]
        token = pages.continuation_token
    assert len(first) == 5

    other, transport = async_client_for(StacSearchService(features))
    async with other:
        rest = [
            item.id
            async for page in other.stac.search_items_paged(limit=5).by_page(token)
            async for item in page
        ]
    assert rest == [feature["id"] for feature in features[5:]]
    assert transport.requests[0].json() == {"limit": 5, "token": "next:5"}


async def test_async_stops_on_an_empty_page() -> None:
    client, transport = async_client_for(StacSearchService(catalog(30), empty_after=1))
    async with client:
        items = [item async for item in client.stac.search_items_paged(limit=5)]
    assert len(items) == 5
    assert len(transport.requests) == 2


async def test_async_matched_and_retry() -> None:
    client, transport = async_client_for(StacSearchService(catalog(7), failures=[429]), retry_total=2)
    async with client:
        pager = client.stac.search_items_paged(limit=5)
        assert await pager.matched() == 7
        assert len([item async for item in pager]) == 7
    assert [request.json().get("token") for request in transport.requests] == [None, None, "next:5"]


async def test_async_refuses_bad_arguments_before_any_request() -> None:
    client, transport = async_client_for(StacSearchService(catalog(1)))
    async with client:
        with pytest.raises(ValueError, match=r"^bbox"):
            client.stac.search_items_paged(bbox=[1, 2, 3])
        with pytest.raises(ValueError, match=r"^limit"):
            client.stac.search_items_paged(limit=0)
    assert transport.requests == []


async def test_async_generated_search_is_retried() -> None:
    client, transport = async_client_for(StacSearchService(catalog(2), failures=[503]), retry_total=2)
    async with client:
        page = await client.stac.search({"limit": 5})
    assert len(page.features) == 2
    assert len(transport.requests) == 2


def _iter_ids(pages: Iterator[Any]) -> list[str]:
    return [item.id for page in pages for item in page]


# --------------------------------------------------------------------------------------------------
# Answers that would page forever or end a search silently (issue 20, items 7, 10 and 14)
# --------------------------------------------------------------------------------------------------


def cycling_service(request: CapturedRequest) -> CannedResponse:
    """Page A links to page B, and page B back to page A (an endless pager fails after 10 pages)."""
    cycling_service.calls = getattr(cycling_service, "calls", 0) + 1  # type: ignore[attr-defined]
    assert cycling_service.calls % 10, "paged on through a next-link cycle"  # type: ignore[attr-defined]
    token = request.json().get("token") if request.method == "POST" else None
    here, there = ("B", "A") if token == "B" else ("A", "B")
    features = catalog(4)[:2] if here == "A" else catalog(4)[2:]
    body = {"limit": 2, "token": "B"} if there == "B" else {"limit": 2}  # back to the first request
    link = {"rel": "next", "method": "POST", "href": SEARCH_URL, "body": body}
    return CannedResponse.json({"type": "FeatureCollection", "features": features, "links": [link]})


def test_a_next_link_cycle_raises_naming_the_pages_instead_of_paging_forever() -> None:
    client, transport = client_for(cycling_service)
    seen: list[str] = []
    with pytest.raises(HttpResponseError, match=r"search page 2 \(POST .*leads back to page 1") as raised:
        for item in client.stac.search_items_paged(limit=2):
            seen.append(item.id)
    assert "cycle" in str(raised.value)
    assert len(seen) == 4 and len(set(seen)) == 4  # every item once, no duplicates
    assert len(transport.requests) == 2


def test_passes_over_the_same_pager_are_not_a_cycle() -> None:
    client, transport = client_for(StacSearchService(catalog(12)))
    pager = client.stac.search_items_paged(limit=5)
    assert len(list(pager.by_page())) == 3
    assert len(list(pager.by_page())) == 3  # a second pass requests the same pages again
    assert len(transport.requests) == 6


async def test_async_a_next_link_cycle_raises() -> None:
    client, transport = async_client_for(cycling_service)
    async with client:
        with pytest.raises(HttpResponseError, match="leads back to page 1"):
            _ = [item async for item in client.stac.search_items_paged(limit=2)]
    assert len(transport.requests) == 2


def _not_a_page(kind: str) -> bytes:
    if kind == "error-object":
        return json.dumps({"error": {"code": "Internal", "message": "oops"}}).encode()
    if kind == "scalar-features":
        return json.dumps({"type": "FeatureCollection", "features": [1, "x"]}).encode()
    if kind == "wrong-type":
        return json.dumps({"type": "Feature", "features": []}).encode()
    if kind == "list":
        return b"[]"
    assert kind == "deep"
    return b"[" * 100_000 + b"]" * 100_000


NOT_A_PAGE = ["error-object", "scalar-features", "wrong-type", "list", "deep"]


def service_breaking_on(page: int, kind: str) -> Any:
    service = StacSearchService(catalog(12))

    def answer(request: CapturedRequest) -> CannedResponse:
        token = request.json().get("token") if request.method == "POST" else None
        index = int(token.split(":")[1]) // 5 + 1 if token else 1
        if index == page:
            return CannedResponse(
                status=200, headers={"Content-Type": "application/json"}, body=_not_a_page(kind)
            )
        return service(request)

    return answer


@pytest.mark.parametrize("kind", NOT_A_PAGE)
@pytest.mark.parametrize("page", [1, 2])
def test_a_200_that_is_not_a_feature_collection_raises_naming_the_page(page: int, kind: str) -> None:
    client, transport = client_for(service_breaking_on(page, kind))
    received: list[StacItem] = []
    with pytest.raises(DecodeError, match=rf"^search page {page} \(POST {re.escape(SEARCH_URL)}\)") as raised:
        received.extend(client.stac.search_items_paged(limit=5))
    assert raised.value.response is not None and raised.value.response.status_code == 200
    assert len(received) == 5 * (page - 1)  # nothing of the broken page, nothing made up
    assert len(transport.requests) == page


@pytest.mark.parametrize("kind", NOT_A_PAGE)
async def test_async_a_200_that_is_not_a_feature_collection_raises(kind: str) -> None:
    client, _ = async_client_for(service_breaking_on(2, kind))
    async with client:
        with pytest.raises(DecodeError, match=r"^search page 2 "):
            _ = [item async for item in client.stac.search_items_paged(limit=5)]


def test_a_misspelt_keyword_is_refused_at_the_call_naming_the_close_match() -> None:
    client, transport = client_for(StacSearchService(catalog(3)))
    with pytest.raises(TypeError, match=r"'colections'; did you mean 'collections'\?"):
        client.stac.search_items_paged(colections=["naip"])
    with pytest.raises(TypeError, match=r"'retry_totl'; did you mean 'retry_total'\?"):
        client.stac.search_items_paged(retry_totl=1)
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'zzz'$"):
        client.stac.search_items_paged(zzz=1)
    assert transport.requests == []
    assert len(list(client.stac.search_items_paged(limit=5, retry_total=1, logging_enable=False))) == 3


async def test_async_a_misspelt_keyword_is_refused_at_the_call() -> None:
    client, transport = async_client_for(StacSearchService(catalog(3)))
    async with client:
        with pytest.raises(TypeError, match="did you mean 'datetime'"):
            client.stac.search_items_paged(datetme="2021")
    assert transport.requests == []


def test_an_antimeridian_bbox_and_a_leap_second_reach_the_wire() -> None:
    client, transport = client_for(StacSearchService(catalog(3)))
    list(client.stac.search_items_paged(bbox=(170, -20, -170, -10), datetime="1990-12-31T15:59:60-08:00"))
    body = transport.requests[0].json()
    assert body["datetime"] == "1991-01-01T00:00:00Z"
    assert body["intersects"]["coordinates"][0][0][:2] == [[170, -20], [180, -20]]
    assert body["intersects"]["coordinates"][1][0][:2] == [[-180, -20], [-170, -20]]


async def test_async_an_antimeridian_bbox_and_a_leap_second_reach_the_wire() -> None:
    client, transport = async_client_for(StacSearchService(catalog(3)))
    async with client:
        pager = client.stac.search_items_paged(bbox=[179, -18, -179, -16], datetime="2016-12-31T23:59:60Z/..")
        _ = [item async for item in pager]
    body = transport.requests[0].json()
    assert body["datetime"] == "2017-01-01T00:00:00Z/.."
    assert body["intersects"]["type"] == "MultiPolygon" and "bbox" not in body
