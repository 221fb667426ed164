"""Measure the review decisions on a corpus whose truth files carry market prices.

    python bench/decisions.py /work/shared/corpus-dev --from-truth

Prints, over the in-scope quotes (650 <= TTC <= 6500): recall of over-priced quotes
(true excess > 200 EUR TTC ending ren_proposed or to_review), the share of fair quotes
wrongly sent to REN, the share closed by the robot (any status but to_review), the
median |revised TTC - market TTC|, and dossiers per second (decision only, and the
whole extraction + pricing + decision).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.decide import REN_PROPOSED, TO_REVIEW, decide  # noqa: E402
from pipeline.models import GUARANTEES, Dossier, Extraction, cents  # noqa: E402
from pipeline.settings import Settings  # noqa: E402
from pricing.grid import load_grid  # noqa: E402
from pricing.matching import Matcher  # noqa: E402
from pricing.price import price_lines  # noqa: E402

CLAIM_TO_GUARANTEE = {
    "degat_eaux": "degats_des_eaux", "tempete": "tempete_grele_neige", "bris_glace": "bris_de_glace",
    "effraction": "vol_vandalisme", "incendie": "incendie",
}
EXCESS_THRESHOLD = Decimal("200")


def guarantee_of(claim: str | None) -> str:
    """corpus-dev names claims (degat_eaux...); corpusgen writes the guarantee id itself."""
    if claim in GUARANTEES:
        return claim
    return CLAIM_TO_GUARANTEE.get(claim or "", "degats_des_eaux")


def market_ttc(truth: dict) -> Decimal:
    total = Decimal(0)
    for line in truth["lines"]:
        if line.get("market_unit_price_ht") is None:
            continue
        quantity = Decimal(str(line["quantity"])) if line.get("quantity") is not None else Decimal(1)
        rate = Decimal(str(line["vat_rate"])) if line.get("vat_rate") is not None else Decimal("0.2")
        total += Decimal(str(line["market_unit_price_ht"])) * quantity * (1 + rate)
    return cents(total)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--from-truth", action="store_true", help="decide on the truth extraction, not on extract_document")
    parser.add_argument("--verbose", "-v", action="store_true", help="one line per quote")
    args = parser.parse_args(argv)

    settings = Settings.load()
    grid = load_grid()
    matcher = Matcher(grid)
    truths = sorted(args.corpus.glob("*.truth.json"))
    rows = []
    decide_seconds = total_seconds = 0.0
    for truth_path in truths:
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        started = time.perf_counter()
        if args.from_truth:
            extraction = Extraction.from_contract(truth)
        else:
            from extractors import extract_document
            extraction = extract_document(args.corpus / truth["file"], doc_id=truth["doc_id"])
        dossier = Dossier(truth["doc_id"], dt.date(2025, 1, 15), Decimal("150"),
                          guarantee_of(truth.get("claim")),
                          postcode=truth.get("site_postcode"))
        priced = price_lines(extraction, grid, matcher, dossier.postcode)
        before_decide = time.perf_counter()
        review = decide(extraction, priced, dossier, grid.version, settings, grid=grid)
        finished = time.perf_counter()
        decide_seconds += finished - before_decide
        total_seconds += finished - started
        quoted = Decimal(str(truth["totals"]["ttc"]))
        market = market_ttc(truth) if truth["is_quote"] else None
        rows.append((truth, review, quoted, market))

    in_scope = [r for r in rows if r[0]["is_quote"] and settings.scope_min_ttc <= r[2] <= settings.scope_max_ttc]
    over = [r for r in in_scope if r[2] - r[3] > EXCESS_THRESHOLD]
    fair = [r for r in in_scope if r[2] - r[3] <= EXCESS_THRESHOLD]
    caught = [r for r in over if r[1].status in (REN_PROPOSED, TO_REVIEW)]
    wrong_ren = [r for r in fair if r[1].status == REN_PROPOSED]
    robot = [r for r in in_scope if r[1].status != TO_REVIEW]
    gaps = [abs(r[1].revised_ttc - r[3]) for r in in_scope if r[1].revised_ttc is not None]

    if args.verbose:
        for truth, review, quoted, market in rows:
            codes = Counter(f.code for f in review.all_flags)
            print(f"{truth['doc_id']}  {review.status:<18} quoted {quoted:>8}  market {market or '-':>8}  "
                  f"revised {review.revised_ttc if review.revised_ttc is not None else '-':>8}  "
                  f"{' '.join(f'{c}x{n}' for c, n in sorted(codes.items()))}")
    print(f"quotes: {len(rows)}  in scope: {len(in_scope)}  statuses: "
          + ", ".join(f"{s} {n}" for s, n in sorted(Counter(r[1].status for r in rows).items())))
    print(f"over-priced (excess > 200) sent to REN or review: {len(caught)}/{len(over)} = {_share(caught, over)}  (target >= 0.95)")
    print(f"fair quotes wrongly sent to REN:                  {len(wrong_ren)}/{len(fair)} = {_share(wrong_ren, fair)}  (target <= 0.05)")
    print(f"closed by the robot, no human:                    {len(robot)}/{len(in_scope)} = {_share(robot, in_scope)}  (target >= 0.60)")
    print(f"median |revised TTC - market TTC|:                {statistics.median(gaps) if gaps else '-'} EUR over {len(gaps)} quotes")
    print(f"dossiers per second: decision {len(rows) / decide_seconds:.0f}/s, "
          f"{'truth' if args.from_truth else 'extraction'} + pricing + decision {len(rows) / total_seconds:.1f}/s")
    return 0


def _share(part: list, whole: list) -> str:
    return f"{len(part) / len(whole):.2f}" if whole else "-"


if __name__ == "__main__":
    raise SystemExit(main())
