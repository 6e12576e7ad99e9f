"""Describing a database: MetaData, Table, Column, keys, constraints and indexes."""

from __future__ import annotations

import inspect as _inspect
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar

from ormkit import exc
from ormkit.sql import types as sqltypes
from ormkit.sql.elements import ClauseElement, ColumnClause, ColumnElement, TextClause
from ormkit.sql.selectable import TableClause
from ormkit.util import CycleError, FacadeDict
from ormkit.util import sort as topological_sort


class SchemaItem:
    """Base of the objects that describe a schema."""

    def _set_parent(self, table: Table) -> None:
        raise NotImplementedError  # each schema item attaches itself in its own way


class ColumnDefault:
    """A column's client-side default: a constant, a callable, or a SQL expression."""

    #: A Sequence (sql/generated.py), which some databases do not have.
    _ok_sequence: ClassVar[bool] = False

    def __init__(self, arg: Any, for_update: bool = False) -> None:
        self.arg = arg
        self.for_update = for_update
        self.is_clause_element = isinstance(arg, ClauseElement)
        self.is_callable = callable(arg) and not self.is_clause_element
        self.is_scalar = not (self.is_callable or self.is_clause_element)
        self._call: Callable[[Any], Any] | None = None
        if self.is_callable:
            self._call = _wrap_default_callable(arg)

    def value(self, context: Any = None) -> Any:
        """The value to use for a row (calls the callable each time)."""
        if self._call is not None:
            return self._call(context)
        return self.arg

    def _attach_to(self, column: Column) -> None:
        """Given to ``Column()`` as an argument: the column's default."""
        column.default = self

    def used_by(self, dialect: Any) -> bool:
        """Whether an INSERT on ``dialect`` uses this default (a Sequence may not be)."""
        return True

    def __repr__(self) -> str:
        return f"ColumnDefault({self.arg!r})"


def _wrap_default_callable(fn: Callable[..., Any]) -> Callable[[Any], Any]:
    """Accept ``fn()`` or ``fn(context)``: decided once, from the signature."""
    try:
        params = [
            p
            for p in _inspect.signature(fn).parameters.values()
            if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):  # builtins without a signature take no context
        params = []
    if params:
        return fn
    return lambda _context: fn()


class DefaultClause:
    """A server-side default: ``DEFAULT <text>`` in CREATE TABLE."""

    def __init__(self, arg: Any, for_update: bool = False) -> None:
        if isinstance(arg, str):
            self.arg: Any = arg
        elif isinstance(arg, ClauseElement):
            self.arg = arg
        else:
            raise exc.ArgumentError(
                f"server_default takes a string, text() or a SQL expression, got {arg!r}"
            )
        self.for_update = for_update

    def __repr__(self) -> str:
        return f"DefaultClause({self.arg!r})"


class FetchedValue:
    """Marks a value the database sets itself (a trigger, a server-side on-update)."""

    def _attach_to(self, column: Column) -> None:
        """Given to ``Column()`` as an argument: the column's server default."""
        column.server_default = self


_DIALECTS = ("sqlite", "postgresql", "mysql", "mariadb")
#: The Table dialect options the dialects honour (others are refused, not ignored).
_TABLE_OPTIONS = frozenset(
    {"sqlite_autoincrement"}
    | {
        f"{db}_{name}"
        for db in ("mysql", "mariadb")
        for name in ("engine", "charset", "default_charset", "collate")
    }
)


