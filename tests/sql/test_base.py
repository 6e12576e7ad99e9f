"""Execution options carried by statements: copies, merging, refusals, and no part in the SQL."""

from __future__ import annotations

import pytest

from ormkit import Column, Integer, MetaData, Table, delete, exc, insert, select, text, update
from ormkit.sql import cache_key

metadata = MetaData()
nums = Table("nums", metadata, Column("id", Integer, primary_key=True))


@pytest.mark.parametrize(
    "statement",
    [
        select(nums),
        insert(nums),
        update(nums),
        delete(nums),
        text("SELECT 1"),
        select(nums).union(select(nums)),
    ],
    ids=["select", "insert", "update", "delete", "text", "union"],
)
def test_execution_options_give_a_copy_holding_them(statement: object) -> None:
    with_options = statement.execution_options(yield_per=5, audit="on")  # type: ignore[attr-defined]
    assert with_options is not statement
    assert with_options.get_execution_options() == {"yield_per": 5, "audit": "on"}
    assert statement.get_execution_options() == {}  # type: ignore[attr-defined]


def test_later_execution_options_are_added_over_earlier_ones() -> None:
    stmt = select(nums).execution_options(yield_per=5, audit="on").execution_options(yield_per=2)
    assert stmt.get_execution_options() == {"yield_per": 2, "audit": "on"}


def test_execution_options_are_not_part_of_the_cache_key() -> None:
    plain = select(nums).where(nums.c.id == 1)
    assert cache_key.generate(plain)[0] == cache_key.generate(plain.execution_options(x=1))[0]


@pytest.mark.parametrize(
    ("name", "where"),
    [
        ("isolation_level", r"set it on Connection\.execution_options\(\), or per engine"),
        ("compiled_cache", r"set it on Connection\.execution_options\(\) or Engine"),
    ],
)
def test_connection_only_options_are_refused_on_a_statement(name: str, where: str) -> None:
    with pytest.raises(
        exc.ArgumentError,
        match=rf"^the '{name}' execution option cannot be given to a statement; {where}",
    ):
        select(nums).execution_options(**{name: None})
