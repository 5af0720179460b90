"""Typed item access for the tiler's map-shaped results.

The service returns statistics and raster info as JSON objects keyed by band or asset name
(``{"b1": {...}, "b2": {...}}``). The generated models for them are plain ``MutableMapping`` models
whose values come back as raw dicts, so ``stats["b1"].mean`` fails. The subclasses here give the
typed model on item access instead:

* :class:`TilerStacItemStatistics` and :class:`BandStatisticsMap`: band -> ``BandStatistics``
* :class:`AssetStatisticsResponse`: asset -> :class:`BandStatisticsMap` (so ``["image"]["b1"]``)
* :class:`TilerInfoMapResponse`: asset -> ``TilerInfo``

A value is turned into its model the first time it is read and kept in place of the raw dict, the
way the generated models keep their nested models; ``as_dict()``, ``dict(x) == wire_json`` and
``json.dumps(x, cls=SdkJSONEncoder)`` still give the wire JSON.

:func:`typed_result` / :func:`async_typed_result` re-wrap what a generated operation returned into
one of these subclasses, keeping the operation's signature and docstring.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Coroutine, ItemsView, Mapping, ValuesView
from typing import Any, ClassVar, Generic, TypeVar, cast

from typing_extensions import ParamSpec

from ._generated.models import AssetStatisticsResponse as _GeneratedAssetStatisticsResponse
from ._generated.models import BandStatistics, TilerInfo
from ._generated.models import BandStatisticsMap as _GeneratedBandStatisticsMap
from ._generated.models import TilerInfoMapResponse as _GeneratedTilerInfoMapResponse
from ._generated.models import TilerStacItemStatistics as _GeneratedTilerStacItemStatistics

__all__ = [
    "AssetStatisticsResponse",
    "BandStatisticsMap",
    "TilerInfoMapResponse",
    "TilerStacItemStatistics",
    "async_typed_result",
    "typed_result",
]

_V = TypeVar("_V", bound=Mapping[str, Any])
_R = TypeVar("_R", bound=Mapping[str, Any])
_P = ParamSpec("_P")


class _TypedValues(Generic[_V]):
    """Mixin for a generated map-shaped model: ``self[key]`` is a ``_value_type`` model.

    Placed before the generated model in the bases; relies only on the generated mapping keeping
    its wire JSON in ``_data``.
    """

    _value_type: ClassVar[type[Mapping[str, Any]]]
    _data: dict[str, Any]

    def __getitem__(self, key: str) -> _V:
        value = self._data[key]
        if isinstance(value, Mapping) and not isinstance(value, self._value_type):
            value = self._data[key] = self._value_type(value)  # type: ignore[call-arg]
        return cast(_V, value)

    def values(self) -> ValuesView[_V]:
        return ValuesView(cast(Mapping[str, _V], self))

    def items(self) -> ItemsView[str, _V]:
        return ItemsView(cast(Mapping[str, _V], self))


class BandStatisticsMap(_TypedValues[BandStatistics], _GeneratedBandStatisticsMap):
    """Statistics of one asset keyed by band name (e.g. ``"b1"``); each value is a ``BandStatistics``."""

    _value_type = BandStatistics


class AssetStatisticsResponse(_TypedValues[BandStatisticsMap], _GeneratedAssetStatisticsResponse):
    """Statistics keyed by asset, then band: ``result["image"]["b1"].percentile98``."""

    _value_type = BandStatisticsMap


class TilerStacItemStatistics(_TypedValues[BandStatistics], _GeneratedTilerStacItemStatistics):
    """Statistics of an item keyed by band name (e.g. ``"image_b1"``); each value is a ``BandStatistics``."""

    _value_type = BandStatistics


class TilerInfoMapResponse(_TypedValues[TilerInfo], _GeneratedTilerInfoMapResponse):
    """Raster metadata of an item's assets keyed by asset name; each value is a ``TilerInfo``."""

    _value_type = TilerInfo


def _retype(value: Any, result_type: type[_R]) -> Any:
    """``value`` as ``result_type`` when it is an instance of one of its generated bases.

    Anything else (``stream=True`` byte iterators, what a ``cls`` callback returned) passes through.
    """
    if isinstance(value, Mapping) and type(value) in result_type.__mro__[1:]:
        return result_type(value)  # type: ignore[call-arg]
    return value


def _with_return(wrapper: Callable[..., Any], method: Callable[..., Any], result_type: type) -> None:
    signature = inspect.signature(method)
    wrapper.__signature__ = signature.replace(return_annotation=result_type)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {**getattr(method, "__annotations__", {}), "return": result_type}


def typed_result(result_type: type[_R]) -> Callable[[Callable[_P, Any]], Callable[_P, _R]]:
    """Decorate a generated operation so that it returns ``result_type`` (one of the classes above)."""

    def decorate(method: Callable[_P, Any]) -> Callable[_P, _R]:
        @functools.wraps(method)
        def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            return cast(_R, _retype(method(*args, **kwargs), result_type))

        _with_return(wrapper, method, result_type)
        return wrapper

    return decorate


def async_typed_result(
    result_type: type[_R],
) -> Callable[[Callable[_P, Awaitable[Any]]], Callable[_P, Coroutine[Any, Any, _R]]]:
    """The async twin of :func:`typed_result`."""

    def decorate(method: Callable[_P, Awaitable[Any]]) -> Callable[_P, Coroutine[Any, Any, _R]]:
        @functools.wraps(method)
        async def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            return cast(_R, _retype(await method(*args, **kwargs), result_type))

        _with_return(wrapper, method, result_type)
        return wrapper

    return decorate
