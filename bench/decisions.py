"""Measure the review decisions on a corpus whose truth files carry market prices.

    python bench/decisions.py /work/shared/corpus-dev --from-truth
    python bench/decisions.py /work/shared/corpus-dev --simulate 20

Prints, over the in-scope quotes (650 <= TTC <= 6500): recall of over-priced quotes
(true excess > 200 EUR TTC ending ren_proposed or to_review), the share of fair quotes
wrongly sent to REN, the share closed by the robot (any status but to_review), the
median |revised TTC - market TTC|, and dossiers per second (decision only, and the
whole extraction + pricing + decision).

``--simulate K`` measures on a larger population than the corpus: each quote is re-priced K
times, every line's market price drawn around its grid reference with the grid's measured
scatter (``market_spread`` per line, ``quote_spread`` shared by the quote's lines, log-normal) and the whole quote at one price factor, 60 % of quotes
fair (0.85-1.05 x market) and 40 % inflated (1.05-1.6 x market), as in corpus-dev. It shows how
the confidence settings trade recall against the robot's share; it cannot show grid bias.

``--matcher-figures TOP1,MATCHED`` (with ``--simulate``) shows what a matcher's accuracy does to
the decisions: the lines are priced as by a matcher that gives the right item to a share TOP1 of
them, another item of the same unit to MATCHED - TOP1, and leaves the rest unmatched (e.g. the
figures ``bench/matching.py`` measures on the independent set).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import random
import statistics
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.enums import Status  # noqa: E402
from core.models import GUARANTEES, Dossier, Extraction, cents  # noqa: E402
from core.settings import Settings  # noqa: E402
from decisions import decide  # noqa: E402
from pricing.grid import load_grid  # noqa: E402
from pricing.matching import Match, Matcher  # noqa: E402
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
    parser.add_argument("--simulate", type=int, default=0, metavar="K",
                        help="re-price each quote K times with market prices drawn around the grid (see above)")
    parser.add_argument("--seed", type=int, default=2025, help="random seed of --simulate")
    parser.add_argument("--matcher-figures", metavar="TOP1,MATCHED",
                        help="with --simulate: price the lines as a matcher with these figures would (share of lines "
                             "given their right item, share given any item; the rest unmatched), e.g. 0.73,0.82")
    args = parser.parse_args(argv)

    settings = Settings.load()
    grid = load_grid()
    matcher = Matcher(grid)
    pricing_matcher = matcher
    if args.matcher_figures:
        top1, matched = (float(x) for x in args.matcher_figures.split(","))
        pricing_matcher = ErringMatcher(matcher, top1, matched, random.Random(args.seed + 1))
    truths = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(args.corpus.glob("*.truth.json"))]
    rng = random.Random(args.seed)
    rows = []
    decide_seconds = total_seconds = 0.0
    for truth in truths:
        if args.simulate and truth["is_quote"]:
            # The lines' grid references do not change with their prices: price the truth once.
            references = price_lines(Extraction.from_contract(truth), grid, matcher, truth.get("site_postcode"))
            variants = [repriced(truth, references, settings, rng) for _ in range(args.simulate)]
        else:
            variants = [] if args.simulate else [truth]
        for variant in variants:
            started = time.perf_counter()
            if args.from_truth or args.simulate:
                extraction = Extraction.from_contract(variant)
            else:
                from extractors import extract_document
                extraction = extract_document(args.corpus / variant["file"], doc_id=variant["doc_id"])
            dossier = Dossier(variant["doc_id"], dt.date(2025, 1, 15), Decimal("150"),
                              guarantee_of(variant.get("claim")), postcode=variant.get("site_postcode"))
            priced = price_lines(extraction, grid, pricing_matcher if args.simulate else matcher, dossier.postcode)
            before_decide = time.perf_counter()
            review = decide(extraction, priced, dossier, grid.version, settings, grid=grid)
            finished = time.perf_counter()
            decide_seconds += finished - before_decide
            total_seconds += finished - started
            quoted = Decimal(str(variant["totals"]["ttc"]))
            market = market_ttc(variant) if variant["is_quote"] else None
            rows.append((variant, review, quoted, market))

    in_scope = [r for r in rows if r[0]["is_quote"] and settings.scope_min_ttc <= r[2] <= settings.scope_max_ttc]
    over = [r for r in in_scope if r[2] - r[3] > EXCESS_THRESHOLD]
    fair = [r for r in in_scope if r[2] - r[3] <= EXCESS_THRESHOLD]
    caught = [r for r in over if r[1].status in (Status.REN_PROPOSED, Status.TO_REVIEW)]
    wrong_ren = [r for r in fair if r[1].status == Status.REN_PROPOSED]
    robot = [r for r in in_scope if r[1].status != Status.TO_REVIEW]
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
    robot_all = [r for r in rows if r[1].status != Status.TO_REVIEW]
    print(f"closed by the robot, no human:                    {len(robot)}/{len(in_scope)} = {_share(robot, in_scope)}  (target >= 0.60)"
          f"; all documents {len(robot_all)}/{len(rows)} = {_share(robot_all, rows)}")
    print(f"median |revised TTC - market TTC|:                {statistics.median(gaps) if gaps else '-'} EUR over {len(gaps)} quotes")
    print(f"dossiers per second: decision {len(rows) / decide_seconds:.0f}/s, "
          f"{'simulated' if args.simulate else 'truth' if args.from_truth else 'extraction'} + pricing + decision {len(rows) / total_seconds:.1f}/s")
    return 0


class ErringMatcher:
    """A matcher that errs at given rates: of the lines the real matcher prices, a share ``top1``
    keeps its item, ``matched - top1`` gets another item of the same unit (wrong work, wrong
    price) and the rest is left unmatched (its trade kept), at random."""

    def __init__(self, matcher: Matcher, top1: float, matched: float, rng: random.Random) -> None:
        if not 0 <= top1 <= matched <= 1:
            raise ValueError("need 0 <= TOP1 <= MATCHED <= 1")
        self.grid = matcher.grid
        self._matcher, self._top1, self._matched, self._rng = matcher, top1, matched, rng
        self._by_unit: dict[str, list] = {}
        for item in self.grid.items.values():
            self._by_unit.setdefault(item.unit, []).append(item)

    def match_many(self, pairs):
        out = []
        for match in self._matcher.match_many(pairs):
            draw = self._rng.random()
            if match.item is None or draw < self._top1:
                out.append(match)
            elif draw < self._matched:
                others = [i for i in self._by_unit[match.item.unit] if i.id != match.item.id]
                wrong = self._rng.choice(others or [i for i in self.grid.items.values() if i.id != match.item.id])
                out.append(Match(wrong, match.score, wrong.trade, match.alternatives))
            else:
                out.append(Match(None, match.score, match.trade, match.alternatives))
        return out


def repriced(truth: dict, priced: list, settings: Settings, rng: random.Random) -> dict:
    """A copy of ``truth`` with market prices drawn around its lines' grid references (``priced``) and one price factor."""
    variant = json.loads(json.dumps(truth))
    factor = rng.uniform(0.85, 1.05) if rng.random() < 0.6 else rng.uniform(1.05, 1.6)
    shared = rng.gauss(0.0, float(settings.quote_spread))
    ht = tva = Decimal(0)
    for line, priced_line in zip(variant["lines"], priced):
        if line.get("market_unit_price_ht") is not None:
            reference = priced_line.reference_unit_price_ht if priced_line.unit_compatible else None
            centre = reference or Decimal(str(line["market_unit_price_ht"]))
            market = cents(centre * Decimal(str(math.exp(shared + rng.gauss(0.0, float(settings.market_spread))))))
            unit_price = cents(market * Decimal(str(factor)))
            line["market_unit_price_ht"] = float(market)
            if line.get("unit_price_ht") is not None:
                line["unit_price_ht"] = float(unit_price)
            quantity = Decimal(str(line["quantity"])) if line.get("quantity") is not None else Decimal(1)
            line["total_ht"] = float(cents(unit_price * quantity))
        total = Decimal(str(line["total_ht"]))
        ht += total
        tva += total * Decimal(str(line["vat_rate"] if line.get("vat_rate") is not None else "0.2"))
    variant["totals"] = {"ht": float(cents(ht)), "tva": float(cents(tva)), "ttc": float(cents(ht) + cents(tva))}
    variant["price_factor"] = round(factor, 3)
    return variant


def _share(part: list, whole: list) -> str:
    return f"{len(part) / len(whole):.2f}" if whole else "-"


if __name__ == "__main__":
    raise SystemExit(main())
