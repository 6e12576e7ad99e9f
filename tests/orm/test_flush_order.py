"""Flush order between rows of one table: self-reference cycles, a deleted primary key
taken over by a new object in the same flush (a "row switch"), UPDATEs before INSERTs.

What SQLAlchemy 2.1 does was checked case by case (the outcome each test asserts is
SQLAlchemy's, unless its docstring says otherwise):

* Rows of a flush that refer to themselves or to each other through a self-referential
  many-to-one raise ``CircularDependencyError`` unless the relationship is ``post_update``,
  also when they are persistent rows an UPDATE could write (SQLAlchemy orders every row
  after the row it refers to). The failed flush rolls back like any other: the new objects
  are transient again at once, and the session refuses work until ``rollback()``.
* With ``post_update=True`` the rows are INSERTed, then their keys set by an UPDATE; before
  rows that refer to each other are deleted, an UPDATE sets their keys to NULL.
* ``delete(old)`` and ``add(new)`` with the same primary key in one flush: one UPDATE of the
  columns ``new`` sets, no DELETE, no INSERT; ``new`` is persistent with the identity,
  ``old`` deleted (detached after commit).
* Within one table, UPDATEs are sent before INSERTs (unless rows of the table refer to each
  other): a new row may take a unique value an updated row gives up.
"""

from __future__ import annotations

from typing import Any

import pytest

import ormkit
from ormkit import exc, inspect, select
from ormkit.orm import Session
from ormkit.orm.unitofwork import describe_row

from .conftest import Family, Models, Recorder

POST_UPDATE_HINT = "Configure relationship(..., post_update=True) on Parent.manager"


def rows(engine: ormkit.Engine, table: Any) -> list[tuple[Any, ...]]:
    """Every row of ``table`` by primary key, read on a connection of its own."""
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(table).order_by(*table.primary_key))]


def managers(engine: ormkit.Engine, family: Family) -> list[tuple[Any, ...]]:
    """(id, name, manager_id) of every parents row."""
    t = family.Parent.__table__
    with engine.connect() as conn:
        query = select(t.c.id, t.c.name, t.c.manager_id).order_by(t.c.id)
        return [tuple(r) for r in conn.execute(query)]


def seed_parents(engine: ormkit.Engine, family: Family, *links: tuple[int, int | None]) -> None:
    """Parents 1..n named a, b, c...; then each ``(id, manager_id)`` of ``links`` is set."""
    Parent = family.Parent
    with Session(engine) as s:
        count = max(i for i, _ in links)
        s.add_all([Parent(id=i, name="abcdef"[i - 1]) for i in range(1, count + 1)])
        s.flush()
        for i, manager_id in links:
            s.get(Parent, i).manager_id = manager_id
        s.commit()


def lifecycle(obj: Any) -> str:
    state = inspect(obj)
    for name in ("transient", "pending", "persistent", "deleted", "detached"):
        if getattr(state, name):
            return name
    raise AssertionError(f"no lifecycle for {obj!r}")  # pragma: no cover


def assert_usable_after_rollback(s: Session, family: Family, engine: ormkit.Engine) -> None:
    """The failed flush left the session refusing work; rollback() makes it usable."""
    s.add(family.Tag(id=99, name="later"))
    with pytest.raises(exc.PendingRollbackError):
        s.flush()
    s.rollback()
    s.add(family.Tag(id=99, name="later"))
    s.commit()
    assert rows(engine, family.Tag.__table__) == [(99, "later")]


# -- self-reference cycles -----------------------------------------------------------------


