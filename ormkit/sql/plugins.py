"""The seam upper layers (the ORM) use to take part in statements.

An object with ``__clause_element__()`` (a mapped class, a mapped attribute) stands for the
SQL element that method returns, wherever core accepts an element. Core never imports the
ORM; the ORM registers its hooks here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar, runtime_checkable

_F = TypeVar("_F", bound=Callable[..., Any])


@runtime_checkable
class HasClauseElement(Protocol):
    """Anything that stands for a SQL element: a mapped class or attribute."""

    def __clause_element__(self) -> Any: ...


def resolve(obj: Any) -> Any:
    """The SQL element ``obj`` stands for, following ``__clause_element__`` chains.

    A class with a ``__table__`` (a mapped class) stands for that table.
    """
    if isinstance(obj, type):
        table = getattr(obj, "__table__", None)
        return table if table is not None else obj
    seen = 0
    while hasattr(obj, "__clause_element__") and not isinstance(obj, type(None)):
        resolved = obj.__clause_element__()
        if resolved is obj or seen > 10:
            break
        obj = resolved
        seen += 1
    return obj


def columns_clause(obj: Any) -> Any:
    """What ``obj`` stands for as an item of a SELECT list: what it resolves to, except for a
    mapped class whose mapping selects other columns than its table's (some left out until
    read, SQL expressions added): it gives them as ``__ok_selects__``."""
    if isinstance(obj, type):
        selects = obj.__dict__.get("__ok_selects__")
        if selects is not None:
            return selects
    return resolve(obj)


def handles(*node_types: type) -> Callable[[_F], _F]:
    """Register a compiler method as the renderer of ``node_types`` (explicit, never by name).

    A subclass that overrides the method by the same name overrides the rendering too.
    """

    def register(method: _F) -> _F:
        method._handles = node_types  # type: ignore[attr-defined]
        return method

    return register
