"""scoped_session: one Session per thread (or per scope) behind a registry."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

import ormkit
from ormkit import exc, select
from ormkit.orm import Session, scoped_session, sessionmaker

from .conftest import Models


def in_thread(fn: Callable[[], Any]) -> Any:
    """Run ``fn`` in a new thread; return its result (or raise its exception)."""
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["value"] = fn()
        except BaseException as err:  # handed back to the test's thread
            out["error"] = err

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive()
    if "error" in out:
        raise out["error"]
    return out["value"]


@pytest.fixture
def Scoped(engine: ormkit.Engine) -> Any:
    registry = scoped_session(sessionmaker(bind=engine))
    yield registry
    registry.remove()


def test_same_session_in_one_thread(Scoped: Any) -> None:
    first = Scoped()
    assert isinstance(first, Session)
    assert Scoped() is first
    assert Scoped.has()


def test_other_thread_gets_another_session(Scoped: Any) -> None:
    mine = Scoped()

    def theirs() -> tuple[Session, Session]:
        try:
            return Scoped(), Scoped()
        finally:
            Scoped.remove()

    a, b = in_thread(theirs)
    assert a is b
    assert a is not mine
    assert Scoped() is mine


def test_proxies_add_query_commit(engine: ormkit.Engine, models: Models, Scoped: Any) -> None:
    User = models.User
    ed = User(name="ed")
    Scoped.add(ed)
    assert ed in Scoped()
    assert ed in Scoped.new
    Scoped.add_all([User(name="wendy")])
    Scoped.commit()
    assert [u.name for u in Scoped.query(User).order_by(User.name)] == ["ed", "wendy"]
    assert Scoped.scalars(select(User.name).order_by(User.name)).all() == ["ed", "wendy"]
    assert Scoped.get(User, ed.id) is ed


def test_proxies_rollback(engine: ormkit.Engine, models: Models, Scoped: Any) -> None:
    User = models.User
    Scoped.add(User(name="temp"))
    Scoped.flush()
    Scoped.rollback()
    assert Scoped.query(User).count() == 0


def test_remove_closes_the_session_and_forgets_it(
    engine: ormkit.Engine, models: Models, Scoped: Any
) -> None:
    User = models.User
    first = Scoped()
    ed = User(name="ed")
    Scoped.add(ed)
    Scoped.flush()
    Scoped.remove()
    assert not Scoped.has()
    assert ed not in first
    assert not first.in_transaction()
    assert Scoped() is not first
    assert Scoped.query(User).count() == 0  # the flushed row was rolled back


def test_scopefunc_chooses_the_scope(engine: ormkit.Engine) -> None:
    current = ["a"]
    registry = scoped_session(sessionmaker(bind=engine), scopefunc=lambda: current[0])
    a = registry()
    assert registry() is a
    current[0] = "b"
    b = registry()
    assert b is not a
    current[0] = "a"
    assert registry() is a
    registry.remove()
    assert registry() is not a
    current[0] = "b"
    assert registry() is b
    registry.remove()
    current[0] = "a"
    registry.remove()


def test_arguments_after_the_session_exists_are_an_invalid_request(Scoped: Any) -> None:
    Scoped()
    with pytest.raises(exc.InvalidRequestError, match=r"already has a Session"):
        Scoped(expire_on_commit=False)


def test_unknown_attribute_names_the_attribute(Scoped: Any) -> None:
    with pytest.raises(AttributeError, match=r"no attribute 'frobnicate'"):
        Scoped.frobnicate  # noqa: B018


def test_work_committed_in_one_thread_is_seen_in_another(
    engine: ormkit.Engine, models: Models, Scoped: Any
) -> None:
    User = models.User

    def write() -> int:
        try:
            user = User(name="from thread")
            Scoped.add(user)
            Scoped.commit()
            return int(user.id)
        finally:
            Scoped.remove()

    new_id = in_thread(write)
    found = Scoped.get(User, new_id)
    assert found is not None and found.name == "from thread"

    def read() -> list[str]:
        try:
            return list(Scoped.scalars(select(User.name)).all())
        finally:
            Scoped.remove()

    Scoped.add(User(name="main thread"))
    Scoped.commit()
    assert sorted(in_thread(read)) == ["from thread", "main thread"]
