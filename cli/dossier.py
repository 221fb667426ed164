"""``quote-review dossier ...``: create dossiers and record reviewers' outcomes.

Every command takes ``--db`` (default ``$QUOTE_REVIEW_DB``, else ``sqlite:///var/quote-review.db``
under the current directory). Errors print their stable code and exit with the status of README's
table (3 for an invalid dossier or a change the dossier's state does not allow).
"""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from cli.exit_codes import ExitCode
from cli.inputs import dossier_from_values, parse_amount
from core.errors import InvalidDossierError, QuoteReviewError
from core.models import GUARANTEES, cents
from core.review import MOTIVES, Review
from store import Store, default_db_url, open_store
from workflow import DossierService

dossier_app = typer.Typer(help="Dossiers: create, show, override a line, close, reopen, approve, history.",
                          no_args_is_help=True)


class _LazyConsole:
    """A Console built at first use, so the terminal width is read when the command runs."""

    def print(self, *args, **kwargs) -> None:
        Console().print(*args, **kwargs)


console = _LazyConsole()
DbOption = Annotated[Optional[str], typer.Option("--db", help="Database URL (default $QUOTE_REVIEW_DB or sqlite:///var/quote-review.db)")]
ByOption = Annotated[str, typer.Option("--by", help="Who does it (recorded in the audit trail)")]


def _store(db: str | None) -> Store:
    return open_store(db or default_db_url())


def _fail(error: QuoteReviewError) -> None:
    console.print(f"[red]{error.code}[/red]: {error.message}", highlight=False)
    raise typer.Exit(int(ExitCode.for_error(error)))


def _money(text: str, what: str) -> Decimal:
    try:
        return parse_amount(text, what)
    except InvalidDossierError as error:
        _fail(error)


@dossier_app.command()
def create(
    ref: Annotated[str, typer.Argument(help="Dossier reference (unique)")],
    claim_date: Annotated[str, typer.Option(help="Claim date, YYYY-MM-DD (not in the future)")],
    deductible: Annotated[str, typer.Option(help="Deductible (franchise) in euros, >= 0")],
    guarantee: Annotated[str, typer.Option(help="One of: " + ", ".join(GUARANTEES))],
    phone: Annotated[str, typer.Option(help="Policyholder phone; 000000000 when unknown")],
    email: Annotated[str, typer.Option(help="Policyholder email; 'inconnu' when unknown")] = "inconnu",
    postcode: Annotated[Optional[str], typer.Option(help="Postcode of the work site")] = None,
    by: Annotated[str, typer.Option("--by", help="Who creates it")] = "cli",
    db: DbOption = None,
) -> None:
    """Create a dossier."""
    try:
        dossier = _store(db).create_dossier(
            dossier_from_values(ref, claim_date, postcode, guarantee, deductible, phone, email), by=by)
    except QuoteReviewError as error:
        _fail(error)
    console.print(f"dossier {dossier.ref} created ({dossier.guarantee}, deductible {dossier.deductible} €)")


@dossier_app.command()
def show(
    ref: str,
    format: Annotated[str, typer.Option("--format", help="table or json")] = "table",
    db: DbOption = None,
) -> None:
    """Show a dossier and its latest review."""
    try:
        store = _store(db)
        dossier = store.get_dossier(ref)
        stored = store.latest_review(ref)
    except QuoteReviewError as error:
        _fail(error)
    if format == "json":
        print(json.dumps({
            "dossier": {"ref": dossier.ref, "claim_date": dossier.claim_date.isoformat(),
                        "deductible": float(dossier.deductible), "guarantee": dossier.guarantee,
                        "phone": dossier.phone, "email": dossier.email, "postcode": dossier.postcode},
            "document_version": stored.document_version if stored else None,
            "review": stored.review.to_contract() if stored else None,
        }, ensure_ascii=False, indent=2))
        return
    console.print(f"[bold]{dossier.ref}[/bold]  {dossier.guarantee}  sinistre du {dossier.claim_date}  "
                  f"franchise {dossier.deductible} €  CP {dossier.postcode or '-'}", highlight=False)
    if stored is None:
        console.print("no review yet")
        return
    _print_review(stored.review, stored.document_version)


