"""Engine and Connection: running statements on a pooled driver connection.

A Connection begins a transaction by itself on first use (``BEGIN (implicit)`` in the echo
log) and keeps it until ``commit()`` or ``rollback()``: "commit as you go". ``begin()`` and
``begin_nested()`` give explicit transactions and savepoints as context managers.
"""

from __future__ import annotations

import functools
import logging
import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, LiteralString

from ormkit import exc
from ormkit.engine import execution, returning
from ormkit.engine.dialect import DefaultDialect
from ormkit.engine.echo import echo_log, enable_echo
from ormkit.engine.events import CONNECTION_EVENTS, DIALECT_EVENTS, POOL_EVENTS
from ormkit.engine.pool import Pool, PoolProxiedConnection
from ormkit.engine.result import CursorResult, buffered
from ormkit.engine.transaction import NestedTransaction, RootTransaction
from ormkit.event.registry import Dispatch, register_family
from ormkit.sql import cache_key
from ormkit.sql.base import CONNECTION_ONLY, check_supported
from ormkit.sql.compiler import Compiled, compile_statement
from ormkit.sql.ddl import DDLElement
from ormkit.sql.elements import ClauseElement, text
from ormkit.util import LRUCache

if TYPE_CHECKING:
    from ormkit.engine.pool import PooledConnection
    from ormkit.engine.url import URL

log = logging.getLogger("ormkit.engine.Engine")


