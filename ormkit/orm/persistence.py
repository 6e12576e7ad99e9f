"""Flush actions to SQL: batched INSERT, UPDATE and DELETE through one Connection.

Rows of one table with the same columns go in one executemany; when the database generates
the keys, a multi-row ``INSERT ... RETURNING`` hands them back in row order (one statement
per batch), or, without RETURNING, each row is inserted alone and read back by lastrowid.
Statements for a (mapper, columns) shape are built once and kept on the mapper.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ormkit import exc
from ormkit.orm.unitofwork import Action, DeleteAction, InsertAction, UpdateAction
from ormkit.sql.dml import delete, insert, update
from ormkit.sql.elements import and_, bindparam

if TYPE_CHECKING:
    from ormkit.engine.base import Connection
    from ormkit.orm.mapper import Mapper

#: Rows per multi-row INSERT ... RETURNING statement (well under every driver's parameter cap).
INSERT_BATCH = 500


class FlushRecord:
    """What a flush changed on objects, so a failure can undo it in memory."""

    def __init__(self) -> None:
        self.assigned: list[tuple[Any, str, Any]] = []  # (obj, key, previous value or MISSING)

    def assign(self, obj: Any, key: str, value: Any) -> None:
        """Set a generated or default value on a pending object, remembering what was there."""
        d = obj.__dict__
        self.assigned.append((obj, key, d.get(key, _MISSING)))
        d[key] = value

    def undo(self) -> None:
        """Put back what ``assign`` replaced."""
        for obj, key, previous in reversed(self.assigned):
            if previous is _MISSING:
                obj.__dict__.pop(key, None)
            else:
                obj.__dict__[key] = previous
        self.assigned.clear()


_MISSING = object()


def run(actions: Sequence[Action], conn: Connection, record: FlushRecord) -> None:
    """Send the statements for ``actions``, in order."""
    for action in actions:
        if isinstance(action, InsertAction):
            _insert(action, conn, record)
        elif isinstance(action, UpdateAction):
            _update(action, conn, record)
        else:
            _delete(action, conn)


def _apply_defaults(mapper: Mapper, obj: Any, record: FlushRecord, for_update: bool) -> None:
    d = obj.__dict__
    for key, column in mapper.columns_by_key.items():
        default = column.onupdate if for_update else column.default
        if default is None or key in d or default.is_clause_element:
            continue
        record.assign(obj, key, default.value(None))


def _insert(action: InsertAction, conn: Connection, record: FlushRecord) -> None:
    mapper = action.mapper
    table = mapper.local_table
    insertable = mapper.table_keys
    groups: dict[tuple[str, ...], list[Any]] = {}
    order: list[tuple[str, ...]] = []
    for obj in action.objects:
        _apply_defaults(mapper, obj, record, for_update=False)
        d = obj.__dict__
        present = tuple(
            k for k in insertable if k in d and not (k in mapper.pk_keys and d[k] is None)
        )
        if present not in groups:
            groups[present] = []
            order.append(present)
        groups[present].append(obj)
    pk_keys = mapper.pk_keys
    dialect = conn.dialect
    for present in order:
        objs = groups[present]
        params = [{k: obj.__dict__[k] for k in present} for obj in objs]
        keys_given = all(k in present for k in pk_keys)
        if keys_given:
            conn.execute(_insert_stmt(mapper), params) if params[0] else _insert_each(
                mapper, objs, conn, record
            )
            continue
        if dialect.insert_returning and dialect.supports_multivalues_insert and present:
            pk_cols = mapper.primary_key
            for start in range(0, len(objs), INSERT_BATCH):
                chunk = objs[start : start + INSERT_BATCH]
                rows = params[start : start + INSERT_BATCH]
                stmt = insert(table).values(rows).returning(*pk_cols)
                returned = conn.execute(stmt).fetchall()
                if len(returned) != len(chunk):
                    raise exc.FlushError(
                        f"INSERT into {table.name!r} returned {len(returned)} keys for "
                        f"{len(chunk)} rows"
                    )
                for obj, row in zip(chunk, returned, strict=True):
                    for key, value in zip(pk_keys, row, strict=True):
                        record.assign(obj, key, value)
        else:
            _insert_each(mapper, objs, conn, record)
    del table


def _insert_stmt(mapper: Mapper) -> Any:
    stmt = mapper.__dict__.get("_insert_stmt")
    if stmt is None:
        stmt = mapper.__dict__["_insert_stmt"] = insert(mapper.local_table)
    return stmt


def _insert_each(mapper: Mapper, objs: list[Any], conn: Connection, record: FlushRecord) -> None:
    stmt = _insert_stmt(mapper)
    for obj in objs:
        d = obj.__dict__
        params = {
            k: d[k]
            for k in mapper.table_keys
            if k in d and not (k in mapper.pk_keys and d[k] is None)
        }
        result = conn.execute(stmt, params or None)
        generated = result.inserted_primary_key
        for key, value in zip(mapper.pk_keys, generated, strict=True):
            if d.get(key) is None:
                if value is None:
                    raise exc.FlushError(
                        f"the database gave no primary key for the new {mapper.class_.__name__}"
                        f" row; give {key!r} a value or make it an autoincrement column"
                    )
                record.assign(obj, key, value)


def _pk_where(mapper: Mapper) -> Any:
    return and_(*[col == bindparam(f"_pk_{i}") for i, col in enumerate(mapper.primary_key)])


def _update_stmt(mapper: Mapper, keys: tuple[str, ...]) -> Any:
    cache: dict[tuple[str, ...], Any] = mapper.__dict__.setdefault("_update_stmts", {})
    stmt = cache.get(keys)
    if stmt is None:
        columns = mapper.columns_by_key
        stmt = (
            update(mapper.local_table)
            .where(_pk_where(mapper))
            .values({columns[k]: bindparam(k) for k in keys})
        )
        cache[keys] = stmt
    return stmt


def _update(action: UpdateAction, conn: Connection, record: FlushRecord) -> None:
    mapper = action.mapper
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for obj, changes in action.changes:
        for key, column in mapper.columns_by_key.items():
            if (
                column.onupdate is not None
                and key not in changes
                and not (column.onupdate.is_clause_element)
            ):
                value = column.onupdate.value(None)
                obj.__dict__[key] = value
                changes[key] = value
        state = obj.__dict__["_ok_state"]
        old_pk = state.key[1]
        params = dict(changes)
        for i, value in enumerate(old_pk):
            params[f"_pk_{i}"] = value
        groups.setdefault(tuple(sorted(changes)), []).append(params)
    for keys, param_sets in groups.items():
        result = conn.execute(_update_stmt(mapper, keys), param_sets)
        _check_rowcount(conn, result.rowcount, len(param_sets), mapper, "UPDATE")


def _delete(action: DeleteAction, conn: Connection) -> None:
    mapper = action.mapper
    stmt = mapper.__dict__.get("_delete_stmt")
    if stmt is None:
        stmt = mapper.__dict__["_delete_stmt"] = delete(mapper.local_table).where(_pk_where(mapper))
    param_sets = []
    for obj in action.objects:
        key = obj.__dict__["_ok_state"].key[1]
        param_sets.append({f"_pk_{i}": value for i, value in enumerate(key)})
    result = conn.execute(stmt, param_sets)
    _check_rowcount(conn, result.rowcount, len(param_sets), mapper, "DELETE")


def _check_rowcount(
    conn: Connection, rowcount: int, expected: int, mapper: Mapper, what: str
) -> None:
    if rowcount < 0 or (expected > 1 and not conn.dialect.supports_sane_multi_rowcount):
        return
    if rowcount != expected:
        raise exc.StaleDataError(
            f"{what} of {mapper.local_table.name!r} expected to match {expected} row(s) but "
            f"matched {rowcount}: the row was changed or deleted by someone else since it "
            "was loaded"
        )
