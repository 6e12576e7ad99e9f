"""Engine, Connection and Transaction: running statements on a pooled driver connection.

A Connection begins a transaction by itself on first use (``BEGIN (implicit)`` in the echo
log) and keeps it until ``commit()`` or ``rollback()``: "commit as you go". ``begin()`` and
``begin_nested()`` give explicit transactions and savepoints as context managers.
"""

from __future__ import annotations

import datetime
import decimal
import functools
import logging
import uuid
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, LiteralString

from ormkit import exc
from ormkit.engine import returning
from ormkit.engine.echo import echo_log, enable_echo
from ormkit.engine.pool import PoolProxiedConnection
from ormkit.engine.result import CursorResult, buffered, row_class
from ormkit.sql import cache_key
from ormkit.sql.base import CONNECTION_ONLY, check_supported
from ormkit.sql.compiler import Compiled, compile_statement
from ormkit.sql.ddl import DDLElement
from ormkit.sql.elements import ClauseElement, text
from ormkit.util import LRUCache

if TYPE_CHECKING:
    from ormkit.engine.dialect import DefaultDialect
    from ormkit.engine.pool import Pool, PooledConnection
    from ormkit.engine.url import URL

log = logging.getLogger("ormkit.engine.Engine")


class Engine:
    """A database: a pool of connections, a dialect, and the compiled-statement cache."""

    def __init__(
        self,
        pool: Pool,
        dialect: DefaultDialect,
        url: URL,
        *,
        echo: bool | str | None = None,
        execution_options: Mapping[str, Any] | None = None,
        hide_parameters: bool = False,
        query_cache_size: int = 500,
    ) -> None:
        self.pool = pool
        self.dialect = dialect
        self.url = url
        self.hide_parameters = dialect.hide_parameters = hide_parameters
        self._execution_options = dict(execution_options or {})
        check_supported(self._execution_options)
        self._compiled_cache: LRUCache[Any, Compiled] = LRUCache(query_cache_size)
        #: How many statements were compiled (cache misses); the tests read it.
        self.compile_count = 0
        #: Functions called with (sql, parameters) before each statement; see count_queries.
        self.statement_listeners: list[Any] = []
        self._echo: bool | str | None = None
        self.echo = echo

    @property
    def echo(self) -> bool | str | None:
        """True logs statements and parameters; ``"debug"`` logs rows too; False logs none."""
        return self._echo

    @echo.setter
    def echo(self, value: bool | str | None) -> None:
        self._echo = value
        if value:
            enable_echo(log)

    @property
    def name(self) -> str:
        """The dialect's name (``sqlite``, ``postgresql``, ``mysql``)."""
        return self.dialect.name

    @property
    def driver(self) -> str:
        """The driver's name."""
        return self.dialect.driver

    def connect(self) -> Connection:
        """A new Connection, checked out of the pool."""
        return Connection(self)

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A Connection in a transaction: committed when the block ends, rolled back on error."""
        with self.connect() as conn, conn.begin():
            yield conn

    def execute(self, statement: Any, parameters: Any = None, **kw: Any) -> CursorResult:
        """Run one statement in its own transaction and return a buffered result.

        A convenience kept from SQLAlchemy 1.x (the seed notebooks use it): a plain string
        is taken as ``text()``.
        """
        if isinstance(statement, str):
            statement = text(statement)
        if kw:
            parameters = {**(parameters or {}), **kw}
        with self.begin() as conn:
            return buffered(conn.execute(statement, parameters))

    def raw_connection(self) -> PoolProxiedConnection:
        """A pooled driver connection, for driver-level work; ``close()`` returns it."""
        return PoolProxiedConnection(self.pool.connect())

    def dispose(self) -> None:
        """Close the pool's idle connections (new ones open on demand)."""
        self.pool.dispose()

    def execution_options(self, **options: Any) -> Engine:
        """An Engine sharing this one's pool, with these options on its connections."""
        check_supported(options)
        new = Engine.__new__(Engine)
        new.__dict__.update(self.__dict__)
        new._execution_options = {**self._execution_options, **options}
        return new

    def get_execution_options(self) -> dict[str, Any]:
        """The options new connections start with."""
        return dict(self._execution_options)

    def clear_compiled_cache(self) -> None:
        """Forget every compiled statement."""
        self._compiled_cache.clear()

    def __repr__(self) -> str:
        return f"Engine({self.url!r})"


