"""Lost connections: recognised by the driver's codes and state, never by message text, and a
Connection that lost its driver connection refuses work until rolled back, then reconnects."""

from __future__ import annotations

import pytest

from ormkit import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    exc,
    func,
    insert,
    select,
)
from tests.conftest import kill_connection

# phrases that once marked a connection dead wherever they appeared in an error message
_DISCONNECT_WORDS = "terminating connection; server closed the connection; could not receive data"


@pytest.fixture
def words(engine: Engine, metadata: MetaData) -> Table:
    table = Table(
        "closed database",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(120), unique=True),
    )
    metadata.create_all(engine)
    return table


def test_error_quoting_disconnect_words_keeps_the_connection_and_transaction(
    engine: Engine, words: Table
) -> None:
    with engine.connect() as conn:
        conn.execute(insert(words), {"id": 1, "name": _DISCONNECT_WORDS})
        driver_connection = conn.connection.dbapi_connection
        with pytest.raises(exc.IntegrityError) as info, conn.begin_nested():
            conn.execute(insert(words), {"id": 2, "name": _DISCONNECT_WORDS})
        assert info.value.connection_invalidated is False
        assert not conn.invalidated
        assert conn.connection.dbapi_connection is driver_connection
        conn.execute(insert(words), {"id": 3, "name": "third"})
        conn.commit()
    with engine.connect() as conn:
        assert conn.scalars(select(words.c.id).order_by(words.c.id)).all() == [1, 3]


def test_lost_connection_refuses_work_until_rollback(engine: Engine, words: Table) -> None:
    conn = engine.connect()
    try:
        conn.execute(insert(words), {"id": 1, "name": "lost"})
        kill_connection(conn)
        with pytest.raises(exc.DBAPIError) as info:
            conn.execute(select(func.count()).select_from(words))
        assert info.value.connection_invalidated is True
        assert conn.invalidated and conn.in_transaction()
        with pytest.raises(exc.PendingRollbackError, match="call rollback\\(\\) first"):
            conn.execute(select(func.count()).select_from(words))
        conn.rollback()
        assert not conn.in_transaction()
        assert conn.scalar(select(func.count()).select_from(words)) == 0
        assert not conn.invalidated
        conn.execute(insert(words), {"id": 2, "name": "kept"})
        conn.commit()
    finally:
        conn.close()
    with engine.connect() as other:
        assert other.scalars(select(words.c.name)).all() == ["kept"]


def test_invalidate_outside_a_transaction_reconnects_on_next_statement(
    engine: Engine, words: Table
) -> None:
    with engine.connect() as conn:
        before = conn.connection.dbapi_connection
        conn.invalidate()
        assert conn.invalidated
        assert conn.scalar(select(func.count()).select_from(words)) == 0
        assert conn.connection.dbapi_connection is not before


def test_invalidate_inside_a_transaction_discards_its_work(engine: Engine, words: Table) -> None:
    with engine.connect() as conn:
        conn.execute(insert(words), {"id": 1, "name": "gone"})
        conn.invalidate()
        with pytest.raises(exc.PendingRollbackError, match="invalidated"):
            conn.execute(insert(words), {"id": 2, "name": "refused"})
        conn.rollback()
        assert conn.scalar(select(func.count()).select_from(words)) == 0


def test_reconnect_after_a_lost_connection_keeps_the_pool_bounded(url: str) -> None:
    eng = create_engine(url, pool_size=1, max_overflow=0, pool_timeout=2)
    try:
        for _ in range(3):
            with eng.connect() as conn:
                kill_connection(conn)
                with pytest.raises(exc.DBAPIError):
                    conn.exec_driver_sql("SELECT 1")
                conn.rollback()
                assert conn.exec_driver_sql("SELECT 1").scalar() == 1
        assert eng.pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        eng.dispose()
