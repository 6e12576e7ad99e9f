"""A self-referential many-to-one, differentially: random programs, ormkit vs SQLAlchemy 2.x.

The companion of ``test_session_differential.py`` (same approach, helpers and error-kind
matching) for one table that points at itself: ``Person.manager`` is a many-to-one to another
row of ``people`` (``manager_id``), mirrored by ``Person.reports`` (one-to-many,
``back_populates``, the default cascade). Rules: new people (with a new or a known manager),
``person.manager = <a known person, the person itself, or None>``, ``delete()``,
``expire()``, ``expunge()``, ``flush()``, ``commit()``, ``rollback()``, queries, ``get()``,
and reads of ``manager`` and ``reports``. After every step both sides agree on the committed
rows, ``new`` / ``dirty`` / ``deleted``, each object's lifecycle and loaded values, and the
relationships loaded on both sides (as in the relationship machine).

A row that refers to itself, or new rows that refer to each other, cannot be INSERTed one by
one: both raise ``CircularDependencyError`` at the flush (``post_update=True`` is the fix).
Rows already written that refer to each other are a cycle to SQLAlchemy too as soon as those
references are loaded and the rows are flushed for another reason (it raises), where ormkit
orders only the references it writes; the machine does not flush then
(``_sa_sees_a_cycle_of_written_rows``).

Differences on purpose, deliberately not asserted (see the session machine for the details):
an object deleted, flushed and then ``close()``d is detached in ormkit and still ``deleted``
in SQLAlchemy (``closed_after_delete``); ``delete()`` of an already deleted object is not
done; values loaded on the SQLAlchemy side only (it SELECTs an expired object before its
UPDATE or DELETE) are fine, values SQLAlchemy expired must not be held by ormkit; a flush
that fails (on a cycle found after it INSERTed other rows) leaves the keys it generated on
the objects, now transient, in SQLAlchemy, and takes them back in ormkit (ormkit finds every
cycle before it sends anything, so it also leaves no ``manager_id`` synced by an INSERT or
UPDATE the failed flush sent: SQLAlchemy does; such objects are not linked or compared
again); an empty collection read on a transient object whose attributes were expired is held
in ``__dict__`` by ormkit, apart from it by SQLAlchemy (see the relationship machine); so is
one read on a pending object, and a backref append into it (``p.manager = p``) shows in
ormkit's collection where SQLAlchemy queues it for a load that a rolled-back INSERT then
forgets (it reads the collection of the now transient object empty): ``reports`` held by
ormkit only on a transient object are not compared. A person whose INSERT was rolled back
while a backref link waited on its unloaded ``reports`` keeps that link in SQLAlchemy, whose
next flush of it with a new link fails an internal assertion; the machine does not link such
a person again (``_sa_keeps_links_of_a_rolled_back_row``). A deleted person whose row was
already gone (its INSERT rolled back) and whose key a new row took: SQLAlchemy's rollback
puts it back persistent, with no row behind it, ormkit leaves it detached; the machine does
not roll back then (``sa_restores_an_evicted_object``). Deleting a person whose loaded
``reports`` hold people outside the session: SQLAlchemy's flush sets their ``manager_id`` to
None in memory (not in the database), ormkit leaves them alone; not done (as in the
relationship machine). Likewise for a person outside the session given a manager in it
(the backref appends the outsider to the manager's ``reports``): SQLAlchemy's flush of the
manager writes its key into the outsider's ``manager_id`` in memory, ormkit does not
(neither saves the link, both warn); not done. Setting
``manager`` of a person whose DELETE was flushed, when only
SQLAlchemy loaded it (to flush the DELETE): its backref marks the old manager changed, ormkit
knows no old manager; not done (``_sa_loaded_it_to_delete``). A person deleted after its
``manager`` changed: SQLAlchemy's flush copies the new manager's key into its ``manager_id``
in memory anyway (the row is deleted), ormkit's does not (``_synced_into_a_deleted_row``).
Setting an expired ``manager`` to the person whose loaded ``reports`` already hold it: the
SQLAlchemy backref appends it a second time (as in the relationship machine); not done.
Giving a person that waits for its DELETE a manager: the backref links it into the
manager's ``reports``, and SQLAlchemy's flush cascades save-update from there to it and
takes the ``delete()`` back; ormkit deletes it, as asked. Not done.
"""

