"""Sphinx extension: the user guide is the README, one page per section.

The README is the front page and the one place where the guide's text is written. When the build
starts, each ``## `` section of ``README.md`` becomes a page ``guide/<slug>.md`` (headings moved
up one level), and ``guide/index.md`` lists them in the README's order. Links are rewritten for
the site: a link to another README section points to that section's page; a link to a file of the
repository (``samples/main_job.py``) becomes the path in code style, since the site does not
serve the repository. The pages are written into ``docs/guide/`` (ignored by git) and rebuilt
every time, so the guide never drifts from the README.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

README = Path(__file__).resolve().parents[2] / "README.md"
_LINK = re.compile(r"(?<!!)\[([^\]]+)\]\(([^)\s]+)\)")
_FENCE = re.compile(r"^(```|~~~)")


def slug(title: str) -> str:
    """The GitHub-style anchor of a heading (also the page name of a section)."""
    text = re.sub(r"[^\w\- ]", "", title.strip().lower())
    return re.sub(r" ", "-", text)


def split_sections(text: str) -> tuple[str, list[tuple[str, list[str]]]]:
    """The README's title, and its ``## `` sections as (title, lines) in order (code fences respected)."""
    title = ""
    sections: list[tuple[str, list[str]]] = []
    in_fence = False
    for line in text.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        if not in_fence and line.startswith("# ") and not title:
            title = line[2:].strip()
        elif not in_fence and line.startswith("## "):
            sections.append((line[3:].strip(), []))
        elif sections:
            sections[-1][1].append(line)
    return title, sections


def anchors_by_page(sections: list[tuple[str, list[str]]]) -> dict[str, str]:
    """Every heading anchor of the README -> the page (slug) whose section holds it."""
    pages: dict[str, str] = {}
    for title, lines in sections:
        page = slug(title)
        pages[page] = page
        in_fence = False
        for line in lines:
            if _FENCE.match(line):
                in_fence = not in_fence
            elif not in_fence and line.startswith("#"):
                pages[slug(line.lstrip("#"))] = page
    return pages


def rewrite_links(line: str, pages: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        text, target = match.group(1), match.group(2)
        if re.match(r"^[a-z]+://|^mailto:", target):
            return match.group(0)
        if target.startswith("#"):
            anchor = target[1:]
            page = pages.get(anchor)
            if page is None:
                return text
            return f"[{text}]({page}.md)" if page == anchor else f"[{text}]({page}.md#{anchor})"
        # A file of the repository: name it, the site does not serve it.
        return text if text.startswith("`") else f"{text} (`{target}`)"

    return _LINK.sub(replace, line)


def page_text(title: str, lines: list[str], pages: dict[str, str]) -> str:
    out = [f"# {title}", ""]
    in_fence = False
    for line in lines:
        if _FENCE.match(line):
            in_fence = not in_fence
        if not in_fence and line.startswith("###"):
            line = line[1:]  # one level up: the section's title is the page's title
        out.append(line if in_fence else rewrite_links(line, pages))
    return "\n".join(out).rstrip() + "\n"


def write_guide(app: Sphinx) -> None:
    guide = Path(app.srcdir) / "guide"
    guide.mkdir(exist_ok=True)
    _, sections = split_sections(README.read_text(encoding="utf-8"))
    pages = anchors_by_page(sections)
    names = []
    for title, lines in sections:
        name = slug(title)
        names.append(name)
        path = guide / f"{name}.md"
        text = page_text(title, lines, pages)
        if not path.exists() or path.read_text(encoding="utf-8") != text:  # keep mtimes: incremental builds
            path.write_text(text, encoding="utf-8")
    index = "\n".join(
        ["# User guide", "", "The README's sections, one page each.", "", "```{toctree}", ":maxdepth: 2", "", *names, "```", ""]
    )
    index_path = guide / "index.md"
    if not index_path.exists() or index_path.read_text(encoding="utf-8") != index:
        index_path.write_text(index, encoding="utf-8")
    for stale in guide.glob("*.md"):
        if stale.stem not in names and stale.stem != "index":
            stale.unlink()


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", write_guide)
    return {"version": "1", "parallel_read_safe": True}
