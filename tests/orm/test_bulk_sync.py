"""``synchronize_session`` of ORM-enabled UPDATE and DELETE: which loaded objects a statement
touched and what they hold afterwards, checked against the rows the database holds; on every
backend.

``"evaluate"`` computes the WHERE clause (in SQL's three-valued logic) and the SET values in
Python; ``"fetch"`` has the database say which rows matched (RETURNING where it can);
``"auto"`` evaluates, and fetches when the criteria cannot be evaluated.
"""

from __future__ import annotations

from typing import Any

import pytest

import ormkit
from ormkit import (
    delete,
    exc,
    inspect,
    select,
    text,
    update,
)
from ormkit.orm import Session
from tests.orm.conftest import Family

#: (name, score, note) of the seeded parents, in id order
ROWS = [("a", 1, None), ("b", 5, "x"), ("c", None, "y"), ("d", 8, None), ("e", -7, "z")]
COLUMNS = ("name", "score", "note")


@pytest.fixture
def parents(engine: ormkit.Engine, family: Family) -> Any:
    """The Parent class, with the ROWS committed."""
    Parent = family.Parent
    with Session(engine) as s:
        s.add_all([Parent(name=n, score=sc, note=no) for n, sc, no in ROWS])
        s.commit()
    return Parent


def loaded(s: Session, Parent: Any) -> dict[str, Any]:
    """Every parent loaded into ``s``, by name."""
    return {p.name: p for p in s.scalars(select(Parent).order_by(Parent.id))}


def database(s: Session) -> dict[int, tuple[Any, ...]]:
    """id -> (name, score, note) of every row, read with plain SQL in the session's
    transaction."""
    sql = text("SELECT id, name, score, note FROM parents")
    return {r[0]: tuple(r[1:]) for r in s.connection().execute(sql).all()}


def disagreements(s: Session, objects: Any) -> list[str]:
    """How the loaded attributes of ``objects`` differ from their rows (empty: they agree).

    An object whose row is gone must have left the session or hold nothing loaded; one whose
    row exists must be persistent, and each attribute it holds must be the row's value.
    """
    rows = database(s)
    found = []
    for obj in objects:
        state, d = inspect(obj), obj.__dict__
        pk = state.identity[0] if state.identity else None
        row = rows.get(pk)
        if row is None:
            if state.persistent and any(k in d for k in COLUMNS):
                found.append(f"row {pk} is deleted, its object still holds values")
            continue
        if not state.persistent:
            found.append(f"row {pk} exists, its object is not persistent")
        for key, value in zip(COLUMNS, row, strict=True):
            if key in d and d[key] != value:
                found.append(f"row {pk}: {key} is {d[key]!r} in memory, {value!r} stored")
    return found


def hit(s: Session, objects: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(names of rows the statement marked, names of objects holding the mark): the tests'
    statements set note = 'hit'."""
    stored = {r[0] for r in database(s).values() if r[2] == "hit"}
    in_memory = {name for name, p in objects.items() if p.__dict__.get("note") == "hit"}
    return stored, in_memory


def run(s: Session, statement: Any, sync: Any, params: Any = None) -> Any:
    return s.execute(statement, params, execution_options={"synchronize_session": sync})


# -- after a savepoint is rolled back -----------------------------------------------------------


@pytest.mark.parametrize("sync", ["auto", "evaluate", "fetch"])
def test_bulk_update_after_a_savepoint_rollback_leaves_objects_it_made_transient_alone(
    engine: ormkit.Engine, family: Family, sync: str
) -> None:
    Parent = family.Parent
    with Session(engine) as s:
        kept = Parent(name="a", score=4)
        s.add(kept)
        s.flush()
        savepoint = s.begin_nested()
        gone = Parent(name="b", score=1)  # inserted and deleted inside the savepoint
        s.add(gone)
        s.flush()
        s.delete(gone)
        s.flush()
        undone = Parent(name="c", score=2)
        s.add(undone)
        s.flush()
        savepoint.rollback()
        assert inspect(gone).transient and inspect(undone).transient
        assert None not in s.identity_map
        run(s, update(Parent).values(score=5), sync)
        assert kept.score == 5
        assert (gone.__dict__["score"], undone.__dict__["score"]) == (1, 2)  # not written into
        assert inspect(gone).transient and inspect(undone).transient
        s.commit()
    with Session(engine) as s:
        assert [(p.name, p.score) for p in loaded(s, Parent).values()] == [("a", 5)]


@pytest.mark.parametrize("sync", ["auto", "evaluate", "fetch"])
def test_bulk_delete_after_a_savepoint_rollback_leaves_objects_it_made_transient_usable(
    engine: ormkit.Engine, family: Family, sync: str
) -> None:
    Parent = family.Parent
    with Session(engine) as s:
        savepoint = s.begin_nested()
        gone = Parent(name="b", score=1)
        s.add(gone)
        s.flush()
        s.delete(gone)
        s.flush()
        savepoint.rollback()
        run(s, delete(Parent), sync)
        assert inspect(gone).transient
        s.add(gone)  # a transient object can be added again: INSERTed as new
        s.commit()
    with Session(engine) as s:
        assert [(p.name, p.score) for p in loaded(s, Parent).values()] == [("b", 1)]


@pytest.mark.parametrize("sync", ["auto", "evaluate", "fetch"])
def test_bulk_update_after_a_savepoint_rollback_reaches_expired_and_restored_objects(
    engine: ormkit.Engine, family: Family, sync: str
) -> None:
    Parent = family.Parent
    with Session(engine) as s:
        changed, deleted = Parent(name="a", score=1), Parent(name="b", score=2)
        s.add_all([changed, deleted])
        s.flush()
        savepoint = s.begin_nested()
        changed.score = 10
        s.delete(deleted)
        s.flush()
        savepoint.rollback()  # changed is expired, deleted is back
        run(s, update(Parent).where(Parent.score < 5).values(note="low"), sync)
        assert (changed.note, changed.score) == ("low", 1)
        assert (deleted.note, deleted.score) == ("low", 2)
        assert disagreements(s, [changed, deleted]) == []


# -- synchronize_session=False ------------------------------------------------------------------


def test_bulk_delete_without_synchronization_leaves_a_stale_object_a_new_row_replaces(
    engine: ormkit.Engine, family: Family
) -> None:
    Parent = family.Parent
    with Session(engine) as s:
        stale = Parent(name="old")
        s.add(stale)
        s.commit()
        pk = stale.id
        run(s, delete(Parent).where(Parent.id == pk), False)
        assert stale in s and s.get(Parent, pk) is stale  # not told of the DELETE
        new = Parent(id=pk, name="new")
        s.add(new)
        s.flush()
        assert s.get(Parent, pk) is new
        assert stale not in s and inspect(stale).detached
        with pytest.raises(
            exc.InvalidRequestError,
            match=rf"^can't attach <Parent at 0x[0-9a-f]+>: this session already holds another "
            rf"object for the same row \({pk},\); use session.merge\(obj\)$",
        ):
            s.add(stale)
        assert s.get(Parent, pk) is new
        s.commit()
    with Session(engine) as s:
        assert [(p.id, p.name) for p in loaded(s, Parent).values()] == [(pk, "new")]
