"""Mapped classes that are dataclasses: MappedAsDataclass, registry.mapped_as_dataclass."""

from __future__ import annotations

import dataclasses
from dataclasses import InitVar
from typing import Any

import pytest

import ormkit
from ormkit import Column, ForeignKey, Integer, String, Table, exc, inspect, select
from ormkit.orm import (
    DeclarativeBase,
    Mapped,
    MappedAsDataclass,
    Session,
    mapped_column,
    registry,
    relationship,
    unmapped_dataclass,
)


def shown(obj: object) -> str:
    """The dataclass repr without the test function's qualified-name prefix."""
    return repr(obj).rpartition("<locals>.")[2]


def dataclass_base() -> Any:
    class Base(MappedAsDataclass, DeclarativeBase):
        pass

    return Base


def authors_and_books() -> tuple[Any, Any, Any]:
    Base = dataclass_base()

    class Author(Base):
        __tablename__ = "authors"
        id: Mapped[int] = mapped_column(init=False, primary_key=True)
        name: Mapped[str] = mapped_column(String(30))
        score: Mapped[int] = mapped_column(default=5)
        note: Mapped[str | None] = mapped_column(String(30), default=None)
        books: Mapped[list[Book]] = relationship(default_factory=list, back_populates="author")

    class Book(Base):
        __tablename__ = "books"
        id: Mapped[int] = mapped_column(init=False, primary_key=True)
        title: Mapped[str] = mapped_column(String(30))
        author_id: Mapped[int | None] = mapped_column(ForeignKey("authors.id"), init=False)
        author: Mapped[Author | None] = relationship(default=None, back_populates="books")

    return Base, Author, Book


# -- the dataclass ----------------------------------------------------------------------------


def test_mapped_classes_get_a_dataclass_constructor_repr_and_eq() -> None:
    _, Author, Book = authors_and_books()
    author = Author("ann", score=7)
    assert dataclasses.is_dataclass(Author)
    assert [f.name for f in dataclasses.fields(Author)] == ["id", "name", "score", "note", "books"]
    assert shown(author) == "Author(id=None, name='ann', score=7, note=None, books=[])"
    assert author == Author("ann", 7)
    assert author != Author("bob", 7)
    assert Author.__hash__ is None  # eq=True, as for any dataclass
    with pytest.raises(TypeError, match="id"):
        Author("ann", id=3)  # init=False
    book = Book("t", author=author)
    assert book.author is author and author.books == [book]


def test_a_defaulted_attribute_left_out_is_unset_reads_its_default_and_is_inserted(
    engine: ormkit.Engine,
) -> None:
    Base, Author, _ = authors_and_books()
    author = Author("ann")
    assert "score" not in author.__dict__ and "note" not in author.__dict__
    assert author.score == 5 and author.note is None
    assert inspect(author).attrs.score.history.added == ()
    assert Author.__table__.c.score.default.arg == 5  # the column's INSERT default
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(author)
        session.commit()
        row = session.execute(ormkit.text("SELECT name, score, note FROM authors")).one()
        assert tuple(row) == ("ann", 5, None)
        assert author.score == 5


def test_merge_of_an_object_leaving_a_default_unset_keeps_the_row_value(
    engine: ormkit.Engine,
) -> None:
    Base, Author, _ = authors_and_books()
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(Author("ann", score=9))
        session.commit()
    with Session(engine) as session:
        copy = Author("ann2")
        copy.id = 1
        merged = session.merge(copy)
        session.commit()
        assert (merged.name, merged.score) == ("ann2", 9)


def test_default_factory_is_called_by_the_constructor_and_stored(engine: ormkit.Engine) -> None:
    Base = dataclass_base()
    made: list[int] = []

    def next_code() -> str:
        made.append(1)
        return f"c{len(made)}"

    class Item(Base):
        __tablename__ = "items"
        id: Mapped[int] = mapped_column(init=False, primary_key=True)
        code: Mapped[str] = mapped_column(String(10), default_factory=next_code)
        created: Mapped[int] = mapped_column(init=False, insert_default=42)

    first, second = Item(), Item()
    assert (first.code, second.code) == ("c1", "c2")
    assert first.__dict__["code"] == "c1"
    assert Item.__table__.c.code.default is None
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all([first, second])
        session.commit()
        rows = session.execute(select(Item.code, Item.created).order_by(Item.id)).all()
        assert [tuple(r) for r in rows] == [("c1", 42), ("c2", 42)]


def test_relationship_defaults_leave_the_relationship_unset(engine: ormkit.Engine) -> None:
    Base, Author, Book = authors_and_books()
    author, book = Author("ann"), Book("t")
    assert "books" not in author.__dict__ and "author" not in book.__dict__
    assert book.author is None
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        author.books.append(book)
        session.add(author)
        session.commit()
        found = session.scalars(select(Book)).one()
        assert found.author.name == "ann"


