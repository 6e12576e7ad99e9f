"""Compile-only tests: exact SQL text and parameters, no database involved."""

from __future__ import annotations

import pytest

from ormkit import (
    Column,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    and_,
    asc,
    between,
    bindparam,
    case,
    cast,
    column,
    delete,
    desc,
    distinct,
    exc,
    except_,
    exists,
    false,
    func,
    insert,
    intersect,
    join,
    literal,
    not_,
    null,
    nulls_last,
    or_,
    select,
    text,
    true,
    union,
    union_all,
    update,
)
from ormkit.dialects.sqlite import SQLiteDialect

metadata = MetaData()
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(50)),
    Column("age", Integer),
)
addresses = Table(
    "addresses",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("users.id")),
    Column("email", String(100)),
)
messages = Table(
    "messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", ForeignKey("users.id")),
    Column("recipient_id", ForeignKey("users.id")),
)
unrelated = Table("unrelated", metadata, Column("id", Integer, primary_key=True))
archive = Table(
    "archive",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(50)),
)
u = users.c
a = addresses.c

FROM_USERS = "SELECT users.id \nFROM users"


def where_sql(criterion: object) -> str:
    """The WHERE part of ``SELECT users.id FROM users WHERE <criterion>``."""
    sql = select(u.id).where(criterion).compile().sql
    prefix = FROM_USERS + " \nWHERE "
    assert sql.startswith(prefix), sql
    return sql[len(prefix) :]


# -- comparison and arithmetic operators ----------------------------------------------------


def test_select_where_equality_uses_named_param_in_str() -> None:
    stmt = select(users).where(u.id == 5)
    assert str(stmt) == (
        "SELECT users.id, users.name, users.age \nFROM users \nWHERE users.id = :id_1"
    )
    assert stmt.compile().params == {"id_1": 5}


def test_sqlite_compile_uses_qmark_params_in_order() -> None:
    compiled = select(u.id).where(u.age > 3, u.name == "x").compile(SQLiteDialect())
    assert compiled.sql == FROM_USERS + " \nWHERE users.age > ? AND users.name = ?"
    assert compiled.positiontup == ["age_1", "name_1"]
    assert compiled.params == {"age_1": 3, "name_1": "x"}


def test_comparison_operators_render_and_number_their_params() -> None:
    compiled = select(u.id).where(u.id != 5, u.age < 3, u.age <= 4, u.age > 5, u.age >= 6).compile()
    assert compiled.sql == (
        FROM_USERS + " \nWHERE users.id != :id_1 AND users.age < :age_1 AND users.age <= :age_2"
        " AND users.age > :age_3 AND users.age >= :age_4"
    )
    assert compiled.params == {"id_1": 5, "age_1": 3, "age_2": 4, "age_3": 5, "age_4": 6}


def test_arithmetic_operators_render_with_params() -> None:
    compiled = select(u.id + u.age, u.id - 1, u.id * 2, u.id / 4, u.id % 3).compile()
    assert compiled.sql == (
        "SELECT users.id + users.age AS anon, users.id - :id_1 AS anon_1, "
        "users.id * :id_2 AS anon_2, users.id / :id_3 AS anon_3, users.id % :id_4 AS anon_4"
        " \nFROM users"
    )
    assert compiled.params == {"id_1": 1, "id_2": 2, "id_3": 4, "id_4": 3}


def test_plus_on_string_column_renders_concat_operator() -> None:
    compiled = select(u.name + "x").compile()
    assert compiled.sql == "SELECT users.name || :name_1 AS anon \nFROM users"
    assert compiled.params == {"name_1": "x"}


def test_concat_method_renders_concat_operator() -> None:
    assert where_sql(u.name.concat("y") == "zy") == "users.name || :param_1 = :param_2"


# -- LIKE family ----------------------------------------------------------------------------


def test_like_ilike_not_like_render_generic() -> None:
    stmt = select(u.id).where(u.name.like("a%"), u.name.ilike("B%"), u.name.not_like("c"))
    compiled = stmt.compile()
    assert compiled.sql == (
        FROM_USERS + " \nWHERE users.name LIKE :name_1 AND users.name ILIKE :name_2"
        " AND users.name NOT LIKE :name_3"
    )
    assert compiled.params == {"name_1": "a%", "name_2": "B%", "name_3": "c"}


def test_ilike_on_sqlite_renders_lower_like_lower() -> None:
    compiled = select(u.id).where(u.name.ilike("B%")).compile(SQLiteDialect())
    assert compiled.sql == FROM_USERS + " \nWHERE lower(users.name) LIKE lower(?)"
    assert compiled.positiontup == ["name_1"]


def test_not_ilike_on_sqlite_renders_lower_not_like_lower() -> None:
    compiled = select(u.id).where(u.name.not_ilike("B%")).compile(SQLiteDialect())
    assert compiled.sql == FROM_USERS + " \nWHERE lower(users.name) NOT LIKE lower(?)"


