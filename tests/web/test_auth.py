"""Sign-in, sessions, CSRF, lock-out, security headers: the web app's front door."""
import datetime as dt

import pytest
from fastapi.testclient import TestClient

from store.accounts import AccountError, LockedError, LoginError
from store.models import WebSessionRow
from tests.web.helpers import PASSWORD, csrf_of, decided, sign_in

PAGES = ["/", "/dossiers", "/dossiers.csv", "/dossiers/new", "/dossiers/D-1", "/dossiers/D-1/status",
         "/dossiers/D-1/pages/1.png", "/queue", "/queue/rules", "/users", "/docs", "/openapi.json"]
API = ["/api/dossiers", "/api/dossiers/D-1", "/api/dossiers/D-1/history", "/api/queue"]
POSTS = ["/logout", "/dossiers", "/dossiers/D-1/document", "/dossiers/D-1/actions/close", "/queue/take",
         "/queue/rules", "/users", "/users/reviewer/disable", "/api/dossiers", "/api/dossiers/D-1/actions/close"]


def test_every_route_but_the_sign_in_needs_a_session(app, context):
    decided(context, "D-1")
    anonymous = TestClient(app, follow_redirects=False)
    for path in PAGES:
        response = anonymous.get(path)
        assert response.status_code in (303, 401), path
        if response.status_code == 303:
            assert response.headers["location"].startswith("/login"), path
    for path in API:
        response = anonymous.get(path)
        assert response.status_code == 401 and response.json()["code"] == "E_SIGN_IN", path
    for path in POSTS:
        assert anonymous.post(path, data={"csrf_token": "x"}).status_code in (303, 401), path
    assert anonymous.get("/login").status_code == 200


def test_the_routes_listed_here_are_all_the_apps_routes(app):
    """A new route must be added to the lists above (and so get its session check tested)."""
    listed = {p.replace("D-1", "{ref}").replace("/1.png", "/{number}.png").replace("/reviewer/", "/{name}/")
              for p in PAGES + API + POSTS} | {"/login", "/api/session", "/api/session/end", "/users/{name}/unlock",
                                               "/api/dossiers/{ref}/document", "/api/dossiers/{ref}/actions/{name}",
                                               "/dossiers/{ref}/actions/{name}"}
    routes = {getattr(r, "path", "") for r in app.routes} - {"/static", ""}
    routes = {r.replace("{ref:path}", "{ref}") for r in routes}
    assert routes <= listed | {"/dossiers/{ref}/actions/{name}"}, routes - listed


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(app):
    client = TestClient(app, follow_redirects=False)
    for name in ("reviewer", "nobody"):
        page = client.get("/login")
        response = client.post("/login", data={"name": name, "password": "wrong password", "csrf_token": csrf_of(page.text)})
        assert response.status_code == 401 and "E_LOGIN" in response.text
        assert "qr_session" not in response.cookies


