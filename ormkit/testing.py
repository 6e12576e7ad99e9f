"""Helpers for application tests: count the statements a block of code sends.

    with count_queries(engine) as q:
        users = session.scalars(select(User).options(selectinload(User.posts))).all()
    assert q.count == 2

N+1 patterns (one query for the parents, then one per parent) show up as a count that grows
with the data; ``q.statements`` lists what was sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ormkit import event
from ormkit.engine.base import Engine


class QueryCount:
    """The statements sent while counting (transaction control excluded)."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.parameters: list[Any] = []

    @property
    def count(self) -> int:
        """How many statements were sent."""
        return len(self.statements)

    def __repr__(self) -> str:
        return f"<QueryCount {self.count}>"


@contextmanager
def count_queries(engine: Engine) -> Iterator[QueryCount]:
    """Count the statements ``engine`` sends inside the block (BEGIN/COMMIT not included)."""
    counted = QueryCount()

    def listen(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        counted.statements.append(sql)
        counted.parameters.append(params)

    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield counted
    finally:
        event.remove(engine, "before_cursor_execute", listen)
