"""Declarative mapping: bases, columns from annotations, table arguments, mapper inspection."""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid
from typing import Optional

import pytest

import ormkit
from ormkit import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    UniqueConstraint,
    exc,
    inspect,
    select,
)
from ormkit.ext.declarative import declarative_base as ext_declarative_base
from ormkit.orm import (
    DeclarativeBase,
    Mapped,
    Mapper,
    Session,
    declarative_base,
    mapped_column,
    registry,
    relationship,
)
from ormkit.sql.types import Uuid

from .conftest import Models


class Color(enum.Enum):
    red = 1
    green = 2


class Opaque:
    """A Python type with no SQL type."""


def fresh_base() -> type[DeclarativeBase]:
    class Base(DeclarativeBase):
        pass

    return Base


# -- bases ------------------------------------------------------------------------------------


@pytest.mark.parametrize("factory", [declarative_base, ext_declarative_base])
def test_declarative_base_function_makes_a_base_that_maps_and_persists(
    engine: ormkit.Engine, factory: object
) -> None:
    Base = factory()  # type: ignore[operator]

    class Item(Base):  # type: ignore[valid-type,misc]
        __tablename__ = "items"
        id = Column(Integer, primary_key=True)
        label = Column(String(50), nullable=False)

    assert isinstance(Base.metadata, MetaData)
    assert Base.metadata.tables["items"] is Item.__table__
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Item(label="first"))
        s.commit()
        assert s.scalars(select(Item.label)).all() == ["first"]


def test_ext_declarative_reexports_the_orm_declarative_base() -> None:
    assert ext_declarative_base is declarative_base


def test_declarative_base_metadata_argument_is_used() -> None:
    md = MetaData()
    Base = declarative_base(metadata=md)

    class Item(Base):  # type: ignore[valid-type,misc]
        __tablename__ = "items"
        id = Column(Integer, primary_key=True)

    assert Base.metadata is md
    assert md.tables["items"] is Item.__table__


def test_each_declarative_base_subclass_has_its_own_metadata_and_registry() -> None:
    A, B = fresh_base(), fresh_base()
    assert A.metadata is not B.metadata
    assert isinstance(A.registry, registry)
    assert A.registry.metadata is A.metadata

    class Item(A):
        __tablename__ = "items"
        id: Mapped[int] = mapped_column(primary_key=True)

    assert "items" in A.metadata.tables
    assert "items" not in B.metadata.tables
    assert inspect(Item) in A.registry.mappers


def test_classic_column_attributes_map_columns_with_attribute_keys() -> None:
    Base = fresh_base()

    class User(Base):
        __tablename__ = "users"
        id = Column(Integer, primary_key=True)
        name = Column(String(50), nullable=False)
        email_address = Column("email", String(100), unique=True)

    table = User.__table__
    assert [c.name for c in table.columns] == ["id", "name", "email"]
    assert table.c.id.primary_key
    assert table.c.name.nullable is False
    assert str(User.email_address == "x").startswith("users.email = :")
    assert User(email_address="e@x").email_address == "e@x"


def test_column_named_apart_from_its_attribute_is_keyed_by_its_name_in_table_c() -> None:
    # SQLAlchemy: Table.c is keyed by Column.key, which defaults to the column's name; the
    # attribute name is the mapper's business (User.__table__.c.email, User.email_address)
    Base = fresh_base()

    class User(Base):
        __tablename__ = "users"
        id = Column(Integer, primary_key=True)
        email_address = Column("email", String(100), unique=True)
        named: Mapped[int] = mapped_column("named_col")

    assert User.__table__.c.keys() == ["id", "email", "named_col"]
    assert User.email_address.column is User.__table__.c.email  # type: ignore[attr-defined]


# -- types from annotations -------------------------------------------------------------------


def test_mapped_annotations_infer_sql_types() -> None:
    Base = fresh_base()

    class Thing(Base):
        __tablename__ = "things"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str]
        flag: Mapped[bool]
        ratio: Mapped[float]
        price: Mapped[decimal.Decimal]
        created: Mapped[datetime.datetime]
        day: Mapped[datetime.date]
        token: Mapped[uuid.UUID]
        color: Mapped[Color]

    c = Thing.__table__.c
    assert isinstance(c.id.type, Integer)
    assert type(c.name.type) is String
    assert isinstance(c.flag.type, Boolean)
    assert isinstance(c.ratio.type, Float)
    assert type(c.price.type) is Numeric
    assert isinstance(c.created.type, DateTime)
    assert type(c.day.type) is Date
    assert isinstance(c.token.type, Uuid)
    assert isinstance(c.color.type, Enum)
    assert c.color.type.enum_class is Color


