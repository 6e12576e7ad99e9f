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

#: the pip extra that brings each backend's driver
EXTRAS: dict[str, str] = {"postgresql": "postgresql", "mysql": "mysql", "mariadb": "mysql"}


def register(scheme: str, target: str) -> None:
    """Make ``scheme://`` URLs load the dialect class at ``target`` (``"module:Class"``)."""
    registry[scheme] = target


def load(scheme: str) -> type[Any]:
    """The dialect class for a URL scheme such as ``sqlite`` or ``postgresql+psycopg``."""
    target = registry.get(scheme)
    if target is None:
        backend = scheme.partition("+")[0]
        known = ", ".join(sorted(registry))
        hint = ""
        if backend in EXTRAS:
            hint = f"; install it with: pip install 'ormkit[{EXTRAS[backend]}]'"
        raise exc.NoSuchModuleError(
            f"no dialect is registered for {scheme!r}://{hint} (known: {known})"
        )
    module_name, _, class_name = target.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, class_name)  # type: ignore[no-any-return]
