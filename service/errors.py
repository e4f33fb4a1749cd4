"""The service's exception; the command line and the HTTP edge turn it into a message."""

from __future__ import annotations


class ServiceError(Exception):
    """The service cannot start or run as configured; the message names the fix."""
