"""`minusma-qa ingest`: turn the report into DIR/passages.jsonl."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

DEFAULT_OUT = Path("var/ingest")


def register(app: typer.Typer) -> None:
    """Add the `ingest` command to the `minusma-qa` app."""
    app.command("ingest")(ingest_command)


def ingest_command(
    sources: Annotated[
        list[Path] | None,
        typer.Argument(help="Report files (.txt or .pdf); default: MINUSMA_SOURCES."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Output directory.")] = DEFAULT_OUT,
    max_tokens: Annotated[
        int | None, typer.Option(help="Passage budget in word pieces (default: settings).")
    ] = None,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            help="Ingest afresh instead of reading the ingest cache (the cache entry is "
            "still replaced with the result).",
        ),
    ] = False,
) -> None:
    """Ingest the report into OUT/passages.jsonl (one JSON passage per line).

    Uses the ingest cache of MINUSMA_CACHE_DIR, as `minusma-qa index` does: a source
    ingested before with the same settings and code is read from there.
    """
    from ingest.pipeline import ingest_sources, write_passages
    from service.settings import Settings

    started = time.perf_counter()
    # Given sources replace MINUSMA_SOURCES, which may then name absent files: the ingest
    # checks the given files itself, with its own one-line errors.
    settings = Settings(sources=[]) if sources else Settings()
    config = settings.ingest_config()
    if max_tokens is not None:
        config = replace(config, max_passage_tokens=max_tokens)
    paths = list(sources or settings.sources)
    passages = ingest_sources(paths, config=config, progress=True, refresh_cache=no_cache)
    target = write_passages(passages, out)
    kinds = Counter(p.kind.value for p in passages)
    summary = ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items()))
    elapsed = time.perf_counter() - started
    typer.echo(f"wrote {len(passages)} passages ({summary}) to {target} in {elapsed:.1f}s")
