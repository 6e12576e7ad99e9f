"""ORM DML with renamed attributes, differentially: ormkit vs SQLAlchemy 2.x on SQLite files.

A hypothesis ``RuleBasedStateMachine`` runs one random sequence of ORM-enabled INSERT and
UPDATE statements through an ormkit Session and a SQLAlchemy Session, over equivalent models
whose attribute names all differ from their column names (``id`` is ``person_id``, ``name``
is ``person_name``, ``age`` is ``years`` with a Python default). SQLAlchemy is the oracle
(ormkit/ never imports it; only this test does). After every step both sides must agree on
the rows each session sees (its own transaction included), and each statement must give the
same rows back (RETURNING), the same rowcount, or an exception of the same kind.

Statements: ``insert(Person)`` with one parameter set, a list of them (with differing keys),
``values()`` by attribute name and by attribute; ``insert(...).returning(Person.id, ...)`` and
``returning(Person)`` (objects: their values, and that ``get()`` gives the same object);
``update(Person).where(...).values(...)``, ``filter_by(...)``, and the bulk UPDATE by primary
key (a list of parameter sets, some naming rows that do not exist: StaleDataError); commit
and rollback.

Differences on purpose, not exercised: an unknown key in the parameters is ignored by
SQLAlchemy and refused (ArgumentError) by ormkit; rows of a multi-row RETURNING are in
parameter order in ormkit whether or not ``sort_by_parameter_order=True`` was given, so the
machine always passes it.
"""

import shutil
import tempfile
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from hypothesis import strategies as st
from hypothesis.stateful import invariant, rule

import ormkit
import ormkit.orm as ok_orm
from tests.compat.differential import CollectingMachine, call, machine_settings, same_outcome

# -- equivalent models ----------------------------------------------------------------------


class OkBase(ok_orm.DeclarativeBase):
    pass


class OkPerson(OkBase):
    __tablename__ = "people"
    id: ok_orm.Mapped[int] = ok_orm.mapped_column("person_id", ormkit.Integer, primary_key=True)
    name: ok_orm.Mapped[str] = ok_orm.mapped_column("person_name", ormkit.String(20))
    age: ok_orm.Mapped[int | None] = ok_orm.mapped_column("years", ormkit.Integer, default=7)


class SaBase(sa_orm.DeclarativeBase):
    pass


class SaPerson(SaBase):
    __tablename__ = "people"
    id: sa_orm.Mapped[int] = sa_orm.mapped_column("person_id", sa.Integer, primary_key=True)
    name: sa_orm.Mapped[str] = sa_orm.mapped_column("person_name", sa.String(20))
    age: sa_orm.Mapped[int | None] = sa_orm.mapped_column("years", sa.Integer, default=7)


# -- generated values -----------------------------------------------------------------------

NAMES = st.sampled_from(["ann", "bob", "cy"])
AGES = st.one_of(st.integers(min_value=1, max_value=3), st.none())
#: One parameter set of an INSERT: a name, and an age or none (the default applies).
NEW_ROW = st.one_of(
    st.fixed_dictionaries({"name": NAMES}),
    st.fixed_dictionaries({"name": NAMES, "age": AGES}),
)
NEW_ROWS = st.lists(NEW_ROW, min_size=1, max_size=5)
# ids 1..6 exist sometimes, 7 and 8 rarely
IDS = st.integers(min_value=1, max_value=8)
CHANGE = st.one_of(
    st.fixed_dictionaries({"id": IDS, "name": NAMES}),
    st.fixed_dictionaries({"id": IDS, "age": AGES}),
    st.fixed_dictionaries({"id": IDS, "name": NAMES, "age": AGES}),
)