class Column(ColumnClause, SchemaItem):
    """A column of a ``Table``: name, type, keys, nullability, defaults."""

    foreign_keys: set[ForeignKey]
    table: Any  # the Table, once attached
    key: str  # a column always has a key (its attribute name) once it has a name
    name: str

    def __init__(self, *args: Any, **kw: Any) -> None:
        name: str | None = None
        type_: Any = None
        rest = list(args)
        if rest and isinstance(rest[0], str):
            name = rest.pop(0)
        if rest and (
            isinstance(rest[0], sqltypes.TypeEngine)
            or (isinstance(rest[0], type) and issubclass(rest[0], sqltypes.TypeEngine))
        ):
            type_ = rest.pop(0)
        # a column declared without a name gets it (and its key) from declarative mapping
        self.key = kw.pop("key", None) or name  # type: ignore[assignment]
        self.name = name  # type: ignore[assignment]
        self._type = sqltypes.to_instance(type_)
        self.table = None
        self.is_literal = False
        self.primary_key: bool = kw.pop("primary_key", False)
        nullable = kw.pop("nullable", None)
        self._user_nullable = nullable
        self.nullable: bool = (not self.primary_key) if nullable is None else nullable
        self.default = _as_default(kw.pop("default", None))
        self.onupdate = _as_default(kw.pop("onupdate", None), for_update=True)
        server_default = kw.pop("server_default", None)
        self.server_default: Any = (
            server_default
            if server_default is None or isinstance(server_default, DefaultClause | FetchedValue)
            else DefaultClause(server_default)
        )
        self.server_onupdate: Any = kw.pop("server_onupdate", None)
        self.unique: bool | None = kw.pop("unique", None)
        self.index: bool | None = kw.pop("index", None)
        self.autoincrement: bool | str = kw.pop("autoincrement", "auto")
        self.comment: str | None = kw.pop("comment", None)
        self.doc: str | None = kw.pop("doc", None)
        self.info: dict[str, Any] = kw.pop("info", None) or {}
        self.system = kw.pop("system", False)
        #: an Identity or Computed argument (sql/generated.py), else None
        self.identity: Any = None
        self.computed: Any = None
        self.dialect_options: dict[str, Any] = {}
        if kw.get("quote") is None:
            kw.pop("quote", None)
        for key in kw:  # quote=True/False, dialect options (sqlite_on_conflict_..., ...)
            if key == "quote" or key.split("_")[0] in _DIALECTS:
                raise exc.ArgumentError(
                    f"Column({name!r}): Column() does not support argument {key!r} yet"
                )
        if kw:
            raise exc.ArgumentError(
                f"Column({name!r}) got unknown keyword argument(s): {', '.join(sorted(kw))}"
            )
        self.foreign_keys = set()
        self.constraints: set[Constraint] = set()
        self._args = rest
        for item in rest:
            if isinstance(item, ForeignKey):
                item._set_column(self)
            elif isinstance(item, Constraint):
                self.constraints.add(item)
            elif isinstance(item, sqltypes.TypeEngine):
                raise exc.ArgumentError(f"Column({name!r}) got two types")
            elif isinstance(item, DefaultClause):
                self.server_default = item
            elif isinstance(item, FetchedValue | ColumnDefault):
                item._attach_to(self)  # Identity, Sequence, Computed (sql/generated.py)
            else:
                raise exc.ArgumentError(f"Column({name!r}) got an argument it cannot use: {item!r}")

    # The type of a column declared without one comes from the column its ForeignKey names.
    @property
    def type(self) -> sqltypes.TypeEngine[Any]:
        if isinstance(self._type, sqltypes.NullType) and self.foreign_keys:
            for fk in self.foreign_keys:
                try:
                    target = fk.column
                except exc.OrmkitError:
                    continue
                self._type = target.type.copy()
        return self._type

    @type.setter
    def type(self, value: sqltypes.TypeEngine[Any]) -> None:
        self._type = value

    @property
    def _from_objects(self) -> list[Any]:
        return [self.table] if self.table is not None else []

    def _set_name(self, name: str) -> None:
        """Give a column declared without a name (declarative) its attribute name."""
        if self.name is None:
            self.name = name
        if self.key is None:
            self.key = name

    def _set_parent(self, table: Table) -> None:
        if self.name is None:
            raise exc.ArgumentError(
                f"a Column of table {table.name!r} has no name; give it one: Column('x', ...)"
            )
        if self.table is not None and self.table is not table:
            raise exc.ArgumentError(
                f"column {self.name!r} already belongs to table {self.table.description!r}; "
                "use column._copy() to put an equal column on another table"
            )
        existing = table.c.get(self.key or self.name)
        if existing is not None and existing is not self:
            table._remove_column(existing)
        self.table = table
        table._columns._add(self)
        if self.default is not None and self.default._ok_sequence:
            self.default._set_metadata(table.metadata)  # type: ignore[attr-defined]
        if self.primary_key:
            table.primary_key_constraint._add_column(self)
        elif self.key in {c.key for c in table.primary_key_constraint.columns}:
            self.primary_key = True
        for fk in self.foreign_keys:
            fk._set_table(table)
        for constraint in self.constraints:
            constraint._set_parent(table)
        if self.unique and not self.index:
            table.append_constraint(UniqueConstraint(self.name, _column_level=True))
        if self.index:
            Index(None, self, unique=bool(self.unique), _column_level=True)._set_parent(table)

    def _copy(self) -> Column:
        """An equal, unattached column (for mixins and ``Table.to_metadata``)."""
        new = Column(
            *([self.name] if self.name is not None else []),
            self._type,
            *[fk._copy() for fk in self.foreign_keys],
            *[c._copy() for c in self.constraints if not isinstance(c, ForeignKeyConstraint)],
            key=self.key if self.key != self.name else None,
            primary_key=self.primary_key,
            nullable=self._user_nullable,
            default=(
                self.default
                if self.default is not None and self.default._ok_sequence
                else self.default.arg
                if self.default is not None
                else None
            ),
            onupdate=self.onupdate.arg if self.onupdate is not None else None,
            server_default=self.server_default,
            server_onupdate=self.server_onupdate,
            unique=self.unique,
            index=self.index,
            autoincrement=self.autoincrement,
            comment=self.comment,
            doc=self.doc,
            info=dict(self.info),
            system=self.system,
        )
        new.identity, new.computed = self.identity, self.computed
        return new

    copy = _copy

    def numbered_by_sequence(self, dialect: Any) -> bool:
        """Does a Sequence give this column its values on ``dialect``?"""
        return (
            self.default is not None and self.default._ok_sequence and self.default.used_by(dialect)
        )

    def references(self, column: Column) -> bool:
        """True when one of this column's foreign keys points at ``column``."""
        return any(fk.column is column for fk in self.foreign_keys)

    @property
    def _autoincrement_eligible(self) -> bool:
        """True for the one integer primary key column the database can number itself."""
        table = self.table
        if table is None or not self.primary_key or self.autoincrement is False:
            return False
        if self.autoincrement is True:
            return True
        pk = table.primary_key_constraint.columns
        # an Identity or a Sequence numbers the key too: where a database has neither, its
        # own numbering stands in
        return (
            len(pk) == 1
            and isinstance(self.type, sqltypes.Integer)
            and not self.foreign_keys
            and (self.default is None or self.default._ok_sequence)
            and (self.server_default is None or self.identity is not None)
        )

    def __repr__(self) -> str:
        parts = [repr(self.name), repr(self._type)]
        for fk in self.foreign_keys:
            parts.append(repr(fk))
        if self.table is not None:
            parts.append(f"table=<{self.table.name}>")
        if self.key != self.name:
            parts.append(f"key={self.key!r}")
        if self.primary_key:
            parts.append("primary_key=True")
        if not self.nullable:
            parts.append("nullable=False")
        if self.default is not None:
            parts.append(f"default={self.default!r}")
        if self.server_default is not None:
            parts.append(f"server_default={self.server_default!r}")
        return f"Column({', '.join(parts)})"


