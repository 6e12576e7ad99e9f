"""ORM-enabled INSERT/UPDATE/DELETE (``insert(Person)``, ...): parameters by attribute name,
RETURNING of objects, bulk UPDATE by primary key; on every backend."""

from __future__ import annotations

from typing import Any

import pytest

import ormkit
from ormkit import Integer, String, delete, exc, insert, inspect, null, text, update
from ormkit.orm import DeclarativeBase, Mapped, Session, mapped_column


@pytest.fixture
def Person(engine: ormkit.Engine) -> Any:
    """A class whose attribute names differ from its column names, the key included."""

    class Base(DeclarativeBase):
        pass

    class Person(Base):
        __tablename__ = "people"

        id: Mapped[int] = mapped_column("person_id", primary_key=True)
        name: Mapped[str] = mapped_column("person_name", String(50))
        age: Mapped[int | None] = mapped_column("years", Integer, default=7)

    Base.metadata.create_all(engine)
    return Person


def stored(engine: ormkit.Engine) -> list[tuple[Any, ...]]:
    """(name, years) of every row, in key order, read with plain SQL."""
    with engine.connect() as conn:
        sql = text("SELECT person_name, years FROM people ORDER BY person_id")
        return [tuple(r) for r in conn.execute(sql).all()]


def test_orm_insert_takes_attribute_names(engine: ormkit.Engine, Person: Any) -> None:
    with Session(engine) as s:
        s.execute(insert(Person), [{"name": "a"}, {"name": "b", "age": 3}])
        s.execute(insert(Person), {"name": "c", "age": 4})
        s.execute(insert(Person).values(name="d"))
        s.execute(insert(Person).values({Person.name: "e", Person.age: 5}))
        s.commit()
    assert stored(engine) == [("a", 7), ("b", 3), ("c", 4), ("d", 7), ("e", 5)]


def test_orm_insert_none_for_a_column_with_a_default_takes_the_default(
    engine: ormkit.Engine, Person: Any
) -> None:
    # as SQLAlchemy's ORM does; null() in values() stores NULL
    with Session(engine) as s:
        s.execute(insert(Person), [{"name": "a", "age": None}, {"name": "b", "age": 2}])
        s.execute(insert(Person), {"name": "c", "age": None})
        s.execute(insert(Person).values(name="d", age=null()))
        s.commit()
    assert stored(engine) == [("a", 7), ("b", 2), ("c", 7), ("d", None)]


def test_orm_insert_groups_parameter_sets_by_their_keys(engine: ormkit.Engine, Person: Any) -> None:
    with Session(engine) as s:
        # same number of keys, not the same keys; then the same keys in another order
        s.execute(insert(Person), [{"name": "a", "age": 1}, {"name": "b", "id": 50}])
        s.execute(insert(Person), [{"name": "c", "id": 60}, {"id": 70, "name": "d"}])
        s.commit()
    assert stored(engine) == [("a", 1), ("b", 7), ("c", 7), ("d", 7)]


def test_orm_insert_unknown_key_names_the_key_and_the_class(
    engine: ormkit.Engine, Person: Any
) -> None:
    with Session(engine) as s:
        with pytest.raises(exc.ArgumentError, match="Person has no column attribute 'nope'"):
            s.execute(insert(Person), [{"name": "a", "nope": 1}])
        with pytest.raises(
            exc.ArgumentError, match="column 'person_name' is mapped as the attribute 'name'"
        ):
            s.execute(insert(Person), [{"person_name": "a"}])
        with pytest.raises(exc.ArgumentError, match="Person has no column attribute 'nope'"):
            s.execute(insert(Person), [{"name": "a", "age": 1}, {"name": "b", "nope": 2}])
        with pytest.raises(exc.ArgumentError, match="unknown attribute 'nope' for Person"):
            insert(Person).values(nope=1)
        s.commit()
    assert stored(engine) == []


def test_orm_insert_returning_the_class_gives_identity_mapped_objects(
    engine: ormkit.Engine, Person: Any
) -> None:
    with Session(engine) as s:
        stmt = insert(Person).returning(Person, sort_by_parameter_order=True)
        people = s.scalars(stmt, [{"name": "a"}, {"name": "b", "age": 3}]).all()
        assert [type(p) for p in people] == [Person, Person]
        assert [(p.name, p.age) for p in people] == [("a", 7), ("b", 3)]
        assert all(inspect(p).persistent for p in people)
        assert s.get(Person, people[1].id) is people[1]
        one = s.scalars(insert(Person).returning(Person), {"name": "c"}).one()
        assert s.get(Person, one.id) is one
        s.commit()
    assert stored(engine) == [("a", 7), ("b", 3), ("c", 7)]


