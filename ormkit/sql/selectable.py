"""FROM clauses and SELECT: tables, joins, aliases, subqueries, CTEs, set operations.

``Select`` is immutable and generative: each method returns a new statement, copying only the
one tuple it changes. What ends up in the FROM clause is worked out by ``Select.froms()`` from
the columns, conditions, explicit ``select_from`` and ``join`` calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from ormkit import exc
from ormkit.sql import elements
from ormkit.sql import operators as ops
from ormkit.sql import types as sqltypes
from ormkit.sql.base import Executable, Generative
from ormkit.sql.coercions import (
    expect_column,
    expect_columns_clause,
    expect_from,
    expect_order_by,
    expect_where,
)
from ormkit.sql.elements import BindParameter, ClauseElement, ColumnClause, ColumnElement
from ormkit.sql.plugins import resolve

if TYPE_CHECKING:
    from ormkit.sql.schema import ForeignKey

_S = TypeVar("_S", bound="Generative")


class ColumnCollection:
    """The ``.c`` of a table or subquery: columns by key, in order, with attribute access."""

    __slots__ = ("_by_key", "_columns", "_owner")

    def __init__(self, columns: Iterable[ColumnElement] = (), owner: str = "") -> None:
        self._columns: list[ColumnElement] = []
        self._by_key: dict[str, ColumnElement] = {}
        self._owner = owner
        for col in columns:
            self._add(col)

    def _add(self, column: ColumnElement, key: str | None = None) -> None:
        key = key or column.key or ""
        if key in self._by_key:
            old = self._by_key[key]
            self._columns = [column if c is old else c for c in self._columns]
        else:
            self._columns.append(column)
        self._by_key[key] = column

    def __getattr__(self, key: str) -> Any:
        try:
            return self._by_key[key]
        except KeyError:
            if key.startswith("__"):
                raise AttributeError(key) from None
            raise AttributeError(self._missing(key)) from None

    def __getitem__(self, key: str | int) -> Any:
        if isinstance(key, int):
            return self._columns[key]
        try:
            return self._by_key[key]
        except KeyError:
            raise KeyError(self._missing(key)) from None

    def _missing(self, key: str) -> str:
        owner = f"{self._owner} " if self._owner else ""
        return f"{owner}has no column {key!r}; its columns are: {', '.join(self._by_key) or 'none'}"

    def get(self, key: str, default: Any = None) -> Any:
        """The column with ``key``, or ``default``."""
        return self._by_key.get(key, default)

    def keys(self) -> list[str]:
        """The column keys, in order."""
        return list(self._by_key)

    def values(self) -> list[ColumnElement]:
        """The columns, in order."""
        return list(self._columns)

    def items(self) -> list[tuple[str, ColumnElement]]:
        """(key, column) pairs, in order."""
        return list(self._by_key.items())

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._columns))

    def __len__(self) -> int:
        return len(self._columns)

    def __contains__(self, item: object) -> bool:
        if isinstance(item, str):
            return item in self._by_key
        return any(c is item for c in self._columns)

    def contains_column(self, col: ColumnElement) -> bool:
        """True when ``col`` itself (not an equal one) is in the collection."""
        return any(c is col for c in self._columns)

    def __repr__(self) -> str:
        return f"ColumnCollection({', '.join(self._by_key)})"


class FromClause(ClauseElement):
    """Anything that can stand in a FROM clause."""

    named_with_column: ClassVar[bool] = False

    @property
    def description(self) -> str:
        """A short name for messages."""
        return getattr(self, "name", None) or type(self).__name__.lower()

    @property
    def c(self) -> ColumnCollection:
        """The columns, by key."""
        return self.columns

    @property
    def columns(self) -> ColumnCollection:
        """The columns, by key."""
        raise NotImplementedError  # every concrete FromClause defines it

    @property
    def _from_objects(self) -> list[FromClause]:
        return [self]

    @property
    def _hidden_froms(self) -> list[FromClause]:
        """FROM entries made redundant by this one (the tables inside a join)."""
        return []

    @property
    def primary_key(self) -> list[ColumnElement]:
        """The primary key columns (empty when there is none)."""
        return []

    @property
    def foreign_keys(self) -> list[ForeignKey]:
        """Foreign keys of this FROM entry's columns."""
        return []

    def _base_tables(self) -> list[FromClause]:
        """The tables this entry is made of (itself, or both sides of a join)."""
        return [self]

    def is_derived_from(self, other: FromClause) -> bool:
        """True when this is ``other`` or was made from it (an alias of it, a join with it)."""
        return self is other

    def alias(self, name: str | None = None) -> Alias:
        """``self AS name``: the same rows under another name."""
        return Alias(self, name)

    def join(
        self, right: Any, onclause: Any = None, *, isouter: bool = False, full: bool = False
    ) -> Join:
        """``self JOIN right ON ...``; ON is inferred from foreign keys when not given."""
        return Join(self, expect_from(right), onclause, isouter=isouter, full=full)

    def outerjoin(self, right: Any, onclause: Any = None, *, full: bool = False) -> Join:
        """``self LEFT OUTER JOIN right ON ...``."""
        return self.join(right, onclause, isouter=True, full=full)

    def select(self) -> Select:
        """``SELECT * FROM self`` spelled out column by column."""
        return Select(self)

    def corresponding_column(self, column: ColumnElement) -> ColumnElement | None:
        """The column of this FROM entry that stands for ``column``, if any."""
        for own in self.columns:
            if own is column or getattr(own, "_proxied", None) is column:
                found: ColumnElement = own
                return found
        return None


