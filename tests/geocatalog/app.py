"""Local stand-in of a Microsoft Planetary Computer Pro GeoCatalog.

One ASGI app that maps the GeoCatalog's paths onto the open-source services it is built on:

- ``/stac/...``          -> stac-fastapi-pgstac (dispatched with ``root_path=/stac`` so links keep the prefix)
- ``/data/mosaic/...``   -> titiler-pgstac (``/collections``, ``/searches``, ``/searches/register``)
- ``/data/tile-matrix-sets``, ``/data/legend/colormap`` -> titiler's TMS and colormap routes

and adds what the open-source stack lacks, persisted in PostgreSQL (schema ``geocatalog``):
long-running writes (``/inma/operations``), collection configurations, queryables CRUD (in pgstac's
own ``queryables`` table), collection assets and thumbnail, SAS tokens, ingestion sources/definitions/
runs that really import (static catalogs and stac-geoparquet), class-map and interval legends, and a
read-your-writes test mode (``PUT /_standin/visibility-delay``).

Blob storage is Azurite (see blobstore.py): asset hrefs are blob URLs in the collections' containers,
``/sas/*`` mints service SAS tokens Azurite verifies, and the tiler reads blobs with a SAS of its own.

Every request needs an ``Authorization: Bearer`` header (any token).
Configuration comes from the environment (see ``up``): PG* variables, GEOCATALOG_BLOB_PORT.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import mimetypes
import os
import re
import sys
import urllib.parse
import uuid
from pathlib import Path
from typing import Any

os.environ.setdefault("ENABLE_TRANSACTIONS_EXTENSIONS", "true")
os.environ.setdefault("PGPASSWORD", "geocatalog")  # pgstac settings require one, even with trust auth
os.environ.setdefault("TITILER_PGSTAC_API_DEBUG", "false")
# the tiler reads COGs over HTTP from Azurite: no directory listings, only the ranges it needs
os.environ.setdefault("GDAL_DISABLE_READDIR_ON_OPEN", "EMPTY_DIR")
os.environ.setdefault("CPL_VSIL_CURL_ALLOWED_EXTENSIONS", ".tif,.TIF,.tiff,.png,.jpg")
os.environ.setdefault("GDAL_HTTP_MERGE_CONSECUTIVE_RANGES", "YES")
os.environ.setdefault("VSI_CACHE", "TRUE")

import blobstore
import ingest
import psycopg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool
from rio_tiler.colormap import cmap as rio_cmaps
from rio_tiler.io.stac import STACReader
from stac_fastapi.pgstac.app import create_app as create_stac_app
from starlette.routing import Match
from titiler.pgstac import reader as titiler_reader
from titiler.pgstac.main import app as titiler_app

HERE = Path(__file__).resolve().parent
OP_DELAY = float(os.environ.get("GEOCATALOG_OPERATION_DELAY", "0.3"))
DEFAULT_TMS = "WebMercatorQuad"

stac_app = create_stac_app()


# --------------------------------------------------------------------------------------------------
# Asset hrefs are Azurite blob URLs; the tiler reads them with a SAS of its own (the live service
# reads its blob storage with a managed identity, not with the tokens it hands out).
def _patch_reader(cls: type) -> None:
    original = cls._get_asset_info

    def _get_asset_info(self, asset):  # type: ignore[no-untyped-def]
        info = original(self, asset)
        info["url"] = blobstore.internal_read_url(info["url"])
        return info

    cls._get_asset_info = _get_asset_info


_patch_reader(STACReader)
_patch_reader(titiler_reader.SimpleSTACReader)


# --------------------------------------------------------------------------------------------------
# helpers
def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def iso(t: dt.datetime | None) -> str | None:
    if t is None:
        return None
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


ERROR_CODES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "ResourceNotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    422: "BadRequest",
    424: "ServerError",
    500: "InternalServerError",
}


def error(status: int, message: str, code: str | None = None) -> JSONResponse:
    code = code or ERROR_CODES.get(status, "Error")
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers={"x-ms-error-code": code}
    )


def base_url(request: Request) -> str:
    return f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"


SCHEMA_SQL = """
CREATE SCHEMA IF NOT EXISTS geocatalog;
CREATE TABLE IF NOT EXISTS geocatalog.operations (
    id uuid PRIMARY KEY, type text NOT NULL, collection_id text, status text NOT NULL,
    status_history jsonb NOT NULL DEFAULT '[]', creation_time timestamptz NOT NULL DEFAULT now(),
    start_time timestamptz, finish_time timestamptz, additional jsonb, totals jsonb
);
CREATE TABLE IF NOT EXISTS geocatalog.config (
    collection_id text NOT NULL, kind text NOT NULL, key text NOT NULL, body jsonb NOT NULL,
    position serial, PRIMARY KEY (collection_id, kind, key)
);
CREATE TABLE IF NOT EXISTS geocatalog.ingestion_sources (id uuid PRIMARY KEY, body jsonb NOT NULL,
    created timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS geocatalog.ingestions (id uuid PRIMARY KEY, collection_id text NOT NULL,
    body jsonb NOT NULL, created timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS geocatalog.runs (id uuid PRIMARY KEY, ingestion_id uuid NOT NULL,
    collection_id text NOT NULL, body jsonb NOT NULL, operation_id uuid NOT NULL,
    created timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS geocatalog.secrets (name text PRIMARY KEY, value text NOT NULL,
    updated timestamptz NOT NULL DEFAULT now());
"""

pool: AsyncConnectionPool | None = None
SAS = blobstore.SasIssuer("initial")
_tasks: set[asyncio.Task] = set()


def conninfo() -> str:
    env = os.environ
    return psycopg.conninfo.make_conninfo(
        host=env.get("PGHOST", "127.0.0.1"),
        port=env.get("PGPORT", "55432"),
        user=env.get("PGUSER", "postgres"),
        password=env.get("PGPASSWORD", ""),
        dbname=env.get("PGDATABASE", "geocatalog"),
        options="-c search_path=pgstac,public",
    )


async def db_fetch(sql: str, *args: Any) -> list[dict]:
    assert pool is not None
    async with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(sql, args or None)
        return await cur.fetchall() if cur.description else []


async def db_one(sql: str, *args: Any) -> dict | None:
    rows = await db_fetch(sql, *args)
    return rows[0] if rows else None


def spawn(coro) -> None:  # type: ignore[no-untyped-def]
    task = asyncio.get_running_loop().create_task(coro)
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


# --------------------------------------------------------------------------------------------------
# in-process ASGI calls (buffered), used to dispatch to the open-source apps and for internal writes
async def call_asgi(app, scope: dict, body: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes]:  # type: ignore[no-untyped-def]
    sent = False
    status = 500
    headers: list[tuple[bytes, bytes]] = []
    chunks: list[bytes] = []
    done = asyncio.Event()

    async def receive():  # type: ignore[no-untyped-def]
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message):  # type: ignore[no-untyped-def]
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                done.set()

    try:
        await app(scope, receive, send)
    finally:
        done.set()
    return status, headers, b"".join(chunks)


def make_scope(
    base: dict, method: str, path: str, query: str = "", root_path: str = "", content_type: str | None = None
) -> dict:
    keep = ("type", "asgi", "http_version", "scheme", "server", "client", "headers", "extensions", "state")
    scope = {k: v for k, v in base.items() if k in keep}
    scope["type"] = "http"
    scope["method"] = method
    scope["path"] = path
    scope["raw_path"] = path.encode()
    scope["query_string"] = query.encode()
    scope["root_path"] = root_path
    hdrs = [(k, v) for k, v in base.get("headers", []) if k not in (b"content-length", b"accept-encoding")]
    if content_type is not None:
        hdrs = [(k, v) for k, v in hdrs if k != b"content-type"] + [(b"content-type", content_type.encode())]
    scope["headers"] = hdrs
    return scope


async def stac_call(base_scope: dict, method: str, path: str, body: Any = None, query: str = "") -> tuple:
    data = json.dumps(body).encode() if body is not None else b""
    scope = make_scope(base_scope, method, "/stac" + path, query, "/stac", "application/json")
    status, _headers, raw = await call_asgi(stac_app, scope, data)
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = None
    return status, parsed


# --------------------------------------------------------------------------------------------------
# operations (long-running writes)
def render_operation(row: dict, for_run: bool = False) -> dict:
    op: dict[str, Any] = {
        "id": str(row["id"]),
        "status": row["status"],
        "statusHistory": row["status_history"],
    }
    if not for_run:
        op["type"] = row["type"]
    op["creationTime"] = iso(row["creation_time"])
    if row.get("start_time"):
        op["startTime"] = iso(row["start_time"])
    if row.get("finish_time"):
        op["finishTime"] = iso(row["finish_time"])
    if not for_run and row.get("collection_id"):
        op["collectionId"] = row["collection_id"]
    if row.get("totals") is not None:
        op.update(row["totals"])
    if not for_run and row.get("additional"):
        op["additionalInformation"] = row["additional"]
    if row["status"] == "Failed" and row["status_history"]:
        last = row["status_history"][-1]
        op["error"] = {"code": last.get("errorCode", "Error"), "message": last.get("errorMessage", "")}
    return op


async def new_operation(
    op_type: str, collection_id: str | None, additional: dict | None = None, totals: dict | None = None
) -> dict:
    op_id = uuid.uuid4()
    t = now()
    hist = [{"status": "Pending", "timestamp": iso(t)}]
    row = await db_one(
        "INSERT INTO geocatalog.operations (id, type, collection_id, status, status_history, creation_time,"
        " additional, totals) VALUES (%s,%s,%s,'Pending',%s,%s,%s,%s) RETURNING *",
        op_id,
        op_type,
        collection_id,
        Jsonb(hist),
        t,
        Jsonb(additional) if additional else None,
        Jsonb(totals) if totals is not None else None,
    )
    assert row is not None
    return row


async def set_operation(
    op_id: uuid.UUID, status: str, extra: dict | None = None, totals: dict | None = None
) -> bool:
    """Move an operation on; False if it was canceled meanwhile."""
    row = await db_one("SELECT * FROM geocatalog.operations WHERE id=%s", op_id)
    if row is None or row["status"] in ("Canceled", "Canceling"):
        return False
    entry: dict[str, Any] = {
        "status": "Finished" if status == "Succeeded" else status,
        "timestamp": iso(now()),
    }
    entry.update(extra or {})
    hist = [*row["status_history"], entry]
    await db_fetch(
        "UPDATE geocatalog.operations SET status=%s, status_history=%s,"
        " start_time=CASE WHEN %s='Running' THEN COALESCE(start_time, now()) ELSE start_time END,"
        " finish_time=CASE WHEN %s IN ('Succeeded','Failed') THEN now() ELSE finish_time END,"
        " totals=COALESCE(%s, totals) WHERE id=%s",
        status,
        Jsonb(hist),
        status,
        status,
        Jsonb(totals) if totals is not None else None,
        op_id,
    )
    return True


def accepted(request: Request, row: dict) -> JSONResponse:
    loc = f"{base_url(request)}/inma/operations/{row['id']}?api-version={API_VERSION}"
    return JSONResponse(
        render_operation(row), status_code=202, headers={"operation-location": loc, "location": loc}
    )


# Read-your-writes test mode (PUT /_standin/visibility-delay): while > 0, writes report success at
# once but only become visible (to GET, search, list) that many seconds later, like an eventually
# consistent service; a delete keeps the old resource visible as long.
VISIBILITY = {"seconds": 0.0}
DELAYED_OPERATIONS = {
    "AddCollection",
    "DeleteCollection",
    "AddItem",
    "ReplaceItem",
    "UpdateItem",
    "DeleteItem",
}


async def apply_later(work) -> bool:  # type: ignore[no-untyped-def]
    """Run ``work`` after the visibility delay in the background; False (and nothing done) when off."""
    delay = VISIBILITY["seconds"]
    if delay <= 0:
        return False

    async def later() -> None:
        await asyncio.sleep(delay)
        try:
            failure = await work()
        except Exception as exc:  # nothing waits for a deferred write: say so in the log
            failure = (type(exc).__name__, str(exc))
        if failure:
            print(f"deferred write failed: {failure}", file=sys.stderr, flush=True)

    spawn(later())
    return True


async def set_visibility_delay(request: Request) -> Response:
    body = await request.json()
    seconds = body.get("seconds") if isinstance(body, dict) else None
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds <= 3600:
        return error(400, 'Body must be {"seconds": <number between 0 and 3600>}.')
    VISIBILITY["seconds"] = float(seconds)
    return JSONResponse({"seconds": VISIBILITY["seconds"]})


def run_operation(row: dict, work) -> None:  # type: ignore[no-untyped-def]
    """Pending -> Running -> Succeeded/Failed; ``work`` returns None or (errorCode, errorMessage)."""

    async def runner() -> None:
        await asyncio.sleep(OP_DELAY)
        if not await set_operation(row["id"], "Running"):
            return
        await asyncio.sleep(OP_DELAY)
        # in the visibility-delay mode the write happens later; the operation reports success now
        deferred = row["type"] in DELAYED_OPERATIONS and await apply_later(work)
        try:
            failure = None if deferred else await work()
        except Exception as exc:  # report, never crash the loop
            failure = ("InternalServerError", f"{type(exc).__name__}: {exc}")
        if row.get("additional") and "TotalItems" in row["additional"]:
            done = {
                "TotalPendingItems": "0",
                "TotalFailedItems": "1" if failure else "0",
                "TotalSuccessfulItems": "0" if failure else "1",
            }
            await db_fetch(
                "UPDATE geocatalog.operations SET additional = additional || %s WHERE id=%s",
                Jsonb(done),
                row["id"],
            )
        if failure:
            await set_operation(row["id"], "Failed", {"errorCode": failure[0], "errorMessage": failure[1]})
        else:
            await set_operation(row["id"], "Succeeded")

    spawn(runner())


def failure_from(status: int, body: Any) -> tuple[str, str] | None:
    if 200 <= status < 300:
        return None
    msg = (
        json.dumps(body)
        if not isinstance(body, dict)
        else str(body.get("description") or body.get("detail") or body)
    )
    code = body.get("code", ERROR_CODES.get(status, "Error")) if isinstance(body, dict) else "Error"
    return (code, msg)


API_VERSION = "2026-04-15"
ext = FastAPI(title="geocatalog-extras")
ext.put("/_standin/visibility-delay")(set_visibility_delay)


# --------------------------------------------------------------------------------------------------
# STAC writes as long-running operations
@ext.post("/stac/collections")
async def create_collection(request: Request) -> Response:
    body = await request.json()
    if not isinstance(body, dict) or not body.get("id"):
        return error(400, "Collection body must be an object with an 'id'.")
    cid = body["id"]
    existing, _ = await stac_call(request.scope, "GET", f"/collections/{cid}")
    if existing == 200:
        return error(409, f"Collection '{cid}' already exists.")
    row = await new_operation("AddCollection", cid)

    stamp = iso(now())
    body.update({"msft:_created": stamp, "msft:_updated": stamp})

    async def work():  # type: ignore[no-untyped-def]
        status, resp = await stac_call(request.scope, "POST", "/collections", body)
        if status < 300:  # its managed storage container, as the service creates one
            await asyncio.to_thread(blobstore.ensure_container, blobstore.container_for(cid))
        return failure_from(status, resp)

    run_operation(row, work)
    return accepted(request, row)


@ext.put("/stac/collections/{cid}")
async def replace_collection(request: Request, cid: str) -> Response:
    body = await request.json()
    if VISIBILITY["seconds"] <= 0:
        status, resp = await stac_call(request.scope, "PUT", f"/collections/{cid}", body)
        if status >= 400:
            return error(status, (failure_from(status, resp) or ("", str(resp)))[1])
        return JSONResponse(resp, status_code=status)
    if (err := await require_collection(request, cid)) is not None:
        return err
    scope = dict(request.scope)

    async def work():  # type: ignore[no-untyped-def]
        st, resp = await stac_call(scope, "PUT", f"/collections/{cid}", body)
        return failure_from(st, resp)

    await apply_later(work)
    return JSONResponse(body)


@ext.delete("/stac/collections/{cid}")
async def delete_collection(request: Request, cid: str) -> Response:
    status, _ = await stac_call(request.scope, "GET", f"/collections/{cid}")
    if status == 404:
        return collection_not_found(cid)
    row = await new_operation("DeleteCollection", cid)

    async def work():  # type: ignore[no-untyped-def]
        st, resp = await stac_call(request.scope, "DELETE", f"/collections/{cid}")
        if st < 300:
            await db_fetch("DELETE FROM geocatalog.config WHERE collection_id=%s", cid)
        return failure_from(st, resp)

    run_operation(row, work)
    return accepted(request, row)


def collection_not_found(cid: str) -> JSONResponse:
    return error(404, f"Collection '{cid}' not found. Please verify the collection ID and try again.")


@ext.post("/stac/collections/{cid}/items")
async def create_item(request: Request, cid: str) -> Response:
    body = await request.json()
    status, _ = await stac_call(request.scope, "GET", f"/collections/{cid}")
    if status == 404:
        return collection_not_found(cid)
    row = await new_operation("AddItem", cid, ITEM_TOTALS_PENDING)
    stamp_item(body)

    async def work():  # type: ignore[no-untyped-def]
        st, resp = await write_stamped(request.scope, "POST", cid, f"/collections/{cid}/items", body)
        return failure_from(st, resp)

    run_operation(row, work)
    return accepted(request, row)


@ext.api_route("/stac/collections/{cid}/items/{iid}", methods=["PUT", "PATCH", "DELETE"])
async def write_item(request: Request, cid: str, iid: str) -> Response:
    status, _ = await stac_call(request.scope, "GET", f"/collections/{cid}/items/{iid}")
    if status == 404:
        return error(404, f"Resource not found at '/stac/collections/{cid}/items/{iid}'.")
    method = request.method
    body = await request.json() if method != "DELETE" else None
    op_type = {"PUT": "ReplaceItem", "PATCH": "UpdateItem", "DELETE": "DeleteItem"}[method]
    row = await new_operation(op_type, cid, ITEM_TOTALS_PENDING)

    async def work():  # type: ignore[no-untyped-def]
        if method == "PATCH":
            st, current = await stac_call(request.scope, "GET", f"/collections/{cid}/items/{iid}")
            if st != 200:
                return failure_from(st, current)
            merged = merge_patch(current, body)
            merged["links"] = []
            stamp_item(merged)
            st, resp = await write_stamped(
                request.scope, "PUT", cid, f"/collections/{cid}/items/{iid}", merged
            )
        else:
            if body is not None:
                stamp_item(body)
                st, resp = await write_stamped(
                    request.scope, method, cid, f"/collections/{cid}/items/{iid}", body
                )
            else:
                st, resp = await stac_call(request.scope, method, f"/collections/{cid}/items/{iid}", body)
        return failure_from(st, resp)

    run_operation(row, work)
    return accepted(request, row)


ITEM_TOTALS_PENDING = {
    "TotalFailedItems": "0",
    "TotalItems": "1",
    "TotalPendingItems": "1",
    "TotalSuccessfulItems": "0",
}


def stamp_item(item: dict) -> None:
    """Service-maintained item metadata, as the GeoCatalog adds it."""
    item["_msft:ts"] = iso(now())
    item["_msft:etag"] = str(uuid.uuid4())


async def keep_stamp(cid: str, item: dict) -> None:
    """stac-fastapi's item model drops unknown top-level members: put the ``_msft:*`` stamp back."""
    stamp = {k: item[k] for k in ("_msft:ts", "_msft:etag") if k in item}
    if stamp and item.get("id"):
        await db_fetch(
            "UPDATE pgstac.items SET content = content || %s WHERE id=%s AND collection=%s",
            Jsonb(stamp),
            item["id"],
            cid,
        )


async def write_stamped(scope: dict, method: str, cid: str, path: str, item: dict) -> tuple:
    st, resp = await stac_call(scope, method, path, item)
    if st < 300:
        await keep_stamp(cid, item)
    return st, resp


def merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            result.pop(k, None)
        else:
            result[k] = merge_patch(result.get(k), v)
    return result


@ext.get("/inma/operations/{op_id}")
async def get_operation(op_id: str) -> Response:
    row = await load_op(op_id)
    if row is None:
        return error(404, f"Operation '{op_id}' not found.")
    return JSONResponse(render_operation(row))


async def load_op(op_id: str) -> dict | None:
    try:
        return await db_one("SELECT * FROM geocatalog.operations WHERE id=%s", uuid.UUID(op_id))
    except ValueError:
        return None


@ext.delete("/inma/operations/{op_id}")
async def cancel_operation(op_id: str) -> Response:
    row = await load_op(op_id)
    if row is None:
        return error(404, f"Operation '{op_id}' not found.")
    await cancel_rows([row])
    return Response(status_code=204)


async def cancel_rows(rows: list[dict]) -> None:
    for row in rows:
        if row["status"] in ("Pending", "Running"):
            hist = [*row["status_history"], {"status": "Canceled", "timestamp": iso(now())}]
            await db_fetch(
                "UPDATE geocatalog.operations SET status='Canceled', status_history=%s, finish_time=now()"
                " WHERE id=%s",
                Jsonb(hist),
                row["id"],
            )


@ext.delete("/inma/operations")
async def cancel_all_operations() -> Response:
    await cancel_rows(
        await db_fetch("SELECT * FROM geocatalog.operations WHERE status IN ('Pending','Running')")
    )
    return Response(status_code=204)


def paged(request: Request, values: list, default_top: int = 100) -> JSONResponse:
    q = request.query_params
    skip = int(q.get("$skip", q.get("skip", "0")) or 0)
    top = int(q.get("$top", q.get("top", str(default_top))) or default_top)
    page = values[skip : skip + top]
    out: dict[str, Any] = {"value": page}
    if skip + top < len(values):
        params = {k: v for k, v in q.items() if k not in ("$skip", "skip", "$top", "top", "api-version")}
        params.update({"$skip": str(skip + top), "$top": str(top)})
        out["nextLink"] = f"{base_url(request)}{request.url.path}?{urllib.parse.urlencode(params)}"
    return JSONResponse(out)


@ext.get("/inma/operations")
async def list_operations(request: Request) -> Response:
    q = request.query_params
    sql = "SELECT * FROM geocatalog.operations WHERE true"
    args: list[Any] = []
    if q.get("collectionId"):
        sql += " AND collection_id=%s"
        args.append(q["collectionId"])
    if q.get("status"):
        sql += " AND status=%s"
        args.append(q["status"])
    rows = await db_fetch(sql + " ORDER BY creation_time DESC", *args)
    return paged(request, [render_operation(r) for r in rows])


# --------------------------------------------------------------------------------------------------
# collection configurations
DEFAULT_CONFIG = {
    "tile-settings": {"minZoom": 6, "maxItemsPerTile": 35, "defaultLocation": None},
    "partition-type": {"scheme": "none"},
}
DEFAULT_MOSAIC = {"id": "default", "name": "Default", "description": "", "cql": []}
RENDER_OPTION_DEFAULTS = {
    "description": None,
    "type": "raster-tile",
    "options": None,
    "vectorOptions": None,
    "minZoom": None,
    "legend": None,
    "conditions": None,
}


async def require_collection(request: Request, cid: str) -> JSONResponse | None:
    status, _ = await stac_call(request.scope, "GET", f"/collections/{cid}")
    return collection_not_found(cid) if status == 404 else None


async def config_list(cid: str, kind: str) -> list[dict]:
    rows = await db_fetch(
        "SELECT body FROM geocatalog.config WHERE collection_id=%s AND kind=%s ORDER BY position", cid, kind
    )
    values = [r["body"] for r in rows]
    if kind == "mosaic" and not any(v.get("id") == "default" for v in values):
        values.insert(0, DEFAULT_MOSAIC)
    return values


async def config_get(cid: str, kind: str, key: str) -> dict | None:
    row = await db_one(
        "SELECT body FROM geocatalog.config WHERE collection_id=%s AND kind=%s AND key=%s", cid, kind, key
    )
    if row is None and kind == "mosaic" and key == "default":
        return DEFAULT_MOSAIC
    return row["body"] if row else None


async def config_put(cid: str, kind: str, key: str, body: dict) -> None:
    await db_fetch(
        "INSERT INTO geocatalog.config (collection_id, kind, key, body) VALUES (%s,%s,%s,%s)"
        " ON CONFLICT (collection_id, kind, key) DO UPDATE SET body=EXCLUDED.body",
        cid,
        kind,
        key,
        Jsonb(body),
    )


async def config_delete(cid: str, kind: str, key: str) -> bool:
    rows = await db_fetch(
        "DELETE FROM geocatalog.config WHERE collection_id=%s AND kind=%s AND key=%s RETURNING key",
        cid,
        kind,
        key,
    )
    return bool(rows)


KINDS = {"render-options": ("render-option", "Render Option"), "mosaics": ("mosaic", "Mosaic")}


@ext.get("/stac/collections/{cid}/configurations")
async def get_configuration(request: Request, cid: str) -> Response:
    if (err := await require_collection(request, cid)) is not None:
        return err
    tile = await config_get(cid, "tile-settings", "") or DEFAULT_CONFIG["tile-settings"]
    renders = [{**RENDER_OPTION_DEFAULTS, **r} for r in await config_list(cid, "render-option")]
    return JSONResponse(
        {
            "tileSettings": tile,
            "mosaicInfo": {
                "mosaics": await config_list(cid, "mosaic"),
                "renderOptions": renders,
                "defaultLocation": tile.get("defaultLocation"),
                "defaultCustomQuery": None,
            },
        }
    )


@ext.get("/stac/collections/{cid}/configurations/{group}")
async def list_config(request: Request, cid: str, group: str) -> Response:
    if (err := await require_collection(request, cid)) is not None:
        return err
    if group in ("tile-settings", "partition-type"):
        return JSONResponse(await config_get(cid, group, "") or DEFAULT_CONFIG[group])
    if group not in KINDS:
        return error(404, f"Configuration '{group}' not found.")
    return JSONResponse(await config_list(cid, KINDS[group][0]))


@ext.put("/stac/collections/{cid}/configurations/{group}")
async def put_singleton_config(request: Request, cid: str, group: str) -> Response:
    if group not in ("tile-settings", "partition-type"):
        return error(405, "Method not allowed.")
    if (err := await require_collection(request, cid)) is not None:
        return err
    body = await request.json()
    if group == "tile-settings":
        body = {**DEFAULT_CONFIG["tile-settings"], **body}
        await config_put(cid, group, "", body)
        return JSONResponse(body)
    if body.get("scheme") not in ("none", "year", "month"):
        return error(400, "Partition scheme must be one of 'none', 'year', 'month'.")
    await config_put(cid, group, "", body)
    return Response(status_code=200)


@ext.post("/stac/collections/{cid}/configurations/{group}")
async def add_config(request: Request, cid: str, group: str) -> Response:
    if group not in KINDS:
        return error(405, "Method not allowed.")
    if (err := await require_collection(request, cid)) is not None:
        return err
    kind, label = KINDS[group]
    body = await request.json()
    if not isinstance(body, dict) or not body.get("id"):
        return error(400, f"{label} must have an 'id'.")
    if await config_get(cid, kind, body["id"]) is not None:
        return error(409, f"{label} '{body['id']}' already exists for collection '{cid}'.")
    if kind == "mosaic":
        body = {"id": body["id"], "name": body.get("name"), "description": body.get("description"), **body}
    key = body["id"]
    if not await apply_later(lambda: config_put(cid, kind, key, body)):
        await config_put(cid, kind, key, body)
    return JSONResponse(body, status_code=201)


@ext.get("/stac/collections/{cid}/configurations/{group}/{key}")
async def get_config(request: Request, cid: str, group: str, key: str) -> Response:
    if group not in KINDS:
        return error(404, f"Configuration '{group}' not found.")
    if (err := await require_collection(request, cid)) is not None:
        return err
    kind, label = KINDS[group]
    body = await config_get(cid, kind, key)
    if body is None:
        return error(404, f"{label} '{key}' not found for collection '{cid}'.")
    return JSONResponse(body)


@ext.put("/stac/collections/{cid}/configurations/{group}/{key}")
async def replace_config(request: Request, cid: str, group: str, key: str) -> Response:
    if group not in KINDS:
        return error(404, f"Configuration '{group}' not found.")
    if (err := await require_collection(request, cid)) is not None:
        return err
    kind, _label = KINDS[group]
    body = await request.json()
    body["id"] = key
    if kind == "mosaic":
        body = {"id": key, "name": body.get("name"), "description": body.get("description"), **body}
    if not await apply_later(lambda: config_put(cid, kind, key, body)):
        await config_put(cid, kind, key, body)
    return JSONResponse(body)


@ext.delete("/stac/collections/{cid}/configurations/{group}/{key}")
async def delete_config(request: Request, cid: str, group: str, key: str) -> Response:
    if group not in KINDS:
        return error(404, f"Configuration '{group}' not found.")
    kind, label = KINDS[group]
    if not await config_delete(cid, kind, key):
        return error(404, f"{label} '{key}' not found for collection '{cid}'.")
    return Response(status_code=200)


# --------------------------------------------------------------------------------------------------
# queryables CRUD, kept in pgstac's own queryables table (GET is served by stac-fastapi-pgstac)
def queryable_view(row: dict) -> dict:
    definition = dict(row["definition"] or {})
    meta = definition.pop("x-geocatalog", {})
    return {
        "name": row["name"],
        "definition": definition,
        "create_index": meta.get("create_index", False),
        "data_type": meta.get("data_type"),
    }


async def upsert_queryable(cid: str, q: dict) -> dict:
    definition = dict(q.get("definition") or {})
    data_type = q.get("data_type")
    if data_type and "type" not in definition:
        definition["type"] = {"timestamp": "string", "date": "string"}.get(data_type, data_type)
    definition["x-geocatalog"] = {"create_index": bool(q.get("create_index")), "data_type": data_type}
    index = "BTREE" if q.get("create_index") else None
    wrapper = {"number": "to_float", "timestamp": "to_tstz", "date": "to_tstz"}.get(
        data_type or "", "to_text"
    )
    await db_fetch("DELETE FROM pgstac.queryables WHERE name=%s AND collection_ids=%s", q["name"], [cid])
    await db_fetch(
        "INSERT INTO pgstac.queryables (name, collection_ids, definition, property_wrapper,"
        " property_index_type)"
        " VALUES (%s,%s,%s,%s,%s)",
        q["name"],
        [cid],
        Jsonb(definition),
        wrapper,
        index,
    )
    return {
        "name": q["name"],
        "definition": dict(q.get("definition") or {}),
        "create_index": bool(q.get("create_index")),
        "data_type": data_type,
    }


@ext.post("/stac/collections/{cid}/queryables")
async def create_queryables(request: Request, cid: str) -> Response:
    if (err := await require_collection(request, cid)) is not None:
        return err
    body = await request.json()
    items = body if isinstance(body, list) else [body]
    for q in items:
        if not isinstance(q, dict) or not q.get("name"):
            return error(400, "Each queryable needs a 'name'.")
        if await db_one(
            "SELECT 1 AS x FROM pgstac.queryables WHERE name=%s AND %s = ANY(collection_ids)", q["name"], cid
        ):
            return error(409, f"Queryable '{q['name']}' already exists for collection '{cid}'.")
    out = [await upsert_queryable(cid, q) for q in items]
    return JSONResponse(out, status_code=201)


@ext.put("/stac/collections/{cid}/queryables/{name}")
async def replace_queryable(request: Request, cid: str, name: str) -> Response:
    if (err := await require_collection(request, cid)) is not None:
        return err
    body = await request.json()
    body["name"] = name
    return JSONResponse(await upsert_queryable(cid, body))


@ext.delete("/stac/collections/{cid}/queryables/{name}")
async def delete_queryable(request: Request, cid: str, name: str) -> Response:
    rows = await db_fetch(
        "DELETE FROM pgstac.queryables WHERE name=%s AND collection_ids=%s RETURNING id", name, [cid]
    )
    if not rows:
        return error(404, f"Queryable '{name}' not found for collection '{cid}'.")
    return Response(status_code=200)


# --------------------------------------------------------------------------------------------------
# collection assets and thumbnail (multipart: 'data' JSON part + 'file' part)
async def write_collection_asset(request: Request, cid: str, asset_id: str | None, replace: bool) -> Response:
    status, coll = await stac_call(request.scope, "GET", f"/collections/{cid}")
    if status == 404:
        return collection_not_found(cid)
    form = await request.form()
    raw = form.get("data")
    upload = form.get("file")
    if raw is None or upload is None or isinstance(upload, str):
        return error(400, "Multipart body needs a 'data' part (asset JSON) and a 'file' part.")
    data = json.loads(raw if isinstance(raw, str) else (await raw.read()).decode())
    key = asset_id or data.get("key")
    if not key:
        return error(400, "Asset 'key' is required.")
    assets = dict(coll.get("assets") or {})
    if key in assets and not replace:
        return error(409, f"Asset key '{key}' already exists in collection '{cid}'.")
    filename = os.path.basename(upload.filename or key) or key
    content_type = data.get("type") or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    container = blobstore.container_for(cid)
    content = await upload.read()
    await asyncio.to_thread(blobstore.ensure_container, container)
    href = await asyncio.to_thread(
        blobstore.upload, container, f"collection-assets/{key}/{filename}", content, content_type
    )
    asset = {k: v for k, v in data.items() if k != "key"}
    asset["href"] = href
    asset.setdefault("type", content_type)
    assets[key] = asset
    return await save_collection_assets(request, cid, coll, assets, 200 if replace else 201)


async def save_collection_assets(request: Request, cid: str, coll: dict, assets: dict, code: int) -> Response:
    coll = {k: v for k, v in coll.items() if k != "links"}
    coll["links"] = []
    coll["assets"] = assets
    coll["msft:_updated"] = iso(now())
    status, resp = await stac_call(request.scope, "PUT", f"/collections/{cid}", coll)
    if status >= 300:
        return error(status, str(resp))
    status, resp = await stac_call(request.scope, "GET", f"/collections/{cid}")
    return JSONResponse(resp, status_code=code)


@ext.post("/stac/collections/{cid}/assets")
async def create_collection_asset(request: Request, cid: str) -> Response:
    return await write_collection_asset(request, cid, None, replace=False)


@ext.put("/stac/collections/{cid}/assets/{asset_id}")
async def replace_collection_asset(request: Request, cid: str, asset_id: str) -> Response:
    return await write_collection_asset(request, cid, asset_id, replace=True)


@ext.delete("/stac/collections/{cid}/assets/{asset_id}")
async def delete_collection_asset(request: Request, cid: str, asset_id: str) -> Response:
    status, coll = await stac_call(request.scope, "GET", f"/collections/{cid}")
    if status == 404:
        return collection_not_found(cid)
    assets = dict(coll.get("assets") or {})
    if asset_id not in assets:
        return error(
            404,
            f"Asset key '{asset_id}' not found in collection '{cid}'. "
            "Please verify the asset key and try again.",
        )
    blob = blobstore.parse_blob_url(assets.pop(asset_id).get("href", ""))
    if blob is not None and blob[0] == blobstore.container_for(cid):
        await asyncio.to_thread(blobstore.delete, *blob)
    return await save_collection_assets(request, cid, coll, assets, 200)


@ext.get("/stac/collections/{cid}/thumbnail")
async def get_thumbnail(request: Request, cid: str) -> Response:
    status, coll = await stac_call(request.scope, "GET", f"/collections/{cid}")
    if status == 404:
        return collection_not_found(cid)
    asset = (coll.get("assets") or {}).get("thumbnail")
    blob = blobstore.parse_blob_url(asset.get("href", "")) if asset else None
    content = await asyncio.to_thread(blobstore.download, *blob) if blob else None
    if content is None:
        return error(404, f"Thumbnail not found for collection '{cid}'.")
    return Response(content, media_type=asset.get("type") or "image/png")


# --------------------------------------------------------------------------------------------------
# SAS: service SAS tokens for the collections' containers, verified by Azurite (see blobstore.SasIssuer)
def duration_minutes(request: Request) -> int | JSONResponse:
    raw = request.query_params.get("duration")
    if raw is None:
        return 24 * 60
    try:
        minutes = int(float(raw))
    except ValueError:
        return error(400, "duration must be a number of minutes.")
    if not 1 <= minutes <= 24 * 60:
        return error(400, "duration must be between 1 and 1440 minutes.")
    return minutes


def expiry_text(expiry: dt.datetime) -> str:
    return expiry.strftime("%Y-%m-%dT%H:%M:%SZ")


async def catalog_containers() -> dict[str, str]:
    """container -> collection id, for every collection of the catalog."""
    rows = await db_fetch("SELECT id FROM pgstac.collections")
    return {blobstore.container_for(r["id"]): r["id"] for r in rows}


@ext.get("/sas/token/{cid}")
async def get_token(request: Request, cid: str) -> Response:
    minutes = duration_minutes(request)
    if isinstance(minutes, JSONResponse):
        return minutes
    if (err := await require_collection(request, cid)) is not None:
        return err
    token, expiry = await asyncio.to_thread(SAS.mint, blobstore.container_for(cid), minutes)
    return JSONResponse({"msft:expiry": expiry_text(expiry), "token": token})


@ext.get("/sas/sign")
async def sign(request: Request) -> Response:
    href = request.query_params.get("href")
    if not href:
        return error(400, "Query parameter 'href' is required.")
    minutes = duration_minutes(request)
    if isinstance(minutes, JSONResponse):
        return minutes
    blob = blobstore.parse_blob_url(href)
    owned = await catalog_containers()
    if blob is None or blob[0] not in owned:
        # the service signs only hrefs in its own managed storage
        return error(
            400,
            f"The href '{href}' is not in a storage container managed by this GeoCatalog.",
            "InvalidHref",
        )
    token, expiry = await asyncio.to_thread(SAS.mint, blob[0], minutes)
    parts = urllib.parse.urlsplit(href)
    signed = urllib.parse.urlunsplit(parts._replace(query=(parts.query + "&" if parts.query else "") + token))
    return JSONResponse({"msft:expiry": expiry_text(expiry), "href": signed})


@ext.post("/sas/token/revoke")
async def revoke(request: Request) -> Response:
    generation = uuid.uuid4().hex[:12]
    await db_fetch(
        "INSERT INTO geocatalog.secrets (name, value) VALUES ('sas_generation', %s)"
        " ON CONFLICT (name) DO UPDATE SET value=EXCLUDED.value, updated=now()",
        generation,
    )
    await asyncio.to_thread(SAS.revoke, generation, list(await catalog_containers()))
    return Response(b"null", media_type="application/json")


# --------------------------------------------------------------------------------------------------
# ingestion sources, definitions, runs
@ext.get("/inma/ingestion-sources/managed-identities")
async def managed_identities(request: Request) -> Response:
    return paged(request, [])


def render_source(row: dict) -> dict:
    body = dict(row["body"])
    info = dict(body.get("connectionInfo") or {})
    info.pop("sasToken", None)
    if body.get("kind") == "SasToken":
        info.setdefault("expiration", "2099-12-31T23:59:59.0000000Z")
    return {
        "id": str(row["id"]),
        "kind": body.get("kind"),
        "created": iso(row["created"]),
        "connectionInfo": info,
    }


@ext.post("/inma/ingestion-sources")
async def create_source(request: Request) -> Response:
    body = await request.json()
    if body.get("kind") not in ("SasToken", "BlobManagedIdentity"):
        return error(400, "kind must be 'SasToken' or 'BlobManagedIdentity'.")
    sid = uuid.uuid4()
    if body.get("id") and body["id"] != "00000000-0000-0000-0000-000000000000":
        with contextlib.suppress(ValueError):
            sid = uuid.UUID(body["id"])
    if await db_one("SELECT 1 AS x FROM geocatalog.ingestion_sources WHERE id=%s", sid):
        return error(409, f"Ingestion source '{sid}' already exists.")
    row = await db_one(
        "INSERT INTO geocatalog.ingestion_sources (id, body) VALUES (%s,%s) RETURNING *", sid, Jsonb(body)
    )
    assert row is not None
    loc = f"{base_url(request)}/inma/ingestion-sources/{sid}?api-version={API_VERSION}"
    return JSONResponse(render_source(row), status_code=201, headers={"location": loc})


@ext.get("/inma/ingestion-sources")
async def list_sources(request: Request) -> Response:
    rows = await db_fetch("SELECT * FROM geocatalog.ingestion_sources ORDER BY created")
    return paged(
        request,
        [{"id": str(r["id"]), "kind": r["body"].get("kind"), "created": iso(r["created"])} for r in rows],
    )


def parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@ext.get("/inma/ingestion-sources/{sid}")
async def get_source(sid: str) -> Response:
    u = parse_uuid(sid)
    row = await db_one("SELECT * FROM geocatalog.ingestion_sources WHERE id=%s", u) if u else None
    if row is None:
        return error(404, f"Ingestion source '{sid}' not found.")
    return JSONResponse(render_source(row))


@ext.put("/inma/ingestion-sources/{sid}")
async def replace_source(request: Request, sid: str) -> Response:
    u = parse_uuid(sid)
    if u is None:
        return error(400, "Ingestion source id must be a GUID.")
    body = await request.json()
    existed = await db_one("SELECT 1 AS x FROM geocatalog.ingestion_sources WHERE id=%s", u)
    row = await db_one(
        "INSERT INTO geocatalog.ingestion_sources (id, body) VALUES (%s,%s)"
        " ON CONFLICT (id) DO UPDATE SET body=EXCLUDED.body RETURNING *",
        u,
        Jsonb(body),
    )
    assert row is not None
    return JSONResponse(render_source(row), status_code=200 if existed else 201)


@ext.delete("/inma/ingestion-sources/{sid}")
async def delete_source(sid: str) -> Response:
    u = parse_uuid(sid)
    rows = await db_fetch("DELETE FROM geocatalog.ingestion_sources WHERE id=%s RETURNING id", u) if u else []
    if not rows:
        return error(404, f"Ingestion source '{sid}' not found.")
    return Response(status_code=204)


INGESTION_FIELDS = (
    "importType",
    "displayName",
    "sourceCatalogUrl",
    "stacGeoparquetUrl",
    "skipExistingItems",
    "keepOriginalAssets",
)


def render_ingestion(row: dict) -> dict:
    body = row["body"]
    out: dict[str, Any] = {"id": str(row["id"]), "creationTime": iso(row["created"])}
    out.update({k: body.get(k) for k in INGESTION_FIELDS if k in body})
    out["status"] = body.get("status", "Ready")
    return out


async def load_ingestion(cid: str, iid: str) -> dict | None:
    u = parse_uuid(iid)
    if u is None:
        return None
    return await db_one("SELECT * FROM geocatalog.ingestions WHERE id=%s AND collection_id=%s", u, cid)


@ext.post("/inma/collections/{cid}/ingestions")
async def create_ingestion(request: Request, cid: str) -> Response:
    body = await request.json()
    if body.get("importType") == "StacGeoparquet":
        if not body.get("stacGeoparquetUrl"):
            return error(400, "stacGeoparquetUrl is required for a StacGeoparquet ingestion.")
    elif not body.get("sourceCatalogUrl"):
        return error(400, "sourceCatalogUrl is required.")
    body = {"importType": "StaticCatalog", "skipExistingItems": True, "keepOriginalAssets": True, **body}
    iid = uuid.uuid4()
    row = await db_one(
        "INSERT INTO geocatalog.ingestions (id, collection_id, body) VALUES (%s,%s,%s) RETURNING *",
        iid,
        cid,
        Jsonb(body),
    )
    assert row is not None
    loc = f"{base_url(request)}/inma/collections/{cid}/ingestions/{iid}?api-version={API_VERSION}"
    return JSONResponse(render_ingestion(row), status_code=201, headers={"location": loc})


@ext.get("/inma/collections/{cid}/ingestions")
async def list_ingestions(request: Request, cid: str) -> Response:
    rows = await db_fetch("SELECT * FROM geocatalog.ingestions WHERE collection_id=%s ORDER BY created", cid)
    return paged(request, [render_ingestion(r) for r in rows])


@ext.get("/inma/collections/{cid}/ingestions/{iid}")
async def get_ingestion(cid: str, iid: str) -> Response:
    row = await load_ingestion(cid, iid)
    if row is None:
        return error(404, f"Ingestion '{iid}' not found for collection '{cid}'.")
    return JSONResponse(render_ingestion(row))


@ext.patch("/inma/collections/{cid}/ingestions/{iid}")
async def update_ingestion(request: Request, cid: str, iid: str) -> Response:
    row = await load_ingestion(cid, iid)
    if row is None:
        return error(404, f"Ingestion '{iid}' not found for collection '{cid}'.")
    body = merge_patch(row["body"], await request.json())
    row = await db_one(
        "UPDATE geocatalog.ingestions SET body=%s WHERE id=%s RETURNING *", Jsonb(body), row["id"]
    )
    assert row is not None
    return JSONResponse(render_ingestion(row))


@ext.delete("/inma/collections/{cid}/ingestions/{iid}")
async def delete_ingestion(request: Request, cid: str, iid: str) -> Response:
    row = await load_ingestion(cid, iid)
    if row is None:
        return error(404, f"Ingestion '{iid}' not found for collection '{cid}'.")
    op = await new_operation("DeleteIngestion", cid, {"IngestionId": str(row["id"])})

    async def work():  # type: ignore[no-untyped-def]
        await db_fetch("DELETE FROM geocatalog.runs WHERE ingestion_id=%s", row["id"])
        await db_fetch("DELETE FROM geocatalog.ingestions WHERE id=%s", row["id"])

    run_operation(op, work)
    return accepted(request, op)


async def render_run(row: dict) -> dict:
    body = dict(row["body"])
    op = await db_one("SELECT * FROM geocatalog.operations WHERE id=%s", row["operation_id"])
    out: dict[str, Any] = {"id": str(row["id"]), "creationTime": iso(row["created"])}
    out.update(
        {
            k: body.get(k)
            for k in ("sourceCatalogUrl", "stacGeoparquetUrl", "skipExistingItems", "keepOriginalAssets")
            if k in body
        }
    )
    out["operation"] = render_operation(op, for_run=True) if op else None
    return out


@ext.post("/inma/collections/{cid}/ingestions/{iid}/runs")
async def create_run(request: Request, cid: str, iid: str) -> Response:
    ingestion = await load_ingestion(cid, iid)
    if ingestion is None:
        return error(404, f"Ingestion '{iid}' not found for collection '{cid}'.")
    body = ingestion["body"]
    geoparquet = body.get("importType") == "StacGeoparquet"
    source_url = body.get("stacGeoparquetUrl" if geoparquet else "sourceCatalogUrl")
    if not source_url:
        field = "stacGeoparquetUrl" if geoparquet else "sourceCatalogUrl"
        return error(400, f"The ingestion has no {field}.")
    totals = {"totalItems": 0, "totalPendingItems": 0, "totalSuccessfulItems": 0, "totalFailedItems": 0}
    op = await new_operation(
        "IngestionStacGeoparquet" if geoparquet else "IngestionStaticCatalog", cid, totals=totals
    )
    run_id = uuid.uuid4()
    row = await db_one(
        "INSERT INTO geocatalog.runs (id, ingestion_id, collection_id, body, operation_id)"
        " VALUES (%s,%s,%s,%s,%s) RETURNING *",
        run_id,
        ingestion["id"],
        cid,
        Jsonb(body),
        op["id"],
    )
    assert row is not None
    scope = dict(request.scope)

    async def work():  # type: ignore[no-untyped-def]
        sources = [r["body"] for r in await db_fetch("SELECT body FROM geocatalog.ingestion_sources")]
        reader = ingest.SourceReader(sources)
        read = ingest.stac_geoparquet if geoparquet else ingest.static_catalog
        try:
            records = await asyncio.to_thread(lambda: list(read(reader, source_url)))
        except ingest.IngestError as exc:
            return (exc.code, str(exc))
        ok = failed = 0

        async def progress() -> None:
            counts = {
                "totalItems": len(records),
                "totalPendingItems": len(records) - ok - failed,
                "totalSuccessfulItems": ok,
                "totalFailedItems": failed,
            }
            await db_fetch("UPDATE geocatalog.operations SET totals=%s WHERE id=%s", Jsonb(counts), op["id"])

        await progress()
        for record in records:
            try:
                if record.error is not None:
                    raise record.error
                item_id = (record.item or {}).get("id")
                if item_id and body.get("skipExistingItems", True):
                    st, _ = await stac_call(scope, "GET", f"/collections/{cid}/items/{item_id}")
                    if st == 200:
                        ok += 1
                        await progress()
                        continue
                item = await asyncio.to_thread(ingest.prepare_item, reader, record, cid)
                stamp_item(item)
                st, resp = await write_stamped(
                    scope, "PUT", cid, f"/collections/{cid}/items/{item['id']}", item
                )
                if st == 404:
                    st, resp = await write_stamped(scope, "POST", cid, f"/collections/{cid}/items", item)
                if st >= 300:
                    code, message = failure_from(st, resp) or ("Error", "")
                    raise ingest.IngestError(code, f"Item '{item['id']}': {message}")
                ok += 1
            except ingest.IngestError as exc:
                failed += 1
                # one error entry per failed item, in the run's status history
                await set_operation(
                    op["id"], "Running", {"errorCode": exc.code, "errorMessage": f"{record.url}: {exc}"}
                )
            await progress()
        if failed and not ok:
            return ("IngestionFailed", f"All {failed} item(s) failed to ingest.")
        return None

    run_operation(op, work)
    loc = (
        f"{base_url(request)}/inma/collections/{cid}/ingestions/{iid}/runs/{run_id}?api-version={API_VERSION}"
    )
    return JSONResponse(await render_run(row), status_code=201, headers={"location": loc})


@ext.get("/inma/collections/{cid}/ingestions/{iid}/runs")
async def list_runs(request: Request, cid: str, iid: str) -> Response:
    ingestion = await load_ingestion(cid, iid)
    if ingestion is None:
        return error(404, f"Ingestion '{iid}' not found for collection '{cid}'.")
    rows = await db_fetch(
        "SELECT * FROM geocatalog.runs WHERE ingestion_id=%s ORDER BY created", ingestion["id"]
    )
    return paged(request, [await render_run(r) for r in rows])


@ext.get("/inma/collections/{cid}/ingestions/{iid}/runs/{rid}")
async def get_run(cid: str, iid: str, rid: str) -> Response:
    u = parse_uuid(rid)
    row = (
        await db_one("SELECT * FROM geocatalog.runs WHERE id=%s AND collection_id=%s", u, cid) if u else None
    )
    if row is None:
        return error(404, f"Run '{rid}' not found.")
    return JSONResponse(await render_run(row))


# --------------------------------------------------------------------------------------------------
# data extras: item bounds (titiler-core 2.x has none), class-map and interval legends
@ext.get("/data/mosaic/collections/{cid}/items/{iid}/bounds")
async def item_bounds(request: Request, cid: str, iid: str) -> Response:
    status, item = await stac_call(request.scope, "GET", f"/collections/{cid}/items/{iid}")
    if status != 200:
        return error(404, f"Item '{iid}' not found in collection '{cid}'.")
    return JSONResponse({"bounds": item.get("bbox")})


CLASS_MAPS: dict[str, dict[str, list[int]]] = {
    "mtbs-severity": {
        "0": [0, 0, 0, 0],
        "1": [0, 100, 0, 255],
        "2": [127, 255, 212, 255],
        "3": [255, 255, 0, 255],
        "4": [255, 0, 0, 255],
        "5": [127, 255, 0, 255],
        "6": [255, 255, 255, 255],
    },
}
INTERVALS: dict[str, list] = {
    "modis-64A1": [
        [[-2, 0], [0, 0, 0, 0]],
        [[1, 32], [255, 255, 178, 255]],
        [[32, 60], [255, 236, 147, 255]],
        [[60, 91], [254, 218, 115, 255]],
        [[91, 121], [254, 198, 89, 255]],
        [[121, 152], [254, 176, 71, 255]],
        [[152, 182], [253, 148, 59, 255]],
        [[182, 213], [252, 115, 49, 255]],
        [[213, 244], [240, 80, 38, 255]],
        [[244, 274], [225, 45, 30, 255]],
        [[274, 305], [201, 18, 35, 255]],
        [[305, 335], [177, 0, 38, 255]],
        [[335, 366], [128, 0, 38, 255]],
    ],
}


@ext.get("/data/legend/classmap/{name}")
async def class_map_legend(name: str) -> Response:
    if name in CLASS_MAPS:
        return JSONResponse(CLASS_MAPS[name])
    if name.lower() in rio_cmaps.list():
        cm = rio_cmaps.get(name.lower())
        return JSONResponse({str(k): list(v) for k, v in cm.items()})
    return error(404, f"Classmap '{name}' not found.")


@ext.get("/data/legend/interval/{name}")
async def interval_legend(name: str) -> Response:
    if name in INTERVALS:
        return JSONResponse(INTERVALS[name])
    return error(404, f"Interval legend '{name}' not found.")


# --------------------------------------------------------------------------------------------------
# dispatcher
TILE_COORDS = re.compile(r"(/tiles(?:/[A-Za-z][\w-]*)?)/(\d+)(?:\.0)?/(\d+)(?:\.0)?/(\d+)(?:\.0)?(?=$|[./@])")
SCALE = re.compile(r"@(\d+)(?:\.0)?x(?=$|\.)")
TMSLESS_TILE = re.compile(r"/tiles/(\d+/\d+/\d+)(?=$|[./@])")


def map_data_path(path: str, query: str = "") -> tuple[str, str, dict]:
    """GeoCatalog /data path -> (titiler path, root_path, flags)."""
    tms = dict(urllib.parse.parse_qsl(query)).get("TileMatrixSetId") or DEFAULT_TMS
    path = TILE_COORDS.sub(lambda m: f"{m.group(1)}/{m.group(2)}/{m.group(3)}/{m.group(4)}", path)
    flags: dict[str, Any] = {}
    # titiler 2.x has no @{scale}x path suffix; its tilesize option renders the same larger tile
    scale = SCALE.search(path)
    if scale and "/tiles/" in path:
        flags["tilesize"] = 256 * int(scale.group(1))
        path = SCALE.sub("", path)
    path = TMSLESS_TILE.sub(lambda m: f"/tiles/{tms}/{m.group(1)}", path)
    if path == "/data/mosaic/register":
        return "/data/mosaic/searches/register", "/data/mosaic", {"register": True}
    if path.startswith("/data/mosaic/"):
        sub = path[len("/data/mosaic") :]
        m = re.match(r"^/(collections/[^/]+(?:/items/[^/]+)?|searches/[^/]+)/(tilejson\.json)$", sub)
        if m:
            sub = f"/{m.group(1)}/{tms}/{m.group(2)}"
        return "/data/mosaic" + sub, "/data/mosaic", flags
    if path == "/data/tile-matrix-sets":
        return "/data/tileMatrixSets", "/data", {"tms_list": True}
    if path.startswith("/data/tile-matrix-sets/"):
        return "/data/tileMatrixSets/" + path[len("/data/tile-matrix-sets/") :], "/data", flags
    if path.startswith("/data/legend/colormap/"):
        return "/data/colorMaps/" + path[len("/data/legend/colormap/") :], "/data", {"legend": True}
    return path, "/data", flags


def join_continuations(values: list[str]) -> list[str]:
    """``["image|1", "2", "3"]`` -> ``["image|1,2,3"]``: as the service parses ``asset_bidx``, a raw comma
    inside a value (a client that sends ``image|1,2,3`` decoded) continues the value, while a comma
    before the next ``name|...`` starts a new one."""
    out: list[str] = []
    for value in values:
        if out and "|" not in value:
            out[-1] += "," + value
        else:
            out.append(value)
    return out


def translate_asset_params(query: str) -> str:
    """GeoCatalog's ``asset_bidx=image|1,2,3`` / ``asset_expression=image|b1*2`` -> titiler 2.x syntax.

    ``assets=image&asset_bidx=image|1,2,3`` becomes ``assets=image|bidx=1,2,3``.

    Works on the raw query: list values are comma-joined with commas inside elements percent-encoded.
    """
    options: dict[str, list[str]] = {}
    names: list[str] = []
    rest: list[str] = []
    for part in filter(None, query.split("&")):
        key, _, raw = part.partition("=")
        key = urllib.parse.unquote_plus(key)
        values = [urllib.parse.unquote_plus(v) for v in raw.split(",")]
        if key in ("asset_bidx", "asset_expression"):
            values = join_continuations(values)
            for v in values:
                if "|" in v:
                    name, value = v.split("|", 1)
                    prefix = "bidx=" if key == "asset_bidx" else "expression="
                    options.setdefault(name, []).append(prefix + value)
        elif key == "assets":
            names.extend(values)
        else:
            rest.append(part)
    for name in options:
        if name not in names:
            names.append(name)
    for name in names:
        value = "|".join([name, *options.get(name, [])])
        rest.append("assets=" + urllib.parse.quote(value, safe="|,:/="))
    return "&".join(rest)


def rename_bands(path: str, query: str, raw: bytes) -> bytes:
    """titiler 2.x names bands b1..bN; the GeoCatalog names them <asset>_b1 (single-asset requests)."""
    data = json.loads(raw)
    assets = [v.split("|", 1)[0] for k, v in urllib.parse.parse_qsl(query) if k == "assets"]
    if "/point/" in path and isinstance(data, dict) and "band_descriptions" in data:
        data["band_names"] = data.pop("band_descriptions")
        return json.dumps(data).encode()
    if len(assets) != 1 or not re.search(r"/statistics(\.\w+)?$", path):
        return raw

    def rename(stats: Any) -> Any:
        if isinstance(stats, dict) and stats and all(re.fullmatch(r"b\d+", k) for k in stats):
            return {f"{assets[0]}_{k}": v for k, v in stats.items()}
        return stats

    if isinstance(data, dict) and data.get("type") in ("Feature", "FeatureCollection"):
        features = data.get("features", [data])
        for feature in features:
            props = feature.get("properties") or {}
            if "statistics" in props:
                props["statistics"] = rename(props["statistics"])
    else:
        data = rename(data)
    return json.dumps(data).encode()


TMS_OPTIONAL = ("title", "description", "keywords")


def complete_tms(raw: bytes) -> bytes:
    """The service lists a TileMatrixSet's optional members as null; morecantile leaves them out."""
    data = json.loads(raw)
    if isinstance(data, dict):
        for key in (*TMS_OPTIONAL, "boundingBox"):
            data.setdefault(key, None)
        for matrix in data.get("tileMatrices", []):
            for key in (*TMS_OPTIONAL, "variableMatrixWidths"):
                matrix.setdefault(key, None)
    return json.dumps(data).encode()


def add_zoom_range(raw: bytes) -> bytes:
    """Per-asset ``minzoom``/``maxzoom`` in item info, as the service's tiler reports them."""
    import morecantile

    tms = morecantile.tms.get(DEFAULT_TMS)
    data = json.loads(raw)
    infos = data.get("properties", {}) if data.get("type") == "Feature" else data
    for info in infos.values() if isinstance(infos, dict) else []:
        if not isinstance(info, dict) or "minzoom" in info or not info.get("width") or "bounds" not in info:
            continue
        # rio-tiler's rule: maxzoom at the native resolution, minzoom where the whole image fits a tile
        minx, miny, maxx, maxy = info["bounds"]
        x0, y0 = tms.xy(minx, miny)
        x1, y1 = tms.xy(maxx, maxy)
        resolution = max((x1 - x0) / info["width"], (y1 - y0) / info["height"])
        info["maxzoom"] = tms.zoom_for_res(resolution)
        info["minzoom"] = tms.zoom_for_res(resolution * max(info["width"], info["height"]) / 256)
    return json.dumps(data).encode()


async def complete_search_info(raw: bytes) -> bytes:
    """A registered search's ``_where``/``orderby`` (pgstac's) and typed links, as the service shows."""
    data = json.loads(raw)
    search = data.get("search")
    if isinstance(search, dict) and search.get("hash"):
        row = await db_one(
            "SELECT coalesce(_where, stac_search_to_where(search)) AS _where,"
            " coalesce(orderby, sort_sqlorderby(search)) AS orderby FROM pgstac.searches WHERE hash=%s",
            search["hash"],
        )
        if row:
            search["_where"] = search.get("_where") or row["_where"]
            search["orderby"] = search.get("orderby") or row["orderby"]
    for link in data.get("links", []):
        link.setdefault("type", "application/json")
    return json.dumps(data).encode()


def wrap_error(status: int, raw: bytes) -> bytes:
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        body = {"detail": raw.decode(errors="replace")}
    if isinstance(body, dict) and "error" in body:
        return raw
    message = (
        body.get("description") or body.get("detail") or json.dumps(body)
        if isinstance(body, dict)
        else str(body)
    )
    if not isinstance(message, str):
        message = json.dumps(message)
    return json.dumps({"error": {"code": ERROR_CODES.get(status, "Error"), "message": message}}).encode()


async def send_buffered(send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:  # type: ignore[no-untyped-def]
    headers = [(k, v) for k, v in headers if k.lower() not in (b"content-length", b"content-encoding")]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def read_body(receive) -> bytes:  # type: ignore[no-untyped-def]
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


async def proxy(send, receive, scope: dict, app, path: str, root_path: str, flags: dict) -> None:  # type: ignore[no-untyped-def]
    body = await read_body(receive)
    query = scope["query_string"].decode()
    if root_path.startswith("/data"):
        query = translate_asset_params(query)
    if flags.get("tilesize") and "tilesize=" not in query:
        query = (query + "&" if query else "") + f"tilesize={flags['tilesize']}"
    if flags.get("legend") and "f=" not in query:
        query = (query + "&" if query else "") + "f=png"
    sub_scope = make_scope(scope, scope["method"], path, query, root_path)
    sub_scope["headers"] = [(k, v) for k, v in scope["headers"] if k not in (b"accept-encoding",)]
    status, headers, raw = await call_asgi(app, sub_scope, body)
    ctype = dict(headers).get(b"content-type", b"")
    if status >= 400:
        raw = wrap_error(status, raw)
        code = ERROR_CODES.get(status, "Error").encode()
        headers = [(k, v) for k, v in headers if k.lower() != b"content-type"]
        headers += [(b"content-type", b"application/json"), (b"x-ms-error-code", code)]
    elif b"json" in ctype and root_path.startswith("/data/mosaic") and "/items/" in path:
        raw = rename_bands(path, query, raw)
        if re.search(r"/info(\.geojson)?$", path):
            raw = await asyncio.to_thread(add_zoom_range, raw)
    elif b"json" in ctype and re.fullmatch(r"/data/tileMatrixSets/[^/]+", path):
        raw = complete_tms(raw)
    elif b"json" in ctype and re.fullmatch(r"/data/mosaic/searches/[^/]+/info", path):
        raw = await complete_search_info(raw)
    elif b"json" in ctype and path.endswith("tilejson.json") and "/searches/" in path:
        data = json.loads(raw)
        data.setdefault("name", path.split("/searches/", 1)[1].split("/", 1)[0])
        raw = json.dumps(data).encode()
    elif b"json" in ctype and (flags.get("register") or flags.get("tms_list")):
        data = json.loads(raw)
        if flags.get("register"):
            data = {"searchid": data.get("id"), **data}
            for link in data.get("links", []):
                link.setdefault("type", "application/json")
        if flags.get("tms_list"):
            data = [t["id"] for t in data.get("tileMatrixSets", [])]
        raw = json.dumps(data).encode()
    await send_buffered(send, status, headers, raw)


class GeoCatalog:
    def __init__(self) -> None:
        self.stack: contextlib.AsyncExitStack | None = None

    async def startup(self) -> None:
        global pool
        self.stack = contextlib.AsyncExitStack()
        await self.stack.enter_async_context(stac_app.router.lifespan_context(stac_app))
        await self.stack.enter_async_context(titiler_app.router.lifespan_context(titiler_app))
        pool = AsyncConnectionPool(conninfo(), min_size=1, max_size=8, open=False)
        await pool.open()
        self.stack.push_async_callback(pool.close)
        await db_fetch(SCHEMA_SQL)
        row = await db_one("SELECT value FROM geocatalog.secrets WHERE name='sas_generation'")
        if row is None:
            await db_fetch(
                "INSERT INTO geocatalog.secrets (name, value) VALUES ('sas_generation', %s)"
                " ON CONFLICT DO NOTHING",
                uuid.uuid4().hex[:12],
            )
            row = await db_one("SELECT value FROM geocatalog.secrets WHERE name='sas_generation'")
        assert row is not None
        SAS.generation = row["value"]
        # operations a previous process left unfinished can never finish now
        for op in await db_fetch("SELECT * FROM geocatalog.operations WHERE status IN ('Pending','Running')"):
            await set_operation(
                op["id"], "Failed", {"errorCode": "Interrupted", "errorMessage": "The stand-in restarted."}
            )

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    try:
                        await self.startup()
                    except Exception as exc:
                        await send({"type": "lifespan.startup.failed", "message": repr(exc)})
                        return
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    for task in list(_tasks):
                        task.cancel()
                    if self.stack is not None:
                        await self.stack.aclose()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        # api-version is the client's; keep it out of the open-source apps (and their links)
        raw_query = scope.get("query_string", b"").decode()
        query = "&".join(p for p in raw_query.split("&") if p and p.split("=", 1)[0] != "api-version")
        scope = dict(scope, query_string=query.encode(), root_path="")
        auth = dict(scope.get("headers", [])).get(b"authorization", b"")
        if not auth.lower().startswith(b"bearer ") or len(auth.strip()) <= len(b"bearer"):
            resp = error(401, "Bearer token is missing.", "Unauthorized")
            resp.headers["www-authenticate"] = "Bearer"
            await resp(scope, receive, send)
            return
        for route in ext.router.routes:
            match, _ = route.matches(scope)
            if match == Match.FULL:
                await ext(scope, receive, send)
                return
        if path == "/stac" or path.startswith("/stac/"):
            await proxy(send, receive, scope, stac_app, path, "/stac", {})
        elif path.startswith("/data/"):
            target, root, flags = map_data_path(path, query)
            await proxy(send, receive, scope, titiler_app, target, root, flags)
        elif path == "/healthz":
            await JSONResponse({"status": "ok"})(scope, receive, send)
        else:
            await error(404, f"No route for '{path}'.")(scope, receive, send)


app = GeoCatalog()