def _give_back(dialect: DefaultDialect, record: PooledConnection) -> None:
    """Return a Connection's driver connection to the pool, with the isolation level the
    Connection changed set back (the pool rolls it back)."""
    if record.info.pop("reset_isolation", False) and record.is_valid:
        try:
            dialect.reset_isolation_level(record.dbapi_connection)
        except Exception:
            record.invalidate()
    record.close()


def _echo_log(level: int, message: str, *args: Any) -> None:
    """Log for an echoing engine, bypassing the logger's level (see ormkit.engine.echo)."""
    echo_log(log, level, message, *args)


class Connection:
    """One checked-out database connection and its transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect
        self._execution_options = engine._execution_options
        self._dbapi: PooledConnection | None = None
        self._transaction: RootTransaction | None = None
        self._nested: list[NestedTransaction] = []
        self._closed = False
        self._savepoint_seq = 0
        #: A streaming result whose server-side cursor holds the driver connection (see
        #: DefaultDialect.server_side_cursor_holds_connection); buffered before the next use.
        self._open_stream: weakref.ref[CursorResult] | None = None
        engine_echo = engine.echo
        if engine_echo is None:  # not set: follow the logging configuration
            self._echo = log.isEnabledFor(logging.INFO)
            self._echo_rows = log.isEnabledFor(logging.DEBUG)
        else:
            self._echo = bool(engine_echo)
            self._echo_rows = engine_echo == "debug"
        self._autocommit = (
            self._execution_options.get("isolation_level") == "AUTOCOMMIT"
            or engine.dialect.isolation_level == "AUTOCOMMIT"
        )
        self._checkout()

    # -- the driver connection --------------------------------------------------------------

    def _checkout(self) -> None:
        try:
            record = self._dbapi = self.engine.pool.connect()
        except exc.OrmkitError:
            raise
        except Exception as err:
            wrapped = self.dialect.wrap_dbapi_error(err, None, None)
            if wrapped is None:
                raise
            raise wrapped from err
        record.lend_to(self, functools.partial(_give_back, self.dialect, record))
        level = self._execution_options.get("isolation_level")
        if level is not None:
            level = self.dialect.normalize_isolation_level(level)
            assert level is not None
            self._autocommit = level == "AUTOCOMMIT"
            self.dialect.set_isolation_level(record.dbapi_connection, level)
            record.info["reset_isolation"] = True

    @property
    def connection(self) -> PooledConnection:
        """The pooled driver connection (a fresh one after an invalidation was rolled back)."""
        record = self._dbapi
        if record is None or record.dbapi_connection is None:
            return self._revalidate()
        return record

    def _revalidate(self) -> PooledConnection:
        """Replace an invalidated driver connection, unless a transaction still needs it."""
        if self._dbapi is None:
            self._raise_closed()
        transaction = self._transaction
        if transaction is not None and transaction.is_active and transaction._invalidated:
            raise exc.PendingRollbackError(
                "this Connection's driver connection was invalidated (lost, or invalidate() "
                "was called) inside a transaction, whose work is gone; call rollback() first, "
                "then the next statement runs on a new driver connection"
            )
        assert self._dbapi is not None
        self._dbapi.close()  # the pool counts the dead connection as gone
        self._dbapi = None
        self._checkout()
        assert self._dbapi is not None
        return self._dbapi

    @property
    def closed(self) -> bool:
        """True once ``close()`` was called."""
        return self._closed

    @property
    def invalidated(self) -> bool:
        """True when the driver connection was found dead and discarded."""
        return self._dbapi is not None and not self._dbapi.is_valid

    def _raise_closed(self) -> None:
        raise exc.ResourceClosedError(
            "this Connection is closed; open a new one with engine.connect()"
        )

    def close(self) -> None:
        """Roll back any open transaction and return the connection to the pool."""
        if self._closed:
            return
        try:
            if self._transaction is not None and self._transaction.is_active:
                self._transaction.rollback()
        finally:
            self._closed = True
            if self._dbapi is not None:
                _give_back(self.dialect, self._dbapi)
                self._dbapi = None

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def invalidate(self) -> None:
        """Discard the driver connection; the next statement opens a new one.

        A transaction that was open stays open but dead: statements raise
        ``PendingRollbackError`` until ``rollback()``, so that no one mistakes the work done
        since BEGIN for work that is still there.
        """
        if self._dbapi is not None:
            self._dbapi.invalidate()
        transaction = self._transaction
        if transaction is not None and transaction.is_active and transaction._begun:
            transaction._invalidated = True
        for nested in self._nested:
            nested.is_active = False
        self._nested.clear()

    def execution_options(self, **options: Any) -> Connection:
        """Set options on this connection (isolation_level applies to the next transaction)."""
        check_supported(options)
        self._execution_options = {**self._execution_options, **options}
        level = options.get("isolation_level")
        if level is not None:
            if self.in_transaction():
                raise exc.InvalidRequestError(
                    "cannot change the isolation level inside a transaction; commit or roll "
                    "back first"
                )
            level = self.dialect.normalize_isolation_level(level)
            assert level is not None
            self._autocommit = level == "AUTOCOMMIT"
            self.dialect.set_isolation_level(self.connection.dbapi_connection, level)
            self.connection.info["reset_isolation"] = True
        return self

    def get_execution_options(self) -> dict[str, Any]:
        """This connection's options."""
        return dict(self._execution_options)

    def get_isolation_level(self) -> str:
        """The isolation level the database reports for this connection."""
        return self.dialect.get_isolation_level(self.connection.dbapi_connection)

    # -- transactions -----------------------------------------------------------------------

    def in_transaction(self) -> bool:
        """True while a transaction (begun explicitly or automatically) is open."""
        return self._transaction is not None and self._transaction.is_active

    def in_nested_transaction(self) -> bool:
        """True while a savepoint is open."""
        return bool(self._nested)

    def get_transaction(self) -> RootTransaction | None:
        """The open transaction, if any."""
        return self._transaction if self.in_transaction() else None

    def get_nested_transaction(self) -> NestedTransaction | None:
        """The innermost open savepoint, if any."""
        return self._nested[-1] if self._nested else None

    def begin(self) -> RootTransaction:
        """Begin a transaction; use as a context manager to commit or roll back at the end."""
        if self._closed:
            self._raise_closed()
        if self.in_transaction():
            raise exc.InvalidRequestError(
                "a transaction is already open on this Connection (it began with the first "
                "statement); call commit() or rollback() first, or begin_nested() for a "
                "savepoint"
            )
        self._transaction = RootTransaction(self)
        self._transaction._ensure_begun()  # an explicit begin() is sent at once
        return self._transaction

    def _autobegin(self) -> None:
        if self._transaction is None or not self._transaction.is_active:
            self._transaction = RootTransaction(self)

    def begin_nested(self) -> NestedTransaction:
        """A savepoint inside the current transaction (beginning one if needed)."""
        if self._closed:
            self._raise_closed()
        if not self.dialect.supports_savepoints:
            raise exc.InvalidRequestError(f"{self.dialect.name} does not support savepoints")
        self._autobegin()
        self._savepoint_seq += 1
        nested = NestedTransaction(self, f"sa_savepoint_{self._savepoint_seq}")
        self._nested.append(nested)
        return nested

    def commit(self) -> None:
        """Commit the open transaction, if any ("commit as you go")."""
        if self._transaction is not None and self._transaction.is_active:
            self._transaction.commit()

    def rollback(self) -> None:
        """Roll back the open transaction, if any."""
        if self._transaction is not None and self._transaction.is_active:
            self._transaction.rollback()

    def _begin_impl(self) -> None:
        if self._echo:
            _echo_log(logging.INFO, "BEGIN (implicit)")
        if self._autocommit:
            return
        self._run_control(self.dialect.do_begin, "BEGIN")

    def _commit_impl(self) -> None:
        if self._echo:
            _echo_log(logging.INFO, "COMMIT")
        if self._autocommit:
            return
        self._run_control(self.dialect.do_commit, "COMMIT")

    def _rollback_impl(self) -> None:
        if self._echo:
            _echo_log(logging.INFO, "ROLLBACK")
        if self._autocommit or self._dbapi is None or not self._dbapi.is_valid:
            return
        self._run_control(self.dialect.do_rollback, "ROLLBACK")

    def _run_control(self, action: Any, what: str) -> None:
        if self._open_stream is not None:
            self._buffer_open_stream()
        try:
            action(self.connection.dbapi_connection)
        except Exception as err:
            self._handle_error(err, what, None)

    # -- execution --------------------------------------------------------------------------

    def execute(
        self,
        statement: Any,
        parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        *,
        execution_options: Mapping[str, Any] | None = None,
    ) -> CursorResult:
        """Run a statement; a list of parameter dicts runs it once per dict (executemany)."""
        if self._closed:
            self._raise_closed()
        if isinstance(statement, str):
            raise exc.ArgumentError(
                "Connection.execute() takes a statement object; wrap SQL text in text(...) "
                "(values go in as :name parameters) or use exec_driver_sql()"
            )
        if isinstance(statement, DDLElement):
            return self._execute_ddl(statement)
        if not isinstance(statement, ClauseElement):
            executor = getattr(statement, "_execute_on_connection", None)
            if executor is not None:
                return executor(self, parameters, execution_options)  # type: ignore[no-any-return]
            raise exc.ArgumentError(
                f"Connection.execute() takes a statement such as select(...), insert(...) or "
                f"text(...), got {type(statement).__name__}"
            )
        many = isinstance(parameters, list | tuple) and not isinstance(parameters, str)
        if many and not parameters:
            raise exc.ArgumentError("execute() got an empty list of parameter sets")
        first: Any = parameters[0] if many else parameters  # type: ignore[index]
        if first is not None and not isinstance(first, Mapping):
            raise exc.ArgumentError(
                f"execute() takes parameters as a dict or a list of dicts, got {first!r}"
            )
        options = self._options_for(statement, execution_options)
        compiled, binds = self._compiled_for(statement, first)
        if many:
            sets: Sequence[Mapping[str, Any]] = parameters  # type: ignore[assignment]
            if compiled.result_columns and compiled.is_dml:  # RETURNING: every set's rows
                return returning.execute_many(self, compiled, binds, sets, options)
            return self._run(compiled, compiled.construct_many(binds, sets), True, options)
        return self._run(compiled, compiled.construct_params(binds, first), False, options)

    def _options_for(
        self, statement: Any, call_options: Mapping[str, Any] | None
    ) -> Mapping[str, Any]:
        """The options one execution runs with: the engine's and this connection's, then the
        statement's, then those given to ``execute()``, each over the ones before."""
        options = self._execution_options
        own = getattr(statement, "_execution_options", None)
        if call_options:
            for name, where in CONNECTION_ONLY.items():
                if name in call_options:
                    raise exc.ArgumentError(
                        f"the {name!r} execution option cannot be given to execute(); set "
                        f"it {where}"
                    )
            check_supported(call_options)
            return {**options, **(own or {}), **call_options}
        if own:
            return {**options, **own}
        return options

    def _compiled_for(
        self, statement: ClauseElement, params: Mapping[str, Any] | None
    ) -> tuple[Compiled, list[Any]]:
        key, binds = cache_key.generate(statement)
        # which columns an INSERT/UPDATE names depends on the parameters' keys
        is_dml_values = getattr(statement, "is_insert", False) or getattr(
            statement, "is_update", False
        )
        column_keys = tuple(params or ()) if is_dml_values else None
        full_key: Any = (key, column_keys)
        cache = self.engine._compiled_cache
        try:
            compiled = cache.get(full_key)
        except TypeError:  # an unhashable piece of the statement: compile without caching
            compiled, full_key = None, None
        if compiled is None:
            compiled = compile_statement(statement, self.dialect, column_keys=column_keys)
            self.engine.compile_count += 1
            if full_key is not None:
                cache.put(full_key, compiled)
            compiled._fresh = True  # type: ignore[attr-defined]
        return compiled, binds

    def _execute_ddl(self, statement: DDLElement) -> CursorResult:
        compiled = compile_statement(statement, self.dialect)
        compiled._fresh = True  # type: ignore[attr-defined]
        params: Any = [] if self.dialect.positional else {}
        return self._run(compiled, params, False, self._execution_options)

    def exec_driver_sql(self, statement: LiteralString, parameters: Any = None) -> CursorResult:
        """Run SQL text exactly as given, with parameters in the driver's own style."""
        if self._closed:
            self._raise_closed()
        self._autobegin()
        many = (
            isinstance(parameters, list)
            and bool(parameters)
            and isinstance(parameters[0], tuple | list | Mapping)
        )
        return self._run_raw(statement, parameters if parameters is not None else (), many, None)

    def scalar(self, statement: Any, parameters: Any = None) -> Any:
        """The first column of the first row."""
        return self.execute(statement, parameters).scalar()

    def scalars(self, statement: Any, parameters: Any = None) -> Any:
        """The first column of every row."""
        return self.execute(statement, parameters).scalars()

    def _rows(self, statement: ClauseElement, parameters: Mapping[str, Any] | None) -> list[Any]:
        """Every row of a SELECT, values converted, as plain sequences (the ORM's fast path).

        The same work as ``execute(...)`` then reading every row, without building a Result.
        """
        if self._closed:
            self._raise_closed()
        compiled, binds = self._compiled_for(statement, parameters)
        params = compiled.construct_params(binds, parameters)
        self._autobegin()
        transaction = self._transaction
        if transaction is not None and not transaction._begun:
            transaction._begun = True
            self._begin_impl()
        if self._echo or self.engine.statement_listeners or self._echo_rows:
            return self._run_raw(compiled.sql, params, False, compiled)._fetch_all_values()
        if self._open_stream is not None:
            self._buffer_open_stream()
        cursor = self.connection.cursor()
        try:
            self.dialect.do_execute(cursor, compiled.sql, params)
            rows = cursor.fetchall()
        except Exception as err:
            self._handle_error(err, compiled.sql, params, compiled, False)
        finally:
            cursor.close()
        processors = compiled.__dict__.get("_active_processors")
        if processors is None:
            processors = compiled.__dict__["_active_processors"] = [
                (i, p) for i, p in enumerate(compiled.result_processors()) if p is not None
            ]
        if not processors:
            return rows  # type: ignore[no-any-return]
        out = []
        for row in rows:
            values = list(row)
            for i, proc in processors:
                values[i] = proc(values[i])
            out.append(values)
        return out

    def insert_many_returning(
        self,
        statement: Any,
        keys: Sequence[str],
        rows: Sequence[Sequence[Any]],
        batch_size: int = 500,
    ) -> list[Any]:
        """Run ``INSERT ... RETURNING`` for many rows: one statement per batch of rows.

        ``statement`` is a one-row ``insert(table).returning(...)`` whose parameters are
        exactly ``keys``; it is compiled once per batch size with one VALUES group per row
        (see ``ormkit.engine.returning``), so generated keys come back in row order without
        building a statement object per row. ``rows`` hold values in ``keys`` order.
        """
        compiled, _ = self._compiled_for(statement, dict.fromkeys(keys))
        slots = compiled.slots
        if len(slots) != len(keys) or any(s.name != k for s, k in zip(slots, keys, strict=False)):
            raise exc.CompileError(
                "insert_many_returning() needs a plain INSERT whose parameters are exactly "
                f"{list(keys)}; got {[s.name for s in slots]}"
            )
        processors = [(i, s.processor) for i, s in enumerate(slots) if s.processor is not None]
        positional = self.dialect.positional
        out: list[Any] = []
        result_procs = [(i, p) for i, p in enumerate(compiled.result_processors()) if p is not None]
        batch_size = returning.rows_per_statement(self, len(keys), batch_size)
        for start in range(0, len(rows), batch_size):
            chunk = rows[start : start + batch_size]
            multi = returning.compiled_for_rows(compiled, keys, len(chunk))
            sql = multi.sql
            params: Any = []
            for row in chunk:
                if processors:
                    row = list(row)  # a copy to convert
                    for i, proc in processors:
                        if row[i] is not None:
                            row[i] = proc(row[i])
                params.extend(row)
            if not positional:
                params = dict(zip(multi.driver_names, params, strict=True))
            self._autobegin()
            returned = self._run_raw(sql, params, False, None).fetchall()
            if not result_procs:
                out.extend(returned)
                continue
            for row in returned:
                values = list(row)
                for i, proc in result_procs:
                    values[i] = proc(values[i])
                out.append(values)
        return out

    def _run(
        self, compiled: Compiled, params: Any, many: bool, options: Mapping[str, Any]
    ) -> CursorResult:
        self._autobegin()
        return self._run_raw(compiled.sql, params, many, compiled, options)

    def _run_raw(
        self,
        sql: str,
        params: Any,
        many: bool,
        compiled: Compiled | None,
        options: Mapping[str, Any] | None = None,
    ) -> CursorResult:
        if options is None:
            options = self._execution_options
        transaction = self._transaction
        if transaction is not None and not transaction._begun:
            transaction._begun = True
            self._begin_impl()
        if self._open_stream is not None:
            self._buffer_open_stream()
        dbapi = self.connection
        listeners = self.engine.statement_listeners
        if listeners:
            for listener in listeners:
                listener(sql, params)
        if self._echo:
            self._log_statement(sql, params, compiled, many)
        streams = compiled is not None and not many and self._streams(compiled, options)
        try:
            if streams:
                cursor = self.dialect.create_cursor(dbapi.dbapi_connection, server_side=True)
            else:
                cursor = dbapi.cursor()
            if many:
                self.dialect.do_executemany(cursor, sql, params)
            else:
                self.dialect.do_execute(cursor, sql, params)
        except Exception as err:
            self._handle_error(err, sql, params, compiled, many)
        result = self._make_result(cursor, compiled, params, many, options)
        if streams and self.dialect.server_side_cursor_holds_connection:
            self._open_stream = weakref.ref(result)
        return result

    def _buffer_open_stream(self) -> None:
        """Free the driver connection of a streaming result that still holds it."""
        assert self._open_stream is not None
        result = self._open_stream()
        self._open_stream = None
        if result is not None:
            result._buffer_rest()

    def _streams(self, compiled: Compiled, options: Mapping[str, Any]) -> bool:
        """True when rows should come from a server-side cursor (stream_results/yield_per)."""
        if not (options.get("stream_results") or options.get("yield_per")):
            return False
        if not self.dialect.supports_server_side_cursors or compiled.is_dml or compiled.is_ddl:
            return False
        return bool(compiled.result_columns)

    def _log_statement(self, sql: str, params: Any, compiled: Compiled | None, many: bool) -> None:
        _echo_log(logging.INFO, sql)
        if compiled is not None:
            how = "generated" if compiled.__dict__.pop("_fresh", False) else "cached"
        else:
            how = "raw sql"
        shown: Any = params
        if self.engine.hide_parameters:
            shown = exc.HIDDEN_PARAMETERS
        elif isinstance(params, list) and not many:
            shown = tuple(params)
        elif many and len(params) > 10:
            shown = (
                f"{[tuple(p) if isinstance(p, list) else p for p in params[:10]]} ... "
                f"{len(params) - 10} more"
            )
        elif many:
            shown = [tuple(p) if isinstance(p, list) else p for p in params]
        _echo_log(logging.INFO, "[%s] %s", how, shown)

    def _make_result(
        self,
        cursor: Any,
        compiled: Compiled | None,
        params: Any,
        many: bool,
        options: Mapping[str, Any],
    ) -> CursorResult:
        description = cursor.description
        returned = None
        if compiled is not None and compiled.implicit_returning:
            # the generated key RETURNING brought back is not a row the caller asked for
            if not many and description is not None:
                returned = cursor.fetchone()
            description = None
        if description is None:
            inserted_pk = None
            if compiled is not None and compiled.is_insert and not many:
                inserted_pk = self._inserted_primary_key(compiled, params, cursor, returned)
            result = CursorResult(
                cursor,
                [],
                None,
                returns_rows=False,
                rowcount=cursor.rowcount,
                lastrowid=getattr(cursor, "lastrowid", None),
                inserted_primary_key=inserted_pk,
            )
            cursor.close()
            return result
        if (
            compiled is not None
            and compiled.result_columns
            and len(compiled.result_columns) == len(description)
        ):
            row_cls = compiled.__dict__.get("_row_cls")
            if row_cls is None:
                extra: dict[Any, int] = {}
                for index, (_, _, objects) in enumerate(compiled.result_columns):
                    for obj in objects:
                        if not isinstance(obj, str):
                            extra.setdefault(obj, index)
                fields = [name for name, _, _ in compiled.result_columns]
                row_cls = row_class(fields, extra)
                for index, (_, _, objects) in enumerate(compiled.result_columns):
                    for obj in objects:
                        if isinstance(obj, str):
                            row_cls._keymap.setdefault(obj, index)
                compiled.__dict__["_row_cls"] = row_cls
            fields = list(row_cls._fields)
            processors = compiled.result_processors()
        else:
            fields = [d[0] for d in description]
            row_cls = row_class(fields)
            processors = None
            if compiled is not None and compiled.result_columns:
                by_name = {n: t for n, t, _ in compiled.result_columns}
                processors = [
                    by_name[f].result_processor(self.dialect) if f in by_name else None
                    for f in fields
                ]
        inserted_pk = None
        if compiled is not None and compiled.is_insert and not many:
            inserted_pk = self._inserted_primary_key(compiled, params, cursor)
        result = CursorResult(
            cursor,
            fields,
            processors,
            row_cls,
            rowcount=cursor.rowcount,
            lastrowid=getattr(cursor, "lastrowid", None),
            inserted_primary_key=inserted_pk,
        )
        yield_per = options.get("yield_per")
        if yield_per:
            result.yield_per(yield_per)
        if self._echo_rows:
            rows = result.fetchall()
            for row in rows:
                _echo_log(logging.DEBUG, "Row %r", tuple(row))
            from ormkit.engine.result import _ListCursor

            result = CursorResult(
                _ListCursor([tuple(r) for r in rows]),
                fields,
                None,
                row_cls,
                rowcount=cursor.rowcount,
                lastrowid=getattr(cursor, "lastrowid", None),
                inserted_primary_key=inserted_pk,
            )
        return result

    def _inserted_primary_key(
        self, compiled: Compiled, params: Any, cursor: Any, returned: Any = None
    ) -> Any:
        if not compiled.pk_sources:
            return None
        values = []
        names = [s.name for s in compiled.slots]
        returning = compiled.implicit_returning
        for column, slot_name in compiled.pk_sources:
            position = next((i for i, c in enumerate(returning) if c is column), -1)
            if returned is not None and position >= 0:
                values.append(returned[position])
                continue
            if slot_name is not None:
                position = names.index(slot_name)
                if isinstance(params, Mapping):
                    value = params.get(compiled.driver_names[position])
                else:
                    value = params[position]
                processor = column.type.result_processor(self.dialect)
                values.append(processor(value) if processor and value is not None else value)
            elif column._autoincrement_eligible and self.dialect.postfetch_lastrowid:
                values.append(getattr(cursor, "lastrowid", None))
            else:
                values.append(None)
        return row_class([c.key for c, _ in compiled.pk_sources])(values)

    def _handle_error(
        self,
        err: Exception,
        statement: str | None,
        params: Any,
        compiled: Compiled | None = None,
        many: bool = False,
    ) -> Any:
        invalidated = False
        record = self._dbapi
        if (
            record is not None
            and record.dbapi_connection is not None
            and self.dialect.is_disconnect(err, record.dbapi_connection)
        ):
            invalidated = True
            self.invalidate()
        if isinstance(err, exc.OrmkitError):
            raise err
        wrapped = self.dialect.wrap_dbapi_error(
            err,
            statement,
            params,
            invalidated,
        )
        if wrapped is None:
            raise err
        wrapped.hide_parameters = self.engine.hide_parameters
        hint = _unbindable_hint(params, compiled, many)
        if hint:
            wrapped.message += f"\n({hint})"
        raise wrapped from err


