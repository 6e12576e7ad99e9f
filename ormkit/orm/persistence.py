"""Flush steps to SQL: batched INSERT, UPDATE and DELETE through one Connection.

For each mapper in save order: foreign keys are copied from related objects (whose rows were
written first), new rows are inserted (self-referential rows level by level, parents first),
then changed rows are updated with only the columns that changed. Association rows of
many-to-many links follow, then ``post_update`` UPDATEs, then deletes in reverse order.
Rows of one table with the same columns go in one executemany; when the database generates
keys, a multi-row ``INSERT ... RETURNING`` hands them back in row order, or without RETURNING
each row is inserted alone and read back by lastrowid.
"""

from __future__ import annotations

import operator
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ormkit import exc
from ormkit.engine.returning import page_size
from ormkit.orm import association_rows
from ormkit.orm.attributes import value_of
from ormkit.orm.relationships import Direction, Relationship
from ormkit.orm.state import NO_VALUE, STATE
from ormkit.orm.unitofwork import (
    FlushPlan,
    Step,
    changed_values,
    collections_of,
    outside_session,
    row_levels,
)
from ormkit.sql.dml import delete, insert, update
from ormkit.sql.elements import and_, bindparam

if TYPE_CHECKING:
    from ormkit.engine.base import Connection
    from ormkit.orm.mapper import Mapper
    from ormkit.orm.session import Session

#: Rows per multi-row INSERT ... RETURNING statement, unless the ``insertmanyvalues_page_size``
#: execution option says otherwise (fewer when the rows would pass the parameter limit).
INSERT_BATCH = 500
_MISSING: Any = object()


class FlushRecord:
    """The objects a flush wrote, for the session to update their states once it succeeds.

    A flush that fails leaves the values it gave objects (generated primary keys, defaults,
    copied foreign keys) where they are, as SQLAlchemy documents: the rollback expunges
    the objects it INSERTed, but "the state of their attributes remains unchanged"."""

    def __init__(self, session: Session) -> None:
        #: The session flushing (flush events get this record as their ``flush_context``).
        self.session = session
        self.inserted: list[Any] = []
        self.updated: list[Any] = []
        self.deleted: list[Any] = []


def run(plan: FlushPlan, session: Session, conn: Connection, record: FlushRecord) -> None:
    """Send the statements of a flush, in order."""
    deferred: list[tuple[Any, Relationship]] = []
    for step in plan.steps:
        _save(step, plan, conn, record, deferred)
    if plan.switched:
        # a row taken over by a new object loses the old object's association rows first
        for step in plan.steps:
            old = [o for o in step.deleted if id(o) in plan.switched_old]
            if old:
                association_rows.delete_for(step.mapper, old, conn, own_only=True)
    association_rows.write(plan, conn)
    _post_updates(deferred, conn, record)
    if any(step.deleted for step in plan.steps):
        _clear_post_update_keys(plan, conn, record)
    for step in reversed(plan.steps):
        if step.deleted:
            _delete(step, plan, conn, record)


# -- saving -------------------------------------------------------------------------------------


def _save(
    step: Step,
    plan: FlushPlan,
    conn: Connection,
    record: FlushRecord,
    deferred: list[tuple[Any, Relationship]],
) -> None:
    mapper = step.mapper
    modified = step.modified
    touched = _children_touched(mapper, plan)
    if touched:
        modified = list(modified)
        known = {id(o) for o in modified} | {id(o) for o in step.new}
        for child in touched:
            if id(child) in plan.deleted_ids:
                continue
            child_state = child.__dict__.get(STATE)  # (none: a child never tracked)
            if child_state is None or child_state.session is None:
                continue  # a child out of the session is not written, as it is not flushed
            if id(child) not in known and child_state.key is not None:
                known.add(id(child))
                modified.append(child)
    self_rels = (
        [
            r
            for r in mapper.relationships.values()
            if r.mapper is mapper
            and r.direction is not Direction.MANYTOMANY
            and not r.viewonly
            and not r.post_update
        ]
        if mapper.relationships and (step.new or modified)
        else None
    )
    if self_rels:
        # rows of one table pointing at each other: a changed row may point at a new one
        _insert_levels(
            mapper, _levels(step.new, modified, self_rels, plan), plan, conn, record, deferred
        )
        _update_changed(mapper, modified, plan, conn, record, deferred)
    else:
        # UPDATEs first, as SQLAlchemy: a new row may take a unique value an old one gives up
        _update_changed(mapper, modified, plan, conn, record, deferred)
        if step.new:
            _insert_levels(mapper, [step.new], plan, conn, record, deferred)


