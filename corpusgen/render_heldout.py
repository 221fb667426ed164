"""The page layouts of the held-out families (``spec.HELD_OUT_FAMILIES``), which the default renderer never draws.

They vary what quoting software varies: table rules (thin verticals only; none at all with wide
rows; a coloured header band over tinted alternate rows; a double rule under the header), font
size, the unit glued to the quantity when there is no unit column, the supplier only in a footer
band, the client in a framed box, totals framed on the left, "Page n/N" at the top of every page,
and the wordings of ``spec.HELD_OUT_VOCABULARIES`` for client, site, date, sections and carried totals.
Lines keep the same truth: page and bbox are recorded by the shared ``item_row``.
"""
from __future__ import annotations

from decimal import Decimal

from reportlab.lib import colors

from .render import BOTTOM, MARGIN, PAGE_H, PAGE_W, QuoteRenderer, fmt_amount
from .spec import Line, QuoteSpec, fmt_date

# Wider than the default columns: the held-out labels are longer ("Unité de mesure", "Réf. article").
COL_WIDTH = {"ref": 48.0, "qty": 46.0, "unit": 48.0, "pu": 66.0, "total": 74.0, "vat": 44.0}
GLUED_QTY_WIDTH = 62.0  # "12,50 m²" in one cell
RULE_GREY = colors.HexColor("#8A8A8A")
CLIENT_BOX_WIDTH = 205.0


def _tint(colour: colors.Color, strength: float) -> colors.Color:
    """``colour`` mixed into white; strength 0 is white."""
    return colors.Color(*(1 - (1 - c) * strength for c in (colour.red, colour.green, colour.blue)))