def test_inverted_like_renders_not_like() -> None:
    assert where_sql(~u.name.like("x")) == "users.name NOT LIKE :name_1"


def test_startswith_endswith_contains_add_wildcards_to_the_value() -> None:
    compiled = (
        select(u.id)
        .where(u.name.startswith("a"), u.name.endswith("b"), u.name.contains("c"))
        .compile()
    )
    assert compiled.sql == (
        FROM_USERS + " \nWHERE users.name LIKE :name_1 AND users.name LIKE :name_2"
        " AND users.name LIKE :name_3"
    )
    assert compiled.params == {"name_1": "a%", "name_2": "%b", "name_3": "%c%"}


def test_startswith_autoescape_escapes_wildcards_and_escape_char() -> None:
    compiled = select(u.id).where(u.name.startswith("a%b_c/", autoescape=True)).compile()
    assert compiled.sql == FROM_USERS + " \nWHERE users.name LIKE :name_1 ESCAPE '/'"
    assert compiled.params == {"name_1": "a/%b/_c//%"}


def test_contains_autoescape_keeps_outer_wildcards() -> None:
    compiled = select(u.id).where(u.name.contains("50%", autoescape=True)).compile()
    assert compiled.sql == FROM_USERS + " \nWHERE users.name LIKE :name_1 ESCAPE '/'"
    assert compiled.params == {"name_1": "%50/%%"}


def test_endswith_autoescape_escapes_underscore() -> None:
    compiled = select(u.id).where(u.name.endswith("_x", autoescape=True)).compile()
    assert compiled.params == {"name_1": "%/_x"}
    assert compiled.sql.endswith("LIKE :name_1 ESCAPE '/'")


# -- IN, BETWEEN, NULL ----------------------------------------------------------------------


def test_in_list_renders_one_param_per_value() -> None:
    compiled = select(u.id).where(u.id.in_([1, 2, 3])).compile()
    assert compiled.sql == FROM_USERS + " \nWHERE users.id IN (:id_1, :id_2, :id_3)"
    assert compiled.params == {"id_1": 1, "id_2": 2, "id_3": 3}


def test_in_list_on_sqlite_renders_qmarks() -> None:
    compiled = select(u.id).where(u.id.in_([1, 2, 3])).compile(SQLiteDialect())
    assert compiled.sql == FROM_USERS + " \nWHERE users.id IN (?, ?, ?)"
    assert compiled.positiontup == ["id_1", "id_2", "id_3"]


def test_not_in_list_renders_not_in() -> None:
    compiled = select(u.id).where(u.id.not_in([1, 2])).compile()
    assert compiled.sql == FROM_USERS + " \nWHERE users.id NOT IN (:id_1, :id_2)"
    assert compiled.params == {"id_1": 1, "id_2": 2}


def test_inverted_in_renders_not_in() -> None:
    assert where_sql(~u.id.in_([1])) == "users.id NOT IN (:id_1)"


def test_empty_in_list_renders_always_false() -> None:
    compiled = select(u.id).where(u.id.in_([])).compile()
    assert compiled.sql == FROM_USERS + " \nWHERE (1 != 1)"
    assert compiled.params == {}


def test_empty_not_in_list_renders_always_true() -> None:
    compiled = select(u.id).where(u.id.not_in([])).compile()
    assert compiled.sql == FROM_USERS + " \nWHERE (1 = 1)"
    assert compiled.params == {}


def test_in_subquery_renders_nested_select() -> None:
    assert where_sql(u.id.in_(select(a.user_id))) == (
        "users.id IN (SELECT addresses.user_id \nFROM addresses)"
    )


def test_in_with_string_argument_is_an_argument_error() -> None:
    with pytest.raises(exc.ArgumentError, match="in_\\(\\) takes a list of values"):
        u.id.in_("abc")


def test_between_method_and_function_render_the_same() -> None:
    for criterion in (u.age.between(1, 5), between(u.age, 1, 5)):
        compiled = select(u.id).where(criterion).compile()
        assert compiled.sql == FROM_USERS + " \nWHERE users.age BETWEEN :age_1 AND :age_2"
        assert compiled.params == {"age_1": 1, "age_2": 5}


def test_inverted_between_renders_not_between() -> None:
    assert where_sql(~u.age.between(1, 5)) == "users.age NOT BETWEEN :age_1 AND :age_2"


def test_eq_none_renders_is_null() -> None:
    compiled = select(u.id).where(u.name == None).compile()  # noqa: E711
    assert compiled.sql == FROM_USERS + " \nWHERE users.name IS NULL"
    assert compiled.params == {}


def test_ne_none_renders_is_not_null() -> None:
    assert where_sql(u.name != None) == "users.name IS NOT NULL"  # noqa: E711