import shutil
import sqlite3
import tempfile
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


class OkPerson(OkBase):
    __tablename__ = "people"
    id: ok_orm.Mapped[int] = ok_orm.mapped_column(
        ormkit.Integer, primary_key=True, autoincrement=True
    )
    name: ok_orm.Mapped[str] = ok_orm.mapped_column(ormkit.String(20), nullable=False)
    manager_id: ok_orm.Mapped[int | None] = ok_orm.mapped_column(
        ormkit.Integer, ormkit.ForeignKey("people.id"), nullable=True
    )
    manager: ok_orm.Mapped[Optional["OkPerson"]] = ok_orm.relationship(
        "OkPerson", remote_side="OkPerson.id", back_populates="reports"
    )
    reports: ok_orm.Mapped[list["OkPerson"]] = ok_orm.relationship(
        "OkPerson", back_populates="manager", order_by="OkPerson.id"
    )


class SaBase(sa_orm.DeclarativeBase):
    pass


class SaPerson(SaBase):
    __tablename__ = "people"
    id: sa_orm.Mapped[int] = sa_orm.mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    name: sa_orm.Mapped[str] = sa_orm.mapped_column(sa.String(20), nullable=False)
    manager_id: sa_orm.Mapped[int | None] = sa_orm.mapped_column(
        sa.Integer, sa.ForeignKey("people.id"), nullable=True
    )
    manager: sa_orm.Mapped[Optional["SaPerson"]] = sa_orm.relationship(
        "SaPerson", remote_side="SaPerson.id", back_populates="reports"
    )
    reports: sa_orm.Mapped[list["SaPerson"]] = sa_orm.relationship(
        "SaPerson", back_populates="manager", order_by="SaPerson.id"
    )


KEYS = ("id", "name", "manager_id")

NAMES = st.sampled_from(["ann", "bob", "cy"])
INDEXES = st.integers(min_value=0, max_value=10_000)
#: "self", None (no manager), or the index of a known person
MANAGERS = st.one_of(st.just("self"), st.none(), INDEXES, INDEXES)
IDENTS = st.integers(min_value=0, max_value=6)


def _committed_rows(path: Path) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path, isolation_level=None, timeout=1)
    try:
        return conn.execute("SELECT id, name, manager_id FROM people ORDER BY id").fetchall()
    finally:
        conn.close()


# -- the machine ----------------------------------------------------------------------------


def _sa_keeps_links_of_a_rolled_back_row(sa_obj: Any) -> bool:
    """SQLAlchemy keeps the backref links queued on an object's unloaded collection when the
    object's INSERT is rolled back; flushing it again with a new link then fails an internal
    assertion of SQLAlchemy (``key not in state._pending_mutations``). ormkit drops them."""
    insp = sa.inspect(sa_obj)
    return insp.key is None and bool(insp._pending_mutations)


def _has_cycle(edges: dict[int, set[int]]) -> bool:
    """Does the graph (node -> the nodes it points at) have a cycle (a self-loop too)?"""
    state: dict[int, int] = {}  # 1: on the path, 2: done

    def visit(node: int) -> bool:
        state[node] = 1
        for nxt in edges.get(node, ()):
            if state.get(nxt) == 1 or (nxt not in state and visit(nxt)):
                return True
        state[node] = 2
        return False

    return any(node not in state and visit(node) for node in list(edges))


