"""Connection pools: hand out driver connections and take them back, resetting each one.

``QueuePool`` keeps up to ``pool_size`` idle connections and opens up to ``max_overflow`` more
under load, making callers wait ``timeout`` seconds at most. A checked-out connection is
pinged first when ``pre_ping`` is set, and replaced when older than ``recycle`` seconds.

Pool events (``connect``, ``checkout``, ``checkin``, ``reset``, ``invalidate``, ``close``,
...) fire here; listeners given to a pool class reach every pool of that class.
"""

from __future__ import annotations

import inspect
import logging
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from ormkit import exc
from ormkit.engine.echo import echo_log, enable_echo
from ormkit.engine.events import POOL_EVENTS
from ormkit.event.registry import Dispatch, subclass_dispatch

log = logging.getLogger("ormkit.pool")


def _takes_one_argument(creator: Callable[..., Any]) -> bool:
    try:
        signature = inspect.signature(creator)
    except (TypeError, ValueError):  # a builtin without a signature: called with none
        return False
    try:
        signature.bind(None)
    except TypeError:
        return False
    try:
        signature.bind()
    except TypeError:
        return True
    return False  # takes none or one: none, as a zero-argument creator expects


class PooledConnection:
    """A driver connection lent out by a pool; ``close()`` gives it back.

    While lent, the pool holds it strongly and watches its borrower (a Connection, or the
    handle ``raw_connection()`` returns) through a weak reference: a borrower that is
    garbage-collected without closing gives the connection back, rolled back, so an
    unclosed Session or Connection never keeps a pool slot forever.
    """

    __slots__ = (
        "_borrower",
        "_checked_out",
        "_detached",
        "_pool",
        "_soft_invalidated",
        "created_at",
        "dbapi_connection",
        "info",
    )

    def __init__(self, pool: Pool) -> None:
        self._pool = pool
        self.dbapi_connection: Any = None
        self.created_at = time.monotonic()
        self._checked_out = False
        self._borrower: weakref.ref[Any] | None = None
        #: Invalidated softly: kept while lent, replaced at its next checkout.
        self._soft_invalidated = False
        #: Taken out of the pool by detach(): closed, not returned, when done.
        self._detached = False
        self.info: dict[str, Any] = {}

    @property
    def driver_connection(self) -> Any:
        """The driver's connection object (the same as ``dbapi_connection``)."""
        return self.dbapi_connection

    def lend_to(self, borrower: Any, give_back: Callable[[], None] | None = None) -> None:
        """Watch ``borrower``: when it is collected unclosed, ``give_back()`` (default
        ``close()``) returns the connection. ``give_back`` must not refer to ``borrower``."""
        finish = self.close if give_back is None else give_back
        kind = type(borrower).__name__  # the closure must not hold the borrower itself

        def collected(ref: weakref.ref[Any]) -> None:
            if self._borrower is ref and self._checked_out:
                self._pool._event(
                    logging.INFO,
                    "a %s was garbage-collected without close(); its connection was rolled "
                    "back and returned to the pool",
                    kind,
                )
                finish()

        self._borrower = weakref.ref(borrower, collected)

    @property
    def is_valid(self) -> bool:
        """False once the connection was invalidated."""
        return self.dbapi_connection is not None

    def cursor(self) -> Any:
        """A new driver cursor."""
        return self.dbapi_connection.cursor()

    def invalidate(self, e: BaseException | None = None, soft: bool = False) -> None:
        """Close the driver connection for good; the pool makes a new one when needed.

        ``soft=True`` keeps it usable by its borrower and replaces it at its next checkout.
        ``e`` is the error that made it unusable, for the ``invalidate`` event."""
        pool = self._pool
        conn = self.dbapi_connection
        if conn is None:
            return
        if soft:
            for listener in pool.dispatch.soft_invalidate:
                listener(conn, self, e)
            self._soft_invalidated = True
            return
        for listener in pool.dispatch.invalidate:
            listener(conn, self, e)
        pool._event(logging.INFO, "invalidating connection %r", conn)
        pool._close_driver(self)
        pool._discarded()

    def detach(self) -> None:
        """Take the connection out of the pool: the pool opens another in its place, and
        this one is closed, not returned, when its borrower is done with it."""
        if self._detached or not self._checked_out:
            return
        pool = self._pool
        if self.dbapi_connection is not None:
            for listener in pool.dispatch.detach:
                listener(self.dbapi_connection, self)
        self._detached = True  # still lent (held in pool._lent) until its borrower is done
        pool._discarded_detached(self)

    def close(self) -> None:
        """Give the connection back to the pool (rolled back first)."""
        if self._checked_out:
            self._checked_out = False
            self._borrower = None
            pool = self._pool
            pool._lent.discard(self)
            if self._detached:
                conn, self.dbapi_connection = self.dbapi_connection, None
                if conn is not None:
                    for listener in pool.dispatch.close_detached:
                        listener(conn)
                    pool._close_quietly(conn)
                return
            pool._return(self)


