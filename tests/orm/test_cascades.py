"""Cascades as SQLAlchemy 2.x documents them: save-update when a detached object is added
again, orphans whose parent was expired, links to deleted objects, objects left outside the
session (a backref does not add them), found by the relationship differential test."""

from __future__ import annotations

from typing import Any

import pytest

import ormkit
from ormkit import ForeignKey, exc, inspect, select
from ormkit.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    joinedload,
    make_transient,
    mapped_column,
    relationship,
)
from tests.conftest import sync_sequences

from .conftest import Family


def stored_parent(engine: ormkit.Engine, family: Family) -> None:
    """Parent 1 ("a") with children 1 ("c1") and 2 ("c2"), and tag 1 ("t"), committed."""
    Parent, Child, Tag = family.Parent, family.Child, family.Tag
    with Session(engine) as s:
        s.add(Parent(id=1, name="a", children=[Child(id=1, name="c1"), Child(id=2, name="c2")]))
        s.add(Tag(id=1, name="t"))
        s.commit()
    sync_sequences(engine, "parents", "children", "tags")  # the ids above were given


def rows(engine: ormkit.Engine, table: Any) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(table).order_by(*table.primary_key))]


def test_adding_a_detached_parent_again_cascades_to_the_child_it_lost(
    engine: ormkit.Engine, family: Family
) -> None:
    """The child taken out of the collection before the parent was detached is still the
    parent's business: adding the parent brings it back, and the flush deletes the orphan."""
    stored_parent(engine, family)
    with Session(engine) as s:
        p = s.get(family.Parent, 1)
        c1 = p.children[0]
        p.children.remove(c1)
        s.close()
        s.add(p)
        assert inspect(c1).persistent
        s.commit()
    assert [r[1] for r in rows(engine, family.Child.__table__)] == ["c2"]


def test_adding_a_detached_child_again_cascades_to_the_parent_it_left(
    engine: ormkit.Engine, family: Family
) -> None:
    stored_parent(engine, family)
    with Session(engine) as s:
        p = s.get(family.Parent, 1)
        c1 = p.children[0]
        p.children.remove(c1)  # the backref sets c1.parent = None
        s.close()
        s.add(c1)
        assert inspect(p).persistent


def test_delete_attaches_a_detached_object_without_the_save_update_cascade(
    engine: ormkit.Engine, family: Family
) -> None:
    stored_parent(engine, family)
    with Session(engine) as s:
        p = s.get(family.Parent, 1)
        c1 = p.children[0]
        p.children.remove(c1)
        s.close()
        s.delete(p)
        assert inspect(c1).detached  # not brought back by delete(); its row is left alone
        with pytest.raises(exc.IntegrityError):  # c1's row still points at p
            s.commit()
    assert len(rows(engine, family.Child.__table__)) == 2


def test_delete_of_a_detached_parent_attaches_and_deletes_its_detached_children(
    engine: ormkit.Engine, family: Family
) -> None:
    stored_parent(engine, family)
    with Session(engine) as s:
        p = s.get(family.Parent, 1)
        children = list(p.children)
    with Session(engine) as s:
        s.delete(p)
        assert all(inspect(c).session is s for c in children)
        assert set(s.deleted) == {p, *children}
        s.commit()
    assert rows(engine, family.Child.__table__) == []
    assert rows(engine, family.Parent.__table__) == []


def test_delete_refuses_to_cascade_into_another_sessions_object(
    engine: ormkit.Engine, family: Family
) -> None:
    stored_parent(engine, family)
    with Session(engine) as s, Session(engine) as other:
        p = s.get(family.Parent, 1)
        children = list(p.children)
        s.close()
        s.delete(children[0])  # attaches the child alone (delete() does not cascade up)
        with pytest.raises(
            exc.InvalidRequestError,
            match=r"Child\('c1'\) belongs to another Session, so delete\(\) of "
            r"Parent\('a'\) cannot cascade to it; expunge it from that session first",
        ):
            other.delete(p)
        assert list(other.deleted) == [] and inspect(children[0]).session is s


def test_delete_that_cannot_attach_a_detached_child_marks_nothing(
    engine: ormkit.Engine, family: Family
) -> None:
    stored_parent(engine, family)
    with Session(engine) as s:
        p = s.get(family.Parent, 1)
        children = list(p.children)
    with Session(engine) as s:
        held = s.get(family.Child, 2)  # the session holds c2's row as another object
        with pytest.raises(
            exc.InvalidRequestError,
            match=r"^can't attach <Child at 0x[0-9a-f]+>: this session already holds another "
            r"object for the same row \(2,\); use session.merge\(obj\)$",
        ):
            s.delete(p)
        assert list(s.deleted) == [] and all(inspect(c).detached for c in children)
        s.commit()
        assert held.name == "c2"
    assert len(rows(engine, family.Child.__table__)) == 2


