"""What the differential machines of ``tests/compat`` share: running one call on both sides
and comparing the outcomes (exceptions compared by kind), reading an object's state without
SQL, the oracle's SQLite engine, and the hypothesis settings every machine runs with.

SQLAlchemy is the oracle here; ormkit/ never imports it.
"""

from __future__ import annotations

import gc
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, invariant

import ormkit

# -- exceptions, compared loosely -----------------------------------------------------------

#: Exception kinds, most specific first: an exception is the first of these in its MRO.
#: SQLAlchemy's orm.exc.DetachedInstanceError is not an InvalidRequestError, ormkit's is;
#: walking the MRO maps both to "DetachedInstanceError".
KINDS = (
    "PendingRollbackError",
    "DetachedInstanceError",
    "ObjectDeletedError",
    "IntegrityError",
    "StaleDataError",
    "FlushError",
    "UnmappedInstanceError",
    "NoResultFound",
    "MultipleResultsFound",
    "OperationalError",
    "ResourceClosedError",
    "InvalidRequestError",
)


def kind_of(err: BaseException) -> str:
    """The first of KINDS in the exception's MRO (else its own class name)."""
    for cls in type(err).__mro__:
        if cls.__name__ in KINDS:
            return cls.__name__
    return type(err).__name__


class Raised:
    """The outcome of a call that raised."""

    def __init__(self, err: Exception) -> None:
        self.err = err
        self.kind = kind_of(err)

    def __repr__(self) -> str:
        first = (str(self.err).splitlines() or [""])[0][:200]
        return f"raised {type(self.err).__module__}.{type(self.err).__name__}: {first}"


def call(fn: Callable[[], Any]) -> Any:
    """``fn()``, or a Raised for the exception it raised."""
    try:
        return fn()
    except Exception as err:
        return Raised(err)


def same_outcome(what: str, ok: Any, sa_: Any) -> bool:
    """Assert that both raised (the same kind) or both returned; True when both returned."""
    ok_raised, sa_raised = isinstance(ok, Raised), isinstance(sa_, Raised)
    assert ok_raised == sa_raised, f"{what}: ormkit {ok!r} but SQLAlchemy {sa_!r}"
    if ok_raised:
        # on purpose (session machine docstring): a flushed UPDATE of an object whose row is
        # gone is a StaleDataError in ormkit
        gone = ok.kind == "StaleDataError" and (
            sa_.kind == "ObjectDeletedError"
            # (the same, met by an earlier flush of the oracle, and kept as its cause)
            or (sa_.kind == "PendingRollbackError" and "has been deleted" in str(sa_.err))
        )
        # ... and a flush refuses a new object whose attributes were expired before it sends
        # anything; SQLAlchemy sends the other rows first, and may fail on one of them
        refused = "its attributes were expired and its row rolled back" in str(ok.err)
        refused = refused and sa_.kind == "IntegrityError"
        # ... and a cycle, which ormkit finds before it sends anything (README)
        refused = refused or (ok.kind == "CircularDependencyError" and sa_.kind == "IntegrityError")
        assert ok.kind == sa_.kind or gone or refused, (
            f"{what}: ormkit {ok!r} but SQLAlchemy {sa_!r}"
        )
        return False
    return True


def relationship_outcomes(what: str, loaded: tuple[bool, bool], ok: Any, sa_: Any) -> Any:
    """Compare two reads of a relationship that each side had ``loaded`` before the read (or
    not): (ok result, sa result) when both returned, else None.

    A relationship loaded on one side only is an implementation detail (SQLAlchemy loads a
    collection to cascade a delete and a many-to-one when it flushes a DELETE; ormkit keeps
    the empty collection read on a new object): without a session only that side can read
    it, so the other side may raise DetachedInstanceError (or ObjectDeletedError)."""
    ok_had, sa_had = loaded
    if isinstance(ok, Raised) and isinstance(sa_, Raised) and ok.kind == sa_.kind:
        return None  # both failed alike (the flush that came first, say)
    for had, other_had, res in ((ok_had, sa_had, sa_), (sa_had, ok_had, ok)):
        if had and not other_had and isinstance(res, Raised):
            assert res.kind in ("ObjectDeletedError", "DetachedInstanceError"), res
            return None
    return (ok, sa_) if same_outcome(what, ok, sa_) else None