class TableClause(FromClause):
    """A named table with columns; ``schema.Table`` adds constraints and DDL."""

    named_with_column = True
    _cache_attrs: ClassVar[tuple[str, ...]] = ()

    def __init__(self, name: str, *columns: ColumnClause, schema: str | None = None) -> None:
        self.name = name
        self.schema = schema
        self._columns = ColumnCollection(owner=f"table {name!r}")
        for col in columns:
            self.append_column(col)

    @property
    def columns(self) -> ColumnCollection:
        return self._columns

    @property
    def fullname(self) -> str:
        """``schema.name`` or ``name``."""
        return f"{self.schema}.{self.name}" if self.schema else self.name

    def append_column(self, column: ColumnClause) -> None:
        """Add ``column`` to this table."""
        column.table = self
        self._columns._add(column)

    def insert(self) -> Any:
        """``INSERT INTO self``."""
        from ormkit.sql.dml import Insert

        return Insert(self)

    def update(self) -> Any:
        """``UPDATE self``."""
        from ormkit.sql.dml import Update

        return Update(self)

    def delete(self) -> Any:
        """``DELETE FROM self``."""
        from ormkit.sql.dml import Delete

        return Delete(self)

    def __repr__(self) -> str:
        return f"table({self.name!r})"


def table(name: str, *columns: ColumnClause, schema: str | None = None) -> TableClause:
    """A lightweight table, without MetaData, for ad hoc statements."""
    return TableClause(name, *columns, schema=schema)


def _foreign_key_pairs(
    left: FromClause, right: FromClause
) -> list[tuple[ForeignKey, ColumnElement, ColumnElement]]:
    """(foreign key, its column, the column it references) triples linking two FROM entries."""
    triples: list[tuple[ForeignKey, ColumnElement, ColumnElement]] = []
    for a, b in ((left, right), (right, left)):
        for fk in a.foreign_keys:
            target = fk.column
            for base in b._base_tables():
                own = target if base is target.table else base.corresponding_column(target)
                if own is not None:
                    parent = _first(a.corresponding_column(fk.parent), fk.parent)
                    triples.append((fk, parent, own))
    return triples


def _first(*candidates: Any) -> Any:
    """The first candidate that is not None (``or`` would ask a SQL expression for its truth)."""
    return next((c for c in candidates if c is not None), None)


def infer_onclause(left: FromClause, right: FromClause) -> ColumnElement:
    """The ON condition joining ``left`` and ``right`` through their one foreign key path."""
    by_constraint: dict[int, list[tuple[ColumnElement, ColumnElement]]] = {}
    for fk, parent, target in _foreign_key_pairs(left, right):
        by_constraint.setdefault(id(fk.constraint), []).append((parent, target))
    if not by_constraint:
        raise exc.ArgumentError(
            f"can't find a foreign key between {left.description!r} and {right.description!r} "
            f"to join on; give the ON clause, e.g. "
            f"join({right.description}, {left.description}.c.x == {right.description}.c.y)"
        )
    if len(by_constraint) > 1:
        candidates = ", ".join(
            " AND ".join(f"{_col_name(p)} -> {_col_name(t)}" for p, t in group)
            for group in by_constraint.values()
        )
        raise exc.ArgumentError(
            f"more than one foreign key joins {left.description!r} and "
            f"{right.description!r} ({candidates}); give the ON clause explicitly"
        )
    (group,) = by_constraint.values()
    return elements.and_(*[parent == target for parent, target in group])