def _print_review(review: Review, version: int) -> None:
    console.print(
        f"status [bold]{review.status}[/bold]  by {review.decided_by}  motive {review.motive or '-'}  "
        f"document v{version}  grid {review.grid_version}", highlight=False)
    console.print(
        f"quoted {_fmt(review.quoted_ttc)} TTC  revised {_fmt(review.revised_ttc)}  variance {_fmt(review.variance_ttc)}  "
        f"indemnity {_fmt(review.indemnity)}", highlight=False)
    table = Table("#", "designation", "qty", "unit", "quoted HT", "grid item", "reference HT", "revised HT", "flags")
    for line in review.lines:
        table.add_row(str(line.index + 1), line.description[:48], _fmt(line.quantity, money=False), line.unit or "",
                      _fmt(line.quoted_total_ht), line.grid_item or "-", _fmt(line.reference_total_ht),
                      _fmt(line.revised_total_ht) + ("" if line.covered else " (non couvert)"),
                      " ".join(f.code for f in line.flags))
    console.print(table)
    for flag in review.flags:
        console.print(f"{flag.code}: {flag.message}", highlight=False)


def _fmt(value: Decimal | None, money: bool = True) -> str:
    if value is None:
        return "-"
    return f"{cents(value)}" if money else f"{value.normalize():f}"


@dossier_app.command("list")
def list_(
    status: Annotated[Optional[str], typer.Option(help="Only dossiers in this status, e.g. to_review")] = None,
    db: DbOption = None,
) -> None:
    """List dossiers with the status of their latest review."""
    table = Table("dossier", "guarantee", "status", "quoted TTC", "revised TTC", "indemnity", "version")
    try:
        rows = _store(db).list_dossiers(status)
    except QuoteReviewError as error:
        _fail(error)
    for row in rows:
        table.add_row(row.ref, row.guarantee, row.status or "-", _fmt(row.quoted_ttc), _fmt(row.revised_ttc),
                      _fmt(row.indemnity), str(row.document_version or "-"))
    console.print(table)


@dossier_app.command()
def override(
    ref: str,
    line: Annotated[int, typer.Option("--line", min=1, help="Line number, as 'review' and 'dossier show' print it (1 = first)")],
    by: ByOption,
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded)")],
    item: Annotated[Optional[str], typer.Option("--item", help="Grid item id to price the line with")] = None,
    amount: Annotated[Optional[str], typer.Option("--amount", help="Revised amount HT of the line")] = None,
    covered: Annotated[Optional[bool], typer.Option("--covered/--not-covered", help="Whether the guarantee covers it")] = None,
    db: DbOption = None,
) -> None:
    """Correct one line; the totals are recomputed and the dossier stays with the reviewer."""
    try:
        store = _store(db)
        index = line - 1  # printed numbers start at 1, line indexes at 0
        grid_item = _grid_item(store, ref, index, item) if item else None
        stored = DossierService(store).override(ref, index, by=by, reason=reason, covered=covered, grid_item=grid_item,
                                amount=None if amount is None else _money(amount, "--amount"))
    except QuoteReviewError as error:
        _fail(error)
    _print_review(stored.review, stored.document_version)


def _grid_item(store: Store, ref: str, index: int, item_id: str) -> tuple:
    from pricing.grid import load_grid

    grid = load_grid()
    if item_id not in grid.items:
        raise InvalidDossierError(f"unknown grid item {item_id!r} in grid {grid.version}")
    stored = store.latest_review(ref)
    lines = {line.index: line for line in stored.review.lines} if stored else {}
    if index not in lines:
        raise InvalidDossierError(f"dossier {ref} has no line {index + 1}")
    postcode = store.get_dossier(ref).postcode
    unit_price = grid.reference_unit_price(item_id, postcode)
    quantity = lines[index].quantity or Decimal(1)
    return item_id, grid.items[item_id].label, unit_price, cents(unit_price * quantity)


@dossier_app.command()
def close(
    ref: str,
    motive: Annotated[str, typer.Option("--motive", help="One of: " + " | ".join(MOTIVES))],
    by: ByOption,
    reason: Annotated[Optional[str], typer.Option("--reason")] = None,
    db: DbOption = None,
) -> None:
    """Close the dossier with a motive; the indemnity follows the motive."""
    try:
        stored = DossierService(_store(db)).close_dossier(ref, motive, by=by, reason=reason)
    except QuoteReviewError as error:
        _fail(error)
    console.print(f"dossier {ref} closed: {motive}; indemnity {_fmt(stored.review.indemnity)}", highlight=False)


