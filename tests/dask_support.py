"""What the Dask tests send to worker processes: credential factories and item functions.

Worker processes import these by module name (tests/ is on their ``sys.path``, inherited from the
test process), so they live here rather than in a test module.
"""

from __future__ import annotations

import itertools
import os
import time
from typing import Any

from azure.core.credentials import AccessToken, AccessTokenInfo

SHORT_TOKEN_SECONDS = 3
"""Life of the tokens of :class:`ShortLivedCredential`; the checking proxy refuses them after it."""

_serial = itertools.count()


class StandinCredential:
    """Any token for the stand-in, valid an hour. The class itself is the credential factory."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("standin-token", int(time.time()) + 3600)

    def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        return AccessTokenInfo("standin-token", int(time.time()) + 3600)


class ShortLivedCredential:
    """Tokens that expire after SHORT_TOKEN_SECONDS: ``short.<pid>.<n>.<expiry>``.

    The token says which process asked for it and when it expires, so that a checking proxy can
    refuse an expired one and count the processes that refreshed theirs.
    """

    def _token(self) -> tuple[str, int]:
        expires_on = int(time.time()) + SHORT_TOKEN_SECONDS
        return f"short.{os.getpid()}.{next(_serial)}.{expires_on}", expires_on

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(*self._token())

    def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        return AccessTokenInfo(*self._token())


class FixedTokenCredential:
    """One token, claimed valid for an hour whatever it really is."""

    def __init__(self, token: str) -> None:
        self.token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self.token, int(time.time()) + 3600)

    def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        return AccessTokenInfo(self.token, int(time.time()) + 3600)


class Broadcast:
    """The mistake users make: one short-lived token made at the start, sent to every worker."""

    def __init__(self) -> None:
        self.token = f"short.{os.getpid()}.0.{int(time.time()) + SHORT_TOKEN_SECONDS}"

    def __call__(self) -> FixedTokenCredential:
        return FixedTokenCredential(self.token)


def item_id(item: dict[str, Any]) -> str:
    return str(item["id"])


def slow_item_id(item: dict[str, Any]) -> str:
    """The item's id after a pause: long enough for a job to be cut in the middle."""
    time.sleep(0.3)
    return str(item["id"])


def worker_pid(item: dict[str, Any]) -> int:
    return os.getpid()


def first_href(item: dict[str, Any]) -> str:
    return str(next(iter(item["assets"].values()))["href"])
