"""Validation of the GeoCatalog endpoint and the rule for where credentials may be sent."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

__all__ = ["is_loopback_host", "validate_endpoint"]


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` names this machine (``localhost`` or a loopback address)."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_endpoint(endpoint: object) -> str:
    """Return the endpoint without a trailing slash, or raise for one that cannot be used.

    Credentials travel in clear text over ``http``; that is allowed only for a loopback
    endpoint (a local GeoCatalog stand-in), never for a remote host.
    """
    if not isinstance(endpoint, str):
        raise TypeError(f"endpoint must be a str, not {type(endpoint).__name__}")
    parts = urlsplit(endpoint.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"endpoint must be an absolute https URL, got {endpoint!r}")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ValueError(
            "endpoint must use https: plain http would send the credential's token in clear text "
            f"(only loopback hosts may use http), got {endpoint!r}"
        )
    if parts.query or parts.fragment:
        raise ValueError(f"endpoint must not carry a query or fragment, got {endpoint!r}")
    return endpoint.strip().rstrip("/")
