"""pystac-client opened on a GeoCatalog's STAC API, with tokens, api-version and signing handled.

pystac-client is how many people search STAC APIs, but a GeoCatalog needs three things it does
not do on its own: an ``api-version`` query parameter on every request, an Entra ID bearer token
that is refreshed before it expires (pystac-client's ``headers`` are fixed at open time), and
SAS tokens on asset hrefs. :func:`open_pystac_client` (and ``client.stac.open_pystac_client()``)
returns an ordinary ``pystac_client.Client`` opened on ``<endpoint>/stac`` with:

* ``request_modifier`` = :class:`GeoCatalogRequestModifier`: every request to the GeoCatalog's
  origin (scheme, host and port) gets ``api-version`` (unless its URL has one) and
  ``Authorization: Bearer <token>``; the token comes from the credential and is fetched again
  once it has less than 5 minutes left (or after the ``refresh_on`` the credential gave).
  Requests to any other origin get neither, and lose an ``Authorization`` header set elsewhere:
  the token goes to the GeoCatalog only. The token logic is written here because azure-core keeps
  its own inside its pipeline policy, and pystac-client sends its requests with requests;
* ``modifier`` = :class:`AssetSigningModifier` by default: items, item collections and collections
  have their asset hrefs signed in place as they arrive (pystac-client's ``modifier`` contract),
  through ``sas.sign`` with its per-container token cache.

pystac-client is imported when a client is opened; the ``[pystac-client]`` extra installs it.
It is synchronous, so this bridge takes a synchronous ``TokenCredential``; from async code, open
it with a sync credential (``azure.identity.DefaultAzureCredential``, not the ``.aio`` one).
"""

from __future__ import annotations

import inspect
import math
import threading
import time
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from azure.core.credentials import TokenCredential

from .._endpoint import request_origin, validate_endpoint
from ._extras import require

if TYPE_CHECKING:
    import pystac_client
    import requests

__all__ = [
    "TOKEN_REFRESH_MARGIN_SECONDS",
    "AssetSigningModifier",
    "BearerTokenSource",
    "GeoCatalogRequestModifier",
    "open_pystac_client",
]

TOKEN_REFRESH_MARGIN_SECONDS = 300
"""A token is fetched again when it has less than this many seconds left (5 minutes)."""

SignHrefs = Callable[..., Sequence[str]]
"""``sign(hrefs, collection_id=...)``: the signed hrefs, in order (as ``client.sas.sign`` does for a list)."""