class Engine:
    """A database: a pool of connections, a dialect, and the compiled-statement cache."""

    #: Listeners of every engine (``event.listen(Engine, ...)``); each engine's own
    #: dispatcher, and its connections', inherit them.
    dispatch: Dispatch = Dispatch(CONNECTION_EVENTS)

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
        self.dispatch = Engine.dispatch.child(self)
        self._compiled_cache: LRUCache[Any, Compiled] = LRUCache(query_cache_size)
        #: How many statements were compiled (cache misses); the tests read it.
        self.compile_count = 0
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
        conn = Connection(self)
        if self.dispatch.engine_connect:
            for listener in self.dispatch.engine_connect:
                listener(conn)
        return conn

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
        for listener in self.dispatch.engine_disposed:
            listener(self)

    def execution_options(self, **options: Any) -> Engine:
        """An Engine sharing this one's pool, with these options on its connections."""
        check_supported(options)
        new = Engine.__new__(Engine)
        new.__dict__.update(self.__dict__)
        new._execution_options = {**self._execution_options, **options}
        new.dispatch = self.dispatch.child(new)  # this engine's listeners, and its own
        for listener in new.dispatch.set_engine_execution_options:
            listener(new, options)
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
        #: The engine's dispatcher, until a listener is given to this connection itself.
        self.dispatch = engine.dispatch
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

    def invalidate(self, exception: BaseException | None = None) -> None:
        """Discard the driver connection; the next statement opens a new one.

        A transaction that was open stays open but dead: statements raise
        ``PendingRollbackError`` until ``rollback()``, so that no one mistakes the work done
        since BEGIN for work that is still there. ``exception`` is what made the connection
        unusable, for the pool's ``invalidate`` event.
        """
        if self._dbapi is not None:
            self._dbapi.invalidate(exception)
        transaction = self._transaction
        if transaction is not None and transaction.is_active and transaction._begun:
            transaction._invalidated = True
        for nested in self._nested:
            nested.is_active = False
        self._nested.clear()

    def detach(self) -> None:
        """Take this connection's driver connection out of the pool: the pool opens another
        in its place, and this one is closed, not pooled, when the Connection closes (for
        connections whose session state must not reach other users)."""
        if self._closed:
            self._raise_closed()
        self.connection.detach()

    def execution_options(self, **options: Any) -> Connection:
        """Set options on this connection (isolation_level applies to the next transaction)."""
        check_supported(options)
        level = options.get("isolation_level")
        if level is not None and self.in_transaction():
            raise exc.InvalidRequestError(
                "cannot change the isolation level inside a transaction; commit or roll back first"
            )
        for listener in self.dispatch.set_connection_execution_options:
            listener(self, options)
        self._execution_options = {**self._execution_options, **options}
        if level is not None:
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
        for listener in self.dispatch.begin:
            listener(self)
        if self._echo:
            self._log_control("BEGIN (implicit)")
        if self._autocommit:
            return
        self._run_control(self.dialect.do_begin, "BEGIN")

    def _commit_impl(self) -> None:
        for listener in self.dispatch.commit:
            listener(self)
        if self._echo:
            self._log_control("COMMIT")
        if self._autocommit:
            return
        self._run_control(self.dialect.do_commit, "COMMIT")

    def _rollback_impl(self) -> None:
        for listener in self.dispatch.rollback:
            listener(self)
        if self._echo:
            self._log_control("ROLLBACK")
        if self._autocommit or self._dbapi is None or not self._dbapi.is_valid:
            return
        self._run_control(self.dialect.do_rollback, "ROLLBACK")

    def _log_control(self, what: str) -> None:
        token = self._execution_options.get("logging_token")
        if token is None:
            _echo_log(logging.INFO, what)
        else:
            _echo_log(logging.INFO, "[%s] %s", token, what)

    def _run_control(self, action: Any, what: str) -> None:
        if self._open_stream is not None:
            self._buffer_open_stream()
        try:
            action(self.connection.dbapi_connection)
        except Exception as err:
            execution.handle_error(self, err, what, None)

    # -- execution: every statement reaches the driver through execution.run_cursor ---------

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
        if not isinstance(statement, ClauseElement | DDLElement):
            executor = getattr(statement, "_execute_on_connection", None)
            if executor is not None:
                return executor(self, parameters, execution_options)  # type: ignore[no-any-return]
            raise exc.ArgumentError(
                f"Connection.execute() takes a statement such as select(...), insert(...) or "
                f"text(...), got {type(statement).__name__}"
            )
        options = self._options_for(statement, execution_options)
        dispatch = self.dispatch
        if dispatch.before_execute or dispatch.after_execute:
            return self._with_execute_events(statement, parameters, options, self._execute_clause)
        return self._execute_clause(statement, parameters, options)

    def _with_execute_events(
        self,
        statement: Any,
        parameters: Any,
        options: Mapping[str, Any],
        run: Callable[[Any, Any, Mapping[str, Any]], CursorResult],
    ) -> CursorResult:
        """``run`` between before_execute (whose retval listeners may replace the statement
        and its parameters) and after_execute."""
        if parameters is None:
            multiparams: Any = []
        elif isinstance(parameters, list) or (
            isinstance(parameters, tuple) and parameters and isinstance(parameters[0], Mapping)
        ):
            multiparams = list(parameters)  # a list of sets (a driver-style tuple is one set)
        else:
            multiparams = [parameters]
        params: Any = {}
        for listener in self.dispatch.before_execute:
            statement, multiparams, params = listener(self, statement, multiparams, params, options)
        if len(multiparams) > 1:
            parameters = multiparams
        elif multiparams:
            first = multiparams[0]
            parameters = {**first, **params} if params and isinstance(first, Mapping) else first
        else:
            parameters = params or None
        result = run(statement, parameters, options)
        for listener in self.dispatch.after_execute:
            listener(self, statement, multiparams, params, options, result)
        return result

    def _execute_clause(
        self, statement: Any, parameters: Any, options: Mapping[str, Any]
    ) -> CursorResult:
        if isinstance(statement, DDLElement):
            return self._execute_ddl(statement, options)
        many = isinstance(parameters, list | tuple) and not isinstance(parameters, str)
        if many and not parameters:
            raise exc.ArgumentError("execute() got an empty list of parameter sets")
        first: Any = parameters[0] if many else parameters
        if first is not None and not isinstance(first, Mapping):
            raise exc.ArgumentError(
                f"execute() takes parameters as a dict or a list of dicts, got {first!r}"
            )
        compiled, binds = self._compiled_for(statement, first)
        if many:
            sets: Sequence[Mapping[str, Any]] = parameters
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
        cache = self._execution_options.get("compiled_cache", self.engine._compiled_cache)
        if cache is None:  # compiled_cache=None: this connection compiles every statement
            compiled, full_key = None, None
        else:
            try:
                compiled = cache.get(full_key)
            except TypeError:  # an unhashable piece of the statement: compile without caching
                compiled, full_key = None, None
        if compiled is None:
            started = time.perf_counter()
            compiled = compile_statement(statement, self.dialect, column_keys=column_keys)
            _timed(compiled, started)
            self.engine.compile_count += 1
            if full_key is not None:
                if isinstance(cache, LRUCache):
                    cache.put(full_key, compiled)
                else:  # an application's own dict
                    cache[full_key] = compiled
        return compiled, binds

    def _execute_ddl(self, statement: DDLElement, options: Mapping[str, Any]) -> CursorResult:
        started = time.perf_counter()
        compiled = compile_statement(statement, self.dialect)
        _timed(compiled, started)
        params: Any = [] if self.dialect.positional else {}
        return self._run(compiled, params, False, options)

    def exec_driver_sql(
        self,
        statement: LiteralString,
        parameters: Any = None,
        execution_options: Mapping[str, Any] | None = None,
    ) -> CursorResult:
        """Run SQL text exactly as given, with parameters in the driver's own style."""
        if self._closed:
            self._raise_closed()
        options = self._options_for(None, execution_options)
        dispatch = self.dispatch
        if dispatch.before_execute or dispatch.after_execute:
            return self._with_execute_events(statement, parameters, options, self._run_text)
        return self._run_text(statement, parameters, options)

    def _run_text(self, sql: str, parameters: Any, options: Mapping[str, Any]) -> CursorResult:
        many = (
            isinstance(parameters, list)
            and bool(parameters)
            and isinstance(parameters[0], tuple | list | Mapping)
        )
        params = parameters if parameters is not None else ()
        return execution.run_cursor(self, None, sql, params, many, options, execution.make_result)

    def scalar(self, statement: Any, parameters: Any = None) -> Any:
        """The first column of the first row."""
        return self.execute(statement, parameters).scalar()

    def scalars(self, statement: Any, parameters: Any = None) -> Any:
        """The first column of every row."""
        return self.execute(statement, parameters).scalars()

    def _rows(self, statement: ClauseElement, parameters: Mapping[str, Any] | None) -> list[Any]:
        """Every row of a SELECT, values converted, as plain sequences (the ORM's fast path):
        the road of ``execute(...)``, with rows instead of a Result at its end."""
        if self._closed:
            self._raise_closed()
        dispatch = self.dispatch
        if dispatch.before_execute or dispatch.after_execute:
            return self.execute(statement, parameters)._fetch_all_values()
        compiled, binds = self._compiled_for(statement, parameters)
        params = compiled.construct_params(binds, parameters)
        return execution.run_cursor(
            self,
            compiled,
            compiled.sql,
            params,
            False,
            self._execution_options,
            execution.fetch_rows,
        )

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
        dispatch = self.dispatch
        if dispatch.before_execute or dispatch.after_execute:  # they are given dicts
            sets = [dict(zip(keys, row, strict=True)) for row in rows]
            return self.execute(statement, sets)._fetch_all_values()
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
        batch_size = returning.rows_per_statement(self, len(keys), batch_size)
        options = self._execution_options
        for start in range(0, len(rows), batch_size):
            chunk = rows[start : start + batch_size]
            multi = returning.compiled_for_rows(compiled, keys, len(chunk))
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
            out.extend(
                execution.run_cursor(
                    self, multi, multi.sql, params, False, options, execution.fetch_rows
                )
            )
        return out

    def _run(
        self, compiled: Compiled, params: Any, many: bool, options: Mapping[str, Any]
    ) -> CursorResult:
        return execution.run_cursor(
            self, compiled, compiled.sql, params, many, options, execution.make_result
        )

    def _buffer_open_stream(self) -> None:
        """Free the driver connection of a streaming result that still holds it."""
        assert self._open_stream is not None
        result = self._open_stream()
        self._open_stream = None
        if result is not None:
            result._buffer_rest()


