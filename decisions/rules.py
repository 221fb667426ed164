"""The review decision: from an extraction and its priced lines to a status, revised amounts and flags.

``decide`` is pure (no database, no clock): the same inputs give the same ``Review`` (``core.review``).
Reviewer actions (``apply_override``, ``close``, ``reopen``) are pure too; the store
records their before/after.

Flags that need a human (``NEEDS_HUMAN``) are those where the robot cannot settle the
amount on its own: the price cannot be checked (unmatched line, unreadable line), the
document contradicts itself (arithmetic, VAT), or the supplier must justify a product
price. The others are informative: the robot has already acted on them (cut to the
grid, excluded an uncovered line) and the reviewer sees why.
"""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Protocol, Sequence

from core.enums import DecidedBy, FlagCode, Status
from core.errors import StateError
from core.models import Dossier, Extraction, Flag, LineItem, cents, euros, money_json, number_json, plain_text
from core.review import (
    DEFAULT_VAT_RATE,
    MARKET_DOUBT_CODES,
    MOTIVE_DOCUMENT_ERROR,
    MOTIVE_ECO,
    MOTIVE_FALSE_ALARM,
    MOTIVE_OUT_OF_SCOPE,
    MOTIVE_REVISED,
    MOTIVES,
    NEEDS_HUMAN,
    ONE,
    ZERO,
    LineReview,
    Review,
    accepted_ttc,
    net_of_discount,
    price_variance_ttc,
)
from core.settings import Settings

MEASURED_UNITS = frozenset({"m2", "ml", "m3"})
STANDARD_VAT_RATES = (Decimal("0.20"), Decimal("0.10"), Decimal("0.055"))
# 5,5 % applies to energy-renovation work only (CGI art. 278-0 bis A).
_ENERGY_WORDS = (
    "isol", "pompe a chaleur", "chaudiere", "double vitrage", "triple vitrage", "vmc", "calorifug",
    "thermique", "solaire", "poele", "insufflation", "ouate", "laine de verre", "laine de roche",
    "regulation", "programmateur", "robinet thermostatique",
)
# 10 % needs work on a dwelling over 2 years old; supply alone or new building take 20 %.
_TWENTY_PERCENT_WORDS = ("fourniture seule", "sans pose", "construction neuve", "extension", "surelevation")


class GridItemLike(Protocol):
    id: str
    label: str
    unit: str
    trade: str
    kind: str  # supply | labour | both


class MatchLike(Protocol):
    item: GridItemLike | None
    score: float
    trade: str | None


class PricedLineLike(Protocol):
    """``pricing.price.PricedLine``; an optional ``supply_id`` names the supplies.csv entry of a supplied product."""

    index: int
    line: LineItem
    match: MatchLike
    reference_unit_price_ht: Decimal | None
    reference_total_ht: Decimal | None
    high_unit_ht: Decimal | None


class SupplyLike(Protocol):
    public_price_ht: Decimal


class GridLike(Protocol):
    version: str

    def covers(self, guarantee: str, item_id: str | None, trade: str | None) -> bool: ...

    def minimum_billing(self, trade: str, postcode: str | None) -> Decimal: ...

    def supply_price(self, supply_id: str) -> SupplyLike: ...


