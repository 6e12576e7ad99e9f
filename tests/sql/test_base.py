"""Execution options carried by statements: copies, merging, refusals, and no part in the SQL."""

from __future__ import annotations

import pytest

from ormkit import (
    Column,
    Integer,
    MetaData,
    Table,
    create_engine,
    delete,
    exc,
    insert,
    literal,
    select,
    text,
    update,
)
from ormkit.orm import Session
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


@pytest.mark.parametrize(
    ("name", "what"),
    [
        ("dml_strategy", "the choice of ORM bulk INSERT/UPDATE strategy"),
        ("is_delete_using", r"DELETE \.\.\. USING"),
        ("is_update_from", r"UPDATE \.\.\. FROM"),
        ("identity_token", "horizontal sharding"),
        ("render_nulls", "NULLs rendered into bulk INSERTs"),
        ("schema_translate_map", "schema names translated at execution"),
    ],
)
def test_options_ormkit_does_not_carry_out_are_refused_wherever_given(name: str, what: str) -> None:
    message = rf"^the '{name}' execution option \({what}\) is not supported yet$"
    engine = create_engine("sqlite://")
    with pytest.raises(exc.ArgumentError, match=message):
        select(nums).execution_options(**{name: True})
    with pytest.raises(exc.ArgumentError, match=message):
        engine.execution_options(**{name: True})
    with pytest.raises(exc.ArgumentError, match=message):
        create_engine("sqlite://", execution_options={name: True})
    with engine.connect() as conn:
        with pytest.raises(exc.ArgumentError, match=message):
            conn.execution_options(**{name: True})
        with pytest.raises(exc.ArgumentError, match=message):
            conn.execute(select(literal(1)), execution_options={name: True})
        with pytest.raises(exc.ArgumentError, match=message):
            Session(conn).execute(select(literal(1)), execution_options={name: True})


def test_an_applications_own_option_keys_are_kept_at_every_level() -> None:
    """As in SQLAlchemy: options are also how code passes flags along with a statement."""
    engine = create_engine("sqlite://").execution_options(tenant="acme")
    assert engine.get_execution_options() == {"tenant": "acme"}
    with engine.connect() as conn:
        conn.execution_options(audit=True)
        assert conn.get_execution_options() == {"tenant": "acme", "audit": True}
        stmt = select(literal(1)).execution_options(reason="report")
        assert stmt.get_execution_options() == {"reason": "report"}
        assert conn.execute(stmt, execution_options={"trace": 7}).scalar() == 1


@pytest.mark.parametrize("name", ["yield_per", "max_row_buffer", "insertmanyvalues_page_size"])
@pytest.mark.parametrize("value", [0, -2, "10", True, 2.5])
def test_row_count_options_refuse_what_is_not_a_positive_number(name: str, value: object) -> None:
    message = rf"^{name} takes a positive number of rows, got .* \(the '{name}' execution option\)$"
    with pytest.raises(exc.ArgumentError, match=message):
        select(nums).execution_options(**{name: value})
    with pytest.raises(exc.ArgumentError, match=message):
        create_engine("sqlite://").execution_options(**{name: value})


def test_compiled_cache_takes_a_dict_or_none() -> None:
    engine = create_engine("sqlite://")
    with engine.connect() as conn:
        with pytest.raises(exc.ArgumentError, match=r"'compiled_cache'.*takes a dict.*got 5"):
            conn.execution_options(compiled_cache=5)
        assert "compiled_cache" not in conn.get_execution_options()
