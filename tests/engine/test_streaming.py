"""``stream_results`` / ``yield_per``: rows arrive in batches on every backend."""

from __future__ import annotations

import pytest

from ormkit import Column, Engine, Integer, MetaData, Table, exc, insert, literal, select


def test_yield_per_sets_the_batch_size_of_partitions(engine: Engine, metadata: MetaData) -> None:
    table = Table("nums", metadata, Column("id", Integer, primary_key=True))
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(table), [{"id": i} for i in range(1, 24)])
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
