"""The one exception hierarchy of fossilpy.

Domain code raises these; ``fossilpy.web.app`` maps them to HTTP status
codes and ``fossilpy.cli.main`` maps them to exit codes.  Nothing else
translates errors.  Anything that is not a ``FossilError`` is a bug and is
logged with its traceback (never shown to a web client).

    FossilError                  base; ``str(e)`` is a one-line message
      UserError                  bad usage or input from a person (exit 1, HTTP 400)
        NotFound                 no such artifact, page, repository (exit 1, HTTP 404)
        PermissionDenied         missing capability (exit 1, HTTP 403 / login redirect)
      ArtifactError              malformed artifact, bad delta, bad hash (exit 1, HTTP 400)
      ProtocolError              malformed sync message or transport failure (exit 1)
      StorageError               not a repository, corrupt file, schema problem (exit 1, HTTP 500)
        RepositoryBusy           another process holds the repository's lock too long (exit 1, HTTP 503)
      ProgrammingError           a developer's mistake (duplicate registration, ...)

``fossilpy.budget.BudgetExceeded`` (HTTP 503) is a ``FossilError`` too: a
request that ran out of time or memory.
"""

from __future__ import annotations


class FossilError(Exception):
    """Base class.  The message is one line, meant for a person."""

    #: HTTP status used by the web layer.
    http_status = 500
    #: Process exit code used by the CLI.
    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UserError(FossilError):
    """Bad usage or bad input from a person."""

    http_status = 400


class NotFound(UserError):
    """No such artifact, page, file or repository."""

    http_status = 404


class PermissionDenied(UserError):
    """The user lacks a capability the operation needs."""

    http_status = 403


class ArtifactError(FossilError):
    """A malformed artifact, a bad delta, bad compression or a hash mismatch."""

    http_status = 400


class ProtocolError(FossilError):
    """A malformed sync message, or a transport that failed."""

    http_status = 400


class StorageError(FossilError):
    """The file is not a usable repository, or the database failed."""

    http_status = 500


class RepositoryBusy(StorageError):
    """Another process kept the repository locked past the busy timeout; try again."""

    http_status = 503


class ProgrammingError(FossilError):
    """A mistake in fossilpy itself, e.g. a duplicate registration."""

    exit_code = 70
