"""``client.stac.open_pystac_client()``: the pystac-client bridge as a method of the STAC operations.

Mixed into the sync client's ``StacOperations``; it opens :func:`._pystac_client.open_pystac_client`
with the client's endpoint, credential, scopes and api-version, and by default signs assets with
the client's SAS signing (``sas.sign``). The async client has no such method: pystac-client is
synchronous and needs a synchronous credential (call :func:`open_pystac_client` with one).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, Union

from ._pystac_client import AssetSigningModifier, open_pystac_client

if TYPE_CHECKING:
    import pystac_client

__all__ = ["PystacClientOperations", "default_modifier"]

Modifier = Union[Callable[[Any], Any], Literal["sas"], None]


def default_modifier(operations: Any) -> Callable[[Any], Any]:
    """The modifier ``modifier="sas"`` stands for: sign asset hrefs as ``client.sas.sign`` does.

    One place to change when the client grows a reusable signer object.
    """
    from .._signing import SasSigningOperations  # here: _signing is part of the client, not of this bridge

    sas = SasSigningOperations(
        operations._client, operations._config, operations._serialize, operations._deserialize
    )
    return AssetSigningModifier(sas.sign)


class PystacClientOperations:
    """``open_pystac_client()`` for the sync ``client.stac`` operations."""

    _client: Any
    _config: Any
    _serialize: Any
    _deserialize: Any

    def open_pystac_client(
        self,
        *,
        modifier: Modifier = "sas",
        headers: Mapping[str, str] | None = None,
        timeout: float | tuple[float, float] | None = None,
        ignore_conformance: bool | None = None,
    ) -> pystac_client.Client:
        """A ``pystac_client.Client`` on this GeoCatalog's STAC API, ready to search.

        Every request it sends to the GeoCatalog carries ``api-version`` and a bearer token from
        this client's credential, fetched again 5 minutes before it expires; no other host ever
        sees the token. Items, item collections and collections it returns have their asset
        hrefs signed with SAS tokens as they arrive (``modifier="sas"``, the default).

        .. code-block:: python

            catalog = client.stac.open_pystac_client()
            search = catalog.search(collections=["naip"], bbox=[-84.4, 33.7, -84.3, 33.8], max_items=50)
            for item in search.items():
                print(item.id, item.assets["image"].href)  # signed

        :keyword modifier: ``"sas"`` to sign assets with this client's SAS signing, None to leave
            hrefs as they are, or any callable pystac-client accepts as ``modifier`` (it is called
            with each Item, ItemCollection, Collection or their JSON dicts, and changes them in place).
        :keyword headers: More headers for every request.
        :keyword timeout: pystac-client's request timeout, in seconds.
        :keyword ignore_conformance: Passed to ``pystac_client.Client.open``.
        :return: The opened client (it has fetched the catalog's landing page).
        :rtype: pystac_client.Client
        :raises ImportError: pystac-client is not installed (the ``[pystac-client]`` extra).
        :raises TypeError: The client's credential is asynchronous, or ``modifier`` is not callable.
        :raises pystac_client.exceptions.APIError: The landing page could not be read.
        """
        if isinstance(modifier, str):
            if modifier != "sas":
                raise ValueError(f"modifier must be 'sas', None or a callable, got {modifier!r}")
            chosen: Callable[[Any], Any] | None = default_modifier(self)
        else:
            chosen = modifier
        return open_pystac_client(
            self._config.endpoint,
            self._config.credential,
            api_version=self._config.api_version,
            credential_scopes=self._config.credential_scopes,
            modifier=chosen,
            headers=headers,
            timeout=timeout,
            ignore_conformance=ignore_conformance,
        )