def test_an_orphan_is_deleted_though_its_parent_was_expired(
    engine: ormkit.Engine, family: Family
) -> None:
    stored_parent(engine, family)
    with Session(engine) as s:
        p = s.get(family.Parent, 1)
        p.children.remove(p.children[0])
        s.expire(p)
        s.commit()
    assert [r[1] for r in rows(engine, family.Child.__table__)] == ["c2"]


def test_an_object_linked_through_a_backref_is_not_added_to_the_session(
    engine: ormkit.Engine, family: Family
) -> None:
    """SQLAlchemy 2.x: ``Child(parent=p)`` with ``p`` in the session stays transient; the
    flush warns that it is not saved and says how to add it."""
    stored_parent(engine, family)
    with Session(engine) as s:
        p = s.get(family.Parent, 1)
        assert len(p.children) == 2
        orphan = family.Child(name="never added", parent=p)
        assert inspect(orphan).transient and orphan not in s
        with pytest.warns(
            exc.OrmkitWarning,
            match=r"Child object is not in the session.*"
            r"Parent\.children: add it with session\.add\(\)",
        ):
            s.commit()
        assert inspect(orphan).transient
    assert len(rows(engine, family.Child.__table__)) == 2


def test_a_flush_drops_what_a_backref_queued_for_an_unloaded_collection(
    engine: ormkit.Engine, family: Family
) -> None:
    """As SQLAlchemy: once the parent is flushed, its collection loads from the rows alone,
    so a child left outside the session is not in it."""
    stored_parent(engine, family)
    with Session(engine) as s:
        p = s.get(family.Parent, 1)
        outsider = family.Child(name="never added", parent=p)  # p.children is not loaded
        with pytest.warns(exc.OrmkitWarning, match=r"Child object is not in the session"):
            s.flush()
        assert [c.name for c in p.children] == ["c1", "c2"]
        assert outsider.parent is p


def test_a_many_to_one_to_an_object_outside_the_session_leaves_the_key(
    engine: ormkit.Engine, family: Family
) -> None:
    stored_parent(engine, family)
    with Session(engine) as s:
        p = s.get(family.Parent, 1)
        stranger = family.Parent(id=9, name="stranger")
        p.manager = stranger  # a direct set adds it: save-update along Parent.manager
        assert stranger in s
        make_transient(stranger)
        with pytest.warns(exc.OrmkitWarning, match=r"Parent object is not in the session"):
            s.commit()
    assert rows(engine, family.Parent.__table__) == [(1, "a", None, None, None)]


def test_no_link_row_is_written_for_an_object_outside_the_session(
    engine: ormkit.Engine, family: Family
) -> None:
    """As SQLAlchemy: the tag was expunged after it was appended, so neither its row nor a
    link row to it is written (a link row with a NULL key would fail)."""
    stored_parent(engine, family)
    with Session(engine) as s:
        p = s.get(family.Parent, 1)
        stray = family.Tag(id=5, name="stray")
        p.tags.append(stray)
        s.expunge(stray)
        with pytest.warns(exc.OrmkitWarning, match=r"Tag object is not in the session"):
            s.commit()
    assert rows(engine, family.Parent.__table__.metadata.tables["parent_tags"]) == []
    assert rows(engine, family.Tag.__table__) == [(1, "t")]


def test_removing_an_object_outside_the_session_keeps_its_link_row_with_a_warning(
    engine: ormkit.Engine, family: Family
) -> None:
    stored_parent(engine, family)
    with Session(engine) as s:
        p, tag = s.get(family.Parent, 1), s.get(family.Tag, 1)
        p.tags.append(tag)
        s.commit()
        tag = p.tags[0]
        s.expunge(tag)
        p.tags.remove(tag)
        with pytest.warns(
            exc.OrmkitWarning,
            match=r"Tag object is not in the session, so its row in 'parent_tags' is not "
            r"deleted along Parent\.tags: add it back to the session before removing it",
        ):
            s.commit()
    assert rows(engine, family.Parent.__table__.metadata.tables["parent_tags"]) == [(1, 1)]


def test_a_backref_link_to_an_unloaded_collection_shows_when_it_loads(
    engine: ormkit.Engine, family: Family
) -> None:
    """Inside no_autoflush the new child is not flushed, so the load cannot find its row:
    the link the backref made while the collection was not loaded is applied to it."""
    stored_parent(engine, family)
    with Session(engine) as s:
        p = s.get(family.Parent, 1)
        with s.no_autoflush:
            c3 = family.Child(name="c3")
            s.add(c3)
            c3.parent = p
            assert [c.name for c in p.children] == ["c1", "c2", "c3"]
        s.commit()
    assert [r[1] for r in rows(engine, family.Child.__table__)] == ["c1", "c2", "c3"]


