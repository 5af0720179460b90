"""Clean virtual environments holding the package under test with chosen dependencies only.

Used by the tests that must run without aiohttp (``import azure.planetarycomputer.aio`` works and a
clear ImportError comes at the first request) and with the lowest aiohttp the ``[aio]`` extra
allows. A venv is made with ``python -m venv --without-pip``, its dependencies are installed by
this interpreter's pip (``pip --python``), and the package is copied in from wherever the tests
import it (a checkout or an installed wheel), with the ``_generated`` symlink resolved.

Run it directly to build the venvs ahead of time (CI, nox): ``python tests/clean_venvs.py DIR``
builds ``DIR/no-aiohttp`` and ``DIR/aiohttp-lowest``; the tests use them when
``AZURE_PC_TEST_VENVS=DIR`` is set, and build their own in a temporary folder otherwise.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["CORE_REQUIREMENTS", "LOWEST_AIOHTTP", "VENVS", "clean_venv", "venv_python"]

CORE_REQUIREMENTS = ["azure-core>=1.35.0", "isodate>=0.6.1", "typing-extensions>=4.6.0", "urllib3>=2.0"]
LOWEST_AIOHTTP = "aiohttp==3.9.0"
"""The lowest aiohttp the ``[aio]`` extra allows (``aiohttp>=3.9`` in pyproject.toml)."""

VENVS: dict[str, list[str]] = {
    "no-aiohttp": CORE_REQUIREMENTS,
    "aiohttp-lowest": [*CORE_REQUIREMENTS, LOWEST_AIOHTTP],
}
"""The venvs the tests use, by folder name: what each holds besides the package."""


def venv_python(venv: Path) -> Path:
    """The interpreter of ``venv``."""
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _package_dir() -> Path:
    import azure.planetarycomputer

    return Path(azure.planetarycomputer.__file__).resolve().parent


def clean_venv(venv: Path, requirements: list[str]) -> Path:
    """Make (or reuse) ``venv`` with ``requirements`` and the package under test; returns its python.

    :raises subprocess.CalledProcessError: venv creation or pip failed (e.g. no package index).
    """
    python = venv_python(venv)
    marker = venv / ".requirements"
    wanted = "\n".join(requirements)
    if not (python.exists() and marker.exists() and marker.read_text() == wanted):
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
        subprocess.run(
            [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", *requirements],
            check=True,
            timeout=600,
            capture_output=True,
        )
        marker.write_text(wanted)
    # The package is copied afresh every time: it is what is under test.
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    target = Path(purelib) / "azure" / "planetarycomputer"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(_package_dir(), target, ignore=shutil.ignore_patterns("__pycache__"))
    return python


def venv_for_tests(name: str, scratch: Path) -> Path:
    """The python of venv ``name`` (see :data:`VENVS`): prebuilt under ``$AZURE_PC_TEST_VENVS``, else
    built under ``scratch``. Skips the calling test, saying why, only when no venv can be made."""
    import pytest

    prebuilt = os.environ.get("AZURE_PC_TEST_VENVS")
    base = Path(prebuilt) if prebuilt else scratch
    try:
        return clean_venv(base / name, VENVS[name])
    except (OSError, subprocess.SubprocessError) as error:
        detail = getattr(error, "stderr", b"") or b""
        if isinstance(detail, bytes):
            detail = detail.decode(errors="replace")
        pytest.skip(f"cannot make the clean venv {name!r} ({error}; {detail.strip()[-300:]})")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python tests/clean_venvs.py DIR", file=sys.stderr)
        return 2
    for name, requirements in VENVS.items():
        python = clean_venv(Path(argv[0]) / name, requirements)
        print(f"{name}: {python}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