def test_field_options_repr_compare_kw_only_and_metadata() -> None:
    Base = dataclass_base()

    class Item(Base):
        __tablename__ = "items"
        id: Mapped[int] = mapped_column(init=False, primary_key=True, repr=False)
        name: Mapped[str] = mapped_column(String(10))
        secret: Mapped[str] = mapped_column(String(10), repr=False, compare=False, kw_only=True)
        rank: Mapped[int] = mapped_column(default=0, dataclass_metadata={"unit": "place"})

    item = Item("a", secret="x")
    assert shown(item) == "Item(name='a', rank=0)"
    assert item == Item("a", secret="y")
    fields = {f.name: f for f in dataclasses.fields(Item)}
    assert fields["secret"].kw_only and fields["rank"].metadata["unit"] == "place"
    with pytest.raises(TypeError):
        Item("a", "x")  # secret is keyword-only


def test_class_options_and_their_inheritance() -> None:
    class Base(MappedAsDataclass, DeclarativeBase, kw_only=True):
        pass

    class Stamped(Base):
        __abstract__ = True
        id: Mapped[int] = mapped_column(init=False, primary_key=True)
        version: Mapped[int] = mapped_column(default=1)

    class Item(Stamped, order=True, repr=False):
        __tablename__ = "items"
        name: Mapped[str] = mapped_column(String(10))

    assert dataclasses.is_dataclass(Stamped)
    item = Item(name="b")  # keyword-only, from Base
    with pytest.raises(TypeError):
        Item("b")  # type: ignore[misc]
    assert Item(name="a") < item  # order=True compares (id, version, name)
    assert shown(item) == "Item(id=None, version=1)"  # repr=False: the inherited one


def test_unsafe_hash_eq_false_and_match_args() -> None:
    Base = dataclass_base()

    class Tag(Base, unsafe_hash=True):
        __tablename__ = "tags"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(10))

    class Note(MappedAsDataclass, DeclarativeBase):
        pass

    class Memo(Note, eq=False, match_args=False):
        __tablename__ = "memos"
        id: Mapped[int] = mapped_column(primary_key=True)

    class Plain(DeclarativeBase):
        pass

    class Letter(MappedAsDataclass, Plain, eq=False):
        __tablename__ = "letters"
        id: Mapped[int] = mapped_column(primary_key=True)

    assert hash(Tag(1, "a")) == hash(Tag(1, "a"))
    assert Memo(1) == Memo(1)  # eq=False: the base's dataclass __eq__ (no fields), as Python does
    first, second = Letter(1), Letter(1)
    assert first != second and hash(first) != hash(second)
    assert Tag.__match_args__ == ("id", "name") and "__match_args__" not in Memo.__dict__


def test_plain_fields_init_vars_and_post_init(engine: ormkit.Engine) -> None:
    Base = dataclass_base()

    class Account(Base):
        __tablename__ = "accounts"
        id: Mapped[int] = mapped_column(init=False, primary_key=True)
        name: Mapped[str] = mapped_column(String(20))
        password: InitVar[str]
        digest: Mapped[str] = mapped_column(String(40), init=False)
        remember: bool = False  # a dataclass field, not mapped

        def __post_init__(self, password: str) -> None:
            self.digest = password[::-1]

    account = Account("ann", "secret", remember=True)
    assert (account.digest, account.remember) == ("terces", True)
    assert "remember" not in Account.__table__.c and "password" not in Account.__table__.c
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(account)
        session.commit()
        assert session.scalars(select(Account.digest)).one() == "terces"


def test_asdict_of_a_loaded_object(engine: ormkit.Engine) -> None:
    Base = dataclass_base()

    class Item(Base):
        __tablename__ = "items"
        id: Mapped[int] = mapped_column(init=False, primary_key=True)
        name: Mapped[str] = mapped_column(String(10))

    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(Item("a"))
        session.commit()
    with Session(engine) as session:
        item = session.scalars(select(Item)).one()
        assert dataclasses.asdict(item) == {"id": 1, "name": "a"}
        session.expire(item)
        assert shown(item) == "Item(id=1, name='a')"  # the expired row is loaded for it


# -- the other spellings ------------------------------------------------------------------


def test_mapped_as_dataclass_on_one_class_of_a_plain_base(engine: ormkit.Engine) -> None:
    class Base(DeclarativeBase):
        pass

    class Item(MappedAsDataclass, Base):
        __tablename__ = "items"
        id: Mapped[int] = mapped_column(init=False, primary_key=True)
        name: Mapped[str] = mapped_column(String(10))

    class Plain(Base):
        __tablename__ = "plain"
        id: Mapped[int] = mapped_column(primary_key=True)

    assert dataclasses.is_dataclass(Item) and not dataclasses.is_dataclass(Plain)
    assert shown(Item("a")) == "Item(id=None, name='a')"
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all([Item("a"), Plain(id=1)])
        session.commit()
        assert session.scalars(select(Item.name)).all() == ["a"]


