"""`minusma-qa cache list` and `minusma-qa cache prune`: the cache directory's entries, and
removing those neither the settings nor the index in use need."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NamedTuple

import typer

if TYPE_CHECKING:
    from index.cachedir import CacheEntry

cache_app = typer.Typer(
    help="The cache directory (MINUSMA_CACHE_DIR): list its entries, prune the unused ones.",
    no_args_is_help=True,
)
AreasArgument = Annotated[
    list[str] | None,
    typer.Argument(help="Areas: models, onnx, ingest, analysis, embeddings (default: all)."),
]
IndexDirOption = Annotated[
    Path | None, typer.Option("--index-dir", help="The index in use (default: settings).")
]


def register(app: typer.Typer) -> None:
    """Add the `cache` commands to the `minusma-qa` app."""
    app.add_typer(cache_app, name="cache")


@cache_app.command("list")
def list_command(areas: AreasArgument = None, index_dir: IndexDirOption = None) -> None:
    """Show each area's entries, their sizes, and whether the current settings (a build
    with them) or the index in use need them."""
    entries, _ = _entries(areas, index_dir)
    for entry in entries:
        uses = [
            word
            for word, flag in (
                ("settings", entry.current),
                ("index", entry.indexed),
                ("recent", entry.recent),
            )
            if flag
        ]
        typer.echo(
            f"{entry.area:<10} {_human(entry.size):>9}  {','.join(uses) or 'unused':<21} "
            f"{entry.name}"
        )
    unused = sum(e.size for e in entries if not e.kept)
    typer.echo(
        f"{len(entries)} entries, {_human(sum(e.size for e in entries))}; "
        f"unused {_human(unused)} (`minusma-qa cache prune` removes it)"
    )


@cache_app.command("prune")
def prune_command(
    areas: AreasArgument = None,
    index_dir: IndexDirOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only print what would be removed.")
    ] = False,
) -> None:
    """Remove the entries that neither the current settings nor the index in use need
    (entries changed in the last 10 minutes are kept: a build may be writing them)."""
    from index.cachedir import prune

    entries, where = _entries(areas, index_dir)
    doomed = [entry for entry in entries if not entry.kept]
    verb = "would remove" if dry_run else "removed"
    for entry in doomed:
        typer.echo(f"{verb} {entry.area}/{entry.name} ({_human(entry.size)})")
    if dry_run:
        total = sum(e.size for e in doomed)
        typer.echo(f"would free {_human(total)} ({total} bytes); nothing removed")
        return
    freed = prune(doomed, models_dir=where.models_dir, index_dir=where.index_dir)
    typer.echo(f"freed {_human(freed)} ({freed} bytes); kept {len(entries) - len(doomed)} entries")


class _Where(NamedTuple):
    models_dir: Path
    index_dir: Path


def _entries(areas: list[str] | None, index_dir: Path | None) -> tuple[list[CacheEntry], _Where]:
    """The areas' entries, each marked by whether a build with the settings or a rebuild
    of the index in use reads it."""
    from index.cachedir import AREAS, build_needs, check_request, index_needs, list_entries
    from index.encoders.e5 import models_dir
    from service.settings import Settings

    settings = Settings()
    wanted = list(areas or AREAS)
    check_request(settings.cache_dir, wanted)  # before the model folder is resolved
    config, ingest_config = settings.index_config(), settings.ingest_config()
    where = _Where(
        models_dir(settings.model_cache_dir or settings.cache_dir), index_dir or settings.index_dir
    )
    entries = list_entries(
        settings.cache_dir,
        models_dir=where.models_dir,
        current=build_needs(settings.sources, config=config, ingest_config=ingest_config),
        indexed=index_needs(where.index_dir, config=config, ingest_config=ingest_config),
        areas=wanted,
    )
    return entries, where


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")
