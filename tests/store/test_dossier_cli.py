import json
from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner

from cli.dossier import dossier_app
from core.models import Document, MediaType
from core.review import LineReview, Review
from store import open_store
from workflow import DossierService

D = Decimal
runner = CliRunner()


def invoke(db, *args):
    return runner.invoke(dossier_app, [*args, "--db", db], env={"COLUMNS": "250"})


def shown_table(db):
    return invoke(db, "show", "SIN-1").output


def test_dossier_commands_end_to_end(tmp_path):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    created = invoke(db, "create", "SIN-1", "--claim-date", "2025-03-01", "--deductible", "150,00",
                     "--guarantee", "degats_des_eaux", "--phone", "000000000", "--postcode", "69003")
    assert created.exit_code == 0, created.output
    bad = invoke(db, "create", "SIN-2", "--claim-date", "2999-01-01", "--deductible", "-5", "--guarantee", "x",
                 "--phone", "1")
    assert bad.exit_code == 3 and "E_INVALID_DOSSIER" in bad.output and "in the future" in bad.output
    store = open_store(db)
    store.add_document("SIN-1", Document("d", "a" * 64, MediaType.PDF, Path("/x.pdf"), "x.pdf", 10, 1))
    line = LineReview(0, "Peinture murs", D("1500"), D("1000"), D("0.1"), grid_item="pei_murs", quantity=D("20"),
                      unit="m2", reference_total_ht=D("1000"))
    DossierService(store).record_review("SIN-1", Review("SIN-1", "d", "g1", "ren_proposed", D("1650"), D("1100"), D("550"), D("150"),
                                        None, [line], []), 1)
    shown = invoke(db, "show", "SIN-1", "--format", "json")
    assert json.loads(shown.output)["review"]["status"] == "ren_proposed"
    assert invoke(db, "list", "--status", "ren_proposed").output.count("SIN-1") == 1
    assert "1 │ Peinture murs" in shown_table(db)  # lines are numbered from 1, as in the review
    too_much = invoke(db, "override", "SIN-1", "--line", "1", "--amount", "1600", "--by", "alice", "--reason", "x")
    assert too_much.exit_code == 3 and "cannot exceed the quoted 1500.00 HT" in too_much.output
    assert invoke(db, "override", "SIN-1", "--line", "2", "--amount", "1", "--by", "alice", "--reason", "x").exit_code == 3
    assert invoke(db, "override", "SIN-1", "--line", "1", "--amount", "1200", "--by", "alice",
                  "--reason", "métré vérifié").exit_code == 0
    closed = invoke(db, "close", "SIN-1", "--motive", "Clos - Montant indemnisation révisé", "--by", "alice")
    assert closed.exit_code == 0 and "indemnity 1170.00" in closed.output  # 1200 * 1.1 - 150
    locked = invoke(db, "override", "SIN-1", "--line", "1", "--amount", "1", "--by", "bob", "--reason", "x")
    assert locked.exit_code == 3 and "E_STATE" in locked.output
    assert invoke(db, "approve", "SIN-1", "--by", "bob").exit_code == 3  # bob is not an approver
    assert invoke(db, "set-approver", "lea", "--level", "team_lead", "--by", "admin").exit_code == 0
    approved = invoke(db, "approve", "SIN-1", "--by", "lea")
    assert approved.exit_code == 0 and "1170.00 € approved by lea" in approved.output
    assert invoke(db, "reopen", "SIN-1", "--by", "bob", "--reason", "nouvelle pièce").exit_code == 0
    offered = invoke(db, "propose-ren", "SIN-1", "--by", "bob", "--reason", "artisan du réseau disponible")
    assert offered.exit_code == 0 and "REN offered for 1320.00 TTC of work (quote 1650.00)" in offered.output
    assert any(e.type == "ren_offer.requested" and e.payload["offer"]["work_ttc"] == 1320.0
               for e in open_store(db).events("SIN-1"))
    assert invoke(db, "propose-ren", "SIN-1", "--by", "bob", "--reason", "encore").exit_code == 3  # already offered
    history = invoke(db, "history", "SIN-1").output
    for action in ("create", "decide", "override", "close", "approve_payment", "reopen", "propose_ren"):
        assert action in history
