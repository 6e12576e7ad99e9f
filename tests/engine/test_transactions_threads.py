"""An in-memory SQLite engine is one database shared by all its connections and threads."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from ormkit import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    func,
    insert,
    inspect,
    select,
)


@pytest.fixture
def memory_engine() -> Iterator[Callable[[], Engine]]:
    engines: list[Engine] = []

    def make() -> Engine:
        eng = create_engine("sqlite://")
        engines.append(eng)
        return eng

    yield make
    for eng in engines:
        eng.dispose()


@pytest.fixture
def words() -> Table:
    return Table(
        "words",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("word", String(20)),
    )


def _in_thread(fn: Callable[[], Any]) -> Any:
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(fn)
        return future.result(timeout=10)


def test_table_created_on_one_connection_is_seen_by_another(
    memory_engine: Callable[[], Engine], words: Table
) -> None:
    eng = memory_engine()
    with eng.connect() as first:
        words.create(first)
        first.execute(insert(words), {"id": 1, "word": "hello"})
        first.commit()
        with eng.connect() as second:
            assert first.connection.dbapi_connection is not second.connection.dbapi_connection
            assert second.execute(select(words.c.word)).all() == [("hello",)]


def test_committed_rows_are_seen_from_another_thread(
    memory_engine: Callable[[], Engine], words: Table
) -> None:
    eng = memory_engine()
    words.metadata.create_all(eng)
    with eng.begin() as conn:
        conn.execute(insert(words), [{"id": 1, "word": "a"}, {"id": 2, "word": "b"}])

    def read() -> tuple[str, list[str]]:
        with eng.connect() as conn:
            return (
                threading.current_thread().name,
                list(conn.scalars(select(words.c.word).order_by(words.c.id)).all()),
            )

    thread_name, seen = _in_thread(read)
    assert thread_name != threading.current_thread().name
    assert seen == ["a", "b"]


def test_rows_written_in_a_thread_are_seen_by_the_main_thread(
    memory_engine: Callable[[], Engine], words: Table
) -> None:
    eng = memory_engine()

    def write() -> None:
        words.metadata.create_all(eng)
        with eng.begin() as conn:
            conn.execute(insert(words), {"id": 1, "word": "from-thread"})

    _in_thread(write)
    with eng.connect() as conn:
        assert conn.scalar(select(words.c.word)) == "from-thread"
    assert inspect(eng).has_table("words")


def test_threads_one_after_another_write_to_the_same_database(
    memory_engine: Callable[[], Engine], words: Table
) -> None:
    eng = memory_engine()
    words.metadata.create_all(eng)

    def write(n: int) -> None:
        with eng.begin() as conn:
            conn.execute(insert(words), {"id": n, "word": f"w{n}"})

    for n in range(1, 6):
        _in_thread(lambda n=n: write(n))  # type: ignore[misc]
    with eng.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(words)) == 5


def test_reader_is_not_blocked_by_uncommitted_write_on_another_connection(
    engine: Engine, words: Table
) -> None:
    words.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(words), {"id": 1, "word": "committed"})
    with engine.connect() as writer:
        writer.execute(insert(words), {"id": 2, "word": "pending"})
        with engine.connect() as reader:
            # the reader sees the last committed state, as on any database with transactions
            assert reader.scalars(select(words.c.word)).all() == ["committed"]
        writer.commit()


def test_writer_waits_for_another_connections_transaction(engine: Engine, words: Table) -> None:
    words.metadata.create_all(engine)
    holder = engine.connect()
    holder.execute(insert(words), {"id": 1, "word": "first"})
    release = threading.Timer(0.3, holder.commit)
    release.start()

    def write() -> None:
        with engine.begin() as conn:
            conn.execute(insert(words), {"id": 2, "word": "second"})

    try:
        _in_thread(write)
    finally:
        release.join()
        holder.close()
    with engine.connect() as conn:
        assert conn.scalars(select(words.c.word).order_by(words.c.id)).all() == [
            "first",
            "second",
        ]


def test_uncommitted_rows_are_not_kept_after_rollback(
    memory_engine: Callable[[], Engine], words: Table
) -> None:
    eng = memory_engine()
    words.metadata.create_all(eng)
    with eng.connect() as conn:
        conn.execute(insert(words), {"id": 1, "word": "gone"})
        conn.rollback()
    with eng.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(words)) == 0


def test_data_survives_all_connections_closing(
    memory_engine: Callable[[], Engine], words: Table
) -> None:
    eng = memory_engine()
    words.metadata.create_all(eng)
    with eng.begin() as conn:
        conn.execute(insert(words), {"id": 1, "word": "kept"})
    # every checked-out connection is back in the pool; open a new one from a new thread
    assert _in_thread(lambda: inspect(eng).get_table_names()) == ["words"]


def test_two_memory_engines_have_separate_databases(
    memory_engine: Callable[[], Engine], words: Table
) -> None:
    one, two = memory_engine(), memory_engine()
    words.metadata.create_all(one)
    with one.begin() as conn:
        conn.execute(insert(words), {"id": 1, "word": "only-in-one"})
    assert inspect(one).has_table("words")
    assert not inspect(two).has_table("words")
    assert inspect(two).get_table_names() == []
    # the same table can be created in the second one independently
    words.metadata.create_all(two)
    with two.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(words)) == 0


def test_memory_url_spellings_each_share_across_connections(
    words: Table,
) -> None:
    for url in ("sqlite://", "sqlite:///:memory:"):
        eng = create_engine(url)
        try:
            with eng.connect() as a:
                words.create(a)
                a.commit()
            with eng.connect() as b, eng.connect() as c:
                assert b.connection.dbapi_connection is not c.connection.dbapi_connection
                assert inspect(b).has_table("words")
                assert inspect(c).has_table("words")
        finally:
            eng.dispose()
