"""The backend fixture: one test body runs on every configured database.

SQLite (in memory and on a file) is always configured. PostgreSQL and MariaDB take their URLs
from ``ORMKIT_POSTGRESQL_URL`` and ``ORMKIT_MARIADB_URL`` (defaults: the local test servers);
when one is unreachable its tests skip with a one-line reason, unless
``ORMKIT_REQUIRE_BACKENDS=1`` (set by .ci/run), which turns that into a failure.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

import ormkit
from ormkit import MetaData, Sequence, create_engine


def _sqlite_memory(tmp_path: Path) -> str:
    return "sqlite://"


def _sqlite_file(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


def _postgresql(tmp_path: Path) -> str:
    return os.environ.get(
        "ORMKIT_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )


def _mariadb(tmp_path: Path) -> str:
    return os.environ.get("ORMKIT_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test")


BACKENDS = {
    "sqlite": _sqlite_memory,
    "sqlite_file": _sqlite_file,
    "postgresql": _postgresql,
    "mariadb": _mariadb,
}
#: Backends on a server: probed once, skipped (or failed on CI) when unreachable.
SERVER_BACKENDS = frozenset({"postgresql", "mariadb"})
#: Backends run when none are chosen with --backend / ORMKIT_BACKENDS (servers that do not
#: answer are skipped with the reason, or fail with ORMKIT_REQUIRE_BACKENDS=1).
DEFAULT_BACKENDS = list(BACKENDS)


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
    return chosen or list(DEFAULT_BACKENDS)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", _selected(metafunc.config), scope="function")


@cache
def _unreachable(url: str) -> str | None:
    """Why the server at ``url`` cannot be used (one line), or None when it answers."""
    try:
        eng = create_engine(url, connect_args={"connect_timeout": 3})
        try:
            with eng.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        finally:
            eng.dispose()
    except Exception as err:  # any failure to connect means: not usable for tests
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return first
    return None


def require_server(backend: str, url: str) -> None:
    """Skip (or fail, with ORMKIT_REQUIRE_BACKENDS=1) when the backend's server is down."""
    if backend not in SERVER_BACKENDS:
        return
    reason = _unreachable(url)
    if reason is None:
        return
    message = f"{backend} server unreachable ({url}): {reason}"
    if os.environ.get("ORMKIT_REQUIRE_BACKENDS") == "1":
        pytest.fail(message, pytrace=False)
    pytest.skip(reason=message)


#: backend -> URL of this test run's own database on that server
_private_urls: dict[str, str] = {}


def _with_database(url: str, name: str) -> str:
    head, sep, query = url.partition("?")
    return head.rsplit("/", 1)[0] + "/" + name + sep + query


def _admin(url: str, *statements: str) -> None:
    eng = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with eng.connect() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)  # type: ignore[arg-type]
    finally:
        eng.dispose()


def server_url(backend: str) -> str:
    """The URL of this run's own database on the backend's server (skips if the server is down).

    Each pytest process works in a database of its own (``ormkit_test_<pid>``, dropped when
    the session ends), so runs started at the same time never see each other's tables. When
    the configured user may not create databases, the configured database is used as is.
    """
    base = BACKENDS[backend](Path("."))
    require_server(backend, base)
    found = _private_urls.get(backend)
    if found is None:
        name = f"ormkit_test_{os.getpid()}"
        try:
            _admin(base, f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}")
            found = _with_database(base, name)
        except ormkit.exc.DBAPIError:
            found = base
        _private_urls[backend] = found
    return found


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for backend, private in _private_urls.items():
        base = BACKENDS[backend](Path("."))
        if private == base:
            continue
        name = private.partition("?")[0].rsplit("/", 1)[1]
        force = " WITH (FORCE)" if backend == "postgresql" else ""
        _admin(base, f"DROP DATABASE IF EXISTS {name}{force}")


@pytest.fixture
def url(backend: str, tmp_path: Path) -> Iterator[str]:
    """The database URL for the backend under test (skips when its server is down).

    On a server the test's tables outlive its engines, so they are dropped afterwards here
    too, whichever engines the test made.
    """
    if backend in SERVER_BACKENDS:
        chosen = server_url(backend)
    else:
        chosen = BACKENDS[backend](tmp_path)
    yield chosen
    if backend in SERVER_BACKENDS:
        eng = create_engine(chosen)
        try:
            drop_everything(eng)
        finally:
            eng.dispose()


# A leaked connection still in a transaction would make DROP TABLE wait forever on its locks;
# wait this long instead, then fail the teardown with the database's own error.
_LOCK_TIMEOUTS = {
    "postgresql": "SET lock_timeout = '10s'",
    "mysql": "SET SESSION lock_wait_timeout = 10",
    "mariadb": "SET SESSION lock_wait_timeout = 10",
}


@pytest.fixture
def engine(url: str) -> Iterator[ormkit.Engine]:
    """An Engine on the backend under test; whatever the test creates is dropped after."""
    eng = create_engine(url)
    yield eng
    drop_everything(eng)
    eng.dispose()


def drop_everything(eng: ormkit.Engine) -> None:
    """Drop every table the database has (dependent ones first)."""
    set_timeout = _LOCK_TIMEOUTS.get(eng.dialect.name)
    if set_timeout is not None:
        gc.collect()  # close connections the test leaked, releasing their locks
    with eng.connect() as conn:
        if set_timeout is not None:
            conn.exec_driver_sql(set_timeout)  # type: ignore[arg-type]
        cleanup = MetaData()
        cleanup.reflect(conn)
        cleanup.drop_all(conn)
        for name in conn.dialect.get_sequence_names(conn):  # left by Sequence() tests
            Sequence(name).drop(conn)
        conn.commit()


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


def sync_sequences(eng: ormkit.Engine, *table_names: str) -> None:
    """Move PostgreSQL's SERIAL sequences past rows inserted with explicit ``id`` values.

    SQLite and MariaDB number new rows after the largest key by themselves; a PostgreSQL
    sequence does not look at the table, so seed data with fixed ids must advance it.
    """
    if eng.dialect.name != "postgresql":
        return
    with eng.begin() as conn:
        for name in table_names:
            table = eng.dialect.quote(name)
            conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), "  # type: ignore[arg-type]
                f"(SELECT COALESCE(max(id), 0) + 1 FROM {table}), false)",
                (table,),
            )


def server_session_id(conn: ormkit.Connection) -> int:
    """The server's id of ``conn``'s session (PostgreSQL backend pid, MariaDB thread id)."""
    query = (
        "SELECT pg_backend_pid()" if conn.dialect.name == "postgresql" else "SELECT CONNECTION_ID()"
    )
    return int(conn.exec_driver_sql(query).scalar())  # type: ignore[arg-type]


def kill_server_session(eng: ormkit.Engine, ident: int) -> None:
    """End the server session ``ident`` from another connection, as an administrator would."""
    if eng.dialect.name == "postgresql":
        kill = f"SELECT pg_terminate_backend({int(ident)})"
    else:
        kill = f"KILL {int(ident)}"
    killer = create_engine(eng.url)
    try:
        with killer.connect() as other:
            other.exec_driver_sql(kill)  # type: ignore[arg-type]
    finally:
        killer.dispose()


def kill_connection(conn: ormkit.Connection) -> None:
    """Cut ``conn``'s driver connection as a server restart or network failure would.

    On a server the backend session is killed from another connection; SQLite has no server,
    so its driver connection is closed underneath ormkit.
    """
    if conn.dialect.name == "sqlite":
        conn.connection.dbapi_connection.close()
    else:
        kill_server_session(conn.engine, server_session_id(conn))
