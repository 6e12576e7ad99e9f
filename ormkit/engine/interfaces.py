"""What ormkit needs from a PEP 249 driver, as Protocols: sqlite3, psycopg and PyMySQL all fit.

Typing the driver seam with Protocols keeps the engine typed without importing any driver.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class DBAPICursor(Protocol):
    """A PEP 249 cursor."""

    @property
    def description(self) -> Sequence[Sequence[Any]] | None: ...

    @property
    def rowcount(self) -> int: ...

    @property
    def lastrowid(self) -> Any: ...

    def execute(self, operation: Any, parameters: Any = ...) -> Any: ...

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any: ...

    def fetchone(self) -> Any: ...

    def fetchmany(self, size: int = ...) -> Sequence[Any]: ...

    def fetchall(self) -> Sequence[Any]: ...

    def close(self) -> Any: ...


class DBAPIConnection(Protocol):
    """A PEP 249 connection."""

    def cursor(self) -> Any: ...

    def commit(self) -> Any: ...

    def rollback(self) -> Any: ...

    def close(self) -> Any: ...


class DBAPIModule(Protocol):
    """A PEP 249 driver module (``sqlite3``, ``psycopg``, ``pymysql``)."""

    paramstyle: str

    def connect(self, *args: Any, **kwargs: Any) -> Any: ...
