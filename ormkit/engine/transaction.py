"""Transactions and savepoints of a Connection.

A RootTransaction is the connection's outermost transaction: BEGIN goes out when it is asked
for, or with the first statement when it began by itself. A NestedTransaction is a SAVEPOINT
inside it. Both are context managers that commit, or roll back on error; the connection
does the driver work and fires the transaction events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ormkit import exc

if TYPE_CHECKING:
    from ormkit.engine.base import Connection


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
        root._ensure_begun()
        for listener in connection.dispatch.savepoint:
            listener(connection, name)
        connection.dialect.do_savepoint(connection, name)

    def commit(self) -> None:
        self._check_active("release the savepoint")
        conn = self.connection
        self._close_inner()
        for listener in conn.dispatch.release_savepoint:
            listener(conn, self.name, None)
        try:
            conn.dialect.do_release_savepoint(conn, self.name)
        finally:
            self.is_active = False

    def rollback(self) -> None:
        if not self.is_active:
            return
        conn = self.connection
        self._close_inner()
        for listener in conn.dispatch.rollback_savepoint:
            listener(conn, self.name, None)
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
