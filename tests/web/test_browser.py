"""End to end in a real browser: Playwright for Python driving Debian's chromium against the app on uvicorn.

One browser for every step (a reviewer's and a manager's context). Screenshots go to
``$QUOTE_REVIEW_TEST_ARTEFACTS`` (default ``test-artefacts/web-e2e`` in the repository).
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "examples" / "devis-plombier-juste.pdf"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is missing: bash install.sh --test")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def artefacts():
    folder = Path(os.environ.get("QUOTE_REVIEW_TEST_ARTEFACTS", REPO / "test-artefacts" / "web-e2e"))
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn
    from argon2 import PasswordHasher

    from tests.web.helpers import PASSWORD
    from web.app import create_app
    from web.services import WebContext

    home = tmp_path_factory.mktemp("e2e-home")
    context = WebContext.open(f"sqlite:///{home / 'e2e.db'}", None, home,
                              hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    for name, role in (("rita", "reviewer"), ("marc", "manager")):
        context.accounts.add_user(name, role, PASSWORD, by="test")
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(context=context), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}", context
    server.should_exit = True
    thread.join(30)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


def _sign_in(browser, base, name):
    from tests.web.helpers import PASSWORD

    page = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="fr-FR").new_page()
    page.goto(f"{base}/queue")
    assert "/login" in page.url  # every page but the sign-in needs a session
    page.get_by_label("Identifiant").fill(name)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{base}/queue")
    return page


def test_a_reviewer_and_a_manager_review_a_quote_in_the_browser(server, browser, artefacts):
    from playwright.sync_api import expect

    base, context = server
    rita = _sign_in(browser, base, "rita")
    rita.screenshot(path=str(artefacts / "01-queue.png"))

    # Create a dossier and upload the sample digital quote with the file picker.
    rita.get_by_role("link", name="Nouveau dossier").click()
    rita.get_by_label("Référence du dossier").fill("E2E-001")
    rita.get_by_label("Date du sinistre").fill("2026-10-12")
    rita.get_by_label("Franchise").fill("150")
    rita.get_by_label("Garantie").select_option("degats_des_eaux")
    rita.get_by_label("Téléphone de l'assuré").fill("000000000")
    rita.get_by_label("Courriel de l'assuré").fill("inconnu")
    rita.get_by_label("Devis ou facture").set_input_files(str(SAMPLE))
    expect(rita.locator("#picked")).to_contain_text("devis-plombier-juste.pdf")
    rita.screenshot(path=str(artefacts / "02-new-dossier.png"))
    started = time.perf_counter()
    rita.get_by_role("button", name="Créer et analyser").click()
    rita.wait_for_url(f"{base}/dossiers/E2E-001")
    expect(rita.locator("#verdict")).to_be_visible(timeout=180_000)  # HTMX polls, then the page reloads
    print(f"\nupload -> verdict in the browser: {time.perf_counter() - started:.2f} s")
    review = context.store.latest_review("E2E-001").review
    expect(rita.locator("#verdict-status")).to_have_text(review.status)

    # Every line has its box on the page image; a line and its box select each other.
    rows, boxes = rita.locator("tr.line"), rita.locator("rect.box")
    expect(rows).to_have_count(len(review.lines))
    expect(boxes).to_have_count(len(review.lines))
    natural_width = rita.evaluate("""() => new Promise(resolve => {
        const image = new Image();
        image.onload = () => resolve(image.naturalWidth);
        image.onerror = () => resolve(0);
        image.src = document.querySelector('svg.page image').getAttribute('href');
    })""")
    assert natural_width > 500  # the page image itself, not a broken-image placeholder
    rita.locator("#line-3").click()
    expect(rita.locator('rect.box[data-line="3"]')).to_have_class(re.compile(r"\bselected\b"))
    rita.locator('rect.box[data-line="5"]').click()
    expect(rita.locator("#line-5")).to_have_class(re.compile(r"\bselected\b"))
    expect(rita.locator('rect.box[data-line="3"]')).not_to_have_class(re.compile(r"\bselected\b"))
    # Keyboard: the arrows walk the line table and move the box with them.
    rita.locator("#line-5").focus()
    rita.keyboard.press("ArrowDown")
    expect(rita.locator("#line-6")).to_be_focused()
    expect(rita.locator('rect.box[data-line="6"]')).to_have_class(re.compile(r"\bselected\b"))
    rita.locator("#line-1").click()  # a cut line: its box turns purple on the page
    rita.evaluate("() => window.scrollTo(0, document.querySelector('.review-layout').offsetTop - 250)")
    rita.wait_for_timeout(400)  # the smooth scroll
    rita.screenshot(path=str(artefacts / "03-dossier-page.png"), full_page=False)

    # The robot closed it (< 200 € saved): a reviewer may not reopen, the server refuses even a forged post.
    assert review.is_terminal
    expect(rita.locator("#form-reopen")).to_have_count(0)
    csrf = rita.locator("input[name=csrf_token]").first.get_attribute("value")
    refused = rita.request.post(f"{base}/dossiers/E2E-001/actions/reopen", form={"reason": "x", "csrf_token": csrf})
    assert refused.status == 403 and "E_FORBIDDEN" in refused.text()

    # The manager reopens it.
    marc = _sign_in(browser, base, "marc")
    marc.goto(f"{base}/dossiers/E2E-001")
    marc.get_by_label("Motif", exact=True).last.fill("second regard : ligne 1 à vérifier")
    marc.get_by_role("button", name="Rouvrir").click()
    expect(marc.locator("#verdict-status")).to_have_text("to_review")

    # The reviewer overrides line 1 and closes with a motive; both are in the history.
    rita.goto(f"{base}/dossiers/E2E-001")
    rita.get_by_label("Ligne n°").fill("1")
    rita.get_by_label("Montant révisé HT (€)").fill("12,50")
    rita.locator("#ov-reason").fill("métré des plinthes vérifié sur photo")
    rita.get_by_role("button", name="Corriger").click()
    expect(rita.locator("#history-table")).to_contain_text("métré des plinthes vérifié sur photo")
    expect(rita.locator("#line-1")).to_contain_text("12,50 €")
    rita.get_by_label("Motif de clôture").select_option("Clos - Montant indemnisation révisé")
    rita.get_by_role("button", name="Clore").click()
    expect(rita.locator("#verdict-status")).to_have_text("closed")
    history = rita.locator("#history-table")
    for text in ("rita", "marc", "override", "close", "reopen", "Clos - Montant indemnisation révisé"):
        expect(history).to_contain_text(text)
    rita.screenshot(path=str(artefacts / "04-closed-with-history.png"), full_page=True)

    # A bad upload shows its stable code.
    rita.goto(f"{base}/dossiers/new")
    rita.get_by_label("Référence du dossier").fill("E2E-002")
    rita.get_by_label("Date du sinistre").fill("2026-10-12")
    rita.get_by_label("Franchise").fill("0")
    rita.get_by_label("Garantie").select_option("incendie")
    rita.get_by_label("Téléphone de l'assuré").fill("000000000")
    rita.get_by_label("Courriel de l'assuré").fill("inconnu")
    rita.get_by_label("Devis ou facture").set_input_files(
        files=[{"name": "devis.pdf", "mimeType": "application/pdf", "buffer": b"not a PDF at all"}])
    rita.get_by_role("button", name="Créer et analyser").click()
    expect(rita.locator("#upload-error-code")).to_have_text("E_UNSUPPORTED_TYPE", timeout=60_000)
    rita.screenshot(path=str(artefacts / "05-bad-upload.png"))

    # The list shows both, with their processing state.
    rita.goto(f"{base}/dossiers?sort=ref&order=asc")
    expect(rita.locator("#dossiers")).to_contain_text("E2E-001")
    expect(rita.locator("#dossiers")).to_contain_text("error")
    rita.screenshot(path=str(artefacts / "06-dossiers.png"))


def test_accessibility_basics(server, browser, artefacts):
    """Every form control has a label (the accessibility tree names it); the queue and pages work by keyboard."""
    from playwright.sync_api import expect

    from tests.web.helpers import decided

    base, context = server
    decided(context, "Q-1")  # something waiting in the queue
    page = _sign_in(browser, base, "marc")
    unlabelled_js = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
        .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')).map(el => el.outerHTML)"""
    for path in ("/dossiers/new", "/dossiers", "/queue/rules", "/dossiers/E2E-001", "/queue"):
        page.goto(base + path)
        assert page.evaluate(unlabelled_js) == [], path
        assert page.locator("html").get_attribute("lang") == "fr"
    page.goto(f"{base}/dossiers/new")
    tree = page.locator("#new-dossier").aria_snapshot()
    for name in ("Référence du dossier", "Date du sinistre", "Franchise", "Garantie", "Téléphone de l'assuré",
                 "Courriel de l'assuré", "Devis ou facture"):
        assert name in tree, name
    (artefacts / "aria-new-dossier.yaml").write_text(tree, encoding="utf-8")
    # The skip link comes first, then the navigation; the queue's links are reached with Tab alone.
    page.goto(f"{base}/queue")
    page.keyboard.press("Tab")
    expect(page.locator("a.skip")).to_be_focused()
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.closest('#queue') !== null"):
            break
    else:
        pytest.fail("Tab never reached the queue table")
    expect(page.locator(":focus")).to_have_text("Q-1")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/dossiers/Q-1")