def _as_default(arg: Any, for_update: bool = False) -> ColumnDefault | None:
    if arg is None:
        return None
    if isinstance(arg, ColumnDefault):
        return arg
    return ColumnDefault(arg, for_update)


class ForeignKey(SchemaItem):
    """A reference from a column to another table's column: ``ForeignKey("users.id")``."""

    def __init__(
        self,
        column: str | Column,
        *,
        name: str | None = None,
        ondelete: str | None = None,
        onupdate: str | None = None,
        deferrable: bool | None = None,
        initially: str | None = None,
        use_alter: bool = False,
        constraint: ForeignKeyConstraint | None = None,
        match: str | None = None,
        link_to_name: bool = False,
        info: dict[str, Any] | None = None,
        **kw: Any,
    ) -> None:
        for key in kw:  # comment=, dialect options: not rendered by ormkit
            raise exc.ArgumentError(f"ForeignKey() does not support argument {key!r} yet")
        if not isinstance(column, str | Column) and hasattr(column, "__clause_element__"):
            column = column.__clause_element__()  # ForeignKey(Parent.id), a mapped attribute
        self._colspec = column
        self.match = match
        self.link_to_name = link_to_name
        self.info: dict[str, Any] = dict(info or {})
        self.name = name
        self.ondelete = ondelete
        self.onupdate = onupdate
        self.deferrable = deferrable
        self.initially = initially
        self.use_alter = use_alter
        self.constraint = constraint
        self.parent: Column = None  # type: ignore[assignment]
        self._column: Column | None = column if isinstance(column, Column) else None

    @property
    def target_fullname(self) -> str:
        """``table.column`` of the referenced column."""
        if isinstance(self._colspec, Column):
            table = self._colspec.table
            return (
                f"{table.fullname}.{self._colspec.name}"
                if table is not None
                else str(self._colspec.name)
            )
        return self._colspec

    @property
    def column(self) -> Column:
        """The referenced column, looked up in the parent table's MetaData on first use."""
        if self._column is not None:
            return self._column
        table = getattr(self.parent, "table", None)
        if table is None or not isinstance(table, Table):
            raise exc.InvalidRequestError(
                f"foreign key {self._colspec!r} is not attached to a table yet"
            )
        spec = self.target_fullname
        table_name, _, col_name = spec.rpartition(".")
        if not table_name:
            raise exc.ArgumentError(
                f"ForeignKey({spec!r}) must name 'table.column' (optionally 'schema.table.column')"
            )
        target_table = table.metadata.tables.get(table_name)
        if target_table is None and table.schema and "." not in table_name:
            target_table = table.metadata.tables.get(f"{table.schema}.{table_name}")
        if target_table is None:
            raise exc.NoReferencedTableError(
                f"foreign key on {table.name}.{self.parent.name} refers to table "
                f"{table_name!r}, which is not in this MetaData; define it first "
                f"(tables known: {', '.join(table.metadata.tables) or 'none'})",
                table_name,
            )
        # link_to_name=True: the spec is the column's name in the database, never its key
        target = None if self.link_to_name else target_table.c.get(col_name)
        if target is None:
            for candidate in target_table.c:
                if candidate.name == col_name:
                    target = candidate
        if target is None:
            raise exc.NoReferencedColumnError(
                f"foreign key on {table.name}.{self.parent.name} refers to column "
                f"{col_name!r}, which table {table_name!r} does not have; its columns are: "
                f"{', '.join(target_table.c.keys())}",
                table_name,
                col_name,
            )
        self._column = target
        found: Column = target
        return found

    def references(self, table: TableClause) -> bool:
        """True when this key points at ``table``."""
        return self.column.table is table

    def _set_column(self, column: Column) -> None:
        self.parent = column
        column.foreign_keys.add(self)

    def _set_table(self, table: Table) -> None:
        if self.constraint is None:
            self.constraint = ForeignKeyConstraint(
                [self.parent.name],
                [self._colspec],
                name=self.name,
                ondelete=self.ondelete,
                onupdate=self.onupdate,
                deferrable=self.deferrable,
                initially=self.initially,
                use_alter=self.use_alter,
                match=self.match,
                _elements=[self],
            )
            table.append_constraint(self.constraint)

    def _copy(self) -> ForeignKey:
        return ForeignKey(
            self._colspec if isinstance(self._colspec, str) else self.target_fullname,
            name=self.name,
            ondelete=self.ondelete,
            onupdate=self.onupdate,
            deferrable=self.deferrable,
            initially=self.initially,
            use_alter=self.use_alter,
            match=self.match,
            link_to_name=self.link_to_name,
            info=dict(self.info),
        )

    def _set_parent(self, table: Table) -> None:
        self._set_table(table)

    def __repr__(self) -> str:
        return f"ForeignKey({self.target_fullname!r})"


