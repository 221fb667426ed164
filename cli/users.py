"""``quote-review user add|list|disable|unlock``: the accounts of the web app (``quote-review web``)."""
from __future__ import annotations

import os
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from core.errors import QuoteReviewError
from store import default_db_url, open_store
from store.accounts import ROLES, Accounts

user_app = typer.Typer(help="Users of the web app: add, list, disable, unlock.", no_args_is_help=True)
DbOption = Annotated[Optional[str], typer.Option("--db", help="Database URL (default $QUOTE_REVIEW_DB or sqlite:///var/quote-review.db)")]
# Only for scripts and tests: the password is otherwise asked twice, never echoed.
PASSWORD_ENV = "QUOTE_REVIEW_NEW_PASSWORD"


def _accounts(db: str | None) -> Accounts:
    return Accounts(open_store(db or default_db_url()))


def _fail(error: QuoteReviewError) -> None:
    Console(stderr=True).print(f"[red]error[/red] {error.code}: {error.message}", highlight=False)
    raise typer.Exit(3)


@user_app.command()
def add(
    name: Annotated[str, typer.Argument(help="Sign-in name")],
    role: Annotated[str, typer.Option("--role", help="One of: " + ", ".join(ROLES))],
    by: Annotated[str, typer.Option("--by", help="Who creates it (audit trail)")] = "cli",
    db: DbOption = None,
) -> None:
    """Create a user; the password is asked twice (argon2id hash stored, never the password)."""
    password = os.environ.get(PASSWORD_ENV) or typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = _accounts(db).add_user(name, role, password, by=by)
    except QuoteReviewError as error:
        _fail(error)
    Console().print(f"user {user.name} added ({user.role})")


@user_app.command("list")
def list_(db: DbOption = None) -> None:
    """Every user with their role and whether they may sign in."""
    table = Table("user", "role", "active", "locked until (UTC)")
    for user in _accounts(db).users():
        table.add_row(user.name, user.role, "yes" if user.active else "no",
                      user.locked_until.strftime("%Y-%m-%d %H:%M") if user.locked_until else "")
    Console().print(table)


@user_app.command()
def disable(name: str, by: Annotated[str, typer.Option("--by")] = "cli", db: DbOption = None) -> None:
    """The user can no longer sign in; their open sessions end now."""
    try:
        _accounts(db).disable_user(name, by=by)
    except QuoteReviewError as error:
        _fail(error)
    Console().print(f"user {name} disabled")


@user_app.command()
def unlock(name: str, by: Annotated[str, typer.Option("--by")] = "cli", db: DbOption = None) -> None:
    """Lift a lock-out after repeated failed sign-ins."""
    try:
        _accounts(db).unlock_user(name, by=by)
    except QuoteReviewError as error:
        _fail(error)
    Console().print(f"user {name} unlocked")
