"""Compiling INSERT/UPDATE/DELETE: parameter names for any column name, VALUES groups per row.

Compile-only (no database): the driver-facing placeholder names of a named paramstyle, the
parameter values each slot takes, and INSERTs compiled with one VALUES group per parameter set.
"""

from __future__ import annotations

import re

import pytest

from ormkit import Column, Integer, MetaData, String, Table, bindparam, exc, insert, update
from ormkit.dialects.sqlite import SQLiteDialect
from ormkit.sql.compiler import GenericDialect, compile_statement

WEIRD = "we'ird\"`%:?;.\tné"
metadata = MetaData()
odd = Table(
    "odd",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("a b", String(10)),
    Column("a_b", String(10)),
    Column("x VALUES (y", String(10)),
    Column(WEIRD, String(10)),
)
# "ab" before "a": a key that is a prefix of another key, after it
prefixed = Table(
    "prefixed",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ab", String(10)),
    Column("a", String(10)),
    Column("n", Integer, default=7),
)
counters = Table("counters", metadata, Column("x", Integer), Column("x_1", Integer))
users = Table(
    "users", metadata, Column("id", Integer, primary_key=True), Column("name", String(10))
)
_NAMED = re.compile(r":(\w+)")


def test_odd_column_names_get_distinct_plain_word_parameter_names() -> None:
    keys = ("a b", "a_b", "x VALUES (y", WEIRD)
    compiled = compile_statement(insert(odd), GenericDialect(), column_keys=keys)
    assert compiled.sql == (
        'INSERT INTO odd ("a b", a_b, "x VALUES (y", "we\'ird""`%:?;.\tné") '
        "VALUES (:a_b_1, :a_b, :x_VALUES__y, :we_ird________n_)"
    )
    names = _NAMED.findall(compiled.sql.split("VALUES (", 2)[-1])
    assert len(set(names)) == 4
    params = compiled.construct_params([], {"a b": 1, "a_b": 2, "x VALUES (y": 3, WEIRD: 4})
    assert params == {"a_b_1": 1, "a_b": 2, "x_VALUES__y": 3, "we_ird________n_": 4}


@pytest.mark.parametrize("dialect", [GenericDialect(), SQLiteDialect()], ids=["named", "qmark"])
def test_bindparams_keyed_by_odd_names_keep_their_keys(dialect: GenericDialect) -> None:
    # the flush's UPDATE: SET parameters named by attribute key ("a b" is not "a_b")
    stmt = (
        update(odd)
        .where(odd.c.id == bindparam("_pk"))
        .values({odd.c["a b"]: bindparam("a b"), odd.c["a_b"]: bindparam("a_b")})
    )
    compiled = compile_statement(stmt, dialect, column_keys=("a b", "a_b", "_pk"))
    params = compiled.construct_params(compiled._binds, {"a b": 1, "a_b": 2, "_pk": 3})
    values = list(params.values()) if isinstance(params, dict) else params
    assert values == [1, 2, 3]


def test_a_parameter_naming_a_bindparam_feeds_it_and_sets_no_column() -> None:
    stmt = update(users).where(users.c.id == bindparam("id"))
    compiled = compile_statement(stmt, GenericDialect(), column_keys=("id", "name"))
    assert compiled.sql == "UPDATE users SET name=:name WHERE users.id = :id"


def test_a_made_up_parameter_name_moves_aside_for_a_column_key() -> None:
    # x + 1 names its value x_1; the column x_1 set from the parameters must not share it
    stmt = update(counters).values(x=counters.c.x + 1)
    compiled = compile_statement(stmt, GenericDialect(), column_keys=("x_1",))
    assert compiled.sql == "UPDATE counters SET x=x + :x_1_1, x_1=:x_1"
    assert compiled.construct_params(compiled._binds, {"x_1": 9}) == {"x_1_1": 1, "x_1": 9}


def test_insert_compiled_for_rows_has_one_values_group_per_parameter_set() -> None:
    stmt = insert(prefixed).returning(prefixed.c.id)
    compiled = compile_statement(stmt, GenericDialect(), column_keys=("ab", "a"), rows=3)
    assert compiled.sql == (
        "INSERT INTO prefixed (ab, a, n) VALUES (:ab__0, :a__0, :n__0), "
        "(:ab__1, :a__1, :n__1), (:ab__2, :a__2, :n__2) RETURNING id"
    )
    assert [(s.name, s.row) for s in compiled.slots] == [
        (name, row) for row in range(3) for name in ("ab", "a", "n")
    ]
    assert (compiled.row_groups, compiled.row_width) == (3, 3)


def test_insert_compiled_for_rows_with_positional_parameters() -> None:
    stmt = insert(prefixed).returning(prefixed.c.id)
    compiled = compile_statement(stmt, SQLiteDialect(), column_keys=("ab", "a"), rows=3)
    assert compiled.sql == (
        "INSERT INTO prefixed (ab, a, n) VALUES (?, ?, ?), (?, ?, ?), (?, ?, ?) RETURNING id"
    )
    assert compiled.positiontup == ["ab", "a", "n"] * 3
    assert (compiled.row_groups, compiled.row_width) == (3, 3)


def test_insert_compiled_for_rows_with_numbered_parameters() -> None:
    dialect = GenericDialect()
    dialect.paramstyle = "numeric"
    stmt = insert(prefixed).values(a="k").returning(prefixed.c.id)
    compiled = compile_statement(stmt, dialect, column_keys=("ab",), rows=2)
    assert compiled.sql == (
        "INSERT INTO prefixed (a, ab, n) VALUES (:1, :2, :3), (:4, :5, :6) RETURNING id"
    )


def test_returning_sort_by_parameter_order_takes_a_bool() -> None:
    stmt = insert(users).returning(users.c.id, sort_by_parameter_order=True)
    assert stmt._sort_by_parameter_order is True
    with pytest.raises(exc.ArgumentError, match="sort_by_parameter_order"):
        insert(users).returning(users.c.id, sort_by_parameter_order="yes")  # type: ignore[arg-type]