class OrmDmlDifferential(CollectingMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="ormkit-dml-differential-"))
        self.ok_engine = ormkit.create_engine(f"sqlite:///{self.tmp / 'ormkit.db'}")
        OkBase.metadata.create_all(self.ok_engine)
        self.sa_engine = sa.create_engine(f"sqlite:///{self.tmp / 'sqlalchemy.db'}")
        SaBase.metadata.create_all(self.sa_engine)
        self.ok = ok_orm.Session(self.ok_engine)
        self.sa = sa_orm.Session(self.sa_engine)

    def teardown(self) -> None:
        try:
            self.ok.close()
            self.sa.close()
        finally:
            self.ok_engine.dispose()
            self.sa_engine.dispose()
            shutil.rmtree(self.tmp, ignore_errors=True)
            super().teardown()

    def _both(self, what: str, ok_fn: Any, sa_fn: Any) -> tuple[Any, Any] | None:
        """Run on both sides; (ormkit result, SQLAlchemy result), or None if both raised."""
        ok_out, sa_out = call(ok_fn), call(sa_fn)
        if not same_outcome(what, ok_out, sa_out):
            self.ok.rollback()
            self.sa.rollback()
            return None
        return ok_out, sa_out

    # -- INSERT ---------------------------------------------------------------------------------

    @rule(rows=NEW_ROWS)
    def insert_many(self, rows: list[dict[str, Any]]) -> None:
        self._both(
            f"insert(Person), {rows}",
            lambda: self.ok.execute(ormkit.insert(OkPerson), rows),
            lambda: self.sa.execute(sa.insert(SaPerson), rows),
        )

    @rule(row=NEW_ROW)
    def insert_one(self, row: dict[str, Any]) -> None:
        self._both(
            f"insert(Person), {row}",
            lambda: self.ok.execute(ormkit.insert(OkPerson), row),
            lambda: self.sa.execute(sa.insert(SaPerson), row),
        )

    @rule(name=NAMES, age=AGES, by_attribute=st.booleans())
    def insert_values(self, name: str, age: int | None, by_attribute: bool) -> None:
        def values(cls: Any) -> dict[Any, Any]:
            return {cls.name: name, cls.age: age} if by_attribute else {"name": name, "age": age}

        self._both(
            f"insert(Person).values({name!r}, {age!r})",
            lambda: self.ok.execute(ormkit.insert(OkPerson).values(values(OkPerson))),
            lambda: self.sa.execute(sa.insert(SaPerson).values(values(SaPerson))),
        )

    @rule(rows=NEW_ROWS)
    def insert_returning_rows(self, rows: list[dict[str, Any]]) -> None:
        def run(session: Any, insert: Any, cls: Any) -> list[tuple[Any, ...]]:
            stmt = insert(cls).returning(cls.id, cls.name, cls.age, sort_by_parameter_order=True)
            return [tuple(r) for r in session.execute(stmt, rows).all()]

        out = self._both(
            f"insert(Person).returning(columns), {rows}",
            lambda: run(self.ok, ormkit.insert, OkPerson),
            lambda: run(self.sa, sa.insert, SaPerson),
        )
        if out is not None:
            assert out[0] == out[1], f"returned rows: ormkit {out[0]} vs SQLAlchemy {out[1]}"

    @rule(rows=NEW_ROWS)
    def insert_returning_objects(self, rows: list[dict[str, Any]]) -> None:
        def run(session: Any, insert: Any, cls: Any) -> list[tuple[Any, ...]]:
            stmt = insert(cls).returning(cls, sort_by_parameter_order=True)
            objs = session.scalars(stmt, rows).all()
            assert all(type(o) is cls for o in objs), objs
            assert all(session.get(cls, o.id) is o for o in objs), "not identity-mapped"
            return [(o.id, o.name, o.age) for o in objs]

        out = self._both(
            f"insert(Person).returning(Person), {rows}",
            lambda: run(self.ok, ormkit.insert, OkPerson),
            lambda: run(self.sa, sa.insert, SaPerson),
        )
        if out is not None:
            assert out[0] == out[1], f"returned objects: ormkit {out[0]} vs SQLAlchemy {out[1]}"

    # -- UPDATE ---------------------------------------------------------------------------------

    @rule(key=IDS, name=NAMES, age=AGES)
    def update_where(self, key: int, name: str, age: int | None) -> None:
        def run(session: Any, update: Any, cls: Any) -> int:
            stmt = update(cls).where(cls.id == key).values(name=name, age=age)
            return session.execute(stmt).rowcount  # type: ignore[no-any-return]

        out = self._both(
            f"update(Person).where(id == {key}).values({name!r}, {age!r})",
            lambda: run(self.ok, ormkit.update, OkPerson),
            lambda: run(self.sa, sa.update, SaPerson),
        )
        if out is not None:
            assert out[0] == out[1], f"rowcount: ormkit {out[0]} vs SQLAlchemy {out[1]}"

    @rule(name=NAMES, age=AGES)
    def update_filter_by(self, name: str, age: int | None) -> None:
        def run(session: Any, update: Any, cls: Any) -> int:
            stmt = update(cls).filter_by(name=name).values({cls.age: age})
            return session.execute(stmt).rowcount  # type: ignore[no-any-return]

        out = self._both(
            f"update(Person).filter_by(name={name!r}).values(age={age!r})",
            lambda: run(self.ok, ormkit.update, OkPerson),
            lambda: run(self.sa, sa.update, SaPerson),
        )
        if out is not None:
            assert out[0] == out[1], f"rowcount: ormkit {out[0]} vs SQLAlchemy {out[1]}"

    @rule(changes=st.lists(CHANGE, min_size=1, max_size=4, unique_by=lambda c: c["id"]))
    def bulk_update_by_primary_key(self, changes: list[dict[str, Any]]) -> None:
        self._both(
            f"update(Person), {changes}",
            lambda: self.ok.execute(ormkit.update(OkPerson), changes),
            lambda: self.sa.execute(sa.update(SaPerson), changes),
        )

    # -- transactions ---------------------------------------------------------------------------

    @rule()
    def commit(self) -> None:
        self._both("commit()", self.ok.commit, self.sa.commit)

    @rule()
    def rollback(self) -> None:
        self._both("rollback()", self.ok.rollback, self.sa.rollback)

    @invariant()
    def rows_agree(self) -> None:
        ok_rows = self.ok.execute(
            ormkit.select(OkPerson.id, OkPerson.name, OkPerson.age).order_by(OkPerson.id)
        ).all()
        sa_rows = self.sa.execute(
            sa.select(SaPerson.id, SaPerson.name, SaPerson.age).order_by(SaPerson.id)
        ).all()
        assert [tuple(r) for r in ok_rows] == [tuple(r) for r in sa_rows], (
            f"rows: ormkit {ok_rows} vs SQLAlchemy {sa_rows}"
        )


OrmDmlDifferential.TestCase.settings = machine_settings(examples=40, steps=20)
TestOrmDmlDifferential = OrmDmlDifferential.TestCase
