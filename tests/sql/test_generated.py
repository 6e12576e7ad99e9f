"""Values the database generates: Identity, Sequence and Computed, on every backend."""

from __future__ import annotations

from typing import Any

import pytest

import ormkit
from ormkit import (
    BigInteger,
    Column,
    Computed,
    CreateSequence,
    CreateTable,
    Identity,
    Integer,
    MetaData,
    Sequence,
    Table,
    create_engine,
    exc,
    insert,
    inspect,
    select,
    text,
    update,
)
from ormkit.orm import DeclarativeBase, Mapped, Session, mapped_column


def has_sequences(engine: ormkit.Engine) -> bool:
    return engine.dialect.name != "sqlite"


def ddl(table_or_sequence: Any, dialect_name: str) -> str:
    """The CREATE statement for a dialect, compiled without a server."""
    urls = {
        "sqlite": "sqlite://",
        "postgresql": "postgresql+psycopg://u@h/d",
        "mysql": "mysql+pymysql://u@h/d",
    }
    dialect = create_engine(urls[dialect_name]).dialect
    if dialect_name == "mysql":
        dialect.supports_sequences = True  # (as a MariaDB server makes it)
    element = (
        CreateSequence(table_or_sequence)
        if isinstance(table_or_sequence, Sequence)
        else CreateTable(table_or_sequence)
    )
    return " ".join(element.compile(dialect=dialect).sql.split())


# -- Identity -------------------------------------------------------------------------------


def test_identity_numbers_the_primary_key(engine: ormkit.Engine, metadata: MetaData) -> None:
    t = Table(
        "items",
        metadata,
        Column("id", Integer, Identity(start=5, increment=2), primary_key=True),
        Column("v", Integer),
    )
    metadata.create_all(engine)
    with engine.begin() as conn:
        first = conn.execute(insert(t).values(v=1)).inserted_primary_key[0]
        second = conn.execute(insert(t).values(v=2)).inserted_primary_key[0]
        assert conn.execute(select(t.c.id).order_by(t.c.id)).scalars().all() == [first, second]
    # PostgreSQL honours the options; MariaDB (AUTO_INCREMENT) and SQLite number their way
    expected = (5, 7) if engine.dialect.name == "postgresql" else (1, 2)
    assert (first, second) == expected
    assert t.c.id.identity is t.c.id.server_default


def test_identity_always_refuses_an_explicit_value_on_postgresql(
    engine: ormkit.Engine, metadata: MetaData
) -> None:
    t = Table("items", metadata, Column("id", Integer, Identity(always=True), primary_key=True))
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(t))
        assert conn.execute(select(t.c.id)).scalar_one() == 1
    if engine.dialect.name != "postgresql":
        return
    with pytest.raises(exc.DBAPIError, match="GENERATED ALWAYS"), engine.begin() as conn:
        conn.execute(insert(t).values(id=10))


def test_identity_ddl_on_each_database() -> None:
    t = Table(
        "t",
        MetaData(),
        Column(
            "id",
            BigInteger,
            Identity(always=True, start=1, increment=1, minvalue=1, maxvalue=99, cycle=True),
            primary_key=True,
        ),
    )
    assert ddl(t, "postgresql") == (
        "CREATE TABLE t ( id BIGINT GENERATED ALWAYS AS IDENTITY (INCREMENT BY 1 MINVALUE 1 "
        "MAXVALUE 99 START WITH 1 CYCLE) NOT NULL, PRIMARY KEY (id) )"
    )
    assert ddl(t, "mysql").startswith("CREATE TABLE t ( id BIGINT NOT NULL AUTO_INCREMENT,")
    assert ddl(t, "sqlite") == "CREATE TABLE t ( id INTEGER NOT NULL, PRIMARY KEY (id) )"


def test_orm_objects_get_identity_keys(engine: ormkit.Engine) -> None:
    class Base(DeclarativeBase):
        pass

    class Item(Base):
        __tablename__ = "items"
        id: Mapped[int] = mapped_column(Identity(start=100), primary_key=True)
        name: Mapped[str] = mapped_column(ormkit.String(10))

    Base.metadata.create_all(engine)
    with Session(engine) as session:
        items = [Item(name="a"), Item(name="b")]
        session.add_all(items)
        session.flush()
        session.add(Item(name="c"))
        session.commit()
        ids = session.scalars(select(Item.id).order_by(Item.id)).all()
        assert [i.id for i in items] == ids[:2]
    start = 100 if engine.dialect.name == "postgresql" else 1
    assert ids == [start, start + 1, start + 2]


