"""SQL injection: hostile values are bound, never spliced; hostile identifiers are quoted."""

from __future__ import annotations

import pytest

from ormkit import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    delete,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)

HOSTILE_VALUES = [
    "'; DROP TABLE users; --",
    "Robert'); DROP TABLE students;--",
    "it's a \"quoted\" 'string'",
    "''''",
    "back\\slash \\' \\\" end\\",
    "100%s done %(name)s %% %d",
    "what? ?? ?1 $1",
    ":name :p_1 ::int",
    "/* comment */ -- line comment",
    "1 OR 1=1",
    "x\ny\r\nz\ttab",
    "日本語 Ünïcödé ñ 🚀 \u202e reversed",
    "",
    " ",
]

HOSTILE_NAMES = [
    "select",
    'user "quoted"',
    "a;b",
    "drop table x",
    "MixedCase",
    "has space",
    "o'brien",
    "back`tick",
    "per%cent",
    "1starts_with_digit",
]


@pytest.fixture
def users(engine: Engine, metadata: MetaData) -> Table:
    table = Table(
        "users",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(200)),
    )
    metadata.create_all(engine)
    return table


def _count(engine: Engine, table: Table) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(table))  # type: ignore[no-any-return]


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_hostile_value_is_stored_and_read_back_intact(
    engine: Engine, users: Table, value: str
) -> None:
    with engine.begin() as conn:
        conn.execute(insert(users), {"id": 1, "name": value})
        conn.execute(insert(users).values(id=2, name=value))
        conn.execute(insert(users), {"id": 3, "name": "bystander"})
    assert inspect(engine).has_table("users")
    assert _count(engine, users) == 3
    with engine.connect() as conn:
        assert conn.scalars(select(users.c.name).order_by(users.c.id)).all() == [
            value,
            value,
            "bystander",
        ]
        # the value also works in WHERE, matching exactly the rows that hold it
        found = conn.scalars(select(users.c.id).where(users.c.name == value).order_by(users.c.id))
        assert found.all() == [1, 2]


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_hostile_value_in_update_and_delete(engine: Engine, users: Table, value: str) -> None:
    with engine.begin() as conn:
        conn.execute(insert(users), [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}])
        assert conn.execute(update(users).where(users.c.id == 1).values(name=value)).rowcount == 1
        assert conn.execute(delete(users).where(users.c.name == value)).rowcount == 1
    with engine.connect() as conn:
        assert conn.execute(select(users)).all() == [(2, "b")]


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_hostile_value_does_not_change_the_compiled_statement(
    engine: Engine, users: Table, value: str
) -> None:
    dialect = engine.dialect
    plain = insert(users).values(id=1, name="plain").compile(dialect=dialect)
    hostile = insert(users).values(id=1, name=value).compile(dialect=dialect)
    assert hostile.sql == plain.sql
    assert "plain" not in plain.sql
    where_plain = select(users).where(users.c.name == "plain").compile(dialect=dialect)
    where_hostile = select(users).where(users.c.name == value).compile(dialect=dialect)
    assert where_hostile.sql == where_plain.sql
    assert value in where_hostile.params.values()


def test_compiled_sql_contains_placeholders_not_values(engine: Engine, users: Table) -> None:
    value = "Robert'); DROP TABLE students;--"
    compiled = select(users).where(users.c.name == value).compile(dialect=engine.dialect)
    assert value not in compiled.sql
    assert "DROP" not in compiled.sql
    placeholder = {"qmark": "?", "format": "%s", "pyformat": "%(", "named": ":"}
    assert placeholder[engine.dialect.paramstyle] in compiled.sql


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_hostile_value_as_text_parameter(engine: Engine, users: Table, value: str) -> None:
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO users (id, name) VALUES (:id, :p)"), {"id": 1, "p": value})
    with engine.connect() as conn:
        got = conn.execute(text("SELECT name FROM users WHERE name = :p"), {"p": value}).all()
        assert got == [(value,)]
    assert _count(engine, users) == 1


def test_hostile_value_in_executemany(engine: Engine, users: Table) -> None:
    rows = [{"id": i, "name": v} for i, v in enumerate(HOSTILE_VALUES, start=1)]
    with engine.begin() as conn:
        assert conn.execute(insert(users), rows).rowcount == len(rows)
    with engine.connect() as conn:
        assert conn.scalars(select(users.c.name).order_by(users.c.id)).all() == HOSTILE_VALUES


