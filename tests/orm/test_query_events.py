"""Query events (before_compile with retval, before_compile_update/delete) and Registry events
(before/after_configured, resolve_type_annotation)."""

from __future__ import annotations

from typing import Any

import ormkit
from ormkit import Integer, String, event
from ormkit.orm import DeclarativeBase, Mapped, Query, Session, mapped_column, registry

from .conftest import Models


class FilteredQuery(Query[Any]):
    """A Query class of its own, so that its listeners reach only sessions that use it."""


def test_before_compile_retval_may_give_another_query(
    engine: ormkit.Engine, seeded: Models
) -> None:
    User = seeded.User

    def only_young(query: Any) -> Any:
        return query.filter(User.age < 30)

    event.listen(FilteredQuery, "before_compile", only_young, retval=True)
    try:
        with Session(engine, query_cls=FilteredQuery) as s:
            names = sorted(u.name for u in s.query(User))
            count = s.query(User).count()
            first = s.query(User).order_by(User.id).first()
        with Session(engine) as s:
            everyone = s.query(User).count()
    finally:
        event.remove(FilteredQuery, "before_compile", only_young)
    assert names == ["fred", "wendy"] and count == 2
    assert first is not None and first.name == "wendy"
    assert everyone == 4


def test_before_compile_update_and_delete_see_the_query_and_the_context(
    engine: ormkit.Engine, seeded: Models
) -> None:
    User = seeded.User
    seen: list[tuple[str, Any, Any]] = []

    def on_update(query: Any, context: Any) -> None:
        seen.append(("update", query, context.values))

    def on_delete(query: Any, context: Any) -> None:
        seen.append(("delete", query, context.mapper))

    event.listen(FilteredQuery, "before_compile_update", on_update)
    event.listen(FilteredQuery, "before_compile_delete", on_delete)
    try:
        with Session(engine, query_cls=FilteredQuery) as s:
            updating = s.query(User).filter(User.age == 25)
            assert updating.update({"age": 26}) == 2
            deleting = s.query(User).filter(User.name == "mary")
            assert deleting.delete() == 1
    finally:
        event.remove(FilteredQuery, "before_compile_update", on_update)
        event.remove(FilteredQuery, "before_compile_delete", on_delete)
    assert seen == [
        ("update", updating, {"age": 26}),
        ("delete", deleting, User.__mapper__),
    ]


def test_registry_configure_events_get_the_registry() -> None:
    reg = registry()
    happened: list[tuple[str, Any]] = []
    event.listen(reg, "before_configured", lambda r: happened.append(("before", r)))
    event.listen(reg, "after_configured", lambda r: happened.append(("after", r)))

    class Base(DeclarativeBase):
        registry = reg

    class Thing(Base):
        __tablename__ = "things"
        id: Mapped[int] = mapped_column(primary_key=True)

    reg.configure()
    assert happened == [("before", reg), ("after", reg)]


def test_resolve_type_annotation_may_choose_the_sql_type() -> None:
    class Base(DeclarativeBase):
        pass

    asked: list[tuple[str, Any]] = []

    @event.listens_for(Base, "resolve_type_annotation")
    def long_strings(resolving: Any) -> Any:
        asked.append((resolving.key, resolving.resolved_type))
        return String(500) if resolving.resolved_type is str else None

    class Page(Base):
        __tablename__ = "pages"
        id: Mapped[int] = mapped_column(primary_key=True)
        body: Mapped[str]

    assert isinstance(Page.__table__.c.body.type, String)
    assert Page.__table__.c.body.type.length == 500
    assert isinstance(Page.__table__.c.id.type, Integer)
    assert asked == [("id", int), ("body", str)]
