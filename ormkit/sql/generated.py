"""Values the database generates for a column: ``Identity``, ``Sequence`` and ``Computed``.

    Column("id", Integer, Identity(start=100), primary_key=True)
    Column("id", Integer, Sequence("order_ids"), primary_key=True)
    Column("total", Numeric, Computed("price * quantity"))

Each is given to ``Column()`` as a positional argument and puts itself where the rest of
ormkit looks: an Identity is the column's ``server_default`` (and ``column.identity``), a
Sequence its ``default`` (the INSERT names ``nextval(...)`` when no value is given), a
Computed its ``server_default`` and ``server_onupdate`` (and ``column.computed``), so the ORM
leaves such attributes unloaded after an INSERT or UPDATE and reads them from the row.

Where a database has no such thing, it is left out as SQLAlchemy does: SQLite has no
sequences and numbers an integer primary key itself (an Identity's options do not apply);
MariaDB renders an Identity as AUTO_INCREMENT. PostgreSQL honours all three; MariaDB 10.3+
has sequences.
"""

from __future__ import annotations

from typing import Any

from ormkit import exc
from ormkit.sql import elements as el
from ormkit.sql import types as sqltypes
from ormkit.sql.schema import Column, ColumnDefault, FetchedValue, MetaData, run_ddl


class _NumberingOptions:
    """START WITH, INCREMENT BY, MINVALUE, MAXVALUE, CACHE, CYCLE: what a sequence and an
    identity column share."""

    def __init__(
        self,
        start: int | None,
        increment: int | None,
        minvalue: int | None,
        maxvalue: int | None,
        nominvalue: bool | None,
        nomaxvalue: bool | None,
        cycle: bool | None,
        cache: int | None,
        order: bool | None,
        what: str,
    ) -> None:
        if order is not None:
            raise exc.ArgumentError(f"{what}(order=...) is Oracle's; ormkit does not support it")
        for name, value in (
            ("start", start),
            ("increment", increment),
            ("minvalue", minvalue),
            ("maxvalue", maxvalue),
            ("cache", cache),
        ):
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise exc.ArgumentError(f"{what}({name}=...) takes an integer, got {value!r}")
        self.start = start
        self.increment = increment
        self.minvalue = minvalue
        self.maxvalue = maxvalue
        self.nominvalue = nominvalue
        self.nomaxvalue = nomaxvalue
        self.cycle = cycle
        self.cache = cache

    def numbering_sql(self, no_cycle: str = "NO CYCLE") -> list[str]:
        """The options as SQL clauses, in the order PostgreSQL and MariaDB both read."""
        parts = []
        if self.increment is not None:
            parts.append(f"INCREMENT BY {self.increment}")
        if self.minvalue is not None:
            parts.append(f"MINVALUE {self.minvalue}")
        if self.nominvalue:
            parts.append("NO MINVALUE")
        if self.maxvalue is not None:
            parts.append(f"MAXVALUE {self.maxvalue}")
        if self.nomaxvalue:
            parts.append("NO MAXVALUE")
        if self.start is not None:
            parts.append(f"START WITH {self.start}")
        if self.cache is not None:
            parts.append(f"CACHE {self.cache}")
        if self.cycle is not None:
            parts.append("CYCLE" if self.cycle else no_cycle)
        return parts


class Identity(FetchedValue, _NumberingOptions):
    """``GENERATED {ALWAYS | BY DEFAULT} AS IDENTITY``: the database numbers the column.

    ``always=True`` makes an explicit value an error on PostgreSQL. On MariaDB the column is
    AUTO_INCREMENT and on SQLite the integer primary key (their own numbering).
    """

    def __init__(
        self,
        always: bool = False,
        on_null: bool | None = None,
        start: int | None = None,
        increment: int | None = None,
        minvalue: int | None = None,
        maxvalue: int | None = None,
        nominvalue: bool | None = None,
        nomaxvalue: bool | None = None,
        cycle: bool | None = None,
        cache: int | None = None,
        order: bool | None = None,
    ) -> None:
        if on_null is not None:
            raise exc.ArgumentError("Identity(on_null=...) is Oracle's; ormkit does not support it")
        _NumberingOptions.__init__(
            self,
            start,
            increment,
            minvalue,
            maxvalue,
            nominvalue,
            nomaxvalue,
            cycle,
            cache,
            order,
            "Identity",
        )
        self.always = always

    def _attach_to(self, column: Column) -> None:
        column.server_default = self
        column.identity = self

    def __repr__(self) -> str:
        return f"Identity(always={self.always!r}, start={self.start!r})"


