"""MetaData, Table, Column options, constraints and DDL."""

from __future__ import annotations

import itertools

import pytest

import ormkit
from ormkit import (
    CheckConstraint,
    Column,
    CreateIndex,
    CreateTable,
    DropIndex,
    DropTable,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
    delete,
    exc,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from ormkit.dialects.mysql import MySQLDialect
from ormkit.dialects.postgresql import PGDialect
from ormkit.dialects.sqlite import SQLiteDialect


def _family(metadata: MetaData) -> tuple[Table, Table, Table]:
    # defined child-first so sorted_tables has to reorder them
    grandchild = Table(
        "grandchild",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("child_id", Integer),
        ForeignKeyConstraint(["child_id"], ["child.id"], ondelete="CASCADE"),
    )
    child = Table(
        "child",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("parent_id", ForeignKey("parent.id", ondelete="CASCADE")),
    )
    parent = Table(
        "parent",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(20), nullable=False),
    )
    return parent, child, grandchild


def count(engine: ormkit.Engine, table: Table) -> int:
    return engine.execute(select(func.count()).select_from(table)).scalar_one()  # type: ignore[no-any-return]


# -- MetaData -------------------------------------------------------------------------------


def test_metadata_tables_is_ordered_by_definition(metadata: MetaData) -> None:
    _family(metadata)
    assert list(metadata.tables) == ["grandchild", "child", "parent"]
    assert metadata.tables["parent"].name == "parent"


def test_metadata_tables_repr_is_readable(metadata: MetaData) -> None:
    Table("solo", metadata, Column("id", Integer, primary_key=True))
    assert repr(metadata.tables) == (
        "immutabledict({'solo': Table('solo', MetaData(), Column('id', Integer(), "
        "table=<solo>, primary_key=True, nullable=False), schema=None)})"
    )


def test_metadata_tables_cannot_be_assigned_to(metadata: MetaData) -> None:
    Table("solo", metadata, Column("id", Integer, primary_key=True))
    with pytest.raises(TypeError):
        metadata.tables["other"] = metadata.tables["solo"]  # type: ignore[index]


def test_sorted_tables_follow_foreign_key_dependencies(metadata: MetaData) -> None:
    _family(metadata)
    assert [t.name for t in metadata.sorted_tables] == ["parent", "child", "grandchild"]


def test_create_all_and_drop_all_with_checkfirst_twice(
    engine: ormkit.Engine, metadata: MetaData
) -> None:
    _family(metadata)
    metadata.create_all(engine, checkfirst=True)
    metadata.create_all(engine, checkfirst=True)
    assert sorted(inspect(engine).get_table_names()) == ["child", "grandchild", "parent"]
    metadata.drop_all(engine, checkfirst=True)
    metadata.drop_all(engine, checkfirst=True)
    assert inspect(engine).get_table_names() == []


def test_create_all_without_checkfirst_fails_when_table_exists(
    engine: ormkit.Engine, metadata: MetaData
) -> None:
    _family(metadata)
    metadata.create_all(engine)
    with pytest.raises(exc.DBAPIError):
        metadata.create_all(engine, checkfirst=False)


def test_table_twice_in_one_metadata_is_invalid_request(metadata: MetaData) -> None:
    Table("dup", metadata, Column("id", Integer, primary_key=True))
    with pytest.raises(exc.InvalidRequestError, match="'dup' is already defined in this MetaData"):
        Table("dup", metadata, Column("id", Integer, primary_key=True))


def test_foreign_key_to_missing_table_fails_on_create_all(
    engine: ormkit.Engine, metadata: MetaData
) -> None:
    Table(
        "orphan",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("ghost_id", Integer, ForeignKey("ghost.id")),
    )
    with pytest.raises(exc.NoReferencedTableError, match="'ghost'"):
        metadata.create_all(engine)
    assert inspect(engine).get_table_names() == []


