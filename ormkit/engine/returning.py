"""executemany with RETURNING: the rows of every parameter set, in parameter-set order.

A driver's ``executemany`` hands back no rows, so an ``INSERT ... RETURNING`` run with a list
of parameter sets is sent as multi-row ``INSERT ... VALUES (...), (...) RETURNING ...``
statements instead, one per batch of sets. The compiler renders one VALUES group per set with
parameters of its own (``compile_statement(..., rows=n)``); the text is never cut apart. An
UPDATE or DELETE with RETURNING, or an INSERT that cannot be split into groups, runs once per
parameter set.

Order: PostgreSQL, SQLite and MariaDB return the rows of a multi-row INSERT in the order of its
VALUES groups. None of them documents that, but it holds for a plain VALUES list, which is all
this module sends, and ormkit relies on it: rows always come back in parameter-set order, which
is what ``returning(..., sort_by_parameter_order=True)`` asks for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ormkit.engine.result import CursorResult, _ListCursor
from ormkit.sql.compiler import Compiled, compile_statement

if TYPE_CHECKING:
    from ormkit.engine.base import Connection

#: Parameter sets per INSERT when the ``insertmanyvalues_page_size`` option is not set.
DEFAULT_PAGE_SIZE = 1000


def page_size(options: Mapping[str, Any], default: int = DEFAULT_PAGE_SIZE) -> int:
    """Parameter sets per multi-row INSERT: the ``insertmanyvalues_page_size`` option."""
    size: int = options.get("insertmanyvalues_page_size", default)  # checked when given
    return size


def rows_per_statement(conn: Connection, width: int, page: int) -> int:
    """Rows per INSERT: ``page``, or fewer when the rows' parameters would pass the limit."""
    limit: int = conn.dialect.insertmanyvalues_max_parameters
    return max(1, min(page, limit // max(width, 1)))


def compiled_for_rows(compiled: Compiled, keys: Sequence[str], rows: int) -> Compiled:
    """The INSERT of ``compiled`` with ``rows`` VALUES groups (made once per row count)."""
    found = compiled.row_batches.get(rows)
    if found is None:
        found = compile_statement(compiled.statement, compiled.dialect, column_keys=keys, rows=rows)
        compiled.row_batches[rows] = found
    return found


def execute_many(
    conn: Connection,
    compiled: Compiled,
    binds: Sequence[Any],
    sets: Sequence[Mapping[str, Any]],
    options: Mapping[str, Any],
) -> CursorResult:
    """Run a statement with RETURNING once per parameter set; every set's rows, in order."""
    statement: Any = compiled.statement
    if (
        compiled.is_insert
        and conn.dialect.supports_multivalues_insert
        and statement._select is None
        and not statement._multi
    ):
        size = rows_per_statement(conn, len(compiled.slots), page_size(options))
        keys = tuple(sets[0])
        probe = compiled_for_rows(compiled, keys, min(size, len(sets)))
        if _splits(compiled, probe, sets[0]):
            return _run_batches(conn, compiled, binds, sets, keys, size, options)
    results = [
        conn._run(compiled, compiled.construct_params(binds, params, group=i), False, options)
        for i, params in enumerate(sets, 1)
    ]
    rows = [row for result in results for row in result._fetch_all_raw()]
    return _combined(results[0], rows)


def _splits(single: Compiled, multi: Compiled, first: Mapping[str, Any]) -> bool:
    """True when each parameter set's values fill exactly its own VALUES group.

    Parameters outside the groups (in ON CONFLICT ... or RETURNING) must take the statement's
    own values: one taken from the parameter sets could differ from set to set.
    """
    if not multi.row_groups:
        return False  # no VALUES list to repeat (INSERT ... DEFAULT VALUES)
    outer = [s for s in multi.slots if s.row < 0]
    if any((s.index < 0 and s.default is None) or s.name in first for s in outer):
        return False
    return len(single.slots) == multi.row_width + len(outer)


def _run_batches(
    conn: Connection,
    single: Compiled,
    binds: Sequence[Any],
    sets: Sequence[Mapping[str, Any]],
    keys: tuple[str, ...],
    size: int,
    options: Mapping[str, Any],
) -> CursorResult:
    width = compiled_for_rows(single, keys, min(size, len(sets))).row_width
    rows: list[Any] = []
    first: CursorResult | None = None
    for start in range(0, len(sets), size):
        batch = sets[start : start + size]
        multi = compiled_for_rows(single, keys, len(batch))
        values: list[Any] = []
        tail: list[Any] = []
        for number, params in enumerate(batch, start + 1):
            # the one-row statement's values for this set: its group's, then the outer ones
            row = single.construct_params(binds, params, group=number)
            row = row if single.positional else list(row.values())
            values.extend(row[:width])
            tail = tail or row[width:]
        values.extend(tail)
        driver: Any = (
            values if multi.positional else dict(zip(multi.driver_names, values, strict=True))
        )
        result = conn._run(multi, driver, False, options)
        rows.extend(result._fetch_all_raw())
        first = first or result
    assert first is not None
    return _combined(first, rows)


def _combined(first: CursorResult, rows: list[Any]) -> CursorResult:
    """One result over the rows of several statements of the same shape.

    Its rowcount is the number of rows: RETURNING gives one per row inserted, updated or
    deleted (and SQLite's cursor counts them only once they are all fetched).
    """
    return CursorResult(
        _ListCursor(rows), first._fields, first._processors, first._row_cls, rowcount=len(rows)
    )


def concatenate(results: Sequence[CursorResult]) -> CursorResult:
    """One result for several runs of statements of the same shape (rows in run order)."""
    first = results[0]
    if len(results) == 1:
        return first
    if not first.returns_rows:
        counts = [r.rowcount for r in results]
        total = sum(counts) if min(counts) >= 0 else -1
        return CursorResult(None, [], None, returns_rows=False, rowcount=total)
    return _combined(first, [row for r in results for row in r._fetch_all_raw()])
