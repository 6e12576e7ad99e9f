"""The one road from a statement to the driver, and back to a result.

Every statement a Connection runs, whatever sent it (Core ``execute()``, the ORM's selects and
``get()``, each statement of a flush, executemany, multi-row ``INSERT ... RETURNING``,
``exec_driver_sql()``), reaches the driver through ``run_cursor``: it begins the transaction
if it has not begun, frees a streaming result still holding the driver connection, fires
``before_cursor_execute``, logs (echo), runs the cursor, turns a driver error into an
``ormkit.exc`` error (firing ``handle_error``), fires ``after_cursor_execute``, and builds the
result with the ``finish`` function its caller chose: a ``CursorResult`` (``make_result``) or,
for the ORM's fast path, plain converted rows (``fetch_rows``). What a statement needs beyond
that is worked out once per compiled shape and kept on the ``Compiled`` (row class, active
result processors, multi-row INSERT variants), so no caller needs a side road to be fast.

Above it, ``Connection.execute()`` fires ``before_execute`` / ``after_execute`` around the
compile, with the options merged engine < connection < statement < call.
"""

from __future__ import annotations

import contextlib
import datetime
import decimal
import logging
import time
import uuid
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from ormkit import exc
from ormkit.engine.echo import echo_log
from ormkit.engine.result import (
    CursorResult,
    _ListCursor,
    active_processors,
    converted_rows,
    row_class,
)
from ormkit.sql.compiler import Compiled

if TYPE_CHECKING:
    from ormkit.engine.base import Connection

_T = TypeVar("_T")

log = logging.getLogger("ormkit.engine.Engine")

#: What builds a statement's outcome from its cursor (see the module docstring).
Finish = Callable[["Connection", Any, "Compiled | None", Any, bool, Mapping[str, Any]], _T]


class ExecutionContext:
    """What cursor events are told about one execution (made only when one listens)."""

    def __init__(
        self,
        connection: Connection,
        compiled: Compiled | None,
        cursor: Any,
        statement: str,
        parameters: Any,
        executemany: bool,
        execution_options: Mapping[str, Any],
    ) -> None:
        self.connection = connection
        self.root_connection = connection
        self.engine = connection.engine
        self.dialect = connection.dialect
        self.compiled = compiled
        self.cursor = cursor
        self.statement = statement
        self.parameters = parameters
        self.executemany = executemany
        self.execution_options = execution_options
        self.isinsert = bool(compiled is not None and compiled.is_insert)
        self.isupdate = bool(compiled is not None and compiled.is_update)
        self.isdelete = bool(compiled is not None and compiled.is_delete)
        self.invoked_statement = compiled.statement if compiled is not None else None


class ExceptionContext:
    """What a ``handle_error`` listener is told about a failed execution. It may set
    ``is_disconnect`` (the connection is then invalidated, or not) or return an exception to
    raise instead."""

    def __init__(
        self,
        connection: Connection,
        original: BaseException,
        wrapped: exc.OrmkitError | None,
        statement: str | None,
        parameters: Any,
        cursor: Any,
        context: ExecutionContext | None,
        is_disconnect: bool,
    ) -> None:
        self.connection = connection
        self.engine = connection.engine
        self.dialect = connection.dialect
        self.original_exception = original
        self.sqlalchemy_exception = wrapped
        self.chained_exception: BaseException | None = None
        self.statement = statement
        self.parameters = parameters
        self.cursor = cursor
        self.execution_context = context
        self.is_disconnect = is_disconnect
        self.invalidate_pool_on_disconnect = True
        self.is_pre_ping = False


