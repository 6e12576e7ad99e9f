"""``EntityColumns``: what a mapped class selects when it is not simply its table's columns.

``select(User)`` lists the table's columns; when the mapping leaves some out until they are
read (deferred) or adds SQL expressions computed for each row, the ORM gives the class an
``EntityColumns`` (``__ok_selects__``, see ``sql/plugins.py``) naming the columns to list.
In a SELECT list it expands to those columns, and it brings its table into FROM.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from ormkit.sql.elements import ColumnElement
from ormkit.sql.selectable import ColumnCollection, FromClause


class EntityColumns(FromClause):
    """The columns ``select(Class)`` lists for a mapped class: some of ``element``'s, and
    labeled expressions."""

    _cache_attrs: ClassVar[tuple[str, ...]] = ("element", "selected")

    def __init__(self, element: FromClause, selected: Sequence[ColumnElement]) -> None:
        self.element = element
        self.selected = tuple(selected)
        self._columns = ColumnCollection(self.selected, owner=element.description)

    @property
    def columns(self) -> ColumnCollection:
        return self._columns

    @property
    def description(self) -> str:
        return self.element.description

    @property
    def _from_objects(self) -> list[FromClause]:
        return self.element._from_objects

    def is_derived_from(self, other: FromClause) -> bool:
        return self.element.is_derived_from(other)

    def __repr__(self) -> str:
        return f"EntityColumns({self.element!r}, {[c.key for c in self.selected]})"
