"""``scoped_session``: one Session per thread (or per scope), reached through a registry.

``Session = scoped_session(sessionmaker(bind=engine))``; then ``Session()`` returns the same
session within a thread, ``Session.add(...)``, ``Session.query(...)`` and friends act on it,
and ``Session.remove()`` closes and forgets it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ormkit import exc
from ormkit.event.registry import Dispatch, register_family
from ormkit.orm.events import SESSION_EVENTS
from ormkit.orm.session import Session, sessionmaker

_PROXIED = (
    "add",
    "add_all",
    "begin",
    "begin_nested",
    "close",
    "commit",
    "connection",
    "delete",
    "execute",
    "expire",
    "expire_all",
    "expunge",
    "expunge_all",
    "flush",
    "get",
    "get_one",
    "get_bind",
    "get_transaction",
    "get_nested_transaction",
    "in_transaction",
    "in_nested_transaction",
    "is_modified",
    "merge",
    "query",
    "refresh",
    "rollback",
    "scalar",
    "scalars",
    "reset",
)
_PROXIED_ATTRS = (
    "bind",
    "dirty",
    "deleted",
    "new",
    "identity_map",
    "info",
    "autoflush",
    "no_autoflush",
    "autocommit",
    "expire_on_commit",
)


class scoped_session:
    """A registry of Sessions keyed by scope (the current thread by default)."""

    def __init__(
        self, session_factory: Callable[..., Session], scopefunc: Callable[[], Any] | None = None
    ) -> None:
        self.session_factory = session_factory
        self._scopefunc = scopefunc
        self._local = threading.local()
        self._by_scope: dict[Any, Session] = {}
        self._lock = threading.Lock()

    def __call__(self, **kw: Any) -> Session:
        """The scope's Session, made on first call (arguments only allowed then)."""
        if self._scopefunc is not None:
            scope = self._scopefunc()
            with self._lock:
                session = self._by_scope.get(scope)
                if session is None:
                    session = self._by_scope[scope] = self.session_factory(**kw)
                elif kw:
                    raise exc.InvalidRequestError(
                        "this scope already has a Session; arguments only apply when it is made"
                    )
            return session
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = self.session_factory(**kw)
        elif kw:
            raise exc.InvalidRequestError(
                "this thread already has a Session; arguments only apply when it is made"
            )
        return session

    @property
    def registry(self) -> scoped_session:
        """The registry itself (SQLAlchemy exposes it under this name)."""
        return self

    def has(self) -> bool:
        """True when the current scope has a Session."""
        if self._scopefunc is not None:
            return self._scopefunc() in self._by_scope
        return getattr(self._local, "session", None) is not None

    def remove(self) -> None:
        """Close the current scope's Session and forget it."""
        if self._scopefunc is not None:
            with self._lock:
                session = self._by_scope.pop(self._scopefunc(), None)
        else:
            session = getattr(self._local, "session", None)
            self._local.session = None
        if session is not None:
            session.close()

    def configure(self, **kw: Any) -> None:
        """Change the factory's arguments for sessions made from now on."""
        configure = getattr(self.session_factory, "configure", None)
        if configure is None:
            raise exc.InvalidRequestError("the session factory cannot be configured")
        configure(**kw)

    def __getattr__(self, name: str) -> Any:
        if name in _PROXIED or name in _PROXIED_ATTRS:
            return getattr(self(), name)
        raise AttributeError(
            f"scoped_session has no attribute {name!r}; call it to get the Session"
        )

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _PROXIED_ATTRS:
            setattr(self(), name, value)
        else:
            object.__setattr__(self, name, value)

    def __contains__(self, instance: Any) -> bool:
        return instance in self()

    def __iter__(self) -> Any:
        return iter(self())


def _scoped_dispatchers(target: Any) -> list[Dispatch] | None:
    """Listeners of Session events on a scoped_session go to its factory's sessions."""
    if not isinstance(target, scoped_session):
        return None
    factory = target.session_factory
    if isinstance(factory, sessionmaker):
        return [factory.dispatch]
    if isinstance(factory, type) and issubclass(factory, Session):
        return [factory.class_dispatch]
    raise exc.InvalidRequestError(
        f"scoped_session({factory!r}) makes its sessions with a function, so it has no "
        "events of its own; listen on the Session class or the sessionmaker the function uses"
    )


register_family(SESSION_EVENTS, _scoped_dispatchers)
