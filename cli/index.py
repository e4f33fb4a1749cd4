"""`minusma-qa index` (ingest + index, with progress bars) and `minusma-qa search`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from index.models import IndexConfig, SearchMode


def register(app: typer.Typer) -> None:
    """Add the `index` and `search` commands to the `minusma-qa` app."""
    app.command("index")(index_command)
    app.command("search")(search_command)


def index_command(
    sources: Annotated[
        list[Path] | None,
        typer.Argument(help="Report files (.txt or .pdf); default: MINUSMA_SOURCES."),
    ] = None,
    index_dir: Annotated[
        Path | None, typer.Option("--index-dir", help="Index directory (default: settings).")
    ] = None,
    if_needed: Annotated[
        bool,
        typer.Option(
            "--if-needed",
            help="Skip the build when the index loads with these settings and was built "
            "from exactly these source files (same SHA-256).",
        ),
    ] = False,
) -> None:
    """Ingest the sources and build the hybrid index (atomically replaces the old one)."""
    from index.build import build_index
    from ingest.pipeline import ingest_sources
    from service.settings import Settings

    started = time.perf_counter()
    settings = Settings()
    config = settings.index_config()
    target = index_dir or settings.index_dir
    paths = list(sources or settings.sources)
    if if_needed and _up_to_date(target, paths, config=config):
        typer.echo(f"index at {target} is up to date; nothing to do")
        return
    passages = ingest_sources(paths, config=settings.ingest_config(), progress=True)
    manifest = build_index(passages, target, config=config, progress=True)
    counts = manifest.counts
    typer.echo(
        f"indexed {counts['passages']} passages, {counts['sentences']} sentences "
        f"({counts['embedded']} embedded, {counts['cache_hits']} from cache), "
        f"{counts['glossary']} acronyms -> {target} in {time.perf_counter() - started:.1f}s"
    )


def _up_to_date(index_dir: Path, sources: list[Path], *, config: IndexConfig) -> bool:
    """True when the index loads with `config` and was built from exactly these files by
    this version of the ingest and index code."""
    from index.build import pipeline_fingerprint
    from index.errors import IndexError_
    from index.load import load_index
    from ingest.cachefile import sha256_of

    if not (index_dir / "manifest.json").exists():
        return False
    try:
        manifest = load_index(index_dir, config=config).manifest
    except IndexError_ as exc:
        typer.echo(f"rebuilding: {exc}")
        return False
    if manifest.pipeline != pipeline_fingerprint():
        typer.echo("rebuilding: the index was built by another version of the ingest/index code")
        return False
    if _translation_table_missing(manifest.counts, config):
        typer.echo(
            "rebuilding: MINUSMA_TRANSLATE_ENGLISH is on and the FreeDict dictionaries are "
            "installed now, but the index was built without them"
        )
        return False
    built_from = sorted((s.source, s.sha256) for s in manifest.sources)
    wanted = sorted((p.name, sha256_of(p)) for p in sources if p.exists())
    return built_from == wanted


def _translation_table_missing(counts: dict[str, int], config: IndexConfig) -> bool:
    """English translation is wanted and possible, but the index has no table for it."""
    from index.translate import dictionary_files

    if not config.translate_english or counts.get("translations", 0) > 0:
        return False
    return dictionary_files(config.dictionary_dir) is not None


def search_command(
    query: Annotated[str, typer.Argument(help="The question or search words.")],
    k: Annotated[int, typer.Option("-k", "--k", min=1, max=100, help="Number of hits.")] = 10,
    mode: Annotated[str, typer.Option(help="hybrid, bm25 or dense.")] = "hybrid",
    index_dir: Annotated[
        Path | None, typer.Option("--index-dir", help="Index directory (default: settings).")
    ] = None,
) -> None:
    """Print the ranked passages for QUERY: rank, §section, title, page, score."""
    from index.load import load_index
    from service.settings import Settings

    if mode not in ("hybrid", "bm25", "dense"):
        raise typer.BadParameter("use hybrid, bm25 or dense", param_hint="--mode")
    settings = Settings()
    index = load_index(index_dir or settings.index_dir, config=settings.index_config())
    search_mode: SearchMode = mode  # type: ignore[assignment]
    hits = index.search(query, k=k, mode=search_mode)
    if not hits:
        typer.echo("no results (the query has no searchable words)")
        return
    for hit in hits:
        p = hit.passage
        page = f"p. {p.page}" if p.page else "p. -"
        typer.echo(f"{hit.rank:>3}. §{p.section} {p.section_title} ({page}) score {hit.score:.3f}")
        snippet = " ".join(p.text.split())
        typer.echo(f"     [{p.passage_id}] {snippet[:160]}{'…' if len(snippet) > 160 else ''}")
