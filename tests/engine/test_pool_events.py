"""Pool events: connect, first_connect, checkout (and refusing a connection), checkin, reset,
invalidate (hard and soft), close, detach; listeners on a pool, an engine, a pool class."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ormkit import Engine, create_engine, event, exc, text
from ormkit.engine.pool import NullPool, QueuePool, StaticPool


@pytest.fixture
def eng(engine: Engine) -> Iterator[Engine]:
    """The backend's engine, its idle connections closed so that the test sees new ones."""
    engine.dispose()
    yield engine


def names_of(happened: list[tuple[str, Any]]) -> list[str]:
    return [name for name, _ in happened]


@pytest.fixture
def pool_log(eng: Engine) -> list[tuple[str, Any]]:
    """(event, driver connection) for each pool event of ``eng``'s pool."""
    happened: list[tuple[str, Any]] = []

    def recorder(name: str) -> Any:
        def record(dbapi_connection: Any, *rest: Any) -> None:
            happened.append((name, dbapi_connection))

        return record

    for name in (
        "connect",
        "first_connect",
        "checkout",
        "checkin",
        "reset",
        "invalidate",
        "soft_invalidate",
        "close",
        "detach",
        "close_detached",
    ):
        event.listen(eng.pool, name, recorder(name))
    return happened


def test_a_new_connection_fires_connect_then_checkout_and_checkin_on_return(
    eng: Engine, pool_log: list[tuple[str, Any]]
) -> None:
    with eng.connect() as conn:
        conn.execute(text("SELECT 1"))
        driver = conn.connection.dbapi_connection
    with eng.connect() as conn:
        conn.execute(text("SELECT 1"))
    expected = ["connect", "checkout", "reset", "checkin", "checkout", "reset", "checkin"]
    if isinstance(eng.pool, NullPool):  # no pooling: each checkout opens and closes one
        expected = ["connect", "checkout", "reset", "checkin", "close"] * 2
    first_connect = [entry for entry in pool_log if entry[0] == "first_connect"]
    assert names_of([e for e in pool_log if e[0] != "first_connect"]) == expected
    assert all(connection is not None for _, connection in pool_log)
    assert pool_log[0][1] is driver
    assert len(first_connect) <= 1  # the pool's first connection may predate the fixture


def test_first_connect_fires_once_per_pool(url: str) -> None:
    eng = create_engine(url)
    firsts: list[Any] = []
    connects: list[Any] = []
    event.listen(eng, "first_connect", lambda dbapi, record: firsts.append(dbapi))
    event.listen(eng, "connect", lambda dbapi, record: connects.append(dbapi))
    try:
        with eng.connect() as one, eng.connect() as two:
            one.execute(text("SELECT 1"))
            two.execute(text("SELECT 1"))
    finally:
        eng.dispose()
    assert len(firsts) == 1 and firsts[0] is connects[0]
    assert len(connects) == (1 if isinstance(eng.pool, StaticPool) else 2)


def test_connect_listener_sets_up_each_driver_connection(eng: Engine) -> None:
    records: list[Any] = []

    def setup(dbapi_connection: Any, record: Any) -> None:
        record.info["set up"] = True
        records.append(record)

    event.listen(eng, "connect", setup)
    with eng.connect() as conn:
        assert conn.connection.info["set up"] is True
        assert records[0].driver_connection is conn.connection.dbapi_connection


