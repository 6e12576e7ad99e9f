"""executemany with RETURNING on every backend: every parameter set's rows, in set order."""

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
    create_engine,
    delete,
    exc,
    insert,
    select,
    update,
)

md = MetaData()
# "ab" before "a": one parameter key is a prefix of another, after it
items = Table(
    "items",
    md,
    Column("id", Integer, primary_key=True),
    Column("ab", String(20)),
    Column("a", String(20)),
    Column("n", Integer, default=7),
)
c = items.c
#: Per backend, a paramstyle with named placeholders its driver takes.
NAMED_STYLE = {
    "sqlite": "named",
    "sqlite_file": "named",
    "postgresql": "pyformat",
    "mariadb": "pyformat",
}


@pytest.fixture
def db(engine: ormkit.Engine) -> ormkit.Engine:
    md.create_all(engine)
    return engine


def test_executemany_insert_returning_gives_every_row_in_parameter_order(
    db: ormkit.Engine,
) -> None:
    sets = [{"ab": f"x{i}", "a": f"y{i}"} for i in range(7)]
    stmt = insert(items).returning(c.id, c.ab, c.a, c.n, sort_by_parameter_order=True)
    with db.begin() as conn:
        conn.execution_options(insertmanyvalues_page_size=3)  # three INSERT statements
        result = conn.execute(stmt, sets)
        got = result.all()
    assert result.rowcount == 7
    assert [(r.ab, r.a, r.n) for r in got] == [(f"x{i}", f"y{i}", 7) for i in range(7)]
    with db.connect() as conn:
        stored = conn.execute(select(c.id, c.ab).order_by(c.id)).all()
    assert sorted((r.id, r.ab) for r in got) == stored


def test_executemany_insert_returning_keeps_the_order_of_given_keys(db: ormkit.Engine) -> None:
    ids = [5, 3, 9, 1, 4]
    with db.begin() as conn:
        got = conn.execute(
            insert(items).values(n=2).returning(c.id, c.n, sort_by_parameter_order=True),
            [{"id": i, "ab": str(i)} for i in ids],
        ).all()
    assert got == [(i, 2) for i in ids]


def test_executemany_insert_returning_with_named_parameters(backend: str, url: str) -> None:
    eng = create_engine(url, paramstyle=NAMED_STYLE[backend])
    try:
        md.create_all(eng)
        with eng.begin() as conn:
            got = conn.execute(
                insert(items).returning(c.ab, c.a), [{"ab": "p", "a": "q"}, {"ab": "r", "a": "s"}]
            ).all()
            keys = conn.insert_many_returning(
                insert(items).returning(c.id), ["ab", "a", "n"], [("t", "u", 1), ("v", "w", 2)]
            )
            stored = conn.execute(select(c.ab, c.a).where(c.id.in_([k[0] for k in keys])))
            assert sorted(stored.all()) == [("t", "u"), ("v", "w")]
        assert got == [("p", "q"), ("r", "s")]
    finally:
        md.drop_all(eng)
        eng.dispose()


def test_executemany_update_and_delete_returning_give_every_row(db: ormkit.Engine) -> None:
    with db.begin() as conn:
        conn.execute(insert(items), [{"id": i, "ab": f"x{i}"} for i in (1, 2, 3)])
        if db.dialect.update_returning:
            changed = conn.execute(
                update(items)
                .where(c.id == bindparam("key"))
                .values(ab=bindparam("new"))
                .returning(c.id, c.ab),
                [{"key": 3, "new": "c"}, {"key": 1, "new": "a"}],
            )
            assert changed.all() == [(3, "c"), (1, "a")]
        if db.dialect.delete_returning:
            gone = conn.execute(
                delete(items).where(c.id == bindparam("key")).returning(c.id),
                [{"key": 2}, {"key": 1}],
            )
            assert (gone.all(), gone.rowcount) == ([(2,), (1,)], 2)


def test_insertmanyvalues_page_size_takes_a_positive_number(db: ormkit.Engine) -> None:
    with db.connect() as conn:
        with pytest.raises(exc.ArgumentError, match=r"insertmanyvalues_page_size.*got 0"):
            conn.execution_options(insertmanyvalues_page_size=0)
        assert "insertmanyvalues_page_size" not in conn.get_execution_options()
        with pytest.raises(exc.ArgumentError, match=r"insertmanyvalues_page_size.*got 0"):
            conn.execute(
                insert(items).returning(c.id),
                [{"ab": "x"}, {"ab": "y"}],
                execution_options={"insertmanyvalues_page_size": 0},
            )