class Sequence(ColumnDefault, _NumberingOptions):
    """A named sequence: ``CREATE SEQUENCE`` with the tables (``MetaData.create_all``), and
    ``nextval()`` in an INSERT of a column it is the default of.

    ``optional=True`` uses it only on a database that has no other way to number a primary
    key (none of ormkit's: PostgreSQL numbers it with SERIAL then, MariaDB with
    AUTO_INCREMENT). ``next_value()`` is the SQL expression of the next number.
    """

    _ok_sequence = True

    def __init__(
        self,
        name: str,
        start: int | None = None,
        increment: int | None = None,
        minvalue: int | None = None,
        maxvalue: int | None = None,
        nominvalue: bool | None = None,
        nomaxvalue: bool | None = None,
        cycle: bool | None = None,
        schema: str | None = None,
        cache: int | None = None,
        order: bool | None = None,
        data_type: Any = None,
        optional: bool = False,
        quote: bool | None = None,
        metadata: MetaData | None = None,
        quote_schema: bool | None = None,
        for_update: bool = False,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise exc.ArgumentError(f"Sequence() needs a name, got {name!r}")
        if for_update:
            raise exc.ArgumentError(
                "Sequence(for_update=True) is not supported yet: a sequence numbers INSERTs "
                "only; give the column an onupdate= instead"
            )
        for option, value in (("quote", quote), ("quote_schema", quote_schema)):
            if value is not None:
                raise exc.ArgumentError(
                    f"Sequence({option}=...) is not supported: ormkit quotes a name when it "
                    "needs quoting"
                )
        _NumberingOptions.__init__(
            self,
            start,
            increment,
            minvalue,
            maxvalue,
            nominvalue,
            nomaxvalue,
            cycle,
            cache,
            order,
            "Sequence",
        )
        self.name = name
        self.schema = schema
        self.optional = optional
        self.data_type = sqltypes.to_instance(data_type) if data_type is not None else None
        self.metadata = metadata
        super().__init__(NextValue(self))
        if metadata is not None:
            metadata._add_sequence(self)

    def _attach_to(self, column: Column) -> None:
        column.default = self
        if self.metadata is None and column.table is not None:
            self._set_metadata(column.table.metadata)

    def _set_metadata(self, metadata: MetaData | None) -> None:
        if metadata is not None and self.metadata is None:
            self.metadata = metadata
            metadata._add_sequence(self)

    def used_by(self, dialect: Any) -> bool:
        """Whether ``dialect`` numbers with this sequence (it has sequences, and the
        sequence is not optional there)."""
        return bool(dialect.supports_sequences) and not (
            self.optional and dialect.sequences_optional
        )

    def next_value(self) -> NextValue:
        """``nextval('name')``: the next number of the sequence, as a SQL expression."""
        return NextValue(self)

    def create(self, bind: Any, checkfirst: bool = True) -> None:
        """``CREATE SEQUENCE`` on ``bind`` (an Engine or Connection); a database without
        sequences does nothing, as does an existing sequence with ``checkfirst``."""
        from ormkit.sql.ddl import CreateSequence  # (the compiler imports this module first)

        def create(conn: Any) -> None:
            if not self.used_by(conn.dialect):
                return
            if checkfirst and conn.dialect.has_sequence(conn, self.name, self.schema):
                return
            conn.execute(CreateSequence(self))

        run_ddl(bind, create)

    def drop(self, bind: Any, checkfirst: bool = True) -> None:
        """``DROP SEQUENCE`` on ``bind``; nothing where it does not exist (``checkfirst``)."""
        from ormkit.sql.ddl import DropSequence  # (the compiler imports this module first)

        def drop(conn: Any) -> None:
            if not self.used_by(conn.dialect):
                return
            if checkfirst and not conn.dialect.has_sequence(conn, self.name, self.schema):
                return
            conn.execute(DropSequence(self))

        run_ddl(bind, drop)

    def __repr__(self) -> str:
        return f"Sequence({self.name!r})"


class NextValue(el.ColumnElement):
    """``nextval('name')`` (PostgreSQL), ``NEXT VALUE FOR name`` (MariaDB)."""

    _cache_attrs = ("sequence_name", "sequence_schema")

    def __init__(self, sequence: Sequence) -> None:
        self.sequence = sequence
        self.sequence_name = sequence.name
        self.sequence_schema = sequence.schema
        self.type = sequence.data_type or sqltypes.Integer()


class Computed(FetchedValue):
    """``GENERATED ALWAYS AS (expression)``: a column the database computes from the row's
    other columns; ``persisted=True`` stores it (STORED), False computes it on read
    (VIRTUAL), None leaves the database's default (PostgreSQL stores it: the only kind it
    has)."""

    def __init__(self, sqltext: Any, persisted: bool | None = None) -> None:
        if not isinstance(sqltext, str | el.ClauseElement):
            raise exc.ArgumentError(
                f"Computed() takes the expression as a string or SQL expression, got {sqltext!r}"
            )
        self.sqltext = sqltext
        self.persisted = persisted

    def _attach_to(self, column: Column) -> None:
        column.server_default = self
        column.server_onupdate = self
        column.computed = self

    def __repr__(self) -> str:
        return f"Computed({self.sqltext!r}, persisted={self.persisted!r})"
