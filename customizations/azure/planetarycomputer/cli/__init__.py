"""The ``planetarycomputer`` command line: the daily jobs against a GeoCatalog from a terminal or a pipeline.

Installed by the ``[cli]`` extra (Click for parsing, azure-identity for credentials, tqdm for
progress bars) as the ``planetarycomputer`` console script, and runnable as
``python -m azure.planetarycomputer``. Each command is a thin layer over the library's own helpers
(``search_items_paged``, ``download_tiles``, ``sas.sign``/``download_asset``, ``begin_run``...):
the command line adds argument parsing, streaming output fit for pipes, progress bars on a terminal,
and one-line errors with the service's code.

Layout:

* :mod:`._app` is the command group and the conventions shared by every command (endpoint,
  credential, exit codes, errors, ``--debug``);
* :mod:`._commands` holds the commands.

Nothing heavy is imported until a command runs, so ``planetarycomputer --help`` stays quick.
"""

from __future__ import annotations

from ._app import main

__all__ = ["main"]
