"""The `minusma-qa` command: the composition root that wires ingest, index, service and eval.

Only this package builds `Settings` into each layer's config and imports every package;
nothing imports it. Package errors become one line and exit code 2 here.
"""

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
    # The imports stay here (not at the top) so importing `cli` stays cheap.
    from cli.cache import register as register_cache
    from cli.eval import register as register_eval
    from cli.index import register as register_index
    from cli.ingest import register as register_ingest
    from cli.service import register as register_service

    register_ingest(app)
    register_index(app)
    register_service(app)
    register_eval(app)
    register_cache(app)


def user_errors() -> tuple[type[Exception], ...]:
    """The packages' exceptions that mean "the user must fix something"."""
    from eval.errors import EvalError
    from index.errors import IndexError_
    from ingest.errors import IngestError
    from service.errors import ServiceError

    return (IngestError, IndexError_, ServiceError, EvalError)


def main() -> None:
    """Console entry point: run the app; package errors become one line and exit code 2."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    errors = user_errors()
    _register_all()
    try:
        app()
    except errors as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
