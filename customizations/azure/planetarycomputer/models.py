"""Models of the GeoCatalog API: STAC collections and items, tiler responses, ingestion, SAS.

Every model is a ``MutableMapping`` over its JSON: attribute access is typed (``item.id``), item
access gives the wire JSON (``item["id"]``).
"""

from ._generated.models import *  # noqa: F403
from ._generated.models import __all__ as _generated_all
from ._generated.models import StacCollectionTemporalExtent, StacExtensionExtent

# Names used by the document this library was commissioned from.
StacExtent = StacExtensionExtent
StacExtensionTemporalExtent = StacCollectionTemporalExtent

__all__ = [*_generated_all, "StacExtent", "StacExtensionTemporalExtent"]  # noqa: PLE0604
