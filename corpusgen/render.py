"""Lay a ``QuoteSpec`` out on A4 pages with reportlab, recording each line's page and box.

Built-in PDF fonts only (Helvetica, Times, Courier; WinAnsi covers French accents, ², ³, €),
and reportlab's invariant mode, so the same spec always gives the same bytes.
"""
from __future__ import annotations

import io
from decimal import Decimal

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from .spec import VAT_CODES, Line, QuoteSpec, fmt_date

rl_config.invariant = 1

PAGE_W, PAGE_H = A4
MARGIN = 40.0
BOTTOM = 72.0  # lowest y a table row may reach; the footer sits below
COL_WIDTH = {"ref": 44.0, "qty": 44.0, "unit": 36.0, "pu": 64.0, "total": 72.0, "vat": 40.0}
ALIGN = {"ref": "left", "desc": "left", "qty": "right", "unit": "center", "pu": "right", "total": "right",
         "vat": "center"}
ACCENTS = (colors.HexColor("#1F3A5F"), colors.HexColor("#2E5E3A"), colors.HexColor("#444444"),
           colors.HexColor("#6B1F2A"), colors.HexColor("#0B5563"))
BOLD = {"Helvetica": "Helvetica-Bold", "Times-Roman": "Times-Bold", "Courier": "Courier-Bold"}


def fmt_amount(value: Decimal, style: str) -> str:
    text = f"{abs(value):,.2f}"
    if style == "fr_space":
        text = text.replace(",", " ").replace(".", ",")
    elif style == "fr_plain":
        text = text.replace(",", "").replace(".", ",")
    elif style == "fr_dot":
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    elif style == "fr_nbsp":
        text = text.replace(",", "\u00a0").replace(".", ",")
    return ("-" if value < 0 else "") + text


def fmt_quantity(value: Decimal, style: str, two_decimals: bool) -> str:
    text = f"{value:.2f}" if two_decimals else f"{value.normalize():f}"
    return text if style == "en" else text.replace(".", ",")


def fmt_rate(rate: Decimal, vat_style: str, number_style: str) -> str:
    pct = rate * 100
    comma = "." if number_style == "en" else ","
    if vat_style == "code":
        return str(VAT_CODES[rate])
    if vat_style == "dec":
        return f"{pct:.2f}".replace(".", comma)
    short = f"{pct.normalize():f}".replace(".", comma)
    return f"{short} %" if vat_style == "pct" else short


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy word wrap; joining the pieces with single spaces gives the text back."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if current and stringWidth(candidate, font, size) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    lines.append(current)
    return lines


