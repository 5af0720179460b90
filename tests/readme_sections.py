"""The python blocks of a README section, for the tests that run the README's examples as written."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks(heading: str, *, until: str | None = None) -> list[str]:
    """The ```` ```python ```` blocks under ``heading`` (e.g. ``"## Dask"``), in order.

    The section ends at the next heading of the same or a higher level, or at the heading ``until``
    when that comes first (a subsection that another test runs).
    """
    text = README.read_text(encoding="utf-8")
    level = len(heading) - len(heading.lstrip("#"))
    start = text.index(heading + "\n") + len(heading)
    following = re.search(rf"^#{{1,{level}}} ", text[start:], flags=re.MULTILINE)
    end = start + following.start() if following else len(text)
    if until is not None:
        cut = text.find("\n" + until + "\n", start, end)
        end = end if cut == -1 else cut
    return re.findall(r"^```python\n(.*?)^```$", text[start:end], flags=re.MULTILINE | re.DOTALL)
