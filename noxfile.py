"""The offline test suite on every Python the package claims (3.9 to 3.13), against the installed wheel.

    nox                      # every version found on PATH (python3.9 ... python3.13)
    nox -s tests-3.9         # one version
    nox -s tests-3.13 -- tests/test_client.py -x    # arguments after -- go to pytest

Each session installs the wheel with the ``test`` extra into a fresh virtualenv and runs pytest from
the checkout against it: unit, contract (recorded traffic) and reliability tests. The tests that need
the local GeoCatalog stand-in skip (saying so): the sessions point them at an address where nothing
listens, even when a stand-in runs on this machine. The full run with the stand-in is ``.ci/run``.

The wheel is the one in the folder ``PLANETARYCOMPUTER_DIST`` names (``.ci/run`` builds it once for
all its runs); without it each session builds the sdist and wheel itself with ``python -m build``.
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

PYTHONS = ["3.9", "3.10", "3.11", "3.12", "3.13"]
ROOT = Path(__file__).resolve().parent
# Nothing listens on port 9 ("discard") of the loopback: the stand-in tests skip at once.
NO_STANDIN = "http://127.0.0.1:9"

nox.options.error_on_missing_interpreters = True
nox.options.reuse_existing_virtualenvs = False


def _dist(session: nox.Session) -> Path:
    """The folder holding the sdist and wheel under test."""
    given = os.environ.get("PLANETARYCOMPUTER_DIST")
    if given:
        return Path(given).resolve()
    dist = Path(session.create_tmp()) / "dist"
    for old in dist.glob("*"):
        old.unlink()
    session.install("build")
    session.run("python", "-m", "build", "--outdir", str(dist), str(ROOT))
    return dist


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The offline suite against the installed wheel."""
    dist = _dist(session)
    wheels = sorted(dist.glob("*.whl"))
    if len(wheels) != 1:
        session.error(f"expected one wheel in {dist}, found {[wheel.name for wheel in wheels]}")
    session.install(f"{wheels[0]}[test]")
    session.run(
        "python",
        "-c",
        "import azure.planetarycomputer as p, sys; print(sys.version.split()[0], p.__file__)",
    )
    session.run(
        "python",
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        *session.posargs,
        env={
            "PLANETARYCOMPUTER_DIST": str(dist),
            "GEOCATALOG_ENDPOINT": NO_STANDIN,
            "GEOCATALOG_REQUIRED": "",
        },
    )
