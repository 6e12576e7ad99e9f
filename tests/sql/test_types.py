"""Every column type round-trips through the database with the right Python type."""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid
from typing import Any

import pytest

import ormkit
from ormkit import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Enum,
    Float,
    Integer,
    Interval,
    LargeBinary,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    Time,
    TypeDecorator,
    Unicode,
    Uuid,
    exc,
    func,
    insert,
    select,
)
from ormkit.dialects.sqlite import SQLiteDialect
from ormkit.sql.compiler import GenericDialect


class Color(enum.Enum):
    RED = "r"
    GREEN = "g"


class CommaList(TypeDecorator):
    """A list of strings stored as one comma-separated string."""

    impl = String(200)

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return None if value is None else ",".join(value)

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return None if value is None else value.split(",")


IST = datetime.timezone(datetime.timedelta(hours=5, minutes=30))
SAMPLE_UUID = uuid.UUID("12345678-1234-5678-1234-567812345678")

ROUND_TRIPS = [
    pytest.param(Integer(), 2**31 - 1, int, id="integer"),
    pytest.param(SmallInteger(), -7, int, id="smallinteger"),
    pytest.param(BigInteger(), 2**62, int, id="biginteger"),
    pytest.param(Boolean(), True, bool, id="boolean-true"),
    pytest.param(Boolean(), False, bool, id="boolean-false"),
    pytest.param(Float(), 1.5, float, id="float"),
    pytest.param(Numeric(10, 2), decimal.Decimal("1.10"), decimal.Decimal, id="numeric"),
    pytest.param(String(50), "hello", str, id="string"),
    pytest.param(Text(), "x" * 5000, str, id="text"),
    pytest.param(Unicode(50), "héllo 😀 日本語", str, id="unicode"),
    pytest.param(Date(), datetime.date(2024, 2, 29), datetime.date, id="date"),
    pytest.param(
        DateTime(), datetime.datetime(2024, 1, 2, 3, 4, 5, 123456), datetime.datetime, id="datetime"
    ),
    pytest.param(
        DateTime(timezone=True),
        datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=IST),
        datetime.datetime,
        id="datetime-tz",
    ),
    pytest.param(Time(), datetime.time(13, 14, 15, 16), datetime.time, id="time"),
    pytest.param(
        Interval(),
        datetime.timedelta(days=3, seconds=5, microseconds=7),
        datetime.timedelta,
        id="interval",
    ),
    pytest.param(LargeBinary(), b"\x00\x01\xff\x00tail", bytes, id="largebinary"),
    pytest.param(Enum(Color), Color.GREEN, Color, id="enum-class"),
    pytest.param(Enum("small", "large", name="size"), "large", str, id="enum-strings"),
    pytest.param(JSON(), {"a": [1, 2.5, {"b": None}], "c": "ü", "d": True}, dict, id="json-dict"),
    pytest.param(JSON(), [1, "two", [3]], list, id="json-list"),
    pytest.param(Uuid(), SAMPLE_UUID, uuid.UUID, id="uuid"),
    pytest.param(CommaList(), ["x", "y", "z"], list, id="typedecorator"),
]


def _make_table(metadata: MetaData, type_: Any) -> Table:
    return Table("typed", metadata, Column("id", Integer, primary_key=True), Column("value", type_))


@pytest.mark.parametrize(("type_", "value", "python_type"), ROUND_TRIPS)
def test_value_round_trips_with_same_python_type(
    engine: ormkit.Engine, metadata: MetaData, type_: Any, value: Any, python_type: type
) -> None:
    table = _make_table(metadata, type_)
    metadata.create_all(engine)
    engine.execute(insert(table).values(id=1, value=value))
    got = engine.execute(select(table.c.value).where(table.c.id == 1)).scalar_one()
    assert got == value
    assert type(got) is python_type


@pytest.mark.parametrize(("type_", "value", "python_type"), ROUND_TRIPS)
def test_null_round_trips_as_none(
    engine: ormkit.Engine, metadata: MetaData, type_: Any, value: Any, python_type: type
) -> None:
    table = _make_table(metadata, type_)
    metadata.create_all(engine)
    engine.execute(insert(table).values(id=1, value=None))
    assert engine.execute(select(table.c.value)).scalar_one() is None


