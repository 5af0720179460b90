"""``client.ingestion.ingest(collection_id, source)``: one call from data to a finished ingestion.

``source`` is one of:

* a static STAC catalog URL (``.../catalog.json``): a ``StaticCatalog`` ingestion;
* a stac-geoparquet URL (``.parquet``): a ``StacGeoparquet`` ingestion;
* either URL with a SAS query string (``...?sv=...&sig=...``), or with ``sas_token=``, or a
  :class:`SasContainer`: the data sit in a private blob container read with that token;
* an iterable of items (pystac Items or an ItemCollection, ``StacItem`` models, dicts): written
  with the service's item operations, see :mod:`._upserts`.

For a URL, the real operations, in order:

1. with a SAS token: ``list_sources`` / ``get_source`` find the ``SasToken`` source of that
   container. None: ``create_source``. One whose ``expiration`` is not the token's expiry (another
   token, or one about to expire): ``replace_source`` with the same id, so sources are refreshed
   and never duplicated. A token that itself expires within ``source_min_validity`` (15 minutes by
   default) is refused before any request;
2. ``ingestion.list(collection_id)`` finds a definition with the same import type and URL, else
   ``ingestion.create`` makes one (``skip_existing_items=True`` by default, so a re-run adds no
   item twice);
3. ``begin_run`` starts a run and returns its ``LROPoller[IngestionRun]``; ``result()`` raises
   :class:`~azure.planetarycomputer.IngestionRunError` with the service's reasons if it fails.

For items, ``ingest`` returns an ``LROPoller[UpsertSummary]`` whose ``result()`` lists every
item's outcome, failed ones with the service's code and message; the writes run in the poller's
thread.
"""

from __future__ import annotations

import datetime as dt
import numbers
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable, Optional
from urllib.parse import parse_qs, urlsplit, urlunsplit

from azure.core.polling import LROPoller, PollingMethod

from .._generated.models import (
    IngestionDefinition,
    IngestionRun,
    SharedAccessSignatureTokenConnection,
    SharedAccessSignatureTokenIngestionSource,
)
from .._ingestion_runs import IngestionRunProgress, status_text
from .._storage_hosts import StorageHosts
from ._progress import IngestProgress, ProgressArgument, Reporter, check_progress
from ._upserts import UpsertSummary, check_collection_id, check_concurrency, items_iterator

__all__ = [
    "IngestProgress",
    "PublishingIngestionMixin",
    "SasContainer",
    "UrlSource",
    "resolve_source",
]

STATIC_CATALOG = "StaticCatalog"
STAC_GEOPARQUET = "StacGeoparquet"
_IMPORT_TYPES = (STATIC_CATALOG, STAC_GEOPARQUET)
_GEOPARQUET_SUFFIXES = (".parquet", ".geoparquet")
DEFAULT_MIN_VALIDITY = dt.timedelta(minutes=15)
_EXPIRY_TOLERANCE = dt.timedelta(minutes=1)
_TERMINAL = frozenset({"succeeded", "failed", "canceled"})


@dataclass(frozen=True)
class SasContainer:
    """Data in a private blob container, read with a SAS token.

    :ivar container_url: ``https://account.blob.core.windows.net/container``.
    :ivar sas_token: The SAS query string (``sv=...&se=...&sig=...``), with or without ``?``.
    :ivar path: The catalog (or GeoParquet file) inside the container; ``catalog.json`` by default.
    :ivar import_type: ``"StaticCatalog"`` or ``"StacGeoparquet"``; by default from ``path``'s suffix.
    """

    container_url: str
    sas_token: str
    path: str = "catalog.json"
    import_type: Optional[str] = None  # noqa: UP045 (dataclass fields are evaluated on 3.9)

    def __repr__(self) -> str:  # the token is a secret
        return (
            f"SasContainer(container_url={self.container_url!r}, sas_token='<redacted>', path={self.path!r})"
        )


@dataclass(frozen=True)
class UrlSource:
    """A resolved URL source: what the definition points at, and the container's token if any."""

    url: str
    import_type: str
    container_url: Optional[str] = None  # noqa: UP045
    sas_token: Optional[str] = None  # noqa: UP045

    def __repr__(self) -> str:
        return f"UrlSource(url={self.url!r}, import_type={self.import_type!r})"


def _import_type(value: Any, url: str) -> str:
    if value is None:
        return (
            STAC_GEOPARQUET if urlsplit(url).path.lower().endswith(_GEOPARQUET_SUFFIXES) else STATIC_CATALOG
        )
    text = str(getattr(value, "value", value))
    if text not in _IMPORT_TYPES:
        raise ValueError(f"import_type must be one of {_IMPORT_TYPES}, got {value!r}")
    return text


