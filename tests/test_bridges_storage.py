"""A collection's blob container for adlfs, obstore and azure-storage-blob, with tokens from the GeoCatalog.

Against the stand-in (Azurite as storage, real SAS that Azurite checks) with the real adlfs, obstore
and azure-storage-blob: list and read the container; tokens come from ``sas.get_token`` once per
lifetime through the client's cache (the one ``sas.sign`` uses); a storage object pickles without
secrets and reads in another process; a token that really expired (storage refuses it) is replaced.
The checks of bad input and missing extras need no stand-in.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import pickle
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Callable, TypeVar

import pytest
from _capture import FAKE_TOKEN, FakeAsyncTokenCredential, FakeTokenCredential
from azure.planetarycomputer import (
    CollectionSasCredential,
    CollectionStorage,
    GeoCatalogCredentialProvider,
    PlanetaryComputerProClient,
)
from azure.planetarycomputer.aio import PlanetaryComputerProClient as AsyncPlanetaryComputerProClient
from fault_server import FaultServer, RecordedRequest, Reply
from standin import ENDPOINT, needs_standin

TESTS = Path(__file__).resolve().parent
COLLECTION = "dem-mini"
BLOB = "DEM_MINI_01/data.tif"
_F = TypeVar("_F", bound=Callable[..., Any])


def on_standin(test: _F) -> _F:
    """Marks a test as end-to-end, skipped when the stand-in is not running (see standin.py)."""
    for mark in needs_standin:
        test = mark(test)
    return test


def blob_host() -> str:
    """``host:port`` of the stand-in's Azurite, from an asset href (never a hard-coded port)."""
    with PlanetaryComputerProClient(ENDPOINT, FakeTokenCredential()) as probe:
        href = probe.stac.get_item_collection(COLLECTION, limit=1).features[0].assets["data"].href
    return urllib.parse.urlsplit(href).netloc


@pytest.fixture(scope="module")
def host() -> str:
    return blob_host()


@pytest.fixture
def client(host: str) -> PlanetaryComputerProClient:
    return PlanetaryComputerProClient(ENDPOINT, FakeTokenCredential(), storage_hosts=[host])


@pytest.fixture
def storage(client: PlanetaryComputerProClient) -> CollectionStorage:
    return CollectionStorage.for_collection(client, COLLECTION)


@pytest.fixture
def expected_bytes(storage: CollectionStorage) -> bytes:
    """The blob as storage serves it over a URL with the collection's token, read with urllib."""
    token, _ = storage.grant()
    return read_url(f"{storage.container.container_url}/{BLOB}?{token}")