def decide(
    extraction: Extraction,
    priced: Sequence[PricedLineLike],
    dossier: Dossier,
    grid_version: str,
    settings: Settings,
    duplicate_of: str | None = None,
    *,
    grid: GridLike,
) -> Review:
    """Review one quote for one dossier; see docs/decisions.md for the rules and their order."""
    base = Review(
        dossier_ref=dossier.ref,
        doc_id=extraction.doc_id,
        grid_version=grid_version,
        status=Status.TO_REVIEW,
        quoted_ttc=cents(extraction.totals.ttc),
        revised_ttc=None,
        variance_ttc=None,
        deductible=cents(dossier.deductible),
        indemnity=None,
    )
    if not extraction.is_quote:
        flag = Flag(FlagCode.NOT_A_QUOTE, "Le document n'est pas un devis : demander le devis à l'assuré.", {})
        return replace(base, status=Status.NOT_A_QUOTE, motive=MOTIVE_DOCUMENT_ERROR, flags=[flag])

    postcode = dossier.postcode or extraction.site_postcode
    quote_rate = _quote_vat_rate(extraction)
    lines = [_review_line(p, dossier.guarantee, postcode, quote_rate, extraction, grid, settings) for p in priced]
    _scale_discounts(lines)
    quoted_ttc = base.quoted_ttc if extraction.totals.ttc > 0 else _ttc_of_lines(lines)
    base = replace(base, quoted_ttc=quoted_ttc, lines=lines)

    if duplicate_of is not None:
        flag = Flag(
            FlagCode.DUPLICATE,
            f"Devis déjà examiné ({duplicate_of}) : même document ou même fournisseur, numéro et montant TTC.",
            {"duplicate_of": duplicate_of, "quoted_ttc": money_json(quoted_ttc)},
        )
        return replace(base, status=Status.DUPLICATE, motive=MOTIVE_DOCUMENT_ERROR, flags=[flag], lines=_unrevised(lines))

    if FlagCode.TABLE_NOT_FOUND in extraction.flags:
        # The reader saw prices but not the lines: nothing can be priced, and nothing is closed unread.
        flag = Flag(
            FlagCode.TABLE_NOT_FOUND,
            "Montants lus, mais aucun tableau de prestations : vérifier le document et saisir les lignes.",
            {"ht": money_json(extraction.totals.ht), "ttc": money_json(extraction.totals.ttc)},
        )
        return replace(base, status=Status.TO_REVIEW, flags=[flag])

    # When the e-invoice and its printed page disagree, even the TTC that decides the scope is in doubt:
    # the dossier goes to a reviewer, with the lines priced for them.
    einvoice_flags = _einvoice_flags(extraction)
    scope_flag = None if einvoice_flags else _scope_flag(quoted_ttc, settings)
    if scope_flag is not None:
        return replace(base, status=Status.OUT_OF_SCOPE, motive=MOTIVE_OUT_OF_SCOPE, flags=[scope_flag], lines=_unrevised(lines))

    dossier_flags = einvoice_flags + _arithmetic_flags(extraction, settings)
    # Work the guarantee excludes is not paid whatever its measurements: it does not block the revision.
    unmeasured = [line.index for line in lines if line.covered and any(f.code == FlagCode.MISSING_QUANTITY for f in line.flags)]
    if unmeasured:
        dossier_flags.append(Flag(
            FlagCode.MISSING_QUANTITY,
            "Quantités ou métrés absents : demander un nouveau devis avec les métrés.",
            {"lines": unmeasured},
        ))
        if not einvoice_flags:  # a reviewer, not a new quote, settles a disputed e-invoice
            return replace(base, status=Status.NOT_REVISABLE, flags=dossier_flags, lines=_unrevised(lines, keep_flags=True))

    return settle(replace(base, flags=dossier_flags), settings)


def settle(review: Review, settings: Settings) -> Review:
    """Apply the variance rule to a review whose lines are revised: totals, status, motive, indemnity."""
    review = replace(review, flags=[f for f in review.flags if f.code not in MARKET_DOUBT_CODES])
    variance = cents(sum(
        ((line.quoted_total_ht - line.revised_total_ht) * (ONE + line.vat_rate) for line in review.lines), ZERO
    ))
    review = replace(review, variance_ttc=variance, revised_ttc=review.quoted_ttc - variance, motive=None, indemnity=None)
    doubt = _market_doubt(review, settings)
    if doubt is not None:
        review.flags.append(doubt)
    if review.needs_human:
        return replace(review, status=Status.TO_REVIEW)
    # REN answers over-pricing: work the guarantee excludes is not paid whoever repairs, so it does not count.
    if _price_variance(review) > settings.variance_threshold_ttc:
        return replace(review, status=Status.REN_PROPOSED)
    if review.revised:
        return replace(review, status=Status.ACCEPTED_UNDER_200, motive=MOTIVE_ECO, indemnity=_payable(accepted_ttc(review), review))
    return replace(review, status=Status.AUTO_VALIDATED, indemnity=_payable(review.quoted_ttc, review))