def test_registry_mapped_as_dataclass_bare_and_with_options(engine: ormkit.Engine) -> None:
    reg = registry()

    @reg.mapped_as_dataclass
    class Item:
        __tablename__ = "items"
        id: Mapped[int] = mapped_column(init=False, primary_key=True)
        name: Mapped[str] = mapped_column(String(10))

    @reg.mapped_as_dataclass(kw_only=True)
    class Row:
        __table__ = Table(
            "rows", reg.metadata, Column("id", Integer, primary_key=True), Column("v", Integer)
        )
        id: Mapped[int]
        v: Mapped[int]

    assert shown(Item("a")) == "Item(id=None, name='a')"
    assert Row(id=1, v=2) == Row(id=1, v=2)
    reg.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all([Item("a"), Row(id=1, v=2)])
        session.commit()
        assert session.get(Row, 1).v == 2
        assert session.scalars(select(Item.name)).one() == "a"


def test_dataclass_mixins_give_their_fields(engine: ormkit.Engine) -> None:
    Base = dataclass_base()

    class HasId(MappedAsDataclass):
        id: Mapped[int] = mapped_column(init=False, primary_key=True)

    @unmapped_dataclass
    class HasRank:
        rank: Mapped[int] = mapped_column(default=0)

    class Item(HasId, HasRank, Base):
        __tablename__ = "items"
        name: Mapped[str] = mapped_column(String(10), default="x")

    class Other(HasId, Base):
        __tablename__ = "others"

    assert [f.name for f in dataclasses.fields(Item)] == ["rank", "id", "name"]
    assert Item.__table__.c.id is not Other.__table__.c.id  # each class its own column
    item = Item(rank=3)
    assert (item.rank, item.name) == (3, "x")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all([item, Item(), Other()])
        session.commit()
        assert session.scalars(select(Item.rank).order_by(Item.id)).all() == [3, 0]


# -- misconfiguration ----------------------------------------------------------------------


def test_a_plain_superclass_with_mapped_attributes_is_refused() -> None:
    Base = dataclass_base()

    class Plain:
        created: Mapped[int] = mapped_column(default=0)

    with pytest.raises(
        exc.InvalidRequestError,
        match=r"class Item is made a dataclass, but attribute\(s\) 'created' come from its "
        r"superclass Plain, which is not a dataclass",
    ):

        class Item(Plain, Base):
            __tablename__ = "items"
            id: Mapped[int] = mapped_column(init=False, primary_key=True)


def test_field_order_errors_name_the_class() -> None:
    Base = dataclass_base()
    with pytest.raises(
        exc.InvalidRequestError,
        match=r"making class Item a dataclass failed: non-default argument 'name' follows "
        r"default argument.*kw_only=True",
    ):

        class Item(Base):
            __tablename__ = "items"
            id: Mapped[int] = mapped_column(primary_key=True, default=None)
            name: Mapped[str]


@pytest.mark.parametrize(
    ("argument", "shown"),
    [
        ({"init": False}, "'init'"),
        ({"repr": False, "compare": False}, "'compare', 'repr'"),
        ({"default_factory": list}, "'default_factory'"),
        ({"kw_only": True}, "'kw_only'"),
    ],
)
def test_dataclass_arguments_on_a_plain_mapping_are_refused(
    argument: dict[str, Any], shown: str
) -> None:
    class Base(DeclarativeBase):
        pass

    with pytest.raises(
        exc.ArgumentError,
        match=rf"attribute 'name' of class Item gives dataclass argument\(s\) {shown}, but "
        "the class is not a dataclass mapping",
    ):

        class Item(Base):
            __tablename__ = "items"
            id: Mapped[int] = mapped_column(primary_key=True)
            name: Mapped[str] = mapped_column(String(10), **argument)


def test_dataclass_arguments_on_a_plain_relationship_are_refused() -> None:
    class Base(DeclarativeBase):
        pass

    with pytest.raises(exc.ArgumentError, match=r"attribute 'children' of class Parent"):

        class Parent(Base):
            __tablename__ = "parents"
            id: Mapped[int] = mapped_column(primary_key=True)
            children: Mapped[list[Any]] = relationship("Parent", default_factory=list)


def test_conflicting_or_unsupported_defaults_are_refused() -> None:
    Base = dataclass_base()
    with pytest.raises(exc.ArgumentError, match=r"Item\.code: give default= or default_factory="):

        class Item(Base):
            __tablename__ = "items"
            id: Mapped[int] = mapped_column(init=False, primary_key=True)
            code: Mapped[str] = mapped_column(default="a", default_factory=str)

    with pytest.raises(exc.ArgumentError, match=r"Child\.parent: a relationship's default"):

        class Child(Base):
            __tablename__ = "children"
            id: Mapped[int] = mapped_column(init=False, primary_key=True)
            parent: Mapped[Child | None] = relationship(default="x", remote_side=[id])


def test_mapped_as_dataclass_refuses_unknown_options() -> None:
    reg = registry()
    with pytest.raises(exc.ArgumentError, match=r"mapped_as_dataclass\(Item\) got unknown option"):

        @reg.mapped_as_dataclass(frozen=True)
        class Item:
            __tablename__ = "items"
            id: Mapped[int] = mapped_column(primary_key=True)