def read_url(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        data: bytes = response.read()
        return data


def count_calls(monkeypatch: pytest.MonkeyPatch, target: Any, name: str) -> list[object]:
    """Record the calls of ``target.name`` (still calling through)."""
    calls: list[object] = []
    original = getattr(target, name)

    def recorded(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, recorded)
    return calls


# -- against the stand-in ----------------------------------------------------------------------------


@on_standin
def test_the_container_is_found_from_the_collection_items(storage: CollectionStorage, host: str) -> None:
    container = storage.container
    assert container.account_name == "devstoreaccount1"
    assert container.container_name.startswith("dem-mini-") and len(container.container_name) == 17
    assert container.account_url == f"http://{host}/devstoreaccount1"
    assert container.path_style


@on_standin
def test_adlfs_lists_and_reads_the_container(storage: CollectionStorage, expected_bytes: bytes) -> None:
    import fsspec

    options = storage.fsspec_storage_options()
    fs = fsspec.filesystem("abfs", skip_instance_cache=True, **options)
    name = storage.container.container_name
    listed = fs.ls(f"{name}/DEM_MINI_01")
    assert listed == [f"{name}/{BLOB}"]
    assert {f"{name}/DEM_MINI_{index:02d}" for index in range(12)} <= set(fs.ls(name))  # a folder per item
    assert fs.cat(f"{name}/{BLOB}") == expected_bytes
    with fsspec.open(f"abfs://{name}/{BLOB}", "rb", **options) as handle:
        assert handle.read(4) == expected_bytes[:4]


@on_standin
def test_obstore_lists_and_reads_the_container(storage: CollectionStorage, expected_bytes: bytes) -> None:
    import obstore

    store = storage.obstore_store()
    listed = [entry["path"] for batch in obstore.list(store, "DEM_MINI_01") for entry in batch]
    assert listed == [BLOB]
    assert obstore.get(store, BLOB).bytes().to_bytes() == expected_bytes
    assert obstore.get_range(store, BLOB, start=0, end=8).to_bytes() == expected_bytes[:8]


@on_standin
def test_obstore_store_made_by_the_caller_takes_the_provider_config(storage: CollectionStorage) -> None:
    import obstore
    from obstore.store import AzureStore

    provider = storage.obstore_credential_provider()
    assert isinstance(provider, GeoCatalogCredentialProvider)
    store = AzureStore(credential_provider=provider, client_options={"allow_http": True})
    assert store.config["container_name"] == storage.container.container_name
    assert obstore.head(store, BLOB)["size"] > 0


@on_standin
def test_sas_credential_works_with_azure_storage_blob(
    storage: CollectionStorage, expected_bytes: bytes
) -> None:
    from azure.storage.blob import ContainerClient

    credential = storage.sas_credential()
    assert isinstance(credential, CollectionSasCredential)
    container = ContainerClient(
        storage.container.account_url, storage.container.container_name, credential=credential
    )
    assert [blob.name for blob in container.list_blobs(name_starts_with="DEM_MINI_01")] == [BLOB]
    assert container.download_blob(BLOB).readall() == expected_bytes
    assert "sig" not in repr(credential)


@on_standin
def test_tokens_come_from_get_token_once_and_are_shared_with_sign(
    client: PlanetaryComputerProClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import obstore

    get_token = count_calls(monkeypatch, client.sas, "get_token")
    get_url = count_calls(monkeypatch, client.sas, "get_url")
    storage = CollectionStorage.for_collection(client, COLLECTION)
    assert len(get_url) == 1  # the service vouched for the container found in the items
    store = storage.obstore_store()
    for index in range(3):
        obstore.head(store, f"DEM_MINI_0{index}/data.tif")
    token, expires_on = storage.grant()
    assert len(get_token) == 1
    assert expires_on > dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)

    # sas.sign finds the container's token in the same cache: no request, the same token
    href = f"{storage.container.container_url}/{BLOB}"
    signed = client.sas.sign(href)
    assert signed == f"{href}?{token}"
    assert len(get_url) == 1


@on_standin
def test_a_container_is_not_found_off_the_storage_hosts() -> None:
    plain = PlanetaryComputerProClient(ENDPOINT, FakeTokenCredential())  # Azure hosts only
    with pytest.raises(ValueError, match="storage_hosts"):
        CollectionStorage.for_collection(plain, COLLECTION)


@on_standin
async def test_the_async_client_makes_the_same_storage(host: str, expected_bytes: bytes) -> None:
    import obstore

    async with AsyncPlanetaryComputerProClient(
        ENDPOINT, FakeAsyncTokenCredential(), storage_hosts=[host]
    ) as aclient:
        storage = await CollectionStorage.for_collection_async(
            aclient, COLLECTION, credential_factory=FakeTokenCredential
        )
        data = await obstore.get_async(storage.obstore_store(), BLOB)
        assert (await data.bytes_async()).to_bytes() == expected_bytes
        storage._signer.close()


_CHILD = """
import pickle, sys, obstore
storage = pickle.loads(open(sys.argv[1], "rb").read())
print(len(obstore.get(storage.obstore_store(), sys.argv[2]).bytes().to_bytes()))
"""


@on_standin
def test_a_pickled_storage_reads_in_another_process(
    client: PlanetaryComputerProClient, expected_bytes: bytes, tmp_path: Path
) -> None:
    storage = CollectionStorage.for_collection(client, COLLECTION, credential_factory=FakeTokenCredential)
    token, _ = storage.grant()  # this process has a token cached now: it must not travel
    data = pickle.dumps(storage)
    for secret in (token.encode(), b"sig=", FAKE_TOKEN.encode()):
        assert secret not in data
    (tmp_path / "storage.pickle").write_bytes(data)
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
    }
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, str(tmp_path / "storage.pickle"), BLOB],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
    )
    assert child.returncode == 0, child.stderr
    assert int(child.stdout) == len(expected_bytes)