def test_a_new_row_referring_to_itself_is_a_circular_dependency_error(
    engine: ormkit.Engine, family: Family
) -> None:
    with Session(engine) as s:
        p = family.Parent(name="p")
        p.manager = p
        s.add(p)
        with pytest.raises(exc.CircularDependencyError) as info:
            s.commit()
        message = str(info.value)
        assert "Parent('p') refers to itself through Parent.manager" in message
        assert POST_UPDATE_HINT in message
        assert info.value.cycles == [p]
        # the flush rolled back: nothing written, the new object transient again
        assert managers(engine, family) == []
        assert lifecycle(p) == "transient" and p not in s and list(s.new) == []
        assert p.manager is p
        assert_usable_after_rollback(s, family, engine)
    assert managers(engine, family) == []


def test_two_new_rows_referring_to_each_other_are_a_circular_dependency_error(
    engine: ormkit.Engine, family: Family
) -> None:
    with Session(engine) as s:
        a, b = family.Parent(name="a"), family.Parent(name="b")
        a.manager, b.manager = b, a
        s.add_all([a, b])
        with pytest.raises(exc.CircularDependencyError) as info:
            s.flush()
        message = str(info.value)
        assert "through Parent.manager: Parent('a') -> Parent('b') -> Parent('a')" in message
        assert "0x" not in message  # no raw object ids
        assert POST_UPDATE_HINT in message
        assert info.value.cycles == [a, b]
        assert {(x.name, y.name) for x, y in info.value.edges} == {("a", "b"), ("b", "a")}
        assert managers(engine, family) == []
        assert [lifecycle(a), lifecycle(b)] == ["transient", "transient"]
        assert_usable_after_rollback(s, family, engine)


def test_a_cycle_of_three_new_rows_names_every_row(engine: ormkit.Engine, family: Family) -> None:
    Parent = family.Parent
    with Session(engine) as s:
        a, b, c, d = Parent(name="a"), Parent(name="b"), Parent(name="c"), Parent(name="d")
        a.manager, b.manager, c.manager = b, c, a
        d.manager = a  # waits for the cycle, but is not part of it
        s.add_all([d, a, b, c])
        with pytest.raises(exc.CircularDependencyError) as info:
            s.flush()
        assert "Parent('a') -> Parent('b') -> Parent('c') -> Parent('a')" in str(info.value)
        assert set(map(id, info.value.cycles)) == {id(a), id(b), id(c)}
        s.rollback()
    assert managers(engine, family) == []


def test_a_persistent_row_set_to_refer_to_itself_is_a_circular_dependency_error(
    engine: ormkit.Engine, family: Family
) -> None:
    """SQLAlchemy raises here too, although an UPDATE could write the row: every row of a
    flush is written after the row it refers to, itself included, unless post_update."""
    seed_parents(engine, family, (1, None))
    with Session(engine) as s:
        p = s.get(family.Parent, 1)
        p.manager = p
        with pytest.raises(exc.CircularDependencyError) as info:
            s.commit()
        assert "Parent('a') refers to itself through Parent.manager" in str(info.value)
        assert POST_UPDATE_HINT in str(info.value)
        assert lifecycle(p) == "persistent"
        assert_usable_after_rollback(s, family, engine)
        assert p.manager_id is None  # expired by the rollback: read again from the row
    assert managers(engine, family) == [(1, "a", None)]


def test_persistent_and_new_rows_set_to_refer_to_each_other_are_a_circular_dependency_error(
    engine: ormkit.Engine, family: Family
) -> None:
    seed_parents(engine, family, (1, None), (2, None))
    Parent = family.Parent
    with Session(engine) as s:
        a, b = s.get(Parent, 1), s.get(Parent, 2)
        a.manager, b.manager = b, a
        with pytest.raises(exc.CircularDependencyError, match=r"Parent\('b'\) -> Parent\('a'\)"):
            s.flush()
        s.rollback()
        b = s.get(Parent, 2)
        new = Parent(id=3, name="c", manager=b)
        b.manager = new
        with pytest.raises(exc.CircularDependencyError, match=r"Parent\('c'\) -> Parent\('b'\)"):
            s.flush()
        assert lifecycle(new) == "transient"
        s.rollback()
    assert managers(engine, family) == [(1, "a", None), (2, "b", None)]


