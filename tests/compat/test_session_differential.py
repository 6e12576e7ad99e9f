"""The Session, differentially: random programs run on ormkit and on SQLAlchemy 2.x.

A hypothesis ``RuleBasedStateMachine`` applies one random sequence of session operations to
an ormkit Session and to a SQLAlchemy Session, over equivalent models, each on its own SQLite
file. SQLAlchemy is the oracle (ormkit/ never imports it; only this test does). The machine
keeps parallel handles, ``pairs[i] == (ormkit object, SQLAlchemy object)``, to "the same"
object on both sides, and after every step checks that both sides agree on:

* the committed contents of each database (read through a raw ``sqlite3`` connection);
* ``session.new`` / ``dirty`` / ``deleted`` (as sets of pair indices, so no attribute loads);
* each object's lifecycle (``inspect(obj).transient/pending/persistent/detached/deleted``),
  its identity, and which attribute values it holds loaded (``__dict__``, expired or not);
* the results of each operation: values read, query and get results (tuples of attribute
  values, and *which* pair each returned object is), or the kind of exception raised.

* ``in_transaction()`` / ``in_nested_transaction()``, and ``is_active`` of every
  ``begin_nested()`` handle the machine holds.

When one side raises, the other must raise an exception of the same kind (compared loosely by
class name, see ``kind_of`` in ``differential.py``); then the program goes on.

Savepoints: ``with session.begin_nested(): <add / set an attribute / delete / nothing>``,
ended at the block's exit, by a flush inside it, or by an exception (a failing flush, from
``users.name=None`` or a missing ``user_id``, must undo only the savepoint's work), and
explicit ``begin_nested()`` handles (up to three open) that later rules commit or roll back:
the innermost or an outer one, one whose flush failed, or one a session commit, rollback or
close already ended.

Differences on purpose, deliberately not asserted:

* ``Session.commit()`` in ormkit releases the SQLite connection at the end of every
  transaction and sends nothing when nothing happened; SQLAlchemy returns its connection to
  the pool too. Neither is observable through the public API checked here, so the test does
  not look at connections or at the SQL emitted.
* ``Session(autocommit=True)``, a legacy 1.x mode (every flush commits) kept in ormkit for the
  seed notebooks, does not exist in SQLAlchemy 2.x: the machine never uses it.
* ``session.dirty`` is "optimistic" in SQLAlchemy (any attribute set event marks the object,
  even with no net change) and ormkit documents the same; ``is_modified()`` is the exact
  question. Both report the optimistic set, so it is compared as is.
* An object whose DELETE was flushed but not committed, then ``close()``d: the rollback brings
  its row back, so ormkit reports it detached (it can be added to a session again);
  SQLAlchemy keeps reporting it ``deleted`` (and so refuses ``add()``, allows ``expunge()``,
  and begins a transaction when one of its attributes is set or loaded). The machine accepts
  ormkit's answer for such objects and does not add, expunge, change or load them
  (``closed_after_delete``).
* SQLite does not enforce foreign keys unless ``PRAGMA foreign_keys = ON``; ormkit turns it on
  for every SQLite connection, SQLAlchemy leaves the driver default. The SQLAlchemy engine
  turns it on with a connect listener, so that both databases have the same rules.
* SAVEPOINT on SQLite: left to itself, Python's sqlite3 driver sends no BEGIN before a
  SAVEPOINT, so SQLite takes the first SAVEPOINT as the start of the transaction and its
  RELEASE commits everything (SQLAlchemy documents this and the workaround). ormkit sends
  BEGIN itself; the SQLAlchemy engine is given that documented workaround (the driver's
  transaction handling off, BEGIN sent from a "begin" listener: ``sa_sqlite_engine``).
* Flush order between tables: ormkit INSERTs a row before the rows whose foreign keys point
  at it (and DELETEs in the reverse order) from the tables' foreign keys alone; SQLAlchemy
  orders mappers only along ``relationship()``s, so ``add(Address(user_id=1))`` then
  ``add(User())`` fails its foreign key there. ``SaAddress.user`` exists, unused, to give
  SQLAlchemy the same order.
* Rolling back a savepoint while savepoints begun inside it are still open: the database
  goes back to the outer savepoint, but SQLAlchemy only closes the inner ones, so objects
  INSERTed inside them stay ``persistent`` (ormkit makes them transient, their rows being
  gone): ``a = begin_nested(); begin_nested(); with begin_nested(): add(u)``, then
  ``a.rollback()``. The machine rolls back only the innermost open savepoint (committing an
  outer one, which commits the inner ones first, is done).

* A detached object attached again for a row that was rolled back (``u = User(); add(u);
  flush(); close(); add(u)``), when a new row then takes its primary key: both sessions
  evict it (``u in session`` is False). SQLAlchemy leaves it half attached (``inspect(u)``
  still says persistent); ormkit detaches it. The machine accepts detached for such objects.
  The same for an object loaded for that row (a query after the first one was expunged):
  evicted by the new row, SQLAlchemy reports it "deleted", ormkit detached.

* A flush with a new object whose attributes were expired (flushed, expired, rolled back,
  added again): ormkit refuses it before sending anything (InvalidRequestError, as
  SQLAlchemy's own error for such an object), SQLAlchemy first sends the other rows and may
  fail on one of them (IntegrityError); the machine takes one for the other. When such an
  object was UPDATEd (changed while expired, then flushed) before the rollback, SQLAlchemy
  had SELECTed its expired attributes for that UPDATE (see ``_loaded_agree``), so it holds
  them and its INSERT goes through where ormkit's is refused; the machine does not add such
  an object again (``_sa_reloaded_for_update``).
* Flushing a change to an object whose row does not exist (its INSERT was rolled back, and
  it was detached and attached again): SQLAlchemy first SELECTs the attributes it expired
  and raises ObjectDeletedError, ormkit sends the UPDATE and raises StaleDataError (no row
  matched); both are errors of a missing row, so the machine takes one for the other.
  When that flush is the autoflush of ``get()`` of an object holding expired attributes,
  SQLAlchemy takes the flush's ObjectDeletedError for its own finding that the row is gone
  and reports the object deleted; ormkit's stays persistent (the row was never deleted). The
  machine flushes first, as a step of its own, when ``get()`` would find an expired object.
* A row INSERTed and then deleted (flushed, or marked by ``delete()``) in one transaction
  or savepoint, rolled back: SQLAlchemy puts its object back as deleted (the deletion
  "reverted" onto an object whose INSERT is gone), ormkit makes it transient, as for any
  rolled-back INSERT. The machine does not roll back then (``sa_reverts_deletions``), nor
  roll back a savepoint while a ``delete()`` waits for its flush.
* ``delete()`` of an object whose row does not exist (its INSERT was rolled back, and it was
  detached and attached again):
  SQLAlchemy's flush first SELECTs the attributes it expired, to read the primary key, and
  raises ObjectDeletedError; ormkit DELETEs by the identity it holds and warns that no row
  matched, as SQLAlchemy itself does when nothing was expired. The machine does not do it.

* ``merge()`` of an object already pending in the session: SQLAlchemy warns ("this is
  probably not what you want to do") and makes a second pending object, so a second row is
  INSERTed; ormkit gives back the object itself. The machine does not do it.
* ``merge(obj, load=False)`` of a changed object of the session itself: SQLAlchemy marks it
  clean, so its changes are never flushed (and the database keeps the old values); ormkit
  gives back the object with its changes, to be flushed. Not done.
* A bulk UPDATE synchronized into the session (``"evaluate"``, ``"fetch"``) of an attribute a
  new object was never given (``User(name="x")``, no ``age``): SQLAlchemy does not write the
  new value into the object, and later reads of ``age`` give None without a SELECT (the
  attribute is unloaded but not expired), though the row holds the new value; ormkit gives
  the row's value. With ``synchronize_session=False`` too, the next query of that row fills
  the unloaded attribute in SQLAlchemy, where ormkit keeps the None it INSERTed. The machine
  does not send such an UPDATE (``_sa_keeps_unset_age``).
  For the same reason ``merge()`` of such an object copies ``age`` (None) in ormkit and
  leaves the target's value in SQLAlchemy; the machine does not merge it (``_never_set``).
  And ``merge()`` of a copy without ``age`` onto such an object expires ``age`` on the
  target in SQLAlchemy (to be loaded on next read), where ormkit keeps the None; not done.
  Setting such an attribute (to None) is a change in SQLAlchemy and none in ormkit, also once
  the INSERT was rolled back; ``is_modified()`` is not compared then.
* A bulk UPDATE with ``synchronize_session="fetch"`` (or ``"auto"`` falling back to it) whose
  new value is computed from the row
  (``age = age + 1``) of an object holding a value its row no longer has (an earlier bulk
  UPDATE with ``synchronize_session=False``): SQLAlchemy computes the new value in Python
  from the object's stale value, so the object and its row then differ; ormkit takes the
  value the row was given (UPDATE ... RETURNING, which SQLite has). The machine does not
  send it then (``_holds_stale_age``).

Fixed ormkit bugs this machine found, pinned by unit tests in ``tests/orm``: ``expunge()`` of
an object whose DELETE was flushed left it ``deleted``; ``add()`` of such an object was
accepted; a failed flush took back the primary keys it had generated; the evicted object
above stayed in the session; setting an attribute outside a transaction did not begin one.
"""

