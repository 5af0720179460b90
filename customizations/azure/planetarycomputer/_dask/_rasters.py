"""odc-stac loads on Dask whose hrefs are signed on the workers, when each chunk is read.

odc-stac's ``patch_url`` is applied once, on the machine that builds the graph, when ``load`` is
called: a computation that runs longer than the SAS token then reads with an expired signature
(PlanetaryComputer issues 388, 418, 463). Here the hrefs stay unsigned in the graph, and a reader
driver (:class:`SigningRioDriver`, odc-stac's own rasterio driver plus one step) signs each
source's href with the picklable :class:`~azure.planetarycomputer.AssetSigner` when a worker opens
it. Each worker process has its own signer and SAS token cache, so a token is renewed ``margin``
before it expires, on the worker that needs it, however long the computation runs.

odc-stac is imported when a load runs (the ``[dask-rasters]`` extra).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ._extras import require

if TYPE_CHECKING:
    from .._asset_signer import AssetSigner

__all__ = ["load_signed", "signing_driver"]


def signing_driver(signer: AssetSigner) -> Any:
    """An odc-stac reader driver (``odc.stac.load(..., driver=...)``) that signs hrefs at read time.

    :param signer: A signer made with ``client.sas.signer(credential_factory=...)`` (it travels to
        the workers, where it builds its own client).
    :raises ImportError: odc-stac is not installed (the ``[dask-rasters]`` extra).
    :raises TypeError: ``signer`` is not callable.
    """
    if not callable(signer):
        raise TypeError(
            f"signer must be an AssetSigner (callable: href -> href), got {type(signer).__name__}"
        )
    rio = require("odc.loader._rio", "dask-rasters")

    class SigningRioDriver(rio.RioDriver):  # type: ignore[name-defined]
        """odc-stac's rasterio driver, signing each source's href when a worker opens it."""

        def __init__(self, signer: AssetSigner) -> None:
            super().__init__()
            self.signer = signer

        def open(self, src: Any, ctx: Any) -> Any:
            return super().open(src.patch(uri=self.signer(src.uri)), ctx)

        def __reduce__(self) -> tuple[Any, ...]:
            # A class made in a function does not pickle by name: rebuild it from the signer.
            return signing_driver, (self.signer,)

    return SigningRioDriver(signer)


def load_signed(items: Iterable[Any], *, signer: AssetSigner, **odc_kwargs: Any) -> Any:
    """``odc.stac.load(items, **odc_kwargs)`` with hrefs signed on the workers when read.

    Pass ``chunks={...}`` for a lazy, Dask-backed result; computing it on a ``distributed`` cluster
    signs on the workers. ``patch_url`` and ``driver`` are taken by this helper and must not be
    given.

    :param items: pystac items (or anything ``odc.stac.load`` takes).
    :keyword signer: The signer (``client.sas.signer(credential_factory=...)``).
    :return: An ``xarray.Dataset``.
    :raises ValueError: ``patch_url`` or ``driver`` was given.
    :raises ImportError: odc-stac is not installed (the ``[dask-rasters]`` extra).
    """
    for taken in ("patch_url", "driver"):
        if taken in odc_kwargs:
            raise ValueError(f"{taken} is set by load_signed (hrefs are signed when read); do not pass it")
    odc_stac = require("odc.stac", "dask-rasters")
    return odc_stac.load(items, driver=signing_driver(signer), **odc_kwargs)
