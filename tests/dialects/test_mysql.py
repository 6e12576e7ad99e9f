"""MySQL/MariaDB: DDL and SQL text (compile-only), then upserts, RETURNING, streaming,
isolation, reflection, errors and lost connections against the server (skipped when down)."""

from __future__ import annotations

import datetime
import decimal
import threading
from collections.abc import Iterator

import pytest

from ormkit import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Engine,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Time,
    create_engine,
    exc,
    func,
    inspect,
    literal,
    select,
    text,
    update,
)
from ormkit import insert as core_insert
from ormkit.dialects.mysql import MariaDBDialect, MySQLDialect, insert
from ormkit.sql.ddl import CreateTable
from tests.conftest import (
    drop_everything,
    kill_connection,
    kill_server_session,
    server_session_id,
    server_url,
)

mysql = MySQLDialect()
mariadb = MariaDBDialect()


@pytest.fixture
def my() -> Iterator[Engine]:
    """An engine on the MariaDB server; every table is dropped afterwards."""
    eng = create_engine(server_url("mariadb"))
    yield eng
    drop_everything(eng)
    eng.dispose()


@pytest.fixture
def users(my: Engine, metadata: MetaData) -> Table:
    table = Table(
        "users",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(50), nullable=False, unique=True),
        Column("visits", Integer, server_default=text("0")),
    )
    metadata.create_all(my)
    return table


t = Table(
    "t",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("x", String(5)),
    Column("n", Integer),
)


# -- compile-only ---------------------------------------------------------------------------


def test_create_table_uses_mysql_type_names() -> None:
    table = Table(
        "things",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("flag", Boolean),
        Column("price", Numeric(10, 2)),
        Column("amount", Numeric),
        Column("ratio", Float),
        Column("at", DateTime),
        Column("tod", Time),
        Column("blob", LargeBinary),
        Column("doc", JSON),
        Column("kind", Enum("a", "bb")),
        Column("order", String(20)),
    )
    assert CreateTable(table).compile(dialect=mysql).sql.strip() == (
        "CREATE TABLE things (\n"
        "\tid INTEGER NOT NULL AUTO_INCREMENT,\n"
        "\tflag BOOL,\n"
        "\tprice DECIMAL(10, 2),\n"
        "\tamount DECIMAL(65, 30),\n"
        "\tratio DOUBLE,\n"
        "\tat DATETIME(6),\n"
        "\ttod TIME(6),\n"
        "\t`blob` LONGBLOB,\n"
        "\tdoc JSON,\n"
        "\tkind VARCHAR(2) CHECK (kind IN ('a', 'bb')),\n"
        "\t`order` VARCHAR(20),\n"
        "\tPRIMARY KEY (id)\n"
        ") DEFAULT CHARSET=utf8mb4"
    )


def test_varchar_without_length_is_a_compile_error_naming_table_and_column() -> None:
    table = Table(
        "people", MetaData(), Column("id", Integer, primary_key=True), Column("nick", String)
    )
    with pytest.raises(exc.CompileError) as info:
        CreateTable(table).compile(dialect=mysql)
    message = str(info.value)
    assert "people.nick" in message
    assert "VARCHAR requires a length" in message
    assert "String(n)" in message


def test_mysql_spellings() -> None:
    def sql(stmt: object) -> str:
        return str(stmt.compile(dialect=mysql))  # type: ignore[attr-defined]

    assert "CONCAT(t.x, %s)" in sql(select(t.c.x + "!"))
    assert "lower(t.x) LIKE lower(%s)" in sql(select(t).where(t.c.x.ilike("A%")))
    assert "NOT (t.n <=> %s)" in sql(select(t).where(t.c.n.is_distinct_from(1)))
    assert "t.n <=> %s" in sql(select(t).where(t.c.n.is_not_distinct_from(1)))
    assert sql(select(t.c.n).order_by(t.c.n.desc().nulls_first())).endswith(
        "ORDER BY t.n IS NULL DESC, t.n DESC NULLS FIRST".replace(" NULLS FIRST", "")
    )
    assert sql(select(t.c.n).offset(5)).endswith("LIMIT 18446744073709551615 OFFSET %s")
    assert sql(select(t.c.n).limit(2).offset(5)).endswith("LIMIT %s OFFSET %s")
    assert sql(select(t).with_for_update(read=True)).endswith("LOCK IN SHARE MODE")
    assert sql(select(t).with_for_update(skip_locked=True)).endswith("FOR UPDATE SKIP LOCKED")


def test_mariadb_rejects_for_update_of() -> None:
    with pytest.raises(exc.CompileError, match="MariaDB has no FOR UPDATE OF"):
        select(t).with_for_update(of=t).compile(dialect=mariadb)


def test_returning_support_differs_between_mysql_and_mariadb() -> None:
    stmt = core_insert(t).values(x="a").returning(t.c.id)
    assert str(stmt.compile(dialect=mariadb)).endswith("RETURNING id")
    with pytest.raises(exc.CompileError, match=r"does not support INSERT \.\.\. RETURNING"):
        stmt.compile(dialect=mysql)
    with pytest.raises(exc.CompileError, match=r"does not support UPDATE \.\.\. RETURNING"):
        update(t).values(x="b").returning(t.c.id).compile(dialect=mariadb)


