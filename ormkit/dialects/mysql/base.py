"""MySQL / MariaDB: compiler, DDL compiler and dialect on PyMySQL."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ormkit import exc
from ormkit.dialects.mysql.dml import Insert as MySQLInsert
from ormkit.dialects.mysql.dml import InsertedValues
from ormkit.dialects.mysql.reflection import MySQLReflection
from ormkit.engine.dialect import DefaultDialect
from ormkit.engine.pool import Pool, QueuePool
from ormkit.sql import compiler
from ormkit.sql import elements as el
from ormkit.sql import operators as ops
from ormkit.sql import selectable as sel
from ormkit.sql import types as sqltypes
from ormkit.sql.ddl import DDLCompiler
from ormkit.sql.schema import Column, Index

if TYPE_CHECKING:
    from ormkit.engine.url import URL
    from ormkit.sql import dml

# client errors and server kills that mean the session is gone: 2006 gone away, 2013 lost
# during query, 2014/2045/2055 broken protocol, 4031 idle timeout, 1927 killed, 1053 shutdown
_DISCONNECT_CODES = frozenset({2006, 2013, 2014, 2045, 2055, 4031, 1927, 1053})
# 1213 deadlock; 1020 "record has changed" (MariaDB snapshot isolation): transaction rolled back
_RETRYABLE_CODES = frozenset({1213, 1020})
# the largest LIMIT: MySQL has OFFSET only after a LIMIT
_NO_LIMIT = "18446744073709551615"
# session sql_mode entries ormkit relies on: standard string literals (a backslash is just a
# character, as on PostgreSQL and SQLite), errors instead of silently truncated values, and
# 0 stored as 0 in an AUTO_INCREMENT column (not taken as "generate the next key")
_SQL_MODES = ("NO_BACKSLASH_ESCAPES", "STRICT_TRANS_TABLES", "NO_AUTO_VALUE_ON_ZERO")
# CHECK constraint failed (4025 MariaDB, 3819 MySQL) and a NOT NULL column left out of an
# INSERT (1364): constraint violations the driver files as operational errors
_INTEGRITY_CODES = frozenset({4025, 3819, 1364})


# reserved on MySQL/MariaDB (beyond the shared list): quoted when used as names
_MYSQL_RESERVED = frozenset(
    [
        "accessible",
        "add",
        "before",
        "bigint",
        "blob",
        "call",
        "cascade",
        "change",
        "char",
        "character",
        "continue",
        "convert",
        "current_user",
        "cursor",
        "dec",
        "decimal",
        "declare",
        "delayed",
        "describe",
        "deterministic",
        "distinctrow",
        "double",
        "dual",
        "each",
        "elseif",
        "enclosed",
        "escaped",
        "exit",
        "explain",
        "float",
        "float4",
        "float8",
        "force",
        "fulltext",
        "high_priority",
        "hour_minute",
        "if",
        "ignore",
        "infile",
        "inout",
        "insensitive",
        "int",
        "int1",
        "int2",
        "int3",
        "int4",
        "int8",
        "integer",
        "interval",
        "iterate",
        "keys",
        "kill",
        "leave",
        "linear",
        "lines",
        "load",
        "localtime",
        "lock",
        "long",
        "longblob",
        "longtext",
        "loop",
        "low_priority",
        "match",
        "maxvalue",
        "mediumblob",
        "mediumint",
        "mediumtext",
        "middleint",
        "minute_second",
        "modifies",
        "no_write_to_binlog",
        "numeric",
        "optimize",
        "option",
        "optionally",
        "out",
        "outfile",
        "precision",
        "purge",
        "reads",
        "real",
        "release",
        "rename",
        "repeat",
        "require",
        "resignal",
        "restrict",
        "return",
        "revoke",
        "row",
        "schemas",
        "second_microsecond",
        "sensitive",
        "separator",
        "show",
        "signal",
        "smallint",
        "spatial",
        "specific",
        "sql",
        "sqlexception",
        "sqlstate",
        "sqlwarning",
        "ssl",
        "starting",
        "straight_join",
        "terminated",
        "tinyblob",
        "tinyint",
        "tinytext",
        "trailing",
        "undo",
        "unlock",
        "unsigned",
        "usage",
        "utc_date",
        "utc_time",
        "utc_timestamp",
        "varbinary",
        "varchar",
        "varcharacter",
        "varying",
        "while",
        "xor",
        "year_month",
        "zerofill",
    ]
)


class MySQLCompiler(compiler.Compiler):
    """MySQL spellings: CONCAT(), <=>, LIMIT without OFFSET, NULL ordering by ``x IS NULL``."""

    function_names = {"random": "rand"}

    def next_value_sql(self, quoted_name: str) -> str:
        return f"NEXT VALUE FOR {quoted_name}"

    # CONCAT() rather than ||: || is logical OR unless sql_mode has PIPES_AS_CONCAT, and
    # CONCAT() means the same under every sql_mode a server may be configured with
    operator_renderers = {
        "concat": lambda c, b, left, right: f"CONCAT({left}, {right})",
        "ilike": lambda c, b, left, right: f"lower({left}) LIKE lower({right})",
        "not_ilike": lambda c, b, left, right: f"lower({left}) NOT LIKE lower({right})",
        "is_distinct_from": lambda c, b, left, right: f"NOT ({left} <=> {right})",
        "is_not_distinct_from": lambda c, b, left, right: f"{left} <=> {right}",
    }

    def visit_true(self, node: el.True_, **kw: Any) -> str:
        return "true"  # a keyword for 1, and the only spelling "x IS TRUE" accepts

    def visit_false(self, node: el.False_, **kw: Any) -> str:
        return "false"

    def visit_column(
        self, column: el.ColumnClause, *, include_table: bool = True, **kw: Any
    ) -> str:
        if isinstance(column.table, InsertedValues):
            return f"VALUES({self.dialect.quote(column.name)})"
        return super().visit_column(column, include_table=include_table, **kw)

    def render_nulls_ordering(self, unary: el.UnaryExpression, inner: str, first: bool) -> str:
        # no NULLS FIRST/LAST: sort on "x IS NULL" (1 for NULL) first, then on x itself
        base: Any = unary.element
        while isinstance(base, el.UnaryExpression) and base.modifier in (ops.asc_op, ops.desc_op):
            base = base.element
        return f"{self.process(base)} IS NULL{' DESC' if first else ''}, {inner}"

    def limit_clause(self, select: sel.SelectBase) -> str:
        if select._limit is None:
            return f" \nLIMIT {_NO_LIMIT} OFFSET " + self.process(select._offset)
        return super().limit_clause(select)

    def render_for_update(self, options: sel.ForUpdate) -> str:
        if options.of and getattr(self.dialect, "is_mariadb", False):
            raise exc.CompileError(
                "MariaDB has no FOR UPDATE OF; lock the rows of every table in the query "
                "with with_for_update() without of="
            )
        text = super().render_for_update(options)
        if options.read:
            # LOCK IN SHARE MODE: FOR SHARE exists on MySQL 8 only, this works on both
            text = text.replace(" FOR SHARE", " LOCK IN SHARE MODE", 1)
        return text

    def cast_type(self, type_: sqltypes.TypeEngine[Any]) -> str:
        # CAST accepts only a few target names on MySQL
        if isinstance(type_, sqltypes.Integer | sqltypes.Boolean):
            return "SIGNED"
        if isinstance(type_, sqltypes.Float):
            return "DOUBLE"
        if isinstance(type_, sqltypes.Numeric):
            return type_.default_ddl(self.dialect).replace("NUMERIC", "DECIMAL")
        if isinstance(type_, sqltypes.String):
            length = type_.length
            return "CHAR" if length is None else f"CHAR({length})"
        if isinstance(type_, sqltypes.LargeBinary):
            return "BINARY"
        return type_.ddl(self.dialect)

    def insert_suffix(self, stmt: dml.Insert) -> str:
        pairs = stmt._on_duplicate if isinstance(stmt, MySQLInsert) else None
        if not pairs:
            return ""
        sets = ", ".join(
            f"{self.dialect.quote(col.name)} = {self.process(value)}"  # type: ignore[attr-defined]
            for col, value in pairs
        )
        return f" ON DUPLICATE KEY UPDATE {sets}"


def _varchar(type_: Any) -> str:
    if type_.length is None:
        raise exc.CompileError(
            "VARCHAR requires a length on MySQL/MariaDB; give the column a length, e.g. "
            "String(50), or use Text for unbounded text"
        )
    name = f"VARCHAR({type_.length})"
    return f"{name} COLLATE {type_.collation}" if type_.collation else name


def _numeric(type_: Any) -> str:
    if type_.precision is None:
        # bare DECIMAL is DECIMAL(10, 0) on MySQL and would drop every fraction; take the
        # widest exact type instead (35 integer digits, 30 decimal places)
        return "DECIMAL(65, 30)"
    if type_.scale is None:
        return f"DECIMAL({type_.precision})"
    return f"DECIMAL({type_.precision}, {type_.scale})"


def _word(value: Any) -> str:
    """A table option value (ENGINE=, CHARSET=, COLLATE=): one identifier-like word."""
    text = str(value)
    if not text.replace("_", "").isalnum():
        raise exc.CompileError(f"table option value {value!r} must be one word")
    return text


class MySQLDDLCompiler(DDLCompiler):
    """MySQL DDL: AUTO_INCREMENT, utf8mb4 tables, VARCHAR + CHECK for Enum."""

    def create_sequence(self, sequence: Any) -> str:
        if sequence.data_type is not None:
            raise exc.CompileError(
                f"sequence {sequence.name}: {self.dialect.name} has no typed sequences; leave "
                "Sequence(data_type=...) out"
            )
        parts = [f"CREATE SEQUENCE {self.sequence_name(sequence)}"]
        return " ".join(parts + sequence.numbering_sql(no_cycle="NOCYCLE"))

    def column_type(self, column: Column) -> str:
        type_ = column.type
        if (
            isinstance(type_, sqltypes.String)
            and not isinstance(type_, sqltypes.Text | sqltypes.Enum | sqltypes.CHAR)
            and type_.length is None
        ):
            table = column.table.name if column.table is not None else "?"
            raise exc.CompileError(
                f"column {table}.{column.name}: VARCHAR requires a length on "
                f"{self.dialect.name}; declare it as String(n), e.g. String(255), or use "
                "Text for unbounded text"
            )
        return super().column_type(column)

    def column_spec(self, column: Column) -> str:
        spec = super().column_spec(column)
        if (
            column._autoincrement_eligible
            and isinstance(column.type, sqltypes.Integer)
            and not column.numbered_by_sequence(self.dialect)
        ):
            spec += " AUTO_INCREMENT"  # (an Identity too: MySQL has no other numbering)
        type_ = column.type
        if isinstance(type_, sqltypes.Enum):
            values = ", ".join(sqltypes.String().literal_sql(v) for v in type_.values)
            spec += f" CHECK ({self.quote(column.name)} IN ({values}))"
        if column.comment:
            spec += f" COMMENT {sqltypes.String().literal_sql(column.comment)}"
        return spec

    comments = "inline"

    def table_options(self, table: Any) -> str:
        options = table.dialect_options

        def option(name: str) -> Any:
            return options.get(f"mariadb_{name}", options.get(f"mysql_{name}"))

        engine, collate = option("engine"), option("collate")
        charset = option("default_charset") or option("charset") or "utf8mb4"
        text = f" ENGINE={_word(engine)}" if engine else ""
        text += f" DEFAULT CHARSET={_word(charset)}"
        if collate:
            text += f" COLLATE={_word(collate)}"
        if table.comment:
            text += f" COMMENT={sqltypes.String().literal_sql(table.comment)}"
        return text

    def constraint_tail(self, constraint: Any) -> str:
        if constraint.match is not None:
            raise exc.CompileError(
                f"{self.dialect.name} ignores MATCH and, given it, also ignores the foreign "
                "key's ON UPDATE/ON DELETE; leave match= out"
            )
        return super().constraint_tail(constraint)

    def drop_index(self, index: Index) -> str:
        assert index.name is not None and index.table is not None
        return f"DROP INDEX {self.quote(index.name)} ON {self.table_name(index.table)}"


class MySQLDialect(MySQLReflection, DefaultDialect):
    """MySQL on PyMySQL; a MariaDB server is detected on connect (see MariaDBDialect)."""

    name = "mysql"
    driver = "pymysql"
    extra = "mysql"
    paramstyle = "format"
    identifier_quote = "`"
    max_identifier_length = 64
    supports_native_boolean = False  # BOOL is TINYINT(1): 0/1 come back, made bool
    supports_native_decimal = True
    integer_division_truncates = False  # 1 / 2 is 0.5000, a DECIMAL
    exact_string_equality = False  # default collations fold case, accents, trailing spaces
    supports_native_datetime = True
    supports_native_uuid = False
    supports_native_interval = False
    supports_native_json = False  # PyMySQL hands JSON back as text
    supports_nulls_ordering = False
    supports_is_distinct_from = False
    supports_aggregate_filter = False
    supports_server_side_cursors = True
    server_side_cursor_holds_connection = True
    supports_timezone_datetime = False
    time_as_timedelta = True
    insert_returning = False
    update_returning = False
    delete_returning = False
    default_values_sql = "() VALUES ()"
    statement_compiler = MySQLCompiler
    ddl_compiler = MySQLDDLCompiler
    is_mariadb = False
    type_ddl = {
        sqltypes.String: _varchar,
        sqltypes.CHAR: lambda t: "CHAR" if t.length is None else f"CHAR({t.length})",
        sqltypes.Text: lambda t: "TEXT",
        sqltypes.Enum: lambda t: f"VARCHAR({t.length})",
        sqltypes.Boolean: lambda t: "BOOL",
        sqltypes.Numeric: _numeric,
        # FLOAT is four bytes on MySQL; a Python float needs eight
        sqltypes.Float: lambda t: "DOUBLE",
        sqltypes.DateTime: lambda t: "DATETIME(6)",
        sqltypes.Time: lambda t: "TIME(6)",
        sqltypes.LargeBinary: lambda t: "LONGBLOB" if t.length is None else f"BLOB({t.length})",
        sqltypes.JSON: lambda t: "JSON",
    }

    def quote(self, name: str) -> str:
        if name.lower() in _MYSQL_RESERVED:
            return "`" + name.replace("`", "``") + "`"
        return super().quote(name)

    def __init__(self, dbapi: Any = None, **kw: Any) -> None:
        super().__init__(dbapi, **kw)
        self.paramstyle = "format"  # PyMySQL says pyformat; %s keeps ormkit's positional order
        self.server_version: tuple[int, ...] = ()
        self._isolation_variable = "@@transaction_isolation"

    @classmethod
    def import_dbapi(cls) -> Any:
        import pymysql  # type: ignore[import-untyped]

        return pymysql

    def create_connect_args(self, url: URL) -> tuple[list[Any], dict[str, Any]]:
        from pymysql.constants import CLIENT  # type: ignore[import-untyped]

        params = url.translate_connect_args(username="user")
        params.update({k: v for k, v in url.query.items()})
        if "port" in params:
            params["port"] = int(params["port"])
        params.setdefault("charset", "utf8mb4")
        params.setdefault("connect_timeout", 10)
        # rowcount = rows matched by UPDATE (as everywhere else), not only rows changed
        params["client_flag"] = int(params.get("client_flag", 0)) | CLIENT.FOUND_ROWS
        params["autocommit"] = False
        return [], params

    def default_pool_class(self, url: URL) -> type[Pool]:
        """A queue pool: connections to a server are worth keeping."""
        return QueuePool

    def on_connect(self, dbapi_connection: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT VERSION(), @@SESSION.sql_mode")
            version, sql_mode = cursor.fetchone()
            modes = [m for m in str(sql_mode).split(",") if m]
            missing = [m for m in _SQL_MODES if m not in modes]
            if missing:
                cursor.execute("SET SESSION sql_mode = %s", (",".join(modes + missing),))
            if not self.server_version:
                self._learn_server(str(version), cursor)
        finally:
            cursor.close()
        super().on_connect(dbapi_connection)

    def _learn_server(self, version: str, cursor: Any) -> None:
        """Set the flags that depend on the server: MariaDB or MySQL, and which release."""
        self.server_version = tuple(int(p) for p in re.findall(r"\d+", version)[:3])
        self.is_mariadb = "mariadb" in version.lower()
        if self.is_mariadb:
            # DELETE ... RETURNING arrived in MariaDB 10.0.5, INSERT ... RETURNING in 10.5;
            # UPDATE has none
            self.insert_returning = self.server_version >= (10, 5)
            self.supports_sequences = self.server_version >= (10, 3)
            self.delete_returning = self.server_version >= (10, 0, 5)
            self.update_returning = False
            if self.server_version < (11, 1):
                self._isolation_variable = "@@tx_isolation"
        cursor.execute(f"SELECT {self._isolation_variable}")
        self.default_isolation_level = str(cursor.fetchone()[0]).replace("-", " ").upper()

    # -- isolation and transactions ---------------------------------------------------------

    def set_isolation_level(self, dbapi_connection: Any, level: str) -> None:
        if level == "AUTOCOMMIT":
            dbapi_connection.autocommit(True)
            return
        dbapi_connection.autocommit(False)
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"SET SESSION TRANSACTION ISOLATION LEVEL {level}")
        finally:
            cursor.close()

    def reset_isolation_level(self, dbapi_connection: Any) -> None:
        level = self.isolation_level or self.default_isolation_level
        if level is not None:
            self.set_isolation_level(dbapi_connection, level)

    def get_isolation_level(self, dbapi_connection: Any) -> str:
        if dbapi_connection.get_autocommit():
            return "AUTOCOMMIT"
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"SELECT {self._isolation_variable}")
            return str(cursor.fetchone()[0]).replace("-", " ").upper()
        finally:
            cursor.close()

    def do_ping(self, dbapi_connection: Any) -> bool:
        try:
            dbapi_connection.ping(reconnect=False)
        except Exception as err:
            if self.is_disconnect(err, dbapi_connection):
                return False
            raise
        return True

    def create_cursor(self, dbapi_connection: Any, server_side: bool = False) -> Any:
        if not server_side:
            return dbapi_connection.cursor()
        from pymysql.cursors import SSCursor  # type: ignore[import-untyped]

        # unbuffered: rows are read off the socket as fetched; the result must be read to
        # the end or closed before the connection runs anything else
        return dbapi_connection.cursor(SSCursor)

    # -- errors -----------------------------------------------------------------------------

    def _code(self, error: BaseException) -> int | None:
        args = getattr(error, "args", ())
        return args[0] if args and isinstance(args[0], int) else None

    def is_disconnect(self, error: BaseException, dbapi_connection: Any = None) -> bool:
        dbapi = self.dbapi
        if dbapi is None or not isinstance(error, dbapi.Error):  # type: ignore[attr-defined]
            return False
        if self._code(error) in _DISCONNECT_CODES:
            return True
        # PyMySQL raises InterfaceError when used after its socket closed; ``open`` says so
        return (
            isinstance(error, dbapi.InterfaceError)  # type: ignore[attr-defined]
            and dbapi_connection is not None
            and not dbapi_connection.open
        )

    def is_retryable(self, error: BaseException) -> bool:
        return self._code(error) in _RETRYABLE_CODES

    def wrap_dbapi_error(
        self, error: BaseException, statement: str | None, params: Any, invalidated: bool = False
    ) -> exc.DBAPIError | None:
        wrapped = super().wrap_dbapi_error(error, statement, params, invalidated)
        if wrapped is None:
            return None
        code = self._code(error)
        if code in _INTEGRITY_CODES and not isinstance(wrapped, exc.IntegrityError):
            wrapped = exc.IntegrityError(wrapped.message, statement, params, error, invalidated)
        if code == 1364:
            wrapped.message += (
                "; a NOT NULL column without a default got no value: give it one, or a default"
            )
        if invalidated:
            wrapped.message += (
                "\n(the connection to the server was lost and has been discarded; the open "
                "transaction was not committed)"
            )
        return wrapped

    def do_execute(self, cursor: Any, statement: str, parameters: Any) -> None:
        try:
            cursor.execute(statement, parameters)
        except TypeError as err:
            raise self._unbindable(err) from err

    def do_executemany(self, cursor: Any, statement: str, parameters: Any) -> None:
        try:
            cursor.executemany(statement, parameters)
        except TypeError as err:
            raise self._unbindable(err) from err

    def _unbindable(self, err: TypeError) -> BaseException:
        """PyMySQL raises TypeError for a value it cannot escape; other drivers raise their
        ProgrammingError, which ormkit wraps with the parameter's name and a fix."""
        assert self.dbapi is not None
        return self.dbapi.ProgrammingError(f"cannot send the value: {err}")  # type: ignore[attr-defined,no-any-return]

    def type_from_ddl(self, ddl: str) -> Any:
        name = ddl.lower().strip()
        if name.startswith("tinyint(1)") or name in ("bool", "boolean"):
            return sqltypes.Boolean()
        base = re.sub(r"\s+unsigned.*$", "", name)
        head = base.split("(")[0]
        if head in ("tinyint", "mediumint"):
            return sqltypes.Integer()
        if head in ("int", "integer", "bigint", "smallint"):
            return super().type_from_ddl(head)
        if head in ("longtext", "mediumtext", "tinytext"):
            return sqltypes.Text()
        if head in ("longblob", "mediumblob", "tinyblob", "varbinary", "binary"):
            return sqltypes.LargeBinary()
        if head == "double":
            return sqltypes.Double()
        return super().type_from_ddl(base)


class MariaDBDialect(MySQLDialect):
    """MariaDB on PyMySQL: INSERT ... RETURNING (10.5+), DELETE ... RETURNING (10.0.5+), no FOR
    UPDATE OF."""

    name = "mariadb"
    is_mariadb = True
    insert_returning = True
    delete_returning = True
    update_returning = False
