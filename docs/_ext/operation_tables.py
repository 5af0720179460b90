"""Sphinx directive ``operation-table``: the service's REST operations of one group, mapped to methods.

``.. operation-table:: stac`` (in MyST: a ``{operation-table}`` fence) renders one row per
operation of the group in the OpenAPI document that ``codegen.sh`` writes from ``spec/``
(``generated/openapi/openapi.json``): the HTTP method and path, the method of the sync and async
operation group that sends it (``begin_`` for long-running operations), and the operation's
description. A method that the client lacks fails the build: the table is checked, not just shown.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

OPENAPI = Path(__file__).resolve().parents[2] / "generated" / "openapi" / "openapi.json"
GROUPS = {
    "stac": ("Stac", "StacOperations"),
    "data": ("Data", "DataOperations"),
    "ingestion": ("Ingestion", "IngestionOperations"),
    "sas": ("Sas", "SasOperations"),
}


def group_operations(group: str) -> list[dict[str, str]]:
    """The operations of ``group`` as rows: method, path, python name, description; in path order."""
    prefix, class_name = GROUPS[group]
    sync_class = getattr(importlib.import_module("azure.planetarycomputer.operations"), class_name)
    async_class = getattr(importlib.import_module("azure.planetarycomputer.aio.operations"), class_name)
    document: dict[str, Any] = json.loads(OPENAPI.read_text(encoding="utf-8"))
    rows = []
    for path, operations in sorted(document["paths"].items()):
        for http_method, operation in operations.items():
            operation_group, _, rest = operation["operationId"].partition("_")
            if operation_group != prefix:
                continue
            name = rest.lower()
            if not hasattr(sync_class, name):
                name = f"begin_{name}"
            for cls in (sync_class, async_class):
                if not hasattr(cls, name):
                    raise ExtensionError(f"{operation['operationId']}: {cls.__module__}.{class_name} has no {name}")
            rows.append(
                {
                    "http": f"{http_method.upper()} {path}",
                    "method": name,
                    "class": class_name,
                    "description": (operation.get("description") or operation.get("summary") or "").strip(),
                }
            )
    return rows


class OperationTable(Directive):
    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        group = self.arguments[0]
        if group not in GROUPS:
            raise self.error(f"operation-table: unknown group {group!r}; one of {', '.join(GROUPS)}")
        rows = group_operations(group)
        table = nodes.table(classes=["operation-table"])
        grid = nodes.tgroup(cols=3)
        table += grid
        for width in (34, 26, 40):  # docs/_static/operations.css lays the table out at these widths
            grid += nodes.colspec(colwidth=width)
        head = nodes.thead()
        grid += head
        head += self._row([nodes.Text("REST operation"), nodes.Text("Method"), nodes.Text("What it does")])
        body = nodes.tbody()
        grid += body
        for row in rows:
            body += self._row(
                [
                    nodes.literal(text=row["http"]),
                    self._method_links(row["class"], row["method"]),
                    nodes.Text(row["description"]),
                ]
            )
        return [table]

    def _method_links(self, class_name: str, method: str) -> nodes.Node:
        """Cross-references to the sync and async method: Sphinx resolves them, and warns if it cannot."""
        paragraph = nodes.paragraph()
        modules = (("", "azure.planetarycomputer.operations"), (" (aio)", "azure.planetarycomputer.aio.operations"))
        for label, module in modules:
            reference = addnodes.pending_xref(
                "", refdomain="py", reftype="meth", reftarget=f"{module}.{class_name}.{method}", refexplicit=True
            )
            reference += nodes.literal(text=f"{method}{label}")
            paragraph += reference
            paragraph += nodes.Text(" ")
        return paragraph

    @staticmethod
    def _row(cells: list[nodes.Node]) -> nodes.row:
        row = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            entry += cell if isinstance(cell, (nodes.paragraph, nodes.table)) else nodes.paragraph("", "", cell)
            row += entry
        return row


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("operation-table", OperationTable)
    return {"version": "1", "parallel_read_safe": True}
