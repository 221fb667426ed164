"""Documents that policyholders upload and that are not quotes: a claim letter, an
accident-report form, a photo of the damage, a phone photo of a letter."""
from __future__ import annotations

import datetime as dt
import io
import random
from decimal import Decimal

import cv2
import numpy as np
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from . import vocab
from .render import fmt_amount, wrap
from .spec import fmt_date

rl_config.invariant = 1
PAGE_W, PAGE_H = A4

NOT_QUOTE_TEMPLATES = ("not-quote-letter", "not-quote-form", "not-quote-photo", "not-quote-docphoto")


def claim_letter_pdf(rng: random.Random) -> bytes:
    """A policyholder's letter declaring a claim; it quotes an amount but is no quote."""
    name = f"{rng.choice(vocab.CLIENT_FIRST)} {rng.choice(vocab.CLIENT_LAST)}"
    postcode, city, _ = rng.choice(vocab.CITIES)
    street = f"{rng.randint(1, 140)} {rng.choice(vocab.STREETS)}"
    peril, _ = vocab.PERIL_OBJECTS[rng.choice("etvbi")]
    date = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(0, 730))
    amount = fmt_amount(Decimal(rng.randint(400, 8000)) + Decimal("0.50"), "fr_space")
    body = (
        f"Madame, Monsieur, par la présente je vous déclare un sinistre de type {peril} survenu le "
        f"{fmt_date(date - dt.timedelta(days=rng.randint(2, 20)), 'long')} à mon domicile. "
        f"Les dommages concernent la cuisine et le séjour : plafond taché, peinture cloquée, parquet gonflé. "
        f"J'ai fait intervenir un plombier pour stopper la fuite. L'entreprise consultée estime les travaux "
        f"à environ {amount} €, devis à suivre. Je reste à votre disposition pour une expertise. "
        f"Je vous prie d'agréer, Madame, Monsieur, l'expression de mes salutations distinguées."
    )
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, invariant=1)
    c.setFont("Helvetica", 10)
    y = PAGE_H - 60
    for row in (name, street, f"{postcode} {city}", f"Contrat n° {rng.randint(10**8, 10**9)}"):
        c.drawString(60, y, row)
        y -= 13
    c.drawString(340, y - 20, "Service Sinistres")
    c.drawString(340, y - 33, "Assurance Habitation")
    c.drawString(340, y - 60, f"{city}, le {fmt_date(date, 'long')}")
    y -= 100
    c.setFont("Helvetica-Bold", 10)
    c.drawString(60, y, f"Objet : déclaration de sinistre - {peril}")
    y -= 28
    c.setFont("Helvetica", 10)
    for piece in wrap(body, "Helvetica", 10, PAGE_W - 120):
        c.drawString(60, y, piece)
        y -= 14
    c.drawString(340, y - 30, name)
    c.showPage()
    c.save()
    return buf.getvalue()


def report_form_pdf(rng: random.Random) -> bytes:
    """A form in the manner of a "constat amiable dégât des eaux": boxes, ticks, two parties."""
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, invariant=1)
    c.setFont("Helvetica-Bold", 14)
    c.drawCentredString(PAGE_W / 2, PAGE_H - 50, "CONSTAT AMIABLE DE DÉGÂT DES EAUX")
    c.setFont("Helvetica", 8)
    c.drawCentredString(PAGE_W / 2, PAGE_H - 64, "À remplir par les parties et à transmettre à chaque assureur")
    y = PAGE_H - 90
    date = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(0, 730))
    c.rect(40, y - 30, PAGE_W - 80, 30)
    c.drawString(46, y - 12, f"1. Date du sinistre : {fmt_date(date, 'slash')}")
    c.drawString(300, y - 12, f"Lieu : {rng.choice(vocab.CITIES)[1]}")
    y -= 45
    for side, label in ((40, "A"), (PAGE_W / 2 + 5, "B")):
        c.setFillColor(colors.HexColor("#DDE8F5") if label == "A" else colors.HexColor("#FFF3C4"))
        c.rect(side, y - 330, PAGE_W / 2 - 45, 330, fill=1, stroke=1)
        c.setFillColor(colors.black)
        c.setFont("Helvetica-Bold", 11)
        c.drawString(side + 8, y - 16, f"Partie {label}")
        c.setFont("Helvetica", 8)
        yy = y - 36
        for field in ("Nom :", "Adresse :", "Assureur :", "N° de contrat :", "Occupant / Propriétaire :",
                      "Étage :", "Origine de la fuite :"):
            c.drawString(side + 8, yy, field)
            c.line(side + 90, yy - 2, side + PAGE_W / 2 - 55, yy - 2)
            yy -= 22
        for box in ("Canalisation", "Joint", "Toiture", "Infiltration", "Débordement", "Autre"):
            ticked = rng.random() < 0.3
            c.rect(side + 8, yy - 2, 8, 8, fill=1 if ticked else 0)
            c.drawString(side + 22, yy, box)
            yy -= 16
    y -= 350
    c.rect(40, y - 120, PAGE_W - 80, 120)
    c.drawString(46, y - 14, "Croquis / observations :")
    c.drawString(46, y - 140, "Signature A")
    c.drawString(PAGE_W / 2 + 10, y - 140, "Signature B")
    c.showPage()
    c.save()
    return buf.getvalue()


def damage_photo(rng: random.Random, width: int = 1600, height: int = 1200) -> np.ndarray:
    """A synthetic room photo: a lit wall with a water stain or soot, a plank or tiled floor (RGB)."""
    g = np.random.default_rng(rng.randrange(2**32))
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    wall_color = np.array(rng.choice(([225, 220, 210], [210, 214, 220], [232, 226, 200])), np.float32)
    light = 0.75 + 0.25 * (xs / width)
    img = wall_color[None, None, :] * light[..., None]
    floor_y = int(height * rng.uniform(0.68, 0.82))
    if rng.random() < 0.5:
        plank = (np.floor(xs / rng.randint(60, 110)) % 2)[floor_y:]
        floor = np.array([150, 100, 60], np.float32) * (0.9 + 0.1 * plank)[..., None]
    else:
        tiles = ((np.floor(xs / 140) + np.floor(ys / 140)) % 2)[floor_y:]
        floor = np.array([190, 185, 178], np.float32) * (0.92 + 0.08 * tiles)[..., None]
    img[floor_y:] = floor
    stain = np.zeros((height, width), np.float32)
    cx, cy = int(width * rng.uniform(0.25, 0.7)), int(floor_y * rng.uniform(0.25, 0.6))
    for _ in range(rng.randint(3, 7)):
        ax, ay = rng.randint(40, 220), rng.randint(30, 160)
        ox, oy = rng.randint(-150, 150), rng.randint(-100, 100)
        cv2.ellipse(stain, (cx + ox, cy + oy), (ax, ay), rng.uniform(0, 180), 0, 360, 1.0, -1)
    stain = cv2.GaussianBlur(stain, (0, 0), 9)
    tint = np.array(rng.choice(([120, 95, 60], [60, 55, 50])), np.float32)  # water ring / soot
    img = img * (1 - 0.45 * stain[..., None]) + tint * 0.45 * stain[..., None]
    img = cv2.GaussianBlur(img, (0, 0), 1.0) + g.normal(0, 4.0, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)
