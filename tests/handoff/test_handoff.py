import datetime as dt
import json
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import StateError
from core.models import Document, Dossier, MediaType
from core.review import LineReview, Review
from core.settings import Settings
from handoff import DeliveryError, FolderSink, WebhookSink, build_events, deliver_pending, event_id
from handoff.events import event_schema
from store import open_store
from workflow import DossierService

D = Decimal
TODAY = dt.date(2025, 6, 1)
DOSSIER = Dossier("D-9", dt.date(2025, 3, 1), D("150"), "degats_des_eaux", "0612345678", "a@b.fr", "69003")


def review(status, indemnity=None, quoted="1100", revised="800", motive=None, decided_by="robot"):
    line = LineReview(0, "Peinture", D("1000"), (D(revised) / D("1.1")).quantize(D("0.01")), D("0.1"), grid_item="pei",
                      quantity=D("10"), unit="m2", reference_total_ht=D("727.27"))
    return Review("D-9", "d", "g1", status, D(quoted), D(revised), D(quoted) - D(revised), D("150"),
                  None if indemnity is None else D(indemnity), [line], [], decided_by, motive)


@pytest.fixture
def store(tmp_path):
    opened = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    opened.create_dossier(DOSSIER, today=TODAY)
    opened.add_document("D-9", Document("d", "a" * 64, MediaType.PDF, Path("/x.pdf"), "x.pdf", 10, 1))
    yield opened
    opened.close()


@pytest.mark.parametrize("status, indemnity, motive, types", [
    ("ren_proposed", None, None, ["ren_offer.requested"]),
    ("auto_validated", "950", None, ["payment.requested", "dossier.closed"]),
    ("accepted_under_200", "2950", "Clos - Eco. moins de 200 euros", ["payment.requested", "dossier.closed"]),
    ("closed", "0", "Clos - REN", ["dossier.closed"]),
    ("to_review", None, None, []),
    ("out_of_scope", None, "Hors périmètre", ["dossier.closed"]),
])
def test_events_follow_the_decision_and_match_their_schemas(status, indemnity, motive, types):
    events = build_events(review(status, indemnity, motive=motive), DOSSIER, 1, Settings())
    assert [e.type for e in events] == types
    for event in events:
        jsonschema.validate(event.payload, event_schema(event.type))
        assert event.payload["id"] == event.id == event_id("D-9", 1, event.type)


def test_payment_approval_level_by_amount():
    levels = {}
    for amount in ("1000.00", "1000.01", "3000.00", "3000.01"):
        [payment, _] = build_events(review("auto_validated", amount), DOSSIER, 1, Settings())
        levels[amount] = (payment.payload["payment"]["approval"]["level"], payment.releasable)
    assert levels == {"1000.00": ("auto", True), "1000.01": ("team_lead", False),
                      "3000.00": ("team_lead", False), "3000.01": ("manager", False)}


@given(ref=st.text(min_size=1, max_size=20), version=st.integers(1, 50), cycle=st.integers(0, 5))
def test_event_ids_are_deterministic_and_distinct_per_type(ref, version, cycle):
    ids = [event_id(ref, version, kind, cycle) for kind in ("ren_offer.requested", "payment.requested", "dossier.closed")]
    assert ids == [event_id(ref, version, kind, cycle) for kind in ("ren_offer.requested", "payment.requested", "dossier.closed")]
    assert len(set(ids)) == 3
    assert event_id(ref, version, "dossier.closed", cycle) != event_id(ref, version + 1, "dossier.closed", cycle)


def test_folder_delivery_is_exactly_once_across_reruns(store, tmp_path):
    outbox = tmp_path / "outbox"
    DossierService(store).record_review("D-9", review("auto_validated", "950"), 1)
    DossierService(store).record_review("D-9", review("auto_validated", "950"), 1)  # the flow re-runs
    sink = FolderSink(outbox)
    first = deliver_pending(store, [sink])
    assert len(first.delivered) == 2 and first.ok
    assert deliver_pending(store, [sink]).delivered == []  # the task retried
    files = sorted(p.relative_to(outbox).as_posix() for p in outbox.rglob("*.json"))
    assert files == sorted([f"payment.requested/{event_id('D-9', 1, 'payment.requested')}.json",
                            f"dossier.closed/{event_id('D-9', 1, 'dossier.closed')}.json"])
    payment = json.loads((outbox / "payment.requested" / f"{event_id('D-9', 1, 'payment.requested')}.json").read_text())
    assert payment["payment"]["amount"] == 950.0


