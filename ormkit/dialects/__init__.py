"""The dialect registry: URL scheme -> "module:Class", imported only when a URL asks for it."""

from __future__ import annotations

import importlib
from typing import Any

from ormkit import exc

#: scheme (``backend`` or ``backend+driver``) -> ``"module:Class"``
registry: dict[str, str] = {
    "sqlite": "ormkit.dialects.sqlite:SQLiteDialect",
    "sqlite+pysqlite": "ormkit.dialects.sqlite:SQLiteDialect",
    "postgresql": "ormkit.dialects.postgresql:PGDialect",
    "postgresql+psycopg": "ormkit.dialects.postgresql:PGDialect",
    "mysql": "ormkit.dialects.mysql:MySQLDialect",
    "mysql+pymysql": "ormkit.dialects.mysql:MySQLDialect",
    "mariadb": "ormkit.dialects.mysql:MariaDBDialect",
    "mariadb+pymysql": "ormkit.dialects.mysql:MariaDBDialect",
}


def register(scheme: str, target: str) -> None:
    """Make ``scheme://`` URLs load the dialect class at ``target`` (``"module:Class"``)."""
    registry[scheme] = target


def supported_urls() -> list[str]:
    """The URL beginnings ormkit can open (``sqlite://``, ``postgresql+psycopg://``, ...)."""
    return [f"{scheme}://" for scheme in registry]


def load(scheme: str) -> type[Any]:
    """The dialect class for a URL scheme such as ``sqlite`` or ``postgresql+psycopg``."""
    target = registry.get(scheme)
    if target is None:
        raise exc.NoSuchModuleError(_unsupported(scheme))
    module_name, _, class_name = target.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, class_name)  # type: ignore[no-any-return]


def _unsupported(scheme: str) -> str:
    """Why ``scheme://`` cannot be opened, and which URLs can (installing cannot help)."""
    backend, _, driver = scheme.partition("+")
    same_backend = [f"{s}://" for s in registry if s.partition("+")[0] == backend]
    if same_backend and driver:
        reason = f"ormkit has no driver {driver!r} for {backend}"
        advice = f"; for {backend} use {' or '.join(same_backend)}"
    else:
        reason = f"ormkit has no dialect for {backend!r}"
        advice = ""
    return (
        f"cannot open {scheme}:// URLs: {reason}{advice}. "
        f"ormkit supports: {', '.join(supported_urls())}"
    )