def _market_doubt(review: Review, settings: Settings) -> Flag | None:
    """Whether the grid is too imprecise for the robot's verdict on this quote as a whole.

    Line cuts decide the revised amount, but each line's market price scatters around the grid
    reference: the robot closes a quote only when the whole quote is, give or take that scatter,
    within the threshold of the reference, and offers REN only when it is clearly beyond it.
    """
    # Uncovered lines are not paid, but their prices still tell how this supplier prices its work.
    compared = [line for line in review.lines if line.reference_total_ht is not None and not _overridden(line)]
    unpriced = [
        line for line in review.lines
        if line.covered and line.reference_total_ht is None and not line.is_discount and not _overridden(line)
    ]
    net = net_of_discount(review.lines)  # a quote's discount lowers every line's price
    over_reference = cents(sum(
        ((line.quoted_total_ht * net - _reference(line)) * (ONE + line.vat_rate) for line in compared), ZERO
    ))
    scatter = market_scatter_ttc(compared, settings, unpriced)
    threshold = settings.variance_threshold_ttc
    variance = _price_variance(review)
    if variance <= threshold < over_reference + settings.close_confidence * scatter:
        code, margin = FlagCode.ABOVE_REFERENCE, cents(settings.close_confidence * scatter)
        message = (f"Le devis dépasse peut-être le marché de plus de {euros(threshold)} TTC : "
                   f"{euros(over_reference)} TTC au-dessus de la référence du barème, à ± {euros(margin)} près.")
    # With no scatter the grid is the market: the line cuts stand on their own.
    elif scatter and variance > threshold >= over_reference - settings.ren_confidence * scatter:
        code, margin = FlagCode.VARIANCE_UNCERTAIN, cents(settings.ren_confidence * scatter)
        message = (f"Lignes ramenées au barème, mais le devis entier n'est que de {euros(over_reference)} TTC "
                   f"(± {euros(margin)}) au-dessus de la référence : l'offre REN demande un avis.")
    else:
        return None
    return Flag(code, message, {"above_reference_ttc": money_json(over_reference), "uncertainty_ttc": money_json(margin),
                                "threshold_ttc": money_json(threshold)})


def market_scatter_ttc(
    lines: Sequence[LineReview], settings: Settings, unpriced: Sequence[LineReview] = ()
) -> Decimal:
    """One standard deviation of the market total of ``lines`` around their grid reference, TTC.

    Each line's market price scatters around its reference on its own (``market_spread``) and,
    all lines of a quote together, with the firm and the site (``quote_spread``). The line parts
    add up as the root of the sum of squares, so many small lines are known more precisely than
    a few big ones; the shared part grows with the whole quote. ``unpriced`` lines (no grid item,
    or units that do not compare) are taken at their quoted amount, give or take ``unpriced_spread``.
    """
    references = [_reference(line) * (ONE + line.vat_rate) for line in lines]
    own = settings.market_spread ** 2 * sum((r * r for r in references), ZERO)
    shared = (settings.quote_spread * sum(references, ZERO)) ** 2
    unknown = sum(((settings.unpriced_spread * line.quoted_total_ht * (ONE + line.vat_rate)) ** 2 for line in unpriced), ZERO)
    return (own + shared + unknown).sqrt()


def apply_override(
    review: Review,
    line_index: int,
    settings: Settings,
    *,
    by: str,
    reason: str,
    amount: Decimal | None = None,
    covered: bool | None = None,
    grid_item: tuple[str, str, Decimal | None, Decimal | None] | None = None,
) -> Review:
    """A reviewer's correction of one line; totals are recomputed, the dossier stays with the reviewer.

    ``grid_item`` is (id, label, reference unit price, reference total) of the item the reviewer chose;
    the line is then revised to that reference unless ``amount`` says otherwise.
    """
    _require_open(review, "override")
    if not reason.strip():
        raise StateError("an override needs a reason")
    lines = [replace(line, flags=list(line.flags)) for line in review.lines]
    by_index = {line.index: line for line in lines}
    if line_index not in by_index:
        raise StateError(f"dossier {review.dossier_ref} has no line {line_index + 1} (lines 1 to {len(lines)})")
    if amount is None and covered is None and grid_item is None:
        raise StateError("nothing to override: give an item, an amount or the coverage")
    line = by_index[line_index]
    before = line.to_contract()
    if grid_item is not None:
        _set_grid_item(line, grid_item)
    if covered is not None:
        _set_coverage(line, covered)
    if amount is not None:
        _set_amount(line, amount)
    # The reviewer has looked at the line: the doubts that sent it to a human are settled.
    line.flags = [f for f in line.flags if f.code not in NEEDS_HUMAN]
    after = line.to_contract()
    line.flags.append(Flag(
        FlagCode.REVIEWER_OVERRIDE,
        f"Ligne corrigée par {by} : {reason}",
        {"by": by, "reason": reason,
         "before": {k: before[k] for k in ("grid_item", "revised_total_ht", "covered")},
         "after": {k: after[k] for k in ("grid_item", "revised_total_ht", "covered")}},
    ))
    settled = settle(replace(review, lines=lines, flags=[f for f in review.flags if f.code not in NEEDS_HUMAN]), settings)
    # After a reviewer's hand the robot no longer closes: the reviewer does, with a motive.
    return replace(settled, status=Status.TO_REVIEW, motive=None, indemnity=None, decided_by=DecidedBy.REVIEWER)