def test_optional_annotations_are_nullable_and_others_not_null() -> None:
    Base = fresh_base()

    class Thing(Base):
        __tablename__ = "things"
        id: Mapped[int] = mapped_column(primary_key=True)
        required: Mapped[str] = mapped_column(String(50))
        union_none: Mapped[str | None] = mapped_column(String(50))
        optional: Mapped[Optional[int]]  # noqa: UP045 - the typing.Optional spelling on purpose
        count: Mapped[int]

    c = Thing.__table__.c
    assert c.id.nullable is False
    assert c.required.nullable is False
    assert c.union_none.nullable is True
    assert c.optional.nullable is True
    assert isinstance(c.optional.type, Integer)
    assert c.count.nullable is False


def test_explicit_nullable_and_type_override_the_annotation() -> None:
    Base = fresh_base()

    class Thing(Base):
        __tablename__ = "things"
        id: Mapped[int] = mapped_column(primary_key=True)
        code: Mapped[str] = mapped_column(String(10), nullable=True)
        maybe: Mapped[str | None] = mapped_column(String(20), nullable=False)
        named: Mapped[int] = mapped_column("named_col")

    c = Thing.__table__.c
    assert c.code.nullable is True
    assert c.code.type.length == 10
    assert c.maybe.nullable is False
    assert Thing.named.column.name == "named_col"  # type: ignore[attr-defined]
    assert str(Thing.named == 1).startswith("things.named_col = :")


def test_type_annotation_map_gives_str_a_length(engine: ormkit.Engine) -> None:
    class Base(DeclarativeBase):
        type_annotation_map = {str: String(50)}

    class Note(Base):
        __tablename__ = "notes"
        id: Mapped[int] = mapped_column(primary_key=True)
        body: Mapped[str]

    assert Note.__table__.c.body.type.length == 50
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Note(body="hello"))
        s.commit()
        assert s.scalar(select(Note.body)) == "hello"


def test_inferred_types_round_trip_values(engine: ormkit.Engine) -> None:
    Base = fresh_base()

    class Thing(Base):
        __tablename__ = "things"
        id: Mapped[int] = mapped_column(primary_key=True)
        flag: Mapped[bool]
        price: Mapped[decimal.Decimal] = mapped_column(Numeric(10, 2))
        created: Mapped[datetime.datetime]
        day: Mapped[datetime.date]
        token: Mapped[uuid.UUID]
        color: Mapped[Color]
        note: Mapped[str | None] = mapped_column(String(50))

    Base.metadata.create_all(engine)
    token = uuid.uuid4()
    values = {
        "flag": True,
        "price": decimal.Decimal("12.50"),
        "created": datetime.datetime(2024, 5, 6, 7, 8, 9),
        "day": datetime.date(2024, 5, 6),
        "token": token,
        "color": Color.green,
        "note": None,
    }
    with Session(engine) as s:
        s.add(Thing(id=1, **values))
        s.commit()
    with Session(engine) as s:
        thing = s.get(Thing, 1)
        assert thing is not None
        assert {k: getattr(thing, k) for k in values} == values


# -- table arguments --------------------------------------------------------------------------


def test_table_args_tuple_with_constraints_and_trailing_dict() -> None:
    Base = fresh_base()

    class Account(Base):
        __tablename__ = "accounts"
        __table_args__ = (
            UniqueConstraint("owner", "label", name="uq_owner_label"),
            CheckConstraint("balance >= 0", name="ck_balance"),
            Index("ix_accounts_label", "label"),
            {"comment": "money"},
        )
        id: Mapped[int] = mapped_column(primary_key=True)
        owner: Mapped[str] = mapped_column(String(50))
        label: Mapped[str] = mapped_column(String(50))
        balance: Mapped[int]

    table = Account.__table__
    names = {c.name for c in table.constraints}
    assert {"uq_owner_label", "ck_balance"} <= names
    assert {i.name for i in table.indexes} == {"ix_accounts_label"}
    assert table.comment == "money"


def test_table_args_dict_alone() -> None:
    Base = fresh_base()

    class Account(Base):
        __tablename__ = "accounts"
        __table_args__ = {"comment": "just a dict", "info": {"owner": "tests"}}
        id: Mapped[int] = mapped_column(primary_key=True)

    assert Account.__table__.comment == "just a dict"
    assert Account.__table__.info == {"owner": "tests"}


