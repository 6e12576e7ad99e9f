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
