"""CREATE and DROP statements for tables and indexes, and the compiler that renders them."""

from __future__ import annotations

from typing import Any

from ormkit import exc
from ormkit.sql import elements as el
from ormkit.sql import types as sqltypes
from ormkit.sql.compiler import Compiled, GenericDialect
from ormkit.sql.schema import (
    CheckConstraint,
    Column,
    DefaultClause,
    ForeignKeyConstraint,
    Index,
    PrimaryKeyConstraint,
    Table,
    UniqueConstraint,
)


class DDLElement(el.ClauseElement):
    """A schema statement; compiled by the dialect's DDL compiler, never cached."""

    def __init__(self, element: Any, if_exists: bool = False, if_not_exists: bool = False):
        self.element = element
        self.if_exists = if_exists
        self.if_not_exists = if_not_exists

    @property
    def _cache_attrs(self) -> tuple[str, ...]:  # type: ignore[override]
        return ()


class CreateTable(DDLElement):
    """``CREATE TABLE``."""


class DropTable(DDLElement):
    """``DROP TABLE``."""


class CreateIndex(DDLElement):
    """``CREATE INDEX``."""


class DropIndex(DDLElement):
    """``DROP INDEX``."""


class CreateSequence(DDLElement):
    """``CREATE SEQUENCE`` (sql/generated.py's Sequence)."""


class DropSequence(DDLElement):
    """``DROP SEQUENCE``."""


class SetComment(DDLElement):
    """``COMMENT ON TABLE|COLUMN ... IS '...'``, where comments are separate statements."""


def comment_statements(table: Table, dialect: GenericDialect) -> list[SetComment]:
    """The statements that give ``table`` and its columns their comments after CREATE TABLE.

    Empty where the database takes comments inside CREATE TABLE (MySQL) or has none (SQLite,
    where SQLAlchemy leaves them out as well).
    """
    if dialect.ddl_compiler.comments != "separate":
        return []
    items: list[Any] = [table] if table.comment else []
    items.extend(c for c in table.columns if c.comment and not c.system)
    return [SetComment(item) for item in items]


class DDL(DDLElement):
    """A literal DDL statement, run as given."""

    def __init__(self, statement: str) -> None:
        super().__init__(statement)


