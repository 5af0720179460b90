"""Sphinx configuration of the documentation site (``docs/``).

Built by ``.ci/run`` with warnings as errors (``sphinx-build -W --keep-going -b html docs
docs/_build/html``), from the installed package, so a broken cross-reference or a public name
without a docstring fails CI. The user guide is Markdown (MyST); the API reference comes from the
docstrings (autodoc); the operation pages are generated from the service's OpenAPI document
(``generated/openapi/openapi.json``, written by ``codegen.sh`` from ``spec/``) by
``_ext/operation_tables.py``; the user guide pages are the README's sections (``_ext/readme_guide.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

from azure.planetarycomputer import __version__  # noqa: E402  (the installed package)

project = "azure-planetarycomputer"
author = "azure-planetarycomputer contributors"
copyright = "azure-planetarycomputer contributors"
release = version = __version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
    "operation_tables",
    "public_names",
    "readme_guide",
    "cli_reference",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

html_theme = "furo"
html_title = f"azure-planetarycomputer {release}"
html_static_path = ["_static"]
html_css_files = ["operations.css"]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_default_options = {"members": True}
# Every cross-reference must resolve (the build runs with -n -W), except to other projects'
# documentation, which is not reachable offline (no intersphinx inventories): those are listed here.
nitpicky = True
_EXTERNAL = (
    "azure.core|azure.identity|datetime|_dt|collections.abc|typing|typing_extensions|enum|os|io|pathlib"
    "|concurrent|asyncio|logging|urllib3|aiohttp|requests|morecantile|shapely|tqdm|pystac|pystac_client"
    "|pyarrow|geopandas|dask|distributed|click|odc|stackstac|rasterio|adlfs|obstore|fsspec|xarray"
).replace(".", r"\.")
nitpick_ignore_regex = [
    # Other projects' names: their documentation is not reachable offline (no intersphinx).
    (r"py:.*", rf"~?({_EXTERNAL})(\..*)?"),
    (r"py:.*", r"(JSON|IO|any|Any|LROPoller|AsyncLROPoller|ItemPaged|AsyncItemPaged|PageIterator|Iterator"
     r"|AsyncIterator|Iterable|Mapping|Sequence|Callable|Union|Optional|List|Dict|Tuple|bytes|str|int|float"
     r"|bool|None|NoneType|object|Path|timedelta|datetime)(\[.*\])?"),
    (r"py:.*", r"(Async)?TokenCredential|AzureKeyCredential|(Async)?HttpResponse|HttpRequest|HttpResponseError"),
    # The generated runtime's internals (model base class, type aliases).
    (r"py:.*", r"(_types|_utils)\..*|azure\.planetarycomputer\._generated\._utils\..*"),
    # Private modules and names of ours (underscore modules, type variables, type aliases).
    (r"py:.*", r"azure\.planetarycomputer\.(\w+\.)*_\w+(\.\w+)*"),
    (r"py:mod", r"_\w+"),
    (r"py:class", r"StorageHosts|CredentialFactory|Modifier|SearchPager|ProgressArgument|ProgressOption|DatetimeLike"
     r"|SasTokenCache|SasSigningOperations|RunReference"),
    # The generator writes discriminator values (enum members) as class references.
    (r"py:class", r"azure\.planetarycomputer\._generated\.models\.[A-Z][A-Z_]+"),
    # Instance attributes described in a class's field list (``:ivar:``) have no target of their own.
    (r"py:attr", r"\w+\.\w+"),
]
