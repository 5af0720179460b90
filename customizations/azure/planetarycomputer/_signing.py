"""Signing asset hrefs with SAS tokens, and downloading assets, for the synchronous client.

``client.sas.sign(obj)`` returns a copy of ``obj`` -- an href, an asset, an item, a collection, an item
collection (a search page) or a list of these, as models or plain dicts -- whose hrefs on the
GeoCatalog's managed storage carry a SAS token. ``client.sas.download_asset(asset, path)`` streams
one asset to a file. ``client.sas.signer()`` gives the same signing as a picklable callable
(:class:`~azure.planetarycomputer.AssetSigner`).

Which hrefs are signed. Candidates are hrefs on a storage host (``storage_hosts=`` on the client, by
default Azure Blob Storage in the public and sovereign clouds, see
:mod:`~azure.planetarycomputer._storage_hosts`) whose container is named as the service names a
collection's container: the collection id, a dash and 8 hex digits (``naip-atl-bf48131e``). Anyone
can create such a container on their own account, so a candidate is not trusted on its looks: for the
first href of each (scheme, host, account, container) the service is asked to sign it
(``sas.get_url``). The service knows its own storage:

- if it signs, the token it put on that href (its SAS query parameters) is reused for the
  container's other hrefs, until 5 minutes before it expires (a token scoped to one blob, ``sr=b``,
  is used for that blob only, and each other blob is asked about in turn);
- if it refuses (a 4xx answer other than 401, or an answer without a signature), the container is
  remembered as refused for 15 minutes and its hrefs stay unsigned. A 5xx (after retries) leaves the
  hrefs unsigned this time only; a 401 is raised.

Every other href is left untouched, so an already public href is never broken by a token that does
not belong to it, and no token ever goes to an account and container the service has not vouched for.
An href that already carries a signature is left alone while that signature is valid for longer than
the refresh margin (5 minutes); an expired one is signed afresh. Answers are cached per client, see
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
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar
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
from ._sas_cache import DEFAULT_REFRESH_MARGIN, ContainerKey, Grant, SasTokenCache, aware, utcnow
from ._storage_hosts import StorageHosts

if TYPE_CHECKING:
    from ._asset_signer import AssetSigner, CredentialFactory

__all__ = ["SasSigningOperations", "is_managed_href"]

_T = TypeVar("_T")

DEFAULT_HOSTS = StorageHosts()
# Query parameters of service, account and user-delegation SAS (sig is the secret among them).
_SAS_PARAMETERS = frozenset(
    {
        "sv", "ss", "srt", "sp", "se", "st", "spr", "sip", "si", "sr", "sig", "sdd", "ses",
        "skoid", "sktid", "skt", "ske", "sks", "skv", "saoid", "suoid", "scid", "sduoid",
        "rscc", "rscd", "rsce", "rscl", "rsct",
    }
)  # fmt: skip
# Signed resource types that cover less than a container: such a token signs its own blob only.
_NARROW_RESOURCES = frozenset({"b", "bv", "bs", "d"})
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


def is_managed_href(href: str, storage_hosts: StorageHosts = DEFAULT_HOSTS) -> bool:
    """Whether ``href`` looks like a collection container's blob on a storage host.

    Looks only: whether the service vouches for the container is asked when signing.
    """
    return storage_hosts.locate(href) is not None


def _query_parts(href: str) -> list[str]:
    query = urlsplit(href).query
    return query.split("&") if query else []


def _name(part: str) -> str:
    return unquote(part.partition("=")[0]).lower()


def _value(parts: Sequence[str], name: str) -> str | None:
    for part in parts:
        if _name(part) == name:
            return unquote(part.partition("=")[2])
    return None


def _parse_time(text: str) -> _dt.datetime | None:
    try:
        moment = _dt.datetime.fromisoformat(_FRACTION.sub("", text.replace("Z", "+00:00")))
    except ValueError:
        return None
    return aware(moment)


def _signature_expiry(parts: Sequence[str]) -> _dt.datetime | None:
    """The ``se`` (signed expiry) of a SAS, e.g. ``2026-04-17T14:11:18Z``; None if absent or unreadable."""
    text = _value(parts, "se")
    return None if text is None else _parse_time(text)


def needs_signature(href: str, margin: _dt.timedelta) -> bool:
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
    return urlunsplit((scheme, netloc, path, "&".join([*kept, token] if token else kept), fragment))


def without_sas(href: str) -> str:
    return _with_token(href, "")


def grant_from_signed_link(link: Any, key: ContainerKey, storage_hosts: StorageHosts) -> Grant:
    """What the service's answer to ``get_url`` (a SharedAccessSignatureSignedLink) grants ``key``.

    A refusal unless the answer is an href into the same container carrying a signature; otherwise
    the SAS query parameters of that href, valid until the answer's expiry (else its ``se``).
    """
    signed = link.get("href") if isinstance(link, Mapping) else None
    if not isinstance(signed, str):
        return Grant.refused()
    location = storage_hosts.locate(signed)
    if location is None or location.key != key:
        return Grant.refused()
    sas = [part for part in _query_parts(signed) if _name(part) in _SAS_PARAMETERS]
    if _value(sas, "sig") in (None, ""):
        return Grant.refused()
    stated = link.get("msft:expiry")
    expires_on = (_parse_time(stated) if isinstance(stated, str) else None) or _signature_expiry(sas)
    # Without a known expiry the token is used for this request only (an expiry of now is never cached).
    return Grant(
        "&".join(sas),
        expires_on or utcnow(),
        container_wide=expires_on is not None and _value(sas, "sr") not in _NARROW_RESOURCES,
    )


_TRANSIENT_STATUSES = frozenset({408, 429})


def refusal_for(error: HttpResponseError) -> Grant:
    """What a service error answer to ``get_url`` says about the container.

    A 4xx means "not mine": a refusal, remembered. A 401 is the caller's problem and is raised. A 5xx,
    408 or 429 (after the retry policy gave up) says nothing about the container: the hrefs stay
    unsigned this time, and the next signing asks again.
    """
    status = error.status_code or 0
    if isinstance(error, ClientAuthenticationError) or status == 401:
        raise error
    if status >= 500 or status in _TRANSIENT_STATUSES:
        return Grant(None, utcnow())  # already expired: not remembered
    return Grant.refused()


# --------------------------------------------------------------------------------------------------
# Objects: find the hrefs to sign (in a copy, or in place), ask about their containers, sign them
# --------------------------------------------------------------------------------------------------


class _Slot(NamedTuple):
    holder: MutableMapping[str, Any] | list[Any]
    key: Any
    href: str
    container: ContainerKey


@dataclass
class SigningPlan:
    """The hrefs of an object that may get a token, and the first href of each of their containers."""

    copied: Any
    margin: _dt.timedelta
    storage_hosts: StorageHosts
    unwrap: Callable[[Any], Any] = lambda copied: copied  # back to the type of the object given
    slots: list[_Slot] = field(default_factory=list)
    first_hrefs: dict[ContainerKey, str] = field(default_factory=dict)

    def add(self, holder: MutableMapping[str, Any] | list[Any], key: Any) -> None:
        href = holder[key]
        if not isinstance(href, str):
            return
        location = self.storage_hosts.locate(href)
        if location is None or not needs_signature(href, self.margin):
            return
        self.slots.append(_Slot(holder, key, href, location.key))
        self.first_hrefs.setdefault(location.key, href)

    def own_grant_hrefs(self, grants: Mapping[ContainerKey, Grant]) -> dict[str, ContainerKey]:
        """Hrefs whose container's token covers only the blob it was issued for: each is asked about."""
        return {
            slot.href: slot.container
            for slot in self.slots
            if grants[slot.container].token is not None
            and not grants[slot.container].container_wide
            and slot.href != self.first_hrefs[slot.container]
        }

    def apply(self, grants: Mapping[ContainerKey, Grant], own: Mapping[str, Grant]) -> Any:
        """The signed object, as the same kind of object as the one given."""
        for slot in self.slots:
            grant = own.get(slot.href) or grants[slot.container]
            if grant.token is not None:
                slot.holder[slot.key] = _with_token(slot.href, grant.token)
        return self.unwrap(self.copied)


