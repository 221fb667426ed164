"""The ``quote-review`` command: a thin layer over the pipeline stages and the Prefect flows."""
from __future__ import annotations

import csv
import json
import shutil
import signal
import sys
import threading
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

import quote_review
from cli.audit import audit_app
from cli.dossier import dossier_app
from cli.exit_codes import ExitCode
from cli.inputs import batch_dossiers, dossier_from_values
from cli.grid import grid_app
from cli.ren import ren_app
from cli.render import print_review
from cli.users import user_app
from core.errors import OrchestrationError, QuoteReviewError
from core.models import euros
from flows.runtime import configure_prefect, home

app = typer.Typer(
    help="Review building-repair quotes sent after a home-insurance claim.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
server_app = typer.Typer(help="The long-lived local Prefect server that makes every command faster.", no_args_is_help=True)
app.add_typer(server_app, name="server")
app.add_typer(dossier_app, name="dossier")
app.add_typer(grid_app, name="grid")
app.add_typer(audit_app, name="audit")
app.add_typer(ren_app, name="ren")
app.add_typer(user_app, name="user")

# Not a terminal (a pipe, a log): 140 columns, so verdict tables stay readable.
_WIDTH = shutil.get_terminal_size((140, 40)).columns
out = Console(width=_WIDTH)
err = Console(stderr=True, width=_WIDTH)


def _stop_on_signal(signum, frame) -> None:
    # Ctrl-C and SIGTERM unwind the command, so the temporary Prefect server is stopped by the same
    # clean-up as a normal exit (atexit, finally); the documents being read stop at once.
    isolation = sys.modules.get("extractors.isolation")
    if isolation is not None:
        isolation.interrupt_reads()
    raise KeyboardInterrupt(f"signal {signum}")


@app.callback()
def _every_command() -> None:
    """Review building-repair quotes sent after a home-insurance claim."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop_on_signal)
        signal.signal(signal.SIGINT, _stop_on_signal)


def fail(error: QuoteReviewError) -> None:
    err.print(f"[red]error[/red] {error.one_line()}", highlight=False, soft_wrap=True)
    raise typer.Exit(int(ExitCode.for_error(error)))


@app.command()
def extract(
    paths: list[Path] = typer.Argument(..., help="PDF, JPG or PNG files (one document per file)."),
    out_dir: Path | None = typer.Option(None, "--out", help="Write one <doc_id>.json per document here."),
) -> None:
    """Read quotes into the JSON of schemas/quote.schema.json (no database, no Prefect)."""
    status = ExitCode.OK
    if out_dir:
        out_dir.mkdir(parents=True, exist_ok=True)
    for path in paths:
        try:
            extraction = quote_review.extract(path)
        except QuoteReviewError as error:
            error.path = str(path)
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


def _prepare_prefect() -> str:
    """Configure Prefect before any flow module imports it (its settings are read at import)."""
    mode = configure_prefect()
    if mode == "ephemeral":
        err.print("[dim]no local Prefect server: starting a temporary one (about 20 s); "
                  "`quote-review server start` keeps one running[/dim]")
        from flows.runtime import start_temporary_server

        start_temporary_server()
    return mode


def _run_flow(run):
    """Run a flow; a Prefect failure becomes one clear line."""
    try:
        return run()
    except QuoteReviewError:
        raise
    except (OSError, RuntimeError) as exc:
        raise OrchestrationError(f"the Prefect API could not run the flow: {exc}") from exc


@app.command()
def review(
    file: Path = typer.Argument(..., help="The quote or invoice (PDF, JPG or PNG)."),
    dossier: str = typer.Option(..., "--dossier", help="Dossier reference."),
    postcode: str = typer.Option(None, help="Site postcode (département pricing); else the quote's."),
    guarantee: str = typer.Option(..., help="degats_des_eaux, tempete_grele_neige, vol_vandalisme, bris_de_glace, incendie, catastrophe_naturelle."),
    deductible: str = typer.Option(..., help="Franchise in euros."),
    claim_date: str = typer.Option(None, help="Claim date YYYY-MM-DD (default today)."),
    phone: str = typer.Option("000000000", help="Policyholder phone."),
    email: str = typer.Option("inconnu", help="Policyholder email."),
    output_format: str = typer.Option("table", "--format", help="table or json (schemas/review.schema.json)."),
    db: str = typer.Option(None, "--db", envvar="QUOTE_REVIEW_DB", help="Database URL (default SQLite in var/)."),
    grid: Path = typer.Option(None, "--grid", help="Price grid folder (default reference_prices/)."),
    local: bool = typer.Option(False, "--local", help="Run the flow in this command even when `serve` is up."),
) -> None:
    """Review one quote for one dossier and print the verdict (in the `serve` process when it is up)."""
    try:
        record = dossier_from_values(dossier, claim_date, postcode, guarantee, deductible, phone, email)
        submitted = None if local else _submit_to_served(file, record, db, grid)
        if submitted is not None:
            if submitted.error is not None:
                raise submitted.error
            verdict = submitted.review
        else:
            _prepare_prefect()
            verdict = _run_flow(lambda: quote_review.review(file, record, db=db, grid=grid, home=home(), prefect=True))
    except QuoteReviewError as error:
        fail(error)
    if output_format == "json":
        sys.stdout.write(json.dumps(verdict.to_contract(), ensure_ascii=False, indent=2) + "\n")
    else:
        print_review(out, verdict, f"{file.name} — dossier {dossier}")


def _submit_to_served(file: Path, record, db: str | None, grid: Path | None):
    """The outcome from the warm `quote-review serve` process, or None when none is serving."""
    import os

    from flows.runtime import is_healthy, server_url
    from flows.submit import served_deployment_id, submit_review

    api_url = os.environ.get("PREFECT_API_URL") or server_url()
    if not is_healthy(api_url, timeout=0.5):
        return None
    deployment_id = served_deployment_id(api_url)
    if deployment_id is None:
        return None
    return submit_review(api_url, deployment_id, file, record, db, str(grid.resolve()) if grid else None, home())


@app.command()
def serve(
    inbox: Path = typer.Option(None, "--inbox", help="Folder watched for new files (default $QUOTE_REVIEW_HOME/inbox)."),
    inbox_every: float = typer.Option(10.0, "--inbox-every", help="Seconds between two looks at the inbox."),
    reprocess_cron: str = typer.Option("0 2 * * *", help="When to re-decide open dossiers (cron, server time)."),
    figures_cron: str = typer.Option("30 2 * * *", help="When to write the day's figures (cron, server time)."),
    limit: int = typer.Option(4, help="Flow runs at once."),
    db: str = typer.Option(None, "--db", envvar="QUOTE_REVIEW_DB", help="Database URL (default SQLite in var/)."),
    grid: Path = typer.Option(None, "--grid", help="Price grid folder (default reference_prices/)."),
) -> None:
    """Serve the flows as Prefect deployments from one warm process (grid, matcher and French model loaded once).

    `review` then submits to it; the inbox is watched; re-pricing and figures run on their schedules.
    """
    mode = configure_prefect()
    if mode != "server":
        fail(OrchestrationError("serve needs the local Prefect server: run `quote-review server start` first"))
    from flows.serve import ServeOptions
    from flows.serve import serve as serve_flows

    state = home()
    options = ServeOptions(db_url=db, grid_dir=str(grid.resolve()) if grid else None, home=str(state),
                           inbox_dir=str((inbox or state / "inbox").resolve()), inbox_every_seconds=inbox_every,
                           reprocess_cron=reprocess_cron, figures_cron=figures_cron, limit=limit)
    err.print(f"serving review-quote, review-batch, reprocess-open-dossiers, inbox ({options.inbox_dir}), "
              f"nightly-figures; Ctrl-C to stop", highlight=False)
    serve_flows(options)


SIDE_FILES = {".csv", ".json", ".md", ".txt"}
DOCUMENT_SUFFIXES = {".pdf", ".jpg", ".jpeg", ".png"}


def batch_files(folder: Path) -> list[Path]:
    """The entries of a folder a batch reviews: every file but hidden and side files (CSV, notes);
    links and other non-files too, so that they are refused and reported, not skipped; and a folder
    named like a document (``x.pdf``), reported for the same reason."""
    chosen = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.suffix.lower() in SIDE_FILES:
            continue
        if entry.is_dir() and not entry.is_symlink() and entry.suffix.lower() not in DOCUMENT_SUFFIXES:
            continue
        chosen.append(entry)
    return chosen


@app.command()
def batch(  # noqa: C901 (merged from the hardening branch; to split into steps)
    folder: Path = typer.Argument(..., exists=True, file_okay=False, help="Folder of quotes."),
    dossiers: Path = typer.Option(None, "--dossiers", help="CSV: file,dossier_ref,claim_date,postcode,guarantee,deductible,phone,email."),
    out_dir: Path = typer.Option(None, "--out", help="Write one review JSON per document here, and summary.csv."),
    guarantee: str = typer.Option("degats_des_eaux", help="Default guarantee for files the CSV does not list."),
    deductible: str = typer.Option("0", help="Default franchise."),
    postcode: str = typer.Option(None, help="Default site postcode."),
    db: str = typer.Option(None, "--db", envvar="QUOTE_REVIEW_DB", help="Database URL (default SQLite in var/)."),
    grid: Path = typer.Option(None, "--grid", help="Price grid folder (default reference_prices/)."),
    quiet: bool = typer.Option(False, "--quiet", help="Only the summary table, not each verdict."),
    runner: str = typer.Option("thread", "--runner", help="thread (two threads here) or dask (README: Scaling out)."),
    dask_address: str = typer.Option(None, "--dask-address", help="A running Dask scheduler, tcp://HOST:8786 (implies --runner dask)."),
    dask_workers: int = typer.Option(2, "--dask-workers", help="Worker processes of the local Dask cluster."),
) -> None:
    """Review every file of a folder in one flow run; bad files are reported and the batch goes on."""
    defaults = {"guarantee": guarantee, "deductible": deductible, "postcode": postcode, "phone": "000000000",
                "email": "inconnu", "claim_date": None}
    if runner not in ("thread", "dask"):
        err.print(f"[red]error[/red] --runner must be thread or dask, not {runner!r}", highlight=False)
        raise typer.Exit(int(ExitCode.INVALID_ARGUMENTS))
    try:
        items, bad_rows = batch_dossiers(batch_files(folder), dossiers, defaults)
        outcomes = _review_items(items, db, grid, runner, dask_address, dask_workers)
    except QuoteReviewError as error:
        fail(error)
    from pipeline.review import ReviewOutcome

    # A file whose dossier row is wrong is not reviewed; it has its error line like a refused file.
    outcomes += [ReviewOutcome(Path(row.file), "", error=row.error) for row in bad_rows]
    rows = _print_outcomes(outcomes, out_dir, quiet)
    if out_dir:
        _write_summary_csv(out_dir / "summary.csv", rows)
        out.print(f"summary written to {out_dir / 'summary.csv'}")
    status = ExitCode.OK
    if any(o.error for o in outcomes):
        status = ExitCode.BAD_INPUT
    if bad_rows:
        status = ExitCode.INVALID_ARGUMENTS
    raise typer.Exit(int(status))


def _review_items(items: list, db: str | None, grid: Path | None, runner: str = "thread",
                  dask_address: str | None = None, dask_workers: int = 2) -> list:
    """Review the batch's documents in one flow run: on two threads with a progress bar on stderr, or on Dask."""
    if not items:
        return []
    _prepare_prefect()
    if dask_address or runner == "dask":
        from flows.dask_runner import run_batch

        err.print(f"[dim]reviewing {len(items)} files on Dask ({dask_address or f'{dask_workers} local workers'})[/dim]")
        return _run_flow(lambda: run_batch(items, db, str(grid.resolve()) if grid else None, str(home()),
                                           dask_address=dask_address, dask_workers=dask_workers))
    from flows.review import on_document_done, review_batch

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=True) as progress:
        bar = progress.add_task("reviewing", total=len(items))
        remove = on_document_done(lambda job: progress.update(bar, advance=1, description=Path(job.path).name))
        try:
            return _run_flow(lambda: review_batch(items, db, str(grid) if grid else None, str(home())))
        finally:
            remove()


