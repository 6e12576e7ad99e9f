"""SQLite through the standard library's ``sqlite3``, with ormkit in charge of transactions.

The module's own implicit transaction handling is switched off (``isolation_level=None``), so
BEGIN is sent exactly when an ormkit transaction begins, DDL is transactional and savepoints
behave. Foreign keys are enforced on every connection.

Databases open in WAL mode (``?journal_mode=delete`` in the URL keeps the rollback journal):
a session that has read something never blocks another one's commit, and writers wait for
each other (``?timeout=`` seconds, 5 by default) instead of failing.

In WAL mode a transaction reads one snapshot from its first statement on. When another
connection has committed since, or is writing, SQLite refuses that transaction's first write
at once ("database is locked": SQLITE_BUSY_SNAPSHOT, or SQLITE_BUSY without waiting, since
waiting cannot make an old snapshot current). Such a transaction has changed nothing yet, so
the dialect rolls it back, begins it again (re-opening its savepoints) and runs the write as
its first statement, which waits for the lock and works on the current data: an UPDATE of a
row another session deleted then matches no row (the ORM raises StaleDataError), as on the
other databases and as with SQLAlchemy. Reads before the first write keep their snapshot;
from the first write on, the transaction holds the write lock. So, as under PostgreSQL's
default READ COMMITTED, a value read before the first write may have changed by then: let
the UPDATE compute a new value from the old one in SQL (``values(n=t.c.n + 1)``). A write
that already waited the whole busy timeout is tried once more this way, so it may wait twice
as long. A transaction that may have written (rows changed, temporary objects, attached
databases) is never begun again: the error stands, marked retryable.

``sqlite://`` (and ``sqlite:///:memory:``) is one private database per engine, shared by all
its connections, threads and sessions: a temporary file in memory-backed ``/dev/shm`` where
there is one, removed when the engine is garbage-collected. SQLite's own shared-cache memory
databases were the other choice; they fail at once ("database table is locked") whenever two
connections overlap, which two sessions routinely do.
"""

from __future__ import annotations

import logging
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

log = logging.getLogger("ormkit.dialects.sqlite")

#: SQLite's result codes for a write refused the lock: SQLITE_BUSY (another connection is
#: writing) and SQLITE_BUSY_SNAPSHOT (another connection committed after this one's snapshot)
_REFUSED_WRITE = frozenset({5, 517})


class _OpenTransaction:
    """What beginning a transaction again needs: its row-change count and open savepoints."""

    __slots__ = ("changes", "savepoints")

    def __init__(self, changes: int) -> None:
        self.changes = changes
        self.savepoints: list[str] = []


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
    binary_string_ordering = True  # the default BINARY collation compares bytes
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
        #: id(driver connection) -> its transaction begun by do_begin, while open
        self._open: dict[int, _OpenTransaction] = {}

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
        """Remove the private database of ``sqlite://`` when the engine goes away: with its
        pool, which the copies ``Engine.execution_options()`` makes share."""
        if self._temp_dir is not None:
            weakref.finalize(pool, shutil.rmtree, self._temp_dir, True)

    def on_connect(self, dbapi_connection: Any) -> None:
        self._open.pop(id(dbapi_connection), None)  # left by a dead connection of the same id
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
        self._open[id(dbapi_connection)] = _OpenTransaction(dbapi_connection.total_changes)

    def do_commit(self, dbapi_connection: Any) -> None:
        self._open.pop(id(dbapi_connection), None)
        dbapi_connection.commit()

    def do_rollback(self, dbapi_connection: Any) -> None:
        self._open.pop(id(dbapi_connection), None)
        dbapi_connection.rollback()

    def do_reset(self, dbapi_connection: Any) -> None:
        self._open.pop(id(dbapi_connection), None)
        if dbapi_connection.in_transaction:
            dbapi_connection.rollback()

    def do_savepoint(self, connection: Connection, name: str) -> None:
        super().do_savepoint(connection, name)
        transaction = self._open.get(id(connection.connection.dbapi_connection))
        if transaction is not None:
            transaction.savepoints.append(name)

    def do_release_savepoint(self, connection: Connection, name: str) -> None:
        super().do_release_savepoint(connection, name)
        self._forget_savepoints(connection, name, keep=False)

    def do_rollback_to_savepoint(self, connection: Connection, name: str) -> None:
        super().do_rollback_to_savepoint(connection, name)
        self._forget_savepoints(connection, name, keep=True)  # ROLLBACK TO keeps it open

    def _forget_savepoints(self, connection: Connection, name: str, keep: bool) -> None:
        transaction = self._open.get(id(connection.connection.dbapi_connection))
        if transaction is not None and name in transaction.savepoints:
            del transaction.savepoints[transaction.savepoints.index(name) + keep :]

    def do_execute(self, cursor: Any, statement: str, parameters: Any) -> None:
        try:
            cursor.execute(statement, parameters)
        except Exception as err:  # only a refused write lock is handled; see _begin_again
            if not self._begin_again(cursor.connection, err):
                raise
            cursor.execute(statement, parameters)

    def do_executemany(self, cursor: Any, statement: str, parameters: Any) -> None:
        try:
            cursor.executemany(statement, parameters)
        except Exception as err:  # only a refused write lock is handled; see _begin_again
            if not self._begin_again(cursor.connection, err):
                raise
            cursor.executemany(statement, parameters)

    def _begin_again(self, dbapi_connection: Any, error: BaseException) -> bool:
        """After a write was refused the lock, begin the transaction again and say True.

        See the module docstring. Only a transaction that cannot have written anything is
        begun again: one that changed no rows, in a database with no temporary objects and
        nothing attached (a write there takes no lock on the main database).
        """
        if getattr(error, "sqlite_errorcode", None) not in _REFUSED_WRITE:
            return False
        transaction = self._open.get(id(dbapi_connection))
        if transaction is None or dbapi_connection.total_changes != transaction.changes:
            return False
        databases = dbapi_connection.execute("PRAGMA database_list").fetchall()
        if any(name not in ("main", "temp") for _, name, *_ in databases):
            return False
        if dbapi_connection.execute("SELECT 1 FROM temp.sqlite_master LIMIT 1").fetchall():
            return False
        log.debug("write refused the lock (%s); beginning the transaction again", error)
        try:
            dbapi_connection.execute("ROLLBACK")
            # the write is now the transaction's first statement: SQLite waits for the lock
            # (up to the busy timeout) and takes the snapshot with it, which cannot be stale
            dbapi_connection.execute("BEGIN")
            for name in transaction.savepoints:
                dbapi_connection.execute(f"SAVEPOINT {self.quote(name)}")
        except BaseException:
            self._open.pop(id(dbapi_connection), None)
            if dbapi_connection.in_transaction:
                dbapi_connection.rollback()
            raise
        return True

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
