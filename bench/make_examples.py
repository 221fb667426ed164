"""Regenerate examples/ (the README demo documents) deterministically with corpusgen.

    python bench/make_examples.py [--out examples]

Each example is the first seed whose truth fits its role (fair quote, overpriced scan,
out-of-scope photo, PNG scan, damage photo), so the demo shows every decision path.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import shutil
import sys
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from corpusgen import Generated, make_document  # noqa: E402

MAX_TRIES = 300


def market_ttc(truth: dict) -> Decimal:
    """What the quote would cost at market prices, VAT included (rates as quoted)."""
    total = Decimal(0)
    for line in truth["lines"]:
        if line["market_unit_price_ht"] is None:
            continue
        qty = Decimal(str(line["quantity"] if line["quantity"] is not None else 1))
        total += qty * Decimal(str(line["market_unit_price_ht"])) * (1 + Decimal(str(line["vat_rate"])))
    return total


def ttc(truth: dict) -> Decimal:
    return Decimal(str(truth["totals"]["ttc"]))


@dataclass(frozen=True)
class Role:
    name: str  # file stem in examples/
    kind: str
    template: str | None
    accept: Callable[[Generated], bool]
    guarantee: str | None = None  # for non-quotes, the dossier's guarantee


ROLES = (
    Role("devis-plombier-juste", "pdf-digital", "grid",
         lambda g: Decimal(1350) <= ttc(g.truth) <= Decimal(1650) and abs(g.truth["price_factor"] - 1) <= 0.05
         and g.truth["claim"] == "degats_des_eaux"),
    Role("devis-scanne-cher", "pdf-scan", "zebra",
         lambda g: g.truth["price_factor"] >= 1.4 and Decimal(1800) <= ttc(g.truth) <= Decimal(4500)
         and ttc(g.truth) - market_ttc(g.truth) > 400 and g.truth["pages"] == 1
         and g.path.stat().st_size < 700_000),
    Role("devis-photo-petit", "jpg-photo", "band",
         lambda g: ttc(g.truth) < Decimal(600) and g.path.stat().st_size < 450_000),
    Role("devis-scan", "png-scan", "open",
         lambda g: Decimal(900) <= ttc(g.truth) <= Decimal(3000) and g.path.stat().st_size < 2_100_000),
    Role("photo-degats", "not-quote", "not-quote-photo", lambda g: True, guarantee="degats_des_eaux"),
)


def pick(role: Role, workdir: Path) -> Generated:
    for seed in range(MAX_TRIES):
        doc = make_document(workdir / f"{role.name}-{seed}", role.name, role.kind, seed=seed, template=role.template)
        if role.accept(doc):
            return doc
    raise SystemExit(f"no seed below {MAX_TRIES} fits the role {role.name}")


def dossier_row(index: int, role: Role, doc: Generated) -> dict:
    truth = doc.truth
    quote_date = dt.date.fromisoformat(truth["date"]) if truth["date"] else dt.date(2025, 3, 3)
    return {
        "file": doc.path.name,
        "dossier_ref": f"SIN-2025-{1041 + index * 37:06d}",
        "claim_date": (quote_date - dt.timedelta(days=6 + index)).isoformat(),
        "postcode": truth["site_postcode"] or "69003",
        "guarantee": truth.get("claim") or role.guarantee,
        "deductible": ("150.00", "380.00", "0.00", "230.00", "150.00")[index % 5],
        "phone": f"06{12345670 + index * 1111:08d}",
        "email": f"assure{index + 1}@example.org",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "examples")
    args = parser.parse_args(argv)
    out: Path = args.out
    (out / "truth").mkdir(parents=True, exist_ok=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for index, role in enumerate(ROLES):
            doc = pick(role, Path(tmp))
            shutil.copyfile(doc.path, out / doc.path.name)
            shutil.copyfile(doc.truth_path, out / "truth" / doc.truth_path.name)
            rows.append(dossier_row(index, role, doc))
            print(f"{doc.path.name:<28} {doc.truth['kind']:<12} TTC {doc.truth['totals']['ttc']:>9.2f}  "
                  f"price factor {doc.truth['price_factor'] or '-'}  {doc.path.stat().st_size // 1024} KiB")
    with (out / "dossiers.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
