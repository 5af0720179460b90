"""Lazy imports of the optional libraries the bridges stand on, with errors that name the extra.

The core install stays light (azure-core, isodate, typing-extensions, urllib3): pystac,
pystac-client, stac-geoparquet, pyarrow and geopandas are imported only when a bridge is used,
and a missing one raises an ImportError that says which extra installs it.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["require"]


def require(module: str, extra: str) -> ModuleType:
    """Import ``module``, or raise an ImportError naming the extra of this package that installs it.

    :param module: The module to import, e.g. ``"pystac"``.
    :param extra: The extra of azure-planetarycomputer that brings it, e.g. ``"pystac"``.
    :raises ImportError: ``module`` is not installed.
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(
            f'this needs the {module.split(".")[0]!r} package: pip install "azure-planetarycomputer[{extra}]"'
        ) from error
