"""Signing asset hrefs with SAS tokens, and downloading assets, for the asynchronous client.

The same rules as the synchronous client (:mod:`azure.planetarycomputer._signing`): only hrefs into
the GeoCatalog's managed storage are signed, never twice, with tokens cached per container (one
request per container however many tasks sign at once).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from azure.core.exceptions import AzureError, HttpResponseError

from .._atomic_file import write_atomically_async
from .._generated.aio.operations import SasOperations as _GeneratedSasOperations
from .._sas_cache import ContainerKey, SasTokenCache
from .._signing import (
    RedactedDownloadError,
    SigningPlan,
    asset_href,
    destination,
    download_request,
    plan_signing,
    raise_for_download_status,
)

__all__ = ["SasSigningOperations"]

_T = TypeVar("_T")


class SasSigningOperations(_GeneratedSasOperations):
    """Signing (:meth:`sign`) and downloading (:meth:`download_asset`) managed-storage assets, with
    SAS tokens cached per container, for the asynchronous client."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._token_cache = SasTokenCache()

    async def _container_tokens(self, plan: SigningPlan) -> dict[ContainerKey, str]:
        return {
            key: await self._token_cache.get_async(key, functools.partial(self.get_token, collection))
            for key, collection in plan.collections.items()
        }

    async def sign(self, obj: _T, *, collection_id: str | None = None) -> _T:
        """A copy of ``obj`` whose managed-storage hrefs carry a SAS token.

        See :meth:`azure.planetarycomputer.operations.SasOperations.sign`.

        :param obj: An href, an asset, an item, a collection, an item collection or a list of these.
        :keyword str collection_id: The collection to ask tokens from.
        :return: A signed copy of ``obj``.
        :raises TypeError: ``obj`` is none of the kinds above (raised before any request).
        """
        plan = plan_signing(obj, collection_id, self._token_cache.margin)
        signed: _T = plan.apply(await self._container_tokens(plan))
        return signed

    async def download_asset(
        self,
        asset: str | Mapping[str, Any],
        path: str | os.PathLike[str],
        *,
        collection_id: str | None = None,
    ) -> Path:
        """Stream an asset to a file (atomically), signing its href first when it is on managed storage.

        See :meth:`azure.planetarycomputer.operations.SasOperations.download_asset`.

        :return: ``path``, as a Path.
        :rtype: pathlib.Path
        :raises ~azure.core.exceptions.HttpResponseError: Storage refused the download.
        """
        href = asset_href(asset)
        target = destination(path)
        signed = await self.sign(href, collection_id=collection_id)
        try:
            response = await self._client.send_request(download_request(signed), stream=True)
            if response.status_code != 200:
                await response.read()
                raise_for_download_status(response.status_code, response)
            await write_atomically_async(target, response.iter_bytes())
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