def run_cursor(
    conn: Connection,
    compiled: Compiled | None,
    sql: str,
    params: Any,
    many: bool,
    options: Mapping[str, Any],
    finish: Finish[_T],
) -> _T:
    """Run one statement on the driver: the one road (see the module docstring)."""
    transaction = conn._transaction
    if transaction is None or not transaction.is_active:
        conn._autobegin()
        transaction = conn._transaction
    assert transaction is not None
    if not transaction._begun:
        transaction._ensure_begun()
    if conn._open_stream is not None:
        conn._buffer_open_stream()
    if options or conn._echo or conn.dispatch.listened:
        return _run_observed(conn, compiled, sql, params, many, options, finish)
    # the common case: no options, no echo, no Connection listeners
    dialect = conn.dialect
    cursor = None
    try:
        cursor = conn.connection.dbapi_connection.cursor()
        if dialect.dispatch.listened:
            _execute_hooked(conn, cursor, compiled, sql, params, many, options, None)
        elif many:
            dialect.do_executemany(cursor, sql, params)
        else:
            dialect.do_execute(cursor, sql, params)
    except Exception as err:
        if cursor is not None:
            _close_quietly(cursor)
        handle_error(conn, err, sql, params, compiled, many, cursor, None)
    return finish(conn, cursor, compiled, params, many, options)


def _run_observed(
    conn: Connection,
    compiled: Compiled | None,
    sql: str,
    params: Any,
    many: bool,
    options: Mapping[str, Any],
    finish: Finish[_T],
) -> _T:
    """run_cursor() with what may watch or steer it: options (a server-side cursor for
    stream_results / yield_per, no_parameters), echo, and the cursor events, whose retval
    listeners may change the SQL and parameters sent."""
    dispatch = conn.dispatch
    dialect = conn.dialect
    context: ExecutionContext | None = None
    cursor = None
    try:
        dbapi_connection = conn.connection.dbapi_connection
        if compiled is not None and not many and _streams(conn, compiled, options):
            cursor = dialect.create_cursor(dbapi_connection, server_side=True)
        else:
            cursor = dbapi_connection.cursor()
        if dispatch.before_cursor_execute:
            context = ExecutionContext(conn, compiled, cursor, sql, params, many, options)
            for listener in dispatch.before_cursor_execute:
                sql, params = listener(conn, cursor, sql, params, context, many)
            context.statement, context.parameters = sql, params
        if conn._echo:
            _log_statement(conn, sql, params, compiled, many, options)
        if dialect.dispatch.listened or (not params and options.get("no_parameters")):
            context = _execute_hooked(conn, cursor, compiled, sql, params, many, options, context)
        elif many:
            dialect.do_executemany(cursor, sql, params)
        else:
            dialect.do_execute(cursor, sql, params)
    except Exception as err:
        if cursor is not None:
            _close_quietly(cursor)
        handle_error(conn, err, sql, params, compiled, many, cursor, context)
    if dispatch.after_cursor_execute:
        if context is None:
            context = ExecutionContext(conn, compiled, cursor, sql, params, many, options)
        for listener in dispatch.after_cursor_execute:
            listener(conn, cursor, sql, params, context, many)
    return finish(conn, cursor, compiled, params, many, options)


def _execute_hooked(
    conn: Connection,
    cursor: Any,
    compiled: Compiled | None,
    sql: str,
    params: Any,
    many: bool,
    options: Mapping[str, Any],
    context: ExecutionContext | None,
) -> ExecutionContext:
    """The driver call when dialect listeners may take it over (the first that returns True
    has run the statement itself) or ``no_parameters`` asks for a call without parameters."""
    dialect = conn.dialect
    dispatch = dialect.dispatch
    if context is None:
        context = ExecutionContext(conn, compiled, cursor, sql, params, many, options)
    if many:
        if not any(listener(cursor, sql, params, context) for listener in dispatch.do_executemany):
            dialect.do_executemany(cursor, sql, params)
    elif not params and options.get("no_parameters"):
        if not any(listener(cursor, sql, context) for listener in dispatch.do_execute_no_params):
            dialect.do_execute_no_params(cursor, sql)
    elif not any(listener(cursor, sql, params, context) for listener in dispatch.do_execute):
        dialect.do_execute(cursor, sql, params)
    return context


