"""Report -> clean, structured passages: the first stage of the pipeline."""

from ingest.errors import IngestError
from ingest.models import Passage, PassageKind, SourceLine

__all__ = ["IngestError", "Passage", "PassageKind", "SourceLine"]
