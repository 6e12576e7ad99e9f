"""``aliased(User)``: the same mapped class under another name in one statement.

Its attributes are the alias's columns (``u2.name == "ed"``), it joins like a table, and
selecting it loads ordinary, identity-mapped ``User`` objects.
"""

from __future__ import annotations

from typing import Any

from ormkit import exc
from ormkit.orm.mapper import class_mapper
from ormkit.sql.selectable import Alias


class AliasedClass:
    """A mapped class seen through an alias of its table."""

    def __init__(self, cls: type, name: str | None = None) -> None:
        mapper = class_mapper(cls)
        self._ok_aliased_mapper = cls
        self._ok_alias: Alias = mapper.local_table.alias(name)
        self._ok_name = name or cls.__name__
        self._ok_columns = {
            key: self._ok_alias.c[column.key] for key, column in mapper.columns_by_key.items()
        }

    def __clause_element__(self) -> Alias:
        return self._ok_alias

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_ok_") or key.startswith("__"):
            raise AttributeError(key)
        try:
            return self._ok_columns[key]
        except KeyError:
            cls = self._ok_aliased_mapper
            raise AttributeError(
                f"aliased({cls.__name__}) has no column attribute {key!r}; its columns are: "
                f"{', '.join(self._ok_columns)}"
            ) from None

    def __repr__(self) -> str:
        return f"aliased({self._ok_aliased_mapper.__name__}, name={self._ok_alias.name!r})"


def aliased(element: Any, alias: Any = None, name: str | None = None, flat: bool = False) -> Any:
    """Another name for a mapped class (or a table) within one statement."""
    if isinstance(element, type):
        return AliasedClass(element, name)
    if hasattr(element, "alias"):
        return element.alias(name)
    raise exc.ArgumentError(f"aliased() takes a mapped class or a table, got {element!r}")