def test_on_duplicate_key_update_renders_values_of_the_inserted_row() -> None:
    stmt = insert(t).values(id=1, n=1)
    stmt = stmt.on_duplicate_key_update(n=t.c.n + stmt.inserted.n)
    assert str(stmt.compile(dialect=mysql)) == (
        "INSERT INTO t (id, n) VALUES (%s, %s) ON DUPLICATE KEY UPDATE n = t.n + VALUES(n)"
    )
    with pytest.raises(exc.ArgumentError, match="needs at least one column"):
        insert(t).on_duplicate_key_update({})


# -- against the server ---------------------------------------------------------------------


def test_server_is_detected_as_mariadb_with_returning(my: Engine) -> None:
    with my.connect():
        pass
    assert my.dialect.is_mariadb  # type: ignore[attr-defined]
    assert my.dialect.insert_returning and not my.dialect.update_returning


def test_on_duplicate_key_update_for_real(my: Engine, users: Table) -> None:
    with my.begin() as conn:
        first = conn.execute(core_insert(users).values(name="ann"))
        assert first.inserted_primary_key == (1,)
        stmt = insert(users).values(name="ann", visits=5)
        stmt = stmt.on_duplicate_key_update(visits=users.c.visits + stmt.inserted.visits)
        conn.execute(stmt)
        conn.execute(stmt)
        assert conn.execute(select(users.c.name, users.c.visits)).all() == [("ann", 10)]


def test_returning_on_insert_and_delete(my: Engine, users: Table) -> None:
    with my.begin() as conn:
        got = conn.execute(core_insert(users).values(name="ann").returning(users.c.id)).scalar()
        assert got == 1
        gone = conn.execute(users.delete().returning(users.c.name)).scalars().all()
        assert gone == ["ann"]


def test_types_round_trip(my: Engine, metadata: MetaData) -> None:
    table = Table(
        "vals",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("flag", Boolean),
        Column("at", DateTime),
        Column("tod", Time),
        Column("doc", JSON),
        Column("price", Numeric),
        Column("text", String(20)),
    )
    metadata.create_all(my)
    row = {
        "flag": True,
        "at": datetime.datetime(2024, 1, 2, 3, 4, 5, 123456),
        "tod": datetime.time(13, 14, 15, 987654),
        "doc": {"a": [1, None]},
        "price": decimal.Decimal("1.25"),
        "text": "back\\slash 'q' 😀",
    }
    with my.begin() as conn:
        conn.execute(core_insert(table), row)
        got = conn.execute(select(table)).one()._asdict()
    assert got == {"id": 1, **row}
    assert type(got["flag"]) is bool


def test_concat_and_null_ordering_for_real(my: Engine, users: Table) -> None:
    with my.begin() as conn:
        conn.execute(
            core_insert(users), [{"name": "a", "visits": None}, {"name": "b", "visits": 3}]
        )
        assert conn.scalar(select(users.c.name + literal("!")).where(users.c.name == "a")) == "a!"
        ordered = select(users.c.name).order_by(users.c.visits.desc().nulls_first())
        assert conn.scalars(ordered).all() == ["a", "b"]
        ordered = select(users.c.name).order_by(users.c.visits.asc().nulls_last())
        assert conn.scalars(ordered).all() == ["b", "a"]
        distinct = select(users.c.name).where(users.c.visits.is_distinct_from(3))
        assert conn.scalars(distinct).all() == ["a"]


def test_stream_results_uses_an_unbuffered_cursor(my: Engine, users: Table) -> None:
    from pymysql.cursors import SSCursor  # type: ignore[import-untyped]

    with my.begin() as conn:
        conn.execute(core_insert(users), [{"name": f"u{i:02}"} for i in range(25)])
    with my.connect() as conn:
        conn.execution_options(stream_results=True, yield_per=10)
        result = conn.execute(select(users.c.name).order_by(users.c.id))
        assert isinstance(result._cursor, SSCursor)
        assert [len(part) for part in result.partitions()] == [10, 10, 5]


def test_isolation_levels_apply_and_are_reset(my: Engine, users: Table) -> None:
    with my.connect() as conn:
        assert conn.get_isolation_level() == "REPEATABLE READ"
        conn.execution_options(isolation_level="READ COMMITTED")
        assert conn.get_isolation_level() == "READ COMMITTED"
        conn.execution_options(isolation_level="AUTOCOMMIT")
        assert conn.get_isolation_level() == "AUTOCOMMIT"
        conn.execute(core_insert(users).values(name="auto"))
        with my.connect() as other:  # visible without a commit
            assert other.scalar(select(func.count()).select_from(users)) == 1
    with my.connect() as conn:
        assert conn.get_isolation_level() == "REPEATABLE READ"


