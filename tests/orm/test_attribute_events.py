"""Attribute events on columns and relationships: set (a retval listener normalising an
email), active_history, append/remove/bulk_replace on collections, init_scalar, modified with
flag_modified, and that a column nobody listens to is tracked as before."""

from __future__ import annotations

from typing import Any

import pytest

import ormkit
from ormkit import event, exc, select
from ormkit.orm import Session
from ormkit.orm.attributes import OP_APPEND, OP_MODIFIED, OP_REPLACE, flag_modified
from ormkit.orm.state import NO_VALUE

from .conftest import Family, Models


def test_a_retval_set_listener_normalises_the_stored_value(
    engine: ormkit.Engine, models: Models
) -> None:
    Address = models.Address

    @event.listens_for(Address.email, "set", retval=True)
    def normalise(target: Any, value: str, oldvalue: Any, initiator: Any) -> str:
        assert initiator.op is OP_REPLACE and initiator.key == "email"
        return value.strip().lower()

    with Session(engine) as s:
        user = models.User(name="e")
        s.add(user)
        s.flush()
        address = Address(user_id=user.id, email="  Ed@Example.COM ")
        assert address.email == "ed@example.com"
        s.add(address)
        s.commit()
        address.email = "Other@Example.com"
        s.commit()
        assert s.scalars(select(Address.email)).one() == "other@example.com"


def test_set_listener_sees_old_values_once_loaded(engine: ormkit.Engine, seeded: Models) -> None:
    User = seeded.User
    olds: list[Any] = []
    event.listen(User.nickname, "set", lambda t, value, old, init: olds.append(old))
    with Session(engine) as s:
        ed = s.get(User, 1)
        ed.nickname = "first"
        s.commit()  # expires ed
        ed.nickname = "second"  # not loaded now: the old value is not known
    assert olds == ["eddie", NO_VALUE]


def test_active_history_loads_the_old_value_for_the_listener(
    engine: ormkit.Engine, seeded: Models
) -> None:
    User = seeded.User
    olds: list[Any] = []
    event.listen(
        User.fullname, "set", lambda t, value, old, init: olds.append(old), active_history=True
    )
    with Session(engine) as s:
        ed = s.get(User, 1)
        s.expire(ed)
        ed.fullname = "Edward"
        s.commit()
    assert olds == ["Ed Jones"]


def test_a_set_listener_sees_constructor_arguments(models: Models) -> None:
    seen: list[Any] = []
    event.listen(models.User.name, "set", lambda t, value, old, init: seen.append(value))
    models.User(name="from init", age=3)
    assert seen == ["from init"]


def test_a_column_without_listeners_is_unaffected_by_another_ones(
    engine: ormkit.Engine, seeded: Models
) -> None:
    User = seeded.User
    event.listen(User.nickname, "set", lambda *args: None)
    assert "age" in User.__ok_tracked__ and "nickname" not in User.__ok_tracked__
    with Session(engine) as s:
        ed = s.get(User, 1)
        ed.age = 50
        ed.nickname = "n"
        assert ed in s.dirty
        s.commit()
        assert (s.get(User, 1).age, s.get(User, 1).nickname) == (50, "n")


def test_removing_the_last_set_listener_tracks_the_column_plainly_again(models: Models) -> None:
    User = models.User

    def note(*args: Any) -> None:
        pass

    event.listen(User.age, "set", note)
    assert "age" not in User.__ok_tracked__
    event.remove(User.age, "set", note)
    assert "age" in User.__ok_tracked__ and "age" not in User.__ok_listened__


def test_collection_append_and_remove_events(engine: ormkit.Engine, family: Family) -> None:
    Parent, Child = family.Parent, family.Child
    happened: list[tuple[str, str]] = []
    event.listen(
        Parent.children,
        "append",
        lambda target, value, init: happened.append(("append", value.name)),
    )
    event.listen(
        Parent.children,
        "remove",
        lambda target, value, init: happened.append(("remove", value.name)),
    )
    with Session(engine) as s:
        parent = Parent(name="p", score=1)
        first, second = Child(name="c1"), Child(name="c2")
        parent.children.append(first)
        parent.children.extend([second])
        parent.children.remove(first)
        s.add(parent)
        s.commit()
    assert happened == [("append", "c1"), ("append", "c2"), ("remove", "c1")]


