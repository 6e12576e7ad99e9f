"""Columns from annotations: ``Annotated`` types carrying mapped_column() arguments, and
Annotated keys of a type_annotation_map; on every backend."""

from __future__ import annotations

from typing import Annotated, Optional

import ormkit
from ormkit import String, select
from ormkit.orm import DeclarativeBase, Mapped, Session, mapped_column

intpk = Annotated[int, mapped_column(primary_key=True)]
str50 = Annotated[str, 50]
required_label = Annotated[str, mapped_column(String(30), nullable=False, comment="a label")]


def test_annotated_types_carry_column_arguments_and_map_to_sql_types(
    engine: ormkit.Engine,
) -> None:
    class Base(DeclarativeBase):
        type_annotation_map = {str50: String(50)}

    class Tagged(Base):
        __tablename__ = "annotated_tagged"
        id: Mapped[intpk]
        name: Mapped[str50]
        nick: Mapped[Optional[str50]]  # noqa: UP045 (the Optional spelling is the test)
        label: Mapped[required_label] = mapped_column(comment="its own")  # its own wins

    columns = Tagged.__table__.c
    assert columns["id"].primary_key and isinstance(columns["name"].type, String)
    assert columns["name"].type.length == 50 and not columns["name"].nullable
    assert columns["nick"].nullable and columns["nick"].type.length == 50
    assert (columns["label"].type.length, columns["label"].comment) == (30, "its own")
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Tagged(name="n", label="l"))
        s.commit()
        assert s.scalars(select(Tagged.id)).all() == [1]
