import shutil

import pytest
from argon2 import PasswordHasher

from store.accounts import AccountPolicy
from tests.web.helpers import PASSWORD, ROLES, sign_in
from web.app import create_app
from web.services import WebContext


def _app(db_url, home):
    # Cheap argon2 parameters: the production ones cost about 0.6 s a hash here.
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    context = WebContext.open(db_url, None, home, AccountPolicy(max_failed_logins=3), hasher)
    for role in ROLES:
        context.accounts.add_user(role, role, PASSWORD, by="test")
    context.accounts.add_user("reviewer2", "reviewer", PASSWORD, by="test")
    return create_app(context=context, warm=False)


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory):
    """An empty, migrated SQLite file each test copies (migrating costs a second or more per test)."""
    from store import open_store

    path = tmp_path_factory.mktemp("template") / "web.db"
    open_store(f"sqlite:///{path}").close()
    return path


@pytest.fixture
def app(tmp_path, migrated_sqlite):
    shutil.copyfile(migrated_sqlite, tmp_path / "web.db")
    application = _app(f"sqlite:///{tmp_path / 'web.db'}", tmp_path / "home")
    yield application
    application.state.context.close()


@pytest.fixture
def app_on(db_url, tmp_path):
    """The app on SQLite and on PostgreSQL."""
    application = _app(db_url, tmp_path / "home")
    yield application
    application.state.context.close()


@pytest.fixture
def context(app):
    return app.state.context


@pytest.fixture
def clients(app):
    """A signed-in client per role."""
    return {role: sign_in(app, role) for role in ROLES}
