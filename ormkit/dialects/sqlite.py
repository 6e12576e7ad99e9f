"""SQLite through the standard library's ``sqlite3``, with ormkit in charge of transactions.

The module's own implicit transaction handling is switched off (``isolation_level=None``), so
BEGIN is sent exactly when an ormkit transaction begins, DDL is transactional and savepoints
behave. Foreign keys are enforced on every connection.

Databases open in WAL mode (``?journal_mode=delete`` in the URL keeps the rollback journal):
a session that has read something never blocks another one's commit, and writers wait for
each other (``?timeout=`` seconds, 5 by default) instead of failing.

``sqlite://`` (and ``sqlite:///:memory:``) is one private database per engine, shared by all
its connections, threads and sessions: a temporary file in memory-backed ``/dev/shm`` where
there is one, removed when the engine is garbage-collected. SQLite's own shared-cache memory
databases were the other choice; they fail at once ("database table is locked") whenever two
connections overlap, which two sessions routinely do.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from typing import TYPE_CHECKING, Any

from ormkit import exc
from ormkit.engine.dialect import DefaultDialect
from ormkit.engine.pool import Pool, QueuePool
from ormkit.sql import compiler
from ormkit.sql import types as sqltypes
from ormkit.sql.ddl import DDLCompiler
from ormkit.sql.schema import Column, Table

if TYPE_CHECKING:
    from ormkit.engine.base import Connection, Engine
    from ormkit.engine.url import URL
    from ormkit.sql.selectable import SelectBase


class SQLiteCompiler(compiler.Compiler):
    """SQLite's spellings: LIMIT -1 for an OFFSET alone, CURRENT_TIMESTAMP for now()."""

    function_names = {"now": "CURRENT_TIMESTAMP"}
    operator_renderers = {
        "ilike": lambda c, b, left, right: f"lower({left}) LIKE lower({right})",
        "not_ilike": lambda c, b, left, right: f"lower({left}) NOT LIKE lower({right})",
        "is_distinct_from": lambda c, b, left, right: f"{left} IS NOT {right}",
        "is_not_distinct_from": lambda c, b, left, right: f"{left} IS {right}",
    }

    def limit_clause(self, select: SelectBase) -> str:
        # SQLite accepts OFFSET only after a LIMIT; -1 means no limit
        if select._limit is None:
            return " \nLIMIT -1 OFFSET " + self.process(select._offset)
        return super().limit_clause(select)


class SQLiteDDLCompiler(DDLCompiler):
    """SQLite DDL: the one integer primary key becomes the rowid (INTEGER PRIMARY KEY)."""

    def column_type(self, column: Column) -> str:
        # only the exact name INTEGER makes a column the rowid, so BigInteger keys number too
        if column._autoincrement_eligible and isinstance(column.type, sqltypes.Integer):
            return "INTEGER"
        return super().column_type(column)

    def column_spec(self, column: Column) -> str:
        spec = super().column_spec(column)
        table = column.table
        if (
            isinstance(table, Table)
            and table.dialect_options.get("sqlite_autoincrement")
            and column._autoincrement_eligible
        ):
            spec += " PRIMARY KEY AUTOINCREMENT"
        return spec

    def constraint_spec(self, table: Table, constraint: Any) -> str | None:
        from ormkit.sql.schema import PrimaryKeyConstraint

        if (
            isinstance(constraint, PrimaryKeyConstraint)
            and table.dialect_options.get("sqlite_autoincrement")
            and any(c._autoincrement_eligible for c in constraint.columns)
        ):
            return None  # declared inline with AUTOINCREMENT
        return super().constraint_spec(table, constraint)


