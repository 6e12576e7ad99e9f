"""The events of engines and connections, of pools and of dialects: names and listener
arguments, as SQLAlchemy 2.x documents them. Where each fires is in the module that does the
work (``engine/execution.py`` for statements, ``engine/base.py`` for transactions,
``pool.py``, ``engine/create.py`` for ``do_connect``)."""

from __future__ import annotations

from typing import Any

from ormkit.event.registry import EventDef, EventFamily


def _statement_and_parameters(args: tuple[Any, ...]) -> tuple[Any, Any]:
    return args[2], args[3]  # before_cursor_execute(conn, cursor, statement, parameters, ...)


def _clause_and_parameters(args: tuple[Any, ...]) -> tuple[Any, Any, Any]:
    return args[1], args[2], args[3]  # before_execute(conn, clauseelement, multiparams, params)


CONNECTION_EVENTS = EventFamily(
    "Connection",
    {
        "before_execute": EventDef(
            ("conn", "clauseelement", "multiparams", "params", "execution_options"),
            _clause_and_parameters,
        ),
        "after_execute": EventDef(
            ("conn", "clauseelement", "multiparams", "params", "execution_options", "result")
        ),
        "before_cursor_execute": EventDef(
            ("conn", "cursor", "statement", "parameters", "context", "executemany"),
            _statement_and_parameters,
        ),
        "after_cursor_execute": EventDef(
            ("conn", "cursor", "statement", "parameters", "context", "executemany")
        ),
        "handle_error": EventDef(("exception_context",), lambda args: None),
        "engine_connect": EventDef(("conn",)),
        "set_connection_execution_options": EventDef(("conn", "opts")),
        "set_engine_execution_options": EventDef(("engine", "opts")),
        "engine_disposed": EventDef(("engine",)),
        "begin": EventDef(("conn",)),
        "commit": EventDef(("conn",)),
        "rollback": EventDef(("conn",)),
        "savepoint": EventDef(("conn", "name")),
        "rollback_savepoint": EventDef(("conn", "name", "context")),
        "release_savepoint": EventDef(("conn", "name", "context")),
        # ormkit has no two-phase commit (create_engine and Session refuse twophase=True), so
        # these never fire; they are listenable because they are part of the documented family
        "begin_twophase": EventDef(("conn", "xid")),
        "prepare_twophase": EventDef(("conn", "xid")),
        "commit_twophase": EventDef(("conn", "xid", "is_prepared")),
        "rollback_twophase": EventDef(("conn", "xid", "is_prepared")),
    },
)

POOL_EVENTS = EventFamily(
    "Pool",
    {
        "connect": EventDef(("dbapi_connection", "connection_record")),
        "first_connect": EventDef(("dbapi_connection", "connection_record")),
        "checkout": EventDef(("dbapi_connection", "connection_record", "connection_proxy")),
        "checkin": EventDef(("dbapi_connection", "connection_record")),
        "reset": EventDef(("dbapi_connection", "connection_record", "reset_state")),
        "invalidate": EventDef(("dbapi_connection", "connection_record", "exception")),
        "soft_invalidate": EventDef(("dbapi_connection", "connection_record", "exception")),
        "close": EventDef(("dbapi_connection", "connection_record")),
        "detach": EventDef(("dbapi_connection", "connection_record")),
        "close_detached": EventDef(("dbapi_connection",)),
    },
)

# A dialect event listener that returns True has done the work itself: the dialect's own
# call is skipped (do_connect: a driver connection returned is used instead of a new one).
DIALECT_EVENTS = EventFamily(
    "Dialect",
    {
        "do_connect": EventDef(("dialect", "conn_rec", "cargs", "cparams")),
        "do_execute": EventDef(("cursor", "statement", "parameters", "context")),
        "do_executemany": EventDef(("cursor", "statement", "parameters", "context")),
        "do_execute_no_params": EventDef(("cursor", "statement", "context")),
        # no ormkit dialect sets input sizes on its cursors (none of its drivers needs it), so
        # this one never fires; it is listenable because it is part of the documented family
        "do_setinputsizes": EventDef(
            ("inputsizes", "cursor", "statement", "parameters", "context")
        ),
    },
)
