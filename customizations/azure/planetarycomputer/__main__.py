"""``python -m azure.planetarycomputer``: the ``planetarycomputer`` command line (the ``[cli]`` extra)."""

from .cli import main

if __name__ == "__main__":
    main(prog_name="python -m azure.planetarycomputer")
