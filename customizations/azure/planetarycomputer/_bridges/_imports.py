"""Importing an optional library with an error that says which extra brings it.

Every bridge imports its third-party library through :func:`require` at the moment it is used, so
that ``import azure.planetarycomputer`` stays light and a missing library is reported before any
request, with the ``pip install`` line that fixes it.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["require"]


def require(module: str, extra: str) -> ModuleType:
    """Import ``module``, or raise an ImportError naming ``extra``.

    :param module: The module to import, e.g. ``"odc.stac"``.
    :param extra: The extra of azure-planetarycomputer that installs it, e.g. ``"odc"``.
    :raises ImportError: ``module`` is not installed; the message names the extra.
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(
            f'{module} is needed for this; install it with: pip install "azure-planetarycomputer[{extra}]"'
        ) from error
