"""Registries are configured one by one: a broken mapping fails its own base, not another."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

import ormkit
from ormkit import ForeignKey, String, exc, select
from ormkit.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    configure_mappers,
    mapped_column,
    registry,
    relationship,
)


@dataclass
class Bases:
    """A correct base (Author/Book) and a broken one (Broken, Plain) in another registry."""

    Good: Any
    Author: Any
    Book: Any
    Bad: Any
    Broken: Any
    Plain: Any


def _good_base() -> tuple[Any, Any, Any]:
    class Good(DeclarativeBase):
        pass

    class Author(Good):
        __tablename__ = "authors"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50))
        books = relationship("Book", back_populates="author")

    class Book(Good):
        __tablename__ = "books"
        id: Mapped[int] = mapped_column(primary_key=True)
        author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"))
        author = relationship("Author", back_populates="books")

    return Good, Author, Book


def _bad_base() -> tuple[Any, Any, Any]:
    class Bad(DeclarativeBase):
        pass

    class Broken(Bad):
        __tablename__ = "broken"
        id: Mapped[int] = mapped_column(primary_key=True)
        things = relationship("NoSuchThing")

    class Plain(Bad):
        __tablename__ = "plain"
        id: Mapped[int] = mapped_column(primary_key=True)

    return Bad, Broken, Plain


@pytest.fixture
def bases(engine: ormkit.Engine) -> Iterator[Bases]:
    b = Bases(*_good_base(), *_bad_base())
    b.Good.metadata.create_all(engine)
    b.Bad.metadata.create_all(engine)
    yield b
    b.Bad.registry.dispose()  # a broken registry would fail every later configure_mappers()


def _use_good_base(engine: ormkit.Engine, b: Bases, author_id: int) -> None:
    with Session(engine) as s:
        s.add(b.Author(id=author_id, name="a", books=[b.Book(id=author_id)]))
        s.commit()
        found = s.scalars(select(b.Author).where(b.Author.id == author_id)).one()
        assert [book.id for book in found.books] == [author_id]
        assert s.get(b.Book, author_id).author is found


def _assert_names_the_broken_relationship(err: pytest.ExceptionInfo[Exception]) -> None:
    assert "Broken.things" in str(err.value)
    assert "'NoSuchThing'" in str(err.value)


def test_broken_relationship_in_one_base_leaves_another_base_working(
    engine: ormkit.Engine, bases: Bases
) -> None:
    _use_good_base(engine, bases, 1)  # first use of the good base: the bad one is not touched
    with pytest.raises(exc.InvalidRequestError) as err:
        bases.Broken()
    _assert_names_the_broken_relationship(err)
    _use_good_base(engine, bases, 2)  # and after the bad one's error


@pytest.mark.parametrize("use", ["instantiate", "add", "query", "get", "relationship"])
def test_first_use_of_the_broken_base_raises_naming_class_attribute_and_target(
    engine: ormkit.Engine, bases: Bases, use: str
) -> None:
    Plain, Broken = bases.Plain, bases.Broken
    with Session(engine) as s:
        with pytest.raises(exc.InvalidRequestError) as err:
            if use == "instantiate":
                Plain()  # a class without relationships of the broken registry
            elif use == "add":
                s.add(Plain.__new__(Plain))  # no constructor ran: add() configures
            elif use == "query":
                s.execute(select(Plain))
            elif use == "get":
                s.get(Plain, 1)
            else:
                _ = Broken.things.entity
        _assert_names_the_broken_relationship(err)
    _use_good_base(engine, bases, 3)


def test_registry_configure_raises_for_its_own_broken_mapping_only() -> None:
    Bad, _, _ = _bad_base()  # declared first: configured first by a global sweep
    Good, Author, _ = _good_base()
    try:
        Good.registry.configure()
        assert Author.__mapper__.relationships["books"].configured
        with pytest.raises(exc.InvalidRequestError) as err:
            Bad.registry.configure()
        _assert_names_the_broken_relationship(err)
        Good.registry.configure()  # still fine
    finally:
        Bad.registry.dispose()


def test_configure_mappers_configures_every_good_registry_and_raises_for_the_broken() -> None:
    Bad, _, _ = _bad_base()  # declared first: configured first
    _, Author, Book = _good_base()
    try:
        with pytest.raises(exc.InvalidRequestError) as err:
            configure_mappers()
        _assert_names_the_broken_relationship(err)
        assert Author.__mapper__.relationships["books"].configured
        assert Book.__mapper__.relationships["author"].reverse is not None
    finally:
        Bad.registry.dispose()


def test_broken_base_works_once_the_missing_class_is_declared(
    engine: ormkit.Engine, bases: Bases
) -> None:
    with pytest.raises(exc.InvalidRequestError):
        bases.Plain()

    class NoSuchThing(bases.Bad):  # type: ignore[name-defined,misc]
        __tablename__ = "no_such_thing"
        id: Mapped[int] = mapped_column(primary_key=True)
        broken_id: Mapped[int] = mapped_column(ForeignKey("broken.id"))

    bases.Bad.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(bases.Broken(id=1, things=[NoSuchThing(id=1)]))
        s.commit()
        assert [t.id for t in s.get(bases.Broken, 1).things] == [1]


def test_registry_configure_without_cascade_refuses_an_unconfigured_dependency() -> None:
    class Left(DeclarativeBase):
        pass

    class Right(DeclarativeBase):
        pass

    class Target(Right):
        __tablename__ = "cascade_target"
        id: Mapped[int] = mapped_column(primary_key=True)
        sources = relationship("Source")

    class Source(Right):
        __tablename__ = "cascade_source"
        id: Mapped[int] = mapped_column(primary_key=True)
        target_id: Mapped[int] = mapped_column(ForeignKey("cascade_target.id"))

    class Pointer(Left):
        __tablename__ = "cascade_pointer"
        id: Mapped[int] = mapped_column(primary_key=True)
        target_id: Mapped[int] = mapped_column(ForeignKey(Target.id))  # a mapped attribute
        target = relationship(Target)

    with pytest.raises(exc.InvalidRequestError, match="cascade=False"):
        Left.registry.configure()
    Left.registry.configure(cascade=True)
    assert Target.__mapper__.relationships["sources"].configured


def test_registry_rejects_class_registry_argument() -> None:
    with pytest.raises(exc.ArgumentError, match="registry\\(\\) does not support argument "):
        registry(class_registry={})