def _insert_levels(
    mapper: Mapper,
    levels: list[list[Any]],
    plan: FlushPlan,
    conn: Connection,
    record: FlushRecord,
    deferred: list[tuple[Any, Relationship]],
) -> None:
    """INSERT the new rows, level by level (a level's rows point only at earlier levels)."""
    for level in levels:
        _sync_keys(mapper, level, plan, deferred, new=True)
        if plan.switched:
            taking_over = [o for o in level if id(o) in plan.switched]
            if taking_over:  # no NULLs filled in: their unset columns keep the row's values
                _take_over_rows(mapper, taking_over, conn, record)
                level = [o for o in level if id(o) not in plan.switched]
                if not level:
                    continue
        dispatch = mapper.dispatch
        if dispatch.before_insert:  # what they set goes into the INSERT
            _fire(dispatch.before_insert, mapper, conn, level)
        _fill_nulls(mapper, level)  # as NULLs in the INSERT: rows batch whatever they omit
        _insert(mapper, level, conn, record)
        if mapper.insert_defaults and mapper.instance_dispatch.refresh_flush:
            _refreshed_by_flush(mapper, level, record, [k for k, _ in mapper.insert_defaults])
        if dispatch.after_insert:
            _fire(dispatch.after_insert, mapper, conn, level)


def _refreshed_by_flush(
    mapper: Mapper, objects: list[Any], record: FlushRecord, keys: list[str]
) -> None:
    """``refresh_flush``: the flush gave these objects values from column defaults."""
    for obj in objects:
        for listener in mapper.instance_dispatch.refresh_flush:
            listener(obj, record, keys)


def _fire(listeners: Sequence[Any], mapper: Mapper, conn: Connection, objects: list[Any]) -> None:
    """Call Mapper event listeners for each object, in the order the objects are written."""
    for obj in objects:
        for listener in listeners:
            listener(mapper, conn, obj)


def _update_changed(
    mapper: Mapper,
    modified: list[Any],
    plan: FlushPlan,
    conn: Connection,
    record: FlushRecord,
    deferred: list[tuple[Any, Relationship]],
) -> None:
    """UPDATE the persistent rows whose columns changed."""
    if not modified:
        return
    _sync_keys(mapper, modified, plan, deferred, new=False)
    dispatch = mapper.dispatch
    if dispatch.before_update or dispatch.after_update:
        # as SQLAlchemy: every object marked changed, whether or not a column changed
        marked = [o for o in modified if not o.__dict__[STATE].deleted]
        _fire(dispatch.before_update, mapper, conn, marked)  # what they set is UPDATEd
    changes = []
    columns = mapper.columns_by_key
    for obj in modified:
        state = obj.__dict__[STATE]
        if state.deleted:
            continue
        changed = changed_values(obj, state.committed, columns)
        if changed:
            changes.append((obj, changed))
    if changes:
        _update(mapper, changes, conn, record)
        python_side = [k for k, d in mapper.onupdates if not d.is_clause_element]
        if python_side and mapper.instance_dispatch.refresh_flush:
            updated = [obj for obj, _ in changes]
            _refreshed_by_flush(mapper, updated, record, python_side)
    if dispatch.after_update:
        _fire(dispatch.after_update, mapper, conn, marked)


def _children_touched(mapper: Mapper, plan: FlushPlan) -> list[Any]:
    """Persistent objects of ``mapper`` whose keys change because a parent's collection did."""
    found = []
    for obj in plan.related:
        owner_mapper = obj.__dict__[STATE].mapper
        for rel in owner_mapper.relationships.values():
            if rel.mapper is not mapper or rel.direction is not Direction.ONETOMANY:
                continue
            for collection in collections_of(obj, rel):
                found.extend(collection._ok_added)
                found.extend(collection._ok_removed)
            if not rel.uselist:
                found.extend(_scalar_change(obj, rel))
    return found