def test_a_checkout_listener_refusing_a_connection_gets_a_fresh_one(
    eng: Engine, pool_log: list[tuple[str, Any]]
) -> None:
    refused: list[Any] = []

    def refuse_first(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if not refused:
            refused.append(dbapi_connection)
            raise exc.DisconnectionError("stale connection")

    event.listen(eng.pool, "checkout", refuse_first)
    with eng.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
        assert conn.connection.dbapi_connection is not refused[0]
    assert ("invalidate", refused[0]) in pool_log and ("close", refused[0]) in pool_log


def test_checkout_listeners_refusing_every_connection_fail_the_checkout(eng: Engine) -> None:
    def refuse(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        raise exc.DisconnectionError("server in maintenance")

    event.listen(eng.pool, "checkout", refuse)
    with pytest.raises(exc.InvalidRequestError, match=r"refused 3 connections.*maintenance"):
        eng.connect()
    event.remove(eng.pool, "checkout", refuse)
    with eng.connect() as conn:  # the pool is whole: nothing was lost to the failures
        assert conn.execute(text("SELECT 1")).scalar() == 1


def test_invalidate_fires_with_the_error_and_closes_the_driver_connection(
    eng: Engine, pool_log: list[tuple[str, Any]]
) -> None:
    errors: list[Any] = []
    event.listen(eng.pool, "invalidate", lambda dbapi, record, err: errors.append(err))
    reason = RuntimeError("known bad")
    with eng.connect() as conn:
        conn.execute(text("SELECT 1"))
        driver = conn.connection.dbapi_connection
        conn.invalidate(reason)
    assert errors == [reason]
    assert ("invalidate", driver) in pool_log and ("close", driver) in pool_log


def test_soft_invalidate_keeps_the_connection_until_it_is_checked_out_again(
    eng: Engine, pool_log: list[tuple[str, Any]]
) -> None:
    raw = eng.raw_connection()
    driver = raw.dbapi_connection
    raw.invalidate(soft=True)
    cursor = raw.cursor()  # still usable by the one who has it
    cursor.execute("SELECT 1")
    cursor.close()
    raw.close()
    assert ("soft_invalidate", driver) in pool_log and ("close", driver) not in pool_log
    with eng.connect() as conn:
        assert conn.connection.dbapi_connection is not driver
    assert ("close", driver) in pool_log


def test_detach_takes_the_connection_out_of_the_pool(
    eng: Engine, pool_log: list[tuple[str, Any]]
) -> None:
    with eng.connect() as conn:
        conn.execute(text("SELECT 1"))
        driver = conn.connection.dbapi_connection
        conn.detach()
    assert ("detach", driver) in pool_log and ("close_detached", driver) in pool_log
    with eng.connect() as conn:
        assert conn.connection.dbapi_connection is not driver
    if isinstance(eng.pool, QueuePool):
        assert eng.pool.checkedout() == 0


def test_listeners_on_a_pool_class_reach_only_pools_of_that_class(url: str) -> None:
    seen: list[str] = []

    def on_queue_pool(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        seen.append("QueuePool")

    event.listen(QueuePool, "checkout", on_queue_pool)
    queued = create_engine(url, poolclass=QueuePool)
    unpooled = create_engine(url, poolclass=NullPool)
    try:
        for eng in (queued, unpooled):
            with eng.connect() as conn:
                conn.execute(text("SELECT 1"))
    finally:
        event.remove(QueuePool, "checkout", on_queue_pool)
        queued.dispose()
        unpooled.dispose()
    assert seen == ["QueuePool"]


def test_an_engine_copy_shares_its_pools_listeners(eng: Engine) -> None:
    checkouts: list[Any] = []
    copy = eng.execution_options(tag=1)
    event.listen(copy, "checkout", lambda *args: checkouts.append(args[0]))
    with eng.connect() as conn:
        conn.execute(text("SELECT 1"))
    assert len(checkouts) == 1


def test_a_failing_reset_listener_discards_the_connection(
    eng: Engine, pool_log: list[tuple[str, Any]]
) -> None:
    def broken(dbapi_connection: Any, record: Any, state: Any) -> None:
        assert state.transaction_was_reset is False and state.terminate_only is False
        raise RuntimeError("reset failed")

    event.listen(eng.pool, "reset", broken)
    with eng.connect() as conn:
        conn.execute(text("SELECT 1"))
        driver = conn.connection.dbapi_connection
    event.remove(eng.pool, "reset", broken)
    assert ("close", driver) in pool_log
    with eng.connect() as conn:
        assert conn.connection.dbapi_connection is not driver