def test_is_modified_sees_new_objects_and_collection_changes(
    engine: ormkit.Engine, family: Family
) -> None:
    stored_parent(engine, family)
    with Session(engine) as s:
        assert not s.is_modified(family.Parent())
        fresh = family.Parent(name="new")
        s.add(fresh)
        assert s.is_modified(fresh)
        p = s.get(family.Parent, 1)
        assert not s.is_modified(p)
        p.tags.append(s.get(family.Tag, 1))
        assert s.is_modified(p)
        assert not s.is_modified(p, include_collections=False)
        s.flush()
        assert not s.is_modified(p)
        p.manager = fresh
        assert s.is_modified(p, include_collections=False)


def test_an_object_deleted_by_a_flush_keeps_the_changes_it_had(
    engine: ormkit.Engine, family: Family
) -> None:
    """As SQLAlchemy: the flush DELETEd the row, so the change made before was never written
    and is_modified() still reports it."""
    stored_parent(engine, family)
    with Session(engine) as s:
        p = s.get(family.Parent, 1)
        p.score = 9
        s.delete(p)
        s.flush()
        assert inspect(p).deleted and s.is_modified(p)


@pytest.mark.parametrize("operation", ["expire", "refresh"])
def test_expire_and_refresh_cascade_to_loaded_children(
    engine: ormkit.Engine, family: Family, operation: str
) -> None:
    """refresh-expire: a changed child loses its change, a pending child leaves the session."""
    stored_parent(engine, family)
    with Session(engine) as s:
        p = s.get(family.Parent, 1)
        c1 = p.children[0]
        c1.name = "changed"
        pending = family.Child(name="pending")
        p.children.append(pending)
        getattr(s, operation)(p)
        assert not s.is_modified(c1) and "name" not in c1.__dict__
        assert inspect(pending).transient
        assert c1.name == "c1"
        s.commit()
    assert [r[1] for r in rows(engine, family.Child.__table__)] == ["c1", "c2"]


def test_expunge_cascades_to_loaded_and_pending_children(
    engine: ormkit.Engine, family: Family
) -> None:
    stored_parent(engine, family)
    with Session(engine) as s:
        p = s.get(family.Parent, 1)
        c1 = p.children[0]
        c1.name = "changed"
        pending = family.Child(name="pending")
        p.children.append(pending)
        s.expunge(p)
        assert inspect(c1).detached and c1.name == "changed"  # detached with its change
        assert inspect(pending).transient
        assert list(s) == [] and list(s.new) == []


def test_delete_of_a_parent_takes_its_new_child_along(
    engine: ormkit.Engine, family: Family
) -> None:
    """``p.children`` is not loaded: delete() loads it, and finds the child a backref linked."""
    stored_parent(engine, family)
    with Session(engine) as s:
        p = s.get(family.Parent, 1)
        child = family.Child(name="c3", parent=p)
        s.add(child)
        s.delete(p)
        assert {c.name for c in s.deleted} == {"a", "c1", "c2"}
        assert inspect(child).transient  # never written: its parent goes
        s.commit()
    assert rows(engine, family.Child.__table__) == []
    assert rows(engine, family.Parent.__table__) == []


def test_delete_of_a_parent_leaves_a_new_child_of_its_loaded_collection_new(
    engine: ormkit.Engine, family: Family
) -> None:
    """As SQLAlchemy: the child stays new; its INSERT names the parent the flush deletes, so
    the commit fails on the foreign key and nothing is written."""
    stored_parent(engine, family)
    with Session(engine) as s:
        p = s.get(family.Parent, 1)
        assert len(p.children) == 2
        child = family.Child(name="c3")
        p.children.append(child)
        s.delete(p)
        assert {c.name for c in s.deleted} == {"a", "c1", "c2"}
        assert inspect(child).pending and child in s.new
        with pytest.raises(exc.IntegrityError):
            s.commit()
    assert [r[1] for r in rows(engine, family.Child.__table__)] == ["c1", "c2"]


def test_delete_cascades_when_called_not_to_a_child_linked_to_the_parent_after(
    engine: ormkit.Engine, family: Family
) -> None:
    """As SQLAlchemy: the child linked afterwards keeps its row; its UPDATE names the
    parent the flush deletes, so the foreign key fails and nothing is written."""
    stored_parent(engine, family)
    with Session(engine) as s:
        p = s.get(family.Parent, 1)
        late = family.Child(name="late", parent=family.Parent(id=2, name="b"))
        s.add(late)
        s.commit()
        s.delete(p)
        assert {x.name for x in s.deleted} == {"a", "c1", "c2"}
        late.parent = p
        assert late not in s.deleted
        with pytest.raises(exc.IntegrityError):
            s.commit()
        s.rollback()
    assert [r[:2] for r in rows(engine, family.Child.__table__)] == [
        (1, "c1"),
        (2, "c2"),
        (3, "late"),
    ]