def _scalar_change(obj: Any, rel: Relationship) -> list[Any]:
    """For a one-to-one held as a scalar: the new and the old related objects."""
    state = obj.__dict__[STATE]
    committed = state.committed or {}
    if rel.key not in committed and state.key is not None:
        return []
    out = []
    new = obj.__dict__.get(rel.key)
    if new is not None:
        out.append(new)
    old = committed.get(rel.key)
    if old is not None and old is not new and hasattr(old, "__dict__"):
        out.append(old)
    return out


def _levels(
    new: list[Any], modified: list[Any], rels: list[Relationship], plan: FlushPlan
) -> list[list[Any]]:
    """The new rows of a self-referential mapper in INSERT levels, parents first.

    References of new rows, and the references a flush changes on persistent rows, must
    not form a cycle (nor a row refer to itself): CircularDependencyError, unless the
    relationship is ``post_update``."""
    saved = {id(o) for o in new}
    saved.update(id(o) for o in modified)
    edges: list[tuple[Any, Any, Relationship]] = []
    for rel in rels:
        key = rel.key
        if rel.direction is Direction.MANYTOONE:
            for obj in new:
                target = obj.__dict__.get(key)
                if target is not None and id(target) in saved:
                    edges.append((target, obj, rel))
            for obj in modified:
                d = obj.__dict__
                committed = d[STATE].committed
                if committed and key in committed:
                    target = d.get(key)
                    if target is not None and id(target) in saved:
                        edges.append((target, obj, rel))
        else:
            for owner in plan.related:
                if owner.__dict__[STATE].mapper is rel.parent and id(owner) in saved:
                    for collection in collections_of(owner, rel):
                        for child in collection._ok_added:
                            if id(child) in saved:
                                edges.append((owner, child, rel))
    return row_levels(new, edges)


def _key_values(obj: Any, mapper: Mapper, columns: Sequence[Any]) -> list[Any]:
    return [value_of(obj, mapper.key_for_column(c)) for c in columns]


def _set_key(obj: Any, key: str, value: Any, new: bool) -> None:
    d = obj.__dict__
    if d.get(key, _MISSING) == value and key in d:
        return
    state = d[STATE]
    if state.key is not None and not new:
        state.modified_event(obj, key, d)
    d[key] = value


def _sync_keys(
    mapper: Mapper,
    objs: list[Any],
    plan: FlushPlan,
    deferred: list[tuple[Any, Relationship]],
    new: bool,
) -> None:
    """Copy primary keys of related objects into the foreign keys of ``objs``."""
    if not mapper.relationships and not plan.related:
        return  # no relationship can carry a key into these rows
    ids = {id(o) for o in objs}
    for rel in mapper.relationships.values():
        if rel.viewonly or rel.direction is not Direction.MANYTOONE:
            continue
        for obj in objs:
            d = obj.__dict__
            state = d[STATE]
            if rel.key not in d or not (new or rel.key in (state.committed or {})):
                continue
            if rel.post_update:
                deferred.append((obj, rel))
                continue
            target = d[rel.key]
            if target is not None and (outside_session(target) or target.__dict__[STATE].deleted):
                continue  # not saved, or its row deleted: the key stays (warned at the cascade)
            values = (
                _key_values(target, rel.mapper, [r for r, _ in rel.pairs])
                if target is not None
                else [None] * len(rel.pairs)
            )
            for (_, fk), value in zip(rel.pairs, values, strict=True):
                _set_key(obj, mapper.key_for_column(fk), value, new)
    for owner in plan.related:
        owner_state = owner.__dict__[STATE]
        if outside_session(owner):
            continue  # a detached owner: its collections are not flushed, as it is not
        for rel in owner_state.mapper.relationships.values():
            if rel.mapper is not mapper or rel.direction is not Direction.ONETOMANY or rel.viewonly:
                continue
            if rel.post_update:
                continue
            parent_values = _key_values(owner, rel.parent, [r for r, _ in rel.pairs])
            fk_keys = [mapper.key_for_column(fk) for _, fk in rel.pairs]
            removed: list[Any] = []
            added: list[Any] = []
            for collection in collections_of(owner, rel):
                removed.extend(collection._ok_removed)
                added.extend(collection._ok_added)
            if not rel.uselist:
                changed = _scalar_change(owner, rel)
                current = owner.__dict__.get(rel.key)
                added.extend(c for c in changed if c is current)
                removed.extend(c for c in changed if c is not current)
            reverse = rel.reverse
            for child in removed:
                if id(child) not in ids or id(child) in plan.deleted_ids:
                    continue
                cd = child.__dict__
                if reverse is not None and cd.get(reverse.key) not in (None, owner):
                    continue  # it has another parent now (the many-to-one side sets the key)
                if [cd.get(k) for k in fk_keys] == parent_values:
                    for key in fk_keys:
                        _set_key(child, key, None, new)
            if id(owner) in plan.deleted_ids:
                continue  # a parent DELETEd gives its key to no child (they are cleared)
            for child in added:
                if id(child) in ids:
                    if reverse is not None and _points_elsewhere(child, reverse, owner):
                        continue  # its many-to-one was set since: that side sets the key
                    for key, value in zip(fk_keys, parent_values, strict=True):
                        _set_key(child, key, value, new)


