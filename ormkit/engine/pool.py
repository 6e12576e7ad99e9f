"""Connection pools: hand out driver connections and take them back, resetting each one.

``QueuePool`` keeps up to ``pool_size`` idle connections and opens up to ``max_overflow`` more
under load, making callers wait ``timeout`` seconds at most. A checked-out connection is
pinged first when ``pre_ping`` is set, and replaced when older than ``recycle`` seconds.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

from ormkit import exc
from ormkit.engine.echo import echo_log, enable_echo

log = logging.getLogger("ormkit.pool")


class PooledConnection:
    """A driver connection lent out by a pool; ``close()`` gives it back.

    While lent, the pool holds it strongly and watches its borrower (a Connection, or the
    handle ``raw_connection()`` returns) through a weak reference: a borrower that is
    garbage-collected without closing gives the connection back, rolled back, so an
    unclosed Session or Connection never keeps a pool slot forever.
    """

    __slots__ = ("_borrower", "_checked_out", "_pool", "created_at", "dbapi_connection", "info")

    def __init__(self, pool: Pool, dbapi_connection: Any) -> None:
        self._pool = pool
        self.dbapi_connection = dbapi_connection
        self.created_at = time.monotonic()
        self._checked_out = False
        self._borrower: weakref.ref[Any] | None = None
        self.info: dict[str, Any] = {}

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

    def invalidate(self) -> None:
        """Close the driver connection for good; the pool makes a new one when needed."""
        conn, self.dbapi_connection = self.dbapi_connection, None
        if conn is not None:
            self._pool._event(logging.INFO, "invalidating connection %r", conn)
            self._pool._close_quietly(conn)
            self._pool._discarded()

    def close(self) -> None:
        """Give the connection back to the pool (rolled back first)."""
        if self._checked_out:
            self._checked_out = False
            self._borrower = None
            pool = self._pool
            pool._lent.discard(self)
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

    def invalidate(self) -> None:
        """Close the driver connection for good; the pool makes a new one when needed."""
        self._record.invalidate()

    def close(self) -> None:
        """Give the connection back to the pool (rolled back first)."""
        self._record.close()

    def __getattr__(self, name: str) -> Any:
        # called only for names this class lacks: the driver connection's own methods
        return getattr(self._record.dbapi_connection, name)


class Pool:
    """Base pool: makes connections with ``creator`` and resets them on return."""

    def __init__(
        self,
        creator: Callable[[], Any],
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
        self._creator = creator
        self._reset = reset
        self._ping = ping
        self._pre_ping = pre_ping
        self._recycle = recycle
        self._on_connect = on_connect
        #: Connections lent out now, held so that their borrowers' weak references live on
        #: (see PooledConnection) even when a borrower dies inside a reference cycle.
        self._lent: set[PooledConnection] = set()

    def _new(self) -> PooledConnection:
        dbapi_connection = self._creator()
        if self._on_connect is not None:
            try:
                self._on_connect(dbapi_connection)
            except BaseException:
                self._close_quietly(dbapi_connection)
                raise
        return PooledConnection(self, dbapi_connection)

    def connect(self) -> PooledConnection:
        """Check out a connection, checked and fresh."""
        record = self._checkout()
        try:
            record = self._freshen(record)
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
            record.dbapi_connection = self._new().dbapi_connection
            record.created_at = time.monotonic()
            return record
        if self._recycle >= 0 and time.monotonic() - record.created_at > self._recycle:
            self._event(
                logging.INFO, "connection older than pool_recycle=%s; replacing it", self._recycle
            )
            self._close_quietly(record.dbapi_connection)
            record.dbapi_connection = self._new().dbapi_connection
            record.created_at = time.monotonic()
            return record
        if self._pre_ping and self._ping is not None and not self._ping(record.dbapi_connection):
            self._event(logging.INFO, "pre-ping found a dead connection; replacing it")
            self._close_quietly(record.dbapi_connection)
            self.invalidate_all_idle()
            record.dbapi_connection = self._new().dbapi_connection
            record.created_at = time.monotonic()
        return record

    def _event(self, level: int, message: str, *args: Any) -> None:
        """Log a pool event: to stdout when echo_pool asks for it, else as logging is set."""
        if self.echo == "debug" or (self.echo and level >= logging.INFO):
            echo_log(log, level, message, *args)
        else:
            log.log(level, message, *args)

    def _return(self, record: PooledConnection) -> None:
        if self._log_checkouts:
            self._event(logging.DEBUG, "connection %r returned to pool", record.dbapi_connection)
        if record.dbapi_connection is not None and self._reset is not None:
            try:
                self._reset(record.dbapi_connection)
            except Exception:
                log.warning("resetting a returned connection failed; discarding it", exc_info=True)
                self._close_quietly(record.dbapi_connection)
                record.dbapi_connection = None
        self._checkin(record)

    @staticmethod
    def _close_quietly(dbapi_connection: Any) -> None:
        try:
            dbapi_connection.close()
        except Exception:
            log.debug("closing a driver connection failed", exc_info=True)

    def _discarded(self) -> None:
        """Called when a connection is invalidated (a queue pool counts it)."""

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
        creator: Callable[[], Any],
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
        surplus = None
        with self._lock:
            if record.dbapi_connection is not None and len(self._idle) < self._size:
                self._idle.append(record)
            else:
                self._open -= 1  # gone (invalidated) or beyond pool_size: not kept
                surplus = record.dbapi_connection
            if self._waiting:
                self._returned.notify()
        if surplus is not None:
            self._close_quietly(surplus)

    def _discarded(self) -> None:
        pass  # counted when the invalidated record comes back through _checkin

    def invalidate_all_idle(self) -> None:
        while True:
            try:
                record = self._idle.pop()
            except IndexError:
                return
            self._close_quietly(record.dbapi_connection)
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
        if record.dbapi_connection is not None:
            self._close_quietly(record.dbapi_connection)


class StaticPool(Pool):
    """One connection shared by every checkout (for single-connection test setups)."""

    def __init__(self, creator: Callable[[], Any], **kw: Any) -> None:
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

    def dispose(self) -> None:
        if self._record is not None and self._record.dbapi_connection is not None:
            self._close_quietly(self._record.dbapi_connection)
        self._record = None
