"""Many-to-many link rows: written for the links a flush finds made or undone, and deleted
with the rows they point at (``persistence`` calls both at their places in a flush).

A link to an object outside the session is neither written nor deleted, as in SQLAlchemy: the
object is not saved (the save-update cascade warns), and removing it from the collection warns.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from ormkit import exc
from ormkit.orm.attributes import value_of
from ormkit.orm.relationships import Direction, Relationship
from ormkit.orm.state import STATE
from ormkit.orm.unitofwork import FlushPlan, collections_of, outside_session
from ormkit.sql.dml import delete, insert
from ormkit.sql.elements import bindparam

if TYPE_CHECKING:
    from ormkit.engine.base import Connection
    from ormkit.orm.mapper import Mapper


def write(plan: FlushPlan, conn: Connection) -> None:
    """INSERT the link rows of the links made since the last flush, DELETE those undone."""
    inserts: dict[Any, dict[tuple[Any, ...], dict[str, Any]]] = {}
    deletes: dict[Any, dict[tuple[Any, ...], dict[str, Any]]] = {}
    deleted_ids = plan.deleted_ids  # their link rows go with their DELETE (_delete)
    for obj in plan.related:
        state = obj.__dict__[STATE]
        if state.deleted or id(obj) in deleted_ids:
            continue
        for rel in state.mapper.relationships.values():
            if rel.direction is not Direction.MANYTOMANY or rel.viewonly:
                continue
            added, removed = _changes(obj, state, rel)
            for item in added:
                if id(item) in deleted_ids or item.__dict__[STATE].deleted:
                    continue
                if outside_session(item):
                    continue  # not saved, so not linked (warned at the cascade)
                row = _association_row(rel, obj, item)
                inserts.setdefault(rel.secondary, {})[_row_key(row)] = row
            for item in removed:
                if outside_session(item):
                    _warn_link_kept(obj, rel, item)
                    continue
                row = _association_row(rel, obj, item)
                deletes.setdefault(rel.secondary, {})[_row_key(row)] = row
    for secondary, rows in deletes.items():
        columns = list(rows[next(iter(rows))])
        stmt = delete(secondary).where(*[secondary.c[c] == bindparam(c) for c in columns])
        conn.execute(stmt, list(rows.values()))
    for secondary, rows in inserts.items():
        conn.execute(insert(secondary), list(rows.values()))


def _changes(obj: Any, state: Any, rel: Relationship) -> tuple[list[Any], list[Any]]:
    """(added, removed): the links of ``obj.<rel>`` made and undone since the last flush, in
    its loaded (or write-only) collection, and those backrefs queued on it while it was not
    loaded (an add and a removal of the same item cancel out, as in the collections). The
    other side of a link usually has it too: the rows are keyed, so each is written once."""
    added: list[Any] = []
    removed: list[Any] = []
    for collection in collections_of(obj, rel):
        added.extend(collection._ok_added)
        removed.extend(collection._ok_removed)
    links = state.pending_links
    if links and rel.key in links:
        net: dict[int, tuple[int, Any]] = {}
        for was_added, item in links[rel.key]:
            step = 1 if was_added else -1
            count = net.get(id(item), (0, item))[0]
            net[id(item)] = (step if count != -step else 0, item)
        for count, item in net.values():
            if count:
                (added if count > 0 else removed).append(item)
    return added, removed


def _warn_link_kept(owner: Any, rel: Relationship, item: Any) -> None:
    """As SQLAlchemy: a link to an object outside the session is not deleted."""
    state = item.__dict__.get(STATE)
    if state is not None and state.was_deleted:
        return  # its row, and so its link rows, went with its DELETE
    warnings.warn(
        exc.OrmkitWarning(
            f"{type(item).__name__} object is not in the session, so its row in "
            f"{str(rel.secondary)!r} is not deleted along {type(owner).__name__}.{rel.key}: "
            "add it back to the session before removing it from the collection"
        ),
        stacklevel=6,
    )


def _association_row(rel: Relationship, owner: Any, item: Any) -> dict[str, Any]:
    row = {}
    for ref, fk in rel.parent_pairs:
        row[fk.key] = value_of(owner, rel.parent.key_for_column(ref))
    for ref, fk in rel.target_pairs:
        row[fk.key] = value_of(item, rel.mapper.key_for_column(ref))
    return row


def _row_key(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(sorted(row.items()))


def delete_for(
    mapper: Mapper, objects: list[Any], conn: Connection, own_only: bool = False
) -> None:
    """Association rows of deleted objects go first (their foreign keys point at them).

    With ``own_only`` (a row taken over by a new object, which stays): only the rows of the
    objects' own many-to-many collections, not those of relationships declared on the other
    side, which still point at an existing row."""
    registry = getattr(mapper.class_, "registry", None)
    mappers = [mapper] if own_only or registry is None else registry._mappers
    pk_index = {id(c): i for i, c in enumerate(mapper.primary_key)}

    def value(obj: Any, ref: Any) -> Any:
        d = obj.__dict__
        key = d[STATE].key
        i = pk_index.get(id(ref))
        if i is not None and key is not None:
            return key[1][i]  # known even when the attributes are expired
        return d.get(mapper.key_for_column(ref))

    seen: set[tuple[int, int]] = set()
    for other in mappers:
        for rel in other.relationships.values():
            if rel.direction is not Direction.MANYTOMANY or rel.viewonly:
                continue
            secondary = rel.secondary
            sides = [(rel.parent_pairs, rel.parent)]
            if not own_only:
                sides.append((rel.target_pairs, rel.mapper))
            for pairs, side in sides:
                if side is not mapper or (id(secondary), id(pairs[0][1])) in seen:
                    continue
                seen.add((id(secondary), id(pairs[0][1])))
                stmt = delete(secondary).where(
                    *[fk == bindparam(f"_a_{i}") for i, (_, fk) in enumerate(pairs)]
                )
                params = [
                    {f"_a_{i}": value(obj, ref) for i, (ref, _) in enumerate(pairs)}
                    for obj in objects
                ]
                conn.execute(stmt, params)
