"""Pickling mapped objects, differentially: ormkit vs SQLAlchemy 2.x on SQLite files.

The same object, brought to the same state on both sides (new, loaded, modified, partly or
wholly expired, with a loaded collection, deleted), is pickled and unpickled; both copies must
agree on which attributes are loaded and their values, on the lifecycle of the copy
(``inspect(copy)``), on what reading an unloaded attribute of it does (the kind of error), and
on what ``session.merge(copy)`` gives in a new session (values, and the rows after commit).
SQLAlchemy is the oracle; ormkit/ never imports it.
"""

import pickle
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import sqlalchemy.orm as sa_orm

import ormkit
import ormkit.orm as ok_orm
from tests.compat.differential import call, lifecycle, same_outcome


class OkBase(ok_orm.DeclarativeBase):
    pass


class OkAuthor(OkBase):
    __tablename__ = "authors"
    id: ok_orm.Mapped[int] = ok_orm.mapped_column(ormkit.Integer, primary_key=True)
    name: ok_orm.Mapped[str] = ok_orm.mapped_column(ormkit.String(20))
    books: ok_orm.Mapped[list["OkBook"]] = ok_orm.relationship(back_populates="author")


class OkBook(OkBase):
    __tablename__ = "books"
    id: ok_orm.Mapped[int] = ok_orm.mapped_column(ormkit.Integer, primary_key=True)
    title: ok_orm.Mapped[str] = ok_orm.mapped_column(ormkit.String(20))
    author_id: ok_orm.Mapped[int | None] = ok_orm.mapped_column(
        ormkit.ForeignKey("authors.id"), nullable=True
    )
    author: ok_orm.Mapped[OkAuthor | None] = ok_orm.relationship(back_populates="books")


class SaBase(sa_orm.DeclarativeBase):
    pass


class SaAuthor(SaBase):
    __tablename__ = "authors"
    id: sa_orm.Mapped[int] = sa_orm.mapped_column(sa.Integer, primary_key=True)
    name: sa_orm.Mapped[str] = sa_orm.mapped_column(sa.String(20))
    books: sa_orm.Mapped[list["SaBook"]] = sa_orm.relationship(back_populates="author")


class SaBook(SaBase):
    __tablename__ = "books"
    id: sa_orm.Mapped[int] = sa_orm.mapped_column(sa.Integer, primary_key=True)
    title: sa_orm.Mapped[str] = sa_orm.mapped_column(sa.String(20))
    author_id: sa_orm.Mapped[int | None] = sa_orm.mapped_column(
        sa.ForeignKey("authors.id"), nullable=True
    )
    author: sa_orm.Mapped[SaAuthor | None] = sa_orm.relationship(back_populates="books")


COLUMNS = ("id", "name")


class Side:
    """One library's engine, session and models."""

    def __init__(self, lib: Any, orm: Any, base: Any, author: Any, book: Any, url: str) -> None:
        self.lib, self.orm, self.Author, self.Book = lib, orm, author, book
        self.engine = lib.create_engine(url)
        base.metadata.create_all(self.engine)
        with orm.Session(self.engine) as s:
            s.add(author(id=1, name="ann", books=[book(id=1, title="a"), book(id=2, title="b")]))
            s.commit()
        self.session = orm.Session(self.engine)

    def close(self) -> None:
        self.session.close()
        self.engine.dispose()


@pytest.fixture
def sides(tmp_path: Path) -> Iterator[tuple[Side, Side]]:
    ok = Side(ormkit, ok_orm, OkBase, OkAuthor, OkBook, f"sqlite:///{tmp_path / 'ok.db'}")
    sa_ = Side(sa, sa_orm, SaBase, SaAuthor, SaBook, f"sqlite:///{tmp_path / 'sa.db'}")
    yield ok, sa_
    ok.close()
    sa_.close()


def _loaded(obj: Any) -> dict[str, Any]:
    values = {k: obj.__dict__[k] for k in COLUMNS if k in obj.__dict__}
    if "books" in obj.__dict__:
        values["books"] = sorted(b.title for b in obj.__dict__["books"])
    return values


def _new(side: Side) -> Any:
    author = side.Author(id=2, name="new")
    side.session.add(author)
    return author


def _loaded_author(side: Side) -> Any:
    return side.session.get(side.Author, 1)


def _modified(side: Side) -> Any:
    author = side.session.get(side.Author, 1)
    author.name = "changed"
    return author


def _expired(side: Side) -> Any:
    author = side.session.get(side.Author, 1)
    side.session.expire(author)
    return author


def _partly_expired(side: Side) -> Any:
    author = side.session.get(side.Author, 1)
    side.session.expire(author, ["name"])
    return author


def _with_collection(side: Side) -> Any:
    author = side.session.get(side.Author, 1)
    assert len(author.books) == 2
    return author


def _deleted(side: Side) -> Any:
    author = side.session.get(side.Author, 1)
    for book in author.books:
        book.author = None
    side.session.flush()
    side.session.delete(author)
    side.session.flush()
    return author


STATES: dict[str, Callable[[Side], Any]] = {
    "new": _new,
    "loaded": _loaded_author,
    "modified": _modified,
    "expired": _expired,
    "partly_expired": _partly_expired,
    "with_collection": _with_collection,
    "deleted": _deleted,
}


@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
@pytest.mark.parametrize("state", list(STATES))
def test_unpickled_copies_agree(sides: tuple[Side, Side], state: str, protocol: int) -> None:
    ok, sa_ = sides
    ok_copy = pickle.loads(pickle.dumps(STATES[state](ok), protocol))
    sa_copy = pickle.loads(pickle.dumps(STATES[state](sa_), protocol))
    assert _loaded(ok_copy) == _loaded(sa_copy)
    assert lifecycle(ormkit.inspect(ok_copy)) == lifecycle(sa.inspect(sa_copy))
    for key in ("name", "books"):
        ok_read = call(lambda c=ok_copy, k=key: _loaded_value(c, k))
        sa_read = call(lambda c=sa_copy, k=key: _loaded_value(c, k))
        if same_outcome(f"{state}: read {key}", ok_read, sa_read):
            assert ok_read == sa_read, f"{state}: read {key}"


def _loaded_value(obj: Any, key: str) -> Any:
    value = getattr(obj, key)
    return sorted(b.title for b in value) if key == "books" else value


@pytest.mark.parametrize("state", ["loaded", "modified", "with_collection"])
def test_merge_of_unpickled_copies_agrees(sides: tuple[Side, Side], state: str) -> None:
    results = []
    for side in sides:
        copy = pickle.loads(pickle.dumps(STATES[state](side)))
        side.session.close()
        with side.orm.Session(side.engine) as fresh:
            merged = fresh.merge(copy)
            assert merged is not copy
            results.append((merged.name, sorted(b.title for b in merged.books)))
            fresh.commit()
        with side.engine.connect() as conn:
            rows = conn.execute(side.lib.text("SELECT id, name FROM authors ORDER BY id"))
            results.append(sorted(tuple(r) for r in rows))
    assert results[0] == results[2] and results[1] == results[3]
