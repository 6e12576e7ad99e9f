"""The Session's transactions: the ``begin()``/``begin_nested()`` handles, and how a Session
joins a Connection that its caller gives it (``join_transaction_mode``).

A Session bound to an Engine owns its connection and its transaction outright. One bound to a
Connection shares them with its caller, and ``join_transaction_mode`` decides what the
Session's commit, rollback and close may do to the caller's transaction; the per-test
"roll everything back afterwards" fixture depends on that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ormkit import exc

if TYPE_CHECKING:
    from ormkit.engine.base import Connection, NestedTransaction
    from ormkit.orm.session import Session

#: The documented ways a Session can join a Connection given to it as its bind.
JOIN_TRANSACTION_MODES = frozenset(
    {"conditional_savepoint", "create_savepoint", "rollback_only", "control_fully"}
)


def check_join_transaction_mode(mode: str) -> str:
    """``mode``, when it is one of JOIN_TRANSACTION_MODES; ArgumentError otherwise."""
    if mode not in JOIN_TRANSACTION_MODES:
        raise exc.ArgumentError(
            f"Session() got join_transaction_mode={mode!r}; it takes one of "
            f"{', '.join(sorted(JOIN_TRANSACTION_MODES))}"
        )
    return mode


class SessionTransaction:
    """``with session.begin():`` commits at the end, or rolls back on an exception.

    A nested one (``begin_nested()``) stands for a SAVEPOINT. When a flush inside it fails,
    the database and the session go back to the savepoint and the transaction is left
    *failed*: the session refuses work until it is rolled back, which leaving its ``with``
    block does; work done before the savepoint is kept.
    """

    def __init__(self, session: Session, nested: NestedTransaction | None = None) -> None:
        self.session = session
        self.nested = nested
        self._snapshot = (
            (set(session._flushed_new), set(session._flushed_deleted)) if nested else None
        )
        #: A flush inside this savepoint failed; it was rolled back and awaits rollback().
        self.failed: BaseException | None = None

    @property
    def is_active(self) -> bool:
        """True until committed or rolled back (False once a flush inside it failed)."""
        if self.nested is not None:
            return self.nested.is_active and self.failed is None
        return self.session._begun

    def commit(self) -> None:
        """Commit (release the savepoint, for a nested transaction)."""
        if self.nested is None:
            self.session.commit()
            return
        self.session._check_usable()
        self.session.flush()
        self.nested.commit()
        self.session._forget_savepoint(self)

    def rollback(self) -> None:
        """Roll back (to the savepoint, for a nested transaction)."""
        if self.nested is None:
            self.session.rollback()
            return
        if self in self.session._nested:
            self.session._rollback_to_savepoint(self)

    def __enter__(self) -> SessionTransaction:
        return self

    def __exit__(self, exc_type: Any, exc_value: Any, tb: Any) -> None:
        if exc_type is None and self.is_active:
            try:
                self.commit()
            except BaseException:
                self.rollback()  # as the block had raised: the session stays usable
                raise
        elif self.nested is not None or self.is_active:
            self.rollback()


class JoinedConnection:
    """A Connection the Session's caller gave it, and what the Session may do with its
    transaction, decided when the Session first uses it:

    * ``create_savepoint``: the Session works inside a SAVEPOINT of its own; its commit
      releases it, its rollback and close roll back to it; the caller's transaction is never
      ended by the Session.
    * ``rollback_only``: commit only flushes; rollback rolls the caller's transaction back;
      close leaves it alone.
    * ``control_fully``: the caller's transaction is the Session's: commit commits it,
      rollback and close roll it back.
    * ``conditional_savepoint`` (the default) is ``create_savepoint`` when the Connection is
      inside a savepoint, ``rollback_only`` when inside a transaction, and full control when
      not in a transaction at all (the Session begins one).
    """

    def __init__(self, connection: Connection, mode: str) -> None:
        self.connection = connection
        if mode == "conditional_savepoint":
            if connection.in_nested_transaction():
                mode = "create_savepoint"
            elif connection.in_transaction():
                mode = "rollback_only"
            else:
                mode = "control_fully"
        self.mode = mode
        self.savepoint = connection.begin_nested() if mode == "create_savepoint" else None

    def commit(self) -> None:
        """End the Session's transaction successfully, as the mode allows."""
        if self.savepoint is not None:
            if self.savepoint.is_active:
                self.savepoint.commit()
        elif self.mode == "control_fully":
            self.connection.commit()

    def rollback(self, closing: bool = False) -> None:
        """Undo the Session's transaction, as the mode allows (``close()`` passes closing)."""
        if self.savepoint is not None:
            if self.savepoint.is_active:
                self.savepoint.rollback()
        elif not (closing and self.mode == "rollback_only"):
            self.connection.rollback()