def _points_elsewhere(child: Any, reverse: Relationship, owner: Any) -> bool:
    """Was ``child``'s many-to-one changed to something other than ``owner`` (a collection
    still holding it, its backref not applied: the old value was not known)?"""
    cd = child.__dict__
    if reverse.key not in cd or cd[reverse.key] is owner:
        return False
    committed = cd[STATE].committed
    return bool(committed) and reverse.key in committed


def _fill_nulls(mapper: Mapper, objects: list[Any]) -> None:
    """After an INSERT: unset attributes whose column got NULL read None without SQL, as in
    SQLAlchemy (a server-side default is left unloaded: reading it asks the database)."""
    null_keys = mapper.null_keys
    if not null_keys:
        return
    for obj in objects:
        d = obj.__dict__
        if null_keys.issubset(d):
            continue  # all set: the common case, checked in one C call
        for key in null_keys:
            if key not in d:
                d[key] = None


def _take_over_rows(
    mapper: Mapper, objects: list[Any], conn: Connection, record: FlushRecord
) -> None:
    """New objects whose primary key is that of an object this flush deletes: the row stays
    and is UPDATEd with the columns the new object sets (no Python INSERT defaults; columns
    it leaves unset keep their values and stay unloaded), as SQLAlchemy does."""
    pk_keys = mapper.pk_keys
    changes = []
    for obj in objects:
        d = obj.__dict__
        values = {k: d[k] for k in mapper.table_keys if k in d and k not in pk_keys}
        if values:
            changes.append((obj, values))
    record.inserted.extend(objects)  # the session gives them their identity afterwards
    if changes:
        _update(mapper, changes, conn, record)


def _insert(mapper: Mapper, objects: list[Any], conn: Connection, record: FlushRecord) -> None:
    table = mapper.local_table
    insertable = mapper.table_keys
    pk_keys = mapper.pk_keys
    # rows go in the order they were added: runs of rows naming the same columns are batched
    groups: list[tuple[tuple[str, ...], list[Any]]] = []
    defaulted = mapper.defaulted_keys
    for obj in objects:
        d = obj.__dict__
        for key in defaulted:  # None is no value where there is a default, as in SQLAlchemy
            if key in d and d[key] is None:
                del d[key]
        for key, default in mapper.insert_defaults:
            if key not in d:
                d[key] = default.value(None)
        present = tuple([k for k in insertable if k in d])
        if any(d[k] is None for k in pk_keys if k in d):  # a None key: the database makes it
            present = tuple([k for k in present if not (k in pk_keys and d[k] is None)])
        if groups and groups[-1][0] == present:
            groups[-1][1].append(obj)
        else:
            groups.append((present, [obj]))
    dialect = conn.dialect
    for present, objs in groups:
        record.inserted.extend(objs)
        column_keys = [mapper.columns_by_key[k].key for k in present]
        if all(k in present for k in pk_keys):
            params = [
                dict(zip(column_keys, [obj.__dict__[k] for k in present], strict=True))
                for obj in objs
            ]
            if params[0]:
                conn.execute(_insert_stmt(mapper), params)
            else:
                _insert_each(mapper, objs, conn)
            continue
        if dialect.insert_returning and dialect.supports_multivalues_insert and present:
            if len(present) > 1:
                values_of = operator.itemgetter(*present)
                rows = [values_of(obj.__dict__) for obj in objs]
            else:
                rows = [(obj.__dict__[present[0]],) for obj in objs]
            returned = conn.insert_many_returning(
                _returning_stmt(mapper),
                column_keys,
                rows,
                page_size(conn._execution_options, INSERT_BATCH),
            )
            if len(returned) != len(objs):
                raise exc.FlushError(
                    f"INSERT into {table.name!r} returned {len(returned)} keys for {len(objs)} rows"
                )
            for obj, row in zip(objs, returned, strict=True):
                d = obj.__dict__
                for key, value in zip(pk_keys, row, strict=True):
                    d[key] = value
        else:
            _insert_each(mapper, objs, conn)