def test_a_new_child_taken_from_its_delete_orphan_parent_leaves_the_session(
    engine: ormkit.Engine, family: Family
) -> None:
    stored_parent(engine, family)
    with Session(engine) as s:
        p = s.get(family.Parent, 1)
        child = family.Child(name="c3", parent=p)
        s.add(child)
        child.parent = None
        assert inspect(child).transient
        moved = family.Child(name="c4")
        p.children.append(moved)
        p.children.remove(moved)
        assert inspect(moved).transient
        s.commit()
    assert [r[1] for r in rows(engine, family.Child.__table__)] == ["c1", "c2"]


def test_a_backref_link_made_and_undone_before_the_flush_leaves_nothing_to_write(
    engine: ormkit.Engine, family: Family
) -> None:
    """``p.manager = p`` then ``p.manager = None``: p is not its own report any more, so the
    flush has no cycle to refuse."""
    with Session(engine) as s:
        p = family.Parent(name="a")
        p.manager = p
        assert p.reports == [p]
        p.manager = None
        assert p.reports == []
        s.add(p)
        s.commit()
        assert p.manager_id is None
    assert [(r[1], r[4]) for r in rows(engine, family.Parent.__table__)] == [("a", None)]


def test_a_backref_to_an_unloaded_collection_marks_its_owner_changed(
    engine: ormkit.Engine, family: Family
) -> None:
    stored_parent(engine, family)
    with Session(engine) as s:
        p = s.get(family.Parent, 1)
        s.commit()  # p expired: p.children is not loaded
        family.Child(name="c3", parent=p)
        assert list(s.dirty) == [p]
    detached = family.Parent(name="b")
    with Session(engine) as s:
        s.add(detached)
        s.flush()
    with Session(engine, expire_on_commit=False) as s:
        boss = s.get(family.Parent, 1)
        s.commit()
    s2 = Session(engine)
    s2.add(detached)
    detached.manager = boss  # boss (detached, reports not loaded) changes by the backref...
    s2.add(boss)
    assert boss in s2.dirty  # ... and is dirty once attached
    s2.rollback()
    s2.close()


def test_moving_a_child_away_from_a_parent_whose_collection_is_unloaded_marks_it_changed(
    engine: ormkit.Engine, family: Family
) -> None:
    stored_parent(engine, family)
    with Session(engine) as s:
        s.add(family.Parent(id=2, name="b"))
        s.commit()
        query = select(family.Child).options(joinedload(family.Child.parent))
        child = s.scalars(query.order_by(family.Child.id)).first()
        p, other = child.parent, s.get(family.Parent, 2)
        assert "children" not in p.__dict__
        other.children.append(child)  # the backref takes child out of p.children too
        assert set(s.dirty) == {p, other, child}
        assert [c.name for c in p.children] == ["c2"]  # loaded after the autoflush
        s.commit()
    assert [(r[1], r[2]) for r in rows(engine, family.Child.__table__)] == [("c1", 2), ("c2", 1)]


def test_rollback_forgets_backref_links_made_to_unloaded_collections(
    engine: ormkit.Engine, family: Family
) -> None:
    stored_parent(engine, family)
    with Session(engine) as s:
        p = s.get(family.Parent, 1)
        s.commit()
        p.manager = p  # p.reports is not loaded: the link waits for its load
        s.rollback()
        assert p.reports == []
        assert p.manager is None


def test_backref_links_to_an_object_whose_insert_is_rolled_back_are_forgotten(
    engine: ormkit.Engine, family: Family
) -> None:
    with Session(engine) as s:
        boss = family.Parent(name="boss")
        s.add(boss)
        s.flush()
        assert "reports" not in boss.__dict__
        family.Parent(name="report", manager=boss)  # the link waits for boss.reports to load
        s.rollback()
        assert inspect(boss).transient
        assert boss.reports == []


def test_a_many_to_one_read_whose_autoflush_deletes_the_row_raises_object_deleted(
    engine: ormkit.Engine, family: Family
) -> None:
    stored_parent(engine, family)
    with Session(engine) as s:
        c = s.get(family.Child, 1)
        s.commit()  # c expired: reading c.parent needs its parent_id, so its row
        s.delete(c)
        with pytest.raises(exc.ObjectDeletedError, match=r"'parent_id', which 'parent' is loa"):
            c.parent  # noqa: B018 (the read is the test)
        assert inspect(c).deleted