class BearerTokenSource:
    """A credential's current token for some scopes, fetched again shortly before it expires.

    Thread-safe: one fetch at a time, the others wait for it.

    :param credential: A synchronous ``TokenCredential`` (``get_token_info`` is used when it has one).
    :param scopes: The scopes to ask for.
    :param refresh_margin: Seconds before expiry from which a new token is fetched.
    :param clock: Seconds since the epoch (``time.time``); tests give their own.
    """

    def __init__(
        self,
        credential: TokenCredential,
        scopes: Sequence[str],
        *,
        refresh_margin: float = TOKEN_REFRESH_MARGIN_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        get_token = getattr(credential, "get_token", None)
        if not callable(get_token):
            raise TypeError(f"credential must be a TokenCredential, got {type(credential).__name__}")
        if inspect.iscoroutinefunction(get_token):
            raise TypeError(
                "credential must be a synchronous TokenCredential: pystac-client sends its requests "
                "synchronously (use azure.identity.DefaultAzureCredential, not the .aio one)"
            )
        if isinstance(scopes, str) or not scopes or not all(isinstance(s, str) and s for s in scopes):
            raise ValueError(f"scopes must be a non-empty sequence of scope strings, got {scopes!r}")
        self._credential = credential
        self._scopes = tuple(scopes)
        self._margin = float(refresh_margin)
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._renew_at = -math.inf
        self.fetches = 0
        """How many tokens were fetched from the credential so far."""

    def token(self) -> str:
        """The current token, fetching a new one when it is within the refresh margin of expiry."""
        with self._lock:
            if self._token is None or self._clock() >= self._renew_at:
                self._fetch()
            assert self._token is not None
            return self._token

    def _fetch(self) -> None:
        refresh_on: float | None = None
        get_token_info = getattr(self._credential, "get_token_info", None)
        if callable(get_token_info):
            info = get_token_info(*self._scopes)
            token, expires_on, refresh_on = info.token, info.expires_on, info.refresh_on
        else:
            access = self._credential.get_token(*self._scopes)
            token, expires_on = access.token, access.expires_on
        renew_at = expires_on - self._margin
        if refresh_on is not None:
            renew_at = min(renew_at, refresh_on)
        self._token, self._renew_at = token, renew_at
        self.fetches += 1

    def __repr__(self) -> str:  # never the token itself
        return f"<BearerTokenSource scopes={list(self._scopes)} fetches={self.fetches}>"


class GeoCatalogRequestModifier:
    """pystac-client's ``request_modifier`` for a GeoCatalog: api-version and a fresh bearer token.

    Only requests to the endpoint's origin are changed; any other request loses its
    ``Authorization`` header, so the token never leaves for another host.
    """

    def __init__(self, endpoint: str, api_version: str, tokens: BearerTokenSource) -> None:
        origin = request_origin(endpoint)
        if origin is None:
            raise ValueError(f"endpoint {endpoint!r} is not a valid http(s) URL")
        if not isinstance(api_version, str) or not api_version:
            raise ValueError(f"api_version must be a non-empty string, got {api_version!r}")
        self._origin = origin
        self.api_version = api_version
        self.tokens = tokens

    def __call__(self, request: requests.Request) -> requests.Request:
        headers = cast("MutableMapping[str, Any]", request.headers)
        url = request.url if isinstance(request.url, str) else ""
        if request_origin(url) != self._origin:
            for name in [name for name in headers if name.lower() == "authorization"]:
                del headers[name]
            return request
        if not _has_api_version(url, request.params):
            # Into the URL rather than request.params, whose form (mapping, pairs) the caller chose.
            scheme, netloc, path, query, fragment = urlsplit(url)
            query = "&".join(part for part in (query, urlencode({"api-version": self.api_version})) if part)
            request.url = urlunsplit((scheme, netloc, path, query, fragment))
        headers["Authorization"] = f"Bearer {self.tokens.token()}"
        return request

    def __repr__(self) -> str:
        return f"<GeoCatalogRequestModifier api-version={self.api_version}>"


def _has_api_version(url: str, params: Any) -> bool:
    if any(name == "api-version" for name, _ in parse_qsl(urlsplit(url).query)):
        return True
    if isinstance(params, Mapping):
        return "api-version" in params
    if isinstance(params, (list, tuple)):
        return any(isinstance(pair, tuple) and pair and pair[0] == "api-version" for pair in params)
    return False


class AssetSigningModifier:
    """pystac-client's ``modifier``: signs the asset hrefs of what a search or a read returns, in place.

    Takes a pystac ``Item``, ``ItemCollection`` or ``Collection``, or the JSON dict of one (what
    pystac-client hands over with ``items_as_dicts()``). The hrefs of each object are signed with
    one call of ``sign(hrefs, collection_id=...)`` (the item's ``collection``, the collection's
    ``id``), which ``client.sas.sign`` answers from its per-container token cache.
    """

    def __init__(self, sign: SignHrefs) -> None:
        if not callable(sign):
            raise TypeError(f"sign must be callable, got {type(sign).__name__}")
        self._sign = sign

    def __call__(self, obj: Any) -> None:
        pystac = require("pystac", "pystac")
        if isinstance(obj, pystac.ItemCollection):
            for item in obj.items:
                self._sign_assets(item.assets, item.collection_id)
        elif isinstance(obj, pystac.Item):
            self._sign_assets(obj.assets, obj.collection_id)
        elif isinstance(obj, pystac.Collection):
            self._sign_assets(obj.assets, obj.id)
        elif isinstance(obj, MutableMapping):
            self._sign_json(obj)
        else:
            raise TypeError(f"cannot sign the assets of a {type(obj).__name__}")

    def _sign_json(self, data: MutableMapping[str, Any]) -> None:
        features = data.get("features")
        if isinstance(features, list):
            for feature in features:
                if isinstance(feature, MutableMapping):
                    self._sign_json(feature)
            return
        owner = data.get("id") if data.get("type") == "Collection" else data.get("collection")
        assets = data.get("assets")
        if isinstance(assets, Mapping):
            holders = {key: asset for key, asset in assets.items() if isinstance(asset, MutableMapping)}
            self._sign_holders(holders, "href", owner if isinstance(owner, str) else None)

    def _sign_assets(self, assets: Mapping[str, Any], collection_id: str | None) -> None:
        self._sign_holders(dict(assets), None, collection_id)

    def _sign_holders(self, holders: Mapping[str, Any], key: str | None, collection_id: str | None) -> None:
        def read(holder: Any) -> Any:
            return holder.get(key) if key is not None else holder.href

        targets = [holder for holder in holders.values() if isinstance(read(holder), str)]
        if not targets:
            return
        signed = self._sign([read(holder) for holder in targets], collection_id=collection_id)
        for holder, href in zip(targets, signed):
            if key is not None:
                holder[key] = href
            else:
                holder.href = href

    def __repr__(self) -> str:
        return f"<AssetSigningModifier sign={getattr(self._sign, '__qualname__', self._sign)!r}>"


def open_pystac_client(
    endpoint: str,
    credential: TokenCredential,
    *,
    api_version: str,
    credential_scopes: Sequence[str],
    modifier: Callable[[Any], None] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float | tuple[float, float] | None = None,
    ignore_conformance: bool | None = None,
) -> pystac_client.Client:
    """A ``pystac_client.Client`` opened on ``<endpoint>/stac`` (see the module documentation).

    :param endpoint: The GeoCatalog endpoint.
    :param credential: A synchronous Entra ID credential.
    :keyword api_version: Sent as ``api-version`` with every request to the endpoint.
    :keyword credential_scopes: The scopes of the bearer token.
    :keyword modifier: Called by pystac-client on every item, item collection and collection it
        returns (e.g. an :class:`AssetSigningModifier`); None for none.
    :keyword headers: More headers for every request.
    :keyword timeout: pystac-client's request timeout, in seconds.
    :keyword ignore_conformance: Passed to ``pystac_client.Client.open``.
    :raises ImportError: pystac-client is not installed (the ``[pystac-client]`` extra).
    :raises TypeError: ``credential`` is not a synchronous TokenCredential, or ``modifier`` is not callable.
    :raises ValueError: ``endpoint`` is not a valid GeoCatalog endpoint.
    """
    pystac_client_module = require("pystac_client", "pystac-client")
    endpoint = validate_endpoint(endpoint)
    if modifier is not None and not callable(modifier):
        raise TypeError(f"modifier must be callable or None, got {type(modifier).__name__}")
    if headers is not None and not isinstance(headers, Mapping):
        raise TypeError(f"headers must be a mapping, got {type(headers).__name__}")
    tokens = BearerTokenSource(credential, credential_scopes)
    request_modifier = GeoCatalogRequestModifier(endpoint, api_version, tokens)
    client: pystac_client.Client = pystac_client_module.Client.open(
        endpoint.rstrip("/") + "/stac",
        headers=dict(headers or {}),
        modifier=modifier,
        request_modifier=request_modifier,
        timeout=timeout,
        ignore_conformance=ignore_conformance,
    )
    return client