def test_rows_that_already_refer_to_each_other_flush_their_other_changes(
    engine: ormkit.Engine, family: Family, recorder: Recorder
) -> None:
    """A flush that changes no reference orders nothing: a plain UPDATE. (SQLAlchemy 2.1
    raises CircularDependencyError once such a reference is loaded; ormkit looks only at
    the references the flush writes, as it did before.)"""
    seed_parents(engine, family, (1, 2), (2, 1), (3, 3))
    with Session(engine) as s:
        a, b, c = (s.get(family.Parent, i) for i in (1, 2, 3))
        assert a.manager is b and b.manager is a and c.manager is c
        recorder.clear()
        a.name, b.name, c.name = "x", "y", "z"
        s.commit()
    assert recorder.dml == ["UPDATE parents SET name=? WHERE parents.id = ?"]
    assert managers(engine, family) == [(1, "x", 2), (2, "y", 1), (3, "z", 3)]


def test_post_update_inserts_a_row_referring_to_itself_then_updates_it(
    engine: ormkit.Engine, family_post_update: Family, recorder: Recorder
) -> None:
    family = family_post_update
    with Session(engine) as s:
        p = family.Parent(name="p")
        p.manager = p
        s.add(p)
        s.commit()
        assert lifecycle(p) == "persistent"
        pid = p.id
        assert p.manager_id == pid and p.manager is p
    assert [d.split(" (")[0] for d in recorder.dml] == [
        "INSERT INTO parents",
        "UPDATE parents SET manager_id=? WHERE parents.id = ?",
    ]
    assert managers(engine, family) == [(pid, "p", pid)]


def test_post_update_inserts_rows_referring_to_each_other_then_updates_them(
    engine: ormkit.Engine, family_post_update: Family, recorder: Recorder
) -> None:
    family = family_post_update
    Parent = family.Parent
    with Session(engine) as s:
        a, b, c = Parent(name="a"), Parent(name="b"), Parent(name="c")
        a.manager, b.manager, c.manager = b, c, a
        s.add_all([a, b, c])
        s.commit()
        ids = {p.name: p.id for p in (a, b, c)}
    dml = recorder.dml
    assert all(d.startswith("INSERT INTO parents") for d in dml[:-1])
    assert dml[-1] == "UPDATE parents SET manager_id=? WHERE parents.id = ?"
    assert managers(engine, family) == sorted(
        [(ids["a"], "a", ids["b"]), (ids["b"], "b", ids["c"]), (ids["c"], "c", ids["a"])]
    )


def test_post_update_sets_persistent_rows_to_refer_to_themselves_and_each_other(
    engine: ormkit.Engine, family_post_update: Family, recorder: Recorder
) -> None:
    family = family_post_update
    seed_parents(engine, family, (1, None), (2, None), (3, None))
    Parent = family.Parent
    with Session(engine) as s:
        a, b, c = (s.get(Parent, i) for i in (1, 2, 3))
        new = Parent(id=4, name="d")
        a.manager = a
        b.manager, new.manager = new, b
        c.manager = c
        s.add(new)
        recorder.clear()
        s.commit()
    assert recorder.dml[0].startswith("INSERT INTO parents")
    assert recorder.dml[1:] == ["UPDATE parents SET manager_id=? WHERE parents.id = ?"]
    assert managers(engine, family) == [(1, "a", 1), (2, "b", 4), (3, "c", 3), (4, "d", 2)]


def test_deleting_rows_that_refer_to_each_other_is_a_circular_dependency_error(
    engine: ormkit.Engine, family: Family
) -> None:
    seed_parents(engine, family, (1, 2), (2, 1))
    with Session(engine) as s:
        a, b = s.get(family.Parent, 1), s.get(family.Parent, 2)
        s.delete(a)
        s.delete(b)
        with pytest.raises(exc.CircularDependencyError) as info:
            s.flush()
        message = str(info.value)
        assert "Parent('a') -> Parent('b') -> Parent('a')" in message
        assert "deletes a row only after the rows that refer to it" in message
        assert POST_UPDATE_HINT in message
        s.rollback()
        assert lifecycle(a) == "persistent" and lifecycle(b) == "persistent"
    assert managers(engine, family) == [(1, "a", 2), (2, "b", 1)]