def _returning_stmt(mapper: Mapper) -> Any:
    stmt = mapper.__dict__.get("_returning_stmt")
    if stmt is None:
        stmt = mapper.__dict__["_returning_stmt"] = insert(mapper.local_table).returning(
            *mapper.primary_key
        )
    return stmt


def _insert_stmt(mapper: Mapper) -> Any:
    stmt = mapper.__dict__.get("_insert_stmt")
    if stmt is None:
        stmt = mapper.__dict__["_insert_stmt"] = insert(mapper.local_table)
    return stmt


def _insert_each(mapper: Mapper, objs: list[Any], conn: Connection) -> None:
    stmt = _insert_stmt(mapper)
    for obj in objs:
        d = obj.__dict__
        params = {
            mapper.columns_by_key[k].key: d[k]
            for k in mapper.table_keys
            if k in d and not (k in mapper.pk_keys and d[k] is None)
        }
        generated = conn.execute(stmt, params or None).inserted_primary_key
        for key, value in zip(mapper.pk_keys, generated, strict=True):
            if d.get(key) is None:
                if value is None:
                    raise exc.FlushError(
                        f"the database gave no primary key for the new {mapper.class_.__name__}"
                        f" row; give {key!r} a value or make it an autoincrement column"
                    )
                d[key] = value


def pk_params(mapper: Mapper) -> tuple[str, ...]:
    """Parameter names for the primary key in the flush's UPDATE and DELETE.

    The UPDATE's SET parameters are named by attribute key, and an attribute may be called
    anything, ``_pk_0`` too: these names are made to differ from every attribute key.
    """
    names: tuple[str, ...] | None = mapper.__dict__.get("_ok_pk_params")
    if names is None:
        taken = set(mapper.columns_by_key)
        found = []
        for i in range(len(mapper.primary_key)):
            name = f"_pk_{i}"
            while name in taken:
                name = "_" + name
            found.append(name)
        names = mapper.__dict__["_ok_pk_params"] = tuple(found)
    return names


def pk_where(mapper: Mapper) -> Any:
    """``pk = :_pk_0 AND ...``, with the names of ``pk_params``."""
    names = pk_params(mapper)
    return and_(*[col == bindparam(n) for col, n in zip(mapper.primary_key, names, strict=True)])


def _update_stmt(mapper: Mapper, keys: tuple[str, ...]) -> Any:
    cache: dict[tuple[str, ...], Any] = mapper.__dict__.setdefault("_update_stmts", {})
    stmt = cache.get(keys)
    if stmt is None:
        columns = mapper.columns_by_key
        stmt = (
            update(mapper.local_table)
            .where(pk_where(mapper))
            .values({columns[k]: bindparam(k) for k in keys})
        )
        cache[keys] = stmt
    return stmt


def _update(
    mapper: Mapper, changes: list[tuple[Any, dict[str, Any]]], conn: Connection, record: FlushRecord
) -> None:
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    onupdates = mapper.onupdates
    pk_names = pk_params(mapper)
    updated = record.updated
    for obj, changed in changes:
        d = obj.__dict__
        for key, onupdate in onupdates:
            if key not in changed and not onupdate.is_clause_element:
                d[key] = changed[key] = onupdate.value(None)
        updated.append(obj)
        keys = tuple(sorted(changed))
        state = d[STATE]
        # a row inserted by this flush has no identity key yet (post_update): use its values
        pk = state.key[1] if state.key is not None else mapper.primary_key_from_instance(obj)
        changed.update(zip(pk_names, pk, strict=True))  # this flush made ``changed``: the params
        group = groups.get(keys)
        if group is None:
            group = groups[keys] = []
        group.append(changed)
    for keys, param_sets in groups.items():
        result = conn.execute(_update_stmt(mapper, keys), param_sets)
        _check_rowcount(conn, result.rowcount, param_sets, mapper, "UPDATE")
    if mapper.server_onupdate_keys:
        for obj, _ in changes:  # the database set these: read them again when next used
            d = obj.__dict__
            for key in mapper.server_onupdate_keys:
                d.pop(key, None)
            d[STATE].expired = True


