"""Network trace logging without secrets: SAS signatures and bearer tokens are redacted.

azure-core's ``NetworkTraceLoggingPolicy`` (``logging_enable=True``) writes every request URL,
header and body and every response body to the DEBUG log as they are. For a GeoCatalog that puts
secrets in the log: ``sas.get_url(href=...)`` sends a signed href in its query and receives one in
its body, ``sas.get_token`` receives a SAS token, signed asset downloads carry ``sig=`` in their
URL, and every request carries the bearer token. :class:`RedactingNetworkTraceLoggingPolicy`
writes the same trace to the same logger with the value of every ``sig`` parameter (plain or
percent-encoded, in URLs and bodies) and of credential headers replaced by ``REDACTED``.

Models print without secrets too: :func:`install_model_redaction` (run when this module is first
imported, which building a client or importing ``azure.planetarycomputer.models`` does) gives every
model of the API a ``repr()``/``str()`` with ``sig`` redacted in every string, and the whole value of
fields that are a token (``SharedAccessSignatureToken.token``, the ``sasToken`` of an ingestion
source's connection) replaced. Mapping access and ``as_dict()`` still give the real values: users
need them.
"""

from __future__ import annotations

import logging
import re
import types
from collections.abc import Mapping
from typing import Any

from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import NetworkTraceLoggingPolicy

__all__ = [
    "REDACTED",
    "RedactingNetworkTraceLoggingPolicy",
    "install_model_redaction",
    "redact_secrets",
    "redacted_model_repr",
]

REDACTED = "REDACTED"

# The same logger azure-core's policy writes to, so existing logging configuration still applies.
_LOGGER = logging.getLogger("azure.core.pipeline.policies._universal")

# "sig=<value>", also percent-encoded once or twice inside another URL's query (href=...%26sig%3D...).
# The value ends at a parameter separator (plain or encoded), whitespace, a quote or markup.
_SAS_SIGNATURE = re.compile(r"(?i)(sig(?:=|%3D|%253D))((?:(?!%26|%2526)[^&\s'\"<>#\\])+)")
_SECRET_HEADERS = frozenset(
    ["authorization", "proxy-authorization", "x-ms-authorization-auxiliary", "cookie", "set-cookie"]
)


def redact_secrets(text: str) -> str:
    """``text`` with the value of every SAS ``sig`` parameter replaced by ``REDACTED``."""
    return _SAS_SIGNATURE.sub(rf"\1{REDACTED}", text)


def _header_lines(headers: Any) -> str:
    lines = ""
    for name, value in headers.items():
        shown = REDACTED if str(name).lower() in _SECRET_HEADERS else redact_secrets(str(value))
        lines += f"\n    '{name}': '{shown}'"
    return lines


class RedactingNetworkTraceLoggingPolicy(NetworkTraceLoggingPolicy):
    """``NetworkTraceLoggingPolicy`` with SAS signatures and credential headers redacted."""

    def on_request(self, request: PipelineRequest[Any]) -> None:
        http_request = request.http_request
        logging_enable = request.context.options.pop("logging_enable", self.enable_http_logger)
        request.context["logging_enable"] = logging_enable
        if not logging_enable or not _LOGGER.isEnabledFor(logging.DEBUG):
            return
        try:
            log_string = f"Request URL: '{redact_secrets(http_request.url)}'"
            log_string += f"\nRequest method: '{http_request.method}'"
            log_string += "\nRequest headers:" + _header_lines(http_request.headers)
            log_string += "\nRequest body:"
            body = http_request.body
            if isinstance(body, (types.GeneratorType, types.AsyncGeneratorType)):
                log_string += "\nFile upload"
            elif body:
                log_string += "\n" + redact_secrets(str(body))
            else:
                log_string += "\nThis request has no body"
            _LOGGER.debug(log_string)
        except Exception as err:  # a log line must never break the request
            _LOGGER.debug("Failed to log request: %r", type(err).__name__)

    def on_response(self, request: PipelineRequest[Any], response: PipelineResponse[Any, Any]) -> None:
        if not response.context.get("logging_enable") or not _LOGGER.isEnabledFor(logging.DEBUG):
            return
        http_response = response.http_response
        try:
            log_string = f"Response status: '{http_response.status_code}'"
            log_string += "\nResponse headers:" + _header_lines(http_response.headers)
            log_string += "\nResponse content:"
            disposition = http_response.headers.get("content-disposition")
            content_type = http_response.headers.get("content-type", "")
            if disposition and re.match(r'attachment; ?filename=["\w.]+', disposition, re.IGNORECASE):
                log_string += "\nFile attachments: " + redact_secrets(disposition.partition("=")[2])
            elif content_type.endswith("octet-stream"):
                log_string += "\nBody contains binary data."
            elif content_type.startswith("image"):
                log_string += "\nBody contains image data."
            elif response.context.options.get("stream", False):
                log_string += "\nBody is streamable."
            else:
                log_string += "\n" + redact_secrets(http_response.text())
            _LOGGER.debug(log_string)
        except Exception as err:  # a log line must never break the response
            _LOGGER.debug("Failed to log response: %r", type(err).__name__)


# --------------------------------------------------------------------------------------------------
# Model reprs
# --------------------------------------------------------------------------------------------------

# JSON names whose whole value is a secret: the SAS token of an ingestion source's connection
# anywhere, and ``token`` in a SharedAccessSignatureToken (elsewhere ``token`` is a paging token).
_SECRET_KEYS_ANYWHERE = frozenset({"sasToken"})
_SECRET_KEYS_BY_MODEL = {"SharedAccessSignatureToken": frozenset({"token"})}


def _redacted(value: Any, secret_keys: frozenset[str] = _SECRET_KEYS_ANYWHERE) -> Any:
    if isinstance(value, str):
        return redact_secrets(value)
    if isinstance(value, Mapping):
        nested = {
            key: REDACTED
            if key in secret_keys and isinstance(item, str)
            else _redacted(item, _secret_keys_of(item))
            for key, item in value.items()
        }
        return nested
    if isinstance(value, (list, tuple)):
        return [_redacted(item, _secret_keys_of(item)) for item in value]
    return value


def _secret_keys_of(value: Any) -> frozenset[str]:
    return _SECRET_KEYS_ANYWHERE | _SECRET_KEYS_BY_MODEL.get(type(value).__name__, frozenset())


def redacted_model_repr(model: Any) -> str:
    """A model's JSON, as its ``repr()`` shows it, with signatures and tokens redacted."""
    return str(_redacted(model, _secret_keys_of(model)))


def install_model_redaction() -> None:
    """Make the ``repr()``/``str()`` of every API model redact secrets (idempotent).

    The generated models all print through one base class; its ``__repr__`` is replaced here (the
    generated code is never edited by hand). A model class that defines its own ``__repr__`` keeps it.
    """
    from ._generated._utils import model_base

    base = model_base._MyMutableMapping
    if getattr(base.__repr__, "_redacts_secrets", False):
        return

    def __repr__(self: Any) -> str:
        return redacted_model_repr(self)

    __repr__._redacts_secrets = True  # type: ignore[attr-defined]
    base.__repr__ = __repr__  # type: ignore[method-assign]


install_model_redaction()