def test_table_args_constraints_are_enforced(engine: ormkit.Engine) -> None:
    Base = fresh_base()

    class Account(Base):
        __tablename__ = "accounts"
        __table_args__ = (UniqueConstraint("owner", "label", name="uq_owner_label"),)
        id: Mapped[int] = mapped_column(primary_key=True)
        owner: Mapped[str] = mapped_column(String(50))
        label: Mapped[str] = mapped_column(String(50))

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Account(owner="a", label="x"), Account(owner="a", label="x")])
        with pytest.raises(exc.IntegrityError, match=r"(?i)unique|duplicate"):
            s.flush()


def test_table_given_directly_with___table__() -> None:
    Base = fresh_base()
    table = Table(
        "people",
        Base.metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(50)),
    )

    class Person(Base):
        __table__ = table

    assert Person.__table__ is table
    assert inspect(Person).local_table is table
    person = Person(name="ann")
    assert person.name == "ann"
    assert str(Person.name == "x").startswith("people.name = ")


def test_columns_come_from_mixins_and_abstract_bases() -> None:
    Base = fresh_base()

    class HasId:
        id: Mapped[int] = mapped_column(primary_key=True)

    class Named(Base):
        __abstract__ = True
        name: Mapped[str] = mapped_column(String(50))

    class Widget(HasId, Named):
        __tablename__ = "widgets"
        size: Mapped[int]

    class Gadget(HasId, Named):
        __tablename__ = "gadgets"

    assert set(Widget.__table__.c.keys()) == {"id", "name", "size"}
    assert set(Gadget.__table__.c.keys()) == {"id", "name"}
    assert Widget.__table__.c.id.primary_key
    # each table gets its own column
    assert Widget.__table__.c.name is not Gadget.__table__.c.name
    assert Gadget.__table__.c.name.table is Gadget.__table__


def test_classic_unnamed_column_on_a_mixin_is_copied_into_each_table() -> None:
    Base = fresh_base()

    class Timestamped:
        created = Column(DateTime)

    class Widget(Timestamped, Base):
        __tablename__ = "widgets"
        id: Mapped[int] = mapped_column(primary_key=True)

    class Gadget(Timestamped, Base):
        __tablename__ = "gadgets"
        id: Mapped[int] = mapped_column(primary_key=True)

    assert Widget.__table__.c.keys() == ["id", "created"]
    assert Widget.__table__.c.created is not Gadget.__table__.c.created
    assert Widget.__table__.c.created.table is Widget.__table__
    assert isinstance(Gadget.__table__.c.created.type, DateTime)


# -- constructor and user methods -------------------------------------------------------------


def test_keyword_constructor_sets_attributes(models: Models) -> None:
    user = models.User(name="ed", fullname="Ed Jones", age=3)
    assert (user.name, user.fullname, user.age) == ("ed", "Ed Jones", 3)
    assert user.nickname is None
    assert user.id is None


def test_unknown_keyword_is_a_type_error_naming_class_and_key(models: Models) -> None:
    with pytest.raises(TypeError, match=r"'bogus' is an invalid keyword argument for User"):
        models.User(name="ed", bogus=1)


def test_keyword_constructor_goes_through_a_user_defined_setattr() -> None:
    class Base(DeclarativeBase):
        pass

    class Shouting(Base):
        __tablename__ = "shouting"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str]

        def __setattr__(self, key: str, value: object) -> None:
            super().__setattr__(key, value.upper() if isinstance(value, str) else value)

    assert Shouting(name="quiet").name == "QUIET"


def test_user_defined_init_and_repr_are_left_alone(engine: ormkit.Engine) -> None:
    Base = fresh_base()

    class Point(Base):
        __tablename__ = "points"
        id: Mapped[int] = mapped_column(primary_key=True)
        x: Mapped[int]
        y: Mapped[int]

        def __init__(self, x: int, y: int) -> None:
            self.x = x
            self.y = y * 10

        def __repr__(self) -> str:
            return f"<Point {self.x},{self.y}>"

    p = Point(1, 2)
    assert repr(p) == "<Point 1,20>"
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(p)
        s.commit()
        loaded = s.scalars(select(Point)).one()
        assert repr(loaded) == "<Point 1,20>"


# -- metadata, table and mapper ---------------------------------------------------------------


