"""Placeholder names for named paramstyles: plain words, one per slot, whatever the keys."""

from __future__ import annotations

import re

from ormkit.sql.bindnames import driver_names
from ormkit.sql.compiler import BindSlot
from ormkit.sql.types import Integer


def _slots(*keys: str, row: int = -1) -> list[BindSlot]:
    return [BindSlot(key, -1, Integer(), None, row=row) for key in keys]


def test_keys_that_sanitize_alike_get_distinct_names() -> None:
    keys = ("a b", "a_b", "a-b", "a_b_1", "1x", "é", "", "x VALUES (y")
    names = driver_names(_slots(*keys))
    assert names[1] == "a_b" and names[3] == "a_b_1"  # plain words keep their key
    assert len(set(names)) == len(keys)
    assert all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n) for n in names)


def test_slots_of_values_groups_are_named_by_group() -> None:
    names = driver_names(_slots("ab", "a", row=0) + _slots("ab", "a", row=1) + _slots("ab"))
    assert names == ["ab__0", "a__0", "ab__1", "a__1", "ab"]