def test_untyped_foreign_key_to_missing_table_fails_on_create_all(
    engine: ormkit.Engine, metadata: MetaData
) -> None:
    Table(
        "orphan",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("ghost_id", ForeignKey("ghost.id")),
    )
    with pytest.raises(exc.NoReferencedTableError, match="'ghost'"):
        metadata.create_all(engine)


def test_foreign_key_to_missing_table_fails_on_sorted_tables(metadata: MetaData) -> None:
    Table(
        "orphan",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("ghost_id", Integer, ForeignKey("ghost.id")),
    )
    with pytest.raises(exc.NoReferencedTableError, match="'ghost'"):
        metadata.sorted_tables  # noqa: B018


# -- Column options -------------------------------------------------------------------------


def test_primary_key_and_nullable_flags(metadata: MetaData) -> None:
    t = Table(
        "t",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("req", String(5), nullable=False),
        Column("opt", String(5)),
    )
    assert t.primary_key == [t.c.id]
    assert t.c.id.nullable is False
    assert t.c.req.nullable is False
    assert t.c.opt.nullable is True


def test_not_null_column_rejects_null(engine: ormkit.Engine, metadata: MetaData) -> None:
    t = Table(
        "t",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("req", String(5), nullable=False),
    )
    metadata.create_all(engine)
    with pytest.raises(exc.IntegrityError):
        engine.execute(insert(t).values(id=1, req=None))
    assert count(engine, t) == 0


def test_python_defaults_apply_on_insert(engine: ormkit.Engine, metadata: MetaData) -> None:
    counter = itertools.count(100)
    t = Table(
        "t",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("qty", Integer, default=5),
        Column("seq", Integer, default=lambda: next(counter)),
    )
    metadata.create_all(engine)
    engine.execute(insert(t).values(id=1))
    engine.execute(insert(t), [{"id": 2}, {"id": 3, "qty": 9}])
    rows = engine.execute(select(t).order_by(t.c.id)).all()
    assert [tuple(r) for r in rows] == [(1, 5, 100), (2, 5, 101), (3, 9, 102)]


def test_server_defaults_apply_on_insert(engine: ormkit.Engine, metadata: MetaData) -> None:
    t = Table(
        "t",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("status", String(10), server_default="new"),
        Column("created", String(30), server_default=text("'2020-01-01'")),
    )
    metadata.create_all(engine)
    engine.execute(insert(t).values(id=1))
    assert tuple(engine.execute(select(t)).one()) == (1, "new", "2020-01-01")


def test_server_default_renders_in_create_table(metadata: MetaData) -> None:
    t = Table(
        "t",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("status", String(10), server_default="new"),
        Column("created", String(30), server_default=text("'2020-01-01'")),
    )
    assert str(CreateTable(t).compile(SQLiteDialect())) == (
        "\nCREATE TABLE t (\n\tid INTEGER NOT NULL,\n\tstatus VARCHAR(10) DEFAULT 'new',"
        "\n\tcreated VARCHAR(30) DEFAULT '2020-01-01',\n\tPRIMARY KEY (id)\n)\n\n"
    )


def test_onupdate_applies_on_update_only(engine: ormkit.Engine, metadata: MetaData) -> None:
    t = Table(
        "t",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("qty", Integer),
        Column("version", Integer, default=1, onupdate=lambda: 42),
    )
    metadata.create_all(engine)
    engine.execute(insert(t), [{"id": 1, "qty": 1}, {"id": 2, "qty": 2}])
    engine.execute(update(t).where(t.c.id == 1).values(qty=7))
    rows = engine.execute(select(t).order_by(t.c.id)).all()
    assert [tuple(r) for r in rows] == [(1, 7, 42), (2, 2, 1)]


def test_unique_column_rejects_duplicates(engine: ormkit.Engine, metadata: MetaData) -> None:
    t = Table(
        "t",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("code", String(5), unique=True),
    )
    metadata.create_all(engine)
    engine.execute(insert(t).values(id=1, code="x"))
    with pytest.raises(exc.IntegrityError):
        engine.execute(insert(t).values(id=2, code="x"))
    assert count(engine, t) == 1


