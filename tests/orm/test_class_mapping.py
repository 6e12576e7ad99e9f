"""How classes become mapped: ``declared_attr`` and mixins, the declarative base's own columns,
``DeclarativeMeta`` and ``DeclarativeBaseNoMeta`` bases, and the registry's ways of mapping
plain classes (``mapped``, ``map_imperatively``, ``generate_base``, ``dispose``)."""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap
from typing import Any

import pytest

import ormkit
from ormkit import Column, ForeignKey, Index, Integer, String, Table, exc, inspect, select
from ormkit.orm import (
    DeclarativeBase,
    DeclarativeBaseNoMeta,
    DeclarativeMeta,
    Mapped,
    Session,
    as_declarative,
    class_mapper,
    declarative_base,
    declarative_mixin,
    declared_attr,
    has_inherited_table,
    mapped_column,
    registry,
    relationship,
)


class Base(DeclarativeBase):
    pass


class Named:
    """A mixin: a table name from the class name, a primary key and a name."""

    @declared_attr.directive
    def __tablename__(cls) -> str:
        return cls.__name__.lower()

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))


class Author(Named, Base):
    pass


class HasAuthor:
    """A mixin giving each class its own foreign key column and relationship to Author."""

    author_id: Mapped[int] = mapped_column(ForeignKey("author.id"))

    @declared_attr
    def author(cls) -> Mapped[Author]:
        return relationship(Author, foreign_keys=[cls.author_id])


class Book(Named, HasAuthor, Base):
    pages: Mapped[int | None]


class Article(Named, HasAuthor, Base):
    pass


def test_mixin_columns_and_declared_relationships_are_each_classs_own(
    engine: ormkit.Engine,
) -> None:
    assert Book.__table__.name == "book" and Article.__table__.name == "article"
    assert list(Book.__table__.c.keys()) == ["pages", "id", "name", "author_id"]
    assert Book.__table__.c.author_id is not Article.__table__.c.author_id
    assert Book.author.property is not Article.author.property
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        ann = Author(name="ann")
        s.add_all([Book(name="b", author=ann, pages=10), Article(name="a", author=ann)])
        s.commit()
    with Session(engine) as s:
        book = s.scalars(select(Book)).one()
        article = s.scalars(select(Article)).one()
        assert (book.author.name, article.author.name) == ("ann", "ann")
        assert book.author is article.author


def test_a_declared_attr_is_called_once_per_mapped_class() -> None:
    calls: list[str] = []

    class Counted:
        @declared_attr
        def label(cls) -> Mapped[str]:
            calls.append(cls.__name__)
            return mapped_column(String(10))

    class One(Counted, Base):
        __tablename__ = "counted_one"
        id: Mapped[int] = mapped_column(primary_key=True)

    class Two(Counted, Base):
        __tablename__ = "counted_two"
        id: Mapped[int] = mapped_column(primary_key=True)

    assert calls == ["One", "Two"]
    assert One.__table__.c.label is not Two.__table__.c.label
    assert One.__table__.c.label.nullable is False  # from the function's -> Mapped[str]


def test_declared_attr_reads_give_the_class_the_same_value_while_it_is_mapped() -> None:
    seen: list[Any] = []

    class Twice:
        @declared_attr
        def code(cls) -> Mapped[int]:
            return mapped_column(Integer)

        @declared_attr
        def code_index(cls) -> None:
            seen.append(cls.code)  # the code column made for this class, not a second one
            return None

    class Thing(Twice, Base):
        __tablename__ = "twice_things"
        id: Mapped[int] = mapped_column(primary_key=True)

    (made,) = seen
    assert made.column is Thing.__table__.c.code
    assert "code_index" not in Thing.__mapper__.all_keys()  # declared as None: not mapped


def test_declared_table_and_mapper_args_and_a_declared_tablename_read_after_mapping() -> None:
    class Indexed:
        @declared_attr.directive
        def __tablename__(cls) -> str:
            return f"t_{cls.__name__.lower()}"

        @declared_attr.directive
        def __table_args__(cls) -> Any:
            return (Index(f"ix_{cls.__name__.lower()}_code", "code"), {"comment": "indexed"})

        @declared_attr.directive
        def __mapper_args__(cls) -> dict[str, Any]:
            return {"eager_defaults": "auto"}

        id: Mapped[int] = mapped_column(primary_key=True)
        code: Mapped[str] = mapped_column(String(5))

    class Part(Indexed, Base):
        pass

    assert Part.__table__.name == "t_part"
    assert Part.__table__.comment == "indexed"
    assert [ix.name for ix in Part.__table__.indexes] == ["ix_part_code"]
    assert Part.__tablename__ == "t_part"  # read later, the function runs again


