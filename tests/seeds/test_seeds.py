"""The four seed notebooks, run as written (``sqlalchemy`` renamed to ``ormkit``).

Each example script under examples/ is the notebook's code; these tests run it and check
what the notebook shows, then check the behaviours behind it directly.
"""

from __future__ import annotations

import logging
import runpy
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ormkit import Column, Integer, String, create_engine, select
from ormkit.ext.declarative import declarative_base
from ormkit.orm import Session, scoped_session, sessionmaker

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run_example(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> list[str]:
    """Run an example in an empty directory; its printed lines (echo lines dropped)."""
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    out = capsys.readouterr().out
    return [line for line in out.splitlines() if " INFO ormkit." not in line]


@pytest.fixture(autouse=True)
def _quiet_echo_handler() -> Iterator[None]:
    # the examples use echo=True; these tests check what the notebooks print, not the log
    logger = logging.getLogger("ormkit.engine.Engine")
    before = list(logger.handlers)
    logger.disabled = True
    yield
    logger.disabled = False
    logger.handlers[:] = before


def test_seed_000_scoped_session_autoflush_and_rollback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = run_example("seed_000_scoped_session.py", tmp_path, monkeypatch, capsys)
    users = [line for line in lines if line.startswith("USER:") or line == "[]"]
    assert users == [
        "USER: [<user name=1>]",  # the pending user was flushed before the query
        "USER: [<user name=1>]",
        "USER: [<user name=2>]",  # session2 and session3 are the same session
        "[]",  # rollback discarded user 4
    ]


def test_seed_001_session_scope_rolls_back_edwardo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = run_example("seed_001_session_scope.py", tmp_path, monkeypatch, capsys)
    ed = "[<User(name='ed', fullname='Ed Jones', nickname='edsnickname')>]"
    assert lines == [
        "[]",
        ed,
        "[<User(name='Edwardo', fullname='Ed Jones', nickname='edsnickname')>]",
        "division by zero",
        ed,  # 'Edwardo' was never committed
    ]


def test_seed_002_identity_map_and_string_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = run_example("seed_002_identity_map.py", tmp_path, monkeypatch, capsys)
    printed = [line for line in lines if not line.startswith(("FROM", "WHERE", " LIMIT", "LIMIT"))]
    assert printed[0] == "Engine(sqlite:///:memory:)"
    assert printed[1:] == [
        "User(name=Jenny, number=8675309)",
        "Jenny",
        "8675309",
        "User(name=Jenny, number=8675309)",
        "True",  # jenny_from_db is jenny
        "IdentitySet([])",
        "User(name=Jenny, number=8675309)",
    ]


def test_seed_003_pets_end_with_the_rows_a_reader_expects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = run_example("seed_003_pets_file_database.py", tmp_path, monkeypatch, capsys)
    assert lines[0].startswith("immutabledict({'pet': Table('pet', MetaData(), Column('id'")
    assert lines[1] == "[]"  # nothing is in the table before the first flush
    assert lines[2].startswith("IdentitySet([<") and lines[2].count("Pet object") == 4
    assert lines[3] == "IdentitySet([])"
    assert lines[4] == (
        "[('Justin Timbersnake', 'snek', 2), ('Pawtrick Stewart', 'good boy', 10), "
        "('Godzilla', 'iguana', 1), ('Marshmallow', 'polar bear', 4)]"
    )
    assert lines[5].count("Pet object") == 1  # dirty: the changed Marshmallow
    assert lines[6] == "IdentitySet([])"  # commit worked: no "No transaction is begun"
    assert lines[7] == (
        "[(1, 'Justin Timbersnake', 'snek', 2), (2, 'Pawtrick Stewart', 'good boy', 10), "
        "(3, 'Godzilla', 'iguana', 1), (4, 'Marshmallow', 'kitteh', 5), "
        "(5, 'Marshmallow', 'polar bear', 4)]"
    )
    assert lines[8].count("Pet object") == 1  # deleted: Godzilla
    assert lines[9] == "IdentitySet([])"
    assert lines[10] == (
        "[(1, 'Justin Timbersnake', 'snek', 2), (2, 'Pawtrick Stewart', 'good boy', 10), "
        "(4, 'Marshmallow', 'kitteh', 5), (5, 'Marshmallow', 'polar bear', 4)]"
    )
    # the file database persists: a new engine reads the same rows
    engine = create_engine(f"sqlite:///{tmp_path / 'pets.sqlite'}")
    assert engine.execute("select name from pet order by id").scalars().all() == [
        "Justin Timbersnake",
        "Pawtrick Stewart",
        "Marshmallow",
        "Marshmallow",
    ]
    # running the notebook again does not double the rows
    lines_again = run_example("seed_003_pets_file_database.py", tmp_path, monkeypatch, capsys)
    assert lines_again[10] == lines[10]


# -- the behaviours behind the notebooks, checked directly ---------------------------------


def _user_model() -> tuple[type, type]:
    base = declarative_base()

    class User(base):  # type: ignore[valid-type, misc]
        __tablename__ = "users"
        id = Column(Integer, primary_key=True)
        name = Column(String(50))

    return base, User


def _statements(engine: object, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    sent: list[str] = []
    dialect = engine.dialect  # type: ignore[attr-defined]
    original_execute, original_many = dialect.do_execute, dialect.do_executemany
    original_begin = dialect.do_begin

    def execute(cursor: object, sql: str, params: object) -> None:
        sent.append(sql)
        original_execute(cursor, sql, params)

    def many(cursor: object, sql: str, params: object) -> None:
        sent.append(sql)
        original_many(cursor, sql, params)

    def begin(conn: object) -> None:
        sent.append("BEGIN")
        original_begin(conn)

    monkeypatch.setattr(dialect, "do_execute", execute)
    monkeypatch.setattr(dialect, "do_executemany", many)
    monkeypatch.setattr(dialect, "do_begin", begin)
    return sent


def test_commit_with_nothing_pending_sends_no_sql(monkeypatch: pytest.MonkeyPatch) -> None:
    base, user = _user_model()
    engine = create_engine("sqlite://")
    base.metadata.create_all(engine)
    sent = _statements(engine, monkeypatch)
    session = scoped_session(sessionmaker(bind=engine))
    session.commit()
    assert sent == []
    session.query(user).all()
    session.commit()
    assert not [s for s in sent if s.startswith(("INSERT", "UPDATE", "DELETE"))]


def test_scoped_session_is_one_session_per_thread() -> None:
    base, user = _user_model()
    engine = create_engine("sqlite://")
    base.metadata.create_all(engine)
    registry = scoped_session(sessionmaker(bind=engine))
    mine = registry()
    assert registry() is mine
    seen: dict[str, object] = {}

    def work() -> None:
        theirs = registry()
        seen["session"] = theirs
        theirs.add(user(name="from a thread"))
        theirs.commit()
        registry.remove()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert seen["session"] is not mine
    assert [u.name for u in registry.query(user).all()] == ["from a thread"]


def test_pending_object_is_visible_to_a_query_before_commit() -> None:
    base, user = _user_model()
    engine = create_engine("sqlite://")
    base.metadata.create_all(engine)
    session = Session(engine)
    ed = user(name="ed")
    session.add(ed)
    assert session.scalars(select(user).where(user.name == "ed")).one() is ed
    session.rollback()
    assert session.scalars(select(user)).all() == []