@on_standin
def test_a_storage_without_credential_factory_refuses_to_pickle(storage: CollectionStorage) -> None:
    with pytest.raises(TypeError, match="credential_factory"):
        pickle.dumps(storage)


@on_standin
def test_an_expired_token_is_replaced(host: str, expected_bytes: bytes, tmp_path: Path) -> None:
    """One-minute tokens (the shortest): wait until the first has expired and storage refuses it, then
    the same obstore store, the same azure-storage-blob credential, the same adlfs filesystem over
    https (renewing credential) and a new one over http (options made again) read on."""
    import obstore
    from azure.storage.blob import ContainerClient

    # a client of its own: the fixtures' client has a token of the default lifetime cached
    client = PlanetaryComputerProClient(ENDPOINT, FakeTokenCredential(), storage_hosts=[host])
    storage = CollectionStorage.for_collection(client, COLLECTION, duration_in_minutes=1)
    first, expires_on = storage.grant()
    assert expires_on - dt.datetime.now(dt.timezone.utc) <= dt.timedelta(minutes=2)
    store = storage.obstore_store()
    assert obstore.get(store, BLOB).bytes().to_bytes() == expected_bytes
    blobs = ContainerClient(
        storage.container.account_url, storage.container.container_name, credential=storage.sas_credential()
    )
    assert blobs.download_blob(BLOB).readall() == expected_bytes
    adlfs_child = HttpsAdlfs(host, storage.container.container_name, tmp_path, duration=1)
    try:
        assert adlfs_child.read() == (len(expected_bytes), False)
        _check_renewal(storage, first, expires_on, adlfs_child.first_expiry, store, blobs, expected_bytes)
        # the child's filesystem read on: its credential renewed the token that expired meanwhile
        assert adlfs_child.read() == (len(expected_bytes), True)
    finally:
        adlfs_child.close()


def _check_renewal(
    storage: CollectionStorage,
    first: str,
    expires_on: dt.datetime,
    child_expiry: dt.datetime,
    store: Any,
    blobs: Any,
    expected_bytes: bytes,
) -> None:
    """Wait until the first tokens (this process's and the child's) have expired; storage refuses the
    first; obstore, azure-storage-blob and new adlfs options read on with a new one."""
    import fsspec
    import obstore
    from azure.core.exceptions import HttpResponseError

    until = max(expires_on, child_expiry)
    time.sleep(max(0.0, (until - dt.datetime.now(dt.timezone.utc)).total_seconds()) + 2)
    with pytest.raises(urllib.error.HTTPError) as refused:  # storage itself says the token expired
        read_url(f"{storage.container.container_url}/{BLOB}?{first}")
    assert refused.value.code == 403

    second, later = storage.grant()
    assert second != first and later > expires_on
    assert obstore.get(store, BLOB).bytes().to_bytes() == expected_bytes
    assert blobs.download_blob(BLOB).readall() == expected_bytes
    fs = fsspec.filesystem("abfs", skip_instance_cache=True, **storage.fsspec_storage_options())
    assert fs.cat(f"{storage.container.container_name}/{BLOB}") == expected_bytes
    stale = fsspec.filesystem(
        "abfs",
        skip_instance_cache=True,
        account_name="devstoreaccount1",
        connection_string=f"BlobEndpoint={storage.container.account_url};SharedAccessSignature={first}",
    )
    with pytest.raises((HttpResponseError, OSError, PermissionError)):
        stale.cat(f"{storage.container.container_name}/{BLOB}")