_KINDS = "an href, an asset, an item, a collection, an item collection or a list of these"


def _plan_node(plan: SigningPlan, node: Any) -> None:
    if isinstance(node, list):
        for index, entry in enumerate(node):
            if isinstance(entry, str):
                plan.add(node, index)
            else:
                _plan_node(plan, entry)
        return
    if not isinstance(node, MutableMapping):
        raise TypeError(f"obj must be {_KINDS}; found a {type(node).__name__}")
    kind = node.get("type")
    if kind == "FeatureCollection" or isinstance(node.get("features"), list):
        _plan_node(plan, node.get("features") or [])
    elif kind in ("Feature", "Collection") or isinstance(node.get("assets"), Mapping):
        for asset in (node.get("assets") or {}).values():
            if isinstance(asset, MutableMapping) and "href" in asset:
                plan.add(asset, "href")
    elif "href" in node:
        plan.add(node, "href")
    else:
        raise TypeError(f"obj must be {_KINDS}; a mapping without href, assets or features is none of them")


def check_collection_id(collection_id: str | None) -> None:
    if collection_id is not None and (not isinstance(collection_id, str) or not collection_id.strip()):
        raise ValueError(f"collection_id must be a non-empty string, got {collection_id!r}")


def plan_signing(
    obj: Any, margin: _dt.timedelta, storage_hosts: StorageHosts, *, in_place: bool = False
) -> SigningPlan:
    """Find the hrefs of ``obj`` (a copy of it, unless ``in_place``) to sign.

    Raises TypeError before any request. ``in_place`` needs a mutable object (a mapping or a list).
    """
    if isinstance(obj, str):
        if in_place:
            raise TypeError("an href (str) cannot be signed in place; call the signer on it instead")
        plan = SigningPlan([obj], margin, storage_hosts, operator.itemgetter(0))
    elif isinstance(obj, tuple):
        if in_place:
            raise TypeError("a tuple cannot be signed in place; give a list")
        plan = SigningPlan(copy.deepcopy(list(obj)), margin, storage_hosts, tuple)
    elif isinstance(obj, (list, MutableMapping)):
        plan = SigningPlan(obj if in_place else copy.deepcopy(obj), margin, storage_hosts)
    else:
        raise TypeError(f"obj must be {_KINDS}, got {type(obj).__name__}")
    _plan_node(plan, plan.copied)
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
    """Signing (:meth:`sign`, :meth:`signer`) and downloading (:meth:`download_asset`) managed-storage
    assets, with the service's answers cached per container."""

    def __init__(self, *args: Any, storage_hosts: StorageHosts | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._storage_hosts = storage_hosts or DEFAULT_HOSTS
        self._token_cache = SasTokenCache()
        redact_transport_logs()

    def _ask_service(self, href: str, key: ContainerKey) -> Grant:
        """Ask the service to sign ``href``: its answer vouches for ``key``'s container, or refuses it."""
        try:
            link = self.get_url(href=without_sas(href))
        except HttpResponseError as error:
            return refusal_for(error)
        return grant_from_signed_link(link, key, self._storage_hosts)

    def _sign_plan(self, plan: SigningPlan) -> Any:
        """Ask about each container of ``plan`` (cached), then put the tokens in."""
        grants = {
            key: self._token_cache.get(key, functools.partial(self._ask_service, href, key), plan.margin)
            for key, href in plan.first_hrefs.items()
        }
        own = {href: self._ask_service(href, key) for href, key in plan.own_grant_hrefs(grants).items()}
        return plan.apply(grants, own)

    def sign(self, obj: _T, *, collection_id: str | None = None) -> _T:
        """A copy of ``obj`` whose managed-storage hrefs carry a SAS token.

        ``obj`` is an href, an asset, an item, a collection, an item collection (a page of search
        results) or a list of these, as models or plain dicts; the result is the same kind of object,
        and ``obj`` itself is not changed. Only hrefs into containers the service vouches for are
        signed (see the module documentation); hrefs already signed are left alone until their
        signature is about to expire.

        :param obj: What to sign.
        :type obj: str or StacAsset or StacItem or StacCollection or StacItemCollection or dict or list
        :keyword str collection_id: Accepted for compatibility and checked, but no longer used: the
            service decides from each href which container token it grants.
        :return: A signed copy of ``obj``.
        :raises TypeError: ``obj`` is none of the kinds above (raised before any request).
        :raises ~azure.core.exceptions.ClientAuthenticationError: The service refused the credential.
        """
        check_collection_id(collection_id)
        signed: _T = self._sign_plan(plan_signing(obj, self._token_cache.margin, self._storage_hosts))
        return signed

    def signer(
        self,
        *,
        credential_factory: CredentialFactory | None = None,
        margin: _dt.timedelta = DEFAULT_REFRESH_MARGIN,
    ) -> AssetSigner:
        """A callable that signs hrefs, items and pystac objects, and can travel to other processes.

        In this process it signs through this client and shares its cache. See
        :class:`~azure.planetarycomputer.AssetSigner`.

        :keyword credential_factory: A picklable callable without arguments returning a
            ``TokenCredential``; needed to pickle the signer (each process builds its own client).
        :keyword margin: Re-sign an href whose signature expires within this time (default 5 minutes).
        :paramtype margin: ~datetime.timedelta
        :rtype: ~azure.planetarycomputer.AssetSigner
        """
        from ._asset_signer import AssetSigner

        return AssetSigner(
            self._config.endpoint,
            credential_factory=credential_factory,
            api_version=self._config.api_version,
            storage_hosts=self._storage_hosts.entries,
            margin=margin,
            _client_sas=self,
        )

    def download_asset(
        self,
        asset: str | Mapping[str, Any],
        path: str | os.PathLike[str],
        *,
        collection_id: str | None = None,
    ) -> Path:
        """Stream an asset to a file, signing its href first when it is on managed storage.

        The body is written to a temporary file beside ``path`` and renamed to ``path`` when complete,
        so ``path`` never holds a partial download. The request carries the SAS token (only for a
        container the service vouched for, see :meth:`sign`), never the client's Entra ID token. The
        response is closed on every way out, an error or an interruption included.

        :param asset: The asset, or its href.
        :type asset: str or StacAsset or dict
        :param path: The file to write (its folder is created if needed).
        :type path: str or os.PathLike
        :keyword str collection_id: Accepted for compatibility, as in :meth:`sign`.
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
            try:
                if response.status_code != 200:
                    response.read()
                    raise_for_download_status(response.status_code, response)
                write_atomically(target, response.iter_bytes())
            finally:
                response.close()
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
