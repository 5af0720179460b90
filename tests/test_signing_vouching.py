"""A SAS token goes only to an account and container the service vouched for (sync and async).

A scripted GeoCatalog (a FaultServer on 127.0.0.1) signs hrefs on its own storage only, like the
service: ``https://acct.blob.core.windows.net/...`` and, path-style as Azurite serves it,
``http://127.0.0.2:<port>/devstoreaccount1/...``. Everything else gets a 400. The client must ask it
once per container (however many threads or tasks sign at once), reuse a granted token for that
container only, remember refusals, and never put a token on a foreign or look-alike href; a download
of a foreign href reaches storage (a second FaultServer on 127.0.0.2) without any signature.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from _capture import FakeAsyncTokenCredential, FakeTokenCredential
from azure.core.exceptions import ClientAuthenticationError
from azure.planetarycomputer import DEFAULT_STORAGE_HOSTS, PlanetaryComputerProClient
from azure.planetarycomputer import _sas_cache as sas_cache
from azure.planetarycomputer.aio import PlanetaryComputerProClient as AsyncPlanetaryComputerProClient
from azure.planetarycomputer.models import StacItem
from fault_server import FaultServer, RecordedRequest, Reply

OWN = "https://acct.blob.core.windows.net"
FOREIGN = "https://someoneelse.blob.core.windows.net"
CONTAINER = "naip-bf48131e"
CALLERS = 32


def _future(hours: float = 24) -> str:
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


class SigningService:
    """The GeoCatalog's ``/sas/sign``: signs hrefs under its own storage prefixes, refuses the rest."""

    def __init__(self, own_prefixes: list[str], pause: float = 0.0, scope: str = "c") -> None:
        self.own_prefixes = own_prefixes
        self.pause = pause
        self.scope = scope

    def __call__(self, request: RecordedRequest) -> Reply:
        threading.Event().wait(self.pause)  # slow enough that concurrent callers all arrive meanwhile
        href = request.query["href"]
        prefix = next((p for p in self.own_prefixes if href.startswith(p + "/")), None)
        if prefix is None:
            return Reply.error(400, "InvalidHref", "The href is not in this GeoCatalog's storage.")
        container = href[len(prefix) + 1 :].split("/")[0]
        expiry = _future()
        token = f"sv=2025-01-05&sr={self.scope}&sp=rl&se={expiry}&sig=SIG-{container}"
        return Reply.json({"href": f"{href}?{token}", "msft:expiry": expiry})


def asked(endpoint: FaultServer) -> list[str]:
    """The hrefs the GeoCatalog was asked to sign."""
    return [request.query["href"] for request in endpoint.requests if request.path == "/sas/sign"]


def sig(href: str) -> str | None:
    return dict(parse_qsl(urlsplit(href).query)).get("sig")


@pytest.fixture
def endpoint() -> Iterator[FaultServer]:
    with FaultServer() as running:
        running.route("/sas/sign", SigningService([OWN]))
        yield running


def client_for(endpoint: FaultServer, **kwargs: Any) -> PlanetaryComputerProClient:
    return PlanetaryComputerProClient(endpoint.url, FakeTokenCredential(), retry_total=0, **kwargs)


def async_client_for(endpoint: FaultServer, **kwargs: Any) -> AsyncPlanetaryComputerProClient:
    return AsyncPlanetaryComputerProClient(endpoint.url, FakeAsyncTokenCredential(), retry_total=0, **kwargs)


# --------------------------------------------------------------------------------------------------
# Foreign and look-alike hrefs
# --------------------------------------------------------------------------------------------------


def test_a_foreign_account_with_a_matching_container_gets_no_token(endpoint: FaultServer) -> None:
    with client_for(endpoint) as client:
        foreign = f"{FOREIGN}/x-deadbeef/a.tif"
        assert client.sas.sign(foreign) == foreign
        assert client.sas.sign(f"{FOREIGN}/x-deadbeef/b.tif") == f"{FOREIGN}/x-deadbeef/b.tif"
        assert client.sas.sign({"href": foreign}) == {"href": foreign}
        # Our own container on the same host name pattern is signed, with its own token.
        assert sig(client.sas.sign(f"{OWN}/x-deadbeef/a.tif")) == "SIG-x-deadbeef"
        # The same container name on another account is another container: asked about, refused.
        assert client.sas.sign(f"{FOREIGN}/naip-bf48131e/a.tif") == f"{FOREIGN}/naip-bf48131e/a.tif"
    # One question per container; the refusal is remembered for its other hrefs.
    assert asked(endpoint) == [foreign, f"{OWN}/x-deadbeef/a.tif", f"{FOREIGN}/naip-bf48131e/a.tif"]


