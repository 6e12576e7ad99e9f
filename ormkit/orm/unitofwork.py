"""What a flush must do, in what order: decided here, with no SQL.

Pending objects become INSERT actions, changed persistent objects UPDATE actions with only
the attributes whose values really changed, deleted objects DELETE actions. Tables are
ordered by foreign keys: inserts and updates parent-first, deletes child-first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ormkit.orm.state import NO_VALUE
from ormkit.sql.schema import sort_tables

if TYPE_CHECKING:
    from ormkit.orm.mapper import Mapper


@dataclass
class InsertAction:
    """INSERT these pending objects of one mapper, in the order they were added."""

    mapper: Mapper
    objects: list[Any] = field(default_factory=list)


@dataclass
class UpdateAction:
    """UPDATE these objects of one mapper: (object, {attribute key: new value})."""

    mapper: Mapper
    changes: list[tuple[Any, dict[str, Any]]] = field(default_factory=list)


@dataclass
class DeleteAction:
    """DELETE these objects of one mapper."""

    mapper: Mapper
    objects: list[Any] = field(default_factory=list)


Action = InsertAction | UpdateAction | DeleteAction


def changed_values(obj: Any, committed: dict[str, Any] | None) -> dict[str, Any]:
    """The attributes of ``obj`` whose values differ from what the database holds."""
    if not committed:
        return {}
    d = obj.__dict__
    changes = {}
    for key, old in committed.items():
        if key not in d:
            continue  # expired after the change: nothing to send
        new = d[key]
        if old is NO_VALUE or not _same(old, new):
            changes[key] = new
    return changes


def _same(old: Any, new: Any) -> bool:
    if old is new:
        return True
    try:
        return bool(old == new) and type(old) is type(new)
    except Exception:  # a value whose == is odd (arrays): treat as changed
        return False


def plan(
    new: Iterable[Any], modified: Iterable[Any], deleted: Iterable[Any], mapper_of: Any
) -> list[Action]:
    """The ordered actions of a flush."""
    inserts: dict[Mapper, InsertAction] = {}
    updates: dict[Mapper, UpdateAction] = {}
    deletes: dict[Mapper, DeleteAction] = {}
    for obj in new:
        mapper = mapper_of(obj)
        inserts.setdefault(mapper, InsertAction(mapper)).objects.append(obj)
    for obj in modified:
        state = obj.__dict__.get("_ok_state")
        if state is None or state.key is None or state.deleted:
            continue
        changes = changed_values(obj, state.committed)
        if changes:
            mapper = state.mapper
            updates.setdefault(mapper, UpdateAction(mapper)).changes.append((obj, changes))
    for obj in deleted:
        mapper = mapper_of(obj)
        deletes.setdefault(mapper, DeleteAction(mapper)).objects.append(obj)
    mappers = {*inserts, *updates, *deletes}
    by_table: dict[Any, list[Mapper]] = {}
    for mapper in mappers:
        by_table.setdefault(mapper.local_table, []).append(mapper)
    ordered_tables = sort_tables(by_table)
    actions: list[Action] = []
    for table in ordered_tables:
        for mapper in by_table[table]:
            if mapper in inserts:
                actions.append(inserts[mapper])
            if mapper in updates:
                actions.append(updates[mapper])
    for table in reversed(ordered_tables):
        for mapper in by_table[table]:
            if mapper in deletes:
                actions.append(deletes[mapper])
    return actions