def test_columns_and_the_tablename_can_come_from_the_declarative_base(
    engine: ormkit.Engine,
) -> None:
    class KeyedBase(DeclarativeBase):
        id: Mapped[int] = mapped_column(primary_key=True)

        @declared_attr.directive
        def __tablename__(cls) -> str:
            return cls.__name__.lower() + "s"

    class Planet(KeyedBase):
        name: Mapped[str] = mapped_column(String(20))

    class Moon(KeyedBase):
        planet_id: Mapped[int] = mapped_column(ForeignKey("planets.id"))

    assert list(Planet.__table__.c.keys()) == ["name", "id"]
    assert Moon.__table__.name == "moons" and Moon.__table__.c.id is not Planet.__table__.c.id
    KeyedBase.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Planet(name="earth"))
        s.flush()
        s.add(Moon(planet_id=1))
        s.commit()
        assert s.scalars(select(Moon.planet_id)).all() == [1]


def test_cascading_declared_attr_is_called_for_each_class() -> None:
    class Stamped:
        @declared_attr.cascading
        def stamp(cls) -> Mapped[int | None]:
            return mapped_column(Integer, comment=cls.__name__)

    class Left(Stamped, Base):
        __tablename__ = "cascade_left"
        id: Mapped[int] = mapped_column(primary_key=True)

    class Right(Stamped, Base):
        __tablename__ = "cascade_right"
        id: Mapped[int] = mapped_column(primary_key=True)

    assert (Left.__table__.c.stamp.comment, Right.__table__.c.stamp.comment) == ("Left", "Right")


def test_a_plain_relationship_on_a_mixin_is_refused_naming_declared_attr() -> None:
    class HasOwner:
        owner_id: Mapped[int] = mapped_column(ForeignKey("author.id"))
        owner: Mapped[Author] = relationship(Author)

    with pytest.raises(
        exc.InvalidRequestError,
        match=r"HasOwner.owner: a relationship\(\) on a mixin must be made by a @declared_attr",
    ):

        class Owned(HasOwner, Base):
            __tablename__ = "owned"
            id: Mapped[int] = mapped_column(primary_key=True)


def test_a_declared_attr_giving_something_unmappable_is_refused() -> None:
    class Odd:
        @declared_attr
        def weird(cls) -> Any:
            return 42

    with pytest.raises(
        exc.ArgumentError, match=r"Odd.weird: the @declared_attr gave 42; a declared attribute"
    ):

        class Strange(Odd, Base):
            __tablename__ = "strange"
            id: Mapped[int] = mapped_column(primary_key=True)


def test_a_declared_foreign_key_to_an_unknown_table_names_it(engine: ormkit.Engine) -> None:
    class Base2(DeclarativeBase):
        pass

    class PointsNowhere:
        @declared_attr
        def target_id(cls) -> Mapped[int]:
            return mapped_column(ForeignKey("nowhere.id"))

    class Lost(PointsNowhere, Base2):
        __tablename__ = "lost"
        id: Mapped[int] = mapped_column(primary_key=True)

    with pytest.raises(exc.NoReferencedTableError, match=r"lost.target_id.*'nowhere'"):
        Base2.metadata.create_all(engine)


def test_has_inherited_table_and_declarative_mixin() -> None:
    assert declarative_mixin(Named) is Named
    assert has_inherited_table(Book) is False

    class WithTable:
        __table__ = Book.__table__

    class Below(WithTable):
        pass

    assert has_inherited_table(Below) is True and has_inherited_table(WithTable) is False


def test_a_subclass_of_a_mapped_class_is_refused_until_inheritance_is_supported() -> None:
    with pytest.raises(
        exc.InvalidRequestError,
        match=r"class Novel inherits from the mapped class Book; mapped class inheritance",
    ):

        class Novel(Book):
            __tablename__ = "novels"


# -- DeclarativeMeta and DeclarativeBaseNoMeta bases ------------------------------------------


class NamingMeta(DeclarativeMeta):
    """A metaclass that names tables before mapping, as Flask-SQLAlchemy's does."""

    def __init__(cls, name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> None:
        if "__tablename__" not in cls.__dict__ and "registry" not in cls.__dict__:
            cls.__tablename__ = name.lower() + "_table"
        super().__init__(name, bases, namespace)


def test_a_declarative_meta_subclass_sets_the_table_name_before_mapping(
    engine: ormkit.Engine,
) -> None:
    Model: Any = declarative_base(metaclass=NamingMeta)

    class Gadget(Model):
        id = Column(Integer, primary_key=True)
        label = Column(String(20))

    assert isinstance(Model, DeclarativeMeta) and not issubclass(Model, DeclarativeBase)
    assert Gadget.__table__.name == "gadget_table"
    Model.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Gadget(label="x"))
        s.commit()
        assert s.scalars(select(Gadget.label)).all() == ["x"]
    Gadget.extra = Column(String(5))  # the metaclass maps attributes assigned later
    assert "extra" in Gadget.__mapper__.all_keys()


