"""Users of the web app, their roles, passwords, lock-out and server-side sessions.

    accounts = Accounts(store)
    accounts.add_user("alice", "reviewer", password, by="admin")
    user = accounts.authenticate("alice", password)          # LoginError when refused
    token, csrf = accounts.open_session(user.name)           # the cookie carries ``token``
    session = accounts.session(token)                        # None when unknown, idle or ended

What a role may do is one table here (``ROLE_PERMISSIONS``), checked by the web layer on the
server for every request, and by later modules (payments) that need the same roles.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select

from core.errors import QuoteReviewError
from store.models import UserRow, WebSessionRow
from store.repository import Store, _audit

ROLES = ("reviewer", "manager", "approver", "admin")

# What each role may do. A manager does what a reviewer does, plus reopening, assigning and the
# queue rules; an approver approves payments; an admin manages users. Everyone signed in may read.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "reviewer": frozenset({"read", "upload", "override", "propose_ren", "close", "request_quote", "second_look"}),
    "manager": frozenset({"read", "upload", "override", "propose_ren", "close", "request_quote", "second_look",
                          "reopen", "assign", "queue_rules"}),
    "approver": frozenset({"read", "approve"}),
    "admin": frozenset({"read", "users"}),
}
PERMISSIONS = frozenset().union(*ROLE_PERMISSIONS.values())


@dataclass(frozen=True)
class AccountPolicy:
    """Thresholds of sign-in and sessions, named in one place."""

    max_failed_logins: int = 5  # consecutive wrong passwords before the account locks
    lockout: dt.timedelta = dt.timedelta(minutes=15)
    session_idle: dt.timedelta = dt.timedelta(minutes=30)  # a session unused this long ends
    session_max: dt.timedelta = dt.timedelta(hours=10)  # a working day, whatever the activity
    min_password_length: int = 10


class AccountError(QuoteReviewError):
    """A user cannot be created or changed as asked (bad name, role or password; unknown user)."""

    code = "E_ACCOUNT"


class LoginError(QuoteReviewError):
    """Sign-in refused. The message never says whether the name or the password was wrong."""

    code = "E_LOGIN"


class LockedError(LoginError):
    code = "E_LOCKED"


@dataclass(frozen=True)
class User:
    name: str
    role: str
    active: bool
    locked_until: dt.datetime | None = None

    def may(self, permission: str) -> bool:
        return self.active and permission in ROLE_PERMISSIONS.get(self.role, frozenset())


@dataclass(frozen=True)
class WebSession:
    user: User
    csrf_token: str
    created_at: dt.datetime




class Accounts:
    def __init__(self, store: Store, policy: AccountPolicy | None = None, hasher: PasswordHasher | None = None) -> None:
        self.store = store
        self.policy = policy or AccountPolicy()
        # argon2id with the library's recommended parameters (RFC 9106, low memory); tests pass cheaper ones.
        self.hasher = hasher or PasswordHasher()
        self._dummy_hash: str | None = None

    def _unknown_user_delay(self, password: str) -> None:
        """Verify against a throwaway hash, so a wrong name costs the time of a wrong password."""
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))
        _verify(self.hasher, self._dummy_hash, password)

    # --- users --------------------------------------------------------------------------------

    def add_user(self, name: str, role: str, password: str, *, by: str) -> User:
        name = (name or "").strip()
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", name):
            raise AccountError(f"user name {name!r}: up to 64 letters, digits, '.', '_' or '-'")
        if role not in ROLES:
            raise AccountError(f"role {role!r} is not one of: {', '.join(ROLES)}")
        if len(password or "") < self.policy.min_password_length:
            raise AccountError(f"the password needs at least {self.policy.min_password_length} characters")
        with self.store.transaction() as session:
            if session.get(UserRow, name) is not None:
                raise AccountError(f"user {name} already exists")
            session.add(UserRow(name=name, role=role, password_hash=self.hasher.hash(password), active=True,
                                failed_logins=0, locked_until=None, created_at=_now()))
            _audit(session, "-", by, "user_add", after={"user": name, "role": role})
        return User(name, role, True)

    def users(self) -> list[User]:
        with self.store.transaction() as session:
            return [_user(row) for row in session.scalars(select(UserRow).order_by(UserRow.name))]

    def find_user(self, name: str) -> User | None:
        with self.store.transaction() as session:
            row = session.get(UserRow, name)
            return None if row is None else _user(row)

    def disable_user(self, name: str, *, by: str) -> None:
        """The account can no longer sign in and its open sessions end now."""
        with self.store.transaction() as session:
            row = session.get(UserRow, name)
            if row is None:
                raise AccountError(f"no user {name!r}")
            row.active = False
            session.execute(delete(WebSessionRow).where(WebSessionRow.user_name == name))
            _audit(session, "-", by, "user_disable", after={"user": name})

    def unlock_user(self, name: str, *, by: str) -> None:
        with self.store.transaction() as session:
            row = session.get(UserRow, name)
            if row is None:
                raise AccountError(f"no user {name!r}")
            row.failed_logins, row.locked_until = 0, None
            _audit(session, "-", by, "user_unlock", after={"user": name})

    # --- sign-in ------------------------------------------------------------------------------

    def authenticate(self, name: str, password: str, now: dt.datetime | None = None) -> User:
        """The user when the password is right; ``LockedError`` while locked out, else ``LoginError``."""
        now = now or _now()
        refused = LoginError("wrong user name or password, or the account is disabled")
        # The failure count must be committed: raise only once the transaction is over.
        with self.store.transaction() as session:
            row = session.get(UserRow, (name or "").strip()[:64])
            if row is None or not row.active:
                self._unknown_user_delay(password or "")
                error = refused
            elif row.locked_until is not None and row.locked_until > now:
                error = LockedError(f"too many failed sign-ins: the account is locked until "
                                    f"{row.locked_until:%H:%M} UTC (or until an admin unlocks it)")
            elif not _verify(self.hasher, row.password_hash, password or ""):
                row.failed_logins += 1
                if row.failed_logins >= self.policy.max_failed_logins:
                    row.locked_until = now + self.policy.lockout
                    row.failed_logins = 0
                    _audit(session, "-", row.name, "user_locked", after={"user": row.name})
                error = refused
            else:
                row.failed_logins, row.locked_until = 0, None
                if self.hasher.check_needs_rehash(row.password_hash):
                    row.password_hash = self.hasher.hash(password)
                return _user(row)
        raise error

    def open_session(self, user_name: str, now: dt.datetime | None = None) -> tuple[str, str]:
        """A new session: (the cookie's token, the CSRF token its forms carry)."""
        now = now or _now()
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self.store.transaction() as session:
            session.add(WebSessionRow(token_sha256=_digest(token), user_name=user_name, csrf_token=csrf,
                                      created_at=now, last_seen_at=now))
        return token, csrf

    def session(self, token: str | None, now: dt.datetime | None = None) -> WebSession | None:
        """The live session of ``token`` (its idle clock restarts), else None; ended sessions are deleted."""
        if not token:
            return None
        now = now or _now()
        with self.store.transaction() as session:
            row = session.get(WebSessionRow, _digest(token))
            if row is None:
                return None
            user = session.get(UserRow, row.user_name)
            expired = (now - row.last_seen_at > self.policy.session_idle
                       or now - row.created_at > self.policy.session_max)
            if expired or user is None or not user.active:
                session.delete(row)
                return None
            # Written at most once a minute, so reads do not all become writes.
            if now - row.last_seen_at > dt.timedelta(minutes=1):
                row.last_seen_at = now
            return WebSession(_user(user), row.csrf_token, row.created_at)

    def close_session(self, token: str | None) -> None:
        if token:
            with self.store.transaction() as session:
                session.execute(delete(WebSessionRow).where(WebSessionRow.token_sha256 == _digest(token)))


def _verify(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _user(row: UserRow) -> User:
    return User(row.name, row.role, row.active, row.locked_until)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)
