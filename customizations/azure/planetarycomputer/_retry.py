"""Retry policies that also retry the GeoCatalog's read-only POST requests.

azure-core retries a POST only on 500/503/504 or when the service sends Retry-After, because a
POST may create something. A STAC search and the tiler's POSTs (feature crops, feature
statistics, search registration, which is keyed by the search's hash) only read, so they are
retried like a GET: on 408, 429, 500, 502, 503 and 504, with or without Retry-After.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from azure.core.pipeline import PipelineResponse
from azure.core.pipeline.policies import AsyncRetryPolicy, RetryPolicy

__all__ = ["AsyncGeoCatalogRetryPolicy", "GeoCatalogRetryPolicy", "is_read_only_post"]

_TRANSIENT_STATUS_CODES = frozenset({408, 429, 500, 502, 503, 504})


def is_read_only_post(method: str, url: str) -> bool:
    """Whether a request is a POST that only reads: a STAC search or a tiler request."""
    if method.upper() != "POST":
        return False
    path = urlsplit(url).path.rstrip("/")
    return path.endswith("/stac/search") or "/data/" in path + "/"


class _ReadOnlyPostRetry:
    def is_retry(self, settings: dict[str, Any], response: PipelineResponse[Any, Any]) -> bool:
        request = response.http_request
        if is_read_only_post(request.method, request.url):
            return bool(settings["total"]) and response.http_response.status_code in _TRANSIENT_STATUS_CODES
        return super().is_retry(settings, response)  # type: ignore[misc]


class GeoCatalogRetryPolicy(_ReadOnlyPostRetry, RetryPolicy):
    """azure-core's retry policy, with read-only POSTs retried like GETs."""


class AsyncGeoCatalogRetryPolicy(_ReadOnlyPostRetry, AsyncRetryPolicy):
    """azure-core's async retry policy, with read-only POSTs retried like GETs."""