@dossier_app.command("propose-ren")
def propose_ren(ref: str, by: ByOption, reason: Annotated[str, typer.Option("--reason")], db: DbOption = None) -> None:
    """Offer repair in kind (REN) on a dossier under review, for its revised work."""
    try:
        stored = DossierService(_store(db)).propose_ren(ref, by=by, reason=reason)
    except QuoteReviewError as error:
        _fail(error)
    review = stored.review
    console.print(f"dossier {ref}: REN offered for {_fmt(review.revised_ttc)} TTC of work "
                  f"(quote {_fmt(review.quoted_ttc)}); event {review.events[0]['id']}", highlight=False)


@dossier_app.command()
def reopen(ref: str, by: ByOption, reason: Annotated[str, typer.Option("--reason")], db: DbOption = None) -> None:
    """Reopen a closed dossier (recorded with its reason)."""
    try:
        DossierService(_store(db)).reopen(ref, by=by, reason=reason)
    except QuoteReviewError as error:
        _fail(error)
    console.print(f"dossier {ref} reopened: to_review")


@dossier_app.command("request-quote")
def request_quote(ref: str, by: ByOption,
                  why: Annotated[str, typer.Option("--why", help="not_revisable or unreachable")],
                  reason: Annotated[Optional[str], typer.Option("--reason")] = None, db: DbOption = None) -> None:
    """Ask the policyholder for a new quote: the dossier stays open, out of the review queue, until it comes."""
    from store.workbench import Workbench

    try:
        Workbench(_store(db)).request_new_quote(ref, why, by=by, reason=reason)
    except QuoteReviewError as error:
        _fail(error)
    console.print(f"dossier {ref}: new quote asked ({why})")


@dossier_app.command()
def approve(ref: str, by: ByOption, db: DbOption = None) -> None:
    """Approve the dossier's pending payment (approver level or a current delegation needed)."""
    try:
        event = DossierService(_store(db)).approve_payment(ref, by=by)
    except QuoteReviewError as error:
        _fail(error)
    approval = event.payload["payment"]["approval"]
    behalf = f" on behalf of {approval['on_behalf_of']}" if approval["on_behalf_of"] else ""
    console.print(f"payment of {event.payload['payment']['amount']:.2f} € approved by {by}{behalf}; event {event.id}")


@dossier_app.command("set-approver")
def set_approver(user: str, level: Annotated[str, typer.Option(help="team_lead or manager")], by: ByOption,
                 db: DbOption = None) -> None:
    """Declare who may approve payments, and up to which level."""
    try:
        _store(db).set_approver(user, level, by=by)
    except QuoteReviewError as error:
        _fail(error)
    console.print(f"{user} approves as {level}")


@dossier_app.command()
def delegate(delegator: str, to: Annotated[str, typer.Option("--to")], start: Annotated[str, typer.Option("--from")],
             until: Annotated[str, typer.Option("--until")], by: ByOption, db: DbOption = None) -> None:
    """Let someone approve in the delegator's name between two dates (inclusive)."""
    try:
        _store(db).delegate(delegator, to, dt.date.fromisoformat(start), dt.date.fromisoformat(until), by=by)
    except ValueError:
        _fail(InvalidDossierError("--from and --until are dates, YYYY-MM-DD"))
    except QuoteReviewError as error:
        _fail(error)
    console.print(f"{to} approves for {delegator} from {start} to {until}")


@dossier_app.command()
def history(ref: str, db: DbOption = None) -> None:
    """The audit trail: who did what, when, before and after."""
    try:
        entries = _store(db).history(ref)
    except QuoteReviewError as error:
        _fail(error)
    table = Table("when (UTC)", "who", "action", "reason", "before", "after")
    for entry in entries:
        table.add_row(entry.at.strftime("%Y-%m-%d %H:%M:%S"), entry.actor, entry.action, entry.reason or "",
                      _brief(entry.before), _brief(entry.after))
    console.print(table)


def _brief(state: dict | None) -> str:
    if not state:
        return ""
    keys = ("status", "motive", "revised_ttc", "indemnity", "version", "level", "details")
    return ", ".join(f"{k}={state[k]}" for k in keys if state.get(k) is not None) or json.dumps(state, ensure_ascii=False)
