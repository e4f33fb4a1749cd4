"""The `minusma-qa` command: one Typer app; each package registers its own subcommands."""

from __future__ import annotations

import os
import sys

import typer

app = typer.Typer(
    name="minusma-qa",
    help="Question answering with verified citations over the IOB MINUSMA evaluation (2022).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _register_all() -> None:
    # Each package owns its commands; the imports stay here so `--help` lists them all.
    from ingest.cli import register as register_ingest

    register_ingest(app)
    from index.cli import register as register_index

    register_index(app)
    from service.commands import register as register_service

    register_service(app)
    from eval.cli import register as register_eval

    register_eval(app)


def main() -> None:
    """Console entry point: run the app; package errors become one line and exit code 2."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from service.errors import USER_ERRORS

    _register_all()
    try:
        app()
    except USER_ERRORS as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
