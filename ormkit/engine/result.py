"""Results of a statement: rows as tuples with attribute access, and the ways to fetch them.

A ``Row`` class is made once per result shape (the column names), with a property per column,
so reading ``row.name`` costs what reading a namedtuple field costs. Per-column conversion
functions come from the compiled statement, resolved once, and only columns that need one
pay for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from operator import itemgetter
from typing import Any, Generic, TypeVar

from ormkit import exc
from ormkit.util import LRUCache, gc_paused

_T = TypeVar("_T")


class Row(tuple[Any, ...]):
    """One result row: a tuple, with ``row.column_name`` and ``row._mapping``."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()
    _keymap: dict[Any, int] = {}

    @property
    def _mapping(self) -> RowMapping:
        """The row as a read-only mapping of column name (or column object) to value."""
        return RowMapping(self)

    def _asdict(self) -> dict[str, Any]:
        """The row as a new dict of column name to value."""
        return dict(zip(self._fields, self, strict=False))

    def _tuple(self) -> tuple[Any, ...]:
        """The row as a plain tuple."""
        return tuple(self)

    _t = property(_tuple)

    def __getattr__(self, name: str) -> Any:
        # only reached for names without a property: private names and unknown columns
        index = self._keymap.get(name)
        if index is None:
            raise AttributeError(
                f"row has no column {name!r}; its columns are: {', '.join(self._fields)}"
            )
        return self[index]

    def __repr__(self) -> str:
        return repr(tuple(self))

    def __reduce__(self) -> tuple[Any, ...]:
        # the class is made per result shape, so a pickle keeps the names and the values;
        # by-column lookups of the copy fall back to the column's name, as in SQLAlchemy
        return (_unpickle_row, (self._fields, tuple(self)))


def _unpickle_row(fields: tuple[str, ...], values: tuple[Any, ...]) -> Row:
    return row_class(fields)(values)


class RowMapping(Mapping[Any, Any]):
    """A row seen as a mapping: by column name, or by the column object itself."""

    __slots__ = ("_row",)

    def __init__(self, row: Row) -> None:
        self._row = row

    def __getitem__(self, key: Any) -> Any:
        index = self._row._keymap.get(key)
        if index is None:
            name = getattr(key, "key", key)
            index = self._row._keymap.get(name) if isinstance(name, str) else None
            if index is None:
                raise exc.NoSuchColumnError(
                    f"no column {key!r} in this row; its columns are: "
                    f"{', '.join(self._row._fields)}"
                )
        return self._row[index]

    def __iter__(self) -> Iterator[str]:
        return iter(self._row._fields)

    def __len__(self) -> int:
        return len(self._row._fields)

    def __repr__(self) -> str:
        return repr(self._row._asdict())


_TUPLE_NAMES = frozenset(dir(tuple)) | {"_mapping", "_asdict", "_tuple", "_t", "_fields", "_keymap"}
_row_classes: LRUCache[tuple[Any, ...], type[Row]] = LRUCache(1000)


def row_class(fields: Sequence[str], extra_keys: Mapping[Any, int] | None = None) -> type[Row]:
    """The Row class for a result shape: a property per column name."""
    cache_key = (tuple(fields), tuple(extra_keys.items()) if extra_keys else ())
    found = _row_classes.get(cache_key)
    if found is not None:
        return found
    keymap: dict[Any, int] = {}
    namespace: dict[str, Any] = {"__slots__": ()}
    for index, name in enumerate(fields):
        keymap.setdefault(name, index)
        if name.isidentifier() and name not in _TUPLE_NAMES and name not in namespace:
            namespace[name] = property(itemgetter(index))
    if extra_keys:
        for key, index in extra_keys.items():
            keymap.setdefault(key, index)
    namespace["_fields"] = tuple(fields)
    namespace["_keymap"] = keymap
    cls = type("Row", (Row,), namespace)
    _row_classes.put(cache_key, cls)
    return cls