def test_post_update_clears_the_keys_of_rows_that_refer_to_each_other_before_deleting(
    engine: ormkit.Engine, family_post_update: Family, recorder: Recorder
) -> None:
    """Rows referring to rows deleted with them (themselves too) get their key set to NULL
    first; a row referring to a row that stays needs no UPDATE."""
    family = family_post_update
    seed_parents(engine, family, (1, 2), (2, 3), (3, 1), (4, 4), (5, 6), (6, None))
    with Session(engine) as s:
        for p in [s.get(family.Parent, i) for i in (1, 2, 3, 4, 5)]:
            s.delete(p)  # loaded first: a get() would autoflush the deletes so far
        recorder.clear()
        s.commit()
    entries = [(sql, params) for sql, params in recorder.entries if sql in recorder.dml]
    sql = [e for e in entries if "parent_tags" not in e[0]]
    assert sql[0][0] == "UPDATE parents SET manager_id=? WHERE parents.id = ?"
    assert len(sql[0][1]) == 4  # rows 1 to 4, not 5
    assert [e[0] for e in sql[1:]] == ["DELETE FROM parents WHERE parents.id = ?"]
    assert managers(engine, family) == [(6, "f", None)]


def test_deleting_a_row_referring_to_itself_is_a_circular_dependency_error(
    engine: ormkit.Engine, family: Family
) -> None:
    """As in SQLAlchemy; MariaDB would refuse the DELETE of such a row anyway."""
    seed_parents(engine, family, (1, 1), (2, 1))
    with Session(engine) as s:
        first, second = s.get(family.Parent, 2), s.get(family.Parent, 1)
        s.delete(first)
        s.delete(second)
        with pytest.raises(exc.CircularDependencyError) as info:
            s.commit()
        message = str(info.value)
        assert "Parent('a') refers to itself through Parent.manager" in message
        assert "cleared by an UPDATE before the rows are deleted" in message
        assert POST_UPDATE_HINT in message
        s.rollback()
    assert managers(engine, family) == [(1, "a", 1), (2, "b", 1)]


def test_a_deleted_row_set_to_refer_to_itself_fails_leaving_its_key_as_it_was(
    engine: ormkit.Engine, family: Family
) -> None:
    """The cycle is found before the flush writes anything into the object, as SQLAlchemy:
    ``manager_id`` keeps the value it had (the backref appended ``p`` to ``p.reports``)."""
    with Session(engine) as s:
        p = family.Parent(name="p")
        s.add(p)
        s.flush()
        s.delete(p)
        p.manager = p
        with pytest.raises(exc.CircularDependencyError, match="refers to itself"):
            s.commit()
        assert p.__dict__["manager_id"] is None
        assert lifecycle(p) == "transient"  # its INSERT was rolled back with the transaction
    assert managers(engine, family) == []


# -- a deleted primary key added again: one UPDATE ------------------------------------------


def seed_tags(engine: ormkit.Engine, family: Family) -> None:
    with Session(engine) as s:
        s.add_all([family.Tag(id=1, name="old"), family.Tag(id=2, name="two")])
        s.commit()