def _post_updates(
    deferred: list[tuple[Any, Relationship]], conn: Connection, record: FlushRecord
) -> None:
    """Foreign keys of post_update relationships, set once both rows exist."""
    by_mapper: dict[Any, list[tuple[Any, dict[str, Any]]]] = {}
    for obj, rel in deferred:
        target = obj.__dict__.get(rel.key)
        values = (
            _key_values(target, rel.mapper, [r for r, _ in rel.pairs])
            if target is not None
            else [None] * len(rel.pairs)
        )
        changed = {}
        for (_, fk), value in zip(rel.pairs, values, strict=True):
            key = rel.parent.key_for_column(fk)
            obj.__dict__[key] = value
            changed[key] = value
        by_mapper.setdefault(rel.parent, []).append((obj, changed))
    for mapper, changes in by_mapper.items():
        _update(mapper, changes, conn, record)


# -- deleting -----------------------------------------------------------------------------------


def _clear_post_update_keys(plan: FlushPlan, conn: Connection, record: FlushRecord) -> None:
    """Before any DELETE: an UPDATE sets to NULL the ``post_update`` foreign keys of deleted
    rows that refer to rows this flush deletes too (themselves included), so the rows can go
    in any order. A key whose value is not loaded is cleared all the same."""
    deleted_keys: set[Any] | None = None
    for step in plan.steps:
        rels = [
            r
            for r in step.mapper.relationships.values()
            if r.post_update and r.direction is Direction.MANYTOONE and not r.viewonly
        ]
        if not rels or not step.deleted:
            continue
        if deleted_keys is None:
            deleted_keys = {
                o.__dict__[STATE].key
                for s in plan.steps
                for o in s.deleted
                if id(o) not in plan.switched_old
            }
        changes = []
        for obj in step.deleted:
            if id(obj) in plan.switched_old:
                continue
            cleared: dict[str, Any] = {}
            for rel in rels:
                target = _stored_target(obj, rel)
                if target is not None and (target is _MISSING or target in deleted_keys):
                    for _, fk in rel.pairs:
                        cleared[rel.parent.key_for_column(fk)] = None
            if cleared:
                changes.append((obj, cleared))
        if changes:
            _update(step.mapper, changes, conn, record)


def _stored_target(obj: Any, rel: Relationship) -> Any:
    """The identity key of the row that the database row of ``obj`` refers to through
    ``rel`` (a many-to-one), None when its foreign key is NULL, ``_MISSING`` when unknown."""
    d = obj.__dict__
    committed = d[STATE].committed or {}
    by_column: dict[int, Any] = {}
    for ref, fk in rel.pairs:
        key = rel.parent.key_for_column(fk)
        value = committed[key] if key in committed else d.get(key, _MISSING)
        if value is _MISSING or value is NO_VALUE:
            return _MISSING
        by_column[id(ref)] = value
    if all(v is None for v in by_column.values()):
        return None
    try:
        pk = tuple([by_column[id(c)] for c in rel.mapper.primary_key])
    except KeyError:  # refers to other columns than the primary key: cannot tell
        return _MISSING
    return (rel.mapper.class_, pk)


def _keys_of_deleted_children(mapper: Mapper, deleting: list[Any], plan: FlushPlan) -> None:
    """A deleted object appended to a collection still takes the owner's key, in memory
    only (its row goes): it reads as SQLAlchemy's does after the flush."""
    ids = {id(o) for o in deleting}
    for owner in plan.related:
        for rel in owner.__dict__[STATE].mapper.relationships.values():
            if rel.mapper is not mapper or rel.direction is not Direction.ONETOMANY:
                continue
            if rel.viewonly or rel.post_update:
                continue
            added = [c for col in collections_of(owner, rel) for c in col._ok_added]
            children = [c for c in added if id(c) in ids]
            if not children:
                continue
            values = _key_values(owner, rel.parent, [r for r, _ in rel.pairs])
            for child in children:
                for (_, fk), value in zip(rel.pairs, values, strict=True):
                    child.__dict__[mapper.key_for_column(fk)] = value