def test_savepoint_rolls_back_inner_work(my: Engine, users: Table) -> None:
    with my.begin() as conn:
        conn.execute(core_insert(users).values(name="outer"))
        with pytest.raises(exc.IntegrityError), conn.begin_nested():
            conn.execute(core_insert(users).values(name="outer"))
        conn.execute(core_insert(users).values(name="after"))
    with my.connect() as conn:
        assert conn.scalars(select(users.c.name).order_by(users.c.id)).all() == ["outer", "after"]


def test_reflection_reads_columns_keys_and_indexes(my: Engine, metadata: MetaData) -> None:
    Table("parent", metadata, Column("id", Integer, primary_key=True))
    Table(
        "child",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("parent_id", ForeignKey("parent.id", ondelete="CASCADE")),
        Column("name", String(40), nullable=False),
        Column("flag", Boolean),
        Index("ix_child_name", "name", unique=True),
    )
    metadata.create_all(my)
    insp = inspect(my)
    assert insp.get_table_names() == ["child", "parent"]
    assert insp.has_table("child") and not insp.has_table("nope")
    cols = {c["name"]: c for c in insp.get_columns("child")}
    assert cols["name"]["type"] == String(40) and cols["name"]["nullable"] is False
    assert cols["flag"]["type"] == Boolean()
    assert cols["id"]["autoincrement"] is True
    assert insp.get_pk_constraint("child")["constrained_columns"] == ["id"]
    (fk,) = insp.get_foreign_keys("child")
    assert (fk["constrained_columns"], fk["referred_table"], fk["referred_columns"]) == (
        ["parent_id"],
        "parent",
        ["id"],
    )
    assert fk["options"]["ondelete"] == "CASCADE"
    assert insp.get_indexes("child") == [
        {"name": "ix_child_name", "column_names": ["name"], "unique": True}
    ]


@pytest.mark.parametrize("kind", ["unique", "foreign_key", "not_null", "missing_not_null"])
def test_constraint_violations_are_integrity_errors(
    my: Engine, metadata: MetaData, kind: str
) -> None:
    Table("p", metadata, Column("id", Integer, primary_key=True))
    c = Table(
        "c",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("p_id", ForeignKey("p.id")),
        Column("name", String(10), nullable=False, unique=True),
    )
    metadata.create_all(my)
    with my.begin() as conn:
        conn.execute(core_insert(c).values(id=1, name="a"))
    bad = {
        "unique": {"id": 2, "name": "a"},
        "foreign_key": {"id": 2, "p_id": 9, "name": "b"},
        "not_null": {"id": 2, "name": None},
        "missing_not_null": {"id": 2},
    }[kind]
    with pytest.raises(exc.IntegrityError) as info, my.begin() as conn:
        conn.execute(core_insert(c).values(**bad))
    expected = {
        "unique": "Duplicate entry",
        "foreign_key": "foreign key constraint fails",
        "not_null": "cannot be null",
        "missing_not_null": "a NOT NULL column without a default got no value",
    }[kind]
    assert expected in str(info.value)


def test_deadlock_is_retryable(my: Engine, users: Table) -> None:
    with my.begin() as conn:
        conn.execute(core_insert(users), [{"name": "a"}, {"name": "b"}])
    errors: list[BaseException] = []
    first, second = my.connect(), my.connect()
    try:
        first.execute(update(users).where(users.c.name == "a").values(visits=1))
        second.execute(update(users).where(users.c.name == "b").values(visits=1))

        def cross(conn: object, name: str) -> None:
            try:
                conn.execute(update(users).where(users.c.name == name).values(visits=2))  # type: ignore[attr-defined]
            except exc.DBAPIError as err:
                errors.append(err)
                conn.rollback()  # type: ignore[attr-defined]

        waiter = threading.Thread(target=cross, args=(first, "b"))
        waiter.start()
        threading.Event().wait(0.5)  # let the first connection start waiting on row b
        cross(second, "a")
        waiter.join(timeout=30)
    finally:
        first.close()
        second.close()
    (error,) = errors
    assert isinstance(error, exc.OperationalError)
    assert error.retryable is True
    assert "Deadlock" in str(error) and "can be retried" in str(error)


def test_killed_connection_fails_in_flight_work_and_commits_nothing(
    my: Engine, users: Table
) -> None:
    conn = my.connect()
    try:
        conn.execute(core_insert(users).values(name="lost"))
        kill_connection(conn)
        with pytest.raises(exc.DBAPIError) as info:
            conn.execute(core_insert(users).values(name="also lost"))
        assert info.value.connection_invalidated is True
        assert "connection to the server was lost" in str(info.value)
        assert conn.invalidated
    finally:
        conn.close()
    with my.connect() as other:
        assert other.scalar(select(func.count()).select_from(users)) == 0


def test_pre_ping_replaces_a_connection_the_server_killed(users: Table) -> None:
    eng = create_engine(server_url("mariadb"), pool_pre_ping=True, pool_size=1)
    try:
        with eng.connect() as conn:
            old_id = server_session_id(conn)
        kill_server_session(eng, old_id)
        with eng.connect() as conn:
            assert conn.exec_driver_sql("SELECT CONNECTION_ID()").scalar() != old_id
            assert conn.scalar(select(func.count()).select_from(users)) == 0
    finally:
        eng.dispose()