def test_is_and_is_not_render_is_null_and_is_not_null() -> None:
    assert where_sql(and_(u.name.is_(None), u.age.is_not(None))) == (
        "users.name IS NULL AND users.age IS NOT NULL"
    )


def test_is_true_and_is_false_render_literals_not_parameters() -> None:
    compiled = select(u.id).where(and_(u.name.is_(True), u.age.is_not(False))).compile()
    assert compiled.sql == FROM_USERS + " \nWHERE users.name IS true AND users.age IS NOT false"
    assert compiled.params == {}


def test_eq_null_construct_renders_is_null() -> None:
    assert where_sql(u.name == null()) == "users.name IS NULL"


def test_ordering_comparison_with_none_is_an_argument_error() -> None:
    with pytest.raises(exc.ArgumentError, match="cannot compare"):
        u.age < None  # noqa: B015


# -- ORDER BY modifiers, labels, casts, distinct --------------------------------------------


def test_order_by_modifiers_render_in_place() -> None:
    stmt = select(u.id).order_by(
        u.id.asc(), u.name.desc(), u.age.nulls_first(), nulls_last(u.name), desc(u.id), asc(u.age)
    )
    assert str(stmt) == (
        FROM_USERS + " ORDER BY users.id ASC, users.name DESC, users.age NULLS FIRST, "
        "users.name NULLS LAST, users.id DESC, users.age ASC"
    )


def test_desc_nulls_last_chain() -> None:
    assert str(select(u.id).order_by(u.age.desc().nulls_last())) == (
        FROM_USERS + " ORDER BY users.age DESC NULLS LAST"
    )


def test_label_and_cast_render_with_as() -> None:
    stmt = select(u.name.label("n"), cast(u.age, String(10)), u.age.cast(Numeric(10, 2)))
    assert str(stmt) == (
        "SELECT users.name AS n, CAST(users.age AS VARCHAR(10)) AS age, "
        "CAST(users.age AS NUMERIC(10, 2)) AS age_1 \nFROM users"
    )


def test_distinct_function_and_method() -> None:
    stmt = select(distinct(u.name), func.count(u.name.distinct()))
    assert str(stmt) == (
        "SELECT DISTINCT users.name AS name, count(DISTINCT users.name) AS count \nFROM users"
    )


# -- boolean operators and precedence -------------------------------------------------------


def test_and_function_joins_with_and() -> None:
    compiled = select(u.id).where(and_(u.id == 1, u.age == 2)).compile()
    assert compiled.sql == FROM_USERS + " \nWHERE users.id = :id_1 AND users.age = :age_1"
    assert compiled.params == {"id_1": 1, "age_1": 2}


def test_or_function_joins_with_or() -> None:
    assert where_sql(or_(u.id == 1, u.age == 2)) == "users.id = :id_1 OR users.age = :age_1"


def test_not_of_comparison_negates_the_operator() -> None:
    assert where_sql(not_(u.id == 1)) == "users.id != :id_1"
    assert where_sql(~(u.id == 1)) == "users.id != :id_1"


def test_not_of_conjunction_is_parenthesized() -> None:
    assert where_sql(~((u.id == 1) & (u.age == 2))) == (
        "NOT (users.id = :id_1 AND users.age = :age_1)"
    )


def test_python_and_or_operators_keep_precedence_without_parentheses() -> None:
    compiled = select(u.id).where((u.id == 1) & (u.age == 2) | (u.name == "x")).compile()
    assert compiled.sql == (
        FROM_USERS + " \nWHERE users.id = :id_1 AND users.age = :age_1 OR users.name = :name_1"
    )
    assert compiled.params == {"id_1": 1, "age_1": 2, "name_1": "x"}


def test_or_of_and_needs_no_parentheses() -> None:
    x, y, z = column("x", Integer), column("y", Integer), column("z", Integer)
    assert str(select(x).where(or_(and_(x == 1, y == 2), z == 3))) == (
        "SELECT x \nWHERE x = :x_1 AND y = :y_1 OR z = :z_1"
    )


def test_and_of_or_parenthesizes_the_or() -> None:
    x, y, z = column("x", Integer), column("y", Integer), column("z", Integer)
    assert str(select(x).where(and_(or_(x == 1, y == 2), z == 3))) == (
        "SELECT x \nWHERE (x = :x_1 OR y = :y_1) AND z = :z_1"
    )
    assert str(select(x).where(and_(x == 1, or_(y == 2, z == 3)))) == (
        "SELECT x \nWHERE x = :x_1 AND (y = :y_1 OR z = :z_1)"
    )


def test_not_of_or_is_parenthesized() -> None:
    x, y = column("x", Integer), column("y", Integer)
    assert str(select(x).where(not_(or_(x == 1, y == 2)))) == (
        "SELECT x \nWHERE NOT (x = :x_1 OR y = :y_1)"
    )