class SQLiteDialect(DefaultDialect):
    """SQLite on ``sqlite3``."""

    name = "sqlite"
    driver = "pysqlite"
    paramstyle = "qmark"
    supports_native_boolean = False
    supports_native_decimal = False
    supports_native_datetime = False
    supports_native_uuid = False
    supports_native_interval = False
    supports_for_update = False
    supports_ilike = False
    supports_distinct_on = False
    supports_is_distinct_from = False
    isolation_levels = frozenset({"SERIALIZABLE", "READ UNCOMMITTED", "AUTOCOMMIT"})
    default_isolation_level = "SERIALIZABLE"
    statement_compiler = SQLiteCompiler
    ddl_compiler = SQLiteDDLCompiler
    type_ddl = {
        sqltypes.DateTime: lambda t: "DATETIME",
        sqltypes.Boolean: lambda t: "BOOLEAN",
        sqltypes.Float: lambda t: "FLOAT",
        sqltypes.Double: lambda t: "DOUBLE",
    }

    def __init__(self, dbapi: Any = None, **kw: Any) -> None:
        super().__init__(dbapi, **kw)
        if dbapi is not None:
            version = tuple(int(p) for p in dbapi.sqlite_version.split("."))
            self.sqlite_version = version
            # RETURNING arrived in SQLite 3.35
            returning = version >= (3, 35)
            self.insert_returning = self.update_returning = self.delete_returning = returning

    @classmethod
    def import_dbapi(cls) -> Any:
        import sqlite3

        return sqlite3

    def create_connect_args(self, url: URL) -> tuple[list[Any], dict[str, Any]]:
        if url.username or url.password or url.host or url.port:
            raise exc.ArgumentError(
                f"a SQLite URL takes no user, password, host or port: {url!r}; "
                "use sqlite:///relative.db or sqlite:////absolute/path.db"
            )
        database = url.database or ":memory:"
        params: dict[str, Any] = {"isolation_level": None, "check_same_thread": False}
        query = dict(url.query)
        for key in ("timeout",):
            if key in query:
                params[key] = float(str(query.pop(key)))
        params.setdefault("timeout", 5.0)
        uri = str(query.pop("uri", "false")).lower() == "true" or database.startswith("file:")
        self._journal_mode = str(query.pop("journal_mode", "wal")).upper()
        self._temp_dir: str | None = None
        if database == ":memory:" and not uri:
            shm = "/dev/shm"
            self._temp_dir = tempfile.mkdtemp(
                prefix="ormkit-sqlite-", dir=shm if os.access(shm, os.W_OK) else None
            )
            database = os.path.join(self._temp_dir, "memory.db")
        elif query:
            options = "&".join(f"{k}={v}" for k, v in query.items())
            if uri:
                database += ("&" if "?" in database else "?") + options
            else:
                database = f"file:{database}?{options}"
                uri = True
        params["uri"] = uri
        if "mode=memory" in database or "mode=ro" in database:
            self._journal_mode = ""  # WAL needs a writable file
        return [database], params

    def default_pool_class(self, url: URL) -> type[Pool]:
        """Pooling for SQLite: a queue pool."""
        return QueuePool

    def on_engine_created(self, engine: Engine, pool: Pool) -> None:
        """Remove the private database of ``sqlite://`` when the engine goes away."""
        if self._temp_dir is not None:
            weakref.finalize(engine, shutil.rmtree, self._temp_dir, True)

    def on_connect(self, dbapi_connection: Any) -> None:
        dbapi_connection.execute("PRAGMA foreign_keys = ON")
        if self._journal_mode:
            dbapi_connection.execute(f"PRAGMA journal_mode = {self._journal_mode}")
        if self._temp_dir is not None:
            # a throwaway database needs no protection against power loss
            dbapi_connection.execute("PRAGMA synchronous = OFF")
        super().on_connect(dbapi_connection)

    def set_isolation_level(self, dbapi_connection: Any, level: str) -> None:
        if level == "AUTOCOMMIT":
            return
        value = 1 if level == "READ UNCOMMITTED" else 0
        dbapi_connection.execute(f"PRAGMA read_uncommitted = {value}")

    def get_isolation_level(self, dbapi_connection: Any) -> str:
        row = dbapi_connection.execute("PRAGMA read_uncommitted").fetchone()
        return "READ UNCOMMITTED" if row and row[0] else "SERIALIZABLE"

    def do_begin(self, dbapi_connection: Any) -> None:
        dbapi_connection.execute("BEGIN")

    def do_reset(self, dbapi_connection: Any) -> None:
        if dbapi_connection.in_transaction:
            dbapi_connection.rollback()

    def is_disconnect(self, error: BaseException, dbapi_connection: Any = None) -> bool:
        closed_error = getattr(self.dbapi, "ProgrammingError", None)
        if dbapi_connection is None or closed_error is None or not isinstance(error, closed_error):
            return False
        try:  # any use of a closed sqlite3 connection raises ProgrammingError
            dbapi_connection.in_transaction  # noqa: B018
        except closed_error:
            return True
        return False

    def is_retryable(self, error: BaseException) -> bool:
        return "database is locked" in str(error) or "database table is locked" in str(error)

    # -- reflection -------------------------------------------------------------------------

    def _pragma(
        self, connection: Connection, pragma: str, table: str, schema: str | None
    ) -> list[Any]:
        prefix = f"{self.quote(schema)}." if schema else ""
        quoted = "'" + table.replace("'", "''") + "'"
        return list(connection.exec_driver_sql(f"PRAGMA {prefix}{pragma}({quoted})").fetchall())

    def get_table_names(self, connection: Connection, schema: str | None = None) -> list[str]:
        master = f"{self.quote(schema)}.sqlite_master" if schema else "sqlite_master"
        rows = connection.exec_driver_sql(
            f"SELECT name FROM {master} WHERE type = 'table' AND name NOT LIKE 'sqlite~_%' "
            "ESCAPE '~' ORDER BY name"
        ).fetchall()
        return [r[0] for r in rows]

    def has_table(self, connection: Connection, table_name: str, schema: str | None = None) -> bool:
        return bool(self._pragma(connection, "table_info", table_name, schema))

    def get_columns(
        self, connection: Connection, table_name: str, schema: str | None = None
    ) -> list[dict[str, Any]]:
        columns = []
        for _cid, name, type_name, notnull, default, pk in self._pragma(
            connection, "table_info", table_name, schema
        ):
            columns.append(
                {
                    "name": name,
                    "type": self.type_from_ddl(type_name or ""),
                    "nullable": not notnull and not pk,
                    "default": default,
                    "primary_key": bool(pk),
                }
            )
        return columns

    def get_pk_constraint(
        self, connection: Connection, table_name: str, schema: str | None = None
    ) -> dict[str, Any]:
        rows = self._pragma(connection, "table_info", table_name, schema)
        pk = sorted((r[5], r[1]) for r in rows if r[5])
        return {"name": None, "constrained_columns": [name for _, name in pk]}

    def get_foreign_keys(
        self, connection: Connection, table_name: str, schema: str | None = None
    ) -> list[dict[str, Any]]:
        groups: dict[int, dict[str, Any]] = {}
        for row in self._pragma(connection, "foreign_key_list", table_name, schema):
            fk_id, _seq, table, from_col, to_col, on_update, on_delete = row[:7]
            group = groups.setdefault(
                fk_id,
                {
                    "name": None,
                    "constrained_columns": [],
                    "referred_schema": schema,
                    "referred_table": table,
                    "referred_columns": [],
                    "options": {"onupdate": on_update, "ondelete": on_delete},
                },
            )
            group["constrained_columns"].append(from_col)
            group["referred_columns"].append(to_col)
        return [groups[k] for k in sorted(groups)]

    def get_indexes(
        self, connection: Connection, table_name: str, schema: str | None = None
    ) -> list[dict[str, Any]]:
        indexes = []
        for row in self._pragma(connection, "index_list", table_name, schema):
            name, unique, origin = row[1], bool(row[2]), row[3]
            if origin != "c":  # skip the automatic ones behind UNIQUE and PRIMARY KEY
                continue
            cols = [r[2] for r in self._pragma(connection, "index_info", name, schema)]
            indexes.append({"name": name, "column_names": cols, "unique": unique})
        return sorted(indexes, key=lambda i: i["name"])