class QuoteRenderer:
    def __init__(self, spec: QuoteSpec, total_pages: int | None):
        self.spec = spec
        self.st = spec.style
        self.font = self.st.font
        self.bold = BOLD[self.font]
        self.size = 8.2 if self.font == "Courier" else 8.8
        self.leading = self.size + 2.4
        self.row_pad = 5.0
        self.carry_out_label, self.carry_in_label = "A reporter", "Report"
        self.accent = ACCENTS[(len(spec.supplier.name) + spec.style.vocabulary) % len(ACCENTS)]
        self.total_pages = total_pages
        self.buffer = io.BytesIO()
        self.c = Canvas(self.buffer, pagesize=A4, invariant=1, pageCompression=1)
        self.c.setTitle(f"{spec.doc_type.capitalize()} {spec.number}")
        self.c.setAuthor(spec.supplier.name)
        self.c.setCreator("corpusgen")
        self.page = 1
        self.y = PAGE_H - MARGIN
        self.table_x0 = MARGIN
        self.table_x1 = PAGE_W - MARGIN
        fixed = sum(COL_WIDTH[k] for k in self.st.columns if k != "desc")
        self.widths = {k: COL_WIDTH.get(k, self.table_x1 - self.table_x0 - fixed) for k in self.st.columns}
        self.zebra_index = 0

    # --- text helpers -------------------------------------------------------------------
    def text(self, x: float, y: float, s: str, bold: bool = False, size: float | None = None,
             align: str = "left", color=colors.black) -> None:
        self.c.setFillColor(color)
        self.c.setFont(self.bold if bold else self.font, size or self.size)
        if align == "right":
            self.c.drawRightString(x, y, s)
        elif align == "center":
            self.c.drawCentredString(x, y, s)
        else:
            self.c.drawString(x, y, s)
        self.c.setFillColor(colors.black)

    def money(self, value: Decimal, currency: bool = True) -> str:
        return fmt_amount(value, self.st.number) + (self.st.currency if currency else "")

    # --- page furniture -------------------------------------------------------------------
    def siret_text(self) -> str:
        s, t = self.spec.siren, self.spec.siret
        return {
            "spaced": f"SIRET : {s[:3]} {s[3:6]} {s[6:]} {t[9:]}",
            "plain": f"SIRET {t}",
            "split": f"Siret : {s} {t[9:]}",
            "siren_rcs": f"SIREN {s[:3]} {s[3:6]} {s[6:]} - RCS {self.spec.supplier.rcs_city}",
        }[self.st.siret]

    def footer(self) -> None:
        sp = self.spec
        legal = (f"{sp.supplier.name} - capital {fmt_amount(Decimal(8000), 'fr_space')} € - RCS "
                 f"{sp.supplier.rcs_city} {sp.siren} - APE 4332A - N° TVA intracom. FR{int(sp.siren) % 97:02d}{sp.siren}")
        self.text(PAGE_W / 2, 34, legal, size=6.5, align="center")
        if self.total_pages:
            self.text(PAGE_W - MARGIN, 22, f"Page {self.page}/{self.total_pages}", size=6.5, align="right")

    def new_page(self) -> None:
        self.footer()
        self.c.showPage()
        self.page += 1
        sp = self.spec
        self.text(MARGIN, PAGE_H - MARGIN, sp.supplier.name, bold=True, size=9)
        self.text(PAGE_W - MARGIN, PAGE_H - MARGIN, f"{sp.title} (suite)", size=9, align="right")
        self.y = PAGE_H - MARGIN - 28

    def supplier_block(self) -> float:
        sp, st = self.spec, self.st
        top = PAGE_H - MARGIN
        if st.supplier_pos == "center":
            self.text(PAGE_W / 2, top - 12, sp.supplier.name.upper(), bold=True, size=15, align="center")
            self.text(PAGE_W / 2, top - 28, f"{sp.trades_line}  |  {sp.supplier.street}  |  "
                      f"{sp.supplier.postcode} {sp.supplier.city}", size=7.5, align="center")
            self.text(PAGE_W / 2, top - 39, f"Tél. {sp.phone}  |  {sp.email}  |  {self.siret_text()}",
                      size=7.5, align="center")
            return top - 56
        x = MARGIN if st.supplier_pos == "left" else PAGE_W / 2 + 40
        rows = [sp.trades_line, sp.supplier.street, f"{sp.supplier.postcode} {sp.supplier.city}",
                f"Tél. {sp.phone}", sp.email, self.siret_text()]
        self.text(x, top - 12, sp.supplier.name, bold=True, size=13)
        y = top - 28
        for row in rows:
            self.text(x, y, row, size=7.8)
            y -= 10
        return y

    def client_block(self, y_top: float) -> float:
        sp, st = self.spec, self.st
        x = PAGE_W / 2 + 40 if st.supplier_pos in ("left", "center") else MARGIN
        if st.supplier_pos == "center":
            y = y_top - 4
        else:
            y = PAGE_H - MARGIN - 12
        self.text(x, y, "Client :", bold=True)
        for row in (sp.client.name, sp.client.street, f"{sp.client.postcode} {sp.client.city}"):
            y -= 11
            self.text(x, y, row)
        return y

    def title_block(self, y: float) -> None:
        sp, st = self.spec, self.st
        y -= 22
        word = "FACTURE" if sp.doc_type == "facture" else "DEVIS"
        date_text = fmt_date(sp.date, st.date)
        label = ("Date : {}", "Le {}", f"Fait à {sp.supplier.city}, le " + "{}", "Émis le {}")[st.vocabulary % 4]
        if st.vocabulary % 2:
            self.text(MARGIN, y, sp.title, bold=True, size=13, color=self.accent)
            self.text(PAGE_W - MARGIN, y, label.format(date_text), align="right")
        else:
            self.text(MARGIN, y, word, bold=True, size=15)
            self.text(PAGE_W - MARGIN, y, f"{sp.title.replace(word + ' ', word.capitalize() + ' ', 1)}  -  "
                      f"{label.format(date_text)}", bold=True, align="right")
        y -= 18
        if sp.site:
            site = f"{sp.site.street}, {sp.site.postcode} {sp.site.city}"
            if st.vocabulary % 3 == 0:
                self.c.setStrokeColor(colors.grey)
                self.c.rect(MARGIN, y - 27, 250, 36, stroke=1, fill=0)
                self.text(MARGIN + 6, y - 2, "Lieu des travaux :", bold=True)
                self.text(MARGIN + 6, y - 14, sp.site.street)
                self.text(MARGIN + 6, y - 24, f"{sp.site.postcode} {sp.site.city}")
                y -= 44
            else:
                self.text(MARGIN, y, f"Lieu des travaux : {site}")
                y -= 12
        self.text(MARGIN, y, f"Objet : Remise en état suite {sp.peril} - Réf. sinistre {sp.claim_ref}")
        self.y = y - 20

    # --- table ------------------------------------------------------------------------------
    def col_x(self) -> dict[str, tuple[float, float]]:
        xs, x = {}, self.table_x0
        for k in self.st.columns:
            xs[k] = (x, x + self.widths[k])
            x += self.widths[k]
        return xs

    def header_row(self) -> None:
        st = self.st
        words = dict(st.words)
        labels = {k: words[k] for k in st.columns}
        cells = {k: wrap(v, self.bold, self.size, self.widths[k] - 6) for k, v in labels.items()}
        height = max(len(v) for v in cells.values()) * self.leading + 6
        top, bottom = self.y, self.y - height
        xs = self.col_x()
        label_colour = self.paint_header(xs, top, bottom)
        for k, pieces in cells.items():
            x0, x1 = xs[k]
            for i, piece in enumerate(pieces):
                yy = top - 3 - self.size - i * self.leading
                align = "left" if k in ("desc", "ref") else "center"
                x = x0 + 3 if align == "left" else (x0 + x1) / 2
                self.text(x, yy, piece, bold=True, align=align, color=label_colour)
        self.y = bottom
        self.zebra_index = 0

    def paint_header(self, xs: dict[str, tuple[float, float]], top: float, bottom: float) -> colors.Color:
        """Background and rules of the header row; returns the colour of its labels."""
        st = self.st
        light = st.table in ("band", "zebra")
        if st.table in ("grid", "open", "rules"):
            self.c.setFillColor(colors.HexColor("#E6E6E6") if st.table != "open" else colors.white)
            self.c.rect(self.table_x0, bottom, self.table_x1 - self.table_x0, top - bottom, stroke=0, fill=1)
        elif light:
            self.c.setFillColor(self.accent)
            self.c.rect(self.table_x0, bottom, self.table_x1 - self.table_x0, top - bottom, stroke=0, fill=1)
        self.c.setStrokeColor(colors.black)
        self.c.setLineWidth(0.8)
        if st.table == "dashed":
            self.c.setDash(3, 2)
        self.c.line(self.table_x0, top, self.table_x1, top)
        self.c.line(self.table_x0, bottom, self.table_x1, bottom)
        self.c.setDash()
        if st.table == "grid":
            for x0, x1 in xs.values():
                self.c.line(x0, top, x0, bottom)
            self.c.line(self.table_x1, top, self.table_x1, bottom)
        return colors.white if light else colors.black

    def cell_values(self, line: Line) -> dict[str, str]:
        st = self.st
        qty = fmt_quantity(line.quantity, st.number, st.qty_decimals) if line.quantity is not None else ""
        return {
            "ref": line.ref,
            "desc": line.description,
            "qty": qty,
            "unit": line.unit_label,
            "pu": self.money(line.unit_price_ht) if line.unit_price_ht is not None else "",
            "total": self.money(line.total_ht),
            "vat": fmt_rate(line.vat_rate, st.vat, st.number) if line.vat_rate is not None else "",
        }

    def row_height(self, desc_lines: int) -> float:
        return desc_lines * self.leading + self.row_pad

    def fits(self, height: float) -> bool:
        return self.y - height >= BOTTOM + (self.leading + 6 if self.st.reporter else 0)

    def band_row(self, label: str, amount: Decimal | None, shaded: bool) -> None:
        """A full-width row: lot title, sub-total, "A reporter" / "Report"."""
        height = self.leading + 5
        top, bottom = self.y, self.y - height
        if shaded:
            self.c.setFillColor(colors.HexColor("#EDEDED"))
            self.c.rect(self.table_x0, bottom, self.table_x1 - self.table_x0, height, stroke=0, fill=1)
        self.text(self.table_x0 + 3, top - 2.5 - self.size, label, bold=True)
        if amount is not None:
            x0, x1 = self.col_x()["total"]
            self.text(x1 - 3, top - 2.5 - self.size, self.money(amount), bold=True, align="right")
        self.c.setLineWidth(0.6)
        self.c.line(self.table_x0, bottom, self.table_x1, bottom)
        self.y = bottom

    def item_row(self, line: Line) -> None:
        xs = self.col_x()
        values = self.cell_values(line)
        desc_lines = wrap(values["desc"], self.font, self.size, self.widths["desc"] - 6)
        height = self.row_height(len(desc_lines))
        top, bottom = self.y, self.y - height
        self.paint_row(top, bottom)
        self.zebra_index += 1
        base = top - self.row_pad / 2 - self.size
        for k, (x0, x1) in xs.items():
            if k == "desc":
                for i, piece in enumerate(desc_lines):
                    self.text(x0 + 3, base - i * self.leading, piece)
                continue
            align = ALIGN[k]
            x = x0 + 3 if align == "left" else (x1 - 3 if align == "right" else (x0 + x1) / 2)
            self.text(x, base, values[k], align=align)
        self.rule_row(xs, top, bottom)
        line.page = self.page
        line.bbox = (self.table_x0 / PAGE_W, (PAGE_H - top) / PAGE_H, self.table_x1 / PAGE_W,
                     (PAGE_H - bottom) / PAGE_H)
        self.y = bottom

    def paint_row(self, top: float, bottom: float) -> None:
        """Background of an item row."""
        if self.st.table == "zebra" and self.zebra_index % 2:
            self.c.setFillColor(colors.HexColor("#F0F0F0"))
            self.c.rect(self.table_x0, bottom, self.table_x1 - self.table_x0, top - bottom, stroke=0, fill=1)

    def rule_row(self, xs: dict[str, tuple[float, float]], top: float, bottom: float) -> None:
        """Rules drawn over an item row."""
        st = self.st
        self.c.setStrokeColor(colors.black)
        self.c.setLineWidth(0.4)
        if st.table == "grid":
            self.c.line(self.table_x0, bottom, self.table_x1, bottom)
            for x0, _ in xs.values():
                self.c.line(x0, top, x0, bottom)
            self.c.line(self.table_x1, top, self.table_x1, bottom)
        elif st.table in ("band", "rules"):
            self.c.setStrokeColor(colors.HexColor("#AAAAAA"))
            self.c.line(self.table_x0, bottom, self.table_x1, bottom)
        elif st.table == "dashed":
            self.c.setDash(1, 2)
            self.c.line(self.table_x0, bottom, self.table_x1, bottom)
            self.c.setDash()

    def table(self) -> None:
        sp, st = self.spec, self.st
        self.header_row()
        carried = Decimal(0)
        lot_sum = Decimal(0)
        current_lot = None
        items = sp.items
        for i, line in enumerate(items):
            if st.lots and line.lot != current_lot:
                current_lot = line.lot
                lot_sum = Decimal(0)
                self.ensure_space(self.leading * 3 + 15, carried)
                self.band_row(self.lot_heading(line.lot), None, shaded=True)
            desc_lines = wrap(line.description, self.font, self.size, self.widths["desc"] - 6)
            self.ensure_space(self.row_height(len(desc_lines)), carried)
            self.item_row(line)
            carried += line.total_ht
            lot_sum += line.total_ht
            last_of_lot = i + 1 == len(items) or items[i + 1].lot != line.lot
            if st.lots and last_of_lot:
                self.ensure_space(self.leading + 5, carried)
                self.band_row(self.lot_subtotal_label(line.lot), lot_sum, shaded=False)
        for line in sp.lines:
            if line.is_discount:
                self.ensure_space(self.leading + 5, carried)
                self.item_row(line)
        self.close_table()

    def close_table(self) -> None:
        self.c.setLineWidth(0.8)
        self.c.setStrokeColor(colors.black)
        self.c.line(self.table_x0, self.y, self.table_x1, self.y)

    def lot_heading(self, lot: int) -> str:
        return f"Lot {lot} - {self.spec.lot_titles[lot]}"

    def lot_subtotal_label(self, lot: int) -> str:
        return f"Sous-total lot {lot} - {self.spec.lot_titles[lot]}"

    def ensure_space(self, height: float, carried: Decimal) -> None:
        if self.fits(height):
            return
        if self.st.reporter:
            self.band_row(self.carry_out_label, carried, shaded=True)
        self.new_page()
        self.header_row()
        if self.st.reporter:
            self.band_row(self.carry_in_label, carried, shaded=True)

    # --- totals and notes ---------------------------------------------------------------
    def totals(self) -> None:
        self.place_totals(self.totals_rows(), self.totals_notes())

    def totals_rows(self) -> list[tuple[str, str, bool]]:
        """(label, amount, bold) from total HT down to TTC."""
        sp, st = self.spec, self.st
        words = st.words
        rows: list[tuple[str, str, bool]] = [(words["ht"], self.money(sp.total_ht), True)]
        by_rate = sp.vat_by_rate()
        for rate, base, tva in by_rate:
            shown = (f"code {VAT_CODES[rate]}" if st.vat == "code" else fmt_rate(rate, "pct", st.number))
            label = words["tva"].format(rate=shown)
            if st.rate_bases:
                label += f" (base {self.money(base, currency=False)})"
            rows.append((label, self.money(tva), False))
        if len(by_rate) > 1:
            rows.append((words["tva_sum"], self.money(sp.total_tva), True))
        rows.append((words["ttc"], self.money(sp.total_ttc), True))
        return rows

    def totals_notes(self) -> list[str]:
        sp, st = self.spec, self.st
        notes = []
        if st.vat == "code" and "vat" in st.columns:
            notes.append("Codes TVA : 1 = 20 % ; 2 = 10 % ; 3 = 5,5 %")
        if st.acompte:
            deposit = sp.total_ttc * st.acompte / 100
            notes.append(f"Acompte de {st.acompte} % à la commande : {fmt_amount(deposit.quantize(Decimal('0.01')), st.number)} €")
        if sp.doc_type == "facture":
            notes.append("Conditions de paiement : à réception de facture.")
        else:
            notes.append("Devis valable 3 mois à compter de sa date d'émission.")
        notes.append(f"IBAN : FR76 3000 {sp.siren[:4]} {sp.siren[4:8]} {sp.siret[-4:]} 0000 {sp.siren[-3:]}")
        return notes

    def place_totals(self, rows: list[tuple[str, str, bool]], notes: list[str]) -> None:
        st = self.st
        need = max(len(rows) * 14, len(notes) * 11) + 20 + (80 if st.signature else 0)
        if self.y - need < BOTTOM - 20:
            self.new_page()
        top = self.y - 16
        x_label, x_value = PAGE_W / 2 + 30, PAGE_W - MARGIN - 3
        y = top
        for label, value, bold in rows:
            self.text(x_label, y, label, bold=bold)
            self.text(x_value, y, value, bold=bold, align="right")
            self.c.setStrokeColor(colors.HexColor("#BBBBBB"))
            self.c.setLineWidth(0.4)
            if st.table in ("grid", "band"):
                self.c.line(x_label - 4, y - 4, PAGE_W - MARGIN, y - 4)
            y -= 14
        ny = top
        for note in notes:
            self.text(MARGIN, ny, note, size=7.8)
            ny -= 11
        y = min(y, ny) - 14
        if st.signature:
            self.text(MARGIN, y, "Bon pour accord", bold=True)
            self.text(MARGIN, y - 11, "Date et signature du client", size=7.5)
            self.c.setStrokeColor(colors.black)
            self.c.rect(MARGIN, y - 62, 180, 42, stroke=1, fill=0)

    def render(self) -> bytes:
        top = self.supplier_block()
        bottom = min(top, self.client_block(top))
        self.title_block(bottom)
        self.table()
        self.totals()
        self.footer()
        self.c.showPage()
        self.c.save()
        return self.buffer.getvalue()


def render_quote_pdf(spec: QuoteSpec, renderer: type[QuoteRenderer] = QuoteRenderer) -> tuple[bytes, int]:
    """The PDF bytes and page count; fills each line's ``page`` and ``bbox``."""
    probe = renderer(spec, None)
    probe.render()
    pages = probe.page
    final = renderer(spec, pages)
    return final.render(), pages
