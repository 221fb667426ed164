"""``quote-review audit verify``: recompute the audit hash chain (``store/audit_chain.py``)."""
from __future__ import annotations

import typer

from cli.dossier import DbOption, _fail, _store, console
from core.errors import AuditChainError, QuoteReviewError
from store.audit_chain import verify_store

audit_app = typer.Typer(help="The audit trail's hash chain.", no_args_is_help=True)


@audit_app.callback()
def _group() -> None:
    """The audit trail's hash chain (a group, so that ``verify`` stays a sub-command)."""


@audit_app.command()
def verify(db: DbOption = None) -> None:
    """Recompute every audit entry's hash in order; name the first entry changed, inserted or deleted
    (exit code 5, E_AUDIT_CHAIN)."""
    try:
        report = verify_store(_store(db))
        if report.problem is not None:
            raise AuditChainError(report.problem.message)
    except QuoteReviewError as error:
        _fail(error)
    console.print(f"audit chain intact: {report.entries} entries, head {report.head_hash}", highlight=False)
