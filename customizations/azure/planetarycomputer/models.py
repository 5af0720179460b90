"""Models of the GeoCatalog API: STAC collections and items, tiler responses, ingestion, SAS.

Every model is a ``MutableMapping`` over its JSON: attribute access is typed (``item.id``), item
access gives the wire JSON (``item["id"]``). The tiler's statistics and info maps, keyed by band or
asset name, give the typed model on item access instead (``stats["b1"].mean``).
"""

from ._generated.models import *  # noqa: F403
from ._generated.models import StacCollectionTemporalExtent, StacExtensionExtent
from ._generated.models import __all__ as _generated_all

# Map-shaped tiler results whose item access gives typed models (replace the generated names).
from ._typed_results import AssetStatisticsResponse as AssetStatisticsResponse
from ._typed_results import BandStatisticsMap as BandStatisticsMap
from ._typed_results import TilerInfoMapResponse as TilerInfoMapResponse
from ._typed_results import TilerStacItemStatistics as TilerStacItemStatistics

# Names used by the document this library was commissioned from.
StacExtent = StacExtensionExtent
StacExtensionTemporalExtent = StacCollectionTemporalExtent

__all__ = [*_generated_all, "StacExtent", "StacExtensionTemporalExtent"]
