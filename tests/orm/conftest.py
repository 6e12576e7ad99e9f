"""Shared ORM fixtures: fresh declarative Bases (User/Address; Parent/Child/Tag), a statement
recorder."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

import ormkit
from ormkit import Column, ForeignKey, Integer, String, Table
from ormkit.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship
from tests.conftest import sync_sequences

_PLACEHOLDER = re.compile(r"%\(\w+\)s|%s|\$\d+|(?<![:\w]):\w+|\?")


def normalize(sql: str) -> str:
    """One-line SQL with every parameter marker written ``?`` (backend-neutral)."""
    return " ".join(_PLACEHOLDER.sub("?", sql).split())


@dataclass
class Recorder:
    """The statements an engine sent to the driver, normalized; "BEGIN"/"COMMIT"/"ROLLBACK"
    stand for the transaction calls the dialect makes outside SQL text."""

    entries: list[tuple[str, Any]] = field(default_factory=list)

    @property
    def statements(self) -> list[str]:
        """Everything sent, including BEGIN/COMMIT/ROLLBACK markers."""
        return [sql for sql, _ in self.entries]

    @property
    def sql(self) -> list[str]:
        """Statements proper (no BEGIN/COMMIT/ROLLBACK markers)."""
        return [s for s in self.statements if s not in ("BEGIN", "COMMIT", "ROLLBACK")]

    @property
    def dml(self) -> list[str]:
        """Only INSERT/UPDATE/DELETE statements."""
        return [s for s in self.sql if s.split(" ", 1)[0] in ("INSERT", "UPDATE", "DELETE")]

    @property
    def selects(self) -> list[str]:
        return [s for s in self.sql if s.startswith("SELECT")]

    def params(self, index: int) -> Any:
        """The parameters of the ``index``-th statement proper."""
        proper = [e for e in self.entries if e[0] not in ("BEGIN", "COMMIT", "ROLLBACK")]
        return proper[index][1]

    def clear(self) -> None:
        self.entries.clear()


@pytest.fixture
def recorder(engine: ormkit.Engine, monkeypatch: pytest.MonkeyPatch) -> Recorder:
    """Records (only observes) every statement ``engine`` sends from now on."""
    rec = Recorder()
    dialect = engine.dialect
    do_execute, do_executemany = dialect.do_execute, dialect.do_executemany
    do_begin, do_commit, do_rollback = dialect.do_begin, dialect.do_commit, dialect.do_rollback

    def execute(cursor: Any, statement: str, parameters: Any) -> None:
        rec.entries.append((normalize(statement), parameters))
        do_execute(cursor, statement, parameters)

    def executemany(cursor: Any, statement: str, parameters: Any) -> None:
        rec.entries.append((normalize(statement), list(parameters)))
        do_executemany(cursor, statement, parameters)

    def marker(name: str, real: Callable[[Any], None]) -> Callable[[Any], None]:
        def call(dbapi_connection: Any) -> None:
            rec.entries.append((name, None))
            real(dbapi_connection)

        return call

    monkeypatch.setattr(dialect, "do_execute", execute)
    monkeypatch.setattr(dialect, "do_executemany", executemany)
    monkeypatch.setattr(dialect, "do_begin", marker("BEGIN", do_begin))
    monkeypatch.setattr(dialect, "do_commit", marker("COMMIT", do_commit))
    monkeypatch.setattr(dialect, "do_rollback", marker("ROLLBACK", do_rollback))
    return rec


@dataclass
class Models:
    """The classes of one test's fresh declarative base."""

    Base: type[DeclarativeBase]
    User: Any
    Address: Any


@pytest.fixture
def models(engine: ormkit.Engine) -> Models:
    """A fresh ``Base`` with User and Address, tables created on ``engine``."""

    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = "users"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50), unique=True)
        fullname: Mapped[str | None] = mapped_column(String(50))
        nickname: Mapped[str | None] = mapped_column(String(50))
        age: Mapped[int | None] = mapped_column(Integer)

        def __repr__(self) -> str:
            return f"User({self.name!r})"

    class Address(Base):
        __tablename__ = "addresses"

        id: Mapped[int] = mapped_column(primary_key=True)
        user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
        email: Mapped[str] = mapped_column(String(50))

    Base.metadata.create_all(engine)
    return Models(Base, User, Address)


