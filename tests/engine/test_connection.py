"""Connections and transactions: commit as you go, begin(), savepoints, execution, errors."""

from __future__ import annotations

import pytest

from ormkit import (
    Column,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    exc,
    func,
    insert,
    literal,
    select,
    text,
    update,
)


def _count(engine: Engine, table: Table) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(table))  # type: ignore[no-any-return]


def _names(engine: Engine, table: Table) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(select(table.c.name).order_by(table.c.id)).all())


# -- commit as you go ---------------------------------------------------------------------------


def test_commit_makes_inserted_row_visible_to_another_connection(
    engine: Engine, users: Table
) -> None:
    with engine.connect() as conn:
        conn.execute(insert(users), {"id": 1, "name": "ann"})
        conn.commit()
        with engine.connect() as other:
            assert other.execute(select(users.c.name)).all() == [("ann",)]


def test_closing_a_connection_without_commit_rolls_back(engine: Engine, users: Table) -> None:
    with engine.connect() as conn:
        conn.execute(insert(users), {"id": 1, "name": "ann"})
        assert conn.in_transaction()
    assert _count(engine, users) == 0


def test_connection_autobegins_and_commit_ends_the_transaction(
    engine: Engine, users: Table
) -> None:
    with engine.connect() as conn:
        assert not conn.in_transaction()
        conn.execute(insert(users), {"id": 1, "name": "ann"})
        assert conn.in_transaction()
        conn.commit()
        assert not conn.in_transaction()
        conn.execute(insert(users), {"id": 2, "name": "bob"})
        conn.rollback()
    assert _names(engine, users) == ["ann"]