def test_index_flag_creates_an_index(engine: ormkit.Engine, metadata: MetaData) -> None:
    t = Table(
        "t",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(20), index=True),
    )
    metadata.create_all(engine)
    indexes = inspect(engine).get_indexes("t")
    assert [(i["name"], i["column_names"], bool(i["unique"])) for i in indexes] == [
        ("ix_t_name", ["name"], False)
    ]
    assert [i.name for i in t.indexes] == ["ix_t_name"]


def test_unique_and_index_flags_create_a_unique_index(
    engine: ormkit.Engine, metadata: MetaData
) -> None:
    Table(
        "t",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(20), unique=True, index=True),
    )
    metadata.create_all(engine)
    indexes = inspect(engine).get_indexes("t")
    assert [(i["name"], i["column_names"], bool(i["unique"])) for i in indexes] == [
        ("ix_t_name", ["name"], True)
    ]


def test_column_comment_is_kept(metadata: MetaData) -> None:
    t = Table("t", metadata, Column("id", Integer, primary_key=True, comment="the key"))
    assert t.c.id.comment == "the key"


def test_column_key_names_the_attribute_not_the_sql_column(
    engine: ormkit.Engine, metadata: MetaData
) -> None:
    t = Table(
        "t",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("user_name", String(20), key="name"),
    )
    assert t.c.keys() == ["id", "name"]
    assert t.c.name.name == "user_name"
    with pytest.raises(AttributeError, match="no column 'user_name'"):
        t.c.user_name  # noqa: B018
    assert str(insert(t).values(name="x")) == "INSERT INTO t (user_name) VALUES (:name)"
    metadata.create_all(engine)
    engine.execute(insert(t).values(id=1, name="ann"))
    row = engine.execute(select(t)).one()
    assert row.name == "ann"


def test_foreign_key_column_takes_type_from_referenced_column(metadata: MetaData) -> None:
    _parent, child, _ = _family(metadata)
    assert isinstance(child.c.parent_id.type, Integer)
    assert "parent_id INTEGER" in str(CreateTable(child).compile(SQLiteDialect()))


def test_ondelete_cascade_deletes_children(engine: ormkit.Engine, metadata: MetaData) -> None:
    parent, child, grandchild = _family(metadata)
    metadata.create_all(engine)
    engine.execute(insert(parent), [{"id": 1, "name": "p1"}, {"id": 2, "name": "p2"}])
    engine.execute(insert(child), [{"id": 1, "parent_id": 1}, {"id": 2, "parent_id": 2}])
    engine.execute(insert(grandchild), [{"id": 1, "child_id": 1}, {"id": 2, "child_id": 2}])
    engine.execute(delete(parent).where(parent.c.id == 1))
    assert engine.execute(select(child.c.id)).scalars().all() == [2]
    assert engine.execute(select(grandchild.c.id)).scalars().all() == [2]


def test_foreign_key_is_enforced(engine: ormkit.Engine, metadata: MetaData) -> None:
    _parent, child, _ = _family(metadata)
    metadata.create_all(engine)
    with pytest.raises(exc.IntegrityError):
        engine.execute(insert(child).values(id=1, parent_id=99))
    assert count(engine, child) == 0


def test_composite_primary_key(engine: ormkit.Engine, metadata: MetaData) -> None:
    t = Table(
        "cp",
        metadata,
        Column("a", Integer),
        Column("b", String(5)),
        Column("c", Integer),
        PrimaryKeyConstraint("a", "b", name="pk_cp"),
    )
    assert t.primary_key == [t.c.a, t.c.b]
    assert str(CreateTable(t).compile(SQLiteDialect())) == (
        "\nCREATE TABLE cp (\n\ta INTEGER NOT NULL,\n\tb VARCHAR(5) NOT NULL,\n\tc INTEGER,"
        "\n\tCONSTRAINT pk_cp PRIMARY KEY (a, b)\n)\n\n"
    )
    metadata.create_all(engine)
    engine.execute(insert(t), [{"a": 1, "b": "x"}, {"a": 1, "b": "y"}])
    with pytest.raises(exc.IntegrityError):
        engine.execute(insert(t).values(a=1, b="x"))
    assert count(engine, t) == 2


