"""Which hrefs point into blob storage, and into which account and container.

Signing (``client.sas.sign``, ``download_asset``, :class:`~azure.planetarycomputer.AssetSigner`) only
considers hrefs on the hosts named here; every other href is left untouched. Being on a storage host
is necessary, not sufficient: the service must still vouch for the account and container (see
:mod:`azure.planetarycomputer._signing`) before a token is attached.

``storage_hosts=`` on the client is a sequence of entries of two kinds:

- ``".blob.core.windows.net"`` (starts with a dot): a host suffix for virtual-host URLs,
  ``https://<account>.blob.core.windows.net/<container>/<blob>``, as Azure serves them;
- ``"127.0.0.1:10000"`` or ``"storage.internal"`` (a host, optionally with a port): an emulator or a
  private endpoint serving path-style URLs, ``http://127.0.0.1:10000/<account>/<container>/<blob>``,
  as Azurite serves them.

Plain ``http`` is accepted for loopback hosts only; everything else must be ``https``. An href with
user information (``user@host``), a percent-encoded or otherwise unusual host, a non-default port on a
suffix host, a percent-encoded account or container name, or a ``.``/``..`` path segment is not
storage: HTTP libraries could send it elsewhere.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

from ._endpoint import is_loopback_host

__all__ = ["DEFAULT_STORAGE_HOSTS", "BlobLocation", "ContainerKey", "StorageHosts"]

DEFAULT_STORAGE_HOSTS: tuple[str, ...] = (
    ".blob.core.windows.net",
    ".blob.core.usgovcloudapi.net",
    ".blob.core.chinacloudapi.cn",
)
"""Azure Blob Storage in the public, US Government and China clouds."""

_DEFAULT_PORTS = {"http": 80, "https": 443}
_ACCOUNT = re.compile(r"[a-z0-9]{3,24}")
# The service names a collection's container after the collection id, a dash and 8 hex digits
# shared by the catalog; other containers (public data, ingestion sources) are never asked about.
_MANAGED_CONTAINER = re.compile(r"(?P<collection>[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)-[0-9a-f]{8}")
_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_SUFFIX = re.compile(rf"(?:\.{_LABEL}){{2,}}")
_HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})*|\[[0-9a-f:.]+\]")
_NETLOC = re.compile(r"[a-z0-9.\-\[\]:]+")


class ContainerKey(NamedTuple):
    """A blob container as addressed: scheme, host (with its port when not the default), account and
    container, all lowercase. Tokens and refusals are remembered per key."""

    scheme: str
    host: str
    account: str
    container: str


class BlobLocation(NamedTuple):
    key: ContainerKey
    collection_id: str  # the collection the container is named after


def _host_port(scheme: str, host: str, port: int | None) -> str:
    return host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"


def _parse_entry(entry: object) -> str:
    if not isinstance(entry, str):
        raise TypeError(f"storage_hosts entries must be str, got {type(entry).__name__}")
    text = entry.strip().lower()
    if text.startswith("."):
        if not _SUFFIX.fullmatch(text):
            raise ValueError(
                f"storage_hosts entry {entry!r} is not a host suffix like '.blob.core.windows.net'"
            )
        return text
    try:
        parts = urlsplit(f"//{text}")
        port = parts.port
    except ValueError as error:
        raise ValueError(f"storage_hosts entry {entry!r} is not 'host' or 'host:port' ({error})") from None
    host = parts.hostname or ""
    if (
        not text
        or parts.path
        or parts.query
        or "@" in text
        or not _HOST.fullmatch(host if ":" not in host else f"[{host}]")
    ):
        raise ValueError(
            f"storage_hosts entry {entry!r} must be a host suffix ('.blob.core.windows.net'), "
            "a host, or 'host:port' (e.g. '127.0.0.1:10000')"
        )
    shown_host = f"[{host}]" if ":" in host else host
    return shown_host if port is None else f"{shown_host}:{port}"


class StorageHosts:
    """The hosts whose hrefs may be signed, parsed once from ``storage_hosts=``."""

    def __init__(self, entries: Iterable[str] | None = None) -> None:
        if entries is None:
            entries = DEFAULT_STORAGE_HOSTS
        elif isinstance(entries, (str, bytes)) or not isinstance(entries, Iterable):
            raise TypeError(
                "storage_hosts must be a sequence of str (e.g. ['.blob.core.windows.net', "
                f"'127.0.0.1:10000']), got {type(entries).__name__}"
            )
        parsed = tuple(dict.fromkeys(_parse_entry(entry) for entry in entries))
        if not parsed:
            raise ValueError("storage_hosts must not be empty (leave it unset for the Azure defaults)")
        self.entries = parsed
        self._suffixes = tuple(entry for entry in parsed if entry.startswith("."))
        self._exact = frozenset(entry for entry in parsed if not entry.startswith("."))

    def __repr__(self) -> str:
        return f"StorageHosts({list(self.entries)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StorageHosts) and other.entries == self.entries

    def __hash__(self) -> int:
        return hash(self.entries)

    def path_style(self, url: str) -> bool:
        """Whether ``url`` names its storage account in the path (``host/account/container/...``).

        Azure Storage does so for an account addressed by IP address or ``localhost`` (the emulator,
        IP endpoints), and so do the ``host:port`` entries of ``storage_hosts``; account host names
        (``account.blob.core.windows.net``) are virtual-host style.
        """
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return False
        host = parts.hostname or ""
        if host == "localhost":
            return True
        try:
            ipaddress.ip_address(host)
            return True
        except ValueError:
            pass
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            return False
        return _host_port(scheme, host, port) in self._exact

    def locate(self, href: str) -> BlobLocation | None:
        """The container ``href`` points into, or None when it is not a managed-storage blob href."""
        try:
            parts = urlsplit(href)
            port = parts.port
        except ValueError:
            return None
        scheme = parts.scheme.lower()
        netloc = parts.netloc.lower()
        # No user information, no percent-encoding, nothing a library could read as another host.
        if scheme not in _DEFAULT_PORTS or not _NETLOC.fullmatch(netloc):
            return None
        host = parts.hostname or ""
        if scheme == "http" and not is_loopback_host(host):
            return None
        host_port = _host_port(scheme, f"[{host}]" if ":" in host else host, port)
        segments = parts.path.split("/")
        # A dot segment, plain or percent-encoded, could move the request to another container. Blob
        # names may be percent-encoded (spaces...); account and container names are checked below.
        if segments[:1] != [""] or any(unquote(segment) in (".", "..") for segment in segments):
            return None
        segments = segments[1:]
        if host_port in self._exact:
            if len(segments) < 3:
                return None
            account, container, blob = segments[0], segments[1], segments[2:]
        else:
            suffix = next((s for s in self._suffixes if host.endswith(s)), None)
            if suffix is None or port not in (None, _DEFAULT_PORTS[scheme]) or len(segments) < 2:
                return None
            account, container, blob = host[: -len(suffix)], segments[0], segments[1:]
        match = _MANAGED_CONTAINER.fullmatch(container)
        if not _ACCOUNT.fullmatch(account) or match is None or not any(blob):
            return None
        return BlobLocation(ContainerKey(scheme, host_port, account, container), match["collection"])