def test_a_granted_token_is_reused_for_that_container_only(endpoint: FaultServer) -> None:
    with client_for(endpoint) as client:
        first = client.sas.sign(f"{OWN}/{CONTAINER}/a.tif")
        second = client.sas.sign(f"{OWN}/{CONTAINER}/deep/b.tif?versionid=3")
        other = client.sas.sign(f"{OWN}/landsat-bf48131e/c.tif")
    assert sig(first) == sig(second) == f"SIG-{CONTAINER}" and sig(other) == "SIG-landsat-bf48131e"
    assert second.startswith(f"{OWN}/{CONTAINER}/deep/b.tif?versionid=3&sv=2025-01-05&sr=c")
    assert len(asked(endpoint)) == 2


@pytest.mark.parametrize(
    "href",
    [
        "https://evil.blob.core.windows.net.attacker.com/naip-bf48131e/a.tif",  # look-alike host
        "https://acct.blob.core.windows.net@attacker.com/naip-bf48131e/a.tif",  # the host is attacker.com
        "https://attacker.com@acct.blob.core.windows.net/naip-bf48131e/a.tif",  # user information
        "https://user:pw@acct.blob.core.windows.net/naip-bf48131e/a.tif",
        "https://acct.blob.core.windows.net:8443/naip-bf48131e/a.tif",  # a port Azure does not serve
        "https://acct.blob.core.windows.net:notaport/naip-bf48131e/a.tif",
        "https://acct%2Eblob.core.windows.net/naip-bf48131e/a.tif",  # percent-encoded host
        "https://%61cct.blob.core.windows.net/naip-bf48131e/a.tif",
        "https://acct.blob.core.windows.net\\@attacker.com/naip-bf48131e/a.tif",  # read two ways
        "https://acct.blob.core.windows.net/naip-bf48131e/../other-bf48131e/a.tif",  # dot segments
        "https://acct.blob.core.windows.net/naip-bf48131e%2F..%2Fx/a.tif",
        "https://acct.blob.core.windows.net/naip-bf48131e/",  # a container, not a blob
        "http://acct.blob.core.windows.net/naip-bf48131e/a.tif",  # plain http to a remote host
        "https://acct.blob.core.windows.net/naip/a.tif",  # not a collection container
        "https://acct.blob.core.windows.net./naip-bf48131e/a.tif",  # trailing dot
        "https://acct.file.core.windows.net/naip-bf48131e/a.tif",  # not blob storage
    ],
)
def test_hrefs_that_only_look_like_managed_storage_are_never_sent_anywhere(
    endpoint: FaultServer, href: str
) -> None:
    with client_for(endpoint) as client:
        assert client.sas.sign(href) == href
    assert asked(endpoint) == []


def test_percent_encoded_blob_names_are_signed(endpoint: FaultServer) -> None:
    href = f"{OWN}/{CONTAINER}/folder%20one/%C3%A9t%C3%A9.tif"
    with client_for(endpoint) as client:
        assert (
            client.sas.sign(href).startswith(href + "?sv=")
            and sig(client.sas.sign(href)) == f"SIG-{CONTAINER}"
        )
        encoded_dots = f"{OWN}/{CONTAINER}/%2E%2E/other-bf48131e/a.tif"
        assert client.sas.sign(encoded_dots) == encoded_dots
    assert asked(endpoint) == [href]