def _col_name(col: Any) -> str:
    table = getattr(col, "table", None)
    return f"{table.description}.{col.name}" if table is not None else str(col.name)


class Join(FromClause):
    """``left [LEFT OUTER | FULL OUTER] JOIN right ON onclause``."""

    _cache_attrs: ClassVar[tuple[str, ...]] = ("left", "right", "onclause", "isouter", "full")

    def __init__(
        self,
        left: FromClause,
        right: FromClause,
        onclause: Any = None,
        *,
        isouter: bool = False,
        full: bool = False,
    ) -> None:
        self.left = expect_from(left)
        self.right = expect_from(right)
        self.onclause = (
            infer_onclause(self.left, self.right) if onclause is None else expect_where(onclause)
        )
        self.isouter = isouter
        self.full = full

    @property
    def description(self) -> str:
        return f"{self.left.description} JOIN {self.right.description}"

    @property
    def columns(self) -> ColumnCollection:
        collection = ColumnCollection(owner="join")
        for side in (self.left, self.right):
            for col in side.columns:
                table = getattr(col, "table", None)
                prefix = getattr(table, "name", None)
                collection._add(col, f"{prefix}_{col.key}" if prefix else col.key)
        return collection

    @property
    def foreign_keys(self) -> list[ForeignKey]:
        return self.left.foreign_keys + self.right.foreign_keys

    @property
    def primary_key(self) -> list[ColumnElement]:
        return self.left.primary_key + self.right.primary_key

    @property
    def _hidden_froms(self) -> list[FromClause]:
        hidden: list[FromClause] = []
        for side in (self.left, self.right):
            hidden.append(side)
            hidden.extend(side._hidden_froms)
        return hidden

    def _base_tables(self) -> list[FromClause]:
        return self.left._base_tables() + self.right._base_tables()

    def is_derived_from(self, other: FromClause) -> bool:
        return (
            self is other or self.left.is_derived_from(other) or self.right.is_derived_from(other)
        )

    def corresponding_column(self, column: ColumnElement) -> ColumnElement | None:
        found: ColumnElement | None = _first(
            self.left.corresponding_column(column), self.right.corresponding_column(column)
        )
        return found


def join(
    left: Any, right: Any, onclause: Any = None, isouter: bool = False, full: bool = False
) -> Join:
    """``left JOIN right ON onclause``."""
    return Join(expect_from(left), expect_from(right), onclause, isouter=isouter, full=full)


def outerjoin(left: Any, right: Any, onclause: Any = None, full: bool = False) -> Join:
    """``left LEFT OUTER JOIN right ON onclause``."""
    return Join(expect_from(left), expect_from(right), onclause, isouter=True, full=full)


class Alias(FromClause):
    """Another name for a table or subquery: ``users AS u``. Anonymous when no name is given."""

    named_with_column = True
    _cache_attrs: ClassVar[tuple[str, ...]] = ("element", "name")

    def __init__(self, element: ClauseElement, name: str | None = None) -> None:
        self.element = element
        self.name = name
        self._cols: ColumnCollection | None = None

    @property
    def description(self) -> str:
        return self.name or f"anonymous alias of {getattr(self.element, 'description', 'select')}"

    @property
    def columns(self) -> ColumnCollection:
        if self._cols is None:
            source = self._source_columns()
            self._cols = ColumnCollection(
                (col._proxy(self, key) for key, col in source),
                owner=f"alias {self.name!r}" if self.name else "subquery",
            )
        return self._cols

    def _source_columns(self) -> list[tuple[str, ColumnClause]]:
        element = self.element
        if isinstance(element, FromClause):
            return [(c.key or "", c) for c in element.columns]
        raise exc.ArgumentError(f"cannot alias {type(element).__name__}")

    @property
    def primary_key(self) -> list[ColumnElement]:
        if isinstance(self.element, FromClause):
            keys = {id(c) for c in self.element.primary_key}
            return [c for c in self.columns if id(getattr(c, "_proxied", None)) in keys]
        return []

    @property
    def foreign_keys(self) -> list[ForeignKey]:
        return self.element.foreign_keys if isinstance(self.element, FromClause) else []

    def is_derived_from(self, other: FromClause) -> bool:
        return self is other or (
            isinstance(self.element, FromClause) and self.element.is_derived_from(other)
        )