def test_arithmetic_precedence_parenthesizes_only_where_needed() -> None:
    x, y, z = column("a", Integer), column("b", Integer), column("c", Integer)
    stmt = select((x + y) * z, x - (y - z), x - y - z, x / (y * z), -(x + y))
    assert str(stmt) == (
        "SELECT (a + b) * c AS anon, a - (b - c) AS anon_1, a - b - c AS anon_2, "
        "a / (b * c) AS anon_3, -(a + b) AS anon_4"
    )


def test_arithmetic_inside_comparison_needs_no_parentheses() -> None:
    x, y, z = column("a", Integer), column("b", Integer), column("c", Integer)
    assert str(select(x).where(x + y == z)) == "SELECT a \nWHERE a + b = c"


# -- CASE, EXISTS, literals, bindparam, text ------------------------------------------------


def test_searched_case_renders_when_then_else() -> None:
    stmt = select(case((u.age < 18, "minor"), (u.age < 65, "adult"), else_="senior"))
    compiled = stmt.compile()
    assert compiled.sql == (
        "SELECT CASE WHEN users.age < :age_1 THEN :param_1 WHEN users.age < :age_2 "
        'THEN :param_2 ELSE :param_3 END AS "case" \nFROM users'
    )
    assert compiled.params == {
        "age_1": 18,
        "param_1": "minor",
        "age_2": 65,
        "param_2": "adult",
        "param_3": "senior",
    }


def test_simple_case_with_value_and_dict() -> None:
    compiled = select(case({1: "one", 2: "two"}, value=u.id, else_="many")).compile()
    assert compiled.sql.startswith(
        "SELECT CASE users.id WHEN :param_1 THEN :param_2 WHEN :param_3 THEN :param_4 "
        "ELSE :param_5 END"
    )
    assert compiled.params == {
        "param_1": 1,
        "param_2": "one",
        "param_3": 2,
        "param_4": "two",
        "param_5": "many",
    }


def test_exists_where_correlates_outer_table() -> None:
    assert where_sql(exists().where(a.user_id == u.id)) == (
        "EXISTS (SELECT * \nFROM addresses \nWHERE addresses.user_id = users.id)"
    )


def test_select_exists_method_renders_exists() -> None:
    inner = select(a.id).where(a.user_id == u.id)
    expected = "EXISTS (SELECT addresses.id \nFROM addresses \nWHERE addresses.user_id = users.id)"
    assert where_sql(inner.exists()) == expected
    assert where_sql(exists(inner)) == expected


def test_literal_renders_as_bound_parameter() -> None:
    compiled = select(literal(5), literal("x") + u.name).compile()
    assert compiled.sql == "SELECT :param_1 AS param, :param_2 || users.name AS anon \nFROM users"
    assert compiled.params == {"param_1": 5, "param_2": "x"}


def test_bindparam_keeps_its_name_and_value() -> None:
    compiled = select(u.id).where(u.id == bindparam("uid", 7)).compile()
    assert compiled.sql == FROM_USERS + " \nWHERE users.id = :uid"
    assert compiled.params == {"uid": 7}


def test_bindparam_without_value_is_none_in_params() -> None:
    compiled = select(u.id).where(u.id == bindparam("uid")).compile()
    assert compiled.sql == FROM_USERS + " \nWHERE users.id = :uid"
    assert compiled.params == {"uid": None}


def test_null_true_false_render_generic() -> None:
    assert str(select(null(), true(), false())) == (
        "SELECT NULL AS anon, true AS anon_1, false AS anon_2"
    )


def test_true_false_render_as_integers_on_sqlite() -> None:
    compiled = select(null(), true(), false()).compile(SQLiteDialect())
    assert compiled.sql == "SELECT NULL AS anon, 1 AS anon_1, 0 AS anon_2"


def test_text_with_named_params() -> None:
    stmt = text("SELECT * FROM users WHERE id = :id AND name = :name").bindparams(id=3, name="z")
    compiled = stmt.compile()
    assert compiled.sql == "SELECT * FROM users WHERE id = :id AND name = :name"
    assert compiled.params == {"id": 3, "name": "z"}


def test_text_params_become_qmarks_on_sqlite() -> None:
    stmt = text("SELECT * FROM users WHERE name = :name AND id = :id").bindparams(id=3, name="z")
    compiled = stmt.compile(SQLiteDialect())
    assert compiled.sql == "SELECT * FROM users WHERE name = ? AND id = ?"
    assert compiled.positiontup == ["name", "id"]


def test_text_leaves_casts_and_escaped_colons_alone() -> None:
    compiled = text("SELECT x::int, '\\:y' FROM t").compile()
    assert compiled.sql == "SELECT x::int, ':y' FROM t"
    assert compiled.params == {}


def test_text_bindparams_unknown_name_is_argument_error() -> None:
    with pytest.raises(exc.ArgumentError, match=r"text\(\) has no parameter :nope"):
        text("SELECT :a").bindparams(nope=1)


# -- functions ------------------------------------------------------------------------------


