"""The reviewers' actions on a dossier, for the HTML pages and the JSON API alike.

Each action names the permission it needs (``store.accounts.ROLE_PERMISSIONS``) and calls the
function the CLI's ``quote-review dossier ...`` command calls (``workflow.DossierService``, the
queue's ``store.workbench.Workbench``): no rule is written here.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from core.errors import InvalidDossierError, QuoteReviewError
from store.accounts import User
from store.workbench import QueueRules
from web.services import WebContext


class ForbiddenError(QuoteReviewError):
    """The signed-in user's role does not allow this action."""

    code = "E_FORBIDDEN"


@dataclass(frozen=True)
class Action:
    name: str
    permission: str
    run: Callable[[WebContext, str, User, dict], object]
    label: str


def money(text, what: str) -> Decimal:
    try:
        value = Decimal(str(text).replace("\u202f", "").replace(" ", "").replace(",", ".").replace("€", ""))
    except InvalidOperation:
        raise InvalidDossierError(f"{what} must be an amount in euros, got {text!r}") from None
    if not value.is_finite():
        raise InvalidDossierError(f"{what} must be an amount in euros, got {text!r}")
    return value


def _line_index(data: dict) -> int:
    try:
        number = int(str(data.get("line", "")).strip())
    except ValueError:
        raise InvalidDossierError("the line number is mandatory (1 = first line)") from None
    if number < 1:
        raise InvalidDossierError("line numbers start at 1")
    return number - 1


def _text(data: dict, key: str) -> str:
    return str(data.get(key) or "").strip()


def _override(context: WebContext, ref: str, user: User, data: dict):
    amount = _text(data, "amount")
    return context.dossiers.override(ref, _line_index(data), by=user.name, reason=_text(data, "reason"),
                                  amount=money(amount, "the revised amount") if amount else None)


ACTIONS: dict[str, Action] = {action.name: action for action in (
    Action("override", "override", _override, "Corriger une ligne"),
    Action("propose_ren", "propose_ren",
           lambda c, ref, u, d: c.dossiers.propose_ren(ref, by=u.name, reason=_text(d, "reason")), "Proposer la REN"),
    Action("close", "close",
           lambda c, ref, u, d: c.dossiers.close_dossier(ref, _text(d, "motive"), by=u.name, reason=_text(d, "reason") or None),
           "Clore"),
    Action("reopen", "reopen",
           lambda c, ref, u, d: c.dossiers.reopen(ref, by=u.name, reason=_text(d, "reason")), "Rouvrir"),
    Action("request_quote", "request_quote",
           lambda c, ref, u, d: c.workbench.request_new_quote(ref, _text(d, "why"), by=u.name,
                                                              reason=_text(d, "reason") or None),
           "Demander un nouveau devis"),
    Action("second_look", "second_look",
           lambda c, ref, u, d: c.workbench.second_look(ref, by=u.name, reason=_text(d, "reason") or None),
           "Confirmer la clôture du robot"),
    Action("assign", "assign",
           lambda c, ref, u, d: c.workbench.assign(ref, _text(d, "assignee"), by=u.name), "Attribuer"),
    Action("approve", "approve",
           lambda c, ref, u, d: c.dossiers.approve_payment(ref, by=u.name), "Approuver le paiement"),
)}


def perform(context: WebContext, user: User, ref: str, name: str, data: dict):
    """Run action ``name`` on dossier ``ref`` as ``user``; ``ForbiddenError`` when the role does not allow it."""
    action = ACTIONS.get(name)
    if action is None:
        raise InvalidDossierError(f"unknown action {name!r}; one of: {', '.join(ACTIONS)}")
    require(user, action.permission)
    context.store.get_dossier(ref)
    return action.run(context, ref, user, data)


def require(user: User, permission: str) -> None:
    if not user.may(permission):
        raise ForbiddenError(f"the role {user.role} may not {permission.replace('_', ' ')}")


def queue_rules_from(data: dict) -> QueueRules:
    def amount(key):
        text = _text(data, key)
        return money(text, key) if text else None

    def listed(key):
        value = data.get(key) or []
        items = value if isinstance(value, list) else str(value).replace(",", " ").split()
        return tuple(str(item).strip() for item in items if str(item).strip())

    try:
        one_in = int(_text(data, "one_in") or 0)
    except ValueError:
        raise InvalidDossierError("1 in N: N is a whole number") from None
    return QueueRules(one_in, amount("amount_min"), amount("amount_max"), listed("guarantees"), listed("sirens"))
