"""The review stages composed without Prefect: what flows wrap, usable on their own."""
import datetime as dt
from decimal import Decimal
from pathlib import Path

from core.models import Dossier
from pipeline.review import ReviewServices, review_file

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_review_file_runs_every_stage_and_turns_bad_input_into_an_outcome(tmp_path):
    services = ReviewServices.open(f"sqlite:///{tmp_path / 'qr.db'}", home=tmp_path / "var")
    dossier = Dossier("PLAIN-1", dt.date(2025, 6, 17), Decimal("150"), "degats_des_eaux", postcode="17000")
    try:
        good = review_file(services, EXAMPLES / "devis-plombier-juste.pdf", dossier)
        empty = tmp_path / "vide.pdf"
        empty.write_bytes(b"")
        bad = review_file(services, empty, Dossier("PLAIN-2", dt.date(2025, 6, 17), Decimal("0"), "incendie"))
        assert good.error is None and good.review.quoted_ttc == Decimal("1482.83")
        assert services.store.latest_review("PLAIN-1").status == good.review.status
        assert bad.review is None and bad.error.code == "E_EMPTY" and bad.error.path == str(empty)
    finally:
        services.close()


def test_home_alone_places_the_database_and_the_originals(tmp_path):
    services = ReviewServices.open(home=tmp_path / "home")
    try:
        assert services.store.url == f"sqlite:///{tmp_path / 'home' / 'quote-review.db'}"
        assert services.originals_dir == tmp_path / "home" / "originals"
    finally:
        services.close()


def test_one_runner_turns_a_stage_error_into_the_outcome_and_skips_the_later_stages(tmp_path):
    from core.errors import CorruptFileError
    from pipeline.review import DocumentJob, Stage, run_stages

    ran = []

    def broken(services, job):
        ran.append("broken")
        raise CorruptFileError("damaged")

    stages = [Stage("broken", broken), Stage("after", lambda services, job: ran.append("after"))]
    dossier = Dossier("PLAIN-3", dt.date(2025, 6, 17), Decimal("0"), "incendie")
    outcome = run_stages(None, DocumentJob.new(tmp_path / "x.pdf", dossier), stages)
    assert ran == ["broken"]
    assert type(outcome.error) is CorruptFileError and outcome.error.path == str(tmp_path / "x.pdf")


def test_the_prefect_tasks_are_the_stages_of_the_plain_runner():
    from flows.review import STAGE_TASKS
    from pipeline.review import STAGES

    assert [t.name for t in STAGE_TASKS] == [stage.name for stage in STAGES]
