"""Creating a dossier and uploading its document: the CLI's stages, off the event loop, bad input shown."""
from pathlib import Path

import pytest

from tests.web.helpers import sign_in

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "examples" / "devis-plombier-juste.pdf"
FORM = {"claim_date": "2026-01-05", "deductible": "150", "guarantee": "degats_des_eaux", "phone": "000000000",
        "email": "inconnu"}


def _create(client, ref, name, content, media="application/pdf"):
    return client.post("/dossiers", data=FORM | {"ref": ref, "csrf_token": client.csrf},
                       files={"document": (name, content, media)})


def _finish(context, ref):
    context.wait(context.workbench.latest_upload(ref).id, timeout=300)
    return context.workbench.latest_upload(ref)


def test_a_digital_quote_gets_its_verdict_and_its_boxes(app, context):
    client = sign_in(app, "reviewer")
    response = _create(client, "W-1", "devis plombier.pdf", SAMPLE.read_bytes())
    assert response.status_code == 303 and response.headers["location"] == "/dossiers/W-1"
    upload = _finish(context, "W-1")
    assert upload.state == "done" and upload.error_code is None
    status = client.get("/dossiers/W-1/status")
    assert status.headers.get("HX-Refresh") == "true"  # the polling page reloads to show the verdict

    page = client.get("/dossiers/W-1").text
    review = context.store.latest_review("W-1").review
    assert review.status in page and 'id="verdict"' in page
    assert page.count('<tr id="line-') == len(review.lines)
    assert page.count('class="box sev-') == len(review.lines)  # every line of a digital quote has its box
    api = client.get("/api/dossiers/W-1").json()
    assert api["review"]["status"] == review.status and api["document"]["kind"] == "devis"
    for box in api["boxes"]:
        x0, y0, x1, y1 = box["bbox"]
        assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1 and box["page"] == 1
    image = client.get("/dossiers/W-1/pages/1.png")
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    assert client.get("/dossiers/W-1/pages/2.png").status_code == 404
    # The stored names come from the hash, never from the client.
    stored = context.store.document("W-1").document
    assert stored.original_path.name == f"{stored.sha256}.pdf" and stored.source_name == "devis_plombier.pdf"
    assert [e.action for e in context.store.history("W-1")][:3] == ["create", "add_document", "decide"]


@pytest.mark.parametrize("name, content, code", [
    ("devis.pdf", b"just some text, not a PDF", "E_UNSUPPORTED_TYPE"),
    ("vide.pdf", b"", "E_EMPTY"),
    ("casse.pdf", b"%PDF-1.7\n1 0 obj <<", "E_CORRUPT"),
])
def test_bad_input_shows_its_stable_code(app, context, name, content, code):
    client = sign_in(app, "reviewer")
    assert _create(client, "W-2", name, content).status_code == 303
    upload = _finish(context, "W-2")
    assert upload.state == "error" and upload.error_code == code
    assert code in client.get("/dossiers/W-2").text
    assert client.get("/api/dossiers/W-2").json()["processing"]["error_code"] == code


def test_the_type_comes_from_the_bytes_and_the_name_is_never_a_path(app, context):
    client = sign_in(app, "reviewer")
    assert _create(client, "W-3", "../../etc/passwd.pdf", b"plain text").status_code == 303
    upload = _finish(context, "W-3")
    assert upload.source_name == "passwd.pdf" and upload.error_code == "E_UNSUPPORTED_TYPE"
    kept = list((context.home / "originals").rglob("*"))
    assert any(p.is_file() for p in kept)  # the refused original is kept, under its hash
    assert not list((context.home / "uploads").rglob("*.pdf"))  # the spooled copy is gone


def test_an_upload_over_the_limit_is_refused_with_e_too_large(app, context, monkeypatch):
    client = sign_in(app, "reviewer")
    monkeypatch.setattr("web.services.MAX_BYTES", 1000)
    response = _create(client, "W-4", "big.pdf", b"%PDF" + b"0" * 2000)
    assert response.status_code == 413 and "E_TOO_LARGE" in response.text
    assert context.store.find_dossier("W-4") is None  # refused before the dossier was created
    assert not [p for p in (context.home / "uploads").rglob("*") if p.is_file()]
    context.store.create_dossier(__import__("tests.web.helpers", fromlist=["x"]).make_dossier("W-4"), by="t")
    monkeypatch.setattr("web.app.MAX_REQUEST_BYTES", 1000)
    response = client.post("/api/dossiers/W-4/document", files={"document": ("big.pdf", b"0" * 5000, "application/pdf")},
                           headers={"X-CSRF-Token": client.csrf})
    assert response.status_code == 413 and response.json()["code"] == "E_TOO_LARGE"


def test_a_bad_dossier_form_keeps_its_values_and_names_the_problem(app, context):
    client = sign_in(app, "reviewer")
    response = client.post("/dossiers", data=FORM | {"ref": "W-5", "phone": "", "email": "pas un courriel",
                                                     "csrf_token": client.csrf},
                           files={"document": ("d.pdf", SAMPLE.read_bytes(), "application/pdf")})
    assert response.status_code == 422 and "E_INVALID_DOSSIER" in response.text
    assert "use 000000000 when unknown" in response.text and "use &#39;inconnu&#39; when unknown" in response.text
    assert 'value="W-5"' in response.text
    assert context.store.find_dossier("W-5") is None
    missing_file = client.post("/dossiers", data=FORM | {"ref": "W-6", "csrf_token": client.csrf})
    assert missing_file.status_code == 422 and context.store.find_dossier("W-6") is None


def test_the_api_creates_a_dossier_and_reports_its_progress(app, context):
    client = sign_in(app, "manager")
    response = client.post("/api/dossiers", data=FORM | {"ref": "W-7"}, headers={"X-CSRF-Token": client.csrf},
                           files={"document": ("x.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "image/png")})
    assert response.status_code == 202 and response.json()["status_url"] == "/api/dossiers/W-7"
    _finish(context, "W-7")
    processing = client.get("/api/dossiers/W-7").json()["processing"]
    assert processing["state"] == "error" and processing["error_code"] == "E_CORRUPT"
