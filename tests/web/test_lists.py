"""The dossiers list (filters, search, sort, pages, CSV) and the review queue with its rules, on SQLite and PostgreSQL."""
import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest

from core.errors import InvalidDossierError, StateError
from core.models import Document, Extraction, LineItem, MediaType, Supplier, Totals
from store.workbench import ListFilter, QueueRules
from tests.web.helpers import decided, sign_in

D = Decimal


def _with_supplier(context, ref, name, siret, sha):
    document = Document(sha[:12], sha, MediaType.PDF, Path(f"/cas/{sha}.pdf"), f"{ref}.pdf", 10, 1)
    context.store.add_document(ref, document)
    context.store.save_extraction(sha, "3", Extraction(
        sha[:12], True, Supplier(name, siret[:9], siret), "N-1",
        lines=[LineItem("Peinture", D("1000"))], totals=Totals(D("1000"), D("100"), D("1100"))))


@pytest.fixture
def filled(app_on):
    context = app_on.state.context
    decided(context, "A-1", "to_review", quoted="900")
    decided(context, "A-2", "accepted_under_200", quoted="2000", guarantee="incendie")
    decided(context, "A-3", "to_review", quoted="3000", guarantee="incendie")
    decided(context, "B-1", "auto_validated", quoted="1500")
    context.store.create_dossier(__import__("tests.web.helpers", fromlist=["x"]).make_dossier("C-1"), by="t")
    _with_supplier(context, "A-3", "Plomberie Dupont & Fils", "73282932000074", "c" * 64)
    return app_on, context


def test_filter_search_sort_and_pages(filled):
    app, context = filled
    bench = context.workbench
    assert bench.list_dossiers(ListFilter()).total == 5
    assert [r.ref for r in bench.list_dossiers(ListFilter(status="to_review", sort="ref", descending=False)).rows] == ["A-1", "A-3"]
    assert [r.ref for r in bench.list_dossiers(ListFilter(guarantee="incendie", sort="ref", descending=False)).rows] == ["A-2", "A-3"]
    assert [r.ref for r in bench.list_dossiers(ListFilter(status="none")).rows] == ["C-1"]
    assert [r.ref for r in bench.list_dossiers(ListFilter(search="dupont")).rows] == ["A-3"]
    assert [r.ref for r in bench.list_dossiers(ListFilter(search="732829")).rows] == ["A-3"]
    assert [r.ref for r in bench.list_dossiers(ListFilter(search="b-")).rows] == ["B-1"]
    assert bench.list_dossiers(ListFilter(search="%")).total == 0  # a LIKE wildcard is a character
    by_ttc = bench.list_dossiers(ListFilter(sort="ttc", descending=True)).rows
    assert [r.ref for r in by_ttc] == ["A-3", "A-2", "B-1", "A-1", "C-1"]  # no review: last
    page = bench.list_dossiers(ListFilter(sort="ref", descending=False, page=2, per_page=2))
    assert page.pages == 3 and [r.ref for r in page.rows] == ["A-3", "B-1"]
    row = next(r for r in by_ttc if r.ref == "A-3")
    assert row.siren == "732829320" and row.document_name == "A-3.pdf" and row.quoted_ttc == D("3000")


def test_the_list_page_and_its_csv_export(filled):
    app, context = filled
    client = sign_in(app, "reviewer")
    page = client.get("/dossiers", params={"guarantee": "incendie", "sort": "ref", "order": "asc"}).text
    assert page.index("A-2") < page.index("A-3") and "B-1" not in page
    export = client.get("/dossiers.csv", params={"state": "to_review", "sort": "ref", "order": "asc"})
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert [r["dossier_ref"] for r in rows] == ["A-1", "A-3"] and rows[1]["siren"] == "732829320"
    assert rows[1]["quoted_ttc"] == "3000.00"
    api = client.get("/api/dossiers", params={"q": "dupont"}).json()
    assert api["total"] == 1 and api["items"][0]["ref"] == "A-3"


def test_the_queue_takes_every_to_review_oldest_first_and_a_sample_of_the_robots_closes(filled):
    app, context = filled
    bench = context.workbench
    assert [(i.dossier.ref, i.reason) for i in bench.queue()] == [("A-1", "to_review"), ("A-3", "to_review")]
    bench.set_queue_rules(QueueRules(guarantees=("incendie",)), by="manager")
    assert [(i.dossier.ref, i.reason) for i in bench.queue()][-1] == ("A-2", "garantie")
    bench.set_queue_rules(QueueRules(one_in=1), by="manager")
    assert {i.dossier.ref for i in bench.queue()} == {"A-1", "A-3", "A-2", "B-1"}
    bench.set_queue_rules(QueueRules(amount_min=D("1000"), amount_max=D("1600")), by="manager")
    assert [i.dossier.ref for i in bench.queue() if i.reason != "to_review"] == ["B-1"]
    # A second look takes the close out of the queue; a new quote asked takes a to_review out.
    bench.second_look("B-1", by="reviewer")
    bench.request_new_quote("A-1", "unreachable", by="reviewer")
    assert [i.dossier.ref for i in bench.queue()] == ["A-3"]
    with pytest.raises(StateError):
        bench.second_look("A-3", by="reviewer")  # not a robot's close
    with pytest.raises(InvalidDossierError):
        bench.set_queue_rules(QueueRules(sirens=("123",)), by="manager")
    history = context.store.history("-")
    assert [e.action for e in history].count("queue_rules") == 3


def test_assignments_my_queue_and_taking_the_next(filled):
    app, context = filled
    bench = context.workbench
    bench.assign("A-3", "reviewer2", by="manager")
    assert [i.dossier.ref for i in bench.queue("reviewer2")] == ["A-3"]
    assert bench.take_next("reviewer") == "A-1"
    assert bench.take_next("reviewer") is None
    assert [i.dossier.ref for i in bench.queue("reviewer")] == ["A-1"]
    with pytest.raises(StateError):
        bench.assign("A-1", "approver", by="manager")  # only reviewers and managers review
    client = sign_in(app, "reviewer2")
    assert "A-3" in client.get("/queue", params={"mine": 1}).text
    assert client.get("/api/queue", params={"mine": True}).json()[0]["assignee"] == "reviewer2"


def test_a_manager_edits_the_queue_rules_in_the_page(filled):
    app, context = filled
    client = sign_in(app, "manager")
    response = client.post("/queue/rules", data={"one_in": "10", "amount_min": "1000", "amount_max": "",
                                                 "guarantees": ["incendie", "vol_vandalisme"],
                                                 "sirens": "732829320", "csrf_token": client.csrf})
    assert response.status_code == 303
    assert context.workbench.queue_rules() == QueueRules(10, D("1000"), None, ("incendie", "vol_vandalisme"),
                                                         ("732829320",))
    bad = client.post("/queue/rules", data={"one_in": "-1", "csrf_token": client.csrf})
    assert bad.status_code == 422 and "E_INVALID_DOSSIER" in bad.text
