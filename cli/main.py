"""The ``quote-review`` command: a thin layer over the pipeline stages and the Prefect flows."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console

from cli.exit_codes import ExitCode
from pipeline.errors import QuoteReviewError

app = typer.Typer(
    help="Review building-repair quotes sent after a home-insurance claim.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
server_app = typer.Typer(help="The long-lived local Prefect server that makes every command faster.", no_args_is_help=True)
app.add_typer(server_app, name="server")

out = Console()
err = Console(stderr=True)


def fail(error: QuoteReviewError) -> None:
    err.print(f"[red]error[/red] {error.one_line()}", highlight=False, soft_wrap=True)
    raise typer.Exit(int(ExitCode.for_error(error)))


@app.command()
def extract(
    paths: list[Path] = typer.Argument(..., help="PDF, JPG or PNG files (one document per file)."),
    out_dir: Path | None = typer.Option(None, "--out", help="Write one <doc_id>.json per document here."),
) -> None:
    """Read quotes into the JSON of schemas/quote.schema.json (no database, no Prefect)."""
    from extractors import extract_document

    status = ExitCode.OK
    if out_dir:
        out_dir.mkdir(parents=True, exist_ok=True)
    for path in paths:
        try:
            extraction = extract_document(path)
        except QuoteReviewError as error:
            error.path = error.path or str(path)
            err.print(f"[red]error[/red] {error.one_line()}", highlight=False, soft_wrap=True)
            status = ExitCode.BAD_INPUT
            continue
        payload = json.dumps(extraction.to_contract(), ensure_ascii=False, indent=2)
        if out_dir:
            (out_dir / f"{extraction.doc_id}.json").write_text(payload + "\n", encoding="utf-8")
            out.print(f"{path} → {out_dir / (extraction.doc_id + '.json')} ({len(extraction.lines)} lines)", highlight=False)
        else:
            sys.stdout.write(payload + "\n")
    raise typer.Exit(int(status))


@server_app.command("start")
def server_start(port: int = typer.Option(None, help="Port on 127.0.0.1 (default 4200).")) -> None:
    """Start the local Prefect server in the background and wait until it answers."""
    from flows.runtime import start_server

    try:
        url = start_server(port)
    except QuoteReviewError as error:
        fail(error)
    out.print(f"Prefect server ready at {url}")


@server_app.command("stop")
def server_stop() -> None:
    """Stop the local Prefect server started by ``server start``."""
    from flows.runtime import stop_server

    out.print("stopped" if stop_server() else "no server was running")


@server_app.command("status")
def server_status() -> None:
    from flows.runtime import is_healthy, server_url

    url = server_url()
    healthy = is_healthy(url)
    out.print(f"{url}: {'up' if healthy else 'down'}")
    raise typer.Exit(0 if healthy else 1)