def test_delete_then_add_of_the_same_primary_key_is_one_update(
    engine: ormkit.Engine, family: Family, recorder: Recorder
) -> None:
    seed_tags(engine, family)
    Tag = family.Tag
    with Session(engine) as s:
        old = s.get(Tag, 1)
        s.delete(old)
        new = Tag(id=1, name="new")
        s.add(new)
        recorder.clear()
        s.flush()
        assert recorder.dml == ["UPDATE tags SET name=? WHERE tags.id = ?"]
        assert lifecycle(old) == "deleted" and old not in s
        assert lifecycle(new) == "persistent" and new in s
        assert inspect(new).identity == (1,) and inspect(old).identity == (1,)
        assert s.get(Tag, 1) is new
        assert list(s.new) == list(s.deleted) == list(s.dirty) == []
        s.commit()
        assert lifecycle(old) == "detached" and lifecycle(new) == "persistent"
        assert old.name == "old"  # kept its loaded values
        assert "name" not in new.__dict__ and new.name == "new"  # expired, loaded again
    assert rows(engine, Tag.__table__) == [(1, "new"), (2, "two")]


def test_a_row_switch_updates_only_the_columns_the_new_object_sets(
    engine: ormkit.Engine, family: Family, recorder: Recorder
) -> None:
    """Columns the new object leaves unset keep the row's values and stay unloaded on it.
    (SQLAlchemy 2.1 does this for a class without a self-referential relationship; for one
    with it, as Parent has, it also DELETEs the row after the UPDATE, losing it.)"""
    with Session(engine) as s:
        s.add(family.Parent(id=1, name="a", score=5, note="n"))
        s.commit()
    Parent = family.Parent
    with Session(engine) as s:
        old = s.get(Parent, 1)
        s.delete(old)
        new = Parent(id=1, name="z", score=None, manager_id=None)
        s.add(new)
        recorder.clear()
        s.flush()
        parents_dml = [
            d for d in recorder.dml if d.startswith(("UPDATE parents", "DELETE FROM parents "))
        ]
        assert parents_dml == [
            "UPDATE parents SET manager_id=?, name=?, score=? WHERE parents.id = ?"
        ]
        assert not any(d.startswith("INSERT") for d in recorder.dml)
        assert lifecycle(old) == "deleted" and lifecycle(new) == "persistent"
        assert "note" not in new.__dict__
        assert new.note == "n"  # loaded from the row
        assert new.children == [] and new.tags == []
        s.commit()
    assert rows(engine, Parent.__table__) == [(1, "z", None, "n", None)]


@pytest.mark.parametrize("how", ["expire", "commit"])
def test_a_row_switch_of_an_expired_deleted_object(
    engine: ormkit.Engine, family: Family, recorder: Recorder, how: str
) -> None:
    seed_tags(engine, family)
    Tag = family.Tag
    with Session(engine) as s:
        old = s.get(Tag, 1)
        if how == "expire":
            s.expire(old)
        else:
            s.commit()
        assert "name" not in old.__dict__
        s.delete(old)
        new = Tag(id=1, name="new")
        s.add(new)
        recorder.clear()
        s.flush()
        assert recorder.dml == ["UPDATE tags SET name=? WHERE tags.id = ?"]
        assert lifecycle(old) == "deleted" and lifecycle(new) == "persistent"
        assert s.get(Tag, 1) is new
        s.commit()
        assert lifecycle(old) == "detached"
    assert rows(engine, Tag.__table__) == [(1, "new"), (2, "two")]


def test_row_switches_and_inserts_share_one_flush(
    engine: ormkit.Engine, family: Family, recorder: Recorder
) -> None:
    seed_tags(engine, family)
    Tag = family.Tag
    with Session(engine) as s:
        one, two = s.get(Tag, 1), s.get(Tag, 2)
        s.delete(one)
        s.delete(two)
        s.add_all([Tag(id=2, name="B"), Tag(id=1, name="A"), Tag(id=3, name="C")])
        recorder.clear()
        s.commit()
    assert recorder.dml == [
        "UPDATE tags SET name=? WHERE tags.id = ?",
        "INSERT INTO tags (id, name) VALUES (?, ?)",
    ]
    assert rows(engine, Tag.__table__) == [(1, "A"), (2, "B"), (3, "C")]


