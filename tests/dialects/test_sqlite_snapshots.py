"""A transaction that has only read may still write after another connection has committed.

On SQLite in WAL mode such a transaction reads an old snapshot, and SQLite refuses to let it
start writing (SQLITE_BUSY_SNAPSHOT, reported as "database is locked" without waiting); the
dialect then begins it again on the current data. Every backend must behave alike here.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import ormkit
from ormkit import Column, ForeignKey, Integer, MetaData, String, Table, exc, func, insert, select
from ormkit.orm import Session, declarative_base, relationship


def _words(metadata: MetaData) -> Table:
    return Table(
        "words", metadata, Column("id", Integer, primary_key=True), Column("word", String(20))
    )


def test_first_write_of_a_reading_transaction_after_another_commit_succeeds(
    engine: ormkit.Engine, metadata: MetaData
) -> None:
    words = _words(metadata)
    metadata.create_all(engine)
    with engine.connect() as reader:
        assert reader.scalar(select(func.count()).select_from(words)) == 0
        with engine.begin() as other:
            other.execute(insert(words), {"id": 1, "word": "other"})
        reader.execute(insert(words), {"id": 2, "word": "reader"})
        reader.commit()
    with engine.connect() as conn:
        assert conn.scalars(select(words.c.word).order_by(words.c.id)).all() == [
            "other",
            "reader",
        ]


def test_first_write_of_a_reading_transaction_waits_for_another_writer(
    engine: ormkit.Engine, metadata: MetaData
) -> None:
    words = _words(metadata)
    metadata.create_all(engine)
    with engine.connect() as holder, engine.connect() as reader:
        holder.execute(insert(words), {"id": 1, "word": "holder"})  # holds the write lock
        assert reader.scalar(select(func.count()).select_from(words)) == 0
        release = threading.Timer(0.3, holder.commit)
        release.start()
        try:
            reader.execute(insert(words), {"id": 2, "word": "reader"})
            reader.commit()
        finally:
            release.join()
    with engine.connect() as conn:
        assert conn.scalars(select(words.c.word).order_by(words.c.id)).all() == [
            "holder",
            "reader",
        ]


def test_open_savepoints_still_work_after_the_write_began_on_current_data(
    engine: ormkit.Engine, metadata: MetaData
) -> None:
    words = _words(metadata)
    metadata.create_all(engine)
    with engine.connect() as reader:
        reader.scalar(select(func.count()).select_from(words))
        outer = reader.begin_nested()
        inner = reader.begin_nested()
        with engine.begin() as other:
            other.execute(insert(words), {"id": 1, "word": "other"})
        reader.execute(insert(words), {"id": 2, "word": "undone"})
        inner.rollback()
        reader.execute(insert(words), {"id": 3, "word": "kept"})
        outer.commit()
        reader.commit()
    with engine.connect() as conn:
        assert conn.scalars(select(words.c.word).order_by(words.c.id)).all() == ["other", "kept"]


def test_reading_transaction_with_uncommitted_changes_is_not_begun_again(
    engine: ormkit.Engine, metadata: MetaData
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip(reason="only SQLite refuses a write to a transaction's old snapshot")
    words = _words(metadata)
    metadata.create_all(engine)
    with engine.connect() as reader:
        # a temporary table is private to the connection: writing it does not make the
        # transaction a writer of the main database, but beginning again would lose the row
        reader.exec_driver_sql("CREATE TEMP TABLE scratch (x INTEGER)")
        reader.exec_driver_sql("INSERT INTO scratch VALUES (1)")
        reader.scalar(select(func.count()).select_from(words))
        with engine.begin() as other:
            other.execute(insert(words), {"id": 1, "word": "other"})
        with pytest.raises(exc.OperationalError, match="database is locked") as info:
            reader.execute(insert(words), {"id": 2, "word": "reader"})
        assert info.value.retryable
        assert reader.exec_driver_sql("SELECT count(*) FROM scratch").scalar() == 1
        reader.rollback()


def test_reading_transaction_that_wrote_an_attached_database_is_not_begun_again(
    engine: ormkit.Engine, metadata: MetaData, tmp_path: Path
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip(reason="only SQLite refuses a write to a transaction's old snapshot")
    words = _words(metadata)
    metadata.create_all(engine)
    with engine.connect() as reader:
        # ATTACH is refused inside a transaction: send it before the first statement
        driver = reader.connection.dbapi_connection
        driver.execute("ATTACH DATABASE ? AS aux", (str(tmp_path / "aux.db"),))
        try:
            # DDL in another database changes no rows and locks nothing in the main one
            reader.exec_driver_sql("CREATE TABLE aux.extra (x INTEGER)")
            reader.scalar(select(func.count()).select_from(words))
            with engine.begin() as other:
                other.execute(insert(words), {"id": 1, "word": "other"})
            with pytest.raises(exc.OperationalError, match="database is locked"):
                reader.execute(insert(words), {"id": 2, "word": "reader"})
            tables = reader.exec_driver_sql("SELECT name FROM aux.sqlite_master").scalars()
            assert tables.all() == ["extra"]
            reader.rollback()
        finally:
            driver.execute("DETACH DATABASE aux")


def test_orm_tutorial_flow_commits_after_create_all_on_another_connection(
    engine: ormkit.Engine,
) -> None:
    # the flow of SQLAlchemy's 1.4 ORM tutorial: the Session keeps its transaction (and, on
    # SQLite, its snapshot) open between queries while create_all commits on another connection
    Base = declarative_base()

    class User(Base):
        __tablename__ = "users"
        id = Column(Integer, primary_key=True)
        name = Column(String(50), unique=True)
        fullname = Column(String(50))

    Base.metadata.create_all(engine)
    session = Session(engine)
    try:
        session.add(User(name="ed", fullname="Ed Jones"))
        assert session.query(User).filter_by(name="ed").first() is not None
        session.add_all([User(name="wendy", fullname="Wendy"), User(name="mary", fullname="Mary")])
        session.commit()
        session.add(User(name="ed", fullname="a second ed"))
        with pytest.raises(exc.IntegrityError):
            session.flush()
        session.rollback()
        assert session.query(User).filter(User.name.like("%y")).count() == 2

        class Address(Base):
            __tablename__ = "addresses"
            id = Column(Integer, primary_key=True)
            email_address = Column(String(50), nullable=False)
            user_id = Column(Integer, ForeignKey("users.id"))
            user = relationship("User")

        Base.metadata.create_all(engine)
        jack = User(name="jack", fullname="Jack Bean")
        session.add(Address(email_address="jack@example.com", user=jack))
        session.commit()
        assert session.query(Address).one().user.name == "jack"
    finally:
        session.close()