def test_orm_insert_returning_attributes_gives_rows(engine: ormkit.Engine, Person: Any) -> None:
    names = ["e", "c", "a", "d", "b"]
    with Session(engine) as s:
        stmt = insert(Person).returning(Person.id, Person.name, sort_by_parameter_order=True)
        rows = s.execute(stmt, [{"name": n} for n in names]).all()
        s.commit()
    assert [r[1] for r in rows] == names
    assert len({r[0] for r in rows}) == 5


def test_orm_update_takes_attribute_names(engine: ormkit.Engine, Person: Any) -> None:
    with Session(engine) as s:
        person = s.scalars(insert(Person).returning(Person), [{"name": "a"}]).one()
        s.execute(update(Person).where(Person.id == person.id).values(name="b"))
        assert person.name == "b"
        s.execute(update(Person).where(Person.name == "b"), {"age": 40})
        assert person.age == 40
        s.execute(update(Person).filter_by(name="b").values({Person.age: 41}))
        assert person.age == 41
        with pytest.raises(exc.ArgumentError, match="unknown attribute 'nope' for Person"):
            update(Person).values(nope=1)
        with pytest.raises(exc.ArgumentError, match="Person has no column attribute 'nope'"):
            s.execute(update(Person).where(Person.id == person.id), {"nope": 1})
        s.commit()
    assert stored(engine) == [("b", 41)]


def test_bulk_update_by_primary_key_takes_attribute_names(
    engine: ormkit.Engine, Person: Any
) -> None:
    with Session(engine) as s:
        people = s.scalars(
            insert(Person).returning(Person, sort_by_parameter_order=True),
            [{"name": "a"}, {"name": "b"}, {"name": "c"}],
        ).all()
        ids = [p.id for p in people]
        result = s.execute(
            update(Person),
            [
                {"id": ids[0], "name": "x"},
                {"id": ids[1], "age": 9},
                {"id": ids[2], "name": "z", "age": 1},
            ],
        )
        assert result.rowcount == 3
        assert [(p.name, p.age) for p in people] == [("x", 7), ("b", 9), ("z", 1)]
        s.commit()
    assert stored(engine) == [("x", 7), ("b", 9), ("z", 1)]


def test_bulk_update_by_primary_key_refuses_what_it_cannot_do(
    engine: ormkit.Engine, Person: Any
) -> None:
    with Session(engine) as s:
        (pid,) = s.scalars(insert(Person).returning(Person.id), [{"name": "a"}]).all()
        with pytest.raises(exc.InvalidRequestError, match="needs the primary key attribute"):
            s.execute(update(Person), [{"name": "b"}])
        with pytest.raises(exc.StaleDataError, match="matched 0 of 1 row"):
            s.execute(update(Person), [{"id": pid + 100, "name": "b"}])
        with pytest.raises(exc.InvalidRequestError, match="'fetch' is not available"):
            s.execute(
                update(Person),
                [{"id": pid, "name": "b"}],
                execution_options={"synchronize_session": "fetch"},
            )
        with pytest.raises(exc.InvalidRequestError, match="with a WHERE clause"):
            s.execute(update(Person).where(Person.age > 1), [{"id": pid, "name": "b"}])
        with pytest.raises(exc.InvalidRequestError, match="has no RETURNING"):
            s.execute(update(Person).returning(Person.id), [{"id": pid, "name": "b"}])
        with pytest.raises(exc.ArgumentError, match="Person has no column attribute 'nope'"):
            s.execute(update(Person), [{"id": pid, "nope": "b"}])
        s.execute(
            update(Person).where(Person.age > 1),
            [{"id": pid, "name": "c"}],
            execution_options={"synchronize_session": False},
        )
        s.commit()
    assert stored(engine) == [("c", 7)]


def test_orm_delete_with_a_list_of_parameter_sets_is_refused(
    engine: ormkit.Engine, Person: Any
) -> None:
    with Session(engine) as s:
        s.execute(insert(Person), [{"name": "a"}, {"name": "b"}])
        s.commit()
        with pytest.raises(exc.InvalidRequestError, match="DELETE of Person takes no list"):
            s.execute(delete(Person), [{"id": 1}])
        s.commit()
    assert stored(engine) == [("a", 7), ("b", 7)]