def _close_quietly(cursor: Any) -> None:
    with contextlib.suppress(Exception):  # the error being raised is the one that matters
        cursor.close()


def _streams(conn: Connection, compiled: Compiled, options: Mapping[str, Any]) -> bool:
    """True when rows should come from a server-side cursor (stream_results/yield_per)."""
    if not (options.get("stream_results") or options.get("yield_per")):
        return False
    if not conn.dialect.supports_server_side_cursors or compiled.is_dml or compiled.is_ddl:
        return False
    return bool(compiled.result_columns)


# -- echo -------------------------------------------------------------------------------------


def _log_statement(
    conn: Connection,
    sql: str,
    params: Any,
    compiled: Compiled | None,
    many: bool,
    options: Mapping[str, Any],
) -> None:
    token = options.get("logging_token")
    prefix = f"[{token}] " if token is not None else ""
    echo_log(log, logging.INFO, "%s%s", prefix, sql)
    if compiled is None:
        how = "raw sql"
    elif compiled.compile_seconds is not None:
        how = f"generated in {compiled.compile_seconds:.5f}s"
        compiled.compile_seconds = None  # the next run of it is served from the cache
    else:
        how = f"cached since {time.perf_counter() - compiled.compiled_at:.4g}s ago"
    shown: Any = params
    if conn.engine.hide_parameters:
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
    echo_log(log, logging.INFO, "%s[%s] %s", prefix, how, shown)


# -- building what the caller gets ------------------------------------------------------------


def fetch_rows(
    conn: Connection,
    cursor: Any,
    compiled: Compiled | None,
    params: Any,
    many: bool,
    options: Mapping[str, Any],
) -> list[Any]:
    """Every row, values converted, as plain sequences (the ORM's fast path: no Result)."""
    try:
        rows = cursor.fetchall()
    except Exception as err:
        handle_error(conn, err, None, params, compiled, many, cursor, None)
    finally:
        cursor.close()
    if conn._echo_rows:
        _log_rows(rows)
    if compiled is None:
        return rows  # type: ignore[no-any-return]
    active = compiled.active_processors
    if active is None:
        active = compiled.active_processors = active_processors(compiled.result_processors())
    return converted_rows(rows, active) if active else rows


def make_result(
    conn: Connection,
    cursor: Any,
    compiled: Compiled | None,
    params: Any,
    many: bool,
    options: Mapping[str, Any],
) -> CursorResult:
    """The CursorResult of an execution (rows to fetch, or rowcount and inserted key)."""
    description = cursor.description
    returned = None
    if compiled is not None and compiled.implicit_returning:
        # the generated key RETURNING brought back is not a row the caller asked for
        if not many and description is not None:
            returned = cursor.fetchone()
        description = None
    fields: list[str] = []
    processors: Sequence[Callable[[Any], Any] | None] | None = None
    row_cls = None
    if description is None:
        pass
    elif (
        compiled is not None
        and compiled.result_columns
        and len(compiled.result_columns) == len(description)
    ):
        row_cls = compiled.row_cls
        if row_cls is None:
            row_cls = compiled.row_cls = _row_class_of(compiled)
        fields = list(row_cls._fields)
        processors = compiled.result_processors()
    else:
        fields = [d[0] for d in description]
        row_cls = row_class(fields)
        if compiled is not None and compiled.result_columns:
            by_name = {n: t for n, t, _ in compiled.result_columns}
            processors = [
                by_name[f].result_processor(conn.dialect) if f in by_name else None for f in fields
            ]
    inserted_pk = None
    if compiled is not None and compiled.is_insert and not many:
        inserted_pk = _inserted_primary_key(conn, compiled, params, cursor, returned)
    rowcount, lastrowid = cursor.rowcount, getattr(cursor, "lastrowid", None)
    rows_from = cursor
    if description is None:
        cursor.close()
    elif conn._echo_rows:  # the rows are read now to be logged; the result serves them after
        raw = cursor.fetchall()
        cursor.close()
        _log_rows(raw)
        rows_from = _ListCursor(raw)
    result = CursorResult(
        rows_from,
        fields,
        processors,
        row_cls,
        returns_rows=description is not None,
        rowcount=rowcount,
        lastrowid=lastrowid,
        inserted_primary_key=inserted_pk,
    )
    if description is None:
        return result
    yield_per = options.get("yield_per")
    if yield_per:
        result.yield_per(yield_per)
    max_row_buffer = options.get("max_row_buffer")
    if max_row_buffer is not None:
        result._chunk_size = max_row_buffer
    if (
        rows_from is cursor
        and compiled is not None
        and not many
        and conn.dialect.server_side_cursor_holds_connection
        and _streams(conn, compiled, options)
    ):
        conn._open_stream = weakref.ref(result)
    return result