def test_folder_sink_rewrite_is_idempotent(tmp_path):
    [event] = build_events(review("ren_proposed"), DOSSIER, 1, Settings())
    sink = FolderSink(tmp_path)
    sink.send(event)
    sink.send(event)
    assert [p.name for p in (tmp_path / "ren_offer.requested").iterdir()] == [f"{event.id}.json"]


class _Receiver(BaseHTTPRequestHandler):
    failures_left = 0
    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if type(self).failures_left > 0:
            type(self).failures_left -= 1
            self.send_response(503)
            self.end_headers()
            return
        type(self).received.append((self.headers["Idempotency-Key"], json.loads(body)))
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    _Receiver.failures_left = 0
    _Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/events", _Receiver
    server.shutdown()
    server.server_close()


def test_webhook_retries_a_failing_endpoint_until_it_succeeds(receiver):
    url, handler = receiver
    handler.failures_left = 2
    waits = []
    sink = WebhookSink(url, attempts=4, backoff_seconds=0.5, sleep=waits.append)
    [event] = build_events(review("ren_proposed"), DOSSIER, 1, Settings())
    sink.send(event)
    assert waits == [0.5, 1.0]
    assert [key for key, _ in handler.received] == [event.id]
    assert handler.received[0][1]["offer"]["work_ttc"] == 800.0


def test_webhook_gives_up_and_the_next_run_delivers(store, receiver):
    url, handler = receiver
    handler.failures_left = 3
    DossierService(store).record_review("D-9", review("ren_proposed"), 1)
    sink = WebhookSink(url, attempts=2, sleep=lambda _: None)
    failed = deliver_pending(store, [sink, FolderSink(Path(store.url.removeprefix("sqlite:///")).parent / "out")])
    assert len(failed.failed) == 1 and len(failed.delivered) == 1  # the folder got it, the webhook did not
    retried = deliver_pending(store, [sink, FolderSink(Path(store.url.removeprefix("sqlite:///")).parent / "out")])
    assert retried.delivered == [(event_id("D-9", 1, "ren_offer.requested"), "webhook")]
    assert len(handler.received) == 1
    assert store.delivery_attempts(event_id("D-9", 1, "ren_offer.requested"), "webhook") == 2
    assert deliver_pending(store, [sink]).delivered == []


def test_webhook_does_not_retry_a_refusal():
    [event] = build_events(review("ren_proposed"), DOSSIER, 1, Settings())

    class Refusing(_Receiver):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(422)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        waits = []
        sink = WebhookSink(f"http://127.0.0.1:{server.server_address[1]}/", attempts=3, sleep=waits.append)
        with pytest.raises(DeliveryError, match="HTTP 422"):
            sink.send(event)
        assert waits == []
    finally:
        server.shutdown()
        server.server_close()


def test_payment_waits_for_an_approver_or_a_delegate(store, tmp_path):
    DossierService(store).record_review("D-9", review("auto_validated", "2500"), 1)
    sink = FolderSink(tmp_path / "out")
    assert [t for t, _ in deliver_pending(store, [sink]).delivered] == [event_id("D-9", 1, "dossier.closed")]
    store.set_approver("lea", "team_lead", by="admin")
    store.set_approver("max", "manager", by="admin")
    with pytest.raises(StateError, match="may not approve"):
        DossierService(store).approve_payment("D-9", by="tom", today=TODAY)
    store.delegate("lea", "tom", dt.date(2025, 5, 1), dt.date(2025, 5, 31), by="lea")
    with pytest.raises(StateError, match="may not approve"):
        DossierService(store).approve_payment("D-9", by="tom", today=TODAY)  # the delegation has ended
    store.delegate("lea", "tom", dt.date(2025, 6, 1), dt.date(2025, 6, 15), by="lea")
    approved = DossierService(store).approve_payment("D-9", by="tom", today=TODAY)
    approval = approved.payload["payment"]["approval"]
    assert (approval["status"], approval["approved_by"], approval["on_behalf_of"]) == ("approved", "tom", "lea")
    jsonschema.validate(approved.payload, event_schema("payment.requested"))
    assert [t for t, _ in deliver_pending(store, [sink]).delivered] == [event_id("D-9", 1, "payment.requested")]
    with pytest.raises(StateError, match="no payment waiting"):
        DossierService(store).approve_payment("D-9", by="max", today=TODAY)
    assert store.history("D-9")[-1].action == "approve_payment"


def test_a_team_lead_cannot_approve_a_manager_payment(store):
    DossierService(store).record_review("D-9", review("auto_validated", "5000", quoted="6000", revised="6000"), 1)
    store.set_approver("lea", "team_lead", by="admin")
    with pytest.raises(StateError, match="needs a manager"):
        DossierService(store).approve_payment("D-9", by="lea", today=TODAY)
