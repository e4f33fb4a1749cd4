"""Exceptions raised by index; the CLI and service translate them at the edge."""

REBUILD = "rebuild it with `minusma-qa index`"  # the fix for an unusable index


class IndexError_(Exception):  # trailing underscore: do not shadow builtins.IndexError
    """Base class: something about the index must be fixed; the message names the fix."""


class IndexBuildError(IndexError_):
    """The index cannot be built (no passages, unloadable model, unwritable directory)."""


class IndexLoadError(IndexError_):
    """The index on disk is missing, corrupted, or does not match the settings."""


class EmbeddingError(IndexError_):
    """The embedding model cannot be loaded or run."""


class CacheError(IndexError_):
    """The cache directory cannot be listed or pruned (unknown area, unreadable directory)."""