# -- without the stand-in ------------------------------------------------------------------------------


def make_storage(host: str = "127.0.0.1:10000", path_style: bool = True) -> CollectionStorage:
    from azure.planetarycomputer._bridges._storage import CollectionContainer
    from azure.planetarycomputer._sas_cache import ContainerKey

    client = PlanetaryComputerProClient("https://geocatalog.example.com", FakeTokenCredential())
    if path_style:
        key = ContainerKey("http", host, "devstoreaccount1", "dem-mini-b467299c")
        url = f"http://{host}/devstoreaccount1"
    else:
        key = ContainerKey("https", host, "account", "dem-mini-b467299c")
        url = f"https://{host}"
    container = CollectionContainer("dem-mini", key.account, key.container, url, key)
    return CollectionStorage(client.sas.signer(), container)


def test_fsspec_options_on_azure_carry_a_renewing_credential() -> None:
    pytest.importorskip("adlfs")
    options = make_storage("account.blob.core.windows.net", path_style=False).fsspec_storage_options()
    assert options["account_name"] == "account"
    assert isinstance(options["credential"], CollectionSasCredential)
    assert "account_host" not in options and "connection_string" not in options
    sovereign = make_storage("account.blob.core.usgovcloudapi.net", path_style=False).fsspec_storage_options()
    assert sovereign["account_host"] == "account.blob.core.usgovcloudapi.net"


def test_obstore_provider_config_names_the_container_and_the_endpoint() -> None:
    azure = make_storage("account.blob.core.windows.net", path_style=False).obstore_credential_provider()
    assert azure.config == {"account_name": "account", "container_name": "dem-mini-b467299c"}
    emulator = make_storage().obstore_credential_provider()
    assert emulator.config["endpoint"] == "http://127.0.0.1:10000/devstoreaccount1"


@pytest.mark.parametrize(
    "module, extra, call",
    [("adlfs", "adlfs", "fsspec_storage_options"), ("obstore.store", "obstore", "obstore_store")],
)
def test_a_missing_library_names_its_extra(
    monkeypatch: pytest.MonkeyPatch, module: str, extra: str, call: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # import raises ImportError
    with pytest.raises(ImportError, match=rf'pip install "azure-planetarycomputer\[{extra}\]"'):
        getattr(make_storage(), call)()


@pytest.mark.parametrize("collection_id", ["", None, 3])
def test_a_bad_collection_id_is_refused_before_any_request(collection_id: Any) -> None:
    client = PlanetaryComputerProClient("https://geocatalog.example.com", FakeTokenCredential())
    with pytest.raises(ValueError, match="collection_id"):
        CollectionStorage.for_collection(client, collection_id)


@pytest.mark.parametrize(
    "duration, error", [(0, ValueError), (-5, ValueError), ("10", TypeError), (True, TypeError)]
)
def test_a_bad_duration_is_refused(duration: Any, error: type[Exception]) -> None:
    client = PlanetaryComputerProClient("https://geocatalog.example.com", FakeTokenCredential())
    with pytest.raises(error, match="duration_in_minutes"):
        CollectionStorage.for_collection(client, COLLECTION, duration_in_minutes=duration)


def test_the_credential_cannot_be_set_by_hand() -> None:
    with pytest.raises(TypeError, match="renews its own token"):
        make_storage().sas_credential().update("sig=forged")


def test_async_construction_needs_a_credential_factory() -> None:
    async def attempt() -> None:
        async with AsyncPlanetaryComputerProClient(
            "https://geocatalog.example.com", FakeAsyncTokenCredential()
        ) as aclient:
            await CollectionStorage.for_collection_async(aclient, COLLECTION, credential_factory=None)  # type: ignore[arg-type]

    with pytest.raises(TypeError, match="credential_factory"):
        asyncio.run(attempt())


# -- adlfs over https: the renewing credential, through a TLS proxy in front of Azurite -----------------


class TlsProxy:
    """A TLS endpoint on 127.0.0.1 (certificate from a trustme CA) relaying bytes to an http server:
    Azurite seen as an https private endpoint, where adlfs sends credentials."""

    def __init__(self, target: str, context: ssl.SSLContext) -> None:
        self._target = target.rsplit(":", 1)[0], int(target.rsplit(":", 1)[1])
        self._context = context
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self._listener.getsockname()[1]}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        self._listener.settimeout(0.2)
        while not self._stop.is_set():
            try:
                raw, _ = self._listener.accept()
            except (socket.timeout, OSError):
                continue
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw: socket.socket) -> None:
        try:
            downstream = self._context.wrap_socket(raw, server_side=True)
            upstream = socket.create_connection(self._target)
        except OSError:
            raw.close()
            return

        def pump(source: socket.socket, sink: socket.socket) -> None:
            with contextlib.suppress(OSError):
                while chunk := source.recv(65536):
                    sink.sendall(chunk)
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)

        back = threading.Thread(target=pump, args=(upstream, downstream), daemon=True)
        back.start()
        pump(downstream, upstream)
        back.join(timeout=30)
        downstream.close()
        upstream.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()


