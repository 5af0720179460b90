"""Signing asset hrefs with SAS tokens, and downloading assets, for the synchronous client.

``client.sas.sign(obj)`` returns a copy of ``obj`` -- an href, an asset, an item, a collection, an item
collection (a search page) or a list of these, as models or plain dicts -- whose hrefs on the
GeoCatalog's managed storage carry a SAS token. ``client.sas.download_asset(asset, path)`` streams
one asset to a file.

Which hrefs are signed: ``https://<account>.blob.core.windows.net/<container>/...`` where the
container is the GeoCatalog's container for a collection. The service names that container after
the collection id plus a dash and 8 hex digits shared by all collections of the catalog (collection
``naip-atl`` lives in container ``naip-atl-bf48131e``). Every other href -- other hosts, and blob
containers not named that way, such as an ingestion's source storage -- is left untouched, so an
already public href is never broken by a token that does not belong to it. An href that already
carries a signature is left alone while that signature is valid for longer than the refresh margin
(5 minutes); an expired one is signed afresh.

Tokens come from ``sas.get_token(collection_id)`` with the collection id given explicitly, else the
item's ``collection`` (or the collection's ``id``), else the collection named by the container. They
are cached per (account, container) until 5 minutes before they expire, see
:class:`~azure.planetarycomputer._sas_cache.SasTokenCache`; ``revoke_token`` empties the cache.

Secrets: storage requests go through the client's pipeline, whose bearer-token policy sends the
Entra ID token to the GeoCatalog endpoint only, never to storage, and whose logging policies redact
``sig`` (azure-core's HttpLoggingPolicy, and the client's network trace for ``logging_enable=True``).
Errors raised from a download carry the href with its signature redacted too. urllib3, under the
requests transport, logs every URL it requests at DEBUG; a filter on its ``urllib3.connectionpool``
logger (installed when a client is created) redacts ``sig`` there as well.
"""

from __future__ import annotations

import copy
import datetime as _dt
import functools
import logging
import operator
import os
import re
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, TypeVar
from urllib.parse import unquote, urlsplit, urlunsplit

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
    ResourceNotModifiedError,
    map_error,
)
from azure.core.rest import HttpRequest

from ._atomic_file import write_atomically
from ._generated.operations import SasOperations as _GeneratedSasOperations
from ._redaction import redact_secrets
from ._sas_cache import ContainerKey, SasTokenCache, utcnow

__all__ = ["SasSigningOperations", "is_managed_href"]

_T = TypeVar("_T")

_BLOB_SUFFIX = ".blob.core.windows.net"
_ACCOUNT = re.compile(r"[a-z0-9]{3,24}")
_MANAGED_CONTAINER = re.compile(r"(?P<collection>[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)-[0-9a-f]{8}")
# Query parameters of service, account and user-delegation SAS (sig is the secret among them).
_SAS_PARAMETERS = frozenset(
    {
        "sv", "ss", "srt", "sp", "se", "st", "spr", "sip", "si", "sr", "sig", "sdd", "ses",
        "skoid", "sktid", "skt", "ske", "sks", "skv", "saoid", "suoid", "scid", "sduoid",
        "rscc", "rscd", "rsce", "rscl", "rsct",
    }
)  # fmt: skip
_FRACTION = re.compile(r"\.\d+")  # fromisoformat before Python 3.11 reads at most 6 digits
_DOWNLOAD_ERRORS = {
    401: ClientAuthenticationError,
    404: ResourceNotFoundError,
    409: ResourceExistsError,
    304: ResourceNotModifiedError,
}


# --------------------------------------------------------------------------------------------------
# Hrefs
# --------------------------------------------------------------------------------------------------


class _BlobLocation(NamedTuple):
    key: ContainerKey
    collection_id: str  # the collection the container is named after