def test_base_metadata_holds_the_tables(models: Models) -> None:
    tables = models.Base.metadata.tables
    assert set(tables) == {"users", "addresses"}
    assert tables["users"] is models.User.__table__
    assert isinstance(models.User.__table__, Table)
    fks = list(models.Address.__table__.c.user_id.foreign_keys)
    assert [fk.column for fk in fks] == [models.User.__table__.c.id]


def test_inspect_class_gives_its_mapper(models: Models) -> None:
    User = models.User
    mapper = inspect(User)
    assert isinstance(mapper, Mapper)
    assert mapper.class_ is User
    assert mapper.local_table is User.__table__
    assert [c.name for c in mapper.columns] == ["id", "name", "fullname", "nickname", "age"]
    assert tuple(mapper.primary_key) == (User.__table__.c.id,)
    assert set(mapper.attrs.keys()) == {"id", "name", "fullname", "nickname", "age"}
    assert mapper.attrs["name"].key == "name"


def test_table_without_primary_key_is_an_argument_error() -> None:
    Base = fresh_base()
    with pytest.raises(exc.ArgumentError, match=r"(?i)NoKey.*primary key.*'nokeys'"):

        class NoKey(Base):
            __tablename__ = "nokeys"
            name: Mapped[str] = mapped_column(String(50))


def test_class_without_tablename_is_an_invalid_request() -> None:
    Base = fresh_base()
    with pytest.raises(exc.InvalidRequestError, match=r"Nameless.*__tablename__"):

        class Nameless(Base):
            id: Mapped[int] = mapped_column(primary_key=True)


def test_annotation_without_a_sql_type_is_an_argument_error_naming_the_attribute() -> None:
    Base = fresh_base()
    with pytest.raises(exc.ArgumentError, match=r"Holder\.blob.*no SQL type"):

        class Holder(Base):
            __tablename__ = "holders"
            id: Mapped[int] = mapped_column(primary_key=True)
            blob: Mapped[Opaque]


def test_mapped_column_without_type_or_annotation_is_an_argument_error() -> None:
    Base = fresh_base()
    with pytest.raises(exc.ArgumentError, match=r"Holder\.value: mapped_column\(\) needs a type"):

        class Holder(Base):
            __tablename__ = "holders"
            id: Mapped[int] = mapped_column(primary_key=True)
            value = mapped_column()


def test_class_attribute_comparison_builds_sql(models: Models) -> None:
    User = models.User
    expr = User.name == "ed"
    assert isinstance(expr, ormkit.ColumnElement)
    assert str(expr) == "users.name = :name_1"
    assert "users.name = :name_1" in str(select(User).where(expr))
    assert str(User.age > 5) == "users.age > :age_1"


def test_foreign_key_column_gets_type_from_annotation() -> None:
    Base = fresh_base()

    class Parent(Base):
        __tablename__ = "parents"
        id: Mapped[int] = mapped_column(primary_key=True)

    class Child(Base):
        __tablename__ = "children"
        id: Mapped[int] = mapped_column(primary_key=True)
        parent_id: Mapped[int | None] = mapped_column(ForeignKey("parents.id"))

    col = Child.__table__.c.parent_id
    assert col.nullable is True
    assert [fk.column for fk in col.foreign_keys] == [Parent.__table__.c.id]


def test_relationship_target_in_quotes_inside_an_evaluated_annotation() -> None:
    """``Mapped["Shelf | None"]`` and ``Mapped[list["Book"]]`` in a module without
    ``from __future__ import annotations``: the quoted part names the class."""
    Base = fresh_base()
    shelf_ns = {
        "__tablename__": "shelves",
        "__annotations__": {"id": Mapped[int], "books": Mapped[list["Book"]]},
        "id": mapped_column(primary_key=True),
        "books": relationship(back_populates="shelf"),
    }
    book_ns = {
        "__tablename__": "books",
        "__annotations__": {
            "id": Mapped[int],
            "shelf_id": Mapped[int | None],
            "shelf": Mapped["Shelf | None"],
        },
        "id": mapped_column(primary_key=True),
        "shelf_id": mapped_column(ForeignKey("shelves.id")),
        "shelf": relationship(back_populates="books"),
    }
    Shelf = type("Shelf", (Base,), shelf_ns)
    Book = type("Book", (Base,), book_ns)
    book = Book(shelf=Shelf())
    assert book.shelf.books == [book]
    assert ormkit.inspect(Book).relationships["shelf"].uselist is False


# -- attributes assigned to a mapped class after its declaration ----------------------------------


