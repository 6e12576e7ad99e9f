"""ormkit's ORM with one ``before_cursor_execute`` listener on its engine: what listening
costs (the listener does nothing, so the column shows the price of the event itself)."""

from typing import Any

import ormkit
from bench.common import Context
from bench.libs import ormkit_orm


def _noop(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
) -> None:
    pass


class Bench(ormkit_orm.Bench):
    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        ormkit.event.listen(self.engine, "before_cursor_execute", _noop)
