"""The transport-free core of paged item search, shared by the sync and async pagers.

One page is fetched by one :class:`PageRequest` (method, href, JSON body, headers). The first is a
``POST /stac/search`` with the normalized search body; each following one is built from the
``rel="next"`` link of the page before, exactly as the service wrote it:

* ``method`` ``GET`` (the default): a GET of ``href`` (the paging token is in its query);
* ``method`` ``POST``: a POST of ``href`` with the link's ``body``; with ``merge: true`` that body
  is laid over the previous request's body; a POST link without a body repeats the previous body;
* the link's ``headers`` are sent along; a relative ``href`` is resolved against the previous one;
* ``api-version`` (and the caller's ``sign``, ``duration`` and ``params``) are added to the query
  when the link does not carry them; the caller's headers and pipeline options go with every page.

Paging stops after a page without a next link, after an empty page, when the next link would
repeat the same request, or once ``max_items`` items have been returned. A next link back to any
earlier page of the same pass (a cycle, A→B→A) raises ``HttpResponseError`` naming both pages
instead of paging forever.

Every page must be a FeatureCollection: a JSON object whose ``features`` is a list of JSON
objects (and whose ``type``, when present, is ``FeatureCollection``). Anything else, e.g. a 200
carrying ``{"error": ...}``, raises ``DecodeError`` naming the page (its number in this pass and
its request) instead of ending or truncating the search silently; so does JSON nested too deeply
for the parser (a ``RecursionError`` otherwise).

A continuation token is the next :class:`PageRequest` plus the number of items returned so far,
as URL-safe base64 of JSON: it is self-contained, so a new process can resume from it with
``by_page(continuation_token=...)``.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Callable, cast
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from azure.core.exceptions import (
    ClientAuthenticationError,
    DecodeError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
    ResourceNotModifiedError,
    map_error,
)
from azure.core.rest import AsyncHttpResponse, HttpRequest, HttpResponse

from ._generated._utils.model_base import _deserialize, _failsafe_deserialize
from ._generated.models import ErrorResponse, StacItem
from ._generated.operations._operations import build_stac_search_request
from ._lazy_items import lazy_model
from ._search_params import (
    DatetimeLike,
    GeoInterface,
    build_search_body,
    normalize_duration,
    normalize_max_items,
    normalize_sign,
)

__all__ = [
    "SEARCH_OPTIONS",
    "SEARCH_RETRY_METHODS",
    "FetchedPage",
    "PageRequest",
    "PagingPass",
    "SearchPager",
    "decode_token",
    "encode_token",
    "hand_out",
    "prepare_search",
]

SEARCH_RETRY_METHODS = frozenset(["HEAD", "GET", "PUT", "DELETE", "OPTIONS", "TRACE", "POST"])
"""azure-core's retried methods plus POST: a search POST reads only, so it is as safe to retry as a GET.