class PoolProxiedConnection:
    """What ``Engine.raw_connection()`` returns: the driver connection, on loan from the pool.

    Driver methods (``cursor()``, ``commit()``, ...) are reached through it; ``close()``
    returns the connection to the pool, as does dropping the last reference to this handle.
    """

    def __init__(self, record: PooledConnection) -> None:
        self._record = record
        record.lend_to(self)

    @property
    def dbapi_connection(self) -> Any:
        """The driver's connection object."""
        return self._record.dbapi_connection

    driver_connection = dbapi_connection

    @property
    def info(self) -> dict[str, Any]:
        """A dict that lives as long as the pooled connection."""
        return self._record.info

    @property
    def is_valid(self) -> bool:
        """False once the connection was invalidated."""
        return self._record.is_valid

    def cursor(self, *args: Any, **kw: Any) -> Any:
        """A new driver cursor."""
        return self._record.dbapi_connection.cursor(*args, **kw)

    def invalidate(self, e: BaseException | None = None, soft: bool = False) -> None:
        """Close the driver connection for good; the pool makes a new one when needed
        (``soft=True``: once this handle gives it back)."""
        self._record.invalidate(e, soft)

    def detach(self) -> None:
        """Take the connection out of the pool; ``close()`` then closes it for good."""
        self._record.detach()

    def close(self) -> None:
        """Give the connection back to the pool (rolled back first)."""
        self._record.close()

    def __getattr__(self, name: str) -> Any:
        # called only for names this class lacks: the driver connection's own methods
        return getattr(self._record.dbapi_connection, name)


@dataclass(frozen=True)
class PoolResetState:
    """What the ``reset`` event is told about a connection being reset on return."""

    #: True when the Connection that had it already rolled its transaction back.
    transaction_was_reset: bool
    #: True when the connection is being closed rather than kept (only discarded, no reset).
    terminate_only: bool
    #: True when the reset runs where an asyncio driver could be awaited (always here).
    asyncio_safe: bool = True


