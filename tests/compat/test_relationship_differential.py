"""Relationships, differentially: random programs over related objects, ormkit vs SQLAlchemy 2.x.

The companion of ``test_session_differential.py`` (same approach, same error-kind matching):
a hypothesis ``RuleBasedStateMachine`` applies one random sequence of operations to an ormkit
Session and to a SQLAlchemy Session, each on its own SQLite file, over equivalent models with
relationships on both sides:

* ``Author.books``, one-to-many, ``cascade="all, delete-orphan"``, ordered by ``Book.id``,
  mirrored by ``Book.author`` (many-to-one, ``back_populates``);
* ``Book.tags`` / ``Tag.books``, many-to-many through the ``book_tags`` table.

Operations: new authors (with new books), new books (with or without an author), appending a
book to a collection, setting ``book.author`` (to another author or None), removing a book
from a collection (an orphan), moving a book between authors (remove, then append), adding
and removing tags, ``delete()`` (cascading), ``expunge()``, ``expire()``, ``flush()``,
``commit()``, ``rollback()``, ``expire_all()``, ``close()``, queries with and without
``selectinload()``, and reads of ``author.books`` / ``book.author`` / ``book.tags`` (lazy
loads). The machine keeps parallel handles ``pairs[i] == (kind, ormkit object, SQLAlchemy
object)`` and after every step checks that both sides agree on:

* the committed contents of each database (``authors``, ``books`` with ``author_id``,
  ``tags``, ``book_tags``), read through a raw ``sqlite3`` connection;
* ``session.new`` / ``dirty`` / ``deleted`` (as sets of pair indices);
* each object's lifecycle, identity, ``in session``, and loaded column values;
* the in-memory relationship views of every object whose relationship is loaded on *both*
  sides: which pairs ``author.books`` / ``book.tags`` / ``tag.books`` hold, and which pair
  ``book.author`` is. Related objects the machine has not seen yet (loaded by a query or a
  lazy load) are paired by their identity.

Differences on purpose, deliberately not asserted:

* Both identity maps are weak (SQLAlchemy's and ormkit's): an unmodified object nobody
  references may be dropped and loaded again as a new object. The machine holds every object
  it has seen in ``pairs``, so "the same row gives the same object" is checked only for
  objects somebody holds, which is all the API promises.
* A relationship loaded on one side only is not compared: when (and whether) a relationship
  is loaded is an implementation detail (SQLAlchemy loads ``author.books`` to cascade a
  delete and a book's ``author`` to flush its DELETE, ormkit may fill a collection from a
  backref without SQL); once the object is detached, only the side that loaded it can read
  it, the other raises ``DetachedInstanceError``. A relationship that
  SQLAlchemy *expired* must not be held loaded by ormkit, though (stale data).
* Column values: as in the session machine, SQLAlchemy SELECTs the expired attributes of an
  object it UPDATEs or DELETEs and ormkit does not, so values loaded on the SQLAlchemy side
  only are fine; only values SQLAlchemy expired must be unloaded in ormkit too.
* The order of an in-memory collection after appends and backref events is not compared, only
  its contents (as a multiset of pairs): both load in ``order_by`` order from the database.
* An object whose DELETE was flushed but not committed, then ``close()``d: ormkit reports it
  detached, SQLAlchemy keeps reporting it ``deleted`` (``closed_after_delete``, as in the
  session machine); the machine does not add, expunge or expire such objects (nor an author
  whose loaded ``books`` hold one: SQLAlchemy's save-update cascade refuses it).
* ``delete()`` of an object whose DELETE was already flushed or committed is not done: the
  SQLAlchemy quirk described in the session machine (``deleted_before``); nor of an author
  whose loaded ``books`` hold such a book (the cascade meets the same quirk).
* A detached object attached again for a row that was rolled back, when a new row then
  takes its primary key: both sessions evict it; SQLAlchemy leaves it half attached
  (``inspect()`` still says persistent), ormkit detaches it (as in the session machine).
  When it was deleted before the eviction, SQLAlchemy's rollback puts it back persistent,
  with no row behind it; the machine does not roll back then.
* SQLite foreign keys are turned on for the SQLAlchemy engine too (ormkit always does).
* ``book.author = None`` when ``book.author`` is not loaded and ``author_id`` is None:
  SQLAlchemy counts it a change, and its flush UPDATEs ``author_id`` to NULL; ormkit sends
  nothing (the key is None already). The rows end the same, but when the row is gone (the
  INSERT rolled back, the object detached and attached again) SQLAlchemy's UPDATE raises
  StaleDataError. The machine does not attach such an object again.
* Reading a relationship of an object marked for deletion whose key for it (``id``, or
  ``author_id``) SQLAlchemy loaded earlier (to set ``book.author``, say) and ormkit did not
  (values loaded on the SQLAlchemy side only, as above): SQLAlchemy's lazy load autoflushes
  the DELETE and finds nothing; ormkit first loads the key, which autoflushes too, finds
  the row gone and raises ObjectDeletedError, as SQLAlchemy does when it has not loaded the
  key either. So too once the DELETE is flushed (SQLAlchemy loaded the key to send it).
  Not read then.
* ``book.author = author`` when ``book.author`` is not loaded (expired), or names another
  author, and ``author.books`` is loaded and holds the book already (a collection loaded
  before the book moved elsewhere): SQLAlchemy's backref appends the book to
  ``author.books`` a second time (the list holds it twice until it is loaded again); ormkit
  keeps it once. Nothing different is written. The machine does not set it then. The same
  goes for ``book.tags.append(tag)`` when ``tag.books`` holds the book already (a link
  made, then rolled back: the tag is transient again and its collection keeps the book).
* A tag appended to ``book.tags`` of a book the next flush DELETEs (deleted, or an orphan):
  SQLAlchemy INSERTs the ``book_tags`` row and then DELETEs the book, so the flush fails on
  the foreign key; ormkit writes no link for a deleted book (as it DELETEs the links the
  book had). The machine does not append then, nor ``add()`` again a book or tag whose
  INSERT was rolled back while its collection holds such links.
* ``delete()`` of a book (or tag) whose loaded ``tags`` (``books``) hold an object outside
  the session (detached, say): SQLAlchemy's flush leaves that ``book_tags`` row, with a
  warning that the object is not in the session, and the DELETE then fails on the foreign
  key; ormkit DELETEs every link row of the row it deletes (they belong to that row, not to
  the object at the other end). Not done.
* ``expunge()`` of a book just removed from its author's collection: SQLAlchemy's next flush
  (of the author) still writes None into the expunged book's ``author_id`` in memory; ormkit
  does not touch objects outside the session. Not done. Likewise a book outside the session
  appended to an author's collection: the flush of the author writes its key into the book's
  ``author_id`` in SQLAlchemy only (neither saves the link); that value is not compared.
* ``delete()`` of a detached parent whose collection lost children before it was detached:
  SQLAlchemy's flush writes None into the foreign keys of those children, though they are
  not in the session (and the DELETE then fails on the foreign key, their rows unchanged);
  ormkit does not touch objects outside the session. The machine does not do it.
* A new book given an author whose DELETE was committed, then added: both sessions refuse
  the author in ``add()``'s save-update cascade and keep the book, now pending with a link
  to a deleted object; what the flushes that follow do with that link differs in the details
  (SQLAlchemy may write the deleted author's key, ormkit writes none and warns). The machine
  does not make such books, nor link a book to an author whose DELETE was flushed.
* ``add()`` of a book whose INSERT was rolled back after its ``author`` had changed: the
  attribute's history in SQLAlchemy still names the old author (as if it were committed),
  so its save-update cascade adds that author too; ormkit keeps no committed value for an
  object without a row and adds only what the book links to now. Not done.
* ``selectinload()`` of a collection already loaded on a parent: ormkit leaves that parent
  out of its query (sends none when all are loaded); SQLAlchemy queries for it too and
  keeps the loaded collection, but the rows refresh the expired objects it holds. The
  machine does not send such a query while a loaded collection holds an expired object.
* A collection read on a transient object whose attributes were expired (a pending object
  flushed, expired, then rolled back; or such an object added again, pending): both read it
  empty; SQLAlchemy holds the empty
  collection apart from ``__dict__`` until it is changed (so it stays "expired" there),
  ormkit keeps it in ``__dict__``. No stale data either way: there is no row. For the same
  reason, once such an object is flushed, SQLAlchemy lazy-loads the collection on the next
  read (autoflushing first), ormkit knows it is still empty and sends nothing; the machine
  flushes ormkit there, to keep the two sessions in step.
"""