Passed per request as ``retry_on_methods``: the client's RetryPolicy then retries a search on
408/429/500/502/503/504 and on connection errors, as it does a GET.
"""

SEARCH_OPTIONS = frozenset(
    [
        # Per-call options of search_items_paged itself
        "headers",
        "params",
        "error_map",
        # azure-core pipeline policies
        "logging_enable",
        "logger",
        "http_logging_level",
        "request_id",
        "user_agent",
        "user_agent_overwrite",
        "user_agent_use_env",
        "raw_request_hook",
        "raw_response_hook",
        "response_encoding",
        "tracing_attributes",
        "network_span_namer",
        "enforce_https",
        "enable_cae",
        "permit_redirects",
        "redirect_max",
        "redirect_on_status_codes",
        "redirect_remove_headers",
        "retry_total",
        "retry_connect",
        "retry_read",
        "retry_status",
        "retry_backoff_factor",
        "retry_backoff_max",
        "retry_mode",
        "retry_on_methods",
        "retry_on_status_codes",
        "timeout",
        # transports
        "connection_timeout",
        "read_timeout",
        "connection_verify",
        "connection_cert",
        "proxies",
        "max_response_size",
        "response_timeout",
    ]
)
"""The keywords ``search_items_paged`` takes besides its named search arguments: per-call options."""

_SEARCH_ARGUMENTS = (
    "body",
    "collections",
    "ids",
    "bbox",
    "intersects",
    "datetime",
    "query",
    "filter",
    "filter_lang",
    "filter_crs",
    "sortby",
    "fields",
    "limit",
    "max_items",
    "sign",
    "duration_in_minutes",
)

_TOKEN_VERSION = 1
_DEFAULT_ERRORS: dict[int, type[HttpResponseError]] = {
    401: ClientAuthenticationError,
    404: ResourceNotFoundError,
    409: ResourceExistsError,
    304: ResourceNotModifiedError,
}


@dataclass(frozen=True)
class PageRequest:
    """The request for one page of results."""

    method: str
    href: str
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class PagingPass:
    """One pass over the pages (one ``by_page()`` or ``for`` loop): pages fetched and requests seen."""

    pages: int = 0
    seen: dict[str, int] = field(default_factory=dict)
    """Each request of this pass (its fingerprint) and the number of the page it fetched."""
    cycle: str | None = None
    """Set when the last page's next link leads back to an earlier page: why the pass must stop."""

    def stop_on_cycle(self) -> None:
        """Raise, before the next page is fetched, when the last page's next link closed a cycle.

        :raises ~azure.core.exceptions.HttpResponseError: naming the page and the one it leads back to.
        """
        if self.cycle is not None:
            raise HttpResponseError(message=self.cycle)

    def admit(self, fetched: FetchedPage) -> FetchedPage:
        """Count ``fetched`` as the next page of this pass."""
        self.pages += 1
        fetched.number = self.pages
        self.seen.setdefault(_fingerprint(fetched.request), self.pages)
        return fetched


