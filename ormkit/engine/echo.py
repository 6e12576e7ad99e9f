"""``echo=True`` and ``echo_pool=True``: log lines that reach stdout for one engine only.

An echoing engine (or pool) logs through ``echo_log``, which bypasses the logger's level, and
makes sure one stdout handler sits on its logger; the logger's own level is left alone, so
one engine's echo never turns on another's, and logging configured by the application
(``logging.getLogger("ormkit.engine").setLevel(...)``) works as usual without echo.
"""

from __future__ import annotations

import logging
import sys
from typing import Any


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stdout`` is at the time (it may be replaced, e.g. by tests)."""

    @property
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


_handler = _StdoutHandler()
_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))


def enable_echo(logger: logging.Logger) -> None:
    """Make sure echoed lines of ``logger`` reach stdout: one handler, added once."""
    if _handler not in logger.handlers:
        logger.addHandler(_handler)


def echo_log(logger: logging.Logger, level: int, message: str, *args: Any) -> None:
    """Log for an echoing engine or pool, whatever the logger's level."""
    logger._log(level, message, args)