def test_numeric_keeps_its_scale(engine: ormkit.Engine, metadata: MetaData) -> None:
    table = _make_table(metadata, Numeric(10, 2))
    metadata.create_all(engine)
    engine.execute(
        insert(table),
        [{"id": 1, "value": decimal.Decimal("1.10")}, {"id": 2, "value": decimal.Decimal("3")}],
    )
    got = engine.execute(select(table.c.value).order_by(table.c.id)).scalars().all()
    assert [str(v) for v in got] == ["1.10", "3.00"]
    assert all(type(v) is decimal.Decimal for v in got)


def test_numeric_compares_in_sql(engine: ormkit.Engine, metadata: MetaData) -> None:
    table = _make_table(metadata, Numeric(10, 2))
    metadata.create_all(engine)
    engine.execute(
        insert(table),
        [{"id": 1, "value": decimal.Decimal("1.10")}, {"id": 2, "value": decimal.Decimal("2.50")}],
    )
    stmt = select(table.c.id).where(table.c.value == decimal.Decimal("1.10"))
    assert engine.execute(stmt).scalars().all() == [1]


def test_timezone_aware_datetime_keeps_its_offset(
    engine: ormkit.Engine, metadata: MetaData
) -> None:
    table = _make_table(metadata, DateTime(timezone=True))
    metadata.create_all(engine)
    value = datetime.datetime(2024, 6, 1, 12, 0, tzinfo=IST)
    engine.execute(insert(table).values(id=1, value=value))
    got = engine.execute(select(table.c.value)).scalar_one()
    assert got == value
    assert got.utcoffset() is not None
    if engine.dialect.name == "sqlite":  # stored as text: the very offset comes back
        assert got.utcoffset() == datetime.timedelta(hours=5, minutes=30)


def test_naive_datetime_stays_naive(engine: ormkit.Engine, metadata: MetaData) -> None:
    table = _make_table(metadata, DateTime())
    metadata.create_all(engine)
    engine.execute(insert(table).values(id=1, value=datetime.datetime(2024, 1, 1, 0, 0)))
    got = engine.execute(select(table.c.value)).scalar_one()
    assert got == datetime.datetime(2024, 1, 1, 0, 0)
    assert got.tzinfo is None


@pytest.mark.parametrize("timezone", [False, True], ids=["naive", "timezone"])
def test_date_into_datetime_column_stores_midnight_and_reads_back_a_datetime(
    engine: ormkit.Engine, metadata: MetaData, timezone: bool
) -> None:
    table = _make_table(metadata, DateTime(timezone=timezone))
    metadata.create_all(engine)
    day, next_day = datetime.date(2024, 3, 1), datetime.date(2024, 3, 2)
    with engine.begin() as conn:
        conn.execute(insert(table).values(id=1, value=day))
        conn.execute(insert(table), [{"id": 2, "value": next_day}, {"id": 3, "value": None}])
        conn.execute(insert(table).values(id=4, value=datetime.datetime(2024, 3, 1, 12, 30)))
    got = dict(engine.execute(select(table.c.id, table.c.value)).all())
    for key, expected in ((1, day), (2, next_day)):
        value = got[key]
        assert type(value) is datetime.datetime
        assert value.replace(tzinfo=None) == datetime.datetime.combine(expected, datetime.time())
    assert got[3] is None
    if not timezone:
        # a date compared with the column means its midnight, not the whole day
        ids = engine.execute(select(table.c.id).where(table.c.value == day)).scalars().all()
        assert ids == [1]
        later = select(table.c.id).where(table.c.value > day).order_by(table.c.id)
        assert engine.execute(later).scalars().all() == [2, 4]


def test_enum_member_and_uuid_work_in_where(engine: ormkit.Engine, metadata: MetaData) -> None:
    table = Table(
        "typed",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("color", Enum(Color)),
        Column("uid", Uuid()),
    )
    metadata.create_all(engine)
    other = uuid.UUID(int=1)
    engine.execute(
        insert(table),
        [
            {"id": 1, "color": Color.RED, "uid": SAMPLE_UUID},
            {"id": 2, "color": Color.GREEN, "uid": other},
        ],
    )
    assert engine.execute(select(table.c.id).where(table.c.color == Color.GREEN)).scalar() == 2
    assert engine.execute(select(table.c.id).where(table.c.uid == SAMPLE_UUID)).scalar() == 1


