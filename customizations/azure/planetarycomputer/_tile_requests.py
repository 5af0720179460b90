"""Tile requests from a template: the per-tile hot path of the tile helpers.

A tile run sends one request many times over with only z/x/y changing. The generated operation
rebuilds the whole request for each tile, serializing every path segment and query parameter again:
that costs about as much CPU as the pipeline the request then goes through. Here the generated
request builder runs once per run, for sentinel coordinates, and each tile's request is that URL
with the tile's z/x/y (serialized by the generated serializer) in their place. Requests go through
the client's pipeline and errors are raised as the generated operation raises them; a test compares
both, request for request and error for error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
    ResourceNotModifiedError,
    map_error,
)
from azure.core.rest import HttpRequest

from ._generated import models as _models
from ._generated.operations import _operations as _generated_operations
from ._generated.operations._operations import _SERIALIZER, _failsafe_deserialize
from ._tile_grid import Tile

__all__ = ["TileRequestTemplate", "raise_for_tile_status"]

# The generated tile operations' error map.
_ERROR_MAP: Mapping[int, type[HttpResponseError]] = {
    401: ClientAuthenticationError,
    404: ResourceNotFoundError,
    409: ResourceExistsError,
    304: ResourceNotModifiedError,
}
# Coordinates no id or option contains in practice; a URL holding them twice falls back to the operation.
_SENTINEL = (7654321.0, 8765432.0, 9876543.0)


def _coordinates(z: float, x: float, y: float) -> str:
    """A tile's path segments, ``/z/x/y``, as the generated request builders write them."""
    return "/" + "/".join(
        _SERIALIZER.url(name, value, "float") for name, value in (("z", z), ("x", x), ("y", y))
    )


class TileRequestTemplate:
    """The request of one tile operation with fixed target and options, for any z/x/y."""

    def __init__(self, prefix: str, suffix: str, headers: Mapping[str, str]) -> None:
        self._prefix = prefix
        self._suffix = suffix
        self._headers = dict(headers)

    @classmethod
    def build(
        cls, operations: Any, operation: str, target: tuple[str, ...], tile_matrix_set_id: str, options: Any
    ) -> TileRequestTemplate | None:
        """The template for ``operations.<operation>(*target, tile_matrix_set_id, z, x, y, **options)``,
        or None when it cannot be made safely (then the operation is called for each tile)."""
        builder = getattr(_generated_operations, f"build_data_{operation}_request", None)
        if builder is None:
            return None
        request = builder(
            *target, tile_matrix_set_id, *_SENTINEL, api_version=operations._config.api_version, **options
        )
        endpoint = _SERIALIZER.url("endpoint", operations._config.endpoint, "str", skip_quote=True)
        url: str = operations._client.format_url(request.url, endpoint=endpoint)
        marker = _coordinates(*_SENTINEL)
        if url.count(marker) != 1 or request.content is not None:
            return None
        prefix, suffix = url.split(marker)
        return cls(prefix, suffix, request.headers)

    def request(self, tile: Tile) -> HttpRequest:
        url = self._prefix + _coordinates(float(tile.z), float(tile.x), float(tile.y)) + self._suffix
        return HttpRequest("GET", url, headers=self._headers)


def raise_for_tile_status(response: Any) -> None:
    """Raise, for a response that is not a 200, what the generated tile operation raises.

    The body must have been read (``read()``) before: the error's model is parsed from it.
    """
    if response.status_code == 200:
        return
    map_error(status_code=response.status_code, response=response, error_map=_ERROR_MAP)
    raise HttpResponseError(response=response, model=_failsafe_deserialize(_models.ErrorResponse, response))
