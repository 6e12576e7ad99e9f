"""``create_engine``: a URL plus options become a dialect, a pool and an Engine."""

from __future__ import annotations

from typing import Any

from ormkit import dialects, exc
from ormkit.engine.base import Engine
from ormkit.engine.pool import NullPool, Pool, QueuePool, StaticPool
from ormkit.engine.url import URL, make_url

_POOL_ARGS = ("pool_size", "max_overflow", "pool_timeout", "pool_recycle", "pool_pre_ping")
#: Options every pool class takes (a QueuePool also pool_use_lifo).
_POOL_OPTIONS = ("echo_pool", "pool_reset_on_return", "pool_use_lifo")
_ENGINE_ARGS = frozenset(
    {
        "echo",
        "execution_options",
        "hide_parameters",
        "isolation_level",
        "connect_args",
        "poolclass",
        "pool",
        "creator",
        "query_cache_size",
        "json_serializer",
        "json_deserializer",
        "future",
        "module",
        "paramstyle",
        *_POOL_ARGS,
        *_POOL_OPTIONS,
    }
)
#: SQLAlchemy create_engine() arguments ormkit does not implement: refused, never ignored.
_UNSUPPORTED_ARGS = frozenset({"logging_name", "pool_logging_name", "plugins", "label_length"})


def create_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An Engine for ``url``: ``create_engine("sqlite:///app.db", echo=True)``.

    Options: echo, echo_pool, pool_size, max_overflow, pool_timeout, pool_recycle,
    pool_pre_ping, pool_reset_on_return, pool_use_lifo, isolation_level, connect_args,
    execution_options, poolclass, pool, creator, module, paramstyle, hide_parameters,
    query_cache_size, json_serializer, json_deserializer; future=True is accepted.
    """
    unsupported = sorted(set(kwargs) & _UNSUPPORTED_ARGS)
    if unsupported:
        raise exc.ArgumentError(
            f"create_engine() does not support {', '.join(unsupported)} yet; leave "
            f"{'it' if len(unsupported) == 1 else 'them'} out"
        )
    unknown = set(kwargs) - _ENGINE_ARGS
    if unknown:
        raise exc.ArgumentError(
            f"create_engine() got unknown argument(s): {', '.join(sorted(unknown))}; "
            f"known: {', '.join(sorted(_ENGINE_ARGS))}"
        )
    u = make_url(url)
    dialect_cls = dialects.load(u.drivername)
    dbapi = kwargs.pop("module", None) or dialect_cls.load_dbapi()
    dialect = dialect_cls(
        dbapi,
        isolation_level=kwargs.pop("isolation_level", None),
        json_serializer=kwargs.pop("json_serializer", None),
        json_deserializer=kwargs.pop("json_deserializer", None),
    )
    if "paramstyle" in kwargs:
        dialect.paramstyle = kwargs.pop("paramstyle")
    cargs, cparams = dialect.create_connect_args(u)
    connect_args = kwargs.pop("connect_args", None) or {}
    if not isinstance(connect_args, dict):
        raise exc.ArgumentError(f"connect_args takes a dict, got {connect_args!r}")
    cparams.update(connect_args)
    creator = kwargs.pop("creator", None)

    def connect(connection_record: Any) -> Any:
        if creator is not None:
            return creator()
        listeners = dialect.dispatch.do_connect
        if not listeners:
            return dialect.connect(*cargs, **cparams)
        # listeners may change the arguments, for this connection only (a fresh token...)
        args, params = list(cargs), dict(cparams)
        for listener in listeners:
            dbapi_connection = listener(dialect, connection_record, args, params)
            if dbapi_connection is not None:
                return dbapi_connection
        return dialect.connect(*args, **params)

    pool = kwargs.pop("pool", None)
    pool_arguments = sorted(set(kwargs) & {*_POOL_ARGS, *_POOL_OPTIONS, "poolclass"})
    if pool is not None and pool_arguments:
        raise exc.ArgumentError(
            f"create_engine() got pool= and {', '.join(pool_arguments)}: a ready-made pool "
            "is used as it is; configure it when making it instead"
        )
    if pool is None:
        pool = _make_pool(dialect, u, connect, kwargs)
    elif not isinstance(pool, Pool):
        raise exc.ArgumentError(f"pool takes a Pool instance, got {pool!r}")
    for leftover in (*_POOL_ARGS, *_POOL_OPTIONS, "poolclass"):
        kwargs.pop(leftover, None)
    if kwargs.pop("future", True) is not True:
        raise exc.ArgumentError(
            "create_engine() got future=False: ormkit has only SQLAlchemy 2.x behaviour; drop "
            "the argument (or pass future=True)"
        )
    engine = Engine(
        pool,
        dialect,
        u,
        echo=kwargs.pop("echo", None),
        execution_options=kwargs.pop("execution_options", None),
        hide_parameters=kwargs.pop("hide_parameters", False),
        query_cache_size=kwargs.pop("query_cache_size", 500),
    )
    dialect.on_engine_created(engine, pool) if hasattr(dialect, "on_engine_created") else None
    return engine


def _make_pool(dialect: Any, url: URL, connect: Any, kwargs: dict[str, Any]) -> Pool:
    poolclass = kwargs.get("poolclass") or dialect.default_pool_class(url)
    common: dict[str, Any] = {
        "reset": _reset_on_return(dialect, kwargs.get("pool_reset_on_return", "rollback")),
        "echo": kwargs.get("echo_pool"),
        "ping": dialect.do_ping,
        "pre_ping": bool(kwargs.get("pool_pre_ping", False)),
        "recycle": kwargs.get("pool_recycle", -1),
        "on_connect": dialect.on_connect,
    }
    if poolclass is QueuePool:
        return QueuePool(
            connect,
            pool_size=kwargs.get("pool_size", 5),
            max_overflow=kwargs.get("max_overflow", 10),
            timeout=kwargs.get("pool_timeout", 30),
            use_lifo=kwargs.get("pool_use_lifo", True),
            **common,
        )
    if "pool_use_lifo" in kwargs:
        raise exc.ArgumentError(f"pool_use_lifo applies to a QueuePool only, not {poolclass!r}")
    if poolclass in (NullPool, StaticPool):
        return poolclass(connect, **common)  # type: ignore[no-any-return]
    if isinstance(poolclass, type) and issubclass(poolclass, Pool):
        return poolclass(connect, **common)
    raise exc.ArgumentError(f"poolclass takes a Pool subclass, got {poolclass!r}")


def _reset_on_return(dialect: Any, mode: Any) -> Any:
    """What the pool does to a connection given back (``pool_reset_on_return``)."""
    if mode in ("rollback", True):
        return dialect.do_reset
    if mode == "commit":
        return _commit
    if mode in (None, False):
        return None
    raise exc.ArgumentError(
        f"pool_reset_on_return takes 'rollback', 'commit' or None, got {mode!r}"
    )


def _commit(dbapi_connection: Any) -> None:
    dbapi_connection.commit()