def test_known_aggregate_functions_render_and_label() -> None:
    compiled = select(
        func.count(),
        func.count(u.id),
        func.sum(u.age),
        func.min(u.age),
        func.max(u.age),
        func.avg(u.age),
        func.coalesce(u.name, "n"),
    ).compile()
    assert compiled.sql == (
        "SELECT count(*) AS count, count(users.id) AS count_1, sum(users.age) AS sum, "
        "min(users.age) AS min, max(users.age) AS max, avg(users.age) AS avg, "
        "coalesce(users.name, :param_1) AS coalesce \nFROM users"
    )
    assert compiled.params == {"param_1": "n"}


def test_arbitrary_function_renders_by_name() -> None:
    compiled = select(func.xyz(u.id, 1, "a"), func.lower(u.name)).compile()
    assert compiled.sql == (
        "SELECT xyz(users.id, :param_1, :param_2) AS xyz, lower(users.name) AS lower \nFROM users"
    )
    assert compiled.params == {"param_1": 1, "param_2": "a"}


def test_function_result_types_follow_arguments() -> None:
    assert isinstance(func.count(u.id).type, Integer)
    assert isinstance(func.sum(u.age).type, Integer)
    assert isinstance(func.max(u.name).type, String)
    assert isinstance(func.coalesce(u.name, "x").type, String)


# -- SELECT clauses -------------------------------------------------------------------------


def test_select_with_all_clauses_renders_them_in_order() -> None:
    stmt = (
        select(u.id)
        .where(u.age > 2)
        .group_by(u.id)
        .having(func.count() > 1)
        .order_by(u.id)
        .limit(5)
        .offset(10)
        .distinct()
    )
    compiled = stmt.compile()
    assert compiled.sql == (
        "SELECT DISTINCT users.id \nFROM users \nWHERE users.age > :age_1 GROUP BY users.id "
        "\nHAVING count(*) > :param_1 ORDER BY users.id \nLIMIT :param_2 OFFSET :param_3"
    )
    assert compiled.params == {"age_1": 2, "param_1": 1, "param_2": 5, "param_3": 10}


def test_limit_offset_on_sqlite_are_params() -> None:
    compiled = select(u.id).limit(5).offset(10).compile(SQLiteDialect())
    assert compiled.sql == FROM_USERS + " \nLIMIT ? OFFSET ?"
    assert compiled.positiontup == ["param_1", "param_2"]
    assert compiled.params == {"param_1": 5, "param_2": 10}


def test_offset_without_limit_on_sqlite_renders_limit_minus_one() -> None:
    compiled = select(u.id).offset(10).compile(SQLiteDialect())
    assert compiled.sql == FROM_USERS + " \nLIMIT -1 OFFSET ?"


def test_group_by_having_with_aggregate() -> None:
    compiled = select(u.age, func.count(u.id)).group_by(u.age).having(func.count(u.id) > 2)
    assert str(compiled) == (
        "SELECT users.age, count(users.id) AS count \nFROM users GROUP BY users.age "
        "\nHAVING count(users.id) > :param_1"
    )


def test_select_from_with_count_star() -> None:
    assert str(select(func.count()).select_from(users)) == "SELECT count(*) AS count \nFROM users"


# -- joins ----------------------------------------------------------------------------------

JOINED = (
    "SELECT users.name, addresses.email \nFROM users JOIN addresses ON addresses.user_id = users.id"
)


def test_join_infers_on_clause_from_foreign_key() -> None:
    assert str(select(u.name, a.email).select_from(users.join(addresses))) == JOINED
    assert str(select(u.name, a.email).join(addresses)) == JOINED
    assert str(select(u.name, a.email).join_from(users, addresses)) == JOINED


def test_outerjoin_infers_on_clause_from_foreign_key() -> None:
    assert str(select(u.name, a.email).outerjoin(addresses)) == (
        "SELECT users.name, addresses.email \nFROM users LEFT OUTER JOIN addresses "
        "ON addresses.user_id = users.id"
    )


def test_join_with_explicit_on_clause() -> None:
    stmt = select(u.name).select_from(join(users, addresses, a.email == u.name, isouter=True))
    assert str(stmt) == (
        "SELECT users.name \nFROM users LEFT OUTER JOIN addresses ON addresses.email = users.name"
    )


def test_join_with_compound_on_clause_collects_params() -> None:
    stmt = select(u.name).select_from(
        users.join(addresses, and_(a.user_id == u.id, a.email.like("%x")))
    )
    compiled = stmt.compile()
    assert compiled.sql == (
        "SELECT users.name \nFROM users JOIN addresses ON addresses.user_id = users.id "
        "AND addresses.email LIKE :email_1"
    )
    assert compiled.params == {"email_1": "%x"}


