"""``stream_results`` / ``yield_per``: rows arrive in batches on every backend."""

from __future__ import annotations

import pytest

from ormkit import Column, Engine, Integer, MetaData, Table, exc, insert, literal, select


def numbers(engine: Engine, metadata: MetaData, count: int) -> Table:
    """A table ``nums`` holding the ids 1 to ``count``."""
    table = Table("nums", metadata, Column("id", Integer, primary_key=True))
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(table), [{"id": i} for i in range(1, count + 1)])
    return table


def test_yield_per_sets_the_batch_size_of_partitions(engine: Engine, metadata: MetaData) -> None:
    table = numbers(engine, metadata, 23)
    with engine.connect() as conn:
        conn.execution_options(stream_results=True, yield_per=10)
        result = conn.execute(select(table.c.id).order_by(table.c.id))
        parts = list(result.partitions())
    assert [len(p) for p in parts] == [10, 10, 3]
    assert [row.id for part in parts for row in part] == list(range(1, 24))


def test_yield_per_takes_a_positive_number(engine: Engine) -> None:
    with engine.connect() as conn:
        result = conn.execute(select(literal(1)))
        with pytest.raises(exc.ArgumentError, match="positive number of rows, got 0"):
            result.yield_per(0)
        result.close()


def test_statement_options_come_over_the_connections_and_under_executes(
    engine: Engine, metadata: MetaData
) -> None:
    table = numbers(engine, metadata, 12)
    stmt = select(table.c.id).order_by(table.c.id)
    with engine.connect() as conn:
        conn.execution_options(yield_per=6)

        def sizes(statement: object, **kw: object) -> list[int]:
            return [len(p) for p in conn.execute(statement, **kw).partitions()]  # type: ignore[arg-type]

        assert sizes(stmt) == [6, 6]
        assert sizes(stmt.execution_options(yield_per=5)) == [5, 5, 2]
        assert sizes(stmt.execution_options(yield_per=5), execution_options={"yield_per": 4}) == [
            4,
            4,
            4,
        ]
        assert conn.get_execution_options() == {"yield_per": 6}  # a statement's stay its own


def test_statement_yield_per_streams_from_the_server(engine: Engine, metadata: MetaData) -> None:
    """yield_per on the statement alone opens a server-side cursor where the backend has one."""
    table = numbers(engine, metadata, 7)
    with engine.connect() as conn:
        result = conn.execute(
            select(table.c.id).order_by(table.c.id).execution_options(yield_per=3)
        )
        cursor = result._cursor
        assert [len(p) for p in result.partitions()] == [3, 3, 1]
    server_side = engine.dialect.supports_server_side_cursors
    assert (type(cursor).__name__ in ("ServerCursor", "SSCursor")) == server_side


def test_isolation_level_is_refused_by_execute(engine: Engine) -> None:
    with (
        engine.connect() as conn,
        pytest.raises(
            exc.ArgumentError,
            match=r"^the 'isolation_level' execution option cannot be given to execute\(\)",
        ),
    ):
        conn.execute(select(literal(1)), execution_options={"isolation_level": "SERIALIZABLE"})


def test_another_statement_while_streaming_leaves_the_stream_whole(
    engine: Engine, metadata: MetaData
) -> None:
    """MariaDB's unbuffered cursor holds the connection: its rows are buffered first."""
    table = numbers(engine, metadata, 7)
    with engine.connect() as conn:
        result = conn.execute(
            select(table.c.id).order_by(table.c.id).execution_options(yield_per=2)
        )
        first = result.fetchmany()
        assert conn.scalar(select(literal(5))) == 5
        if engine.dialect.server_side_cursor_holds_connection:
            conn.commit()  # (a PostgreSQL COMMIT ends its server-side cursors, as documented)
        assert [r.id for r in first] + [r.id for r in result] == list(range(1, 8))
