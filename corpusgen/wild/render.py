"""Lay a ``WildDoc`` out on A4 pages with reportlab (built-in fonts, invariant mode: same doc, same bytes).

One renderer, driven by the layout's flags (``spec.LAYOUTS``): column set and order, one- or two-row
headers, table look (grid / rules / zebra / none), sub-rows, chapters with sub-totals, a carried-forward
row between pages or none, a VAT summary table, "acompte versé / reste à payer" under the TTC, the
supplier in the letterhead or only in the footer. Each line's page and row box are recorded.
"""
from __future__ import annotations

import io
from decimal import Decimal

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from .spec import Line, WildDoc, fmt_date

rl_config.invariant = 1

PAGE_W, PAGE_H = A4
MARGIN = 42.0
FOOTER_TOP = 78.0  # lowest y of table content when the footer is one legal line
FOOTER_TOP_SUPPLIER = 104.0  # when the supplier's block sits in the footer
COL_WIDTH = {"num": 30.0, "code": 54.0, "qty": 44.0, "unit": 38.0, "pu": 60.0, "disc": 42.0, "vat": 38.0,
             "total": 68.0}
ALIGN = {"num": "left", "code": "left", "desc": "left", "qty": "right", "unit": "center", "pu": "right",
         "disc": "right", "vat": "center", "total": "right"}
BOLD = {"Helvetica": "Helvetica-Bold", "Times-Roman": "Times-Bold"}
ITALIC = {"Helvetica": "Helvetica-Oblique", "Times-Roman": "Times-Italic"}
ACCENTS = ("#23415A", "#5A2335", "#2F5A23", "#4A4A4A", "#7A4B12")


def fmt_amount(value: Decimal, style: str) -> str:
    text = f"{abs(value):,.2f}"  # 1,235.40
    if style == "dot":
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")  # 1.235,40
    elif style == "space":
        text = text.replace(",", " ").replace(".", ",")  # 1 235,40
    else:
        text = text.replace(",", "").replace(".", ",")  # 1235,40
    return ("-" if value < 0 else "") + text


def fmt_qty(value: Decimal) -> str:
    text = f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:.2f}"
    return text.replace(".", ",")