class Constraint(SchemaItem):
    """Base of table constraints."""

    table: Table | None = None

    def __init__(self, *columns: Any, name: str | None = None, **kw: Any) -> None:
        self.name = name
        self._pending = list(columns)
        self.columns: list[Column] = []
        self.deferrable = kw.pop("deferrable", None)
        self.initially = kw.pop("initially", None)
        self.info = kw.pop("info", None) or {}
        for key in kw:  # comment=, dialect options: not rendered by ormkit
            raise exc.ArgumentError(
                f"{type(self).__name__}() does not support argument {key!r} yet"
            )

    def _resolve(self, table: Table, spec: Any) -> Column:
        if isinstance(spec, Column):
            return spec
        if isinstance(spec, str):
            col = table.c.get(spec)
            if col is None:
                col = next((c for c in table.c if c.name == spec), None)
            if col is None:
                raise exc.ArgumentError(
                    f"{type(self).__name__} on table {table.name!r} names column {spec!r}, "
                    f"which the table does not have; its columns are: {', '.join(table.c.keys())}"
                )
            return col  # type: ignore[no-any-return]
        raise exc.ArgumentError(
            f"{type(self).__name__} takes column names or Columns, got {spec!r}"
        )

    def _set_parent(self, table: Table) -> None:
        self.table = table
        self.columns = [self._resolve(table, spec) for spec in self._pending]
        if self not in table.constraints:
            table.constraints.append(self)

    def _copy(self) -> Constraint:
        return type(self)(
            *[c if isinstance(c, str) else c.name for c in self._pending], name=self.name
        )