def _managed_location(href: str) -> _BlobLocation | None:
    parts = urlsplit(href)
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() != "https" or not host.endswith(_BLOB_SUFFIX):
        return None
    account = host[: -len(_BLOB_SUFFIX)]
    container = parts.path.lstrip("/").split("/", 1)[0]
    match = _MANAGED_CONTAINER.fullmatch(container)
    if not _ACCOUNT.fullmatch(account) or match is None:
        return None
    return _BlobLocation(ContainerKey(account, container), match["collection"])


def is_managed_href(href: str) -> bool:
    """Whether ``href`` points into a collection container of a GeoCatalog's managed storage."""
    return _managed_location(href) is not None


def _query_parts(href: str) -> list[str]:
    query = urlsplit(href).query
    return query.split("&") if query else []


def _name(part: str) -> str:
    return unquote(part.partition("=")[0]).lower()


def _signature_expiry(parts: Sequence[str]) -> _dt.datetime | None:
    """The ``se`` (signed expiry) of a SAS, e.g. ``2026-04-17T14:11:18Z``; None if absent or unreadable."""
    for part in parts:
        if _name(part) == "se":
            text = _FRACTION.sub("", unquote(part.partition("=")[2]).replace("Z", "+00:00"))
            try:
                moment = _dt.datetime.fromisoformat(text)
            except ValueError:
                return None
            return moment if moment.tzinfo else moment.replace(tzinfo=_dt.timezone.utc)
    return None


def _needs_signature(href: str, margin: _dt.timedelta) -> bool:
    """False while ``href`` carries a signature valid for longer than ``margin`` (or of unknown expiry)."""
    parts = _query_parts(href)
    if not any(_name(part) == "sig" for part in parts):
        return True
    expiry = _signature_expiry(parts)
    return expiry is not None and expiry - margin <= utcnow()


def _with_token(href: str, token: str) -> str:
    """``href`` without any SAS parameters it had, plus ``token``'s."""
    scheme, netloc, path, query, fragment = urlsplit(href)
    kept = [part for part in (query.split("&") if query else []) if _name(part) not in _SAS_PARAMETERS]
    return urlunsplit((scheme, netloc, path, "&".join([*kept, token]), fragment))


# --------------------------------------------------------------------------------------------------
# Objects: find the hrefs to sign in a copy, fetch the tokens, put them in
# --------------------------------------------------------------------------------------------------


class _Slot(NamedTuple):
    holder: MutableMapping[str, Any] | list[Any]
    key: Any
    href: str
    container: ContainerKey


@dataclass
class SigningPlan:
    """The hrefs of a copied object that need a token, and the collection to ask each token from."""

    copied: Any
    margin: _dt.timedelta
    unwrap: Callable[[Any], Any] = lambda copied: copied  # back to the type of the object given
    slots: list[_Slot] = field(default_factory=list)
    collections: dict[ContainerKey, str] = field(default_factory=dict)

    def add(self, holder: MutableMapping[str, Any] | list[Any], key: Any, collection_id: str | None) -> None:
        href = holder[key]
        if not isinstance(href, str):
            return
        location = _managed_location(href)
        if location is None or not _needs_signature(href, self.margin):
            return
        self.slots.append(_Slot(holder, key, href, location.key))
        self.collections.setdefault(location.key, collection_id or location.collection_id)

    def apply(self, tokens: Mapping[ContainerKey, str]) -> Any:
        """The signed copy, as the same kind of object as the one given."""
        for slot in self.slots:
            slot.holder[slot.key] = _with_token(slot.href, tokens[slot.container])
        return self.unwrap(self.copied)


_KINDS = "an href, an asset, an item, a collection, an item collection or a list of these"


def _owner(node: Mapping[str, Any], field_name: str, explicit: str | None) -> str | None:
    value = node.get(field_name)
    return explicit or (value if isinstance(value, str) and value else None)


