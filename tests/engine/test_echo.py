"""``echo``: statements, parameters and transaction events on the "ormkit.engine.Engine" logger."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
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
    insert,
    literal,
    select,
)

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
def make_engine(url: str) -> Iterator[Callable[..., Engine]]:
    engines: list[Engine] = []

    def make(**kw: Any) -> Engine:
        eng = create_engine(url, **kw)
        engines.append(eng)
        return eng

    yield make
    for eng in engines:
        eng.dispose()


@pytest.fixture
def notes() -> Table:
    return Table(
        "notes",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("body", String(50)),
    )


def _messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER]


def test_echo_logs_begin_statement_parameters_and_commit(
    make_engine: Callable[..., Engine], notes: Table, caplog: pytest.LogCaptureFixture
) -> None:
    eng = make_engine(echo=True)
    notes.metadata.create_all(eng)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger=LOGGER), eng.begin() as conn:
        conn.execute(insert(notes), {"id": 1, "body": "hello-param"})
    messages = _messages(caplog)
    assert messages[0] == "BEGIN (implicit)"
    assert messages[1].startswith("INSERT INTO notes")
    assert "hello-param" not in messages[1]
    assert "hello-param" in messages[2]
    assert messages[2].startswith("[")
    assert messages[-1] == "COMMIT"
    assert all(r.levelno == logging.INFO for r in caplog.records if r.name == LOGGER)


def test_echo_logs_rollback(
    make_engine: Callable[..., Engine], caplog: pytest.LogCaptureFixture
) -> None:
    eng = make_engine(echo=True)
    with caplog.at_level(logging.INFO, logger=LOGGER), eng.connect() as conn:
        conn.execute(select(literal(1)))
        conn.rollback()
    messages = _messages(caplog)
    assert messages[0] == "BEGIN (implicit)"
    assert messages[-1] == "ROLLBACK"
    assert "COMMIT" not in messages


def test_echo_logs_rollback_when_connection_closes_in_transaction(
    make_engine: Callable[..., Engine], notes: Table, caplog: pytest.LogCaptureFixture
) -> None:
    eng = make_engine(echo=True)
    notes.metadata.create_all(eng)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger=LOGGER), eng.connect() as conn:
        conn.execute(insert(notes), {"id": 1, "body": "x"})
    assert _messages(caplog)[-1] == "ROLLBACK"


def test_every_statement_line_is_followed_by_its_parameters_line(
    make_engine: Callable[..., Engine], notes: Table, caplog: pytest.LogCaptureFixture
) -> None:
    eng = make_engine(echo=True)
    notes.metadata.create_all(eng)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger=LOGGER), eng.begin() as conn:
        conn.execute(insert(notes), {"id": 1, "body": "first"})
        conn.execute(insert(notes), {"id": 2, "body": "second"})
        conn.execute(select(notes).where(notes.c.body == "needle-value"))
    messages = [m for m in _messages(caplog) if m not in ("BEGIN (implicit)", "COMMIT")]
    assert len(messages) == 6
    statements, params = messages[0::2], messages[1::2]
    assert [s.split()[0] for s in statements] == ["INSERT", "INSERT", "SELECT"]
    assert "first" in params[0]
    assert "second" in params[1]
    assert "needle-value" in params[2]
    assert "needle-value" not in statements[2]


def test_echo_marks_cached_statements(
    make_engine: Callable[..., Engine], notes: Table, caplog: pytest.LogCaptureFixture
) -> None:
    eng = make_engine(echo=True)
    notes.metadata.create_all(eng)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger=LOGGER), eng.begin() as conn:
        conn.execute(insert(notes), {"id": 1, "body": "a"})
        conn.execute(insert(notes), {"id": 2, "body": "b"})
    params = [m for m in _messages(caplog) if m.startswith("[")]
    assert re.match(r"^\[generated in \d+\.\d{5}s\] \(1, 'a'\)$", params[0]), params[0]
    assert re.match(r"^\[cached since \d[\d.e-]*s ago\] \(2, 'b'\)$", params[1]), params[1]
    with caplog.at_level(logging.INFO, logger=LOGGER), eng.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
    assert "[raw sql] ()" in _messages(caplog)


def test_echo_logs_executemany_parameter_sets(
    make_engine: Callable[..., Engine], notes: Table, caplog: pytest.LogCaptureFixture
) -> None:
    eng = make_engine(echo=True)
    notes.metadata.create_all(eng)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger=LOGGER), eng.begin() as conn:
        conn.execute(insert(notes), [{"id": 1, "body": "one"}, {"id": 2, "body": "two"}])
    params = next(m for m in _messages(caplog) if m.startswith("["))
    assert "one" in params
    assert "two" in params


def test_echo_true_does_not_log_rows(
    make_engine: Callable[..., Engine], notes: Table, caplog: pytest.LogCaptureFixture
) -> None:
    eng = make_engine(echo=True)
    notes.metadata.create_all(eng)
    with eng.begin() as conn:
        conn.execute(insert(notes), {"id": 1, "body": "row-value"})
    caplog.clear()
    with caplog.at_level(logging.INFO, logger=LOGGER), eng.connect() as conn:
        assert conn.execute(select(notes)).all() == [(1, "row-value")]
    assert not any(m.startswith("Row") for m in _messages(caplog))
    assert not any(r.levelno == logging.DEBUG for r in caplog.records if r.name == LOGGER)


def test_echo_debug_logs_rows(
    make_engine: Callable[..., Engine], notes: Table, caplog: pytest.LogCaptureFixture
) -> None:
    eng = make_engine(echo="debug")
    notes.metadata.create_all(eng)
    with eng.begin() as conn:
        conn.execute(insert(notes), [{"id": 1, "body": "r1"}, {"id": 2, "body": "r2"}])
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger=LOGGER), eng.connect() as conn:
        rows = conn.execute(select(notes).order_by(notes.c.id)).all()
    assert rows == [(1, "r1"), (2, "r2")]
    row_lines = [
        r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno == logging.DEBUG
    ]
    assert row_lines == ["Row (1, 'r1')", "Row (2, 'r2')"]


def test_no_echo_logs_nothing(
    make_engine: Callable[..., Engine], notes: Table, caplog: pytest.LogCaptureFixture
) -> None:
    eng = make_engine()
    notes.metadata.create_all(eng)
    caplog.clear()
    with eng.begin() as conn:
        conn.execute(insert(notes), {"id": 1, "body": "quiet"})
    assert _messages(caplog) == []


def test_echo_on_one_engine_does_not_turn_on_logging_for_another(
    make_engine: Callable[..., Engine], notes: Table, caplog: pytest.LogCaptureFixture
) -> None:
    make_engine(echo=True)
    quiet = make_engine()  # echo off
    notes.metadata.create_all(quiet)
    caplog.clear()
    with quiet.begin() as conn:
        conn.execute(insert(notes), {"id": 1, "body": "quiet"})
    assert _messages(caplog) == []


def test_setting_echo_false_stops_logging(
    make_engine: Callable[..., Engine], notes: Table, caplog: pytest.LogCaptureFixture
) -> None:
    eng = make_engine(echo=True)
    notes.metadata.create_all(eng)
    eng.echo = False
    caplog.clear()
    with eng.begin() as conn:
        conn.execute(insert(notes), {"id": 1, "body": "quiet"})
    assert _messages(caplog) == []


def test_hide_parameters_keeps_values_out_of_the_log(
    make_engine: Callable[..., Engine], notes: Table, caplog: pytest.LogCaptureFixture
) -> None:
    eng = make_engine(echo=True, hide_parameters=True)
    notes.metadata.create_all(eng)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger=LOGGER), eng.begin() as conn:
        conn.execute(insert(notes), {"id": 1, "body": "secret-body"})
    messages = _messages(caplog)
    assert not any("secret-body" in m for m in messages)
    hidden = [
        m for m in messages if m.endswith("] [SQL parameters hidden due to hide_parameters=True]")
    ]
    assert len(hidden) == 1 and hidden[0].startswith("[generated in ")