def _set_grid_item(line: LineReview, grid_item: tuple[str, str, Decimal | None, Decimal | None]) -> None:
    """The reviewer's grid item: the line is revised to its reference, never above the quote."""
    item_id, label, unit_price, total = grid_item
    line.grid_item, line.grid_label, line.match_score = item_id, label, 1.0
    line.reference_unit_price_ht, line.reference_total_ht = unit_price, total
    line.flags = [f for f in line.flags if f.code != FlagCode.UNMATCHED_LINE]
    if total is not None:
        line.revised_total_ht = min(line.quoted_total_ht, cents(total))


def _set_coverage(line: LineReview, covered: bool) -> None:
    """Covered or not, by the reviewer: an uncovered line pays 0, a line covered again its quoted amount."""
    line.covered = covered
    line.flags = [f for f in line.flags if f.code != FlagCode.NOT_COVERED]
    if not covered:
        line.revised_total_ht = ZERO
    elif line.revised_total_ht == ZERO:
        line.revised_total_ht = line.quoted_total_ht


def _set_amount(line: LineReview, amount: Decimal) -> None:
    """The reviewer's revised amount, between 0 and the quoted amount."""
    if amount < 0:
        raise StateError("the revised amount of a line cannot be negative")
    if amount > line.quoted_total_ht > 0:
        raise StateError(f"the revised amount ({cents(amount)}) cannot exceed the quoted {cents(line.quoted_total_ht)} HT")
    line.revised_total_ht = cents(amount)


def close(review: Review, motive: str) -> Review:
    """A reviewer closes the dossier with one of ``MOTIVES``; the indemnity follows the motive."""
    _require_open(review, "close")
    if motive not in MOTIVES:
        raise StateError(f"unknown motive {motive!r}; allowed: " + "; ".join(MOTIVES))
    if motive == MOTIVE_REVISED and review.revised_ttc is None:
        raise StateError("'Clos - Montant indemnisation révisé' needs a revised amount; this dossier has none")
    return replace(review, status=Status.CLOSED, motive=motive, decided_by=DecidedBy.REVIEWER, indemnity=closing_indemnity(review, motive))


def propose_ren(review: Review) -> Review:
    """A reviewer who confirms the over-pricing offers repair in kind for the revised work."""
    _require_open(review, "offer REN on")
    if review.status != Status.TO_REVIEW:
        raise StateError(f"dossier {review.dossier_ref} is {review.status}: only a dossier under review gets a reviewer's REN offer")
    saving = price_variance_ttc(review)
    if review.revised_ttc is None or saving is None or saving <= 0:
        raise StateError("a REN offer needs revised lines below the quote; override the over-priced lines first")
    return replace(review, status=Status.REN_PROPOSED, motive=None, indemnity=None, decided_by=DecidedBy.REVIEWER)


def closing_indemnity(review: Review, motive: str) -> Decimal | None:
    if motive in (MOTIVE_ECO, MOTIVE_FALSE_ALARM):
        return _payable(accepted_ttc(review), review)
    if motive == MOTIVE_REVISED:
        return _payable(review.revised_ttc, review)
    if motive == MOTIVE_OUT_OF_SCOPE:
        return None  # settled outside this desk (expert appraisal)
    return ZERO  # repaired in kind, refused, unreachable, document error: nothing to pay


def reopen(review: Review) -> Review:
    if not review.is_terminal:
        raise StateError(f"dossier {review.dossier_ref} is not closed (status {review.status}); nothing to reopen")
    return replace(review, status=Status.TO_REVIEW, motive=None, indemnity=None, decided_by=DecidedBy.REVIEWER)


def _price_variance(review: Review) -> Decimal:
    """The price variance of a review whose variance is settled."""
    variance = price_variance_ttc(review)
    assert variance is not None, "the variance is computed before it is compared"
    return variance