_ADLFS_CHILD = """
import pickle, sys, fsspec
storage = pickle.loads(open(sys.argv[1], "rb").read())
options = storage.fsspec_storage_options()
credential = options["credential"]
print(type(credential).__name__, options["account_host"], flush=True)
fs = fsspec.filesystem("abfs", **options)
name = storage.container.container_name
print(fs.ls(name + "/DEM_MINI_01")[0], flush=True)
first = credential.signature
print(storage.grant()[1].isoformat(), flush=True)
for _ in sys.stdin:  # one read per line, with the same filesystem and credential
    print(len(fs.cat(name + "/" + sys.argv[2])), credential.signature != first, flush=True)
"""


class HttpsAdlfs:
    """adlfs in a subprocess reading the collection's container over https (a TLS proxy in front of
    Azurite, its CA trusted by the child), with the renewing credential of a pickled storage."""

    def __init__(self, host: str, container_name: str, tmp_path: Path, duration: int | None = None) -> None:
        trustme = pytest.importorskip("trustme")
        from azure.planetarycomputer._bridges._storage import CollectionContainer
        from azure.planetarycomputer._sas_cache import ContainerKey

        ca = trustme.CA()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(context)
        ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
        self.proxy = TlsProxy(host, context)
        client = PlanetaryComputerProClient(
            ENDPOINT, FakeTokenCredential(), storage_hosts=[self.proxy.address]
        )
        signer = client.sas.signer(credential_factory=FakeTokenCredential)
        key = ContainerKey("https", self.proxy.address, "devstoreaccount1", container_name)
        account_url = f"https://{self.proxy.address}/devstoreaccount1"
        container = CollectionContainer(COLLECTION, key.account, container_name, account_url, key)
        storage = CollectionStorage(signer, container, duration_in_minutes=duration)
        (tmp_path / "storage.pickle").write_bytes(pickle.dumps(storage))
        # aiohttp (under adlfs) builds its TLS context on import: the CA goes in through the environment
        environment = {
            **os.environ,
            "SSL_CERT_FILE": str(tmp_path / "ca.pem"),
            "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
        }
        self.child = subprocess.Popen(
            [sys.executable, "-c", _ADLFS_CHILD, str(tmp_path / "storage.pickle"), BLOB],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environment,
        )
        self.kind, self.listed, expiry = (self._line() for _ in range(3))
        self.first_expiry = dt.datetime.fromisoformat(expiry)

    def _line(self) -> str:
        assert self.child.stdout is not None
        line = self.child.stdout.readline()
        if not line:
            self.child.wait(timeout=30)
            raise AssertionError(self.child.stderr.read() if self.child.stderr else "child ended")
        return line.strip()

    def read(self) -> tuple[int, bool]:
        """Size read by the child, and whether its credential's signature changed since the start."""
        assert self.child.stdin is not None
        self.child.stdin.write("read\n")
        self.child.stdin.flush()
        size, changed = self._line().split()
        return int(size), changed == "True"

    def close(self) -> None:
        if self.child.stdin is not None:
            self.child.stdin.close()
        try:
            self.child.wait(timeout=30)
        finally:
            if self.child.poll() is None:
                self.child.kill()
            for stream in (self.child.stdout, self.child.stderr):
                if stream is not None:
                    stream.close()
            self.proxy.close()


