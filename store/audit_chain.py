"""An audit trail that cannot be quietly changed: every entry carries the hash of the one before.

Each audit row gets a place in one chain (``chain_seq`` 1, 2, 3 …), the previous entry's hash
(``prev_hash``, 64 zeros for the first) and its own hash (``entry_hash``): SHA-256 over the canonical
JSON of the entry (its sequence number, dossier, time, actor, action, reason, before, after) and the
previous hash. The chain's head (last number, last hash) is one row of ``audit_chain_head``; taking a
place in the chain is an ``UPDATE … RETURNING`` of that row, so two writers are serialised by the row
lock (PostgreSQL) or the database's write lock (SQLite) and the chain never forks. The entry and the
head move in the same transaction as the change they record.

``verify_chain`` recomputes every hash in chain order and names the first entry that was changed,
inserted or deleted. What it cannot see: someone who rewrites every later hash *and* the head row
with the same public recipe — keep the head hash ``audit verify`` prints somewhere else (a ticket, a
log) to anchor it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from store.models import AuditChainHeadRow, AuditRow

if TYPE_CHECKING:
    from store.repository import Store

GENESIS_HASH = "0" * 64
HEAD_ROW_ID = 1


def canonical_entry(seq: int, dossier_ref: str, at: dt.datetime, actor: str, action: str, reason: str | None,
                    before: dict | None, after: dict | None) -> bytes:
    """The bytes hashed for one entry: sorted keys, no spaces, UTF-8, the time in UTC to the microsecond."""
    entry = {
        "seq": seq, "dossier_ref": dossier_ref,
        "at": at.astimezone(dt.timezone.utc).isoformat(timespec="microseconds"),
        "actor": actor, "action": action, "reason": reason, "before": before, "after": after,
    }
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def entry_hash(prev_hash: str, canonical: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + canonical).hexdigest()


def _json_value(value: dict | None) -> dict | None:
    """The value as the JSON column gives it back (tuples become lists, …), so the hash matches on reading."""
    return None if value is None else json.loads(json.dumps(value, ensure_ascii=False, allow_nan=False))


def append_entry(session: Session, *, dossier_ref: str, at: dt.datetime, actor: str, action: str,
                 reason: str | None = None, before: dict | None = None, after: dict | None = None) -> AuditRow:
    """Add one audit row at the end of the chain, in the caller's transaction."""
    head = cast(Table, AuditChainHeadRow.__table__)
    seq, prev_hash = session.execute(
        update(head).where(head.c.id == HEAD_ROW_ID).values(last_seq=head.c.last_seq + 1)
        .returning(head.c.last_seq, head.c.last_hash)
    ).one()
    before, after = _json_value(before), _json_value(after)
    digest = entry_hash(prev_hash, canonical_entry(seq, dossier_ref, at, actor, action, reason, before, after))
    row = AuditRow(dossier_ref=dossier_ref, at=at, actor=actor, action=action, reason=reason, before=before,
                   after=after, chain_seq=seq, prev_hash=prev_hash, entry_hash=digest)
    session.add(row)
    session.execute(update(head).where(head.c.id == HEAD_ROW_ID).values(last_hash=digest))
    return row


@dataclass(frozen=True)
class ChainProblem:
    kind: str  # changed | inserted | deleted
    seq: int  # the place in the chain where it shows
    audit_id: int | None  # the row at fault (changed, inserted) or the first row after the gap (deleted)
    message: str


@dataclass(frozen=True)
class ChainReport:
    entries: int
    head_seq: int
    head_hash: str
    problem: ChainProblem | None

    @property
    def intact(self) -> bool:
        return self.problem is None


def verify_store(store: "Store") -> ChainReport:
    """``verify_chain`` in one read transaction of ``store``."""
    with store.transaction() as session:
        return verify_chain(session)


