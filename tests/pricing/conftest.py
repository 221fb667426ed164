import shutil
from pathlib import Path

import pytest

from pricing.grid import DEFAULT_GRID_DIR, load_grid
from pricing.matching import Matcher


@pytest.fixture(scope="session")
def grid():
    return load_grid(DEFAULT_GRID_DIR)


@pytest.fixture(scope="session")
def matcher(grid):
    return Matcher(grid)


@pytest.fixture
def grid_copy(tmp_path: Path) -> Path:
    target = tmp_path / "grid"
    shutil.copytree(DEFAULT_GRID_DIR, target)
    return target
