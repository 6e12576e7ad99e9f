"""PostgreSQL: DDL and SQL text (compile-only), then upserts, RETURNING, streaming, isolation,
reflection, errors and lost connections against the server (skipped when it is down)."""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid
from collections.abc import Iterator

import pytest

from ormkit import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Engine,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    Interval,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    Uuid,
    bindparam,
    cast,
    create_engine,
    exc,
    func,
    inspect,
    select,
    text,
    update,
)
from ormkit import insert as core_insert
from ormkit.dialects.postgresql import PGDialect, insert
from ormkit.sql.ddl import CreateTable
from tests.conftest import (
    drop_everything,
    kill_connection,
    kill_server_session,
    server_session_id,
    server_url,
)

dialect = PGDialect()


class Color(enum.Enum):
    red = 1
    green = 2


@pytest.fixture
def pg() -> Iterator[Engine]:
    """An engine on the PostgreSQL server; every table is dropped afterwards."""
    eng = create_engine(server_url("postgresql"))
    yield eng
    drop_everything(eng)
    eng.dispose()


@pytest.fixture
def users(pg: Engine, metadata: MetaData) -> Table:
    table = Table(
        "users",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(50), nullable=False, unique=True),
        Column("visits", Integer, server_default=text("0")),
    )
    metadata.create_all(pg)
    return table


def _ddl(table: Table) -> str:
    return CreateTable(table).compile(dialect=dialect).sql.strip()


# -- compile-only ---------------------------------------------------------------------------


def test_create_table_uses_postgresql_type_names() -> None:
    table = Table(
        "things",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("flag", Boolean),
        Column("price", Numeric(10, 2)),
        Column("ratio", Float),
        Column("at", DateTime),
        Column("at_tz", DateTime(timezone=True)),
        Column("blob", LargeBinary),
        Column("doc", JSON),
        Column("key", Uuid),
        Column("span", Interval),
        Column("color", Enum(Color)),
        Column("body", Text),
    )
    assert _ddl(table) == (
        "CREATE TABLE things (\n"
        "\tid SERIAL NOT NULL,\n"
        "\tflag BOOLEAN,\n"
        "\tprice NUMERIC(10, 2),\n"
        "\tratio DOUBLE PRECISION,\n"
        "\tat TIMESTAMP WITHOUT TIME ZONE,\n"
        "\tat_tz TIMESTAMP WITH TIME ZONE,\n"
        "\tblob BYTEA,\n"
        "\tdoc JSONB,\n"
        '\t"key" UUID,\n'
        "\tspan INTERVAL,\n"
        "\tcolor VARCHAR(5) CHECK (color IN ('red', 'green')),\n"
        "\tbody TEXT,\n"
        "\tPRIMARY KEY (id)\n"
        ")"
    )


def test_big_integer_key_is_bigserial() -> None:
    table = Table("big", MetaData(), Column("id", BigInteger, primary_key=True))
    assert "id BIGSERIAL NOT NULL" in _ddl(table)


def test_insert_with_generated_key_returns_it_implicitly() -> None:
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("x", String(5)))
    assert str(core_insert(table).values(x="a").compile(dialect=dialect)) == (
        "INSERT INTO t (x) VALUES (%s) RETURNING id"
    )
    assert str(core_insert(table).values(id=1, x="a").compile(dialect=dialect)) == (
        "INSERT INTO t (id, x) VALUES (%s, %s)"
    )


def test_literal_percent_in_text_is_doubled_for_the_driver() -> None:
    compiled = text("SELECT 'a%b' WHERE 1 = :x").compile(dialect=dialect)
    assert compiled.sql == "SELECT 'a%%b' WHERE 1 = %s"


def test_ilike_distinct_on_and_row_locks() -> None:
    t = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("x", String(5)))
    assert "t.x ILIKE %s" in str(select(t).where(t.c.x.ilike("a%")).compile(dialect=dialect))
    assert str(select(t.c.x).distinct(t.c.x).compile(dialect=dialect)).startswith(
        "SELECT DISTINCT ON (t.x) t.x"
    )
    sql = str(select(t).with_for_update(nowait=True, of=t.c.id).compile(dialect=dialect))
    assert sql.endswith("FOR UPDATE OF t NOWAIT")
    sql = str(select(t).with_for_update(skip_locked=True).compile(dialect=dialect))
    assert sql.endswith("FOR UPDATE SKIP LOCKED")
    sql = str(select(t).with_for_update(read=True).compile(dialect=dialect))
    assert sql.endswith("FOR SHARE")


def test_on_conflict_renders_before_returning() -> None:
    t = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("n", Integer))
    stmt = insert(t).values(id=1, n=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[t.c.id], set_={"n": t.c.n + stmt.excluded.n}
    ).returning(t.c.n)
    assert str(stmt.compile(dialect=dialect)) == (
        "INSERT INTO t (id, n) VALUES (%s, %s) ON CONFLICT (id) DO UPDATE SET n = t.n + "
        "excluded.n RETURNING n"
    )
    nothing = insert(t).values(id=1, n=1).on_conflict_do_nothing(constraint="t_pkey")
    assert str(nothing.compile(dialect=dialect)).endswith(
        "ON CONFLICT ON CONSTRAINT t_pkey DO NOTHING"
    )


