"""The flush's INSERTs and UPDATEs: the values they send and the rows they must find."""

from __future__ import annotations

import datetime

import ormkit
from ormkit import DateTime, select
from ormkit.orm import DeclarativeBase, Mapped, Session, mapped_column


def test_date_assigned_to_datetime_attribute_is_flushed_as_midnight(
    engine: ormkit.Engine,
) -> None:
    class Base(DeclarativeBase):
        pass

    class Event(Base):
        __tablename__ = "events"

        id: Mapped[int] = mapped_column(primary_key=True)
        at: Mapped[datetime.datetime | None] = mapped_column(DateTime())

    Base.metadata.create_all(engine)
    day = datetime.date(2024, 3, 1)
    with Session(engine) as session:
        session.add(Event(id=1, at=day))
        session.add(Event(id=2, at=datetime.datetime(2024, 3, 1, 9, 15)))
        session.commit()
        later = session.get(Event, 2)
        assert later is not None
        later.at = datetime.date(2024, 3, 2)  # an UPDATE takes a date too
        session.commit()
    with Session(engine) as session:
        events = session.scalars(select(Event).order_by(Event.id)).all()
        assert [type(e.at) for e in events] == [datetime.datetime, datetime.datetime]
        assert [e.at for e in events] == [
            datetime.datetime(2024, 3, 1),
            datetime.datetime(2024, 3, 2),
        ]
        found = session.scalars(select(Event.id).where(Event.at == day)).all()
        assert found == [1]
