"""The structural cache key of a statement: its shape, without its values.

Two statements that differ only in the values of their bound parameters get equal keys, so
the second one reuses the first one's compiled SQL. Walking the tree also collects the bound
parameters in a fixed order; the compiled form refers to values by position in that list.
Tables and columns take part by identity (they are long-lived and hashable by id). A column
of an alias brings in the alias's whole shape the first time and its ordinal after that: a
recursive CTE's body refers to the CTE itself.
"""

from __future__ import annotations

from typing import Any

from ormkit.sql import types as sqltypes
from ormkit.sql.elements import BindParameter, ClauseElement, ColumnClause, TextClause
from ormkit.sql.schema import Column, Table
from ormkit.sql.selectable import Alias, TableClause

CacheKey = tuple[Any, ...]


class _Walk:
    __slots__ = ("aliases", "binds")

    def __init__(self) -> None:
        self.binds: list[BindParameter] = []
        self.aliases: dict[int, int] = {}

    def alias_ordinal(self, alias: Alias) -> int:
        return self.aliases.setdefault(id(alias), len(self.aliases))


def generate(element: ClauseElement) -> tuple[CacheKey, list[BindParameter]]:
    """(key, bound parameters in walk order) for ``element``; memoized on the element."""
    cached: tuple[CacheKey, list[BindParameter]] | None = element.__dict__.get("_ck")
    if cached is not None:
        return cached
    walk = _Walk()
    result = (_key(element, walk), walk.binds)
    element.__dict__["_ck"] = result
    return result


def _key(element: ClauseElement, walk: _Walk) -> Any:
    cls = type(element)
    special = _SPECIAL.get(cls)
    if special is not None:
        return special(element, walk)
    if isinstance(element, Column | Table):
        return element  # identity: a schema object never changes shape
    if isinstance(element, Alias):
        return _alias_key(element, walk)
    if isinstance(element, ColumnClause) and isinstance(element.table, Alias):
        return (cls, element.name, element.type.cache_key, _alias_key(element.table, walk))
    out: list[Any] = [cls]
    for name in cls._cache_attrs:
        out.append(_value_key(getattr(element, name), walk))
    return tuple(out)


def _alias_key(alias: Alias, walk: _Walk) -> Any:
    """The alias's full shape the first time it is met; its ordinal after that.

    The ordinal is taken before walking the inside, so a recursive CTE that refers to itself
    ends the walk there.
    """
    seen = walk.aliases.get(id(alias))
    if seen is not None:
        return ("alias", seen)
    ordinal = walk.alias_ordinal(alias)
    cls = type(alias)
    return (cls, ordinal, *[_value_key(getattr(alias, n), walk) for n in cls._cache_attrs])


def _value_key(value: Any, walk: _Walk) -> Any:
    if isinstance(value, ClauseElement):
        return _key(value, walk)
    if isinstance(value, tuple | list):
        return tuple(_value_key(v, walk) for v in value)
    if isinstance(value, sqltypes.TypeEngine):
        return value.cache_key
    if isinstance(value, dict):
        return tuple((k, _value_key(v, walk)) for k, v in value.items())
    return value


def _bind_key(bind: Any, walk: _Walk) -> Any:
    walk.binds.append(bind)
    return (BindParameter, bind.key, bind.unique, bind.type.cache_key, bind.expanding)


def _text_key(text: Any, walk: _Walk) -> Any:
    bind_shapes = tuple(_bind_key(text._bindparams[k], walk) for k in text._bind_keys)
    return (TextClause, text.text, bind_shapes, _value_key(text._column_types, walk))


def _identity(element: Any, walk: _Walk) -> Any:
    return element


_SPECIAL: dict[type, Any] = {
    BindParameter: _bind_key,
    TextClause: _text_key,
    Table: _identity,
    Column: _identity,
    TableClause: _identity,
}