def test_join_with_two_foreign_keys_is_ambiguous_and_names_candidates() -> None:
    with pytest.raises(exc.ArgumentError) as info:
        users.join(messages)
    message = str(info.value)
    assert "more than one foreign key" in message
    assert "messages.sender_id -> users.id" in message
    assert "messages.recipient_id -> users.id" in message


def test_join_without_foreign_key_is_argument_error() -> None:
    with pytest.raises(
        exc.ArgumentError, match="can't find a foreign key between 'users' and 'unrelated'"
    ):
        users.join(unrelated)
    with pytest.raises(exc.ArgumentError, match="can't find a foreign key"):
        str(select(u.name).join(unrelated))  # Select.join resolves ON at compile time


# -- subqueries, aliases, CTEs --------------------------------------------------------------


def test_anonymous_subquery_in_join_is_named_anon_1() -> None:
    sub = select(a.user_id, func.count().label("n")).group_by(a.user_id).subquery()
    stmt = select(u.name, sub.c.n).join(sub, sub.c.user_id == u.id)
    assert str(stmt) == (
        "SELECT users.name, anon_1.n \nFROM users JOIN (SELECT addresses.user_id, count(*) AS n "
        "\nFROM addresses GROUP BY addresses.user_id) AS anon_1 ON users.id = anon_1.user_id"
    )


def test_named_subquery_uses_its_name() -> None:
    sub = select(a.user_id).subquery("s")
    assert str(select(sub.c.user_id)) == (
        "SELECT s.user_id \nFROM (SELECT addresses.user_id \nFROM addresses) AS s"
    )


def test_two_anonymous_subqueries_are_numbered() -> None:
    s1 = select(u.id).subquery()
    s2 = select(u.name).subquery()
    assert str(select(s1.c.id, s2.c.name)) == (
        "SELECT anon_1.id, anon_2.name \nFROM (SELECT users.id \nFROM users) AS anon_1, "
        "(SELECT users.name \nFROM users) AS anon_2"
    )


def test_subquery_params_are_in_compiled_params() -> None:
    sub = select(u.id).where(u.age > 30).subquery()
    compiled = select(sub.c.id).compile()
    assert compiled.sql == (
        "SELECT anon_1.id \nFROM (SELECT users.id \nFROM users \nWHERE users.age > :age_1) "
        "AS anon_1"
    )
    assert compiled.params == {"age_1": 30}


def test_table_alias_is_named_after_table() -> None:
    ua = users.alias()
    compiled = select(ua.c.name).where(ua.c.id == 1).compile()
    assert compiled.sql == "SELECT users_1.name \nFROM users AS users_1 \nWHERE users_1.id = :id_1"
    assert compiled.params == {"id_1": 1}


def test_two_table_aliases_are_numbered_and_columns_deduplicated() -> None:
    ua, ub = users.alias(), users.alias()
    assert str(select(ua.c.name, ub.c.name).where(ua.c.id == ub.c.age)) == (
        "SELECT users_1.name, users_2.name AS name_1 \nFROM users AS users_1, users AS users_2 "
        "\nWHERE users_1.id = users_2.age"
    )


def test_named_table_alias() -> None:
    assert str(select(users.alias("u").c.name)) == "SELECT u.name \nFROM users AS u"


def test_cte_renders_with_clause() -> None:
    older = select(u.id, u.name).where(u.age > 30).cte("older")
    compiled = select(older.c.name).where(older.c.id < 10).compile()
    assert compiled.sql == (
        "WITH older AS (SELECT users.id, users.name \nFROM users \nWHERE users.age > :age_1) "
        "SELECT older.name \nFROM older \nWHERE older.id < :id_1"
    )
    assert compiled.params == {"age_1": 30, "id_1": 10}


def test_cte_params_come_first_on_sqlite() -> None:
    older = select(u.id).where(u.age > 30).cte("older")
    compiled = select(older.c.id).where(older.c.id < 10).compile(SQLiteDialect())
    assert compiled.sql == (
        "WITH older AS (SELECT users.id \nFROM users \nWHERE users.age > ?) "
        "SELECT older.id \nFROM older \nWHERE older.id < ?"
    )
    assert compiled.positiontup == ["age_1", "id_1"]


def test_anonymous_cte_is_named_anon_1() -> None:
    c = select(u.id).cte()
    assert str(select(c.c.id)) == (
        "WITH anon_1 AS (SELECT users.id \nFROM users) SELECT anon_1.id \nFROM anon_1"
    )


def test_recursive_cte_renders_with_recursive_and_column_list() -> None:
    nums = select(literal(1).label("n")).cte("nums", recursive=True)
    nums = nums.union_all(select(nums.c.n + 1).where(nums.c.n < 10))
    compiled = select(nums.c.n).compile()
    assert compiled.sql == (
        "WITH RECURSIVE nums(n) AS (SELECT :param_1 AS n UNION ALL SELECT nums.n + :n_1 AS anon "
        "\nFROM nums \nWHERE nums.n < :n_2) SELECT nums.n \nFROM nums"
    )
    assert compiled.params == {"param_1": 1, "n_1": 1, "n_2": 10}