def test_on_conflict_do_update_without_target_or_set_is_rejected() -> None:
    t = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("n", Integer))
    with pytest.raises(exc.ArgumentError, match=r"needs index_elements=.* or constraint="):
        insert(t).on_conflict_do_update(set_={"n": 1})
    with pytest.raises(exc.ArgumentError, match=r"needs set_=\{column: value"):
        insert(t).on_conflict_do_update(index_elements=["id"])
    with pytest.raises(exc.ArgumentError, match="index_elements or constraint, not both"):
        insert(t).on_conflict_do_nothing(index_elements=["id"], constraint="t_pkey")


# -- against the server ---------------------------------------------------------------------


def test_inserted_primary_key_comes_from_returning(pg: Engine, users: Table) -> None:
    with pg.begin() as conn:
        first = conn.execute(core_insert(users).values(name="ann"))
        second = conn.execute(core_insert(users), {"name": "bob"})
        assert first.inserted_primary_key == (1,)
        assert second.inserted_primary_key == (2,)
        assert not first.returns_rows


def test_upserts_do_nothing_and_do_update(pg: Engine, users: Table) -> None:
    with pg.begin() as conn:
        conn.execute(core_insert(users).values(name="ann"))
        skipped = conn.execute(
            insert(users).values(name="ann").on_conflict_do_nothing(index_elements=["name"])
        )
        assert skipped.rowcount == 0
        stmt = insert(users).values(name="ann", visits=5)
        stmt = stmt.on_conflict_do_update(
            index_elements=[users.c.name], set_={"visits": users.c.visits + stmt.excluded.visits}
        )
        conn.execute(stmt)
        conn.execute(stmt)
        assert conn.execute(select(users.c.name, users.c.visits)).all() == [("ann", 10)]


def test_returning_on_insert_update_and_delete(pg: Engine, users: Table) -> None:
    with pg.begin() as conn:
        got = conn.execute(
            core_insert(users).values(name="ann").returning(users.c.id, users.c.visits)
        ).one()
        assert tuple(got) == (1, 0)
        changed = conn.execute(
            update(users).values(visits=users.c.visits + 1).returning(users.c.visits)
        )
        assert changed.scalars().all() == [1]
        gone = conn.execute(users.delete().returning(users.c.name)).scalars().all()
        assert gone == ["ann"]


def test_types_round_trip(pg: Engine, metadata: MetaData) -> None:
    table = Table(
        "vals",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("doc", JSON),
        Column("key", Uuid),
        Column("span", Interval),
        Column("price", Numeric(10, 2)),
        Column("at_tz", DateTime(timezone=True)),
        Column("color", Enum(Color)),
    )
    metadata.create_all(pg)
    row = {
        "doc": {"a": [1, "x", None]},
        "key": uuid.uuid4(),
        "span": datetime.timedelta(days=2, seconds=5),
        "price": decimal.Decimal("12.50"),
        "at_tz": datetime.datetime(2024, 1, 1, 12, tzinfo=datetime.UTC),
        "color": Color.green,
    }
    with pg.begin() as conn:
        conn.execute(core_insert(table), row)
        got = conn.execute(select(table)).one()
    assert got._asdict() == {"id": 1, **row}


def test_enum_check_rejects_other_values(pg: Engine, metadata: MetaData) -> None:
    Table("e", metadata, Column("color", String(10)), Column("c2", Enum("a", "b")))
    metadata.create_all(pg)
    with pytest.raises(exc.IntegrityError, match="check constraint"), pg.begin() as conn:
        conn.exec_driver_sql("INSERT INTO e (c2) VALUES ('c')")


def test_stream_results_reads_through_a_named_cursor(pg: Engine, users: Table) -> None:
    with pg.begin() as conn:
        conn.execute(core_insert(users), [{"name": f"u{i:02}"} for i in range(25)])
    with pg.connect() as conn:
        conn.execution_options(stream_results=True, yield_per=10)
        result = conn.execute(select(users.c.name).order_by(users.c.id))
        cursors = conn.exec_driver_sql("SELECT name FROM pg_cursors").scalars().all()
        assert any(name.startswith("ormkit_stream_") for name in cursors)
        sizes = [len(part) for part in result.partitions()]
        assert sizes == [10, 10, 5]


def test_isolation_levels_apply_and_are_reset(pg: Engine, users: Table) -> None:
    with pg.connect() as conn:
        assert conn.get_isolation_level() == "READ COMMITTED"
        conn.execution_options(isolation_level="SERIALIZABLE")
        assert conn.get_isolation_level() == "SERIALIZABLE"
        conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(core_insert(users).values(name="auto"))
        with pg.connect() as other:  # visible without a commit
            assert other.scalar(select(func.count()).select_from(users)) == 1
    with pg.connect() as conn:  # the pooled connection came back at the default level
        assert conn.get_isolation_level() == "READ COMMITTED"


