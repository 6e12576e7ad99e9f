"""The identity map: one object per row, held weakly.

An unmodified object that nobody references costs nothing: the map keeps a weak reference
that removes its own entry when the object is collected. Modified objects are kept alive by
the session's modified set until they are flushed, so a change can never be lost to the
garbage collector.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from typing import Any


class IdentityMap:
    """(class, primary key tuple) -> object, without keeping objects alive."""

    def __init__(self) -> None:
        self._refs: dict[Any, weakref.KeyedRef[Any, Any]] = {}
        selfref = weakref.ref(self)

        def forget(
            ref: weakref.KeyedRef[Any, Any], selfref: weakref.ref[IdentityMap] = selfref
        ) -> None:
            owner = selfref()
            if owner is not None and owner._refs.get(ref.key) is ref:
                del owner._refs[ref.key]

        self._forget = forget

    def get(self, key: Any) -> Any:
        """The live object for ``key``, or None."""
        ref = self._refs.get(key)
        return ref() if ref is not None else None

    def add(self, key: Any, obj: object) -> None:
        """Map ``key`` to ``obj`` (replacing a collected or previous object)."""
        self._refs[key] = weakref.KeyedRef(obj, self._forget, key)

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
