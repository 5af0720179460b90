"""A collection's blob container for fsspec/adlfs and obstore, with SAS tokens that stay fresh.

A GeoCatalog keeps each collection's assets in a blob container (``<collection>-<8 hex>``) and grants
read/list access to it with a SAS token (``sas.get_token(collection_id)``). :class:`CollectionStorage`
finds that container and hands the token to the storage libraries in the form each expects:

- :meth:`CollectionStorage.fsspec_storage_options`: ``storage_options`` for adlfs
  (``fsspec.filesystem("abfs", **options)``, ``pandas.read_parquet(..., storage_options=options)``,
  ``xarray.open_zarr``...). On Azure the options carry a :class:`CollectionSasCredential`, an
  ``AzureSasCredential`` whose ``signature`` is read on every request and renewed before it expires.
  On an ``http`` emulator (a loopback host, e.g. Azurite) adlfs sends no credential, so the options
  are a connection string holding the token current when they were made: make them again after it
  expires.
- :meth:`CollectionStorage.obstore_credential_provider`: a credential provider for obstore's
  ``AzureStore`` (it returns the token with its expiry; obstore asks again when it runs out), and
  :meth:`CollectionStorage.obstore_store` to build the store with it.

Tokens come through the client's token cache (the one ``sas.sign`` uses, per container): one request
per container and token lifetime, renewed ``margin`` before expiry. A ``CollectionStorage`` made with a
signer that has a ``credential_factory`` pickles (for Dask workers) without any token or credential,
and asks for tokens on its own in the other process.

adlfs comes with extra ``[adlfs]``, obstore with ``[obstore]``.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from azure.core.credentials import AzureSasCredential

from .._sas_cache import ContainerKey, Grant, aware
from ._extras import require

if TYPE_CHECKING:
    from obstore.store import AzureSASToken

    from .._asset_signer import AssetSigner, CredentialFactory
    from .._client import PlanetaryComputerProClient
    from ..aio import PlanetaryComputerProClient as AsyncPlanetaryComputerProClient

__all__ = [
    "CollectionContainer",
    "CollectionSasCredential",
    "CollectionStorage",
    "GeoCatalogCredentialProvider",
]


class CollectionContainer(NamedTuple):
    """Where a collection's assets are stored.

    ``account_url`` is ``https://<account>.blob.core.windows.net`` on Azure, or
    ``http://127.0.0.1:10000/devstoreaccount1`` (endpoint and account) on a path-style emulator.
    """

    collection_id: str
    account_name: str
    container_name: str
    account_url: str
    key: ContainerKey

    @property
    def path_style(self) -> bool:
        """True for an emulator or private endpoint that puts the account in the path."""
        return self.account_url.rstrip("/").endswith(f"/{self.account_name}")

    @property
    def container_url(self) -> str:
        return f"{self.account_url}/{self.container_name}"


def _hrefs(record: Any) -> Iterable[str]:
    assets = record.get("assets") if hasattr(record, "get") else None
    for asset in (assets or {}).values():
        href = asset.get("href") if hasattr(asset, "get") else None
        if isinstance(href, str):
            yield href


def _candidates(
    collection_id: str, records: Iterable[Any], signer: AssetSigner
) -> list[tuple[str, CollectionContainer]]:
    """(href, container) for each managed-storage container the records' asset hrefs point into."""
    found: dict[ContainerKey, tuple[str, CollectionContainer]] = {}
    for record in records:
        for href in _hrefs(record):
            location = signer._storage_hosts.locate(href)
            if location is None or location.key in found:
                continue
            key = location.key
            if key.host in signer._storage_hosts.entries:  # a host entry: path style (emulator...)
                account_url = f"{key.scheme}://{key.host}/{key.account}"
            else:  # a suffix entry: virtual-host style, as Azure serves blobs
                account_url = f"{key.scheme}://{key.host}"
            found[key] = (
                href,
                CollectionContainer(collection_id, key.account, key.container, account_url, key),
            )
    return list(found.values())


def _not_found(collection_id: str, candidates: list[tuple[str, CollectionContainer]]) -> ValueError:
    if candidates:
        return ValueError(
            f"the GeoCatalog does not vouch for the storage container of collection {collection_id!r} "
            f"({', '.join(c.container_url for _, c in candidates)}): its token is not sent there"
        )
    return ValueError(
        f"no asset of collection {collection_id!r} (nor of its first item) is on the client's storage "
        "hosts, so its container is unknown (for an emulator or a private endpoint, give the client "
        "storage_hosts=['host:port'])"
    )


def _check_collection_id(collection_id: object) -> None:
    if not isinstance(collection_id, str) or not collection_id:
        raise ValueError(f"collection_id must be a non-empty str, got {collection_id!r}")


