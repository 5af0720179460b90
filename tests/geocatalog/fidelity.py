"""Replay the recorded live-service traffic against the stand-in; compare status codes and shapes.

usage: python tests/geocatalog/fidelity.py [--endpoint URL] [--recordings DIR] [-v]

For each recording (in file order, as the live tests ran) every request is re-sent to the stand-in with
the host swapped, the sanitized collection ids (naip-atl-atl-...) mapped to the seed collection
``naip-atl``, and zeroed GUIDs / search ids replaced by the ids the stand-in handed out earlier in the
replay. An entry agrees when the status code is the same and the response has the recorded shape: every
recorded key is present with the same JSON type, down to depth 3 (extra keys are allowed and counted).
Fixtures the recordings assume (leftovers of earlier live runs) are created first.
Uses only the standard library, so it runs in any Python 3.9+.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_RECORDINGS = Path("/work/shared/recordings")
ZERO = "00000000-0000-0000-0000-000000000000"
NAIP_RE = re.compile(r"naip-atl(?:-atl)+")
BARE_NAIP_RE = re.compile(r"/collections/naip(?=/|$)")
NAIP_PREFIX_RE = re.compile(r"^naip-atl(?:-atl)*:")
RECORDED_BLOB = re.compile(r"^https://[^/]+\.blob\.core\.windows\.net/[^/]+/(?P<blob>.+)$")
RECORDED_SEARCH = "5bdb874db9ec386ccd82e56af5d216a3"
MAX_DEPTH = 3


class Replayer:
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.ids: dict[str, str] = {}
        self.blob_hrefs: dict[str, str] = {}

    # -------------------------------------------------------------------------------------- http
    def send(
        self, method: str, path_query: str, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, dict, bytes]:
        request = urllib.request.Request(self.endpoint + path_query, data=body, method=method)
        request.add_header("Authorization", "Bearer fidelity")
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read()

    def json(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        status, _, raw = self.send(method, path, data, {"Content-Type": "application/json"} if data else None)
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, None

    def wait_operation(self, op_id: str, timeout: float = 20) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            _, op = self.json("GET", f"/inma/operations/{op_id}")
            if not isinstance(op, dict) or op.get("status") not in ("Pending", "Running"):
                return
            time.sleep(0.2)

    # -------------------------------------------------------------------------------------- fixtures
    def fixtures(self) -> None:
        c = "/stac/collections/naip-atl"
        for extra in ("test-partition-type-collection", "test-collection-lifecycle"):
            status, _ = self.json("GET", f"/stac/collections/{extra}")
            if status == 200:
                _, op = self.json("DELETE", f"/stac/collections/{extra}")
                self.wait_operation(op["id"])
        for item in ("ga_m_3308421_se_16_060_20211114_test", "ga_m_3308421_se_16_060_20211114_delete_test"):
            status, _ = self.json("GET", f"{c}/items/{item}")
            if status == 200:
                _, op = self.json("DELETE", f"{c}/items/{item}")
                self.wait_operation(op["id"])
        self.json("DELETE", f"{c}/assets/test-asset")
        _, coll = self.json("GET", c)
        if "thumbnail" not in (coll.get("assets") or {}):
            self.multipart(
                "POST",
                f"{c}/assets",
                {"key": "thumbnail", "type": "image/png", "roles": ["thumbnail"]},
                "thumbnail.png",
                base64.b64decode(TINY_PNG),
            )
        self.json(
            "POST",
            f"{c}/configurations/render-options",
            {
                "id": "test-natural-color",
                "name": "Test Natural color",
                "type": "raster-tile",
                "options": "assets=image&asset_bidx=image|1,2,3",
                "minZoom": 6,
            },
        )
        self.json(
            "POST",
            f"{c}/configurations/mosaics",
            {"id": "test-mosaic-1", "name": "Test Most recent available", "cql": []},
        )
        self.json(
            "PUT",
            f"{c}/queryables/test:property",
            {
                "name": "test:property",
                "definition": {"description": "Test property - updated"},  # as the last live run left it
                "data_type": "number",
            },
        )
        self.json("DELETE", f"{c}/queryables/test:property_to_be_deleted")
        for name in ("test-render-opt-delete",):
            self.json("DELETE", f"{c}/configurations/render-options/{name}")
        self.json("DELETE", f"{c}/configurations/mosaics/test-mosaic-to-be-deleted")
        _, page = self.json("GET", "/inma/collections/naip-atl/ingestions")
        if not (page or {}).get("value"):
            self.json(
                "POST",
                "/inma/collections/naip-atl/ingestions",
                {
                    "importType": "StaticCatalog",
                    "displayName": "fixture",
                    "sourceCatalogUrl": self.sample_catalog_url(self.json("GET", c)[1]),
                },
            )

    @staticmethod
    def sample_catalog_url(collection: Any) -> str:
        """The seed's sample static catalog, in the stand-in's blob storage (next to the collection's
        thumbnail: same storage account)."""
        href = ((collection or {}).get("assets") or {}).get("thumbnail", {}).get("href", "")
        parts = urllib.parse.urlsplit(href)
        account = parts.path.lstrip("/").split("/", 1)[0]
        return f"{parts.scheme}://{parts.netloc}/{account}/ingest-samples/naip-extra/catalog.json"

    def multipart(self, method: str, path: str, data: dict, filename: str, content: bytes) -> None:
        boundary = uuid.uuid4().hex
        body = (
            f"--{boundary}\r\n".encode()
            + f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n\r\n'.encode()
            + content
            + f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="data"\r\n\r\n'.encode()
            + json.dumps(data).encode()
            + f"\r\n--{boundary}--\r\n".encode()
        )
        self.send(method, path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})

    # -------------------------------------------------------------------------------------- replay
    def rewrite_uri(self, uri: str) -> str:
        parts = urllib.parse.urlsplit(uri)
        path = NAIP_RE.sub("naip-atl", parts.path)
        path = BARE_NAIP_RE.sub("/collections/naip-atl", path)  # some recordings name it plain 'naip'
        query = NAIP_RE.sub("naip-atl", parts.query)
        segments = path.split("/")
        for i, seg in enumerate(segments):
            if seg != ZERO:
                continue
            kind = segments[i - 1] if i else ""
            key = {
                "operations": "operation",
                "ingestions": "ingestion",
                "runs": "run",
                "ingestion-sources": "source",
            }.get(kind, kind)
            segments[i] = self.ids.get(key, ZERO)
        path = "/".join(segments)
        if path == "/sas/sign":
            query = self.local_href(query)
        if "search" in self.ids:
            path = path.replace(RECORDED_SEARCH, self.ids["search"])
        return path + ("?" + query if query else "")

    def local_href(self, query: str) -> str:
        """A recorded ``/sas/sign`` href points at the live catalog's storage account: ask for the same
        blob of the stand-in's storage instead (as the host of API requests is swapped)."""
        params = urllib.parse.parse_qsl(query, keep_blank_values=True)
        out = []
        for key, value in params:
            match = RECORDED_BLOB.match(value) if key == "href" else None
            if match:
                value = self.blob_hrefs.get(match.group("blob"), value)
            out.append((key, value))
        return urllib.parse.urlencode(out)

    def learn_hrefs(self, data: Any) -> None:
        """Remember the stand-in's asset hrefs by blob path (for local_href)."""
        for asset in (data.get("assets") or {}).values() if isinstance(data, dict) else []:
            href = asset.get("href", "") if isinstance(asset, dict) else ""
            parts = urllib.parse.urlsplit(href)
            blob = parts.path.lstrip("/").split("/", 2)[-1]
            if blob:
                self.blob_hrefs[blob] = href

    def body_of(self, entry: dict) -> bytes | None:
        body = entry.get("RequestBody")
        if body is None:
            return None
        if isinstance(body, list) and all(isinstance(x, str) for x in body):  # multipart lines
            out = b""
            for line in body:
                out += base64.b64decode(line[4:]) if line.startswith("b64:") else line.encode()
            return NAIP_RE.sub("naip-atl", out.decode("latin-1")).encode("latin-1")
        if isinstance(body, str):
            return NAIP_RE.sub("naip-atl", body).encode()
        text = NAIP_RE.sub("naip-atl", json.dumps(body))
        if '"id": "' + ZERO in text and "ingestion-sources" in entry["RequestUri"]:
            text = text.replace(ZERO, str(uuid.uuid4()))
        return text.encode()

    def remember(self, method: str, path: str, status: int, headers: dict, data: Any) -> None:
        lower = {k.lower(): v for k, v in headers.items()}
        if status == 202 and "operation-location" in lower:
            self.ids["operation"] = urllib.parse.urlsplit(lower["operation-location"]).path.rsplit("/", 1)[-1]
        if not isinstance(data, dict):
            return
        self.learn_hrefs(data)
        if method == "POST" and path.endswith("/ingestions"):
            self.ids["ingestion"] = data.get("id", "")
        elif method == "GET" and path.endswith("/ingestions") and data.get("value"):
            self.ids["ingestion"] = data["value"][0]["id"]
        elif method == "POST" and path.endswith("/runs"):
            self.ids["run"] = data.get("id", "")
            self.ids["operation"] = (data.get("operation") or {}).get("id", "")
        elif method == "POST" and path.endswith("/ingestion-sources"):
            self.ids["source"] = data.get("id", "")
        elif method == "GET" and path == "/inma/operations" and data.get("value"):
            self.ids["operation"] = data["value"][0]["id"]
        elif path.endswith("/register"):
            self.ids["search"] = data.get("searchid") or data.get("id", "")