def _print_outcomes(outcomes: list, out_dir: Path | None, quiet: bool) -> list[dict]:
    """Each verdict (unless quiet) and error line, the summary table; the summary rows; one JSON per review."""
    if out_dir:
        out_dir.mkdir(parents=True, exist_ok=True)
    summary = Table(title=f"{len(outcomes)} documents", show_lines=False)
    for column in ("file", "dossier", "status", "motive", "TTC devis", "TTC révisé", "indemnité"):
        summary.add_column(column, overflow="fold")
    rows = []
    for outcome in outcomes:
        name = outcome.source.name
        if outcome.error:
            err.print(f"[red]error[/red] {outcome.error.one_line()}", highlight=False, soft_wrap=True)
            summary.add_row(name, outcome.dossier_ref, f"[red]{outcome.error.code}[/red]", outcome.error.message, "", "", "")
            rows.append({"file": name, "dossier_ref": outcome.dossier_ref, "status": "error", "error_code": outcome.error.code,
                         "error": outcome.error.message})
            continue
        contract = outcome.review.to_contract()
        if not quiet:
            print_review(out, outcome.review, f"{name} — dossier {outcome.dossier_ref}")
        summary.add_row(name, outcome.dossier_ref, contract["status"], contract.get("motive") or "",
                        euros(contract["quoted_ttc"]), euros(contract["revised_ttc"]), euros(contract["indemnity"]))
        rows.append({"file": name, "dossier_ref": outcome.dossier_ref, "status": contract["status"],
                     "motive": contract.get("motive") or "", "quoted_ttc": contract["quoted_ttc"],
                     "revised_ttc": contract["revised_ttc"], "variance_ttc": contract["variance_ttc"],
                     "indemnity": contract["indemnity"], "flags": " ".join(f["code"] for f in contract["flags"])})
        if out_dir:
            (out_dir / f"{contract['doc_id']}.json").write_text(json.dumps(contract, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    out.print(summary)
    return rows


def _write_summary_csv(path: Path, rows: list[dict]) -> None:
    fields = ["file", "dossier_ref", "status", "motive", "quoted_ttc", "revised_ttc", "variance_ttc", "indemnity",
              "flags", "error_code", "error"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


@app.command()
def reprocess(
    db: str = typer.Option(None, "--db", envvar="QUOTE_REVIEW_DB", help="Database URL (default SQLite in var/)."),
    grid: Path = typer.Option(None, "--grid", help="Price grid folder (default reference_prices/)."),
    serve: bool = typer.Option(False, "--serve", help="Stay running and reprocess on the --cron schedule."),
    cron: str = typer.Option("0 2 * * *", help="Schedule for --serve (cron syntax, server time)."),
) -> None:
    """Decide again, with the current grid, every open dossier decided with another grid version (no OCR)."""
    mode = _prepare_prefect() if not serve else configure_prefect()
    from flows.reprocess import reprocess_open_dossiers

    if serve:
        if mode != "server":
            fail(OrchestrationError("--serve needs the local Prefect server: run `quote-review server start` first"))
        out.print(f"reprocessing on schedule {cron!r}; Ctrl-C to stop")
        reprocess_open_dossiers.serve(name="nightly-reprocess", cron=cron,
                                      parameters={"db_url": db, "grid_dir": str(grid) if grid else None, "home": str(home())})
        return
    try:
        report = _run_flow(lambda: reprocess_open_dossiers(db, str(grid) if grid else None, str(home())))
    except QuoteReviewError as error:
        fail(error)
    out.print(f"grid {report.grid_version}: {len(report.changed)} dossiers changed status, "
              f"{len(report.unchanged)} re-priced with the same status, {len(report.errors)} errors")
    for ref, before, after in report.changed:
        out.print(f"  {ref}: {before} → {after}")
    for ref, message in report.errors:
        err.print(f"[red]error[/red] {ref}: {message}", highlight=False)


@app.command()
def web(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port."),
    db: str = typer.Option(None, "--db", envvar="QUOTE_REVIEW_DB", help="Database URL (default SQLite in var/)."),
    grid: Path = typer.Option(None, "--grid", help="Price grid folder (default reference_prices/)."),
) -> None:
    """The reviewers' web app (users: `quote-review user add NAME --role R`); the API is documented at /docs."""
    import uvicorn

    from web.app import create_app

    try:
        application = create_app(db, grid, home())
    except QuoteReviewError as error:
        fail(error)
    out.print(f"quote-review web on http://{host}:{port}/ (database {application.state.context.store.url})")
    uvicorn.run(application, host=host, port=port, log_level="warning", proxy_headers=False)
