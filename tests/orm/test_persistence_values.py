"""The flush's INSERTs and UPDATEs: the values they send and the rows they must find."""

from __future__ import annotations

import datetime
import enum
import uuid
from typing import Any

import pytest

import ormkit
from ormkit import JSON, DateTime, Enum, Integer, String, Uuid, exc, select
from ormkit.orm import DeclarativeBase, Mapped, Session, mapped_column
from tests.orm.conftest import Models


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


def test_update_of_row_deleted_by_another_session_raises_stale_data_error(
    engine: ormkit.Engine, seeded: Models
) -> None:
    User = seeded.User
    with Session(engine) as first, Session(engine) as second:
        fred = first.get(User, 4)  # a user without addresses
        assert fred is not None
        gone = second.get(User, 4)
        second.delete(gone)
        second.commit()
        fred.nickname = "too late"
        with pytest.raises(exc.StaleDataError) as info:
            first.commit()
        message = str(info.value)
        assert "UPDATE of User (table 'users')" in message
        assert "expected to update 1 row but matched 0" in message
        assert "primary key (4,)" in message
        assert not isinstance(info.value, exc.DBAPIError)  # not a driver error, not retryable
        first.rollback()
        # the session goes on working after the rollback
        assert sorted(u.name for u in first.scalars(select(User))) == ["ed", "mary", "wendy"]


def test_none_for_a_column_with_a_default_inserts_the_default(engine: ormkit.Engine) -> None:
    """As in SQLAlchemy: None is "no value" at INSERT where the column has a default (Python
    or server side); a column without one gets NULL."""

    class Base(DeclarativeBase):
        pass

    class Ticket(Base):
        __tablename__ = "tickets"

        id: Mapped[int] = mapped_column(primary_key=True)
        priority: Mapped[int | None] = mapped_column(Integer, default=3)
        state: Mapped[str | None] = mapped_column(String(10), server_default="open")
        note: Mapped[str | None] = mapped_column(String(10))

    Base.metadata.create_all(engine)
    with Session(engine) as session:
        ticket = Ticket(id=1, priority=None, state=None, note=None)
        session.add(ticket)
        session.commit()
        assert (ticket.priority, ticket.state, ticket.note) == (3, "open", None)
    with engine.connect() as conn:
        row = conn.execute(select(Ticket.__table__)).one()
        assert tuple(row) == (1, 3, "open", None)


class Mood(enum.Enum):
    happy = "happy"
    sad = "sad"


def test_an_update_converts_values_as_the_insert_does(engine: ormkit.Engine) -> None:
    # JSON, Uuid and Enum values go through their types' converters in UPDATEs too
    class Base(DeclarativeBase):
        pass

    class Profile(Base):
        __tablename__ = "profiles"

        id: Mapped[int] = mapped_column(primary_key=True)
        data: Mapped[dict[str, Any]] = mapped_column(JSON)
        token: Mapped[uuid.UUID] = mapped_column(Uuid)
        mood: Mapped[Mood] = mapped_column(Enum(Mood))

    Base.metadata.create_all(engine)
    new_token = uuid.uuid4()
    with Session(engine) as session:
        session.add(Profile(id=1, data={"a": 1}, token=uuid.uuid4(), mood=Mood.happy))
        session.commit()
        profile = session.get(Profile, 1)
        assert profile is not None
        profile.data, profile.token, profile.mood = {"b": [2]}, new_token, Mood.sad
        session.commit()
    with Session(engine) as session:
        row = session.execute(select(Profile.data, Profile.token, Profile.mood)).one()
        assert tuple(row) == ({"b": [2]}, new_token, Mood.sad)