def test_hostile_value_in_bindparam_in_list(engine: Engine, users: Table) -> None:
    with engine.begin() as conn:
        conn.execute(insert(users), [{"id": i, "name": v} for i, v in enumerate(HOSTILE_VALUES)])
        stmt = select(users.c.id).where(users.c.name.in_(HOSTILE_VALUES[:3])).order_by(users.c.id)
        assert conn.scalars(stmt).all() == [0, 1, 2]
        named = select(users.c.id).where(users.c.name == bindparam("v"))
        assert conn.execute(named, {"v": HOSTILE_VALUES[1]}).scalar_one() == 1


def test_literal_binds_rendering_escapes_quotes_in_insert_values(
    engine: Engine, users: Table
) -> None:
    value = "Robert'); DROP TABLE students;-- it's"
    stmt = insert(users).values(id=1, name=value)
    sql = stmt.compile(dialect=engine.dialect, literal_binds=True).sql
    assert "'Robert''); DROP TABLE students;-- it''s'" in sql
    with engine.begin() as conn:
        conn.exec_driver_sql(sql)  # type: ignore[arg-type]
    assert inspect(engine).has_table("users")
    with engine.connect() as conn:
        assert conn.execute(select(users.c.name)).scalar_one() == value


# -- hostile identifiers ------------------------------------------------------------------------


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_table_and_column_names_round_trip(
    engine: Engine, metadata: MetaData, name: str
) -> None:
    table = Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True),
        Column(name, String(50)),
    )
    metadata.create_all(engine)
    col = table.c[name]
    with engine.begin() as conn:
        conn.execute(insert(table), [{"id": 1, name: "one"}, {"id": 2, name: "two"}])
        assert conn.execute(update(table).where(col == "one").values({name: "uno"})).rowcount == 1
        assert conn.execute(delete(table).where(table.c.id == 2)).rowcount == 1
    with engine.connect() as conn:
        row = conn.execute(select(table)).one()
        assert row._mapping[name] == "uno"
        assert row._mapping[col] == "uno"
        assert list(conn.execute(select(col)).keys()) == [name]
    insp = inspect(engine)
    assert name in insp.get_table_names()
    assert [c["name"] for c in insp.get_columns(name)] == ["id", name]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_identifiers_are_quoted_in_sql(
    engine: Engine, metadata: MetaData, name: str
) -> None:
    table = Table(name, metadata, Column("id", Integer, primary_key=True), Column(name, String(5)))
    quote_char = engine.dialect.identifier_quote
    quoted = quote_char + name.replace(quote_char, quote_char * 2) + quote_char
    in_sql = name
    if engine.dialect.escape_literal_percent():
        # format-style drivers (psycopg, PyMySQL) read % as a placeholder: it travels doubled
        quoted = quoted.replace("%", "%%")
        in_sql = name.replace("%", "%%")
    for stmt in (
        select(table).where(table.c[name] == "x"),
        insert(table).values({name: "x"}),
        update(table).values({name: "y"}),
        delete(table).where(table.c[name] == "x"),
    ):
        sql = stmt.compile(dialect=engine.dialect).sql
        assert quoted in sql
        assert sql.replace(quoted, "").count(in_sql) == 0


def test_plain_lower_case_identifiers_are_not_quoted(engine: Engine, users: Table) -> None:
    sql = select(users).compile(dialect=engine.dialect).sql
    assert engine.dialect.identifier_quote not in sql
    assert "users.name" in sql


def test_hostile_name_does_not_drop_other_tables(engine: Engine, metadata: MetaData) -> None:
    Table("victim", metadata, Column("id", Integer, primary_key=True))
    hostile = Table(
        "x; DROP TABLE victim; --",
        metadata,
        Column("id", Integer, primary_key=True),
    )
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(hostile), {"id": 1})
        conn.execute(delete(hostile))
    assert sorted(inspect(engine).get_table_names()) == ["victim", "x; DROP TABLE victim; --"]


@pytest.mark.parametrize("value", [v for v in HOSTILE_VALUES if "%" not in v])
def test_literal_binds_rendering_escapes_quotes_in_where(
    engine: Engine, users: Table, value: str
) -> None:
    with engine.begin() as conn:
        conn.execute(insert(users), [{"id": 1, "name": value}, {"id": 2, "name": "other"}])
    stmt = select(users.c.id).where(users.c.name == value)
    sql = stmt.compile(dialect=engine.dialect, literal_binds=True).sql
    with engine.connect() as conn:
        assert conn.exec_driver_sql(sql).all() == [(1,)]  # type: ignore[arg-type]
    assert _count(engine, users) == 2
