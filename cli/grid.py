"""`quote-review grid ...`: validate, inspect, compare, index and query the price grid."""
from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from core.errors import GridError
from core.models import money_json
from pricing.grid import departement_of, diff_grids, index_grid, load_grid

grid_app = typer.Typer(help="Market price grid (barème): check, show, diff, index prices (BT01), match designations.")
console = Console()
GridOption = typer.Option(None, "--grid", help="Grid directory (default: the repository's reference_prices/).")


def _load(path: Optional[Path]):
    try:
        return load_grid(path)
    except GridError as err:
        console.print(f"[red]{err.one_line()}[/red]")
        raise typer.Exit(1) from None


@grid_app.command()
def check(grid: Optional[Path] = GridOption) -> None:
    """Validate every grid file; print counts and version (exit 1 naming file, row, column, reason)."""
    g = _load(grid)
    trades = Counter(item.trade for item in g.items.values())
    console.print(f"grid {g.version} effective {g.effective_date} ({g.path})")
    console.print(
        f"{len(g.items)} items over {len(trades)} trades, {len(g.zones)} départements, "
        f"{len(g.labour)} labour rates, {len(g.supplies)} supplies, {len(g.cover_rules)} cover rules, "
        f"{len(g.lexicon)} lexicon terms; "
        f"index {g.manifest.index.name} {g.manifest.index.value} ({g.manifest.index.period})"
    )
    table = Table("trade", "items")
    for trade, count in sorted(trades.items()):
        table.add_row(trade, str(count))
    console.print(table)
    console.print("[green]OK[/green]")


@grid_app.command()
def show(item: str, postcode: Optional[str] = typer.Option(None, help="Site postcode for the département price."), grid: Optional[Path] = GridOption) -> None:
    """Show one item, with its price for POSTCODE's département."""
    g = _load(grid)
    if item not in g.items:
        console.print(f"[red]unknown item {item!r}[/red]")
        raise typer.Exit(1)
    it = g.items[item]
    departement = departement_of(postcode)
    low, high = g.band(item, postcode)
    table = Table(show_header=False)
    for key, value in [
        ("id", it.id), ("trade", it.trade), ("label", it.label), ("unit", it.unit), ("kind", it.kind),
        ("national price HT", f"{it.price_ht} ({it.low_ht}–{it.high_ht})"),
        ("département", f"{departement or 'national'}: labour × {g.zone_coefficient(departement)}, "
                        f"this item × {g.item_coefficient(item, postcode).normalize()}"),
        ("reference price HT", f"{g.reference_unit_price(item, postcode)} ({low}–{high})"),
        ("keywords", " | ".join(it.keywords)), ("source", it.source),
    ]:
        table.add_row(key, str(value))
    console.print(table)


@grid_app.command()
def diff(old_dir: Path, new_dir: Path) -> None:
    """Items added, removed and re-priced between two grid versions."""
    old, new = _load(old_dir), _load(new_dir)
    d = diff_grids(old, new)
    console.print(f"{old.version} → {new.version}: {len(d.added)} added, {len(d.removed)} removed, {len(d.changed)} price changes")
    for item_id in d.added:
        console.print(f"[green]+ {item_id}[/green] {new.items[item_id].price_ht}")
    for item_id in d.removed:
        console.print(f"[red]- {item_id}[/red] {old.items[item_id].price_ht}")
    if d.changed:
        table = Table("item", "old HT", "new HT", "change")
        for c in d.changed:
            table.add_row(c.item_id, str(c.old_price_ht), str(c.new_price_ht), f"{c.ratio * 100:+.2f} %")
        console.print(table)


@grid_app.command("index")
def index_cmd(
    from_dir: Path = typer.Option(..., "--from", help="Source grid directory."),
    to_dir: Path = typer.Option(..., "--to", help="Directory for the new grid version."),
    old_index: str = typer.Option(..., help="BT01 value the source prices are based on."),
    new_index: str = typer.Option(..., help="BT01 value to move prices to."),
    version: str = typer.Option(..., help="New grid version."),
    effective_date: str = typer.Option(..., help="New effective date (YYYY-MM-DD)."),
    period: Optional[str] = typer.Option(None, help="Index period of NEW_INDEX, e.g. 2025-06."),
) -> None:
    """Write a new grid version with every price × NEW_INDEX / OLD_INDEX (BT01 revision)."""
    try:
        date = dt.date.fromisoformat(effective_date)
        new = index_grid(from_dir, to_dir, old_index, new_index, version, date, period)
    except (ValueError, GridError) as err:
        console.print(f"[red]{err.one_line() if isinstance(err, GridError) else err}[/red]")
        raise typer.Exit(1) from None
    console.print(f"wrote grid {new.version} effective {new.effective_date} to {to_dir} (prices × {new_index}/{old_index})")


