"""column_property(), deferred() and mapped_column(deferred=True): attributes loaded from SQL
expressions, and columns left out of the entity SELECT until first read."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

import ormkit
from ormkit import ForeignKey, String, Text, exc, func, inspect, select
from ormkit.orm import (
    DeclarativeBase,
    Mapped,
    MappedAsDataclass,
    Session,
    aliased,
    column_property,
    declared_attr,
    deferred,
    mapped_column,
    relationship,
    selectinload,
)
from ormkit.testing import count_queries

from .conftest import Recorder


def people_models(engine: ormkit.Engine) -> tuple[Any, Any]:
    """Person (first/last, a fullname expression, a deferred bio and notes in one group, a
    deferred raiseload secret) and its Pets; Person.pet_count is added after the class."""

    class Base(DeclarativeBase):
        pass

    class Pet(Base):
        __tablename__ = "pets"
        id: Mapped[int] = mapped_column(primary_key=True)
        owner_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
        name: Mapped[str] = mapped_column(String(30))
        owner: Mapped[Person] = relationship(back_populates="pets")

    class Person(Base):
        __tablename__ = "people"
        id: Mapped[int] = mapped_column(primary_key=True)
        first: Mapped[str] = mapped_column(String(30))
        last: Mapped[str] = mapped_column(String(30))
        fullname: Mapped[str] = column_property(first + " " + last)
        bio: Mapped[str | None] = mapped_column(Text, deferred=True, deferred_group="text")
        notes: Mapped[str | None] = mapped_column(Text, deferred=True, deferred_group="text")
        secret: Mapped[str | None] = mapped_column(String(30), deferred_raiseload=True)
        pets: Mapped[list[Pet]] = relationship(back_populates="owner", order_by=Pet.id)

    Person.pet_count = column_property(
        select(func.count(Pet.id))
        .where(Pet.owner_id == Person.id)
        .correlate_except(Pet)
        .scalar_subquery()
    )
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        ed = Person(id=1, first="ed", last="jones", bio="b1", notes="n1", secret="s1")
        ed.pets = [Pet(id=1, name="rex"), Pet(id=2, name="tom")]
        s.add_all([ed, Person(id=2, first="al", last="cole", bio="b2")])
        s.commit()
    return Person, Pet


def loaded(obj: Any) -> list[str]:
    return sorted(k for k in obj.__dict__ if not k.startswith("_"))


def test_an_expression_is_selected_with_the_entity_and_deferred_columns_are_not(
    engine: ormkit.Engine,
) -> None:
    Person, _ = people_models(engine)
    sql = str(select(Person))
    assert "AS fullname" in sql and "AS pet_count" in sql
    assert "bio" not in sql and "notes" not in sql and "secret" not in sql
    with Session(engine) as s:
        ed, al = s.scalars(select(Person).order_by(Person.id)).all()
        assert loaded(ed) == ["first", "fullname", "id", "last", "pet_count"]
        assert (ed.fullname, ed.pet_count, al.fullname, al.pet_count) == (
            "ed jones",
            2,
            "al cole",
            0,
        )


def test_a_deferred_column_loads_on_first_read_with_its_group_in_one_select(
    engine: ormkit.Engine,
) -> None:
    Person, _ = people_models(engine)
    with Session(engine) as s:
        ed = s.get(Person, 1)
        with count_queries(engine) as q:
            assert ed.bio == "b1"
            assert ed.notes == "n1"
        assert q.count == 1
        assert "secret" not in ed.__dict__


def test_a_raiseload_column_refuses_to_load_naming_it(engine: ormkit.Engine) -> None:
    Person, _ = people_models(engine)
    with Session(engine) as s:
        ed = s.get(Person, 1)
        with pytest.raises(exc.InvalidRequestError, match=r"'Person.secret' is not available"):
            ed.secret  # noqa: B018
        ed.secret = "new"  # setting it needs no load
        s.commit()
    with engine.connect() as conn:
        assert conn.execute(select(Person.__table__.c.secret).where(Person.id == 1)).scalar() == (
            "new"
        )


def test_a_deferred_column_of_a_detached_object_says_it_was_left_out(
    engine: ormkit.Engine,
) -> None:
    Person, _ = people_models(engine)
    with Session(engine, expire_on_commit=False) as s:
        ed = s.get(Person, 1)
    with pytest.raises(
        exc.DetachedInstanceError, match=r"deferred attribute 'Person.bio', which the query"
    ):
        ed.bio  # noqa: B018
    assert ed.fullname == "ed jones"  # loaded with the object


def test_an_expression_of_a_new_object_reads_none_and_is_computed_after_the_flush(
    engine: ormkit.Engine,
) -> None:
    Person, _ = people_models(engine)
    with Session(engine) as s:
        cy = Person(id=3, first="cy", last="wu")
        s.add(cy)
        assert cy.fullname is None
        s.flush()
        assert "fullname" not in cy.__dict__
        assert (cy.fullname, cy.pet_count) == ("cy wu", 0)


def test_an_update_expires_the_expressions_of_its_object(engine: ormkit.Engine) -> None:
    Person, Pet = people_models(engine)
    with Session(engine) as s:
        ed = s.get(Person, 1)
        assert ed.fullname == "ed jones"
        ed.first = "eddie"
        s.flush()
        assert ed.fullname == "eddie jones"
        s.add(Pet(id=3, owner_id=1, name="kit"))
        s.flush()  # the pet's INSERT: the person's count stays as loaded until expired
        assert ed.pet_count == 2
        s.expire(ed)
        assert ed.pet_count == 3


def test_expire_on_flush_false_keeps_the_value_read(engine: ormkit.Engine) -> None:
    class Base(DeclarativeBase):
        pass

    class Item(Base):
        __tablename__ = "items"
        id: Mapped[int] = mapped_column(primary_key=True)
        price: Mapped[int] = mapped_column()
        doubled: Mapped[int] = column_property(price * 2, expire_on_flush=False)

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        item = Item(id=1, price=3)
        s.add(item)
        s.commit()
        assert item.doubled == 6
        item.price = 5
        s.flush()
        assert item.doubled == 6  # not expired by the flush
        s.refresh(item)
        assert item.doubled == 10


def test_an_expression_works_in_where_order_by_and_select_lists(engine: ormkit.Engine) -> None:
    Person, _ = people_models(engine)
    with Session(engine) as s:
        found = s.scalars(select(Person).where(Person.fullname == "al cole")).all()
        assert [p.id for p in found] == [2]
        assert s.scalars(select(Person.fullname).order_by(Person.fullname)).all() == [
            "al cole",
            "ed jones",
        ]
        rows = s.execute(select(Person.id, Person.pet_count).order_by(Person.pet_count)).all()
        assert [tuple(r) for r in rows] == [(2, 0), (1, 2)]
        assert s.scalars(select(Person.bio).where(Person.id == 2)).one() == "b2"


def test_refresh_and_expire_load_expressions_again_and_deferred_columns_on_read(
    engine: ormkit.Engine, recorder: Recorder
) -> None:
    Person, _ = people_models(engine)
    with Session(engine) as s:
        ed = s.get(Person, 1)
        assert ed.bio == "b1"
        s.refresh(ed)
        assert "bio" not in ed.__dict__ and ed.__dict__["fullname"] == "ed jones"
        s.refresh(ed, ["bio"])
        assert ed.__dict__["bio"] == "b1"
        s.expire(ed)
        recorder.clear()
        assert ed.id == 1
        assert "bio" not in recorder.selects[0]
        assert "AS fullname" in recorder.selects[0]


def test_related_objects_loaded_by_selectinload_or_a_join_get_their_expressions(
    engine: ormkit.Engine,
) -> None:
    Person, Pet = people_models(engine)
    with Session(engine) as s:
        pets = s.scalars(select(Pet).options(selectinload(Pet.owner)).order_by(Pet.id)).all()
        with count_queries(engine) as q:
            assert pets[0].owner.fullname == "ed jones"
        assert q.count == 0
    with Session(engine) as s:
        other = aliased(Person)
        ed = s.scalars(select(other).where(other.id == 1)).one()
        assert "bio" not in ed.__dict__
        assert ed.fullname == "ed jones"  # not selected through the alias: loaded on read


def test_column_property_of_a_column_and_deferred_of_a_column(engine: ormkit.Engine) -> None:
    class Base(DeclarativeBase):
        pass

    class Doc(Base):
        __tablename__ = "docs"
        id: Mapped[int] = mapped_column(primary_key=True)
        title: Mapped[str] = column_property(mapped_column(String(30)), info={"shown": True})
        body: Mapped[str] = deferred(mapped_column(Text))

    Base.metadata.create_all(engine)
    assert Doc.title.info == {"shown": True}
    with Session(engine) as s:
        s.add(Doc(id=1, title="t", body="long"))
        s.commit()
        s.expunge_all()
        doc = s.get(Doc, 1)
        assert loaded(doc) == ["id", "title"]
        assert doc.body == "long"


def test_a_column_property_on_a_mixin_is_made_by_declared_attr(engine: ormkit.Engine) -> None:
    class Base(DeclarativeBase):
        pass

    class Named:
        first: Mapped[str] = mapped_column(String(30))
        last: Mapped[str] = mapped_column(String(30))

        @declared_attr
        def fullname(cls) -> Mapped[str]:
            return column_property(cls.first + " " + cls.last)

    class Author(Named, Base):
        __tablename__ = "authors"
        id: Mapped[int] = mapped_column(primary_key=True)

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Author(id=1, first="a", last="b"))
        s.commit()
        assert s.get(Author, 1).fullname == "a b"


def test_inspection_shows_column_properties(engine: ormkit.Engine) -> None:
    Person, _ = people_models(engine)
    mapper = inspect(Person)
    assert {"fullname", "pet_count", "bio"} <= set(mapper.column_attrs)
    prop = mapper.column_attrs["bio"]
    assert prop.deferred and prop.group == "text"
    assert Person.fullname.property is mapper.column_attrs["fullname"]
    assert Person.fullname.expression is mapper.column_attrs["fullname"].expression


def test_misconfigured_column_properties_are_refused_by_name() -> None:
    class Base(DeclarativeBase):
        pass

    with pytest.raises(exc.ArgumentError, match=r"column_property\(\) of several columns"):
        column_property(ormkit.Column("a", String), ormkit.Column("b", String))
    with pytest.raises(exc.ArgumentError, match=r"does not support argument 'comparator_factory'"):
        column_property(ormkit.Column("a", String), comparator_factory=object)
    with pytest.raises(exc.ArgumentError, match=r"does not support argument 'active_history'"):
        deferred(ormkit.Column("a", String), active_history=True)
    with pytest.raises(exc.ArgumentError, match=r"needs a column or a SQL expression, got 5"):
        column_property(5)
    with pytest.raises(exc.ArgumentError, match=r"Thing.id: a primary key column cannot be"):

        class Thing(Base):
            __tablename__ = "things"
            id: Mapped[int] = mapped_column(primary_key=True, deferred=True)

    with pytest.raises(exc.ArgumentError, match=r"Gadget.name: column_property\(expire_on_flush"):

        class Gadget(Base):
            __tablename__ = "gadgets"
            id: Mapped[int] = mapped_column(primary_key=True)
            name: Mapped[str] = column_property(mapped_column(String(9)), expire_on_flush=False)

    class Widget(Base):
        __tablename__ = "widgets"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(9))

    with pytest.raises(exc.ArgumentError, match=r"Widget.size: a column_property\(\) of a column"):
        Widget.size = column_property(ormkit.Column("size", String(9)))
    with pytest.raises(exc.ArgumentError, match=r"Widget.name is already mapped"):
        Widget.name = column_property(Widget.id + 1)

    class Mixin:
        code: Mapped[str] = column_property(ormkit.literal("x"))

    with pytest.raises(exc.InvalidRequestError, match=r"Mixin.code: a column_property\(\) on a"):

        class Part(Mixin, Base):
            __tablename__ = "parts"
            id: Mapped[int] = mapped_column(primary_key=True)


def test_a_column_property_of_a_dataclass_model_is_a_field_left_out_of_init(
    engine: ormkit.Engine,
) -> None:
    class Base(MappedAsDataclass, DeclarativeBase):
        pass

    class Member(Base):
        __tablename__ = "members"
        id: Mapped[int] = mapped_column(primary_key=True, init=False)
        first: Mapped[str] = mapped_column(String(20))
        last: Mapped[str] = mapped_column(String(20))
        full: Mapped[str] = column_property(first + " " + last, init=False)

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        member = Member(first="a", last="b")
        assert repr(member).endswith("Member(id=None, first='a', last='b', full=None)")
        s.add(member)
        s.commit()
        assert dataclasses.asdict(member) == {"id": 1, "first": "a", "last": "b", "full": "a b"}