_BINDABLE = (
    type(None),
    bool,
    int,
    float,
    str,
    bytes,
    bytearray,
    memoryview,
    decimal.Decimal,
    datetime.date,
    datetime.time,
    datetime.timedelta,
    uuid.UUID,
)


def _unbindable_hint(params: Any, compiled: Compiled | None, many: bool) -> str | None:
    """Which parameter holds a value no driver can send, and what to do, if one does."""
    if compiled is None or params is None:
        return None
    sets = params if many else [params]
    names = [s.name for s in compiled.slots]
    types_by_name = {s.name: s.type for s in compiled.slots}
    for values in sets:
        pairs = values.items() if isinstance(values, dict) else zip(names, values, strict=False)
        for name, value in pairs:
            if not isinstance(value, _BINDABLE):
                sql_type = types_by_name.get(name)
                return (
                    f"parameter {name!r} ({sql_type!r}) got a value of type "
                    f"{type(value).__name__}, which the driver cannot send; convert it first, or "
                    "give the column a type that stores it (JSON for dicts and lists, or a "
                    "TypeDecorator)"
                )
    return None


class Transaction:
    """A transaction or savepoint; a context manager that commits, or rolls back on error."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.is_active = True
        self._begun = False
        #: Its driver connection was lost after BEGIN: only rollback() is possible.
        self._invalidated = False

    def __enter__(self) -> Transaction:
        return self

    def __exit__(self, exc_type: Any, exc_value: Any, tb: Any) -> None:
        if not self.is_active:
            return
        if exc_type is None:
            self.commit()
        else:
            self.rollback()

    def _check_active(self, what: str) -> None:
        if not self.is_active:
            raise exc.InvalidRequestError(
                f"cannot {what}: this transaction is already finished (committed or rolled "
                "back); begin a new one"
            )

    def commit(self) -> None:
        """Make the transaction's work permanent."""
        raise NotImplementedError  # root transactions and savepoints commit differently

    def rollback(self) -> None:
        """Undo the transaction's work."""
        raise NotImplementedError  # root transactions and savepoints roll back differently

    def close(self) -> None:
        """Roll back if still open."""
        if self.is_active:
            self.rollback()


