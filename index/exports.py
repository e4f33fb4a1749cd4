"""The model's ONNX exports for one index build, made once and kept in the cache directory."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path

from index.encoders.base import cache_identity
from index.errors import IndexBuildError
from index.layout import ONNX_ENCODERS
from index.models import IndexConfig
from ingest.cachefile import intact, store


class OnnxExports:
    """The model's ONNX exports for one build (MINUSMA_QUERY_ENCODER=onnx or onnx-int8).

    The export the settings serve queries with also embeds the report at build time
    (`Embedder`'s document encoder): the float export for `onnx`, its int8 quantisation
    for `onnx-int8`. Each is made at most once per build, only when needed, and kept in the
    cache directory under the model's identity and the exporter's versions, so a rebuild
    with the same model copies it (multilingual-e5-small: export ~12 s, quantisation ~11 s).
    """

    def __init__(self, config: IndexConfig, *, scratch: Path) -> None:
        self.config = config
        self.wanted = config.query_encoder in ONNX_ENCODERS
        self._scratch = scratch  # for the exports when there is no cache directory
        self._float: Path | None = None

    def float_graph(self) -> Path:
        """The float export's path (made now if neither this build nor the cache has it)."""
        if self._float is None:
            self._check_local_model()
            from index.encoders.onnx import export_query_encoder

            self._float = self._cached("onnx", export_query_encoder)
        return self._float

    def int8_graph(self) -> Path:
        """The int8 export's path (quantised from the float one if not made or cached)."""
        self._check_local_model()
        from index.encoders.onnx import quantize_query_encoder

        def quantise(_model: str, target: Path) -> None:
            quantize_query_encoder(self.float_graph(), target)

        return self._cached("onnx-int8", quantise)

    @property
    def quantised(self) -> bool:
        """Whether the settings serve (and so the build embeds with) the int8 export."""
        return self.config.query_encoder == "onnx-int8"

    def document_graph(self) -> Path:
        """The export the report is embedded with: the one queries will be embedded with.

        With multilingual-e5-small the int8 export embeds the report in about half the
        float export's time, and documents and queries then share one quantised space:
        Dutch gold R@5 0.89 / MRR 0.75 (5-fold CV) vs 0.88 / 0.74 with float documents.
        """
        return self.int8_graph() if self.quantised else self.float_graph()

    def cache_entries(self) -> list[Path]:
        """The cached exports a build with these settings reads: the one it embeds the
        report with and copies into the index (the float one only while the int8 one is
        made)."""
        if not self.wanted:
            return []
        cached = cached_export_path(self.config, "onnx-int8" if self.quantised else "onnx")
        return [] if cached is None else [cached]

    def write_query_encoder(self, out: Path) -> None:
        """Write the query encoder the settings ask for to `out`."""
        self._check_local_model()
        shutil.copyfile(self.document_graph(), out)

    def _cached(self, kind: str, make: Callable[[str, Path], None]) -> Path:
        """The `kind` export, from the cache when its checksum holds, else made by `make`.

        It is made in the build's own temporary directory (a killed build's is removed by
        the next one, see `remove_stale_temp_dirs`), then copied into the cache under a
        temporary name and renamed, so the cache never holds a partial export for long.
        """
        cached = cached_export_path(self.config, kind)
        if cached is not None and intact(cached):
            return cached
        made = self._scratch / f"{kind}.onnx"
        made.parent.mkdir(parents=True, exist_ok=True)
        make(self.config.model, made)
        if cached is None:
            return made
        store(cached, lambda partial: shutil.copyfile(made, partial))
        return cached

    def _check_local_model(self) -> None:
        if not (Path(self.config.model) / "tokenizer.json").is_file():
            raise IndexBuildError(
                f"MINUSMA_QUERY_ENCODER={self.config.query_encoder} needs a local model folder "
                f"with tokenizer.json, not {self.config.model!r}; use a local path or "
                "MINUSMA_QUERY_ENCODER=torch"
            )


def cached_export_path(config: IndexConfig, kind: str) -> Path | None:
    """Where the cache keeps this model's `kind` export, or None without a cache directory."""
    if config.cache_dir is None:
        return None
    from importlib.metadata import version

    versions = "|".join(version(name) for name in ("torch", "onnx", "onnxruntime"))
    identity = f"{cache_identity(config.model, config.model_label)}|{versions}"
    if kind == "onnx-int8":
        from index.encoders.onnx import QUANTISATION

        identity += f"|{QUANTISATION}"
    key = hashlib.sha256(identity.encode()).hexdigest()[:24]
    return Path(config.cache_dir) / "onnx" / f"{kind}-{key}.onnx"
