"""Sphinx extension: cross-references to the private modules resolve to the public names.

Generated docstrings and type hints name models as ``_models.StacItem`` or
``azure.planetarycomputer._generated.models.StacItem``; users import them from
``azure.planetarycomputer.models``, where the reference documents them. This resolves such a
reference to the public name, so a reference that still does not resolve is a real break (and
fails the build, which runs with ``-n -W``).
"""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

_PRIVATE_MODEL = re.compile(r"^(?:~?azure\.planetarycomputer\._generated\.models(?:\._models|\._enums)?\.|_models\.)(\w+)$")
_PRIVATE_MODULES = {
    "azure.planetarycomputer._client.": "azure.planetarycomputer.",
    "azure.planetarycomputer.aio._client.": "azure.planetarycomputer.aio.",
    "azure.planetarycomputer._operations.": "azure.planetarycomputer.operations.",
    "azure.planetarycomputer.aio._operations.": "azure.planetarycomputer.aio.operations.",
}


# Names that modules import under another name (``as``) for their annotations.
_ALIASES = {"AsyncPlanetaryComputerProClient": "azure.planetarycomputer.aio.PlanetaryComputerProClient"}


def public_targets(target: str) -> list[str]:
    """Where a reference that did not resolve may be documented under its public name."""
    target = target.lstrip("~")
    if target in _ALIASES:
        return [_ALIASES[target]]
    match = _PRIVATE_MODEL.match(target)
    if match:
        return [f"azure.planetarycomputer.models.{match.group(1)}"]
    for private, public in _PRIVATE_MODULES.items():
        if target.startswith(private):
            return [public + target[len(private) :]]
    private_path = re.match(r"^azure\.planetarycomputer\.(?:aio\.)?(?:_\w+\.)+(\w+(?:\.\w+)?)$", target)
    if private_path:  # defined in a private module, exported under a public name
        target = private_path.group(1)
    mixin_method = re.match(r"^\w*Operations\.(\w+)$", target)
    if mixin_method:  # a method documented on the operation group that mixes it in
        return [
            f"azure.planetarycomputer.operations.{group}Operations.{mixin_method.group(1)}"
            for group in ("Stac", "Data", "Ingestion", "Sas")
        ]
    if not target.startswith("azure."):
        # A short name in our own docstrings (``TileProgress``, ``DataOperations.iter_tiles``).
        return [f"{package}.{target}" for package in _PUBLIC_PACKAGES]
    return []


_PUBLIC_PACKAGES = (
    "azure.planetarycomputer",
    "azure.planetarycomputer.models",
    "azure.planetarycomputer.operations",
    "azure.planetarycomputer._dask",  # what the Dask helpers return, documented there
)


def resolve_public(app: Sphinx, env: BuildEnvironment, node: Any, contnode: nodes.Element) -> Any:
    if node.get("refdomain") != "py":
        return None
    domain = env.get_domain("py")
    for target in public_targets(node.get("reftarget", "")):
        found = domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"], target, node, contnode)
        if found is not None:
            return found
    return None


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("missing-reference", resolve_public)
    return {"version": "1", "parallel_read_safe": True}
