"""The one exception hierarchy of ormkit.

Every error says what happened and, where it can, what to do next. Driver errors are wrapped
into ``DBAPIError`` subclasses that carry the statement, its parameters and the driver's own
exception as ``.orig``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class OrmkitError(Exception):
    """Base of every error ormkit raises."""


class ArgumentError(OrmkitError):
    """A function or constructor was given an argument it cannot use."""


class NoSuchModuleError(ArgumentError):
    """A URL names a dialect or driver that is not registered or not installed."""


class CompileError(OrmkitError):
    """A statement cannot be rendered as SQL for the target database."""


class UnsupportedCompilationError(CompileError):
    """The compiler has no handler for a node of this kind."""


class InvalidRequestError(OrmkitError):
    """The operation is not valid in the current state of the object."""


class NoSuchColumnError(InvalidRequestError, KeyError):
    """A column key was asked for that the row or table does not have."""

    def __str__(self) -> str:  # KeyError would repr() the message otherwise
        return str(self.args[0]) if self.args else ""


class NoSuchTableError(InvalidRequestError):
    """A table named for reflection does not exist in the database."""


class ResourceClosedError(InvalidRequestError):
    """The connection, transaction or result was already closed."""


class NoResultFound(InvalidRequestError):
    """A query expected exactly one row and found none."""


class MultipleResultsFound(InvalidRequestError):
    """A query expected at most one row and found more."""


class TimeoutError(OrmkitError):
    """No pooled connection became free within the pool timeout."""


class DisconnectionError(OrmkitError):
    """A pooled connection was found dead (pre-ping or a failed operation)."""


def _truncate_params(params: Any, limit: int = 10) -> str:
    """Render parameters for an error message, shortening long batches and values."""

    def short(value: Any) -> str:
        text = repr(value)
        return text if len(text) <= 100 else text[:97] + "..."

    if isinstance(params, Mapping):
        return "{" + ", ".join(f"{k!r}: {short(v)}" for k, v in params.items()) + "}"
    if isinstance(params, Sequence) and not isinstance(params, str | bytes):
        if (
            params
            and isinstance(params[0], Mapping | Sequence)
            and not isinstance(params[0], str | bytes)
        ):
            shown = [_truncate_params(p) for p in params[:limit]]
            more = f", ... {len(params) - limit} more" if len(params) > limit else ""
            return "[" + ", ".join(shown) + more + "]"
        return "(" + ", ".join(short(v) for v in params) + ("," if len(params) == 1 else "") + ")"
    return short(params)


#: What an error shows in place of the parameters of an engine with hide_parameters=True.
HIDDEN_PARAMETERS = "[SQL parameters hidden due to hide_parameters=True]"


class StatementError(OrmkitError):
    """An error raised while running a statement; carries the SQL and its parameters.

    With ``hide_parameters`` (set for an engine made with ``hide_parameters=True``) the text
    says so instead of showing them; ``params`` still holds them for the program.
    """

    #: True when the parameters must not appear in the error's text.
    hide_parameters: bool = False

    def __init__(
        self,
        message: str,
        statement: str | None,
        params: Any,
        orig: BaseException | None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.statement = statement
        self.params = params
        self.orig = orig

    def __str__(self) -> str:
        parts = [self.message]
        if self.statement is not None:
            parts.append(f"[SQL: {self.statement}]")
            if self.hide_parameters:
                parts.append(HIDDEN_PARAMETERS)
            elif self.params:
                parts.append(f"[parameters: {_truncate_params(self.params)}]")
        return "\n".join(parts)

    def __reduce__(self) -> Any:
        # the state carries hide_parameters (and a subclass's flags) across pickling
        return (
            type(self),
            (self.message, self.statement, self.params, self.orig),
            dict(self.__dict__),
        )


class DBAPIError(StatementError):
    """The database driver raised an error; ``.orig`` is the driver's exception."""

    #: True when the error means the connection is gone and was discarded from the pool.
    connection_invalidated: bool = False
    #: True for a deadlock or serialization failure: the database rolled the transaction
    #: back, and running the whole transaction again may well succeed.
    retryable: bool = False

    def __init__(
        self,
        message: str,
        statement: str | None,
        params: Any,
        orig: BaseException | None,
        connection_invalidated: bool = False,
    ) -> None:
        super().__init__(message, statement, params, orig)
        self.connection_invalidated = connection_invalidated


