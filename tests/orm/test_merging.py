"""Session.merge(): the session's object for a copy's row, loaded, made or trusted (load=False),
with the copy's relationships merged along the ``merge`` cascade."""

from __future__ import annotations

from typing import Any

import pytest

import ormkit
from ormkit import delete, exc, inspect, select
from ormkit.orm import Session, selectinload
from ormkit.testing import count_queries

from .conftest import Family


def committed_parent(engine: ormkit.Engine, family: Family, **kw: Any) -> Any:
    """A Parent committed with two children, then detached with everything loaded."""
    Parent, Child = family.Parent, family.Child
    with Session(engine, expire_on_commit=False) as s:
        p = Parent(name="a", score=4, children=[Child(name="c1"), Child(name="c2")], **kw)
        s.add(p)
        s.commit()
        for child in p.children:
            assert child.parent is p
    return p


def child_names(engine: ormkit.Engine, family: Family) -> list[str]:
    with Session(engine) as s:
        return list(s.scalars(select(family.Child.name).order_by(family.Child.name)))


def test_merge_of_an_expired_detached_object_loads_its_row(
    engine: ormkit.Engine, family: Family
) -> None:
    Parent = family.Parent
    with Session(engine) as s:
        p = Parent(name="a", score=4)
        s.add(p)
        s.commit()  # p is expired, then detached by close(): it holds only its identity
        s.close()
        m = s.merge(p)
        assert m is not p and inspect(m).persistent
        assert m.name == "a" and m.score == 4
        s.commit()
    with Session(engine) as s:
        assert s.scalars(select(Parent.name)).all() == ["a"]


def test_merge_of_a_changed_detached_copy_updates_its_row(
    engine: ormkit.Engine, family: Family
) -> None:
    p = committed_parent(engine, family)
    p.score = 9
    with Session(engine) as s:
        m = s.merge(p)
        assert m.score == 9 and m in s.dirty
        s.commit()
    with Session(engine) as s:
        assert s.scalars(select(family.Parent.score)).all() == [9]


def test_merge_follows_relationships_in_both_directions(
    engine: ormkit.Engine, family: Family
) -> None:
    Parent, Child = family.Parent, family.Child
    with Session(engine) as s:
        child = s.merge(Child(name="c", parent=Parent(name="p")))
        assert inspect(child).pending and inspect(child.parent).pending
        assert child.parent.children == [child]
        parent = s.merge(Parent(name="q", children=[Child(name="d"), Child(name="e")]))
        assert [c.name for c in parent.children] == ["d", "e"]
        assert all(inspect(c).pending and c.parent is parent for c in parent.children)
        s.commit()
    with Session(engine) as s:
        rows = s.execute(
            select(Child.name, Parent.name).join(Child.parent).order_by(Child.name)
        ).all()
        assert [tuple(r) for r in rows] == [("c", "p"), ("d", "q"), ("e", "q")]


def test_merge_of_a_child_leaves_the_parents_other_children_alone(
    engine: ormkit.Engine, family: Family
) -> None:
    """The copy's parent holds only the children loaded then: its collection is not merged
    back through the reverse relationship (that would orphan, and delete, the others)."""
    Child = family.Child
    p = committed_parent(engine, family)
    c1 = p.children[0]
    with Session(engine) as s:
        s.add(Child(name="c3", parent_id=p.id))  # a child the copy never saw
        s.commit()
    with Session(engine) as s:
        m = s.merge(c1)
        assert sorted(c.name for c in m.parent.children) == ["c1", "c2", "c3"]
        s.commit()
    assert child_names(engine, family) == ["c1", "c2", "c3"]


def test_merge_autoflushes_before_it_loads(engine: ormkit.Engine, family: Family) -> None:
    Parent = family.Parent
    with Session(engine) as s:
        pending = Parent(id=7, name="x")
        s.add(pending)
        m = s.merge(Parent(id=7, name="y"))
        assert m is pending and m.name == "y"
        s.commit()
    with Session(engine) as s:
        assert s.scalars(select(Parent.name)).all() == ["y"]


def test_merge_uses_the_loader_options_given(engine: ormkit.Engine, family: Family) -> None:
    Parent = family.Parent
    p = committed_parent(engine, family)
    detached_copy = Parent(id=p.id, name="a")
    with Session(engine) as s:
        m = s.merge(detached_copy, options=[selectinload(Parent.children)])
        assert "children" in m.__dict__
        with count_queries(engine) as counted:
            assert [c.name for c in m.children] == ["c1", "c2"]
        assert counted.statements == []


def test_merge_without_load_trusts_the_copy_and_sends_nothing(
    engine: ormkit.Engine, family: Family
) -> None:
    p = committed_parent(engine, family)
    with Session(engine) as s, count_queries(engine) as counted:
        m = s.merge(p, load=False)
        assert inspect(m).persistent and m is not p
        assert m.name == "a" and [c.name for c in m.children] == ["c1", "c2"]
        assert all(c.parent is m for c in m.children)
        assert list(s.dirty) == [] and not s.is_modified(m)
        s.commit()
    assert counted.statements == []


