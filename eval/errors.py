"""The evaluation package's one exception: its message says what to fix."""

from __future__ import annotations


class EvalError(Exception):
    """The evaluation cannot run as asked (bad gold file, service unreachable, bad option)."""
