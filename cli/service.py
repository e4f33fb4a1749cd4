"""CLI commands of the service: `serve`, `ask "vraag"`, `cite "bewering"`."""

from __future__ import annotations

from typing import Annotated

import typer

from service.settings import Settings

# Seconds the server keeps an idle keep-alive connection open. It must exceed the idle
# timeout of every client and proxy in front of it, so that the client side always closes
# an idle connection first: with uvicorn's default (5 s, the same as httpx's pool expiry)
# the server could close a connection at the instant a client reused it, and that request
# failed with a connection reset (seen as rare httpx ReadErrors under 50 clients).
# 120 s is above httpx (5 s), AWS ALB and nginx upstream (60 s), Go (90 s), Firefox (115 s).
KEEP_ALIVE_S = 120


def register(app: typer.Typer) -> None:
    """Add the service's commands to the `minusma-qa` app."""
    app.command("serve")(serve)
    app.command("ask")(ask)
    app.command("cite")(cite)


def serve(
    host: Annotated[
        str | None, typer.Option(help="Interface to bind (default from settings).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from settings).")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes.")] = None,
    timeout_keep_alive: Annotated[
        int,
        typer.Option(
            min=1,
            help="Seconds an idle HTTP connection stays open; keep it above the idle "
            "timeout of any proxy or client in front of the service.",
        ),
    ] = KEEP_ALIVE_S,
) -> None:
    """Serve the HTTP API and the web chat."""
    import uvicorn

    from service.app import served_app
    from service.engine import open_index

    settings = Settings()
    index = open_index(settings)  # fail here, in one line, when there is no usable index
    count = workers or settings.workers
    bind = {
        "host": host or settings.host,
        "port": port or settings.port,
        "log_level": "info",
        "timeout_keep_alive": timeout_keep_alive,
    }
    if count == 1:  # one process: serve the index just loaded instead of loading it again
        uvicorn.run(served_app(settings, index=index), **bind)  # type: ignore[arg-type]
    else:  # each worker process imports the app and loads the read-only index itself
        uvicorn.run("service.app:app_from_env", factory=True, workers=count, **bind)  # type: ignore[arg-type]


def ask(
    question: Annotated[str, typer.Argument(help="The question, in Dutch or English.")],
    top_k: Annotated[int, typer.Option(min=1, max=50, help="Passages to consider.")] = 5,
) -> None:
    """Answer a question from the report and print the citations."""
    from service.cite import format_citation
    from service.engine import build_engine

    engine = build_engine(Settings())
    answer = engine.answerer.answer(question, top_k=top_k)
    typer.echo(answer.answer)
    for citation in answer.citations:
        typer.echo(f"\n[{citation.n}] {format_citation(citation.passage)}")
        typer.echo(f'    "{" ".join(citation.quote.split())}"')
    if not answer.grounded:
        typer.echo("\nClosest passages:")
        for hit in answer.hits:
            typer.echo(f"  - {format_citation(hit.passage)}")


def cite(
    claim: Annotated[str, typer.Argument(help="A claim or quote to look up in the report.")],
    top_k: Annotated[int, typer.Option(min=1, max=50, help="Matches to show.")] = 3,
) -> None:
    """Say whether the report supports a claim and print the references."""
    from service.cite import format_citation
    from service.engine import build_engine

    engine = build_engine(Settings())
    result = engine.checker.check(claim, top_k=top_k)
    typer.echo(f"verdict: {result.verdict}")

    for match in result.matches:
        typer.echo(f"\n{format_citation(match.passage)} (score {match.score:.2f})")
        typer.echo(f'    "{" ".join(match.quote.split())}"')