def test_commit_and_rollback_without_a_transaction_do_nothing(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.commit()
        conn.rollback()
        assert not conn.in_transaction()
        assert conn.scalar(select(literal(1))) == 1


# -- Engine.begin() and Connection.begin() ------------------------------------------------------


def test_engine_begin_commits_at_the_end_of_the_block(engine: Engine, users: Table) -> None:
    with engine.begin() as conn:
        conn.execute(insert(users), {"id": 1, "name": "ann"})
    assert _names(engine, users) == ["ann"]


def test_engine_begin_rolls_back_on_exception_and_reraises(engine: Engine, users: Table) -> None:
    with pytest.raises(RuntimeError, match="boom"), engine.begin() as conn:
        conn.execute(insert(users), {"id": 1, "name": "ann"})
        raise RuntimeError("boom")
    assert _count(engine, users) == 0


def test_connection_begin_context_manager_commits(engine: Engine, users: Table) -> None:
    with engine.connect() as conn:
        with conn.begin() as trans:
            conn.execute(insert(users), {"id": 1, "name": "ann"})
            assert conn.get_transaction() is trans
        assert not trans.is_active
        assert not conn.in_transaction()
    assert _names(engine, users) == ["ann"]


def test_connection_begin_context_manager_rolls_back_on_exception(
    engine: Engine, users: Table
) -> None:
    with engine.connect() as conn:
        with pytest.raises(ValueError, match="nope"), conn.begin():
            conn.execute(insert(users), {"id": 1, "name": "ann"})
            raise ValueError("nope")
        assert not conn.in_transaction()
        # the connection stays usable
        with conn.begin():
            conn.execute(insert(users), {"id": 2, "name": "bob"})
    assert _names(engine, users) == ["bob"]


def test_begin_twice_raises_invalid_request_about_open_transaction(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.begin()
        with pytest.raises(exc.InvalidRequestError, match="already open") as info:
            conn.begin()
        assert "commit() or rollback()" in str(info.value)


def test_begin_after_autobegin_raises_invalid_request(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(select(literal(1)))
        with pytest.raises(exc.InvalidRequestError, match="transaction is already open"):
            conn.begin()
        conn.commit()
        with conn.begin():
            assert conn.scalar(select(literal(2))) == 2


def test_committing_a_finished_transaction_raises_invalid_request(engine: Engine) -> None:
    with engine.connect() as conn:
        trans = conn.begin()
        trans.commit()
        with pytest.raises(exc.InvalidRequestError, match="already finished"):
            trans.commit()


def test_committing_a_rolled_back_transaction_raises_invalid_request(engine: Engine) -> None:
    with engine.connect() as conn:
        trans = conn.begin()
        trans.rollback()
        trans.rollback()  # rolling back twice is allowed
        with pytest.raises(exc.InvalidRequestError, match="begin a new one"):
            trans.commit()


# -- savepoints ---------------------------------------------------------------------------------


def test_rolled_back_savepoint_keeps_outer_work(engine: Engine, users: Table) -> None:
    with engine.connect() as conn, conn.begin():
        conn.execute(insert(users), {"id": 1, "name": "outer"})
        savepoint = conn.begin_nested()
        assert conn.in_nested_transaction()
        conn.execute(insert(users), {"id": 2, "name": "inner"})
        savepoint.rollback()
        assert not conn.in_nested_transaction()
        assert conn.in_transaction()
        conn.execute(insert(users), {"id": 3, "name": "after"})
    assert _names(engine, users) == ["outer", "after"]


def test_released_savepoint_keeps_its_work(engine: Engine, users: Table) -> None:
    with engine.connect() as conn, conn.begin():
        conn.execute(insert(users), {"id": 1, "name": "outer"})
        with conn.begin_nested():
            conn.execute(insert(users), {"id": 2, "name": "inner"})
    assert _names(engine, users) == ["outer", "inner"]


def test_savepoint_context_manager_rolls_back_on_exception(engine: Engine, users: Table) -> None:
    with engine.connect() as conn, conn.begin():
        conn.execute(insert(users), {"id": 1, "name": "outer"})
        with pytest.raises(KeyError), conn.begin_nested():
            conn.execute(insert(users), {"id": 2, "name": "inner"})
            raise KeyError("x")
    assert _names(engine, users) == ["outer"]


def test_released_savepoint_is_undone_by_outer_rollback(engine: Engine, users: Table) -> None:
    with engine.connect() as conn:
        trans = conn.begin()
        with conn.begin_nested():
            conn.execute(insert(users), {"id": 1, "name": "inner"})
        trans.rollback()
    assert _count(engine, users) == 0


def test_nested_savepoints_roll_back_independently(engine: Engine, users: Table) -> None:
    with engine.connect() as conn, conn.begin():
        sp1 = conn.begin_nested()
        conn.execute(insert(users), {"id": 1, "name": "one"})
        sp2 = conn.begin_nested()
        conn.execute(insert(users), {"id": 2, "name": "two"})
        sp2.rollback()
        sp1.commit()
    assert _names(engine, users) == ["one"]


def test_begin_nested_autobegins_the_outer_transaction(engine: Engine, users: Table) -> None:
    with engine.connect() as conn:
        with conn.begin_nested():
            conn.execute(insert(users), {"id": 1, "name": "ann"})
        assert conn.in_transaction()
        conn.commit()
    assert _names(engine, users) == ["ann"]


def test_committing_the_outer_transaction_ends_its_savepoints(engine: Engine) -> None:
    with engine.connect() as conn:
        trans = conn.begin()
        savepoint = conn.begin_nested()
        trans.commit()
        assert not savepoint.is_active
        conn.begin()
        savepoint = conn.begin_nested()
        conn.commit()
        assert not savepoint.is_active
        with pytest.raises(exc.InvalidRequestError, match="already finished"):
            savepoint.commit()


def test_releasing_a_finished_savepoint_raises_invalid_request(engine: Engine) -> None:
    with engine.connect() as conn:
        savepoint = conn.begin_nested()
        savepoint.commit()
        with pytest.raises(exc.InvalidRequestError, match="already finished"):
            savepoint.commit()


# -- execution ----------------------------------------------------------------------------------


def test_execute_with_list_of_dicts_runs_executemany(engine: Engine, users: Table) -> None:
    with engine.begin() as conn:
        result = conn.execute(
            insert(users),
            [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}, {"id": 3, "name": "c"}],
        )
        assert result.rowcount == 3
    assert _names(engine, users) == ["a", "b", "c"]


def test_executemany_update_with_bindparams_reports_total_rowcount(
    engine: Engine, users: Table
) -> None:
    with engine.begin() as conn:
        conn.execute(insert(users), [{"id": i, "name": f"n{i}"} for i in range(1, 5)])
        stmt = (
            update(users)
            .where(users.c.id == bindparam("target"))
            .values(name=bindparam("new_name"))
        )
        result = conn.execute(
            stmt, [{"target": 1, "new_name": "x"}, {"target": 3, "new_name": "y"}]
        )
        assert result.rowcount == 2
    assert _names(engine, users) == ["x", "n2", "y", "n4"]


def test_execute_with_empty_parameter_list_is_rejected(engine: Engine, users: Table) -> None:
    with (
        engine.connect() as conn,
        pytest.raises(exc.ArgumentError, match="empty list of parameter sets"),
    ):
        conn.execute(insert(users), [])


def test_executemany_set_missing_a_key_is_rejected_naming_the_set(
    engine: Engine, users: Table
) -> None:
    with (
        engine.connect() as conn,
        pytest.raises(exc.ArgumentError, match=r"'name'.*missing from parameter set 2"),
    ):
        conn.execute(insert(users), [{"id": 1, "name": "a"}, {"id": 2}])
    assert _count(engine, users) == 0


def test_executemany_of_a_one_parameter_statement(engine: Engine, users: Table) -> None:
    with engine.begin() as conn:
        conn.execute(insert(users), [{"id": i, "name": f"n{i}"} for i in range(1, 5)])
        stmt = update(users).where(users.c.id == bindparam("target")).values(name="same")
        assert conn.execute(stmt, [{"target": 2}, {"target": 4}]).rowcount == 2
    assert _names(engine, users) == ["n1", "same", "n3", "same"]


def test_executemany_fills_values_the_sets_leave_out_from_the_statement(
    engine: Engine, users: Table
) -> None:
    with engine.begin() as conn:
        stmt = insert(users).values(name=bindparam("name", "default name"))
        conn.execute(stmt, [{"id": 1}, {"id": 2, "name": "given"}])
    assert _names(engine, users) == ["default name", "given"]


def test_exec_driver_sql_runs_text_as_given(engine: Engine) -> None:
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT 1 + 1").scalar() == 2


def test_exec_driver_sql_takes_driver_style_parameters(engine: Engine, users: Table) -> None:
    mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
    with engine.begin() as conn:
        conn.exec_driver_sql(
            f"INSERT INTO users (id, name) VALUES ({mark}, {mark})",  # type: ignore[arg-type]
            (7, "seven"),
        )
    assert _names(engine, users) == ["seven"]


def test_scalar_returns_first_column_of_first_row(engine: Engine, users: Table) -> None:
    with engine.begin() as conn:
        conn.execute(insert(users), [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}])
        assert conn.scalar(select(func.count()).select_from(users)) == 2
        assert conn.scalar(select(users.c.name).where(users.c.id == 5)) is None


def test_scalars_returns_first_column_of_every_row(engine: Engine, users: Table) -> None:
    with engine.begin() as conn:
        conn.execute(insert(users), [{"id": 2, "name": "b"}, {"id": 1, "name": "a"}])
        assert conn.scalars(select(users.c.name).order_by(users.c.name)).all() == ["a", "b"]


def test_text_with_bound_parameters(engine: Engine) -> None:
    with engine.connect() as conn:
        assert conn.execute(text("SELECT :a + :b"), {"a": 2, "b": 3}).scalar() == 5


def test_engine_execute_string_returns_buffered_rows_after_release(
    engine: Engine, users: Table
) -> None:
    engine.execute(insert(users), [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}])
    result = engine.execute("SELECT id, name FROM users ORDER BY id")
    # the connection went back to the pool; the rows were read already
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    assert result.all() == [(1, "a"), (2, "b")]


