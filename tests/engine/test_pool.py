"""The connection pool on a SQLite file: limits, waiting, reuse, recycle, pre-ping, reset."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ormkit import (
    Column,
    Engine,
    Integer,
    MetaData,
    Table,
    create_engine,
    exc,
    func,
    insert,
    literal,
)
from ormkit import select as select_


@pytest.fixture
def make_engine(tmp_path: Path) -> Iterator[Callable[..., Engine]]:
    engines: list[Engine] = []

    def make(**kw: Any) -> Engine:
        eng = create_engine(f"sqlite:///{tmp_path / 'pool.db'}", **kw)
        engines.append(eng)
        return eng

    yield make
    for eng in engines:
        eng.dispose()


@pytest.fixture
def items() -> Table:
    return Table("items", MetaData(), Column("id", Integer, primary_key=True))


def _is_closed(dbapi_connection: sqlite3.Connection) -> bool:
    try:
        dbapi_connection.execute("SELECT 1")
    except sqlite3.ProgrammingError as err:
        assert "closed database" in str(err)
        return True
    return False


def test_file_engine_uses_a_queue_pool(make_engine: Callable[..., Engine]) -> None:
    from ormkit.engine.pool import QueuePool

    assert isinstance(make_engine().pool, QueuePool)


def test_pool_opens_up_to_pool_size_plus_max_overflow(make_engine: Callable[..., Engine]) -> None:
    eng = make_engine(pool_size=2, max_overflow=1, pool_timeout=0.2)
    held = [eng.connect() for _ in range(3)]
    assert eng.pool.checkedout() == 3  # type: ignore[attr-defined]
    with pytest.raises(exc.TimeoutError):
        eng.connect()
    for conn in held:
        conn.close()
    assert eng.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_pool_keeps_only_pool_size_idle_connections(make_engine: Callable[..., Engine]) -> None:
    eng = make_engine(pool_size=2, max_overflow=1)
    held = [eng.connect() for _ in range(3)]
    first = [c.connection.dbapi_connection for c in held]
    for conn in held:
        conn.close()
    # the overflow connection was closed on return; two stay open for reuse
    assert [_is_closed(d) for d in first] == [False, False, True]
    again = [eng.connect() for _ in range(3)]
    second = [c.connection.dbapi_connection for c in again]
    reused = [d for d in second if any(d is f for f in first)]
    assert len(reused) == 2
    assert all(any(d is f for f in first[:2]) for d in reused)
    for conn in again:
        conn.close()


def test_exhausted_pool_times_out_with_advice(make_engine: Callable[..., Engine]) -> None:
    eng = make_engine(pool_size=1, max_overflow=0, pool_timeout=0.2)
    with eng.connect():
        started = time.monotonic()
        with pytest.raises(exc.TimeoutError) as info:
            eng.connect()
        waited = time.monotonic() - started
    assert 0.15 <= waited < 2
    message = str(info.value)
    assert "no connection became free within 0.2s" in message
    assert "pool_size=1, max_overflow=0" in message
    assert "close connections" in message
    assert "raise pool_size / max_overflow" in message


def test_timeout_error_is_an_ormkit_error_not_builtin(make_engine: Callable[..., Engine]) -> None:
    eng = make_engine(pool_size=1, max_overflow=0, pool_timeout=0.05)
    with eng.connect(), pytest.raises(exc.OrmkitError, match="no connection became free"):
        eng.connect()


def test_waiting_checkout_gets_a_connection_returned_in_time(
    make_engine: Callable[..., Engine],
) -> None:
    eng = make_engine(pool_size=1, max_overflow=0, pool_timeout=5)
    holder = eng.connect()
    held = holder.connection.dbapi_connection
    timer = threading.Timer(0.2, holder.close)
    timer.start()
    started = time.monotonic()
    try:
        with eng.connect() as conn:
            waited = time.monotonic() - started
            assert conn.connection.dbapi_connection is held
            assert conn.scalar(select_(literal(1))) == 1
    finally:
        timer.join()
    assert 0.1 <= waited < 5


def test_waiting_checkout_opens_a_new_connection_when_one_is_discarded(
    make_engine: Callable[..., Engine],
) -> None:
    eng = make_engine(pool_size=1, max_overflow=0, pool_timeout=5)
    holder = eng.connect()
    held = holder.connection.dbapi_connection

    def discard() -> None:
        holder.invalidate()
        holder.close()

    timer = threading.Timer(0.2, discard)
    timer.start()
    started = time.monotonic()
    try:
        with eng.connect() as conn:
            waited = time.monotonic() - started
            assert conn.connection.dbapi_connection is not held
            assert conn.scalar(select_(literal(1))) == 1
    finally:
        timer.join()
    assert 0.1 <= waited < 5
    assert "open=1" in eng.pool.status()


def test_pool_size_is_respected_after_timeout(make_engine: Callable[..., Engine]) -> None:
    eng = make_engine(pool_size=1, max_overflow=0, pool_timeout=0.05)
    conn = eng.connect()
    with pytest.raises(exc.TimeoutError):
        eng.connect()
    conn.close()
    with eng.connect() as again:
        assert again.scalar(select_(literal(1))) == 1


def test_connections_are_reused(make_engine: Callable[..., Engine]) -> None:
    eng = make_engine()
    with eng.connect() as conn:
        first = conn.connection.dbapi_connection
    with eng.connect() as conn:
        assert conn.connection.dbapi_connection is first
    assert not _is_closed(first)


def test_pool_recycle_zero_replaces_connection_on_next_checkout(
    make_engine: Callable[..., Engine],
) -> None:
    eng = make_engine(pool_recycle=0)
    with eng.connect() as conn:
        first = conn.connection.dbapi_connection
    time.sleep(0.01)
    with eng.connect() as conn:
        second = conn.connection.dbapi_connection
        assert second is not first
        assert conn.scalar(select_(literal(1))) == 1
    assert _is_closed(first)


def test_without_recycle_connection_is_kept(make_engine: Callable[..., Engine]) -> None:
    eng = make_engine(pool_recycle=3600)
    with eng.connect() as conn:
        first = conn.connection.dbapi_connection
    with eng.connect() as conn:
        assert conn.connection.dbapi_connection is first


def test_pre_ping_replaces_idle_connection_closed_underneath(
    make_engine: Callable[..., Engine],
) -> None:
    eng = make_engine(pool_pre_ping=True)
    with eng.connect() as conn:
        dead = conn.connection.dbapi_connection
    dead.close()
    with eng.connect() as conn:
        assert conn.connection.dbapi_connection is not dead
        assert conn.scalar(select_(literal(1))) == 1


def test_pre_ping_new_connection_works_after_closing_dbapi_connection_in_use(
    make_engine: Callable[..., Engine],
) -> None:
    eng = make_engine(pool_pre_ping=True)
    conn = eng.connect()
    dead = conn.connection.dbapi_connection
    dead.close()
    conn.close()
    with eng.connect() as fresh:
        assert fresh.connection.dbapi_connection is not dead
        assert fresh.scalar(select_(literal(1))) == 1


def test_without_pre_ping_dead_connection_is_invalidated_on_first_use(
    make_engine: Callable[..., Engine],
) -> None:
    eng = make_engine()
    with eng.connect() as conn:
        dead = conn.connection.dbapi_connection
    dead.close()
    with eng.connect() as conn:
        with pytest.raises(exc.DBAPIError, match="closed database") as info:
            conn.execute(select_(literal(1)))
        assert info.value.connection_invalidated is True
        assert conn.invalidated
    with eng.connect() as conn:
        assert conn.scalar(select_(literal(1))) == 1


def test_returned_connection_is_rolled_back(
    make_engine: Callable[..., Engine], items: Table
) -> None:
    eng = make_engine(pool_size=1, max_overflow=0)
    items.metadata.create_all(eng)
    raw = eng.raw_connection()
    cursor = raw.cursor()
    cursor.execute("BEGIN")
    cursor.execute("INSERT INTO items (id) VALUES (1)")
    cursor.close()
    assert raw.dbapi_connection.in_transaction
    raw.close()  # back to the pool without commit
    with eng.connect() as conn:
        assert not conn.connection.dbapi_connection.in_transaction
        assert conn.scalar(select_(func.count()).select_from(items)) == 0


def test_uncommitted_insert_not_visible_after_connection_returns(
    make_engine: Callable[..., Engine], items: Table
) -> None:
    eng = make_engine(pool_size=1, max_overflow=0)
    items.metadata.create_all(eng)
    with eng.connect() as conn:
        conn.execute(insert(items), {"id": 1})
    with eng.connect() as conn:
        assert conn.scalar(select_(func.count()).select_from(items)) == 0


def test_dispose_closes_idle_connections_and_engine_still_works(
    make_engine: Callable[..., Engine],
) -> None:
    eng = make_engine()
    with eng.connect() as conn:
        first = conn.connection.dbapi_connection
    eng.dispose()
    assert _is_closed(first)
    with eng.connect() as conn:
        assert conn.connection.dbapi_connection is not first
        assert conn.scalar(select_(literal(1))) == 1


def test_negative_pool_size_is_rejected(make_engine: Callable[..., Engine]) -> None:
    with pytest.raises(exc.ArgumentError, match="pool_size must be >= 0, got -1"):
        make_engine(pool_size=-1)


def test_echo_pool_logs_invalidations_and_recycles(
    make_engine: Callable[..., Engine], capsys: pytest.CaptureFixture[str]
) -> None:
    eng = make_engine(echo_pool=True, pool_recycle=0)
    with eng.connect() as conn:
        conn.invalidate()
        conn.exec_driver_sql("SELECT 1")
    time.sleep(0.01)
    with eng.connect() as conn:  # older than pool_recycle=0: replaced
        conn.exec_driver_sql("SELECT 1")
    out = capsys.readouterr().out
    assert "INFO ormkit.pool invalidating connection" in out
    assert "older than pool_recycle=0; replacing it" in out
    assert "checked out" not in out


def test_echo_pool_debug_also_logs_checkouts_and_checkins(
    make_engine: Callable[..., Engine], capsys: pytest.CaptureFixture[str]
) -> None:
    eng = make_engine(echo_pool="debug")
    with eng.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
    out = capsys.readouterr().out
    assert "DEBUG ormkit.pool connection" in out
    assert "checked out from pool" in out and "returned to pool" in out


def test_pool_reset_on_return_commit_keeps_raw_work(
    make_engine: Callable[..., Engine], items: Table
) -> None:
    eng = make_engine(pool_reset_on_return="commit")
    items.metadata.create_all(eng)
    raw = eng.raw_connection()
    raw.execute("INSERT INTO items (id) VALUES (1)")
    raw.close()  # committed on the way back
    with eng.connect() as conn:
        assert conn.scalar(select_(func.count()).select_from(items)) == 1


def test_pool_use_lifo_false_hands_out_the_oldest_idle_connection(
    make_engine: Callable[..., Engine],
) -> None:
    eng = make_engine(pool_use_lifo=False)
    first, second = eng.connect(), eng.connect()
    older, newer = first.connection.dbapi_connection, second.connection.dbapi_connection
    first.close()
    second.close()
    with eng.connect() as conn:
        assert conn.connection.dbapi_connection is older
    lifo = make_engine()
    first, second = lifo.connect(), lifo.connect()
    newer = second.connection.dbapi_connection
    first.close()
    second.close()
    with lifo.connect() as conn:
        assert conn.connection.dbapi_connection is newer


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"echo_pool": "loud"}, "echo_pool takes True, False or 'debug', got 'loud'"),
        ({"pool_reset_on_return": "flush"}, "pool_reset_on_return takes"),
        ({"logging_name": "app"}, "does not support logging_name yet"),
        ({"label_length": 30}, "does not support label_length yet"),
        ({"future": False}, "future=False: ormkit has only SQLAlchemy 2.x behaviour"),
    ],
)
def test_unsupported_engine_arguments_are_refused(
    make_engine: Callable[..., Engine], arguments: dict[str, Any], message: str
) -> None:
    with pytest.raises(exc.ArgumentError, match=re.escape(message)):
        make_engine(**arguments)


def test_pool_arguments_beside_a_ready_pool_are_refused(
    make_engine: Callable[..., Engine],
) -> None:
    pool = make_engine().pool
    with pytest.raises(exc.ArgumentError, match="got pool= and pool_size"):
        make_engine(pool=pool, pool_size=3)


def test_future_true_is_accepted(make_engine: Callable[..., Engine]) -> None:
    with make_engine(future=True).connect() as conn:
        assert conn.exec_driver_sql("SELECT 1").scalar() == 1