@on_standin
def test_adlfs_over_https_reads_with_the_renewing_credential(
    host: str, storage: CollectionStorage, expected_bytes: bytes, tmp_path: Path
) -> None:
    name = storage.container.container_name
    adlfs_child = HttpsAdlfs(host, name, tmp_path)
    try:
        assert adlfs_child.kind == f"CollectionSasCredential {adlfs_child.proxy.address}/devstoreaccount1"
        assert adlfs_child.listed == f"{name}/{BLOB}"
        assert adlfs_child.read() == (len(expected_bytes), False)
    finally:
        adlfs_child.close()
    assert adlfs_child.child.returncode == 0


# -- the collection's token goes only where the service signs --------------------------------------------

FOREIGN = "https://attacker.blob.core.windows.net/dem-mini-0badf00d/x.tif"
OWN = "https://account.blob.core.windows.net/dem-mini-b467299c/DEM_MINI_00/data.tif"


def scripted_catalog(server: FaultServer, *hrefs: str) -> None:
    """A GeoCatalog whose collection's assets are ``hrefs`` and which signs hrefs of ``OWN``'s
    container only (answering 400 InvalidHref elsewhere, as the service does)."""
    assets = {f"a{index}": {"href": href} for index, href in enumerate(hrefs)}
    server.script(
        "/stac/collections/dem-mini",
        Reply.json({"id": "dem-mini", "type": "Collection", "links": [], "assets": assets}),
    )

    def sign(request: RecordedRequest) -> Reply:
        href = request.query["href"]
        if href.startswith(OWN.rsplit("/", 2)[0] + "/"):
            expiry = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
            return Reply.json({"href": f"{href}?sv=1&sr=c&se={expiry}&sig=OWN", "msft:expiry": expiry})
        return Reply.json({"error": {"code": "InvalidHref", "message": "not ours"}}, status=400)

    server.route("/sas/sign", sign)


def test_an_asset_href_the_service_does_not_sign_gets_no_token() -> None:
    with FaultServer() as server:
        scripted_catalog(server, FOREIGN)
        client = PlanetaryComputerProClient(server.url, FakeTokenCredential(), retry_total=0)
        with client, pytest.raises(ValueError, match="does not vouch") as refused:
            CollectionStorage.for_collection(client, "dem-mini")
        assert "attacker.blob.core.windows.net" in str(refused.value)
        assert server.count("/sas/sign") == 1
        assert server.count("/sas/token/dem-mini") == 0  # the collection's token was never even asked


def test_the_container_the_service_signs_is_chosen_over_a_foreign_one() -> None:
    with FaultServer() as server:
        scripted_catalog(server, FOREIGN, OWN)
        with PlanetaryComputerProClient(server.url, FakeTokenCredential(), retry_total=0) as client:
            storage = CollectionStorage.for_collection(client, "dem-mini")
    assert storage.container.account_url == "https://account.blob.core.windows.net"
    assert storage.container.container_name == "dem-mini-b467299c"
    assert server.count("/sas/sign") == 2