def _reference(line: LineReview) -> Decimal:
    """The reference total of a line the grid priced."""
    assert line.reference_total_ht is not None, "only priced lines are compared to the market"
    return line.reference_total_ht


def _overridden(line: LineReview) -> bool:
    return any(flag.code == FlagCode.REVIEWER_OVERRIDE for flag in line.flags)


def _require_open(review: Review, action: str) -> None:
    if review.is_terminal:
        raise StateError(
            f"dossier {review.dossier_ref} is closed (status {review.status}); reopen it before you {action} it"
        )


def _payable(ttc: Decimal | None, review: Review) -> Decimal | None:
    if ttc is None:
        return None
    return max(ZERO, cents(ttc - (review.deductible or ZERO)))


def _review_line(
    priced: PricedLineLike,
    guarantee: str,
    postcode: str | None,
    quote_rate: Decimal,
    extraction: Extraction,
    grid: GridLike,
    settings: Settings,
) -> LineReview:
    line = priced.line
    item = priced.match.item
    trade = line.trade or (item.trade if item is not None else None) or priced.match.trade
    review = LineReview(
        index=priced.index,
        description=line.description,
        quoted_total_ht=cents(line.total_ht),
        revised_total_ht=cents(line.total_ht),
        vat_rate=line.vat_rate if line.vat_rate is not None else quote_rate,
        trade=trade,
        quantity=line.quantity,
        unit=line.unit,
        grid_item=item.id if item is not None else None,
        grid_label=item.label if item is not None else None,
        match_score=priced.match.score if item is not None else None,
        reference_unit_price_ht=_cents_or_none(priced.reference_unit_price_ht),
        reference_total_ht=_cents_or_none(priced.reference_total_ht),
    )
    flags = review.flags
    if review.is_discount:
        return review
    flags.extend(_line_checks(line, item, trade, postcode, extraction, grid, settings))
    supply_id = getattr(priced, "supply_id", None)  # set by the pricer only for a supplied product
    if supply_id and line.price_per_unit is not None:
        flags.extend(_supply_gap(line, line.price_per_unit, grid.supply_price(supply_id).public_price_ht, settings))

    # Cover is judged on the item, else the trade; a line with neither is unknown work, not uncovered work.
    if (item is not None or trade is not None) and not grid.covers(guarantee, review.grid_item, trade):
        review.covered = False
        review.revised_total_ht = ZERO
        flags.append(Flag(
            FlagCode.NOT_COVERED,
            f"Travaux non couverts par la garantie {guarantee} : ligne ramenée à 0.",
            {"guarantee": guarantee, "trade": trade, "quoted_total_ht": money_json(review.quoted_total_ht)},
        ))
        return review
    if item is None:
        flags.append(Flag(
            FlagCode.UNMATCHED_LINE,
            "Aucun article du barème ne correspond à cette ligne : prix à vérifier.",
            {"quoted_total_ht": money_json(review.quoted_total_ht), "best_score": priced.match.score},
        ))
        return review
    reference = review.reference_total_ht
    high_total = _band_high_total(priced, settings)
    if reference is not None and high_total is not None and review.quoted_total_ht > high_total:
        review.revised_total_ht = min(review.quoted_total_ht, reference)
        flags.append(Flag(
            FlagCode.PRICE_ABOVE_GRID,
            f"Prix au-dessus de la fourchette du barème ({euros(high_total)} HT max) : ramené à la référence {euros(reference)} HT.",
            {"quoted_total_ht": money_json(review.quoted_total_ht), "reference_total_ht": money_json(reference),
             "band_high_total_ht": money_json(high_total),
             "cut_ht": money_json(review.quoted_total_ht - review.revised_total_ht)},
        ))
    return review


