"""The identity map: one object per row, held weakly.

An unmodified object that nobody references costs nothing: the map keeps only a weak
reference to it. Dead references are not removed one by one by callbacks (a Python-level
callback per object would cost as much as loading the row); they are treated as misses and
swept out in one pass whenever the map has doubled since the last sweep. Modified objects are
kept alive by the session's modified set until they are flushed, so a change can never be
lost to the garbage collector.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from typing import Any

_ref = weakref.ref


class IdentityMap:
    """(class, primary key tuple) -> object, without keeping objects alive."""

    def __init__(self) -> None:
        self._refs: dict[Any, weakref.ref[Any]] = {}
        self._sweep_at = 1024

    def get(self, key: Any) -> Any:
        """The live object for ``key``, or None."""
        ref = self._refs.get(key)
        return ref() if ref is not None else None

    def add(self, key: Any, obj: object) -> None:
        """Map ``key`` to ``obj`` (replacing a collected or previous object)."""
        refs = self._refs
        refs[key] = _ref(obj)
        if len(refs) > self._sweep_at:
            self.sweep()

    def sweep(self) -> None:
        """Drop the entries of collected objects."""
        refs = self._refs
        for key in [k for k, ref in refs.items() if ref() is None]:
            del refs[key]
        self._sweep_at = max(1024, 2 * len(refs))

    def discard(self, key: Any, obj: object | None = None) -> None:
        """Forget ``key`` (only if it maps to ``obj``, when given)."""
        ref = self._refs.get(key)
        if ref is not None and (obj is None or ref() is obj):
            del self._refs[key]

    def __contains__(self, key: Any) -> bool:
        return self.get(key) is not None

    def __len__(self) -> int:
        return sum(1 for _ in self.values())

    def values(self) -> Iterator[Any]:
        """The live objects."""
        for ref in list(self._refs.values()):
            obj = ref()
            if obj is not None:
                yield obj

    def keys(self) -> list[Any]:
        """The keys of live objects."""
        return [k for k, ref in list(self._refs.items()) if ref() is not None]

    def clear(self) -> None:
        """Forget everything."""
        self._refs.clear()
        self._sweep_at = 1024
