"""Connections dropped without close() give their pool slot back, rolled back, on every
backend: an unclosed Connection or raw connection costs nothing once it is collected."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from ormkit import Column, Engine, Integer, MetaData, Table, create_engine, func, insert, select


@pytest.fixture
def small_pool(url: str) -> Iterator[Engine]:
    """An engine whose pool has two connections and no overflow, waiting one second at most."""
    eng = create_engine(url, pool_size=2, max_overflow=0, pool_timeout=1)
    yield eng
    eng.dispose()


@pytest.fixture
def items(small_pool: Engine) -> Table:
    table = Table("items", MetaData(), Column("id", Integer, primary_key=True))
    table.metadata.create_all(small_pool)
    return table


def _count_leaked_connection(eng: Engine, table: Table) -> int:
    conn = eng.connect()  # never closed: dropped when this function returns
    return conn.scalar(select(func.count()).select_from(table))  # type: ignore[no-any-return]


def test_collected_connections_return_to_the_pool(small_pool: Engine, items: Table) -> None:
    for _ in range(5):
        assert _count_leaked_connection(small_pool, items) == 0
        gc.collect()
    assert small_pool.pool.checkedout() == 0  # type: ignore[attr-defined]


def _insert_and_leak(eng: Engine, table: Table, ident: int) -> None:
    conn = eng.connect()
    conn.execute(insert(table), {"id": ident})


def test_collected_connection_is_rolled_back(small_pool: Engine, items: Table) -> None:
    _insert_and_leak(small_pool, items, 1)
    gc.collect()
    with small_pool.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(items)) == 0
        conn.execute(insert(items), {"id": 1})  # no lock left behind by the leaked insert
        conn.commit()


def test_collected_raw_connections_return_to_the_pool(small_pool: Engine) -> None:
    for _ in range(5):
        raw = small_pool.raw_connection()
        cursor = raw.cursor()
        cursor.execute("SELECT 1")
        assert cursor.fetchall()[0][0] == 1
        cursor.close()
        del raw, cursor
        gc.collect()
    with small_pool.connect() as conn:
        assert conn.exec_driver_sql("SELECT 1").scalar() == 1


def test_raw_connection_reaches_driver_methods(small_pool: Engine) -> None:
    raw = small_pool.raw_connection()
    try:
        raw.rollback()  # the driver connection's own method, through the handle
        assert raw.is_valid
        assert raw.driver_connection is raw.dbapi_connection
    finally:
        raw.close()
    assert small_pool.pool.checkedout() == 0  # type: ignore[attr-defined]