import contextlib
import functools
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule

import ormkit
import ormkit.orm as ok_orm
from tests.compat.differential import (
    CollectingMachine,
    assert_same_values,
    call,
    deleted_before,
    evicted,
    lifecycle,
    loaded_values,
    machine_settings,
    relationship_outcomes,
    sa_restores_an_evicted_object,
    sa_reverts_deletions,
    sa_row_gone,
    sa_sqlite_engine,
    same_outcome,
)

# -- equivalent models ----------------------------------------------------------------------


class OkBase(ok_orm.DeclarativeBase):
    pass


ok_book_tags = ormkit.Table(
    "book_tags",
    OkBase.metadata,
    ormkit.Column("book_id", ormkit.Integer, ormkit.ForeignKey("books.id"), primary_key=True),
    ormkit.Column("tag_id", ormkit.Integer, ormkit.ForeignKey("tags.id"), primary_key=True),
)


class OkAuthor(OkBase):
    __tablename__ = "authors"
    id: ok_orm.Mapped[int] = ok_orm.mapped_column(
        ormkit.Integer, primary_key=True, autoincrement=True
    )
    name: ok_orm.Mapped[str] = ok_orm.mapped_column(ormkit.String(50), nullable=False)
    books: ok_orm.Mapped[list["OkBook"]] = ok_orm.relationship(
        "OkBook", back_populates="author", cascade="all, delete-orphan", order_by="OkBook.id"
    )


class OkBook(OkBase):
    __tablename__ = "books"
    id: ok_orm.Mapped[int] = ok_orm.mapped_column(
        ormkit.Integer, primary_key=True, autoincrement=True
    )
    title: ok_orm.Mapped[str] = ok_orm.mapped_column(ormkit.String(50), nullable=False)
    author_id: ok_orm.Mapped[int | None] = ok_orm.mapped_column(
        ormkit.Integer, ormkit.ForeignKey("authors.id"), nullable=True
    )
    author: ok_orm.Mapped[Optional["OkAuthor"]] = ok_orm.relationship(
        "OkAuthor", back_populates="books"
    )
    tags: ok_orm.Mapped[list["OkTag"]] = ok_orm.relationship(
        "OkTag", secondary=ok_book_tags, back_populates="books", order_by="OkTag.id"
    )


class OkTag(OkBase):
    __tablename__ = "tags"
    id: ok_orm.Mapped[int] = ok_orm.mapped_column(
        ormkit.Integer, primary_key=True, autoincrement=True
    )
    name: ok_orm.Mapped[str] = ok_orm.mapped_column(ormkit.String(50), nullable=False)
    books: ok_orm.Mapped[list["OkBook"]] = ok_orm.relationship(
        "OkBook", secondary=ok_book_tags, back_populates="tags", order_by="OkBook.id"
    )


class SaBase(sa_orm.DeclarativeBase):
    pass


sa_book_tags = sa.Table(
    "book_tags",
    SaBase.metadata,
    sa.Column("book_id", sa.Integer, sa.ForeignKey("books.id"), primary_key=True),
    sa.Column("tag_id", sa.Integer, sa.ForeignKey("tags.id"), primary_key=True),
)


class SaAuthor(SaBase):
    __tablename__ = "authors"
    id: sa_orm.Mapped[int] = sa_orm.mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    name: sa_orm.Mapped[str] = sa_orm.mapped_column(sa.String(50), nullable=False)
    books: sa_orm.Mapped[list["SaBook"]] = sa_orm.relationship(
        "SaBook", back_populates="author", cascade="all, delete-orphan", order_by="SaBook.id"
    )


class SaBook(SaBase):
    __tablename__ = "books"
    id: sa_orm.Mapped[int] = sa_orm.mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    title: sa_orm.Mapped[str] = sa_orm.mapped_column(sa.String(50), nullable=False)
    author_id: sa_orm.Mapped[int | None] = sa_orm.mapped_column(
        sa.Integer, sa.ForeignKey("authors.id"), nullable=True
    )
    author: sa_orm.Mapped[Optional["SaAuthor"]] = sa_orm.relationship(
        "SaAuthor", back_populates="books"
    )
    tags: sa_orm.Mapped[list["SaTag"]] = sa_orm.relationship(
        "SaTag", secondary=sa_book_tags, back_populates="books", order_by="SaTag.id"
    )


class SaTag(SaBase):
    __tablename__ = "tags"
    id: sa_orm.Mapped[int] = sa_orm.mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    name: sa_orm.Mapped[str] = sa_orm.mapped_column(sa.String(50), nullable=False)
    books: sa_orm.Mapped[list["SaBook"]] = sa_orm.relationship(
        "SaBook", secondary=sa_book_tags, back_populates="tags", order_by="SaBook.id"
    )