def test_unique_constraint_over_two_columns(engine: ormkit.Engine, metadata: MetaData) -> None:
    t = Table(
        "t",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("a", Integer),
        Column("b", Integer),
        UniqueConstraint("a", "b", name="uq_ab"),
    )
    metadata.create_all(engine)
    engine.execute(insert(t), [{"id": 1, "a": 1, "b": 1}, {"id": 2, "a": 1, "b": 2}])
    with pytest.raises(exc.IntegrityError):
        engine.execute(insert(t).values(id=3, a=1, b=2))
    assert count(engine, t) == 2


def test_check_constraint_violation_is_integrity_error(
    engine: ormkit.Engine, metadata: MetaData
) -> None:
    t = Table(
        "t",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("price", Integer, CheckConstraint("price >= 0", name="ck_price")),
        Column("qty", Integer),
        CheckConstraint("qty < 1000", name="ck_qty"),
    )
    metadata.create_all(engine)
    engine.execute(insert(t).values(id=1, price=0, qty=1))
    with pytest.raises(exc.IntegrityError):
        engine.execute(insert(t).values(id=2, price=-1, qty=1))
    with pytest.raises(exc.IntegrityError):
        engine.execute(insert(t).values(id=3, price=1, qty=5000))
    assert count(engine, t) == 1


def test_explicit_index_is_created(engine: ormkit.Engine, metadata: MetaData) -> None:
    Table(
        "t",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("a", Integer),
        Column("b", Integer),
        Index("ix_t_a_b", "a", "b", unique=True),
    )
    metadata.create_all(engine)
    indexes = inspect(engine).get_indexes("t")
    assert [(i["name"], i["column_names"], bool(i["unique"])) for i in indexes] == [
        ("ix_t_a_b", ["a", "b"], True)
    ]


# -- DDL text -------------------------------------------------------------------------------


def test_create_table_ddl_with_constraints(metadata: MetaData) -> None:
    t = Table(
        "things",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(30), nullable=False),
        Column("price", Integer, CheckConstraint("price >= 0", name="ck_price")),
        Column("code", String(5), unique=True),
        UniqueConstraint("name", "price", name="uq_name_price"),
    )
    assert str(CreateTable(t).compile(SQLiteDialect())) == (
        "\nCREATE TABLE things (\n\tid INTEGER NOT NULL,\n\tname VARCHAR(30) NOT NULL,"
        "\n\tprice INTEGER,\n\tcode VARCHAR(5),\n\tPRIMARY KEY (id),"
        "\n\tCONSTRAINT ck_price CHECK (price >= 0),\n\tUNIQUE (code),"
        "\n\tCONSTRAINT uq_name_price UNIQUE (name, price)\n)\n\n"
    )


def test_create_table_ddl_with_foreign_key_cascade(metadata: MetaData) -> None:
    _, child, grandchild = _family(metadata)
    assert str(CreateTable(child).compile(SQLiteDialect())) == (
        "\nCREATE TABLE child (\n\tid INTEGER NOT NULL,\n\tparent_id INTEGER,"
        "\n\tPRIMARY KEY (id),"
        "\n\tFOREIGN KEY(parent_id) REFERENCES parent (id) ON DELETE CASCADE\n)\n\n"
    )
    assert "FOREIGN KEY(child_id) REFERENCES child (id) ON DELETE CASCADE" in str(
        CreateTable(grandchild).compile(SQLiteDialect())
    )


def test_create_table_ddl_quotes_reserved_and_mixed_case_names(metadata: MetaData) -> None:
    t = Table(
        "user",
        metadata,
        Column("order", Integer, primary_key=True),
        Column("Mixed Case", String(10), index=True),
    )
    assert str(CreateTable(t).compile(SQLiteDialect())) == (
        '\nCREATE TABLE "user" (\n\t"order" INTEGER NOT NULL,\n\t"Mixed Case" VARCHAR(10),'
        '\n\tPRIMARY KEY ("order")\n)\n\n'
    )
    (index,) = t.indexes
    assert str(CreateIndex(index).compile(SQLiteDialect())) == (
        'CREATE INDEX "ix_user_Mixed Case" ON "user" ("Mixed Case")'
    )


