"""The pystac-client bridge: api-version, a bearer token refreshed before expiry, signing as items arrive.

Unit tests drive the request and item modifiers with real ``requests.Request`` and pystac objects;
a FaultServer pair checks that the token never reaches another host; the stand-in test pages
through a search with real pystac-client while the credential's tokens expire during the run.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
import math
import threading
import time
import urllib.request
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pystac
import pytest
import requests
from _capture import CannedResponse, CapturedRequest, CapturingTransport, FakeTokenCredential, shared_path
from azure.core.credentials import AccessToken, AccessTokenInfo, TokenRequestOptions
from azure.planetarycomputer import PlanetaryComputerProClient
from azure.planetarycomputer._bridges import (
    AssetSigningModifier,
    BearerTokenSource,
    GeoCatalogRequestModifier,
    open_pystac_client,
)
from azure.planetarycomputer._bridges._operations import default_modifier
from fault_server import FaultServer, Reply
from standin import ENDPOINT as STANDIN
from standin import needs_standin

ENDPOINT = "https://cat.geocatalog.spatio.azure.com"
API_VERSION = "2026-04-15"
SCOPE = "https://geocatalog.spatio.azure.com/.default"


class ShortLivedCredential:
    """Issues numbered tokens that expire ``lifetime`` seconds after issue, and logs each one."""

    def __init__(self, lifetime: float, clock: Any = time.time, refresh_in: float | None = None) -> None:
        self.lifetime = lifetime
        self.clock = clock
        self.refresh_in = refresh_in
        self.issued: list[tuple[str, float]] = []
        self._lock = threading.Lock()

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        info = self.get_token_info(*scopes)
        return AccessToken(info.token, info.expires_on)

    def get_token_info(self, *scopes: str, options: TokenRequestOptions | None = None) -> AccessTokenInfo:
        assert scopes == (SCOPE,)
        with self._lock:
            token = f"token-{len(self.issued) + 1}"
            expires_on = math.ceil(self.clock() + self.lifetime)
            self.issued.append((token, expires_on))
        refresh_on = None if self.refresh_in is None else int(self.clock() + self.refresh_in)
        return AccessTokenInfo(token, expires_on, refresh_on=refresh_on)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


# --------------------------------------------------------------------------------------------------
# The token source
# --------------------------------------------------------------------------------------------------


def test_a_token_is_reused_until_five_minutes_before_it_expires() -> None:
    clock = Clock()
    credential = ShortLivedCredential(lifetime=3600, clock=clock)
    tokens = BearerTokenSource(credential, [SCOPE], clock=clock)

    assert tokens.token() == "token-1"
    clock.now += 3600 - 301
    assert tokens.token() == "token-1"
    clock.now += 2  # now 299 s before expiry: within the margin
    assert tokens.token() == "token-2"
    assert tokens.fetches == 2 and len(credential.issued) == 2


def test_refresh_on_from_the_credential_comes_first_and_get_token_alone_works() -> None:
    clock = Clock()
    tokens = BearerTokenSource(ShortLivedCredential(3600, clock, refresh_in=600), [SCOPE], clock=clock)
    assert tokens.token() == "token-1"
    clock.now += 601
    assert tokens.token() == "token-2"

    class OnlyGetToken:
        def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
            return AccessToken("plain", int(clock.now) + 200)  # always inside the margin

    plain = BearerTokenSource(OnlyGetToken(), [SCOPE], clock=clock)
    assert plain.token() == plain.token() == "plain" and plain.fetches == 2
    assert "plain" not in repr(plain)


def test_concurrent_callers_share_one_fetch() -> None:
    tokens = BearerTokenSource(ShortLivedCredential(3600), [SCOPE])
    threads = [threading.Thread(target=tokens.token) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert tokens.fetches == 1


def test_bad_credentials_and_scopes_are_refused_early() -> None:
    class AsyncCredential:
        async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
            raise AssertionError("never called")

    with pytest.raises(TypeError, match="synchronous TokenCredential"):
        BearerTokenSource(AsyncCredential(), [SCOPE])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="credential must be a TokenCredential"):
        BearerTokenSource(object(), [SCOPE])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="scopes"):
        BearerTokenSource(FakeTokenCredential(), SCOPE)
    with pytest.raises(ValueError, match="scopes"):
        BearerTokenSource(FakeTokenCredential(), [])


# --------------------------------------------------------------------------------------------------
# The request modifier
# --------------------------------------------------------------------------------------------------


def modifier(credential: Any = None) -> GeoCatalogRequestModifier:
    return GeoCatalogRequestModifier(
        ENDPOINT, API_VERSION, BearerTokenSource(credential or FakeTokenCredential("tok"), [SCOPE])
    )


def prepared(request: requests.Request) -> requests.PreparedRequest:
    return requests.Session().prepare_request(request)


def test_requests_to_the_endpoint_get_api_version_and_the_token() -> None:
    change = modifier()
    get = prepared(change(requests.Request("GET", f"{ENDPOINT}/stac/search", params={"limit": 5})))
    post = prepared(change(requests.Request("POST", f"{ENDPOINT}/stac/search", json={"limit": 5})))
    explicit_port = prepared(
        change(requests.Request("GET", "https://cat.geocatalog.spatio.azure.com:443/stac"))
    )

    for request in (get, post, explicit_port):
        assert request.headers["Authorization"] == "Bearer tok"
        assert dict(parse_qsl(urlsplit(str(request.url)).query))["api-version"] == API_VERSION
    assert isinstance(post.body, bytes) and json.loads(post.body) == {"limit": 5}


def test_params_given_as_pairs_are_kept() -> None:
    request = requests.Request("GET", f"{ENDPOINT}/stac/search", params=[("ids", "a"), ("ids", "b")])
    query = parse_qsl(urlsplit(str(prepared(modifier()(request)).url)).query)
    assert sorted(query) == [("api-version", API_VERSION), ("ids", "a"), ("ids", "b")]
    given = requests.Request("GET", f"{ENDPOINT}/stac", params=[("api-version", "2025-01-01")])
    query = parse_qsl(urlsplit(str(prepared(modifier()(given)).url)).query)
    assert query == [("api-version", "2025-01-01")]


def test_an_api_version_already_in_the_url_is_not_repeated() -> None:
    request = modifier()(requests.Request("GET", f"{ENDPOINT}/stac/search?token=abc&api-version=2025-01-01"))
    query = parse_qsl(urlsplit(str(prepared(request).url)).query)
    assert [value for name, value in query if name == "api-version"] == ["2025-01-01"]


@pytest.mark.parametrize(
    "url",
    [
        "https://storage.blob.core.windows.net/c/x.tif",
        "http://cat.geocatalog.spatio.azure.com/stac",  # another scheme
        "https://cat.geocatalog.spatio.azure.com:8443/stac",  # another port
        "https://cat.geocatalog.spatio.azure.com.evil.example/stac",
        "https://user@cat.geocatalog.spatio.azure.com/stac",
    ],
)
def test_other_origins_get_neither_token_nor_api_version(url: str) -> None:
    credential = ShortLivedCredential(3600)
    request = requests.Request("GET", url, headers={"Authorization": "Bearer leaked"})
    sent = prepared(modifier(credential)(request))
    assert "Authorization" not in sent.headers
    assert "api-version" not in str(sent.url)
    assert credential.issued == []


def test_the_token_never_follows_a_link_to_another_host() -> None:
    feature: dict[str, Any] = {
        "type": "Feature", "stac_version": "1.0.0", "id": "a", "geometry": None, "links": [], "assets": {},
        "properties": {"datetime": "2024-01-01T00:00:00Z"},
    }  # fmt: skip
    with FaultServer() as api, FaultServer("127.0.0.2") as elsewhere:
        elsewhere_page = {"type": "FeatureCollection", "features": [feature], "links": []}
        elsewhere.script("/stac/search", Reply.json(elsewhere_page))
        conformance = ["https://api.stacspec.org/v1.0.0/core", "https://api.stacspec.org/v1.0.0/item-search"]
        search_link = {"rel": "search", "href": f"{api.url}/stac/search", "method": "POST"}
        search_link["type"] = "application/geo+json"
        landing = {
            "type": "Catalog", "id": "gc", "description": "d", "stac_version": "1.0.0",
            "conformsTo": conformance, "links": [search_link],
        }  # fmt: skip
        first_page = {
            "type": "FeatureCollection", "features": [feature],
            "links": [{"rel": "next", "href": f"{elsewhere.url}/stac/search?page=2", "method": "GET"}],
        }  # fmt: skip
        api.script("/stac", Reply.json(landing))
        api.script("/stac/search", Reply.json(first_page))
        client = PlanetaryComputerProClient(api.url, FakeTokenCredential("secret-token"))

        catalog = client.stac.open_pystac_client(modifier=None)
        pages = list(catalog.search(collections=["x"]).pages_as_dicts())

        assert len(pages) == 2
        for request in api.requests:
            assert request.header("Authorization") == "Bearer secret-token"
            assert request.query["api-version"] == client._config.api_version
        [followed] = elsewhere.requests
        assert followed.header("Authorization") is None and "api-version" not in followed.query


# --------------------------------------------------------------------------------------------------
# The signing modifier
# --------------------------------------------------------------------------------------------------

RECORDED_ITEM = (
    "test_planetary_computer_02_stac_specification.pyTestPlanetaryComputerStacSpecification"
    "test_12_get_item.json"
)
SECRET = "SECRETsig0123"


def recorded_item() -> dict[str, Any]:
    entries = json.loads(shared_path("recordings", RECORDED_ITEM).read_text())["Entries"]
    [item] = [
        e["ResponseBody"]
        for e in entries
        if isinstance(e["ResponseBody"], dict) and e["ResponseBody"].get("type") == "Feature"
    ][:1]
    item["assets"] = {name: a for name, a in item["assets"].items() if ".blob.core.windows.net/" in a["href"]}
    assert item["assets"]
    return item


def sas_answer(request: CapturedRequest) -> CannedResponse:
    assert request.path.startswith("/sas/token/"), request.url
    expiry = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return CannedResponse.json({"msft:expiry": expiry, "token": f"se={expiry}&sp=rl&sig={SECRET}"})


def signed(href: str) -> bool:
    return dict(parse_qsl(urlsplit(href).query)).get("sig") == SECRET


def test_the_default_modifier_signs_items_collections_and_their_json_in_place() -> None:
    transport = CapturingTransport(sas_answer)
    client = PlanetaryComputerProClient(ENDPOINT, FakeTokenCredential(), transport=transport)
    sign = default_modifier(client.stac)
    source = recorded_item()

    item = pystac.Item.from_dict(copy.deepcopy(source))
    collection_of_items = pystac.ItemCollection([pystac.Item.from_dict(copy.deepcopy(source))])
    as_json = copy.deepcopy(source)
    page_json: dict[str, Any] = {"type": "FeatureCollection", "features": [copy.deepcopy(source)]}
    for obj in (item, collection_of_items, as_json, page_json):
        assert sign(obj) is None  # pystac-client's modifiers work in place

    assert all(signed(a.href) for a in item.assets.values())
    assert all(signed(a.href) for a in collection_of_items.items[0].assets.values())
    assert all(signed(a["href"]) for a in as_json["assets"].values())
    assert all(signed(a["href"]) for a in page_json["features"][0]["assets"].values())
    # One token for the item's container, then the cache: sas.sign's behaviour.
    assert [r.path for r in transport.requests] == [f"/sas/token/{source['collection']}"]


def test_a_modifier_for_something_else_is_refused() -> None:
    with pytest.raises(TypeError, match="sign must be callable"):
        AssetSigningModifier("sign")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="cannot sign the assets of a int"):
        AssetSigningModifier(lambda hrefs, collection_id: hrefs)(3)
    client = PlanetaryComputerProClient(ENDPOINT, FakeTokenCredential())
    with pytest.raises(ValueError, match="modifier must be 'sas', None or a callable"):
        client.stac.open_pystac_client(modifier="sign")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="modifier must be callable"):
        open_pystac_client(
            ENDPOINT,
            FakeTokenCredential(),
            api_version="x",
            credential_scopes=[SCOPE],
            modifier=3,  # type: ignore[arg-type]
        )


# --------------------------------------------------------------------------------------------------
# On the stand-in: several pages, tokens expiring during the run, items signed as they arrive
# --------------------------------------------------------------------------------------------------

COLLECTION = "sentinel-mini"


@needs_standin[0]
@needs_standin[1]
def test_pystac_client_pages_through_a_search_while_tokens_expire() -> None:
    # Each token is valid for 301 s (rounded up to a whole second): inside the 5-minute refresh
    # margin after 1 to 2 seconds.
    credential = ShortLivedCredential(lifetime=301)
    client = PlanetaryComputerProClient(STANDIN, credential)
    helper = PlanetaryComputerProClient(STANDIN, FakeTokenCredential())  # for what is not under test
    expected = sorted(item.id for item in helper.stac.search_items_paged(collections=COLLECTION))
    assert len(expected) > 50

    container_tokens: dict[str, str] = {}

    def sign_on_standin(hrefs: list[str], collection_id: str | None = None) -> list[str]:
        # The stand-in's storage is a local route, which sas.sign does not treat as managed storage;
        # this signs the same way, with the stand-in's SAS token for the collection's container.
        assert collection_id == COLLECTION
        if collection_id not in container_tokens:
            container_tokens[collection_id] = helper.sas.get_token(collection_id).token
        return [f"{href}?{container_tokens[collection_id]}" for href in hrefs]

    catalog = client.stac.open_pystac_client(modifier=AssetSigningModifier(sign_on_standin))
    sent: list[tuple[str, Any]] = []

    def record(response: requests.Response, **_: Any) -> None:
        sent.append((str(response.request.url), response.request.headers.get("Authorization")))

    assert catalog._stac_io is not None
    catalog._stac_io.session.hooks["response"].append(record)

    items: list[pystac.Item] = []
    pages = catalog.search(collections=[COLLECTION], limit=10).pages()
    for number, page in enumerate(pages):
        items += page.items
        if number in (1, 3):
            time.sleep(2.1)  # the token in use is now within 5 minutes of expiry

    assert sorted(item.id for item in items) == expected
    searches = [url for url, _ in sent if urlsplit(url).path == "/stac/search"]
    assert len(searches) >= 6
    for url, authorization in sent:
        assert dict(parse_qsl(urlsplit(url).query)).get("api-version") == client._config.api_version, url
        assert authorization is not None and authorization.startswith("Bearer token-")
    used = [authorization.removeprefix("Bearer ") for _, authorization in sent if authorization]
    issued = [token for token, _ in credential.issued]
    assert len(issued) >= 3  # fetched again after each pause
    assert [token for token, _ in itertools.groupby(used)] == issued  # in order, none stale after a newer one
    for item in items:
        for asset in item.assets.values():
            assert "sig=" in asset.href
    with urllib.request.urlopen(items[0].assets["B04"].href, timeout=10) as response:
        assert response.status == 200 and response.read(4) in (b"II*\x00", b"MM\x00*")
