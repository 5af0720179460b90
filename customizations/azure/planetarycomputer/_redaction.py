"""Network trace logging without secrets: SAS signatures and bearer tokens are redacted.

azure-core's ``NetworkTraceLoggingPolicy`` (``logging_enable=True``) writes every request URL,
header and body and every response body to the DEBUG log as they are. For a GeoCatalog that puts
secrets in the log: ``sas.get_url(href=...)`` sends a signed href in its query and receives one in
its body, ``sas.get_token`` receives a SAS token, signed asset downloads carry ``sig=`` in their
URL, and every request carries the bearer token. :class:`RedactingNetworkTraceLoggingPolicy`
writes the same trace to the same logger with the value of every ``sig`` parameter (plain or
percent-encoded, in URLs and bodies) and of credential headers replaced by ``REDACTED``.
"""

from __future__ import annotations

import logging
import re
import types
from typing import Any

from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import NetworkTraceLoggingPolicy

__all__ = ["REDACTED", "RedactingNetworkTraceLoggingPolicy", "redact_secrets"]

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
