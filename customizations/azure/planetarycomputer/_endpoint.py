"""Validation of the GeoCatalog endpoint and the rule for where credentials may be sent."""

from __future__ import annotations

import functools
import ipaddress
import re
from urllib.parse import unquote, urlsplit

__all__ = [
    "check_path_parameter",
    "dot_segment",
    "is_loopback_host",
    "request_origin",
    "validate_endpoint",
]

_DEFAULT_PORTS = {"http": 80, "https": 443}

# Characters that HTTP libraries read differently: urllib.parse drops tabs and newlines and ends the
# host at "/", while urllib3 (requests) also ends it at a backslash. A URL holding any of them could
# be checked as one host and sent to another, so it never gets the token.
_AMBIGUOUS = re.compile(r"[\x00-\x20\x7f\\]")
_HOST_NAME = re.compile(r"[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?)*")


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` names this machine (``localhost`` or a loopback address)."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return bool(_HOST_NAME.fullmatch(host))


def _origin_problem(url: str) -> str | None:
    """Why ``url`` has no unambiguous http(s) origin, or None when it has one."""
    if _AMBIGUOUS.search(url):
        return "must not contain whitespace, control characters or backslashes"
    if not url.isascii():
        return "must be ASCII (write an international host name in its xn-- form)"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number from 0 to 65535
    except ValueError as error:
        return f"is not a valid URL ({error})"
    if parts.scheme.lower() not in _DEFAULT_PORTS:
        return "must be an absolute https URL"
    if "@" in parts.netloc:
        return "must not carry user information (user@host)"
    if not parts.hostname or not _valid_host(parts.hostname):
        return "must name a valid host"
    return None


def request_origin(url: str) -> tuple[str, str, int] | None:
    """The (scheme, host, port) that ``url`` addresses, or None when HTTP libraries could disagree.

    Default ports are filled in (``https://h`` and ``https://h:443`` are one origin). A URL with
    whitespace, control characters, a backslash, non-ASCII characters, user information or an
    invalid host or port has no origin: it must never be sent a credential.
    """
    if not isinstance(url, str) or _AMBIGUOUS.search(url) or not url.isascii():
        return None
    # Beyond those characters the origin depends on the scheme and authority only (urlsplit ends
    # the authority at the first "/", "?" or "#"): it is parsed once per distinct prefix, which
    # matters because every request of the client asks.
    scheme_end = url.find("://")
    authority_end = _AUTHORITY_END.search(url, scheme_end + 3) if scheme_end >= 0 else None
    return _prefix_origin(url if authority_end is None else url[: authority_end.start()])


_AUTHORITY_END = re.compile(r"[/?#]")
# A path segment starts the URL or follows "/" or the scheme's ":"; a dot segment starts with a dot.
_DOT_SEGMENT_START = re.compile(r"(?:^|[/:])(?:\.|%2e)", re.IGNORECASE)


@functools.lru_cache(maxsize=64)
def _prefix_origin(prefix: str) -> tuple[str, str, int] | None:
    if _origin_problem(prefix) is not None:
        return None
    parts = urlsplit(prefix)
    scheme = parts.scheme.lower()
    port = parts.port if parts.port is not None else _DEFAULT_PORTS[scheme]
    return scheme, (parts.hostname or "").lower(), port


def dot_segment(url: str) -> str | None:
    """The first ``.`` or ``..`` path segment of ``url`` (also percent-encoded), or None.

    HTTP libraries remove such segments before sending (``/items/..`` becomes ``/items/``... of the
    parent), so a request whose path holds one would reach another resource than it names.
    """
    # The usual case, decided without parsing (urlsplit drops whitespace and tabs: those go the long way)
    if not _DOT_SEGMENT_START.search(url) and not _AMBIGUOUS.search(url):
        return None
    for segment in urlsplit(url).path.split("/"):
        if unquote(segment) in (".", ".."):
            return segment
    return None


def check_path_parameter(name: str, value: object) -> None:
    """Refuse a path parameter value that would address another resource than the one it names.

    An empty id leaves an empty segment (``DELETE /stac/collections/``: the collection list), and
    ``.`` or ``..`` are removed by URL normalization (``/items/..`` is the collection). Other values,
    whitespace included, are percent-encoded into a segment of their own: the service takes any
    non-empty string as an id, so they address exactly what they say and are sent unchanged.

    :raises ValueError: naming the parameter, before anything is sent.
    """
    if not isinstance(value, str):
        return
    if value == "":
        raise ValueError(
            f"{name} must not be empty: the request would address the resource above it "
            "(e.g. the collection list instead of a collection)"
        )
    if value in (".", ".."):
        raise ValueError(
            f"{name} {value!r} must not be '.' or '..': URL normalization would remove the path "
            "segment and the request would reach another resource"
        )


def validate_endpoint(endpoint: object) -> str:
    """Return the endpoint without a trailing slash, or raise for one that cannot be used.

    Credentials travel in clear text over ``http``; that is allowed only for a loopback
    endpoint (a local GeoCatalog stand-in), never for a remote host.
    """
    if not isinstance(endpoint, str):
        raise TypeError(f"endpoint must be a str, not {type(endpoint).__name__}")
    stripped = endpoint.strip()
    problem = _origin_problem(stripped)
    if problem is not None:
        raise ValueError(f"endpoint {problem}, got {endpoint!r}")
    parts = urlsplit(stripped)
    if parts.scheme == "http" and not is_loopback_host(parts.hostname or ""):
        raise ValueError(
            "endpoint must use https: plain http would send the credential's token in clear text "
            f"(only loopback hosts may use http), got {endpoint!r}"
        )
    if parts.query or parts.fragment or stripped.endswith(("?", "#")):
        raise ValueError(f"endpoint must not carry a query or fragment, got {endpoint!r}")
    if dot_segment(stripped) is not None:
        raise ValueError(f"endpoint must not have '.' or '..' path segments, got {endpoint!r}")
    return stripped.rstrip("/")
