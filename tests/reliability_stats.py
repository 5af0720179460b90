"""Counts of the reliability tests, written for the README's "Reliability" section.

With RELIABILITY_STATS=<file>, each suite adds its section to that JSON file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def add_section(name: str, counts: dict[str, Any]) -> None:
    """Store ``counts`` under ``name`` in the RELIABILITY_STATS file, if that variable is set."""
    target = os.environ.get("RELIABILITY_STATS")
    if not target:
        return
    path = Path(target)
    data = json.loads(path.read_text()) if path.exists() else {}
    data[name] = counts
    path.write_text(json.dumps(data, indent=2, sort_keys=True))