# -- Sequence -------------------------------------------------------------------------------


def test_a_sequence_numbers_inserts_and_is_created_and_dropped_with_the_tables(
    engine: ormkit.Engine, metadata: MetaData
) -> None:
    seq = Sequence("item_ids", start=100, increment=10)
    t = Table("items", metadata, Column("id", Integer, seq, primary_key=True), Column("v", Integer))
    assert t.c.id.default is seq and seq.metadata is metadata
    metadata.create_all(engine)
    assert inspect(engine).has_sequence("item_ids") == has_sequences(engine)
    with engine.begin() as conn:
        keys = [conn.execute(insert(t).values(v=v)).inserted_primary_key[0] for v in (1, 2)]
        conn.execute(insert(t), [{"v": 3}, {"v": 4}])
        rows = conn.execute(select(t.c.id, t.c.v).order_by(t.c.v)).all()
    if has_sequences(engine):
        assert keys == [100, 110]
        assert [tuple(r) for r in rows] == [(100, 1), (110, 2), (120, 3), (130, 4)]
    else:  # SQLite has no sequences: its own numbering
        assert keys == [1, 2]
        assert [r[0] for r in rows] == [1, 2, 3, 4]
    metadata.drop_all(engine)
    assert not inspect(engine).has_sequence("item_ids")
    assert inspect(engine).get_sequence_names() == []


def test_next_value_in_a_select(engine: ormkit.Engine, metadata: MetaData) -> None:
    seq = Sequence("counter", start=7, metadata=metadata)
    metadata.create_all(engine)  # a sequence of the MetaData alone is created too
    with engine.connect() as conn:
        if not has_sequences(engine):
            with pytest.raises(exc.CompileError, match="sqlite has no sequences: counter"):
                conn.execute(select(seq.next_value()))
            return
        assert conn.execute(select(seq.next_value())).scalar() == 7
        assert conn.execute(select(seq.next_value())).scalar() == 8


def test_sequence_create_and_drop_by_themselves_with_a_name_that_needs_quoting(
    engine: ormkit.Engine,
) -> None:
    seq = Sequence('odd "seq" name')
    seq.create(engine)
    seq.create(engine)  # checkfirst: an existing sequence is left alone
    assert inspect(engine).get_sequence_names() == (
        ['odd "seq" name'] if has_sequences(engine) else []
    )
    if has_sequences(engine):
        with engine.connect() as conn:
            assert conn.execute(select(seq.next_value())).scalar() == 1
    seq.drop(engine)
    seq.drop(engine)
    assert inspect(engine).get_sequence_names() == []


def test_an_optional_sequence_is_left_to_postgresql_serial(
    engine: ormkit.Engine, metadata: MetaData
) -> None:
    seq = Sequence("maybe_ids", start=50, optional=True)
    t = Table("items", metadata, Column("id", Integer, seq, primary_key=True), Column("v", Integer))
    metadata.create_all(engine)
    with engine.begin() as conn:
        key = conn.execute(insert(t).values(v=1)).inserted_primary_key[0]
    # PostgreSQL numbers with SERIAL then; MariaDB has no other way for it, so uses it
    assert key == (50 if engine.dialect.name in ("mysql", "mariadb") else 1)


def test_orm_objects_get_sequence_keys(engine: ormkit.Engine) -> None:
    class Base(DeclarativeBase):
        pass

    class Item(Base):
        __tablename__ = "items"
        id: Mapped[int] = mapped_column(Sequence("orm_item_ids", start=1000), primary_key=True)
        name: Mapped[str] = mapped_column(ormkit.String(10))

    Base.metadata.create_all(engine)
    with Session(engine) as session:
        one = Item(name="a")
        session.add(one)
        session.flush()
        many = [Item(name=n) for n in "bcd"]
        session.add_all(many)
        session.commit()
        ids = [one.id, *(i.id for i in many)]
        assert session.scalars(select(Item.id).order_by(Item.id)).all() == ids
    start = 1000 if has_sequences(engine) else 1
    assert ids == [start, start + 1, start + 2, start + 3]


