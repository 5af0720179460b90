"""A signer that outlives tokens and travels: ``client.sas.signer()``.

STAC tools take a plain function to sign hrefs: pystac-client's ``modifier`` (mutates an item or
page in place), odc-stac's ``patch_url`` (href -> href), stackstac and Dask workers that run in other
processes, long after a token fetched at the start has expired. :class:`AssetSigner` is that
function, on top of the same signing rules as ``client.sas.sign``
(:mod:`azure.planetarycomputer._signing`): only containers the service vouches for get a token, and
an href whose signature expires within ``margin`` is signed again.

In the process that made it, a signer signs through its client and shares that client's cache (for
the async client, through a small synchronous client of its own, sharing the async client's cache).
Pickled, it carries the endpoint, api version, storage hosts, margin and a *credential factory*,
never a token, a credential or a client; unpickled elsewhere it builds its own synchronous client on
first use, with its own per-process cache.
"""

from __future__ import annotations

import datetime as _dt
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from azure.core.credentials import TokenCredential

from ._endpoint import validate_endpoint
from ._sas_cache import DEFAULT_REFRESH_MARGIN, SasTokenCache
from ._signing import plan_signing
from ._storage_hosts import StorageHosts

if TYPE_CHECKING:
    from ._client import PlanetaryComputerProClient
    from ._signing import SasSigningOperations

__all__ = ["AssetSigner", "CredentialFactory"]

CredentialFactory = Callable[[], TokenCredential]
"""A zero-argument callable returning a credential, e.g. ``azure.identity.DefaultAzureCredential``
(a class is such a callable) or a module-level function; it must be picklable to pickle the signer."""

_T = TypeVar("_T")


def _pystac_assets(obj: Any) -> list[Any] | None:
    """The pystac assets ``obj`` holds, or None when ``obj`` is not a pystac object.

    pystac is looked up among the imported modules, not imported: an object can only be a pystac
    object if pystac was imported to make it.
    """
    pystac = sys.modules.get("pystac")
    if pystac is None:
        return None
    if isinstance(obj, pystac.Asset):
        return [obj]
    if isinstance(obj, (pystac.Item, pystac.Collection)):
        return list(obj.assets.values())
    if isinstance(obj, pystac.ItemCollection):
        return [asset for item in obj.items for asset in item.assets.values()]
    return None