def test_engine_execute_string_takes_parameters(engine: Engine) -> None:
    assert engine.execute("SELECT :x", {"x": 41}).scalar() == 41
    assert engine.execute("SELECT :x", x=42).scalar() == 42


def test_engine_execute_commits(engine: Engine, users: Table) -> None:
    engine.execute("INSERT INTO users (id, name) VALUES (:id, :name)", {"id": 1, "name": "a"})
    assert _names(engine, users) == ["a"]


def test_execute_raw_string_raises_argument_error_pointing_to_text(engine: Engine) -> None:
    with engine.connect() as conn:
        with pytest.raises(exc.ArgumentError, match=r"wrap SQL text in text\(\.\.\.\)") as info:
            conn.execute("SELECT 1")  # type: ignore[arg-type]
        assert "exec_driver_sql()" in str(info.value)


def test_execute_non_statement_object_raises_argument_error(engine: Engine) -> None:
    with engine.connect() as conn, pytest.raises(exc.ArgumentError, match="got int"):
        conn.execute(42)


def test_execute_positional_parameters_are_rejected(engine: Engine) -> None:
    with (
        engine.connect() as conn,
        pytest.raises(exc.ArgumentError, match="takes parameters as a dict or a list of dicts"),
    ):
        conn.execute(text("SELECT :a"), [(1,)])  # type: ignore[list-item]


