"""The ``planetarycomputer`` commands: collections, search, tiles, assets, sign, token, runs, ingest.

Each command reads its arguments, calls one of the library's helpers, and writes what a pipe can
read: NDJSON (one JSON document a line) for items and signed objects, one path a line for
downloaded files, and nothing but the data on stdout (summaries, progress bars and errors go to
stderr). Progress bars are shown only when stderr is a terminal, unless ``--progress`` or
``--no-progress`` says otherwise.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as _dt
import inspect
import json
import os
import sys
import tempfile
import typing
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any, Callable, TextIO
from urllib.parse import unquote, urlsplit

import click

from ._app import EXIT_SERVICE_ERROR, cli, fail, session

# -- shared options and conversions -------------------------------------------------------------------


def _progress_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--progress/--no-progress",
        default=None,
        help="Show a progress bar on stderr (default: only when stderr is a terminal).",
    )(function)


def _show_progress(progress: bool | None) -> bool:
    return sys.stderr.isatty() if progress is None else progress


def to_json_line(value: Any) -> str:
    """``value`` (a model or plain JSON) as compact JSON on one line, in the service's wire names."""
    from .._generated._utils.model_base import SdkJSONEncoder

    return json.dumps(value, cls=SdkJSONEncoder, separators=(",", ":"), ensure_ascii=False)


def _parse_json_argument(text: str, name: str) -> Any:
    """A JSON value given inline or, as ``@path``, in a file."""
    if text.startswith("@"):
        try:
            text = Path(text[1:]).read_text(encoding="utf-8")
        except OSError as error:
            raise click.BadParameter(f"cannot read {text[1:]}: {error.strerror}", param_hint=name) from None
    try:
        return json.loads(text)
    except ValueError as error:
        raise click.BadParameter(f"not valid JSON ({error})", param_hint=name) from None


def _parse_bbox(text: str | None) -> list[float] | None:
    if text is None:
        return None
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        raise click.BadParameter(f"{text!r} is not comma-separated numbers", param_hint="--bbox") from None
    if len(values) not in (4, 6):
        raise click.BadParameter("give 4 numbers (west,south,east,north) or 6", param_hint="--bbox")
    return values


