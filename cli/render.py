"""How a verdict reads in a terminal: the lines with their grid prices, then the dossier decision."""
from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from core.enums import Status
from core.models import euros
from core.review import Review

_STATUS_STYLE = {
    Status.AUTO_VALIDATED: "green", Status.ACCEPTED_UNDER_200: "green", Status.REN_PROPOSED: "yellow",
    Status.TO_REVIEW: "yellow", Status.OUT_OF_SCOPE: "magenta", Status.NOT_REVISABLE: "magenta",
    Status.DUPLICATE: "red", Status.NOT_A_QUOTE: "red", Status.CLOSED: "blue",
}


def review_panel(review: Review, title: str) -> Panel:
    contract = review.to_contract()
    lines = Table(box=None, pad_edge=False, show_edge=False, expand=False)
    lines.add_column("#", justify="right", no_wrap=True)
    lines.add_column("désignation", ratio=1, min_width=28, overflow="fold")
    for name in ("qté", "devis HT", "barème", "score", "réf. HT", "révisé HT"):
        lines.add_column(name, justify="right" if name != "barème" else "left", no_wrap=True)
    lines.add_column("alertes", overflow="fold")
    for line in contract["lines"]:
        flags = ", ".join(flag["code"] for flag in line["flags"])
        quantity = "" if line.get("quantity") is None else f"{line['quantity']:g} {line.get('unit') or ''}".strip()
        lines.add_row(
            str(line["index"] + 1),
            line["description"],
            quantity or (line.get("unit") or ""),
            euros(line["quoted_total_ht"]),
            line["grid_item"] or "non trouvé",
            "" if line["match_score"] is None else f"{line['match_score']:.2f}",
            euros(line.get("reference_total_ht")),
            euros(line["revised_total_ht"]) if line["covered"] else "exclu",
            Text(flags, style="yellow") if flags else "",
        )
    status = contract["status"]
    summary = Text()
    summary.append(f"{status}", style=f"bold {_STATUS_STYLE.get(status, 'white')}")
    if contract.get("motive"):
        summary.append(f" — {contract['motive']}")
    excluded = contract.get("excluded_ttc")
    summary.append(
        f"\nTTC devis {euros(contract['quoted_ttc'])}   révisé {euros(contract['revised_ttc'])}   "
        f"écart {euros(contract['variance_ttc'])}"
        + (f" (dont hors garantie {euros(excluded)})" if excluded else "")
        + f"   franchise {euros(contract.get('deductible'))}   "
        f"indemnité {euros(contract['indemnity'])}   barème {contract['grid_version']}"
    )
    for flag in contract["flags"]:
        summary.append(f"\n• {flag['code']}: {flag['message']}", style="yellow")
    for event in contract.get("events", []):
        summary.append(f"\n→ événement {event['type']} ({event['id']})", style="cyan")
    body = Group(lines, Text(""), summary) if contract["lines"] else summary
    return Panel(body, title=title, title_align="left", expand=False)


def print_review(console: Console, review: Review, title: str) -> None:
    console.print(review_panel(review, title))