class Pool:
    """Base pool: makes connections with ``creator`` and resets them on return."""

    #: The listeners of every pool of this class; each subclass gets its own child of its
    #: base's, so a listener given to QueuePool reaches QueuePools only.
    class_dispatch: ClassVar[Dispatch] = Dispatch(POOL_EVENTS)

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        cls.class_dispatch = subclass_dispatch(cls)

    def __init__(
        self,
        creator: Callable[..., Any],
        *,
        reset: Callable[[Any], None] | None = None,
        ping: Callable[[Any], bool] | None = None,
        pre_ping: bool = False,
        recycle: float = -1,
        on_connect: Callable[[Any], None] | None = None,
        echo: bool | str | None = None,
    ) -> None:
        if echo not in (None, False, True, "debug"):
            raise exc.ArgumentError(f"echo_pool takes True, False or 'debug', got {echo!r}")
        #: True logs invalidations and recycles to stdout; "debug" also checkouts and checkins.
        self.echo = echo
        if echo:
            enable_echo(log)
        self._log_checkouts = echo == "debug" or log.isEnabledFor(logging.DEBUG)
        #: Makes a driver connection; given the PooledConnection it is for when it takes
        #: one argument (``creator(connection_record)``), else called with none.
        self._creator: Callable[[PooledConnection], Any] = (
            creator if _takes_one_argument(creator) else lambda record: creator()
        )
        self._reset = reset
        self._ping = ping
        self._pre_ping = pre_ping
        self._recycle = recycle
        self._on_connect = on_connect
        #: This pool's listeners: its class's, then its own.
        self.dispatch = type(self).class_dispatch.child(self)
        #: Whether a driver connection was ever opened (``first_connect`` fires once).
        self._connected_once = False
        #: Connections lent out now, held so that their borrowers' weak references live on
        #: (see PooledConnection) even when a borrower dies inside a reference cycle.
        self._lent: set[PooledConnection] = set()

    def _new(self) -> PooledConnection:
        record = PooledConnection(self)
        self._open_driver_connection(record)
        return record

    def _open_driver_connection(self, record: PooledConnection) -> None:
        """Give ``record`` a new driver connection, set up by the dialect and the listeners."""
        dbapi_connection = self._creator(record)
        dispatch = self.dispatch
        try:
            if self._on_connect is not None:
                self._on_connect(dbapi_connection)
            record.dbapi_connection = dbapi_connection
            record.created_at = time.monotonic()
            record._soft_invalidated = False
            if not self._connected_once:
                self._connected_once = True
                for listener in dispatch.first_connect:
                    listener(dbapi_connection, record)
            for listener in dispatch.connect:
                listener(dbapi_connection, record)
        except BaseException:
            record.dbapi_connection = None
            self._close_quietly(dbapi_connection)
            raise

    def connect(self) -> PooledConnection:
        """Check out a connection, checked and fresh."""
        record = self._checkout()
        try:
            record = self._freshen(record)
            if self.dispatch.checkout:
                self._fire_checkout(record)
        except BaseException:
            record.invalidate()
            self._return(record)
            raise
        record._checked_out = True
        self._lent.add(record)
        if self._log_checkouts:
            self._event(
                logging.DEBUG, "connection %r checked out from pool", record.dbapi_connection
            )
        return record

    def _freshen(self, record: PooledConnection) -> PooledConnection:
        if record.dbapi_connection is None:
            self._open_driver_connection(record)
            return record
        if record._soft_invalidated:
            self._event(logging.INFO, "connection was invalidated softly; replacing it")
            self._close_driver(record)
            self._open_driver_connection(record)
            return record
        if self._recycle >= 0 and time.monotonic() - record.created_at > self._recycle:
            self._event(
                logging.INFO, "connection older than pool_recycle=%s; replacing it", self._recycle
            )
            self._close_driver(record)
            self._open_driver_connection(record)
            return record
        if self._pre_ping and self._ping is not None and not self._ping(record.dbapi_connection):
            self._event(logging.INFO, "pre-ping found a dead connection; replacing it")
            self._close_driver(record)
            self.invalidate_all_idle()
            self._open_driver_connection(record)
        return record

    #: How many times a checkout listener may refuse a connection (DisconnectionError)
    #: before the checkout fails.
    checkout_attempts = 3

    def _fire_checkout(self, record: PooledConnection) -> None:
        """Run the checkout listeners; one that raises DisconnectionError gets a new
        driver connection to look at instead, a few times over."""
        for attempt in range(1, self.checkout_attempts + 1):
            try:
                for listener in self.dispatch.checkout:
                    listener(record.dbapi_connection, record, record)
                return
            except exc.DisconnectionError as err:
                self._event(logging.INFO, "checkout listener refused the connection: %s", err)
                record.invalidate(err)
                if attempt == self.checkout_attempts:
                    raise exc.InvalidRequestError(
                        f"checkout listeners refused {attempt} connections in a row "
                        f"(DisconnectionError: {err}); the database may be unreachable"
                    ) from err
                self._open_driver_connection(record)

    def _event(self, level: int, message: str, *args: Any) -> None:
        """Log a pool event: to stdout when echo_pool asks for it, else as logging is set."""
        if self.echo == "debug" or (self.echo and level >= logging.INFO):
            echo_log(log, level, message, *args)
        else:
            log.log(level, message, *args)

    def _return(self, record: PooledConnection) -> None:
        if self._log_checkouts:
            self._event(logging.DEBUG, "connection %r returned to pool", record.dbapi_connection)
        dispatch = self.dispatch
        listened = dispatch.listened
        if record.dbapi_connection is not None and (self._reset is not None or listened):
            try:
                if listened and dispatch.reset:
                    state = PoolResetState(transaction_was_reset=False, terminate_only=False)
                    for listener in dispatch.reset:
                        listener(record.dbapi_connection, record, state)
                if self._reset is not None:
                    self._reset(record.dbapi_connection)
            except Exception:
                log.warning("resetting a returned connection failed; discarding it", exc_info=True)
                self._close_driver(record)
        if listened:
            for listener in dispatch.checkin:
                listener(record.dbapi_connection, record)
        self._checkin(record)

    def _close_driver(self, record: PooledConnection) -> None:
        """Close ``record``'s driver connection (firing ``close``) and forget it."""
        conn, record.dbapi_connection = record.dbapi_connection, None
        if conn is None:
            return
        for listener in self.dispatch.close:
            listener(conn, record)
        self._close_quietly(conn)

    @staticmethod
    def _close_quietly(dbapi_connection: Any) -> None:
        try:
            dbapi_connection.close()
        except Exception:
            log.debug("closing a driver connection failed", exc_info=True)

    def _discarded(self) -> None:
        """Called when a connection is invalidated (a queue pool counts it)."""

    def _discarded_detached(self, record: PooledConnection) -> None:
        """Called when a lent connection is detached: it no longer counts as the pool's."""

    def invalidate_all_idle(self) -> None:
        """Drop idle connections (after a server restart most of them are dead)."""

    def _checkout(self) -> PooledConnection:
        raise NotImplementedError  # each pool decides where connections come from

    def _checkin(self, record: PooledConnection) -> None:
        raise NotImplementedError  # each pool decides where connections go back to

    def dispose(self) -> None:
        """Close every idle connection."""

    def status(self) -> str:
        """A one-line description of the pool's state."""
        return type(self).__name__


