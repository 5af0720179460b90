"""The distributions hold the package users import, and the tests run against what users install.

* The wheel holds every module and both ``py.typed`` of customizations/azure/planetarycomputer and of
  generated/python (reached through the ``_generated`` symlink), byte for byte, and nothing else.
* The sdist holds no symlink, and a wheel built from it equals the wheel built from the source tree.
* When ``PLANETARYCOMPUTER_DIST`` names the folder of the sdist and wheel under test (``.ci/run`` and
  ``noxfile.py`` set it), the ``azure.planetarycomputer`` these tests import is that wheel, installed:
  not the source tree, not an editable install.

Without ``PLANETARYCOMPUTER_DIST`` the distributions are built here from the source tree
(``python -m build --no-isolation``, with the ``build`` and ``setuptools`` of the ``test`` extra).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import azure.planetarycomputer
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "azure/planetarycomputer"
SOURCES = {
    # wheel path prefix -> source folder; the symlink is left out of the first walk and mapped here
    PACKAGE: ROOT / "customizations" / "azure" / "planetarycomputer",
    f"{PACKAGE}/_generated": ROOT / "generated" / "python",
}


def _source_files() -> dict[str, Path]:
    """Wheel path -> source file, for every module and py.typed of the package."""
    files: dict[str, Path] = {}
    for prefix, folder in SOURCES.items():
        for directory, subdirectories, names in os.walk(folder):  # does not follow the symlink
            subdirectories[:] = [name for name in subdirectories if name != "__pycache__"]
            for name in names:
                path = Path(directory, name)
                if path.suffix == ".py" or name == "py.typed":
                    files[f"{prefix}/{path.relative_to(folder).as_posix()}"] = path
    return files


def _wheel_contents(wheel: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(wheel) as archive:
        return {name: archive.read(name) for name in archive.namelist() if not name.endswith("/")}


def _build(source: Path, outdir: Path, *kinds: str) -> None:
    command = [sys.executable, "-m", "build", "--no-isolation", *kinds, "--outdir", str(outdir), str(source)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def _one(folder: Path, pattern: str) -> Path:
    [path] = sorted(folder.glob(pattern))
    return path


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(sdist, wheel): the ones under test when PLANETARYCOMPUTER_DIST is set, else freshly built."""
    given = os.environ.get("PLANETARYCOMPUTER_DIST")
    if given:
        folder = Path(given)
    else:
        folder = tmp_path_factory.mktemp("dist")
        _build(ROOT, folder, "--sdist", "--wheel")
    return _one(folder, "*.tar.gz"), _one(folder, "*.whl")


def test_the_wheel_holds_every_module_and_nothing_else(dists: tuple[Path, Path]) -> None:
    _, wheel = dists
    contents = _wheel_contents(wheel)
    packaged = {name for name in contents if ".dist-info/" not in name}
    sources = _source_files()

    assert f"{PACKAGE}/py.typed" in packaged
    assert f"{PACKAGE}/_generated/py.typed" in packaged
    assert f"{PACKAGE}/_generated/operations/_operations.py" in packaged
    assert sorted(set(sources) - packaged) == [], "modules missing from the wheel"
    assert sorted(packaged - set(sources)) == [], "files in the wheel that are not modules of the package"
    changed = [name for name, path in sources.items() if contents[name] != path.read_bytes()]
    assert changed == [], "wheel files that differ from the source tree"


def test_the_sdist_rebuilds_the_same_wheel(dists: tuple[Path, Path], tmp_path: Path) -> None:
    sdist, wheel = dists
    with tarfile.open(sdist) as archive:
        links = [member.name for member in archive.getmembers() if member.issym() or member.islnk()]
        assert links == [], "links in the sdist point at files it may not hold"
        if hasattr(tarfile, "data_filter"):  # Python 3.12+, and security releases of older ones
            archive.extractall(tmp_path / "src", filter="data")
        else:
            archive.extractall(tmp_path / "src")
    [unpacked] = (tmp_path / "src").iterdir()
    _build(unpacked, tmp_path / "out", "--wheel")
    rebuilt = _one(tmp_path / "out", "*.whl")

    assert rebuilt.name == wheel.name
    expected, actual = _comparable(_wheel_contents(wheel)), _comparable(_wheel_contents(rebuilt))
    assert sorted(actual) == sorted(expected)
    assert [name for name, data in expected.items() if actual[name] != data] == [], "files that differ"


def _comparable(contents: dict[str, bytes]) -> dict[str, bytes]:
    """A wheel's files without what depends on the setuptools that built it rather than on the sources.

    The rebuild uses this interpreter's setuptools, which on Python 3.9 is older than the one the CI
    build uses: WHEEL names it ("Generator: setuptools (x.y.z)"), and RECORD holds WHEEL's hash. RECORD
    is kept for every other file, as sorted lines (their order follows the build's file walk).
    """
    comparable: dict[str, bytes] = {}
    for name, data in contents.items():
        if name.endswith(".dist-info/WHEEL"):
            data = b"\n".join(line for line in data.split(b"\n") if not line.startswith(b"Generator:"))
        elif name.endswith(".dist-info/RECORD"):
            lines = data.splitlines()
            data = b"\n".join(sorted(line for line in lines if b".dist-info/WHEEL," not in line))
        comparable[name] = data
    return comparable


def test_the_package_under_test_is_the_installed_wheel(dists: tuple[Path, Path]) -> None:
    if not os.environ.get("PLANETARYCOMPUTER_DIST"):
        pytest.skip("PLANETARYCOMPUTER_DIST is unset: this run tests the checkout, not an installed wheel")
    _, wheel = dists
    installed = Path(azure.planetarycomputer.__file__).resolve().parents[1]  # .../site-packages/azure
    for tree in (ROOT / "customizations", ROOT / "generated"):
        assert tree not in installed.parents, f"imported from the source tree: {installed}"
    assert installed.parent.name == "site-packages"
    contents = _wheel_contents(wheel)
    differ = [
        name
        for name, data in contents.items()
        if ".dist-info/" not in name and (installed.parent / name).read_bytes() != data
    ]
    assert differ == []
    # An editable install leaves a .pth file or a finder module pointing at the source tree.
    editable = [
        path.name for path in installed.parent.glob("*azure_planetarycomputer*") if "editable" in path.name
    ]
    assert editable == []
