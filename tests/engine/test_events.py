"""Connection and engine events: every statement seen by the cursor events, what retval
listeners change, handle_error, transaction and savepoint events, and where listeners live
(an engine, its copies, one connection)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ormkit import (
    Engine,
    Table,
    event,
    exc,
    insert,
    select,
    text,
    update,
)
from tests.conftest import kill_connection


@pytest.fixture
def cursor_log(engine: Engine) -> Iterator[list[tuple[str, Any, bool]]]:
    """(statement, parameters, executemany) of every before_cursor_execute on ``engine``."""
    seen: list[tuple[str, Any, bool]] = []

    def note(conn: Any, cursor: Any, statement: str, params: Any, ctx: Any, many: bool) -> None:
        seen.append((statement, params, many))

    event.listen(engine, "before_cursor_execute", note)
    yield seen
    event.remove(engine, "before_cursor_execute", note)


def test_cursor_events_see_core_statements_and_executemany(
    engine: Engine, users: Table, cursor_log: list[tuple[str, Any, bool]]
) -> None:
    with engine.begin() as conn:
        conn.execute(insert(users), [{"name": "a"}, {"name": "b"}])
        conn.execute(update(users).where(users.c.name == "a").values(name="c"))
        conn.execute(select(users.c.name).order_by(users.c.name)).all()
        conn.exec_driver_sql("SELECT 2")
    statements = [s.split()[0] for s, _, _ in cursor_log]
    assert statements == ["INSERT", "UPDATE", "SELECT", "SELECT"]
    assert cursor_log[0][2] is True and cursor_log[1][2] is False
    assert cursor_log[3][0] == "SELECT 2"


def test_after_cursor_execute_gets_the_context_of_the_statement(
    engine: Engine, users: Table
) -> None:
    contexts: list[Any] = []
    event.listen(engine, "after_cursor_execute", lambda *args: contexts.append(args[4]))
    with engine.begin() as conn:
        conn.execute(insert(users).values(name="x"))
    (ctx,) = contexts
    assert ctx.isinsert and not ctx.isupdate and not ctx.isdelete
    assert ctx.engine is engine and ctx.executemany is False
    assert "INSERT INTO" in ctx.statement


def test_before_cursor_execute_retval_rewrites_the_sql_sent(engine: Engine, users: Table) -> None:
    def tag(conn: Any, cursor: Any, statement: str, params: Any, ctx: Any, many: bool) -> Any:
        return statement + " -- tagged", params

    sent: list[str] = []
    event.listen(engine, "before_cursor_execute", tag, retval=True)
    event.listen(engine, "after_cursor_execute", lambda *args: sent.append(args[2]))
    with engine.connect() as conn:
        assert conn.execute(select(users.c.id)).all() == []
    assert sent == [sent[0]] and sent[0].endswith(" -- tagged")


def test_before_execute_retval_replaces_statement_and_parameters(
    engine: Engine, users: Table
) -> None:
    def redirect(conn: Any, clause: Any, multiparams: Any, params: Any, opts: Any) -> Any:
        return insert(users), [{"name": "replaced"}], {}

    after: list[Any] = []

    def note(*args: Any) -> None:
        after.append(args[1])

    event.listen(engine, "before_execute", redirect, retval=True)
    event.listen(engine, "after_execute", note)
    with engine.begin() as conn:
        conn.execute(insert(users), {"name": "original"})
    event.remove(engine, "before_execute", redirect)
    event.remove(engine, "after_execute", note)
    with engine.connect() as conn:
        assert conn.execute(select(users.c.name)).scalars().all() == ["replaced"]
    assert len(after) == 1 and after[0].is_insert


def test_before_execute_gets_the_merged_execution_options(engine: Engine, users: Table) -> None:
    got: list[dict[str, Any]] = []
    event.listen(engine, "before_execute", lambda *args: got.append(dict(args[4])))
    eng = engine.execution_options(level="engine", shared="engine")
    with eng.connect() as conn:
        conn = conn.execution_options(level="connection")
        stmt = select(users).execution_options(level="statement", own=1)
        conn.execute(stmt, execution_options={"call": True})
    assert got == [{"level": "statement", "shared": "engine", "own": 1, "call": True}]


def test_before_execute_sees_driver_style_parameters_of_exec_driver_sql(engine: Engine) -> None:
    seen: list[Any] = []
    event.listen(engine, "before_execute", lambda *args: seen.append(args[2]))
    marker = "?" if engine.dialect.paramstyle == "qmark" else "%s"
    with engine.connect() as conn:
        assert conn.exec_driver_sql(f"SELECT {marker}", (7,)).scalar() == 7
    assert seen == [[(7,)]]


def test_handle_error_sees_the_wrapped_error_and_may_replace_it(
    engine: Engine, users: Table
) -> None:
    class AppError(Exception):
        pass

    contexts: list[Any] = []

    def translate(ctx: Any) -> Exception:
        contexts.append(ctx)
        return AppError(f"translated: {type(ctx.sqlalchemy_exception).__name__}")

    event.listen(engine, "handle_error", translate, retval=True)
    with engine.connect() as conn:
        with pytest.raises(AppError, match=r"translated: (ProgrammingError|OperationalError)"):
            conn.execute(text("SELECT nope FROM users"))
        conn.rollback()
        assert conn.execute(text("SELECT 1")).scalar() == 1
    (ctx,) = contexts
    assert isinstance(ctx.sqlalchemy_exception, exc.DBAPIError)
    assert ctx.statement == "SELECT nope FROM users"
    assert ctx.is_disconnect is False


def test_handle_error_without_retval_cannot_replace_the_error(engine: Engine) -> None:
    seen: list[str] = []

    def observe(ctx: Any) -> Exception:
        seen.append(ctx.statement)
        return RuntimeError("ignored: only retval=True listeners replace the error")

    event.listen(engine, "handle_error", observe)
    with engine.connect() as conn, pytest.raises(exc.DBAPIError, match="no_such_table"):
        conn.execute(text("SELECT * FROM no_such_table"))
    assert seen == ["SELECT * FROM no_such_table"]


def test_handle_error_listener_may_raise_its_own_error(engine: Engine) -> None:
    def refuse(ctx: Any) -> None:
        raise LookupError(f"missing table in {ctx.statement!r}")

    event.listen(engine, "handle_error", refuse)
    with engine.connect() as conn:
        with pytest.raises(LookupError, match="missing table in 'SELECT \\* FROM gone'"):
            conn.execute(text("SELECT * FROM gone"))
        conn.rollback()
        assert conn.execute(text("SELECT 1")).scalar() == 1


def test_handle_error_sees_a_lost_connection_as_a_disconnect(engine: Engine, users: Table) -> None:
    flags: list[bool] = []
    event.listen(engine, "handle_error", lambda ctx: flags.append(ctx.is_disconnect))
    with engine.connect() as conn:
        conn.execute(select(users)).all()
        kill_connection(conn)
        with pytest.raises(exc.DBAPIError) as info:
            conn.execute(select(users)).all()
        assert info.value.connection_invalidated
        assert conn.invalidated
    assert flags == [True]


def test_transaction_and_savepoint_events_fire_in_order(engine: Engine, users: Table) -> None:
    happened: list[str] = []
    for name in ("begin", "commit", "rollback"):
        event.listen(engine, name, lambda conn, name=name: happened.append(name))
    event.listen(engine, "savepoint", lambda conn, sp: happened.append("savepoint"))
    event.listen(engine, "release_savepoint", lambda c, sp, ctx: happened.append("release"))
    event.listen(engine, "rollback_savepoint", lambda c, sp, ctx: happened.append("to savepoint"))
    with engine.connect() as conn:
        conn.execute(insert(users).values(name="a"))
        with conn.begin_nested():
            conn.execute(insert(users).values(name="b"))
        nested = conn.begin_nested()
        conn.execute(insert(users).values(name="c"))
        nested.rollback()
        conn.commit()
        conn.execute(select(users)).all()
        conn.rollback()
    assert happened == [
        "begin",
        "savepoint",
        "release",
        "savepoint",
        "to savepoint",
        "commit",
        "begin",
        "rollback",
    ]
    with engine.connect() as conn:
        assert sorted(conn.execute(select(users.c.name)).scalars()) == ["a", "b"]


def test_a_listener_on_an_engine_copy_does_not_reach_the_original(
    engine: Engine, users: Table
) -> None:
    on_original: list[str] = []
    on_copy: list[str] = []
    event.listen(engine, "begin", lambda conn: on_original.append("begin"))
    copy = engine.execution_options(tag="copy")
    event.listen(copy, "begin", lambda conn: on_copy.append("begin"))
    with copy.connect() as conn:
        conn.execute(select(users)).all()
    with engine.connect() as conn:
        conn.execute(select(users)).all()
    assert on_original == ["begin", "begin"]
    assert on_copy == ["begin"]


def test_a_listener_added_to_the_original_later_reaches_its_copies(
    engine: Engine, users: Table
) -> None:
    copy = engine.execution_options(tag="copy")
    seen: list[str] = []
    event.listen(engine, "commit", lambda conn: seen.append("commit"))
    with copy.begin() as conn:
        conn.execute(select(users)).all()
    assert seen == ["commit"]


def test_set_engine_execution_options_fires_for_the_copy(engine: Engine) -> None:
    got: list[tuple[Any, dict[str, Any]]] = []
    event.listen(engine, "set_engine_execution_options", lambda e, o: got.append((e, o)))
    copy = engine.execution_options(tag=1)
    assert got == [(copy, {"tag": 1})]


def test_a_connection_listener_serves_that_connection_only(engine: Engine, users: Table) -> None:
    seen: list[int] = []
    with engine.connect() as first, engine.connect() as second:
        event.listen(first, "before_cursor_execute", lambda *args: seen.append(1))
        first.execute(select(users)).all()
        second.execute(select(users)).all()
    with engine.connect() as third:
        third.execute(select(users)).all()
    assert seen == [1]


def test_engine_connect_and_set_connection_execution_options_fire(engine: Engine) -> None:
    happened: list[Any] = []
    event.listen(engine, "engine_connect", lambda conn: happened.append("connect"))
    event.listen(
        engine, "set_connection_execution_options", lambda conn, opts: happened.append(opts)
    )
    with engine.connect() as conn:
        conn.execution_options(mine=True)
    assert happened == ["connect", {"mine": True}]


def test_a_refused_isolation_change_inside_a_transaction_changes_nothing(
    engine: Engine, users: Table
) -> None:
    fired: list[Any] = []
    event.listen(engine, "set_connection_execution_options", lambda c, o: fired.append(o))
    with engine.connect() as conn:
        conn.execute(select(users)).all()
        with pytest.raises(exc.InvalidRequestError, match="isolation level inside a transaction"):
            conn.execution_options(isolation_level="SERIALIZABLE", tag=1)
        assert "tag" not in conn.get_execution_options()
    assert fired == []


def test_engine_disposed_fires(engine: Engine) -> None:
    disposed: list[Engine] = []
    event.listen(engine, "engine_disposed", disposed.append)
    engine.dispose()
    assert disposed == [engine]


def test_exec_driver_sql_takes_execution_options(engine: Engine) -> None:
    got: list[Any] = []
    event.listen(engine, "before_cursor_execute", lambda *args: got.append(args[4]))
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1", execution_options={"mine": 7})
    assert got[0].execution_options["mine"] == 7


def test_exec_driver_sql_refuses_a_connection_only_option(engine: Engine) -> None:
    with engine.connect() as conn, pytest.raises(exc.ArgumentError, match="isolation_level"):
        conn.exec_driver_sql("SELECT 1", execution_options={"isolation_level": "AUTOCOMMIT"})