def _line_checks(line, item, trade, postcode, extraction, grid, settings) -> list[Flag]:
    flags: list[Flag] = []
    # A line the quote itself prices as a lump sum ("forfait", "u") is not measured work, whatever item it matches.
    measured = line.unit in MEASURED_UNITS or (line.unit is None and item is not None and item.unit in MEASURED_UNITS)
    if measured and not line.quantity:
        flags.append(Flag(
            FlagCode.MISSING_QUANTITY,
            "Travaux au m², ml ou m³ sans quantité : métré à demander.",
            {"unit": line.unit or item.unit, "quantity": number_json(line.quantity)},
        ))
    if line.quantity is not None and line.price_per_unit is not None:
        computed = cents(line.quantity * line.price_per_unit)
        if abs(computed - line.total_ht) > settings.arithmetic_tolerance:
            flags.append(Flag(
                FlagCode.ARITHMETIC_MISMATCH,
                f"Quantité × prix unitaire = {euros(computed)} HT, la ligne indique {euros(line.total_ht)} HT.",
                {"quantity": number_json(line.quantity), "unit_price_ht": money_json(line.unit_price_ht),
                 "computed_ht": money_json(computed), "total_ht": money_json(line.total_ht)},
            ))
    if line.vat_rate is not None:
        reason = _vat_doubt(line, line.vat_rate, extraction)
        if reason:
            flags.append(Flag(FlagCode.VAT_RATE_SUSPECT, reason, {"vat_rate": number_json(line.vat_rate)}))
    if Decimal(str(line.confidence)) < settings.min_ocr_confidence:
        flags.append(Flag(
            FlagCode.LOW_OCR_CONFIDENCE,
            "Ligne lue avec une confiance faible : vérifier sur l'original.",
            {"confidence": round(line.confidence, 3), "threshold": number_json(settings.min_ocr_confidence)},
        ))
    lump_sum = line.unit == "forfait" or (line.unit is None and line.quantity is None)
    if item is not None and item.kind == "labour" and lump_sum and trade:
        minimum = grid.minimum_billing(trade, postcode)
        if minimum is not None and cents(line.total_ht) > minimum:
            flags.append(Flag(
                FlagCode.LABOUR_ABOVE_MINIMUM,
                f"Main d'œuvre au forfait ({euros(line.total_ht)} HT) au-dessus du minimum de facturation "
                f"de la zone ({euros(minimum)} HT) : détail des heures à demander si besoin.",
                {"quoted_total_ht": money_json(line.total_ht), "minimum_billing_ht": money_json(minimum)},
            ))
    return flags


def _supply_gap(line: LineItem, unit_price: Decimal, catalogue: Decimal, settings: Settings) -> list[Flag]:
    gap_unit = unit_price - catalogue
    gap_total = cents(gap_unit * (line.quantity if line.quantity is not None else ONE))
    ratio = gap_unit / catalogue
    if ratio > settings.supply_gap_ratio and gap_total > settings.supply_gap_amount:
        return [Flag(
            FlagCode.SUPPLY_PRICE_GAP,
            f"Fourniture à {euros(unit_price)} HT pour {euros(catalogue)} HT au catalogue "
            f"(+{(ratio * 100).quantize(Decimal('1'))} %, {euros(gap_total)} HT d'écart) : demander la facture d'achat.",
            {"unit_price_ht": money_json(unit_price), "catalogue_unit_price_ht": money_json(catalogue),
             "gap_ratio": float(round(ratio, 4)), "gap_ht": money_json(gap_total),
             "threshold_ratio": float(settings.supply_gap_ratio), "threshold_ht": money_json(settings.supply_gap_amount)},
        )]
    return []


def _vat_doubt(line: LineItem, rate: Decimal, extraction: Extraction) -> str | None:
    if rate == ZERO and extraction.totals.tva == ZERO:
        return None  # supplier under the VAT exemption scheme (art. 293 B du CGI)
    if rate not in STANDARD_VAT_RATES:
        return f"Taux de TVA de {_percent(rate)} % : seuls 20 %, 10 % et 5,5 % s'appliquent aux travaux."
    text = plain_text(line.description)
    if rate == Decimal("0.055") and not any(word in text for word in _ENERGY_WORDS):
        return "TVA à 5,5 % sur des travaux qui ne relèvent pas de la rénovation énergétique."
    if rate == Decimal("0.10") and any(word in text for word in _TWENTY_PERCENT_WORDS):
        return "TVA à 10 % sur une fourniture seule ou une construction neuve (20 % attendu)."
    return None


