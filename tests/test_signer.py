"""``client.sas.signer()``: an AssetSigner that signs hrefs, our models, dicts and pystac objects,
re-signs near expiry, is safe under threads, and pickles into another process that signs on its own.

The GeoCatalog is a FaultServer whose ``/sas/sign`` signs hrefs of ``acct.blob.core.windows.net``
with a token valid for ``TOKEN_MINUTES`` (per server) and refuses others. The pickle test unpickles
the signer in a real ``python`` subprocess, which signs against the same server.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from _capture import FAKE_TOKEN, FakeAsyncTokenCredential, FakeTokenCredential
from azure.planetarycomputer import AssetSigner, PlanetaryComputerProClient
from azure.planetarycomputer.aio import PlanetaryComputerProClient as AsyncPlanetaryComputerProClient
from azure.planetarycomputer.models import StacItem, StacItemCollection
from fault_server import FaultServer, RecordedRequest, Reply

OWN = "https://acct.blob.core.windows.net"
CONTAINER = "naip-bf48131e"
HREF = f"{OWN}/{CONTAINER}/a.tif"
TESTS = Path(__file__).resolve().parent


def _expiry(minutes: float) -> str:
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


class Service:
    """``/sas/sign`` for the ``acct`` account; every answer carries a new, numbered signature."""

    def __init__(self, minutes: float = 60) -> None:
        self.minutes = minutes
        self.issued = 0
        self.lock = threading.Lock()

    def __call__(self, request: RecordedRequest) -> Reply:
        href = request.query["href"]
        if not href.startswith(OWN + "/"):
            return Reply.error(400, "InvalidHref", "not this GeoCatalog's storage")
        with self.lock:
            self.issued += 1
            number = self.issued
        expiry = _expiry(self.minutes)
        return Reply.json(
            {"href": f"{href}?sv=2025-01-05&sr=c&sp=rl&se={expiry}&sig=SIG{number}", "msft:expiry": expiry}
        )


def sig(href: str) -> str | None:
    return dict(parse_qsl(urlsplit(href).query)).get("sig")


def asked(endpoint: FaultServer) -> int:
    return endpoint.count("/sas/sign")


@pytest.fixture
def endpoint() -> Iterator[FaultServer]:
    with FaultServer() as running:
        running.route("/sas/sign", Service())
        yield running


@pytest.fixture
def client(endpoint: FaultServer) -> Iterator[PlanetaryComputerProClient]:
    with PlanetaryComputerProClient(endpoint.url, FakeTokenCredential(), retry_total=0) as made:
        yield made


def _item(*hrefs: str) -> dict[str, Any]:
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": "item-1",
        "collection": "naip",
        "geometry": None,
        "properties": {"datetime": "2024-01-01T00:00:00Z"},
        "links": [],
        "assets": {f"a{index}": {"href": href} for index, href in enumerate(hrefs)},
    }


# --------------------------------------------------------------------------------------------------
# What it signs
# --------------------------------------------------------------------------------------------------


def test_hrefs_models_and_dicts_come_back_signed_as_copies(client: PlanetaryComputerProClient) -> None:
    signer = client.sas.signer()
    assert isinstance(signer, AssetSigner)
    assert sig(signer(HREF)) == "SIG1"
    raw = _item(HREF, "https://example.com/public.tif")
    signed = signer(raw)
    assert signed is not raw and raw["assets"]["a0"]["href"] == HREF  # a copy; the input is unchanged
    assert sig(signed["assets"]["a0"]["href"]) == "SIG1" and signed["assets"]["a1"] == raw["assets"]["a1"]
    model = signer(StacItem(raw))
    assert isinstance(model, StacItem) and sig(model.assets["a0"].href) == "SIG1"
    page = signer(StacItemCollection({"type": "FeatureCollection", "features": [raw]}))
    assert isinstance(page, StacItemCollection) and sig(page.features[0].assets["a0"].href) == "SIG1"
    with pytest.raises(TypeError, match="obj"):
        signer(42)


def test_the_signer_shares_the_clients_cache(
    client: PlanetaryComputerProClient, endpoint: FaultServer
) -> None:
    client.sas.sign(HREF)
    signer = client.sas.signer()
    assert sig(signer(f"{OWN}/{CONTAINER}/b.tif")) == "SIG1"
    assert asked(endpoint) == 1


def test_sign_inplace_is_a_pystac_client_modifier(client: PlanetaryComputerProClient) -> None:
    signer = client.sas.signer()
    raw = _item(HREF)
    assert signer.sign_inplace(raw) is None  # type: ignore[func-returns-value]
    assert sig(raw["assets"]["a0"]["href"]) == "SIG1"
    page: dict[str, Any] = {"type": "FeatureCollection", "features": [_item(HREF)]}
    signer.sign_inplace(page)
    assert sig(page["features"][0]["assets"]["a0"]["href"]) == "SIG1"
    model = StacItem(_item(HREF))
    signer.sign_inplace(model)
    assert sig(model.assets["a0"].href) == "SIG1"
    with pytest.raises(TypeError, match="in place"):
        signer.sign_inplace(HREF)


def test_pystac_objects(client: PlanetaryComputerProClient) -> None:
    import pystac  # the test extra installs it; the library itself never imports it

    signer = client.sas.signer()
    item = pystac.Item.from_dict(_item(HREF, "https://example.com/public.tif"))
    copied = signer(item)
    assert isinstance(copied, pystac.Item) and copied is not item
    assert sig(copied.assets["a0"].href) == "SIG1" and item.assets["a0"].href == HREF
    assert copied.assets["a1"].href == "https://example.com/public.tif"

    asset = signer(item.assets["a0"])
    assert isinstance(asset, pystac.Asset) and sig(asset.href) == "SIG1"

    items = pystac.ItemCollection([pystac.Item.from_dict(_item(HREF)), pystac.Item.from_dict(_item(HREF))])
    assert signer.sign_inplace(items) is None  # type: ignore[func-returns-value]
    assert [sig(i.assets["a0"].href) for i in items] == ["SIG1", "SIG1"]

    collection = pystac.Collection(
        "naip",
        "NAIP",
        pystac.Extent(
            pystac.SpatialExtent([[-180.0, -90.0, 180.0, 90.0]]),
            pystac.TemporalExtent([[dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc), None]]),
        ),
    )
    collection.add_asset("thumbnail", pystac.Asset(f"{OWN}/{CONTAINER}/thumb.png"))
    signer.sign_inplace(collection)
    assert sig(collection.assets["thumbnail"].href) == "SIG1"


# --------------------------------------------------------------------------------------------------
# Expiry: re-signed when the signature is about to run out
# --------------------------------------------------------------------------------------------------


def test_an_href_whose_signature_nears_expiry_is_signed_again() -> None:
    with FaultServer() as endpoint:
        endpoint.route("/sas/sign", Service(minutes=3))  # tokens valid for 3 minutes only
        with PlanetaryComputerProClient(endpoint.url, FakeTokenCredential(), retry_total=0) as client:
            signer = client.sas.signer()
            first = signer(HREF)
            # Inside the 5-minute margin: the cached token is not reused, and the href is signed afresh.
            second = signer(first)
            assert (sig(first), sig(second)) == ("SIG1", "SIG2")
            assert second.count("sig=") == 1
            # A signature valid for longer than the margin is kept as it is, with no request.
            valid = f"{HREF}?sv=1&se={_expiry(60)}&sig=STILLGOOD"
            assert signer(valid) == valid
            assert asked(endpoint) == 2


def test_the_margin_is_a_keyword() -> None:
    with FaultServer() as endpoint:
        endpoint.route("/sas/sign", Service(minutes=60))
        with PlanetaryComputerProClient(endpoint.url, FakeTokenCredential(), retry_total=0) as client:
            default = client.sas.signer()
            first = default(HREF)
            assert default(first) == first  # an hour left: fine by 5 minutes
            strict = client.sas.signer(margin=dt.timedelta(hours=2))
            assert sig(strict(first)) == "SIG2"  # an hour left is too little for a 2-hour computation
        with pytest.raises(TypeError, match="margin"):
            client.sas.signer(margin=300)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="margin"):
            client.sas.signer(margin=dt.timedelta(minutes=-1))


# --------------------------------------------------------------------------------------------------
# Pickling: the factory travels, never a token
# --------------------------------------------------------------------------------------------------


def test_pickling_without_a_credential_factory_is_refused(client: PlanetaryComputerProClient) -> None:
    signer = client.sas.signer()
    with pytest.raises(TypeError, match="credential_factory"):
        pickle.dumps(signer)
    assert copy.copy(signer) is signer and copy.deepcopy({"modifier": signer})["modifier"] is signer
    with pytest.raises(TypeError, match="credential_factory"):
        client.sas.signer(credential_factory=FakeTokenCredential())  # type: ignore[arg-type]


_CHILD = """
import pickle, sys
signer = pickle.loads(open(sys.argv[1], "rb").read())
hrefs = [signer(sys.argv[2]), signer(sys.argv[2].replace("a.tif", "b.tif"))]
item = signer({"type": "Feature", "id": "i", "assets": {"x": {"href": sys.argv[2]}}})
print(hrefs[0]); print(hrefs[1]); print(item["assets"]["x"]["href"])
print("pystac" in sys.modules)
signer.close()
"""


def test_a_pickled_signer_signs_in_another_process(
    client: PlanetaryComputerProClient, endpoint: FaultServer, tmp_path: Path
) -> None:
    signer = client.sas.signer(credential_factory=FakeTokenCredential)
    assert sig(signer(HREF)) == "SIG1"  # this process has a token cached now
    data = pickle.dumps(signer)
    for secret in (b"SIG1", FAKE_TOKEN.encode(), b"sig=", b"Bearer"):
        assert secret not in data
    (tmp_path / "signer.pickle").write_bytes(data)

    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
    }
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, str(tmp_path / "signer.pickle"), HREF],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
    )
    assert child.returncode == 0, child.stderr
    first, second, in_item, pystac_loaded = child.stdout.split()
    # Its own client and cache: one new question for the container, reused for the second href.
    assert sig(first) == sig(second) == sig(in_item) == "SIG2"
    assert pystac_loaded == "False"  # signing dicts never imports pystac
    assert asked(endpoint) == 2
    requests = [r for r in endpoint.requests if r.path == "/sas/sign"]
    assert all(r.header("Authorization") == f"Bearer {FAKE_TOKEN}" for r in requests)


def test_an_unpickled_signer_builds_one_client_under_32_threads(
    client: PlanetaryComputerProClient, endpoint: FaultServer
) -> None:
    unpickled: AssetSigner = pickle.loads(
        pickle.dumps(client.sas.signer(credential_factory=FakeTokenCredential))
    )
    barrier = threading.Barrier(32, timeout=10)
    results: dict[int, str] = {}
    errors: list[BaseException] = []

    def sign(index: int) -> None:
        try:
            barrier.wait()
            results[index] = unpickled(f"{OWN}/{CONTAINER}/{index}.tif")
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=sign, args=(index,)) for index in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    unpickled.close()
    assert errors == [] and len(results) == 32
    assert {sig(href) for href in results.values()} == {"SIG1"}
    assert asked(endpoint) == 1


def test_a_signer_built_directly(endpoint: FaultServer) -> None:
    with AssetSigner(endpoint.url, credential_factory=FakeTokenCredential) as signer:
        assert sig(signer(HREF)) == "SIG1"
        assert signer("https://example.com/x.tif") == "https://example.com/x.tif"
    with pytest.raises(TypeError, match="credential_factory"):
        AssetSigner(endpoint.url)(HREF)
    with pytest.raises(ValueError, match="storage_hosts"):
        AssetSigner(endpoint.url, credential_factory=FakeTokenCredential, storage_hosts=[])
    assert "sig" not in repr(AssetSigner(endpoint.url, credential_factory=FakeTokenCredential))


# --------------------------------------------------------------------------------------------------
# The async client's signer: synchronous, with its own small client, sharing the async cache
# --------------------------------------------------------------------------------------------------


async def test_the_async_clients_signer(endpoint: FaultServer) -> None:
    async with AsyncPlanetaryComputerProClient(
        endpoint.url, FakeAsyncTokenCredential(), retry_total=0
    ) as client:
        with pytest.raises(TypeError, match="credential_factory"):
            client.sas.signer()
        await client.sas.sign(HREF)
        signer = client.sas.signer(credential_factory=FakeTokenCredential)
        # Synchronous, as odc-stac calls patch_url; run off the event loop as a worker thread would.
        signed = await asyncio.to_thread(signer, f"{OWN}/{CONTAINER}/b.tif")
        assert sig(signed) == "SIG1"  # the async client's token, no new question
        assert asked(endpoint) == 1
        assert pickle.loads(pickle.dumps(signer)).endpoint == endpoint.url
        signer.close()


# --------------------------------------------------------------------------------------------------
# In the real tools: pystac-client's modifier
# --------------------------------------------------------------------------------------------------


def test_sign_inplace_as_pystac_clients_modifier(
    client: PlanetaryComputerProClient, endpoint: FaultServer
) -> None:
    import pystac
    import pystac_client

    features = [
        _item(f"{OWN}/{CONTAINER}/{index}.tif", "https://example.com/public.tif") for index in range(3)
    ]
    endpoint.script(
        "/stac/search", Reply.json({"type": "FeatureCollection", "features": features, "links": []})
    )
    signer = client.sas.signer()
    search = pystac_client.ItemSearch(
        f"{endpoint.url}/stac/search", method="GET", modifier=signer.sign_inplace
    )

    items = list(search.items())
    assert all(isinstance(item, pystac.Item) for item in items) and len(items) == 3
    assert [sig(item.assets["a0"].href) for item in items] == ["SIG1"] * 3
    assert {item.assets["a1"].href for item in items} == {"https://example.com/public.tif"}
    as_dicts = list(search.items_as_dicts())
    assert [sig(item["assets"]["a0"]["href"]) for item in as_dicts] == ["SIG1"] * 3
    assert asked(endpoint) == 1  # one container, asked once, however the results are read