def test_a_detached_object_cannot_load_its_many_to_one_even_when_the_foreign_key_is_null(
    engine: ormkit.Engine, family: Family
) -> None:
    with Session(engine) as s:
        p = family.Parent(name="a")
        s.add(p)
        s.commit()
        p.name  # noqa: B018 (loads the row, manager_id NULL, before detaching)
    # as SQLAlchemy: an unloaded relationship of a detached object is never guessed
    with pytest.raises(exc.DetachedInstanceError, match="relationship 'manager' cannot be lo"):
        p.manager  # noqa: B018 (the read is the test)
    with Session(engine) as s:
        q = family.Parent(name="q", manager=None)
        s.add(q)
        s.flush()
    assert q.manager is None  # set, flushed and never expired, so loaded: no session needed


def test_appending_a_child_whose_parent_is_already_the_owner_marks_it_dirty_not_modified(
    engine: ormkit.Engine, family: Family
) -> None:
    """As SQLAlchemy: the backref sets ``child.parent`` to the value it had; ``dirty`` is
    optimistic, ``is_modified()`` exact."""
    stored_parent(engine, family)
    with Session(engine) as s:
        p = s.get(family.Parent, 1)
        c1 = p.children[0]
        assert c1.parent is p and list(s.dirty) == []
        p.children.append(c1)
        assert set(s.dirty) == {p, c1}
        assert not s.is_modified(c1)


def test_the_save_update_cascade_refuses_an_object_whose_delete_was_committed(
    engine: ormkit.Engine, family: Family
) -> None:
    """As SQLAlchemy: add() of a child, and linking a child in the session, cascade to the
    deleted parent and refuse it; the child itself is added."""
    stored_parent(engine, family)
    with Session(engine) as s:
        p = s.get(family.Parent, 1)
        s.delete(p)
        s.commit()
        refused = r"Parent.* was deleted \(its DELETE was flushed.*make_transient"
        child = family.Child(name="c9", parent=p)
        with pytest.raises(exc.InvalidRequestError, match=refused):
            s.add(child)
        assert child in s.new and p not in s
        other = family.Child(name="c10")
        s.add(other)
        with pytest.raises(exc.InvalidRequestError, match=refused):
            other.parent = p
        assert p not in s


def test_add_of_an_object_already_in_the_session_cascades_again(
    engine: ormkit.Engine, family: Family
) -> None:
    """As SQLAlchemy: add() of a persistent object runs the save-update cascade once more."""
    stored_parent(engine, family)
    with Session(engine) as s:
        gone = family.Parent(id=2, name="gone")
        s.add(gone)
        s.commit()
        s.delete(gone)
        s.commit()
        p = s.get(family.Parent, 1)
        s.expunge(p)
        p.manager = gone  # detached: nothing cascades yet
        refused = r"Parent.* was deleted \(its DELETE was flushed.*make_transient"
        with pytest.raises(exc.InvalidRequestError, match=refused):
            s.add(p)
        assert inspect(p).persistent
        with pytest.raises(exc.InvalidRequestError, match=refused):
            s.add(p)
        newcomer = family.Parent(id=3, name="newcomer")
        s.expunge(p)
        p.manager = newcomer
        s.add(p)
        s.add(p)  # again: nothing new to cascade to, no error
        assert newcomer in s.new


def test_removing_a_new_child_from_a_parent_outside_the_session_keeps_it_new(
    engine: ormkit.Engine, family: Family
) -> None:
    """As SQLAlchemy: the delete-orphan expunge happens only in the parent's session."""
    stored_parent(engine, family)
    with Session(engine) as s:
        p = s.get(family.Parent, 1)
        kids = list(p.children)
        s.expunge(p)
        child = family.Child(name="c3")
        s.add(child)
        p.children.append(child)  # p is detached: nothing cascades
        p.children.remove(child)
        assert inspect(child).pending and child in s.new
        assert len(kids) == 2


def test_removing_a_child_whose_parent_is_not_loaded_sets_it_to_none(
    engine: ormkit.Engine, family: Family
) -> None:
    """As SQLAlchemy: the backref does not load ``child.parent`` to clear it."""
    stored_parent(engine, family)
    with Session(engine) as s:
        p = s.get(family.Parent, 1)
        c1 = p.children[0]
        s.expire(c1)
        p.children.remove(c1)
        assert c1.__dict__["parent"] is None and c1 in s.dirty
        s.commit()
    assert [r[1] for r in rows(engine, family.Child.__table__)] == ["c2"]


def test_a_child_removed_from_a_parent_outside_the_session_is_deleted_as_an_orphan(
    engine: ormkit.Engine, family: Family
) -> None:
    """As SQLAlchemy: the child's own session deletes it at its next flush."""
    stored_parent(engine, family)
    with Session(engine) as s:
        p = s.get(family.Parent, 1)
        c1, _c2 = p.children  # both held: the identity map is weak
        s.expunge(p)
        s.add(c1)  # the expunge cascaded to the children; c1 comes back alone
        assert p not in s  # (c1.parent is not loaded: the add does not cascade to it)
        p.children.remove(c1)
        assert c1.parent is None
        s.commit()
    assert [r[1] for r in rows(engine, family.Child.__table__)] == ["c2"]