import contextlib
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule

import ormkit
import ormkit.orm as ok_orm
from ormkit.orm.state import NO_VALUE
from ormkit.orm.state import STATE as OK_STATE
from tests.compat.differential import (
    CollectingMachine,
    Raised,
    call,
    deleted_before,
    evicted,
    lifecycle,
    loaded_values,
    machine_settings,
    sa_reverts_deletions,
    sa_row_gone,
    sa_sqlite_engine,
    same_outcome,
)

# -- equivalent models ----------------------------------------------------------------------


class OkBase(ok_orm.DeclarativeBase):
    pass


class OkUser(OkBase):
    __tablename__ = "users"
    id: ok_orm.Mapped[int] = ok_orm.mapped_column(
        ormkit.Integer, primary_key=True, autoincrement=True
    )
    name: ok_orm.Mapped[str] = ok_orm.mapped_column(ormkit.String(50), nullable=False)
    age: ok_orm.Mapped[int | None] = ok_orm.mapped_column(ormkit.Integer, nullable=True)


class OkAddress(OkBase):
    __tablename__ = "addresses"
    id: ok_orm.Mapped[int] = ok_orm.mapped_column(
        ormkit.Integer, primary_key=True, autoincrement=True
    )
    user_id: ok_orm.Mapped[int | None] = ok_orm.mapped_column(
        ormkit.Integer, ormkit.ForeignKey("users.id"), nullable=True
    )
    email: ok_orm.Mapped[str] = ok_orm.mapped_column(ormkit.String(50), nullable=False)


class SaBase(sa_orm.DeclarativeBase):
    pass


def _sa_reloaded_for_update(ok_obj: Any, sa_obj: Any) -> bool:
    """A transient object whose attributes ormkit still has expired (its INSERT rolled back)
    while SQLAlchemy loaded them all, for an UPDATE it flushed before the rollback."""
    ok_state = ok_obj.__dict__.get(OK_STATE)
    sa_insp = sa.inspect(sa_obj)
    return bool(
        ok_state is not None
        and ok_state.key is None
        and ok_state.expired
        and sa_insp.transient
        and not sa_insp.expired_attributes
    )


class SaUser(SaBase):
    __tablename__ = "users"
    id: sa_orm.Mapped[int] = sa_orm.mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    name: sa_orm.Mapped[str] = sa_orm.mapped_column(sa.String(50), nullable=False)
    age: sa_orm.Mapped[int | None] = sa_orm.mapped_column(sa.Integer, nullable=True)


class SaAddress(SaBase):
    __tablename__ = "addresses"
    id: sa_orm.Mapped[int] = sa_orm.mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    user_id: sa_orm.Mapped[int | None] = sa_orm.mapped_column(
        sa.Integer, sa.ForeignKey("users.id"), nullable=True
    )
    email: sa_orm.Mapped[str] = sa_orm.mapped_column(sa.String(50), nullable=False)
    # never used by the machine: it only makes SQLAlchemy flush users before addresses, as
    # ormkit does from the foreign key alone (module docstring)
    user: sa_orm.Mapped[SaUser | None] = sa_orm.relationship()