class RootTransaction(Transaction):
    """The connection's outermost transaction.

    BEGIN goes out at ``Connection.begin()``, or with the first statement when the
    transaction began by itself ("commit as you go").
    """

    def __init__(self, connection: Connection) -> None:
        super().__init__(connection)
        connection._nested.clear()

    def _ensure_begun(self) -> None:
        if not self._begun:
            self._begun = True
            self.connection._begin_impl()

    def commit(self) -> None:
        self._check_active("commit")
        conn = self.connection
        try:
            if self._begun:
                conn._commit_impl()
        finally:
            self.is_active = False
            for nested in conn._nested:  # their savepoints ended with the transaction
                nested.is_active = False
            conn._nested.clear()

    def rollback(self) -> None:
        if not self.is_active:
            return
        conn = self.connection
        try:
            if self._begun:
                conn._rollback_impl()
        finally:
            self.is_active = False
            for nested in conn._nested:
                nested.is_active = False
            conn._nested.clear()


class NestedTransaction(Transaction):
    """A SAVEPOINT: ``commit()`` releases it, ``rollback()`` undoes back to it."""

    def __init__(self, connection: Connection, name: str) -> None:
        super().__init__(connection)
        self.name = name
        root = connection._transaction
        assert root is not None
        if not root._begun:
            root._begun = True
            connection._begin_impl()
        connection.dialect.do_savepoint(connection, name)

    def commit(self) -> None:
        self._check_active("release the savepoint")
        conn = self.connection
        self._close_inner()
        try:
            conn.dialect.do_release_savepoint(conn, self.name)
        finally:
            self.is_active = False

    def rollback(self) -> None:
        if not self.is_active:
            return
        conn = self.connection
        self._close_inner()
        try:
            if conn.in_transaction():
                conn.dialect.do_rollback_to_savepoint(conn, self.name)
        finally:
            self.is_active = False

    def _close_inner(self) -> None:
        stack = self.connection._nested
        if self in stack:
            index = stack.index(self)
            for inner in stack[index + 1 :]:
                inner.is_active = False
            del stack[index:]