def test_the_sign_in_form_needs_its_own_csrf_token(app):
    client = TestClient(app, follow_redirects=False)
    client.get("/login")
    response = client.post("/login", data={"name": "reviewer", "password": PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 403 and "E_CSRF" in response.text


def test_cookies_and_security_headers(app):
    client = TestClient(app, follow_redirects=False)
    page = client.get("/login")
    response = client.post("/login", data={"name": "reviewer", "password": PASSWORD, "csrf_token": csrf_of(page.text)})
    cookie = next(v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith("qr_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    page = client.get("/dossiers")
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-frame-options"] == "DENY"
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "cdn" not in page.text.lower() and "/static/vendor/htmx/htmx.min.js" in page.text
    assert client.get("/static/vendor/htmx/htmx.min.js").status_code == 200


@pytest.mark.parametrize("token", [None, "forged"])
def test_a_change_without_the_sessions_csrf_token_is_refused(app, context, token):
    decided(context, "D-1")
    client = sign_in(app, "reviewer")
    data = {"motive": "Clos - Fausse alerte"} | ({"csrf_token": token} if token else {})
    response = client.post("/dossiers/D-1/actions/close", data=data)
    assert response.status_code == 403 and "E_CSRF" in response.text
    api = client.post("/api/dossiers/D-1/actions/close", json={"motive": "Clos - Fausse alerte"},
                      headers={} if token is None else {"X-CSRF-Token": token})
    assert api.status_code == 403 and api.json()["code"] == "E_CSRF"
    assert context.store.latest_review("D-1").status == "to_review"
    # The same request with the token goes through.
    ok = client.post("/dossiers/D-1/actions/close", data={"motive": "Clos - Fausse alerte", "csrf_token": client.csrf})
    assert ok.status_code == 303 and context.store.latest_review("D-1").status == "closed"


def test_another_sessions_csrf_token_is_refused(app, context):
    decided(context, "D-1")
    alice, bob = sign_in(app, "reviewer"), sign_in(app, "reviewer2")
    response = bob.post("/dossiers/D-1/actions/close", data={"motive": "Clos - Fausse alerte", "csrf_token": alice.csrf})
    assert response.status_code == 403


def _age_sessions(context, **delta):
    with context.store.transaction() as session:
        for row in session.query(WebSessionRow):
            row.last_seen_at -= dt.timedelta(**delta)
            row.created_at -= dt.timedelta(**delta)


def test_an_idle_session_expires(app, context):
    client = sign_in(app, "reviewer")
    _age_sessions(context, minutes=20)
    assert client.get("/dossiers").status_code == 200  # within the 30 idle minutes
    _age_sessions(context, minutes=31)
    response = client.get("/dossiers")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert client.get("/api/dossiers").status_code == 401


def test_a_session_ends_after_a_working_day_however_busy(app, context):
    client = sign_in(app, "reviewer")
    with context.store.transaction() as session:
        for row in session.query(WebSessionRow):
            row.created_at -= dt.timedelta(hours=11)
    assert client.get("/dossiers").status_code == 303


def test_logout_ends_the_session_on_the_server(app):
    client = sign_in(app, "reviewer")
    cookie = client.cookies.get("qr_session")
    assert client.post("/logout", data={"csrf_token": client.csrf}).status_code == 303
    replay = TestClient(app, follow_redirects=False, cookies={"qr_session": cookie})
    assert replay.get("/dossiers").status_code == 303


def test_repeated_failures_lock_the_account_until_an_admin_unlocks_it(app, context):
    accounts = context.accounts
    for _ in range(3):  # the test app locks after 3 (the default is 5)
        with pytest.raises(LoginError):
            accounts.authenticate("reviewer", "wrong password")
    with pytest.raises(LockedError):
        accounts.authenticate("reviewer", PASSWORD)
    client = TestClient(app, follow_redirects=False)
    page = client.get("/login")
    response = client.post("/login", data={"name": "reviewer", "password": PASSWORD, "csrf_token": csrf_of(page.text)})
    assert response.status_code == 401 and "E_LOCKED" in response.text
    admin = sign_in(app, "admin")
    assert admin.post("/users/reviewer/unlock", data={"csrf_token": admin.csrf}).status_code == 303
    assert accounts.authenticate("reviewer", PASSWORD).name == "reviewer"
    # The lock lifts by itself after its time.
    for _ in range(3):
        with pytest.raises(LoginError):
            accounts.authenticate("reviewer2", "wrong password")
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=16)
    assert accounts.authenticate("reviewer2", PASSWORD, now=later).name == "reviewer2"


def test_a_disabled_user_is_signed_out_and_cannot_sign_in(app, context):
    client = sign_in(app, "reviewer")
    admin = sign_in(app, "admin")
    assert admin.post("/users/reviewer/disable", data={"csrf_token": admin.csrf}).status_code == 303
    assert client.get("/dossiers").status_code == 303
    with pytest.raises(LoginError):
        context.accounts.authenticate("reviewer", PASSWORD)


def test_accounts_refuse_bad_names_roles_and_short_passwords(context):
    with pytest.raises(AccountError, match="role"):
        context.accounts.add_user("eve", "boss", PASSWORD, by="t")
    with pytest.raises(AccountError, match="characters"):
        context.accounts.add_user("eve", "reviewer", "short", by="t")
    with pytest.raises(AccountError, match="user name"):
        context.accounts.add_user("../eve", "reviewer", PASSWORD, by="t")
    with pytest.raises(AccountError, match="exists"):
        context.accounts.add_user("reviewer", "reviewer", PASSWORD, by="t")


def test_passwords_are_stored_as_argon2id_hashes(context):
    from store.models import UserRow

    with context.store.transaction() as session:
        stored = session.get(UserRow, "reviewer").password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_the_api_signs_in_and_uses_the_csrf_header(app, context):
    decided(context, "D-1")
    client = TestClient(app)
    assert client.post("/api/session", json={"name": "reviewer", "password": "nope"}).json()["code"] == "E_LOGIN"
    session = client.post("/api/session", json={"name": "reviewer", "password": PASSWORD}).json()
    assert session["role"] == "reviewer"
    response = client.post("/api/dossiers/D-1/actions/close", json={"motive": "Clos - Fausse alerte"},
                           headers={"X-CSRF-Token": session["csrf_token"]})
    assert response.status_code == 200 and response.json()["review"]["status"] == "closed"