class QueuePool(Pool):
    """A bounded pool: ``pool_size`` kept open, ``max_overflow`` more under load."""

    def __init__(
        self,
        creator: Callable[..., Any],
        pool_size: int = 5,
        max_overflow: int = 10,
        timeout: float = 30.0,
        use_lifo: bool = True,
        **kw: Any,
    ) -> None:
        super().__init__(creator, **kw)
        #: Hand out the most recently returned idle connection (True) or the oldest (False).
        self.use_lifo = use_lifo
        if pool_size < 0:
            raise exc.ArgumentError(f"pool_size must be >= 0, got {pool_size}")
        # most recently returned first; pop() and append() of a deque are atomic, so the
        # common checkout (an idle connection is there) takes no lock
        self._idle: deque[PooledConnection] = deque()
        self._size = pool_size
        self._max_overflow = max_overflow
        self._timeout = timeout
        self._open = 0  # connections in existence: idle + checked out
        # reentrant: a borrower collected while this thread holds the lock gives its
        # connection back from inside the garbage collector, which takes the lock again
        self._lock = threading.RLock()
        self._returned = threading.Condition(self._lock)
        self._waiting = 0

    def _checkout(self) -> PooledConnection:
        take = self._idle.pop if self.use_lifo else self._idle.popleft
        try:
            return take()
        except IndexError:
            pass
        deadline = time.monotonic() + self._timeout
        with self._lock:
            while True:
                try:
                    return take()
                except IndexError:
                    pass
                if self._max_overflow < 0 or self._open < self._size + self._max_overflow:
                    self._open += 1
                    break  # room for one more: open it outside the lock
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise exc.TimeoutError(
                        f"no connection became free within {self._timeout}s: all "
                        f"{self._size + self._max_overflow} are checked out (pool_size="
                        f"{self._size}, max_overflow={self._max_overflow}); close connections "
                        "and sessions when done, or raise pool_size / max_overflow"
                    )
                self._waiting += 1
                try:
                    self._returned.wait(remaining)
                finally:
                    self._waiting -= 1
        try:
            return self._new()
        except BaseException:
            with self._lock:
                self._open -= 1
                self._returned.notify()
            raise

    def _checkin(self, record: PooledConnection) -> None:
        surplus = False
        with self._lock:
            if record.dbapi_connection is not None and len(self._idle) < self._size:
                self._idle.append(record)
            else:
                self._open -= 1  # gone (invalidated) or beyond pool_size: not kept
                surplus = True
            if self._waiting:
                self._returned.notify()
        if surplus:
            self._close_driver(record)

    def _discarded(self) -> None:
        pass  # counted when the invalidated record comes back through _checkin

    def _discarded_detached(self, record: PooledConnection) -> None:
        with self._lock:
            self._open -= 1
            if self._waiting:
                self._returned.notify()

    def invalidate_all_idle(self) -> None:
        while True:
            try:
                record = self._idle.pop()
            except IndexError:
                return
            self._close_driver(record)
            with self._lock:
                self._open -= 1
                if self._waiting:
                    self._returned.notify()

    def dispose(self) -> None:
        self.invalidate_all_idle()

    def checkedout(self) -> int:
        """How many connections are lent out now."""
        return self._open - len(self._idle)

    def size(self) -> int:
        """The configured pool size."""
        return self._size

    def status(self) -> str:
        return (
            f"QueuePool size={self._size} overflow={self._max_overflow} "
            f"open={self._open} idle={len(self._idle)}"
        )


class NullPool(Pool):
    """No pooling: a new connection per checkout, closed on return."""

    def _checkout(self) -> PooledConnection:
        return self._new()

    def _checkin(self, record: PooledConnection) -> None:
        self._close_driver(record)


class StaticPool(Pool):
    """One connection shared by every checkout (for single-connection test setups)."""

    def __init__(self, creator: Callable[..., Any], **kw: Any) -> None:
        super().__init__(creator, **kw)
        self._record: PooledConnection | None = None
        self._lock = threading.Lock()

    def _checkout(self) -> PooledConnection:
        with self._lock:
            if self._record is None or self._record.dbapi_connection is None:
                self._record = self._new()
            return self._record

    def _checkin(self, record: PooledConnection) -> None:
        pass

    def _discarded_detached(self, record: PooledConnection) -> None:
        with self._lock:
            if self._record is record:
                self._record = None

    def dispose(self) -> None:
        if self._record is not None:
            self._close_driver(self._record)
        self._record = None