def test_savepoint_rolls_back_inner_work(pg: Engine, users: Table) -> None:
    with pg.begin() as conn:
        conn.execute(core_insert(users).values(name="outer"))
        with pytest.raises(exc.IntegrityError), conn.begin_nested():
            conn.execute(core_insert(users).values(name="outer"))
        conn.execute(core_insert(users).values(name="after"))
    with pg.connect() as conn:
        assert conn.scalars(select(users.c.name).order_by(users.c.id)).all() == ["outer", "after"]


def test_reflection_reads_columns_keys_and_indexes(pg: Engine, metadata: MetaData) -> None:
    Table("parent", metadata, Column("id", Integer, primary_key=True))
    Table(
        "child",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("parent_id", ForeignKey("parent.id", ondelete="CASCADE")),
        Column("name", String(40), nullable=False),
        Column("at", DateTime(timezone=True)),
        Index("ix_child_name", "name", unique=True),
    )
    metadata.create_all(pg)
    insp = inspect(pg)
    assert insp.get_table_names() == ["child", "parent"]
    assert insp.has_table("child") and not insp.has_table("nope")
    cols = {c["name"]: c for c in insp.get_columns("child")}
    assert cols["name"]["type"] == String(40) and cols["name"]["nullable"] is False
    assert cols["at"]["type"] == DateTime(timezone=True)
    assert cols["id"]["autoincrement"] and cols["id"]["default"] is None
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
    copy = MetaData()
    copy.reflect(pg)
    assert [t.name for t in copy.sorted_tables] == ["parent", "child"]


@pytest.mark.parametrize("kind", ["unique", "foreign_key", "not_null"])
def test_constraint_violations_are_integrity_errors(
    pg: Engine, metadata: MetaData, kind: str
) -> None:
    Table("p", metadata, Column("id", Integer, primary_key=True))
    c = Table(
        "c",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("p_id", ForeignKey("p.id")),
        Column("name", String(10), nullable=False, unique=True),
    )
    metadata.create_all(pg)
    with pg.begin() as conn:
        conn.execute(core_insert(c).values(id=1, name="a"))
    bad = {"unique": {"id": 2, "name": "a"}, "foreign_key": {"id": 2, "p_id": 9, "name": "b"}}
    with pytest.raises(exc.IntegrityError) as info, pg.begin() as conn:
        conn.execute(core_insert(c).values(**bad.get(kind, {"id": 2, "name": None})))
    assert {"unique": "unique", "foreign_key": "foreign key", "not_null": "not-null"}[kind] in str(
        info.value
    )
    assert info.value.retryable is False


def test_serialization_failure_is_retryable(pg: Engine, users: Table) -> None:
    with pg.begin() as conn:
        conn.execute(core_insert(users).values(name="ann"))
    with pg.connect() as first, pg.connect() as second:
        first.execution_options(isolation_level="SERIALIZABLE")
        first.execute(select(users.c.visits)).all()  # the snapshot is taken here
        second.execute(update(users).values(visits=7))
        second.commit()
        with pytest.raises(exc.OperationalError) as info:
            first.execute(update(users).values(visits=8))
        first.rollback()
    assert info.value.retryable is True
    assert "could not serialize" in str(info.value)
    assert "can be retried" in str(info.value)


def test_killed_backend_fails_in_flight_work_and_commits_nothing(pg: Engine, users: Table) -> None:
    conn = pg.connect()
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
    with pg.connect() as other:
        assert other.scalar(select(func.count()).select_from(users)) == 0


def test_pre_ping_replaces_a_connection_the_server_killed(users: Table) -> None:
    eng = create_engine(server_url("postgresql"), pool_pre_ping=True, pool_size=1)
    try:
        with eng.connect() as conn:
            old_pid = server_session_id(conn)
        kill_server_session(eng, old_pid)
        with eng.connect() as conn:  # the dead pooled connection is swapped transparently
            assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() != old_pid
            assert conn.scalar(select(func.count()).select_from(users)) == 0
    finally:
        eng.dispose()


def test_failed_cast_of_a_value_quoting_disconnect_words_keeps_the_transaction(
    pg: Engine, users: Table
) -> None:
    with pg.connect() as conn:
        conn.execute(core_insert(users).values(name="kept"))
        driver_connection = conn.connection.dbapi_connection
        with pytest.raises(exc.DataError) as info, conn.begin_nested():
            conn.execute(select(cast(bindparam("v"), Integer)), {"v": "terminating connection"})
        assert info.value.connection_invalidated is False
        assert conn.connection.dbapi_connection is driver_connection
        conn.commit()
    with pg.connect() as conn:
        assert conn.scalars(select(users.c.name)).all() == ["kept"]