class Subquery(Alias):
    """A SELECT used as a FROM entry: ``(SELECT ...) AS name``."""

    def _source_columns(self) -> list[tuple[str, ColumnClause]]:
        element = self.element
        assert isinstance(element, Select | CompoundSelect)
        pairs = []
        for name, col in element._named_columns():
            pairs.append((name, ColumnClause(name, col.type)))
        return pairs

    @property
    def primary_key(self) -> list[ColumnElement]:
        return []


class CTE(Subquery):
    """A common table expression: ``WITH name AS (SELECT ...)``, recursive when asked."""

    _cache_attrs: ClassVar[tuple[str, ...]] = ("element", "name", "recursive")

    def __init__(self, element: ClauseElement, name: str | None = None, recursive: bool = False):
        super().__init__(element, name)
        self.recursive = recursive

    def union_all(self, *others: Any) -> CTE:
        """The recursive form: this CTE's query ``UNION ALL`` the ones that refer to it."""
        return self._compound("UNION ALL", others)

    def union(self, *others: Any) -> CTE:
        """The recursive form with ``UNION``."""
        return self._compound("UNION", others)

    def _compound(self, keyword: str, others: Iterable[Any]) -> CTE:
        assert isinstance(self.element, Select | CompoundSelect)
        compound = CompoundSelect(keyword, self.element, *others)
        new = CTE(compound, self.name, self.recursive)
        # the recursive member refers to the CTE by its columns: keep the same column objects
        new._cols = self.columns
        for col in new._cols:
            col.table = new
        return new


class ForUpdate:
    """The ``FOR UPDATE`` options of a SELECT."""

    __slots__ = ("key_share", "nowait", "of", "read", "skip_locked")

    def __init__(
        self,
        nowait: bool = False,
        read: bool = False,
        skip_locked: bool = False,
        of: tuple[Any, ...] = (),
        key_share: bool = False,
    ) -> None:
        self.nowait, self.read, self.skip_locked = nowait, read, skip_locked
        self.of, self.key_share = of, key_share

    @property
    def cache_key(self) -> tuple[Any, ...]:
        """Shape of the options, for the statement cache key."""
        return (self.nowait, self.read, self.skip_locked, self.key_share, self.of)


def _bind_int(value: Any, what: str) -> BindParameter | None:
    if value is None:
        return None
    if isinstance(value, BindParameter):
        return value
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise exc.ArgumentError(f"{what} takes a whole number >= 0, got {value!r}")
    return BindParameter(None, value, sqltypes.Integer(), unique=True)