# -- compound selects -----------------------------------------------------------------------

LOW = "SELECT users.id \nFROM users \nWHERE users.age < :age_1"
HIGH = "SELECT users.id \nFROM users \nWHERE users.age > :age_2"


@pytest.mark.parametrize(
    ("combine", "keyword"),
    [(union, "UNION"), (union_all, "UNION ALL"), (intersect, "INTERSECT"), (except_, "EXCEPT")],
)
def test_compound_select_keywords(combine: object, keyword: str) -> None:
    stmt = combine(select(u.id).where(u.age < 10), select(u.id).where(u.age > 90))  # type: ignore[operator]
    compiled = stmt.compile()
    assert compiled.sql == f"{LOW} {keyword} {HIGH}"
    assert compiled.params == {"age_1": 10, "age_2": 90}


def test_union_method_with_order_by_and_limit() -> None:
    stmt = select(u.id).where(u.age < 10).union(select(u.id).where(u.age > 90))
    compiled = stmt.order_by("id").limit(3).compile()
    assert compiled.sql == f"{LOW} UNION {HIGH} ORDER BY id \nLIMIT :param_1"
    assert compiled.params == {"age_1": 10, "age_2": 90, "param_1": 3}


def test_union_as_subquery() -> None:
    stmt = union(select(u.id).where(u.age < 10), select(u.id).where(u.age > 90)).subquery()
    compiled = select(stmt.c.id).compile()
    assert compiled.sql == f"SELECT anon_1.id \nFROM ({LOW} UNION {HIGH}) AS anon_1"
    assert compiled.params == {"age_1": 10, "age_2": 90}


# -- scalar subqueries, FOR UPDATE ----------------------------------------------------------


def test_scalar_subquery_correlates_to_enclosing_select() -> None:
    count = select(func.count(a.id)).where(a.user_id == u.id).scalar_subquery()
    assert str(select(u.name, count.label("n"))) == (
        "SELECT users.name, (SELECT count(addresses.id) AS count \nFROM addresses "
        "\nWHERE addresses.user_id = users.id) AS n \nFROM users"
    )


def test_correlate_except_keeps_the_table_named_in_the_subquery() -> None:
    """Both tables are in the enclosing query: automatic correlation would take both (and
    so takes neither: a subquery keeps a FROM); correlate_except(addresses) takes users."""
    inner = select(func.count(a.id)).where(a.user_id == u.id)
    outer = select(u.name, a.id).where(u.id == a.user_id)
    auto = str(outer.add_columns(inner.scalar_subquery().label("n")))
    kept = str(outer.add_columns(inner.correlate_except(addresses).scalar_subquery().label("n")))
    assert "(SELECT count(addresses.id) AS count \nFROM addresses, users \nWHERE" in auto
    assert "(SELECT count(addresses.id) AS count \nFROM addresses \nWHERE" in kept


def test_correlate_takes_only_the_tables_named_and_none_with_none() -> None:
    inner = select(func.count(a.id)).where(a.user_id == u.id)
    outer = select(u.name, a.id).where(u.id == a.user_id)
    only_users = str(outer.add_columns(inner.correlate(users).scalar_subquery().label("n")))
    assert "(SELECT count(addresses.id) AS count \nFROM addresses \nWHERE" in only_users
    nothing = str(select(u.name, inner.correlate(None).scalar_subquery().label("n")))
    assert "(SELECT count(addresses.id) AS count \nFROM addresses, users \nWHERE" in nothing


def test_scalar_subquery_in_where_comparison() -> None:
    count = select(func.count(a.id)).where(a.user_id == u.id).scalar_subquery()
    compiled = select(u.name).where(count > 1).compile()
    assert compiled.sql == (
        "SELECT users.name \nFROM users \nWHERE (SELECT count(addresses.id) AS count "
        "\nFROM addresses \nWHERE addresses.user_id = users.id) > :param_1"
    )
    assert compiled.params == {"param_1": 1}


def test_with_for_update_nowait_generic() -> None:
    assert str(select(u.id).with_for_update(nowait=True)) == FROM_USERS + " FOR UPDATE NOWAIT"
    assert str(select(u.id).with_for_update()) == FROM_USERS + " FOR UPDATE"


def test_with_for_update_read_skip_locked_generic() -> None:
    assert str(select(u.id).with_for_update(read=True, skip_locked=True)) == (
        FROM_USERS + " FOR SHARE SKIP LOCKED"
    )


def test_with_for_update_is_omitted_on_sqlite() -> None:
    assert select(u.id).with_for_update(nowait=True).compile(SQLiteDialect()).sql == FROM_USERS


# -- DML ------------------------------------------------------------------------------------