@pytest.mark.parametrize(
    "use",
    [
        lambda conn: conn.execute(select(literal(1))),
        lambda conn: conn.exec_driver_sql("SELECT 1"),
        lambda conn: conn.begin(),
        lambda conn: conn.begin_nested(),
        lambda conn: conn.connection,
    ],
    ids=["execute", "exec_driver_sql", "begin", "begin_nested", "connection"],
)
def test_using_a_closed_connection_raises_resource_closed(engine: Engine, use: object) -> None:
    conn = engine.connect()
    conn.close()
    assert conn.closed
    with pytest.raises(exc.ResourceClosedError, match=r"open a new one with engine\.connect\(\)"):
        use(conn)  # type: ignore[operator]


def test_closing_a_connection_twice_is_harmless(engine: Engine) -> None:
    conn = engine.connect()
    conn.close()
    conn.close()
    assert conn.closed


# -- driver errors ------------------------------------------------------------------------------


def test_duplicate_primary_key_raises_integrity_error_with_details(
    engine: Engine, users: Table
) -> None:
    dbapi = engine.dialect.dbapi
    with engine.connect() as conn:
        conn.execute(insert(users), {"id": 1, "name": "first"})
        with pytest.raises(exc.IntegrityError) as info:
            conn.execute(insert(users), {"id": 1, "name": "second"})
    err = info.value
    assert isinstance(err, exc.DBAPIError)
    assert isinstance(err.orig, dbapi.IntegrityError)  # type: ignore[union-attr]
    assert err.__cause__ is err.orig
    assert err.statement is not None
    assert err.statement.startswith("INSERT INTO users")
    params = list(err.params.values()) if isinstance(err.params, dict) else list(err.params)
    assert params == [1, "second"]
    message = str(err)
    assert f"[SQL: {err.statement}]" in message
    assert "second" in message
    assert str(err.orig) in message


def test_sqlite_integrity_error_wraps_sqlite3_error(sqlite_engine: Engine) -> None:
    import sqlite3

    with sqlite_engine.connect() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY)")
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        with pytest.raises(exc.IntegrityError, match=r"UNIQUE constraint failed: t\.id") as info:
            conn.execute(text("INSERT INTO t VALUES (:id)"), {"id": 1})
    assert type(info.value.orig) is sqlite3.IntegrityError
    assert "(sqlite3.IntegrityError)" in str(info.value)
    assert "[SQL: INSERT INTO t VALUES (?)]" in str(info.value)
    assert "[parameters: (1,)]" in str(info.value)


