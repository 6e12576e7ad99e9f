"""``inspect(obj)``: the inspection registry; each layer registers what it can inspect."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ormkit import exc

_inspectors: dict[type, Callable[[Any], Any]] = {}


def register(cls: type, inspector: Callable[[Any], Any]) -> None:
    """Make ``inspect(x)`` call ``inspector(x)`` for instances (or subclasses) of ``cls``."""
    _inspectors[cls] = inspector


def inspect(subject: Any, raiseerr: bool = True) -> Any:
    """Look inside ``subject``: an Engine gives an Inspector (tables, columns, keys)."""
    kinds = type(subject).__mro__  # a class is inspected through its metaclass (type)
    for kind in kinds:
        inspector = _inspectors.get(kind)
        if inspector is not None:
            result = inspector(subject)
            if result is not None:
                return result
    if raiseerr:
        raise exc.NoInspectionAvailable(
            f"no inspection is available for {subject!r} (of type {type(subject).__name__})"
        )
    return None