class SelectBase(Executable, ClauseElement):
    """What SELECT and UNION have in common: ordering, limits, use as a subquery."""

    is_select = True
    _order_by: tuple[ColumnElement, ...] = ()
    _limit: BindParameter | None = None
    _offset: BindParameter | None = None

    def _named_columns(self) -> list[tuple[str, ColumnElement]]:
        raise NotImplementedError  # Select and CompoundSelect each define it

    @property
    def selected_columns(self) -> ColumnCollection:
        """The result columns by name."""
        collection = ColumnCollection(owner="select")
        for name, col in self._named_columns():
            collection._add(col, name)
        return collection

    def order_by(self: _S, *clauses: Any) -> _S:
        """Add ORDER BY items; ``order_by(None)`` clears them."""
        new = self._generate()
        if len(clauses) == 1 and clauses[0] is None:
            new._order_by = ()  # type: ignore[attr-defined]
        else:
            new._order_by = new._order_by + tuple(expect_order_by(c) for c in clauses)  # type: ignore[attr-defined]
        return new

    def limit(self: _S, limit: int | None) -> _S:
        """At most ``limit`` rows."""
        new = self._generate()
        new._limit = _bind_int(limit, "limit")  # type: ignore[attr-defined]
        return new

    def offset(self: _S, offset: int | None) -> _S:
        """Skip the first ``offset`` rows."""
        new = self._generate()
        new._offset = _bind_int(offset, "offset")  # type: ignore[attr-defined]
        return new

    def slice(self: _S, start: int, stop: int) -> _S:
        """Rows ``start`` up to ``stop``: OFFSET start LIMIT stop - start."""
        base: Any = self
        return base.offset(start or None).limit(max(stop - start, 0))  # type: ignore[no-any-return]

    def subquery(self, name: str | None = None) -> Subquery:
        """This SELECT as a FROM entry: ``(SELECT ...) AS name``."""
        return Subquery(self, name)

    def alias(self, name: str | None = None) -> Subquery:
        """The same as ``subquery(name)``."""
        return self.subquery(name)

    def cte(self, name: str | None = None, recursive: bool = False) -> CTE:
        """This SELECT as a common table expression (``WITH name AS (...)``)."""
        return CTE(self, name, recursive)

    def scalar_subquery(self) -> ScalarSelect:
        """This single-column SELECT as a value: ``(SELECT max(x) FROM t)``."""
        return ScalarSelect(self)

    def label(self, name: str) -> elements.Label:
        """This SELECT as a labeled scalar value."""
        return self.scalar_subquery().label(name)

    def exists(self) -> Exists:
        """``EXISTS (SELECT ...)``."""
        return Exists(self)

    def union(self, *others: Any) -> CompoundSelect:
        """``self UNION other ...``."""
        return CompoundSelect("UNION", self, *others)

    def union_all(self, *others: Any) -> CompoundSelect:
        """``self UNION ALL other ...``."""
        return CompoundSelect("UNION ALL", self, *others)

    def intersect(self, *others: Any) -> CompoundSelect:
        """``self INTERSECT other ...``."""
        return CompoundSelect("INTERSECT", self, *others)

    def intersect_all(self, *others: Any) -> CompoundSelect:
        """``self INTERSECT ALL other ...``."""
        return CompoundSelect("INTERSECT ALL", self, *others)

    def except_(self, *others: Any) -> CompoundSelect:
        """``self EXCEPT other ...``."""
        return CompoundSelect("EXCEPT", self, *others)

    def except_all(self, *others: Any) -> CompoundSelect:
        """``self EXCEPT ALL other ...``."""
        return CompoundSelect("EXCEPT ALL", self, *others)


