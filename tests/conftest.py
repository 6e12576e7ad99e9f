"""The backend fixture: one test body runs on every configured database.

SQLite (in memory and on a file) is always configured. Server databases join through
environment variables (the PostgreSQL/MariaDB issue adds them here); ``ORMKIT_REQUIRE_BACKENDS``
(set by .ci/run) turns an unreachable one into a failure instead of a skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import ormkit
from ormkit import MetaData, create_engine


def _sqlite_memory(tmp_path: Path) -> str:
    return "sqlite://"


def _sqlite_file(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


BACKENDS = {
    "sqlite": _sqlite_memory,
    "sqlite_file": _sqlite_file,
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        action="append",
        default=None,
        help=f"run backend tests only on these ({', '.join(BACKENDS)}); default: all",
    )


def _selected(config: pytest.Config) -> list[str]:
    chosen = config.getoption("--backend") or os.environ.get("ORMKIT_BACKENDS", "").split(",")
    chosen = [c for c in chosen if c]
    return chosen or list(BACKENDS)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", _selected(metafunc.config), scope="function")


@pytest.fixture
def url(backend: str, tmp_path: Path) -> str:
    """The database URL for the backend under test."""
    return BACKENDS[backend](tmp_path)


@pytest.fixture
def engine(url: str) -> Iterator[ormkit.Engine]:
    """An Engine on the backend under test; whatever the test creates is dropped after."""
    eng = create_engine(url)
    yield eng
    cleanup = MetaData()
    cleanup.reflect(eng)
    cleanup.drop_all(eng)
    eng.dispose()


@pytest.fixture
def metadata() -> MetaData:
    """A fresh MetaData for the test's tables."""
    return MetaData()


@pytest.fixture
def sqlite_engine() -> Iterator[ormkit.Engine]:
    """An in-memory SQLite engine, for tests of SQLite itself."""
    eng = create_engine("sqlite://")
    yield eng
    eng.dispose()
