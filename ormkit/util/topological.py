"""Dependency ordering: tables by foreign key, rows by reference."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import TypeVar

T = TypeVar("T", bound=Hashable)


class CycleError(ValueError):
    """The dependencies form a cycle; ``cycle`` holds the members still unordered."""

    def __init__(self, message: str, cycle: list[object]) -> None:
        super().__init__(message)
        self.cycle = cycle


def sort(items: Iterable[T], edges: Iterable[tuple[T, T]]) -> list[T]:
    """Order ``items`` so that for each ``(before, after)`` edge, ``before`` comes first.

    Items keep their given order where the edges leave a choice, so output is stable.
    Self-references (``(x, x)``) are ignored: a row pointing at its own table is no cycle.
    """
    ordered = list(dict.fromkeys(items))
    position = {item: i for i, item in enumerate(ordered)}
    children: dict[T, list[T]] = {item: [] for item in ordered}
    waiting = dict.fromkeys(ordered, 0)
    for before, after in edges:
        if before == after or before not in position or after not in position:
            continue
        children[before].append(after)
        waiting[after] += 1
    ready = [item for item in ordered if waiting[item] == 0]
    result: list[T] = []
    while ready:
        ready.sort(key=position.__getitem__, reverse=True)
        item = ready.pop()
        result.append(item)
        for child in children[item]:
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.append(child)
    if len(result) != len(ordered):
        rest = [item for item in ordered if waiting[item] > 0]
        raise CycleError(f"dependency cycle among {rest!r}", list(rest))
    return result