def test_the_save_update_cascade_refuses_an_object_whose_delete_was_flushed(
    engine: ormkit.Engine, family: Family
) -> None:
    stored_parent(engine, family)
    with Session(engine) as s:
        p = s.get(family.Parent, 1)
        s.delete(p)
        s.flush()
        child = family.Child(name="c9", parent=p)
        with pytest.raises(
            exc.InvalidRequestError, match=r"Parent.* was deleted by a flush of this transaction"
        ):
            s.add(child)
        assert inspect(p).deleted


def test_a_link_to_an_object_whose_delete_was_flushed_is_not_written(
    engine: ormkit.Engine, family: Family
) -> None:
    """As SQLAlchemy: the new row keeps its foreign key NULL, with a warning that says so."""
    stored_parent(engine, family)
    with Session(engine) as s:
        p = s.get(family.Parent, 1)
        p.children.clear()
        s.delete(p)
        s.flush()
        newcomer = family.Parent(id=5, name="newcomer", manager=p)  # transient: no cascade
        with pytest.raises(exc.InvalidRequestError, match=r"deleted by a flush"):
            s.add(newcomer)  # refused for p, but newcomer itself is added
        with pytest.warns(
            exc.OrmkitWarning,
            match=r"Parent\('a'\) was deleted by a flush of this transaction, so Parent\.manager "
            r"of Parent\('newcomer'\) is not saved as a link to it",
        ):
            s.commit()
    assert rows(engine, family.Parent.__table__) == [(5, "newcomer", None, None, None)]


def test_a_child_moved_to_another_parent_is_not_deleted_as_an_orphan(
    engine: ormkit.Engine, family: Family
) -> None:
    stored_parent(engine, family)
    Parent = family.Parent
    with Session(engine) as s:
        old, new = s.get(Parent, 1), Parent(id=2, name="b")
        s.add(new)
        s.flush()
        child, kids = old.children[0], new.children  # loaded first: no autoflush below
        old.children.remove(child)  # an orphan for a moment...
        kids.append(child)  # ...then another parent's
        s.commit()
    assert rows(engine, family.Child.__table__) == [(1, "c1", 2), (2, "c2", 1)]


def test_a_child_whose_many_to_one_is_set_to_none_is_deleted_as_an_orphan(
    engine: ormkit.Engine, family: Family
) -> None:
    stored_parent(engine, family)
    with Session(engine) as s:
        child = s.get(family.Child, 1)
        assert child.parent.name == "a"  # loaded (the collection it leaves is not)
        child.parent = None
        s.commit()
    assert rows(engine, family.Child.__table__) == [(2, "c2", 1)]


def test_a_new_child_never_added_does_not_break_its_new_parents_flush(
    engine: ormkit.Engine, family: Family
) -> None:
    with Session(engine) as s:
        parent = family.Parent(id=1, name="p")
        s.add(parent)
        family.Child(name="kept out", parent=parent)  # not added: not saved (as in 2.x)
        with pytest.warns(exc.OrmkitWarning, match="is not in the session, so it is not saved"):
            s.commit()
    assert rows(engine, family.Child.__table__) == []
    assert [r[:2] for r in rows(engine, family.Parent.__table__)] == [(1, "p")]


def test_deleting_a_parent_leaves_a_child_outside_the_session_alone(
    engine: ormkit.Engine, family: Family
) -> None:
    Parent = family.Parent
    with Session(engine) as s:
        s.add_all([Parent(id=1, name="boss"), Parent(id=2, name="worker")])
        s.commit()
    with Session(engine, expire_on_commit=False) as s:
        boss, worker = s.get(Parent, 1), s.get(Parent, 2)
    worker.manager = boss  # both detached: boss.reports (not loaded) learns of the link
    with Session(engine) as s:
        s.delete(boss)  # the worker is in no session: its row is not touched
        s.commit()
    assert [r[:2] for r in rows(engine, Parent.__table__)] == [(2, "worker")]


def test_orphans_of_a_deleted_parent_are_deleted_once(
    engine: ormkit.Engine, family: Family, recorder: Any
) -> None:
    stored_parent(engine, family)
    with Session(engine) as s:
        p = s.get(family.Parent, 1)
        p.children.clear()
        s.delete(p)
        s.flush()
        recorder.clear()
        s.commit()  # nothing left to send but COMMIT
        assert recorder.dml == []
    assert rows(engine, family.Child.__table__) == []