def test_a_base_written_with_declarative_meta_and_a_registry(engine: ormkit.Engine) -> None:
    reg = registry()

    class Own(metaclass=DeclarativeMeta):
        __abstract__ = True
        registry = reg
        metadata = reg.metadata
        __init__ = reg.constructor

    class Tool(Own):
        __tablename__ = "tools"
        id = Column(Integer, primary_key=True)
        name = Column(String(20))

    reg.metadata.create_all(engine)
    with Session(engine) as s:
        tool = Tool(name="saw")
        s.add(tool)
        s.commit()
        tool.name = "plane"
        assert tool in s.dirty  # changes are tracked without a DeclarativeBase
        s.commit()
        assert s.scalars(select(Tool.name)).all() == ["plane"]


def test_a_declarative_meta_class_without_a_registry_is_refused() -> None:
    with pytest.raises(exc.InvalidRequestError, match=r"class Loose has DeclarativeMeta .* no re"):

        class Loose(metaclass=DeclarativeMeta):
            __tablename__ = "loose"


def test_declarative_base_no_meta_maps_but_leaves_later_attributes_alone(
    engine: ormkit.Engine,
) -> None:
    class PlainBase(DeclarativeBaseNoMeta):
        pass

    class Note(PlainBase):
        __tablename__ = "notes"
        id: Mapped[int] = mapped_column(primary_key=True)
        text: Mapped[str] = mapped_column(String(30))

    assert type(PlainBase) is type
    Note.later = Column(String(5))  # type: ignore[attr-defined]
    assert "later" not in Note.__mapper__.all_keys()
    PlainBase.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Note(text="hi"))
        s.commit()
        assert s.scalars(select(Note.text)).all() == ["hi"]


def test_generate_base_and_as_declarative_make_declarative_meta_bases() -> None:
    reg = registry()
    Made = reg.generate_base(name="Made")
    assert Made.registry is reg and Made.metadata is reg.metadata and Made.__name__ == "Made"

    @as_declarative()
    class Decorated:
        def describe(self) -> str:
            return type(self).__name__

    class Mapped1(Decorated):  # type: ignore[misc]
        __tablename__ = "decorated_one"
        id = Column(Integer, primary_key=True)

    assert isinstance(Decorated, DeclarativeMeta)
    assert Mapped1(id=1).describe() == "Mapped1"
    with pytest.raises(exc.ArgumentError, match=r"generate_base\(\) does not support argument 'm"):
        reg.generate_base(mapper=object())


# -- plain classes mapped by a registry -------------------------------------------------------


def test_registry_mapped_maps_a_plain_class_and_gives_it_a_constructor(
    engine: ormkit.Engine,
) -> None:
    reg = registry()

    @reg.mapped
    class Coin:
        __tablename__ = "coins"
        id: Mapped[int] = mapped_column(primary_key=True)
        face: Mapped[str] = mapped_column(String(10))

    assert class_mapper(Coin).local_table is Coin.__table__
    assert inspect(Coin(face="x")).transient
    reg.metadata.create_all(engine)
    with Session(engine) as s:
        coin = Coin(face="heads")
        s.add(coin)
        s.commit()
        coin.face = "tails"
        assert coin in s.dirty
        s.commit()
    with Session(engine) as s:
        assert s.scalars(select(Coin.face)).all() == ["tails"]


def test_map_imperatively_maps_a_table_with_renamed_columns_and_relationships(
    engine: ormkit.Engine,
) -> None:
    reg = registry()
    people = Table(
        "people",
        reg.metadata,
        Column("id", Integer, primary_key=True),
        Column("full_name", String(30)),
    )
    pets = Table(
        "pets",
        reg.metadata,
        Column("id", Integer, primary_key=True),
        Column("owner_id", ForeignKey("people.id")),
        Column("name", String(20)),
    )

    class Person:
        def __init__(self, name: str) -> None:
            self.name = name

    class Pet:
        pass

    person_mapper = reg.map_imperatively(
        Person,
        people,
        properties={"name": people.c.full_name, "pets": relationship(Pet, backref="owner")},
    )
    reg.map_imperatively(Pet, pets)
    assert sorted(person_mapper.all_keys()) == ["id", "name", "pets"]
    assert Person.__init__.__qualname__.endswith("Person.__init__")  # its own is kept
    reg.metadata.create_all(engine)
    with Session(engine) as s:
        ann = Person("ann")
        ann.pets.append(Pet(name="rex"))  # type: ignore[attr-defined]
        s.add(ann)
        s.commit()
    with Session(engine) as s:
        pet = s.scalars(select(Pet)).one()
        assert (pet.name, pet.owner.name) == ("rex", "ann")  # type: ignore[attr-defined]
        assert s.scalars(select(Person.name)).all() == ["ann"]  # type: ignore[attr-defined]


