"""Mapper events (persistence and configuration) and Instance events, on a mapped class, on a
base or mixin with propagate=True (reaching classes declared later), and on Mapper."""

from __future__ import annotations

from typing import Any

import pytest

import ormkit
from ormkit import ForeignKey, String, event, exc, select
from ormkit.orm import (
    DeclarativeBase,
    Mapped,
    Mapper,
    Session,
    mapped_column,
    relationship,
)
from ormkit.orm.events import PERSISTENCE_EVENTS

from .conftest import Models


def test_persistence_events_fire_around_each_statement(
    engine: ormkit.Engine, models: Models
) -> None:
    User = models.User
    happened: list[tuple[str, str, bool]] = []
    for name in PERSISTENCE_EVENTS:
        event.listen(
            User,
            name,
            lambda mapper, conn, target, name=name: happened.append(
                (name, target.name, target.id is not None)
            ),
        )
    with Session(engine) as s:
        user = User(name="ev")
        s.add(user)
        s.flush()
        user.age = 3
        s.flush()
        s.delete(user)
        s.flush()
        s.rollback()
    assert happened == [
        ("before_insert", "ev", False),
        ("after_insert", "ev", True),
        ("before_update", "ev", True),
        ("after_update", "ev", True),
        ("before_delete", "ev", True),
        ("after_delete", "ev", True),
    ]


def test_a_before_update_change_goes_into_the_same_update(
    engine: ormkit.Engine, seeded: Models
) -> None:
    User = seeded.User

    @event.listens_for(User, "before_update")
    def stamp(mapper: Mapper, conn: Any, target: Any) -> None:
        target.nickname = f"edited {target.name}"

    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with Session(engine) as s:
        ed = s.get(User, 1)
        ed.age = 31
        s.commit()
    updates = [sql for sql in statements if sql.startswith("UPDATE")]
    assert len(updates) == 1 and "nickname" in updates[0]
    with Session(engine) as s:
        assert s.get(User, 1).nickname == "edited ed"


def test_a_before_insert_value_is_inserted(engine: ormkit.Engine, models: Models) -> None:
    User = models.User
    event.listen(User, "before_insert", lambda m, c, target: setattr(target, "fullname", "set"))
    with Session(engine) as s:
        s.add(User(name="ins"))
        s.commit()
        assert s.scalars(select(User.fullname)).one() == "set"


def test_flag_dirty_runs_before_update_without_an_update(
    engine: ormkit.Engine, seeded: Models
) -> None:
    from ormkit.orm.attributes import flag_dirty

    User = seeded.User
    seen: list[str] = []
    event.listen(User, "before_update", lambda m, c, target: seen.append(target.name))
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with Session(engine) as s:
        ed = s.get(User, 1)
        flag_dirty(ed)
        assert ed in s.dirty
        s.flush()
    assert seen == ["ed"]
    assert not [sql for sql in statements if sql.startswith("UPDATE")]


def test_propagate_on_a_base_reaches_classes_declared_later(engine: ormkit.Engine) -> None:
    class Base(DeclarativeBase):
        pass

    inserted: list[str] = []
    event.listen(
        Base,
        "before_insert",
        lambda mapper, conn, target: inserted.append(type(target).__name__),
        propagate=True,
    )

    class Song(Base):
        __tablename__ = "songs"
        id: Mapped[int] = mapped_column(primary_key=True)
        title: Mapped[str] = mapped_column(String(50))

    class Band(Base):
        __tablename__ = "bands"
        id: Mapped[int] = mapped_column(primary_key=True)

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Song(title="a"), Band()])
        s.commit()
    assert sorted(inserted) == ["Band", "Song"]


def test_a_mixin_with_propagate_reaches_the_classes_that_use_it(engine: ormkit.Engine) -> None:
    class Timestamped:
        pass

    stamped: list[str] = []
    event.listen(
        Timestamped,
        "before_insert",
        lambda mapper, conn, target: stamped.append(type(target).__name__),
        propagate=True,
    )

    class Base(DeclarativeBase):
        pass

    class Post(Timestamped, Base):
        __tablename__ = "posts"
        id: Mapped[int] = mapped_column(primary_key=True)

    class Tag(Base):
        __tablename__ = "tags"
        id: Mapped[int] = mapped_column(primary_key=True)

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Post(), Tag()])
        s.commit()
    assert stamped == ["Post"]


def test_without_propagate_a_base_listener_does_not_reach_subclasses(
    engine: ormkit.Engine,
) -> None:
    class Base(DeclarativeBase):
        pass

    seen: list[Any] = []
    event.listen(Base, "before_insert", lambda *args: seen.append(args))

    class Item(Base):
        __tablename__ = "items"
        id: Mapped[int] = mapped_column(primary_key=True)

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Item())
        s.commit()
    assert seen == []


def test_a_listener_on_mapper_reaches_every_mapped_class(
    engine: ormkit.Engine, models: Models
) -> None:
    seen: list[str] = []

    def note(mapper: Mapper, conn: Any, target: Any) -> None:
        seen.append(mapper.class_.__name__)

    event.listen(Mapper, "after_insert", note)
    try:
        with Session(engine) as s:
            user = models.User(name="m")
            s.add(user)
            s.flush()
            s.add(models.Address(user_id=user.id, email="m@x"))
            s.commit()
    finally:
        event.remove(Mapper, "after_insert", note)
    assert seen == ["User", "Address"]


