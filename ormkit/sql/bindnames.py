"""Placeholder names for drivers with named parameters (``:name``, ``%(name)s``).

A compiled statement's parameter slots are keyed by any string (a column key such as
``"my table"`` or ``"x VALUES (y"``, a ``bindparam()`` key); the name the driver sees must be a
plain word, and no two slots may share one (``"a b"`` and ``"a_b"`` are two columns).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ormkit.sql.compiler import BindSlot

_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def driver_names(slots: Sequence[BindSlot]) -> list[str]:
    """Per slot, a placeholder name no two slots share and no key can break.

    A slot whose key is a plain word outside the VALUES groups keeps it (``:name``); any other
    is made of its key's word characters, with ``__<group>`` for a slot of a VALUES group, and
    a number when that is taken.
    """
    names: list[str | None] = [
        s.name if s.row < 0 and _PLAIN_NAME.fullmatch(s.name) else None for s in slots
    ]
    taken = {n for n in names if n is not None}
    counters: dict[str, int] = {}
    for i, slot in enumerate(slots):
        if names[i] is not None:
            continue
        base = re.sub(r"[^A-Za-z0-9_]", "_", slot.name)
        if not base or base[0].isdigit():
            base = "p" + base
        if slot.row >= 0:
            base += f"__{slot.row}"
        name, n = base, counters.get(base, 0)
        while name in taken:
            n += 1
            name = f"{base}_{n}"
        counters[base] = n
        taken.add(name)
        names[i] = name
    return names  # type: ignore[return-value]
