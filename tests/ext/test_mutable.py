"""Mutation tracking: MutableDict / MutableList / MutableSet values changed in place are
flushed, through as_mutable, associate_with and associate_with_attribute; loaded, refreshed,
assigned and unpickled values are tracked; on every backend."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from typing import Any

import pytest

import ormkit
from ormkit import JSON, String, select
from ormkit.ext.mutable import MutableDict, MutableList, MutableSet
from ormkit.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    pass


class Doc(Base):
    __tablename__ = "mutable_docs"
    id: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(MutableDict.as_mutable(JSON), default=dict)
    items: Mapped[list[Any]] = mapped_column(MutableList.as_mutable(JSON), default=list)
    plain: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # not tracked
    name: Mapped[str] = mapped_column(String(20), default="d")


@pytest.fixture
def docs(engine: ormkit.Engine) -> Iterator[ormkit.Engine]:
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Doc(id=1, data={"a": 1}, items=[1, 2], plain={"p": 1}))
        s.commit()
    yield engine


def stored(engine: ormkit.Engine) -> tuple[Any, Any, Any]:
    with Session(engine) as s:
        doc = s.get(Doc, 1)
        assert doc is not None
        return doc.data, doc.items, doc.plain


def test_a_loaded_dict_changed_in_place_is_flushed(docs: ormkit.Engine) -> None:
    with Session(docs) as s:
        doc = s.get(Doc, 1)
        assert doc is not None and isinstance(doc.data, MutableDict)
        doc.data["b"] = 2
        assert doc in s.dirty
        doc.items.append(3)
        doc.plain["q"] = 2  # a plain JSON column: the change is not seen
        s.commit()
    assert stored(docs) == ({"a": 1, "b": 2}, [1, 2, 3], {"p": 1})


def test_every_kind_of_change_in_place_is_seen(docs: ormkit.Engine) -> None:
    changes = [
        lambda d: d.data.update(x=1),
        lambda d: d.data.pop("a"),
        lambda d: d.data.setdefault("new", 0),
        lambda d: d.data.clear(),
        lambda d: d.data.__delitem__("a"),
        lambda d: d.items.extend([9]),
        lambda d: d.items.insert(0, 0),
        lambda d: d.items.remove(1),
        lambda d: d.items.sort(reverse=True),
        lambda d: d.items.__setitem__(0, 7),
    ]
    for change in changes:
        with Session(docs) as s:
            doc = s.get(Doc, 1)
            assert doc is not None
            change(doc)
            assert doc in s.dirty, change
            s.rollback()


def test_assigned_values_are_coerced_and_tracked(docs: ormkit.Engine) -> None:
    with Session(docs) as s:
        doc = s.get(Doc, 1)
        assert doc is not None
        doc.data = {"fresh": True}
        assert isinstance(doc.data, MutableDict)
        s.commit()
        doc.data["more"] = 1  # the assigned value, after the commit reloaded it
        s.commit()
    assert stored(docs)[0] == {"fresh": True, "more": 1}
    new = Doc(id=2, data={"k": 1})  # the constructor coerces too
    assert isinstance(new.data, MutableDict)
    with pytest.raises(ValueError, match=r"attribute 'data' does not accept objects of type int"):
        new.data = 5  # type: ignore[assignment]


def test_a_refreshed_value_is_tracked(docs: ormkit.Engine) -> None:
    with Session(docs) as s:
        doc = s.get(Doc, 1)
        assert doc is not None
        s.refresh(doc)
        doc.data["after_refresh"] = 1
        assert doc in s.dirty


def test_an_unpickled_object_keeps_tracking_its_values(docs: ormkit.Engine) -> None:
    with Session(docs, expire_on_commit=False) as s:
        doc = s.get(Doc, 1)
    copy = pickle.loads(pickle.dumps(doc))
    assert isinstance(copy.data, MutableDict)
    with Session(docs) as s:
        merged = s.merge(copy)
        merged.data["merged"] = True
        s.commit()
    assert stored(docs)[0] == {"a": 1, "merged": True}


def test_associate_with_tracks_every_column_of_a_type(engine: ormkit.Engine) -> None:
    class Other(DeclarativeBase):
        pass

    MutableSet.associate_with(TagSet)

    class Tagged(Other):
        __tablename__ = "mutable_tagged"
        id: Mapped[int] = mapped_column(primary_key=True)
        tags: Mapped[set[str]] = mapped_column(TagSet, default=set)

    Other.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Tagged(id=1, tags={"a"}))
        s.commit()
        tagged = s.get(Tagged, 1)
        assert tagged is not None and isinstance(tagged.tags, MutableSet)
        tagged.tags.add("b")
        s.commit()
        tagged.tags -= {"a"}
        s.commit()
    with Session(engine) as s:
        assert s.scalars(select(Tagged.tags)).one() == {"b"}


def test_associate_with_attribute_tracks_one_attribute(engine: ormkit.Engine) -> None:
    class Other(DeclarativeBase):
        pass

    class Note(Other):
        __tablename__ = "mutable_notes"
        id: Mapped[int] = mapped_column(primary_key=True)
        meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    MutableDict.associate_with_attribute(Note.meta)
    Other.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Note(id=1, meta={}))
        s.commit()
        note = s.get(Note, 1)
        assert note is not None
        note.meta["seen"] = 1
        s.commit()
        assert s.scalars(select(Note.meta)).one() == {"seen": 1}


class TagSet(ormkit.TypeDecorator):  # type: ignore[type-arg]
    """A set of strings stored as a JSON list."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return sorted(value) if value is not None else None

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return set(value) if value is not None else None