def test_removing_a_child_whose_foreign_key_is_null_leaves_it_alone(
    engine: ormkit.Engine, family: Family
) -> None:
    """As SQLAlchemy: a loaded NULL key says the child has no parent, so there is nothing to
    clear (and nothing to mark dirty)."""
    Parent = family.Parent
    with Session(engine) as s:
        s.add(Parent(id=1, name="boss", reports=[Parent(id=2, name="report")]))
        s.commit()
        boss, report = s.get(Parent, 1), s.get(Parent, 2)
        assert boss.reports == [report]
        s.execute(ormkit.update(Parent.__table__).values(manager_id=None))
        s.refresh(report)  # manager_id loaded as NULL, manager not loaded
        assert report.manager_id is None and "manager" not in report.__dict__
        boss.reports.remove(report)
        assert report not in s.dirty and "manager" not in report.__dict__


def test_a_new_orphan_added_back_is_inserted_as_any_new_object(
    engine: ormkit.Engine, family: Family
) -> None:
    """As SQLAlchemy: removing it expunged it; add() makes it new again, and the flush
    INSERTs it (here without a parent, which its NOT NULL key refuses)."""
    stored_parent(engine, family)
    with Session(engine) as s:
        p = s.get(family.Parent, 1)
        child = family.Child(name="c3")
        p.children.append(child)
        p.children.remove(child)
        assert inspect(child).transient
        s.add(child)
        with pytest.raises(exc.IntegrityError):
            s.commit()
    assert len(rows(engine, family.Child.__table__)) == 2


def shelf_models(engine: ormkit.Engine) -> tuple[Any, Any, Any]:
    """Shelf.books one-to-many with delete-orphan; Label.book a many-to-one to Book that
    cascades save-update into it from another side than its parent."""

    class Base(DeclarativeBase):
        pass

    class Shelf(Base):
        __tablename__ = "shelves"
        id: Mapped[int] = mapped_column(primary_key=True)
        books: Mapped[list[Book]] = relationship(
            back_populates="shelf", cascade="all, delete-orphan"
        )

    class Book(Base):
        __tablename__ = "books"
        id: Mapped[int] = mapped_column(primary_key=True)
        shelf_id: Mapped[int | None] = mapped_column(ForeignKey("shelves.id"))
        shelf: Mapped[Shelf | None] = relationship(back_populates="books")

    class Label(Base):
        __tablename__ = "labels"
        id: Mapped[int] = mapped_column(primary_key=True)
        book_id: Mapped[int | None] = mapped_column(ForeignKey("books.id"))
        book: Mapped[Book | None] = relationship()

    Base.metadata.create_all(engine)
    return Shelf, Book, Label


def test_an_orphan_made_outside_any_session_and_reached_by_a_cascade_is_not_inserted(
    engine: ormkit.Engine,
) -> None:
    """As SQLAlchemy: the object remembers it left a delete-orphan parent; a session it joins
    by a cascade drops it at the flush (the label is INSERTed without it)."""
    Shelf, Book, Label = shelf_models(engine)
    with Session(engine) as s:
        book = Book()
        Shelf(books=[book]).books.remove(book)
        label = Label(book=book)
        s.add(label)
        assert inspect(book).pending
        s.commit()
        assert inspect(book).transient and inspect(label).persistent
    assert rows(engine, Book.__table__) == []


def test_an_orphan_made_outside_any_session_is_inserted_when_added_itself_or_given_a_parent(
    engine: ormkit.Engine,
) -> None:
    """add() of the object itself, or a new parent before the flush, keeps it."""
    Shelf, Book, Label = shelf_models(engine)
    with Session(engine) as s:
        alone, moved = Book(id=1), Book(id=2)
        for book in (alone, moved):
            Shelf(books=[book]).books.remove(book)
        s.add(alone)
        s.add(Label(book=moved))
        s.add(Shelf(id=7, books=[moved]))
        s.commit()
        assert inspect(alone).persistent and inspect(moved).persistent
    assert rows(engine, Book.__table__) == [(1, None), (2, 7)]


def test_an_orphan_added_to_a_session_before_it_lost_a_parent_outside_it_is_dropped(
    engine: ormkit.Engine,
) -> None:
    """Unless add() is called for it again, which keeps it."""
    Shelf, Book, _ = shelf_models(engine)
    with Session(engine) as s:
        dropped, kept = Book(id=1), Book(id=2)
        s.add_all([dropped, kept])
        for book in (dropped, kept):
            Shelf(books=[book]).books.remove(book)
        s.add(kept)
        s.commit()
        assert inspect(dropped).transient and inspect(kept).persistent
    assert rows(engine, Book.__table__) == [(2, None)]


