"""The ORM's statements reach the driver by the one road: cursor events see every SELECT,
get(), flush INSERT/UPDATE/DELETE (one row and many), and a retval listener's SQL is what runs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import ormkit
from ormkit import delete, event, select, update
from ormkit.orm import Session

from .conftest import Models


@pytest.fixture
def sent(engine: ormkit.Engine) -> Iterator[list[tuple[str, bool]]]:
    """(first word of the SQL, executemany) of every statement ``engine`` runs from now on."""
    seen: list[tuple[str, bool]] = []

    def note(conn: Any, cursor: Any, statement: str, params: Any, ctx: Any, many: bool) -> None:
        seen.append((statement.split()[0], many))

    event.listen(engine, "before_cursor_execute", note)
    yield seen
    event.remove(engine, "before_cursor_execute", note)


def test_cursor_events_see_orm_selects_and_get(
    engine: ormkit.Engine, seeded: Models, sent: list[tuple[str, bool]]
) -> None:
    User = seeded.User
    with Session(engine) as s:
        s.scalars(select(User).order_by(User.id)).all()
        s.expunge_all()
        s.get(User, 2)
        s.query(User).filter_by(name="ed").one()
    assert [word for word, _ in sent] == ["SELECT", "SELECT", "SELECT"]


def test_cursor_events_see_each_flush_statement(
    engine: ormkit.Engine, models: Models, sent: list[tuple[str, bool]]
) -> None:
    User = models.User
    with Session(engine) as s:
        s.add(User(name="one"))
        s.flush()
        s.add_all([User(name="two"), User(name="three"), User(name="four")])
        s.flush()
        first = s.scalars(select(User).where(User.name == "one")).one()
        first.age = 3
        s.flush()
        s.delete(first)
        s.flush()
        s.commit()
    words = [word for word, _ in sent]
    assert words[0] == "INSERT"
    assert words.count("INSERT") >= 2 and "UPDATE" in words and "DELETE" in words
    assert words.index("UPDATE") < words.index("DELETE")


def test_cursor_events_see_orm_bulk_statements(
    engine: ormkit.Engine, seeded: Models, sent: list[tuple[str, bool]]
) -> None:
    User = seeded.User
    with Session(engine) as s:
        s.execute(update(User).where(User.age == 25).values(age=26))
        s.execute(delete(User).where(User.name == "fred"))
        s.commit()
    assert [word for word, _ in sent] == ["UPDATE", "DELETE"]


def test_a_retval_listener_rewrites_orm_sql_that_then_runs(
    engine: ormkit.Engine, seeded: Models
) -> None:
    User = seeded.User
    ran: list[str] = []

    def comment(conn: Any, cursor: Any, statement: str, params: Any, ctx: Any, many: bool) -> Any:
        return "/* from the ORM */ " + statement, params

    event.listen(engine, "before_cursor_execute", comment, retval=True)
    event.listen(engine, "after_cursor_execute", lambda *args: ran.append(args[2]))
    with Session(engine) as s:
        assert s.get(User, 1).name == "ed"
        s.add(User(name="new"))
        s.commit()
    assert ran and all(sql.startswith("/* from the ORM */ ") for sql in ran)


def test_the_context_says_which_kind_of_statement_ran(
    engine: ormkit.Engine, models: Models
) -> None:
    User = models.User
    kinds: list[tuple[bool, bool, bool]] = []

    def note(conn: Any, cursor: Any, statement: str, params: Any, ctx: Any, many: bool) -> None:
        kinds.append((ctx.isinsert, ctx.isupdate, ctx.isdelete))

    event.listen(engine, "after_cursor_execute", note)
    with Session(engine) as s:
        user = User(name="k")
        s.add(user)
        s.flush()
        user.age = 1
        s.flush()
        s.delete(user)
        s.flush()
    assert kinds == [(True, False, False), (False, True, False), (False, False, True)]
