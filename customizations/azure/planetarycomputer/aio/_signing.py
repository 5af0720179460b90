"""Signing asset hrefs with SAS tokens, and downloading assets, for the asynchronous client.

The same rules as the synchronous client (:mod:`azure.planetarycomputer._signing`): only hrefs into
containers the service vouches for are signed, never twice, with the service's answers cached per
container (one request per container however many tasks sign at once). ``signer()`` returns the
same synchronous :class:`~azure.planetarycomputer.AssetSigner` as the sync client (odc-stac and
pystac-client call it synchronously); it shares this client's cache.
"""

from __future__ import annotations

import datetime as _dt
import functools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from azure.core.exceptions import AzureError, HttpResponseError

from .._atomic_file import write_atomically_async
from .._generated.aio.operations import SasOperations as _GeneratedSasOperations
from .._sas_cache import DEFAULT_REFRESH_MARGIN, ContainerKey, Grant, SasTokenCache
from .._signing import (
    DEFAULT_HOSTS,
    RedactedDownloadError,
    SigningPlan,
    asset_href,
    check_collection_id,
    destination,
    download_request,
    grant_from_signed_link,
    plan_signing,
    raise_for_download_status,
    refusal_for,
    without_sas,
)
from .._storage_hosts import StorageHosts

if TYPE_CHECKING:
    from .._asset_signer import AssetSigner, CredentialFactory

__all__ = ["SasSigningOperations"]

_T = TypeVar("_T")


class SasSigningOperations(_GeneratedSasOperations):
    """Signing (:meth:`sign`, :meth:`signer`) and downloading (:meth:`download_asset`) managed-storage
    assets, with the service's answers cached per container, for the asynchronous client."""

    def __init__(self, *args: Any, storage_hosts: StorageHosts | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._storage_hosts = storage_hosts or DEFAULT_HOSTS
        self._token_cache = SasTokenCache()

    async def _ask_service(self, href: str, key: ContainerKey) -> Grant:
        try:
            link = await self.get_url(href=without_sas(href))
        except HttpResponseError as error:
            return refusal_for(error)
        return grant_from_signed_link(link, key, self._storage_hosts)

    async def _sign_plan(self, plan: SigningPlan) -> Any:
        """Ask about each container of ``plan`` (cached), then put the tokens in."""
        grants = {
            key: await self._token_cache.get_async(
                key, functools.partial(self._ask_service, href, key), plan.margin
            )
            for key, href in plan.first_hrefs.items()
        }
        own = {href: await self._ask_service(href, key) for href, key in plan.own_grant_hrefs(grants).items()}
        return plan.apply(grants, own)

    async def sign(self, obj: _T, *, collection_id: str | None = None) -> _T:
        """A copy of ``obj`` whose managed-storage hrefs carry a SAS token.

        See :meth:`azure.planetarycomputer.operations.SasOperations.sign`.

        :param obj: An href, an asset, an item, a collection, an item collection or a list of these.
        :keyword str collection_id: Accepted for compatibility and checked, but no longer used.
        :return: A signed copy of ``obj``.
        :raises TypeError: ``obj`` is none of the kinds above (raised before any request).
        """
        check_collection_id(collection_id)
        signed: _T = await self._sign_plan(plan_signing(obj, self._token_cache.margin, self._storage_hosts))
        return signed

    def signer(
        self,
        *,
        credential_factory: CredentialFactory | None = None,
        margin: _dt.timedelta = DEFAULT_REFRESH_MARGIN,
    ) -> AssetSigner:
        """A synchronous signer (for odc-stac's ``patch_url``, pystac-client's ``modifier``...).

        It signs through a small synchronous client of its own, built on first use from
        ``credential_factory`` (required here: this client's credential is asynchronous), and
        shares this client's cache. See :class:`~azure.planetarycomputer.AssetSigner`.

        :keyword credential_factory: A picklable callable without arguments returning a synchronous
            ``TokenCredential`` (e.g. ``azure.identity.DefaultAzureCredential``).
        :keyword margin: Re-sign an href whose signature expires within this time (default 5 minutes).
        :paramtype margin: ~datetime.timedelta
        :rtype: ~azure.planetarycomputer.AssetSigner
        :raises TypeError: ``credential_factory`` is missing or not callable.
        """
        from .._asset_signer import AssetSigner

        if credential_factory is None:
            raise TypeError(
                "credential_factory is required for the async client's signer: the signer is synchronous "
                "and builds its own client from credential_factory() (a synchronous TokenCredential)"
            )
        return AssetSigner(
            self._config.endpoint,
            credential_factory=credential_factory,
            api_version=self._config.api_version,
            storage_hosts=self._storage_hosts.entries,
            margin=margin,
            _token_cache=self._token_cache,
        )

    async def download_asset(
        self,
        asset: str | Mapping[str, Any],
        path: str | os.PathLike[str],
        *,
        collection_id: str | None = None,
    ) -> Path:
        """Stream an asset to a file (atomically), signing its href first when it is on managed storage.

        See :meth:`azure.planetarycomputer.operations.SasOperations.download_asset`. The response is
        closed on every way out, cancellation (``asyncio.wait_for`` timing out) included.

        :return: ``path``, as a Path.
        :rtype: pathlib.Path
        :raises ~azure.core.exceptions.HttpResponseError: Storage refused the download.
        """
        href = asset_href(asset)
        target = destination(path)
        signed = await self.sign(href, collection_id=collection_id)
        try:
            response = await self._client.send_request(download_request(signed), stream=True)
            try:
                if response.status_code != 200:
                    await response.read()
                    raise_for_download_status(response.status_code, response)
                await write_atomically_async(target, response.iter_bytes())
            finally:
                await response.close()
            return target
        except HttpResponseError:
            raise
        except AzureError as error:
            redacted = RedactedDownloadError.of(error)
            if redacted is None:
                raise
        raise redacted.exception()

    async def revoke_token(self, *, duration_in_minutes: int | None = None, **kwargs: Any) -> None:
        """Revoke the SAS tokens issued by the GeoCatalog, and forget the ones cached by :meth:`sign`.

        :keyword int duration_in_minutes: Sent with the revocation request; usually left unset.
        :return: None
        :raises ~azure.core.exceptions.HttpResponseError:
        """
        revoke: Any = super().revoke_token  # returns None, or what a ``cls=`` callback makes
        try:
            result = await revoke(duration_in_minutes=duration_in_minutes, **kwargs)
        finally:
            self._token_cache.clear()
        return result  # what a ``cls=`` callback made of the response; None otherwise
