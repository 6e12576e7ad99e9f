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
    from ormkit.engine.base import Connection
    from ormkit.engine.transaction import NestedTransaction, Transaction
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
        #: Objects flushed (UPDATEd, DELETEd) while this savepoint was open, by id: rolling
        #: back to it expires them (and those with changes not flushed), not the others.
        self.changed: dict[int, Any] = {}

    @property
    def is_active(self) -> bool:
        """True until committed or rolled back (False once a flush inside it failed)."""
        if self.nested is not None:
            return self.nested.is_active and self.failed is None
        return self.session._begun

    def _check_open(self, what: str) -> None:
        """A nested transaction can be ended once: ResourceClosedError after that."""
        if self.nested is not None and self not in self.session._nested:
            raise exc.ResourceClosedError(
                f"cannot {what} this begin_nested() transaction: it has already ended "
                "(committed, rolled back, or with the session's transaction or close()); "
                "call session.begin_nested() for a new savepoint"
            )

    def commit(self) -> None:
        """Commit (release the savepoint, for a nested transaction)."""
        if self.nested is None:
            self.session.commit()
            return
        self._check_open("commit")
        self.session._check_usable()
        self.session.flush()
        self.nested.commit()
        self.session._forget_savepoint(self)

    def rollback(self) -> None:
        """Roll back (to the savepoint, for a nested transaction)."""
        if self.nested is None:
            self.session.rollback()
            return
        self._check_open("roll back")
        self.session._rollback_to_savepoint(self)

    def __enter__(self) -> SessionTransaction:
        return self

    def __exit__(self, exc_type: Any, exc_value: Any, tb: Any) -> None:
        if self.nested is not None and self not in self.session._nested:
            return  # the block ended it already (session commit, rollback or close)
        if exc_type is None and self.is_active:
            try:
                self.commit()
            except BaseException:
                self.rollback()  # as the block had raised: the session stays usable
                raise
        elif self.nested is not None or self.is_active:
            self.rollback()


class JoinedConnection:
    """A Connection the Session's caller gave it, and what the Session may do with the
    caller's transaction, decided when the Session first uses it. The Session takes the
    innermost transaction open on the Connection (a savepoint the caller began, or else its
    transaction), or one of its own:

    * ``create_savepoint``: a SAVEPOINT of its own; the Session's commit releases it, its
      rollback and close roll back to it; the caller's transaction is never ended.
    * ``rollback_only``: the Session's commit only flushes; its rollback rolls the caller's
      transaction back; its close leaves it alone.
    * ``control_fully``: the caller's transaction is the Session's: commit commits it,
      rollback and close roll it back.
    * ``conditional_savepoint`` (the default) is ``create_savepoint`` when the Connection is
      inside a savepoint, ``rollback_only`` otherwise.

    The modes are about a transaction the caller began: on a Connection not in a transaction
    the Session begins one, which is its own, whatever the mode (as SQLAlchemy documents).
    """

    def __init__(self, connection: Connection, mode: str) -> None:
        self.connection = connection
        transaction: Transaction | None
        if not connection.in_transaction():
            mode, transaction = "control_fully", connection.begin()
        else:
            if mode == "conditional_savepoint":
                nested = connection.in_nested_transaction()
                mode = "create_savepoint" if nested else "rollback_only"
            transaction = connection.get_nested_transaction() or connection.get_transaction()
            if mode == "create_savepoint":
                transaction = connection.begin_nested()
        assert transaction is not None
        self.mode = mode
        #: The transaction the Session commits or rolls back, as its mode allows.
        self.transaction = transaction

    def commit(self) -> None:
        """End the Session's transaction successfully, as the mode allows."""
        if self.mode == "rollback_only":
            return
        if not self.transaction.is_active:
            raise exc.InvalidRequestError(
                f"the transaction this Session joined (join_transaction_mode={self.mode!r}) "
                "was already ended on its Connection by the caller, so commit() cannot commit "
                "the Session's work: it went with that transaction. Call session.rollback()"
            )
        self.transaction.commit()

    def rollback(self, closing: bool = False) -> None:
        """Undo the Session's transaction, as the mode allows (``close()`` passes closing)."""
        if not (closing and self.mode == "rollback_only"):
            self.transaction.rollback()  # a no-op once the transaction has ended
