"""The ``planetarycomputer`` command group and the conventions every command shares.

* **Endpoint**: ``--endpoint`` or the ``PLANETARYCOMPUTER_ENDPOINT`` environment variable.
* **Credential**: a bearer token from ``PLANETARYCOMPUTER_ACCESS_TOKEN`` when it is set (for
  pipelines that already hold one, e.g. from ``az account get-access-token``), otherwise
  azure-identity's ``DefaultAzureCredential``. The client is built only when a command needs it.
* **Exit codes**: 0 on success, 1 when the service (or the network, or the local disk) fails,
  2 for bad usage (Click's own usage errors, and the library's ``ValueError``/``TypeError`` for an
  argument it refuses), 130 when interrupted.
* **Errors** are one line on stderr with the service's error code and the HTTP status; ``--debug``
  adds the traceback and azure-core's log (network trace included), with bearer tokens and SAS
  signatures redacted.

Click is imported here, but nothing of the client: ``planetarycomputer --help`` loads Click and
this package's ``__init__`` only.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import sys
import time
import traceback
from typing import TYPE_CHECKING, Any, NoReturn

try:
    import click
except ImportError as _missing:  # pragma: no cover - exercised in an environment without click
    raise ImportError(
        'The planetarycomputer command line needs the [cli] extra: pip install "azure-planetarycomputer[cli]"'
    ) from _missing

if TYPE_CHECKING:
    from azure.core.credentials import AccessToken, TokenCredential

    from .._client import PlanetaryComputerProClient

ENDPOINT_VARIABLE = "PLANETARYCOMPUTER_ENDPOINT"
STORAGE_HOSTS_VARIABLE = "PLANETARYCOMPUTER_STORAGE_HOSTS"
TOKEN_VARIABLE = "PLANETARYCOMPUTER_ACCESS_TOKEN"

EXIT_SERVICE_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

PROG = "planetarycomputer"


class AccessTokenCredential:
    """A fixed bearer token (``PLANETARYCOMPUTER_ACCESS_TOKEN``), for pipelines that already hold one.

    Its expiry is read from the token when it is a JWT (its ``exp`` claim); otherwise the token is
    taken to be valid for an hour. The token is never printed.
    """

    def __init__(self, token: str) -> None:
        self._token = token
        self._expires_on = _jwt_expiry(token) or int(time.time()) + 3600

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        from azure.core.credentials import AccessToken

        return AccessToken(self._token, self._expires_on)

    def __repr__(self) -> str:
        return f"AccessTokenCredential(<from {TOKEN_VARIABLE}>, expires_on={self._expires_on})"


def _jwt_expiry(token: str) -> int | None:
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        expiry = payload.get("exp") if isinstance(payload, dict) else None
    except ValueError:
        return None
    return int(expiry) if isinstance(expiry, (int, float)) else None


class Session:
    """What one invocation shares between the group and its command: options and the lazy client."""

    def __init__(self, endpoint: str | None, debug: bool, storage_hosts: tuple[str, ...] = ()) -> None:
        self.endpoint = endpoint
        self.debug = debug
        self.storage_hosts = storage_hosts
        self._client: PlanetaryComputerProClient | None = None

    def credential(self) -> TokenCredential:
        token = os.environ.get(TOKEN_VARIABLE)
        if token:
            return AccessTokenCredential(token)
        try:
            from azure.identity import DefaultAzureCredential
        except ImportError:
            raise click.UsageError(
                "azure-identity is not installed: install the [cli] extra "
                '(pip install "azure-planetarycomputer[cli]"), or set '
                f"{TOKEN_VARIABLE} to a bearer token for the GeoCatalog"
            ) from None
        credential: TokenCredential = DefaultAzureCredential()
        return credential

    def client(self) -> PlanetaryComputerProClient:
        if self._client is None:
            if not self.endpoint:
                raise click.UsageError(
                    f"no GeoCatalog endpoint: pass --endpoint URL or set {ENDPOINT_VARIABLE}"
                )
            from .._client import PlanetaryComputerProClient

            options: dict[str, Any] = {"logging_enable": True} if self.debug else {}
            if self.storage_hosts:
                options["storage_hosts"] = list(self.storage_hosts)
            self._client = PlanetaryComputerProClient(self.endpoint, self.credential(), **options)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def session() -> Session:
    """The current invocation's :class:`Session`."""
    current = click.get_current_context().find_object(Session)
    if current is None:  # a command run outside the ``planetarycomputer`` group
        raise RuntimeError("no planetarycomputer session: run commands through the command group")
    return current