def test_create_and_drop_index_and_drop_table_ddl(metadata: MetaData) -> None:
    t = Table(
        "t",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(20), unique=True, index=True),
    )
    (index,) = t.indexes
    assert str(CreateIndex(index).compile(SQLiteDialect())) == (
        "CREATE UNIQUE INDEX ix_t_name ON t (name)"
    )
    assert str(DropIndex(index).compile(SQLiteDialect())) == "DROP INDEX ix_t_name"
    assert str(DropTable(t).compile(SQLiteDialect())) == "DROP TABLE t"


# -- argument errors ------------------------------------------------------------------------


def test_unknown_column_in_insert_values_names_column_and_table(metadata: MetaData) -> None:
    t = Table(
        "people", metadata, Column("id", Integer, primary_key=True), Column("name", String(20))
    )
    with pytest.raises(exc.ArgumentError) as info:
        insert(t).values(nme="x")
    assert str(info.value) == "unknown column 'nme' for table 'people'; its columns are: id, name"


def test_unknown_column_in_update_values_is_argument_error(metadata: MetaData) -> None:
    t = Table("people", metadata, Column("id", Integer, primary_key=True))
    with pytest.raises(exc.ArgumentError, match="unknown column 'nme' for table 'people'"):
        update(t).values(nme="x")


def test_unknown_column_keyword_is_argument_error() -> None:
    with pytest.raises(exc.ArgumentError, match=r"Column\('x'\) got unknown keyword argument"):
        Column("x", Integer, nulable=False)


# -- arguments: each one works or is refused by name ----------------------------------------------


