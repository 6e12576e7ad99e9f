"""Collections used across ormkit: a read-only mapping, an identity set and an LRU cache."""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
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
    """A bounded mapping that forgets the least recently used entry; safe across threads."""

    def __init__(self, capacity: int = 500) -> None:
        self.capacity = capacity
        self._data: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """Return the value for ``key`` and mark it recently used, or None."""
        data = self._data
        try:
            value = data[key]
        except KeyError:
            return None
        with contextlib.suppress(KeyError):  # evicted by another thread in between
            data.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        """Store ``value`` under ``key``, evicting the oldest entry past capacity."""
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.capacity:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._data.clear()