class InterfaceError(DBAPIError):
    """The driver's interface was misused (for example a closed cursor)."""


class DatabaseError(DBAPIError):
    """The database reported an error."""


class DataError(DatabaseError):
    """A value was out of range or of the wrong form for its column."""


class OperationalError(DatabaseError):
    """The database could not carry out the operation (locks, connections, disk)."""


class IntegrityError(DatabaseError):
    """A constraint was violated: unique, foreign key, not null or check."""


class InternalError(DatabaseError):
    """The database reported an internal error."""


class ProgrammingError(DatabaseError):
    """The SQL was wrong: a syntax error, or a table or column that does not exist."""


class NotSupportedError(DatabaseError):
    """The database does not support the requested feature."""


#: The PEP 249 exception names, most specific first, for mapping driver errors.
DBAPI_ERROR_CLASSES: tuple[tuple[str, type[DBAPIError]], ...] = (
    ("IntegrityError", IntegrityError),
    ("DataError", DataError),
    ("OperationalError", OperationalError),
    ("ProgrammingError", ProgrammingError),
    ("NotSupportedError", NotSupportedError),
    ("InternalError", InternalError),
    ("DatabaseError", DatabaseError),
    ("InterfaceError", InterfaceError),
)


class NoReferencedTableError(InvalidRequestError):
    """A ForeignKey names a table its MetaData does not have."""

    def __init__(self, message: str, table_name: str) -> None:
        super().__init__(message)
        self.table_name = table_name


class NoReferencedColumnError(InvalidRequestError):
    """A ForeignKey names a column its target table does not have."""

    def __init__(self, message: str, table_name: str, column_name: str) -> None:
        super().__init__(message)
        self.table_name = table_name
        self.column_name = column_name


class CircularDependencyError(OrmkitError):
    """Tables or rows depend on each other in a cycle, so no order can write them.

    ``cycles`` holds the members of the cycle (tables, or the objects of a flush) and
    ``edges`` the ``(before, after)`` dependencies found among them, when known.
    """

    def __init__(
        self, message: str, cycles: Sequence[object], edges: Sequence[tuple[object, object]] = ()
    ) -> None:
        super().__init__(message)
        self.cycles = list(cycles)
        self.edges = list(edges)

    def __reduce__(self) -> Any:
        return (type(self), (self.args[0], self.cycles, self.edges))


class NoInspectionAvailable(InvalidRequestError):
    """``inspect()`` was given something it cannot look inside."""


# -- ORM errors -------------------------------------------------------------------------------


class UnmappedError(InvalidRequestError):
    """An object or class is not mapped."""


class UnmappedClassError(UnmappedError):
    """A class was used as a mapped class, but it is not one."""


class UnmappedInstanceError(UnmappedError):
    """An object was given to the session, but its class is not mapped."""


class UnmappedColumnError(InvalidRequestError):
    """A column was asked for that the mapper does not map."""


class DetachedInstanceError(InvalidRequestError):
    """An attribute could not be loaded because the object belongs to no session."""


class ObjectDeletedError(InvalidRequestError):
    """An object's row was deleted (or is otherwise missing) when loading an attribute."""


class FlushError(InvalidRequestError):
    """The unit of work could not work out how to flush the session's changes."""


class StaleDataError(FlushError):
    """An UPDATE or DELETE matched fewer rows than expected: someone else changed them."""


class PendingRollbackError(InvalidRequestError):
    """The session's transaction failed and must be rolled back before more work."""


class NPlusOneWarning(UserWarning):
    """A relationship was lazy-loaded once per object of a query: load it with the query."""


class OrmkitWarning(UserWarning):
    """Something worked, but probably not the way it was meant to."""
