"""Running SQL: engines, connections, transactions, pools and results."""

from ormkit.engine import reflection as _reflection  # registers inspect(engine)
from ormkit.engine.base import Connection, Engine
from ormkit.engine.create import create_engine
from ormkit.engine.reflection import Inspector
from ormkit.engine.result import CursorResult, MappingResult, Result, Row, RowMapping, ScalarResult
from ormkit.engine.transaction import NestedTransaction, RootTransaction, Transaction
from ormkit.engine.url import URL, make_url

__all__ = [
    "URL",
    "Connection",
    "CursorResult",
    "Engine",
    "Inspector",
    "MappingResult",
    "NestedTransaction",
    "Result",
    "RootTransaction",
    "Row",
    "RowMapping",
    "ScalarResult",
    "Transaction",
    "create_engine",
    "make_url",
]
del _reflection
