"""Association proxies over a list, a set and a many-to-one: reading, adding, removing,
assigning (with the default maker, a creator and a getset_factory), and the any / has /
contains / == criteria; on every backend."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import ormkit
from ormkit import ForeignKey, String, exc, select
from ormkit.ext.associationproxy import AssociationProxyInstance, association_proxy
from ormkit.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Keyword(Base):
    __tablename__ = "ap_keywords"
    id: Mapped[int] = mapped_column(primary_key=True)
    word: Mapped[str] = mapped_column(String(20))


class UserKeyword(Base):
    __tablename__ = "ap_user_keywords"
    user_id: Mapped[int] = mapped_column(ForeignKey("ap_users.id"), primary_key=True)
    keyword_id: Mapped[int] = mapped_column(ForeignKey("ap_keywords.id"), primary_key=True)
    keyword: Mapped[Keyword] = relationship()


class Tag(Base):
    __tablename__ = "ap_tags"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ap_users.id"))
    name: Mapped[str] = mapped_column(String(20))


class Address(Base):
    __tablename__ = "ap_addresses"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(40))


class User(Base):
    __tablename__ = "ap_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    address_id: Mapped[int | None] = mapped_column(ForeignKey("ap_addresses.id"))
    user_keywords: Mapped[list[UserKeyword]] = relationship(cascade="all, delete-orphan")
    tag_objects: Mapped[set[Tag]] = relationship(cascade="all, delete-orphan")
    address: Mapped[Address | None] = relationship()

    keywords = association_proxy(
        "user_keywords", "keyword", creator=lambda kw: UserKeyword(keyword=kw)
    )
    tags = association_proxy("tag_objects", "name")
    email = association_proxy("address", "email")


@pytest.fixture
def users(engine: ormkit.Engine) -> Iterator[ormkit.Engine]:
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        ann = User(id=1, name="ann")
        ann.keywords.extend([Keyword(id=1, word="red"), Keyword(id=2, word="blue")])
        ann.tags.update(["x", "y"])
        ann.email = "ann@x"
        bob = User(id=2, name="bob")
        bob.keywords.append(Keyword(id=3, word="green"))
        s.add_all([ann, bob])
        s.commit()
    yield engine


def test_a_list_proxy_reads_and_changes_the_collection_behind_it(users: ormkit.Engine) -> None:
    with Session(users) as s:
        ann = s.get(User, 1)
        assert ann is not None
        assert [k.word for k in ann.keywords] == ["red", "blue"] and len(ann.keywords) == 2
        red = ann.keywords[0]
        assert red in ann.keywords and ann.keywords.index(red) == 0
        ann.keywords.remove(red)
        ann.keywords.insert(0, Keyword(id=4, word="black"))
        s.commit()
    with Session(users) as s:
        ann = s.get(User, 1)
        assert ann is not None and sorted(k.word for k in ann.keywords) == ["black", "blue"]
        assert sorted(uk.keyword_id for uk in ann.user_keywords) == [2, 4]


def test_a_set_proxy_and_assigning_a_whole_collection(users: ormkit.Engine) -> None:
    with Session(users) as s:
        ann = s.get(User, 1)
        assert ann is not None and ann.tags == {"x", "y"}
        assert isinstance(ann.tag_objects, set)  # Mapped[set[Tag]] makes a set collection
        ann.tags.add("x")  # already there: nothing new
        ann.tags.discard("y")
        assert ann.tags == {"x"}
        ann.tags = {"p", "q"}
        s.commit()
    with Session(users) as s:
        assert sorted(s.scalars(select(Tag.name)).all()) == ["p", "q"]


def test_a_scalar_proxy_reads_and_writes_through_a_many_to_one(users: ormkit.Engine) -> None:
    with Session(users) as s:
        ann, bob = s.get(User, 1), s.get(User, 2)
        assert ann is not None and bob is not None
        assert ann.email == "ann@x" and bob.email is None
        ann.email = "ann@y"  # changes the Address it has
        bob.email = "bob@x"  # makes one
        s.commit()
    with Session(users) as s:
        assert sorted(s.scalars(select(Address.email)).all()) == ["ann@y", "bob@x"]


def test_proxies_build_criteria_on_the_class(users: ormkit.Engine) -> None:
    assert isinstance(User.keywords, AssociationProxyInstance)
    with Session(users) as s:
        red = s.get(Keyword, 1)

        def names(criterion: Any) -> list[str]:
            return list(s.scalars(select(User.name).where(criterion).order_by(User.name)))

        assert names(User.keywords.any(Keyword.word == "green")) == ["bob"]
        assert names(User.keywords.contains(red)) == ["ann"]
        assert names(User.tags.contains("y")) == ["ann"]
        assert names(User.tags.any(Tag.name == "x")) == ["ann"]
        assert names(User.email == "ann@x") == ["ann"]
        assert names(User.email.has(Address.email.like("ann%"))) == ["ann"]
        assert names(User.email != "ann@x") == ["bob"]


def test_a_getset_factory_decides_how_values_are_read_and_written(engine: ormkit.Engine) -> None:
    def upper_case(collection_type: Any, proxy: Any) -> tuple[Any, Any]:
        return (lambda obj: obj.name.upper()), (lambda obj, value: setattr(obj, "name", value))

    class Other(DeclarativeBase):
        pass

    class Item(Other):
        __tablename__ = "ap_items"
        id: Mapped[int] = mapped_column(primary_key=True)
        box_id: Mapped[int] = mapped_column(ForeignKey("ap_boxes.id"))
        name: Mapped[str] = mapped_column(String(20))

    class Box(Other):
        __tablename__ = "ap_boxes"
        id: Mapped[int] = mapped_column(primary_key=True)
        items: Mapped[list[Item]] = relationship()
        names = association_proxy("items", "name", getset_factory=upper_case)

    box = Box(id=1)
    box.names.append("pen")
    assert list(box.names) == ["PEN"]
    box.names[0] = "ink"
    assert box.items[0].name == "ink"


def test_misconfigured_proxies_and_unsupported_arguments_are_refused() -> None:
    class Other(DeclarativeBase):
        pass

    class Lonely(Other):
        __tablename__ = "ap_lonely"
        id: Mapped[int] = mapped_column(primary_key=True)
        nothing = association_proxy("missing", "x")

    with pytest.raises(exc.InvalidRequestError, match=r"Lonely.nothing: Lonely has no relation"):
        Lonely().nothing  # noqa: B018
    with pytest.raises(exc.ArgumentError, match=r"does not support argument 'proxy_factory'"):
        association_proxy("a", "b", proxy_factory=list)