def test_connection_is_usable_after_integrity_error_and_rollback(
    engine: Engine, users: Table
) -> None:
    with engine.connect() as conn:
        conn.execute(insert(users), {"id": 1, "name": "first"})
        conn.commit()
        with pytest.raises(exc.IntegrityError):
            conn.execute(insert(users), {"id": 1, "name": "dup"})
        conn.rollback()
        conn.execute(insert(users), {"id": 2, "name": "second"})
        conn.commit()
    assert _names(engine, users) == ["first", "second"]


def test_syntax_error_raises_operational_or_programming_error(engine: Engine) -> None:
    with (
        engine.connect() as conn,
        pytest.raises((exc.OperationalError, exc.ProgrammingError)) as info,
    ):
        conn.execute(text("SELEC 1"))
    assert "syntax" in str(info.value).lower()
    assert "[SQL: SELEC 1]" in str(info.value)
    assert isinstance(info.value.orig, engine.dialect.dbapi.Error)  # type: ignore[union-attr]


def test_sqlite_syntax_error_is_operational_error(sqlite_engine: Engine) -> None:
    import sqlite3

    with (
        sqlite_engine.connect() as conn,
        pytest.raises(exc.OperationalError, match='near "SELEC": syntax error') as info,
    ):
        conn.execute(text("SELEC 1"))
    assert type(info.value.orig) is sqlite3.OperationalError


def test_unknown_table_raises_database_error_naming_it(engine: Engine) -> None:
    with engine.connect() as conn, pytest.raises(exc.DatabaseError) as info:
        conn.execute(text("SELECT * FROM no_such_table_here"))
    assert "no_such_table_here" in str(info.value)


def test_not_null_violation_raises_integrity_error(engine: Engine, users: Table) -> None:
    with engine.connect() as conn, pytest.raises(exc.IntegrityError) as info:
        conn.execute(insert(users), {"id": 1, "name": None})
    message = str(info.value).lower()
    assert "null" in message
    assert "name" in message


def test_foreign_key_violation_raises_integrity_error(engine: Engine, metadata: MetaData) -> None:
    Table("parent", metadata, Column("id", Integer, primary_key=True))
    child = Table(
        "child",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("parent_id", Integer, ForeignKey("parent.id")),
    )
    metadata.create_all(engine)
    with engine.connect() as conn, pytest.raises(exc.IntegrityError) as info:
        conn.execute(insert(child), {"id": 1, "parent_id": 99})
    assert "foreign key" in str(info.value).lower()


def test_hide_parameters_keeps_values_out_of_errors(url: str, metadata: MetaData) -> None:
    from ormkit import create_engine

    eng = create_engine(url, hide_parameters=True)
    try:
        users = Table(
            "users", metadata, Column("id", Integer, primary_key=True), Column("name", String(50))
        )
        metadata.create_all(eng)
        with eng.connect() as conn:
            conn.execute(insert(users), {"id": 1, "name": "secret-value"})
            with pytest.raises(exc.IntegrityError) as info:
                conn.execute(insert(users), {"id": 1, "name": "secret-value"})
        text = str(info.value)
        assert "secret-value" not in text
        sql_line = next(line for line in text.splitlines() if line.startswith("[SQL: "))
        hidden = "[SQL parameters hidden due to hide_parameters=True]"
        assert text.splitlines()[text.splitlines().index(sql_line) + 1] == hidden
        assert "[parameters:" not in text
        assert info.value.params is not None  # kept for the program, only not shown
    finally:
        metadata.drop_all(eng)
        eng.dispose()


def test_value_the_driver_cannot_bind_names_parameter_type_and_fix(
    engine: Engine, metadata: MetaData
) -> None:
    table = Table(
        "binds", metadata, Column("id", Integer, primary_key=True), Column("name", String(20))
    )
    metadata.create_all(engine)
    with engine.connect() as conn, pytest.raises(exc.DBAPIError) as info:
        conn.execute(insert(table).values(name={"a": 1}))
    message = str(info.value)
    assert "parameter 'name' (String(length=20)) got a value of type dict" in message
    assert "JSON" in message
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(table)).scalar() == 0
