"""The audit hash chain: every tampering (change, insert, delete) is named by ``audit verify``."""
import datetime as dt
import threading
from decimal import Decimal

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from cli.audit import audit_app
from core.errors import ExitCode
from core.models import Dossier
from store import open_store
from store.audit_chain import GENESIS_HASH, canonical_entry, entry_hash, verify_store
from store.models import AuditRow
from store.repository import MIGRATIONS_DIR

TODAY = dt.date(2025, 6, 1)


def dossier(ref, deductible="150"):
    return Dossier(ref, dt.date(2025, 3, 1), Decimal(deductible), "degats_des_eaux", "0612345678", "a@b.fr", "69003")


@pytest.fixture
def store(db_url):
    opened = open_store(db_url)
    for number in range(1, 6):  # five entries: create D-1..D-3, update D-1 twice
        if number <= 3:
            opened.create_dossier(dossier(f"D-{number}"), by=f"user{number}", today=TODAY)
        else:
            opened.upsert_dossier(dossier("D-1", deductible=str(100 + number)), by="alice", today=TODAY)
    yield opened
    opened.close()


def rows(store):
    with store.transaction() as session:
        return session.scalars(select(AuditRow).order_by(AuditRow.chain_seq)).all()


def sql(store, statement, **params):
    with store.engine.begin() as connection:
        connection.execute(text(statement), params)


def test_an_untouched_chain_verifies_and_links_each_entry_to_the_previous(store):
    report = verify_store(store)
    assert report.intact and report.entries == 5 and report.head_seq == 5
    chain = rows(store)
    assert [row.chain_seq for row in chain] == [1, 2, 3, 4, 5]
    assert chain[0].prev_hash == GENESIS_HASH
    assert all(later.prev_hash == earlier.entry_hash for earlier, later in zip(chain, chain[1:]))
    assert report.head_hash == chain[-1].entry_hash


def test_a_changed_entry_is_named(store):
    target = rows(store)[2]
    sql(store, "UPDATE audit SET actor = 'mallory' WHERE id = :id", id=target.id)
    problem = verify_store(store).problem
    assert (problem.kind, problem.seq, problem.audit_id) == ("changed", 3, target.id)


def test_a_changed_json_value_is_named(store):
    target = rows(store)[4]
    sql(store, "UPDATE audit SET reason = 'backdated' WHERE id = :id", id=target.id)
    problem = verify_store(store).problem
    assert (problem.kind, problem.seq, problem.audit_id) == ("changed", 5, target.id)


def test_an_entry_rewritten_with_a_recomputed_hash_is_named_by_the_next_one(store):
    chain = rows(store)
    target = chain[1]
    forged = entry_hash(target.prev_hash, canonical_entry(2, target.dossier_ref, target.at, "mallory", target.action,
                                                          target.reason, target.before, target.after))
    sql(store, "UPDATE audit SET actor = 'mallory', entry_hash = :h WHERE id = :id", h=forged, id=target.id)
    problem = verify_store(store).problem
    assert (problem.kind, problem.seq, problem.audit_id) == ("changed", 2, target.id)


@pytest.mark.parametrize("position, seq", [(1, 2), (4, 5)])
def test_a_deleted_entry_is_named(store, position, seq):
    target = rows(store)[position]
    sql(store, "DELETE FROM audit WHERE id = :id", id=target.id)
    problem = verify_store(store).problem
    assert (problem.kind, problem.seq) == ("deleted", seq)
    assert f"entry {seq} deleted" in problem.message


def _insert(store, seq, prev_hash, actor="mallory"):
    at = dt.datetime(2025, 6, 1, 12, tzinfo=dt.timezone.utc)
    digest = entry_hash(prev_hash, canonical_entry(seq, "D-2", at, actor, "close", None, None, None))
    with store.transaction() as session:
        session.add(AuditRow(dossier_ref="D-2", at=at, actor=actor, action="close", reason=None, before=None,
                             after=None, chain_seq=seq, prev_hash=prev_hash, entry_hash=digest))
        session.flush()
        return session.scalar(select(AuditRow.id).where(AuditRow.chain_seq == seq))


def test_an_entry_appended_outside_quote_review_is_named(store):
    _insert(store, 6, rows(store)[-1].entry_hash)  # a perfect hash, but the head row did not move
    problem = verify_store(store).problem
    assert (problem.kind, problem.seq) == ("inserted", 6)


def test_an_entry_slipped_into_the_middle_is_named(store):
    chain = rows(store)
    # Renumber entries 3.. to make room (two steps: the unique place stays unique on every row).
    sql(store, "UPDATE audit SET chain_seq = chain_seq + 1000 WHERE chain_seq >= 3")
    sql(store, "UPDATE audit SET chain_seq = chain_seq - 999 WHERE chain_seq >= 1000")
    inserted_id = _insert(store, 3, chain[1].entry_hash)
    problem = verify_store(store).problem
    assert (problem.kind, problem.seq, problem.audit_id) == ("inserted", 3, inserted_id)


def test_two_writers_never_fork_the_chain(db_url):
    stores = {name: open_store(db_url) for name in ("A", "B")}  # Alembic's upgrade is not thread-safe
    errors = []

    def writer(name):
        own = stores[name]
        try:
            for number in range(8):
                for attempt in range(50):
                    try:
                        own.create_dossier(dossier(f"{name}-{number}"), by=name, today=TODAY)
                        break
                    except OperationalError as error:  # SQLite: "database is locked"; the write is retried
                        if "locked" not in str(error):
                            raise
                else:
                    errors.append(f"{name}-{number} never written")
        except Exception as error:  # noqa: BLE001 - reported by the main thread
            errors.append(repr(error))
        finally:
            own.close()

    threads = [threading.Thread(target=writer, args=(name,)) for name in ("A", "B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    store = open_store(db_url)
    report = verify_store(store)
    assert report.intact and report.entries == 16
    store.close()


def test_the_migration_chains_the_entries_written_before_it(db_url):
    engine = create_engine(db_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
    with engine.begin() as connection:
        for number in range(3):
            connection.execute(text(
                "INSERT INTO audit (dossier_ref, at, actor, action, reason, before, after) "
                "VALUES (:ref, :at, 'old', 'create', NULL, NULL, :after)"),
                {"ref": f"OLD-{number}", "at": dt.datetime(2025, 1, 1, 8, number, 0, 123456),
                 "after": '{"é": [1, 2.5, null], "b": "x"}'})
    engine.dispose()
    store = open_store(db_url)  # upgrades to head
    assert verify_store(store).intact and verify_store(store).entries == 3
    store.create_dossier(dossier("NEW-1"), today=TODAY)
    report = verify_store(store)
    assert report.intact and report.entries == 4
    store.close()


def test_audit_verify_on_the_command_line(store):
    runner = CliRunner()
    ok = runner.invoke(audit_app, ["verify", "--db", str(store.engine.url.render_as_string(hide_password=False))])
    assert ok.exit_code == 0 and "audit chain intact: 5 entries" in ok.output
    target = rows(store)[0]
    sql(store, "DELETE FROM audit WHERE id = :id", id=target.id)
    broken = runner.invoke(audit_app, ["verify", "--db", str(store.engine.url.render_as_string(hide_password=False))])
    assert broken.exit_code == ExitCode.AUDIT_CHAIN == 5
    assert "E_AUDIT_CHAIN" in broken.output and "entry 1 deleted" in broken.output