class AssetSigner:
    """Signs asset hrefs of a GeoCatalog's managed storage; picklable; usable by STAC tools as is.

    Usually made by ``client.sas.signer(...)``; build one directly to sign in a process without a
    client: ``AssetSigner(endpoint, credential_factory=DefaultAzureCredential)``.

    - ``signer(href)`` returns the signed href (odc-stac's ``patch_url``); ``signer(obj)`` for one of
      our models (StacItem, StacItemCollection...), a dict, a list, or a pystac ``Item``,
      ``ItemCollection``, ``Collection`` or ``Asset`` returns a signed **copy**; ``obj`` is not changed.
    - ``signer.sign_inplace(obj)`` signs the same objects **in place** and returns None
      (pystac-client's ``modifier``).

    An href is signed when it has no signature, or one that expires within ``margin``; hrefs off
    managed storage, or in containers the service does not vouch for, are left as they are.
    Safe to share between threads.

    :param endpoint: The GeoCatalog endpoint.
    :keyword credential_factory: A picklable callable without arguments returning a
        ``TokenCredential``, called once per process, on first use. Required to pickle the signer, and
        to sign with a signer built directly. A credential object itself is not accepted: it may hold
        a token, which would then travel in the pickle.
    :keyword str api_version: Service API version (the client's default when unset).
    :keyword storage_hosts: As ``storage_hosts=`` on the client.
    :paramtype storage_hosts: Sequence[str]
    :keyword margin: Re-sign an href whose signature expires within this time (default 5 minutes).
    :paramtype margin: ~datetime.timedelta
    """

    def __init__(
        self,
        endpoint: str,
        *,
        credential_factory: CredentialFactory | None = None,
        api_version: str | None = None,
        storage_hosts: Sequence[str] | None = None,
        margin: _dt.timedelta = DEFAULT_REFRESH_MARGIN,
        _client_sas: SasSigningOperations | None = None,
        _token_cache: SasTokenCache | None = None,
    ) -> None:
        self._endpoint = validate_endpoint(endpoint)
        if credential_factory is not None and not callable(credential_factory):
            raise TypeError(
                "credential_factory must be a callable without arguments returning a TokenCredential "
                f"(e.g. DefaultAzureCredential, the class), got {type(credential_factory).__name__}"
            )
        if not isinstance(margin, _dt.timedelta):
            raise TypeError(f"margin must be a datetime.timedelta, got {type(margin).__name__}")
        if margin < _dt.timedelta(0):
            raise ValueError(f"margin must not be negative, got {margin}")
        if api_version is not None and (not isinstance(api_version, str) or not api_version):
            raise ValueError(f"api_version must be a non-empty str, got {api_version!r}")
        self._credential_factory = credential_factory
        self._api_version = api_version
        self._storage_hosts = StorageHosts(storage_hosts)
        self._margin = margin
        self._sas = _client_sas
        self._token_cache = _token_cache
        self._client: PlanetaryComputerProClient | None = None  # built here, closed by close()
        self._lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        return self._endpoint

    @property
    def margin(self) -> _dt.timedelta:
        return self._margin

    def __repr__(self) -> str:
        hosts = list(self._storage_hosts.entries)
        return f"AssetSigner({self._endpoint!r}, margin={self._margin}, storage_hosts={hosts})"

    # -- signing --------------------------------------------------------------------------------------

    def _operations(self) -> SasSigningOperations:
        if self._sas is not None:
            return self._sas
        with self._lock:
            if self._sas is None:
                if self._credential_factory is None:
                    raise TypeError(
                        "this AssetSigner has no client to sign with: give it credential_factory= "
                        "(a callable returning a TokenCredential)"
                    )
                from ._client import PlanetaryComputerProClient

                options: dict[str, Any] = {"storage_hosts": self._storage_hosts.entries}
                if self._api_version is not None:
                    options["api_version"] = self._api_version
                client = PlanetaryComputerProClient(self._endpoint, self._credential_factory(), **options)
                if self._token_cache is not None:  # share the async client's answers
                    client.sas._token_cache = self._token_cache
                self._client = client
                self._sas = client.sas
        return self._sas

    def _sign(self, obj: Any, *, in_place: bool) -> Any:
        plan = plan_signing(obj, self._margin, self._storage_hosts, in_place=in_place)
        if not plan.slots:  # nothing to sign: no client, no request
            return plan.unwrap(plan.copied)
        return self._operations()._sign_plan(plan)

    def _sign_assets(self, assets: Iterable[Any]) -> None:
        assets = list(assets)
        hrefs = [asset.href for asset in assets]
        self._sign(hrefs, in_place=True)
        for asset, href in zip(assets, hrefs):
            if asset.href != href:
                asset.href = href

    def __call__(self, obj: _T) -> _T:
        """A signed copy of ``obj`` (for an href: the signed href).

        :param obj: An href, an asset, an item, a collection, an item collection or a list of these,
            as our models, dicts or pystac objects.
        :return: The same kind of object, signed; ``obj`` itself is not changed.
        :raises TypeError: ``obj`` is none of those kinds.
        """
        if isinstance(obj, str):
            signed: _T = self._sign(obj, in_place=False)
            return signed
        if _pystac_assets(obj) is not None:
            copied = obj.clone()  # type: ignore[attr-defined]
            self._sign_assets(_pystac_assets(copied) or [])
            return copied
        signed = self._sign(obj, in_place=False)
        return signed

    def sign_inplace(self, obj: Any) -> None:
        """Sign ``obj`` in place (pystac-client's ``modifier``): a pystac object, a model, a dict or a list.

        :raises TypeError: ``obj`` is an href (a str cannot change: call the signer) or not signable.
        """
        assets = _pystac_assets(obj)
        if assets is not None:
            self._sign_assets(assets)
        else:
            self._sign(obj, in_place=True)

    # -- lifetime and pickling ------------------------------------------------------------------------

    def close(self) -> None:
        """Close the client this signer built, if any (not the client it was made from)."""
        with self._lock:
            client, self._client = self._client, None
            if client is not None:
                self._sas = None
                client.close()

    def __enter__(self) -> AssetSigner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # A signer is configuration plus a cache, like a function: copies are the signer itself. (Only a
    # pickle makes a new one, for another process.)
    def __copy__(self) -> AssetSigner:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> AssetSigner:
        return self

    def __getstate__(self) -> dict[str, Any]:
        if self._credential_factory is None:
            raise TypeError(
                "cannot pickle an AssetSigner without credential_factory: make it with "
                "client.sas.signer(credential_factory=...), a picklable callable returning a "
                "TokenCredential, so that the other process can authenticate on its own"
            )
        return {
            "endpoint": self._endpoint,
            "credential_factory": self._credential_factory,
            "api_version": self._api_version,
            "storage_hosts": self._storage_hosts.entries,
            "margin": self._margin,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(  # type: ignore[misc]
            state["endpoint"],
            credential_factory=state["credential_factory"],
            api_version=state["api_version"],
            storage_hosts=state["storage_hosts"],
            margin=state["margin"],
        )
