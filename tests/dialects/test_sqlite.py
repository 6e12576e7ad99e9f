"""SQLite: URLs, transaction control (BEGIN exactly when ormkit begins), pragmas, RETURNING,
reflection and AUTOCOMMIT."""

from __future__ import annotations

import gc
import logging
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ormkit import (
    Column,
    Connection,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    exc,
    func,
    insert,
    inspect,
    literal,
    select,
)
from ormkit.sql import types as sqltypes

LOGGER = "ormkit.engine.Engine"


@pytest.fixture(autouse=True)
def _restore_engine_logger() -> Iterator[None]:
    """echo=True configures the engine logger; put it back so other tests are unaffected."""
    logger = logging.getLogger(LOGGER)
    level, handlers = logger.level, list(logger.handlers)
    yield
    logger.setLevel(level)
    logger.handlers[:] = handlers


@pytest.fixture
def make_engine() -> Iterator[Callable[..., Engine]]:
    engines: list[Engine] = []

    def make(url: str, **kw: Any) -> Engine:
        eng = create_engine(url, **kw)
        engines.append(eng)
        return eng

    yield make
    for eng in engines:
        eng.dispose()


def _table(metadata: MetaData | None = None) -> Table:
    return Table(
        "things",
        metadata or MetaData(),
        Column("id", Integer, primary_key=True),
        Column("name", String(30)),
    )


def _trace(conn: Connection) -> list[str]:
    """Every SQL statement SQLite runs on this connection from now on."""
    sent: list[str] = []
    conn.connection.dbapi_connection.set_trace_callback(sent.append)
    return sent


def _in_tx(conn: Connection) -> bool:
    return bool(conn.connection.dbapi_connection.in_transaction)


# -- URLs ---------------------------------------------------------------------------------------