def _delete(step: Step, plan: FlushPlan, conn: Connection, record: FlushRecord) -> None:
    mapper = step.mapper
    deleting = step.deleted
    if plan.switched_old:
        record.deleted.extend(o for o in deleting if id(o) in plan.switched_old)
        deleting = [o for o in deleting if id(o) not in plan.switched_old]
        if not deleting:
            return
    dispatch = mapper.dispatch
    if dispatch.before_delete:
        _fire(dispatch.before_delete, mapper, conn, deleting)
    association_rows.delete_for(mapper, deleting, conn)
    self_rels = [
        r
        for r in mapper.relationships.values()
        if r.mapper is mapper
        and r.direction is not Direction.MANYTOMANY
        and not r.viewonly
        and not r.post_update
    ]
    if self_rels:
        by_pk = {obj.__dict__[STATE].key[1]: obj for obj in deleting}
        ids = {id(o) for o in deleting}
        edges: list[tuple[Any, Any, Relationship]] = []
        for obj in deleting:
            d = obj.__dict__
            for rel in self_rels:
                if rel.direction is Direction.MANYTOONE and rel.key in d:
                    parent = d[rel.key]
                else:  # find the parent among the deleted rows by the foreign key values
                    values = tuple(d.get(mapper.key_for_column(fk)) for _, fk in rel.pairs)
                    parent = by_pk.get(values)
                if parent is not None and id(parent) in ids:
                    edges.append((parent, obj, rel))
        levels = row_levels(deleting, edges, deleting=True)
        batches = list(reversed(levels))  # children before their parents
    else:
        batches = [deleting]
    if plan.related:  # once the order is known: a cycle leaves the objects as they were
        _keys_of_deleted_children(mapper, deleting, plan)
    stmt = mapper.__dict__.get("_delete_stmt")
    if stmt is None:
        stmt = mapper.__dict__["_delete_stmt"] = delete(mapper.local_table).where(pk_where(mapper))
    pk_names = pk_params(mapper)
    for batch in batches:
        if len(pk_names) == 1:
            name = pk_names[0]
            param_sets = [{name: obj.__dict__[STATE].key[1][0]} for obj in batch]
        else:
            param_sets = [
                dict(zip(pk_names, obj.__dict__[STATE].key[1], strict=True)) for obj in batch
            ]
        result = conn.execute(stmt, param_sets)
        _check_rowcount(conn, result.rowcount, param_sets, mapper, "DELETE")
        record.deleted.extend(batch)
    if dispatch.after_delete:
        _fire(dispatch.after_delete, mapper, conn, deleting)


def _check_rowcount(
    conn: Connection, rowcount: int, param_sets: list[dict[str, Any]], mapper: Mapper, what: str
) -> None:
    expected = len(param_sets)
    if rowcount < 0 or (expected > 1 and not conn.dialect.supports_sane_multi_rowcount):
        return
    if rowcount == expected:
        return
    # the parameter sets carry each row's primary key as _pk_0, _pk_1, ...
    width = len(mapper.primary_key)
    keys = ", ".join(repr(tuple(p[f"_pk_{i}"] for i in range(width))) for p in param_sets[:5])
    if expected > 5:
        keys += f" and {expected - 5} more"
    plural = "s" if expected != 1 else ""
    if what == "UPDATE":
        cause = (
            "another transaction deleted the row (or changed its primary key) since it was "
            "loaded; roll back, then load it again"
        )
    else:
        cause = "another transaction deleted the row already"
    message = (
        f"{what} of {mapper.class_.__name__} (table {mapper.local_table.name!r}) expected to "
        f"{what.lower()} {expected} row{plural} but matched {rowcount}, for primary "
        f"key{plural} {keys}: {cause}"
    )
    if what == "DELETE":
        # the rows are gone either way, as was asked: worth a warning, not a failed flush
        warnings.warn(exc.OrmkitWarning(message), stacklevel=6)
        return
    raise exc.StaleDataError(message)
