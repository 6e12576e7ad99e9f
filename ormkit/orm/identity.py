"""The identity map: one object per row, held weakly.

An unmodified object that nobody references costs nothing: the map keeps only a weak
reference to it, and the reference's callback removes the entry (key tuple, reference and
dict slot, about 250 bytes) as soon as the object is collected. Making such a reference costs
what a plain one does, so loading is not slowed; the callback runs once, when an object dies
while its session is open (about 150 ns; a closed session's map is cleared first, and then
no callback runs). The dict's table itself, a few dozen bytes a slot, is reused by later
loads and shrinks at its next resize, as any dict's does. Modified objects are kept alive by
the session's modified set until they are flushed, so a change can never be lost to the
garbage collector.

Callbacks can run at any moment (whenever the last reference to an object goes, in any
thread), so the map is only ever read through copies, and an entry is removed only while it
still holds that dead reference: an object loaded again for the same row keeps its entry.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from typing import Any

# deletes ``d[key]`` only if it is a dead reference, in one step (the check and the delete
# cannot be split by another thread); a CPython helper that WeakValueDictionary relies on too
_remove_dead = weakref._remove_dead_weakref  # type: ignore[attr-defined]


class KeyedRef(weakref.ref):  # type: ignore[type-arg]
    """A weak reference that knows its identity key (set after creation: no Python __init__,
    so making one costs what a plain ``weakref.ref`` does)."""

    __slots__ = ("key",)
    key: Any


class IdentityMap:
    """(class, primary key tuple) -> object, without keeping objects alive."""

    def __init__(self) -> None:
        refs: dict[Any, KeyedRef] = {}
        self._refs = refs

        def remove(
            ref: KeyedRef, refs: dict[Any, KeyedRef] = refs, drop: Any = _remove_dead
        ) -> None:
            drop(refs, ref.key)

        #: the callback of every reference the map holds
        self.on_collected: Callable[[KeyedRef], None] = remove

    def get(self, key: Any) -> Any:
        """The live object for ``key``, or None."""
        ref = self._refs.get(key)
        return ref() if ref is not None else None

    def add(self, key: Any, obj: object) -> None:
        """Map ``key`` to ``obj`` (replacing a collected or previous object)."""
        ref = KeyedRef(obj, self.on_collected)
        ref.key = key
        self._refs[key] = ref

    def discard(self, key: Any, obj: object | None = None) -> None:
        """Forget ``key`` (only if it maps to ``obj``, when given)."""
        ref = self._refs.get(key)
        if ref is not None and (obj is None or ref() is obj):
            self._refs.pop(key, None)

    def __contains__(self, key: Any) -> bool:
        return self.get(key) is not None

    def __len__(self) -> int:
        return sum(1 for _ in self.values())

    def values(self) -> Iterator[Any]:
        """The live objects."""
        for ref in self._refs.copy().values():
            obj = ref()
            if obj is not None:
                yield obj

    def keys(self) -> list[Any]:
        """The keys of live objects."""
        return [k for k, ref in self._refs.copy().items() if ref() is not None]

    def clear(self) -> None:
        """Forget everything."""
        self._refs.clear()