def _fingerprint(request: PageRequest) -> str:
    # A digest, not the request itself: a pass may run to thousands of pages, each request
    # carrying the whole search body (an intersects polygon can be large).
    text = json.dumps(
        [request.method, request.href, request.body, request.headers], sort_keys=True, default=str
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def describe_page(number: int, request: PageRequest) -> str:
    """``search page 3 (GET https://.../stac/search?token=...)``: how errors name a page."""
    return f"search page {number} ({request.method} {request.href})"


@dataclass
class FetchedPage:
    """One page as received: the request that fetched it, items returned before it, and its JSON.

    :meth:`SearchPager.page` empties ``data`` once it has taken the items out: the paging iterator
    keeps the last response until the next page arrives, and must not keep the page's JSON alive.
    """

    request: PageRequest
    yielded: int
    data: dict[str, Any]
    number: int = 0
    """The page's number in its pass (1 for the first page fetched); 0 when not fetched."""


def encode_token(request: PageRequest, yielded: int) -> str:
    """A continuation token for ``request``, after ``yielded`` items were returned."""
    payload = {
        "v": _TOKEN_VERSION,
        "method": request.method,
        "href": request.href,
        "body": request.body,
        "headers": request.headers,
        "yielded": yielded,
    }
    text = json.dumps(payload, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def decode_token(token: str) -> tuple[PageRequest, int]:
    """The request and item count a continuation token stands for.

    :raises TypeError: ``token`` is not a string.
    :raises ValueError: ``token`` was not made by :func:`encode_token`.
    """
    if not isinstance(token, str):
        raise TypeError(f"continuation_token must be a str, got {type(token).__name__}")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw.decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError("continuation_token is not a search continuation token") from None
    if not isinstance(payload, dict) or payload.get("v") != _TOKEN_VERSION:
        raise ValueError("continuation_token is not a search continuation token (unknown format)")
    method, href, body = payload.get("method"), payload.get("href"), payload.get("body")
    headers, yielded = payload.get("headers") or {}, payload.get("yielded")
    valid = (
        method in ("GET", "POST")
        and isinstance(href, str)
        and urlsplit(href).scheme in ("http", "https")
        and (body is None or isinstance(body, dict))
        and isinstance(headers, dict)
        and all(isinstance(key, str) and isinstance(value, str) for key, value in headers.items())
        and isinstance(yielded, int)
        and not isinstance(yielded, bool)
        and yielded >= 0
    )
    if not valid:
        raise ValueError("continuation_token is not a search continuation token (malformed request)")
    return PageRequest(str(method), str(href), body, dict(headers)), cast(int, yielded)


def _with_query_defaults(href: str, defaults: Mapping[str, str]) -> str:
    """``href`` with each of ``defaults`` appended unless its query already has that parameter."""
    parts = urlsplit(href)
    present = {name for name, _ in parse_qsl(parts.query, keep_blank_values=True)}
    missing = [(name, value) for name, value in defaults.items() if name not in present]
    if not missing:
        return href
    query = parts.query + ("&" if parts.query else "") + urlencode(missing)
    return parts._replace(query=query).geturl()


def _next_link(data: Mapping[str, Any]) -> Mapping[str, Any] | None:
    links = data.get("links")
    if not isinstance(links, list):
        return None
    for link in links:
        if isinstance(link, Mapping) and link.get("rel") == "next" and isinstance(link.get("href"), str):
            return link
    return None


def _feature_collection_problem(data: Any) -> str | None:
    """What keeps ``data`` from being a page of results (a FeatureCollection), or None."""
    if not isinstance(data, dict):
        return f"the JSON is a {type(data).__name__}, not an object"
    kind = data.get("type")
    if kind is not None and kind != "FeatureCollection":
        return f"its type is {kind!r}"
    features = data.get("features")
    if not isinstance(features, list):
        keys = ", ".join(repr(key) for key in list(data)[:5])
        return f"it has no 'features' list (keys: {keys or 'none'})"
    for index, feature in enumerate(features):
        if not isinstance(feature, dict):
            return f"features[{index}] is {feature!r:.40}, not a JSON object"
    return None


def check_search_options(function: str, options: Mapping[str, Any]) -> None:
    """Refuse a keyword that is neither a search argument nor a per-call option, naming a close match.

    A misspelt argument (``colections=``) would otherwise be passed to the pipeline as an option and
    fail only while iterating, or not at all.

    :raises TypeError: naming the keyword and, when there is one, the argument it resembles.
    """
    for name in options:
        if name in SEARCH_OPTIONS:
            continue
        close = difflib.get_close_matches(name, [*_SEARCH_ARGUMENTS, *sorted(SEARCH_OPTIONS)], n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise TypeError(f"{function}() got an unexpected keyword argument {name!r}{hint}")


def _matched(data: Mapping[str, Any]) -> int | None:
    context = data.get("context")
    candidates = [context.get("matched") if isinstance(context, Mapping) else None, data.get("numberMatched")]
    for value in candidates:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


class SearchPager:
    """State of one paged search: builds each page's HTTP request and turns pages into items.

    Holds no connection; the sync and async pagers send what :meth:`http_request` builds and hand
    the response to :meth:`receive`.
    """

    def __init__(
        self,
        first: PageRequest,
        *,
        query_defaults: Mapping[str, str],
        headers: Mapping[str, str],
        options: dict[str, Any],
        max_items: int | None = None,
        error_map: Mapping[int, type[HttpResponseError]] | None = None,
    ) -> None:
        self.first = first
        self.query_defaults = dict(query_defaults)
        self.headers = dict(headers)
        self.options = options
        self.max_items = max_items
        self.error_map = {**_DEFAULT_ERRORS, **(error_map or {})}
        self.matched: int | None = None
        """The match count the latest page reported (``context.matched`` or ``numberMatched``)."""
        self.pages_received = 0
        self.prefetched: FetchedPage | None = None
        """A first page fetched early (to count matches), handed to the next pass from the start."""

    def start(self, continuation_token: str | None) -> tuple[PageRequest, int]:
        """The request to send for ``continuation_token`` (None: the first page) and items so far."""
        if continuation_token is None:
            return self.first, 0
        return decode_token(continuation_token)

    def exhausted(self, yielded: int) -> bool:
        """Whether ``max_items`` items have been returned already."""
        return self.max_items is not None and yielded >= self.max_items

    def http_request(self, request: PageRequest) -> HttpRequest:
        """The HTTP request for ``request``, with the client's defaults and the caller's headers."""
        headers = {"Accept": "application/json", **self.headers, **request.headers}
        url = _with_query_defaults(request.href, self.query_defaults)
        if request.method == "GET":
            return HttpRequest("GET", url, headers=headers)
        headers["Content-Type"] = "application/json"
        return HttpRequest(request.method, url, headers=headers, content=json.dumps(request.body or {}))

    def receive(
        self,
        request: PageRequest,
        yielded: int,
        response: HttpResponse | AsyncHttpResponse,
        number: int = 1,
    ) -> FetchedPage:
        """Check a page's (already read) response and parse it; raises the service's error.

        :param number: The page's number in its pass, for error messages.
        :raises ~azure.core.exceptions.DecodeError: The page is not JSON, is nested too deeply to
            parse, or is not a FeatureCollection of JSON objects.
        """
        if response.status_code != 200:
            map_error(status_code=response.status_code, response=response, error_map=self.error_map)
            error = _failsafe_deserialize(ErrorResponse, cast(HttpResponse, response))
            raise HttpResponseError(response=response, model=error)
        page = describe_page(number, request)
        try:
            data = json.loads(response.content)
        except ValueError as exc:
            raise DecodeError(message=f"{page} is not JSON: {exc}", response=response, error=exc) from exc
        except RecursionError as exc:
            # The standard parser recurses per nesting level: hostile depth must not escape bare.
            raise DecodeError(
                message=f"{page} is JSON nested too deeply to parse", response=response, error=exc
            ) from None
        problem = _feature_collection_problem(data)
        if problem is not None:
            error = DecodeError(
                message=f"{page} is not a FeatureCollection: {problem}; the search cannot go on",
                response=response,
            )
            if error.error is not None:  # azure-core put the body's {"error": ...} in the message
                error.message = f"{page} is a 200 carrying an error, not a FeatureCollection: {error.message}"
                error.args = (error.message,)
            raise error
        self.pages_received += 1
        matched = _matched(data)
        if matched is not None:
            self.matched = matched
        return FetchedPage(request, yielded, data)

    def page(
        self, fetched: FetchedPage, state: PagingPass | None = None
    ) -> tuple[str | None, list[StacItem]]:
        """The continuation token of the page after ``fetched`` (None: last page) and its items.

        :param state: The pass ``fetched`` belongs to: a next link back to one of its earlier pages
            sets its ``cycle``, and :meth:`PagingPass.stop_on_cycle` raises instead of fetching it.
        """
        features = fetched.data.get("features")
        if not isinstance(features, list):
            features = []
        if self.max_items is not None:
            features = features[: max(self.max_items - fetched.yielded, 0)]
        items = [
            lazy_model(StacItem, feature) if type(feature) is dict else _deserialize(StacItem, feature)
            for feature in features
        ]
        yielded = fetched.yielded + len(items)
        following = None
        if items and not self.exhausted(yielded):
            following = self.next_request(fetched.request, fetched.data)
        fetched.data = {}
        if following is None or following == fetched.request:
            return None, items
        if state is not None:
            earlier = state.seen.get(_fingerprint(following))
            if earlier is not None:  # this page's items are new: they are handed out, then it stops
                state.cycle = (
                    f"the next link of {describe_page(fetched.number, fetched.request)} leads back "
                    f"to page {earlier} of this pass: the service's next links form a cycle, "
                    "and following them would repeat items forever"
                )
        return encode_token(following, yielded), items

    @staticmethod
    def next_request(current: PageRequest, data: Mapping[str, Any]) -> PageRequest | None:
        """The request the page's ``next`` link describes, or None when there is none."""
        link = _next_link(data)
        if link is None:
            return None
        method = str(link.get("method") or "GET").upper()
        href = urljoin(current.href, link["href"])
        raw_headers = link.get("headers")
        headers: dict[str, str] = {}
        if isinstance(raw_headers, Mapping):
            headers = {str(key): str(value) for key, value in raw_headers.items()}
        if method == "GET":
            return PageRequest("GET", href, None, headers)
        if method != "POST":
            raise HttpResponseError(message=f"the search next link asks for unsupported method {method!r}")
        link_body = link.get("body")
        if link_body is None:
            body = current.body
        elif not isinstance(link_body, Mapping):
            raise HttpResponseError(message="the search next link has a body that is not a JSON object")
        elif link.get("merge") is True:
            body = {**(current.body or {}), **link_body}
        else:
            body = dict(link_body)
        return PageRequest("POST", href, body, headers)


def hand_out(items: list[StacItem]) -> Iterator[StacItem]:
    """The items of a page, letting go of each one as it is handed out (the list ends up empty).

    A page iterator is kept until the next page arrives; handing items out this way lets each
    item, and the JSON under it, be freed as soon as the caller is done with it, while it is still
    in the CPU cache, instead of a whole page later.
    """
    items.reverse()
    while items:
        yield items.pop()


def prepare_search(
    *,
    endpoint: str,
    api_version: str,
    format_url: Callable[..., str],
    body: Mapping[str, Any] | None,
    collections: Any,
    ids: Any,
    bbox: Any,
    intersects: Mapping[str, Any] | GeoInterface | None,
    datetime: DatetimeLike | None,
    query: Any,
    filter: Any,
    filter_lang: Any,
    filter_crs: Any,
    sortby: Any,
    fields: Any,
    limit: Any,
    max_items: Any,
    sign: Any,
    duration_in_minutes: Any,
    kwargs: dict[str, Any],
) -> SearchPager:
    """Check every argument and build the pager of a search; nothing is sent.

    :raises TypeError: ``kwargs`` holds a keyword that is not a per-call option (:data:`SEARCH_OPTIONS`).

    ``kwargs`` are the caller's per-call options: ``headers`` and ``params`` go on every page
    request, ``error_map`` extends the status-to-exception map, and the rest (``logging_enable``,
    ``retry_total``...) is passed to the pipeline with every page.
    """
    check_search_options("search_items_paged", kwargs)
    search_body = build_search_body(
        body,
        collections=collections,
        ids=ids,
        bbox=bbox,
        intersects=intersects,
        datetime=datetime,
        query=query,
        filter=filter,
        filter_lang=filter_lang,
        filter_crs=filter_crs,
        sortby=sortby,
        fields=fields,
        limit=limit,
    )
    total = normalize_max_items(max_items) if max_items is not None else None
    sign_value = normalize_sign(sign) if sign is not None else None
    duration = normalize_duration(duration_in_minutes) if duration_in_minutes is not None else None
    headers = kwargs.pop("headers", None) or {}
    params = kwargs.pop("params", None) or {}
    if not isinstance(headers, Mapping):
        raise TypeError(f"headers must be a mapping, got {type(headers).__name__}")
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a mapping, got {type(params).__name__}")
    error_map = kwargs.pop("error_map", None)
    kwargs.setdefault("retry_on_methods", SEARCH_RETRY_METHODS)

    template = build_stac_search_request(
        sign=sign_value, duration_in_minutes=duration, api_version=api_version, params=dict(params)
    )
    first = PageRequest("POST", format_url(template.url, endpoint=endpoint), search_body)
    defaults = {"api-version": api_version, **{str(k): str(v) for k, v in params.items()}}
    if sign_value is not None:
        defaults["sign"] = sign_value
    if duration is not None:
        defaults["duration"] = str(duration)
    return SearchPager(
        first,
        query_defaults=defaults,
        headers={str(k): str(v) for k, v in headers.items()},
        options=kwargs,
        max_items=total,
        error_map=error_map,
    )