class Select(SelectBase):
    """``SELECT columns FROM ... WHERE ... GROUP BY ... HAVING ... ORDER BY ... LIMIT ...``."""

    _cache_attrs: ClassVar[tuple[str, ...]] = (
        "_raw_columns",
        "_from_obj",
        "_setup_joins",
        "_where_criteria",
        "_group_by",
        "_having",
        "_order_by",
        "_limit",
        "_offset",
        "_distinct",
        "_distinct_on",
        "_for_update_key",
        "_plugin_key",
        "_correlate",
        "_correlate_except",
    )
    _from_obj: tuple[FromClause, ...] = ()
    #: correlate(): the enclosing FROM entries to correlate (None: any, automatically)
    _correlate: tuple[FromClause, ...] | None = None
    #: correlate_except(): correlate every enclosing FROM entry but these
    _correlate_except: tuple[FromClause, ...] | None = None
    _setup_joins: tuple[tuple[Any, ...], ...] = ()
    _where_criteria: tuple[ColumnElement, ...] = ()
    _group_by: tuple[ColumnElement, ...] = ()
    _having: tuple[ColumnElement, ...] = ()
    _distinct: bool = False
    _distinct_on: tuple[ColumnElement, ...] = ()
    _for_update: ForUpdate | None = None
    #: Extra data an upper layer (the ORM) attaches; part of the cache key.
    _plugin_key: Any = None
    #: Options for an upper layer (the ORM's loader options); they do not change the SQL.
    _with_options: tuple[Any, ...] = ()
    _propagate_attrs: dict[str, Any] = {}

    def __init__(self, *entities: Any) -> None:
        if len(entities) == 1 and isinstance(entities[0], list | tuple):
            entities = tuple(entities[0])  # select([a, b]), the 1.x calling form
        self._raw_columns = tuple(expect_columns_clause(e) for e in entities)
        self._raw_entities = entities

    @property
    def _for_update_key(self) -> Any:
        return self._for_update.cache_key if self._for_update is not None else None

    def _named_columns(self) -> list[tuple[str, ColumnElement]]:
        """Result columns with the names they come back under (duplicates get ``_1``)."""
        named: list[tuple[str, ColumnElement]] = []
        seen: dict[str, int] = {}
        for col in self._expanded_columns():
            name = _result_name(col)
            if name in seen:
                seen[name] += 1
                name = f"{name}_{seen[name]}"
            seen.setdefault(name, 0)
            named.append((name, col))
        return named

    def _expanded_columns(self) -> list[ColumnElement]:
        out: list[ColumnElement] = []
        for item in self._raw_columns:
            if isinstance(item, FromClause):
                out.extend(item.columns)
            else:
                out.append(item)
        return out

    @property
    def columns_clause_froms(self) -> list[FromClause]:
        """FROM entries implied by the select list."""
        froms: list[FromClause] = []
        for item in self._raw_columns:
            froms.extend(item._from_objects)
        return froms

    # -- builders ---------------------------------------------------------------------------

    def where(self, *criteria: Any) -> Select:
        """Add conditions, joined with AND."""
        new = self._generate()
        new._where_criteria = self._where_criteria + tuple(expect_where(c) for c in criteria)
        return new

    filter = where

    def filter_by(self, **kwargs: Any) -> Select:
        """Conditions ``column == value`` on the last joined (or first) FROM entry's columns."""
        if self._setup_joins:
            target = self._setup_joins[-1][0]
        else:
            froms = self.froms()
            if not froms:
                raise exc.InvalidRequestError("filter_by() needs a FROM entry to look names up in")
            target = froms[0]
        columns = target.columns
        # an ORM entity of the select standing for the target: its attributes come first
        # (a key naming a column attribute, a synonym or a hybrid rather than a column)
        owners = (
            e if isinstance(e, type) else getattr(e, "class_", None) for e in self._raw_entities
        )
        entity = next((o for o in owners if isinstance(o, type) and resolve(o) is target), None)
        criteria = []
        for key, value in kwargs.items():
            attribute = getattr(entity, key, None) if entity is not None else None
            if attribute is not None and hasattr(attribute, "__clause_element__"):
                criteria.append(attribute == value)
                continue
            if key not in columns:
                raise exc.InvalidRequestError(
                    f"filter_by(): {target.description!r} has no column {key!r}; "
                    f"its columns are: {', '.join(columns.keys())}"
                )
            criteria.append(columns[key] == value)
        return self.where(*criteria)

    def having(self, *criteria: Any) -> Select:
        """Add HAVING conditions, joined with AND."""
        new = self._generate()
        new._having = self._having + tuple(expect_where(c) for c in criteria)
        return new

    def group_by(self, *clauses: Any) -> Select:
        """Add GROUP BY items; ``group_by(None)`` clears them."""
        new = self._generate()
        if len(clauses) == 1 and clauses[0] is None:
            new._group_by = ()
        else:
            new._group_by = self._group_by + tuple(expect_order_by(c) for c in clauses)
        return new

    def distinct(self, *on: Any) -> Select:
        """``SELECT DISTINCT``; with expressions, PostgreSQL's ``DISTINCT ON (...)``."""
        new = self._generate()
        new._distinct = True
        new._distinct_on = self._distinct_on + tuple(expect_column(c) for c in on)
        return new

    def select_from(self, *froms: Any) -> Select:
        """Name FROM entries explicitly (they come first in the FROM clause)."""
        new = self._generate()
        new._from_obj = self._from_obj + tuple(expect_from(f) for f in froms)
        return new

    def join(
        self, target: Any, onclause: Any = None, *, isouter: bool = False, full: bool = False
    ) -> Select:
        """Join ``target`` to the FROM entry it has a foreign key with (or the first one).

        ``target`` may also be an ORM relationship (``User.posts``): it gives its own ON.
        """
        join_target = getattr(target, "__join_target__", None)
        if join_target is not None:
            target, implied_on = join_target()
            onclause = implied_on if onclause is None else onclause
        new = self._generate()
        on = expect_where(onclause) if onclause is not None else None
        new._setup_joins = (*self._setup_joins, (expect_from(target), on, None, isouter, full))
        return new

    def outerjoin(self, target: Any, onclause: Any = None, *, full: bool = False) -> Select:
        """``LEFT OUTER JOIN`` of ``target``."""
        return self.join(target, onclause, isouter=True, full=full)

    def join_from(
        self,
        left: Any,
        right: Any,
        onclause: Any = None,
        *,
        isouter: bool = False,
        full: bool = False,
    ) -> Select:
        """Join ``right`` to the given ``left`` FROM entry."""
        new = self._generate()
        on = expect_where(onclause) if onclause is not None else None
        join_spec = (expect_from(right), on, expect_from(left), isouter, full)
        new._setup_joins = (*self._setup_joins, join_spec)
        return new

    def outerjoin_from(self, left: Any, right: Any, onclause: Any = None) -> Select:
        """``LEFT OUTER JOIN`` of ``right`` to ``left``."""
        return self.join_from(left, right, onclause, isouter=True)

    def add_columns(self, *entities: Any) -> Select:
        """Select more columns."""
        new = self._generate()
        new._raw_columns = self._raw_columns + tuple(expect_columns_clause(e) for e in entities)
        new._raw_entities = self._raw_entities + entities
        return new

    def with_only_columns(self, *entities: Any) -> Select:
        """The same statement selecting only ``entities``."""
        new = self._generate()
        new._raw_columns = tuple(expect_columns_clause(e) for e in entities)
        new._raw_entities = entities
        return new

    def with_for_update(
        self,
        *,
        nowait: bool = False,
        read: bool = False,
        skip_locked: bool = False,
        of: Any = None,
        key_share: bool = False,
    ) -> Select:
        """``FOR UPDATE`` (or ``FOR SHARE`` with ``read=True``) row locks."""
        new = self._generate()
        of_items = tuple(
            expect_from(o) if isinstance(o, FromClause) else expect_column(o)
            for o in elements._as_tuple(of)
        )
        new._for_update = ForUpdate(nowait, read, skip_locked, of_items, key_share)
        return new

    def options(self, *options: Any) -> Select:
        """Attach options the ORM reads (``selectinload(User.posts)`` and friends)."""
        new = self._generate()
        new._with_options = (*self._with_options, *options)
        return new

    def correlate(self, *froms: Any) -> Select:
        """As a subquery, take only ``froms`` from the enclosing query (its FROM leaves them
        out); ``correlate(None)``: take none. Without it, correlation is automatic: any FROM
        entry of an enclosing query is taken from it."""
        new = self._generate()
        given = () if froms == (None,) else tuple(expect_from(f) for f in froms)
        new._correlate = (*(self._correlate or ()), *given)
        new._correlate_except = None
        return new

    def correlate_except(self, *froms: Any) -> Select:
        """As a subquery, take every FROM entry of the enclosing query except ``froms``
        (``correlate_except(None)``: take them all)."""
        new = self._generate()
        given = () if froms == (None,) else tuple(expect_from(f) for f in froms)
        new._correlate_except = (*(self._correlate_except or ()), *given)
        new._correlate = None
        return new

    # -- FROM computation -------------------------------------------------------------------

    def froms(self, enclosing: Iterable[FromClause] = ()) -> list[FromClause]:
        """The FROM entries, joins applied; those of ``enclosing`` queries are correlated."""
        froms: list[FromClause] = list(self._from_obj)
        froms.extend(self.columns_clause_froms)
        for crit in self._where_criteria:
            froms.extend(crit._from_objects)
        froms = _unique(froms)
        for target, on, left, isouter, full in self._setup_joins:
            froms = _apply_join(froms, target, on, left, isouter, full)
        hidden = {id(h) for f in froms for h in f._hidden_froms}
        froms = [f for f in froms if id(f) not in hidden]
        outer = {id(f) for f in enclosing}
        if outer and self._correlate_except is not None:
            kept = {id(f) for f in self._correlate_except}
            froms = [f for f in froms if id(f) not in outer or id(f) in kept]
        elif outer and self._correlate is not None:
            taken = outer & {id(f) for f in self._correlate}
            froms = [f for f in froms if id(f) not in taken]
        elif outer:
            correlated = [f for f in froms if id(f) not in outer]
            if correlated or self._from_obj:
                froms = correlated
        return froms

    def get_final_froms(self) -> list[FromClause]:
        """The FROM entries as rendered at top level."""
        return self.froms()


