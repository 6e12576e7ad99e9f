"""Hybrid attributes: read in Python on instances, as SQL on the class, in every statement
kind, with setters, custom expressions, comparators and update expressions; on every backend."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import ormkit
from ormkit import String, exc, func, select, update
from ormkit.ext.hybrid import (
    HYBRID_METHOD,
    HYBRID_PROPERTY,
    Comparator,
    hybrid_method,
    hybrid_property,
)
from ormkit.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    pass


class CaseInsensitive(Comparator[str]):
    """Compares lower-cased on both sides."""

    def operate(self, op: Any, *other: Any, **kw: Any) -> Any:
        return op(func.lower(self.expression), *(func.lower(o) for o in other), **kw)


class Person(Base):
    __tablename__ = "hybrid_people"
    id: Mapped[int] = mapped_column(primary_key=True)
    first: Mapped[str] = mapped_column(String(20))
    last: Mapped[str] = mapped_column(String(20))
    score: Mapped[int] = mapped_column(default=0)

    @hybrid_property
    def full_name(self) -> str:
        return self.first + " " + self.last

    @full_name.inplace.setter
    def _set_full_name(self, value: str) -> None:
        self.first, self.last = value.split(" ")

    @full_name.inplace.update_expression
    @classmethod
    def _full_name_update(cls, value: str) -> list[tuple[Any, Any]]:
        first, last = value.split(" ")
        return [(cls.first, first), (cls.last, last)]

    @hybrid_property
    def initial(self) -> str:
        return self.first[0]

    @initial.inplace.expression
    @classmethod
    def _initial_sql(cls) -> Any:
        return func.substr(cls.first, 1, 1)

    @hybrid_property
    def last_name(self) -> str:
        return self.last

    @last_name.inplace.comparator
    @classmethod
    def _last_name_comparator(cls) -> CaseInsensitive:
        return CaseInsensitive(cls.last)

    @hybrid_property
    def points(self) -> int:
        return self.score  # a plain column: a bulk UPDATE can set it without more

    @hybrid_method
    def scores_above(self, limit: int) -> bool:
        return self.score > limit

    @hybrid_method
    def longer_than(self, n: int) -> bool:
        return len(self.first) > n

    @longer_than.expression
    @classmethod
    def _longer_than_sql(cls, n: int) -> Any:
        return func.length(cls.first) > n


@pytest.fixture
def people(engine: ormkit.Engine) -> Iterator[ormkit.Engine]:
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all(
            [
                Person(first="Ann", last="Lee", score=5),
                Person(first="Bob", last="Stone", score=9),
                Person(first="Christina", last="Ray", score=1),
            ]
        )
        s.commit()
    yield engine


def test_a_hybrid_reads_in_python_on_instances_and_filters_in_sql(
    people: ormkit.Engine,
) -> None:
    with Session(people) as s:
        ann = s.scalars(select(Person).where(Person.full_name == "Ann Lee")).one()
        assert ann.full_name == "Ann Lee"
        assert s.scalars(select(Person.first).where(Person.initial == "B")).all() == ["Bob"]
        assert ann.initial == "A"  # the Python getter, not the SQL expression


def test_a_hybrid_in_a_select_list_is_labeled_with_its_name(people: ormkit.Engine) -> None:
    with Session(people) as s:
        row = s.execute(select(Person.full_name).where(Person.id == 1)).one()
        assert row._fields == ("full_name",) and row.full_name == "Ann Lee"
        labeled = s.execute(select(Person.full_name.label("who")).where(Person.id == 1)).one()
        assert labeled._fields == ("who",)
        names = s.scalars(select(Person.full_name).order_by(Person.full_name.desc())).all()
        assert names == ["Christina Ray", "Bob Stone", "Ann Lee"]


def test_a_setter_writes_through_to_mapped_columns(people: ormkit.Engine) -> None:
    with Session(people) as s:
        ann = s.get(Person, 1)
        assert ann is not None
        ann.full_name = "Anna Leigh"
        assert (ann.first, ann.last) == ("Anna", "Leigh") and ann in s.dirty
        s.commit()
    with Session(people) as s:
        assert s.scalars(select(Person.full_name).where(Person.id == 1)).one() == "Anna Leigh"


def test_a_hybrid_without_a_setter_refuses_assignment_naming_it() -> None:
    person = Person(first="a", last="b")
    with pytest.raises(AttributeError, match=r"can't set attribute 'initial' of Person"):
        person.initial = "x"  # type: ignore[misc]


def test_a_custom_comparator_decides_the_sql(people: ormkit.Engine) -> None:
    with Session(people) as s:
        found = s.scalars(select(Person.first).where(Person.last_name == "STONE")).all()
        assert found == ["Bob"]
        sql = str(select(Person.id).where(Person.last_name == "x"))
        assert "lower(hybrid_people.last) = lower(" in sql


def test_hybrid_methods_build_sql_on_the_class(people: ormkit.Engine) -> None:
    with Session(people) as s:
        above = s.scalars(select(Person.first).where(Person.scores_above(4)).order_by("first"))
        assert above.all() == ["Ann", "Bob"]
        longer = s.scalars(select(Person.first).where(Person.longer_than(3))).all()
        assert longer == ["Christina"]
        bob = s.get(Person, 2)
        assert bob is not None and bob.longer_than(2) and not bob.scores_above(9)


def test_a_bulk_update_expands_the_hybrid_with_its_update_expression(
    people: ormkit.Engine,
) -> None:
    with Session(people) as s:
        ann = s.get(Person, 1)
        s.execute(update(Person).where(Person.id == 1).values({Person.full_name: "Ann Moss"}))
        assert ann is not None and ann.last == "Moss"  # synchronized into the session
        s.execute(update(Person).where(Person.id == 2).values(points=20))  # by name too
        s.commit()
    with Session(people) as s:
        assert s.scalars(select(Person.full_name).order_by(Person.id)).all()[0] == "Ann Moss"
        assert s.scalars(select(Person.score).where(Person.id == 2)).one() == 20


def test_a_bulk_update_of_a_hybrid_expression_without_update_expression_is_refused() -> None:
    with pytest.raises(
        exc.InvalidRequestError,
        match=r"can't set the hybrid Person.initial in an UPDATE: .* update_expression",
    ):
        update(Person).values({Person.initial: "x"})


def test_hybrids_say_what_they_are_and_keep_their_docstrings() -> None:
    assert Person.__dict__["full_name"].extension_type is HYBRID_PROPERTY
    assert Person.__dict__["scores_above"].extension_type is HYBRID_METHOD
    assert repr(Person.full_name) == "Person.full_name"
    assert str(Person.full_name.expression).startswith("hybrid_people.first ||")
    assert Person.__dict__["_set_full_name"] is Person.__dict__["full_name"]  # inplace


def test_modifiers_without_inplace_make_copies() -> None:
    base = hybrid_property(lambda self: 1)
    other = base.setter(lambda self, value: None)
    assert other is not base and base.fset is None and other.fset is not None
    assert base.inplace.setter(lambda self, value: None) is base
    assert base.overrides is base
