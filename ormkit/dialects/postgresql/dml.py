"""PostgreSQL's INSERT ... ON CONFLICT: ``insert(t).on_conflict_do_nothing()`` and friends."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from ormkit import exc
from ormkit.sql import dml
from ormkit.sql.coercions import expect_column_or_value, expect_where
from ormkit.sql.elements import ClauseElement, ColumnElement
from ormkit.sql.selectable import Alias, ColumnCollection


class OnConflict:
    """What to do when a row collides with a unique index: nothing, or an UPDATE."""

    __slots__ = ("action", "constraint", "index_elements", "index_where", "set_", "where")

    def __init__(
        self,
        action: str,
        index_elements: tuple[Any, ...],
        constraint: str | None,
        index_where: ClauseElement | None,
        set_: tuple[tuple[ColumnElement, Any], ...] = (),
        where: ClauseElement | None = None,
    ) -> None:
        self.action = action
        self.index_elements = index_elements
        self.constraint = constraint
        self.index_where = index_where
        self.set_ = set_
        self.where = where

    def key(self) -> tuple[Any, ...]:
        """The parts that shape the SQL (the cache key walks these)."""
        return (
            self.action,
            self.index_elements,
            self.constraint,
            self.index_where,
            self.set_,
            self.where,
        )


class Insert(dml.Insert):
    """An INSERT that can say what happens on a unique-key conflict (PostgreSQL, SQLite)."""

    _cache_attrs: ClassVar[tuple[str, ...]] = (*dml.Insert._cache_attrs, "_on_conflict_key")
    _on_conflict: OnConflict | None = None

    @property
    def _on_conflict_key(self) -> Any:
        return self._on_conflict.key() if self._on_conflict is not None else None

    @property
    def excluded(self) -> ColumnCollection:
        """The row that was proposed for insertion: ``set_={"n": stmt.excluded.n}``."""
        alias = self.__dict__.get("_excluded")
        if alias is None:
            alias = self.__dict__["_excluded"] = Alias(self.table, "excluded")
        return alias.columns

    def _target(
        self, index_elements: Sequence[Any] | None, constraint: Any, index_where: Any
    ) -> tuple[tuple[Any, ...], str | None, ClauseElement | None]:
        if index_elements is not None and constraint is not None:
            raise exc.ArgumentError("on_conflict_*() takes index_elements or constraint, not both")
        if constraint is not None and not isinstance(constraint, str):
            name = getattr(constraint, "name", None)
            if name is None:
                raise exc.ArgumentError(
                    f"constraint= takes a constraint name or a named constraint, got {constraint!r}"
                )
            constraint = name
        elements = tuple(
            self._column_for(e).name if not isinstance(e, str) else e  # type: ignore[attr-defined]
            for e in (index_elements or ())
        )
        where = expect_where(index_where) if index_where is not None else None
        return elements, constraint, where

    def on_conflict_do_nothing(
        self,
        constraint: Any = None,
        index_elements: Sequence[Any] | None = None,
        index_where: Any = None,
    ) -> Insert:
        """``ON CONFLICT [(cols)] DO NOTHING``: a colliding row is skipped."""
        new: Insert = self._generate()
        elements, name, where = self._target(index_elements, constraint, index_where)
        new._on_conflict = OnConflict("nothing", elements, name, where)
        return new

    def on_conflict_do_update(
        self,
        constraint: Any = None,
        index_elements: Sequence[Any] | None = None,
        index_where: Any = None,
        set_: Mapping[Any, Any] | None = None,
        where: Any = None,
    ) -> Insert:
        """``ON CONFLICT (cols) DO UPDATE SET ...``: a colliding row updates the existing one."""
        if index_elements is None and constraint is None:
            raise exc.ArgumentError(
                "on_conflict_do_update() needs index_elements=[...] or constraint=...: "
                "PostgreSQL must know which unique index the conflict is on"
            )
        if not set_:
            raise exc.ArgumentError(
                "on_conflict_do_update() needs set_={column: value, ...}; use "
                "on_conflict_do_nothing() to skip colliding rows"
            )
        new: Insert = self._generate()
        elements, name, index_cond = self._target(index_elements, constraint, index_where)
        pairs = []
        for key, value in set_.items():
            col = self._column_for(key)
            pairs.append((col, expect_column_or_value(value, col.type)))
        cond = expect_where(where) if where is not None else None
        new._on_conflict = OnConflict("update", elements, name, index_cond, tuple(pairs), cond)
        return new


def insert(table: Any) -> Insert:
    """A PostgreSQL INSERT, with ``on_conflict_do_nothing`` / ``on_conflict_do_update``."""
    return Insert(table)