def test_a_row_switch_with_only_the_primary_key_set_sends_nothing(
    engine: ormkit.Engine, family: Family, recorder: Recorder
) -> None:
    seed_tags(engine, family)
    with Session(engine) as s:
        s.delete(s.get(family.Tag, 1))
        new = family.Tag(id=1)
        s.add(new)
        recorder.clear()
        s.flush()
        assert recorder.dml == []
        assert lifecycle(new) == "persistent" and new.name == "old"
        s.commit()
    assert rows(engine, family.Tag.__table__) == [(1, "old"), (2, "two")]


def test_a_rolled_back_row_switch_brings_the_deleted_object_back(
    engine: ormkit.Engine, family: Family
) -> None:
    seed_tags(engine, family)
    Tag = family.Tag
    with Session(engine) as s:
        old = s.get(Tag, 1)
        s.delete(old)
        new = Tag(id=1, name="new")
        s.add(new)
        s.flush()
        s.rollback()
        assert lifecycle(old) == "persistent" and old in s and s.get(Tag, 1) is old
        assert lifecycle(new) == "transient"
        assert old.name == "old"
    assert rows(engine, Tag.__table__) == [(1, "old"), (2, "two")]


def test_a_row_switch_replaces_the_collections_of_the_deleted_object(
    engine: ormkit.Engine, family: Family
) -> None:
    Parent, Child, Tag = family.Parent, family.Child, family.Tag
    seed_tags(engine, family)
    with Session(engine) as s:
        s.add(Parent(id=1, name="a", tags=[s.get(Tag, 1)], children=[Child(id=1, name="c1")]))
        s.commit()
    with Session(engine) as s:
        old, tag = s.get(Parent, 1), s.get(Tag, 2)
        s.delete(old)  # its child goes too (delete-orphan cascade)
        new = Parent(id=1, name="z", tags=[tag], children=[Child(id=2, name="c2")])
        s.add(new)
        s.commit()
        assert [t.id for t in new.tags] == [2] and [c.id for c in new.children] == [2]
    assert rows(engine, family.parent_tags) == [(1, 2)]
    assert rows(engine, Child.__table__) == [(2, "c2", 1)]
    assert rows(engine, Tag.__table__) == [(1, "old"), (2, "two")]


def test_a_row_switch_keeps_association_rows_declared_on_the_other_side(
    engine: ormkit.Engine, family: Family
) -> None:
    """Tag has no relationship to Parent: the row stays, and so do the rows pointing at it."""
    Parent, Tag = family.Parent, family.Tag
    seed_tags(engine, family)
    with Session(engine) as s:
        s.add(Parent(id=1, name="a", tags=[s.get(Tag, 1)]))
        s.commit()
    with Session(engine) as s:
        s.delete(s.get(Tag, 1))
        s.add(Tag(id=1, name="new"))
        s.commit()
        assert [t.name for t in s.get(Parent, 1).tags] == ["new"]
    assert rows(engine, family.parent_tags) == [(1, 1)]


def test_deleting_an_expired_object_deletes_its_association_rows(
    engine: ormkit.Engine, family: Family
) -> None:
    Parent, Tag = family.Parent, family.Tag
    seed_tags(engine, family)
    with Session(engine) as s:
        s.add(Parent(id=1, name="a", tags=[s.get(Tag, 1), s.get(Tag, 2)]))
        s.commit()
    with Session(engine) as s:
        tag = s.get(Tag, 1)
        s.commit()  # expires it: the DELETE must use its identity, not unloaded values
        s.delete(tag)
        s.commit()
    assert rows(engine, family.parent_tags) == [(1, 2)]
    assert rows(engine, Tag.__table__) == [(2, "two")]


# -- the error itself -----------------------------------------------------------------------