def _timed(compiled: Compiled, started: float) -> None:
    """Note when ``compiled`` was made and how long it took (echo shows both)."""
    compiled.compiled_at = now = time.perf_counter()
    compiled.compile_seconds = now - started


def _connection_dispatchers(target: Any) -> list[Dispatch] | None:
    """Where listeners of Connection events on ``target`` go (see ormkit.event.registry):
    the class Engine (or Connection) for all, an engine for its own and its connections', a
    connection for itself only."""
    if isinstance(target, type):
        return [Engine.dispatch] if issubclass(target, Engine | Connection) else None
    if isinstance(target, Engine):
        return [target.dispatch]
    if isinstance(target, Connection):
        if not target.dispatch.owned_by(target):
            target.dispatch = target.engine.dispatch.child(target)
        return [target.dispatch]
    return None


def _pool_dispatchers(target: Any) -> list[Dispatch] | None:
    """Where listeners of Pool events on ``target`` go: a pool class for every pool of it
    (the Engine class stands for all pools), a pool for itself, an engine for its pool."""
    if isinstance(target, type):
        if issubclass(target, Pool):
            return [target.class_dispatch]
        return [Pool.class_dispatch] if issubclass(target, Engine) else None
    if isinstance(target, Pool):
        return [target.dispatch]
    if isinstance(target, Engine):
        return [target.pool.dispatch]
    return None


def _dialect_dispatchers(target: Any) -> list[Dispatch] | None:
    """Where listeners of Dialect events on ``target`` go: a dialect class for every dialect
    of it, a dialect for itself, an engine for its dialect (shared by its copies)."""
    if isinstance(target, type):
        return [target.class_dispatch] if issubclass(target, DefaultDialect) else None
    if isinstance(target, DefaultDialect):
        return [target.dispatch]
    if isinstance(target, Engine):
        return [target.dialect.dispatch]
    return None


register_family(CONNECTION_EVENTS, _connection_dispatchers)
register_family(POOL_EVENTS, _pool_dispatchers)
register_family(DIALECT_EVENTS, _dialect_dispatchers)