def test_configuration_events_fire_when_mappers_are_configured() -> None:
    happened: list[str] = []

    class Base(DeclarativeBase):
        pass

    event.listen(Base, "before_configured", lambda: happened.append("before"))
    event.listen(Base, "after_configured", lambda: happened.append("after"))
    event.listen(
        Base,
        "mapper_configured",
        lambda mapper, cls: happened.append(f"configured {cls.__name__}"),
        propagate=True,
    )
    event.listen(
        Base,
        "after_mapper_constructed",
        lambda mapper, cls: happened.append(f"constructed {cls.__name__}"),
        propagate=True,
    )

    class Author(Base):
        __tablename__ = "authors"
        id: Mapped[int] = mapped_column(primary_key=True)
        books: Mapped[list[Book]] = relationship(back_populates="author")

    class Book(Base):
        __tablename__ = "books"
        id: Mapped[int] = mapped_column(primary_key=True)
        author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"))
        author: Mapped[Author] = relationship(back_populates="books")

    assert happened == ["constructed Author", "constructed Book"]
    ormkit.orm.configure_mappers()
    assert happened == [
        "constructed Author",
        "constructed Book",
        "before",
        "configured Author",
        "configured Book",
        "after",
    ]


def test_init_events_wrap_the_constructor_only_once_listened(models: Models) -> None:
    User = models.User
    plain_init = User.__init__
    calls: list[tuple[str, Any]] = []

    @event.listens_for(User, "init")
    def on_init(target: Any, args: Any, kwargs: dict[str, Any]) -> None:
        kwargs.setdefault("nickname", "defaulted")  # kwargs may be changed in place
        calls.append(("init", dict(kwargs)))

    @event.listens_for(User, "init_failure")
    def on_failure(target: Any, args: Any, kwargs: dict[str, Any]) -> None:
        calls.append(("failure", dict(kwargs)))

    assert User.__init__ is not plain_init
    user = User(name="n")
    assert user.nickname == "defaulted"
    with pytest.raises(TypeError, match="'nope' is an invalid keyword argument for User"):
        User(nope=1)
    assert calls == [
        ("init", {"name": "n", "nickname": "defaulted"}),
        ("init", {"nope": 1, "nickname": "defaulted"}),
        ("failure", {"nope": 1, "nickname": "defaulted"}),
    ]


def test_load_refresh_and_expire_instance_events(engine: ormkit.Engine, seeded: Models) -> None:
    User = seeded.User
    happened: list[tuple[str, Any]] = []
    event.listen(User, "load", lambda target, ctx: happened.append(("load", target.name)))
    event.listen(
        User, "refresh", lambda target, ctx, attrs: happened.append(("refresh", sorted(attrs)))
    )
    event.listen(User, "expire", lambda target, attrs: happened.append(("expire", attrs)))
    with Session(engine) as s:
        ed = s.get(User, 1)
        s.scalars(select(User).where(User.id == 1)).one()  # already loaded: no load event
        s.expire(ed, ["age"])
        assert ed.age == 30
        s.commit()
    assert happened == [
        ("load", "ed"),
        ("expire", ["age"]),
        ("refresh", ["age"]),
        ("expire", None),
    ]


def test_populate_existing_fires_refresh_with_every_column(
    engine: ormkit.Engine, seeded: Models
) -> None:
    User = seeded.User
    refreshed: list[list[str]] = []
    event.listen(User, "refresh", lambda target, ctx, attrs: refreshed.append(list(attrs)))
    with Session(engine) as s:
        wendy = s.get(User, 2)  # held: the identity map holds objects weakly
        again = s.scalars(
            select(User).where(User.id == 2), execution_options={"populate_existing": True}
        ).one()
        assert again is wendy
    assert refreshed == [list(User.__mapper__.table_keys)]


def test_raw_mapper_listener_gets_the_state(engine: ormkit.Engine, models: Models) -> None:
    got: list[Any] = []
    event.listen(models.User, "before_insert", lambda m, c, st: got.append(st), raw=True)
    with Session(engine) as s:
        user = models.User(name="raw")
        s.add(user)
        s.flush()
    assert got == [ormkit.inspect(user)]


def test_mapper_event_on_a_non_class_raises_listing_nothing_useful_as_valid() -> None:
    with pytest.raises(exc.InvalidRequestError, match=r"no events are defined for str object"):
        event.listen("User", "before_insert", lambda *a: None)


def test_a_session_event_on_a_mapped_class_raises_listing_its_events(models: Models) -> None:
    with pytest.raises(exc.InvalidRequestError) as info:
        event.listen(models.User, "before_flush", lambda *a: None)
    message = str(info.value)
    assert "no event 'before_flush' for class User" in message
    assert "before_insert" in message and "init" in message


def test_refresh_flush_reports_values_the_flush_gave_from_python_defaults(
    engine: ormkit.Engine,
) -> None:
    class Base(DeclarativeBase):
        pass

    class Counter(Base):
        __tablename__ = "counters"
        id: Mapped[int] = mapped_column(primary_key=True)
        label: Mapped[str] = mapped_column(String(20), default="new")
        touched: Mapped[int] = mapped_column(default=0, onupdate=lambda: 1)
        note: Mapped[str | None] = mapped_column(String(20))

    Base.metadata.create_all(engine)
    seen: list[tuple[Any, list[str]]] = []
    event.listen(
        Counter, "refresh_flush", lambda target, ctx, attrs: seen.append((target.label, attrs))
    )
    with Session(engine) as s:
        counter = Counter()
        s.add(counter)
        s.flush()
        counter.note = "changed"
        s.flush()
    assert seen == [("new", ["label", "touched"]), ("new", ["touched"])]