class PrimaryKeyConstraint(Constraint):
    """``PRIMARY KEY (a, b)``: one or more columns."""

    def _add_column(self, column: Column) -> None:
        if not any(c is column for c in self.columns):
            self.columns.append(column)

    def _set_parent(self, table: Table) -> None:
        cols = [self._resolve(table, spec) for spec in self._pending]
        pk = table.primary_key_constraint
        pk.name = self.name or pk.name
        for col in cols:
            col.primary_key = True
            if col._user_nullable is None:
                col.nullable = False
            pk._add_column(col)


class UniqueConstraint(Constraint):
    """``UNIQUE (a, b)``."""

    def __init__(
        self, *columns: Any, name: str | None = None, _column_level: bool = False, **kw: Any
    ) -> None:
        super().__init__(*columns, name=name, **kw)
        self._column_level = _column_level


class CheckConstraint(Constraint):
    """``CHECK (condition)``, from SQL text or an expression."""

    def __init__(self, sqltext: Any, name: str | None = None, **kw: Any) -> None:
        super().__init__(name=name, **kw)
        if isinstance(sqltext, str):
            sqltext = TextClause(sqltext)
        if not isinstance(sqltext, ClauseElement):
            raise exc.ArgumentError(
                f"CheckConstraint takes SQL text or an expression, got {sqltext!r}"
            )
        self.sqltext = sqltext

    def _copy(self) -> CheckConstraint:
        return CheckConstraint(self.sqltext, name=self.name)


