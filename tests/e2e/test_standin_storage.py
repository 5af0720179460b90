"""End-to-end tests of the stand-in's Azure-like storage: Azurite, real SAS, revocation, ingestion runs,
tile-path details the official tests found (issue 19 items 3-6) and the visibility-delay test mode.

They need the stand-in (tests/geocatalog/up); skipped when it is not reachable, like the other e2e tests.
Storage URLs come from the seed data (an item's asset href), never from a hard-coded port.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.core.exceptions import HttpResponseError
from azure.planetarycomputer import PlanetaryComputerProClient
from fault_server import FaultServer, RecordedRequest, Reply
from standin import ENDPOINT, needs_standin

pytestmark = needs_standin

NAIP = "naip-atl"
ITEM = "ga_m_3308421_se_16_060_20211114"
TILE = "tiles/WebMercatorQuad/13/2174/3282"
# Azurite's documented development account (public; the same in every Azurite).
ACCOUNT = "devstoreaccount1"
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
BEARER = f"e2e-bearer-{uuid.uuid4().hex}"


class FixedCredential:
    """A TokenCredential with a recognisable token (the stand-in accepts any bearer token)."""

    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        return AccessToken(BEARER, int(time.time()) + 3600)

    def get_token_info(self, *scopes: str, options: object = None) -> AccessTokenInfo:
        return AccessTokenInfo(BEARER, int(time.time()) + 3600)


@pytest.fixture(scope="module")
def client() -> PlanetaryComputerProClient:
    return PlanetaryComputerProClient(ENDPOINT, FixedCredential(), polling_interval=0.2)


@pytest.fixture(scope="module")
def asset_href(client: PlanetaryComputerProClient) -> str:
    href: str = client.stac.get_item(NAIP, ITEM).assets["image"].href
    return href


def account_url(href: str) -> str:
    """``http://host:port/devstoreaccount1`` of a blob href."""
    parts = urllib.parse.urlsplit(href)
    assert parts.path.startswith(f"/{ACCOUNT}/"), href
    return f"{parts.scheme}://{parts.netloc}/{ACCOUNT}"


def service_sas(container: str, expiry: dt.datetime, permissions: str = "rl") -> str:
    """A container SAS signed with the development key, as a storage owner makes one
    (service SAS, version 2020-12-06 string-to-sign)."""
    version = "2020-12-06"
    se = expiry.strftime("%Y-%m-%dT%H:%M:%SZ")
    fields = [
        permissions,
        "",
        se,
        f"/blob/{ACCOUNT}/{container}",
        "",
        "",
        "",
        version,
        "c",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ]
    key = base64.b64decode(ACCOUNT_KEY)
    sig = base64.b64encode(hmac.new(key, "\n".join(fields).encode(), hashlib.sha256).digest()).decode()
    return urllib.parse.urlencode({"sp": permissions, "se": se, "sv": version, "sr": "c", "sig": sig})


def http_get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read(), response.headers.get("content-type", "")
    except urllib.error.HTTPError as err:
        return err.code, err.read(), err.headers.get("content-type", "")


