"""What an object says about itself: attribute History (``get_history``,
``inspect(obj).attrs.x.history``), ``set_committed_value``, ``object_session``,
``was_deleted``, ``instance_state`` and ``instance_dict``; shapes as SQLAlchemy gives them."""

from __future__ import annotations

import pytest

import ormkit
from ormkit import exc, inspect
from ormkit.orm import Session, object_session, was_deleted
from ormkit.orm.attributes import (
    History,
    get_history,
    instance_dict,
    instance_state,
    set_committed_value,
)
from ormkit.orm.state import NO_VALUE

from .conftest import Family


def test_column_history_from_new_to_loaded_to_changed(
    engine: ormkit.Engine, family: Family
) -> None:
    with Session(engine, expire_on_commit=False) as s:
        p = family.Parent(name="a")
        s.add(p)
        assert get_history(p, "name") == History(["a"], (), ())  # no row yet: added
        s.commit()
        assert get_history(p, "name") == History((), ["a"], ())
        p.name = "a"
        assert get_history(p, "name").unchanged == ["a"]  # set to the same value
        p.name = "b"
        history = get_history(p, "name")
        assert (history.added, history.unchanged, history.deleted) == (["b"], (), ["a"])
        assert history.has_changes() and history.non_added() == ["a"]
        assert history.sum() == ["b", "a"] and history.non_deleted() == ["b"]
        s.commit()
        s.expire(p, ["name"])
        assert get_history(p, "name").empty()  # nothing is loaded to get it


def test_collection_and_many_to_one_history(engine: ormkit.Engine, family: Family) -> None:
    Parent, Child = family.Parent, family.Child
    with Session(engine, expire_on_commit=False) as s:
        p = Parent(name="p", children=[Child(name="c1"), Child(name="c2")])
        other = Parent(name="other")
        s.add_all([p, other])
        s.commit()
        c1, c2 = p.children
        c3 = Child(name="c3")
        p.children.append(c3)
        p.children.remove(c1)
        history = get_history(p, "children")
        assert (history.added, history.unchanged, history.deleted) == ([c3], [c2], [c1])
        c2.parent = other
        assert get_history(c2, "parent") == History([other], (), [p])


def test_attrs_of_an_inspected_object(engine: ormkit.Engine, family: Family) -> None:
    with Session(engine) as s:
        p = family.Parent(name="a", score=3)
        s.add(p)
        s.commit()  # expired
        attrs = inspect(p).attrs
        assert attrs.name.loaded_value is NO_VALUE
        assert attrs.name.value == "a"  # loads it
        assert attrs["score"].loaded_value == 3 and "name" in attrs
        p.name = "b"
        assert attrs.name.history.added == ["b"]
        assert attrs.note.load_history().unchanged == [None]
        assert {a.key for a in attrs} >= {"name", "score", "children"}
        with pytest.raises(AttributeError, match=r"Parent has no mapped attribute 'nmae'"):
            attrs.nmae  # noqa: B018


def test_set_committed_value_puts_a_value_in_without_history(
    engine: ormkit.Engine, family: Family
) -> None:
    Parent, Child = family.Parent, family.Child
    with Session(engine, expire_on_commit=False) as s:
        p = Parent(name="a")
        s.add(p)
        s.commit()
        set_committed_value(p, "name", "shown")
        assert p.name == "shown" and p not in s.dirty
        assert get_history(p, "name") == History((), ["shown"], ())
        kid = Child(name="k", parent_id=p.id)
        set_committed_value(p, "children", [kid])
        assert list(p.children) == [kid] and not get_history(p, "children").has_changes()
        with pytest.raises(exc.InvalidRequestError, match=r"no mapped attribute 'nope'"):
            set_committed_value(p, "nope", 1)


def test_object_session_was_deleted_instance_state_and_dict(
    engine: ormkit.Engine, family: Family
) -> None:
    p = family.Parent(name="a")
    assert object_session(p) is None and not was_deleted(p)
    assert instance_state(p) is inspect(p) and instance_state(p).obj() is p
    assert instance_dict(p) is p.__dict__
    with Session(engine) as s:
        s.add(p)
        assert object_session(p) is s
        s.commit()
        s.delete(p)
        s.commit()
        assert was_deleted(p) and object_session(p) is None
    with pytest.raises(exc.UnmappedInstanceError, match=r"object_session\(\) got int"):
        object_session(5)


def test_get_history_refuses_what_it_does_not_support(family: Family) -> None:
    p = family.Parent(name="a")
    with pytest.raises(exc.ArgumentError, match=r"does not support argument 'passive'"):
        get_history(p, "name", passive=1)
    with pytest.raises(exc.InvalidRequestError, match=r"Parent has no mapped attribute 'nmae'"):
        get_history(p, "nmae")
