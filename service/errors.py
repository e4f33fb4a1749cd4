"""Package exceptions that mean "the user must fix something": one line, never a trace."""

from __future__ import annotations

from eval.errors import EvalError
from index.errors import IndexError_
from ingest.errors import IngestError


class ServiceError(Exception):
    """The service cannot start or run as configured; the message names the fix."""


USER_ERRORS: tuple[type[Exception], ...] = (IngestError, IndexError_, ServiceError, EvalError)
