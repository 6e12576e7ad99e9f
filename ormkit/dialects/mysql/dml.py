"""MySQL/MariaDB's INSERT ... ON DUPLICATE KEY UPDATE: ``insert(t).on_duplicate_key_update()``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ormkit import exc
from ormkit.sql import dml
from ormkit.sql.coercions import expect_column_or_value
from ormkit.sql.elements import ColumnElement
from ormkit.sql.selectable import Alias, ColumnCollection


class InsertedValues(Alias):
    """The row an INSERT proposed; its columns render as ``VALUES(col)``."""


class Insert(dml.Insert):
    """An INSERT that updates the existing row when a unique key collides."""

    _cache_attrs: ClassVar[tuple[str, ...]] = (*dml.Insert._cache_attrs, "_on_duplicate")
    _on_duplicate: tuple[tuple[ColumnElement, Any], ...] | None = None

    @property
    def inserted(self) -> ColumnCollection:
        """The proposed row: ``on_duplicate_key_update(n=stmt.inserted.n)``."""
        alias = self.__dict__.get("_inserted")
        if alias is None:
            alias = self.__dict__["_inserted"] = InsertedValues(self.table, "inserted")
        return alias.columns

    def on_duplicate_key_update(self, *args: Any, **kwargs: Any) -> Insert:
        """``ON DUPLICATE KEY UPDATE col = value, ...``: a dict, pairs, or keyword arguments."""
        if args and kwargs:
            raise exc.ArgumentError(
                "on_duplicate_key_update() takes a dict, a list of pairs or keyword "
                "arguments, not several of them"
            )
        given: Any = kwargs
        if len(args) == 1:
            given = args[0]
        elif args:
            raise exc.ArgumentError("on_duplicate_key_update() takes one dict or list of pairs")
        pairs_in = list(given.items()) if isinstance(given, Mapping) else list(given)
        if not pairs_in:
            raise exc.ArgumentError("on_duplicate_key_update() needs at least one column to update")
        pairs = []
        for key, value in pairs_in:
            col = self._column_for(key)
            pairs.append((col, expect_column_or_value(value, col.type)))
        new: Insert = self._generate()
        new._on_duplicate = tuple(pairs)
        return new


def insert(table: Any) -> Insert:
    """A MySQL/MariaDB INSERT, with ``on_duplicate_key_update``."""
    return Insert(table)