class HeldOutRenderer(QuoteRenderer):
    def __init__(self, spec: QuoteSpec, total_pages: int | None):
        super().__init__(spec, total_pages)
        look = self.st.look
        self.size = look.size
        self.leading = look.size + 2.6
        self.row_pad = look.row_pad
        words = self.st.words
        self.carry_out_label, self.carry_in_label = words["carry_out"], words["carry_in"]
        scale = max(1.0, look.size / 8.8)
        fixed = {k: COL_WIDTH[k] * scale for k in self.st.columns if k != "desc"}
        if self.unit_glued:
            fixed["qty"] = GLUED_QTY_WIDTH * scale
        desc = self.table_x1 - self.table_x0 - sum(fixed.values())
        self.widths = {k: fixed.get(k, desc) for k in self.st.columns}
        self.tint = _tint(self.accent, 0.14)

    @property
    def unit_glued(self) -> bool:
        return "unit" not in self.st.columns

    # --- page furniture -------------------------------------------------------------------
    def page_header(self) -> None:
        if self.st.look.page_header and self.total_pages:
            self.text(PAGE_W - MARGIN, PAGE_H - 24, f"Page {self.page}/{self.total_pages}", size=7.5, align="right")

    def footer(self) -> None:
        sp, st = self.spec, self.st
        if st.supplier_pos == "footer":
            self.c.setFillColor(_tint(self.accent, 0.1))
            self.c.rect(MARGIN, 16, PAGE_W - 2 * MARGIN, 48, stroke=0, fill=1)
            self.text(PAGE_W / 2, 52, sp.supplier.name, bold=True, size=9.5, align="center")
            self.text(PAGE_W / 2, 41, f"{sp.supplier.street} - {sp.supplier.postcode} {sp.supplier.city} - "
                      f"Tél. {sp.phone} - {sp.email}", size=7, align="center")
            self.text(PAGE_W / 2, 31, f"{self.siret_text()} - APE 4399C - TVA intracom. "
                      f"FR{int(sp.siren) % 97:02d}{sp.siren}", size=7, align="center")
            self.text(PAGE_W / 2, 21, "Assurance décennale souscrite auprès de SMABTP", size=6.5, align="center")
        else:
            self.text(PAGE_W / 2, 30, f"{sp.supplier.name} - SAS au capital de "
                      f"{fmt_amount(Decimal(10000), 'fr_space')} € - RCS {sp.supplier.rcs_city} {sp.siren} - "
                      "APE 4399C", size=6.5, align="center")
        if not st.look.page_header and self.total_pages:
            self.text(PAGE_W - MARGIN, 6, f"{self.page}/{self.total_pages}", size=6.5, align="right")

    def new_page(self) -> None:
        self.footer()
        self.c.showPage()
        self.page += 1
        self.page_header()
        self.text(MARGIN, PAGE_H - MARGIN, f"{self.spec.title} - suite", bold=True, size=9)
        self.y = PAGE_H - MARGIN - 24

    def supplier_block(self) -> float:
        sp, st = self.spec, self.st
        self.page_header()
        top = PAGE_H - MARGIN
        if st.supplier_pos == "footer":
            self.c.setFillColor(self.accent)
            self.c.rect(MARGIN, top - 4, 120, 4, stroke=0, fill=1)
            return top - 8
        x = MARGIN if st.supplier_pos == "left" else PAGE_W / 2 + 50
        self.text(x, top - 14, sp.supplier.name, bold=True, size=14, color=self.accent)
        y = top - 30
        for row in (sp.supplier.street, f"{sp.supplier.postcode} {sp.supplier.city}",
                    f"Tél : {sp.phone} - {sp.email}", self.siret_text()):
            self.text(x, y, row, size=8)
            y -= 10.5
        return y

    def client_block(self, y_top: float) -> float:
        sp, st = self.spec, self.st
        x = MARGIN if st.supplier_pos == "right" else PAGE_W / 2 + 50
        top = PAGE_H - MARGIN - 8
        rows = (sp.client.name, sp.client.street, f"{sp.client.postcode} {sp.client.city}")
        self.text(x, top - 10, st.words["client"], size=7.5, color=self.accent)
        y = top - 10
        for row in rows:
            y -= 12
            self.text(x + 6, y, row, bold=row == sp.client.name)
        self.c.setStrokeColor(RULE_GREY)
        self.c.setLineWidth(0.5)
        self.c.roundRect(x, y - 6, CLIENT_BOX_WIDTH, top - 14 - (y - 6), 4, stroke=1, fill=0)
        return y - 6

    def title_block(self, y: float) -> None:
        sp, st = self.spec, self.st
        y -= 26
        self.text(MARGIN, y, sp.title, bold=True, size=14, color=self.accent)
        self.text(PAGE_W - MARGIN, y, st.words["date"].format(fmt_date(sp.date, st.date)), align="right")
        y -= 17
        if sp.site:
            self.text(MARGIN, y, st.words["site"], bold=True)
            self.text(MARGIN + 120, y, f"{sp.site.street} - {sp.site.postcode} {sp.site.city}")
            y -= 13
        self.text(MARGIN, y, f"Travaux de remise en état après {sp.peril} - sinistre n° {sp.claim_ref}")
        self.y = y - 18

    # --- table ------------------------------------------------------------------------------
    def paint_header(self, xs: dict[str, tuple[float, float]], top: float, bottom: float) -> colors.Color:
        table = self.st.table
        if table == "tint":
            self.c.setFillColor(self.accent)
            self.c.rect(self.table_x0, bottom, self.table_x1 - self.table_x0, top - bottom, stroke=0, fill=1)
            return colors.white
        if table == "vertical":
            self.vertical_rules(xs, top, bottom)
        elif table == "underline":
            self.c.setStrokeColor(colors.black)
            self.c.setLineWidth(0.5)
            self.c.line(self.table_x0, bottom, self.table_x1, bottom)
            self.c.line(self.table_x0, bottom - 1.8, self.table_x1, bottom - 1.8)
        elif table == "none":
            return self.accent
        return colors.black

    def cell_values(self, line: Line) -> dict[str, str]:
        values = super().cell_values(line)
        if self.unit_glued:
            values["qty"] = f"{values['qty']} {line.unit_label}".strip()
        return values

    def paint_row(self, top: float, bottom: float) -> None:
        if self.st.table == "tint" and self.zebra_index % 2:
            self.c.setFillColor(self.tint)
            self.c.rect(self.table_x0, bottom, self.table_x1 - self.table_x0, top - bottom, stroke=0, fill=1)

    def rule_row(self, xs: dict[str, tuple[float, float]], top: float, bottom: float) -> None:
        if self.st.table == "vertical":
            self.vertical_rules(xs, top, bottom)

    def vertical_rules(self, xs: dict[str, tuple[float, float]], top: float, bottom: float) -> None:
        self.c.setStrokeColor(RULE_GREY)
        self.c.setLineWidth(0.3)
        for x0, _ in xs.values():
            self.c.line(x0, top, x0, bottom)
        self.c.line(self.table_x1, top, self.table_x1, bottom)

    def band_row(self, label: str, amount: Decimal | None, shaded: bool) -> None:
        height = self.leading + self.row_pad
        top, bottom = self.y, self.y - height
        if shaded and self.st.table == "tint":
            self.c.setFillColor(self.tint)
            self.c.rect(self.table_x0, bottom, self.table_x1 - self.table_x0, height, stroke=0, fill=1)
        base = top - self.row_pad / 2 - self.size
        self.text(self.table_x0 + 3, base, label, bold=True, color=self.accent if amount is None else colors.black)
        if amount is not None:
            self.text(self.col_x()["total"][1] - 3, base, self.money(amount), bold=True, align="right")
        if self.st.table == "underline" and amount is not None:
            self.c.setStrokeColor(colors.black)
            self.c.setLineWidth(0.4)
            self.c.line(self.col_x()["total"][0], top, self.table_x1, top)
        self.y = bottom

    def lot_heading(self, lot: int) -> str:
        return self.st.words["lot"].format(n=lot, title=self.spec.lot_titles[lot])

    def lot_subtotal_label(self, lot: int) -> str:
        return self.st.words["lot_total"].format(n=lot, title=self.spec.lot_titles[lot])

    def close_table(self) -> None:
        if self.st.table in ("tint", "underline"):
            self.c.setStrokeColor(self.accent if self.st.table == "tint" else colors.black)
            self.c.setLineWidth(0.8)
            self.c.line(self.table_x0, self.y, self.table_x1, self.y)

    # --- totals and notes ---------------------------------------------------------------
    def totals_notes(self) -> list[str]:
        sp, st = self.spec, self.st
        notes = []
        if st.vat == "code":  # the totals name the rates by code too
            notes.append("Code TVA 1 : 20 % - 2 : 10 % - 3 : 5,5 %")
        if st.acompte:
            deposit = (sp.total_ttc * st.acompte / 100).quantize(Decimal("0.01"))
            notes.append(f"Acompte à la signature ({st.acompte} %) : {fmt_amount(deposit, st.number)} €")
        notes.append("Règlement à 30 jours date de facture." if sp.doc_type == "facture"
                     else "Validité de l'offre : 90 jours.")
        notes.append(f"RIB : FR76 3000 {sp.siren[:4]} {sp.siren[4:8]} {sp.siret[-4:]} 0000 {sp.siren[-3:]}")
        return notes

    def place_totals(self, rows: list[tuple[str, str, bool]], notes: list[str]) -> None:
        st = self.st
        step = self.size + 6
        need = max(len(rows) * step, len(notes) * 11) + 30 + (80 if st.signature else 0)
        if self.y - need < BOTTOM:
            self.new_page()
        top = self.y - 22
        if st.look.totals == "left-box":
            x0, x1, notes_x = MARGIN, MARGIN + 250, PAGE_W / 2 + 20
        else:
            x0, x1, notes_x = PAGE_W / 2 + 10, PAGE_W - MARGIN, MARGIN
        y = top
        for i, (label, value, bold) in enumerate(rows):
            if st.look.totals == "right" and i == len(rows) - 1:
                self.c.setFillColor(self.tint)
                self.c.rect(x0, y - 4, x1 - x0, step, stroke=0, fill=1)
            self.text(x0 + 8, y, label, bold=bold)
            self.text(x1 - 8, y, value, bold=bold, align="right")
            y -= step
        if st.look.totals == "left-box":
            self.c.setStrokeColor(colors.black)
            self.c.setLineWidth(0.7)
            box_top, box_bottom = top + self.size + 3, y + step - 7
            self.c.rect(x0, box_bottom, x1 - x0, box_top - box_bottom, stroke=1, fill=0)
        ny = top
        for note in notes:
            self.text(notes_x, ny, note, size=7.6)
            ny -= 11
        if st.signature:
            sy = min(y, ny) - 18
            self.text(notes_x, sy, "Lu et approuvé, bon pour accord", bold=True)
            self.text(notes_x, sy - 11, "Cachet et signature du client", size=7.5)
            self.c.setStrokeColor(RULE_GREY)
            self.c.rect(notes_x, sy - 60, 200, 40, stroke=1, fill=0)
