"""PostgreSQL's compiler, DDL compiler and dialect on psycopg 3."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from ormkit import exc
from ormkit.dialects.postgresql.dml import Insert as PGInsert
from ormkit.dialects.postgresql.reflection import PGReflection
from ormkit.engine.dialect import DefaultDialect
from ormkit.engine.pool import Pool, QueuePool
from ormkit.sql import compiler
from ormkit.sql import selectable as sel
from ormkit.sql import types as sqltypes
from ormkit.sql.ddl import DDLCompiler
from ormkit.sql.schema import Column

if TYPE_CHECKING:
    from ormkit.engine.url import URL
    from ormkit.sql import dml

_cursor_ids = itertools.count(1)

# SQLSTATEs meaning the session is gone: connection exceptions (class 08) and the
# administrator / crash shutdowns (pg_terminate_backend sends 57P01)
_DISCONNECT_STATES = frozenset({"57P01", "57P02", "57P03"})
# serialization_failure and deadlock_detected: the transaction was rolled back
_RETRYABLE_STATES = frozenset({"40001", "40P01"})


class PGCompiler(compiler.Compiler):
    """PostgreSQL spellings: ON CONFLICT, FOR UPDATE OF <table>."""

    def insert_suffix(self, stmt: dml.Insert) -> str:
        conflict = stmt._on_conflict if isinstance(stmt, PGInsert) else None
        if conflict is None:
            return ""
        quote = self.dialect.quote
        if conflict.constraint is not None:
            target = f" ON CONSTRAINT {quote(conflict.constraint)}"
        elif conflict.index_elements:
            target = " (" + ", ".join(quote(c) for c in conflict.index_elements) + ")"
            if conflict.index_where is not None:
                target += " WHERE " + self.process(conflict.index_where, include_table=False)
        else:
            target = ""
        if conflict.action == "nothing":
            return f" ON CONFLICT{target} DO NOTHING"
        sets = ", ".join(
            f"{quote(col.name)} = {self.process(value)}"  # type: ignore[attr-defined]
            for col, value in conflict.set_
        )
        text = f" ON CONFLICT{target} DO UPDATE SET {sets}"
        if conflict.where is not None:
            text += " WHERE " + self.process(conflict.where)
        return text

    def render_for_update(self, options: sel.ForUpdate) -> str:
        # PostgreSQL locks rows of tables: OF names tables, so a column stands for its table
        if options.of:
            tables = []
            for item in options.of:
                table = item if isinstance(item, sel.FromClause) else getattr(item, "table", None)
                if table is None:
                    raise exc.CompileError(
                        f"with_for_update(of=...) takes tables or columns, got {item!r}"
                    )
                name = self._from_name(table)
                if name not in tables:
                    tables.append(name)
            lock = " FOR SHARE" if options.read else " FOR UPDATE"
            text = lock + " OF " + ", ".join(tables)
            if options.nowait:
                text += " NOWAIT"
            if options.skip_locked:
                text += " SKIP LOCKED"
            return text
        return super().render_for_update(options)


_SERIAL = {sqltypes.BigInteger: "BIGSERIAL", sqltypes.SmallInteger: "SMALLSERIAL"}


class PGDDLCompiler(DDLCompiler):
    """PostgreSQL DDL: SERIAL for the autoincrement key, VARCHAR + CHECK for Enum."""

    comments = "separate"

    def column_type(self, column: Column) -> str:
        type_ = column.type
        if (
            column._autoincrement_eligible
            and isinstance(type_, sqltypes.Integer)
            and column.server_default is None
            and not column.numbered_by_sequence(self.dialect)
        ):
            for cls in type(type_).__mro__:
                if cls in _SERIAL:
                    return _SERIAL[cls]
            return "SERIAL"
        return super().column_type(column)

    def identity_sql(self, column: Column) -> str:
        identity = column.identity
        kind = "ALWAYS" if identity.always else "BY DEFAULT"
        options = identity.numbering_sql()
        return f"GENERATED {kind} AS IDENTITY" + (f" ({' '.join(options)})" if options else "")

    def computed_sql(self, column: Column) -> str:
        if column.computed.persisted is False:
            raise exc.CompileError(
                f"column {column.table.name}.{column.name}: PostgreSQL computes generated "
                "columns only as STORED; leave Computed(persisted=...) out or set it to True"
            )
        sql = super().computed_sql(column)
        return sql if column.computed.persisted else sql + " STORED"

    def column_spec(self, column: Column) -> str:
        spec = super().column_spec(column)
        return spec + enum_check(self, column)


def enum_check(ddl: DDLCompiler, column: Column) -> str:
    """`` CHECK (col IN ('a', 'b'))`` for an Enum column (the values a VARCHAR may hold)."""
    type_ = column.type
    if not isinstance(type_, sqltypes.Enum):
        return ""
    values = ", ".join(sqltypes.String().literal_sql(v) for v in type_.values)
    return f" CHECK ({ddl.quote(column.name)} IN ({values}))"


def _jsonb(value: Any, dumps: Any) -> Any:
    from psycopg.types.json import Jsonb

    # serialize now, so a value that is not JSON fails while binding with a clear message
    try:
        text = dumps(value)
    except (TypeError, ValueError) as err:
        raise TypeError(f"value is not JSON serializable: {err}") from err
    return Jsonb(value, lambda _: text)


class PGDialect(PGReflection, DefaultDialect):
    """PostgreSQL on psycopg 3."""

    name = "postgresql"
    driver = "psycopg"
    extra = "postgresql"
    paramstyle = "format"
    max_identifier_length = 63
    supports_native_boolean = True
    supports_native_decimal = True
    supports_native_datetime = True
    supports_native_uuid = True
    supports_native_interval = True
    supports_native_json = True
    supports_native_enum = False
    insert_returning = True
    update_returning = True
    delete_returning = True
    insert_returning_pk = True
    postfetch_lastrowid = False
    supports_sequences = True
    sequences_optional = True
    supports_distinct_on = True
    supports_server_side_cursors = True
    statement_compiler = PGCompiler
    ddl_compiler = PGDDLCompiler
    type_ddl = {
        sqltypes.Boolean: lambda t: "BOOLEAN",
        sqltypes.Float: lambda t: "DOUBLE PRECISION",
        sqltypes.DateTime: lambda t: (
            "TIMESTAMP WITH TIME ZONE" if t.timezone else "TIMESTAMP WITHOUT TIME ZONE"
        ),
        sqltypes.Time: lambda t: "TIME WITH TIME ZONE" if t.timezone else "TIME WITHOUT TIME ZONE",
        sqltypes.LargeBinary: lambda t: "BYTEA",
        sqltypes.JSON: lambda t: "JSONB",
    }

    def __init__(self, dbapi: Any = None, **kw: Any) -> None:
        super().__init__(dbapi, **kw)
        # psycopg's own default is pyformat; positional %s lines up with ormkit's slot order
        self.paramstyle = "format"
        if dbapi is not None:
            self.json_bind_wrapper = _jsonb

    @classmethod
    def import_dbapi(cls) -> Any:
        import psycopg

        return psycopg

    def create_connect_args(self, url: URL) -> tuple[list[Any], dict[str, Any]]:
        params = url.translate_connect_args(username="user", database="dbname")
        params.update({k: v for k, v in url.query.items()})
        params.setdefault("connect_timeout", 10)
        params["autocommit"] = False
        return [], params

    def default_pool_class(self, url: URL) -> type[Pool]:
        """A queue pool: connections to a server are worth keeping."""
        return QueuePool

    def on_connect(self, dbapi_connection: Any) -> None:
        if self.json_deserializer is not None:
            from psycopg.types.json import set_json_loads

            set_json_loads(self.json_deserializer, dbapi_connection)
        super().on_connect(dbapi_connection)

    # -- isolation and transactions ---------------------------------------------------------

    def set_isolation_level(self, dbapi_connection: Any, level: str) -> None:
        if level == "AUTOCOMMIT":
            dbapi_connection.autocommit = True
            return
        from psycopg import IsolationLevel

        dbapi_connection.autocommit = False
        dbapi_connection.isolation_level = IsolationLevel[level.replace(" ", "_")]

    def reset_isolation_level(self, dbapi_connection: Any) -> None:
        level = self.isolation_level
        dbapi_connection.autocommit = level == "AUTOCOMMIT"
        if level is None or level == "AUTOCOMMIT":
            dbapi_connection.isolation_level = None  # the server's default
        else:
            self.set_isolation_level(dbapi_connection, level)

    def get_isolation_level(self, dbapi_connection: Any) -> str:
        if dbapi_connection.autocommit:
            return "AUTOCOMMIT"
        idle = self._idle(dbapi_connection)
        row = dbapi_connection.execute("SHOW transaction_isolation").fetchone()
        if idle:
            dbapi_connection.rollback()  # SHOW opened a transaction; leave none behind
        return str(row[0]).upper()

    def _idle(self, dbapi_connection: Any) -> bool:
        from psycopg.pq import TransactionStatus

        return bool(dbapi_connection.info.transaction_status == TransactionStatus.IDLE)

    def do_ping(self, dbapi_connection: Any) -> bool:
        if dbapi_connection.closed or dbapi_connection.broken:
            return False
        idle = self._idle(dbapi_connection)
        try:
            dbapi_connection.execute("SELECT 1").fetchall()
            if idle and not dbapi_connection.autocommit:
                dbapi_connection.rollback()
        except Exception as err:
            if self.is_disconnect(err, dbapi_connection):
                return False
            raise
        return True

    def create_cursor(self, dbapi_connection: Any, server_side: bool = False) -> Any:
        if not server_side:
            return dbapi_connection.cursor()
        # a named cursor is a DECLAREd portal: rows come over in fetchmany() batches;
        # outside a transaction (autocommit) it must be WITH HOLD to outlive its statement
        return dbapi_connection.cursor(
            name=f"ormkit_stream_{next(_cursor_ids)}", withhold=bool(dbapi_connection.autocommit)
        )

    # -- errors -----------------------------------------------------------------------------

    def is_disconnect(self, error: BaseException, dbapi_connection: Any = None) -> bool:
        dbapi = self.dbapi
        if dbapi is None or not isinstance(error, dbapi.Error):  # type: ignore[attr-defined]
            return False
        state = getattr(error, "sqlstate", None) or ""
        if state.startswith("08") or state in _DISCONNECT_STATES:
            return True
        # a lost socket carries no SQLSTATE; psycopg marks the connection itself instead
        return dbapi_connection is not None and bool(
            dbapi_connection.closed or dbapi_connection.broken
        )

    def is_retryable(self, error: BaseException) -> bool:
        return getattr(error, "sqlstate", None) in _RETRYABLE_STATES

    def wrap_dbapi_error(
        self, error: BaseException, statement: str | None, params: Any, invalidated: bool = False
    ) -> exc.DBAPIError | None:
        wrapped = super().wrap_dbapi_error(error, statement, params, invalidated)
        if wrapped is not None and invalidated:
            wrapped.message += (
                "\n(the connection to the server was lost and has been discarded; the open "
                "transaction was not committed)"
            )
        return wrapped

    def type_from_ddl(self, ddl: str) -> Any:
        name = ddl.lower().strip()
        for long, short in _PG_TYPE_NAMES:
            if name.startswith(long):
                rest = name[len(long) :]
                if short == "TIMESTAMPTZ":
                    return sqltypes.DateTime(timezone=True)
                if short == "TIMETZ":
                    return sqltypes.Time(timezone=True)
                if short == "TIMESTAMP":
                    return sqltypes.DateTime()
                if short == "TIME":
                    return sqltypes.Time()
                return super().type_from_ddl(short + rest)
        return super().type_from_ddl(ddl)


# format_type() spellings -> names the generic type_from_ddl knows
_PG_TYPE_NAMES = (
    ("timestamp with time zone", "TIMESTAMPTZ"),
    ("timestamp without time zone", "TIMESTAMP"),
    ("time with time zone", "TIMETZ"),
    ("time without time zone", "TIME"),
    ("character varying", "VARCHAR"),
    ("character", "CHAR"),
    ("double precision", "DOUBLE PRECISION"),
    ("real", "FLOAT"),
)