def _check_duration(duration_in_minutes: object) -> None:
    if duration_in_minutes is None:
        return
    if isinstance(duration_in_minutes, bool) or not isinstance(duration_in_minutes, int):
        raise TypeError(f"duration_in_minutes must be an int, got {type(duration_in_minutes).__name__}")
    if duration_in_minutes < 1:
        raise ValueError(f"duration_in_minutes must be at least 1, got {duration_in_minutes}")


class CollectionStorage:
    """A collection's blob container with SAS tokens from the GeoCatalog, for adlfs and obstore.

    Made by :meth:`for_collection` (synchronous client) or :meth:`for_collection_async` (async client).

    :param signer: ``client.sas.signer(...)``: the client (and its token cache) tokens come through.
    :param container: Where the collection's assets are.
    :keyword duration_in_minutes: Validity asked for each token (the service's default when unset).
        It applies to the tokens this object asks for: a token of the container still in the client's
        cache (asked by another ``CollectionStorage`` or by ``sas.sign``) is used while it is valid.
    """

    def __init__(
        self, signer: AssetSigner, container: CollectionContainer, *, duration_in_minutes: int | None = None
    ) -> None:
        _check_duration(duration_in_minutes)
        self._signer = signer
        self.container = container
        self.duration_in_minutes = duration_in_minutes

    def __repr__(self) -> str:
        return (
            f"CollectionStorage({self.container.collection_id!r}, container={self.container.container_url!r})"
        )

    # -- construction -----------------------------------------------------------------------------------

    @classmethod
    def for_collection(
        cls,
        client: PlanetaryComputerProClient,
        collection_id: str,
        *,
        credential_factory: CredentialFactory | None = None,
        duration_in_minutes: int | None = None,
    ) -> CollectionStorage:
        """Find the collection's container (from its assets, else its first item's) and wrap it.

        The container must be one the service signs for (``sas.get_url`` on one of its hrefs, one
        request): an asset href pointing elsewhere never receives the collection's token.

        :param client: The synchronous client.
        :param collection_id: The collection.
        :keyword credential_factory: As for ``client.sas.signer``: needed to pickle the result.
        :keyword duration_in_minutes: Validity asked for each token.
        :raises ValueError: No asset of the collection is on the client's storage hosts, or the
            service signs for none of their containers.
        :raises ~azure.core.exceptions.ResourceNotFoundError: No such collection.
        """
        _check_collection_id(collection_id)
        _check_duration(duration_in_minutes)
        signer = client.sas.signer(credential_factory=credential_factory)
        collection = client.stac.get_collection(collection_id)
        records: list[Any] = [collection]
        if not any(signer._storage_hosts.locate(href) for href in _hrefs(collection)):
            records += list(client.stac.get_item_collection(collection_id, limit=1).features or [])
        candidates = _candidates(collection_id, records, signer)
        # An item's href is the catalog's data, not the service's word: the collection's token goes
        # only to a container the service signs for (as sas.sign checks before signing).
        for href, container in candidates:
            if client.sas._ask_service(href, container.key).token is not None:
                return cls(signer, container, duration_in_minutes=duration_in_minutes)
        raise _not_found(collection_id, candidates)

    @classmethod
    async def for_collection_async(
        cls,
        client: AsyncPlanetaryComputerProClient,
        collection_id: str,
        *,
        credential_factory: CredentialFactory,
        duration_in_minutes: int | None = None,
    ) -> CollectionStorage:
        """:meth:`for_collection` for the async client. adlfs and obstore call the token source
        synchronously, so tokens come through a synchronous client built from ``credential_factory``
        (required), sharing the async client's cache.
        """
        _check_collection_id(collection_id)
        _check_duration(duration_in_minutes)
        signer = client.sas.signer(credential_factory=credential_factory)
        collection = await client.stac.get_collection(collection_id)
        records: list[Any] = [collection]
        if not any(signer._storage_hosts.locate(href) for href in _hrefs(collection)):
            page = await client.stac.get_item_collection(collection_id, limit=1)
            records += list(page.features or [])
        candidates = _candidates(collection_id, records, signer)
        for href, container in candidates:
            if (await client.sas._ask_service(href, container.key)).token is not None:
                return cls(signer, container, duration_in_minutes=duration_in_minutes)
        raise _not_found(collection_id, candidates)

    # -- tokens -----------------------------------------------------------------------------------------

    def _ask_service(self) -> Grant:
        result = self._signer._operations().get_token(
            self.container.collection_id, duration_in_minutes=self.duration_in_minutes
        )
        return Grant(result.token, aware(result.expires_on))

    def grant(self) -> tuple[str, _dt.datetime]:
        """The current SAS token (query string without ``?``) and its expiry, from the client's cache;
        asked from the service (``sas.get_token``) when missing or within ``margin`` of expiry."""
        sas = self._signer._operations()
        grant = sas._token_cache.get(self.container.key, self._ask_service, self._signer.margin)
        if grant.token is None:  # a refusal cached by sas.sign for this container
            grant = self._ask_service()
        return grant.token or "", grant.expires_on

    def sas_credential(self) -> CollectionSasCredential:
        """An ``AzureSasCredential`` for azure-storage-blob and adlfs that renews its token itself."""
        return CollectionSasCredential(self)

    # -- fsspec / adlfs ---------------------------------------------------------------------------------

    def fsspec_storage_options(self) -> dict[str, Any]:
        """``storage_options`` for adlfs (``abfs://<container>/<path>`` URLs).

        Over ``https`` (Azure, a private endpoint): ``account_name``, ``account_host`` unless it is
        the public cloud's, and a :class:`CollectionSasCredential`, renewed as it nears expiry. Over
        ``http`` (an emulator on a loopback host): adlfs sends credentials to ``https`` hosts only,
        so the options are a ``connection_string`` with the current token; make them again once it
        expires.

        :raises ImportError: adlfs is not installed (extra ``[adlfs]``).
        """
        require("adlfs", "adlfs")
        container = self.container
        if container.key.scheme == "http":
            token, _ = self.grant()
            return {
                "account_name": container.account_name,
                "connection_string": f"BlobEndpoint={container.account_url};SharedAccessSignature={token}",
            }
        options: dict[str, Any] = {
            "account_name": container.account_name,
            "credential": self.sas_credential(),
        }
        # adlfs puts "https://" before account_host: the host, and the account for path-style URLs
        host = container.account_url[len("https://") :]
        if host != f"{container.account_name}.blob.core.windows.net":
            options["account_host"] = host
        return options

    # -- obstore ----------------------------------------------------------------------------------------

    def obstore_credential_provider(self) -> GeoCatalogCredentialProvider:
        """A credential provider for obstore's ``AzureStore(credential_provider=...)``."""
        return GeoCatalogCredentialProvider(self)

    def obstore_store(self, **store_kwargs: Any) -> Any:
        """An ``obstore.store.AzureStore`` on the container, with :meth:`obstore_credential_provider`.

        :keyword store_kwargs: Passed to ``AzureStore`` (``prefix``, ``retry_config``,
            ``client_options``...). For an ``http`` emulator endpoint, ``allow_http`` is set.
        :raises ImportError: obstore is not installed (extra ``[obstore]``).
        """
        store_module = require("obstore.store", "obstore")
        if self.container.key.scheme == "http":
            options = dict(store_kwargs.pop("client_options", None) or {})
            options.setdefault("allow_http", True)
            store_kwargs["client_options"] = options
        return store_module.AzureStore(credential_provider=self.obstore_credential_provider(), **store_kwargs)


