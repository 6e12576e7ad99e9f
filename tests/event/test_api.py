"""``ormkit.event``: listen(), listens_for(), remove(), contains() and listen()'s flags."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import ormkit
from ormkit import Engine, create_engine, event, exc, text


@pytest.fixture
def eng() -> Iterator[Engine]:
    engine = create_engine("sqlite://")
    yield engine
    engine.dispose()


def run_one(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def test_listens_for_registers_the_decorated_function_and_returns_it(eng: Engine) -> None:
    seen: list[str] = []

    @event.listens_for(eng, "before_cursor_execute")
    def note(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        seen.append(statement)

    assert callable(note) and note.__name__ == "note"
    run_one(eng)
    assert seen == ["SELECT 1"]
    assert event.contains(eng, "before_cursor_execute", note)


def test_remove_stops_the_listener_and_contains_reports_it(eng: Engine) -> None:
    seen: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        seen.append(statement)

    event.listen(eng, "before_cursor_execute", note)
    run_one(eng)
    event.remove(eng, "before_cursor_execute", note)
    assert not event.contains(eng, "before_cursor_execute", note)
    run_one(eng)
    assert seen == ["SELECT 1"]


def test_remove_of_a_listener_never_registered_raises_naming_it(eng: Engine) -> None:
    def stray(*args: Any) -> None:
        pass

    with pytest.raises(exc.InvalidRequestError, match=r"no listener 'stray'.*'commit'"):
        event.remove(eng, "commit", stray)


def test_once_calls_the_listener_for_the_first_event_only(eng: Engine) -> None:
    calls: list[str] = []
    event.listen(eng, "before_cursor_execute", lambda *a: calls.append(a[2]), once=True)
    run_one(eng)
    run_one(eng)
    assert calls == ["SELECT 1"]


def test_named_passes_the_arguments_by_name(eng: Engine) -> None:
    got: dict[str, Any] = {}

    def by_name(**kw: Any) -> None:
        got.update(kw)

    event.listen(eng, "before_cursor_execute", by_name, named=True)
    run_one(eng)
    assert set(got) == {"conn", "cursor", "statement", "parameters", "context", "executemany"}
    assert got["statement"] == "SELECT 1" and got["executemany"] is False


def test_insert_puts_the_listener_before_earlier_ones(eng: Engine) -> None:
    order: list[str] = []
    event.listen(eng, "begin", lambda conn: order.append("first registered"))
    event.listen(eng, "begin", lambda conn: order.append("inserted"), insert=True)
    run_one(eng)
    assert order == ["inserted", "first registered"]


def test_listeners_of_the_engine_class_reach_every_engine_and_come_first(eng: Engine) -> None:
    order: list[str] = []

    def on_class(conn: Any) -> None:
        order.append("Engine")

    event.listen(eng, "begin", lambda conn: order.append("engine"))
    event.listen(Engine, "begin", on_class)
    try:
        run_one(eng)
        other = create_engine("sqlite://")
        run_one(other)
        other.dispose()
    finally:
        event.remove(Engine, "begin", on_class)
    assert order == ["Engine", "engine", "Engine"]
    run_one(eng)
    assert order == ["Engine", "engine", "Engine", "engine"]


def test_a_misspelled_event_name_raises_listing_the_valid_ones(eng: Engine) -> None:
    with pytest.raises(exc.InvalidRequestError) as info:
        event.listen(eng, "before_cursor_exec", lambda *a: None)
    message = str(info.value)
    assert "no event 'before_cursor_exec'" in message
    assert "Connection events" in message and "before_cursor_execute" in message


def test_a_target_without_events_raises_naming_it() -> None:
    with pytest.raises(exc.InvalidRequestError, match=r"no events are defined for int object 3"):
        event.listen(3, "commit", lambda *a: None)


def test_an_unknown_listen_argument_raises_argument_error_naming_it(eng: Engine) -> None:
    with pytest.raises(exc.ArgumentError, match=r"unknown argument\(s\) propogate"):
        event.listen(eng, "commit", lambda conn: None, propogate=True)


def test_propagate_on_engine_events_raises_argument_error(eng: Engine) -> None:
    with pytest.raises(exc.ArgumentError, match=r"propagate=True.*Connection events.*'commit'"):
        event.listen(eng, "commit", lambda conn: None, propagate=True)


def test_retval_on_an_event_that_returns_nothing_raises_argument_error(eng: Engine) -> None:
    with pytest.raises(exc.ArgumentError, match=r"'commit' event takes no retval=True"):
        event.listen(eng, "commit", lambda conn: None, retval=True)


def test_a_refused_listen_registers_nothing(eng: Engine) -> None:
    def note(conn: Any) -> None:
        pass

    with pytest.raises(exc.ArgumentError):
        event.listen(eng, "commit", note, retval=True)
    assert not event.contains(eng, "commit", note)


def test_dispatch_names_an_event_it_does_not_have(eng: Engine) -> None:
    with pytest.raises(AttributeError, match=r"Connection events have no event 'comit'"):
        eng.dispatch.comit  # noqa: B018


def test_event_is_importable_as_in_sqlalchemy() -> None:
    from ormkit.event import listen, listens_for  # noqa: F401  (the documented import path)

    assert ormkit.event is event
