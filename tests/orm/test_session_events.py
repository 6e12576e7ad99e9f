"""Session events: flush events (a before_flush audit), transaction events in order, object
lifecycle events, attach events, do_orm_execute (a soft-delete filter), bulk events, and
listeners on a Session, a sessionmaker, a scoped_session and the Session class."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

import ormkit
from ormkit import String, delete, event, exc, select, update
from ormkit.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    scoped_session,
    sessionmaker,
)
from ormkit.orm.events import LIFECYCLE_EVENTS

from .conftest import Family, Models


@dataclass
class Audited:
    """A Note class whose changes a before_flush listener records as AuditEntry rows."""

    Note: Any
    AuditEntry: Any


@pytest.fixture
def audited(engine: ormkit.Engine) -> Audited:
    class Base(DeclarativeBase):
        pass

    class Note(Base):
        __tablename__ = "notes"
        id: Mapped[int] = mapped_column(primary_key=True)
        text: Mapped[str] = mapped_column(String(100))
        deleted: Mapped[bool] = mapped_column(default=False)
        changed_at: Mapped[datetime.datetime | None]

    class AuditEntry(Base):
        __tablename__ = "audit_entries"
        id: Mapped[int] = mapped_column(primary_key=True)
        what: Mapped[str] = mapped_column(String(100))

    Base.metadata.create_all(engine)
    return Audited(Note, AuditEntry)


def auditor(audited: Audited) -> Any:
    """A before_flush audit: stamp changed notes, and record every change as a row."""

    def audit(session: Session, flush_context: Any, instances: Any) -> None:
        for obj in list(session.new):
            if isinstance(obj, audited.Note):
                session.add(audited.AuditEntry(what=f"created {obj.text}"))
        for obj in list(session.dirty):
            if isinstance(obj, audited.Note):
                obj.changed_at = datetime.datetime(2026, 12, 4, 12, 0)
                session.add(audited.AuditEntry(what=f"changed {obj.text}"))

    return audit


def test_before_flush_audit_listener_writes_in_the_same_flush(
    engine: ormkit.Engine, audited: Audited
) -> None:
    Note, AuditEntry = audited.Note, audited.AuditEntry
    with Session(engine) as s:
        event.listen(s, "before_flush", auditor(audited))
        note = Note(text="one")
        s.add(note)
        s.flush()
        assert not s.new  # the entry added by the listener went out in that flush
        note.text = "two"
        s.commit()
    with Session(engine) as s:
        whats = s.scalars(select(AuditEntry.what).order_by(AuditEntry.id)).all()
        assert whats == ["created one", "changed two"]
        stamped = s.scalars(select(Note.changed_at)).one()
        assert stamped == datetime.datetime(2026, 12, 4, 12, 0)


def test_a_before_flush_error_rolls_the_flush_back(engine: ormkit.Engine, models: Models) -> None:
    User = models.User

    def refuse(session: Session, flush_context: Any, instances: Any) -> None:
        raise ValueError("no flushing today")

    with Session(engine) as s:
        s.add(User(name="kept out"))
        event.listen(s, "before_flush", refuse)
        with pytest.raises(ValueError, match="no flushing today"):
            s.flush()
        with pytest.raises(exc.PendingRollbackError, match="no flushing today"):
            s.execute(select(User)).all()
        s.rollback()
        event.remove(s, "before_flush", refuse)
        assert s.scalars(select(User)).all() == []


def test_after_flush_sees_the_flush_before_states_change_and_postexec_after(
    engine: ormkit.Engine, models: Models
) -> None:
    User = models.User
    seen: list[tuple[str, int, bool]] = []
    with Session(engine) as s:

        @event.listens_for(s, "after_flush")
        def after(session: Session, flush_context: Any) -> None:
            user = next(iter(session.new))
            seen.append(("after_flush", len(session.new), ormkit.inspect(user).pending))

        @event.listens_for(s, "after_flush_postexec")
        def postexec(session: Session, flush_context: Any) -> None:
            assert flush_context.session is session
            seen.append(("postexec", len(session.new), False))

        s.add(User(name="a"))
        s.flush()
    assert seen == [("after_flush", 1, True), ("postexec", 0, False)]


def test_transaction_events_fire_in_order(engine: ormkit.Engine, models: Models) -> None:
    User = models.User
    happened: list[str] = []
    with Session(engine) as s:
        for name in ("before_commit", "after_commit", "after_rollback"):
            event.listen(s, name, lambda session, name=name: happened.append(name))
        event.listen(s, "after_transaction_create", lambda session, tx: happened.append("create"))
        event.listen(s, "after_transaction_end", lambda session, tx: happened.append("end"))
        event.listen(
            s, "after_begin", lambda session, tx, conn: happened.append(f"begin {tx is not None}")
        )
        event.listen(s, "after_soft_rollback", lambda session, tx: happened.append("soft"))
        s.add(User(name="t"))
        s.commit()
        s.add(User(name="u"))
        s.flush()
        s.rollback()
    assert happened == [
        "create",
        "before_commit",
        "begin True",
        "after_commit",
        "end",
        "create",
        "begin True",
        "after_rollback",
        "soft",
        "end",
    ]


def test_nested_transactions_are_created_and_ended_with_their_savepoints(
    engine: ormkit.Engine, models: Models
) -> None:
    happened: list[tuple[str, bool]] = []
    with Session(engine) as s:
        for name, short in (
            ("after_transaction_create", "create"),
            ("after_transaction_end", "end"),
            ("after_soft_rollback", "soft"),
        ):
            event.listen(
                s, name, lambda _, tx, short=short: happened.append((short, bool(tx.nested)))
            )
        s.add(models.User(name="outer"))
        with s.begin_nested():
            s.add(models.User(name="inner"))
        nested = s.begin_nested()
        assert s.get_nested_transaction() is nested
        nested.rollback()
        assert s.get_transaction() is not None
        s.commit()
        assert s.get_transaction() is None
    assert happened == [
        ("create", False),
        ("create", True),
        ("end", True),
        ("create", True),
        ("soft", True),
        ("end", True),
        ("end", False),
    ]


def test_commit_ends_the_savepoints_still_open_then_the_transaction(
    engine: ormkit.Engine, models: Models
) -> None:
    ended: list[bool] = []
    with Session(engine) as s:
        event.listen(s, "after_transaction_end", lambda _, tx: ended.append(bool(tx.nested)))
        s.add(models.User(name="kept"))
        s.begin_nested()
        s.begin_nested()
        s.commit()
    assert ended == [True, True, False]


@pytest.fixture
def lifecycle(engine: ormkit.Engine) -> Iterator[tuple[Session, list[str]]]:
    """A Session whose object lifecycle events are noted as "event name"."""
    happened: list[str] = []
    with Session(engine) as s:
        for name in LIFECYCLE_EVENTS:
            event.listen(s, name, lambda session, obj, name=name: happened.append(name))
        yield s, happened


def test_lifecycle_events_follow_an_object_through_its_states(
    lifecycle: tuple[Session, list[str]], models: Models
) -> None:
    s, happened = lifecycle
    user = models.User(name="life")
    s.add(user)
    s.flush()
    s.delete(user)
    s.flush()
    s.rollback()
    assert happened == [
        "transient_to_pending",
        "pending_to_persistent",
        "persistent_to_deleted",
        "persistent_to_transient",  # its INSERT went with the rollback too
    ]


def test_lifecycle_events_of_expunge_attach_and_commit(
    lifecycle: tuple[Session, list[str]], seeded: Models
) -> None:
    s, happened = lifecycle
    fred = s.get(seeded.User, 4)  # no addresses refer to him
    assert happened == ["loaded_as_persistent"]
    s.expunge(fred)
    s.add(fred)
    pending = seeded.User(name="gone soon")
    s.add(pending)
    s.expunge(pending)
    s.delete(fred)
    s.flush()
    s.commit()
    assert happened == [
        "loaded_as_persistent",
        "persistent_to_detached",
        "detached_to_persistent",
        "transient_to_pending",
        "pending_to_transient",
        "persistent_to_deleted",
        "deleted_to_detached",
    ]


def test_a_rolled_back_delete_brings_the_object_back_as_persistent(
    lifecycle: tuple[Session, list[str]], seeded: Models
) -> None:
    s, happened = lifecycle
    fred = s.get(seeded.User, 4)  # no addresses refer to him
    s.delete(fred)
    s.flush()
    s.rollback()
    assert happened == ["loaded_as_persistent", "persistent_to_deleted", "deleted_to_persistent"]


def test_attach_events_fire_around_adding(engine: ormkit.Engine, models: Models) -> None:
    order: list[tuple[str, bool]] = []
    with Session(engine) as s:
        event.listen(s, "before_attach", lambda sess, obj: order.append(("before", obj in sess)))
        event.listen(s, "after_attach", lambda sess, obj: order.append(("after", obj in sess)))
        s.add(models.User(name="x"))
    assert order == [("before", False), ("after", True)]


def test_do_orm_execute_adds_a_soft_delete_filter_to_every_select_of_a_class(
    engine: ormkit.Engine, audited: Audited
) -> None:
    Note = audited.Note
    with Session(engine) as s:
        s.add_all([Note(text="kept"), Note(text="hidden", deleted=True)])
        s.commit()

    def hide_deleted(state: Any) -> None:
        wanted = state.is_select and Note.__mapper__ in state.all_mappers
        if wanted and not state.execution_options.get("include_deleted"):
            state.statement = state.statement.where(Note.deleted.is_(False))

    with Session(engine) as s:
        event.listen(s, "do_orm_execute", hide_deleted)
        assert [n.text for n in s.scalars(select(Note))] == ["kept"]
        hidden_id = s.scalars(
            select(Note.id).where(Note.text == "hidden"),
            execution_options={"include_deleted": True},
        ).one()
        assert s.get(Note, hidden_id) is None  # get() loads by a SELECT the filter sees
        everything = s.scalars(
            select(Note).order_by(Note.id), execution_options={"include_deleted": True}
        ).all()
        assert [n.text for n in everything] == ["kept", "hidden"]


def test_do_orm_execute_may_return_the_result_itself(engine: ormkit.Engine, seeded: Models) -> None:
    User = seeded.User
    kinds: list[tuple[bool, bool, bool]] = []

    def note(state: Any) -> Any:
        kinds.append((state.is_select, state.is_update, state.is_relationship_load))
        result = state.invoke_statement()
        return result

    with Session(engine) as s:
        event.listen(s, "do_orm_execute", note)
        assert [u.name for u in s.scalars(select(User).where(User.id < 3).order_by(User.id))] == [
            "ed",
            "wendy",
        ]
        s.execute(update(User).where(User.id == 1).values(age=31))
    assert kinds == [(True, False, False), (False, True, False)]


def test_do_orm_execute_tells_relationship_and_column_loads_apart(
    engine: ormkit.Engine, family: Family
) -> None:
    Parent, Child = family.Parent, family.Child
    with Session(engine) as s:
        s.add(Parent(name="p", children=[Child(name="c")]))
        s.commit()
    kinds: list[tuple[bool, bool]] = []

    def note(state: Any) -> None:
        kinds.append((state.is_relationship_load, state.is_column_load))

    with Session(engine) as s:
        event.listen(s, "do_orm_execute", note)
        parent = s.scalars(select(Parent).order_by(Parent.id).limit(1)).one()
        list(parent.children)  # a lazy load
        s.expire(parent, ["name"])
        assert parent.name  # a column load
    assert kinds == [(False, False), (True, False), (False, True)]


def test_do_orm_execute_update_execution_options_reaches_the_execution(
    engine: ormkit.Engine, seeded: Models
) -> None:
    User = seeded.User
    seen: list[Any] = []
    event.listen(engine, "before_execute", lambda *args: seen.append(args[4].get("tag")))

    def tag(state: Any) -> None:
        state.update_execution_options(tag="from the listener")

    with Session(engine) as s:
        event.listen(s, "do_orm_execute", tag)
        s.scalars(select(User)).all()
    assert seen == ["from the listener"]


def test_after_bulk_update_and_delete_get_the_context(
    engine: ormkit.Engine, seeded: Models
) -> None:
    User = seeded.User
    contexts: list[Any] = []
    with Session(engine) as s:
        event.listen(s, "after_bulk_update", contexts.append)
        event.listen(s, "after_bulk_delete", contexts.append)
        s.execute(update(User).where(User.age == 25).values(age=26))
        s.execute(delete(User).where(User.name == "mary"))
    update_ctx, delete_ctx = contexts
    assert update_ctx.result.rowcount == 2 and update_ctx.mapper is User.__mapper__
    assert update_ctx.values == {"age": 26} and update_ctx.session is not None
    assert delete_ctx.result.rowcount == 1 and delete_ctx.values == {}


def test_a_sessionmaker_listener_reaches_sessions_made_before_and_after(
    engine: ormkit.Engine, models: Models
) -> None:
    factory = sessionmaker(bind=engine)
    early = factory()
    commits: list[Session] = []
    event.listen(factory, "after_commit", commits.append)
    late = factory()
    other = Session(engine)
    for session in (early, late, other):
        session.add(models.User(name=f"u{id(session)}"))
        session.commit()
        session.close()
    assert commits == [early, late]


def test_a_scoped_session_listener_reaches_its_sessions(
    engine: ormkit.Engine, models: Models
) -> None:
    registry = scoped_session(sessionmaker(bind=engine))
    flushed: list[Session] = []
    event.listen(registry, "after_flush", lambda session, ctx: flushed.append(session))
    registry.add(models.User(name="scoped"))
    registry.flush()
    assert flushed == [registry()]
    registry.remove()


def test_a_session_class_listener_reaches_every_session_of_the_class(
    engine: ormkit.Engine, models: Models
) -> None:
    class AppSession(Session):
        pass

    begun: list[Session] = []
    event.listen(AppSession, "after_transaction_create", lambda s, tx: begun.append(s))
    mine, plain = AppSession(engine), Session(engine)
    for session in (mine, plain):
        session.add(models.User(name=f"c{id(session)}"))
        session.close()
    assert begun == [mine]


def test_a_listener_on_one_session_does_not_reach_another(
    engine: ormkit.Engine, models: Models
) -> None:
    with Session(engine) as first, Session(engine) as second:
        added: list[Any] = []
        event.listen(first, "transient_to_pending", lambda s, obj: added.append(obj))
        second.add(models.User(name="second"))
        first.add(models.User(name="first"))
    assert [u.name for u in added] == ["first"]


def test_once_and_remove_on_session_events(engine: ormkit.Engine, models: Models) -> None:
    flushes: list[str] = []
    with Session(engine) as s:
        event.listen(s, "after_flush", lambda *a: flushes.append("once"), once=True)

        def every(*args: Any) -> None:
            flushes.append("every")

        event.listen(s, "after_flush", every)
        for name in ("a", "b"):
            s.add(models.User(name=name))
            s.flush()
        event.remove(s, "after_flush", every)
        s.add(models.User(name="c"))
        s.flush()
    assert flushes == ["once", "every", "every"]


def test_raw_lifecycle_listener_gets_the_state(engine: ormkit.Engine, models: Models) -> None:
    got: list[Any] = []
    with Session(engine) as s:
        event.listen(s, "transient_to_pending", lambda sess, st: got.append(st), raw=True)
        user = models.User(name="raw")
        s.add(user)
    assert got == [ormkit.inspect(user)]


def test_propagate_is_refused_for_session_events(engine: ormkit.Engine) -> None:
    with pytest.raises(exc.ArgumentError, match=r"propagate=True.*Session events"):
        event.listen(Session, "after_commit", lambda s: None, propagate=True)
