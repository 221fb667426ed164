"""Small builders for the web tests: dossiers with a decided review, signed-in clients."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from fastapi.testclient import TestClient

from core.models import Dossier, Flag
from core.review import LineReview, Review
from workflow import DossierService

D = Decimal
PASSWORD = "correct horse battery"
ROLES = ("reviewer", "manager", "approver", "admin")


def make_dossier(ref: str, guarantee: str = "degats_des_eaux") -> Dossier:
    return Dossier(ref, dt.date(2026, 3, 1), D("150"), guarantee, "000000000", "inconnu", "69003")


def make_review(ref: str, status: str = "to_review", quoted: str = "1100", decided_by: str = "robot") -> Review:
    line = LineReview(0, "Peinture des murs", D("1000"), D("727.27"), D("0.1"), grid_item="pei_murs",
                      grid_label="Peinture murs", reference_total_ht=D("727.27"),
                      flags=[Flag("PRICE_ABOVE_GRID", "Prix au-dessus du barème", {"cut_ht": 272.73})])
    revised = D("800")
    motive = "Clos - Eco. moins de 200 euros" if status in ("accepted_under_200", "auto_validated") else None
    return Review(ref, "doc", "g1", status, D(quoted), revised, D(quoted) - revised, D("150"),
                  None if motive is None else D("650"), [line], [], decided_by=decided_by, motive=motive)


def decided(context, ref: str, status: str = "to_review", **changes) -> str:
    """A dossier with a robot's review in ``status`` (no document: the page shows the review alone)."""
    guarantee = changes.pop("guarantee", "degats_des_eaux")
    context.store.create_dossier(make_dossier(ref, guarantee), by="test")
    DossierService(context.store).record_review(ref, make_review(ref, status, **changes), 1)
    return ref


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(app, name: str, password: str = PASSWORD) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    page = client.get("/login")
    response = client.post("/login", data={"name": name, "password": password, "csrf_token": csrf_of(page.text)})
    assert response.status_code == 303, response.text
    client.csrf = csrf_of(client.get("/dossiers").text)
    return client