@pytest.fixture
def session(engine: ormkit.Engine) -> Iterator[Session]:
    """A Session on ``engine``, closed afterwards."""
    with Session(engine) as sess:
        yield sess


@pytest.fixture
def seeded(engine: ormkit.Engine, models: Models) -> Models:
    """The models with four users (ed, wendy, mary, fred) and three addresses committed."""
    User, Address = models.User, models.Address
    with Session(engine) as s:
        s.add_all(
            [
                User(id=1, name="ed", fullname="Ed Jones", nickname="eddie", age=30),
                User(id=2, name="wendy", fullname="Wendy Williams", nickname="windy", age=25),
                User(id=3, name="mary", fullname="Mary Contrary", nickname="mary", age=40),
                User(id=4, name="fred", fullname="Fred Flintstone", nickname="freddy", age=25),
            ]
        )
        s.flush()
        s.add_all(
            [
                Address(id=1, user_id=1, email="ed@example.com"),
                Address(id=2, user_id=1, email="ed@work.example.com"),
                Address(id=3, user_id=2, email="wendy@example.com"),
            ]
        )
        s.commit()
    sync_sequences(engine, "users", "addresses")  # the ids above were given explicitly
    return models


@dataclass
class Family:
    """The classes of the session-semantics models: ``Parent.children`` one-to-many with
    ``cascade="all, delete-orphan"``, ``Parent.tags`` many-to-many, ``Parent.manager`` a
    self-referential many-to-one mirrored by ``Parent.reports``; ``Child.parent_id`` is NOT
    NULL."""

    Base: type[DeclarativeBase]
    Parent: Any
    Child: Any
    Tag: Any
    parent_tags: Table


@pytest.fixture
def family(engine: ormkit.Engine) -> Family:
    """The Parent/Child/Tag models, tables created on ``engine``."""
    return make_family(engine)


@pytest.fixture
def family_post_update(engine: ormkit.Engine) -> Family:
    """The Parent/Child/Tag models with ``Parent.manager`` marked ``post_update=True``."""
    return make_family(engine, post_update=True)


def make_family(engine: ormkit.Engine, *, post_update: bool = False) -> Family:
    """Map the Parent/Child/Tag models on a fresh Base and create their tables on ``engine``."""

    class Base(DeclarativeBase):
        pass

    parent_tags = Table(
        "parent_tags",
        Base.metadata,
        Column("parent_id", ForeignKey("parents.id"), primary_key=True),
        Column("tag_id", ForeignKey("tags.id"), primary_key=True),
    )

    class Parent(Base):
        __tablename__ = "parents"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(30))
        score: Mapped[int | None] = mapped_column(Integer)
        note: Mapped[str | None] = mapped_column(String(30))
        manager_id: Mapped[int | None] = mapped_column(ForeignKey("parents.id"))
        children: Mapped[list[Child]] = relationship(
            back_populates="parent", cascade="all, delete-orphan", order_by="Child.id"
        )
        tags: Mapped[list[Tag]] = relationship(secondary=parent_tags, order_by="Tag.id")
        manager: Mapped[Parent | None] = relationship(
            remote_side=[id], post_update=post_update, back_populates="reports"
        )
        reports: Mapped[list[Parent]] = relationship(
            back_populates="manager", post_update=post_update, order_by="Parent.id"
        )

        def __repr__(self) -> str:
            return f"Parent({self.name!r})"

    class Child(Base):
        __tablename__ = "children"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(30))
        parent_id: Mapped[int] = mapped_column(ForeignKey("parents.id"))
        parent: Mapped[Parent] = relationship(back_populates="children")

        def __repr__(self) -> str:
            return f"Child({self.name!r})"

    class Tag(Base):
        __tablename__ = "tags"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(30))

    Base.metadata.create_all(engine)
    return Family(Base, Parent, Child, Tag, parent_tags)