def _split_commas(values: Iterable[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _parse_zooms(values: Iterable[str]) -> list[int]:
    zooms: list[int] = []
    for value in values:
        low, _, high = value.partition("-")
        try:
            start, stop = int(low), int(high or low)
        except ValueError:
            raise click.BadParameter(
                f"{value!r} is not a zoom (14) or a range (12-14)", param_hint="--zoom"
            ) from None
        if stop < start:
            raise click.BadParameter(f"{value!r}: the range ends before it starts", param_hint="--zoom")
        zooms.extend(range(start, stop + 1))
    return sorted(set(zooms))


def _read_documents(stream: TextIO) -> Iterator[Any]:
    """Lines of ``stream``: each a JSON document (a FeatureCollection yields its features) or an href."""
    for number, raw in enumerate(stream, 1):
        line = raw.strip()
        if not line:
            continue
        if line[0] in "{[":
            try:
                document = json.loads(line)
            except ValueError as error:
                raise click.UsageError(f"stdin line {number} is not valid JSON ({error})") from None
            if isinstance(document, dict) and document.get("type") == "FeatureCollection":
                yield from document.get("features") or []
            else:
                yield document
        else:
            yield line


# -- collections ----------------------------------------------------------------------------------------


@cli.group()
def collections() -> None:
    """List the catalog's collections, or show one."""


@collections.command("list")
@click.option(
    "--json", "as_json", is_flag=True, help="One collection a line as JSON, instead of id and title."
)
def collections_list(as_json: bool) -> None:
    """The catalog's collections: id and title, one a line."""
    result = session().client().stac.get_collections()
    for collection in result.collections:
        if as_json:
            click.echo(to_json_line(collection))
        else:
            click.echo(f"{collection.id}\t{collection.title or ''}")


@collections.command("show")
@click.argument("collection_id")
def collections_show(collection_id: str) -> None:
    """One collection as JSON."""
    collection = session().client().stac.get_collection(collection_id)
    click.echo(json.dumps(json.loads(to_json_line(collection)), indent=2, ensure_ascii=False))


# -- search -----------------------------------------------------------------------------------------------

_OUTPUT_FORMATS = {
    ".json": "json",
    ".geojson": "json",
    ".parquet": "parquet",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
}


@cli.command()
@click.option(
    "-c", "--collections", "collection_ids", multiple=True, help="Collection ids (repeat or comma-separate)."
)
@click.option("--ids", "item_ids", multiple=True, help="Item ids (repeat or comma-separate).")
@click.option(
    "--bbox", metavar="W,S,E,N", help="Area in WGS84 degrees; west > east crosses the antimeridian."
)
@click.option("--intersects", metavar="GEOJSON|@FILE", help="A GeoJSON geometry, inline or @file.")
@click.option(
    "--datetime", "datetime_range", metavar="RANGE", help='"2023", "2023-06", "2023-01-01/..", an instant.'
)
@click.option("--query", metavar="JSON|@FILE", help='Query extension, e.g. {"eo:cloud_cover": {"lt": 10}}.')
@click.option("--filter", "filter_text", metavar="CQL2", help="CQL2 filter: text, or JSON (inline or @file).")
@click.option("--filter-lang", type=click.Choice(["cql2-text", "cql2-json"]), help="The filter's language.")
@click.option("--sortby", multiple=True, metavar="FIELD", help="Sort key, '-' for descending (repeatable).")
@click.option("--fields", metavar="FIELDS", help="Fields to include or (with '-') exclude: id,-geometry.")
@click.option("--limit", type=click.IntRange(1, 10000), help="Page size.")
@click.option("--max-items", type=click.IntRange(min=0), help="Stop after this many items.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to a file instead of stdout: .json (FeatureCollection), .parquet (GeoParquet), .ndjson.",
)
@click.option("--count", is_flag=True, help="Print only how many items match.")
def search(
    collection_ids: tuple[str, ...],
    item_ids: tuple[str, ...],
    bbox: str | None,
    intersects: str | None,
    datetime_range: str | None,
    query: str | None,
    filter_text: str | None,
    filter_lang: str | None,
    sortby: tuple[str, ...],
    fields: str | None,
    limit: int | None,
    max_items: int | None,
    output: Path | None,
    count: bool,
) -> None:
    """Search items across collections; write them as NDJSON to stdout, streamed item by item."""
    form = None
    if output is not None:
        form = _OUTPUT_FORMATS.get(output.suffix.lower())
        if form is None:
            raise click.BadParameter(
                f"{output.name}: use a .json, .geojson, .parquet, .ndjson or .jsonl file",
                param_hint="--output",
            )
    arguments: dict[str, Any] = {
        "collections": _split_commas(collection_ids) or None,
        "ids": _split_commas(item_ids) or None,
        "bbox": _parse_bbox(bbox),
        "intersects": _parse_json_argument(intersects, "--intersects") if intersects else None,
        "datetime": datetime_range,
        "query": _parse_json_argument(query, "--query") if query else None,
        "filter_lang": filter_lang,
        "sortby": list(sortby) or None,
        "fields": fields,
        "limit": limit,
        "max_items": max_items,
    }
    if filter_text is not None:
        json_filter = filter_text.startswith(("{", "@")) or filter_lang == "cql2-json"
        arguments["filter"] = _parse_json_argument(filter_text, "--filter") if json_filter else filter_text
    stac = session().client().stac
    if count:
        click.echo(_count(stac, arguments))
        return
    pager = stac.search_items_paged(**{name: value for name, value in arguments.items() if value is not None})
    if output is None:
        for item in pager:
            click.echo(to_json_line(item))
        return
    written = _write_search(pager, output, form)
    click.echo(f"{written} items written to {output}", err=True)


def _count(stac: Any, arguments: Mapping[str, Any]) -> int:
    """The service's number of matches when it reports one, else the items counted page by page."""
    options = {name: value for name, value in arguments.items() if value is not None}
    options.pop("max_items", None)
    pager = stac.search_items_paged(**{**options, "limit": 1})
    matched = pager.matched
    matched = matched() if callable(matched) else matched
    if matched is not None:
        limit = arguments.get("max_items")
        return min(matched, limit) if limit is not None else int(matched)
    # Not reported: count the ids, in the largest pages the service allows.
    options.update(fields={"include": ["id"], "exclude": []}, limit=1000)
    if arguments.get("max_items") is not None:
        options["max_items"] = arguments["max_items"]
    return sum(1 for _ in stac.search_items_paged(**options))


@contextlib.contextmanager
def _atomic_text(path: Path) -> Iterator[TextIO]:
    """A text file written beside ``path`` and renamed onto it only when complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=".pc-", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            yield stream
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _write_search(pager: Any, output: Path, form: str | None) -> int:
    if form == "parquet":
        pager.to_geoparquet(output)
        import pyarrow.parquet as parquet  # installed with the [geoparquet] extra the export needs

        return int(parquet.ParquetFile(output).metadata.num_rows)
    written = 0
    with _atomic_text(output) as stream:
        if form == "json":
            stream.write('{"type":"FeatureCollection","features":[')
        for item in pager:
            if form == "json":
                stream.write(",\n" if written else "\n")
                stream.write(to_json_line(item))
            else:
                stream.write(to_json_line(item) + "\n")
            written += 1
        if form == "json":
            stream.write("\n]}\n")
    return written


# -- tiles ------------------------------------------------------------------------------------------------


@cli.group()
def tiles() -> None:
    """Map tiles over an area."""


def _render_options(pairs: Iterable[str], operation: Callable[..., Any]) -> dict[str, Any]:
    """``name=value`` pairs as the tile operation's keyword arguments, converted to its parameter types.

    A list-typed option takes one element per repetition (``--option rescale=0,255`` twice for two
    bands); booleans are ``true``/``false``.
    """
    parameters = inspect.signature(operation).parameters
    options: dict[str, Any] = {}
    for pair in pairs:
        name, separator, text = pair.partition("=")
        name = name.strip().replace("-", "_")
        if not separator or not name:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--option")
        parameter = parameters.get(name)
        if parameter is None or parameter.kind is not inspect.Parameter.KEYWORD_ONLY:
            known = sorted(
                n for n, p in parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY and n != "kwargs"
            )
            raise click.BadParameter(
                f"unknown render option {name!r}; known: {', '.join(known)}", param_hint="--option"
            )
        many, kind = _option_kind(parameter.annotation)
        try:
            value = _convert(text, kind)
        except ValueError:
            raise click.BadParameter(
                f"{name}={text!r}: expected {kind.__name__}", param_hint="--option"
            ) from None
        if many:
            options.setdefault(name, []).append(value)
        else:
            options[name] = value
    return options


def _option_kind(annotation: Any) -> tuple[bool, type]:
    """Whether a render option takes a list, and the type of its values (enums are sent as str)."""
    arguments = [argument for argument in typing.get_args(annotation) if argument is not type(None)]
    if typing.get_origin(annotation) is typing.Union and arguments:
        annotation = arguments[0]
    if typing.get_origin(annotation) is list:
        (element,) = typing.get_args(annotation) or (str,)
        return True, element if element in (int, float, bool) else str
    return False, annotation if annotation in (int, float, bool) else str


def _convert(text: str, kind: type) -> Any:
    if kind is bool:
        if text.lower() not in ("true", "false"):
            raise ValueError(text)
        return text.lower() == "true"
    return kind(text)


@tiles.command("download")
@click.argument("collection_id", required=False)
@click.argument("item_id", required=False)
@click.option("--search-id", help="Render a registered mosaic search instead of an item or collection.")
@click.option(
    "-z", "--zoom", "zooms", multiple=True, required=True, help="A zoom (14) or a range (12-14); repeatable."
)
@click.option("--bbox", metavar="W,S,E,N", help="The area in WGS84 degrees.")
@click.option("--intersects", metavar="GEOJSON|@FILE", help="The area as a GeoJSON geometry.")
@click.option(
    "--tms", "tile_matrix_set_id", default="WebMercatorQuad", show_default=True, help="Tile matrix set."
)
@click.option(
    "--format", "image_format", default="png", show_default=True, help="Image format and file extension."
)
@click.option("--assets", multiple=True, help="Assets to render (repeat or comma-separate).")
@click.option(
    "--option", "render", multiple=True, metavar="NAME=VALUE", help="Any render option, e.g. rescale=0,255."
)
@click.option(
    "-d",
    "--directory",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Where tiles go: DIR/z/x/y.ext.",
)
@click.option(
    "--concurrency", type=click.IntRange(1, 64), default=8, show_default=True, help="Requests in flight."
)
@click.option("--overwrite", is_flag=True, help="Fetch tiles whose file exists too (default: resume).")
@_progress_option
def tiles_download(
    collection_id: str | None,
    item_id: str | None,
    search_id: str | None,
    zooms: tuple[str, ...],
    bbox: str | None,
    intersects: str | None,
    tile_matrix_set_id: str,
    image_format: str,
    assets: tuple[str, ...],
    render: tuple[str, ...],
    directory: Path,
    concurrency: int,
    overwrite: bool,
    progress: bool | None,
) -> None:
    """Download the tiles covering an area of an item, a collection mosaic or a registered search."""
    if (bbox is None) == (intersects is None):
        raise click.UsageError("give the area with exactly one of --bbox and --intersects")
    data = session().client().data
    operation = data.get_search_tile if search_id else data.get_tile if item_id else data.get_collection_tile
    options = _render_options(render, operation)
    if assets:
        options["assets"] = _split_commas(assets)
    from .._tiles import TileDownloadError

    try:
        result = data.download_tiles(
            collection_id,
            item_id,
            directory=directory,
            search_id=search_id,
            zooms=_parse_zooms(zooms),
            bbox=_parse_bbox(bbox),
            intersects=_parse_json_argument(intersects, "--intersects") if intersects else None,
            tile_matrix_set_id=tile_matrix_set_id,
            format=image_format,
            overwrite=overwrite,
            concurrency=concurrency,
            progress=_show_progress(progress),
            **options,
        )
    except TileDownloadError as error:
        from ._app import describe_error

        for failure in error.failures[:20]:
            click.echo(f"failed: tile {failure.tile}: {describe_error(failure.error)[0]}", err=True)
        if len(error.failures) > 20:
            click.echo(f"... and {len(error.failures) - 20} more", err=True)
        fail(f"{len(error.failures)} tiles failed (run again to retry just those): {error.result}")
    click.echo(
        f"{result.fetched} tiles fetched, {result.skipped} already there, "
        f"{result.bytes} bytes, in {directory}",
        err=True,
    )


# -- assets -----------------------------------------------------------------------------------------------


@cli.group()
def assets() -> None:
    """Item assets: signed and downloaded."""


def _asset_file(directory: Path, item: Mapping[str, Any], key: str, href: str) -> Path:
    suffix = PurePosixPath(unquote(urlsplit(href).path)).suffix
    collection = str(item.get("collection") or "_")
    return directory / collection / str(item["id"]) / f"{key}{suffix}"


@assets.command("download")
@click.option("--collection", "collection_id", help="The items' collection (with --item).")
@click.option(
    "--item", "item_ids", multiple=True, help="Item ids (repeatable); otherwise items are read from stdin."
)
@click.option(
    "--asset", "asset_keys", multiple=True, help="Asset keys to download (repeatable; default: all)."
)
@click.option(
    "-d",
    "--directory",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="DIR/collection/item/asset.ext",
)
@click.option(
    "--concurrency", type=click.IntRange(1, 64), default=4, show_default=True, help="Downloads at once."
)
@click.option("--overwrite", is_flag=True, help="Download files that exist too (default: resume).")
@_progress_option
def assets_download(
    collection_id: str | None,
    item_ids: tuple[str, ...],
    asset_keys: tuple[str, ...],
    directory: Path,
    concurrency: int,
    overwrite: bool,
    progress: bool | None,
) -> None:
    """Download item assets, signed; items come from --item or from stdin (e.g. `search` output).

    Each file written is printed on stdout, one path a line. Files already there are skipped, so
    running the same command again resumes. Failed assets are listed on stderr, and the exit code
    is then 1.
    """
    client = session().client()
    items: Iterable[Any]
    if item_ids:
        if not collection_id:
            raise click.UsageError("--item needs --collection")
        collection = collection_id
        items = (client.stac.get_item(collection, item_id).as_dict() for item_id in item_ids)
    elif sys.stdin.isatty():
        raise click.UsageError("give --collection and --item, or pipe items (NDJSON) on stdin")
    else:
        items = (document for document in _read_documents(sys.stdin) if isinstance(document, dict))
    wanted = set(_split_commas(asset_keys))
    jobs = _asset_jobs(items, wanted, directory)
    bar = _progress_bar(_show_progress(progress), "assets")
    failures = skipped = written = 0

    def download(job: tuple[Path, Any, str | None]) -> Path:
        path, asset, collection = job
        return client.sas.download_asset(asset, path, collection_id=collection)

    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        pending: set[concurrent.futures.Future[Path]] = set()
        labels: dict[concurrent.futures.Future[Path], Path] = {}

        def settle(block: bool) -> None:
            nonlocal failures, written
            done, _ = concurrent.futures.wait(
                pending,
                return_when=concurrent.futures.FIRST_COMPLETED if block else concurrent.futures.ALL_COMPLETED,
            )
            for future in done:
                pending.discard(future)
                path = labels.pop(future)
                error = future.exception()
                if error is None:
                    written += 1
                    click.echo(str(path))
                else:
                    from ._app import describe_error

                    failures += 1
                    click.echo(f"failed: {path}: {describe_error(error)[0]}", err=True)
                bar.update(1)

        for job in jobs:
            if job[0].exists() and not overwrite:
                skipped += 1
                bar.update(1)
                continue
            future = pool.submit(download, job)
            pending.add(future)
            labels[future] = job[0]
            if len(pending) >= 2 * concurrency:
                settle(block=True)
        while pending:
            settle(block=False)
    bar.close()
    click.echo(f"{written} assets downloaded, {skipped} already there, {failures} failed", err=True)
    if failures:
        sys.exit(EXIT_SERVICE_ERROR)


def _asset_jobs(
    items: Iterable[Mapping[str, Any]], wanted: set[str], directory: Path
) -> Iterator[tuple[Path, Any, str | None]]:
    for item in items:
        if "id" not in item or not isinstance(item.get("assets"), Mapping):
            raise click.UsageError("stdin must hold STAC items (one JSON object a line)")
        for key, asset in item["assets"].items():
            if wanted and key not in wanted:
                continue
            href = asset.get("href") if isinstance(asset, Mapping) else None
            if not href:
                continue
            yield _asset_file(directory, item, key, href), asset, item.get("collection")


class _NoBar:
    def update(self, count: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(show: bool, unit: str) -> Any:
    if not show:
        return _NoBar()
    try:
        from tqdm import tqdm  # type: ignore[import-untyped]
    except ImportError:
        fail('progress bars need tqdm: pip install "azure-planetarycomputer[cli]"', 2)
    return tqdm(unit=f" {unit}", file=sys.stderr, dynamic_ncols=True)


# -- sign ---------------------------------------------------------------------------------------------------


@cli.command()
@click.argument("hrefs", nargs=-1)
@click.option(
    "--collection", "collection_id", help="The collection to ask tokens from (default: from each object)."
)
def sign(hrefs: tuple[str, ...], collection_id: str | None) -> None:
    """Sign hrefs or STAC objects: from the arguments, or one a line on stdin (hrefs or JSON).

    Hrefs come out as signed hrefs, JSON objects (items, assets, FeatureCollections) as signed
    JSON, one a line. Only hrefs on the GeoCatalog's own storage are signed; others pass unchanged.
    """
    sas = session().client().sas
    if hrefs:
        documents: Iterable[Any] = hrefs
    elif sys.stdin.isatty():
        raise click.UsageError("give hrefs as arguments, or pipe hrefs or JSON on stdin")
    else:
        documents = _read_documents(sys.stdin)
    for document in documents:
        signed = sas.sign(document, collection_id=collection_id)
        click.echo(signed if isinstance(signed, str) else to_json_line(signed))


# -- token --------------------------------------------------------------------------------------------------


@cli.command()
@click.argument("collection_id")
@click.option("--duration", "duration_in_minutes", type=click.IntRange(min=1), help="Validity in minutes.")
@click.option("--show", is_flag=True, help="Print the token itself on stdout (its expiry goes to stderr).")
def token(collection_id: str, duration_in_minutes: int | None, show: bool) -> None:
    """A SAS token for a collection's storage: prints its expiry; the token only with --show."""
    result = session().client().sas.get_token(collection_id, duration_in_minutes=duration_in_minutes)
    expires = result.expires_on.astimezone(_dt.timezone.utc)
    remaining = int((expires - _dt.datetime.now(_dt.timezone.utc)).total_seconds() // 60)
    stamp = expires.isoformat().replace("+00:00", "Z")
    line = f"{collection_id}: SAS token expires {stamp} (in {remaining} min)"
    if show:
        click.echo(result.token)
        click.echo(line, err=True)
    else:
        click.echo(line)


# -- runs ---------------------------------------------------------------------------------------------------


@cli.group()
def runs() -> None:
    """Ingestion runs."""


@runs.command("wait")
@click.argument("collection_id")
@click.argument("ingestion_id")
@click.argument("run_id")
@click.option(
    "--timeout", type=click.FloatRange(min=0, min_open=True), help="Give up after this many seconds."
)
@click.option("--interval", type=click.FloatRange(min=0, min_open=True), help="Seconds between polls.")
@_progress_option
def runs_wait(
    collection_id: str,
    ingestion_id: str,
    run_id: str,
    timeout: float | None,
    interval: float | None,
    progress: bool | None,
) -> None:
    """Wait until an ingestion run finishes; exit 1 if it failed or was canceled."""
    from .._ingestion_runs import RunReference

    reference = RunReference(collection_id, ingestion_id, run_id)
    show = _show_progress(progress)

    def report(state: Any) -> None:
        click.echo(
            f"{state.status}: {state.succeeded} succeeded, {state.failed} failed, "
            f"{state.pending} pending of {state.total}",
            err=True,
        )

    poller = (
        session()
        .client()
        .ingestion.begin_run(
            collection_id,
            ingestion_id,
            continuation_token=reference.token(),
            polling_interval=interval,
            polling_timeout=timeout,
            progress=report if show else None,
        )
    )
    run = poller.result()
    click.echo(to_json_line(run))


# -- ingest -------------------------------------------------------------------------------------------------


@cli.command()
@click.argument("collection_id")
@click.argument("source")
@click.option(
    "--sas-token",
    envvar="PLANETARYCOMPUTER_SOURCE_SAS_TOKEN",
    metavar="TOKEN",
    help="SAS token of the source's blob container (default: $PLANETARYCOMPUTER_SOURCE_SAS_TOKEN).",
)
@click.option(
    "--import-type", type=click.Choice(["StaticCatalog", "StacGeoparquet"]), help="Default: from SOURCE."
)
@click.option("--display-name", help="Display name of the ingestion, when one is created.")
@click.option(
    "--concurrency", type=click.IntRange(1, 64), default=8, show_default=True, help="Items written at once."
)
@click.option(
    "--wait/--no-wait", default=True, show_default=True, help="Wait until the run or the upload ends."
)
@click.option(
    "--timeout", type=click.FloatRange(min=0, min_open=True), help="Give up waiting after this many seconds."
)
@_progress_option
def ingest(
    collection_id: str,
    source: str,
    sas_token: str | None,
    import_type: str | None,
    display_name: str | None,
    concurrency: int,
    wait: bool,
    timeout: float | None,
    progress: bool | None,
) -> None:
    """Ingest into a collection: from a catalog or GeoParquet URL, or items on stdin (SOURCE "-").

    A URL source becomes an ingestion run: the source and the ingestion definition are created or
    reused, a run is started and followed to its end, and the finished run is printed as JSON
    (with --no-wait, the run's ids, for `runs wait`). Items from stdin (NDJSON, e.g. `search`
    output) are created or replaced in the collection, one outcome a line on stdout. Running the
    same ingest again creates nothing twice. Exit code 1 when the run or any item failed.
    """
    client = session().client()
    show = _show_progress(progress)
    if source == "-":
        if sys.stdin.isatty():
            raise click.UsageError('SOURCE "-" reads items (NDJSON) from stdin: pipe them in')
        items = (document for document in _read_documents(sys.stdin) if isinstance(document, dict))
        poller = client.ingestion.ingest(collection_id, items, concurrency=concurrency, progress=show)
        summary = poller.result(timeout=timeout)
        for outcome in summary.outcomes:
            record = {"id": outcome.id, "outcome": str(outcome.outcome.value)}
            if outcome.error_code or outcome.error_message:
                record.update(errorCode=outcome.error_code, errorMessage=outcome.error_message)
            click.echo(json.dumps(record))
        click.echo(str(summary).splitlines()[0], err=True)
        if summary.failed:
            fail(f"{len(summary.failed)} items failed (listed on stdout with the service's reasons)")
        return

    from .._ingestion_runs import RunReference

    poller = client.ingestion.ingest(
        collection_id,
        source,
        sas_token=sas_token,
        import_type=import_type,
        display_name=display_name,
        progress=show,
        polling_timeout=timeout,
    )
    reference = RunReference.from_token(poller.continuation_token())
    if not wait:
        click.echo(
            json.dumps(
                {
                    "collectionId": reference.collection_id,
                    "ingestionId": reference.ingestion_id,
                    "runId": reference.run_id,
                }
            )
        )
        return
    click.echo(to_json_line(poller.result()))
