"""Each role × each action, on the HTML pages and the API: the server decides, not the buttons."""
import pytest

from store.accounts import ROLE_PERMISSIONS
from tests.web.helpers import ROLES, decided
from web.actions import ACTIONS

# A dossier in the state where the action can run, and the fields it needs.
SETUP = {
    "override": ("to_review", {"line": "1", "amount": "700", "reason": "métré vérifié"}),
    "propose_ren": ("to_review", {"reason": "surfacturation confirmée"}),
    "close": ("to_review", {"motive": "Clos - Fausse alerte", "reason": "vu"}),
    "reopen": ("accepted_under_200", {"reason": "l'assuré conteste"}),
    "request_quote": ("to_review", {"why": "unreachable", "reason": "pas de réponse"}),
    "second_look": ("accepted_under_200", {"reason": "clôture correcte"}),
    "assign": ("to_review", {"assignee": "reviewer2"}),
    "approve": ("to_review", {}),
}
PAGES = {  # GET page -> permission
    "/dossiers": "read", "/queue": "read", "/queue/rules": "read", "/dossiers/new": "upload", "/users": "users",
    "/dossiers/D-0": "read", "/api/dossiers": "read", "/api/dossiers/D-0": "read", "/api/queue": "read",
}


def test_every_action_is_in_the_matrix():
    assert set(SETUP) == set(ACTIONS)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_on_each_action(app, context, clients, role):
    client = clients[role]
    for index, (name, (status, data)) in enumerate(SETUP.items()):
        allowed = ACTIONS[name].permission in ROLE_PERMISSIONS[role]
        html_ref = decided(context, f"H-{role}-{index}", status)
        before = context.store.history(html_ref)
        response = client.post(f"/dossiers/{html_ref}/actions/{name}", data=data | {"csrf_token": client.csrf})
        if allowed:
            # Approving needs a payment waiting (none here): the store says so, not the role check.
            assert response.status_code == (409 if name == "approve" else 303), (role, name, response.text[:500])
            assert "E_FORBIDDEN" not in response.text
        else:
            assert response.status_code == 403 and "E_FORBIDDEN" in response.text, (role, name)
            assert context.store.history(html_ref) == before  # nothing happened

        api_ref = decided(context, f"A-{role}-{index}", status)
        response = client.post(f"/api/dossiers/{api_ref}/actions/{name}", json=data,
                               headers={"X-CSRF-Token": client.csrf})
        if allowed:
            assert response.status_code == (409 if name == "approve" else 200), (role, name, response.text[:500])
        else:
            assert response.status_code == 403 and response.json()["code"] == "E_FORBIDDEN", (role, name)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_on_each_page(app, context, clients, role):
    decided(context, "D-0")
    for path, permission in PAGES.items():
        response = clients[role].get(path)
        expected = 200 if permission in ROLE_PERMISSIONS[role] else 403
        assert response.status_code == expected, (role, path)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_on_uploads_queue_rules_and_users(app, context, clients, role):
    client = clients[role]
    may = ROLE_PERMISSIONS[role]
    decided(context, "D-0")
    form = {"ref": f"N-{role}", "claim_date": "2026-01-05", "deductible": "150", "guarantee": "incendie",
            "phone": "000000000", "email": "inconnu", "csrf_token": client.csrf}
    response = client.post("/dossiers", data=form, files={"document": ("note.txt", b"hello", "text/plain")})
    assert (response.status_code == 303) == ("upload" in may), role
    response = client.post("/api/dossiers/D-0/document", files={"document": ("note.txt", b"hello", "text/plain")},
                           headers={"X-CSRF-Token": client.csrf})
    assert (response.status_code == 202) == ("upload" in may), role
    response = client.post("/queue/rules", data={"one_in": "5", "csrf_token": client.csrf})
    assert response.status_code == (303 if "queue_rules" in may else 403), role
    response = client.post("/queue/take", data={"csrf_token": client.csrf})
    assert response.status_code == (303 if "override" in may else 403), role
    response = client.post("/users", data={"name": f"new-{role}", "role": "reviewer", "password": "long enough pw",
                                           "csrf_token": client.csrf})
    assert response.status_code == (303 if "users" in may else 403), role
    response = client.post("/users/reviewer2/disable", data={"csrf_token": client.csrf})
    assert response.status_code == (303 if "users" in may else 403), role
    for upload in list(context.jobs.values()):
        upload.result(30)


def test_a_reviewer_is_refused_a_managers_action_and_sees_why(app, context, clients):
    decided(context, "D-9", "accepted_under_200")
    page = clients["reviewer"].get("/dossiers/D-9")
    assert 'id="form-reopen"' not in page.text  # not offered...
    response = clients["reviewer"].post("/dossiers/D-9/actions/reopen",
                                        data={"reason": "je veux rouvrir", "csrf_token": clients["reviewer"].csrf})
    assert response.status_code == 403  # ...and refused when sent all the same
    assert "E_FORBIDDEN" in response.text and "reviewer may not reopen" in response.text
    assert context.store.latest_review("D-9").status == "accepted_under_200"
    assert 'id="form-reopen"' in clients["manager"].get("/dossiers/D-9").text
