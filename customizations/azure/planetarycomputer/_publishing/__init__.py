"""Publishing data to a GeoCatalog without sleeps: bulk ingestion, idempotent upserts, read-your-writes.

The service's own samples wait with fixed sleeps until writes show, loop on run status by hand and
match the text "already exists" to tell a conflict. This subpackage does those jobs once:

* :mod:`._prepare`: make a collection or item copied from another catalog acceptable here (drop
  dynamic assets and ``msft:*`` fields, fix ids) and report what changed;
* :mod:`._visibility`: wait, with exponential back-off and a timeout, until a write shows on reads;
* :mod:`._upserts`: ``stac.ensure_collection`` and ``stac.upsert_items``: create or replace with a
  typed outcome per object (created, replaced, unchanged, failed), items in bounded parallel;
* :mod:`._ingest`: ``ingestion.ingest``: one call from data (a catalog or GeoParquet URL, a SAS
  container, or items) to a finished run, reusing sources and definitions so re-runs are safe;
* :mod:`._aio`: the async twins of the operation-group mixins.

The sync mixins are composed into :mod:`azure.planetarycomputer.operations`, the async ones into
:mod:`azure.planetarycomputer.aio.operations`; nothing here is imported by the generated code.
"""

from __future__ import annotations

from ._ingest import IngestProgress, SasContainer
from ._prepare import PreparedObject, prepare_for_geocatalog
from ._upserts import ItemOutcome, Outcome, UpsertSummary, WriteOutcome
from ._visibility import VisibilityTimeoutError

__all__ = [
    "IngestProgress",
    "ItemOutcome",
    "Outcome",
    "PreparedObject",
    "SasContainer",
    "UpsertSummary",
    "VisibilityTimeoutError",
    "WriteOutcome",
    "prepare_for_geocatalog",
]