def _arithmetic_flags(extraction: Extraction, settings: Settings) -> list[Flag]:
    flags = []
    totals = extraction.totals
    tolerance = settings.arithmetic_tolerance
    billed = extraction.billed_lines()
    lines_ht = cents(sum((line.total_ht for line in billed), ZERO))
    if billed and abs(lines_ht - totals.ht) > tolerance:
        flags.append(Flag(
            FlagCode.ARITHMETIC_MISMATCH,
            f"La somme des lignes ({euros(lines_ht)} HT) ne fait pas le total HT du devis ({euros(totals.ht)}).",
            {"sum_lines_ht": money_json(lines_ht), "total_ht": money_json(totals.ht)},
        ))
    if abs(totals.ht + totals.tva - totals.ttc) > tolerance:
        flags.append(Flag(
            FlagCode.ARITHMETIC_MISMATCH,
            f"HT + TVA = {euros(totals.ht + totals.tva)}, le devis indique {euros(totals.ttc)} TTC.",
            {"ht": money_json(totals.ht), "tva": money_json(totals.tva), "ttc": money_json(totals.ttc)},
        ))
    return flags


_MISMATCH_FIELDS = {"ttc": "le total TTC", "ht": "le total HT"}


def _einvoice_flags(extraction: Extraction) -> list[Flag]:
    """One ``EINVOICE_MISMATCH`` per figure the e-invoice XML and the printed page disagree on."""
    flags = []
    for mismatch in extraction.einvoice_mismatches:
        what = _MISMATCH_FIELDS.get(mismatch.field) or f"la ligne {mismatch.line}"
        page = euros(mismatch.page) if mismatch.page is not None else "un montant introuvable"
        flags.append(Flag(
            FlagCode.EINVOICE_MISMATCH,
            f"Facture électronique et page imprimée en désaccord sur {what} : {euros(mismatch.einvoice)} dans "
            f"le XML, {page} sur la page. Vérifier l'original.",
            mismatch.to_contract(),
        ))
    return flags


def _scope_flag(quoted_ttc: Decimal, settings: Settings) -> Flag | None:
    figures = {"quoted_ttc": money_json(quoted_ttc), "scope_min_ttc": money_json(settings.scope_min_ttc),
               "scope_max_ttc": money_json(settings.scope_max_ttc)}
    if quoted_ttc < settings.scope_min_ttc:
        return Flag(FlagCode.OUT_OF_SCOPE_LOW,
                    f"Devis de {euros(quoted_ttc)} TTC, sous le seuil de {euros(settings.scope_min_ttc)} : hors périmètre.",
                    figures)
    if quoted_ttc > settings.scope_max_ttc:
        return Flag(FlagCode.OUT_OF_SCOPE_HIGH,
                    f"Devis de {euros(quoted_ttc)} TTC, au-dessus de {euros(settings.scope_max_ttc)} : hors périmètre "
                    "(expertise).", figures)
    return None


def _scale_discounts(lines: list[LineReview]) -> None:
    """A discount line keeps its share of the work: revised in proportion to the revised lines."""
    work = [line for line in lines if not line.is_discount]
    quoted = sum((line.quoted_total_ht for line in work), ZERO)
    revised = sum((line.revised_total_ht for line in work), ZERO)
    if quoted <= 0:
        return
    for line in lines:
        if line.is_discount:
            line.revised_total_ht = cents(line.quoted_total_ht * revised / quoted)


def _unrevised(lines: list[LineReview], keep_flags: bool = False) -> list[LineReview]:
    """Lines shown for information when no revision is made: revised = quoted."""
    return [
        replace(line, revised_total_ht=line.quoted_total_ht, covered=True, flags=line.flags if keep_flags else [])
        for line in lines
    ]


def _band_high_total(priced: PricedLineLike, settings: Settings) -> Decimal | None:
    """The highest total not cut: the reference plus the price tolerance, capped by the grid band's high end."""
    unit, total, high = priced.reference_unit_price_ht, priced.reference_total_ht, priced.high_unit_ht
    if total is None:
        return None
    tolerated = total * (ONE + settings.price_tolerance)
    if high is None or not unit:
        return cents(tolerated)
    return cents(min(tolerated, total * high / unit))


def _quote_vat_rate(extraction: Extraction) -> Decimal:
    if extraction.totals.ht > 0 and extraction.totals.tva >= 0:
        return (extraction.totals.tva / extraction.totals.ht).quantize(Decimal("0.0001"))
    return DEFAULT_VAT_RATE


def _ttc_of_lines(lines: list[LineReview]) -> Decimal:
    return cents(sum((line.quoted_total_ht * (ONE + line.vat_rate) for line in lines), ZERO))


def _cents_or_none(value: Decimal | None) -> Decimal | None:
    return None if value is None else cents(value)


def _percent(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}".replace(".", ",")