def _plan_node(plan: SigningPlan, node: Any, collection_id: str | None) -> None:
    if isinstance(node, list):
        for index, entry in enumerate(node):
            if isinstance(entry, str):
                plan.add(node, index, collection_id)
            else:
                _plan_node(plan, entry, collection_id)
        return
    if not isinstance(node, MutableMapping):
        raise TypeError(f"obj must be {_KINDS}; found a {type(node).__name__}")
    kind = node.get("type")
    if kind == "FeatureCollection" or isinstance(node.get("features"), list):
        _plan_node(plan, node.get("features") or [], collection_id)
    elif kind in ("Feature", "Collection") or isinstance(node.get("assets"), Mapping):
        owner = _owner(node, "id" if kind == "Collection" else "collection", collection_id)
        for asset in (node.get("assets") or {}).values():
            if isinstance(asset, MutableMapping) and "href" in asset:
                plan.add(asset, "href", owner)
    elif "href" in node:
        plan.add(node, "href", collection_id)
    else:
        raise TypeError(f"obj must be {_KINDS}; a mapping without href, assets or features is none of them")


def plan_signing(obj: Any, collection_id: str | None, margin: _dt.timedelta) -> SigningPlan:
    """Copy ``obj`` and find its hrefs to sign; raises TypeError/ValueError before any request."""
    if collection_id is not None and (not isinstance(collection_id, str) or not collection_id.strip()):
        raise ValueError(f"collection_id must be a non-empty string, got {collection_id!r}")
    if isinstance(obj, str):
        plan = SigningPlan([obj], margin, operator.itemgetter(0))
    elif isinstance(obj, tuple):
        plan = SigningPlan(copy.deepcopy(list(obj)), margin, tuple)
    elif isinstance(obj, (list, MutableMapping)):
        plan = SigningPlan(copy.deepcopy(obj), margin)
    else:
        raise TypeError(f"obj must be {_KINDS}, got {type(obj).__name__}")
    _plan_node(plan, plan.copied, collection_id)
    return plan


# --------------------------------------------------------------------------------------------------
# Downloads
# --------------------------------------------------------------------------------------------------


def asset_href(asset: Any) -> str:
    """The href of an asset given as an href string or an asset mapping (model or dict)."""
    href = asset if isinstance(asset, str) else asset.get("href") if isinstance(asset, Mapping) else None
    if not isinstance(href, str):
        raise TypeError(f"asset must be an href string or an asset with an href, got {type(asset).__name__}")
    if urlsplit(href).scheme.lower() not in ("http", "https"):
        raise ValueError(f"asset href must be an http(s) URL, got {redact_secrets(href)!r}")
    return href


def destination(path: Any) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file path, got {type(path).__name__}")
    target = Path(path)
    if target.is_dir():
        raise ValueError(f"path {str(target)!r} is a directory; give the file to write")
    return target


def download_request(href: str) -> HttpRequest:
    return HttpRequest("GET", href)


def raise_for_download_status(status_code: int, response: Any) -> None:
    """Raise the azure-core error for a failed download (the body has already been read)."""
    map_error(status_code=status_code, response=response, error_map=_DOWNLOAD_ERRORS)
    raise HttpResponseError(response=response)


class RedactedDownloadError(NamedTuple):
    """A transport error's type and message, with the signature taken out."""

    kind: type[AzureError]
    message: str

    @classmethod
    def of(cls, error: AzureError) -> RedactedDownloadError | None:
        """None when the message holds no signature and the error can be re-raised as it is."""
        message = str(error)
        redacted = redact_secrets(message)
        return None if redacted == message else cls(type(error), redacted)

    def exception(self) -> AzureError:
        # Built outside the except block, so it does not capture the original (unredacted) error.
        try:
            return self.kind(self.message)
        except TypeError:
            return AzureError(self.message)


# --------------------------------------------------------------------------------------------------
# The synchronous operations
# --------------------------------------------------------------------------------------------------