def api(method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        ENDPOINT + path,
        data=data,
        method=method,
        headers={"Authorization": "Bearer e2e", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as err:
        raw = err.read()
        return err.code, json.loads(raw) if raw else None


def tiff_magic(data: bytes) -> bool:
    return data[:4] in (b"II*\x00", b"MM\x00*")


# ------------------------------------------------------------------------------------------ storage + SAS
def test_item_assets_are_blobs_in_the_collection_container(asset_href: str) -> None:
    container = urllib.parse.urlsplit(asset_href).path.split("/")[2]
    assert container.startswith(f"{NAIP}-") and len(container) == len(NAIP) + 9
    int(container[-8:], 16)  # <collection>-<8 hex>
    status, body, _ = http_get(asset_href)
    assert status == 403 and b"AuthorizationFailure" in body  # Azurite: no anonymous access


def test_signed_download_works_and_the_bearer_token_never_reaches_storage(
    client: PlanetaryComputerProClient, asset_href: str, tmp_path: Path
) -> None:
    signed = client.sas.get_url(href=asset_href).href
    assert signed.startswith(asset_href + "?") and "sig=" in signed
    azurite = urllib.parse.urlsplit(signed)

    def forward(request: RecordedRequest) -> Reply:  # a recording proxy in front of Azurite
        status, body, ctype = http_get(f"{azurite.scheme}://{azurite.netloc}{request.target}")
        return Reply.data(body, ctype or "application/octet-stream", status)

    with FaultServer() as proxy:
        proxy.route("/*", forward)
        through_proxy = azurite._replace(netloc=urllib.parse.urlsplit(proxy.url).netloc).geturl()
        path = client.sas.download_asset(through_proxy, tmp_path / "image.tif")
        assert tiff_magic(path.read_bytes())  # Azurite verified the signature
        (request,) = list(proxy.matching())
        assert request.path == azurite.path
        assert request.header("Authorization") is None
        assert all(BEARER not in value for _, value in request.headers)


def test_sign_refuses_hrefs_outside_the_catalog_storage(
    client: PlanetaryComputerProClient, asset_href: str
) -> None:
    foreign = [  # the same account but not a collection's container; another host
        f"{account_url(asset_href)}/ingest-samples/naip-extra/catalog.json",
        "https://example.com/data/image.tif",
    ]
    for href in foreign:
        with pytest.raises(HttpResponseError) as info:
            client.sas.get_url(href=href)
        assert info.value.status_code == 400
        assert info.value.error is not None and info.value.error.code == "InvalidHref"


def test_expired_signature_is_refused_by_storage(
    client: PlanetaryComputerProClient, asset_href: str, tmp_path: Path
) -> None:
    container = urllib.parse.urlsplit(asset_href).path.split("/")[2]
    now = dt.datetime.now(dt.timezone.utc)
    valid = f"{asset_href}?{service_sas(container, now + dt.timedelta(minutes=5))}"
    assert tiff_magic(
        client.sas.download_asset(valid, tmp_path / "ok.tif").read_bytes()
    )  # the signer is right
    expired = f"{asset_href}?{service_sas(container, now - dt.timedelta(seconds=5))}"
    with pytest.raises(HttpResponseError) as info:
        client.sas.download_asset(expired, tmp_path / "expired.tif")
    assert info.value.status_code == 403
    assert "sig=" not in str(info.value) or "sig=REDACTED" in str(info.value)
    assert not (tmp_path / "expired.tif").exists()


def test_stand_in_tokens_expire_when_they_say(client: PlanetaryComputerProClient) -> None:
    before = dt.datetime.now(dt.timezone.utc)
    token = client.sas.get_token(NAIP, duration_in_minutes=5)
    expires = token.expires_on
    assert expires is not None
    # never shorter than asked, at most a minute longer (policies are kept per minute)
    assert before + dt.timedelta(minutes=5) <= expires <= before + dt.timedelta(minutes=6, seconds=5)


def test_revoke_refuses_earlier_tokens_and_not_one_issued_in_the_same_second(
    client: PlanetaryComputerProClient, asset_href: str, tmp_path: Path
) -> None:
    old = client.sas.get_url(href=asset_href).href
    assert tiff_magic(client.sas.download_asset(old, tmp_path / "before.tif").read_bytes())
    for _ in range(5):  # a revoke and a new token in the same wall-clock second
        revoked_at = time.time()
        client.sas.revoke_token()
        new = client.sas.get_url(href=asset_href).href
        if int(time.time()) == int(revoked_at):
            break
    else:
        pytest.fail("could not issue a token in the same second as the revoke")
    assert tiff_magic(client.sas.download_asset(new, tmp_path / "after.tif").read_bytes())
    with pytest.raises(HttpResponseError) as info:
        client.sas.download_asset(old, tmp_path / "revoked.tif")
    assert info.value.status_code == 403


# ------------------------------------------------------------------------------------------ ingestion
def _collection_body(collection_id: str) -> dict:
    return {
        "id": collection_id,
        "type": "Collection",
        "stac_version": "1.0.0",
        "description": "Temporary collection of the e2e ingestion tests",
        "license": "proprietary",
        "links": [],
        "extent": {
            "spatial": {"bbox": [[-180, -90, 180, 90]]},
            "temporal": {"interval": [["2020-01-01T00:00:00Z", None]]},
        },
    }


def _run_ingestion(client: PlanetaryComputerProClient, asset_href: str, definition: dict) -> tuple[str, Any]:
    """Create a collection, an ingestion source for the samples container and ``definition``; run it."""
    collection_id = f"e2e-ingest-{uuid.uuid4().hex[:8]}"
    client.stac.begin_create_collection(body=_collection_body(collection_id)).result()
    samples = f"{account_url(asset_href)}/ingest-samples"
    token = service_sas("ingest-samples", dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1))
    source = client.ingestion.create_source(
        body={
            "id": str(uuid.uuid4()),
            "kind": "SasToken",
            "connectionInfo": {"containerUrl": samples, "sasToken": token},
        }
    )
    try:
        body = {
            k: v.replace("{samples}", samples) if isinstance(v, str) else v for k, v in definition.items()
        }
        ingestion = client.ingestion.create(collection_id, body=body)
        run = client.ingestion.create_run(collection_id, ingestion.id)
        seen = [run.operation.status]
        deadline = time.time() + 120
        while time.time() < deadline:
            run = client.ingestion.get_run(collection_id, ingestion.id, run.id)
            seen.append(run.operation.status)
            if run.operation.status in ("Succeeded", "Failed", "Canceled"):
                break
            time.sleep(0.3)
        assert seen[0] == "Pending" and "Running" in seen and seen[-1] in ("Succeeded", "Failed"), seen
        return collection_id, run
    finally:
        client.ingestion.delete_source(source.id)


def test_static_catalog_ingestion_counts_items_and_copies_assets(
    client: PlanetaryComputerProClient, asset_href: str, tmp_path: Path
) -> None:
    collection_id, run = _run_ingestion(
        client,
        asset_href,
        {
            "importType": "StaticCatalog",
            "displayName": "e2e",
            "sourceCatalogUrl": "{samples}/naip-extra/catalog.json",
        },
    )
    try:
        op = run.operation
        assert op.status == "Succeeded"
        assert (op.total_items, op.total_successful_items, op.total_failed_items, op.total_pending_items) == (
            8,
            5,
            3,
            0,
        )
        errors = {entry.error_code: entry.error_message for entry in op.status_history if entry.error_code}
        messages = " ".join(e.error_message or "" for e in op.status_history if e.error_code)
        assert set(errors) == {"InvalidItem", "AssetNotFound", "InvalidJson"}
        for broken in ("ga_m_broken_no_geometry", "ga_m_broken_missing_asset", "ga_m_broken_not_json"):
            assert broken in messages
        page = client.stac.search(body={"collections": [collection_id], "limit": 20})
        assert sorted(f.id for f in page.features) == [f"ga_m_ingested_{k}" for k in range(5)]
        item = client.stac.get_item(collection_id, "ga_m_ingested_0")
        href = item.assets["image"].href
        container = urllib.parse.urlsplit(href).path.split("/")[2]
        assert container.startswith(f"{collection_id}-")  # copied into the collection's container
        assert set(item.assets) == {"image", "thumbnail", "metadata", "tilejson", "rendered_preview"}
        signed = client.sas.get_url(href=href).href
        assert tiff_magic(client.sas.download_asset(signed, tmp_path / "ingested.tif").read_bytes())
    finally:
        client.stac.begin_delete_collection(collection_id).result()


def test_stac_geoparquet_ingestion(client: PlanetaryComputerProClient, asset_href: str) -> None:
    collection_id, run = _run_ingestion(
        client,
        asset_href,
        {
            "importType": "StacGeoparquet",
            "displayName": "e2e",
            "stacGeoparquetUrl": "{samples}/parquet/items.parquet",
        },
    )
    try:
        assert run.operation.status == "Succeeded"
        assert (run.operation.total_items, run.operation.total_successful_items) == (4, 4)
        item = client.stac.get_item(collection_id, "S2_PARQUET_02")
        assert item.properties["eo:cloud_cover"] == 20.0
        assert f"/{collection_id}-" in item.assets["B04"].href
    finally:
        client.stac.begin_delete_collection(collection_id).result()


def test_ingestion_without_a_source_for_the_container_fails(
    client: PlanetaryComputerProClient, asset_href: str
) -> None:
    collection_id = f"e2e-ingest-{uuid.uuid4().hex[:8]}"
    client.stac.begin_create_collection(body=_collection_body(collection_id)).result()
    try:
        catalog = f"{account_url(asset_href)}/ingest-samples/naip-extra/catalog.json"
        ingestion = client.ingestion.create(
            collection_id, body={"importType": "StaticCatalog", "sourceCatalogUrl": catalog}
        )
        run = client.ingestion.create_run(collection_id, ingestion.id)
        deadline = time.time() + 30
        while time.time() < deadline and run.operation.status not in ("Succeeded", "Failed"):
            time.sleep(0.3)
            run = client.ingestion.get_run(collection_id, ingestion.id, run.id)
        assert run.operation.status == "Failed"
        assert run.operation.status_history[-1].error_code == "SourceNotAuthorized"
    finally:
        client.stac.begin_delete_collection(collection_id).result()


# ------------------------------------------------------------------------------------------ tiles (issue 19)
def _register_search() -> str:
    status, body = api("POST", "/data/mosaic/register", {"collections": [NAIP]})
    assert status == 200
    return str(body["searchid"])


@pytest.mark.parametrize("scale,size", [(1, 256), (2, 512)])
def test_search_tiles_with_a_scale_suffix(scale: int, size: int) -> None:
    search = _register_search()
    query = "assets=image&asset_bidx=image%7C1%2C2%2C3"
    url = f"{ENDPOINT}/data/mosaic/searches/{search}/{TILE}@{scale}x.png?{query}"
    status, body, ctype = http_get(url, {"Authorization": "Bearer e2e"})
    assert status == 200, body[:300]
    assert ctype == "image/png"
    assert body[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(body[16:20], "big"), int.from_bytes(body[20:24], "big")
    assert (width, height) == (size, size)


def test_raw_comma_in_asset_bidx_renders_like_the_encoded_form() -> None:
    base = f"{ENDPOINT}/data/mosaic/collections/{NAIP}/items/{ITEM}/{TILE}.png?assets=image"
    auth = {"Authorization": "Bearer e2e"}
    _, encoded, _ = http_get(base + "&asset_bidx=image%7C1%2C2%2C3", auth)
    _, raw, _ = http_get(base + "&asset_bidx=image|1,2,3", auth)
    _, single, _ = http_get(base + "&asset_bidx=image|1", auth)
    assert encoded[:8] == b"\x89PNG\r\n\x1a\n"
    assert raw == encoded
    assert single != encoded  # one band renders differently: the comparison can fail


# ------------------------------------------------------------------------------------------ visibility delay
def test_visibility_delay_mode(client: PlanetaryComputerProClient) -> None:
    item = client.stac.get_item(NAIP, ITEM).as_dict()
    new_id = f"e2e-delayed-{uuid.uuid4().hex[:8]}"
    body = dict(item, id=new_id, links=[])
    assert api("PUT", "/_standin/visibility-delay", {"seconds": 3})[0] == 200
    try:
        client.stac.begin_create_item(NAIP, body=body).result()  # succeeds at once...
        done = time.monotonic()
        with pytest.raises(HttpResponseError) as info:  # ...but is not visible yet
            client.stac.get_item(NAIP, new_id)
        assert info.value.status_code == 404
        assert time.monotonic() - done < 3
        time.sleep(max(0.0, 3.5 - (time.monotonic() - done)))
        assert client.stac.get_item(NAIP, new_id).id == new_id

        client.stac.begin_delete_item(NAIP, new_id).result()
        done = time.monotonic()
        assert client.stac.get_item(NAIP, new_id).id == new_id  # a delete keeps it visible for a while
        time.sleep(max(0.0, 3.5 - (time.monotonic() - done)))
        with pytest.raises(HttpResponseError) as info:
            client.stac.get_item(NAIP, new_id)
        assert info.value.status_code == 404
    finally:
        assert api("PUT", "/_standin/visibility-delay", {"seconds": 0})[0] == 200
        if (
            api("GET", f"/stac/collections/{NAIP}/items/{new_id}")[0] == 200
        ):  # a failed run leaves no item behind
            api("DELETE", f"/stac/collections/{NAIP}/items/{new_id}")


def test_visibility_delay_mode_for_collections_and_render_options(client: PlanetaryComputerProClient) -> None:
    collection_id = f"e2e-delay-{uuid.uuid4().hex[:8]}"
    body = _collection_body(collection_id)
    client.stac.begin_create_collection(body=body).result()
    option = {"id": "rgb", "name": "RGB", "type": "raster-tile", "options": "assets=image", "minZoom": 6}
    path = f"/stac/collections/{collection_id}/configurations/render-options"
    try:
        assert api("PUT", "/_standin/visibility-delay", {"seconds": 2})[0] == 200
        status, replaced = api("PUT", f"/stac/collections/{collection_id}", dict(body, title="Replaced"))
        assert status == 200 and replaced["title"] == "Replaced"
        assert api("POST", path, option)[0] == 201
        done = time.monotonic()
        assert client.stac.get_collection(collection_id).title is None  # not visible yet
        assert api("GET", f"{path}/rgb")[0] == 404
        time.sleep(max(0.0, 2.5 - (time.monotonic() - done)))
        assert client.stac.get_collection(collection_id).title == "Replaced"
        assert api("GET", f"{path}/rgb")[1]["name"] == "RGB"
    finally:
        assert api("PUT", "/_standin/visibility-delay", {"seconds": 0})[0] == 200
        client.stac.begin_delete_collection(collection_id).result()


def test_visibility_delay_rejects_bad_bodies() -> None:
    for body in ({"seconds": -1}, {"seconds": "3"}, {"secs": 3}, [3]):
        status, answer = api("PUT", "/_standin/visibility-delay", body)
        assert status == 400 and answer["error"]["code"] == "BadRequest"
