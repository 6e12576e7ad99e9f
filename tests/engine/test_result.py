"""Results and rows: the fetch methods, one/first/scalar shapes, Row as a named tuple."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ormkit import (
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    Row,
    String,
    Table,
    delete,
    exc,
    insert,
    literal,
    select,
    update,
)

NAMES = ["ann", "bob", "cat", "dan", "eve"]


@pytest.fixture
def people(engine: Engine, metadata: MetaData) -> Table:
    table = Table(
        "people",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(50)),
        Column("age", Integer),
    )
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(table),
            [{"id": i, "name": n, "age": 20 + i} for i, n in enumerate(NAMES, start=1)],
        )
    return table


@pytest.fixture
def conn(engine: Engine, people: Table) -> Iterator[Connection]:
    with engine.connect() as connection:
        yield connection


def _ordered(people: Table):  # type: ignore[no-untyped-def]
    return select(people.c.id, people.c.name).order_by(people.c.id)


# -- fetching -----------------------------------------------------------------------------------


def test_iterating_a_result_yields_every_row_in_order(conn: Connection, people: Table) -> None:
    assert [row.name for row in conn.execute(_ordered(people))] == NAMES


def test_fetchone_returns_rows_then_none(conn: Connection, people: Table) -> None:
    result = conn.execute(_ordered(people).where(people.c.id <= 2))
    assert result.fetchone() == (1, "ann")
    assert result.fetchone() == (2, "bob")
    assert result.fetchone() is None
    assert result.fetchone() is None


def test_fetchmany_returns_batches_then_empty(conn: Connection, people: Table) -> None:
    result = conn.execute(_ordered(people))
    assert result.fetchmany(2) == [(1, "ann"), (2, "bob")]
    assert result.fetchmany(2) == [(3, "cat"), (4, "dan")]
    assert result.fetchmany(2) == [(5, "eve")]
    assert result.fetchmany(2) == []


def test_fetchall_returns_remaining_rows(conn: Connection, people: Table) -> None:
    result = conn.execute(_ordered(people))
    result.fetchone()
    assert [r.id for r in result.fetchall()] == [2, 3, 4, 5]
    assert result.fetchall() == []


def test_all_returns_every_row(conn: Connection, people: Table) -> None:
    rows = conn.execute(_ordered(people)).all()
    assert rows == [(i, n) for i, n in enumerate(NAMES, start=1)]


def test_first_returns_first_row_and_closes_the_result(conn: Connection, people: Table) -> None:
    result = conn.execute(_ordered(people))
    assert result.first() == (1, "ann")
    assert result.closed
    with pytest.raises(exc.ResourceClosedError, match="this result is closed"):
        result.fetchone()


def test_first_on_empty_result_is_none(conn: Connection, people: Table) -> None:
    assert conn.execute(_ordered(people).where(people.c.id > 100)).first() is None


def test_fetching_from_a_closed_result_raises_resource_closed(
    conn: Connection, people: Table
) -> None:
    result = conn.execute(_ordered(people))
    result.close()
    with pytest.raises(exc.ResourceClosedError, match="this result is closed"):
        result.fetchall()


def test_one_returns_the_only_row(conn: Connection, people: Table) -> None:
    row = conn.execute(_ordered(people).where(people.c.name == "cat")).one()
    assert row == (3, "cat")


def test_one_with_no_rows_raises_no_result_found(conn: Connection, people: Table) -> None:
    result = conn.execute(_ordered(people).where(people.c.id > 100))
    with pytest.raises(exc.NoResultFound, match="expected one row and found none"):
        result.one()


def test_one_with_many_rows_raises_multiple_results_found(conn: Connection, people: Table) -> None:
    with pytest.raises(exc.MultipleResultsFound, match="expected one row and found more"):
        conn.execute(_ordered(people)).one()


def test_one_or_none(conn: Connection, people: Table) -> None:
    assert conn.execute(_ordered(people).where(people.c.id == 2)).one_or_none() == (2, "bob")
    assert conn.execute(_ordered(people).where(people.c.id > 100)).one_or_none() is None
    with pytest.raises(exc.MultipleResultsFound, match="expected at most one row"):
        conn.execute(_ordered(people)).one_or_none()


def test_scalar_returns_first_column_of_first_row(conn: Connection, people: Table) -> None:
    assert conn.execute(select(people.c.name).order_by(people.c.id)).scalar() == "ann"
    assert conn.execute(select(people.c.name).where(people.c.id > 100)).scalar() is None


def test_scalar_one(conn: Connection, people: Table) -> None:
    assert conn.execute(select(people.c.age).where(people.c.id == 1)).scalar_one() == 21
    with pytest.raises(exc.NoResultFound, match="found none"):
        conn.execute(select(people.c.age).where(people.c.id > 100)).scalar_one()
    with pytest.raises(exc.MultipleResultsFound, match="found more"):
        conn.execute(select(people.c.age)).scalar_one()


def test_scalar_one_or_none(conn: Connection, people: Table) -> None:
    stmt = select(people.c.name)
    assert conn.execute(stmt.where(people.c.id == 5)).scalar_one_or_none() == "eve"
    assert conn.execute(stmt.where(people.c.id > 100)).scalar_one_or_none() is None
    with pytest.raises(exc.MultipleResultsFound, match="at most one row"):
        conn.execute(stmt).scalar_one_or_none()


def test_scalars_all_returns_first_column(conn: Connection, people: Table) -> None:
    result = conn.execute(select(people.c.name, people.c.id).order_by(people.c.id))
    assert result.scalars().all() == NAMES


def test_scalars_with_index_picks_the_column(conn: Connection, people: Table) -> None:
    result = conn.execute(select(people.c.name, people.c.id).order_by(people.c.id))
    assert result.scalars(1).all() == [1, 2, 3, 4, 5]


def test_scalars_unique_drops_repeats(conn: Connection, people: Table) -> None:
    conn.execute(update(people).values(age=30).where(people.c.id > 2))
    result = conn.execute(select(people.c.age).order_by(people.c.id))
    assert result.scalars().unique().all() == [21, 22, 30]


def test_mappings_gives_dict_like_rows(conn: Connection, people: Table) -> None:
    rows = conn.execute(_ordered(people).where(people.c.id <= 2)).mappings().all()
    assert rows[0]["name"] == "ann"
    assert rows[0][people.c.id] == 1
    assert dict(rows[1]) == {"id": 2, "name": "bob"}
    assert list(rows[1].keys()) == ["id", "name"]
    assert len(rows[1]) == 2


def test_mappings_first_and_one(conn: Connection, people: Table) -> None:
    assert dict(conn.execute(_ordered(people)).mappings().first()) == {"id": 1, "name": "ann"}
    one = conn.execute(_ordered(people).where(people.c.id == 4)).mappings().one()
    assert dict(one) == {"id": 4, "name": "dan"}


def test_keys_lists_column_names(conn: Connection, people: Table) -> None:
    result = conn.execute(select(people.c.name, people.c.age.label("years")))
    assert list(result.keys()) == ["name", "years"]


def test_partitions_yield_lists_of_size(conn: Connection, people: Table) -> None:
    parts = list(conn.execute(_ordered(people)).partitions(2))
    assert [[r.id for r in part] for part in parts] == [[1, 2], [3, 4], [5]]


def test_scalars_partitions(conn: Connection, people: Table) -> None:
    parts = list(conn.execute(select(people.c.id).order_by(people.c.id)).scalars().partitions(3))
    assert parts == [[1, 2, 3], [4, 5]]


def test_select_of_a_python_literal_returns_it(conn: Connection) -> None:
    # select(1) is the SQLAlchemy 2.x spelling for SELECT 1
    assert conn.execute(select(1)).scalar() == 1  # type: ignore[arg-type]


def test_select_of_a_bound_literal_returns_it(conn: Connection) -> None:
    assert conn.execute(select(literal(7))).scalar() == 7


# -- DML results --------------------------------------------------------------------------------


def test_update_rowcount_counts_matched_rows(conn: Connection, people: Table) -> None:
    result = conn.execute(update(people).where(people.c.id > 2).values(age=99))
    assert result.rowcount == 3


def test_update_rowcount_counts_matched_even_when_unchanged(
    conn: Connection, people: Table
) -> None:
    result = conn.execute(update(people).where(people.c.id == 1).values(age=21))
    assert result.rowcount == 1


def test_delete_rowcount(conn: Connection, people: Table) -> None:
    assert conn.execute(delete(people).where(people.c.name.in_(["ann", "bob"]))).rowcount == 2
    assert conn.execute(delete(people).where(people.c.id > 100)).rowcount == 0


def test_inserted_primary_key_after_autoincrement_insert(
    engine: Engine, metadata: MetaData
) -> None:
    table = Table(
        "auto", metadata, Column("id", Integer, primary_key=True), Column("v", String(10))
    )
    metadata.create_all(engine)
    with engine.begin() as conn:
        first = conn.execute(insert(table), {"v": "a"})
        second = conn.execute(insert(table).values(v="b"))
        assert first.inserted_primary_key == (1,)
        assert second.inserted_primary_key == (2,)
        assert second.inserted_primary_key.id == 2


def test_inserted_primary_key_with_explicit_key(conn: Connection, people: Table) -> None:
    result = conn.execute(insert(people), {"id": 42, "name": "zed"})
    assert result.inserted_primary_key == (42,)
    assert tuple(result.inserted_primary_key) == (42,)


def test_inserted_primary_key_of_composite_key(engine: Engine, metadata: MetaData) -> None:
    table = Table(
        "pair",
        metadata,
        Column("a", Integer, primary_key=True),
        Column("b", String(5), primary_key=True),
    )
    metadata.create_all(engine)
    with engine.begin() as conn:
        result = conn.execute(insert(table).values(a=3, b="x"))
        assert result.inserted_primary_key == (3, "x")


def test_inserted_primary_key_after_executemany_raises(conn: Connection, people: Table) -> None:
    result = conn.execute(insert(people), [{"id": 10, "name": "a"}, {"id": 11, "name": "b"}])
    with pytest.raises(exc.InvalidRequestError, match="only known after a one-row insert"):
        result.inserted_primary_key  # noqa: B018


def test_lastrowid_after_insert(engine: Engine, metadata: MetaData) -> None:
    if not engine.dialect.postfetch_lastrowid:
        pytest.skip(reason=f"{engine.dialect.name} has no cursor.lastrowid (postfetch_lastrowid)")
    table = Table(
        "auto", metadata, Column("id", Integer, primary_key=True), Column("v", String(10))
    )
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(table), {"v": "a"})
        result = conn.execute(insert(table), {"v": "b"})
        assert result.lastrowid == 2


def test_fetching_from_an_insert_result_raises_resource_closed(
    conn: Connection, people: Table
) -> None:
    result = conn.execute(insert(people), {"id": 50, "name": "x"})
    assert not result.returns_rows
    for fetch in (result.fetchone, result.fetchall, result.all, result.first):
        with pytest.raises(exc.ResourceClosedError, match="does not return rows"):
            fetch()


# -- Row ----------------------------------------------------------------------------------------


def test_row_is_a_tuple(conn: Connection, people: Table) -> None:
    row = conn.execute(_ordered(people)).first()
    assert isinstance(row, tuple)
    assert isinstance(row, Row)
    assert row == (1, "ann")
    assert row == (1, "ann")
    assert row[0] == 1
    assert row[-1] == "ann"
    assert row[:1] == (1,)
    assert len(row) == 2
    assert hash(row) == hash((1, "ann"))
    assert repr(row) == "(1, 'ann')"


def test_row_unpacks(conn: Connection, people: Table) -> None:
    ident, name = conn.execute(_ordered(people)).first()
    assert (ident, name) == (1, "ann")


def test_row_attribute_access(conn: Connection, people: Table) -> None:
    row = conn.execute(select(people).where(people.c.id == 2)).one()
    assert (row.id, row.name, row.age) == (2, "bob", 22)


def test_row_label_attribute_access(conn: Connection, people: Table) -> None:
    row = conn.execute(select(people.c.name.label("who")).where(people.c.id == 2)).one()
    assert row.who == "bob"


def test_row_mapping_by_name_and_by_column(conn: Connection, people: Table) -> None:
    row = conn.execute(select(people).where(people.c.id == 3)).one()
    assert row._mapping["name"] == "cat"
    assert row._mapping[people.c.name] == "cat"
    assert row._mapping[people.c.age] == 23
    assert dict(row._mapping) == {"id": 3, "name": "cat", "age": 23}


def test_row_mapping_unknown_key_raises_no_such_column(conn: Connection, people: Table) -> None:
    row = conn.execute(_ordered(people)).first()
    with pytest.raises(exc.NoSuchColumnError, match="no column 'nope' in this row") as info:
        row._mapping["nope"]
    assert isinstance(info.value, KeyError)
    assert "id, name" in str(info.value)


def test_row_mapping_distinguishes_same_named_columns_of_two_tables(
    engine: Engine, metadata: MetaData
) -> None:
    a = Table("a", metadata, Column("id", Integer, primary_key=True))
    b = Table("b", metadata, Column("id", Integer, primary_key=True))
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(a), {"id": 1})
        conn.execute(insert(b), {"id": 2})
        row = conn.execute(select(a.c.id, b.c.id)).one()
    assert row._mapping[a.c.id] == 1
    assert row._mapping[b.c.id] == 2


def test_row_asdict(conn: Connection, people: Table) -> None:
    row = conn.execute(select(people).where(people.c.id == 1)).one()
    as_dict = row._asdict()
    assert as_dict == {"id": 1, "name": "ann", "age": 21}
    as_dict["name"] = "changed"
    assert row.name == "ann"


def test_row_unknown_attribute_raises_attribute_error_naming_columns(
    conn: Connection, people: Table
) -> None:
    row = conn.execute(_ordered(people)).first()
    with pytest.raises(AttributeError, match="row has no column 'nope'") as info:
        row.nope  # noqa: B018
    assert "its columns are: id, name" in str(info.value)
    assert not hasattr(row, "age")


def test_row_fields_and_tuple(conn: Connection, people: Table) -> None:
    row = conn.execute(_ordered(people)).first()
    assert row._fields == ("id", "name")
    assert row._tuple() == (1, "ann")
    assert type(row._tuple()) is tuple


def test_row_column_named_like_a_tuple_method_still_reachable(
    engine: Engine, metadata: MetaData
) -> None:
    table = Table(
        "odd",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("count", Integer),
        Column("index", Integer),
    )
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(table), {"id": 1, "count": 5, "index": 6})
        row = conn.execute(select(table)).one()
    assert row._mapping["count"] == 5
    assert row._mapping["index"] == 6
    assert row.count(5) == 1  # still the tuple method


def test_frozen_result_can_be_replayed(conn: Connection, people: Table) -> None:
    frozen = conn.execute(_ordered(people).where(people.c.id <= 2)).freeze()
    assert frozen().all() == [(1, "ann"), (2, "bob")]
    assert [r.name for r in frozen()] == ["ann", "bob"]


def test_columns_picks_columns(conn: Connection, people: Table) -> None:
    result = conn.execute(select(people).order_by(people.c.id)).columns("name", "id")
    row = result.first()
    assert row == ("ann", 1)
    assert row.name == "ann"