class _SignatureLogFilter(logging.Filter):
    """Redacts SAS signatures in the records of a logger outside azure-core's pipeline."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_secrets(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact_secrets(arg) if isinstance(arg, str) else arg for arg in record.args)
        return True


def redact_transport_logs() -> None:
    """Keep signatures out of urllib3's DEBUG lines (``"GET /container/blob?...&sig=..."``)."""
    logger = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(existing, _SignatureLogFilter) for existing in logger.filters):
        logger.addFilter(_SignatureLogFilter())


class SasSigningOperations(_GeneratedSasOperations):
    """Signing (:meth:`sign`) and downloading (:meth:`download_asset`) managed-storage assets, with
    SAS tokens cached per container."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._token_cache = SasTokenCache()
        redact_transport_logs()

    def _container_tokens(self, plan: SigningPlan) -> dict[ContainerKey, str]:
        return {
            key: self._token_cache.get(key, functools.partial(self.get_token, collection))
            for key, collection in plan.collections.items()
        }

    def sign(self, obj: _T, *, collection_id: str | None = None) -> _T:
        """A copy of ``obj`` whose managed-storage hrefs carry a SAS token.

        ``obj`` is an href, an asset, an item, a collection, an item collection (a page of search
        results) or a list of these, as models or plain dicts; the result is the same kind of object,
        and ``obj`` itself is not changed. Only hrefs into the GeoCatalog's managed storage are signed
        (see the module documentation); hrefs already signed are left alone until their signature is
        about to expire.

        :param obj: What to sign.
        :type obj: str or StacAsset or StacItem or StacCollection or StacItemCollection or dict or list
        :keyword str collection_id: The collection to ask tokens from; by default the item's
            ``collection``, the collection's ``id``, or the collection the href's container is named
            after.
        :return: A signed copy of ``obj``.
        :raises TypeError: ``obj`` is none of the kinds above (raised before any request).
        :raises ~azure.core.exceptions.HttpResponseError: A token request failed.
        """
        plan = plan_signing(obj, collection_id, self._token_cache.margin)
        signed: _T = plan.apply(self._container_tokens(plan))
        return signed

    def download_asset(
        self,
        asset: str | Mapping[str, Any],
        path: str | os.PathLike[str],
        *,
        collection_id: str | None = None,
    ) -> Path:
        """Stream an asset to a file, signing its href first when it is on managed storage.

        The body is written to a temporary file beside ``path`` and renamed to ``path`` when complete,
        so ``path`` never holds a partial download. The request carries the SAS token, never the
        client's Entra ID token.

        :param asset: The asset, or its href.
        :type asset: str or StacAsset or dict
        :param path: The file to write (its folder is created if needed).
        :type path: str or os.PathLike
        :keyword str collection_id: The collection to ask a token from, as in :meth:`sign`.
        :return: ``path``, as a Path.
        :rtype: pathlib.Path
        :raises ~azure.core.exceptions.HttpResponseError: Storage refused the download (the message
            does not contain the signature).
        """
        href = asset_href(asset)
        target = destination(path)
        signed = self.sign(href, collection_id=collection_id)
        try:
            response = self._client.send_request(download_request(signed), stream=True)
            if response.status_code != 200:
                response.read()
                raise_for_download_status(response.status_code, response)
            write_atomically(target, response.iter_bytes())
            return target
        except HttpResponseError:
            raise
        except AzureError as error:
            redacted = RedactedDownloadError.of(error)
            if redacted is None:
                raise
        raise redacted.exception()

    def revoke_token(self, *, duration_in_minutes: int | None = None, **kwargs: Any) -> None:
        """Revoke the SAS tokens issued by the GeoCatalog, and forget the ones cached by :meth:`sign`.

        :keyword int duration_in_minutes: Sent with the revocation request; usually left unset.
        :return: None
        :raises ~azure.core.exceptions.HttpResponseError:
        """
        try:
            result: Any = super().revoke_token(duration_in_minutes=duration_in_minutes, **kwargs)
        finally:
            self._token_cache.clear()
        return result  # what a ``cls=`` callback made of the response; None otherwise