#: kind -> (ormkit class, SQLAlchemy class, mapped attribute names, table name)
MODELS: dict[str, tuple[Any, Any, tuple[str, ...], str]] = {
    "user": (OkUser, SaUser, ("id", "name", "age"), "users"),
    "address": (OkAddress, SaAddress, ("id", "user_id", "email"), "addresses"),
}

# -- generated values -----------------------------------------------------------------------

#: Leave the attribute out of the constructor (not the same as passing None).
OMIT = object()

NAME_STRINGS = st.sampled_from(["ann", "bob", "cy", "dee"])
# None is rarer: name is NOT NULL, so it makes the flush fail (IntegrityError) on both sides.
NAME_VALUES = st.one_of(NAME_STRINGS, NAME_STRINGS, NAME_STRINGS, st.none())
AGES = st.one_of(st.integers(min_value=18, max_value=22), st.none())
AGE_OR_OMIT = st.one_of(AGES, st.just(OMIT))
EMAILS = st.one_of(st.sampled_from(["a@x", "b@x", "c@x"]), st.none())
# ids 1..6 exist sometimes, 7 and 8 rarely, 0 never: FK violations and misses happen
USER_IDS = st.integers(min_value=0, max_value=8)
USER_ID_OR_NONE = st.one_of(USER_IDS, st.none(), st.just(OMIT))
INDEXES = st.integers(min_value=0, max_value=10_000)
#: What a ``with session.begin_nested():`` block does inside.
SAVEPOINT_CHANGES = st.sampled_from(["add_user", "add_address", "set", "delete", "nothing"])
# in a savepoint the failing name (NOT NULL) is as common as a good one
SAVEPOINT_NAMES = st.one_of(NAME_STRINGS, st.none())
#: How that block ends: at its ``with`` exit, after a flush inside it, or by an exception.
SAVEPOINT_ENDS = st.sampled_from(["exit", "flush", "raise"])

#: WHERE clauses of the bulk UPDATE/DELETE rule; "name like" cannot be evaluated in Python.
BULK_CRITERIA = st.sampled_from(
    ["age >= 20", "age + 1 > 20", "name == 'bob'", "name != 'bob'", "age != 19", "name like 'b%'"]
)
SYNCHRONIZE = st.sampled_from([False, "evaluate", "fetch", "auto"])


def _bulk_criterion(cls: Any, criterion: str) -> Any:
    """The WHERE clause named by a BULK_CRITERIA string, over ``cls`` (either side's)."""
    return {
        "age >= 20": lambda: cls.age >= 20,
        "age + 1 > 20": lambda: cls.age + 1 > 20,
        "name == 'bob'": lambda: cls.name == "bob",
        "name != 'bob'": lambda: cls.name != "bob",
        "age != 19": lambda: cls.age != 19,
        "name like 'b%'": lambda: cls.name.like("b%"),
    }[criterion]()


# -- savepoints ----------------------------------------------------------------------------


class _Abort(Exception):
    """Raised inside a ``with begin_nested()`` block to leave it by an exception."""


def _in_savepoint(session: Any, change: Callable[[], Any], end: str, connect: bool = False) -> None:
    """``with session.begin_nested(): change()``, ended as ``end`` says (SAVEPOINT_ENDS).

    ``connect`` makes the session use its connection first, so that SQLAlchemy sends its
    SAVEPOINT then, as ormkit always does (test_join_transaction_differential.py)."""
    with session.begin_nested():
        if connect:
            session.connection()
        change()
        if end == "flush":
            session.flush()
        elif end == "raise":
            raise _Abort("leaving the savepoint by an exception")


def _loaded_by_delete(ok_obj: Any, sa_obj: Any, keys: tuple[str, ...]) -> bool:
    """Does SQLAlchemy's object hold one of ``keys`` that ormkit's does not, loaded to DELETE
    (or UPDATE) its row (module docstring)? Only for objects deleted, left transient, or
    detached (where ormkit cannot load what it does not hold)."""
    sa_state = sa.inspect(sa_obj)
    return bool(sa_state.was_deleted or sa_state.transient or sa_state.detached) and any(
        k in sa_obj.__dict__ and k not in ok_obj.__dict__ for k in keys
    )


def _never_set(ok_obj: Any, sa_obj: Any, keys: tuple[str, ...]) -> bool:
    """Does ormkit hold an attribute SQLAlchemy neither loaded nor expired (one a new object
    was never given, see objects_agree)?"""
    expired = sa.inspect(sa_obj).expired_attributes
    return any(k in ok_obj.__dict__ and k not in sa_obj.__dict__ and k not in expired for k in keys)


def _set_while_unloaded(history: Any) -> bool:
    """A SQLAlchemy attribute history of a value set when none was loaded."""
    return bool(history.added) and not history.deleted and not history.unchanged


def _sa_open_savepoints(session: Any) -> list[Any]:
    """The SQLAlchemy Session's open nested transactions, innermost first."""
    found, tx = [], session.get_nested_transaction()
    while tx is not None and tx.nested:
        found.append(tx)
        tx = tx.parent
    return found