def test_a_mixed_item_gets_tokens_on_its_managed_assets_only(endpoint: FaultServer) -> None:
    item = {
        "type": "Feature",
        "id": "mixed",
        "collection": "naip",
        "assets": {
            "image": {"href": f"{OWN}/{CONTAINER}/image.tif"},
            "thumbnail": {"href": f"{OWN}/{CONTAINER}/thumb.png"},
            "foreign": {"href": f"{FOREIGN}/{CONTAINER}/image.tif"},
            "lookalike": {"href": f"https://acct.blob.core.windows.net.attacker.com/{CONTAINER}/x.tif"},
            "public": {"href": "https://example.com/data/x.tif"},
        },
    }
    with client_for(endpoint) as client:
        signed = client.sas.sign(StacItem(item))
    hrefs = {key: asset.href for key, asset in signed.assets.items()}
    assert sig(hrefs["image"]) == sig(hrefs["thumbnail"]) == f"SIG-{CONTAINER}"
    for key in ("foreign", "lookalike", "public"):
        assert hrefs[key] == item["assets"][key]["href"]  # type: ignore[index]
    assert sorted(asked(endpoint)) == sorted(
        [f"{FOREIGN}/{CONTAINER}/image.tif", f"{OWN}/{CONTAINER}/image.tif"]
    )


def test_an_answer_without_a_signature_or_for_another_container_is_a_refusal() -> None:
    answers = {
        "nosig": lambda href: {"href": href, "msft:expiry": _future()},
        "elsewhere": lambda href: {
            "href": f"{OWN}/other-bf48131e/a.tif?sv=1&sig=X",
            "msft:expiry": _future(),
        },
        "nohref": lambda href: {"msft:expiry": _future()},
    }
    with FaultServer() as endpoint:

        def answer(request: RecordedRequest) -> Reply:
            href = request.query["href"]
            return Reply.json(answers[href.split("/")[3][: -len("-bf48131e")]](href))

        endpoint.route("/sas/sign", answer)
        with client_for(endpoint) as client:
            for name in answers:
                href = f"{OWN}/{name}-bf48131e/a.tif"
                assert client.sas.sign(href) == href, name
        assert endpoint.count("/sas/sign") == 3


