"""Bearer-token policies that send the Entra ID token to the GeoCatalog endpoint only."""

from __future__ import annotations

from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import AsyncBearerTokenCredentialPolicy, BearerTokenCredentialPolicy

from ._endpoint import is_loopback_host, request_origin

__all__ = ["AsyncGeoCatalogBearerTokenPolicy", "GeoCatalogBearerTokenPolicy"]


class _EndpointScope:
    """Decides per request whether it goes to the GeoCatalog endpoint the client was built for."""

    def __init__(self, endpoint: str) -> None:
        origin = request_origin(endpoint)
        if origin is None:
            raise ValueError(f"endpoint {endpoint!r} is not a valid http(s) URL")
        self._origin = origin
        scheme, host, _ = origin
        # The bearer policy refuses plain http; a loopback stand-in is the one place it is allowed.
        self._allow_http = scheme == "http" and is_loopback_host(host)

    def authorizes(self, request: PipelineRequest[Any]) -> bool:
        # Compared with default ports filled in; a URL that HTTP libraries could read as another
        # host (a backslash or whitespace in it, user@host...) has no origin and never matches.
        if request_origin(request.http_request.url) != self._origin:
            # Storage hosts, redirects and anything else never see the token.
            request.http_request.headers.pop("Authorization", None)
            return False
        if self._allow_http:
            request.context["enforce_https"] = False
        return True


class GeoCatalogBearerTokenPolicy(BearerTokenCredentialPolicy):
    """Adds the bearer token only to requests for the GeoCatalog endpoint's scheme, host and port."""

    def __init__(self, credential: TokenCredential, endpoint: str, *scopes: str, **kwargs: Any) -> None:
        super().__init__(credential, *scopes, **kwargs)
        self._scope = _EndpointScope(endpoint)

    def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        # Bypass the whole policy (token, 401 challenge handling) for any other host.
        if not self._scope.authorizes(request):
            return self.next.send(request)
        return super().send(request)


class AsyncGeoCatalogBearerTokenPolicy(AsyncBearerTokenCredentialPolicy):
    """Async twin of :class:`GeoCatalogBearerTokenPolicy`."""

    def __init__(self, credential: AsyncTokenCredential, endpoint: str, *scopes: str, **kwargs: Any) -> None:
        super().__init__(credential, *scopes, **kwargs)
        self._scope = _EndpointScope(endpoint)

    async def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        if not self._scope.authorizes(request):
            return await self.next.send(request)
        return await super().send(request)
