"""The compiled-statement cache is keyed on a statement's shape, never on its values."""

from __future__ import annotations

import pytest

import ormkit
from ormkit import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    func,
    insert,
    select,
    text,
    update,
)
from ormkit.sql import cache_key

md = MetaData()
items = Table(
    "items",
    md,
    Column("id", Integer, primary_key=True),
    Column("x", Integer),
    Column("s", String(20)),
)
other = Table("other", md, Column("id", Integer, primary_key=True), Column("y", Integer))


def key(stmt: object) -> object:
    return cache_key.generate(stmt)[0]  # type: ignore[arg-type]


def test_select_differing_only_in_values_has_equal_keys_and_different_binds() -> None:
    k1, b1 = cache_key.generate(select(items).where(items.c.x == 1).limit(3))
    k2, b2 = cache_key.generate(select(items).where(items.c.x == 2).limit(4))
    assert k1 == k2
    assert hash(k1) == hash(k2)
    assert [b.value for b in b1] == [1, 3]
    assert [b.value for b in b2] == [2, 4]


def test_string_values_do_not_change_the_key() -> None:
    assert key(select(items).where(items.c.s == "a")) == key(select(items).where(items.c.s == "b"))


def test_insert_update_values_do_not_change_the_key() -> None:
    assert key(insert(items).values(x=1)) == key(insert(items).values(x=2))
    assert key(update(items).where(items.c.id == 1).values(x=1)) == key(
        update(items).where(items.c.id == 2).values(x=2)
    )


def test_text_bindparams_values_do_not_change_the_key() -> None:
    assert key(text("SELECT :a").bindparams(a=1)) == key(text("SELECT :a").bindparams(a=2))


def test_in_list_of_same_length_shares_the_key() -> None:
    assert key(select(items.c.x).where(items.c.x.in_([1, 2]))) == key(
        select(items.c.x).where(items.c.x.in_([3, 4]))
    )


def test_different_operator_gives_different_key() -> None:
    assert key(select(items).where(items.c.x == 1)) != key(select(items).where(items.c.x > 1))


def test_different_columns_give_different_keys() -> None:
    assert key(select(items.c.x).where(items.c.x == 1)) != key(
        select(items.c.s).where(items.c.x == 1)
    )
    assert key(insert(items).values(x=1)) != key(insert(items).values(s="a"))


def test_in_list_of_different_length_gives_different_key() -> None:
    assert key(select(items.c.x).where(items.c.x.in_([1, 2]))) != key(
        select(items.c.x).where(items.c.x.in_([3, 4, 5]))
    )


def test_order_direction_and_text_and_bind_names_change_the_key() -> None:
    assert key(select(items.c.x).order_by(items.c.x)) != key(
        select(items.c.x).order_by(items.c.x.desc())
    )
    assert key(text("SELECT :a")) != key(text("SELECT :b"))
    assert key(select(items.c.x).where(items.c.x == bindparam("a"))) != key(
        select(items.c.x).where(items.c.x == bindparam("b"))
    )


def test_same_named_table_in_another_metadata_gives_different_key() -> None:
    md2 = MetaData()
    items2 = Table("items", md2, Column("id", Integer, primary_key=True), Column("x", Integer))
    assert key(select(items.c.x)) != key(select(items2.c.x))


def test_literal_of_different_type_gives_different_key() -> None:
    assert key(select(ormkit.literal(1))) != key(select(ormkit.literal("a")))


def test_subqueries_with_different_where_give_different_keys() -> None:
    s1 = select(items.c.id).where(items.c.x > 30).subquery()
    s2 = select(items.c.id).where(items.c.s == "a").subquery()
    assert key(select(s1.c.id)) != key(select(s2.c.id))


def test_subquery_values_are_collected_as_binds() -> None:
    sub = select(items.c.id).where(items.c.x > 30).subquery()
    _, binds = cache_key.generate(select(sub.c.id))
    assert [b.value for b in binds] == [30]


def test_aliases_of_different_tables_give_different_keys() -> None:
    assert key(select(items.alias().c.id)) != key(select(other.alias().c.id))


# -- on a real engine -----------------------------------------------------------------------


@pytest.fixture
def filled(engine: ormkit.Engine) -> ormkit.Engine:
    md.create_all(engine, tables=[items, other])
    with engine.begin() as conn:
        conn.execute(insert(items), [{"id": i, "x": i, "s": f"s{i}"} for i in range(1, 51)])
    return engine


def test_same_select_with_50_values_compiles_once(filled: ormkit.Engine) -> None:
    stmt_for = lambda i: select(items.c.s).where(items.c.x == i)  # noqa: E731
    filled.execute(stmt_for(0)).all()  # warm: the shape is compiled here
    before = filled.compile_count
    for i in range(1, 51):
        assert filled.execute(stmt_for(i)).scalars().all() == [f"s{i}"]
    assert filled.compile_count == before
    # and a cold engine sees exactly one miss for the 50 runs
    fresh_before = filled.compile_count
    filled.clear_compiled_cache()
    results = [filled.execute(stmt_for(i)).scalar_one() for i in range(1, 51)]
    assert results == [f"s{i}" for i in range(1, 51)]
    assert filled.compile_count == fresh_before + 1


def test_insert_executemany_compiles_once(engine: ormkit.Engine) -> None:
    md.create_all(engine, tables=[items])
    before = engine.compile_count
    with engine.begin() as conn:
        result = conn.execute(insert(items), [{"x": i, "s": f"v{i}"} for i in range(50)])
        assert result.rowcount == 50
    assert engine.compile_count == before + 1
    with engine.connect() as conn:
        rows = conn.execute(select(items.c.x, items.c.s).order_by(items.c.x)).all()
    assert [tuple(r) for r in rows] == [(i, f"v{i}") for i in range(50)]


def test_insert_values_with_50_different_values_compiles_once(engine: ormkit.Engine) -> None:
    md.create_all(engine, tables=[items])
    before = engine.compile_count
    for i in range(50):
        engine.execute(insert(items).values(x=i, s=f"w{i}"))
    assert engine.compile_count == before + 1
    total = engine.execute(select(func.sum(items.c.x), func.count())).one()
    assert tuple(total) == (sum(range(50)), 50)


def test_different_subqueries_on_one_engine_run_their_own_sql(filled: ormkit.Engine) -> None:
    low = select(items.c.id).where(items.c.x <= 2).subquery()
    high = select(items.c.id).where(items.c.x >= 49).subquery()
    assert filled.execute(select(low.c.id).order_by(low.c.id)).scalars().all() == [1, 2]
    assert filled.execute(select(high.c.id).order_by(high.c.id)).scalars().all() == [49, 50]


def test_aliases_of_different_tables_on_one_engine_run_their_own_sql(
    filled: ormkit.Engine,
) -> None:
    filled.execute(insert(other).values(id=777, y=1))
    ia, oa = items.alias(), other.alias()
    assert sorted(filled.execute(select(ia.c.id)).scalars().all()) == list(range(1, 51))
    assert filled.execute(select(oa.c.id)).scalars().all() == [777]
