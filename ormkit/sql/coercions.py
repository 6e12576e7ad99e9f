"""Turning user input into nodes, with errors that say what was expected and what came.

Each ``expect_*`` function accepts what SQLAlchemy accepts in that position (a column, a plain
Python value, an ORM attribute through ``__clause_element__``) and refuses the rest with an
``ArgumentError`` naming the position and the value.
"""

from __future__ import annotations

import decimal
from typing import TYPE_CHECKING, Any, ClassVar

from ormkit import exc
from ormkit.sql import elements
from ormkit.sql import types as sqltypes
from ormkit.sql.plugins import columns_clause, resolve

if TYPE_CHECKING:
    from ormkit.sql.selectable import FromClause


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def expect_column(value: Any, role: str = "a column expression") -> elements.ColumnElement:
    """A column expression; a Select becomes a scalar subquery."""
    value = resolve(value)
    if isinstance(value, elements.ColumnElement):
        return value
    from ormkit.sql.selectable import FromClause, Select

    if isinstance(value, Select):
        return value.scalar_subquery()
    if isinstance(value, FromClause):
        raise exc.ArgumentError(
            f"expected {role}, got the table {value.description!r}; name one of its "
            f"columns, e.g. {value.description}.c.<name>"
        )
    raise exc.ArgumentError(f"expected {role}, got {_describe(value)}")


def expect_column_or_value(
    value: Any, type_: sqltypes.TypeEngine[Any] | None = None, key: str | None = None
) -> elements.ColumnElement:
    """A column expression, or a plain Python value as a bound parameter of ``type_``
    (which an untyped ``bindparam()`` takes too)."""
    value = resolve(value)
    if isinstance(value, elements.ColumnElement):
        if (
            type_ is not None
            and isinstance(value, elements.BindParameter)
            and isinstance(value.type, sqltypes.NullType)
            and not isinstance(type_, sqltypes.NullType)
        ):
            return value.with_type(type_)
        return value
    if value is None:
        return elements.Null()
    from ormkit.sql.selectable import FromClause, Select

    if isinstance(value, Select):
        return value.scalar_subquery()
    if isinstance(value, FromClause):
        raise exc.ArgumentError(
            f"expected a column or a value, got the table {value.description!r}"
        )
    return elements.BindParameter(key, value, type_, unique=True)


def expect_where(value: Any) -> elements.ColumnElement:
    """A condition for WHERE, HAVING or ON."""
    value = resolve(value)
    if isinstance(value, elements.ColumnElement):
        return value
    if value is True:
        return elements.True_()
    if value is False:
        return elements.False_()
    if isinstance(value, str):
        raise exc.ArgumentError(
            f"expected a WHERE clause (an expression such as table.c.x == 5), got the string "
            f"{value!r}; wrap SQL text in text() to use it as a condition"
        )
    raise exc.ArgumentError(
        f"expected a WHERE clause (an expression such as table.c.x == 5), got {_describe(value)}"
    )


def expect_order_by(value: Any) -> elements.ColumnElement:
    """An ORDER BY / GROUP BY item; a string names a column label of the statement."""
    if isinstance(value, str):
        return LabelReference(value)
    return expect_column(value, "an ORDER BY or GROUP BY expression")


class LabelReference(elements.ColumnElement):
    """A string in ORDER BY / GROUP BY, resolved against the select's column names."""

    _cache_attrs: ClassVar[tuple[str, ...]] = ("name",)

    def __init__(self, name: str) -> None:
        self.name = self.key = name


def expect_from(value: Any) -> FromClause:
    """A FROM entry: a table, alias, subquery or join."""
    from ormkit.sql.selectable import FromClause, Select

    value = resolve(value)
    if isinstance(value, FromClause):
        return value
    if isinstance(value, Select):
        raise exc.ArgumentError(
            "a SELECT cannot be used as a FROM entry directly; call .subquery() on it first"
        )
    raise exc.ArgumentError(f"expected a table, alias, subquery or join, got {_describe(value)}")


def expect_columns_clause(value: Any) -> Any:
    """An item of ``select(...)``: a column expression or a whole FROM entry (table, alias)."""
    from ormkit.sql.selectable import FromClause

    resolved = columns_clause(value)
    if isinstance(resolved, FromClause | elements.ColumnElement):
        return resolved
    if isinstance(resolved, int | float | decimal.Decimal) and not isinstance(resolved, bool):
        return elements.literal(resolved)  # select(1)
    if isinstance(resolved, str):
        raise exc.ArgumentError(
            f"select() got the string {resolved!r}; use column({resolved!r}), "
            f"literal_column() or text() for SQL text"
        )
    from ormkit.sql.selectable import Select

    if isinstance(resolved, Select):
        return resolved.scalar_subquery()
    raise exc.ArgumentError(
        f"select() takes columns, tables and expressions, got {_describe(resolved)}"
    )


def expect_in_subquery(value: Any) -> Any:
    """The subquery of ``col.in_(select(...))``, or None when ``value`` is a value list."""
    from ormkit.sql.selectable import FromClause, ScalarSelect, Select

    value = resolve(value)
    if isinstance(value, Select):
        return value.scalar_subquery()
    if isinstance(value, ScalarSelect):
        return value
    if isinstance(value, FromClause):
        raise exc.ArgumentError("in_() takes a select(), not a table or subquery")
    return None