class _RedactingFilter(logging.Filter):
    """Rewrites each record's message with bearer tokens and SAS signatures redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        from .._redaction import redact_secrets

        record.msg = redact_secrets(record.getMessage())
        record.args = ()
        return True


def _enable_debug_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_RedactingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s: %(message)s"))
    for name in ("azure", "urllib3"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)


def _one_line(text: str) -> str:
    from .._redaction import redact_secrets

    first = next((line.strip() for line in str(text).splitlines() if line.strip()), "")
    return redact_secrets(first)


def describe_error(error: BaseException) -> tuple[str, int]:
    """The one-line message and the exit code for an exception escaping a command."""
    from azure.core.exceptions import AzureError, ClientAuthenticationError, HttpResponseError

    if isinstance(error, HttpResponseError):
        detail = getattr(error, "error", None)
        code = getattr(detail, "code", None) or getattr(error, "reason", None) or type(error).__name__
        message = getattr(detail, "message", None) or error.message
        status = f" (HTTP {error.status_code})" if error.status_code else ""
        if isinstance(error, ClientAuthenticationError) and not error.status_code:
            hint = (
                "sign in with `az login`, configure azure-identity's environment variables, "
                f"or set {TOKEN_VARIABLE}"
            )
            return f"no usable credential ({hint}): {_one_line(message)}", EXIT_SERVICE_ERROR
        return f"{code}: {_one_line(message)}{status}", EXIT_SERVICE_ERROR
    if isinstance(error, AzureError):
        return f"{type(error).__name__}: {_one_line(error.message)}", EXIT_SERVICE_ERROR
    if isinstance(error, (ValueError, TypeError)):
        return _one_line(str(error)), EXIT_USAGE
    if isinstance(error, OSError):
        return f"{type(error).__name__}: {_one_line(str(error))}", EXIT_SERVICE_ERROR
    return f"{type(error).__name__}: {_one_line(str(error))}", EXIT_SERVICE_ERROR


def fail(message: str, code: int = EXIT_SERVICE_ERROR) -> NoReturn:
    """Print ``message`` as the command's one error line and exit with ``code``."""
    click.echo(f"{PROG}: error: {message}", err=True)
    sys.exit(code)


class _Group(click.Group):
    """Turns exceptions escaping a command into the one-line error and exit code of the conventions."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo(f"{PROG}: interrupted", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except BrokenPipeError:
            # The reader went away (``| head``): not an error of ours. Point stdout at devnull so
            # the interpreter's final flush does not raise again.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(0)
        except Exception as error:
            message, code = describe_error(error)
            current = ctx.find_object(Session)
            if current is not None and current.debug:
                from .._redaction import redact_secrets

                click.echo(
                    redact_secrets(
                        "".join(traceback.format_exception(type(error), error, error.__traceback__))
                    ),
                    err=True,
                    nl=False,
                )
            else:
                message += " (--debug shows more)" if code == EXIT_SERVICE_ERROR else ""
            fail(message, code)
        finally:
            current = ctx.find_object(Session)
            if current is not None:
                current.close()


def _print_version(ctx: click.Context) -> None:
    from .._version import VERSION

    if not ctx.resilient_parsing:
        click.echo(f"{PROG} {VERSION}")
        ctx.exit()


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--endpoint",
    envvar=ENDPOINT_VARIABLE,
    metavar="URL",
    help=f"The GeoCatalog endpoint (default: ${ENDPOINT_VARIABLE}).",
)
@click.option(
    "--storage-host",
    "storage_hosts",
    multiple=True,
    metavar="HOST",
    help=(
        "Storage whose hrefs may be signed, besides Azure Blob Storage: a host suffix (.blob.example) or "
        f"an emulator's host:port (repeatable; default: ${STORAGE_HOSTS_VARIABLE}, comma-separated)."
    ),
)
@click.option("--debug", is_flag=True, help="Show tracebacks and azure-core's log (secrets redacted).")
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=lambda ctx, param, value: _print_version(ctx) if value else None,
    help="Show the version and exit.",
)
@click.pass_context
def cli(ctx: click.Context, endpoint: str | None, storage_hosts: tuple[str, ...], debug: bool) -> None:
    """Work with a Microsoft Planetary Computer Pro GeoCatalog from the command line.

    Credentials come from azure-identity's DefaultAzureCredential (az login, environment
    variables, managed identity...), or from a bearer token in PLANETARYCOMPUTER_ACCESS_TOKEN.
    Output is made for pipes: search | sign | assets download.
    """
    if debug:
        _enable_debug_logging()
    else:
        # Without --debug, the one error line says it all: no library warnings through logging's
        # last-resort handler (azure-identity warns about every credential it tried).
        logging.getLogger("azure").addHandler(logging.NullHandler())
        logging.getLogger("azure").propagate = False
    if not storage_hosts:
        variable = os.environ.get(STORAGE_HOSTS_VARIABLE, "")
        storage_hosts = tuple(host.strip() for host in variable.split(",") if host.strip())
    ctx.obj = Session(endpoint, debug, storage_hosts)


def main(prog_name: str = PROG) -> None:
    """Entry point of the ``planetarycomputer`` console script."""
    from . import _commands  # noqa: F401  (registers the commands on ``cli``)

    cli.main(prog_name=prog_name)