def test_relationship_assigned_after_declaration_is_mapped_with_back_populates(
    engine: ormkit.Engine,
) -> None:
    """SQLAlchemy's 1.4 ORM tutorial: the other side already names ``addresses``."""
    Base = fresh_base()

    class User(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50))

    class Address(Base):
        __tablename__ = "addresses"
        id: Mapped[int] = mapped_column(primary_key=True)
        email: Mapped[str] = mapped_column(String(50))
        user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
        user = relationship("User", back_populates="addresses")

    User.addresses = relationship("Address", order_by=Address.id, back_populates="user")
    assert "addresses" in inspect(User).relationships
    Base.metadata.create_all(engine)
    ed = User(id=1, name="ed")
    second, first = Address(id=2, email="b@x"), Address(id=1, email="a@x")
    ed.addresses = [second]
    ed.addresses.append(first)
    assert second.user is ed and first.user is ed  # back_populates links both sides
    with Session(engine) as s:
        s.add(ed)
        s.commit()
    with Session(engine) as s:
        loaded = s.get(User, 1)
        assert [a.email for a in loaded.addresses] == ["a@x", "b@x"]  # order_by=Address.id
        assert all(a.user is loaded for a in loaded.addresses)
        assert s.scalars(select(User).join(User.addresses).where(Address.id == 2)).one() is loaded


def test_relationship_assigned_after_a_query_ran_is_configured_at_next_use(
    engine: ormkit.Engine, models: Models
) -> None:
    User, Address = models.User, models.Address
    with Session(engine) as s:
        s.add(User(id=1, name="ed"))
        s.commit()
        assert s.scalars(select(User)).all()  # mappers configured
    User.addresses = relationship(Address, backref="user", order_by=Address.id)
    with Session(engine) as s:
        ed = s.get(User, 1)
        ed.addresses.append(Address(id=1, email="a@x"))
        s.commit()
        address = s.get(Address, 1)
        assert address.user is ed
        assert s.scalars(select(User).where(User.addresses.any(email="a@x"))).one() is ed


@pytest.mark.parametrize("spelling", ["Column", "mapped_column"])
def test_column_assigned_after_declaration_is_added_to_the_table_and_mapped(
    engine: ormkit.Engine, spelling: str
) -> None:
    Base = fresh_base()

    class Thing(Base):
        __tablename__ = "things"
        id: Mapped[int] = mapped_column(primary_key=True)

    if spelling == "Column":
        Thing.label = Column("label_col", String(30), nullable=False)
    else:
        Thing.label = mapped_column("label_col", String(30), nullable=False)
    assert Thing.__table__.c.label_col.nullable is False
    assert inspect(Thing).columns_by_key["label"] is Thing.__table__.c.label_col
    Base.metadata.create_all(engine)  # the table made afterwards has the column
    with Session(engine) as s:
        s.add(Thing(id=1, label="one"))
        s.commit()
    with Session(engine) as s:
        assert s.scalars(select(Thing).where(Thing.label == "one")).one().label == "one"
        thing = s.get(Thing, 1)
        thing.label = "uno"
        s.commit()
        assert s.scalar(select(Thing.__table__.c.label_col)) == "uno"


def test_column_assigned_after_queries_ran_is_used_by_later_statements(
    engine: ormkit.Engine, models: Models
) -> None:
    User = models.User
    with Session(engine) as s:
        s.add(User(id=1, name="ed"))
        s.commit()
        assert s.get(User, 1).name == "ed"  # statements of the old shape compiled and cached
        assert s.scalars(select(User)).one().name == "ed"
    User.email = Column(String(50))
    with engine.begin() as conn:
        conn.execute(ormkit.text("ALTER TABLE users ADD email VARCHAR(50)"))
    with Session(engine) as s:
        s.add(User(id=2, name="wendy", email="w@x"))
        s.commit()
    with Session(engine) as s:
        assert [(u.name, u.email) for u in s.scalars(select(User).order_by(User.id))] == [
            ("ed", None),
            ("wendy", "w@x"),
        ]
        assert s.get(User, 2).email == "w@x"