def fmt_rate(rate: Decimal, style: str) -> str:
    pct = rate * 100
    short = f"{pct.normalize():f}".replace(".", ",")
    if style == "pct":
        return f"{short} %"
    if style == "dec":
        return f"{pct:.2f}".replace(".", ",")
    return short


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy word wrap; joining the pieces with single spaces gives the text back."""
    out: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if current and stringWidth(candidate, font, size) > width:
            out.append(current)
            current = word
        else:
            current = candidate
    out.append(current)
    return out


class WildRenderer:
    def __init__(self, doc: WildDoc, total_pages: int | None):
        self.doc = doc
        self.conf = doc.conf
        self.font = self.conf["font"]
        self.bold = BOLD[self.font]
        self.italic = ITALIC[self.font]
        self.size = 8.6 if self.font == "Helvetica" else 9.4
        self.leading = self.size + 2.5
        self.pad = self.conf.get("pad", 5.0)
        self.accent = colors.HexColor(ACCENTS[(len(doc.supplier.name) + doc.header_index) % len(ACCENTS)])
        self.total_pages = total_pages
        self.footer_supplier = self.conf.get("supplier") == "footer"
        self.bottom = FOOTER_TOP_SUPPLIER if self.footer_supplier else FOOTER_TOP
        self.buffer = io.BytesIO()
        self.c = Canvas(self.buffer, pagesize=A4, invariant=1, pageCompression=1)
        self.c.setTitle(doc.title)
        self.c.setCreator("corpusgen.wild")
        self.page = 1
        self.y = PAGE_H - MARGIN
        self.x0, self.x1 = MARGIN, PAGE_W - MARGIN
        cols = self.conf["cols"]
        fixed = sum(COL_WIDTH[k] for k in cols if k != "desc")
        self.widths = {k: COL_WIDTH.get(k, self.x1 - self.x0 - fixed) for k in cols}
        self.row_index = 0

    # --- helpers ------------------------------------------------------------------------------
    def text(self, x, y, s, bold=False, size=None, align="left", color=colors.black, font=None):
        self.c.setFillColor(color)
        self.c.setFont(font or (self.bold if bold else self.font), size or self.size)
        if align == "right":
            self.c.drawRightString(x, y, s)
        elif align == "center":
            self.c.drawCentredString(x, y, s)
        else:
            self.c.drawString(x, y, s)
        self.c.setFillColor(colors.black)

    def money(self, value: Decimal) -> str:
        return fmt_amount(value, self.doc.number_style) + self.doc.currency

    def col_x(self) -> dict[str, tuple[float, float]]:
        xs, x = {}, self.x0
        for k in self.conf["cols"]:
            xs[k] = (x, x + self.widths[k])
            x += self.widths[k]
        return xs

    def siret_text(self) -> str:
        s, t = self.doc.siren, self.doc.siret
        return {
            "spaced": f"SIRET {s[:3]} {s[3:6]} {s[6:]} {t[9:]}",
            "plain": f"Siret : {t}",
            "label": f"N° SIRET : {t}",
            "rcs": f"RCS {self.doc.supplier.rcs_city} B {s[:3]} {s[3:6]} {s[6:]}",
        }[self.doc.siret_style]

    # --- page furniture ------------------------------------------------------------------------
    def footer(self) -> None:
        d = self.doc
        if self.footer_supplier:
            self.c.setStrokeColor(self.accent)
            self.c.setLineWidth(0.8)
            self.c.line(MARGIN, 76, PAGE_W - MARGIN, 76)
            self.text(PAGE_W / 2, 64, d.supplier.name, bold=True, size=8, align="center")
            self.text(PAGE_W / 2, 54, f"{d.supplier.street} - {d.supplier.postcode} {d.supplier.city} - "
                      f"Tél. {d.phone} - {d.email}", size=6.8, align="center")
            self.text(PAGE_W / 2, 44, f"{self.siret_text()} - TVA intracom. FR{int(d.siren) % 97:02d}{d.siren}",
                      size=6.8, align="center")
        else:
            self.text(PAGE_W / 2, 40, f"{d.supplier.name} - {self.siret_text()} - Code APE 4334Z - "
                      f"TVA FR{int(d.siren) % 97:02d}{d.siren}", size=6.4, align="center")
        self.text(PAGE_W / 2, 30, d.insurance, size=6.0, align="center")
        if self.total_pages and self.total_pages > 1:
            self.text(PAGE_W - MARGIN, 18, f"Page {self.page} / {self.total_pages}", size=7, align="right")

    def new_page(self) -> None:
        self.footer()
        self.c.showPage()
        self.page += 1
        d = self.doc
        self.text(MARGIN, PAGE_H - MARGIN, f"{d.title} du {fmt_date(d.date, 'slash')}", bold=True, size=9)
        if not self.footer_supplier:
            self.text(PAGE_W - MARGIN, PAGE_H - MARGIN, d.supplier.name, size=8.5, align="right")
        self.y = PAGE_H - MARGIN - 24

    def letterhead(self) -> None:
        d = self.doc
        top = PAGE_H - MARGIN
        right = PAGE_W / 2 + 50
        if not self.footer_supplier:
            left_side = (len(d.supplier.name) + d.header_index) % 3 != 0
            x = MARGIN if left_side else right
            self.text(x, top - 10, d.supplier.name, bold=True, size=13, color=self.accent)
            y = top - 25
            for row in (d.supplier.street, f"{d.supplier.postcode} {d.supplier.city}", f"Tél. : {d.phone}",
                        d.email, self.siret_text()):
                self.text(x, y, row, size=7.8)
                y -= 10
            cx = right if left_side else MARGIN
        else:
            cx = right
            y = top - 60
        cy = top - 10
        self.c.setStrokeColor(colors.HexColor("#999999"))
        self.c.setLineWidth(0.5)
        self.c.rect(cx - 6, cy - 48, PAGE_W - MARGIN - cx + 6 if cx == right else 210, 60, stroke=1, fill=0)
        self.text(cx, cy, d.client_label, bold=True, size=8)
        for row in (d.client.name, d.client.street, f"{d.client.postcode} {d.client.city}"):
            cy -= 12
            self.text(cx, cy, row)
        y = min(y, cy - 40) - 8
        date_text = d.date_label.format(d=fmt_date(d.date, d.date_style), city=d.supplier.city)
        self.text(MARGIN, y, d.title, bold=True, size=14)
        self.text(PAGE_W - MARGIN, y, date_text, align="right")
        y -= 16
        if d.doc_type == "avoir":
            self.text(MARGIN, y, f"Facture d'origine : {d.original_invoice}")
            y -= 12
        if d.site:
            self.text(MARGIN, y, f"{d.site_label} {d.site.street}, {d.site.postcode} {d.site.city}")
            y -= 12
        self.text(MARGIN, y, d.object_line)
        self.y = y - 18

    # --- table ---------------------------------------------------------------------------------
    def header_row(self) -> None:
        words = self.doc.header_words
        cols = self.conf["cols"]
        split = {}
        for k in cols:  # "top|bottom" is a two-row label; a label wider than its column wraps too
            split[k] = [piece for part in words[k].split("|")
                        for piece in wrap(part, self.bold, self.size, self.widths[k] - 4)]
        rows = max(len(v) for v in split.values())
        height = rows * self.leading + 6
        top, bottom = self.y, self.y - height
        style = self.conf["style"]
        xs = self.col_x()
        label_colour = colors.black
        if style in ("grid", "rules"):
            self.c.setFillColor(colors.HexColor("#E4E4E4"))
            self.c.rect(self.x0, bottom, self.x1 - self.x0, height, stroke=0, fill=1)
        elif style == "zebra":
            self.c.setFillColor(self.accent)
            self.c.rect(self.x0, bottom, self.x1 - self.x0, height, stroke=0, fill=1)
            label_colour = colors.white
        self.c.setStrokeColor(colors.black)
        self.c.setLineWidth(0.7)
        self.c.line(self.x0, top, self.x1, top)
        self.c.line(self.x0, bottom, self.x1, bottom)
        if style == "grid":
            for x0, _ in xs.values():
                self.c.line(x0, top, x0, bottom)
            self.c.line(self.x1, top, self.x1, bottom)
        for k, pieces in split.items():
            x0, x1 = xs[k]
            for i, piece in enumerate(pieces):
                yy = top - 3 - self.size - i * self.leading
                if ALIGN[k] == "left":
                    self.text(x0 + 3, yy, piece, bold=True, color=label_colour)
                else:
                    self.text((x0 + x1) / 2, yy, piece, bold=True, align="center", color=label_colour)
        self.y = bottom
        self.row_index = 0

    def cells(self, line: Line) -> dict[str, str]:
        d = self.doc
        return {
            "num": line.number, "code": line.code, "desc": line.description, "qty": fmt_qty(line.quantity),
            "unit": line.unit_label, "pu": self.money(line.unit_price_ht),
            "disc": (fmt_rate(line.discount_pct / 100, d.vat_style) if line.discount_pct else ""),
            "vat": fmt_rate(line.vat_rate, d.vat_style), "total": self.money(line.total_ht),
        }

    def line_height(self, line: Line) -> tuple[list[str], float]:
        pieces = wrap(line.description, self.font, self.size, self.widths["desc"] - 6)
        height = len(pieces) * self.leading + self.pad + (self.leading - 1 if line.subrow else 0)
        return pieces, height

    def item_row(self, line: Line) -> None:
        xs = self.col_x()
        values = self.cells(line)
        pieces, height = self.line_height(line)
        top, bottom = self.y, self.y - height
        style = self.conf["style"]
        if style == "zebra" and self.row_index % 2:
            self.c.setFillColor(colors.HexColor("#EFEFEF"))
            self.c.rect(self.x0, bottom, self.x1 - self.x0, height, stroke=0, fill=1)
        self.row_index += 1
        base = top - self.pad / 2 - self.size
        for k, (x0, x1) in xs.items():
            if k == "desc":
                for i, piece in enumerate(pieces):
                    self.text(x0 + 3, base - i * self.leading, piece)
                if line.subrow:
                    self.text(x0 + 9, base - len(pieces) * self.leading, line.subrow, size=self.size - 1.4,
                              font=self.italic, color=colors.HexColor("#444444"))
                continue
            align = ALIGN[k]
            x = x0 + 3 if align == "left" else (x1 - 3 if align == "right" else (x0 + x1) / 2)
            self.text(x, base, values[k], align=align)
        self.c.setLineWidth(0.4)
        if style == "grid":
            self.c.setStrokeColor(colors.black)
            self.c.line(self.x0, bottom, self.x1, bottom)
            for x0, _ in xs.values():
                self.c.line(x0, top, x0, bottom)
            self.c.line(self.x1, top, self.x1, bottom)
        elif style == "rules":
            self.c.setStrokeColor(colors.HexColor("#B0B0B0"))
            self.c.line(self.x0, bottom, self.x1, bottom)
        line.page = self.page
        line.bbox = (self.x0 / PAGE_W, (PAGE_H - top) / PAGE_H, self.x1 / PAGE_W, (PAGE_H - bottom) / PAGE_H)
        self.y = bottom

    def band(self, label: str, amount: Decimal | None, shaded: bool, bold: bool = True) -> None:
        height = self.leading + 5
        top, bottom = self.y, self.y - height
        if shaded:
            self.c.setFillColor(colors.HexColor("#EAEAEA"))
            self.c.rect(self.x0, bottom, self.x1 - self.x0, height, stroke=0, fill=1)
        self.text(self.x0 + 3, top - 2.5 - self.size, label, bold=bold)
        if amount is not None:
            _, x1 = self.col_x()["total"]
            self.text(x1 - 3, top - 2.5 - self.size, self.money(amount), bold=bold, align="right")
        self.c.setStrokeColor(colors.HexColor("#888888"))
        self.c.setLineWidth(0.5)
        self.c.line(self.x0, bottom, self.x1, bottom)
        self.y = bottom

    def fits(self, height: float) -> bool:
        reserve = self.leading + 6 if self.doc.carry_words else 0
        return self.y - height >= self.bottom + reserve

    def ensure_space(self, height: float, carried: Decimal) -> None:
        if self.fits(height):
            return
        carry = self.doc.carry_words
        if carry:
            self.band(carry["out"], carried, shaded=True)
        self.new_page()
        self.header_row()
        if carry:
            self.band(carry["in"], carried, shaded=True)

    def table(self) -> None:
        d = self.doc
        chapters = self.conf.get("chapters")
        self.header_row()
        carried = Decimal(0)
        chapter_sum = Decimal(0)
        current = None
        for i, line in enumerate(d.lines):
            if chapters and line.chapter != current:
                current, chapter_sum = line.chapter, Decimal(0)
                self.ensure_space(self.leading * 3 + 14, carried)
                title = d.chapter_titles[line.chapter]
                heading = f"{line.chapter}  {title}" if chapters == "numbered" else f"LOT {line.chapter + 1:02d} - {title}"
                self.band(heading, None, shaded=chapters == "lots")
            _, height = self.line_height(line)
            self.ensure_space(height, carried)
            self.item_row(line)
            carried += line.total_ht
            chapter_sum += line.total_ht
            last = i + 1 == len(d.lines) or d.lines[i + 1].chapter != line.chapter
            if chapters == "numbered" and last:
                self.ensure_space(self.leading + 5, carried)
                self.band(f"Total {line.chapter} - {d.chapter_titles[line.chapter].capitalize()}", chapter_sum,
                          shaded=False)
        self.c.setStrokeColor(colors.black)
        self.c.setLineWidth(0.8)
        self.c.line(self.x0, self.y, self.x1, self.y)

    # --- totals ---------------------------------------------------------------------------------
    def totals_rows(self) -> list[tuple[str, str, bool]]:
        d = self.doc
        words = d.totals_words
        rows = [(words["ht"], self.money(d.total_ht), True)]
        by_rate = d.vat_by_rate()
        for rate, _, tva in by_rate:
            rows.append((words["tva"].format(rate=fmt_rate(rate, "pct")), self.money(tva), False))
        if len(by_rate) > 1:
            rows.append((words["tva_sum"], self.money(d.total_tva), True))
        rows.append((words["ttc"], self.money(d.total_ttc), True))
        if d.paid_words:
            paid = d.paid_words["paid"].format(date=fmt_date(d.date.replace(day=1), "slash"), pct=d.paid_pct)
            rows.append((paid, self.money(-d.paid), False))
            rows.append((d.paid_words["rest"], self.money(d.total_ttc - d.paid), True))
        return rows

    def vat_table(self, x: float, top: float) -> float:
        d = self.doc
        w = d.vat_summary_words
        self.text(x, top, w["title"], bold=True)
        y = top - 13
        widths = (50, 80, 70)
        heads = (w["rate"], w["base"], w["tva"])
        cx = x
        for head, width in zip(heads, widths):
            self.text(cx + width - 4, y, head, bold=True, size=self.size - 0.6, align="right")
            cx += width
        self.c.setStrokeColor(colors.HexColor("#777777"))
        self.c.setLineWidth(0.5)
        self.c.line(x, y - 4, x + sum(widths), y - 4)
        for rate, base, tva in d.vat_by_rate():
            y -= 12
            cx = x
            for value, width in zip((fmt_rate(rate, "pct"), self.money(base), self.money(tva)), widths):
                self.text(cx + width - 4, y, value, align="right")
                cx += width
        return y - 14

    def totals(self) -> None:
        d = self.doc
        rows = self.totals_rows()
        need = len(rows) * 14 + 70 + (len(d.vat_by_rate()) * 12 + 30 if self.conf.get("vat_summary") else 0)
        if self.y - need < self.bottom:
            self.new_page()
        top = self.y - 18
        x_label, x_value = PAGE_W / 2 + 40, PAGE_W - MARGIN - 3
        y = top
        for label, value, bold in rows:
            self.text(x_label, y, label, bold=bold)
            self.text(x_value, y, value, bold=bold, align="right")
            y -= 14
        self.c.setStrokeColor(colors.black)
        self.c.setLineWidth(0.6)
        self.c.rect(x_label - 6, y + 8, x_value - x_label + 12, top - y + 2, stroke=1, fill=0)
        left_y = top
        if self.conf.get("vat_summary"):
            left_y = self.vat_table(MARGIN, top)
        left_y = min(left_y, y) - 8
        for note in (d.closing, f"IBAN FR76 1027 8{d.siren[:3]} {d.siren[3:7]} {d.siret[-5:]} 0{d.siren[-3:]} 42"):
            self.text(MARGIN, left_y, note, size=7.6)
            left_y -= 11
        if d.doc_type == "devis" and left_y - 60 > self.bottom:
            self.text(MARGIN, left_y - 6, "Bon pour accord (date, signature, « Lu et accepté ») :", size=8)

    def render(self) -> bytes:
        self.letterhead()
        self.table()
        self.totals()
        self.footer()
        self.c.showPage()
        self.c.save()
        return self.buffer.getvalue()


def render_pdf(doc: WildDoc) -> tuple[bytes, int]:
    """The PDF bytes and its page count; fills each line's ``page`` and ``bbox``."""
    probe = WildRenderer(doc, None)
    probe.render()
    final = WildRenderer(doc, probe.page)
    return final.render(), probe.page