def test_map_imperatively_refuses_what_it_cannot_map() -> None:
    reg = registry()
    table = Table("refused", reg.metadata, Column("id", Integer, primary_key=True))
    other = Table("elsewhere", reg.metadata, Column("id", Integer, primary_key=True))

    class A:
        pass

    with pytest.raises(exc.ArgumentError, match=r"property 'x' is .*a column of table 'refused'"):
        reg.map_imperatively(A, table, properties={"x": other.c.id})
    with pytest.raises(exc.ArgumentError, match=r"map_imperatively\(A\): key 'exclude_prop"):
        reg.map_imperatively(A, table, exclude_properties=["id"])
    with pytest.raises(exc.ArgumentError, match=r"needs a Table to map to, got None"):
        reg.map_imperatively(A)

    class Noisy:
        def __setattr__(self, key: str, value: object) -> None:
            object.__setattr__(self, key, value)

    with pytest.raises(exc.ArgumentError, match=r"class Noisy defines __setattr__"):
        reg.map_imperatively(Noisy, table)
    reg.map_imperatively(A, table)
    with pytest.raises(exc.ArgumentError, match=r"class A is mapped already"):
        reg.map_imperatively(A, table)


def test_an_imperatively_mapped_object_pickles_with_its_events() -> None:
    reg = registry()
    table = Table("pickled", reg.metadata, Column("id", Integer, primary_key=True))
    reg.map_imperatively(PickledThing, table)
    seen: list[str] = []
    ormkit.event.listen(PickledThing, "pickle", lambda obj, d: seen.append("pickle"))
    ormkit.event.listen(PickledThing, "unpickle", lambda obj, d: seen.append("unpickle"))
    back = pickle.loads(pickle.dumps(PickledThing(id=3)))
    assert back.id == 3 and seen == ["pickle", "unpickle"]
    reg.dispose()


class PickledThing:
    """A plain class at module level (pickle finds it by name)."""


def test_dispose_unmaps_the_registrys_classes() -> None:
    reg = registry()

    @reg.mapped
    class Gone:
        __tablename__ = "gone"
        id: Mapped[int] = mapped_column(primary_key=True)

    reg.dispose()
    assert reg.mappers == frozenset()
    with pytest.raises(exc.UnmappedClassError, match="class Gone is not mapped"):
        class_mapper(Gone)
    assert "id" not in Gone.__dict__


def test_dispose_of_a_registry_others_lead_into_needs_cascade() -> None:
    one, two = registry(), registry()

    @one.mapped
    class Target:
        __tablename__ = "targets"
        id: Mapped[int] = mapped_column(primary_key=True)

    @two.mapped
    class Pointer:
        __tablename__ = "pointers"
        id: Mapped[int] = mapped_column(primary_key=True)
        target_id: Mapped[int] = mapped_column(ForeignKey(Target.id))
        target: Mapped[Target] = relationship(Target)

    two.configure(cascade=True)
    with pytest.raises(exc.InvalidRequestError, match=r"mapping Pointer\); call dispose\(casc"):
        one.dispose()
    one.dispose(cascade=True)
    assert one.mappers == two.mappers == frozenset()


def test_clear_mappers_unmaps_every_registry() -> None:
    # in a process of its own: it unmaps every class, this test suite's too
    script = textwrap.dedent(
        """
        from ormkit import exc
        from ormkit.orm import DeclarativeBase, Mapped, class_mapper, clear_mappers
        from ormkit.orm import mapped_column, registry

        class Base(DeclarativeBase):
            pass

        class One(Base):
            __tablename__ = "one"
            id: Mapped[int] = mapped_column(primary_key=True)

        reg = registry()

        @reg.mapped
        class Two:
            __tablename__ = "two"
            id: Mapped[int] = mapped_column(primary_key=True)

        clear_mappers()
        for cls in (One, Two):
            try:
                class_mapper(cls)
            except exc.UnmappedClassError:
                print(cls.__name__, "unmapped")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.split("\n")[:2] == ["One unmapped", "Two unmapped"]