def jtype(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", list: "array", dict: "object", type(None): "null"}[type(value)]


def field_name(key: str) -> str:
    """The recordings' sanitizer rewrote the ``naip:`` extension prefix along with the collection id
    (``naip-atl-atl:year``); requests replayed with ``naip-atl`` carry ``naip-atl:year``. Compare both as
    the field the service really has."""
    return NAIP_PREFIX_RE.sub("naip:", key)


def counterpart(recorded: Any, ours: list) -> Any:
    """The element of ``ours`` to compare with a recorded list element: the one with the same id when
    elements have ids (list order is the catalog's, not the recording's), else the first."""
    if isinstance(recorded, dict) and isinstance(recorded.get("id"), str):
        wanted = NAIP_RE.sub("naip-atl", recorded["id"])
        for element in ours:
            if isinstance(element, dict) and element.get("id") == wanted:
                return element
    return ours[0]


def shape_diff(recorded: Any, ours: Any, where: str = "$", depth: int = 0) -> tuple[list[str], int]:
    """Missing keys / type mismatches of ``ours`` against ``recorded``; plus the count of extra keys."""
    if recorded is None or depth > MAX_DEPTH:
        return [], 0
    if jtype(recorded) != jtype(ours):
        return [f"{where}: {jtype(recorded)} != {jtype(ours)}"], 0
    problems: list[str] = []
    extra = 0
    if isinstance(recorded, dict):
        recorded = {field_name(k): v for k, v in recorded.items()}
        ours = {field_name(k): v for k, v in ours.items()}
        for key, value in recorded.items():
            if key not in ours:
                problems.append(f"{where}.{key}: missing")
            else:
                p, e = shape_diff(value, ours[key], f"{where}.{key}", depth + 1)
                problems += p
                extra += e
        extra += len(set(ours) - set(recorded))
    elif isinstance(recorded, list) and recorded and ours:
        p, e = shape_diff(recorded[0], counterpart(recorded[0], ours), f"{where}[0]", depth + 1)
        problems += p
        extra += e
    return problems, extra


def recorded_body(entry: dict) -> tuple[str, Any]:
    """('json', value) | ('image', None) | ('xml', None) | ('empty', None) | ('text', value)."""
    body = entry.get("ResponseBody")
    ctype = {k.lower(): v for k, v in entry.get("ResponseHeaders", {}).items()}.get("content-type", "")
    if body is None or body == "":
        return "empty", None
    if ctype.startswith("image/"):
        return "image", None
    if "xml" in ctype or (
        isinstance(body, list) and body and isinstance(body[0], str) and body[0].startswith("<")
    ):
        return "xml", None
    if isinstance(body, str):
        try:
            return "json", json.loads(body)
        except ValueError:
            return "text", body
    return "json", body


def compare(entry: dict, status: int, headers: dict, raw: bytes) -> list[str]:
    problems = []
    if status != entry["StatusCode"]:
        problems.append(f"status {status} != recorded {entry['StatusCode']}")
    kind, expected = recorded_body(entry)
    ctype = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    if kind == "image":
        if not ctype.startswith("image/"):
            problems.append(f"content-type {ctype!r} is not an image")
    elif kind == "xml":
        if not raw.lstrip().startswith(b"<"):
            problems.append("body is not XML")
    elif kind == "json":
        try:
            ours = json.loads(raw)
        except ValueError:
            return [*problems, "body is not JSON"]
        diffs, _ = shape_diff(expected, ours)
        problems += diffs
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default="http://127.0.0.1:8811")
    parser.add_argument("--recordings", type=Path, default=DEFAULT_RECORDINGS)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()

    replayer = Replayer(args.endpoint)
    replayer.fixtures()
    total_entries = ok_entries = ok_recordings = 0
    files = sorted(args.recordings.glob("*.json"))
    for path in files:
        entries = json.loads(path.read_text())["Entries"]
        agree = 0
        notes: list[str] = []
        for entry in entries:
            method = entry["RequestMethod"]
            target = replayer.rewrite_uri(entry["RequestUri"])
            headers = {
                k: v
                for k, v in entry.get("RequestHeaders", {}).items()
                if k.lower() in ("content-type", "accept")
            }
            status, resp_headers, raw = replayer.send(method, target, replayer.body_of(entry), headers)
            try:
                data = json.loads(raw) if raw else None
            except ValueError:
                data = None
            replayer.remember(method, urllib.parse.urlsplit(target).path, status, resp_headers, data)
            rec = entry.get("ResponseBody")
            if (
                "/inma/operations/" in target
                and isinstance(rec, dict)
                and rec.get("status") not in ("Pending", "Running")
            ):
                replayer.wait_operation(replayer.ids.get("operation", ""))
                status, resp_headers, raw = replayer.send(method, target, None, headers)
            problems = compare(entry, status, resp_headers, raw)
            if problems:
                notes.append(f"    {method} {urllib.parse.urlsplit(target).path}: " + "; ".join(problems[:4]))
            else:
                agree += 1
        total_entries += len(entries)
        ok_entries += agree
        ok_recordings += agree == len(entries)
        name = path.name.split(".py", 1)[-1].removesuffix(".json")
        mark = "OK  " if agree == len(entries) else "DIFF"
        print(f"{mark} {agree}/{len(entries)}  {name}")
        if args.verbose or agree != len(entries):
            for note in notes[:6]:
                print(note)
    print(f"\nrecordings fully agreeing: {ok_recordings}/{len(files)}")
    print(
        f"entries agreeing (status + shape): {ok_entries}/{total_entries}"
        f" = {ok_entries / max(total_entries, 1):.1%}"
    )
    return 0


TINY_PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAABAAAAAJCAIAAAC0SDtlAAAAEklEQVR4nGNgaGAgDY1qGBQaAAlbSAENQjjgAAAAAElFTkSuQmCC"
)

if __name__ == "__main__":
    sys.exit(main())