class DDLCompiler:
    """Renders DDL elements; dialects subclass it for their column and table options."""

    #: How the database takes table and column comments: "inline" in CREATE TABLE,
    #: "separate" COMMENT ON statements, or None (not at all).
    comments: str | None = None

    def __init__(self, dialect: GenericDialect, element: DDLElement) -> None:
        self.dialect = dialect
        self.quote = dialect.quote
        sql = self.render(element)
        if dialect.escape_literal_percent():
            # DDL has no parameters, but format-style drivers still read % as a placeholder
            # (pieces compiled with literal_binds come back unescaped)
            sql = sql.replace("%", "%%")
        compiled = Compiled(dialect, sql, [], [], element, [])
        compiled.is_ddl = True
        self.compiled = compiled

    def render(self, element: DDLElement) -> str:
        """The SQL for ``element``."""
        if isinstance(element, CreateTable):
            return self.create_table(element.element, element.if_not_exists)
        if isinstance(element, DropTable):
            exists = "IF EXISTS " if element.if_exists else ""
            return f"DROP TABLE {exists}{self.table_name(element.element)}"
        if isinstance(element, CreateIndex):
            return self.create_index(element.element)
        if isinstance(element, DropIndex):
            return self.drop_index(element.element)
        if isinstance(element, CreateSequence):
            return self.create_sequence(element.element)
        if isinstance(element, DropSequence):
            return f"DROP SEQUENCE {self.sequence_name(element.element)}"
        if isinstance(element, DDL):
            return str(element.element)
        if isinstance(element, SetComment):
            item = element.element
            text = sqltypes.String().literal_sql(item.comment)
            if isinstance(item, Table):
                return f"COMMENT ON TABLE {self.table_name(item)} IS {text}"
            return (
                f"COMMENT ON COLUMN {self.table_name(item.table)}.{self.quote(item.name)} IS {text}"
            )
        raise exc.UnsupportedCompilationError(f"cannot render {type(element).__name__}")

    def table_name(self, table: Table) -> str:
        """The quoted, schema-qualified table name."""
        name = self.quote(table.name)
        return f"{self.quote(table.schema)}.{name}" if table.schema else name

    def create_table(self, table: Table, if_not_exists: bool = False) -> str:
        """``CREATE TABLE name (columns, constraints)``."""
        # a system column (Column(system=True)) is one the database makes by itself
        lines = [self.column_spec(col) for col in table.columns if not col.system]
        lines.extend(c for c in (self.constraint_spec(table, k) for k in table.constraints) if c)
        exists = "IF NOT EXISTS " if if_not_exists else ""
        body = ",\n\t".join(lines)
        head = f"\nCREATE TABLE {exists}{self.table_name(table)}"
        return f"{head} (\n\t{body}\n){self.table_options(table)}\n\n"

    def table_options(self, table: Table) -> str:
        """Text after the closing parenthesis (MySQL's ENGINE=..., for example)."""
        return ""

    def column_type(self, column: Column) -> str:
        """The column's type name for this database."""
        try:
            return column.type.ddl(self.dialect)
        except exc.CompileError as err:
            raise exc.CompileError(
                f"column {column.table.name if column.table else '?'}.{column.name}: {err}"
            ) from None

    def column_spec(self, column: Column) -> str:
        """``name TYPE [DEFAULT ...] [GENERATED ...] [NOT NULL]``."""
        parts = [self.quote(column.name), self.column_type(column)]
        default = self.default_sql(column)
        if default is not None:
            parts.append(f"DEFAULT {default}")
        if column.computed is not None:
            parts.append(self.computed_sql(column))
        identity = self.identity_sql(column) if column.identity is not None else ""
        if identity:
            parts.append(identity)
        if not column.nullable:
            parts.append("NOT NULL")
        return " ".join(parts)

    def computed_sql(self, column: Column) -> str:
        """``GENERATED ALWAYS AS (expression) [STORED | VIRTUAL]``."""
        computed = column.computed
        sqltext = computed.sqltext
        if isinstance(sqltext, str):
            text = sqltext
        elif isinstance(sqltext, el.TextClause):
            text = sqltext.text
        else:
            text = self.dialect.statement_compiler(self.dialect, sqltext, None, True).compiled.sql
        kind = {True: " STORED", False: " VIRTUAL", None: ""}[computed.persisted]
        return f"GENERATED ALWAYS AS ({text}){kind}"

    def identity_sql(self, column: Column) -> str:
        """What an Identity adds to the column (nothing here: SQLite numbers an integer
        primary key itself)."""
        return ""

    def sequence_name(self, sequence: Any) -> str:
        """The quoted, schema-qualified sequence name."""
        name = self.quote(sequence.name)
        return f"{self.quote(sequence.schema)}.{name}" if sequence.schema else name

    def create_sequence(self, sequence: Any) -> str:
        """``CREATE SEQUENCE name [AS type] [options]``."""
        parts = [f"CREATE SEQUENCE {self.sequence_name(sequence)}"]
        if sequence.data_type is not None:
            parts.append(f"AS {sequence.data_type.ddl(self.dialect)}")
        parts.extend(sequence.numbering_sql())
        return " ".join(parts)

    def default_sql(self, column: Column) -> str | None:
        """The ``DEFAULT`` text of a server default, or None."""
        server_default = column.server_default
        if not isinstance(server_default, DefaultClause):
            return None
        arg = server_default.arg
        if isinstance(arg, str):
            return sqltypes.String().literal_sql(arg)
        if isinstance(arg, el.TextClause):
            return arg.text
        compiled = self.dialect.statement_compiler(self.dialect, arg, None, True).compiled
        sql = compiled.sql
        return (
            sql
            if isinstance(arg, el.ColumnClause | el.TextClause)
            or sql.startswith(("'", "("))
            or sql.replace(".", "").replace("-", "").isdigit()
            else f"({sql})"
        )

    def constraint_spec(self, table: Table, constraint: Any) -> str | None:
        """One table-level constraint line, or None."""
        name = f"CONSTRAINT {self.quote(constraint.name)} " if constraint.name else ""
        if isinstance(constraint, PrimaryKeyConstraint):
            if not constraint.columns:
                return None
            cols = ", ".join(self.quote(c.name) for c in constraint.columns)
            return f"{name}PRIMARY KEY ({cols})"
        if isinstance(constraint, UniqueConstraint):
            cols = ", ".join(self.quote(c.name) for c in constraint.columns)
            return f"{name}UNIQUE ({cols})"
        if isinstance(constraint, CheckConstraint):
            sql = self.dialect.statement_compiler(
                self.dialect, constraint.sqltext, None, True
            ).compiled.sql
            return f"{name}CHECK ({sql})"
        if isinstance(constraint, ForeignKeyConstraint):
            if constraint.use_alter:
                return None
            cols = ", ".join(self.quote(c.name) for c in constraint.columns)
            targets = [fk.column for fk in constraint.elements]
            ref_table = targets[0].table
            assert isinstance(ref_table, Table)
            ref_cols = ", ".join(self.quote(c.name) for c in targets)
            text = f"{name}FOREIGN KEY({cols}) REFERENCES {self.table_name(ref_table)} ({ref_cols})"
            if constraint.ondelete:
                text += f" ON DELETE {_check_action(constraint.ondelete)}"
            if constraint.onupdate:
                text += f" ON UPDATE {_check_action(constraint.onupdate)}"
            return text + self.constraint_tail(constraint)
        return None

    def constraint_tail(self, constraint: ForeignKeyConstraint) -> str:
        """`` MATCH ...``, `` DEFERRABLE`` and `` INITIALLY ...`` of a foreign key."""
        text = ""
        if constraint.match is not None:
            text += f" MATCH {_check_word(constraint.match, 'match')}"
        if constraint.deferrable is not None:
            text += " DEFERRABLE" if constraint.deferrable else " NOT DEFERRABLE"
        if constraint.initially is not None:
            text += f" INITIALLY {_check_word(constraint.initially, 'initially')}"
        return text

    def create_index(self, index: Index) -> str:
        """``CREATE [UNIQUE] INDEX name ON table (columns)``."""
        assert index.table is not None and index.name is not None
        unique = "UNIQUE " if index.unique else ""
        cols = ", ".join(
            self.quote(e.name)
            if isinstance(e, Column)
            else self.dialect.statement_compiler(self.dialect, e, None, True).compiled.sql
            for e in index.expressions
        )
        return (
            f"CREATE {unique}INDEX {self.quote(index.name)} ON "
            f"{self.table_name(index.table)} ({cols})"
        )

    def drop_index(self, index: Index) -> str:
        """``DROP INDEX name``."""
        assert index.name is not None
        return f"DROP INDEX {self.quote(index.name)}"


_ACTIONS = frozenset({"CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT", "NO ACTION"})


def _check_action(action: str) -> str:
    normalized = " ".join(action.upper().split())
    if normalized not in _ACTIONS:
        raise exc.CompileError(
            f"unknown foreign key action {action!r}; use one of {', '.join(sorted(_ACTIONS))}"
        )
    return normalized


def _check_word(value: str, what: str) -> str:
    """A MATCH or INITIALLY value: one SQL word (it is written into the DDL as is)."""
    word = value.upper()
    if not word.isalpha():
        raise exc.CompileError(f"foreign key {what}={value!r} must be one SQL word")
    return word


GenericDialect.ddl_compiler = DDLCompiler
