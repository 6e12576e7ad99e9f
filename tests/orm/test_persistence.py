"""The flush with column names that are not plain words, on every backend.

Every statement the flush builds (INSERT, multi-row INSERT ... RETURNING, UPDATE of some
columns, DELETE) and get() / queries, with columns, the primary key included, whose names hold
spaces, quotes, backticks, ``%``, ``:``, ``?``, ``;``, dots, tabs, non-ASCII letters and SQL
words; "a b" and "a_b" side by side; and an attribute called like the flush's own parameters.
"""

from __future__ import annotations

from typing import Any

import pytest

import ormkit
from ormkit import Column, Integer, String, Table, select
from ormkit.orm import DeclarativeBase, Mapped, Session, mapped_column

from .conftest import Recorder

ODD_NAMES = [
    "my table",
    'we"ird',
    "back`tick",
    "per%cent",
    "co:lon",
    "q?mark",
    "semi;colon",
    "dot.ted",
    "tab\there",
    "ünïcödé",
    "x VALUES (y",
    "a b",
    "a_b",
    "o'brien",
    "_pk_0",
]
KEY = "my id"


def _table_mapped(engine: ormkit.Engine) -> Any:
    """Mapped from a Table: the attribute keys are the odd column names."""

    class Base(DeclarativeBase):
        pass

    class Odd(Base):
        __table__ = Table(
            "odd things",
            Base.metadata,
            Column(KEY, Integer, primary_key=True),
            *[Column(name, String(40)) for name in ODD_NAMES],
        )

    Base.metadata.create_all(engine)
    return Odd


def _declared(engine: ormkit.Engine) -> Any:
    """Declared with plain attribute names for odd column names."""

    class Base(DeclarativeBase):
        pass

    attrs: dict[str, Any] = {
        "__tablename__": "odd things",
        "__annotations__": {"k": Mapped[int]},
        "k": mapped_column(KEY, primary_key=True),
    }
    for i, name in enumerate(ODD_NAMES):
        attrs["__annotations__"][f"c{i}"] = Mapped[str | None]
        attrs[f"c{i}"] = mapped_column(name, String(40))
    Odd = type("Odd", (Base,), attrs)
    Base.metadata.create_all(engine)
    return Odd


@pytest.fixture(params=["table", "declared"])
def odd(request: pytest.FixtureRequest, engine: ormkit.Engine) -> tuple[Any, str, list[str]]:
    """(class, key attribute, attributes in ODD_NAMES order)."""
    if request.param == "table":
        return _table_mapped(engine), KEY, list(ODD_NAMES)
    return _declared(engine), "k", [f"c{i}" for i in range(len(ODD_NAMES))]


def _stored(engine: ormkit.Engine, cls: Any) -> list[tuple[Any, ...]]:
    table = cls.__table__
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(table).order_by(table.c[KEY])).all()]


def test_flush_round_trips_odd_column_names(
    engine: ormkit.Engine, odd: tuple[Any, str, list[str]]
) -> None:
    cls, key, attrs = odd
    table = cls.__table__
    with Session(engine) as s:
        # three new rows with generated keys: one multi-row INSERT ... RETURNING (or lastrowid)
        made = [
            cls(**{a: f"{n}={r}" for a, n in zip(attrs, ODD_NAMES, strict=True)}) for r in "xyz"
        ]
        s.add_all(made)
        s.commit()
        ids = [getattr(o, key) for o in made]
    assert _stored(engine, cls) == [
        (i, *[f"{n}={r}" for n in ODD_NAMES]) for i, r in zip(ids, "xyz", strict=True)
    ]
    with Session(engine) as s:
        first = s.get(cls, ids[0])
        assert [getattr(first, a) for a in attrs] == [f"{n}=x" for n in ODD_NAMES]
        setattr(first, attrs[ODD_NAMES.index("a b")], "changed a b")  # one column of two
        second = s.get(cls, ids[1])
        for a in attrs:
            setattr(second, a, f"new {a}")  # every column
        s.commit()
        found = s.scalars(select(cls).where(table.c["x VALUES (y"] == "x VALUES (y=z")).all()
        assert [getattr(o, key) for o in found] == [ids[2]]
        s.delete(found[0])
        s.commit()
    expected_first = [f"{n}=x" for n in ODD_NAMES]
    expected_first[ODD_NAMES.index("a b")] = "changed a b"
    assert _stored(engine, cls) == [
        (ids[0], *expected_first),
        (ids[1], *[f"new {a}" for a in attrs]),
    ]


def test_flush_with_an_odd_primary_key_attribute_given_by_the_application(
    engine: ormkit.Engine,
) -> None:
    cls = _table_mapped(engine)  # the key attribute is "my id"
    first = ODD_NAMES[0]
    with Session(engine) as s:
        s.add_all([cls(**{KEY: 10, first: "ten"}), cls(**{KEY: 20, first: "twenty"})])
        s.commit()
        obj = s.get(cls, 20)
        setattr(obj, first, "changed")
        s.commit()
        s.delete(s.get(cls, 10))
        s.commit()
    assert [(r[0], r[1]) for r in _stored(engine, cls)] == [(20, "changed")]


def test_flush_inserts_rows_in_pages_of_insertmanyvalues_page_size(
    engine: ormkit.Engine, recorder: Recorder
) -> None:
    cls = _table_mapped(engine)
    paged = engine.execution_options(insertmanyvalues_page_size=2)
    with Session(paged) as s:
        s.add_all([cls(**{ODD_NAMES[0]: str(i)}) for i in range(5)])
        s.commit()
    assert [sql.split(" ", 1)[0] for sql in recorder.dml] == ["INSERT"] * 3
    assert sorted(r[1] for r in _stored(engine, cls)) == ["0", "1", "2", "3", "4"]