def test_merge_without_load_refuses_transient_and_changed_copies(
    engine: ormkit.Engine, family: Family
) -> None:
    Parent = family.Parent
    p = committed_parent(engine, family)
    p.score = 10
    with Session(engine) as s:
        never_flushed = r"load=False\) got a Parent object never flushed \(transient or pending"
        with pytest.raises(exc.InvalidRequestError, match=never_flushed):
            s.merge(Parent(name="new"), load=False)
        with pytest.raises(exc.InvalidRequestError, match=r"Parent object with changes not flu"):
            s.merge(p, load=False)
        assert list(s) == [] and list(s.new) == []
        pending = Parent(name="pending")
        s.add(pending)
        with pytest.raises(exc.InvalidRequestError, match=never_flushed):
            s.merge(pending, load=False)
        assert list(s.new) == [pending]


def test_merge_onto_an_expired_object_reads_its_row_first(
    engine: ormkit.Engine, family: Family
) -> None:
    """The copy's values are then set over loaded ones: a value equal to the row's still
    marks the object (the optimistic dirty set), and nothing is left to load later."""
    Parent = family.Parent
    with Session(engine) as s:
        s.merge(Parent(id=1, name="a", score=4))
        s.commit()
        with count_queries(engine) as counted:
            m = s.merge(Parent(id=1, name="a"))
        assert len(counted.statements) == 1
        assert m.__dict__["score"] == 4
        assert list(s.dirty) == [m]
        assert not s.is_modified(m)


def test_merge_that_needs_no_sql_works_after_a_failed_flush(
    engine: ormkit.Engine, family: Family
) -> None:
    Parent = family.Parent
    with Session(engine) as s:
        s.add(Parent(name=None))
        with pytest.raises(exc.IntegrityError):
            s.flush()
        m = s.merge(Parent(name="new"))  # no primary key: nothing to load
        assert inspect(m).pending
        with pytest.raises(exc.PendingRollbackError):
            s.flush()


def test_merge_of_an_expired_object_whose_insert_was_rolled_back_is_refused(
    engine: ormkit.Engine, family: Family
) -> None:
    with Session(engine) as s:
        p = family.Parent(name="a")
        s.add(p)
        s.flush()
        s.expire(p)
        s.rollback()
        with pytest.raises(exc.DetachedInstanceError, match=r"was expired and its row rolled ba"):
            s.merge(p)
        assert list(s.new) == [] and not s.in_transaction()


def test_merge_autoflushes_before_it_refuses_a_copy(engine: ormkit.Engine, family: Family) -> None:
    with Session(engine) as s:
        p = family.Parent(name="a")
        s.add(p)
        s.flush()
        s.expire(p)
        s.rollback()
        other = family.Parent(name="b")
        s.add(other)
        with pytest.raises(exc.DetachedInstanceError, match=r"was expired and its row rolled ba"):
            s.merge(p)
        assert inspect(other).persistent  # as SQLAlchemy: merge() flushed before reading p


def test_merge_onto_an_expired_object_whose_row_is_gone_raises_object_deleted(
    engine: ormkit.Engine, family: Family
) -> None:
    Parent = family.Parent
    with Session(engine) as s:
        p = s.merge(Parent(id=1, name="a"))
        s.flush()
        s.execute(delete(Parent), execution_options={"synchronize_session": False})
        s.expire(p)
        with pytest.raises(exc.ObjectDeletedError, match=r"Parent object for the row \(1,\) was"):
            s.merge(Parent(id=1, name="b"))
        assert list(s.new) == [] and list(s.dirty) == []


def test_merge_of_an_object_whose_delete_was_flushed_makes_a_new_pending_copy(
    engine: ormkit.Engine, family: Family
) -> None:
    """As SQLAlchemy: merge() autoflushes the DELETE, finds no row, and copies the deleted
    object's state onto a new pending object, which INSERTs the row again."""
    Parent = family.Parent
    with Session(engine) as s:
        p = Parent(id=3, name="p")
        s.add(p)
        s.flush()
        s.delete(p)
        m = s.merge(p)
        assert m is not p and inspect(m).pending and (m.id, m.name) == (3, "p")
        assert inspect(p).deleted and list(s.new) == [m]
        s.commit()
    with Session(engine) as s:
        assert s.scalars(select(Parent.name)).all() == ["p"]


def test_merge_begins_a_transaction_only_when_it_attaches_an_object_or_sends_sql(
    engine: ormkit.Engine, family: Family
) -> None:
    Parent = family.Parent
    with Session(engine) as s:
        s.add(Parent(id=4, name="p"))
        s.commit()
    with Session(engine) as other:
        detached = other.get(Parent, 4)
    with Session(engine) as s:
        p = s.get(Parent, 4)
        s.commit()
        p.name  # noqa: B018 (loaded again, so merging onto it needs no SQL)
        s.commit()
        assert s.merge(detached, load=False) is p and not s.in_transaction()
    with Session(engine) as s:
        s.merge(detached, load=False)  # a new object for the row joins the session
        assert s.in_transaction()
