"""Models of the GeoCatalog API: STAC collections and items, tiler responses, ingestion, SAS.

Every model is a ``MutableMapping`` over its JSON: attribute access is typed (``item.id``), item
access reads the mapping (``item["id"]``), and serializing a model gives its wire JSON. Reading a
typed attribute keeps the parsed value in the mapping (a datetime where the JSON had a string).
The tiler's statistics and info maps, keyed by band or asset name, give the typed model on item
access (``stats["b1"].mean``).

``StacExtensionSpatialExtent`` here also accepts ``bbox=`` (the STAC name) for ``bounding_box=``.

``repr()`` and ``str()`` of a model never show a secret: SAS signatures (``sig=``) in any href are
redacted, and so is the whole value of a token field (``SharedAccessSignatureToken.token``, an
ingestion connection's ``shared_access_signature_token``). Attribute access, item access and
``as_dict()`` give the real values.

``StacItem``, ``StacCollection`` and ``StacItemCollection`` have ``to_pystac()`` and the class method
``from_pystac(obj)`` (the ``[pystac]`` extra), set on the generated classes when the package is
imported; see ``_bridges/_pystac.py``.
"""

from . import _aliases
from ._generated.models import *  # noqa: F403
from ._generated.models import StacCollectionTemporalExtent, StacExtensionExtent
from ._generated.models import __all__ as _generated_all
from ._redaction import install_model_redaction

# Map-shaped tiler results whose item access gives typed models (replace the generated names).
from ._typed_results import AssetStatisticsResponse as AssetStatisticsResponse
from ._typed_results import BandStatisticsMap as BandStatisticsMap
from ._typed_results import TilerInfoMapResponse as TilerInfoMapResponse
from ._typed_results import TilerStacItemStatistics as TilerStacItemStatistics

# Accepts bbox= as well as bounding_box= (replaces the generated name, so after the imports).
StacExtensionSpatialExtent = _aliases.StacExtensionSpatialExtent  # type: ignore[misc]

# Names used by the document this library was commissioned from.
StacExtent = StacExtensionExtent
StacExtensionTemporalExtent = StacCollectionTemporalExtent

install_model_redaction()  # already done if a client was built; importing the models alone does it here

__all__ = [*_generated_all, "StacExtent", "StacExtensionTemporalExtent"]