class Result:
    """Rows from a statement, fetched from the driver as asked for."""

    _row_cls: type[Row]

    def __init__(
        self,
        cursor: Any,
        fields: Sequence[str],
        processors: Sequence[Callable[[Any], Any] | None] | None,
        row_cls: type[Row] | None = None,
        close_with: Callable[[], None] | None = None,
    ) -> None:
        self._cursor = cursor
        self._fields = list(fields)
        self._row_cls = row_cls or row_class(fields)
        self._make_row = _row_maker(self._row_cls, processors)
        self._processors = processors
        self._closed = cursor is None
        self._hard_closed = False
        self._close_with = close_with
        self._scalar_index: int | None = None
        self._unique = False
        self._as_mapping = False
        self._yield_per: int | None = None
        #: Rows read from the driver at a time when iterating without yield_per (the
        #: ``max_row_buffer`` execution option sets it).
        self._chunk_size = 500

    def yield_per(self, num: int) -> Result:
        """Fetch ``num`` rows at a time (the batch size of iteration, fetchmany, partitions)."""
        if num < 1:
            raise exc.ArgumentError(f"yield_per takes a positive number of rows, got {num!r}")
        self._yield_per = num
        return self

    # -- raw fetching -----------------------------------------------------------------------

    def _check_open(self) -> None:
        """Refuse to fetch from a result closed by close(), first(), one() or scalar()."""
        if self._hard_closed:
            raise exc.ResourceClosedError(
                "this result is closed (by close(), first(), one(), one_or_none() or "
                "scalar()); run the statement again to read its rows"
            )

    def _fetch_all_raw(self) -> list[Any]:
        if self._closed:
            self._check_open()
            return []
        rows = self._cursor.fetchall()
        self._soft_close()
        return rows if type(rows) is list else list(rows)

    def _fetch_one_raw(self) -> Any:
        if self._closed:
            self._check_open()
            return None
        row = self._cursor.fetchone()
        if row is None:
            self._soft_close()
        return row

    def _fetch_many_raw(self, size: int | None) -> list[Any]:
        if self._closed:
            self._check_open()
            return []
        size = size or self._yield_per
        rows = self._cursor.fetchmany(size) if size else self._cursor.fetchmany()
        if not rows:
            self._soft_close()
        return list(rows)

    def _fetch_all_values(self) -> list[Any]:
        """Every remaining row as a plain sequence with values converted (no Row objects)."""
        return self._converted(self._fetch_all_raw())

    def _fetch_many_values(self, size: int) -> list[Any]:
        """Up to ``size`` more rows, as ``_fetch_all_values()`` gives them."""
        return self._converted(self._fetch_many_raw(size))

    def _converted(self, raw: list[Any]) -> list[Any]:
        return converted_rows(raw, active_processors(self._processors or ()))

    def _soft_close(self) -> None:
        if not self._closed:
            self._closed = True
            try:
                self._cursor.close()
            finally:
                if self._close_with is not None:
                    close, self._close_with = self._close_with, None
                    close()

    def close(self) -> None:
        """Discard unread rows and release the cursor; fetching afterwards is an error."""
        self._soft_close()
        self._hard_closed = True

    @property
    def closed(self) -> bool:
        """True once every row was read or the result was closed."""
        return self._closed

    # -- shaping ----------------------------------------------------------------------------

    def _post(self, rows: list[Any]) -> list[Any]:
        with gc_paused(len(rows)):  # a Row per row, none of them garbage
            made: list[Any] = list(map(self._make_row, rows))
        if self._scalar_index is not None:
            index = self._scalar_index
            made = [r[index] for r in made]
        elif self._as_mapping:
            made = [r._mapping for r in made]
        if self._unique:
            made = self._dedupe(made)
        return made

    def _dedupe(self, items: list[Any]) -> list[Any]:
        seen = self.__dict__.setdefault("_seen", set())
        out = []
        for item in items:
            key = _unique_key(item)
            if key not in seen:
                seen.add(key)
                out.append(item)
        return out

    def keys(self) -> list[str]:
        """The column names."""
        return list(self._fields)

    def unique(self) -> Result:
        """Drop repeated rows (or repeated scalars) from what is returned."""
        self._unique = True
        return self

    def scalars(self, index: int = 0) -> ScalarResult[Any]:
        """The values of one column (the first by default) instead of rows."""
        return ScalarResult(self, index)

    def mappings(self) -> MappingResult:
        """Rows as mappings of column name to value."""
        return MappingResult(self)

    def columns(self, *keys: str | int) -> Result:
        """Only the named (or numbered) columns, in that order."""
        indexes = [k if isinstance(k, int) else self._index_of(k) for k in keys]
        fields = [self._fields[i] for i in indexes]
        old_make = self._make_row
        new_cls = row_class(fields)
        getter = itemgetter(*indexes)

        def make(raw: Any) -> Row:
            full = old_make(raw)
            picked = getter(full)
            return new_cls(picked if len(indexes) > 1 else (picked,))

        self._make_row = make
        self._fields = fields
        self._row_cls = new_cls
        return self

    def _index_of(self, key: str) -> int:
        index = self._row_cls._keymap.get(key)
        if index is None:
            raise exc.NoSuchColumnError(
                f"no column {key!r} in this result; its columns are: {', '.join(self._fields)}"
            )
        return index

    # -- fetching ---------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Any]:
        while True:
            rows = self._fetch_many_raw(self._yield_per or self._chunk_size)
            if not rows:
                return
            yield from self._post(rows)

    def fetchall(self) -> list[Any]:
        """Every remaining row."""
        return self._post(self._fetch_all_raw())

    all = fetchall

    def fetchone(self) -> Any:
        """The next row, or None when there are no more."""
        while True:
            raw = self._fetch_one_raw()
            if raw is None:
                return None
            got = self._post([raw])
            if got:
                return got[0]

    def fetchmany(self, size: int | None = None) -> list[Any]:
        """Up to ``size`` more rows."""
        return self._post(self._fetch_many_raw(size))

    def partitions(self, size: int | None = None) -> Iterator[list[Any]]:
        """Successive lists of up to ``size`` rows."""
        while True:
            part = self.fetchmany(size)
            if not part:
                return
            yield part

    def first(self) -> Any:
        """The first row, or None; the rest are discarded."""
        row = self.fetchone()
        self.close()
        return row

    def one_or_none(self) -> Any:
        """The only row, None when there is none; MultipleResultsFound when there are more."""
        rows = self._post(self._fetch_many_raw(2)) if not self._unique else self.fetchall()
        self.close()
        if len(rows) > 1:
            raise exc.MultipleResultsFound(
                "expected at most one row and found more; add a filter or use first()"
            )
        return rows[0] if rows else None

    def one(self) -> Any:
        """The only row; NoResultFound or MultipleResultsFound otherwise."""
        rows = self._post(self._fetch_many_raw(2)) if not self._unique else self.fetchall()
        self.close()
        if not rows:
            raise exc.NoResultFound("expected one row and found none")
        if len(rows) > 1:
            raise exc.MultipleResultsFound(
                "expected one row and found more; add a filter or use first()"
            )
        return rows[0]

    def scalar(self) -> Any:
        """The first column of the first row, or None; the rest are discarded."""
        row = self.first()
        if row is None:
            return None
        return row if self._scalar_index is not None else row[0]

    def scalar_one(self) -> Any:
        """The first column of the only row."""
        return self.scalars().one()

    def scalar_one_or_none(self) -> Any:
        """The first column of the only row, or None."""
        return self.scalars().one_or_none()

    def freeze(self) -> FrozenResult:
        """All rows, kept so that fresh Results can be made from them."""
        return FrozenResult(self)