def _container_of(url: str, storage_hosts: StorageHosts) -> str:
    """The blob container URL of ``url``: ``https://account.blob.core.windows.net/container``, or
    ``http://127.0.0.1:10000/account/container`` where the account is in the path (an emulator)."""
    parts = urlsplit(url)
    depth = 2 if storage_hosts.path_style(url) else 1
    segments = parts.path.lstrip("/").split("/")
    if len(segments) <= depth or not all(segments[:depth]):
        raise ValueError(f"source URL {url!r} names no blob container")
    return urlunsplit((parts.scheme, parts.netloc, "/" + "/".join(segments[:depth]), "", ""))


def resolve_source(
    source: Any, sas_token: Any, import_type: Any, storage_hosts: StorageHosts | None = None
) -> UrlSource | None:
    """A URL source, or ``None`` when ``source`` is items. Raises ValueError/TypeError on bad input."""
    if sas_token is not None and (not isinstance(sas_token, str) or not sas_token.strip("?")):
        raise TypeError("sas_token must be a non-empty string")
    if isinstance(source, SasContainer):
        if sas_token is not None:
            raise ValueError("give the SAS token once: in the SasContainer or as sas_token=, not both")
        base = source.container_url.rstrip("/")
        if urlsplit(base).scheme not in ("http", "https"):
            raise ValueError(
                f"SasContainer.container_url must be an http(s) URL, got {source.container_url!r}"
            )
        url = f"{base}/{source.path.lstrip('/')}"
        return UrlSource(
            url, _import_type(source.import_type or import_type, url), base, source.sas_token.lstrip("?")
        )
    if isinstance(source, str):
        parts = urlsplit(source)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"source must be an http(s) URL, a SasContainer or items, got {source!r}")
        url = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        token = sas_token.lstrip("?") if sas_token else None
        if "sig" in parse_qs(parts.query):
            if token is not None:
                raise ValueError("source carries a SAS token in its query; do not pass sas_token= too")
            token = parts.query
        container = _container_of(url, storage_hosts or StorageHosts()) if token else None
        return UrlSource(url, _import_type(import_type, url), container, token)
    if isinstance(source, (bytes, Mapping)):
        raise TypeError(
            f"source must be a URL, a SasContainer or an iterable of items, got {type(source).__name__}"
        )
    if sas_token is not None:
        raise ValueError("sas_token is for URL sources; items are written with the client's credential")
    return None


def sas_expiry(token: str) -> dt.datetime | None:
    """The ``se`` (signed expiry) of a SAS token, or ``None`` if it has none."""
    values = parse_qs(token.lstrip("?")).get("se")
    if not values:
        return None
    text = values[0].replace("Z", "+00:00")
    try:
        expiry = dt.datetime.fromisoformat(text)
    except ValueError as error:
        raise ValueError("sas_token has an unreadable 'se' (expiry)") from error
    return expiry if expiry.tzinfo else expiry.replace(tzinfo=dt.timezone.utc)


