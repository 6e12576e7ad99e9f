"""Rendering INSERT, UPDATE and DELETE: column lists, defaults, multi-row VALUES, RETURNING.

A mixin of ``compiler.Compiler``. Which columns an INSERT or UPDATE names depends on the
statement's ``values()`` plus the keys of the execution parameters (``column_keys``), so those
keys are part of the compiled-cache key for DML.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ormkit import exc
from ormkit.sql import cache_key, dml
from ormkit.sql import elements as el
from ormkit.sql.generated import NextValue
from ormkit.sql.plugins import handles
from ormkit.sql.schema import Column

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ormkit.sql import types as sqltypes
    from ormkit.sql.compiler import BindSlot, GenericDialect
    from ormkit.sql.schema import ColumnDefault


def _slot_of(sql: str) -> int | None:
    """The slot position when ``sql`` is exactly one parameter marker, else None."""
    match = _ONE_MARKER.fullmatch(sql)
    return int(match.group(1)) if match else None


_ONE_MARKER = re.compile("\x01(\\d+)\x02")
#: Where the VALUES groups after the first go in a positional multi-row INSERT (bind markers
#: and this are made of characters no identifier may hold).
REPEAT_MARKER = "\x01R\x02"


class DMLRendering:
    """INSERT / UPDATE / DELETE handlers for the statement compiler."""

    if TYPE_CHECKING:
        dialect: GenericDialect
        column_keys: Sequence[str] | None
        result_columns: list[tuple[str, sqltypes.TypeEngine[Any], tuple[Any, ...]]]
        pk_slots: list[tuple[Any, int | None]]
        implicit_returning: list[Any]
        row_groups: int | None
        groups_rendered: int
        group_width: int
        _repeat: tuple[str, int] | None
        _row: int
        _bind_names: dict[str, int]
        _slot_by_bind: dict[int, int]
        _slots: list[BindSlot]
        _generated: set[int]

        def process(self, node: Any, **kw: Any) -> str: ...
        def _bind_slot(
            self,
            name: str,
            index: int,
            type_: Any,
            default: ColumnDefault | None = None,
            generated: bool = False,
        ) -> str: ...
        def _unique_name(self, base: str) -> str: ...

    def _table_name(self, table: Any) -> str:
        name = self.dialect.quote(table.name)
        return f"{self.dialect.quote(table.schema)}.{name}" if table.schema else name

    def _param_columns(self, stmt: dml.ValuesBase, given: set[int]) -> list[Column]:
        """Table columns named by the execution parameters and not already in values().

        A key that names a ``bindparam()`` of the statement feeds that parameter, not a
        column (the ORM's flush names its SET parameters by attribute key).
        """
        keys = self.column_keys or ()
        if not keys:
            return []
        columns = stmt.table.columns
        bind_keys = self._where_bind_keys(stmt)
        found: list[Column] = []
        for key in keys:
            col = columns.get(key)
            if col is None or key in bind_keys:
                continue  # a key meant for a bindparam(), not a column
            if id(col) not in given:
                found.append(col)
        unknown = [k for k in keys if k not in columns and k not in bind_keys]
        if unknown:
            raise exc.ArgumentError(
                f"unknown column(s) {', '.join(map(repr, unknown))} for table "
                f"{stmt.table.name!r} in the parameters; its columns are: "
                f"{', '.join(columns.keys())}"
            )
        return found

    def _where_bind_keys(self, stmt: Any) -> set[str]:
        keys: set[str] = set()
        _, binds = cache_key.generate(stmt)
        for bind in binds:
            if not bind.unique:
                keys.add(bind.key or "")
        return keys

    def _value_sql(self, col: Column, value: Any) -> str:
        if isinstance(value, el.BindParameter) and self.literal_binds:  # type: ignore[attr-defined]
            return col.type.literal_sql(value.effective_value())
        if isinstance(value, el.BindParameter) and value.unique:
            # a plain value from values(): name the parameter after its column
            index = self._bind_index_of(value)
            name = (
                self._unique_name(col.key or col.name)
                if self._needs_unique(col)
                else (col.key or col.name)
            )
            marker = self._bind_slot(name, index, col.type, generated=True)
            self._slot_by_bind[id(value)] = self._bind_names[name]
            return marker
        return self.process(value, include_table=False)

    def _needs_unique(self, col: Column) -> bool:
        return (col.key or col.name) in self._bind_names

    def _bind_index_of(self, bind: el.BindParameter) -> int:
        return self._bind_index.get(id(bind), -1)  # type: ignore[attr-defined, no-any-return]

    def _param_sql(self, col: Column) -> str:
        """A parameter filled from the execution parameters under the column's key."""
        name = col.key or col.name
        return self._bind_slot(name, -1, col.type)

    def _default_sql(self, col: Column, default: ColumnDefault) -> str:
        if default.is_clause_element:
            return self.process(default.arg, include_table=False)
        name = (
            self._unique_name(col.key or col.name)
            if self._needs_unique(col)
            else (col.key or col.name)
        )
        return self._bind_slot(name, -1, col.type, default, generated=True)

    def _item_sql(self, col: Column, kind: str, value: Any) -> str:
        if kind == "value":
            return self._value_sql(col, value)
        if kind == "param":
            return self._param_sql(col)
        return self._default_sql(col, value)

    def _values_groups(self, items: list[tuple[Column, str, Any]], rows: int) -> str:
        """One VALUES group per parameter set, each filled from its own set.

        The first group is rendered. With a positional paramstyle the others are that text
        again with the same slots (a slot stands for "this group's value of key k"), put in
        when the placeholders are (``Compiler._finalize_binds``); with named parameters each
        group gets copies of the first group's slots, marked with their group. Rendering each
        group anew would give the same, at a cost that shows when a flush inserts many rows.
        """
        start = len(self._slots)
        saved = self._bind_names, self._slot_by_bind
        self._bind_names, self._slot_by_bind, self._row = {}, {}, 0
        try:
            first = "(" + ", ".join([self._item_sql(*item) for item in items]) + ")"
        finally:
            self._bind_names, self._slot_by_bind = saved
            self._row = -1
        self.groups_rendered = rows
        if self.dialect.positional:
            self.group_width = len(_ONE_MARKER.findall(first))
            self._repeat = (first, rows)
            return first + REPEAT_MARKER
        made = self._slots[start:]
        self.group_width = len(made)
        pieces = _ONE_MARKER.split(first)  # text, slot position, text, ..., text
        offsets = [int(p) - start for p in pieces[1::2]]
        # the group as a format string: a field where each marker's slot position goes
        template = "\x01{}\x02".join(t.replace("{", "{{").replace("}", "}}") for t in pieces[0::2])
        generated = [i for i, _ in enumerate(made) if start + i in self._generated]
        groups = [first]
        slots = self._slots
        for row in range(1, rows):
            base = len(slots)
            slots.extend([s.copy(row) for s in made])
            if generated:
                self._generated.update(base + i for i in generated)
            groups.append(template.format(*[base + o for o in offsets]))
        return ", ".join(groups)

    @handles(dml.Insert)
    def visit_insert(self, stmt: dml.Insert, **kw: Any) -> str:
        table = stmt.table
        head = f"INSERT INTO {self._table_name(table)}"
        if stmt._select is not None:
            targets: Any
            targets, select = stmt._select
            cols = ", ".join(self.dialect.quote(c.name) for c in targets)
            text = f"{head} ({cols}) {self.process(select, nested=True)}"
            return text + self.insert_suffix(stmt) + self._returning_clause(stmt)
        if stmt._multi:
            return self._multi_row_insert(stmt, head)
        given = list(stmt._values or ())
        given_ids = {id(c) for c, _ in given}
        # each column's VALUES item: a values() entry, an execution parameter or a default
        items: list[tuple[Column, str, Any]] = [(c, "value", v) for c, v in given]  # type: ignore[misc]
        if self.column_keys is None and not given:
            # compiled without parameters (str(insert(t))): show every column as a parameter
            items.extend((c, "param", None) for c in table.columns)
        items.extend((c, "param", None) for c in self._param_columns(stmt, given_ids))
        named = {id(c) for c, _, _ in items}
        for col in table.columns:
            if id(col) in named or not isinstance(col, Column) or not self._has_default(col):
                continue
            items.append((col, "default", col.default))
        if not items:
            text = f"{head} {self.dialect.default_values_sql}"
            self.pk_slots = [(pk, None) for pk in table.primary_key]
        else:
            names = ", ".join(self.dialect.quote(c.name) for c, _, _ in items)
            if self.row_groups:
                groups = self._values_groups(items, self.row_groups)
                text = f"{head} ({names}) VALUES {groups}"
                return text + self.insert_suffix(stmt) + self._returning_clause(stmt)
            values = [self._item_sql(*item) for item in items]
            slot_of = {id(c): _slot_of(v) for (c, _, _), v in zip(items, values, strict=True)}
            self.pk_slots = [(pk, slot_of.get(id(pk))) for pk in table.primary_key]
            text = f"{head} ({names}) VALUES ({', '.join(values)})"
        text += self.insert_suffix(stmt)
        if not stmt._returning and kw.get("toplevel") and self._returns_generated_pk(table):
            generated = [pk for pk, slot in self.pk_slots if slot is None]
            if generated:
                # no lastrowid on this database: the generated key comes back as a row
                self.implicit_returning = list(table.primary_key)
                return (
                    text
                    + " RETURNING "
                    + ", ".join(
                        self.dialect.quote(c.name)  # type: ignore[attr-defined]
                        for c in table.primary_key
                    )
                )
        return text + self._returning_clause(stmt)

    def _has_default(self, col: Column) -> bool:
        """Does an INSERT without a value for ``col`` name its default (a Sequence only
        where the database numbers with it)?"""
        return col.default is not None and col.default.used_by(self.dialect)

    def _returns_generated_pk(self, table: Any) -> bool:
        """Does the database hand back a generated key only as a RETURNING row? Always where
        there is no lastrowid, and for a key a sequence numbers (lastrowid knows only
        AUTO_INCREMENT)."""
        if self.dialect.insert_returning_pk:
            return True
        return self.dialect.insert_returning and any(
            pk.numbered_by_sequence(self.dialect) for pk in table.primary_key
        )

    @handles(NextValue)
    def visit_next_value(self, node: NextValue, **kw: Any) -> str:
        if not self.dialect.supports_sequences:
            raise exc.CompileError(
                f"{self.dialect.name} has no sequences: {node.sequence_name}.next_value() "
                "cannot be rendered"
            )
        name = self.dialect.quote(node.sequence_name)
        if node.sequence_schema:
            name = f"{self.dialect.quote(node.sequence_schema)}.{name}"
        return self.next_value_sql(name)

    def next_value_sql(self, quoted_name: str) -> str:
        """The next number of a sequence (PostgreSQL's spelling, also MariaDB's)."""
        return "nextval('" + quoted_name.replace("'", "''") + "')"

    def insert_suffix(self, stmt: dml.Insert) -> str:
        """Text between VALUES and RETURNING: a dialect's upsert clause (ON CONFLICT ...)."""
        return ""

    def _multi_row_insert(self, stmt: dml.Insert, head: str) -> str:
        if not self.dialect.supports_multivalues_insert:
            raise exc.CompileError(f"{self.dialect.name} has no multi-row VALUES")
        first = stmt._multi[0]
        cols: list[Any] = [c for c, _ in first]
        col_ids = {id(c) for c in cols}
        defaults = [
            c
            for c in stmt.table.columns
            if isinstance(c, Column) and self._has_default(c) and id(c) not in col_ids
        ]
        rows = []
        for row in stmt._multi:
            items = []
            for column, value in row:
                col: Any = column
                if isinstance(value, el.BindParameter) and self.literal_binds:  # type: ignore[attr-defined]
                    items.append(col.type.literal_sql(value.effective_value()))
                elif isinstance(value, el.BindParameter) and value.unique:
                    name = self._unique_name(col.key or col.name)
                    index = self._bind_index_of(value)
                    items.append(self._bind_slot(name, index, col.type, generated=True))
                else:
                    items.append(self.process(value, include_table=False))
            for col in defaults:
                assert col.default is not None
                if col.default.is_clause_element:
                    items.append(self.process(col.default.arg, include_table=False))
                else:
                    name = self._unique_name(col.key or col.name)
                    items.append(self._bind_slot(name, -1, col.type, col.default, True))
            rows.append("(" + ", ".join(items) + ")")
        names = ", ".join(self.dialect.quote(c.name) for c in cols + defaults)
        text = f"{head} ({names}) VALUES {', '.join(rows)}" + self.insert_suffix(stmt)
        return text + self._returning_clause(stmt)

    @handles(dml.Update)
    def visit_update(self, stmt: dml.Update, **kw: Any) -> str:
        table = stmt.table
        given = list(stmt._values or ())
        given_ids = {id(c) for c, _ in given}
        sets: list[tuple[Column, str]] = []
        for col, value in given:
            sets.append((col, self._value_sql(col, value)))  # type: ignore[arg-type]
        for col in self._param_columns(stmt, given_ids):
            sets.append((col, self._param_sql(col)))
        named = {id(c) for c, _ in sets}
        for col in table.columns:
            if id(col) in named or not isinstance(col, Column) or col.onupdate is None:
                continue
            sets.append((col, self._default_sql(col, col.onupdate)))
        if not sets:
            raise exc.CompileError(
                f"UPDATE of table {table.name!r} sets no columns; call .values(...) or pass "
                "column values as parameters"
            )
        assignments = ", ".join(f"{self.dialect.quote(c.name)}={v}" for c, v in sets)
        text = f"UPDATE {self._table_name(table)} SET {assignments}"
        if stmt._where_criteria:
            text += " WHERE " + self.process(el.and_(*stmt._where_criteria))
        return text + self._returning_clause(stmt)

    @handles(dml.Delete)
    def visit_delete(self, stmt: dml.Delete, **kw: Any) -> str:
        text = f"DELETE FROM {self._table_name(stmt.table)}"
        if stmt._where_criteria:
            text += " WHERE " + self.process(el.and_(*stmt._where_criteria))
        return text + self._returning_clause(stmt)

    def _returning_clause(self, stmt: dml.DMLStatement) -> str:
        if not stmt._returning:
            return ""
        kind = "insert" if stmt.is_insert else "update" if stmt.is_update else "delete"
        if not getattr(self.dialect, f"{kind}_returning"):
            raise exc.CompileError(
                f"{self.dialect.name} does not support {kind.upper()} ... RETURNING"
            )
        names: list[tuple[str, Any]] = []
        seen: dict[str, int] = {}
        for col in stmt._returning:
            name = getattr(col, "key", None) or getattr(col, "name", None) or "anon"
            if name in seen:
                seen[name] += 1
                name = f"{name}_{seen[name]}"
            seen.setdefault(name, 0)
            names.append((name, col))
        rendered = []
        for name, col in names:
            text = self.process(col, include_table=False)
            if not (isinstance(col, el.ColumnClause) and col.name == name):
                text = f"{text} AS {self.dialect.quote(name)}"
            rendered.append(text)
        self.result_columns = [
            (name, col.type, (col, name) + ((col.key,) if col.key and col.key != name else ()))
            for name, col in names
        ]
        return " RETURNING " + ", ".join(rendered)