def _unique_key(item: Any) -> Any:
    try:
        hash(item)
        return item
    except TypeError:
        return id(item)


def _row_maker(
    row_cls: type[Row], processors: Sequence[Callable[[Any], Any] | None] | None
) -> Callable[[Any], Row]:
    """A function from a driver row to a Row, converting only the columns that need it."""
    active = [(i, p) for i, p in enumerate(processors or ()) if p is not None]
    new = tuple.__new__
    if not active:
        return partial(new, row_cls)  # C-level: no Python frame per row
    if len(active) == 1:
        ((index, proc),) = active

        def one(raw: Any) -> Row:
            values = list(raw)
            values[index] = proc(values[index])
            return new(row_cls, values)

        return one
    procs = list(processors or ())

    def convert(raw: Any) -> Row:
        return new(row_cls, [v if p is None else p(v) for p, v in zip(procs, raw, strict=False)])

    return convert


class CursorResult(Result):
    """The Result of running a statement: rows, plus rowcount and generated keys."""

    def __init__(
        self,
        cursor: Any,
        fields: Sequence[str],
        processors: Sequence[Callable[[Any], Any] | None] | None,
        row_cls: type[Row] | None = None,
        *,
        returns_rows: bool = True,
        rowcount: int = -1,
        lastrowid: Any = None,
        inserted_primary_key: tuple[Any, ...] | None = None,
        close_with: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(cursor if returns_rows else None, fields, processors, row_cls, close_with)
        self.returns_rows = returns_rows
        self._rowcount = rowcount
        self._lastrowid = lastrowid
        self._inserted_primary_key = inserted_primary_key

    def _check_returns_rows(self) -> None:
        if not self.returns_rows:
            raise exc.ResourceClosedError(
                "this result does not return rows (an INSERT, UPDATE or DELETE without "
                "RETURNING); use .rowcount or .inserted_primary_key"
            )

    def _fetch_all_raw(self) -> list[Any]:
        self._check_returns_rows()
        return super()._fetch_all_raw()

    def _fetch_one_raw(self) -> Any:
        self._check_returns_rows()
        return super()._fetch_one_raw()

    def _fetch_many_raw(self, size: int | None) -> list[Any]:
        self._check_returns_rows()
        return super()._fetch_many_raw(size)

    @property
    def rowcount(self) -> int:
        """Rows matched by an UPDATE or DELETE, or inserted by an INSERT."""
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        """The driver's ``cursor.lastrowid`` after an INSERT."""
        return self._lastrowid

    @property
    def inserted_primary_key(self) -> Any:
        """The primary key of the row a one-row INSERT created, as a Row."""
        if self._inserted_primary_key is None:
            raise exc.InvalidRequestError(
                "inserted_primary_key is only known after a one-row insert() statement"
            )
        return self._inserted_primary_key

    def close(self) -> None:
        if self.returns_rows:
            super().close()

    def _buffer_rest(self) -> None:
        """Read the rows still on the server into memory and close the cursor (its
        connection is wanted for another statement); fetching goes on from memory."""
        if not self._closed:
            rows = self._cursor.fetchall()
            self._cursor.close()
            self._cursor = _ListCursor(list(rows))


class ScalarResult(Generic[_T]):
    """One column's values, from ``result.scalars()``."""

    def __init__(self, result: Result, index: int) -> None:
        self._result = result
        result._scalar_index = index

    def unique(self) -> ScalarResult[_T]:
        """Drop repeated values."""
        self._result._unique = True
        return self

    def __iter__(self) -> Iterator[_T]:
        return iter(self._result)

    def all(self) -> list[_T]:
        """Every remaining value."""
        return self._result.fetchall()

    fetchall = all

    def fetchmany(self, size: int | None = None) -> list[_T]:
        """Up to ``size`` more values."""
        return self._result.fetchmany(size)

    def partitions(self, size: int | None = None) -> Iterator[list[_T]]:
        """Successive lists of up to ``size`` values."""
        return self._result.partitions(size)

    def first(self) -> _T | None:
        """The first value, or None."""
        return self._result.first()  # type: ignore[no-any-return]

    def one(self) -> _T:
        """The only value."""
        return self._result.one()  # type: ignore[no-any-return]

    def one_or_none(self) -> _T | None:
        """The only value, or None."""
        return self._result.one_or_none()  # type: ignore[no-any-return]

    def close(self) -> None:
        """Discard the rest."""
        self._result.close()


class MappingResult:
    """Rows as mappings, from ``result.mappings()``."""

    def __init__(self, result: Result) -> None:
        self._result = result
        result._as_mapping = True

    def __iter__(self) -> Iterator[RowMapping]:
        return iter(self._result)

    def all(self) -> list[RowMapping]:
        """Every remaining row."""
        return self._result.fetchall()

    fetchall = all

    def fetchone(self) -> RowMapping | None:
        """The next row, or None."""
        return self._result.fetchone()  # type: ignore[no-any-return]

    def fetchmany(self, size: int | None = None) -> list[RowMapping]:
        """Up to ``size`` more rows."""
        return self._result.fetchmany(size)

    def first(self) -> RowMapping | None:
        """The first row, or None."""
        return self._result.first()  # type: ignore[no-any-return]

    def one(self) -> RowMapping:
        """The only row."""
        return self._result.one()  # type: ignore[no-any-return]

    def one_or_none(self) -> RowMapping | None:
        """The only row, or None."""
        return self._result.one_or_none()  # type: ignore[no-any-return]

    def keys(self) -> list[str]:
        """The column names."""
        return self._result.keys()


def active_processors(
    processors: Sequence[Callable[[Any], Any] | None],
) -> list[tuple[int, Callable[[Any], Any]]]:
    """The (position, converter) pairs of the columns that have a converter."""
    return [(i, p) for i, p in enumerate(processors) if p is not None]


def converted_rows(
    rows: list[Any], active: Sequence[tuple[int, Callable[[Any], Any]]]
) -> list[Any]:
    """``rows`` with each ``active`` converter applied at its position (plain lists), or
    ``rows`` themselves when nothing converts."""
    if not active:
        return rows
    out = []
    for row in rows:
        values = list(row)
        for i, proc in active:
            values[i] = proc(values[i])
        out.append(values)
    return out


class _ListCursor:
    """A cursor over rows already in memory (buffered and frozen results)."""

    def __init__(self, rows: list[Any]) -> None:
        self._rows = rows
        self._pos = 0

    def fetchall(self) -> list[Any]:
        rows, self._pos = self._rows[self._pos :], len(self._rows)
        return rows

    def fetchone(self) -> Any:
        if self._pos >= len(self._rows):
            return None
        self._pos += 1
        return self._rows[self._pos - 1]

    def fetchmany(self, size: int | None = None) -> list[Any]:
        size = size or 100
        rows = self._rows[self._pos : self._pos + size]
        self._pos += len(rows)
        return rows

    def close(self) -> None:
        pass


def buffered(result: CursorResult) -> CursorResult:
    """A copy of ``result`` with every row read now, so the connection can be released."""
    if not result.returns_rows:
        return result
    rows = [tuple(r) for r in result.fetchall()]
    return CursorResult(
        _ListCursor(rows),
        result.keys(),
        None,
        result._row_cls,
        rowcount=result._rowcount,
        lastrowid=result._lastrowid,
        inserted_primary_key=result._inserted_primary_key,
    )


class FrozenResult:
    """Rows kept in memory; calling it makes a fresh Result over them."""

    def __init__(self, result: Result) -> None:
        self._fields = result.keys()
        self._row_cls = result._row_cls
        self._rows = [tuple(r) for r in result.fetchall()]

    def __call__(self) -> Result:
        return Result(_ListCursor(list(self._rows)), self._fields, None, self._row_cls)