def test_insert_values_single_row() -> None:
    compiled = insert(users).values(name="a", age=3).compile()
    assert compiled.sql == "INSERT INTO users (name, age) VALUES (:name, :age)"
    assert compiled.params == {"name": "a", "age": 3}


def test_insert_values_single_row_on_sqlite() -> None:
    compiled = insert(users).values(name="a", age=3).compile(SQLiteDialect())
    assert compiled.sql == "INSERT INTO users (name, age) VALUES (?, ?)"
    assert compiled.positiontup == ["name", "age"]


def test_insert_values_dict_same_as_kwargs() -> None:
    assert str(insert(users).values({"name": "a", "age": 3})) == str(
        insert(users).values(name="a", age=3)
    )


def test_insert_values_multi_row() -> None:
    stmt = insert(users).values([{"name": "a", "age": 1}, {"name": "b", "age": 2}])
    compiled = stmt.compile()
    assert compiled.sql == (
        "INSERT INTO users (name, age) VALUES (:name_1, :age_1), (:name_2, :age_2)"
    )
    assert compiled.params == {"name_1": "a", "age_1": 1, "name_2": "b", "age_2": 2}
    sqlite = stmt.compile(SQLiteDialect())
    assert sqlite.sql == "INSERT INTO users (name, age) VALUES (?, ?), (?, ?)"
    assert sqlite.positiontup == ["name_1", "age_1", "name_2", "age_2"]


def test_insert_without_values_shows_every_column_as_a_parameter() -> None:
    assert str(insert(users)) == "INSERT INTO users (id, name, age) VALUES (:id, :name, :age)"


def test_insert_executed_without_parameters_renders_default_values() -> None:
    from ormkit.sql.compiler import GenericDialect, compile_statement

    compiled = compile_statement(insert(users), GenericDialect(), column_keys=())
    assert compiled.sql == "INSERT INTO users DEFAULT VALUES"


def test_insert_from_select() -> None:
    stmt = insert(archive).from_select(["id", "name"], select(u.id, u.name).where(u.age > 5))
    compiled = stmt.compile()
    assert compiled.sql == (
        "INSERT INTO archive (id, name) SELECT users.id, users.name \nFROM users "
        "\nWHERE users.age > :age_1"
    )
    assert compiled.params == {"age_1": 5}


def test_update_where_values() -> None:
    compiled = update(users).where(u.id == 5).values(name="z").compile()
    assert compiled.sql == "UPDATE users SET name=:name WHERE users.id = :id_1"
    assert compiled.params == {"name": "z", "id_1": 5}


def test_update_with_expression_value() -> None:
    compiled = update(users).where(u.id == 5).values(age=u.age + 1).compile()
    assert compiled.sql == "UPDATE users SET age=age + :age_1 WHERE users.id = :id_1"
    assert compiled.params == {"age_1": 1, "id_1": 5}


def test_delete_where() -> None:
    compiled = delete(users).where(u.age < 5).compile()
    assert compiled.sql == "DELETE FROM users WHERE users.age < :age_1"
    assert compiled.params == {"age_1": 5}
    assert str(delete(users)) == "DELETE FROM users"


def test_returning_on_insert_update_delete() -> None:
    assert str(insert(users).values(name="a").returning(u.id)) == (
        "INSERT INTO users (name) VALUES (:name) RETURNING id"
    )
    assert str(update(users).where(u.id == 1).values(name="b").returning(u.id, u.name)) == (
        "UPDATE users SET name=:name WHERE users.id = :id_1 RETURNING id, name"
    )
    assert str(delete(users).where(u.id == 1).returning(u.id)) == (
        "DELETE FROM users WHERE users.id = :id_1 RETURNING id"
    )


# -- identifier quoting ---------------------------------------------------------------------

quoted_md = MetaData()
order = Table(
    "order",
    quoted_md,
    Column("id", Integer, primary_key=True),
    Column("user", String(10)),
    Column("UserName", String(10)),
    Column("my col", String(10)),
    Column('we"ird', String(10)),
)


def test_reserved_words_are_quoted() -> None:
    compiled = select(order.c.id, order.c.user).where(order.c.user == "x").compile()
    assert compiled.sql == (
        'SELECT "order".id, "order"."user" \nFROM "order" \nWHERE "order"."user" = :user_1'
    )
    assert compiled.params == {"user_1": "x"}


def test_mixed_case_spaces_and_quotes_are_quoted_with_doubled_quotes() -> None:
    stmt = select(order.c.UserName, order.c["my col"], order.c['we"ird'])
    assert str(stmt) == (
        'SELECT "order"."UserName", "order"."my col", "order"."we""ird" \nFROM "order"'
    )


def test_quoted_names_in_insert() -> None:
    compiled = insert(order).values(user="a", UserName="b").compile(SQLiteDialect())
    assert compiled.sql == 'INSERT INTO "order" ("user", "UserName") VALUES (?, ?)'
    assert compiled.positiontup == ["user", "UserName"]
