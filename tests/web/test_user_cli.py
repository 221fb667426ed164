"""``quote-review user add|list|disable|unlock``."""
from typer.testing import CliRunner

from cli.main import app
from store import open_store
from store.accounts import Accounts

runner = CliRunner()


def test_add_asks_the_password_twice_and_stores_an_argon2_hash(tmp_path):
    db = f"sqlite:///{tmp_path / 'u.db'}"
    result = runner.invoke(app, ["user", "add", "alice", "--role", "manager", "--db", db],
                           input="a long password\na long password\n")
    assert result.exit_code == 0, result.output
    assert "alice added (manager)" in result.output
    accounts = Accounts(open_store(db))
    assert accounts.authenticate("alice", "a long password").role == "manager"

    mismatch = runner.invoke(app, ["user", "add", "bob", "--role", "reviewer", "--db", db],
                             input="a long password\nanother one here\na long password\na long password\n")
    assert "do not match" in mismatch.output and mismatch.exit_code == 0

    bad = runner.invoke(app, ["user", "add", "carol", "--role", "boss", "--db", db], input="a long password\n" * 2)
    assert bad.exit_code == 3 and "E_ACCOUNT" in bad.output

    listed = runner.invoke(app, ["user", "list", "--db", db])
    assert "alice" in listed.output and "manager" in listed.output and "bob" in listed.output

    assert runner.invoke(app, ["user", "disable", "alice", "--db", db]).exit_code == 0
    assert accounts.find_user("alice").active is False
    assert runner.invoke(app, ["user", "disable", "nobody", "--db", db]).exit_code == 3
    assert [e.action for e in open_store(db).history("-")] == ["user_add", "user_add", "user_disable"]


def test_dossier_request_quote_is_the_web_apps_action(tmp_path):
    from tests.web.helpers import make_dossier, make_review
    from workflow import DossierService

    db = f"sqlite:///{tmp_path / 'q.db'}"
    store = open_store(db)
    store.create_dossier(make_dossier("Q-1"), by="t")
    DossierService(store).record_review("Q-1", make_review("Q-1"), 1)
    result = runner.invoke(app, ["dossier", "request-quote", "Q-1", "--why", "unreachable", "--by", "alice", "--db", db])
    assert result.exit_code == 0, result.output
    entry = store.history("Q-1")[-1]
    assert (entry.actor, entry.action, entry.after["why"]) == ("alice", "request_quote", "unreachable")
    bad = runner.invoke(app, ["dossier", "request-quote", "Q-1", "--why", "bored", "--by", "alice", "--db", db])
    assert bad.exit_code == 3 and "E_STATE" in bad.output
