"""Collections used across ormkit: a read-only mapping, an identity set and an LRU cache."""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterable, Iterator, MutableSet
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
T = TypeVar("T")


class immutabledict(dict[K, V]):
    """A dict that refuses changes; ``MetaData.tables`` is one."""

    def _readonly(self, *args: Any, **kw: Any) -> Any:
        raise TypeError(f"{type(self).__name__} object is immutable")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _readonly
    __ior__ = _readonly

    def __repr__(self) -> str:
        return f"immutabledict({dict.__repr__(self)})"


class FacadeDict(immutabledict[K, V]):
    """A read-only view whose owner may still change it through ``_set``/``_del``."""

    def _set(self, key: K, value: V) -> None:
        dict.__setitem__(self, key, value)

    def _del(self, key: K) -> None:
        dict.__delitem__(self, key)

    def _clear(self) -> None:
        dict.clear(self)


class IdentitySet(MutableSet[T]):
    """A set that compares members by identity, so unhashable or ``__eq__``-odd objects fit."""

    __slots__ = ("_members",)

    def __init__(self, iterable: Iterable[T] = ()) -> None:
        self._members: dict[int, T] = {id(obj): obj for obj in iterable}

    def __contains__(self, obj: object) -> bool:
        return id(obj) in self._members

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._members.values()))

    def __len__(self) -> int:
        return len(self._members)

    def add(self, value: T) -> None:
        """Add ``value``; adding it again changes nothing."""
        self._members[id(value)] = value

    def discard(self, value: T) -> None:
        """Remove ``value`` if present."""
        self._members.pop(id(value), None)

    def __repr__(self) -> str:
        return f"IdentitySet({list(self._members.values())!r})"


class LRUCache(Generic[K, V]):
    """A bounded mapping for caches: lookups are plain dict reads, the oldest entry goes first.

    Lookups are on the hot path of every statement, so they do no bookkeeping (no recency
    update, no lock); when full, the entry stored longest ago is dropped. A hot entry that
    is dropped costs one recompilation and comes back.
    """

    def __init__(self, capacity: int = 500) -> None:
        self.capacity = capacity
        self._data: dict[K, V] = {}
        self._lock = threading.Lock()
        self.get = self._data.get  # the lookup is the dict's own

    def put(self, key: K, value: V) -> None:
        """Store ``value`` under ``key``, dropping the oldest entry past capacity."""
        with self._lock:
            data = self._data
            data[key] = value
            while len(data) > self.capacity:
                del data[next(iter(data))]

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._data.clear()
