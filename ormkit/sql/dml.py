"""INSERT, UPDATE and DELETE statements (with RETURNING where the database has it)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from ormkit import exc
from ormkit.sql.base import Executable
from ormkit.sql.coercions import expect_column, expect_column_or_value, expect_from, expect_where
from ormkit.sql.elements import ClauseElement, ColumnElement
from ormkit.sql.plugins import resolve
from ormkit.sql.selectable import FromClause, SelectBase, TableClause


class DMLStatement(Executable, ClauseElement):
    """What INSERT, UPDATE and DELETE share: a target table and RETURNING."""

    _returning: tuple[ColumnElement, ...] = ()
    #: What ``returning()`` was given (mapped classes stay classes: the ORM makes objects).
    _raw_returning: tuple[Any, ...] = ()
    _sort_by_parameter_order = False
    is_insert = is_update = is_delete = False

    def __init__(self, table: Any) -> None:
        #: The mapped class the statement was made from, when it was (``update(User)``).
        self._entity = table if isinstance(table, type) else None
        target = expect_from(table)
        if not isinstance(target, TableClause):
            raise exc.ArgumentError(
                f"{type(self).__name__.upper()} needs a table, got {target.description!r}"
            )
        self.table: TableClause = target

    def returning(self, *cols: Any, sort_by_parameter_order: bool = False) -> Any:
        """Hand back these columns of the affected rows (``RETURNING``).

        Run with a list of parameter sets, the rows come back in the order of the sets:
        always in ormkit, so ``sort_by_parameter_order=True`` (which asks for that) changes
        nothing.
        """
        if not isinstance(sort_by_parameter_order, bool):
            raise exc.ArgumentError(
                f"returning(sort_by_parameter_order=...) takes True or False, got "
                f"{sort_by_parameter_order!r}"
            )
        new = self._generate()
        new._sort_by_parameter_order = self._sort_by_parameter_order or sort_by_parameter_order
        new._raw_returning = self._raw_returning + cols
        expanded: list[ColumnElement] = []
        for col in cols:
            resolved = resolve(col)
            if isinstance(resolved, FromClause):
                expanded.extend(resolved.columns)
            else:
                expanded.append(expect_column(resolved))
        new._returning = self._returning + tuple(expanded)
        return new

    def _column_for(self, key: Any) -> ColumnElement:
        """The target table's column for a ``values()`` key: a name or a column.

        For a statement made from a mapped class (``insert(User)``) a name is first taken
        as an attribute name, as the ORM does, then as a column key or name.
        """
        columns = self.table.columns
        if isinstance(key, str):
            col = self._attribute_column(key) if self._entity is not None else None
            if col is None:
                col = columns.get(key)
            if col is None:
                col = next((c for c in columns if getattr(c, "name", None) == key), None)
            if col is None:
                raise self._unknown_key(key)
            return col
        resolved = resolve(key)
        if isinstance(resolved, ColumnElement) and columns.contains_column(resolved):
            return resolved
        name = getattr(resolved, "name", None)
        owner = getattr(getattr(resolved, "table", None), "name", None)
        raise exc.ArgumentError(
            f"column {owner + '.' if owner else ''}{name or resolved!r} does not belong to "
            f"table {self.table.name!r}"
        )

    def _attribute_column(self, key: str) -> ColumnElement | None:
        """The table column the entity's attribute ``key`` stands for, if it is one."""
        try:
            resolved = resolve(getattr(self._entity, key))
        except AttributeError:
            return None
        if isinstance(resolved, ColumnElement) and self.table.columns.contains_column(resolved):
            return resolved
        return None

    def _unknown_key(self, key: str) -> exc.ArgumentError:
        columns = self.table.columns
        if self._entity is None:
            return exc.ArgumentError(
                f"unknown column {key!r} for table {self.table.name!r}; its columns are: "
                f"{', '.join(columns.keys())}"
            )
        attributes = [
            name
            for name in dir(self._entity)
            if not name.startswith("__") and self._attribute_column(name) is not None
        ]
        return exc.ArgumentError(
            f"unknown attribute {key!r} for {self._entity.__name__} (table "
            f"{self.table.name!r}); its column attributes are: {', '.join(attributes)}"
        )

    def _coerce_values(self, values: Mapping[Any, Any]) -> tuple[tuple[ColumnElement, Any], ...]:
        pairs: list[tuple[ColumnElement, Any]] = []
        for key, value in values.items():
            named = getattr(self._entity, key, None) if isinstance(key, str) else key
            expand = getattr(named, "_bulk_update_tuples", None)
            if expand is not None:  # an ORM attribute that stands for columns (a hybrid)
                pairs.extend(self._coerce_values(dict(expand(value))))
                continue
            col = self._column_for(key)
            pairs.append(
                (
                    col,
                    expect_column_or_value(value, col.type)
                    if value is not None
                    else expect_column_or_value(value),
                )
            )
        return tuple(pairs)


