"""Sphinx directive ``cli-reference``: every ``planetarycomputer`` command with its ``--help`` text.

The text is what the installed command prints (Click renders it from the commands' docstrings and
options), so the page cannot drift from the command line.
"""

from __future__ import annotations

from typing import Any

import click
from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx.application import Sphinx


def commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    """``(path, command)`` for the group and every command under it, depth first, in name order."""
    found: list[tuple[tuple[str, ...], click.Command]] = [(path, group)]
    context = click.Context(group, info_name=" ".join(("planetarycomputer", *path)))
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        if isinstance(command, click.Group):
            found += commands(command, (*path, name))
        elif command is not None:
            found.append(((*path, name), command))
    return found


def help_text(path: tuple[str, ...], command: click.Command) -> str:
    parent = None
    for depth in range(len(path) + 1):
        name = " ".join(("planetarycomputer", *path[:depth])) if depth == 0 else path[depth - 1]
        parent = click.Context(command if depth == len(path) else click.Group(), info_name=name, parent=parent)
    assert parent is not None
    parent.terminal_width = parent.max_content_width = 100
    return command.get_help(parent)


class CliReference(Directive):
    has_content = False

    def run(self) -> list[nodes.Node]:
        from azure.planetarycomputer.cli._app import cli
        from azure.planetarycomputer.cli import _commands  # noqa: F401  (registers the commands)

        sections: list[nodes.Node] = []
        for path, command in commands(cli):
            title = " ".join(("planetarycomputer", *path))
            section = nodes.section(ids=[nodes.make_id(title)])
            section += nodes.title(text=title)
            section += nodes.literal_block(text=help_text(path, command))
            sections.append(section)
        return sections


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("cli-reference", CliReference)
    return {"version": "1", "parallel_read_safe": True}