def test_assigning_to_a_mapped_class_refuses_what_it_cannot_map(models: Models) -> None:
    User = models.User
    with pytest.raises(exc.ArgumentError, match=r"User\.name is already mapped"):
        User.name = Column(String(20))
    with pytest.raises(exc.ArgumentError, match=r"table 'users' already has a column 'age'"):
        User.years = Column("age", Integer)
    with pytest.raises(exc.ArgumentError, match=r"User\.code: a primary key column cannot"):
        User.code = Column(Integer, primary_key=True)
    with pytest.raises(exc.ArgumentError, match=r"already belongs to table 'addresses'"):
        User.mail = models.Address.__table__.c.email
    with pytest.raises(exc.InvalidRequestError, match=r"User\.name is mapped"):
        del User.name
    User.plain = 5  # anything else is a plain class attribute
    assert User.plain == 5


# -- arguments: each one works or is refused by name ----------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("active_history", True),
        ("use_existing_column", True),
    ],
)
def test_mapped_column_refuses_arguments_it_does_not_support(name: str, value: object) -> None:
    with pytest.raises(
        exc.ArgumentError, match=rf"mapped_column\(\) does not support argument '{name}' yet"
    ):
        mapped_column(Integer, **{name: value})


def test_mapped_column_insert_default_type_and_doc(engine: ormkit.Engine) -> None:
    Base = fresh_base()

    class Item(Base):
        __tablename__ = "items"
        id: Mapped[int] = mapped_column(primary_key=True)
        kind = mapped_column("kind_col", type_=String(10), insert_default="plain", doc="the kind")

    assert isinstance(Item.__table__.c.kind_col.type, String)
    assert Item.kind.__doc__ == "the kind"
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Item(id=1))
        s.commit()
        assert s.get(Item, 1).kind == "plain"
    with pytest.raises(exc.ArgumentError, match="default= or insert_default=, not both"):
        mapped_column(Integer, default=1, insert_default=2)


def test_declarative_base_refuses_arguments_it_does_not_support() -> None:
    for name in ("mapper", "class_registry"):
        with pytest.raises(
            exc.ArgumentError, match=rf"declarative_base\(\) does not support argument '{name}'"
        ):
            declarative_base(**{name: object()})
    with pytest.raises(
        exc.ArgumentError,
        match=r"generate_base\(metaclass=<class 'type'>\): the metaclass must be DeclarativeMeta",
    ):
        declarative_base(metaclass=type)


@pytest.mark.parametrize(
    "mapper_args",
    [
        {"polymorphic_on": "kind"},
        {"polymorphic_identity": "x"},
        {"version_id_col": None},
        {"eager_defaults": True},
        {"primary_key": ["id"]},
    ],
)
def test_mapper_args_refuse_keys_ormkit_does_not_support(mapper_args: dict[str, object]) -> None:
    Base = fresh_base()
    (key,) = mapper_args
    with pytest.raises(
        exc.ArgumentError, match=rf"Thing.__mapper_args__: key '{key}' is not supported yet"
    ):

        class Thing(Base):
            __tablename__ = "things"
            __mapper_args__ = mapper_args
            id: Mapped[int] = mapped_column(primary_key=True)


def test_mapper_args_with_defaults_and_hooks() -> None:
    Base = fresh_base()

    class Fine(Base):
        __tablename__ = "fine"
        __mapper_args__ = {"eager_defaults": "auto", "confirm_deleted_rows": True}
        id: Mapped[int] = mapped_column(primary_key=True)

    assert inspect(Fine).local_table.name == "fine"
    with pytest.raises(exc.ArgumentError, match="Custom: __table_cls__ is not supported yet"):

        class Custom(Base):
            __tablename__ = "custom"
            __table_cls__ = Table
            id: Mapped[int] = mapped_column(primary_key=True)


def test_table_args_refuse_unsupported_table_arguments() -> None:
    Base = fresh_base()
    with pytest.raises(exc.ArgumentError, match=r"Table\(\) does not support argument 'quote'"):

        class Quoted(Base):
            __tablename__ = "quoted"
            __table_args__ = {"quote": True}
            id: Mapped[int] = mapped_column(primary_key=True)


def test_registry_constructor_and_type_annotation_map_are_used() -> None:
    made: list[dict[str, object]] = []

    def constructor(self: object, **kw: object) -> None:
        made.append(kw)

    reg = registry(constructor=constructor, type_annotation_map={str: String(77)})

    class Base(DeclarativeBase):
        registry = reg

    class Item(Base):
        __tablename__ = "items"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str]

    Item(name="x")
    assert made == [{"name": "x"}]
    assert Item.__table__.c.name.type.length == 77
    with pytest.raises(exc.ArgumentError, match="has both a registry and a type_annotation_map"):

        class Both(DeclarativeBase):
            registry = reg
            type_annotation_map = {int: Integer}
