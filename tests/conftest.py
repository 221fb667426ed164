pytest_plugins = ["tests.conftest_db"]