#: kind -> (ormkit class, SQLAlchemy class, column attribute names)
MODELS: dict[str, tuple[Any, Any, tuple[str, ...]]] = {
    "author": (OkAuthor, SaAuthor, ("id", "name")),
    "book": (OkBook, SaBook, ("id", "title", "author_id")),
    "tag": (OkTag, SaTag, ("id", "name")),
}
#: kind -> {relationship key: (related kind, is a collection)}
RELATIONSHIPS: dict[str, dict[str, tuple[str, bool]]] = {
    "author": {"books": ("book", True)},
    "book": {"author": ("author", False), "tags": ("tag", True)},
    "tag": {"books": ("book", True)},
}
KIND_OF_CLASS: dict[type, str] = {
    cls: kind for kind, (ok_cls, sa_cls, _) in MODELS.items() for cls in (ok_cls, sa_cls)
}

# -- generated values -----------------------------------------------------------------------

NAMES = st.sampled_from(["ann", "bob", "cy"])
TITLE_STRINGS = st.sampled_from(["t1", "t2", "t3", "t4"])
# None is rare: title is NOT NULL, so the flush fails (IntegrityError) on both sides
TITLES = st.one_of(TITLE_STRINGS, TITLE_STRINGS, TITLE_STRINGS, TITLE_STRINGS, st.none())
TAG_NAMES = st.sampled_from(["red", "blue"])
INDEXES = st.integers(min_value=0, max_value=10_000)
#: None: no author (or a new tag), else an index among the objects of the kind
MAYBE_INDEX = st.one_of(st.none(), INDEXES, INDEXES)
IDENTS = st.integers(min_value=0, max_value=6)

# -- exceptions, compared loosely (as in the session machine) ---------------------------------


def _committed_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """What another connection sees: committed rows only."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=1)
    try:
        return {
            "authors": conn.execute("SELECT id, name FROM authors ORDER BY id").fetchall(),
            "books": conn.execute("SELECT id, title, author_id FROM books ORDER BY id").fetchall(),
            "tags": conn.execute("SELECT id, name FROM tags ORDER BY id").fetchall(),
            "book_tags": conn.execute(
                "SELECT book_id, tag_id FROM book_tags ORDER BY book_id, tag_id"
            ).fetchall(),
        }
    finally:
        conn.close()


def _sa_synced_an_outsider(ok_book: Any, sa_book: Any, ok_session: Any, sa_session: Any) -> bool:
    """A book outside both sessions linked to an author: SQLAlchemy's flushes of the author
    write the key it has then into the book's ``author_id`` in memory (also a flush rolled
    back since), where ormkit writes nothing into objects outside the session (module
    docstring)."""
    if ok_book in ok_session or sa_book in sa_session:
        return False
    return sa_book.__dict__.get("author") is not None


def _sa_remembers_an_old_author(ok_obj: Any, sa_obj: Any) -> bool:
    """A transient book (its INSERT rolled back) whose author changed before that: the old
    author is in SQLAlchemy's history of the attribute only (module docstring)."""
    if not isinstance(ok_obj, OkBook) or not sa.inspect(sa_obj).transient:
        return False
    sa_old = sa.inspect(sa_obj).attrs.author.history.deleted
    return bool(sa_old) and not ormkit.inspect(ok_obj).attrs.author.history.deleted


class _Skip(Exception):
    """Raised by a rule's helper: nothing sensible to do in this state, the step is a no-op."""


