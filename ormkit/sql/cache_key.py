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
from ormkit.sql.elements import (
    BinaryExpression,
    BindParameter,
    BooleanClauseList,
    ClauseElement,
    ColumnClause,
    TextClause,
)
from ormkit.sql.schema import Column, Table
from ormkit.sql.selectable import Alias, Select, TableClause

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


_PLAIN = frozenset({type(None), str, int, bool, float})


def _value_key(value: Any, walk: _Walk) -> Any:
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is tuple or kind is list:
        return tuple([_value_key(v, walk) for v in value])
    if isinstance(value, ClauseElement):
        return _key(value, walk)
    if isinstance(value, sqltypes.TypeEngine):
        return value.cache_key
    if isinstance(value, dict):
        return tuple((k, _value_key(v, walk)) for k, v in value.items())
    return value


# Hand-written keys for the nodes every query is made of: the same shape information as the
# generic walk over ``_cache_attrs``, without its per-attribute dispatch.


def _binary_key(node: Any, walk: _Walk) -> Any:
    return (
        BinaryExpression,
        _key(node.left, walk),
        _key(node.right, walk),
        node.operator,
        node.type.cache_key,
        node.escape,
    )


def _boolean_list_key(node: Any, walk: _Walk) -> Any:
    return (BooleanClauseList, node.operator, tuple([_key(c, walk) for c in node.clauses]))


def _select_key(node: Any, walk: _Walk) -> Any:
    def many(items: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple([_key(i, walk) for i in items]) if items else ()

    limit, offset = node._limit, node._offset
    return (
        Select,
        many(node._raw_columns),
        many(node._from_obj),
        _value_key(node._setup_joins, walk) if node._setup_joins else (),
        many(node._where_criteria),
        many(node._group_by),
        many(node._having),
        many(node._order_by),
        _bind_key(limit, walk) if limit is not None else None,
        _bind_key(offset, walk) if offset is not None else None,
        node._distinct,
        many(node._distinct_on),
        node._for_update_key,
        node._plugin_key,
        _value_key(node._correlate, walk),
        _value_key(node._correlate_except, walk),
    )


def _bind_key(bind: Any, walk: _Walk) -> Any:
    walk.binds.append(bind)
    return (BindParameter, bind.key, bind.unique, bind.type.cache_key, bind.expanding)


def _text_key(text: Any, walk: _Walk) -> Any:
    bind_shapes = tuple(_bind_key(text._bindparams[k], walk) for k in text._bind_keys)
    return (TextClause, text.text, bind_shapes, _value_key(text._column_types, walk))


def _identity(element: Any, walk: _Walk) -> Any:
    return element


def _table_key(table: Any, walk: _Walk) -> Any:
    return table._ok_shape  # the table itself, until a column is appended to it


_SPECIAL: dict[type, Any] = {
    BindParameter: _bind_key,
    BinaryExpression: _binary_key,
    BooleanClauseList: _boolean_list_key,
    Select: _select_key,
    TextClause: _text_key,
    Table: _table_key,
    Column: _identity,
    TableClause: _identity,
}