def assert_same_values(
    what: str, ok_obj: Any, sa_obj: Any, keys: tuple[str, ...], generated: tuple[str, ...]
) -> None:
    """Both objects read the same ``keys`` (or raise the same kind). On purpose (module
    docstrings of the machines): a key in ``generated`` that a failed flush gave an object
    now transient is taken back by ormkit and kept by SQLAlchemy."""
    ok_values = call(lambda: tuple(getattr(ok_obj, k) for k in keys))
    sa_values = call(lambda: tuple(getattr(sa_obj, k) for k in keys))
    if not same_outcome(f"{what}: reading a result", ok_values, sa_values):
        return
    if sa.inspect(sa_obj).transient:
        ok_values = tuple(
            s if k in generated and o is None else o
            for k, o, s in zip(keys, ok_values, sa_values, strict=True)
        )
    assert ok_values == sa_values, f"{what}: {ok_values} vs {sa_values}"


# -- state read without SQL -----------------------------------------------------------------


def loaded_values(obj: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    """The attribute values ``obj`` holds now (expired/unloaded ones are absent): no SQL."""
    d = obj.__dict__
    return {k: d[k] for k in keys if k in d}


def lifecycle(insp: Any) -> tuple[bool, ...]:
    """transient, pending, persistent, detached, deleted: as ``inspect()`` reports them."""
    return (insp.transient, insp.pending, insp.persistent, insp.detached, insp.deleted)


def evicted(i: int, ok_obj: Any, sa_obj: Any, ok_session: Any, sa_session: Any) -> bool:
    """Was pair ``i`` evicted by a new row that took its key? On purpose (session machine
    docstring): both sessions evict a detached object attached again for a row rolled back
    once a new row takes its primary key; SQLAlchemy leaves it half attached (``inspect()``
    says persistent), ormkit detaches it. An object loaded for a row that was then rolled
    back, evicted the same way, SQLAlchemy reports "deleted" (its identity map holding the
    new row's object under the same key); ormkit detaches it too."""
    sa_state = sa.inspect(sa_obj)
    ok_state = ormkit.inspect(ok_obj)
    ok_taken = ok_state.key is not None and ok_session.identity_map.get(ok_state.key)
    if (
        sa_state.persistent
        and ok_state.detached
        and ok_taken is not None
        and ok_taken is not ok_obj
        and sa_state.identity == ok_state.identity
    ):
        # which object SQLAlchemy's identity map keeps then varies (the flush replaces the
        # old one, with a warning, and its self-referential bookkeeping may put it back):
        # ormkit keeps the new row's object and detaches the old one
        return True
    if sa_obj in sa_session:
        return False
    if not sa_state.persistent:
        taken = sa_state.key is not None and sa_session.identity_map.get(sa_state.key)
        if not (sa_state.deleted and taken is not None and taken is not sa_obj):
            return False
        # (a real delete, the key then taken by a new object, is "deleted" on both sides)
        return bool(ok_state.detached and ok_obj not in ok_session)
    if ok_state.detached and ok_obj not in ok_session:
        return True
    # SQLAlchemy kept the old object for the key and left this, the new row's, out (above)
    kept = sa_session.identity_map.get(sa_state.key)
    assert kept is not None and kept is not sa_obj and ok_obj in ok_session, (
        f"pair {i}: {lifecycle(ok_state)}"
    )
    return True


def deleted_before(sa_obj: Any) -> bool:
    """True for an object whose DELETE was already flushed (or committed).

    Deleting it again, SQLAlchemy puts it back in its identity map and session.deleted and
    DELETEs the row a second time (warning "expected to delete 1 row(s); 0 were matched").
    That is a quirk of the oracle, not documented behaviour to copy: the machines never do it.
    """
    sa_state = sa.inspect(sa_obj)
    return bool(sa_state.deleted or (sa_state.was_deleted and sa_state.detached))


# -- the oracle's engine --------------------------------------------------------------------


def _sa_foreign_keys_on(dbapi_connection: Any, connection_record: Any) -> None:
    # ormkit enforces foreign keys on SQLite, so the oracle must too
    dbapi_connection.execute("PRAGMA foreign_keys = ON")
    # ... and the driver must not manage transactions itself (session machine: SAVEPOINT)
    dbapi_connection.isolation_level = None


def _sa_emit_begin(connection: Any) -> None:
    # with the driver's own transaction handling off (above), BEGIN is the engine's job
    connection.exec_driver_sql("BEGIN")


def sa_sqlite_engine(path: Path) -> Any:
    """The oracle's engine on ``path``: foreign keys on, BEGIN sent by the engine."""
    engine = sa.create_engine(f"sqlite:///{path}")
    sa.event.listen(engine, "connect", _sa_foreign_keys_on)
    sa.event.listen(engine, "begin", _sa_emit_begin)
    return engine


# -- how the machines run -------------------------------------------------------------------


def machine_settings(examples: int, steps: int) -> settings:
    """The same ``examples`` programs of ``steps`` steps on every run, so CI is repeatable;
    ``ORMKIT_EXPLORE=1`` draws new ones, ``ORMKIT_EXAMPLES=N`` sets how many."""
    return settings(
        derandomize=not os.environ.get("ORMKIT_EXPLORE"),
        max_examples=int(os.environ.get("ORMKIT_EXAMPLES", str(examples))),
        stateful_step_count=steps,
        deadline=None,
        # one divergence at a time, shrunk to its shortest program: several at once take
        # minutes
        report_multiple_bugs=False,
    )


def sa_row_gone(sa_session: Any, sa_path: Path, table: str, sa_obj: Any) -> bool:
    """Whether ``sa_obj`` has an identity whose row is not there (its INSERT was rolled
    back): read on the oracle's open transaction if it has one (on its Connection: no
    autoflush, no transaction begun), else, or when that transaction failed, among the
    committed rows."""
    key = sa.inspect(sa_obj).key
    if key is None:
        return False
    if sa_session.in_transaction():
        try:
            conn = sa_session.connection()
        except sa.exc.PendingRollbackError:
            conn = None  # rolled back in the database already: the committed rows tell
        if conn is not None:
            query = sa.text(f"SELECT 1 FROM {table} WHERE id = :id")
            return conn.execute(query, {"id": key[1][0]}).first() is None
    raw = sqlite3.connect(sa_path, isolation_level=None, timeout=1)
    try:
        found = raw.execute(f"SELECT 1 FROM {table} WHERE id = ?", (key[1][0],)).fetchone()
    finally:
        raw.close()
    return found is None


def sa_reverts_deletions(sa_session: Any, sa_objects: list[Any]) -> bool:
    """Would the oracle's rollback "revert" the deletion of an object whose INSERT it takes
    away (SQLAlchemy puts it back as deleted, ormkit makes it transient, as for any rolled
    back INSERT)? Read from its transactions' bookkeeping."""
    if any(
        sa.inspect(o).detached and getattr(sa.inspect(o), "_deleted", False) for o in sa_objects
    ):
        return True  # expunged after its DELETE was flushed: the same, out of the session
    tx = sa_session._transaction
    while tx is not None:
        if set(tx._new).intersection(tx._deleted) or (
            tx._new and sa_session._deleted and set(tx._new).intersection(sa_session._deleted)
        ):
            return True
        tx = tx._parent
    return False


def sa_restores_an_evicted_object(sa_session: Any, sa_objects: list[Any]) -> bool:
    """Would the oracle's rollback put back, persistent, an object it deleted whose key a
    new row then took (its own row was gone: its INSERT was rolled back)? ormkit leaves it
    detached (a listed difference)."""
    for sa_obj in sa_objects:
        state = sa.inspect(sa_obj)
        if state.deleted and state.key is not None:
            taken = sa_session.identity_map.get(state.key)
            if taken is not None and taken is not sa_obj:
                return True
    return False


class CollectingMachine(RuleBasedStateMachine):
    """A differential machine whose garbage is collected between steps only, and whose
    SQLAlchemy session INSERTs new objects in the order they were added.

    Both identity maps are weak: an object nobody holds leaves them when it is collected,
    and objects in reference cycles go when the cyclic collector runs, which is whenever
    allocations happen to cross its threshold. Left to itself, a replay of a program can
    then evict an object at another moment than the run that found a divergence, and the
    failure does not replay ("flaky"). The collector is off while the machine runs and runs
    once after every step, at the same point on both sides: over the youngest generation
    only (a full collection of the test process's heap after every step would take minutes
    per machine), so what survives one step stays until the program ends.
    """

    def __init__(self) -> None:
        super().__init__()
        gc.disable()

    @invariant()
    def garbage_collected(self) -> None:
        """(Not a comparison: the collection between steps, see the class docstring.)"""
        gc.collect(0)

    @invariant()
    def sa_numbered_in_add_order(self) -> None:
        """(Not a comparison.) SQLAlchemy INSERTs new rows that do not depend on each other
        in the order of a number each object gets when it is added: the size of the
        session's new-object list then. After an expunge (or a dropped orphan) that list is
        shorter, so an object added later can get a smaller number than one added before
        it, or the same one, and ties are taken in hash order: which row gets which
        generated key then differs from run to run. ormkit INSERTs in the order objects
        were added; the machine numbers SQLAlchemy's new objects that way after every step
        (before any flush can see them), so both give the same rows the same keys."""
        session = getattr(self, "sa", None)
        if session is not None:
            for number, obj in enumerate(session.new, start=1):
                sa.inspect(obj).insert_order = number

    def teardown(self) -> None:
        gc.enable()