def _sa_sees_a_cycle_of_written_rows(sa_session: Any) -> bool:
    """Would the oracle's flush find a cycle among its rows through references the flush
    does not change (loaded ``manager`` / ``reports`` of rows it writes for another reason),
    where the references it changes form none? SQLAlchemy raises CircularDependencyError
    then, ormkit orders only what it writes (module docstring)."""
    flushed = {id(o): o for o in [*sa_session.new, *sa_session.dirty]}
    loaded: dict[int, set[int]] = {}
    changed: dict[int, set[int]] = {}
    for key, obj in flushed.items():
        attrs = sa.inspect(obj).attrs
        manager = obj.__dict__.get("manager")
        if manager is not None and id(manager) in flushed:
            loaded.setdefault(key, set()).add(id(manager))
            if sa.inspect(obj).pending or manager in attrs.manager.history.added:
                changed.setdefault(key, set()).add(id(manager))
        for report in obj.__dict__.get("reports") or ():
            if id(report) in flushed:
                loaded.setdefault(id(report), set()).add(key)
                if report in attrs.reports.history.added:
                    changed.setdefault(id(report), set()).add(key)
    return _has_cycle(loaded) and not _has_cycle(changed)


def _sa_loaded_it_to_delete(ok_obj: Any, sa_obj: Any) -> bool:
    """A person whose DELETE was flushed, with ``manager`` loaded by SQLAlchemy only (to
    flush that DELETE): setting it there takes the person out of the old manager's
    ``reports`` (marking that manager changed), where ormkit knows no old manager."""
    return (
        sa_orm.util.was_deleted(sa_obj)
        and "manager" in sa_obj.__dict__
        and "manager" not in ok_obj.__dict__
    )


def _synced_into_a_deleted_row(ok_obj: Any, sa_obj: Any) -> bool:
    """A person whose DELETE was flushed after its ``manager`` changed: SQLAlchemy's flush
    still copied the new manager's key into ``manager_id`` in memory (not into any row),
    ormkit's leaves the deleted object as it was."""
    sa_d, ok_d = sa_obj.__dict__, ok_obj.__dict__
    return (
        sa_orm.util.was_deleted(sa_obj)
        and "manager_id" in sa_d
        and sa_d["manager_id"] != ok_d.get("manager_id", sa_d["manager_id"])
    )


def _left_by_a_failed_flush(ok_obj: Any, sa_obj: Any) -> bool:
    """A transient object holding a key or a ``manager_id`` that SQLAlchemy's failed flush
    gave it (statements sent before it found a cycle) and ormkit's (which sends nothing
    then) did not."""
    if not sa.inspect(sa_obj).transient:
        return False
    sa_d, ok_d = sa_obj.__dict__, ok_obj.__dict__
    if "id" in sa_d and "id" not in ok_d:
        return True
    return "manager_id" in sa_d and sa_d["manager_id"] != ok_d.get("manager_id", sa_d["manager_id"])