def check_min_validity(value: Any) -> dt.timedelta:
    if isinstance(value, dt.timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise TypeError(f"source_min_validity must be a timedelta or seconds, got {value!r}")
    if seconds < 0:
        raise ValueError(f"source_min_validity must not be negative, got {value!r}")
    return dt.timedelta(seconds=seconds)


def check_token_validity(token: str, min_validity: dt.timedelta) -> dt.datetime | None:
    """The token's expiry; ValueError if it expires within ``min_validity``."""
    expiry = sas_expiry(token)
    if expiry is not None and expiry <= dt.datetime.now(dt.timezone.utc) + min_validity:
        raise ValueError(
            f"sas_token expires at {expiry.isoformat()}, within source_min_validity "
            f"({min_validity}); the ingestion would fail part-way: issue a longer-lived token"
        )
    return expiry


def same_container(a: str | None, b: str) -> bool:
    if not a:
        return False
    pa, pb = urlsplit(a.rstrip("/")), urlsplit(b.rstrip("/"))
    return (pa.scheme.lower(), pa.netloc.lower(), pa.path) == (pb.scheme.lower(), pb.netloc.lower(), pb.path)


def source_is_current(
    expiration: dt.datetime | None, token_expiry: dt.datetime | None, min_validity: dt.timedelta
) -> bool:
    """Whether a stored SAS source can be used as it is for a run with the given token."""
    if expiration is None or token_expiry is None:
        return False
    if expiration.tzinfo is None:
        expiration = expiration.replace(tzinfo=dt.timezone.utc)
    if expiration <= dt.datetime.now(dt.timezone.utc) + min_validity:
        return False
    return abs(expiration - token_expiry) <= _EXPIRY_TOLERANCE


def source_model(source_id: str, container_url: str, token: str) -> SharedAccessSignatureTokenIngestionSource:
    return SharedAccessSignatureTokenIngestionSource(
        id=source_id,
        connection_info=SharedAccessSignatureTokenConnection(
            container_uri=container_url, shared_access_signature_token=token
        ),
    )


def new_source_id() -> str:
    return str(uuid.uuid4())


def definition_matches(definition: Any, source: UrlSource) -> bool:
    if status_text(definition.import_type) != source.import_type:
        return False
    url = (
        definition.stac_geoparquet_url
        if source.import_type == STAC_GEOPARQUET
        else definition.source_catalog_url
    )
    return bool(url) and str(url).rstrip("/") == source.url.rstrip("/")


def definition_model(
    source: UrlSource, display_name: str | None, skip_existing_items: bool, keep_original_assets: bool | None
) -> IngestionDefinition:
    fields: dict[str, Any] = {
        "import_type": source.import_type,
        "display_name": display_name or f"{source.import_type} {source.url}",
        "skip_existing_items": skip_existing_items,
    }
    if source.import_type == STAC_GEOPARQUET:
        fields["stac_geoparquet_url"] = source.url
    else:
        fields["source_catalog_url"] = source.url
    if keep_original_assets is not None:
        fields["keep_original_assets"] = keep_original_assets
    return IngestionDefinition(**fields)


def check_flag(name: str, value: Any, optional: bool = False) -> None:
    if (value is None and optional) or isinstance(value, bool):
        return
    raise TypeError(f"{name} must be a bool, got {value!r}")


def run_progress(reporter: Reporter) -> Callable[[IngestionRunProgress], None]:
    """A ``begin_run`` progress callback feeding ``reporter`` (closed when the run ends)."""

    def report(progress: IngestionRunProgress) -> None:
        reporter.set(progress.succeeded, progress.failed, progress.total or None)
        if progress.status.lower() in _TERMINAL:
            reporter.close()

    return report


class ItemUploadPolling(PollingMethod[UpsertSummary]):
    """Runs an item upsert in an ``LROPoller``'s thread; ``result()`` is the :class:`UpsertSummary`."""

    def __init__(self, upload: Callable[[], UpsertSummary]) -> None:
        self._upload = upload
        self._summary: UpsertSummary | None = None
        self._status = "NotStarted"

    def initialize(self, client: Any, initial_response: Any, deserialization_callback: Any) -> None:
        self._status = "Running"

    def run(self) -> None:
        try:
            self._summary = self._upload()
        except BaseException:
            self._status = "Failed"
            raise
        self._status = "Succeeded"

    def status(self) -> str:
        return self._status

    def finished(self) -> bool:
        return self._status in ("Succeeded", "Failed")

    def resource(self) -> UpsertSummary:
        assert self._summary is not None, "the upload has not finished"
        return self._summary

    def get_continuation_token(self) -> str:
        raise ValueError(
            "an upload of items cannot be resumed from a token: run ingest again (unchanged "
            "items are skipped)"
        )

    @classmethod
    def from_continuation_token(cls, continuation_token: str, **kwargs: Any) -> Any:
        raise ValueError("an upload of items cannot be resumed from a token")


@dataclass(frozen=True)
class IngestArguments:
    collection_id: str
    source: UrlSource | None
    min_validity: dt.timedelta
    progress: ProgressArgument


def check_ingest(
    collection_id: Any,
    source: Any,
    sas_token: Any,
    import_type: Any,
    source_min_validity: Any,
    progress: Any,
    skip_existing_items: Any,
    keep_original_assets: Any,
    storage_hosts: StorageHosts | None = None,
) -> IngestArguments:
    """Validate ``ingest``'s arguments before any request."""
    check_flag("skip_existing_items", skip_existing_items)
    check_flag("keep_original_assets", keep_original_assets, optional=True)
    min_validity = check_min_validity(source_min_validity)
    url_source = resolve_source(source, sas_token, import_type, storage_hosts)
    if url_source is not None and url_source.sas_token is not None:
        check_token_validity(url_source.sas_token, min_validity)
    return IngestArguments(
        check_collection_id(collection_id), url_source, min_validity, check_progress(progress)
    )


class PublishingIngestionMixin:
    """``ingest`` on ``client.ingestion``."""

    # Provided by the operations group this mixin is composed with.
    _client: Any
    _config: Any
    _serialize: Any
    _deserialize: Any
    list_sources: Callable[..., Any]
    get_source: Callable[..., Any]
    create_source: Callable[..., Any]
    replace_source: Callable[..., Any]
    list: Callable[..., Any]
    create: Callable[..., Any]
    begin_run: Callable[..., Any]

    def _ensure_source(self, source: UrlSource, min_validity: dt.timedelta) -> str:
        assert source.container_url is not None and source.sas_token is not None
        token_expiry = sas_expiry(source.sas_token)
        for summary in self.list_sources():
            if status_text(summary.kind) != "SasToken":
                continue
            stored = self.get_source(summary.id)
            info = stored.connection_info
            if not same_container(info.container_uri, source.container_url):
                continue
            if not source_is_current(info.expiration, token_expiry, min_validity):
                self.replace_source(
                    stored.id, source_model(stored.id, source.container_url, source.sas_token)
                )
            return str(stored.id)
        source_id = new_source_id()
        self.create_source(source_model(source_id, source.container_url, source.sas_token))
        return source_id

    def _ensure_definition(
        self,
        collection_id: str,
        source: UrlSource,
        display_name: str | None,
        skip_existing_items: bool,
        keep_original_assets: bool | None,
    ) -> str:
        for definition in self.list(collection_id):
            if definition_matches(definition, source):
                return str(definition.id)
        model = definition_model(source, display_name, skip_existing_items, keep_original_assets)
        return str(self.create(collection_id, model).id)

    def _stac(self) -> Any:
        from .._operations import StacOperations  # the composed group; imported here, it imports us

        return StacOperations(self._client, self._config, self._serialize, self._deserialize)

    def ingest(
        self,
        collection_id: str,
        source: Any,
        *,
        sas_token: str | None = None,
        import_type: str | None = None,
        display_name: str | None = None,
        skip_existing_items: bool = True,
        keep_original_assets: bool | None = None,
        source_min_validity: dt.timedelta | float = DEFAULT_MIN_VALIDITY,
        concurrency: int = 8,
        progress: ProgressArgument = None,
        polling_interval: float | None = None,
        polling_timeout: float | None = None,
        **kwargs: Any,
    ) -> LROPoller[Any]:
        """Ingest data into a collection in one call and return a poller for the whole job.

        :param collection_id: The collection to ingest into.
        :param source: A static catalog or stac-geoparquet URL (optionally with a SAS query), a
            :class:`SasContainer`, or an iterable of items (pystac, ``StacItem`` or dicts).
        :keyword sas_token: A SAS token for a URL source's blob container.
        :keyword import_type: ``"StaticCatalog"`` or ``"StacGeoparquet"``; by default from the URL
            (``.parquet`` is GeoParquet).
        :keyword display_name: The definition's display name, when one is created.
        :keyword skip_existing_items: For a new definition: skip items already in the collection
            (default True, which makes re-runs safe).
        :keyword keep_original_assets: For a new definition: keep assets where they are.
        :keyword source_min_validity: A SAS token must stay valid this long (15 minutes by default),
            or it is refused before any request; a stored source expiring sooner is refreshed.
        :keyword concurrency: For items: items written at once (8 by default).
        :keyword progress: ``True`` (a tqdm bar, the ``[progress]`` extra) or a callable taking an
            :class:`IngestProgress` (succeeded, failed, total).
        :keyword polling_interval: For a run: seconds between polls, exactly (else adaptive).
        :keyword polling_timeout: For a run: give up waiting after this many seconds.
        :return: For a URL, the run's ``LROPoller[IngestionRun]``; for items, an
            ``LROPoller[UpsertSummary]``.
        :raises ValueError: or TypeError: bad arguments, or a SAS token about to expire (no request made).
        """
        args = check_ingest(
            collection_id,
            source,
            sas_token,
            import_type,
            source_min_validity,
            progress,
            skip_existing_items,
            keep_original_assets,
            getattr(self._config, "storage_hosts", None),
        )
        if args.source is None:
            stac = self._stac()
            check_concurrency(concurrency)
            checked, count = items_iterator(source, args.collection_id)  # a list is checked whole, here
            items = source if count is None else list(checked)

            def upload() -> UpsertSummary:
                summary: UpsertSummary = stac.upsert_items(
                    args.collection_id, items, concurrency=concurrency, progress=args.progress, **kwargs
                )
                return summary

            return LROPoller[UpsertSummary](
                self._client, None, lambda result: result, ItemUploadPolling(upload)
            )
        if args.source.sas_token is not None:
            self._ensure_source(args.source, args.min_validity)
        definition_id = self._ensure_definition(
            args.collection_id, args.source, display_name, skip_existing_items, keep_original_assets
        )
        callback = None
        if args.progress:
            callback = run_progress(Reporter(args.progress, None, f"ingest -> {args.collection_id}"))
        poller: LROPoller[IngestionRun] = self.begin_run(
            args.collection_id,
            definition_id,
            polling_interval=polling_interval,
            polling_timeout=polling_timeout,
            progress=callback,
            **kwargs,
        )
        return poller