class ValuesBase(DMLStatement):
    """INSERT and UPDATE: statements with ``values()``."""

    _values: tuple[tuple[ColumnElement, Any], ...] | None = None

    def values(self, *args: Any, **kwargs: Any) -> Any:
        """The column values: a dict, keyword arguments, or for INSERT a list of dicts."""
        new = self._generate()
        if args and kwargs:
            raise exc.ArgumentError("values() takes a dict or keyword arguments, not both")
        if len(args) > 1:
            raise exc.ArgumentError("values() takes one dict or one list of dicts")
        given: Any = args[0] if args else kwargs
        if isinstance(given, Sequence) and not isinstance(given, str | bytes):
            return new._multi_values(given)
        if not isinstance(given, Mapping):
            raise exc.ArgumentError(f"values() takes a dict of column values, got {given!r}")
        merged = dict(self._values or ())
        merged.update(dict(new._coerce_values(given)))
        new._values = tuple(merged.items())
        return new

    def _multi_values(self, rows: Sequence[Any]) -> Any:
        raise exc.ArgumentError(f"{type(self).__name__.upper()} takes one set of values")


class Insert(ValuesBase):
    """``INSERT INTO table (...) VALUES (...)``; several rows, or ``from_select``."""

    _cache_attrs: ClassVar[tuple[str, ...]] = (
        "table",
        "_values_key",
        "_multi_key",
        "_select_key",
        "_returning",
    )
    is_insert = True
    _multi: tuple[tuple[tuple[ColumnElement, Any], ...], ...] = ()
    _select: tuple[tuple[ColumnElement, ...], SelectBase] | None = None
    _inline = False

    def _multi_values(self, rows: Sequence[Any]) -> Insert:
        if not rows:
            raise exc.ArgumentError("values() got an empty list of rows")
        converted = []
        for row in rows:
            if not isinstance(row, Mapping):
                raise exc.ArgumentError(
                    f"values() with several rows takes a list of dicts, got {row!r}"
                )
            converted.append(self._coerce_values(row))
        keys = {tuple(id(c) for c, _ in row) for row in converted}
        if len(keys) > 1:
            raise exc.ArgumentError(
                "every row of a multi-row values() must name the same columns in the same order"
            )
        self._multi = self._multi + tuple(converted)
        return self

    @property
    def _values_key(self) -> Any:
        return self._values

    @property
    def _multi_key(self) -> Any:
        return self._multi

    @property
    def _select_key(self) -> Any:
        return self._select

    def from_select(self, names: Sequence[Any], select: SelectBase) -> Insert:
        """``INSERT INTO table (names) SELECT ...``."""
        new = self._generate()
        new._select = (tuple(self._column_for(n) for n in names), select)
        return new

    def inline(self) -> Insert:
        """Accepted for compatibility: defaults are always rendered inline."""
        return self


class Update(ValuesBase):
    """``UPDATE table SET ... WHERE ...``."""

    _cache_attrs: ClassVar[tuple[str, ...]] = ("table", "_values", "_where_criteria", "_returning")
    is_update = True
    _where_criteria: tuple[ColumnElement, ...] = ()

    def where(self, *criteria: Any) -> Update:
        """Limit the rows changed; conditions are joined with AND."""
        new = self._generate()
        new._where_criteria = self._where_criteria + tuple(expect_where(c) for c in criteria)
        return new

    filter = where

    def filter_by(self, **kwargs: Any) -> Update:
        """Conditions ``column == value`` by column name."""
        return self.where(*[self._column_for(k) == v for k, v in kwargs.items()])

    def ordered_values(self, *pairs: tuple[Any, Any]) -> Update:
        """SET items in the given order."""
        return self.values(dict(pairs))  # type: ignore[no-any-return]


class Delete(DMLStatement):
    """``DELETE FROM table WHERE ...``."""

    _cache_attrs: ClassVar[tuple[str, ...]] = ("table", "_where_criteria", "_returning")
    is_delete = True
    _where_criteria: tuple[ColumnElement, ...] = ()

    def where(self, *criteria: Any) -> Delete:
        """Limit the rows deleted; conditions are joined with AND."""
        new = self._generate()
        new._where_criteria = self._where_criteria + tuple(expect_where(c) for c in criteria)
        return new

    filter = where

    def filter_by(self, **kwargs: Any) -> Delete:
        """Conditions ``column == value`` by column name."""
        return self.where(*[self._column_for(k) == v for k, v in kwargs.items()])


def insert(table: Any) -> Insert:
    """``INSERT INTO table``."""
    return Insert(table)


def update(table: Any) -> Update:
    """``UPDATE table``."""
    return Update(table)


def delete(table: Any) -> Delete:
    """``DELETE FROM table``."""
    return Delete(table)