def _unique(froms: Iterable[FromClause]) -> list[FromClause]:
    seen: set[int] = set()
    out = []
    for f in froms:
        if id(f) not in seen:
            seen.add(id(f))
            out.append(f)
    return out


def _apply_join(
    froms: list[FromClause],
    target: FromClause,
    onclause: ColumnElement | None,
    left: FromClause | None,
    isouter: bool,
    full: bool,
) -> list[FromClause]:
    candidates = [f for f in froms if f is not target]
    if left is not None:
        index = next(
            (i for i, f in enumerate(candidates) if f is left or f.is_derived_from(left)), None
        )
        if index is None:
            candidates.append(left)
            index = len(candidates) - 1
    elif not candidates:
        raise exc.InvalidRequestError(
            f"nothing to join {target.description!r} to: the select has no FROM entry yet; "
            "select a column of the left table or use select_from()"
        )
    elif onclause is not None:
        referenced = {id(f) for f in onclause._from_objects}
        index = next(
            (
                i
                for i, f in enumerate(candidates)
                if any(
                    id(b) in referenced or any(b.is_derived_from(r) for r in onclause._from_objects)
                    for b in f._base_tables()
                )
            ),
            0,
        )
    else:
        linked = [i for i, f in enumerate(candidates) if _foreign_key_pairs(f, target)]
        index = linked[0] if linked else 0
    joined = Join(candidates[index], target, onclause, isouter=isouter, full=full)
    candidates[index] = joined
    return candidates