def verify_chain(session: Session) -> ChainReport:
    """Recompute the chain in order; the first entry changed, inserted or deleted, if any."""
    head = session.get(AuditChainHeadRow, HEAD_ROW_ID)
    head_seq, head_hash = (head.last_seq, head.last_hash) if head is not None else (0, GENESIS_HASH)
    rows = session.scalars(select(AuditRow).order_by(AuditRow.chain_seq, AuditRow.id))
    expected_seq, prev_hash, count = 1, GENESIS_HASH, 0

    def report(problem: ChainProblem | None) -> ChainReport:
        return ChainReport(count, head_seq, head_hash, problem)

    seen: dict[str, tuple[int, int]] = {GENESIS_HASH: (0, 0)}  # hash -> (place, audit id)
    for row in rows:
        count += 1
        problem = _row_problem(row, expected_seq, prev_hash, seen)
        if problem is not None:
            return report(problem)
        seen[row.entry_hash] = (row.chain_seq, row.id)
        prev_hash, expected_seq = row.entry_hash, expected_seq + 1
    last_seq = expected_seq - 1
    if last_seq < head_seq:
        missing = f"entry {head_seq}" if head_seq == last_seq + 1 else f"entries {last_seq + 1} to {head_seq}"
        return report(ChainProblem("deleted", last_seq + 1, None, f"audit {missing} deleted (the end of the chain)"))
    if last_seq > head_seq:
        return report(ChainProblem("inserted", head_seq + 1, None,
                                   f"the chain runs past its head (entry {head_seq}): entries {head_seq + 1} to "
                                   f"{last_seq} were added outside quote-review"))
    if prev_hash != head_hash:
        return report(ChainProblem("changed", last_seq, None,
                                   f"audit entry {last_seq} does not give the hash the chain's head recorded: "
                                   "it was rewritten"))
    return report(None)


def _row_problem(row: AuditRow, expected_seq: int, prev_hash: str,
                 seen: dict[str, tuple[int, int]]) -> ChainProblem | None:
    """What is wrong with ``row`` at ``expected_seq``, the chain before it being sound (``seen``: its hashes)."""
    if row.chain_seq is None or row.entry_hash is None or row.chain_seq < expected_seq:
        return ChainProblem("inserted", expected_seq - 1, row.id,
                            f"audit entry id {row.id} ({row.action} on {row.dossier_ref}) was inserted: it takes "
                            f"place {row.chain_seq} of the chain, which entry {expected_seq - 1} already holds")
    if row.chain_seq > expected_seq:
        missing = (f"entry {expected_seq}" if row.chain_seq == expected_seq + 1
                   else f"entries {expected_seq} to {row.chain_seq - 1}")
        return ChainProblem("deleted", expected_seq, row.id, f"audit {missing} deleted (just before audit id {row.id})")
    if row.prev_hash != prev_hash:
        if row.prev_hash in seen and seen[row.prev_hash][0] < row.chain_seq - 1:
            # It links to an older entry: those after that one were slipped in (and the rest renumbered).
            first_seq = seen[row.prev_hash][0] + 1
            first_id = next(ident for place, ident in seen.values() if place == first_seq)
            return ChainProblem("inserted", first_seq, first_id,
                                f"audit entry {first_seq} (id {first_id}) was inserted: entry {row.chain_seq} "
                                f"(id {row.id}) was chained to entry {first_seq - 1}")
        previous_id = seen[prev_hash][1]
        return ChainProblem("changed", row.chain_seq - 1, previous_id,
                            f"audit entry {row.chain_seq - 1} (id {previous_id}) was rewritten, or an entry after it "
                            f"deleted: entry {row.chain_seq} (id {row.id}) was chained to another hash")
    computed = entry_hash(row.prev_hash, canonical_entry(row.chain_seq, row.dossier_ref, row.at, row.actor,
                                                         row.action, row.reason, row.before, row.after))
    if computed != row.entry_hash:
        return ChainProblem("changed", row.chain_seq, row.id,
                            f"audit entry {row.chain_seq} (id {row.id}, {row.action} on {row.dossier_ref}) was "
                            "changed: its content no longer gives its hash")
    return None