def test_a_refusal_is_remembered_for_a_while_then_asked_again(
    endpoint: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    foreign = f"{FOREIGN}/{CONTAINER}/a.tif"
    with client_for(endpoint) as client:
        client.sas.sign(foreign)
        client.sas.sign(foreign)
        assert len(asked(endpoint)) == 1
        later = dt.datetime.now(dt.timezone.utc) + sas_cache.REFUSAL_TTL + dt.timedelta(seconds=1)
        monkeypatch.setattr(sas_cache, "utcnow", lambda: later)
        assert client.sas.sign(foreign) == foreign
    assert len(asked(endpoint)) == 2


def test_a_service_outage_is_not_remembered_as_a_refusal() -> None:
    href = f"{OWN}/{CONTAINER}/a.tif"
    with FaultServer() as endpoint:
        endpoint.script("/sas/sign", Reply.error(503, "ServiceUnavailable", "try later"))
        with client_for(endpoint) as client:
            assert client.sas.sign(href) == href  # unsigned this time, and no exception for a mixed item
            endpoint.route("/sas/sign", SigningService([OWN]))
            assert sig(client.sas.sign(href)) == f"SIG-{CONTAINER}"  # asked again, and signed
        assert endpoint.count("/sas/sign") == 2


def test_a_401_from_the_service_is_raised_not_taken_for_a_refusal() -> None:
    with FaultServer() as endpoint:
        endpoint.script("/sas/sign", Reply.error(401, "InvalidAuthenticationToken", "token expired"))
        with client_for(endpoint) as client, pytest.raises(ClientAuthenticationError):
            client.sas.sign(f"{OWN}/{CONTAINER}/a.tif")


def test_a_token_scoped_to_one_blob_is_not_reused_for_others() -> None:
    with FaultServer() as endpoint:
        endpoint.route("/sas/sign", SigningService([OWN], scope="b"))
        with client_for(endpoint) as client:
            signed = client.sas.sign([f"{OWN}/{CONTAINER}/a.tif", f"{OWN}/{CONTAINER}/b.tif"])
            assert all(sig(href) == f"SIG-{CONTAINER}" for href in signed)
            client.sas.sign(f"{OWN}/{CONTAINER}/c.tif")
        assert asked(endpoint) == [f"{OWN}/{CONTAINER}/{name}.tif" for name in ("a", "b", "c")]


# --------------------------------------------------------------------------------------------------
# One question per container, under 32 threads and 32 tasks, refused containers included
# --------------------------------------------------------------------------------------------------

HREFS = [
    f"{(OWN, FOREIGN)[index % 2]}/{('naip', 'dem')[index // 2 % 2]}-bf48131e/{index}.tif"
    for index in range(CALLERS)
]


def _check_concurrent_results(endpoint: FaultServer, signed: list[str]) -> None:
    # Four containers (two accounts x two names), two of them refused: four questions in all.
    assert sorted(href.rsplit("/", 1)[0] for href in asked(endpoint)) == sorted(
        {href.rsplit("/", 1)[0] for href in HREFS}
    )
    assert len(asked(endpoint)) == 4
    for href, result in zip(HREFS, signed):
        if href.startswith(OWN):
            assert sig(result) == f"SIG-{href.split('/')[3]}"
        else:
            assert result == href


def test_one_question_per_container_under_32_threads() -> None:
    with FaultServer() as endpoint:
        endpoint.route("/sas/sign", SigningService([OWN], pause=0.2))
        results: dict[int, str] = {}
        errors: list[BaseException] = []
        with client_for(endpoint) as client:
            barrier = threading.Barrier(CALLERS, timeout=10)

            def sign(index: int) -> None:
                try:
                    barrier.wait()
                    results[index] = client.sas.sign(HREFS[index])
                except BaseException as error:  # reported below
                    errors.append(error)

            threads = [threading.Thread(target=sign, args=(index,)) for index in range(CALLERS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=20)
        assert errors == []
        _check_concurrent_results(endpoint, [results[index] for index in range(CALLERS)])


async def test_one_question_per_container_under_32_tasks() -> None:
    with FaultServer() as endpoint:
        endpoint.route("/sas/sign", SigningService([OWN], pause=0.2))
        async with async_client_for(endpoint) as client:
            signed = await asyncio.wait_for(asyncio.gather(*(client.sas.sign(href) for href in HREFS)), 20)
        _check_concurrent_results(endpoint, list(signed))


async def test_async_refuses_foreign_and_lookalike_hrefs(endpoint: FaultServer) -> None:
    lookalike = f"https://evil.blob.core.windows.net.attacker.com/{CONTAINER}/a.tif"
    async with async_client_for(endpoint) as client:
        signed = await client.sas.sign(
            [f"{FOREIGN}/{CONTAINER}/a.tif", lookalike, f"{OWN}/{CONTAINER}/a.tif"]
        )
    assert signed[:2] == [f"{FOREIGN}/{CONTAINER}/a.tif", lookalike]
    assert sig(signed[2]) == f"SIG-{CONTAINER}"
    assert sorted(asked(endpoint)) == sorted([f"{FOREIGN}/{CONTAINER}/a.tif", f"{OWN}/{CONTAINER}/a.tif"])


# --------------------------------------------------------------------------------------------------
# Downloads: a foreign href reaches storage without a token; storage_hosts for an emulator
# --------------------------------------------------------------------------------------------------


@pytest.fixture
def storage() -> Iterator[FaultServer]:
    with FaultServer("127.0.0.2") as running:
        for account in ("devstoreaccount1", "foreign"):
            running.script(f"/{account}/{CONTAINER}/a.tif", Reply.data(b"GeoTIFF", "image/tiff"))
        yield running


def _storage_queries(storage: FaultServer) -> dict[str, dict[str, str]]:
    return {request.path.split("/")[1]: request.query for request in storage.requests}


def test_download_sends_a_token_only_to_the_vouched_container(storage: FaultServer, tmp_path: Path) -> None:
    own = f"http://127.0.0.2:{storage.port}/devstoreaccount1"
    with FaultServer() as endpoint:
        endpoint.route("/sas/sign", SigningService([own]))
        with client_for(
            endpoint, storage_hosts=[*DEFAULT_STORAGE_HOSTS, f"127.0.0.2:{storage.port}"]
        ) as client:
            client.sas.download_asset(f"{own}/{CONTAINER}/a.tif", tmp_path / "own.tif")
            foreign = f"http://127.0.0.2:{storage.port}/foreign/{CONTAINER}/a.tif"
            client.sas.download_asset({"href": foreign}, tmp_path / "foreign.tif")
    queries = _storage_queries(storage)
    assert queries["devstoreaccount1"]["sig"] == f"SIG-{CONTAINER}"
    assert queries["foreign"] == {}  # no token, not even an attempt at one
    assert (tmp_path / "own.tif").read_bytes() == (tmp_path / "foreign.tif").read_bytes() == b"GeoTIFF"
    assert len(asked(endpoint)) == 2


async def test_async_download_sends_a_token_only_to_the_vouched_container(
    storage: FaultServer, tmp_path: Path
) -> None:
    own = f"http://127.0.0.2:{storage.port}/devstoreaccount1"
    with FaultServer() as endpoint:
        endpoint.route("/sas/sign", SigningService([own]))
        async with async_client_for(endpoint, storage_hosts=[f"127.0.0.2:{storage.port}"]) as client:
            await client.sas.download_asset(f"{own}/{CONTAINER}/a.tif", tmp_path / "own.tif")
            foreign = f"http://127.0.0.2:{storage.port}/foreign/{CONTAINER}/a.tif"
            await client.sas.download_asset(foreign, tmp_path / "foreign.tif")
    queries = _storage_queries(storage)
    assert queries["devstoreaccount1"]["sig"] == f"SIG-{CONTAINER}" and queries["foreign"] == {}


def test_without_storage_hosts_an_emulator_href_is_left_alone(storage: FaultServer) -> None:
    href = f"http://127.0.0.2:{storage.port}/devstoreaccount1/{CONTAINER}/a.tif"
    with FaultServer() as endpoint:
        endpoint.route("/sas/sign", SigningService([href.rsplit("/", 2)[0]]))
        with client_for(endpoint) as client:
            assert client.sas.sign(href) == href
        with client_for(endpoint, storage_hosts=[f"127.0.0.2:{storage.port}"]) as client:
            assert sig(client.sas.sign(href)) == f"SIG-{CONTAINER}"
            # Another port of the same host is not the configured storage.
            other_port = href.replace(f":{storage.port}/", f":{storage.port + 1}/")
            assert client.sas.sign(other_port) == other_port
            # An Azure href is not storage any more when storage_hosts leaves Azure out.
            assert client.sas.sign(f"{OWN}/{CONTAINER}/a.tif") == f"{OWN}/{CONTAINER}/a.tif"
        assert len(asked(endpoint)) == 1


@pytest.mark.parametrize("suffix", DEFAULT_STORAGE_HOSTS)
def test_sovereign_clouds_are_storage_by_default(suffix: str) -> None:
    own = f"https://acct{suffix}"
    with FaultServer() as endpoint:
        endpoint.route("/sas/sign", SigningService([own]))
        with client_for(endpoint) as client:
            assert sig(client.sas.sign(f"{own}/{CONTAINER}/a.tif")) == f"SIG-{CONTAINER}"


def test_http_storage_hosts_must_be_loopback() -> None:
    with FaultServer() as endpoint:
        endpoint.route("/sas/sign", SigningService(["http://storage.internal/acct"]))
        with client_for(endpoint, storage_hosts=["storage.internal"]) as client:
            href = f"http://storage.internal/acct/{CONTAINER}/a.tif"
            assert client.sas.sign(href) == href  # the token would travel in clear text
        assert asked(endpoint) == []


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (".blob.core.windows.net", TypeError),  # a str, not a sequence of str
        (42, TypeError),
        ([b".blob.core.windows.net"], TypeError),
        ([None], TypeError),
        ([], ValueError),
        ([""], ValueError),
        ([".windows"], ValueError),  # a suffix needs at least two labels
        (["https://127.0.0.1:10000"], ValueError),  # a URL, not a host
        (["127.0.0.1:10000/devstoreaccount1"], ValueError),
        (["user@127.0.0.1"], ValueError),
        (["127.0.0.1:99999"], ValueError),
        ([".blob.core.windows.net/"], ValueError),
    ],
)
def test_storage_hosts_is_checked_when_the_client_is_made(value: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match="storage_hosts"):
        PlanetaryComputerProClient(
            "https://x.geocatalog.spatio.azure.com", FakeTokenCredential(), storage_hosts=value
        )
    with pytest.raises(error, match="storage_hosts"):
        AsyncPlanetaryComputerProClient(
            "https://x.geocatalog.spatio.azure.com", FakeAsyncTokenCredential(), storage_hosts=value
        )