def test_rows_are_described_by_class_and_key_or_values(
    engine: ormkit.Engine, family: Family
) -> None:
    seed_tags(engine, family)
    with Session(engine) as s:
        assert describe_row(s.get(family.Tag, 1)) == "Tag(id=1)"
        long_name = family.Tag(id=3, name="x" * 30)  # values are cut short
        assert describe_row(long_name) == "new Tag(id=3, name='" + "x" * 16 + "...)"
        assert describe_row(family.Parent(name="p")) == "Parent('p')"  # its own repr


# -- statements of one table ------------------------------------------------------------------


def test_updates_go_before_inserts_so_a_new_row_can_take_a_unique_value_given_up(
    engine: ormkit.Engine, seeded: Models
) -> None:
    User = seeded.User
    with Session(engine) as s:
        s.get(User, 1).name = "edward"
        s.add(User(id=5, name="ed"))
        s.commit()
    with engine.connect() as conn:
        t = User.__table__
        names = conn.execute(select(t.c.id, t.c.name).where(t.c.id.in_([1, 5])).order_by(t.c.id))
        assert [tuple(r) for r in names] == [(1, "edward"), (5, "ed")]


def test_a_deleted_object_appended_to_a_new_owner_takes_its_key_in_memory(
    engine: ormkit.Engine, family: Family
) -> None:
    """Its row is deleted; its foreign key reads the new owner's key afterwards."""
    seed_parents(engine, family, (1, None))
    Parent = family.Parent
    with Session(engine) as s:
        a = s.get(Parent, 1)
        s.delete(a)
        b = Parent(id=2, name="b")
        s.add(b)
        a.manager = b  # the backref appends a to b.reports
        s.commit()
        assert inspect(a).detached and a.manager_id == 2
    assert managers(engine, family) == [(2, "b", None)]


def test_new_rows_of_one_level_are_inserted_in_the_order_they_joined_the_session(
    engine: ormkit.Engine, family: Family
) -> None:
    """Each row after the row it refers to, and otherwise in session order, as SQLAlchemy
    writes them: the generated keys follow that order."""
    Parent = family.Parent
    with Session(engine) as s:
        first, second = Parent(name="first"), Parent(name="second")
        s.add_all([first, second])
        boss_b = Parent(name="boss b")
        second.manager = boss_b  # boss b joins the session before boss a
        boss_a = Parent(name="boss a")
        first.manager = boss_a
        s.commit()
        names = {p.id: p.name for p in (first, second, boss_a, boss_b)}
    assert [names[i] for i in sorted(names)] == ["boss b", "boss a", "first", "second"]


def test_a_new_row_referring_to_an_updated_row_comes_after_new_rows_referring_to_nothing(
    engine: ormkit.Engine, family: Family
) -> None:
    """The updated row (its reports changed by the backref) is a level of its own."""
    Parent = family.Parent
    with Session(engine) as s:
        boss = Parent(name="boss")
        s.add(boss)
        s.commit()
        report, loner = Parent(name="report", manager=boss), Parent(name="loner")
        s.add_all([report, loner])
        assert boss in s.dirty
        s.commit()
    assert [(r[1], r[2]) for r in managers(engine, family)] == [
        ("boss", None),
        ("loner", None),
        ("report", 1),
    ]


def test_a_deleted_parent_gives_its_key_to_no_child_a_backref_queued_on_it(
    engine: ormkit.Engine, family: Family
) -> None:
    """A backref link queued on the unloaded collection of a parent that was detached when
    the child was flushed (so not saved, with a warning): deleting the parent later does not
    write its key into that child just before its own DELETE (as SQLAlchemy)."""
    Parent = family.Parent
    with Session(engine) as s:
        boss = Parent(id=1, name="boss")
        s.add(boss)
        s.flush()
        s.add(Parent(id=2, name="worker", manager=boss))  # queued on boss.reports
        s.expunge(boss)
        with pytest.warns(exc.OrmkitWarning, match=r"not in the session"):
            s.commit()
        s.delete(boss)
        s.commit()
    assert managers(engine, family) == [(2, "worker", None)]
