"""ORM selects run with ``yield_per``: objects are made batch by batch as the rows arrive,
through ``Session.execute``, ``Select.execution_options`` and ``Query.yield_per``."""

from __future__ import annotations

import pytest

import ormkit
from ormkit import exc, select
from ormkit.orm import Session, joinedload, selectinload
from ormkit.testing import count_queries

from .conftest import Family, Models


def test_session_execute_with_yield_per_gives_objects_in_batches(
    session: Session, seeded: Models
) -> None:
    User = seeded.User
    result = session.execute(select(User).order_by(User.id), execution_options={"yield_per": 3})
    parts = list(result.scalars().partitions())
    assert [[u.name for u in p] for p in parts] == [["ed", "wendy", "mary"], ["fred"]]
    assert session.get(User, 1) is parts[0][0]  # identity-mapped as usual


def test_objects_are_made_only_as_their_batch_is_read(session: Session, seeded: Models) -> None:
    User = seeded.User
    stmt = select(User).order_by(User.id).execution_options(yield_per=2)
    result = session.scalars(stmt)
    first = result.fetchmany()
    assert [u.name for u in first] == ["ed", "wendy"]
    assert len(session.identity_map) == 2  # mary and fred: not read yet, not made yet
    rest = result.all()
    assert [u.name for u in rest] == ["mary", "fred"]
    assert len(session.identity_map) == 4


def test_yield_per_of_rows_with_two_entities(session: Session, seeded: Models) -> None:
    User, Address = seeded.User, seeded.Address
    stmt = (
        select(User, Address)
        .join(Address, Address.user_id == User.id)
        .order_by(Address.id)
        .execution_options(yield_per=2)
    )
    parts = list(session.execute(stmt).partitions())
    assert [[(u.name, a.email) for u, a in p] for p in parts] == [
        [("ed", "ed@example.com"), ("ed", "ed@work.example.com")],
        [("wendy", "wendy@example.com")],
    ]


def test_query_yield_per_iterates_in_batches_with_one_selectin_load_per_batch(
    engine: ormkit.Engine, family: Family
) -> None:
    Parent, Child = family.Parent, family.Child
    with Session(engine) as s:
        for i in range(1, 6):
            s.add(Parent(id=i, name=f"p{i}", children=[Child(name=f"c{i}")]))
        s.commit()
    with Session(engine) as s, count_queries(engine) as q:
        query = s.query(Parent).order_by(Parent.id).options(selectinload(Parent.children))
        names = [(p.name, [c.name for c in p.children]) for p in query.yield_per(2)]
    assert names == [(f"p{i}", [f"c{i}"]) for i in range(1, 6)]
    assert q.count == 1 + 3  # the SELECT, then a selectin load for each batch of 2, 2, 1


def test_yield_per_streams_from_a_server_side_cursor(engine: ormkit.Engine, seeded: Models) -> None:
    User = seeded.User
    with Session(engine) as s:
        result = s.scalars(select(User).order_by(User.id).execution_options(yield_per=1))
        cursor = result._result._cursor._rows._cursor  # type: ignore[attr-defined]
        assert result.fetchmany()[0].name == "ed"
        result.close()
    server_side = engine.dialect.supports_server_side_cursors
    assert (type(cursor).__name__ in ("ServerCursor", "SSCursor")) == server_side


def test_yield_per_with_a_joined_collection_is_refused(session: Session, family: Family) -> None:
    Parent = family.Parent
    stmt = select(Parent).options(joinedload(Parent.children)).execution_options(yield_per=2)
    with pytest.raises(
        exc.InvalidRequestError,
        match=r"yield_per cannot be used with joined eager loading of the collection "
        r"Parent\.children .*selectinload\(\)",
    ):
        session.execute(stmt)


@pytest.mark.parametrize("bad", [0, -1, "2", True])
def test_yield_per_takes_a_positive_number(session: Session, models: Models, bad: object) -> None:
    with pytest.raises(exc.ArgumentError, match=r"yield_per takes a positive number of rows"):
        session.execute(select(models.User), execution_options={"yield_per": bad})
    with pytest.raises(exc.ArgumentError, match=r"yield_per takes a positive number of rows"):
        session.query(models.User).yield_per(bad)  # type: ignore[arg-type]