def test_a_child_moved_to_a_parent_outside_the_session_keeps_its_foreign_key(
    engine: ormkit.Engine, family: Family
) -> None:
    """As SQLAlchemy: it has a parent (not saved, with a warning), so it is no orphan, and
    leaving the old parent's collection does not clear its key."""
    stored_parent(engine, family)
    with Session(engine) as s:
        p = s.get(family.Parent, 1)
        c1 = p.children[0]
        elsewhere = family.Parent(name="elsewhere")
        elsewhere.children.append(c1)
        assert p.children == [s.get(family.Child, 2)] and c1.parent is elsewhere
        with pytest.warns(exc.OrmkitWarning, match=r"Parent object is not in the session"):
            s.commit()
        assert inspect(elsewhere).transient
    assert rows(engine, family.Child.__table__) == [(1, "c1", 1), (2, "c2", 1)]


def test_a_many_to_one_set_to_none_while_its_old_parent_is_expired_is_no_orphan(
    engine: ormkit.Engine,
) -> None:
    """As SQLAlchemy: the old value is not known without loading it (the parent in the
    identity map is expired), so nothing says the book left it; its key is set to NULL."""
    Shelf, Book, _ = shelf_models(engine)
    with Session(engine) as s:
        book = Book(id=1)
        shelf = Shelf(id=1, books=[book])  # (held: the identity map keeps it)
        s.add(shelf)
        s.commit()
        assert book.shelf_id == 1  # the book is loaded again, its shelf is still expired
        assert inspect(shelf).expired
        book.shelf = None
        s.commit()
        assert inspect(book).persistent and book.shelf_id is None
    assert rows(engine, Book.__table__) == [(1, None)]


def test_a_many_to_one_changed_after_expire_all_wins_over_a_pending_parents_collection(
    engine: ormkit.Engine,
) -> None:
    """``expire_all()`` discards the book's link to a new shelf but not the shelf's
    collection; setting the book's shelf to None then is what is written, as in SQLAlchemy."""
    Shelf, Book, _ = shelf_models(engine)
    with Session(engine) as s:
        book = Book(id=1)
        s.add(book)
        s.commit()
        shelf = Shelf(id=1)
        book.shelf = shelf  # the shelf joins the session, its books hold the book
        s.expire_all()
        book.shelf = None
        s.commit()
    assert rows(engine, Book.__table__) == [(1, None)]
    assert rows(engine, Shelf.__table__) == [(1,)]


def test_a_flush_refused_after_a_failed_one_drops_a_new_orphan_first(
    engine: ormkit.Engine,
) -> None:
    """As SQLAlchemy: a never-flushed orphan of a parent outside the session is dropped
    before the flush is refused, so with nothing else to send the flush is no error."""
    Shelf, Book, _ = shelf_models(engine)
    with Session(engine) as s:
        s.add(Book(id=1))
        s.commit()
        s.add(Book(id=1))
        with pytest.raises(exc.IntegrityError):
            s.commit()
        orphan = Book(id=2)
        s.add(orphan)
        Shelf(books=[orphan]).books.remove(orphan)
        s.flush()
        assert inspect(orphan).transient and not s.new
        s.add(orphan)
        Shelf(books=[orphan]).books.remove(orphan)
        with pytest.raises(exc.PendingRollbackError):
            s.get(Book, 99)  # its autoflush drops the orphan first, then the load is refused
        assert inspect(orphan).transient
        s.add(Book(id=3))
        with pytest.raises(exc.PendingRollbackError, match=r"until you call session.rollback"):
            s.flush()
        s.rollback()
    assert rows(engine, Book.__table__) == [(1, None)]


def test_an_object_saved_on_its_own_after_leaving_a_new_parent_is_no_orphan_of_it(
    engine: ormkit.Engine,
) -> None:
    """As SQLAlchemy: the parent, never flushed, wrote no link to it, so flushing the parent
    later deletes nothing."""
    Shelf, Book, _ = shelf_models(engine)
    with Session(engine) as s:
        book = Book(id=1)
        shelf = Shelf(id=1, books=[book])
        shelf.books.remove(book)  # the shelf is not in the session
        s.add(book)
        s.commit()
        s.add(shelf)
        s.commit()
        assert inspect(book).persistent
    assert rows(engine, Book.__table__) == [(1, None)]


def test_a_child_whose_parent_was_set_to_none_is_an_orphan_though_expired_since(
    engine: ormkit.Engine, family: Family
) -> None:
    """As SQLAlchemy: expiring the child discards the None but not the fact that it left its
    parent; given a parent again before, it is no orphan."""
    stored_parent(engine, family)
    with Session(engine) as s:
        p = s.get(family.Parent, 1)
        c1, c2 = p.children
        other = family.Parent(id=2, name="b")
        s.add(other)
        c1.parent = None
        c2.parent = None
        c2.parent = other
        s.expire(c1)
        s.expire(c2)
        s.commit()
    assert rows(engine, family.Child.__table__) == [(2, "c2", 2)]
