"""Dialect events (do_connect, do_execute, do_executemany, do_execute_no_params) and the
connection options that act at the driver call: no_parameters, compiled_cache,
logging_token, max_row_buffer."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from ormkit import (
    Column,
    Engine,
    Integer,
    MetaData,
    Table,
    create_engine,
    event,
    insert,
    literal,
    select,
    text,
)
from ormkit.engine.dialect import DefaultDialect
from ormkit.engine.pool import QueuePool


@pytest.fixture
def nums(engine: Engine, metadata: MetaData) -> Table:
    table = Table("nums", metadata, Column("n", Integer, primary_key=True, autoincrement=False))
    metadata.create_all(engine)
    return table


def test_do_connect_may_change_the_arguments_of_each_new_connection(url: str) -> None:
    eng = create_engine(url)
    calls: list[tuple[Any, Any]] = []

    @event.listens_for(eng, "do_connect")
    def note(dialect: Any, record: Any, cargs: list[Any], cparams: dict[str, Any]) -> None:
        calls.append((dialect, record))
        record.info["from do_connect"] = True

    try:
        with eng.connect() as conn:
            assert conn.connection.info["from do_connect"] is True
            assert conn.execute(select(literal(1))).scalar() == 1
    finally:
        eng.dispose()
    assert calls and calls[0][0] is eng.dialect


def test_do_connect_may_return_the_driver_connection_to_use(url: str) -> None:
    eng = create_engine(url, poolclass=QueuePool)
    made: list[Any] = []

    @event.listens_for(eng, "do_connect")
    def connect_myself(dialect: Any, record: Any, cargs: Any, cparams: Any) -> Any:
        made.append(dialect.connect(*cargs, **cparams))
        return made[-1]

    try:
        with eng.connect() as conn:
            assert conn.connection.dbapi_connection is made[0]
            assert conn.execute(select(literal(2))).scalar() == 2
    finally:
        eng.dispose()


def test_do_execute_listener_returning_true_runs_the_statement_itself(
    engine: Engine, nums: Table
) -> None:
    ran: list[str] = []

    def run_it(cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
        ran.append(statement)
        cursor.execute(statement, parameters)
        return True

    event.listen(engine, "do_execute", run_it)
    try:
        with engine.begin() as conn:
            conn.execute(insert(nums).values(n=5))
            assert conn.execute(select(nums.c.n)).scalar() == 5
    finally:
        event.remove(engine, "do_execute", run_it)
    assert [s.split()[0] for s in ran] == ["INSERT", "SELECT"]


def test_do_execute_listener_returning_nothing_leaves_the_call_to_the_dialect(
    engine: Engine, nums: Table
) -> None:
    seen: list[Any] = []
    event.listen(engine, "do_execute", lambda cursor, stmt, params, ctx: seen.append(ctx))
    with engine.begin() as conn:
        conn.execute(insert(nums).values(n=1))
    with engine.connect() as conn:
        assert conn.execute(select(nums.c.n)).scalars().all() == [1]
    assert seen[0].isinsert and seen[0].engine is engine


def test_do_executemany_fires_for_executemany(engine: Engine, nums: Table) -> None:
    many: list[int] = []
    event.listen(engine, "do_executemany", lambda c, s, params, ctx: many.append(len(params)))
    with engine.begin() as conn:
        conn.execute(insert(nums), [{"n": 1}, {"n": 2}, {"n": 3}])
    assert many == [3]


def test_a_dialect_class_listener_reaches_every_engine_of_that_dialect(url: str) -> None:
    seen: list[str] = []
    eng = create_engine(url)
    dialect_class = type(eng.dialect)

    def note(cursor: Any, statement: str, parameters: Any, context: Any) -> None:
        seen.append(statement)

    event.listen(dialect_class, "do_execute", note)
    try:
        with eng.connect() as conn:
            conn.execute(select(literal(1))).all()
    finally:
        event.remove(dialect_class, "do_execute", note)
        eng.dispose()
    assert len(seen) == 1
    assert not DefaultDialect.class_dispatch.do_execute


def test_no_parameters_sends_the_sql_without_parameters(engine: Engine) -> None:
    called: list[str] = []
    event.listen(engine, "do_execute_no_params", lambda c, s, ctx: called.append(s))
    with engine.connect() as conn:
        conn = conn.execution_options(no_parameters=True)
        # with no parameters the driver leaves "%" alone, so it is written once
        sql = "SELECT 'a%b'"
        assert conn.exec_driver_sql(sql).scalar() == "a%b"
    assert called == [sql]


def test_compiled_cache_none_compiles_every_statement(engine: Engine) -> None:
    stmt = select(literal(1))
    with engine.connect() as conn:
        conn.execute(stmt).all()
        before = engine.compile_count
        conn.execute(stmt).all()
        assert engine.compile_count == before
        conn.execution_options(compiled_cache=None)
        conn.execute(stmt).all()
        conn.execute(stmt).all()
        assert engine.compile_count == before + 2


def test_compiled_cache_dict_holds_the_connections_compiled_statements(engine: Engine) -> None:
    cache: dict[Any, Any] = {}
    with engine.connect() as conn:
        conn.execution_options(compiled_cache=cache)
        conn.execute(select(literal(1))).all()
        before = engine.compile_count
        conn.execute(select(literal(2))).all()
    assert len(cache) == 1 and engine.compile_count == before


def test_logging_token_marks_the_connections_log_lines(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="ormkit.engine.Engine"), engine.connect() as conn:
        conn.execution_options(logging_token="worker-7")
        conn.execute(select(literal(1))).all()
        conn.rollback()
    lines = [r.getMessage() for r in caplog.records if r.name == "ormkit.engine.Engine"]
    assert lines[0] == "[worker-7] BEGIN (implicit)"
    assert lines[1].startswith("[worker-7] SELECT")
    assert lines[2].startswith("[worker-7] [generated in")
    assert lines[-1] == "[worker-7] ROLLBACK"


def test_max_row_buffer_sets_how_many_rows_iteration_reads_at_a_time(
    engine: Engine, nums: Table
) -> None:
    with engine.begin() as conn:
        conn.execute(insert(nums), [{"n": i} for i in range(7)])
    with engine.connect() as conn:
        result = conn.execute(
            select(nums.c.n).order_by(nums.c.n), execution_options={"max_row_buffer": 3}
        )
        sizes: list[int] = []

        class Watched:  # the driver cursor, with the sizes asked of fetchmany() noted
            def __init__(self, cursor: Any) -> None:
                self.cursor = cursor

            def fetchmany(self, size: int) -> Any:
                sizes.append(size)
                return self.cursor.fetchmany(size)

            def close(self) -> None:
                self.cursor.close()

        result._cursor = Watched(result._cursor)
        assert [n for (n,) in result] == list(range(7))
    assert sizes == [3, 3, 3, 3]  # 3 + 3 + 1 rows, then the empty read that ends it


def test_preserve_rowcount_keeps_the_rowcount_of_any_statement(engine: Engine, nums: Table) -> None:
    with engine.begin() as conn:
        conn.execute(insert(nums), [{"n": 1}, {"n": 2}])
        result = conn.execute(
            text("UPDATE nums SET n = n + 10"), execution_options={"preserve_rowcount": True}
        )
        assert result.rowcount == 2
