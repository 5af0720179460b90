"""Lazy imports of Dask and of the other optional libraries the ``_dask`` helpers stand on.

The core install stays light: dask, distributed, pyarrow, shapely and odc-stac are imported only
when a helper that needs them runs, and a missing one raises an ImportError that names the extra
of this package that installs it.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["require"]


def require(module: str, extra: str = "dask") -> ModuleType:
    """Import ``module``, or raise an ImportError naming the extra that installs it.

    :param module: The module to import, e.g. ``"dask.bag"``.
    :param extra: The extra of azure-planetarycomputer that brings it.
    :raises ImportError: ``module`` is not installed.
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(
            f'this needs the {module.split(".")[0]!r} package: pip install "azure-planetarycomputer[{extra}]"'
        ) from error