@grid_app.command()
def match(
    designations: Optional[list[str]] = typer.Argument(None, help="Designations to match."),
    csv_file: Optional[Path] = typer.Option(None, "--csv", help="CSV with columns description,unit."),
    unit: Optional[str] = typer.Option(None, help="Unit for designations given as arguments."),
    postcode: Optional[str] = typer.Option(None, help="Site postcode (département price)."),
    output: str = typer.Option("table", "--format", help="table or json (one object per line)."),
    grid: Optional[Path] = GridOption,
) -> None:
    """Match designations to grid items and show the reference unit price for POSTCODE."""
    from pricing.matching import Matcher

    pairs = [(d, unit) for d in designations or []]
    if csv_file:
        with csv_file.open(encoding="utf-8", newline="") as handle:
            pairs += [(row["description"], row.get("unit") or None) for row in csv.DictReader(handle)]
    if not pairs:
        console.print("[red]give designations or --csv FILE[/red]")
        raise typer.Exit(2)
    if output not in ("table", "json"):
        console.print("[red]--format must be table or json[/red]")
        raise typer.Exit(2)
    g = _load(grid)
    matches = Matcher(g).match_many(pairs)
    records = []
    for (description, line_unit), m in zip(pairs, matches):
        price = g.reference_unit_price(m.item.id, postcode) if m.item else None
        records.append({
            "description": description, "unit": line_unit, "grid_item": m.item_id,
            "grid_label": m.item.label if m.item else None, "grid_unit": m.item.unit if m.item else None,
            "match_score": m.score, "trade": m.trade, "reference_unit_price_ht": money_json(price),
        })
    if output == "json":
        for record in records:
            typer.echo(json.dumps(record, ensure_ascii=False))
        return
    table = Table("designation", "item", "label", "score", "trade", f"ref. HT ({departement_of(postcode) or 'national'})")
    for r in records:
        table.add_row(r["description"], r["grid_item"] or "—", r["grid_label"] or "", f"{r['match_score']:.2f}",
                      r["trade"] or "—", "" if r["reference_unit_price_ht"] is None else f"{r['reference_unit_price_ht']:.2f} / {r['grid_unit']}")
    console.print(table)


@grid_app.command()
def activate(
    version: str = typer.Argument(..., help="The grid version to make effective (its manifest's version)."),
    from_dir: Optional[Path] = typer.Option(None, "--from", help="Its folder (default: found under $QUOTE_REVIEW_HOME/grids/ or the repository's grid)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Report what would change; record and change nothing."),
    db: Optional[str] = typer.Option(None, "--db", envvar="QUOTE_REVIEW_DB", help="Database URL (default SQLite in var/)."),
    chunk_size: int = typer.Option(500, help="Dossiers per re-pricing task."),
) -> None:
    """Make a grid version effective and re-decide every open dossier on it (from the stored extractions, no OCR)."""
    from core.errors import QuoteReviewError
    from flows.runtime import configure_prefect, home

    state = home()
    try:
        from flows.grid_activation import find_grid, record_active_grid

        grid = find_grid(version, state, from_dir)
    except QuoteReviewError as err:
        console.print(f"[red]{err.one_line()}[/red]")
        raise typer.Exit(int(err.exit_code)) from None
    if not dry_run:
        record_active_grid(state, grid)
        console.print(f"grid {grid.version} ({grid.path}) is now the active grid of {state}")
    configure_prefect()
    from flows.grid_activation import reprice_open_dossiers

    report = reprice_open_dossiers(db, str(grid.path), str(state), dry_run, chunk_size)
    verb = "would change" if dry_run else "changed"
    console.print(f"grid {report.grid_version}: {report.examined} open dossiers re-priced, {len(report.changed)} "
                  f"decisions {verb}, {report.unchanged} unchanged, {len(report.errors)} errors", highlight=False)
    for change in report.changed:
        before, after = change.before, change.after
        console.print(f"  {change.dossier_ref}: {before['status']} → {after['status']}, revised TTC "
                      f"{before['revised_ttc']} → {after['revised_ttc']}, indemnity {before['indemnity']} → "
                      f"{after['indemnity']}; " + "; ".join(change.why), highlight=False, soft_wrap=True)
    for ref, message in report.errors:
        console.print(f"  [red]error[/red] {ref}: {message}", highlight=False)
