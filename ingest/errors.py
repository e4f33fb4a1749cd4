"""Exceptions raised by ingest; the CLI and service translate them at the edge."""


class IngestError(Exception):
    """A source cannot be ingested; the message names the file, the reason and the fix."""
