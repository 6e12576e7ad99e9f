"""``synchronize_session`` of ORM-enabled UPDATE and DELETE: which loaded objects a statement
touched and what they hold afterwards, checked against the rows the database holds; on every
backend.

``"evaluate"`` computes the WHERE clause (in SQL's three-valued logic) and the SET values in
Python; ``"fetch"`` has the database say which rows matched (RETURNING where it can);
``"auto"`` evaluates, and fetches when the criteria cannot be evaluated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import ormkit
from ormkit import (
    Integer,
    String,
    and_,
    bindparam,
    delete,
    exc,
    exists,
    func,
    inspect,
    literal_column,
    not_,
    or_,
    select,
    text,
    update,
)
from ormkit.orm import DeclarativeBase, Mapped, Session, mapped_column
from tests.orm.conftest import Family, Recorder

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


# -- three-valued logic -----------------------------------------------------------------------

NULL_COMPARISONS: dict[str, Callable[[Any], Any]] = {
    "ne": lambda P: P.score != 5,
    "eq": lambda P: P.score == 5,
    "lt": lambda P: P.score < 3,
    "gt": lambda P: P.score > 3,
    "in": lambda P: P.score.in_([1, 5]),
    "not_in": lambda P: P.score.not_in([5]),
}


@pytest.mark.parametrize("case", list(NULL_COMPARISONS))
def test_evaluate_null_compared_with_anything_matches_nothing(
    engine: ormkit.Engine, parents: Any, recorder: Recorder, case: str
) -> None:
    Parent = parents
    with Session(engine) as s:
        objects = loaded(s, Parent)
        recorder.clear()
        run(s, update(Parent).where(NULL_COMPARISONS[case](Parent)).values(note="hit"), "evaluate")
        assert not recorder.selects  # decided in Python
        c = objects["c"]  # score is NULL: the database does not update it; neither does Python
        assert c.__dict__["note"] == "y"
        assert database(s)[c.id][2] == "y"
        stored, in_memory = hit(s, objects)
        assert in_memory == stored and stored
        assert all("note" in p.__dict__ for p in objects.values())  # decided, not expired
        assert disagreements(s, objects.values()) == []


#: criteria -> names of the rows they match (a: 1, None; b: 5, x; c: None, y; d: 8, None;
#: e: -7, z)
LOGIC: dict[str, tuple[Callable[[Any], Any], set[str]]] = {
    "unknown_or_true": (lambda P: or_(P.note == "x", P.score > 6), {"b", "d"}),
    "unknown_and_true": (lambda P: and_(P.note != "x", P.score > 0), set()),
    "not_unknown": (lambda P: not_(P.note == "x"), {"c", "e"}),
    "not_of_unknown_or_false": (lambda P: ~or_(P.note == "x", P.score > 6), {"e"}),
    "not_of_unknown_and_false": (lambda P: ~and_(P.note == "x", P.score > 6), {"a", "b", "c", "e"}),
    "in_with_null": (lambda P: P.score.in_([1, None]), {"a"}),
    "not_in_with_null": (lambda P: P.score.not_in([1, None]), set()),
    "is_null": (lambda P: P.note.is_(None), {"a", "d"}),
    "is_not_null": (lambda P: P.note.is_not(None), {"b", "c", "e"}),
    "or_of_is_null": (lambda P: or_(P.note.is_(None), P.score.is_(None)), {"a", "c", "d"}),
    "between": (lambda P: P.score.between(1, 5), {"a", "b"}),
    "not_between": (lambda P: ~P.score.between(1, 5), {"d", "e"}),
}


@pytest.mark.parametrize("case", list(LOGIC))
def test_evaluate_follows_three_valued_logic(
    engine: ormkit.Engine, parents: Any, case: str
) -> None:
    Parent = parents
    criteria, expected = LOGIC[case]
    with Session(engine) as s:
        objects = loaded(s, Parent)
        run(s, update(Parent).where(criteria(Parent)).values(note="hit"), "evaluate")
        stored, in_memory = hit(s, objects)
        assert stored == expected  # what SQL says...
        assert in_memory == expected  # ...and Python agrees
        assert all("note" in p.__dict__ for p in objects.values())
        assert disagreements(s, objects.values()) == []


# -- arithmetic ---------------------------------------------------------------------------------

ARITHMETIC: dict[str, tuple[Callable[[Any], Any], set[str] | None]] = {
    "add": (lambda P: P.score + 1 > 4, {"b", "d"}),
    "sub": (lambda P: P.score - 1 < 1, {"a", "e"}),
    "mul": (lambda P: P.score * 2 == 10, {"b"}),
    "neg": (lambda P: -P.score < -4, {"b", "d"}),
    "mod_takes_the_dividends_sign": (lambda P: P.score % 3 == 2, {"b", "d"}),
    "null_propagates": (lambda P: P.score + 1 > -100, {"a", "b", "d", "e"}),
    "concat": (lambda P: P.name + "!" == "b!", {"b"}),
    "concat_of_null": (lambda P: P.note.concat("!") != "x!", {"c", "e"}),
    "division_by_zero": (lambda P: P.score / 0 == 1, None),
}


@pytest.mark.parametrize("case", list(ARITHMETIC))
def test_evaluate_computes_arithmetic_in_criteria_as_the_database_does(
    engine: ormkit.Engine, parents: Any, case: str
) -> None:
    Parent = parents
    criteria, expected = ARITHMETIC[case]
    with Session(engine) as s:
        objects = loaded(s, Parent)
        if case == "division_by_zero" and engine.dialect.name != "sqlite":
            # SQLite gives NULL; the others refuse the statement
            with pytest.raises(exc.DBAPIError, match=r"(?i)division by (zero|0)"):
                run(s, update(Parent).where(criteria(Parent)).values(note="hit"), "evaluate")
            return
        run(s, update(Parent).where(criteria(Parent)).values(note="hit"), "evaluate")
        stored, in_memory = hit(s, objects)
        if expected is not None:
            assert stored == expected
        assert in_memory == stored
        assert all("note" in p.__dict__ for p in objects.values())
        assert disagreements(s, objects.values()) == []


def test_evaluate_integer_division_follows_the_dialect(engine: ormkit.Engine, parents: Any) -> None:
    Parent = parents
    with Session(engine) as s:
        objects = loaded(s, Parent)
        run(s, update(Parent).where(Parent.score / 2 == 2).values(note="hit"), "evaluate")
        stored, in_memory = hit(s, objects)
        truncates = engine.dialect.name != "mysql"  # MariaDB: 5 / 2 is 2.5000
        assert stored == in_memory == ({"b"} if truncates else set())


@pytest.mark.parametrize("sync", ["evaluate", "fetch"])
def test_set_values_are_computed_from_each_object(
    engine: ormkit.Engine, parents: Any, recorder: Recorder, sync: str
) -> None:
    Parent = parents
    with Session(engine) as s:
        objects = loaded(s, Parent)
        run(s, update(Parent).values(score=Parent.score * 2 + 1, note=Parent.note + "!"), sync)
        recorder.clear()
        assert [(p.score, p.note) for p in objects.values()] == [
            (3, None),
            (11, "x!"),
            (None, "y!"),
            (17, None),
            (-13, "z!"),
        ]
        assert recorder.sql == []  # in memory already: nothing was expired
        assert disagreements(s, objects.values()) == []
        assert not s.dirty
        s.commit()
    with Session(engine) as s:
        assert [(p.score, p.note) for p in loaded(s, Parent).values()][:2] == [
            (3, None),
            (11, "x!"),
        ]


def test_evaluate_expires_a_set_value_it_cannot_compute(
    engine: ormkit.Engine, parents: Any
) -> None:
    Parent = parents
    with Session(engine) as s:
        objects = loaded(s, Parent)
        run(
            s,
            update(Parent).where(Parent.score > 3).values(score=func.abs(Parent.score) + 1),
            "evaluate",
        )
        b, d, a = objects["b"], objects["d"], objects["a"]
        assert "score" not in b.__dict__ and "score" not in d.__dict__  # only SQL knows
        assert a.__dict__["score"] == 1  # not matched: left alone
        assert (b.score, d.score) == (6, 9)
        assert disagreements(s, objects.values()) == []


def test_evaluate_expires_what_may_have_changed_in_an_object_it_cannot_decide(
    engine: ormkit.Engine, parents: Any
) -> None:
    # the criteria attribute is expired: the object may match, so the SET attribute expires
    Parent = parents
    with Session(engine) as s:
        objects = loaded(s, Parent)
        b, a = objects["b"], objects["a"]
        s.expire(b, ["note"])
        s.expire(a, ["note"])
        run(s, update(Parent).where(Parent.note == "x").values(score=Parent.score + 1), "evaluate")
        assert "score" not in b.__dict__ and "score" not in a.__dict__
        assert (b.score, a.score) == (6, 1)
        assert objects["c"].__dict__["score"] is None  # decided: not matched
        assert disagreements(s, objects.values()) == []


def test_evaluate_delete_expires_an_object_it_cannot_decide(
    engine: ormkit.Engine, parents: Any
) -> None:
    Parent = parents
    with Session(engine) as s:
        objects = loaded(s, Parent)
        a, b = objects["a"], objects["b"]
        s.expire(a, ["score"])
        s.expire(b, ["score"])
        run(s, delete(Parent).where(Parent.score > 3), "evaluate")
        assert objects["d"] not in s  # decided in Python: deleted
        assert a.name == "a"  # reloaded: its row is still there
        with pytest.raises(exc.ObjectDeletedError, match="no row in the database"):
            b.name  # noqa: B018 - reloading finds the row gone
        assert sorted(r[0] for r in database(s).values()) == ["a", "c", "e"]


def test_an_object_found_gone_then_committed_is_detached_for_reads(
    engine: ormkit.Engine, parents: Any
) -> None:
    Parent = parents
    with Session(engine) as s:
        a = loaded(s, Parent)["a"]
        s.commit()  # a is expired
        run(s, delete(Parent).where(Parent.name == "a"), False)  # the session is not told
        assert s.get(Parent, inspect(a).identity) is None  # get() finds its row gone
        s.commit()
        with pytest.raises(exc.DetachedInstanceError, match=r"was deleted and is detached; its"):
            a.name  # noqa: B018 (as SQLAlchemy: detached, not ObjectDeletedError)


def test_evaluate_takes_bound_parameters_from_the_execution_parameters(
    engine: ormkit.Engine, parents: Any
) -> None:
    Parent = parents
    with Session(engine) as s:
        objects = loaded(s, Parent)
        stmt = update(Parent).where(Parent.name == bindparam("who")).values(score=bindparam("new"))
        run(s, stmt, "evaluate", {"who": "b", "new": 42})
        assert objects["b"].__dict__["score"] == 42
        assert objects["a"].__dict__["score"] == 1
        assert disagreements(s, objects.values()) == []


#: criteria that compare strings: equality folds case on MariaDB, ordering follows collations
STRINGS: dict[str, Callable[[Any], Any]] = {
    "eq_other_case": lambda P: P.note == "X",
    "ne_other_case": lambda P: P.note != "X",
    "in_other_case": lambda P: P.note.in_(["X", "q"]),
    "ordering": lambda P: P.name > "B",
    "trailing_space": lambda P: P.note == "x ",
}


@pytest.mark.parametrize("sync", ["evaluate", "fetch"])
@pytest.mark.parametrize("case", list(STRINGS))
def test_string_comparisons_leave_objects_as_the_database_has_them(
    engine: ormkit.Engine, parents: Any, case: str, sync: str
) -> None:
    Parent = parents
    with Session(engine) as s:
        objects = loaded(s, Parent)
        run(s, update(Parent).where(STRINGS[case](Parent)).values(score=100), sync)
        assert disagreements(s, objects.values()) == []
        assert [p.score == 100 for p in objects.values()] == [
            r[1] == 100 for _, r in sorted(database(s).items())
        ]


@pytest.mark.parametrize("sync", ["evaluate", "fetch"])
def test_comparing_values_of_another_type_leaves_objects_as_the_database_has_them(
    engine: ormkit.Engine, parents: Any, sync: str
) -> None:
    # the column's type converts '5' for the database: Python's 5 == '5' is no answer
    Parent = parents
    with Session(engine) as s:
        objects = loaded(s, Parent)
        run(s, update(Parent).where(Parent.score == "5").values(note="hit"), sync)
        assert disagreements(s, objects.values()) == []
        assert hit(s, objects)[0] == {"b"}
        assert [name for name, p in objects.items() if p.note == "hit"] == ["b"]


# -- what cannot be evaluated -------------------------------------------------------------------

UNEVALUABLE: dict[str, tuple[Callable[[Any, Any], Any], str]] = {
    "like": (lambda P, C: P.name.like("a%"), "the LIKE operator"),
    "ilike": (lambda P, C: P.name.ilike("A%"), "the ILIKE operator"),
    "function": (lambda P, C: func.lower(P.name) == "a", r"the SQL function lower\(\)"),
    "subquery": (lambda P, C: P.id.in_(select(C.parent_id)), "a subquery"),
    "exists": (lambda P, C: exists().where(C.parent_id == P.id), "an EXISTS subquery"),
    "other_table": (lambda P, C: P.id == C.parent_id, "the column children.parent_id"),
}


@pytest.mark.parametrize("statement", ["update", "delete"])
@pytest.mark.parametrize("case", list(UNEVALUABLE))
def test_evaluate_of_criteria_python_cannot_compute_is_an_invalid_request_error(
    engine: ormkit.Engine, parents: Any, family: Family, case: str, statement: str
) -> None:
    Parent = parents
    criteria, piece = UNEVALUABLE[case]
    what = "UPDATE" if statement == "update" else "DELETE"
    with Session(engine) as s:
        objects = loaded(s, Parent)
        before = database(s)
        stmt = update(Parent).values(note="hit") if statement == "update" else delete(Parent)
        with pytest.raises(
            exc.InvalidRequestError,
            match=rf"^the criteria of this ORM {what} of Parent could not be evaluated in "
            rf"Python for synchronize_session='evaluate': {piece}.* is not supported there; "
            r"specify synchronize_session='fetch' or False for this statement$",
        ):
            run(s, stmt.where(criteria(Parent, family.Child)), "evaluate")
        assert database(s) == before  # nothing was sent
        assert all(p in s and p.__dict__["note"] != "hit" for p in objects.values())


def test_criteria_that_cannot_be_evaluated_begin_no_transaction(
    engine: ormkit.Engine, parents: Any
) -> None:
    with Session(engine) as s:
        with pytest.raises(exc.InvalidRequestError, match="could not be evaluated in Python"):
            run(s, update(parents).where(parents.name.like("a%")).values(note="x"), "evaluate")
        assert not s.in_transaction()


# -- onupdate -----------------------------------------------------------------------------------


@pytest.mark.parametrize("sync", ["evaluate", "fetch"])
def test_synchronized_objects_take_the_columns_onupdate_values(
    engine: ormkit.Engine, sync: str
) -> None:
    class Base(DeclarativeBase):
        pass

    class Doc(Base):
        __tablename__ = "docs"

        id: Mapped[int] = mapped_column(primary_key=True)
        title: Mapped[str] = mapped_column(String(20))
        version: Mapped[int] = mapped_column(Integer, default=0, onupdate=7)
        size: Mapped[int | None] = mapped_column(Integer, onupdate=literal_column("3"))

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        doc = Doc(title="a", size=1)
        s.add(doc)
        s.commit()
        assert (doc.version, doc.size) == (0, 1)
        run(s, update(Doc).where(Doc.title == "a").values(title="b"), sync)
        assert doc.__dict__["version"] == 7
        assert (doc.title, doc.version, doc.size) == ("b", 7, 3)
        s.commit()


# -- "fetch" ------------------------------------------------------------------------------------


@pytest.mark.parametrize("statement", ["update", "delete"])
def test_fetch_uses_returning_where_the_database_has_it(
    engine: ormkit.Engine, parents: Any, recorder: Recorder, statement: str
) -> None:
    Parent = parents
    with Session(engine) as s:
        objects = loaded(s, Parent)
        recorder.clear()
        if statement == "update":
            stmt: Any = update(Parent).where(Parent.score > 3).values(note="hit")
        else:
            stmt = delete(Parent).where(Parent.score > 3)
        result = run(s, stmt, "fetch")
        assert result.rowcount == 2
        with pytest.raises(exc.ResourceClosedError, match="does not return rows"):
            result.all()
        verb = statement.upper()
        if getattr(engine.dialect, f"{statement}_returning"):
            assert len(recorder.sql) == 1
            assert recorder.sql[0].startswith(verb) and " RETURNING " in recorder.sql[0]
        else:
            assert [sql.split(" ", 1)[0] for sql in recorder.sql] == ["SELECT", verb]
            assert " RETURNING " not in recorder.sql[1]
        if statement == "update":
            assert hit(s, objects) == ({"b", "d"}, {"b", "d"})
        else:
            assert objects["b"] not in s and objects["d"] not in s
        assert disagreements(s, objects.values()) == []


def test_fetch_brings_back_set_values_only_the_database_computes(
    engine: ormkit.Engine, parents: Any, recorder: Recorder
) -> None:
    Parent = parents
    with Session(engine) as s:
        objects = loaded(s, Parent)
        run(
            s,
            update(Parent).where(Parent.score > 3).values(score=func.abs(Parent.score) + 1),
            "fetch",
        )
        b = objects["b"]
        # RETURNING gives the new value; without it, the attribute is expired
        assert ("score" in b.__dict__) == engine.dialect.update_returning
        assert (b.score, objects["d"].score, objects["a"].score) == (6, 9, 1)
        assert disagreements(s, objects.values()) == []


def test_fetch_gives_a_stale_object_the_value_its_row_was_given(
    engine: ormkit.Engine, parents: Any
) -> None:
    Parent = parents
    with Session(engine) as s:
        b = loaded(s, Parent)["b"]  # score 5
        run(s, update(Parent).where(Parent.name == "b").values(score=10), False)  # b is stale
        run(s, update(Parent).where(Parent.name == "b").values(score=Parent.score + 1), "fetch")
        # with RETURNING, the row's new value (SQLAlchemy computes 5 + 1 from the stale one)
        assert b.score == (11 if engine.dialect.update_returning else 6)
        assert database(s)[b.id][1] == 11


def test_fetch_keeps_the_statements_own_returning(engine: ormkit.Engine, parents: Any) -> None:
    Parent = parents
    with Session(engine) as s:
        objects = loaded(s, Parent)
        stmt = update(Parent).where(Parent.score > 3).values(note="hit").returning(Parent.name)
        if not engine.dialect.update_returning:
            pytest.skip(reason="the database has no UPDATE ... RETURNING")
        assert sorted(run(s, stmt, "fetch").scalars().all()) == ["b", "d"]
        assert hit(s, objects) == ({"b", "d"}, {"b", "d"})


@pytest.mark.parametrize("statement", ["update", "delete"])
def test_auto_fetches_when_the_criteria_cannot_be_evaluated(
    engine: ormkit.Engine, parents: Any, recorder: Recorder, statement: str
) -> None:
    Parent = parents
    with Session(engine) as s:
        objects = loaded(s, Parent)
        recorder.clear()
        if statement == "update":
            stmt: Any = (
                update(Parent).where(Parent.name.like("b%")).values(score=Parent.score + 100)
            )
        else:
            stmt = delete(Parent).where(Parent.name.like("b%"))
        result = run(s, stmt, "auto")
        assert result.rowcount == 1
        b = objects["b"]
        if statement == "update":
            assert b.__dict__["score"] == 105
        else:
            assert b not in s
        returning = getattr(engine.dialect, f"{statement}_returning")
        assert len(recorder.sql) == (1 if returning else 2)
        assert disagreements(s, objects.values()) == []


@pytest.mark.parametrize("sync", ["evaluate", "fetch"])
def test_objects_of_rows_a_bulk_delete_removed_are_deleted_until_the_transaction_ends(
    engine: ormkit.Engine, parents: Any, sync: str
) -> None:
    """As for a flushed DELETE: detached at commit, back in the session at rollback."""
    Parent = parents
    with Session(engine) as s:
        by_name = loaded(s, Parent)
        s.execute(
            delete(Parent).where(Parent.score > 4), execution_options={"synchronize_session": sync}
        )
        assert inspect(by_name["b"]).deleted and inspect(by_name["d"]).deleted
        s.rollback()
        assert inspect(by_name["b"]).persistent and by_name["b"] in s
        by_name = loaded(s, Parent)
        s.execute(
            delete(Parent).where(Parent.score > 4), execution_options={"synchronize_session": sync}
        )
        s.commit()
        assert inspect(by_name["b"]).detached and inspect(by_name["b"]).was_deleted


@pytest.mark.parametrize("sync", ["evaluate", "fetch"])
def test_rolling_back_a_savepoint_expires_what_a_bulk_update_in_it_changed(
    engine: ormkit.Engine, parents: Any, sync: str
) -> None:
    Parent = parents
    with Session(engine) as s:
        by_name = loaded(s, Parent)
        savepoint = s.begin_nested()
        s.execute(
            update(Parent).where(Parent.score > 4).values(score=0),
            execution_options={"synchronize_session": sync},
        )
        assert by_name["b"].__dict__["score"] == 0
        savepoint.rollback()
        assert "score" not in by_name["b"].__dict__
        assert by_name["b"].score == 5 and by_name["a"].__dict__["score"] == 1