def test_an_append_retval_listener_may_give_another_item(family: Family) -> None:
    Parent, Child = family.Parent, family.Child
    replacement = Child(name="instead")

    @event.listens_for(Parent.children, "append", retval=True)
    def swap(target: Any, value: Any, initiator: Any) -> Any:
        assert initiator.op is OP_APPEND
        return replacement if value.name == "swap me" else value

    parent = Parent(name="p", score=1)
    parent.children.append(Child(name="swap me"))
    assert [c.name for c in parent.children] == ["instead"]
    assert replacement.parent is parent


def test_setting_a_whole_collection_fires_bulk_replace_append_and_remove(
    family: Family,
) -> None:
    Parent, Child = family.Parent, family.Child
    happened: list[Any] = []
    parent = Parent(name="p", score=1)
    old = Child(name="old")
    parent.children = [old]
    event.listen(Parent.children, "bulk_replace", lambda t, values, i: happened.append(len(values)))
    event.listen(Parent.children, "append", lambda t, v, i: happened.append(("+", v.name)))
    event.listen(Parent.children, "remove", lambda t, v, i: happened.append(("-", v.name)))
    event.listen(Parent.children, "dispose_collection", lambda t, c, a: happened.append("gone"))
    parent.children = [Child(name="new")]
    assert happened == [1, ("+", "new"), ("-", "old"), "gone"]


def test_a_many_to_one_set_event(family: Family) -> None:
    Parent, Child = family.Parent, family.Child
    seen: list[tuple[Any, Any]] = []
    event.listen(Child.parent, "set", lambda t, value, old, i: seen.append((value, old)))
    parent = Parent(name="p", score=1)
    child = Child(name="c")
    child.parent = parent
    child.parent = None
    assert seen == [(parent, NO_VALUE), (None, parent)]


def test_changes_through_the_other_side_fire_this_sides_events(family: Family) -> None:
    Parent, Child = family.Parent, family.Child
    seen: list[tuple[str, Any, str]] = []
    event.listen(Parent.children, "append", lambda t, v, i: seen.append(("append", v.name, i.key)))
    event.listen(Parent.children, "remove", lambda t, v, i: seen.append(("remove", v.name, i.key)))
    event.listen(Child.parent, "set", lambda t, v, old, i: seen.append(("set", v, i.key)))
    parent = Parent(name="p", score=1)
    child = Child(name="c")
    child.parent = parent  # Parent.children's append fires; its initiator is Child.parent
    child.parent = None
    parent.children.append(child)  # and the other way round
    assert seen == [
        ("set", parent, "parent"),
        ("append", "c", "parent"),
        ("set", None, "parent"),
        ("remove", "c", "parent"),
        ("append", "c", "children"),
        ("set", parent, "children"),
    ]


def test_init_scalar_gives_an_unset_attribute_its_value(models: Models) -> None:
    @event.listens_for(models.User.age, "init_scalar", retval=True)
    def default_age(target: Any, value: Any, dict_: dict[str, Any]) -> int:
        dict_["age"] = 18  # stored, as SQLAlchemy's documented recipe does
        return 18

    user = models.User(name="young")
    assert user.age == 18 and user.__dict__["age"] == 18


def test_init_collection_fires_when_a_collection_is_made(family: Family) -> None:
    made: list[Any] = []
    event.listen(family.Parent.children, "init_collection", lambda t, c, a: made.append(t))
    parent = family.Parent(name="p", score=1)
    assert list(parent.children) == []
    assert made == [parent]


def test_flag_modified_writes_an_unchanged_value_and_fires_modified(
    engine: ormkit.Engine, seeded: Models
) -> None:
    User = seeded.User
    modified: list[Any] = []
    event.listen(User.nickname, "modified", lambda target, init: modified.append(init.op))
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with Session(engine) as s:
        ed = s.get(User, 1)
        flag_modified(ed, "nickname")
        assert ed in s.dirty
        s.commit()
    assert modified == [OP_MODIFIED]
    assert [sql for sql in statements if sql.startswith("UPDATE")]


def test_flag_modified_of_an_unmapped_or_unloaded_attribute_raises(
    engine: ormkit.Engine, seeded: Models
) -> None:
    User = seeded.User
    with Session(engine) as s:
        ed = s.get(User, 1)
        with pytest.raises(exc.InvalidRequestError, match=r"User has no mapped attribute 'nick'"):
            flag_modified(ed, "nick")
        s.expire(ed, ["age"])
        with pytest.raises(
            exc.InvalidRequestError, match=r"can't flag attribute 'age'.*not loaded"
        ):
            flag_modified(ed, "age")
        assert ed not in s.dirty


def test_attribute_events_on_something_else_raise(models: Models) -> None:
    with pytest.raises(exc.InvalidRequestError, match=r"no event 'set' for class User"):
        event.listen(models.User, "set", lambda *a: None)