def test_a_memory_database_lives_as_long_as_an_engine_copy_made_by_execution_options() -> None:
    copy = create_engine("sqlite://").execution_options(audit=True)
    gc.collect()  # the original engine is gone; its copy shares its pool and database
    with copy.begin() as conn:
        _table().create(conn)
        conn.execute(insert(_table()), {"id": 1, "name": "m"})
    with copy.connect() as conn:
        assert conn.execute(select(_table().c.name)).scalar() == "m"


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "sqlite+pysqlite://"])
def test_memory_urls_open_a_private_database_removed_with_the_engine(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    eng = create_engine(url)
    assert eng.name == "sqlite"
    assert eng.driver == "pysqlite"
    with eng.begin() as conn:
        _table().create(conn)
        conn.execute(insert(_table()), {"id": 1, "name": "m"})
        path = conn.exec_driver_sql("PRAGMA database_list").all()[0][2]
    assert list(tmp_path.iterdir()) == []  # nothing lands in the working directory
    with create_engine(url).connect() as other:  # another engine: another database
        assert other.exec_driver_sql("PRAGMA database_list").all()[0][2] != path
    assert os.path.exists(path)
    eng.dispose()
    del eng, conn
    gc.collect()
    assert not os.path.exists(path)


def test_relative_file_url_is_relative_to_working_directory(
    make_engine: Callable[..., Engine], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    eng = make_engine("sqlite:///relative.db")
    assert eng.url.database == "relative.db"
    _table().metadata.create_all(eng)
    assert (tmp_path / "relative.db").is_file()
    check = sqlite3.connect(tmp_path / "relative.db")
    try:
        names = check.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
    finally:
        check.close()
    assert names == [("things",)]


def test_absolute_file_url_with_four_slashes(
    make_engine: Callable[..., Engine], tmp_path: Path
) -> None:
    path = tmp_path / "sub" / "absolute.db"
    path.parent.mkdir()
    url = f"sqlite:///{path}"
    assert url.startswith("sqlite:////")
    eng = make_engine(url)
    assert eng.url.database == str(path)
    table = _table()
    table.metadata.create_all(eng)
    with eng.begin() as conn:
        conn.execute(insert(table), {"id": 1, "name": "on disk"})
    eng.dispose()
    again = make_engine(url)
    with again.connect() as conn:
        assert conn.scalar(select(table.c.name)) == "on disk"


def test_file_data_persists_across_engines(
    make_engine: Callable[..., Engine], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'keep.db'}"
    table = _table()
    table.metadata.create_all(make_engine(url))
    with make_engine(url).begin() as conn:
        conn.execute(insert(table), {"id": 1, "name": "kept"})
    with make_engine(url).connect() as conn:
        assert conn.scalar(select(table.c.name)) == "kept"


def test_uri_read_only_mode_rejects_writes(
    make_engine: Callable[..., Engine], tmp_path: Path
) -> None:
    path = tmp_path / "ro.db"
    table = _table()
    rw = make_engine(f"sqlite:///{path}")
    table.metadata.create_all(rw)
    with rw.begin() as conn:
        conn.execute(insert(table), {"id": 1, "name": "existing"})
    rw.dispose()
    ro = make_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    with ro.connect() as conn:
        assert conn.scalar(select(table.c.name)) == "existing"
        with pytest.raises(exc.OperationalError, match="attempt to write a readonly database"):
            conn.execute(insert(table), {"id": 2, "name": "new"})


def test_query_options_without_uri_flag_are_passed_as_uri(
    make_engine: Callable[..., Engine], tmp_path: Path
) -> None:
    path = tmp_path / "ro2.db"
    _table().metadata.create_all(make_engine(f"sqlite:///{path}"))
    ro = make_engine(f"sqlite:///{path}?mode=ro")
    with ro.connect() as conn, pytest.raises(exc.OperationalError, match="readonly"):
        conn.execute(insert(_table()), {"id": 1, "name": "x"})


def test_timeout_query_option_is_accepted(
    make_engine: Callable[..., Engine], tmp_path: Path
) -> None:
    eng = make_engine(f"sqlite:///{tmp_path / 't.db'}?timeout=1.5")
    with eng.connect() as conn:
        assert conn.scalar(select(literal(1))) == 1
    assert not any(p.name.startswith("t.db?") for p in tmp_path.iterdir())


def test_missing_directory_raises_operational_error(
    make_engine: Callable[..., Engine], tmp_path: Path
) -> None:
    eng = make_engine(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}")
    with pytest.raises(exc.OperationalError, match="unable to open database file"):
        eng.connect()


# -- transaction control ------------------------------------------------------------------------


def test_connection_runs_sqlite3_in_autocommit_mode(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as conn:
        assert conn.connection.dbapi_connection.isolation_level is None


def test_begin_is_sent_with_the_first_statement_of_an_autobegun_transaction(
    sqlite_engine: Engine,
) -> None:
    with sqlite_engine.connect() as conn:
        sent = _trace(conn)
        assert not _in_tx(conn)
        assert sent == []
        conn.execute(select(literal(1)))
        assert sent[0] == "BEGIN"
        assert sent[1].startswith("SELECT")
        assert _in_tx(conn)
        conn.commit()
        assert sent[-1] == "COMMIT"
        assert not _in_tx(conn)


def test_begin_is_sent_when_connection_begin_is_called(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as conn:
        sent = _trace(conn)
        trans = conn.begin()
        assert sent == ["BEGIN"]
        assert _in_tx(conn)
        trans.rollback()
        assert sent == ["BEGIN", "ROLLBACK"]
        assert not _in_tx(conn)


def test_echo_logs_begin_when_connection_begin_is_called(
    make_engine: Callable[..., Engine], caplog: pytest.LogCaptureFixture
) -> None:
    eng = make_engine("sqlite://", echo=True)
    with caplog.at_level(logging.INFO, logger=LOGGER), eng.connect() as conn:
        conn.begin()
        assert [r.getMessage() for r in caplog.records if r.name == LOGGER] == ["BEGIN (implicit)"]
        assert _in_tx(conn)


def test_echo_begin_line_matches_the_begin_sent(
    make_engine: Callable[..., Engine], caplog: pytest.LogCaptureFixture
) -> None:
    eng = make_engine("sqlite://", echo=True)
    with caplog.at_level(logging.INFO, logger=LOGGER), eng.connect() as conn:
        sent = _trace(conn)
        conn.execute(select(literal(1)))
        logged = [r.getMessage() for r in caplog.records if r.name == LOGGER]
        assert logged[0] == "BEGIN (implicit)"
        assert sent[0] == "BEGIN"
        conn.commit()
        logged = [r.getMessage() for r in caplog.records if r.name == LOGGER]
        assert logged[-1] == "COMMIT"
        assert sent[-1] == "COMMIT"


def test_ddl_is_transactional(sqlite_engine: Engine) -> None:
    table = _table()
    with sqlite_engine.connect() as conn:
        trans = conn.begin()
        table.create(conn)
        assert inspect(conn).has_table("things")
        trans.rollback()
    assert not inspect(sqlite_engine).has_table("things")


def test_create_all_in_rolled_back_transaction_leaves_no_table(sqlite_engine: Engine) -> None:
    table = _table()
    with pytest.raises(RuntimeError), sqlite_engine.begin() as conn:
        table.metadata.create_all(conn)
        raise RuntimeError("undo")
    assert inspect(sqlite_engine).get_table_names() == []


def test_savepoints_are_sent_and_work(sqlite_engine: Engine) -> None:
    table = _table()
    table.metadata.create_all(sqlite_engine)
    with sqlite_engine.connect() as conn:
        sent = _trace(conn)
        with conn.begin():
            conn.execute(insert(table), {"id": 1, "name": "kept"})
            savepoint = conn.begin_nested()
            conn.execute(insert(table), {"id": 2, "name": "undone"})
            savepoint.rollback()
            with conn.begin_nested():
                conn.execute(insert(table), {"id": 3, "name": "released"})
        assert any(s.startswith("SAVEPOINT") for s in sent)
        assert any(s.startswith("ROLLBACK TO SAVEPOINT") for s in sent)
        assert any(s.startswith("RELEASE SAVEPOINT") for s in sent)
        assert sent[-1] == "COMMIT"
    with sqlite_engine.connect() as conn:
        assert conn.scalars(select(table.c.name).order_by(table.c.id)).all() == [
            "kept",
            "released",
        ]


def test_foreign_keys_pragma_is_on(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_foreign_keys_pragma_is_on_for_every_pooled_connection(
    make_engine: Callable[..., Engine], tmp_path: Path
) -> None:
    eng = make_engine(f"sqlite:///{tmp_path / 'fk.db'}")
    conns = [eng.connect() for _ in range(3)]
    try:
        assert [c.exec_driver_sql("PRAGMA foreign_keys").scalar() for c in conns] == [1, 1, 1]
    finally:
        for c in conns:
            c.close()


def test_foreign_key_is_enforced(sqlite_engine: Engine) -> None:
    metadata = MetaData()
    Table("parent", metadata, Column("id", Integer, primary_key=True))
    child = Table(
        "child",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("parent_id", Integer, ForeignKey("parent.id")),
    )
    metadata.create_all(sqlite_engine)
    with (
        sqlite_engine.connect() as conn,
        pytest.raises(exc.IntegrityError, match="FOREIGN KEY constraint failed"),
    ):
        conn.execute(insert(child), {"id": 1, "parent_id": 42})


def test_insert_returning(sqlite_engine: Engine) -> None:
    table = _table()
    table.metadata.create_all(sqlite_engine)
    with sqlite_engine.begin() as conn:
        row = conn.execute(insert(table).returning(table.c.id), {"name": "r"}).one()
        assert row == (1,)
        assert row.id == 1
        both = conn.execute(insert(table).returning(table.c.id, table.c.name), {"name": "s"}).one()
        assert both == (2, "s")
        assert both._mapping[table.c.name] == "s"


def test_update_and_delete_returning(sqlite_engine: Engine) -> None:
    table = _table()
    table.metadata.create_all(sqlite_engine)
    with sqlite_engine.begin() as conn:
        conn.execute(insert(table), [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}])
        from ormkit import delete, update

        changed = conn.execute(
            update(table).where(table.c.id == 2).values(name="B").returning(table.c.name)
        ).scalar_one()
        assert changed == "B"
        removed = conn.execute(delete(table).returning(table.c.id)).scalars().all()
        assert sorted(removed) == [1, 2]


def test_isolation_level_autocommit_sends_no_begin(
    make_engine: Callable[..., Engine], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'auto.db'}"
    table = _table()
    eng = make_engine(url, isolation_level="AUTOCOMMIT")
    table.metadata.create_all(eng)
    with eng.connect() as conn:
        sent = _trace(conn)
        conn.execute(insert(table), {"id": 1, "name": "auto"})
        assert not _in_tx(conn)
        assert "BEGIN" not in sent
        # visible to another connection without a commit
        with make_engine(url).connect() as other:
            assert other.scalar(select(table.c.name)) == "auto"
        conn.rollback()  # nothing to undo: the row was committed by the database
    assert "ROLLBACK" not in sent
    with eng.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(table)) == 1


def test_autocommit_execution_option_on_a_connection(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT")
        sent = _trace(conn)
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        assert "BEGIN" not in sent
        assert not _in_tx(conn)


def test_invalid_isolation_level_lists_valid_ones(make_engine: Callable[..., Engine]) -> None:
    with pytest.raises(exc.ArgumentError, match="invalid isolation level 'SNAPSHOT'") as info:
        make_engine("sqlite://", isolation_level="SNAPSHOT")
    assert "AUTOCOMMIT, READ UNCOMMITTED, SERIALIZABLE" in str(info.value)


def test_default_isolation_level_is_serializable(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as conn:
        assert conn.get_isolation_level() == "SERIALIZABLE"


# -- reflection ---------------------------------------------------------------------------------


@pytest.fixture
def schema(sqlite_engine: Engine) -> MetaData:
    metadata = MetaData()
    Table(
        "authors",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(50), nullable=False),
        Column("bio", Text),
    )
    books = Table(
        "books",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("author_id", Integer, ForeignKey("authors.id"), nullable=False),
        Column("title", String(200)),
        Column("isbn", String(13)),
        UniqueConstraint("isbn"),
    )
    Index("ix_books_title", books.c.title)
    Index("ux_books_author_title", books.c.author_id, books.c.title, unique=True)
    Table(
        "tags",
        metadata,
        Column("book_id", Integer, ForeignKey("books.id"), primary_key=True),
        Column("tag", String(20), primary_key=True),
    )
    metadata.create_all(sqlite_engine)
    return metadata


def test_inspect_get_table_names(sqlite_engine: Engine, schema: MetaData) -> None:
    assert inspect(sqlite_engine).get_table_names() == ["authors", "books", "tags"]


def test_inspect_has_table(sqlite_engine: Engine, schema: MetaData) -> None:
    insp = inspect(sqlite_engine)
    assert insp.has_table("books")
    assert not insp.has_table("nope")


def test_inspect_get_columns(sqlite_engine: Engine, schema: MetaData) -> None:
    columns = {c["name"]: c for c in inspect(sqlite_engine).get_columns("authors")}
    assert list(columns) == ["id", "name", "bio"]
    assert isinstance(columns["id"]["type"], sqltypes.Integer)
    assert isinstance(columns["name"]["type"], sqltypes.String)
    assert columns["name"]["type"].length == 50
    assert isinstance(columns["bio"]["type"], sqltypes.Text)
    assert [c["nullable"] for c in columns.values()] == [False, False, True]
    assert [c["primary_key"] for c in columns.values()] == [True, False, False]


def test_inspect_get_pk_constraint(sqlite_engine: Engine, schema: MetaData) -> None:
    insp = inspect(sqlite_engine)
    assert insp.get_pk_constraint("authors")["constrained_columns"] == ["id"]
    assert insp.get_pk_constraint("tags")["constrained_columns"] == ["book_id", "tag"]


def test_inspect_get_foreign_keys(sqlite_engine: Engine, schema: MetaData) -> None:
    (fk,) = inspect(sqlite_engine).get_foreign_keys("books")
    assert fk["constrained_columns"] == ["author_id"]
    assert fk["referred_table"] == "authors"
    assert fk["referred_columns"] == ["id"]
    assert inspect(sqlite_engine).get_foreign_keys("authors") == []


def test_inspect_get_indexes(sqlite_engine: Engine, schema: MetaData) -> None:
    indexes = inspect(sqlite_engine).get_indexes("books")
    assert [(i["name"], i["column_names"], i["unique"]) for i in indexes] == [
        ("ix_books_title", ["title"], False),
        ("ux_books_author_title", ["author_id", "title"], True),
    ]


def test_inspect_on_a_connection_sees_uncommitted_tables(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as conn:
        _table().create(conn)
        assert inspect(conn).get_table_names() == ["things"]
        conn.rollback()
        assert inspect(conn).get_table_names() == []


def test_table_autoload_with_reflects_columns_keys_and_indexes(
    sqlite_engine: Engine, schema: MetaData
) -> None:
    books = Table("books", MetaData(), autoload_with=sqlite_engine)
    assert [c.name for c in books.columns] == ["id", "author_id", "title", "isbn"]
    assert [c.name for c in books.primary_key] == ["id"]
    assert books.c.author_id.nullable is False
    assert books.c.title.nullable is True
    assert isinstance(books.c.title.type, sqltypes.String)
    assert books.c.title.type.length == 200
    (fk,) = books.c.author_id.foreign_keys
    assert fk.target_fullname == "authors.id"
    assert sorted(i.name for i in books.indexes) == ["ix_books_title", "ux_books_author_title"]


def test_autoloaded_table_is_usable_in_statements(sqlite_engine: Engine, schema: MetaData) -> None:
    authors = Table("authors", MetaData(), autoload_with=sqlite_engine)
    with sqlite_engine.begin() as conn:
        conn.execute(insert(authors), {"name": "Le Guin"})
        assert conn.execute(select(authors.c.id, authors.c.name)).one() == (1, "Le Guin")


def test_autoload_also_reflects_referred_tables(sqlite_engine: Engine, schema: MetaData) -> None:
    metadata = MetaData()
    books = Table("books", metadata, autoload_with=sqlite_engine)
    assert "authors" in metadata.tables
    (fk,) = books.c.author_id.foreign_keys
    assert fk.column is metadata.tables["authors"].c.id


def test_autoload_of_missing_table_raises_no_such_table(sqlite_engine: Engine) -> None:
    with pytest.raises(exc.NoSuchTableError, match="'ghost'"):
        Table("ghost", MetaData(), autoload_with=sqlite_engine)


def test_metadata_reflect_finds_every_table(sqlite_engine: Engine, schema: MetaData) -> None:
    reflected = MetaData()
    reflected.reflect(sqlite_engine)
    assert sorted(reflected.tables) == ["authors", "books", "tags"]
    assert [c.name for c in reflected.tables["tags"].primary_key] == ["book_id", "tag"]


def test_file_database_is_not_left_locked_after_close(
    make_engine: Callable[..., Engine], tmp_path: Path
) -> None:
    path = tmp_path / "lock.db"
    eng = make_engine(f"sqlite:///{path}")
    _table().metadata.create_all(eng)
    with eng.connect() as conn:
        conn.execute(insert(_table()), {"id": 1, "name": "x"})
    # the rolled-back connection sits idle in the pool; another process can write
    other = sqlite3.connect(path, timeout=0.1)
    try:
        other.execute("INSERT INTO things (id, name) VALUES (2, 'y')")
        other.commit()
    finally:
        other.close()
    assert os.path.getsize(path) > 0