def _committed_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """What another connection sees: committed rows only (WAL or rollback journal alike)."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=1)
    try:
        return {
            "users": conn.execute("SELECT id, name, age FROM users ORDER BY id").fetchall(),
            "addresses": conn.execute(
                "SELECT id, user_id, email FROM addresses ORDER BY id"
            ).fetchall(),
        }
    finally:
        conn.close()


# -- the machine ----------------------------------------------------------------------------


class SessionDifferential(CollectingMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="ormkit-differential-"))
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
        #: (kind, ormkit object, SQLAlchemy object): "the same" object on both sides
        self.pairs: list[tuple[str, Any, Any]] = []
        self.ok_index: dict[int, int] = {}
        self.sa_index: dict[int, int] = {}
        #: open ``begin_nested()`` handles, innermost last: (ormkit, SQLAlchemy); one that a
        #: session commit/rollback/close ended stays here until the machine ends it again
        self.savepoints: list[tuple[Any, Any]] = []
        #: SQLAlchemy began its transaction when an attribute was set, ormkit did not (yet)

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
        """The index of the pair (ok_obj, sa_obj), made when both are new to the machine.

        An object already known on one side must be known on the other, at the same index:
        that is the identity map agreeing ("the same row gives the same object").
        """
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

    def _row_gone(self, kind: str, sa_obj: Any) -> bool:
        return sa_row_gone(self.sa, self.sa_path, MODELS[kind][3], sa_obj)

    def _pick(self, index: int) -> tuple[str, Any, Any]:
        return self.pairs[index % len(self.pairs)]

    def _compare_objects(self, what: str, kind: str, ok_objs: list[Any], sa_objs: list[Any]):
        """Results holding objects: same length, same pairs, same attribute values."""
        keys = MODELS[kind][2]
        assert len(ok_objs) == len(sa_objs), f"{what}: ormkit {ok_objs!r}, SQLAlchemy {sa_objs!r}"
        for ok_obj, sa_obj in zip(ok_objs, sa_objs, strict=True):
            assert (ok_obj is None) == (sa_obj is None), f"{what}: {ok_obj!r} vs {sa_obj!r}"
            if ok_obj is None:
                continue
            self._pair(kind, ok_obj, sa_obj)
            # read without autoflush: SQLAlchemy may load an attribute ormkit holds already
            # (``_loaded_agree``), and the check must not flush one side only
            with self.ok.no_autoflush, self.sa.no_autoflush:
                ok_values = call(lambda o=ok_obj: tuple(getattr(o, k) for k in keys))
                sa_values = call(lambda o=sa_obj: tuple(getattr(o, k) for k in keys))
            if same_outcome(f"{what}: reading a result", ok_values, sa_values):
                assert ok_values == sa_values, f"{what}: {ok_values} vs {sa_values}"

    # -- making objects -----------------------------------------------------------------------

    @rule(name=NAME_VALUES, age=AGE_OR_OMIT)
    def add_user(self, name: str | None, age: Any) -> None:
        kw: dict[str, Any] = {"name": name}
        if age is not OMIT:
            kw["age"] = age
        ok_obj, sa_obj = OkUser(**kw), SaUser(**kw)
        self._pair("user", ok_obj, sa_obj)
        same_outcome(
            "add(new user)", call(lambda: self.ok.add(ok_obj)), call(lambda: self.sa.add(sa_obj))
        )

    @rule(user_id=USER_ID_OR_NONE, email=EMAILS)
    def add_address(self, user_id: Any, email: str | None) -> None:
        kw: dict[str, Any] = {"email": email}
        if user_id is not OMIT:
            kw["user_id"] = user_id
        ok_obj, sa_obj = OkAddress(**kw), SaAddress(**kw)
        self._pair("address", ok_obj, sa_obj)
        same_outcome(
            "add(new address)",
            call(lambda: self.ok.add(ok_obj)),
            call(lambda: self.sa.add(sa_obj)),
        )

    @precondition(lambda self: self.pairs)
    @rule(index=INDEXES)
    def add_again(self, index: int) -> None:
        """add() of a known object: pending/persistent (no-op), detached, transient, deleted."""
        _, ok_obj, sa_obj = self._pick(index)
        if self.ok_index[id(ok_obj)] in self.closed_after_delete:
            return  # on purpose (module docstring): detached in ormkit, still deleted there
        if _sa_reloaded_for_update(ok_obj, sa_obj):
            return  # on purpose (module docstring): ormkit refuses its INSERT, SQLAlchemy not
        same_outcome(
            "add(known object)",
            call(lambda: self.ok.add(ok_obj)),
            call(lambda: self.sa.add(sa_obj)),
        )

    # -- attributes ---------------------------------------------------------------------------

    @precondition(lambda self: self.pairs)
    @rule(index=INDEXES, which=st.integers(0, 1), name=NAME_VALUES, age=AGES, uid=USER_IDS)
    def set_attribute(self, index: int, which: int, name: Any, age: Any, uid: Any) -> None:
        if self.ok_index[id(self._pick(index)[1])] in self.closed_after_delete:
            return  # on purpose (module docstring): detached in ormkit, still deleted there
        what, ok_set, sa_set = self._setting(index, which, name, age, uid)
        same_outcome(what, call(ok_set), call(sa_set))

    def _setting(
        self, index: int, which: int, name: Any, age: Any, uid: Any
    ) -> tuple[str, Callable[[], None], Callable[[], None]]:
        """Setting one attribute of a known object: (description, ormkit, SQLAlchemy)."""
        kind, ok_obj, sa_obj = self._pick(index)
        if kind == "user":
            key, value = ("name", name) if which == 0 else ("age", age)
        else:
            key, value = ("email", name and f"{name}@x") if which == 0 else ("user_id", uid)
        if value is None and _never_set(ok_obj, sa_obj, (key,)):
            # on purpose (module docstring): a change in SQLAlchemy only (its UPDATE fails
            # where the row is gone); both sides leave it alone
            return (f"(not setting {kind}.{key} = None)", lambda: None, lambda: None)
        return (
            f"setting {kind}.{key} = {value!r}",
            lambda: setattr(ok_obj, key, value),
            lambda: setattr(sa_obj, key, value),
        )

    @precondition(lambda self: self.pairs)
    @rule(index=INDEXES, which=st.integers(0, 2))
    def read_attribute(self, index: int, which: int) -> None:
        """Reading may load an expired attribute, or fail (detached, deleted, row gone)."""
        kind, ok_obj, sa_obj = self._pick(index)
        key = MODELS[kind][2][which]
        i = self.ok_index[id(ok_obj)]
        if key not in ok_obj.__dict__ and evicted(i, ok_obj, sa_obj, self.ok, self.sa):
            return  # on purpose (module docstring): SQLAlchemy's would load the new row's values
        if self.ok_index[id(ok_obj)] in self.closed_after_delete and key not in ok_obj.__dict__:
            # on purpose (module docstring): detached in ormkit, so reading raises
            # DetachedInstanceError; SQLAlchemy's deleted object begins a transaction to load
            return
        loaded_by_delete = _loaded_by_delete(ok_obj, sa_obj, (key,))
        # held on one side only (objects_agree allows it): the other side's load must not
        # autoflush, or one session would flush alone; the row's value is the same either way
        ok_held, sa_held = key in ok_obj.__dict__, key in sa_obj.__dict__
        with (
            self.ok.no_autoflush if sa_held and not ok_held else contextlib.nullcontext(),
            self.sa.no_autoflush if ok_held and not sa_held else contextlib.nullcontext(),
        ):
            ok_value = call(lambda: getattr(ok_obj, key))
            sa_value = call(lambda: getattr(sa_obj, key))
        if (
            isinstance(ok_value, Raised)
            and ok_value.kind == "PendingRollbackError"
            and not self.ok.is_active
            and sa_held
            and not ok_held
        ):
            # see objects_agree(): SQLAlchemy loaded the value to UPDATE or DELETE the row,
            # ormkit did not, and a failed flush since makes both refuse a load until rollback
            return
        if loaded_by_delete and isinstance(ok_value, Raised):
            # see objects_agree(): SQLAlchemy loaded the value to UPDATE or DELETE the row,
            # ormkit did not (and the rollback since left the object transient, expired)
            assert ok_value.kind in ("ObjectDeletedError", "DetachedInstanceError"), ok_value
            return
        if same_outcome(f"reading {kind}.{key}", ok_value, sa_value):
            assert ok_value == sa_value, f"reading {kind}.{key}: {ok_value!r} vs {sa_value!r}"

    # -- session operations -------------------------------------------------------------------

    @precondition(lambda self: self.pairs)
    @rule(index=INDEXES)
    def delete(self, index: int) -> None:
        kind, ok_obj, sa_obj = self._pick(index)
        if deleted_before(sa_obj):
            return
        if self._row_gone(kind, sa_obj):
            return  # on purpose (module docstring): deleting an object whose row is gone
        same_outcome(
            "delete()", call(lambda: self.ok.delete(ok_obj)), call(lambda: self.sa.delete(sa_obj))
        )

    @precondition(lambda self: self.pairs)
    @rule(index=INDEXES)
    def expunge(self, index: int) -> None:
        _, ok_obj, sa_obj = self._pick(index)
        if self.ok_index[id(ok_obj)] in self.closed_after_delete:
            return  # on purpose (module docstring): detached in ormkit, still deleted there
        if sa.inspect(sa_obj).persistent and sa_obj not in self.sa:
            return  # on purpose (module docstring): evicted, detached in ormkit only
        same_outcome(
            "expunge()",
            call(lambda: self.ok.expunge(ok_obj)),
            call(lambda: self.sa.expunge(sa_obj)),
        )

    @rule()
    def flush(self) -> None:
        same_outcome("flush()", call(self.ok.flush), call(self.sa.flush))

    @rule()
    def commit(self) -> None:
        same_outcome("commit()", call(self.ok.commit), call(self.sa.commit))

    @rule()
    def rollback(self) -> None:
        if sa_reverts_deletions(self.sa, [o for _, _, o in self.pairs]):
            return
        same_outcome("rollback()", call(self.ok.rollback), call(self.sa.rollback))

    @rule()
    def close(self) -> None:
        self.closed_after_delete |= {
            i for i, (_, _, sa_obj) in enumerate(self.pairs) if sa.inspect(sa_obj).deleted
        }
        same_outcome("close()", call(self.ok.close), call(self.sa.close))

    @precondition(lambda self: self.pairs)
    @rule(index=INDEXES)
    def expire(self, index: int) -> None:
        _, ok_obj, sa_obj = self._pick(index)
        same_outcome(
            "expire()", call(lambda: self.ok.expire(ok_obj)), call(lambda: self.sa.expire(sa_obj))
        )

    @rule()
    def expire_all(self) -> None:
        same_outcome("expire_all()", call(self.ok.expire_all), call(self.sa.expire_all))

    # -- savepoints ---------------------------------------------------------------------------

    @rule(
        change=SAVEPOINT_CHANGES,
        name=SAVEPOINT_NAMES,
        age=AGE_OR_OMIT,
        user_id=USER_ID_OR_NONE,
        email=EMAILS,
        index=INDEXES,
        which=st.integers(0, 1),
        end=SAVEPOINT_ENDS,
    )
    def savepoint_block(
        self,
        change: str,
        name: Any,
        age: Any,
        user_id: Any,
        email: Any,
        index: int,
        which: int,
        end: str,
    ) -> None:
        """``with session.begin_nested(): <one change>``: a flush failing at the block's end or
        inside it, or an exception leaving it, undoes only the savepoint's work (the SQLAlchemy
        documented pattern ``try: with session.begin_nested(): ... except IntegrityError``)."""
        ok_change: Callable[[], None]
        sa_change: Callable[[], None]
        if change in ("add_user", "add_address"):
            if change == "add_user":
                kind, kw = "user", {"name": name, "age": age}
            else:
                kind, kw = "address", {"email": email, "user_id": user_id}
            kw = {k: v for k, v in kw.items() if v is not OMIT}
            ok_obj, sa_obj = MODELS[kind][0](**kw), MODELS[kind][1](**kw)
            self._pair(kind, ok_obj, sa_obj)
            what = f"add(new {kind} {kw})"
            ok_change, sa_change = (
                lambda: self.ok.add(ok_obj),
                lambda: self.sa.add(sa_obj),
            )
        elif change == "set" and self.pairs:
            uid = 0 if user_id in (None, OMIT) else user_id
            value = None if age is OMIT else age  # OMIT is for constructors only
            what, ok_change, sa_change = self._setting(index, which, name, value, uid)
        elif change == "delete" and self.pairs:
            kind, ok_obj, sa_obj = self._pick(index)
            if deleted_before(sa_obj) or sa_obj in self.sa.deleted or self._row_gone(kind, sa_obj):
                return  # begin_nested() flushes a pending delete(): this one would be a second
            what = f"delete(pair {index % len(self.pairs)})"
            ok_change, sa_change = (
                lambda: self.ok.delete(ok_obj),
                lambda: self.sa.delete(sa_obj),
            )
        else:
            what, ok_change, sa_change = "nothing", lambda: None, lambda: None
        same_outcome(
            f"with begin_nested(): {what}, ended by {end}",
            call(lambda: _in_savepoint(self.ok, ok_change, end)),
            call(lambda: _in_savepoint(self.sa, sa_change, end)),
        )

    @precondition(lambda self: len(self.savepoints) < 3)
    @rule()
    def begin_nested(self) -> None:
        """An explicit savepoint (it flushes first), ended later by end_savepoint."""
        ok_tx, sa_tx = call(self.ok.begin_nested), call(self.sa.begin_nested)
        if same_outcome("begin_nested()", ok_tx, sa_tx):
            self.savepoints.append((ok_tx, sa_tx))

    @precondition(lambda self: self.savepoints)
    @rule(index=INDEXES, commit=st.booleans())
    def end_savepoint(self, index: int, commit: bool) -> None:
        """commit() or rollback() of a begin_nested() handle: the innermost or an outer one
        (which ends those inside it too), maybe one whose flush failed, or one that a
        session commit/rollback/close already ended."""
        i = index % len(self.savepoints)
        ok_tx, sa_tx = self.savepoints[i]
        if not commit and any(
            tx in _sa_open_savepoints(self.sa) for _, tx in self.savepoints[i + 1 :]
        ):
            return  # the oracle's bug with savepoints open inside this one (module docstring)
        if (
            not commit
            and sa_tx.is_active
            and (self.sa.deleted or sa_reverts_deletions(self.sa, [o for _, _, o in self.pairs]))
        ):
            return  # the oracle's "reverted" deletions (module docstring)
        method = "commit" if commit else "rollback"
        ok_res = call(getattr(ok_tx, method))
        sa_res = call(getattr(sa_tx, method))
        if same_outcome(f"savepoint {i} of {len(self.savepoints)}: {method}()", ok_res, sa_res):
            del self.savepoints[i:]
        elif not commit:
            del self.savepoints[i]

    # -- reading ------------------------------------------------------------------------------

    @rule(kind=st.sampled_from(["user", "address"]))
    def select_all(self, kind: str) -> None:
        ok_cls, sa_cls, _, _ = MODELS[kind]
        ok_res = call(lambda: self.ok.scalars(ormkit.select(ok_cls).order_by(ok_cls.id)).all())
        sa_res = call(lambda: self.sa.scalars(sa.select(sa_cls).order_by(sa_cls.id)).all())
        if same_outcome(f"select({kind}) ordered by id", ok_res, sa_res):
            self._compare_objects(f"select({kind})", kind, ok_res, sa_res)

    @rule(name=NAME_STRINGS)
    def query_filter_by_name(self, name: str) -> None:
        ok_res = call(lambda: self.ok.query(OkUser).filter_by(name=name).order_by(OkUser.id).all())
        sa_res = call(lambda: self.sa.query(SaUser).filter_by(name=name).order_by(SaUser.id).all())
        if same_outcome(f"query(User).filter_by(name={name!r})", ok_res, sa_res):
            self._compare_objects(f"filter_by(name={name!r})", "user", ok_res, sa_res)

    @rule(age=st.integers(min_value=17, max_value=23))
    def select_filter_age(self, age: int) -> None:
        ok_res = call(
            lambda: self.ok.scalars(
                ormkit.select(OkUser).where(OkUser.age >= age).order_by(OkUser.id)
            ).all()
        )
        sa_res = call(
            lambda: self.sa.scalars(
                sa.select(SaUser).where(SaUser.age >= age).order_by(SaUser.id)
            ).all()
        )
        if same_outcome(f"select(User).where(age >= {age})", ok_res, sa_res):
            self._compare_objects(f"where(age >= {age})", "user", ok_res, sa_res)

    @rule(kind=st.sampled_from(["user", "address"]), ident=USER_IDS)
    def get(self, kind: str, ident: int) -> None:
        ok_cls, sa_cls, _, _ = MODELS[kind]
        held = self.sa.identity_map.get(sa_orm.util.identity_key(sa_cls, ident))
        if held is not None and sa.inspect(held).expired_attributes:
            # on purpose (module docstring): the autoflush first, as a step of its own
            same_outcome("flush before get()", call(self.ok.flush), call(self.sa.flush))
        ok_res = call(lambda: self.ok.get(ok_cls, ident))
        sa_res = call(lambda: self.sa.get(sa_cls, ident))
        if same_outcome(f"get({kind}, {ident})", ok_res, sa_res):
            self._compare_objects(f"get({kind}, {ident})", kind, [ok_res], [sa_res])

    # -- the rest of the Session API ------------------------------------------------------------

    @precondition(lambda self: self.pairs)
    @rule(index=INDEXES)
    def refresh(self, index: int) -> None:
        _, ok_obj, sa_obj = self._pick(index)
        same_outcome(
            "refresh()",
            call(lambda: self.ok.refresh(ok_obj)),
            call(lambda: self.sa.refresh(sa_obj)),
        )

    @precondition(lambda self: self.pairs)
    @rule(index=INDEXES)
    def is_modified(self, index: int) -> None:
        kind, ok_obj, sa_obj = self._pick(index)
        if any(k in ok_obj.__dict__ and k not in sa_obj.__dict__ for k in MODELS[kind][2]):
            # see _loaded_agree(): a value ormkit holds and SQLAlchemy never loaded; setting it
            # is a change there (to an unknown value), not in ormkit (to the same value)
            return
        ok_old = ormkit.inspect(ok_obj).committed or {}
        sa_insp = sa.inspect(sa_obj)
        sa_attrs = sa_insp.attrs
        # (a transient object whose INSERT was rolled back compares with that flush in ormkit)
        flushed_once = sa_insp.has_identity or ok_obj.__dict__[OK_STATE].flushed_values
        if flushed_once and any(
            ok_old.get(k) is not NO_VALUE and _set_while_unloaded(sa_attrs[k].history)
            for k in MODELS[kind][2]
        ):
            return  # the same, set after the flush: ormkit knew the value, SQLAlchemy did not
        if any(
            ok_old.get(k, NO_VALUE) is NO_VALUE
            and (sa_attrs[k].history.unchanged or sa_attrs[k].history.deleted)
            for k in MODELS[kind][2]
        ):
            # the same, the other way: a value SQLAlchemy loaded to DELETE the row (which it
            # keeps when that row's INSERT is rolled back, module docstring)
            return
        ok_res = call(lambda: self.ok.is_modified(ok_obj))
        sa_res = call(lambda: self.sa.is_modified(sa_obj))
        if same_outcome("is_modified()", ok_res, sa_res):
            assert ok_res == sa_res, f"is_modified(): ormkit {ok_res} vs SQLAlchemy {sa_res}"

    @precondition(lambda self: self.pairs)
    @rule(index=INDEXES, load=st.booleans())
    def merge_known(self, index: int, load: bool) -> None:
        """merge() of a known object: in this session (itself), detached, transient, deleted."""
        kind, ok_obj, sa_obj = self._pick(index)
        if load and sa.inspect(sa_obj).pending:
            return  # on purpose (module docstring): merge() of a pending object
        if not load and sa.inspect(sa_obj).session is self.sa and sa.inspect(sa_obj).modified:
            return  # on purpose (module docstring): its changes would be forgotten there
        if self._row_gone(kind, sa_obj):
            return  # on purpose (module docstring): ormkit holds values SQLAlchemy must load
        if _loaded_by_delete(ok_obj, sa_obj, MODELS[kind][2]):
            return  # see read_attribute(): SQLAlchemy loaded it to DELETE the row, ormkit did not
        if _never_set(ok_obj, sa_obj, MODELS[kind][2]):
            return  # on purpose (module docstring)
        if load and sa_obj in self.sa.deleted and sa.inspect(sa_obj).expired_attributes:
            return  # its DELETE goes out with merge()'s autoflush: see _loaded_by_delete()
        ok_res = call(lambda: self.ok.merge(ok_obj, load=load))
        sa_res = call(lambda: self.sa.merge(sa_obj, load=load))
        if same_outcome(f"merge(known {kind}, load={load})", ok_res, sa_res):
            self._compare_objects("merge()", kind, [ok_res], [sa_res])

    @rule(ident=USER_IDS, name=NAME_STRINGS, age=AGE_OR_OMIT)
    def merge_copy(self, ident: int, name: str, age: Any) -> None:
        """merge() of a new User naming a primary key: the row's object updated, or a new one."""
        kw: dict[str, Any] = {"id": ident, "name": name}
        if age is not OMIT:
            kw["age"] = age
        sa_target = self.sa.identity_map.get(sa_orm.util.identity_key(SaUser, ident))
        ok_target = self.ok.identity_map.get((OkUser, (ident,)))
        left_out = tuple(k for k in MODELS["user"][2] if k not in kw)
        if None not in (sa_target, ok_target) and _never_set(ok_target, sa_target, left_out):
            return  # on purpose (module docstring): SQLAlchemy expires it on the target
        ok_res = call(lambda: self.ok.merge(OkUser(**kw)))
        sa_res = call(lambda: self.sa.merge(SaUser(**kw)))
        if same_outcome(f"merge(User({kw}))", ok_res, sa_res):
            self._compare_objects("merge()", "user", [ok_res], [sa_res])

    @rule(
        criterion=BULK_CRITERIA,
        value=st.one_of(AGES, st.just("age + 1")),
        sync=SYNCHRONIZE,
        delete=st.booleans(),
    )
    def bulk(self, criterion: str, value: Any, sync: Any, delete: bool) -> None:
        """ORM-enabled UPDATE/DELETE of users with each synchronize_session value."""

        def statement(lib: Any, cls: Any) -> Any:
            where = _bulk_criterion(cls, criterion)
            if delete:
                stmt = lib.delete(cls).where(where)
            else:
                new = cls.age + 1 if value == "age + 1" else value
                stmt = lib.update(cls).where(where).values(age=new)
            return stmt

        if not delete and self._sa_keeps_unset_age():
            return  # on purpose (module docstring)
        if sync in ("evaluate", "auto") and not self._evaluates_alike(criterion.split()[0]):
            return
        if sync in ("fetch", "auto") and value == "age + 1" and self._holds_stale_age():
            return  # on purpose (module docstring)
        options = {"synchronize_session": sync}
        what = f"{'delete' if delete else f'update age={value}'} where {criterion}, sync={sync!r}"
        ok_res = call(
            lambda: self.ok.execute(statement(ormkit, OkUser), execution_options=options).rowcount
        )
        sa_res = call(
            lambda: self.sa.execute(statement(sa, SaUser), execution_options=options).rowcount
        )
        if same_outcome(what, ok_res, sa_res):
            assert ok_res == sa_res, f"{what}: rowcount {ok_res} vs {sa_res}"

    def _evaluates_alike(self, key: str) -> bool:
        """Flush both sessions (as the bulk statement's autoflush would), then: does every
        user hold ``key`` on both sides or on neither? On purpose (module docstring),
        SQLAlchemy loads an object's expired columns to flush its UPDATE, so its evaluation
        would match an object whose value ormkit does not hold."""
        ok_res, sa_res = call(self.ok.flush), call(self.sa.flush)
        if not same_outcome("flush before a bulk statement", ok_res, sa_res):
            return False
        return not any(
            key in sa_obj.__dict__ and key not in ok_obj.__dict__
            for kind, ok_obj, sa_obj in self.pairs
            if kind == "user"
        )

    def _holds_stale_age(self) -> bool:
        """Does a user of ormkit's session hold an ``age`` its row (as this transaction sees
        it, after a flush) no longer has? Outside a transaction every object was expired."""
        if not self.ok.in_transaction():
            return False
        ok_res, sa_res = call(self.ok.flush), call(self.sa.flush)
        if not same_outcome("flush before a bulk statement", ok_res, sa_res):
            return True
        read = call(lambda: self.ok.execute(ormkit.text("SELECT id, age FROM users")).all())
        if isinstance(read, Raised):
            return False  # (a session refusing work: the bulk statement raises on both sides)
        rows = dict(read)
        return any(
            "age" in ok_obj.__dict__
            and ok_obj.__dict__.get("id") in rows
            and rows[ok_obj.__dict__["id"]] != ok_obj.__dict__["age"]
            for kind, ok_obj, _ in self.pairs
            if kind == "user" and ok_obj in self.ok
        )

    def _sa_keeps_unset_age(self) -> bool:
        """Does SQLAlchemy's session hold a user whose ``age`` was never given nor expired?"""
        for kind, _, sa_obj in self.pairs:
            insp = sa.inspect(sa_obj)
            if (
                kind == "user"
                and insp.session is self.sa
                and "age" not in sa_obj.__dict__
                and "age" not in insp.expired_attributes
            ):
                return True
        return False

    @precondition(lambda self: self.pairs)
    @rule(index=INDEXES, which=st.integers(0, 1), name=NAME_VALUES, age=AGES, uid=USER_IDS)
    def no_autoflush_query(self, index: int, which: int, name: Any, age: Any, uid: Any) -> None:
        """``with session.no_autoflush:`` set an attribute, then query: nothing is flushed."""
        if self.ok_index[id(self._pick(index)[1])] in self.closed_after_delete:
            return  # on purpose (module docstring): detached in ormkit, still deleted there
        what, ok_set, sa_set = self._setting(index, which, name, age, uid)

        def run(session: Any, change: Callable[[], None], lib: Any, cls: Any) -> list[Any]:
            with session.no_autoflush:
                change()
                return list(session.scalars(lib.select(cls).order_by(cls.id)).all())

        ok_res = call(lambda: run(self.ok, ok_set, ormkit, OkUser))
        sa_res = call(lambda: run(self.sa, sa_set, sa, SaUser))
        if same_outcome(f"with no_autoflush: {what}; select(User)", ok_res, sa_res):
            self._compare_objects("no_autoflush select(User)", "user", ok_res, sa_res)

    # -- invariants ---------------------------------------------------------------------------

    @invariant()
    def databases_agree(self) -> None:
        ok_rows = _committed_rows(self.ok_path)
        sa_rows = _committed_rows(self.sa_path)
        assert ok_rows == sa_rows, f"committed rows: ormkit {ok_rows} vs SQLAlchemy {sa_rows}"

    @invariant()
    def transactions_agree(self) -> None:
        ok_state = (self.ok.in_transaction(), self.ok.in_nested_transaction())
        sa_state = (self.sa.in_transaction(), self.sa.in_nested_transaction())
        assert ok_state == sa_state, (
            f"(in_transaction(), in_nested_transaction()): ormkit {ok_state} vs "
            f"SQLAlchemy {sa_state}"
        )
        ok_active = [ok_tx.is_active for ok_tx, _ in self.savepoints]
        sa_active = [sa_tx.is_active for _, sa_tx in self.savepoints]
        assert ok_active == sa_active, (
            f"savepoints' is_active: ormkit {ok_active} vs SQLAlchemy {sa_active}"
        )

    @invariant()
    def session_collections_agree(self) -> None:
        for name in ("new", "dirty", "deleted"):
            ok_set = getattr(self.ok, name)
            sa_set = getattr(self.sa, name)
            assert len(ok_set) == len(sa_set), (
                f"len(session.{name}): ormkit {len(ok_set)} vs SQLAlchemy {len(sa_set)}"
            )
            ok_which = {self.ok_index.get(id(o), -1) for o in ok_set}
            sa_which = {self.sa_index.get(id(o), -1) for o in sa_set}
            assert ok_which == sa_which, (
                f"session.{name} holds pairs {sorted(ok_which)} in ormkit, "
                f"{sorted(sa_which)} in SQLAlchemy"
            )

    @invariant()
    def objects_agree(self) -> None:
        for i, (kind, ok_obj, sa_obj) in enumerate(self.pairs):
            ok_insp, sa_insp = ormkit.inspect(ok_obj), sa.inspect(sa_obj)
            names = ("transient", "pending", "persistent", "detached", "deleted")
            ok_life, sa_life = lifecycle(ok_insp), lifecycle(sa_insp)
            if i in self.closed_after_delete and sa_insp.deleted:
                # on purpose (module docstring): the rolled-back DELETE left a detached object
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
            ok_identity = ok_insp.identity
            sa_identity = sa_insp.identity
            assert ok_identity == sa_identity, (
                f"pair {i} ({kind}) identity: ormkit {ok_identity} vs SQLAlchemy {sa_identity}"
            )
            ok_in, sa_in = ok_obj in self.ok, sa_obj in self.sa
            assert ok_in == sa_in, f"pair {i} ({kind}) `in session`: {ok_in} vs {sa_in}"
            self._loaded_agree(i, kind, ok_obj, sa_obj, sa_insp)

    def _loaded_agree(self, i: int, kind: str, ok_obj: Any, sa_obj: Any, sa_insp: Any) -> None:
        """Loaded values agree, and what is expired on one side is expired on the other.

        Two implementation details (which SELECTs are sent, and when) are allowed to differ:

        * To UPDATE or DELETE an expired object SQLAlchemy first SELECTs its expired attributes
          (it reads the primary key through them); ormkit takes the key from the identity and
          sends no SELECT. So an object may hold values on the SQLAlchemy side only; what is
          then *read* from it must still agree (``read_attribute``).
        * An attribute never given a value (``User(name="x")``: no ``age``) stays unloaded in
          SQLAlchemy after the INSERT, to be SELECTed on first read; ormkit may load it sooner
          (``get()`` of an object with a missing attribute reads the whole row). Only an
          attribute SQLAlchemy *expired* must be unloaded in ormkit too: a value ormkit kept
          where SQLAlchemy expired it is a missed expiry (stale data).
        """
        keys = MODELS[kind][2]
        ok_loaded, sa_loaded = loaded_values(ok_obj, keys), loaded_values(sa_obj, keys)
        where = f"pair {i} ({kind}) loaded attributes: ormkit {ok_loaded} vs SQLAlchemy {sa_loaded}"
        for key in keys:
            if key in ok_loaded and key in sa_loaded:
                assert ok_loaded[key] == sa_loaded[key], where
            elif key in ok_loaded:
                assert key not in sa_insp.expired_attributes, where


SessionDifferential.TestCase.settings = machine_settings(examples=60, steps=30)
TestSessionDifferential = SessionDifferential.TestCase
