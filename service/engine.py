"""The engine: the loaded index and everything built on it once, shared by the app and the CLI."""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel

from index.errors import IndexError_
from index.hybrid import HybridIndex
from index.load import load_index
from service.answer import Answerer
from service.cite import ClaimChecker
from service.errors import ServiceError
from service.evidence import EvidenceScorer
from service.generative import build_chat_model
from service.settings import Settings

BUILD_COMMAND = "minusma-qa index"
WARM_UP_QUERY = "MINUSMA"


@dataclass(frozen=True, slots=True)
class Engine:
    """What the routes use; built once per process."""

    index: HybridIndex
    scorer: EvidenceScorer
    answerer: Answerer
    checker: ClaimChecker


def open_index(settings: Settings) -> HybridIndex:
    """Load the index the settings point at, or raise ServiceError naming the build command."""
    if not (settings.index_dir / "manifest.json").is_file():
        raise ServiceError(
            f"no index at {settings.index_dir}; build it with `{BUILD_COMMAND} --index-dir "
            f"{settings.index_dir}` (or `make index`)"
        )
    try:
        return load_index(settings.index_dir, config=settings.index_config())
    except IndexError_ as exc:
        raise ServiceError(str(exc)) from None


def build_engine(
    settings: Settings,
    *,
    index: HybridIndex | None = None,
    chat_model: BaseChatModel | None = None,
) -> Engine:
    """Load (or take) the index and build the scorer, answerer and claim checker on it.

    `chat_model` overrides the one the settings configure (tests inject a scripted model).
    """
    index = index if index is not None else open_index(settings)
    scorer = EvidenceScorer(index)
    answerer = Answerer(
        index,
        scorer,
        abstain_threshold=settings.abstain_threshold,
        max_sentences=settings.answer_max_sentences,
        candidates=settings.answer_candidates,
        chat_model=chat_model if chat_model is not None else build_chat_model(settings),
    )
    checker = ClaimChecker(
        index,
        scorer,
        supported_threshold=settings.cite_supported_threshold,
        partial_threshold=settings.cite_partial_threshold,
    )
    index.embed_query(WARM_UP_QUERY)  # load the model now, not on the first user's request
    return Engine(index, scorer, answerer, checker)
