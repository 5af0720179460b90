"""Retry policies that also retry the GeoCatalog's read-only POST requests.

azure-core retries a POST only on 500/503/504 or when the service sends Retry-After, because a
POST may create something. A STAC search and the tiler's POSTs (feature crops, feature
statistics, search registration, which is keyed by the search's hash) only read, so they are
retried like a GET: on 408, 429, 500, 502, 503 and 504, with or without Retry-After.

A ``Retry-After`` longer than the policy's maximum backoff (``retry_backoff_max``, 120 s by
default, per client or per call) is cut to that maximum: an answer saying ``Retry-After: 86400``
must not put the caller to sleep for a day. The wait never exceeds what the caller configured.
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


# The call's maximum backoff, kept on the response's context (per request, so thread-safe) for
# get_retry_after, which azure-core calls without the call's settings.
_MAX_BACKOFF = "geocatalog_retry_backoff_max"


class _CappedRetryAfter:
    def get_retry_after(self, response: PipelineResponse[Any, Any]) -> float | None:
        """The service's Retry-After in seconds, at most the maximum backoff; None when absent."""
        value: float | None = super().get_retry_after(response)  # type: ignore[misc]
        if value is None:
            return None
        default = getattr(self, "backoff_max", RetryPolicy.BACKOFF_MAX)
        return min(value, float(response.context.get(_MAX_BACKOFF, default)))


class GeoCatalogRetryPolicy(_ReadOnlyPostRetry, _CappedRetryAfter, RetryPolicy):
    """azure-core's retry policy, with read-only POSTs retried like GETs and Retry-After capped."""

    def sleep(self, settings: dict[str, Any], transport: Any, response: Any = None) -> None:
        if response is not None:
            response.context[_MAX_BACKOFF] = settings["max_backoff"]
        super().sleep(settings, transport, response)


class AsyncGeoCatalogRetryPolicy(_ReadOnlyPostRetry, _CappedRetryAfter, AsyncRetryPolicy):
    """azure-core's async retry policy, with read-only POSTs retried like GETs and Retry-After capped."""

    async def sleep(self, settings: dict[str, Any], transport: Any, response: Any = None) -> None:
        if response is not None:
            response.context[_MAX_BACKOFF] = settings["max_backoff"]
        await super().sleep(settings, transport, response)
