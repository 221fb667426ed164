"""Documents a policyholder uploads that are not quotes and print no prices: a firm's letter,
a form (intervention slip, end-of-works certificate), a photo of the damage."""
from __future__ import annotations

import datetime as dt
import io
import random

from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from .render import wrap
from .spec import fmt_date, wordings

rl_config.invariant = 1
PAGE_W, PAGE_H = A4


def letter_pdf(rng: random.Random) -> bytes:
    w = wordings()
    letter = rng.choice(w["letters"])
    last = rng.choice(w["supplier_last"])
    firm = rng.choice(w["supplier_names"]).format(n=last, N=last.upper())
    postcode, city, _ = rng.choice(w["cities"])
    street = f"{rng.randint(1, 160)} {rng.choice(w['streets'])}"
    date = dt.date(2025, 1, 2) + dt.timedelta(days=rng.randrange(0, 540))
    claim_ref = f"{rng.randint(10, 99)}{rng.randint(100000, 999999)}"
    body = " ".join(letter["body"].split()).format(date=fmt_date(date, "long"), street=street, claim_ref=claim_ref)
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, invariant=1)
    c.setFont("Helvetica-Bold", 12)
    c.drawString(56, PAGE_H - 60, firm)
    c.setFont("Helvetica", 9)
    c.drawString(56, PAGE_H - 74, f"{rng.randint(1, 90)} {rng.choice(w['streets'])} - {postcode} {city}")
    client = f"{rng.choice(('M.', 'Mme'))} {rng.choice(w['client_first'])} {rng.choice(w['client_last'])}"
    y = PAGE_H - 130
    for row in (client, street, f"{postcode} {city}"):
        c.drawString(330, y, row)
        y -= 13
    c.drawString(330, y - 20, f"{city}, le {fmt_date(date + dt.timedelta(days=2), 'long')}")
    y -= 70
    c.setFont("Helvetica-Bold", 10)
    c.drawString(56, y, letter["subject"].format(claim_ref=claim_ref))
    y -= 26
    c.setFont("Helvetica", 10)
    for piece in wrap(body, "Helvetica", 10, PAGE_W - 112):
        c.drawString(56, y, piece)
        y -= 14
    c.drawString(330, y - 30, firm)
    c.showPage()
    c.save()
    return buf.getvalue()


def form_pdf(rng: random.Random) -> bytes:
    w = wordings()
    form = rng.choice(w["forms"])
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, invariant=1)
    c.setFont("Helvetica-Bold", 15)
    c.drawCentredString(PAGE_W / 2, PAGE_H - 60, form["title"])
    c.setFont("Helvetica", 8)
    c.drawCentredString(PAGE_W / 2, PAGE_H - 74, f"N° {rng.randint(1000, 9999)} - à conserver par le client")
    y = PAGE_H - 110
    c.setFont("Helvetica", 9.5)
    for field in form["fields"]:
        c.drawString(56, y, f"{field} :")
        c.setDash(1, 2)
        c.line(200, y - 2, PAGE_W - 56, y - 2)
        c.setDash()
        y -= 30
    y -= 10
    for box in form["boxes"]:
        ticked = rng.random() < 0.4
        c.rect(56, y - 2, 9, 9, fill=1 if ticked else 0)
        c.drawString(72, y, box)
        y -= 20
    c.rect(56, y - 110, PAGE_W - 112, 100)
    c.drawString(62, y - 24, "Observations :")
    c.showPage()
    c.save()
    return buf.getvalue()