class SelfReferenceDifferential(CollectingMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="ormkit-self-ref-differential-"))
        self.ok_path = self.tmp / "ormkit.db"
        self.sa_path = self.tmp / "sqlalchemy.db"
        self.ok_engine = ormkit.create_engine(f"sqlite:///{self.ok_path}")
        OkBase.metadata.create_all(self.ok_engine)
        self.sa_engine = sa_sqlite_engine(self.sa_path)
        SaBase.metadata.create_all(self.sa_engine)
        self.ok = ok_orm.Session(self.ok_engine)
        self.sa = sa_orm.Session(self.sa_engine)
        #: pairs deleted (flushed, not committed) and then closed (module docstring)
        self.closed_after_delete: set[int] = set()
        #: (ormkit object, SQLAlchemy object): "the same" person on both sides
        self.pairs: list[tuple[Any, Any]] = []
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

    def _pair(self, ok_obj: Any, sa_obj: Any) -> int:
        i_ok, i_sa = self.ok_index.get(id(ok_obj)), self.sa_index.get(id(sa_obj))
        assert i_ok == i_sa, f"identity differs: ormkit pair {i_ok}, SQLAlchemy pair {i_sa}"
        if i_ok is not None:
            return i_ok
        self.pairs.append((ok_obj, sa_obj))
        self.ok_index[id(ok_obj)] = self.sa_index[id(sa_obj)] = len(self.pairs) - 1
        return len(self.pairs) - 1

    def _pick(self, index: int) -> tuple[int, Any, Any]:
        i = index % len(self.pairs)
        return i, self.pairs[i][0], self.pairs[i][1]

    def _manager(self, which: Any, ok_obj: Any, sa_obj: Any) -> tuple[Any, Any]:
        if which == "self":
            return ok_obj, sa_obj
        if which is None or not self.pairs:
            return None, None
        return self._pick(which)[1:]

    def _token(self, obj: Any, ok_side: bool) -> Any:
        if obj is None:
            return None
        index = (self.ok_index if ok_side else self.sa_index).get(id(obj))
        if index is not None:
            return index
        insp = ormkit.inspect(obj) if ok_side else sa.inspect(obj)
        return ("unpaired", insp.identity)

    def _pair_unknown(self, ok_items: list[Any], sa_items: list[Any]) -> None:
        """Pair objects new to the machine on both sides that stand for the same row."""
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
                self._pair(ok_rows.pop(identity), sa_obj)

    def _compare_objects(self, what: str, ok_objs: list[Any], sa_objs: list[Any]) -> None:
        assert len(ok_objs) == len(sa_objs), f"{what}: ormkit {ok_objs!r}, SQLAlchemy {sa_objs!r}"
        for ok_obj, sa_obj in zip(ok_objs, sa_objs, strict=True):
            assert (ok_obj is None) == (sa_obj is None), f"{what}: {ok_obj!r} vs {sa_obj!r}"
            if ok_obj is None:
                continue
            self._pair(ok_obj, sa_obj)
            assert_same_values(what, ok_obj, sa_obj, KEYS, ("id", "manager_id"))

    def _gone(self, i: int) -> bool:
        """Not to be linked, expired or attached again: deleted, flushed and closed; evicted
        by a new row that took its key; or transient with a key or a ``manager_id`` a failed
        flush left it in SQLAlchemy only (all on purpose, module docstring: SQLAlchemy would
        INSERT it with those values, ormkit with its own)."""
        if i in self.closed_after_delete:
            return True
        ok_obj, sa_obj = self.pairs[i]
        if evicted(i, ok_obj, sa_obj, self.ok, self.sa):
            return True
        return _left_by_a_failed_flush(ok_obj, sa_obj)

    # -- rules --------------------------------------------------------------------------------

    @rule(name=NAMES, manager=MANAGERS)
    def add_person(self, name: str, manager: Any) -> None:
        """A new person, with a manager: itself, a known person, or none."""
        ok_obj, sa_obj = OkPerson(name=name), SaPerson(name=name)
        i = self._pair(ok_obj, sa_obj)
        ok_manager, sa_manager = self._manager(manager, ok_obj, sa_obj)
        if ok_manager is not None and (self._gone(self.ok_index[id(ok_manager)])):
            return
        if ok_manager is not None and deleted_before(sa_manager):
            return
        if sa_manager is not None and _sa_keeps_links_of_a_rolled_back_row(sa_manager):
            return  # on purpose (module docstring): the oracle's flush fails an assertion
        ok_obj.manager, sa_obj.manager = ok_manager, sa_manager
        same_outcome(
            f"add(new person {i} with manager {manager})",
            call(lambda: self.ok.add(ok_obj)),
            call(lambda: self.sa.add(sa_obj)),
        )

    @precondition(lambda self: self.pairs)
    @rule(index=INDEXES, manager=MANAGERS)
    def set_manager(self, index: int, manager: Any) -> None:
        i, ok_obj, sa_obj = self._pick(index)
        ok_manager, sa_manager = self._manager(manager, ok_obj, sa_obj)
        touched = [i] + ([self.ok_index[id(ok_manager)]] if ok_manager is not None else [])
        if any(self._gone(j) for j in touched):
            return  # on purpose (module docstring)
        if sa_manager is not None and _sa_keeps_links_of_a_rolled_back_row(sa_manager):
            return  # on purpose (module docstring): the oracle's flush fails an assertion
        if _sa_loaded_it_to_delete(ok_obj, sa_obj):
            return  # on purpose (module docstring)
        if sa_manager is not None and sa_obj not in self.sa and sa_manager in self.sa:
            return  # on purpose (module docstring): its key would be written from outside
        if sa_manager is not None and sa_obj in self.sa.deleted:
            return  # on purpose (module docstring): SQLAlchemy's flush takes the delete back
        if (
            sa_manager is not None
            and "manager" not in sa_obj.__dict__
            and any(r is sa_obj for r in sa_manager.__dict__.get("reports") or ())
        ):
            return  # on purpose (module docstring): SQLAlchemy's backref appends it again
        same_outcome(
            f"person {i}.manager = {manager}",
            call(lambda: setattr(ok_obj, "manager", ok_manager)),
            call(lambda: setattr(sa_obj, "manager", sa_manager)),
        )

    @precondition(lambda self: self.pairs)
    @rule(index=INDEXES)
    def read_manager(self, index: int) -> None:
        i, ok_obj, sa_obj = self._pick(index)
        if evicted(i, ok_obj, sa_obj, self.ok, self.sa):
            return  # on purpose (module docstring): half attached in SQLAlchemy, it loads
        if i in self.closed_after_delete:
            return  # on purpose (module docstring): detached here, "deleted" there
        was_loaded = ("manager" in ok_obj.__dict__, "manager" in sa_obj.__dict__)
        ok_res, sa_res = call(lambda: ok_obj.manager), call(lambda: sa_obj.manager)
        if relationship_outcomes("reading person.manager", was_loaded, ok_res, sa_res):
            self._compare_objects("person.manager", [ok_res], [sa_res])

    @precondition(lambda self: self.pairs)
    @rule(index=INDEXES)
    def read_reports(self, index: int) -> None:
        i, ok_obj, sa_obj = self._pick(index)
        if evicted(i, ok_obj, sa_obj, self.ok, self.sa):
            return  # on purpose (module docstring): half attached in SQLAlchemy, it loads
        if i in self.closed_after_delete:
            return  # on purpose (module docstring): detached here, "deleted" there
        was_loaded = ("reports" in ok_obj.__dict__, "reports" in sa_obj.__dict__)
        # on purpose (module docstring): SQLAlchemy lazy-loads the empty collection ormkit
        # kept, autoflushing first; both sessions flush here, to stay in step
        flush_first = was_loaded == (True, False) and sa.inspect(sa_obj).persistent
        if flush_first and not same_outcome(
            "flush before reading reports", call(self.ok.flush), call(self.sa.flush)
        ):
            return
        ok_res = call(lambda: list(ok_obj.reports))
        sa_res = call(lambda: list(sa_obj.reports))
        if was_loaded == (True, False) and sa.inspect(sa_obj).transient:
            return  # on purpose (module docstring): SQLAlchemy forgot its queued appends
        if relationship_outcomes("reading person.reports", was_loaded, ok_res, sa_res):
            self._pair_unknown(ok_res, sa_res)
            ok_view = sorted((self._token(o, True) for o in ok_res), key=repr)
            sa_view = sorted((self._token(o, False) for o in sa_res), key=repr)
            assert ok_view == sa_view, f"person.reports: ormkit {ok_view} vs SQLAlchemy {sa_view}"

    @precondition(lambda self: self.pairs)
    @rule(index=INDEXES)
    def delete(self, index: int) -> None:
        i, ok_obj, sa_obj = self._pick(index)
        if deleted_before(sa_obj) or self._gone(i):
            return  # on purpose (module docstring)
        if sa_row_gone(self.sa, self.sa_path, "people", sa_obj):
            return  # on purpose (session machine): delete() of an object without its row
        if any(r not in self.sa for r in sa_obj.__dict__.get("reports") or ()):
            # on purpose (module docstring): SQLAlchemy's flush writes None into the manager
            # key of reports outside the session; ormkit leaves such objects alone
            return
        same_outcome(
            "delete()", call(lambda: self.ok.delete(ok_obj)), call(lambda: self.sa.delete(sa_obj))
        )

    @precondition(lambda self: self.pairs)
    @rule(index=INDEXES)
    def expire(self, index: int) -> None:
        i, ok_obj, sa_obj = self._pick(index)
        if self._gone(i):
            return  # on purpose (module docstring)
        same_outcome(
            "expire()", call(lambda: self.ok.expire(ok_obj)), call(lambda: self.sa.expire(sa_obj))
        )

    @precondition(lambda self: self.pairs)
    @rule(index=INDEXES)
    def expunge(self, index: int) -> None:
        i, ok_obj, sa_obj = self._pick(index)
        if self._gone(i):
            return
        same_outcome(
            "expunge()",
            call(lambda: self.ok.expunge(ok_obj)),
            call(lambda: self.sa.expunge(sa_obj)),
        )

    @rule()
    def flush(self) -> None:
        if _sa_sees_a_cycle_of_written_rows(self.sa):
            return  # on purpose (module docstring)
        same_outcome("flush()", call(self.ok.flush), call(self.sa.flush))

    @rule()
    def commit(self) -> None:
        if _sa_sees_a_cycle_of_written_rows(self.sa):
            return  # on purpose (module docstring)
        same_outcome("commit()", call(self.ok.commit), call(self.sa.commit))

    @rule()
    def rollback(self) -> None:
        if sa_restores_an_evicted_object(self.sa, [sa_obj for _, sa_obj in self.pairs]):
            return  # on purpose (module docstring)
        if sa_reverts_deletions(self.sa, [sa_obj for _, sa_obj in self.pairs]):
            return  # on purpose (session machine): a deletion "reverted" onto a rolled-back row
        same_outcome("rollback()", call(self.ok.rollback), call(self.sa.rollback))

    @rule()
    def close(self) -> None:
        self.closed_after_delete |= {
            i for i, (_, sa_obj) in enumerate(self.pairs) if sa.inspect(sa_obj).deleted
        }
        same_outcome("close()", call(self.ok.close), call(self.sa.close))

    @rule()
    def select_all(self) -> None:
        ok_res = call(lambda: self.ok.scalars(ormkit.select(OkPerson).order_by(OkPerson.id)).all())
        sa_res = call(lambda: self.sa.scalars(sa.select(SaPerson).order_by(SaPerson.id)).all())
        if same_outcome("select(Person)", ok_res, sa_res):
            self._compare_objects("select(Person)", list(ok_res), list(sa_res))

    @rule(ident=IDENTS)
    def get(self, ident: int) -> None:
        ok_res = call(lambda: self.ok.get(OkPerson, ident))
        sa_res = call(lambda: self.sa.get(SaPerson, ident))
        if same_outcome(f"get(Person, {ident})", ok_res, sa_res):
            self._compare_objects(f"get(Person, {ident})", [ok_res], [sa_res])

    # -- invariants ---------------------------------------------------------------------------

    @invariant()
    def databases_agree(self) -> None:
        ok_rows, sa_rows = _committed_rows(self.ok_path), _committed_rows(self.sa_path)
        assert ok_rows == sa_rows, f"committed rows: ormkit {ok_rows} vs SQLAlchemy {sa_rows}"

    @invariant()
    def session_collections_agree(self) -> None:
        for name in ("new", "dirty", "deleted"):
            ok_which = sorted(self.ok_index.get(id(o), -1) for o in getattr(self.ok, name))
            sa_which = sorted(self.sa_index.get(id(o), -1) for o in getattr(self.sa, name))
            assert ok_which == sa_which, (
                f"session.{name} holds pairs {ok_which} in ormkit, {sa_which} in SQLAlchemy"
            )

    @invariant()
    def objects_agree(self) -> None:
        for i, (ok_obj, sa_obj) in enumerate(self.pairs):
            ok_insp, sa_insp = ormkit.inspect(ok_obj), sa.inspect(sa_obj)
            if i in self.closed_after_delete and sa_insp.deleted:
                assert ok_insp.detached and not ok_insp.deleted, f"pair {i}"
                continue
            self.closed_after_delete.discard(i)
            if evicted(i, ok_obj, sa_obj, self.ok, self.sa):
                continue
            assert lifecycle(ok_insp) == lifecycle(sa_insp), (
                f"pair {i} (transient, pending, persistent, detached, deleted): ormkit "
                f"{lifecycle(ok_insp)} vs SQLAlchemy {lifecycle(sa_insp)}"
            )
            assert ok_insp.identity == sa_insp.identity, (
                f"pair {i} identity: ormkit {ok_insp.identity} vs SQLAlchemy {sa_insp.identity}"
            )
            if _left_by_a_failed_flush(ok_obj, sa_obj) or _synced_into_a_deleted_row(
                ok_obj, sa_obj
            ):
                continue  # on purpose (module docstring): values SQLAlchemy's flush left
            ok_loaded, sa_loaded = loaded_values(ok_obj, KEYS), loaded_values(sa_obj, KEYS)
            where = f"pair {i} loaded: ormkit {ok_loaded} vs SQLAlchemy {sa_loaded}"
            for key in KEYS:
                if key in ok_loaded and key in sa_loaded:
                    assert ok_loaded[key] == sa_loaded[key], where
                elif key in ok_loaded:
                    assert key not in sa_insp.expired_attributes, where

    @invariant()
    def relationships_agree(self) -> None:
        """``manager`` / ``reports`` loaded on both sides name the same pairs."""
        for i, (ok_obj, sa_obj) in enumerate(list(self.pairs)):
            if i in self.closed_after_delete or evicted(i, ok_obj, sa_obj, self.ok, self.sa):
                continue  # (on purpose: see objects_agree)
            sa_insp = sa.inspect(sa_obj)
            for key in ("manager", "reports"):
                ok_has, sa_has = key in ok_obj.__dict__, key in sa_obj.__dict__
                if ok_has and not sa_has and sa_insp.transient and not ok_obj.__dict__[key]:
                    continue  # on purpose (module docstring): an empty collection read on a
                    # transient object, held outside __dict__ by SQLAlchemy
                if ok_has and not sa_has:
                    assert key not in sa_insp.expired_attributes, (
                        f"pair {i}.{key}: SQLAlchemy expired it, ormkit holds it"
                    )
                if not (ok_has and sa_has):
                    continue
                ok_value, sa_value = ok_obj.__dict__[key], sa_obj.__dict__[key]
                if key == "manager":
                    ok_value, sa_value = [ok_value], [sa_value]
                ok_value, sa_value = list(ok_value), list(sa_value)
                self._pair_unknown(ok_value, sa_value)
                ok_view = sorted((self._token(o, True) for o in ok_value), key=repr)
                sa_view = sorted((self._token(o, False) for o in sa_value), key=repr)
                assert ok_view == sa_view, (
                    f"pair {i}.{key}: ormkit {ok_view} vs SQLAlchemy {sa_view}"
                )


SelfReferenceDifferential.TestCase.settings = machine_settings(examples=40, steps=25)
TestSelfReferenceDifferential = SelfReferenceDifferential.TestCase