def _result_name(col: ColumnElement) -> str:
    if isinstance(col, elements.Label):
        return col.name
    if isinstance(col, ColumnClause):
        return col.key or col.name
    name = col._anon_label
    return (
        name
        if name and isinstance(col, elements.FunctionElement | ScalarSelect)
        else (col.key or name or "anon")
    )


def select(*entities: Any) -> Select:
    """``SELECT`` of columns, tables or expressions."""
    return Select(*entities)


class CompoundSelect(SelectBase):
    """``select UNION select ...`` and the other set operations."""

    _cache_attrs: ClassVar[tuple[str, ...]] = (
        "keyword",
        "selects",
        "_order_by",
        "_limit",
        "_offset",
    )

    def __init__(self, keyword: str, *selects: Any) -> None:
        self.keyword = keyword
        flat: list[SelectBase] = []
        for s in selects:
            if not isinstance(s, SelectBase):
                raise exc.ArgumentError(f"{keyword} combines SELECTs, got {type(s).__name__}")
            flat.append(s)
        counts = {len(s._named_columns()) for s in flat}
        if len(counts) > 1:
            raise exc.ArgumentError(
                f"all SELECTs in a {keyword} must have the same number of columns, "
                f"got {sorted(counts)}"
            )
        self.selects = tuple(flat)

    def _named_columns(self) -> list[tuple[str, ColumnElement]]:
        return self.selects[0]._named_columns()


def union(*selects: Any) -> CompoundSelect:
    """``a UNION b ...``."""
    return CompoundSelect("UNION", *selects)


def union_all(*selects: Any) -> CompoundSelect:
    """``a UNION ALL b ...``."""
    return CompoundSelect("UNION ALL", *selects)


def intersect(*selects: Any) -> CompoundSelect:
    """``a INTERSECT b ...``."""
    return CompoundSelect("INTERSECT", *selects)


def except_(*selects: Any) -> CompoundSelect:
    """``a EXCEPT b ...``."""
    return CompoundSelect("EXCEPT", *selects)


class ScalarSelect(ColumnElement):
    """A one-column SELECT used as a value."""

    _cache_attrs: ClassVar[tuple[str, ...]] = ("element",)
    _anon_base = "anon"

    def __init__(self, element: SelectBase) -> None:
        self.element = element
        cols = element._named_columns()
        self.type = cols[0][1].type if len(cols) == 1 else sqltypes.NULLTYPE

    def where(self, *criteria: Any) -> ScalarSelect:
        """Add conditions to the inner SELECT."""
        assert isinstance(self.element, Select)
        return ScalarSelect(self.element.where(*criteria))


class Exists(elements.UnaryExpression):
    """``EXISTS (SELECT ...)``."""

    _cache_attrs: ClassVar[tuple[str, ...]] = ("element",)

    def __init__(self, query: Any = None) -> None:
        if query is None:
            query = Select(elements.LiteralColumn("*"))
        elif not isinstance(query, SelectBase):
            query = Select(query)
        super().__init__(ScalarSelect(query), operator=ops.exists_op, type_=sqltypes.Boolean())

    def where(self, *criteria: Any) -> Exists:
        """Add conditions to the inner SELECT."""
        inner = self.element
        assert isinstance(inner, ScalarSelect) and isinstance(inner.element, Select)
        return Exists(inner.element.where(*criteria))

    def select(self) -> Select:
        """``SELECT EXISTS (...)``."""
        return Select(self)


def exists(query: Any = None) -> Exists:
    """``EXISTS (SELECT ...)``; ``exists().where(...)`` selects ``*``."""
    return Exists(query)
