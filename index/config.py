"""Build the IndexConfig from the one Settings object (configuration once, injected)."""

from __future__ import annotations

from index.models import IndexConfig
from service.settings import Settings


def from_settings(settings: Settings) -> IndexConfig:
    """The index configuration the settings describe (model resolved to a path or name)."""
    return IndexConfig(
        model=settings.resolved_model(),
        model_label=settings.embedding_model,
        query_prefix=settings.query_prefix,
        passage_prefix=settings.passage_prefix,
        faiss_index_type=settings.faiss_index_type,
        max_passage_tokens=settings.max_passage_tokens,
        cache_dir=settings.cache_dir,
        query_encoder=settings.query_encoder,
        translate_english=settings.translate_english,
    )