def test_sequence_ddl_options() -> None:
    seq = Sequence(
        "s", start=5, increment=2, minvalue=1, maxvalue=100, cache=10, cycle=False, schema="app"
    )
    assert ddl(seq, "postgresql") == (
        "CREATE SEQUENCE app.s INCREMENT BY 2 MINVALUE 1 MAXVALUE 100 START WITH 5 CACHE 10 "
        "NO CYCLE"
    )
    assert ddl(seq, "mysql").endswith("CACHE 10 NOCYCLE")
    typed = Sequence("t", data_type=BigInteger, nominvalue=True, nomaxvalue=True)
    assert ddl(typed, "postgresql") == "CREATE SEQUENCE t AS BIGINT NO MINVALUE NO MAXVALUE"
    with pytest.raises(exc.CompileError, match=r"sequence t: mysql has no typed sequences"):
        ddl(typed, "mysql")


# -- Computed -------------------------------------------------------------------------------


def test_computed_columns_are_computed_by_the_database(
    engine: ormkit.Engine, metadata: MetaData
) -> None:
    persisted = None if engine.dialect.name == "postgresql" else False
    t = Table(
        "lines",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("price", Integer),
        Column("qty", Integer),
        Column("total", Integer, Computed("price * qty", persisted=persisted)),
        Column("doubled", Integer, Computed(text("price * 2"), persisted=True)),
    )
    assert t.c.total.computed is t.c.total.server_default is t.c.total.server_onupdate
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(t).values(id=1, price=3, qty=4))
        assert tuple(conn.execute(select(t.c.total, t.c.doubled)).one()) == (12, 6)
        conn.execute(update(t).values(qty=5))
        assert conn.execute(select(t.c.total)).scalar_one() == 15


def test_orm_reads_computed_values_after_insert_and_update(engine: ormkit.Engine) -> None:
    class Base(DeclarativeBase):
        pass

    class Line(Base):
        __tablename__ = "lines"
        id: Mapped[int] = mapped_column(primary_key=True)
        price: Mapped[int]
        qty: Mapped[int]
        total: Mapped[int | None] = mapped_column(Computed("price * qty"))

    Base.metadata.create_all(engine)
    with Session(engine) as session:
        line = Line(price=3, qty=4)
        session.add(line)
        session.flush()
        assert "total" not in line.__dict__  # the database set it: read from the row
        assert line.total == 12
        line.qty = 10
        session.flush()
        assert "total" not in line.__dict__
        assert line.total == 30
        session.commit()


def test_computed_ddl_on_each_database() -> None:
    def table(persisted: bool | None) -> Table:
        return Table(
            "t",
            MetaData(),
            Column("id", Integer, primary_key=True),
            Column("a", Integer),
            Column("b", Integer, Computed(Column("a", Integer) + 1, persisted=persisted)),
        )

    assert "b INTEGER GENERATED ALWAYS AS (a + 1) STORED," in ddl(table(None), "postgresql")
    assert "b INTEGER GENERATED ALWAYS AS (a + 1) VIRTUAL," in ddl(table(False), "sqlite")
    assert "b INTEGER GENERATED ALWAYS AS (a + 1) STORED," in ddl(table(True), "mysql")
    with pytest.raises(exc.CompileError, match=r"t\.b: PostgreSQL computes generated columns"):
        ddl(table(False), "postgresql")


def test_generated_values_survive_a_column_copy() -> None:
    seq, identity, computed = Sequence("s"), Identity(start=3), Computed("a + 1")
    copies = [Column("x", Integer, item)._copy() for item in (seq, identity, computed)]
    assert copies[0].default is seq
    assert copies[1].identity is identity and copies[1].server_default is identity
    assert copies[2].computed is computed and copies[2].server_onupdate is computed


# -- misconfiguration ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Identity(on_null=True), r"Identity\(on_null=...\) is Oracle's"),
        (lambda: Identity(order=True), r"Identity\(order=...\) is Oracle's"),
        (lambda: Identity(start="1"), r"Identity\(start=...\) takes an integer, got '1'"),
        (lambda: Sequence(""), r"Sequence\(\) needs a name, got ''"),
        (lambda: Sequence("s", quote=True), r"Sequence\(quote=...\) is not supported"),
        (lambda: Sequence("s", for_update=True), r"Sequence\(for_update=True\) is not supported"),
        (lambda: Sequence("s", cache=1.5), r"Sequence\(cache=...\) takes an integer, got 1.5"),
        (lambda: Computed(5), r"Computed\(\) takes the expression as a string or SQL"),
    ],
)
def test_bad_arguments_are_refused_by_name(make: Any, message: str) -> None:
    with pytest.raises(exc.ArgumentError, match=message):
        make()
