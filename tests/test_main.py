"""``python -m ormkit``, the tour behind ``make demo``, runs and prints real results."""

from __future__ import annotations

import logging

import pytest

from ormkit.__main__ import main


def test_tour_runs_on_in_memory_sqlite_and_prints_results(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logger = logging.getLogger("ormkit.engine.Engine")
    handlers = list(logger.handlers)
    try:
        assert main([]) == 0
    finally:
        logger.handlers[:] = handlers
    out = capsys.readouterr().out
    assert "found is ursula: True" in out
    assert "after rollback(): Ursula" in out
    assert "authors left: ['Iain', 'Ursula']" in out
    assert "PendingRollbackError" in out
    assert "UPDATE tour_books SET year=? WHERE tour_books.id = ?" in out
    assert "ed's orders: 2, totalling Decimal('25.00')" in out
    assert "after rollback: 3" in out


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql+psycopg://postgres:s3cret@127.0.0.1:1/test",
            "postgresql+psycopg://postgres:***@127.0.0.1:1/test",
        ),
        (
            "mysql+pymysql://root:s3cret@127.0.0.1:1/test",
            "mysql+pymysql://root:***@127.0.0.1:1/test",
        ),
        ("sqlite:////nonexistent-ormkit-dir/tour.db", "sqlite:////nonexistent-ormkit-dir/tour.db"),
    ],
    ids=["postgresql", "mariadb", "sqlite"],
)
def test_unreachable_database_prints_one_line_to_stderr_and_exits_non_zero(
    url: str, shown: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--url", url]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1  # one line, no traceback
    assert err.startswith(f"python -m ormkit: cannot run the tour on {shown}: ")
    assert "OperationalError" in err
    assert "s3cret" not in err


def test_unsupported_driver_prints_one_line_naming_it_and_the_supported_urls(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--url", "postgresql+pg8000://postgres@127.0.0.1/test"]) == 1
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1
    assert "no driver 'pg8000' for postgresql" in captured.err
    assert "ormkit supports: sqlite://" in captured.err
    assert "Traceback" not in captured.out + captured.err