class CollectionSasCredential(AzureSasCredential):
    """An ``AzureSasCredential`` whose signature is the collection's current token.

    azure-storage-blob (and adlfs through it) reads ``signature`` for every request; here that read
    goes through the client's token cache, so a token near expiry is replaced before it is sent.
    """

    def __init__(self, storage: CollectionStorage) -> None:
        self._storage = storage

    @property
    def signature(self) -> str:
        return self._storage.grant()[0]

    def update(self, signature: str) -> None:
        raise TypeError("a CollectionSasCredential renews its own token; it cannot be set")

    def __repr__(self) -> str:
        return f"CollectionSasCredential({self._storage.container.collection_id!r})"

    # adlfs closes the credential it was given when its filesystem is garbage-collected.
    async def close(self) -> None:
        return None


class GeoCatalogCredentialProvider:
    """obstore's ``AzureCredentialProvider`` for a collection's container.

    Called by obstore when it needs a credential; returns ``{"sas_token", "expires_at"}`` with the
    token from the client's cache. ``config`` names the account and container (and the endpoint of a
    path-style emulator), which ``AzureStore`` takes from a provider that has one.
    """

    def __init__(self, storage: CollectionStorage) -> None:
        self._storage = storage
        container = storage.container
        config: dict[str, Any] = {
            "account_name": container.account_name,
            "container_name": container.container_name,
        }
        if container.path_style or not container.key.host.endswith(".blob.core.windows.net"):
            config["endpoint"] = (
                container.account_url if container.path_style else f"https://{container.key.host}"
            )
        self.config = config

    def __call__(self) -> AzureSASToken:
        token, expires_on = self._storage.grant()
        # obstore accepts exactly datetime.timezone.utc (not another UTC tzinfo, e.g. isodate's)
        return {"sas_token": token, "expires_at": expires_on.astimezone(_dt.timezone.utc)}

    def __repr__(self) -> str:
        return f"GeoCatalogCredentialProvider({self._storage.container.collection_id!r})"
