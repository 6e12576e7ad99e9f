"""Statements run for real on every backend; results are checked, not only SQL text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import ormkit
from ormkit import (
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    case,
    delete,
    except_,
    exists,
    func,
    insert,
    intersect,
    literal,
    select,
    text,
    union,
    union_all,
    update,
)

md = MetaData()
users = Table(
    "users",
    md,
    Column("id", Integer, primary_key=True),
    Column("name", String(50)),
    Column("age", Integer),
)
addresses = Table(
    "addresses",
    md,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("users.id")),
    Column("email", String(100)),
)
archive = Table(
    "archive",
    md,
    Column("id", Integer, primary_key=True),
    Column("name", String(50)),
)
u = users.c
a = addresses.c

USERS = [
    {"id": 1, "name": "ann", "age": 30},
    {"id": 2, "name": "bob", "age": 20},
    {"id": 3, "name": "cy", "age": 40},
    {"id": 4, "name": "dee", "age": 20},
]
ADDRESSES = [
    {"id": 1, "user_id": 1, "email": "a1"},
    {"id": 2, "user_id": 1, "email": "a2"},
    {"id": 3, "user_id": 2, "email": "b1"},
]


@pytest.fixture
def db(engine: ormkit.Engine) -> Iterator[ormkit.Engine]:
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(users), USERS)
        conn.execute(insert(addresses), ADDRESSES)
    yield engine


def rows(engine: ormkit.Engine, stmt: Any) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in engine.execute(stmt).all()]


def scalars(engine: ormkit.Engine, stmt: Any) -> list[Any]:
    return list(engine.execute(stmt).scalars().all())


def test_select_where_returns_matching_rows(db: ormkit.Engine) -> None:
    assert rows(db, select(u.id, u.name).where(u.age == 20).order_by(u.id)) == [
        (2, "bob"),
        (4, "dee"),
    ]


def test_is_true_and_is_false_select_on_every_backend(db: ormkit.Engine) -> None:
    older = (u.age > 25).is_(True)
    assert scalars(db, select(u.name).where(older).order_by(u.id)) == ["ann", "cy"]
    assert scalars(db, select(u.name).where((u.age > 25).is_not(False)).order_by(u.id)) == [
        "ann",
        "cy",
    ]


def test_row_supports_attribute_index_and_mapping_access(db: ormkit.Engine) -> None:
    row = db.execute(select(u.id, u.name).where(u.id == 1)).one()
    assert (row.id, row.name, row[0], row[1]) == (1, "ann", 1, "ann")
    assert dict(row._mapping) == {"id": 1, "name": "ann"}


def test_inner_join_on_foreign_key(db: ormkit.Engine) -> None:
    stmt = select(u.name, a.email).join(addresses).order_by(a.email)
    assert rows(db, stmt) == [("ann", "a1"), ("ann", "a2"), ("bob", "b1")]


def test_outer_join_keeps_rows_without_match(db: ormkit.Engine) -> None:
    stmt = select(u.name, a.email).outerjoin(addresses).order_by(u.id, a.email)
    assert rows(db, stmt) == [
        ("ann", "a1"),
        ("ann", "a2"),
        ("bob", "b1"),
        ("cy", None),
        ("dee", None),
    ]


def test_self_join_through_alias(db: ormkit.Engine) -> None:
    older = users.alias()
    stmt = select(u.name, older.c.name).join(older, older.c.age > u.age).where(u.name == "ann")
    assert rows(db, stmt) == [("ann", "cy")]


def test_group_by_having_counts(db: ormkit.Engine) -> None:
    n = func.count(a.id)
    stmt = select(u.name, n.label("n")).outerjoin(addresses).group_by(u.name).having(n >= 1)
    assert rows(db, stmt.order_by(u.name)) == [("ann", 2), ("bob", 1)]


def test_group_by_age_counts_users(db: ormkit.Engine) -> None:
    stmt = select(u.age, func.count()).group_by(u.age).order_by(u.age)
    assert rows(db, stmt) == [(20, 2), (30, 1), (40, 1)]


def test_order_by_limit_offset(db: ormkit.Engine) -> None:
    stmt = select(u.name).order_by(u.age.desc(), u.name).limit(2).offset(1)
    assert scalars(db, stmt) == ["ann", "bob"]


def test_offset_without_limit(db: ormkit.Engine) -> None:
    assert scalars(db, select(u.id).order_by(u.id).offset(2)) == [3, 4]


def test_in_subquery(db: ormkit.Engine) -> None:
    assert scalars(db, select(u.name).where(u.id.in_(select(a.user_id))).order_by(u.name)) == [
        "ann",
        "bob",
    ]


def test_in_list_and_empty_in(db: ormkit.Engine) -> None:
    assert scalars(db, select(u.id).where(u.id.in_([1, 3, 99])).order_by(u.id)) == [1, 3]
    assert scalars(db, select(u.id).where(u.id.in_([]))) == []
    assert scalars(db, select(u.id).where(u.id.not_in([])).order_by(u.id)) == [1, 2, 3, 4]


def test_join_to_aggregate_subquery(db: ormkit.Engine) -> None:
    sub = select(a.user_id, func.count().label("n")).group_by(a.user_id).subquery()
    stmt = select(u.name, sub.c.n).join(sub, sub.c.user_id == u.id).order_by(u.name)
    assert rows(db, stmt) == [("ann", 2), ("bob", 1)]


def test_select_from_filtered_subquery(db: ormkit.Engine) -> None:
    sub = select(u.id, u.name).where(u.age > 25).subquery()
    assert rows(db, select(sub.c.name).order_by(sub.c.name)) == [("ann",), ("cy",)]


def test_scalar_subquery_per_row(db: ormkit.Engine) -> None:
    n = select(func.count(a.id)).where(a.user_id == u.id).scalar_subquery()
    assert rows(db, select(u.name, n.label("n")).order_by(u.id)) == [
        ("ann", 2),
        ("bob", 1),
        ("cy", 0),
        ("dee", 0),
    ]


def test_cte_with_filter(db: ormkit.Engine) -> None:
    older = select(u.id, u.name).where(u.age > 25).cte("older")
    assert scalars(db, select(older.c.name).order_by(older.c.name)) == ["ann", "cy"]


def test_recursive_cte_counts_one_to_ten(db: ormkit.Engine) -> None:
    nums = select(literal(1).label("n")).cte("nums", recursive=True)
    nums = nums.union_all(select(nums.c.n + 1).where(nums.c.n < 10))
    assert scalars(db, select(nums.c.n).order_by(nums.c.n)) == list(range(1, 11))


def test_union_removes_duplicates_and_union_all_keeps_them(db: ormkit.Engine) -> None:
    young = select(u.age).where(u.age < 25)
    assert scalars(db, union(young, young).order_by("age")) == [20]
    assert scalars(db, union_all(young, young).order_by("age")) == [20, 20, 20, 20]


def test_union_of_two_filters(db: ormkit.Engine) -> None:
    stmt = union(select(u.name).where(u.age < 25), select(u.name).where(u.age > 35))
    assert scalars(db, stmt.order_by("name")) == ["bob", "cy", "dee"]


def test_intersect_and_except(db: ormkit.Engine) -> None:
    assert scalars(db, intersect(select(u.id), select(a.user_id)).order_by("id")) == [1, 2]
    assert scalars(db, except_(select(u.id), select(a.user_id)).order_by("id")) == [3, 4]


def test_exists_and_not_exists(db: ormkit.Engine) -> None:
    has_address = exists().where(a.user_id == u.id)
    assert scalars(db, select(u.name).where(has_address).order_by(u.name)) == ["ann", "bob"]
    assert scalars(db, select(u.name).where(~has_address).order_by(u.name)) == ["cy", "dee"]


def test_case_labels_rows(db: ormkit.Engine) -> None:
    group = case((u.age < 25, "young"), (u.age < 35, "mid"), else_="old").label("grp")
    assert rows(db, select(u.name, group).order_by(u.id)) == [
        ("ann", "mid"),
        ("bob", "young"),
        ("cy", "old"),
        ("dee", "young"),
    ]


def test_aggregates_count_sum_avg_min_max(db: ormkit.Engine) -> None:
    result = db.execute(
        select(func.count(), func.sum(u.age), func.avg(u.age), func.min(u.age), func.max(u.age))
    ).one()
    assert result[0] == 4
    assert result[1] == 110
    assert result[2] == 27.5
    assert (result[3], result[4]) == (20, 40)


def test_coalesce_and_like_functions(db: ormkit.Engine) -> None:
    stmt = select(func.coalesce(a.email, "none")).select_from(users.outerjoin(addresses))
    assert sorted(scalars(db, stmt)) == ["a1", "a2", "b1", "none", "none"]
    assert scalars(db, select(u.name).where(u.name.ilike("ANN"))) == ["ann"]
    assert scalars(db, select(u.name).where(u.name.contains("e")).order_by(u.name)) == ["dee"]


def test_bindparam_value_given_at_execution(db: ormkit.Engine) -> None:
    stmt = select(u.name).where(u.id == bindparam("uid"))
    with db.connect() as conn:
        assert conn.execute(stmt, {"uid": 3}).scalar() == "cy"
        assert conn.execute(stmt, {"uid": 2}).scalar() == "bob"


def test_text_with_named_parameter(db: ormkit.Engine) -> None:
    with db.connect() as conn:
        assert conn.execute(text("SELECT name FROM users WHERE id = :id"), {"id": 2}).scalar() == (
            "bob"
        )


def test_insert_multi_row_values(engine: ormkit.Engine) -> None:
    md.create_all(engine)
    result = engine.execute(
        insert(users).values(
            [
                {"id": 10, "name": "x", "age": 1},
                {"id": 11, "name": "y", "age": 2},
            ]
        )
    )
    assert result.rowcount == 2
    assert rows(engine, select(users).order_by(u.id)) == [(10, "x", 1), (11, "y", 2)]


def test_insert_from_select(db: ormkit.Engine) -> None:
    result = db.execute(
        insert(archive).from_select(["id", "name"], select(u.id, u.name).where(u.age >= 30))
    )
    assert result.rowcount == 2
    assert rows(db, select(archive).order_by(archive.c.id)) == [(1, "ann"), (3, "cy")]


def test_update_rowcount_and_effect(db: ormkit.Engine) -> None:
    result = db.execute(update(users).where(u.age == 20).values(age=u.age + 1))
    assert result.rowcount == 2
    assert scalars(db, select(u.age).order_by(u.id)) == [30, 21, 40, 21]


def test_update_matching_nothing_has_rowcount_zero(db: ormkit.Engine) -> None:
    assert db.execute(update(users).where(u.id == 99).values(name="z")).rowcount == 0


def test_delete_rowcount_and_effect(db: ormkit.Engine) -> None:
    result = db.execute(delete(addresses).where(a.user_id == 1))
    assert result.rowcount == 2
    assert scalars(db, select(a.email)) == ["b1"]


def test_inserted_primary_key(engine: ormkit.Engine) -> None:
    md.create_all(engine)
    result = engine.execute(insert(users).values(name="new", age=5))
    assert tuple(result.inserted_primary_key) == (1,)


def test_insert_returning(db: ormkit.Engine) -> None:
    if not db.dialect.insert_returning:
        pytest.skip(reason="the database has no INSERT ... RETURNING")
    result = db.execute(insert(users).values(id=5, name="eve", age=50).returning(u.id, u.name))
    assert [tuple(r) for r in result.all()] == [(5, "eve")]


def test_update_returning(db: ormkit.Engine) -> None:
    if not db.dialect.update_returning:
        pytest.skip(reason="the database has no UPDATE ... RETURNING")
    result = db.execute(update(users).where(u.id == 2).values(name="bo").returning(u.id, u.name))
    assert [tuple(r) for r in result.all()] == [(2, "bo")]


def test_delete_returning(db: ormkit.Engine) -> None:
    if not db.dialect.delete_returning:
        pytest.skip(reason="the database has no DELETE ... RETURNING")
    result = db.execute(delete(addresses).where(a.user_id == 2).returning(a.email))
    assert result.scalars().all() == ["b1"]
    assert scalars(db, select(func.count()).select_from(addresses)) == [2]