class ForeignKeyConstraint(Constraint):
    """``FOREIGN KEY (a, b) REFERENCES other (x, y)``, for composite keys."""

    def __init__(
        self,
        columns: Sequence[str | Column],
        refcolumns: Sequence[str | Column],
        name: str | None = None,
        ondelete: str | None = None,
        onupdate: str | None = None,
        deferrable: bool | None = None,
        initially: str | None = None,
        use_alter: bool = False,
        match: str | None = None,
        _elements: list[ForeignKey] | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(*columns, name=name, deferrable=deferrable, initially=initially, **kw)
        self.match = match
        if len(columns) != len(refcolumns):
            raise exc.ArgumentError(
                f"ForeignKeyConstraint needs as many referenced columns as columns, got "
                f"{len(columns)} and {len(refcolumns)}"
            )
        self.ondelete = ondelete
        self.onupdate = onupdate
        self.use_alter = use_alter
        self._refcolumns = list(refcolumns)
        self.elements: list[ForeignKey] = list(_elements or [])

    def _set_parent(self, table: Table) -> None:
        super()._set_parent(table)
        if not self.elements:
            for col, ref in zip(self.columns, self._refcolumns, strict=True):
                fk = ForeignKey(
                    ref,
                    name=self.name,
                    ondelete=self.ondelete,
                    onupdate=self.onupdate,
                    deferrable=self.deferrable,
                    initially=self.initially,
                    match=self.match,
                    constraint=self,
                )
                fk._set_column(col)
                self.elements.append(fk)

    @property
    def referred_table(self) -> Table:
        """The table this key points at."""
        table = self.elements[0].column.table
        assert isinstance(table, Table)
        return table

    def _copy(self) -> ForeignKeyConstraint:
        return ForeignKeyConstraint(
            [c if isinstance(c, str) else c.name for c in self._pending],
            [r if isinstance(r, str) else f"{r.table.name}.{r.name}" for r in self._refcolumns],
            name=self.name,
            ondelete=self.ondelete,
            onupdate=self.onupdate,
            deferrable=self.deferrable,
            initially=self.initially,
            use_alter=self.use_alter,
            match=self.match,
        )


class Index(SchemaItem):
    """``CREATE [UNIQUE] INDEX name ON table (columns)``."""

    def __init__(
        self,
        name: str | None,
        *expressions: Any,
        unique: bool = False,
        _column_level: bool = False,
        **kw: Any,
    ) -> None:
        self.name = name
        self.unique = unique
        self._pending = list(expressions)
        self.expressions: list[ColumnElement] = []
        self.table: Table | None = None
        self._column_level = _column_level
        self.dialect_options = kw
        owner = next((e.table for e in expressions if isinstance(e, Column) and e.table), None)
        if owner is not None and isinstance(owner, Table):
            self._set_parent(owner)

    @property
    def columns(self) -> list[ColumnElement]:
        """The indexed columns and expressions."""
        return self.expressions

    def _set_parent(self, table: Table) -> None:
        if self.table is table:
            return
        self.table = table
        resolved: list[ColumnElement] = []
        for spec in self._pending:
            if isinstance(spec, str):
                col = table.c.get(spec)
                if col is None:
                    raise exc.ArgumentError(
                        f"Index {self.name!r} names column {spec!r}, which table "
                        f"{table.name!r} does not have"
                    )
                resolved.append(col)
            else:
                resolved.append(spec)
        self.expressions = resolved
        if self.name is None:
            first = resolved[0]
            self.name = f"ix_{table.name}_{getattr(first, 'name', 'expr')}"
        table.indexes.add(self)

    def create(self, bind: Any, checkfirst: bool = False) -> None:
        """Run ``CREATE INDEX`` on ``bind`` (an Engine or Connection)."""
        from ormkit.sql.ddl import CreateIndex

        run_ddl(bind, lambda conn: conn.execute(CreateIndex(self)))

    def drop(self, bind: Any, checkfirst: bool = False) -> None:
        """Run ``DROP INDEX`` on ``bind``."""
        from ormkit.sql.ddl import DropIndex

        run_ddl(bind, lambda conn: conn.execute(DropIndex(self)))

    def __repr__(self) -> str:
        cols = ", ".join(repr(getattr(e, "name", str(e))) for e in self.expressions)
        return f"Index({self.name!r}, {cols}{', unique=True' if self.unique else ''})"


class Table(TableClause, SchemaItem):
    """A table of a ``MetaData``: ``Table("users", metadata, Column("id", Integer, ...), ...)``."""

    def __new__(cls, *args: Any, **kw: Any) -> Table:
        if len(args) >= 2 and isinstance(args[1], MetaData):
            name, metadata = args[0], args[1]
            key = _table_key(name, kw.get("schema", metadata.schema))
            existing = metadata.tables.get(key)
            if existing is None and kw.get("must_exist"):
                raise exc.InvalidRequestError(
                    f"Table({key!r}, must_exist=True): the MetaData has no such table"
                )
            if existing is not None:
                items = args[2:]
                if kw.get("extend_existing") or kw.get("keep_existing") or not items:
                    existing._reused = True
                    return existing
                raise exc.InvalidRequestError(
                    f"table {key!r} is already defined in this MetaData; pass "
                    "extend_existing=True to add columns to it, or use the existing Table"
                )
        return super().__new__(cls)

    def __init__(self, name: str, metadata: MetaData, *items: Any, **kw: Any) -> None:
        if getattr(self, "_reused", False):
            self._reused = False
            if kw.get("extend_existing"):
                for item in items:
                    self._append(item)
            return
        if not isinstance(metadata, MetaData):
            raise exc.ArgumentError(
                f"Table({name!r}, ...) takes a MetaData as its second argument, got {metadata!r}"
            )
        schema = kw.pop("schema", None) or metadata.schema
        super().__init__(name, schema=schema)
        self.metadata = metadata
        #: Stands for the table in cache keys; replaced when a column is added later.
        self._ok_shape: object = self
        self.comment: str | None = kw.pop("comment", None)
        self.info: dict[str, Any] = kw.pop("info", None) or {}
        autoload_with = kw.pop("autoload_with", None)
        for flag in ("extend_existing", "keep_existing", "must_exist"):  # seen by __new__
            kw.pop(flag, None)
        for flag in ("autoload", "quote", "quote_schema"):
            if kw.get(flag) is None:
                kw.pop(flag, None)
        self.dialect_options: dict[str, Any] = {}
        for key in list(kw):
            if key in _TABLE_OPTIONS:
                self.dialect_options[key] = kw.pop(key)
        for key in kw:
            if key in ("autoload", "quote", "quote_schema") or key.split("_")[0] in _DIALECTS:
                raise exc.ArgumentError(
                    f"Table({name!r}): Table() does not support argument {key!r} yet"
                    + ("; reflect with autoload_with=engine" if key == "autoload" else "")
                )
        if kw:
            raise exc.ArgumentError(
                f"Table({name!r}) got unknown keyword argument(s): {', '.join(sorted(kw))}"
            )
        self.constraints: list[Constraint] = []
        self.indexes: set[Index] = set()
        self.primary_key_constraint = PrimaryKeyConstraint()
        self.primary_key_constraint.table = self
        self.constraints.append(self.primary_key_constraint)
        metadata._add_table(self)
        try:
            for item in items:
                self._append(item)
            if autoload_with is not None:
                _reflect_into(self, autoload_with)
        except Exception:
            metadata._remove_table(self)
            raise

    def _append(self, item: Any) -> None:
        if isinstance(item, (Column, SchemaItem)):
            item._set_parent(self)
        else:
            raise exc.ArgumentError(
                f"Table({self.name!r}) takes Columns, constraints and Indexes, got {item!r}"
            )

    def append_column(self, column: ColumnClause) -> None:
        """Add a column to the table."""
        if isinstance(column, Column):
            column._set_parent(self)
        else:
            super().append_column(column)
        self._ok_shape = object()  # statements compiled before this one lack the column

    def append_constraint(self, constraint: Constraint | Index) -> None:
        """Add a constraint to the table."""
        constraint._set_parent(self)

    def _remove_column(self, column: Column) -> None:
        self._columns = type(self._columns)(
            (c for c in self._columns if c is not column), owner=self._columns._owner
        )

    @property
    def primary_key(self) -> list[ColumnElement]:
        return list(self.primary_key_constraint.columns)

    @property
    def foreign_keys(self) -> list[ForeignKey]:
        return [fk for col in self._columns for fk in col.foreign_keys]

    @property
    def key(self) -> str:
        """The table's key in ``MetaData.tables``: ``schema.name`` or ``name``."""
        return _table_key(self.name, self.schema)

    def create(self, bind: Any, checkfirst: bool = False) -> None:
        """Run ``CREATE TABLE`` (and its indexes) on ``bind``."""
        self.metadata.create_all(bind, tables=[self], checkfirst=checkfirst)

    def drop(self, bind: Any, checkfirst: bool = False) -> None:
        """Run ``DROP TABLE`` on ``bind``."""
        self.metadata.drop_all(bind, tables=[self], checkfirst=checkfirst)

    def exists(self, bind: Any = None) -> Any:
        """True when the table exists in the database behind ``bind``."""
        if bind is None:
            return super().exists()  # type: ignore[misc]
        return _has_table(bind, self)

    def to_metadata(self, metadata: MetaData, schema: str | None = None) -> Table:
        """A copy of this table in another MetaData."""
        return Table(
            self.name,
            metadata,
            *[c._copy() for c in self._columns],
            *[
                c._copy()
                for c in self.constraints
                if isinstance(c, UniqueConstraint | CheckConstraint)
                and not getattr(c, "_column_level", False)
            ],
            schema=schema or self.schema,
            comment=self.comment,
            **self.dialect_options,
        )

    def __repr__(self) -> str:
        items = [repr(self.name), repr(self.metadata)]
        items.extend(repr(c) for c in self._columns)
        items.append(f"schema={self.schema!r}")
        return f"Table({', '.join(items)})"


def _table_key(name: str, schema: str | None) -> str:
    return f"{schema}.{name}" if schema else name


class MetaData:
    """A collection of tables: ``tables`` (name -> Table), ``create_all``, ``drop_all``."""

    def __init__(
        self,
        schema: str | None = None,
        naming_convention: dict[str, str] | None = None,
        info: dict[str, Any] | None = None,
    ) -> None:
        self.schema = schema
        self.naming_convention = naming_convention or {}
        self.info = info or {}
        self.tables: FacadeDict[str, Table] = FacadeDict()
        #: schema-qualified name -> the Sequences created and dropped with the tables
        self._sequences: dict[str, Any] = {}

    def _add_sequence(self, sequence: Any) -> None:
        self._sequences[_table_key(sequence.name, sequence.schema)] = sequence

    def _add_table(self, table: Table) -> None:
        self.tables._set(table.key, table)

    def _remove_table(self, table: Table) -> None:
        if self.tables.get(table.key) is table:
            self.tables._del(table.key)

    def remove(self, table: Table) -> None:
        """Forget ``table`` (the database is not touched)."""
        self._remove_table(table)

    def clear(self) -> None:
        """Forget every table (the database is not touched)."""
        self.tables._clear()

    @property
    def sorted_tables(self) -> list[Table]:
        """Tables in foreign-key dependency order: referenced tables first."""
        return sort_tables(self.tables.values())

    def create_all(
        self, bind: Any, tables: Iterable[Table] | None = None, checkfirst: bool = True
    ) -> None:
        """CREATE the sequences, then every table (referenced ones first) and its indexes;
        skip existing ones."""
        from ormkit.sql.ddl import CreateIndex, CreateTable, comment_statements

        chosen = sort_tables(tables if tables is not None else self.tables.values())

        def create(conn: Any) -> None:
            for sequence in self._sequences_of(chosen, tables is None):
                sequence.create(conn, checkfirst=checkfirst)
            for table in chosen:
                if checkfirst and _has_table(conn, table):
                    continue
                conn.execute(CreateTable(table))
                for comment in comment_statements(table, conn.dialect):
                    conn.execute(comment)
                for index in sorted(table.indexes, key=lambda i: i.name or ""):
                    conn.execute(CreateIndex(index))

        run_ddl(bind, create)

    def drop_all(
        self, bind: Any, tables: Iterable[Table] | None = None, checkfirst: bool = True
    ) -> None:
        """DROP every table (dependent ones first); skip missing ones."""
        from ormkit.sql.ddl import DropTable

        chosen = list(reversed(sort_tables(tables if tables is not None else self.tables.values())))

        def drop(conn: Any) -> None:
            for table in chosen:
                if checkfirst and not _has_table(conn, table):
                    continue
                conn.execute(DropTable(table))
            for sequence in self._sequences_of(chosen, tables is None):
                sequence.drop(conn, checkfirst=checkfirst)

        run_ddl(bind, drop)

    def _sequences_of(self, tables: list[Table], all_of_them: bool) -> list[Any]:
        """The sequences of the columns of ``tables`` (and, for all tables, every sequence
        of this MetaData)."""
        found = {
            id(c.default): c.default
            for t in tables
            for c in t.columns
            if c.default is not None and c.default._ok_sequence
        }
        if all_of_them:
            found.update((id(s), s) for s in self._sequences.values())
        return list(found.values())

    def reflect(
        self,
        bind: Any,
        only: Sequence[str] | None = None,
        schema: str | None = None,
        views: bool = False,
    ) -> None:
        """Load the definitions of the database's tables into this MetaData."""

        def load(conn: Any) -> None:
            names = conn.dialect.get_table_names(conn, schema)
            for name in names:
                if only is not None and name not in only:
                    continue
                if _table_key(name, schema) not in self.tables:
                    Table(name, self, schema=schema, autoload_with=conn)

        run_ddl(bind, load)

    def __repr__(self) -> str:
        return "MetaData()" if self.schema is None else f"MetaData(schema={self.schema!r})"


def sort_tables(tables: Iterable[Table]) -> list[Table]:
    """Order tables so each comes after the tables its foreign keys reference."""
    chosen = list(tables)
    edges = []
    for table in chosen:
        for fk in table.foreign_keys:
            if fk.use_alter:
                continue
            edges.append((fk.column.table, table))
    try:
        return topological_sort(chosen, edges)
    except CycleError as err:
        names = ", ".join(t.name for t in err.cycle)  # type: ignore[attr-defined]
        raise exc.CircularDependencyError(
            f"tables {names} reference each other in a cycle; mark one ForeignKey "
            "use_alter=True so it is created after the tables",
            err.cycle,
        ) from None


def run_ddl(bind: Any, work: Callable[[Any], None]) -> None:
    """Run ``work(connection)`` in a transaction: an Engine's own, or the Connection's."""
    if hasattr(bind, "in_transaction"):  # a Connection: join its (auto-begun) transaction
        work(bind)
        return
    if not hasattr(bind, "begin"):
        raise exc.ArgumentError(f"expected an Engine or a Connection, got {bind!r}")
    with bind.begin() as conn:
        work(conn)


def _has_table(bind: Any, table: Table) -> bool:
    if hasattr(bind, "in_transaction"):
        return bool(bind.dialect.has_table(bind, table.name, table.schema))
    with bind.connect() as conn:
        return bool(conn.dialect.has_table(conn, table.name, table.schema))


def _reflect_into(table: Table, bind: Any) -> None:
    def load(conn: Any) -> None:
        conn.dialect.reflect_table(conn, table)

    if hasattr(bind, "in_transaction"):
        load(bind)
    else:
        with bind.connect() as conn:
            load(conn)