def _log_rows(rows: list[Any]) -> None:
    for row in rows:
        echo_log(log, logging.DEBUG, "Row %r", tuple(row))


def _row_class_of(compiled: Compiled) -> Any:
    """The Row class of a compiled SELECT's columns, with every object that names one."""
    extra: dict[Any, int] = {}
    for index, (_, _, objects) in enumerate(compiled.result_columns):
        for obj in objects:
            if not isinstance(obj, str):
                extra.setdefault(obj, index)
    row_cls = row_class([name for name, _, _ in compiled.result_columns], extra)
    for index, (_, _, objects) in enumerate(compiled.result_columns):
        for obj in objects:
            if isinstance(obj, str):
                row_cls._keymap.setdefault(obj, index)
    return row_cls


def _inserted_primary_key(
    conn: Connection, compiled: Compiled, params: Any, cursor: Any, returned: Any = None
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
            processor = column.type.result_processor(conn.dialect)
            values.append(processor(value) if processor and value is not None else value)
        elif column._autoincrement_eligible and conn.dialect.postfetch_lastrowid:
            values.append(getattr(cursor, "lastrowid", None))
        else:
            values.append(None)
    return row_class([c.key for c, _ in compiled.pk_sources])(values)


# -- errors -----------------------------------------------------------------------------------


def handle_error(
    conn: Connection,
    err: Exception,
    statement: str | None,
    params: Any,
    compiled: Compiled | None = None,
    many: bool = False,
    cursor: Any = None,
    context: ExecutionContext | None = None,
) -> Any:
    """Raise the ``ormkit.exc`` error for a failed execution (or what a ``handle_error``
    listener gives instead); a lost connection is invalidated first."""
    record = conn._dbapi
    is_disconnect = bool(
        record is not None
        and record.dbapi_connection is not None
        and conn.dialect.is_disconnect(err, record.dbapi_connection)
    )
    wrapped: exc.OrmkitError | None = None
    if isinstance(err, exc.OrmkitError):
        wrapped = err
    else:
        wrapped = conn.dialect.wrap_dbapi_error(err, statement, params, is_disconnect)
        if wrapped is not None:
            wrapped.hide_parameters = conn.engine.hide_parameters
            hint = _unbindable_hint(params, compiled, many)
            if hint:
                wrapped.message += f"\n({hint})"
    raised: BaseException | None = None
    if conn.dispatch.handle_error:
        ctx = ExceptionContext(
            conn, err, wrapped, statement, params, cursor, context, is_disconnect
        )
        for listener in conn.dispatch.handle_error:
            replacement = listener(ctx)
            if replacement is not None:
                raised = ctx.chained_exception = replacement
        if isinstance(wrapped, exc.DBAPIError):
            wrapped.connection_invalidated = ctx.is_disconnect
        is_disconnect = ctx.is_disconnect
    if is_disconnect:
        conn.invalidate(err)
    if raised is not None:
        raise raised from err
    if wrapped is None:
        raise err
    if wrapped is err:
        raise err
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