def _skippable(fn: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(fn)
    def run(*args: Any, **kw: Any) -> None:
        with contextlib.suppress(_Skip):
            fn(*args, **kw)

    return run


def _has(kind: str) -> Callable[[Any], bool]:
    return lambda self: any(k == kind for k, _, _ in self.pairs)


# -- the machine ----------------------------------------------------------------------------


class RelationshipDifferential(CollectingMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="ormkit-rel-differential-"))
        self.ok_path = self.tmp / "ormkit.db"
        self.sa_path = self.tmp / "sqlalchemy.db"
        self.ok_engine = ormkit.create_engine(f"sqlite:///{self.ok_path}")
        OkBase.metadata.create_all(self.ok_engine)
        self.sa_engine = sa_sqlite_engine(self.sa_path)
        SaBase.metadata.create_all(self.sa_engine)
        self.ok = ok_orm.Session(self.ok_engine)
        self.sa = sa_orm.Session(self.sa_engine)
        #: pairs deleted (flushed, not committed) and then closed: see the module docstring
        self.closed_after_delete: set[int] = set()
        #: pending books removed from a collection: SQLAlchemy expunged them, ormkit drops
        #: them at the next flush (see the module docstring)
        #: books removed from a collection since the last flush() / commit() / rollback() /
        #: close() (a tag appended to one would not be written: module docstring)
        self.orphaned: set[int] = set()
        #: (book, tag) pairs linked since the last flush() / commit() / rollback() / close()
        #: (a link to a book the flush deletes is not made: module docstring)
        self.linked: set[tuple[int, int]] = set()
        #: ids of SQLAlchemy objects its delete() cascade marked: ormkit marks them at the
        #: flush (on purpose, module docstring)
        self.cascaded: set[int] = set()
        #: (kind, ormkit object, SQLAlchemy object): "the same" object on both sides; holding
        #: them here also keeps both (weak) identity maps from dropping them
        self.pairs: list[tuple[str, Any, Any]] = []
        self.ok_index: dict[int, int] = {}
        self.sa_index: dict[int, int] = {}

    def teardown(self) -> None:
        try:
            self.ok.close()
            self.sa.close()
        finally:
            self.ok_engine.dispose()
            self.sa_engine.dispose()
            shutil.rmtree(self.tmp, ignore_errors=True)
            super().teardown()

    # -- bookkeeping --------------------------------------------------------------------------

    def _pair(self, kind: str, ok_obj: Any, sa_obj: Any) -> int:
        """The index of the pair (ok_obj, sa_obj), made when both are new to the machine."""
        i_ok = self.ok_index.get(id(ok_obj))
        i_sa = self.sa_index.get(id(sa_obj))
        assert i_ok == i_sa, (
            f"identity differs: ormkit gave the object of pair {i_ok}, SQLAlchemy the object "
            f"of pair {i_sa}"
        )
        if i_ok is not None:
            return i_ok
        self.pairs.append((kind, ok_obj, sa_obj))
        i = len(self.pairs) - 1
        self.ok_index[id(ok_obj)] = i
        self.sa_index[id(sa_obj)] = i
        return i

    def _pick(self, kind: str, index: int) -> tuple[int, Any, Any]:
        """A pair of ``kind`` that ``_usable()``: the rule is skipped when there is none."""
        which = [i for i, (k, _, _) in enumerate(self.pairs) if k == kind and self._usable(i)]
        if not which:
            raise _Skip
        i = which[index % len(which)]
        return i, self.pairs[i][1], self.pairs[i][2]

    def _usable(self, i: int) -> bool:
        """Not a book SQLAlchemy's delete() cascade marked, which ormkit marks at the flush,
        nor an object detached in ormkit and still deleted in SQLAlchemy, nor one a new row
        evicted (half attached in SQLAlchemy, detached in ormkit: module docstring)."""
        _, ok_obj, sa_obj = self.pairs[i]
        return (
            id(sa_obj) not in self.cascaded
            and i not in self.closed_after_delete
            and not evicted(i, ok_obj, sa_obj, self.ok, self.sa)
        )

    def _loaded_holding_expired(self, key: str) -> bool:
        """Does a loaded ``author.books`` / ``book.tags`` of the oracle hold an object with
        expired attributes? Its selectinload query would refresh that object, ormkit's sends
        none for a collection already loaded (module docstring)."""
        return any(
            sa.inspect(item).expired_attributes
            for _, _, sa_obj in self.pairs
            if sa_obj in self.sa
            for item in sa_obj.__dict__.get(key) or ()
        )

    def _token(self, obj: Any, ok_side: bool) -> Any:
        """How a related object is named in a relationship view: its pair, or its row."""
        if obj is None:
            return None
        index = (self.ok_index if ok_side else self.sa_index).get(id(obj))
        if index is not None:
            return index
        insp = ormkit.inspect(obj) if ok_side else sa.inspect(obj)
        return ("unpaired", KIND_OF_CLASS[type(obj)], insp.identity)

    def _pair_unknown(self, kind: str, ok_items: list[Any], sa_items: list[Any]) -> None:
        """Pair related objects new to the machine on both sides that stand for the same row."""
        ok_rows = {
            ormkit.inspect(o).identity: o
            for o in ok_items
            if o is not None and id(o) not in self.ok_index
        }
        for sa_obj in sa_items:
            if sa_obj is None or id(sa_obj) in self.sa_index:
                continue
            identity = sa.inspect(sa_obj).identity
            if identity is not None and identity in ok_rows:
                self._pair(kind, ok_rows.pop(identity), sa_obj)

    def _compare_objects(self, what: str, kind: str, ok_objs: list[Any], sa_objs: list[Any]):
        """Results holding objects: same length, same pairs, same attribute values."""
        keys = MODELS[kind][2]
        assert len(ok_objs) == len(sa_objs), f"{what}: ormkit {ok_objs!r}, SQLAlchemy {sa_objs!r}"
        for ok_obj, sa_obj in zip(ok_objs, sa_objs, strict=True):
            assert (ok_obj is None) == (sa_obj is None), f"{what}: {ok_obj!r} vs {sa_obj!r}"
            if ok_obj is None:
                continue
            self._pair(kind, ok_obj, sa_obj)
            assert_same_values(what, ok_obj, sa_obj, keys, ("id", "author_id"))

    def _both(self, what: str, ok_fn: Callable[[], Any], sa_fn: Callable[[], Any]) -> Any:
        """Run on both sides; (ok result, sa result) when both returned, else None."""
        ok_res, sa_res = call(ok_fn), call(sa_fn)
        if same_outcome(what, ok_res, sa_res):
            return ok_res, sa_res
        return None

    def _collection(self, what: str, ok_obj: Any, sa_obj: Any, key: str) -> Any:
        """Load a collection on both sides (lazy load, or the loaded one): (ok, sa) or None."""
        deleted = sa_obj in self.sa.deleted or sa.inspect(sa_obj).deleted
        if key in sa_obj.__dict__ and key not in ok_obj.__dict__ and deleted:
            # on purpose (module docstring): SQLAlchemy loaded it at delete() or at the flush
            # of the DELETE, to cascade, so reading it sends no SQL; ormkit's lazy load would
            # autoflush first
            raise _Skip
        if key in ok_obj.__dict__ and key not in sa_obj.__dict__ and deleted:
            raise _Skip  # the same the other way: ormkit's delete() loaded it (link rows)
        if self._sa_holds_a_doomed_key(ok_obj, sa_obj, key):
            raise _Skip  # on purpose (module docstring)
        ok_had, sa_had = key in ok_obj.__dict__, key in sa_obj.__dict__
        if ok_had and not sa_had and sa.inspect(sa_obj).persistent:
            # on purpose (module docstring): ormkit kept the empty collection it read on the
            # object while it was new, SQLAlchemy lazy-loads it now, autoflushing first
            ok_res = call(lambda: (self.ok.flush(), getattr(ok_obj, key))[1])
        else:
            ok_res = call(lambda: getattr(ok_obj, key))
        sa_res = call(lambda: getattr(sa_obj, key))
        got = relationship_outcomes(what, (ok_had, sa_had), ok_res, sa_res)
        if got is not None:
            kind = RELATIONSHIPS[KIND_OF_CLASS[type(ok_obj)]][key][0]
            self._pair_unknown(kind, list(got[0]), list(got[1]))
        return got

    def _sa_holds_a_doomed_key(self, ok_obj: Any, sa_obj: Any, key: str) -> bool:
        """An object marked for deletion (or whose DELETE was flushed) whose key for
        relationship ``key`` (its ``id``, or ``author_id``) SQLAlchemy loaded and ormkit did
        not (module docstring)."""
        if sa_obj not in self.sa.deleted and not sa.inspect(sa_obj).deleted:
            return False
        rel = type(ok_obj).__mapper__.relationships[key]
        names = [rel.parent.key_for_column(c) for c in rel.local_columns]
        return any(n in sa_obj.__dict__ and n not in ok_obj.__dict__ for n in names)

    # -- making objects -----------------------------------------------------------------------

    @rule(name=NAMES, titles=st.lists(TITLES, max_size=2))
    def add_author(self, name: str, titles: list[str | None]) -> None:
        """A new author, with new books in its collection, added to the session."""
        ok_books = [OkBook(title=t) for t in titles]
        sa_books = [SaBook(title=t) for t in titles]
        ok_obj = OkAuthor(name=name, books=ok_books)
        sa_obj = SaAuthor(name=name, books=sa_books)
        self._pair("author", ok_obj, sa_obj)
        for ok_book, sa_book in zip(ok_books, sa_books, strict=True):
            self._pair("book", ok_book, sa_book)
        self._both("add(new author)", lambda: self.ok.add(ok_obj), lambda: self.sa.add(sa_obj))

    @rule(title=TITLES, author=MAYBE_INDEX, add=st.booleans())
    @_skippable
    def add_book(self, title: str | None, author: int | None, add: bool) -> None:
        """A new book, given an author (``Book(author=a)``) or none, added or not."""
        ok_obj, sa_obj = OkBook(title=title), SaBook(title=title)
        self._pair("book", ok_obj, sa_obj)
        if author is not None and _has("author")(self):
            _, ok_author, sa_author = self._pick("author", author)
            if sa.inspect(sa_author).was_deleted:
                return  # on purpose (module docstring): add() refuses the deleted author
            self._both(
                "new book.author = author",
                lambda: setattr(ok_obj, "author", ok_author),
                lambda: setattr(sa_obj, "author", sa_author),
            )
        if add or ok_obj.__dict__.get("author") is not None:
            # a book left out of the session while its author's collection holds it: ormkit
            # adds it at the flush (save-update at flush, see the module docstring)
            self._both("add(new book)", lambda: self.ok.add(ok_obj), lambda: self.sa.add(sa_obj))

    @precondition(lambda self: self.pairs)
    @rule(index=INDEXES)
    def add_again(self, index: int) -> None:
        """``add()`` of a known object: a no-op, or re-attaching a detached one."""
        i = index % len(self.pairs)
        kind, ok_obj, sa_obj = self.pairs[i]
        if not self._usable(i):
            return
        if _sa_remembers_an_old_author(ok_obj, sa_obj):
            return  # on purpose (module docstring)
        if kind == "author" and any(deleted_before(b) for b in sa_obj.__dict__.get("books") or ()):
            return  # on purpose (module docstring): add()'s cascade meets a closed-after-delete
        if self._links_a_doomed_row(kind, sa_obj):
            return  # on purpose (module docstring): a link to a row the flush deletes
        unset = kind == "book" and list(sa.inspect(sa_obj).attrs.author.history.added) == [None]
        if unset and sa_row_gone(self.sa, self.sa_path, "books", sa_obj):
            return  # on purpose (module docstring): SQLAlchemy's UPDATE finds no row
        self._both("add(known object)", lambda: self.ok.add(ok_obj), lambda: self.sa.add(sa_obj))

    @precondition(_has("book"))
    @rule(book=INDEXES, tag=MAYBE_INDEX, name=TAG_NAMES)
    @_skippable
    def add_tag(self, book: int, tag: int | None, name: str) -> None:
        """``book.tags.append(tag)``: a new tag, or a known one not in the collection yet."""
        i_book, ok_book, sa_book = self._pick("book", book)
        if sa_book in self.sa.deleted or (
            i_book in self.orphaned and sa.inspect(sa_book).persistent
        ):
            return  # on purpose (module docstring): a link to a book the flush deletes
        if tag is None or not _has("tag")(self):
            ok_tag, sa_tag = OkTag(name=name), SaTag(name=name)
            i_tag = self._pair("tag", ok_tag, sa_tag)
        else:
            i_tag, ok_tag, sa_tag = self._pick("tag", tag)
        got = self._collection("reading book.tags", ok_book, sa_book, "tags")
        if got is None:
            return
        ok_in = any(t is ok_tag for t in got[0])
        sa_in = any(t is sa_tag for t in got[1])
        assert ok_in == sa_in, f"tag in book.tags: ormkit {ok_in}, SQLAlchemy {sa_in}"
        if ok_in:
            return
        if any(b is sa_book for b in sa_tag.__dict__.get("books") or ()):
            return  # on purpose (module docstring): the backref would append it twice
        if self._both(
            "book.tags.append(tag)", lambda: got[0].append(ok_tag), lambda: got[1].append(sa_tag)
        ):
            self.linked.add((i_book, i_tag))

    @precondition(_has("book"))
    @rule(book=INDEXES, tag=INDEXES)
    @_skippable
    def remove_tag(self, book: int, tag: int) -> None:
        _, ok_book, sa_book = self._pick("book", book)
        got = self._collection("reading book.tags", ok_book, sa_book, "tags")
        if got is None or not got[0]:
            return
        ok_tags, sa_tags = got
        assert len(ok_tags) == len(sa_tags), f"book.tags: {len(ok_tags)} vs {len(sa_tags)}"
        i_ok = self.ok_index.get(id(ok_tags[tag % len(ok_tags)]))
        sa_match = [t for t in sa_tags if self.sa_index.get(id(t)) == i_ok]
        assert i_ok is not None and sa_match, f"book.tags: pair {i_ok} is not on both sides"
        ok_tag = ok_tags[tag % len(ok_tags)]
        self._both(
            "book.tags.remove(tag)",
            lambda: ok_tags.remove(ok_tag),
            lambda: sa_tags.remove(sa_match[0]),
        )

    # -- the one-to-many / many-to-one pair ---------------------------------------------------

    @precondition(lambda self: _has("author")(self) and _has("book")(self))
    @rule(author=INDEXES, book=INDEXES)
    @_skippable
    def append_book(self, author: int, book: int) -> None:
        """``author.books.append(book)``: the book may belong to another author (a move)."""
        _, ok_author, sa_author = self._pick("author", author)
        _, ok_book, sa_book = self._pick("book", book)
        if self._moves_pending_book(sa_book, sa_author):
            return
        if sa.inspect(sa_author).was_deleted:
            return  # on purpose (module docstring): a link to an author whose DELETE went out
        got = self._collection("reading author.books", ok_author, sa_author, "books")
        if got is None:
            return
        ok_in = any(b is ok_book for b in got[0])
        sa_in = any(b is sa_book for b in got[1])
        assert ok_in == sa_in, f"book in author.books: ormkit {ok_in}, SQLAlchemy {sa_in}"
        if ok_in:
            return
        self._both(
            "author.books.append(book)",
            lambda: got[0].append(ok_book),
            lambda: got[1].append(sa_book),
        )

    @precondition(_has("book"))
    @rule(book=INDEXES, author=MAYBE_INDEX)
    @_skippable
    def set_book_author(self, book: int, author: int | None) -> None:
        """``book.author = author`` (or None)."""
        i_book, ok_book, sa_book = self._pick("book", book)
        ok_author = sa_author = None
        if author is not None and _has("author")(self):
            _, ok_author, sa_author = self._pick("author", author)
        if ok_author is None and self._has_new_links(i_book):
            return  # on purpose (module docstring): a link to a book the flush deletes
        if sa_author is not None and sa.inspect(sa_author).was_deleted:
            return  # on purpose (module docstring): a link to an author whose DELETE went out
        if sa_author is not None and sa_book in self.sa.deleted:
            return  # on purpose (README): SQLAlchemy's flush would take the delete() back
        if self._moves_pending_book(sa_book, sa_author):
            return
        if sa_book not in self.sa and sa_author is not None and sa_author in self.sa:
            return  # ormkit would add the book at the next flush (module docstring)
        if (
            sa_author is not None
            and sa_book.__dict__.get("author") is not sa_author
            and any(b is sa_book for b in sa_author.__dict__.get("books", ()))
        ):
            return  # on purpose (module docstring): SQLAlchemy would list the book twice
        self._both(
            f"book.author = {'author' if ok_author is not None else None}",
            lambda: setattr(ok_book, "author", ok_author),
            lambda: setattr(sa_book, "author", sa_author),
        )

    @precondition(_has("author"))
    @rule(author=INDEXES, which=INDEXES)
    @_skippable
    def remove_book(self, author: int, which: int) -> None:
        """``author.books.remove(book)``: the book is an orphan (delete-orphan)."""
        _, ok_author, sa_author = self._pick("author", author)
        got = self._collection("reading author.books", ok_author, sa_author, "books")
        if got is None or not got[0]:
            return
        ok_books, sa_books = got
        ok_book = ok_books[which % len(ok_books)]
        i_ok = self.ok_index.get(id(ok_book))
        sa_match = [b for b in sa_books if self.sa_index.get(id(b)) == i_ok]
        assert i_ok is not None and sa_match, f"author.books: pair {i_ok} is not on both sides"
        if self._has_new_links(i_ok):
            return  # on purpose (module docstring): a link to a book the flush deletes
        if self._both(
            "author.books.remove(book)",
            lambda: ok_books.remove(ok_book),
            lambda: sa_books.remove(sa_match[0]),
        ):
            self._orphaned(i_ok)

    def _moves_pending_book(self, sa_book: Any, sa_author: Any) -> bool:
        """Would this give a pending book, or one outside the session, another author? Not
        done (module docstring): SQLAlchemy expunges a pending book as an orphan of its old
        author and does not put it back; appending a book outside the session cascades
        ``add()`` to its *old* author too (the backref runs after the cascade)."""
        old = sa_book.__dict__.get("author")
        if old is None or old is sa_author:
            return False
        return sa.inspect(sa_book).pending or (sa_book not in self.sa and old not in self.sa)

    def _held_in_session(self, ok_obj: Any) -> bool:
        """Is ``ok_obj`` held by a loaded relationship of another object in the session?"""
        for holder in list(self.ok):
            if holder is ok_obj:
                continue
            for key, (_, is_list) in RELATIONSHIPS[KIND_OF_CLASS[type(holder)]].items():
                value = holder.__dict__.get(key)
                if value is ok_obj or (is_list and value and any(o is ok_obj for o in value)):
                    return True
        return False

    def _links_outside_the_session(self, kind: str, sa_obj: Any) -> bool:
        """Would deleting ``sa_obj`` remove a ``book_tags`` row whose other end is held in a
        loaded collection but is not in the session (module docstring)?"""
        doomed = list(sa_obj.__dict__.get("books") or ()) if kind == "author" else [sa_obj]
        for obj in doomed:
            key = "books" if isinstance(obj, SaTag) else "tags"
            if any(other not in self.sa for other in obj.__dict__.get(key) or ()):
                return True
        return False

    def _links_a_doomed_row(self, kind: str, sa_obj: Any) -> bool:
        """Would ``add()`` of ``sa_obj`` bring links, held by a transient book or tag (its
        INSERT rolled back), to a book or tag the next flush deletes (module docstring)?"""
        added = [sa_obj, *(sa_obj.__dict__.get("books") or ())] if kind == "author" else [sa_obj]
        for obj in added:
            if not sa.inspect(obj).transient:
                continue
            key = "books" if isinstance(obj, SaTag) else "tags"
            for other in obj.__dict__.get(key) or ():
                if other in self.sa.deleted or self.sa_index.get(id(other)) in self.orphaned:
                    return True
        return False

    def _has_new_links(self, i_book: int | None) -> bool:
        """Were tags linked to book ``i_book`` since the last flush?"""
        return any(book == i_book for book, _ in self.linked)

    def _orphaned(self, i: int) -> None:
        """Pair ``i`` was removed from a delete-orphan collection."""
        self.orphaned.add(i)

    @precondition(lambda self: _has("author")(self) and _has("book")(self))
    @rule(book=INDEXES, author=INDEXES)
    @_skippable
    def move_book(self, book: int, author: int) -> None:
        """``book.author.books.remove(book)``, then ``other.books.append(book)``."""
        i_book, ok_book, sa_book = self._pick("book", book)
        _, ok_new, sa_new = self._pick("author", author)
        if self._sa_holds_a_doomed_key(ok_book, sa_book, "author"):
            return  # on purpose (module docstring)
        loaded = ("author" in ok_book.__dict__, "author" in sa_book.__dict__)
        ok_res, sa_res = call(lambda: ok_book.author), call(lambda: sa_book.author)
        got = relationship_outcomes("reading book.author", loaded, ok_res, sa_res)
        if got is None or got[0] is None or got[1] is None:
            return
        ok_old, sa_old = got
        self._pair("author", ok_old, sa_old)
        if ok_old is ok_new or self._moves_pending_book(sa_book, sa_new):
            return
        old_books = self._collection("reading author.books", ok_old, sa_old, "books")
        new_books = self._collection("reading other.books", ok_new, sa_new, "books")
        if old_books is None or new_books is None:
            return
        ok_in = any(b is ok_book for b in old_books[0])
        sa_in = any(b is sa_book for b in old_books[1])
        assert ok_in == sa_in, f"book in book.author.books: ormkit {ok_in}, SQLAlchemy {sa_in}"
        if not ok_in:
            return
        if self._both(
            "book.author.books.remove(book)",
            lambda: old_books[0].remove(ok_book),
            lambda: old_books[1].remove(sa_book),
        ):
            self._orphaned(i_book)
        else:
            return
        self._both(
            "other.books.append(book)",
            lambda: new_books[0].append(ok_book),
            lambda: new_books[1].append(sa_book),
        )

    # -- session operations -------------------------------------------------------------------

    @precondition(lambda self: self.pairs)
    @rule(index=INDEXES)
    def delete(self, index: int) -> None:
        """``delete()`` of any object: an author cascades to its books."""
        i = index % len(self.pairs)
        kind, ok_obj, sa_obj = self.pairs[i]
        if not self._usable(i):
            return
        sa_state = sa.inspect(sa_obj)
        if deleted_before(sa_obj):
            return  # the SQLAlchemy quirk of the module docstring
        if kind == "author" and any(deleted_before(b) for b in sa_obj.__dict__.get("books") or ()):
            return  # the same quirk, met by the delete cascade
        if sa_state.detached and any(a.history.deleted for a in sa_state.attrs):
            return  # on purpose (module docstring): delete() of a detached, changed parent
        if sa_row_gone(self.sa, self.sa_path, MODELS[kind][0].__tablename__, sa_obj):
            return  # on purpose (session machine): delete() of an object without its row
        if kind == "author" and "books" not in sa_obj.__dict__:
            # on purpose (module docstring): SQLAlchemy loads the books to cascade at delete(),
            # which autoflushes (and raises ObjectDeletedError if the row is gone); ormkit
            # loads them at the flush
            if self.sa.new or self.sa.dirty or self.sa.deleted:
                return
            if sa_state.detached and "id" not in sa_obj.__dict__:
                return
        if kind == "book" and any(
            a is not None for a in sa.inspect(sa_obj).attrs.author.history.added
        ):
            return  # on purpose (README): linked since the last flush, SQLAlchemy keeps it
        doomed_books = [i] if kind == "book" else []
        if kind == "author":
            doomed_books = [self.sa_index.get(id(b)) for b in sa_obj.__dict__.get("books") or ()]
        if any(b is not None and self._has_new_links(b) for b in doomed_books):
            return  # on purpose (module docstring): a link to a book the flush deletes
        if self._links_outside_the_session(kind, sa_obj):
            return  # on purpose (module docstring): SQLAlchemy keeps such a link row
        before = {id(o) for o in self.sa.deleted}
        self._both("delete()", lambda: self.ok.delete(ok_obj), lambda: self.sa.delete(sa_obj))
        self.cascaded |= {id(o) for o in self.sa.deleted if o is not sa_obj} - before

    @precondition(lambda self: self.pairs)
    @rule(index=INDEXES)
    def expunge(self, index: int) -> None:
        i = index % len(self.pairs)
        kind, ok_obj, sa_obj = self.pairs[i]
        if not self._usable(i):
            return
        if self._held_in_session(ok_obj):
            return  # ormkit would add it back at the next flush: see the module docstring
        if kind == "book" and i in self.orphaned:
            return  # on purpose (module docstring): SQLAlchemy's flush still changes it
        self._both("expunge()", lambda: self.ok.expunge(ok_obj), lambda: self.sa.expunge(sa_obj))

    @precondition(lambda self: self.pairs)
    @rule(index=INDEXES)
    def expire(self, index: int) -> None:
        i = index % len(self.pairs)
        _, ok_obj, sa_obj = self.pairs[i]
        if not self._usable(i):
            return
        self._both("expire()", lambda: self.ok.expire(ok_obj), lambda: self.sa.expire(sa_obj))

    def _forget_steers(self, flushed: bool) -> None:
        """After an explicit flush / commit / rollback / close: SQLAlchemy has no dirty or
        deleted objects left; ormkit's collections forgot their changes if ``flushed`` and
        their objects are persistent now."""
        self.cascaded.clear()

        def persistent(*indexes: int) -> bool:
            return all(ormkit.inspect(self.pairs[i][1]).persistent for i in indexes)

        if flushed:
            self.linked = {link for link in self.linked if not persistent(*link)}
            self.orphaned = {i for i in self.orphaned if not persistent(i)}

    @rule()
    def flush(self) -> None:
        self._forget_steers(self._both("flush()", self.ok.flush, self.sa.flush) is not None)

    @rule()
    def commit(self) -> None:
        self._forget_steers(self._both("commit()", self.ok.commit, self.sa.commit) is not None)

    @rule()
    def rollback(self) -> None:
        if sa_restores_an_evicted_object(self.sa, [sa_obj for _, _, sa_obj in self.pairs]):
            return  # on purpose (module docstring)
        if sa_reverts_deletions(self.sa, [sa_obj for _, _, sa_obj in self.pairs]):
            return  # on purpose (session machine): a deletion "reverted" onto a rolled-back row
        self._both("rollback()", self.ok.rollback, self.sa.rollback)
        self._forget_steers(flushed=False)

    @rule()
    def close(self) -> None:
        self.closed_after_delete |= {
            i for i, (_, _, sa_obj) in enumerate(self.pairs) if sa.inspect(sa_obj).deleted
        }
        self._both("close()", self.ok.close, self.sa.close)
        self._forget_steers(flushed=False)

    @rule()
    def expire_all(self) -> None:
        self._both("expire_all()", self.ok.expire_all, self.sa.expire_all)

    # -- reading ------------------------------------------------------------------------------

    @rule(eager=st.booleans())
    def query_authors(self, eager: bool) -> None:
        """``select(Author)``, with ``selectinload(Author.books)`` or lazy."""
        ok_stmt = ormkit.select(OkAuthor).order_by(OkAuthor.id)
        sa_stmt = sa.select(SaAuthor).order_by(SaAuthor.id)
        if eager and self._loaded_holding_expired("books"):
            return  # on purpose (module docstring)
        if eager:
            ok_stmt = ok_stmt.options(ok_orm.selectinload(OkAuthor.books))
            sa_stmt = sa_stmt.options(sa_orm.selectinload(SaAuthor.books))
        got = self._both(
            f"select(Author){' + selectinload' if eager else ''}",
            lambda: self.ok.scalars(ok_stmt).all(),
            lambda: self.sa.scalars(sa_stmt).all(),
        )
        if got is not None:
            self._compare_objects("select(Author)", "author", *got)

    @rule(eager=st.booleans())
    def query_books(self, eager: bool) -> None:
        """``select(Book)``, with ``selectinload(Book.tags)`` or lazy."""
        ok_stmt = ormkit.select(OkBook).order_by(OkBook.id)
        sa_stmt = sa.select(SaBook).order_by(SaBook.id)
        if eager and self._loaded_holding_expired("tags"):
            return  # on purpose (module docstring)
        if eager:
            ok_stmt = ok_stmt.options(ok_orm.selectinload(OkBook.tags))
            sa_stmt = sa_stmt.options(sa_orm.selectinload(SaBook.tags))
        got = self._both(
            f"select(Book){' + selectinload' if eager else ''}",
            lambda: self.ok.scalars(ok_stmt).all(),
            lambda: self.sa.scalars(sa_stmt).all(),
        )
        if got is not None:
            self._compare_objects("select(Book)", "book", *got)

    @rule(kind=st.sampled_from(["author", "book", "tag"]), ident=IDENTS)
    def get(self, kind: str, ident: int) -> None:
        ok_cls, sa_cls, _ = MODELS[kind]
        got = self._both(
            f"get({kind}, {ident})",
            lambda: self.ok.get(ok_cls, ident),
            lambda: self.sa.get(sa_cls, ident),
        )
        if got is not None:
            self._compare_objects(f"get({kind}, {ident})", kind, [got[0]], [got[1]])

    @precondition(_has("author"))
    @rule(author=INDEXES)
    @_skippable
    def read_books(self, author: int) -> None:
        """``len(author.books)`` and the sorted titles (a lazy load when not loaded)."""
        _, ok_author, sa_author = self._pick("author", author)
        got = self._collection("reading author.books", ok_author, sa_author, "books")
        if got is None:
            return
        assert len(got[0]) == len(got[1]), f"len(author.books): {len(got[0])} vs {len(got[1])}"
        titles = self._both(
            "titles of author.books",
            lambda: sorted(map(str, (b.title for b in got[0]))),
            lambda: sorted(map(str, (b.title for b in got[1]))),
        )
        if titles is not None:
            assert titles[0] == titles[1], f"titles of author.books: {titles[0]} vs {titles[1]}"

    @precondition(_has("book"))
    @rule(book=INDEXES)
    @_skippable
    def read_author(self, book: int) -> None:
        """``book.author`` and its name."""
        _, ok_book, sa_book = self._pick("book", book)
        if self._sa_holds_a_doomed_key(ok_book, sa_book, "author"):
            return  # on purpose (module docstring)
        loaded = ("author" in ok_book.__dict__, "author" in sa_book.__dict__)
        ok_res, sa_res = call(lambda: ok_book.author), call(lambda: sa_book.author)
        got = relationship_outcomes("reading book.author", loaded, ok_res, sa_res)
        if got is None:
            return
        assert (got[0] is None) == (got[1] is None), f"book.author: {got[0]!r} vs {got[1]!r}"
        if got[0] is not None:
            self._compare_objects("book.author", "author", [got[0]], [got[1]])

    @precondition(_has("book"))
    @rule(book=INDEXES)
    @_skippable
    def read_tags(self, book: int) -> None:
        _, ok_book, sa_book = self._pick("book", book)
        got = self._collection("reading book.tags", ok_book, sa_book, "tags")
        if got is not None:
            names = self._both(
                "names of book.tags",
                lambda: sorted(t.name for t in got[0]),
                lambda: sorted(t.name for t in got[1]),
            )
            if names is not None:
                assert names[0] == names[1], f"names of book.tags: {names[0]} vs {names[1]}"

    # -- invariants ---------------------------------------------------------------------------

    @invariant()
    def databases_agree(self) -> None:
        ok_rows = _committed_rows(self.ok_path)
        sa_rows = _committed_rows(self.sa_path)
        assert ok_rows == sa_rows, f"committed rows: ormkit {ok_rows} vs SQLAlchemy {sa_rows}"

    @invariant()
    def session_collections_agree(self) -> None:
        self.cascaded &= {id(o) for o in self.sa.deleted}  # flushed since: nothing to steer
        for name in ("new", "dirty", "deleted"):
            ok_set = getattr(self.ok, name)
            sa_set = getattr(self.sa, name)
            ok_which = sorted(self.ok_index.get(id(o), -1) for o in ok_set)
            if name == "deleted":
                # on purpose (module docstring): ormkit runs the delete cascade at the flush
                sa_set = [
                    o
                    for o in sa_set
                    if id(o) not in self.cascaded or self.sa_index.get(id(o), -1) in ok_which
                ]
            sa_which = sorted(self.sa_index.get(id(o), -1) for o in sa_set)
            assert ok_which == sa_which, (
                f"session.{name} holds pairs {ok_which} in ormkit, {sa_which} in SQLAlchemy"
            )

    @invariant()
    def objects_agree(self) -> None:
        for i, (kind, ok_obj, sa_obj) in enumerate(self.pairs):
            ok_insp, sa_insp = ormkit.inspect(ok_obj), sa.inspect(sa_obj)
            names = ("transient", "pending", "persistent", "detached", "deleted")
            ok_life, sa_life = lifecycle(ok_insp), lifecycle(sa_insp)
            if i in self.closed_after_delete and sa_insp.deleted:
                assert ok_insp.detached and not ok_insp.deleted, f"pair {i}: {ok_life}"
                continue
            self.closed_after_delete.discard(i)
            if evicted(i, ok_obj, sa_obj, self.ok, self.sa):
                continue
            assert ok_life == sa_life, (
                f"pair {i} ({kind}): ormkit is "
                f"{[n for n, v in zip(names, ok_life, strict=True) if v]}, SQLAlchemy is "
                f"{[n for n, v in zip(names, sa_life, strict=True) if v]}"
            )
            assert ok_insp.identity == sa_insp.identity, (
                f"pair {i} ({kind}) identity: ormkit {ok_insp.identity} vs SQLAlchemy "
                f"{sa_insp.identity}"
            )
            ok_in, sa_in = ok_obj in self.ok, sa_obj in self.sa
            assert ok_in == sa_in, f"pair {i} ({kind}) `in session`: {ok_in} vs {sa_in}"
            keys = MODELS[kind][2]
            ok_loaded, sa_loaded = loaded_values(ok_obj, keys), loaded_values(sa_obj, keys)
            where = f"pair {i} ({kind}) loaded: ormkit {ok_loaded} vs SQLAlchemy {sa_loaded}"
            if kind == "book" and _sa_synced_an_outsider(ok_obj, sa_obj, self.ok, self.sa):
                keys = tuple(k for k in keys if k != "author_id")  # on purpose (README)
            for key in keys:
                if key in ok_loaded and key in sa_loaded:
                    assert ok_loaded[key] == sa_loaded[key], where
                elif key in ok_loaded:
                    assert key not in sa_insp.expired_attributes, where

    @invariant()
    def relationships_agree(self) -> None:
        """Relationships loaded on both sides hold the same pairs (see the module docstring)."""
        for i, (kind, ok_obj, sa_obj) in enumerate(list(self.pairs)):
            if i in self.closed_after_delete:
                continue
            sa_insp = sa.inspect(sa_obj)
            for key, (target, is_list) in RELATIONSHIPS[kind].items():
                ok_has, sa_has = key in ok_obj.__dict__, key in sa_obj.__dict__
                where = f"pair {i} ({kind}).{key}"
                if ok_has and not sa_has and sa_insp.key is None and not ok_obj.__dict__[key]:
                    continue  # on purpose (module docstring): an empty collection read on a
                    # transient (or pending) object, held outside __dict__ by SQLAlchemy
                if ok_has and not sa_has:
                    assert key not in sa_insp.expired_attributes, (
                        f"{where}: SQLAlchemy expired it, ormkit holds {ok_obj.__dict__[key]!r}"
                    )
                if not (ok_has and sa_has):
                    continue
                ok_value, sa_value = ok_obj.__dict__[key], sa_obj.__dict__[key]
                if not is_list:
                    ok_value, sa_value = [ok_value], [sa_value]
                ok_value, sa_value = list(ok_value), list(sa_value)
                self._pair_unknown(target, ok_value, sa_value)
                ok_view = sorted((self._token(o, True) for o in ok_value), key=repr)
                sa_view = sorted((self._token(o, False) for o in sa_value), key=repr)
                assert ok_view == sa_view, f"{where}: ormkit {ok_view} vs SQLAlchemy {sa_view}"


RelationshipDifferential.TestCase.settings = machine_settings(examples=40, steps=25)
TestRelationshipDifferential = RelationshipDifferential.TestCase
