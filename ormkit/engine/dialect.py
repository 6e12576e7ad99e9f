"""The default dialect: how to connect, run statements and read errors, with documented flags.

A database's dialect subclasses ``DefaultDialect``: it names its driver, turns a URL into
connect arguments, says how to begin, commit and ping, maps driver errors, and reflects
tables. The SQL-rendering flags it inherits from ``sql.compiler.GenericDialect``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from ormkit import exc
from ormkit.engine.events import DIALECT_EVENTS
from ormkit.engine.interfaces import DBAPIModule
from ormkit.event.registry import Dispatch, subclass_dispatch
from ormkit.sql.compiler import GenericDialect

if TYPE_CHECKING:
    from ormkit.engine.base import Connection
    from ormkit.engine.url import URL
    from ormkit.sql.schema import Table


class DefaultDialect(GenericDialect):
    """A database plus its driver: connecting, executing, errors, isolation and reflection."""

    #: The driver's name, as in ``postgresql+psycopg``.
    driver: ClassVar[str] = ""
    #: The pip extra that installs the driver.
    extra: ClassVar[str | None] = None
    #: Isolation level names this database accepts (upper case, spaces).
    isolation_levels: ClassVar[frozenset[str]] = frozenset(
        {"SERIALIZABLE", "REPEATABLE READ", "READ COMMITTED", "READ UNCOMMITTED", "AUTOCOMMIT"}
    )
    #: The ``rowcount`` of an UPDATE/DELETE counts matched rows (not only changed ones).
    supports_sane_rowcount: ClassVar[bool] = True
    #: ``executemany`` reports the total rowcount.
    supports_sane_multi_rowcount: ClassVar[bool] = True
    #: Savepoints work.
    supports_savepoints: ClassVar[bool] = True
    #: ``cursor.lastrowid`` gives the generated key of a one-row INSERT.
    postfetch_lastrowid: ClassVar[bool] = True
    #: ``stream_results`` / ``yield_per`` read rows through a server-side cursor.
    supports_server_side_cursors: ClassVar[bool] = False
    #: An open server-side cursor keeps its connection from running another statement until
    #: its rows are read (MySQL's unbuffered cursors): the Connection buffers them first.
    server_side_cursor_holds_connection: ClassVar[bool] = False
    #: Most parameters one statement may have (SQLite's limit; PostgreSQL and MySQL take
    #: 65535): a multi-row INSERT takes fewer rows when its rows would need more.
    insertmanyvalues_max_parameters: ClassVar[int] = 32766
    #: The isolation level a fresh connection has (read from the first one, when known).
    default_isolation_level: str | None = None
    #: The listeners of every dialect of this class (each subclass has its own child).
    class_dispatch: ClassVar[Dispatch] = Dispatch(DIALECT_EVENTS)

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        cls.class_dispatch = subclass_dispatch(cls)

    def __init__(
        self,
        dbapi: DBAPIModule | None = None,
        *,
        isolation_level: str | None = None,
        json_serializer: Any = None,
        json_deserializer: Any = None,
        **kw: Any,
    ) -> None:
        super().__init__()
        #: This dialect's listeners (an engine's dialect events): its class's, then its own.
        self.dispatch = type(self).class_dispatch.child(self)
        if kw:
            raise exc.ArgumentError(
                f"the {self.name} dialect got unknown argument(s): {', '.join(sorted(kw))}"
            )
        self.dbapi = dbapi
        if dbapi is not None:
            self.paramstyle = dbapi.paramstyle
        self.isolation_level = self.normalize_isolation_level(isolation_level)
        if json_serializer is not None:
            self.json_serializer = json_serializer
        if json_deserializer is not None:
            self.json_deserializer = json_deserializer

    @classmethod
    def import_dbapi(cls) -> DBAPIModule:
        """Import the driver module; only called when connecting."""
        raise NotImplementedError  # every dialect names its own driver

    @classmethod
    def load_dbapi(cls) -> DBAPIModule:
        """The driver module, or a NoSuchModuleError naming the extra to install."""
        try:
            return cls.import_dbapi()
        except ImportError as err:
            hint = f"pip install 'ormkit[{cls.extra}]'" if cls.extra else f"install {cls.driver}"
            raise exc.NoSuchModuleError(
                f"the {cls.name} dialect needs the {cls.driver!r} driver, which is not "
                f"installed ({err}); {hint}"
            ) from err

    def normalize_isolation_level(self, level: str | None) -> str | None:
        """``level`` in canonical form, or an ArgumentError listing the valid ones."""
        if level is None:
            return None
        canonical = " ".join(level.replace("_", " ").upper().split())
        if canonical not in self.isolation_levels:
            raise exc.ArgumentError(
                f"invalid isolation level {level!r} for {self.name}; use one of "
                f"{', '.join(sorted(self.isolation_levels))}"
            )
        return canonical

    # -- connecting -------------------------------------------------------------------------

    def create_connect_args(self, url: URL) -> tuple[list[Any], dict[str, Any]]:
        """Positional and keyword arguments for the driver's ``connect()``."""
        return [], url.translate_connect_args()

    def connect(self, *cargs: Any, **cparams: Any) -> Any:
        """Open a driver connection."""
        assert self.dbapi is not None
        return self.dbapi.connect(*cargs, **cparams)

    def on_connect(self, dbapi_connection: Any) -> None:
        """Prepare a fresh driver connection (pragmas, session settings, isolation level)."""
        if self.isolation_level is not None:
            self.set_isolation_level(dbapi_connection, self.isolation_level)

    def set_isolation_level(self, dbapi_connection: Any, level: str) -> None:
        """Set the isolation level for the transactions of one connection."""
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL {level}")
        finally:
            cursor.close()

    def get_isolation_level(self, dbapi_connection: Any) -> str:
        """The isolation level of one connection."""
        raise exc.InvalidRequestError(f"{self.name} cannot report its isolation level")

    def reset_isolation_level(self, dbapi_connection: Any) -> None:
        """Put back the engine's (or the server's default) level before pooling a connection."""
        level = self.isolation_level or self.default_isolation_level
        if level is not None:
            self.set_isolation_level(dbapi_connection, level)

    def create_cursor(self, dbapi_connection: Any, server_side: bool = False) -> Any:
        """A cursor; ``server_side`` asks for one that streams rows from the server."""
        return dbapi_connection.cursor()

    # -- transactions and execution ---------------------------------------------------------

    def do_begin(self, dbapi_connection: Any) -> None:
        """Start a transaction (drivers that begin implicitly do nothing here)."""

    def do_commit(self, dbapi_connection: Any) -> None:
        """Commit the connection's transaction."""
        dbapi_connection.commit()

    def do_rollback(self, dbapi_connection: Any) -> None:
        """Roll back the connection's transaction."""
        dbapi_connection.rollback()

    def do_reset(self, dbapi_connection: Any) -> None:
        """Undo anything left open before the pool takes the connection back."""
        dbapi_connection.rollback()

    def do_savepoint(self, connection: Connection, name: str) -> None:
        """``SAVEPOINT name``."""
        connection.exec_driver_sql(f"SAVEPOINT {self.quote(name)}")

    def do_release_savepoint(self, connection: Connection, name: str) -> None:
        """``RELEASE SAVEPOINT name``."""
        connection.exec_driver_sql(f"RELEASE SAVEPOINT {self.quote(name)}")

    def do_rollback_to_savepoint(self, connection: Connection, name: str) -> None:
        """``ROLLBACK TO SAVEPOINT name``."""
        connection.exec_driver_sql(f"ROLLBACK TO SAVEPOINT {self.quote(name)}")

    def do_execute(self, cursor: Any, statement: str, parameters: Any) -> None:
        """Run one statement."""
        cursor.execute(statement, parameters)

    def do_executemany(self, cursor: Any, statement: str, parameters: Sequence[Any]) -> None:
        """Run one statement once per parameter set."""
        cursor.executemany(statement, parameters)

    def do_execute_no_params(self, cursor: Any, statement: str) -> None:
        """Run one statement without parameters (the ``no_parameters`` execution option:
        the driver then leaves ``%`` in the SQL alone)."""
        cursor.execute(statement)

    def do_ping(self, dbapi_connection: Any) -> bool:
        """True when the connection still answers."""
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("SELECT 1")
                cursor.fetchall()
            finally:
                cursor.close()
        except Exception as err:
            if self.is_disconnect(err, dbapi_connection):
                return False
            raise
        return True

    def is_disconnect(self, error: BaseException, dbapi_connection: Any = None) -> bool:
        """True when ``error`` means the connection is gone.

        Decided by the driver's error class and code and by the connection's own state
        (``dbapi_connection``, when known), never by the message text: a message can quote
        user data ("terminating connection" in a failing value, "closed database" in a table
        name) that must not cost a healthy connection its transaction.
        """
        return False

    def is_retryable(self, error: BaseException) -> bool:
        """True when ``error`` is a deadlock or serialization failure worth retrying."""
        return False

    # -- errors -----------------------------------------------------------------------------

    def wrap_dbapi_error(
        self, error: BaseException, statement: str | None, params: Any, invalidated: bool = False
    ) -> exc.DBAPIError | None:
        """The ormkit error for a driver error, or None when it is not a driver error."""
        dbapi = self.dbapi
        if dbapi is None:
            return None
        for name, cls in exc.DBAPI_ERROR_CLASSES:
            driver_cls = getattr(dbapi, name, None)
            if driver_cls is not None and isinstance(error, driver_cls):
                message = f"({type(error).__module__}.{type(error).__name__}) {error}"
                retryable = self.is_retryable(error)
                if retryable:
                    # a deadlock or serialization failure is an operational condition
                    # whatever class the driver gave it
                    cls = exc.OperationalError
                    message += (
                        "\n(the transaction was rolled back by the database; it can be "
                        "retried: roll back, then run the whole transaction again)"
                    )
                wrapped = cls(message, statement, params, error, invalidated)
                wrapped.retryable = retryable
                return wrapped
        return None

    # -- reflection -------------------------------------------------------------------------

    def has_table(self, connection: Connection, table_name: str, schema: str | None = None) -> bool:
        """True when the table exists."""
        return table_name in self.get_table_names(connection, schema)

    def has_sequence(
        self, connection: Connection, sequence_name: str, schema: str | None = None
    ) -> bool:
        """True when the sequence exists (never, on a database without sequences)."""
        return False

    def get_sequence_names(self, connection: Connection, schema: str | None = None) -> list[str]:
        """Names of the sequences in ``schema`` (none, on a database without sequences)."""
        return []

    def get_table_names(self, connection: Connection, schema: str | None = None) -> list[str]:
        """Names of the tables in ``schema`` (the default schema when None)."""
        raise exc.InvalidRequestError(f"{self.name} cannot list tables")

    def get_columns(
        self, connection: Connection, table_name: str, schema: str | None = None
    ) -> list[dict[str, Any]]:
        """Column descriptions: name, type, nullable, default, primary_key."""
        raise exc.InvalidRequestError(f"{self.name} cannot reflect columns")

    def get_pk_constraint(
        self, connection: Connection, table_name: str, schema: str | None = None
    ) -> dict[str, Any]:
        """``{"name": ..., "constrained_columns": [...]}``."""
        raise exc.InvalidRequestError(f"{self.name} cannot reflect primary keys")

    def get_foreign_keys(
        self, connection: Connection, table_name: str, schema: str | None = None
    ) -> list[dict[str, Any]]:
        """Foreign key descriptions."""
        raise exc.InvalidRequestError(f"{self.name} cannot reflect foreign keys")

    def get_indexes(
        self, connection: Connection, table_name: str, schema: str | None = None
    ) -> list[dict[str, Any]]:
        """Index descriptions: name, column_names, unique."""
        raise exc.InvalidRequestError(f"{self.name} cannot reflect indexes")

    def reflect_table(self, connection: Connection, table: Table) -> None:
        """Fill ``table`` with the columns, keys and indexes the database has for it."""
        from ormkit.sql.schema import Column, ForeignKeyConstraint, Index

        if not self.has_table(connection, table.name, table.schema):
            raise exc.NoSuchTableError(f"table {table.name!r} does not exist in the database")
        pk = set(
            self.get_pk_constraint(connection, table.name, table.schema)["constrained_columns"]
        )
        for info in self.get_columns(connection, table.name, table.schema):
            if info["name"] in table.c:
                continue
            table.append_column(
                Column(
                    info["name"],
                    info["type"],
                    primary_key=info["name"] in pk,
                    nullable=info["nullable"],
                    server_default=info.get("default"),
                )
            )
        for fk in self.get_foreign_keys(connection, table.name, table.schema):
            prefix = f"{fk['referred_schema']}." if fk.get("referred_schema") else ""
            referred_key = f"{prefix}{fk['referred_table']}"
            if referred_key not in table.metadata.tables:
                # the tables a foreign key points at are reflected too, so fk.column resolves
                from ormkit.sql.schema import Table

                Table(
                    fk["referred_table"],
                    table.metadata,
                    schema=fk.get("referred_schema"),
                    autoload_with=connection,
                )
            table.append_constraint(
                ForeignKeyConstraint(
                    fk["constrained_columns"],
                    [f"{prefix}{fk['referred_table']}.{c}" for c in fk["referred_columns"]],
                    name=fk.get("name"),
                )
            )
        for index in self.get_indexes(connection, table.name, table.schema):
            Index(
                index["name"], *[table.c[c] for c in index["column_names"]], unique=index["unique"]
            )._set_parent(table)

    def type_from_ddl(self, ddl: str) -> Any:
        """The ormkit type for a column type name found by reflection."""
        from ormkit.sql import types as t

        name = ddl.upper().strip()
        base, _, args = name.partition("(")
        numbers = [int(a) for a in args.rstrip(")").split(",") if a.strip().isdigit()]
        base = base.strip()
        table: Mapping[str, Any] = {
            "INTEGER": t.Integer,
            "INT": t.Integer,
            "SMALLINT": t.SmallInteger,
            "BIGINT": t.BigInteger,
            "BOOLEAN": t.Boolean,
            "BOOL": t.Boolean,
            "REAL": t.Float,
            "FLOAT": t.Float,
            "DOUBLE": t.Double,
            "DOUBLE PRECISION": t.Double,
            "NUMERIC": t.Numeric,
            "DECIMAL": t.Numeric,
            "TEXT": t.Text,
            "CLOB": t.Text,
            "VARCHAR": t.String,
            "CHARACTER VARYING": t.String,
            "CHAR": t.CHAR,
            "NVARCHAR": t.String,
            "DATE": t.Date,
            "DATETIME": t.DateTime,
            "TIMESTAMP": t.DateTime,
            "TIME": t.Time,
            "BLOB": t.LargeBinary,
            "BYTEA": t.LargeBinary,
            "JSON": t.JSON,
            "JSONB": t.JSON,
            "UUID": t.Uuid,
            "INTERVAL": t.Interval,
        }
        cls = table.get(base)
        if cls is None:
            return t.NullType()
        if cls in (t.String, t.CHAR) and numbers:
            return cls(numbers[0])
        if cls is t.Numeric and numbers:
            return t.Numeric(numbers[0], numbers[1] if len(numbers) > 1 else None)
        return cls()