# -- DDL names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "sqlite_ddl"),
    [
        (Integer(), "INTEGER"),
        (SmallInteger(), "SMALLINT"),
        (BigInteger(), "BIGINT"),
        (Boolean(), "BOOLEAN"),
        (Float(), "FLOAT"),
        (Numeric(10, 2), "NUMERIC(10, 2)"),
        (Numeric(), "NUMERIC"),
        (String(50), "VARCHAR(50)"),
        (String(), "VARCHAR"),
        (Text(), "TEXT"),
        (Unicode(30), "VARCHAR(30)"),
        (Date(), "DATE"),
        (DateTime(), "DATETIME"),
        (Time(), "TIME"),
        (Interval(), "BIGINT"),
        (LargeBinary(), "BLOB"),
        (Enum(Color), "VARCHAR(5)"),
        (Enum("a", "bbb"), "VARCHAR(3)"),
        (JSON(), "JSON"),
        (Uuid(), "CHAR(32)"),
        (CommaList(), "VARCHAR(200)"),
    ],
    ids=lambda p: repr(p) if not isinstance(p, str) else p,
)
def test_ddl_name_on_sqlite(type_: Any, sqlite_ddl: str) -> None:
    assert type_.ddl(SQLiteDialect()) == sqlite_ddl


def test_generic_ddl_names_for_integers_are_standard_sql() -> None:
    generic = GenericDialect()
    assert Integer().ddl(generic) == "INTEGER"
    assert SmallInteger().ddl(generic) == "SMALLINT"
    assert BigInteger().ddl(generic) == "BIGINT"


# -- bind errors ----------------------------------------------------------------------------

BAD_VALUES = [
    pytest.param(Date(), "2024-01-01", "str", id="str-into-date"),
    pytest.param(Enum(Color), "PURPLE", "str", id="unknown-enum-name"),
    pytest.param(Enum("a", "b"), "c", "str", id="unknown-enum-string"),
    pytest.param(JSON(), {"x": object()}, "dict", id="unserializable-json"),
    pytest.param(Uuid(), 5, "int", id="int-into-uuid"),
    pytest.param(LargeBinary(), "text", "str", id="str-into-binary"),
    pytest.param(Boolean(), "yes", "str", id="str-into-boolean"),
]


@pytest.mark.parametrize(("type_", "bad", "type_name"), BAD_VALUES)
def test_wrong_value_raises_statement_error_naming_param_and_type(
    engine: ormkit.Engine, metadata: MetaData, type_: Any, bad: Any, type_name: str
) -> None:
    table = _make_table(metadata, type_)
    metadata.create_all(engine)
    with pytest.raises(exc.StatementError) as info:
        engine.execute(insert(table).values(id=1, value=bad))
    message = str(info.value)
    assert "'value'" in message
    assert f"of type {type_name}" in message
    assert engine.execute(select(func.count()).select_from(table)).scalar() == 0


def test_wrong_value_error_shows_no_value_with_hide_parameters(
    url: str, metadata: MetaData
) -> None:
    eng = ormkit.create_engine(url, hide_parameters=True)
    try:
        table = _make_table(metadata, Date())
        metadata.create_all(eng)
        with pytest.raises(exc.StatementError) as info, eng.begin() as conn:
            conn.execute(insert(table), {"id": 1, "value": "secret-2024"})
        text = str(info.value)
        assert "secret-2024" not in text
        assert text.splitlines() == [
            "parameter 'value' (Date()) cannot take a value of type str",
            f"[SQL: {info.value.statement}]",
            "[SQL parameters hidden due to hide_parameters=True]",
        ]
        assert info.value.__cause__ is None  # a chained TypeError would print the value
        assert isinstance(info.value.orig, TypeError)  # still there for the program
    finally:
        metadata.drop_all(eng)
        eng.dispose()


def test_wrong_value_in_executemany_inserts_nothing(
    engine: ormkit.Engine, metadata: MetaData
) -> None:
    table = _make_table(metadata, Date())
    metadata.create_all(engine)
    rows = [{"id": 1, "value": datetime.date(2024, 1, 1)}, {"id": 2, "value": "nope"}]
    with pytest.raises(exc.StatementError, match=r"'value'.*of type str"), engine.begin() as conn:
        conn.execute(insert(table), rows)
    assert engine.execute(select(func.count()).select_from(table)).scalar() == 0


def test_enum_member_value_is_not_accepted_as_name(
    engine: ormkit.Engine, metadata: MetaData
) -> None:
    table = _make_table(metadata, Enum(Color))
    metadata.create_all(engine)
    with pytest.raises(exc.StatementError, match="'r' is not one of"):
        engine.execute(insert(table).values(id=1, value=Color.RED.value))