@pytest.mark.parametrize(
    "kw", [{"quote": True}, {"quote": False}, {"sqlite_on_conflict_not_null": "FAIL"}]
)
def test_column_refuses_arguments_it_does_not_support(kw: dict[str, object]) -> None:
    (name,) = kw
    with pytest.raises(
        exc.ArgumentError, match=rf"Column\('x'\): Column\(\) does not support argument '{name}'"
    ):
        Column("x", Integer, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("kw", [{"comment": "why"}, {"postgresql_not_valid": True}, {"foo": 1}])
def test_foreign_key_refuses_arguments_it_does_not_support(kw: dict[str, object]) -> None:
    (name,) = kw
    with pytest.raises(
        exc.ArgumentError, match=rf"ForeignKey\(\) does not support argument '{name}'"
    ):
        ForeignKey("t.id", **kw)  # type: ignore[arg-type]


def test_foreign_key_constraint_refuses_unknown_arguments() -> None:
    with pytest.raises(
        exc.ArgumentError, match=r"ForeignKeyConstraint\(\) does not support argument 'foo'"
    ):
        ForeignKeyConstraint(["a"], ["t.id"], foo=1)


@pytest.mark.parametrize(
    "kw",
    [{"quote": True}, {"quote_schema": True}, {"autoload": True}, {"mysql_row_format": "DYNAMIC"}],
)
def test_table_refuses_arguments_it_does_not_support(
    metadata: MetaData, kw: dict[str, object]
) -> None:
    (name,) = kw
    with pytest.raises(
        exc.ArgumentError, match=rf"Table\('t'\): Table\(\) does not support argument '{name}'"
    ):
        Table("t", metadata, Column("id", Integer, primary_key=True), **kw)  # type: ignore[arg-type]


def test_table_must_exist_refuses_a_table_the_metadata_lacks(metadata: MetaData) -> None:
    with pytest.raises(exc.InvalidRequestError, match=r"Table\('t', must_exist=True\)"):
        Table("t", metadata, must_exist=True)
    first = Table("t", metadata, Column("id", Integer, primary_key=True))
    assert Table("t", metadata, must_exist=True) is first


def test_foreign_key_info_and_link_to_name(metadata: MetaData) -> None:
    parent = Table("parent", metadata, Column("pid", Integer, key="ident", primary_key=True))
    fk = ForeignKey("parent.pid", link_to_name=True, info={"why": "x"})
    child = Table("child", metadata, Column("id", Integer, primary_key=True), Column("p", fk))
    assert fk.info == {"why": "x"}
    assert fk.column is parent.c.ident  # found by its name, not its key
    assert child.c.p.foreign_keys == {fk}
    by_key = Table("other", metadata, Column("p", Integer, ForeignKey("parent.pid")))
    assert next(iter(by_key.c.p.foreign_keys)).column is parent.c.ident


def test_foreign_key_deferrable_initially_and_match_are_rendered(metadata: MetaData) -> None:
    Table("a", metadata, Column("id", Integer, primary_key=True))
    b = Table(
        "b",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("a_id", Integer, ForeignKey("a.id", deferrable=True, initially="deferred")),
        Column("a2", Integer, ForeignKey("a.id", match="FULL")),
    )
    for dialect in (PGDialect(), SQLiteDialect()):
        sql = str(CreateTable(b).compile(dialect))
        assert "REFERENCES a (id) DEFERRABLE INITIALLY DEFERRED" in sql
        assert "REFERENCES a (id) MATCH FULL" in sql
    with pytest.raises(exc.CompileError, match="ignores MATCH"):
        CreateTable(b).compile(MySQLDialect())


def test_system_column_is_left_out_of_create_table(metadata: MetaData) -> None:
    t = Table(
        "t",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("xmin", Integer, system=True),
    )
    assert "xmin" not in str(CreateTable(t).compile(SQLiteDialect()))
    assert "xmin" in str(select(t.c.xmin))


def test_comments_and_mysql_table_options_reach_the_database(engine: ormkit.Engine) -> None:
    metadata = MetaData()
    Table(
        "commented",
        metadata,
        Column("id", Integer, primary_key=True, comment="the key"),
        Column("name", String(20), comment="who's there"),
        comment="a table",
        mysql_engine="InnoDB",
        mysql_collate="utf8mb4_bin",
    )
    metadata.create_all(engine)
    name = engine.dialect.name
    with engine.connect() as conn:
        if name == "postgresql":
            table = conn.scalar(text("SELECT obj_description('commented'::regclass, 'pg_class')"))
            column = conn.scalar(text("SELECT col_description('commented'::regclass, 2)"))
            assert (table, column) == ("a table", "who's there")
        elif name in ("mysql", "mariadb"):
            row = conn.execute(
                text(
                    "SELECT table_comment, engine, table_collation FROM information_schema.tables "
                    "WHERE table_schema = DATABASE() AND table_name = 'commented'"
                )
            ).one()
            assert tuple(row) == ("a table", "InnoDB", "utf8mb4_bin")
            column = conn.scalar(
                text(
                    "SELECT column_comment FROM information_schema.columns WHERE table_schema = "
                    "DATABASE() AND table_name = 'commented' AND column_name = 'name'"
                )
            )
            assert column == "who's there"
        else:  # SQLite has no comments; SQLAlchemy leaves them out there too
            assert "a table" not in str(CreateTable(metadata.tables["commented"]).compile(engine))


def test_deferrable_foreign_key_defers_its_check_on_postgresql(engine: ormkit.Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip(reason="only PostgreSQL checks deferred constraints at COMMIT")
    metadata = MetaData()
    Table("dparent", metadata, Column("id", Integer, primary_key=True))
    child = Table(
        "dchild",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("p", Integer, ForeignKey("dparent.id", deferrable=True, initially="DEFERRED")),
    )
    metadata.create_all(engine)
    with engine.begin() as conn:  # the child first: fine, the check waits for COMMIT
        conn.execute(insert(child).values(id=1, p=7))
        conn.execute(insert(metadata.tables["dparent"]).values(id=7))
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(child)) == 1
