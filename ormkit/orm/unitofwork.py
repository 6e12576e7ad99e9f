"""What a flush must do, in what order: decided here, with no SQL of its own.

Before anything is sent, cascades run: objects reachable through ``save-update``
relationships join the session, ``delete`` cascades and orphans removed from
``delete-orphan`` collections are marked for deletion, and children of deleted parents get
their foreign keys cleared. Then mappers are ordered by how their rows depend on each other
(a row before the rows that point at it), breaking ``post_update`` links so cycles can flush.
Rows of one self-referential table are ordered the same way, row by row (``row_levels``);
a cycle among them, or a row referring to itself, is a ``CircularDependencyError``.
A new object with the primary key of an object this flush deletes takes over its row: the
pair becomes one UPDATE (a "row switch"), found only when a mapper has both kinds of rows.
Which columns an UPDATE sends is decided only when its turn comes, because foreign keys of
new parents are known only once those parents are inserted.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ormkit import exc
from ormkit.orm.mapper import mapper_of
from ormkit.orm.relationships import Direction, Relationship
from ormkit.orm.state import NO_VALUE, STATE, InstanceState
from ormkit.util import CycleError
from ormkit.util import sort as topological_sort

if TYPE_CHECKING:
    from ormkit.orm.mapper import Mapper
    from ormkit.orm.session import Session


@dataclass
class Step:
    """Everything one mapper contributes to a flush."""

    mapper: Mapper
    new: list[Any] = field(default_factory=list)
    modified: list[Any] = field(default_factory=list)
    deleted: list[Any] = field(default_factory=list)


@dataclass
class FlushPlan:
    """Steps in save order (reverse them for deletes), and every object involved."""

    steps: list[Step]
    objects: list[Any]
    #: ids of the objects this flush deletes: they get no key updates first
    deleted_ids: set[int] = field(default_factory=set)
    #: the objects whose classes have relationships: only they can move keys of others
    related: list[Any] = field(default_factory=list)
    #: row switches: id of a new object -> the deleted object whose primary key it has
    switched: dict[int, Any] = field(default_factory=dict)
    #: ids of the deleted objects of ``switched``: their rows are updated, not deleted
    switched_old: set[int] = field(default_factory=set)


def changed_values(
    obj: Any, committed: dict[str, Any] | None, columns: Any = None
) -> dict[str, Any]:
    """The column attributes of ``obj`` whose values differ from what the database holds."""
    if not committed:
        return {}
    d = obj.__dict__
    if columns is None:
        columns = d[STATE].mapper.columns_by_key
    changes = {}
    for key, old in committed.items():
        if key not in d or key not in columns:
            continue  # expired after the change, or a relationship: no column to send
        new = d[key]
        if old is new:
            continue
        if old is not NO_VALUE:
            try:
                if old == new and type(old) is type(new):
                    continue
            except Exception:  # pragma: no cover - a value whose == is odd: treat as changed
                pass
        changes[key] = new
    return changes


def outside_session(obj: Any) -> bool:
    """True for an object in no session (transient, or detached): a flush does not save it."""
    state = obj.__dict__.get(STATE)
    return state is None or state.session is None


def related_items(obj: Any, rel: Relationship) -> list[Any]:
    """The related objects currently loaded (or queued on a write-only collection)."""
    d = obj.__dict__
    value = d.get(rel.key)
    items: list[Any] = []
    if rel.uselist:
        if value is not None:
            items.extend(value)
        pending = d.get("_ok_writeonly_" + rel.key)
        if pending is not None:
            items.extend(pending)
    elif value is not None:
        items.append(value)
    return items


def is_modified(obj: Any, state: InstanceState, include_collections: bool) -> bool:
    """``Session.is_modified()``: an attribute holds a value the database does not have (any
    set value of a new object; a column, a many-to-one, or with ``include_collections`` a
    collection, changed since it was loaded)."""
    d = obj.__dict__
    rels = state.mapper.relationships.values()
    if state.key is None and state.flushed_values is not None:
        # new again, its INSERT rolled back: what changed since that flush (an attribute not
        # loaded has not changed)
        flushed = state.flushed_values
        return any(
            k in d and (k not in flushed or flushed[k] != d[k]) for k in state.mapper.table_keys
        )
    if state.key is None:
        if any(k in d for k in state.mapper.table_keys):
            return True
        return any(
            d.get(rel.key) is not None and (not rel.uselist or (include_collections and d[rel.key]))
            for rel in rels
        )
    if changed_values(obj, state.committed):
        return True
    committed = state.committed or {}
    for rel in rels:
        if rel.uselist:
            if include_collections and any(
                c._ok_added or c._ok_removed for c in collections_of(obj, rel)
            ):
                return True
        elif rel.key in committed and committed[rel.key] is not d.get(rel.key):
            return True
    return False


def values_as_flushed(obj: Any, state: InstanceState) -> dict[str, Any]:
    """The column values ``obj`` had at its last flush: those it holds, with each changed
    since put back to its old value (an attribute unloaded then is left out)."""
    d = obj.__dict__
    values = {k: d[k] for k in state.mapper.table_keys if k in d}
    for key, old in (state.committed or {}).items():
        if key in state.mapper.table_keys:
            if old is NO_VALUE:
                values.pop(key, None)
            else:
                values[key] = old
    return values


def related_and_removed(obj: Any, rel: Relationship) -> list[Any]:
    """The related objects loaded, and those taken out of its collections since the last
    flush (the flush still has to deal with them: an orphan is deleted, a link row too)."""
    items = related_items(obj, rel)
    if rel.uselist:
        for collection in collections_of(obj, rel):
            items.extend(collection._ok_removed)
        return items
    committed = obj.__dict__[STATE].committed
    previous = committed.get(rel.key) if committed else None
    if previous is not None and previous is not NO_VALUE and previous not in items:
        items.append(previous)  # the object it pointed at before this change
    return items


def cascaded(
    obj: Any, rule: str, *, load: bool = False, reached_by_load: set[int] | None = None
) -> list[Any]:
    """The objects reached from ``obj`` along relationships whose cascade has ``rule``
    (``"expunge"``, ``"refresh-expire"``, ``"delete"``), each once, ``obj`` itself left out:
    the loaded ones, or with ``load`` those not loaded too (the ids of those reached through
    a relationship this call loaded go into ``reached_by_load``)."""
    seen = {id(obj)}
    found: list[Any] = []
    stack = [obj]
    while stack:
        current = stack.pop()
        state = current.__dict__.get(STATE)
        if state is None:
            continue
        for rel in state.mapper.relationships.values():
            if rule not in rel.cascade or rel.viewonly:
                continue
            held = rel.key in current.__dict__
            items = _loading(current, state, rel) if load else related_items(current, rel)
            for item in items:
                if id(item) not in seen:
                    seen.add(id(item))
                    found.append(item)
                    stack.append(item)
                    if not held and reached_by_load is not None:
                        reached_by_load.add(id(item))
    return found


def delete_cascaded(obj: Any, reached_by_load: set[int] | None = None) -> list[Any]:
    """What deleting ``obj`` deletes with it: the objects along relationships whose cascade
    has ``delete``, at any depth, loading what is not loaded."""
    return cascaded(obj, "delete", load=True, reached_by_load=reached_by_load)


def _loading(obj: Any, state: InstanceState, rel: Relationship) -> list[Any]:
    """The related objects, loaded if need be; only those held when ``passive_deletes``
    leaves the rows to the database's ON DELETE CASCADE, or when ``obj`` is detached
    (nothing to load with: delete() attaches it after)."""
    if rel.key not in obj.__dict__ and (rel.passive_deletes or state.session is None):
        return related_items(obj, rel)
    return _load(obj, rel)


def collections_of(obj: Any, rel: Relationship) -> Iterator[Any]:
    """The tracking collections (loaded and write-only) of ``obj.<rel>``."""
    d = obj.__dict__
    for key in (rel.key, "_ok_writeonly_" + rel.key):
        value = d.get(key)
        if value is not None and hasattr(value, "_ok_added"):
            yield value


def cascade(session: Session) -> None:
    """Run save-update, delete and delete-orphan cascades into the session's change sets."""
    with session.no_autoflush:
        _cascade_save_update(session)
        _cascade_deletes_from_orphans(session, _cascade_orphans(session))
        _clear_foreign_keys_of_children(session)


def _with_relationships(objects: Iterable[Any]) -> list[Any]:
    """The objects whose classes have relationships (the only ones a cascade can start at)."""
    return [o for o in objects if o.__dict__[STATE].mapper.relationships]


def _cascade_save_update(session: Session) -> None:
    stack = _with_relationships([*session._new.values(), *session._modified.values()])
    seen: set[int] = set()
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        mapper = obj.__dict__[STATE].mapper
        for rel in mapper.relationships.values():
            if "save-update" not in rel.cascade or rel.viewonly:
                continue
            for item in (*related_items(obj, rel), *_queued_items(obj, rel)):
                state = item.__dict__.get(STATE)
                if state is None or state.session is None:
                    if state is None or not state.was_deleted:
                        _warn_not_added(obj, rel, item)
                elif state.deleted and state.session is session:
                    _warn_deleted_link(obj, rel, item)
                elif (
                    state.session is session
                    and id(item) not in seen
                    and (id(item) in session._new or id(item) in session._modified)
                ):
                    stack.append(item)


def _warn_deleted_link(owner: Any, rel: Relationship, item: Any) -> None:
    """A session object links to one whose DELETE this transaction flushed: as SQLAlchemy,
    the link is not written."""
    warnings.warn(
        exc.OrmkitWarning(
            f"{describe_row(item)} was deleted by a flush of this transaction, so "
            f"{type(owner).__name__}.{rel.key} of {describe_row(owner)} is not saved as a "
            "link to it: link another object, or roll back to bring the row back"
        ),
        stacklevel=5,
    )


def _queued_items(obj: Any, rel: Relationship) -> list[Any]:
    """The objects backrefs added to ``obj``'s unloaded collection ``rel`` (and kept)."""
    links = obj.__dict__[STATE].pending_links
    if not links or rel.key not in links:
        return []
    kept: dict[int, tuple[bool, Any]] = {}
    for added, item in links[rel.key]:  # the last link made to an object counts
        kept[id(item)] = (added, item)
    return [item for added, item in kept.values() if added]


def _warn_not_added(owner: Any, rel: Relationship, item: Any) -> None:
    """A session object links to one that is not in the session (a backref set the link,
    or it was made after the owner was added): as in SQLAlchemy 2.x, it is not saved."""
    cls = type(item).__name__
    warnings.warn(
        exc.OrmkitWarning(
            f"{cls} object is not in the session, so it is not saved along "
            f"{type(owner).__name__}.{rel.key}: add it with session.add() (setting the other "
            f"side of a relationship does not add it, as in SQLAlchemy 2.x)"
        ),
        stacklevel=5,
    )


def _cascade_orphans(session: Session) -> list[Any]:
    """Delete (or drop, if never flushed) the orphans of delete-orphan relationships; the
    persistent ones found are returned."""
    orphans: list[Any] = []
    for item in _parentless(session):  # their parents' collections were expired since
        _drop_orphan(session, item, orphans, drop_new=True)
    for obj in _with_relationships([*session._new.values(), *session._modified.values()]):
        owner_state = obj.__dict__[STATE]
        mapper = owner_state.mapper
        for rel in mapper.relationships.values():
            if "delete-orphan" not in rel.cascade:
                continue
            for collection in collections_of(obj, rel):
                for item in collection._ok_orphans:
                    if any(item is kept for kept in collection):
                        continue  # removed, then put back
                    if owner_state.key is None and _has_row(item):
                        continue  # no link to an owner never flushed was written: none lost
                    if _has_another_parent(session, item, rel):
                        continue  # moved to another parent's collection
                    _drop_orphan(session, item, orphans, drop_new=False)
            if not rel.uselist:
                old = (obj.__dict__[STATE].committed or {}).get(rel.key, NO_VALUE)
                if old is not NO_VALUE and old is not None and old is not obj.__dict__.get(rel.key):
                    state = old.__dict__.get(STATE)
                    if state is not None and state.key is not None and state.session is session:
                        session._deleted[id(old)] = old
                        orphans.append(old)
    return orphans


def _parentless(session: Session) -> list[Any]:
    """The objects removed from a delete-orphan collection (of a parent outside the session,
    or one expired since) that still have no parent."""
    found = []
    for item, rel in session._orphans:
        reverse = rel.reverse
        if reverse is None or rel not in (item.__dict__[STATE].orphaned_from or ()):
            continue  # given a parent again since
        # None, or expired since (the parent it lost is what is known): still an orphan
        parent = item.__dict__.get(reverse.key, NO_VALUE)
        if parent is None or parent is NO_VALUE:
            found.append(item)
    return found


def drop_new_orphans(session: Session) -> None:
    """Drop the never-flushed objects among :func:`_parentless` ones from the session."""
    for item in _parentless(session):
        state = item.__dict__[STATE]
        if state.key is None and state.session is session:
            session._new.pop(id(item), None)
            state.session = None


def _has_row(obj: Any) -> bool:
    state = obj.__dict__.get(STATE)
    return state is not None and state.key is not None


def _has_another_parent(session: Session, item: Any, rel: Any) -> bool:
    """Whether ``item``, removed from one collection of ``rel``, is in another one now: its
    many-to-one side names a parent, or a changed parent's loaded collection holds it."""
    reverse = rel.reverse
    if reverse is not None:
        parent = item.__dict__.get(reverse.key, NO_VALUE)
        if parent is not NO_VALUE:
            return parent is not None
    for owner in [*session._new.values(), *session._modified.values()]:
        held = owner.__dict__.get(rel.key) if isinstance(owner, rel.parent.class_) else None
        if held is not None and any(item is kept for kept in held):
            return True
    return False


def _drop_orphan(session: Session, item: Any, orphans: list[Any], drop_new: bool) -> None:
    """An object out of its delete-orphan parent: DELETEd; if never flushed, dropped when
    ``drop_new`` (it left a parent outside the session, or one expired since). A new object
    that left a parent in the session was expunged then: in the session again, it was added
    back, and is INSERTed as SQLAlchemy does."""
    state = item.__dict__.get(STATE)
    if state is None or state.session is not session or id(item) in session._deleted:
        return  # (found twice: from its parent's collection and from the session's list)
    if state.key is None:
        if drop_new:
            session._new.pop(id(item), None)  # never flushed: simply dropped
            state.session = None
    else:
        session._deleted[id(item)] = item
        orphans.append(item)


def _cascade_deletes_from_orphans(session: Session, orphans: list[Any]) -> None:
    """Cascade ``delete`` from the orphans this flush deletes. delete() cascaded from the
    objects it was given when it was called, as SQLAlchemy does: a child linked to a deleted
    parent after that is not deleted with it (its UPDATE then names a row going away)."""
    for orphan in _with_relationships(orphans):
        for child in delete_cascaded(orphan):
            state = child.__dict__.get(STATE)
            if state is None or state.session is not session or state.key is None:
                continue
            if not state.deleted:  # not deleted by an earlier flush of this transaction
                session._deleted.setdefault(id(child), child)


def _clear_foreign_keys_of_children(session: Session) -> None:
    """The children of a deleted parent along a one-to-many that does not cascade the
    delete keep their rows: their foreign key is set to NULL."""
    for obj in _with_relationships(list(session._deleted.values())):
        for rel in obj.__dict__[STATE].mapper.relationships.values():
            if rel.viewonly or rel.direction is not Direction.ONETOMANY or "delete" in rel.cascade:
                continue
            if rel.passive_deletes == "all":
                continue
            if rel.passive_deletes and rel.key not in obj.__dict__:
                continue  # not loaded: the database's ON DELETE rule sees to the rows
            for child in _load(obj, rel):
                if id(child) in session._deleted or outside_session(child):
                    continue  # (a child out of the session is not flushed, as SQLAlchemy)
                _clear_foreign_key(session, child, rel)


def _load(obj: Any, rel: Relationship) -> list[Any]:
    """The related objects, loading them if needed (a flush must see every child)."""
    if rel.lazy in ("write_only", "dynamic"):
        from ormkit.orm.strategies import lazy_load

        session = obj.__dict__[STATE].session
        loaded = lazy_load(session, obj, rel)
        return list(loaded) if rel.uselist else ([loaded] if loaded is not None else [])
    value = getattr(obj, rel.key)
    if rel.uselist:
        return list(value)
    return [value] if value is not None else []


def _clear_foreign_key(session: Session, child: Any, rel: Relationship) -> None:
    mapper = rel.mapper
    d = child.__dict__
    state = d[STATE]
    for _, fk in rel.pairs:
        key = mapper.key_for_column(fk)
        if d.get(key) is not None:
            if state.key is not None:
                state.modified_event(child, key, d)
            d[key] = None
    if state.key is not None:
        session._modified[id(child)] = child


def mapper_order(mappers: Iterable[Mapper]) -> list[Mapper]:
    """Mappers in save order: a mapper before those whose rows point at its rows."""
    chosen = list(dict.fromkeys(mappers))
    by_table: dict[Any, list[Mapper]] = {}
    for mapper in chosen:
        by_table.setdefault(mapper.local_table, []).append(mapper)
    post_update_columns: set[int] = set()
    for mapper in chosen:
        for rel in mapper.relationships.values():
            if rel.post_update:
                post_update_columns.update(id(fk) for _, fk in rel.pairs)
    edges = []
    for mapper in chosen:
        for fk in mapper.local_table.foreign_keys:
            if id(fk.parent) in post_update_columns:
                continue
            for parent in by_table.get(fk.column.table, []):
                edges.append((parent, mapper))
    try:
        return topological_sort(chosen, edges)
    except CycleError as err:
        names = ", ".join(m.class_.__name__ for m in err.cycle)  # type: ignore[attr-defined]
        raise exc.CircularDependencyError(
            f"rows of {names} point at each other in a cycle; mark one of the relationships "
            "post_update=True so its foreign key is set by an UPDATE after both rows exist",
            err.cycle,
        ) from None


def plan(session: Session, objects: Iterable[Any] | None = None) -> FlushPlan:
    """The steps of a flush of ``session`` (or only of ``objects``)."""
    new = list(session._new.values())
    modified = list(session._modified.values())
    deleted = list(session._deleted.values())
    if objects is not None:
        chosen = {id(o) for o in objects}
        new = [o for o in new if id(o) in chosen]
        modified = [o for o in modified if id(o) in chosen]
        deleted = [o for o in deleted if id(o) in chosen]
    steps: dict[Mapper, Step] = {}

    def step_for(mapper: Mapper) -> Step:
        step = steps.get(mapper)
        if step is None:
            step = steps[mapper] = Step(mapper)
        return step

    deleted_ids = {id(o) for o in deleted}
    for objs, kind in ((new, "new"), (modified, "modified"), (deleted, "deleted")):
        # objects of one class tend to come in runs: look the step up once per run
        mapper: Any = None
        bucket: list[Any] = []
        for obj in objs:
            state = obj.__dict__[STATE]
            if kind == "modified" and (
                state.key is None or state.deleted or id(obj) in deleted_ids
            ):
                continue
            if state.mapper is not mapper:
                mapper = state.mapper
                bucket = getattr(step_for(mapper), kind)
            bucket.append(obj)
    # mappers linked to the changed ones take part too: their rows may need key updates
    for mapper in list(steps):
        for rel in mapper.relationships.values():
            if rel.mapper not in steps:
                steps[rel.mapper] = Step(rel.mapper)
    order = mapper_order(steps)
    related = [
        obj
        for mapper, step in steps.items()
        if mapper.relationships
        for obj in (*step.new, *step.modified, *step.deleted)
    ]
    result = FlushPlan([steps[m] for m in order], [*new, *modified, *deleted], deleted_ids, related)
    if deleted and new:
        for step in result.steps:
            if step.new and step.deleted:
                _find_row_switches(step, result)
    return result


def _find_row_switches(step: Step, plan: FlushPlan) -> None:
    """New objects of ``step`` whose primary key is that of an object the flush deletes: the
    new object takes over the row (one UPDATE), the deleted one ends deleted."""
    pk_keys = step.mapper.pk_keys
    by_key = {obj.__dict__[STATE].key[1]: obj for obj in step.deleted}
    for obj in step.new:
        d = obj.__dict__
        pk = tuple([d.get(k) for k in pk_keys])
        old = by_key.pop(pk, None) if None not in pk else None
        if old is not None:
            plan.switched[id(obj)] = old
            plan.switched_old.add(id(old))


def row_levels(
    objs: Sequence[Any],
    edges: Sequence[tuple[Any, Any, Relationship]],
    *,
    deleting: bool = False,
) -> list[list[Any]]:
    """``objs`` in levels, each object after the objects (among ``objs``) it refers to.

    ``edges`` are ``(referenced, referring, relationship)`` triples between rows of one
    flush; a row they name that is not in ``objs`` (a persistent row being updated) takes
    part in the cycle check only. A cycle raises ``CircularDependencyError``, and so does a
    row referring to itself: the flush writes a row after the row it refers to, and deletes
    it before (MariaDB refuses even one DELETE of a row referring to itself).
    """
    nodes: dict[int, Any] = {id(o): o for o in objs}
    pairs: list[tuple[int, int]] = []
    for referenced, referring, rel in edges:
        if referenced is referring:
            raise _cycle_error([referring], [rel], deleting, edges)
        nodes.setdefault(id(referenced), referenced)
        nodes.setdefault(id(referring), referring)
        pairs.append((id(referenced), id(referring)))
    try:
        order = topological_sort(list(nodes), pairs)
    except CycleError as err:
        path, rels = _find_cycle(err.cycle, nodes, edges)
        raise _cycle_error(path, rels, deleting, edges) from None
    levelled = {id(o) for o in objs}
    parents: dict[int, list[int]] = {}
    for a, b in pairs:
        parents.setdefault(b, []).append(a)
    # a persistent row the flush updates counts as a level of its own, as in SQLAlchemy's
    # sort: a new row referring to it comes after the new rows that refer to nothing
    depth: dict[int, int] = {}
    levels: dict[int, list[Any]] = {}
    for key in order:
        level = depth[key] = max((depth[p] + 1 for p in parents.get(key, ())), default=0)
        if key in levelled:
            levels.setdefault(level, []).append(nodes[key])
    # each level in the order of objs (the order objects joined the session), as SQLAlchemy
    # writes them: the keys a database generates follow it
    position = {id(o): i for i, o in enumerate(objs)}
    return [sorted(levels[d], key=lambda o: position[id(o)]) for d in sorted(levels)]


def _find_cycle(
    rest: list[Any], nodes: dict[int, Any], edges: Sequence[tuple[Any, Any, Relationship]]
) -> tuple[list[Any], list[Relationship]]:
    """One cycle among ``rest`` (the ids a sort could not order): the objects, each referring
    to the next (the last to the first), and the relationship of each reference."""
    unordered = set(rest)
    refers_to: dict[int, tuple[int, Relationship]] = {}
    for referenced, referring, rel in edges:
        a, b = id(referenced), id(referring)
        if a != b and a in unordered and b in unordered:
            refers_to.setdefault(b, (a, rel))
    # each unordered row waits for another unordered row: walking on must come back round
    seen: dict[int, int] = {}
    walk: list[tuple[int, Relationship]] = []
    node = rest[0]
    while node not in seen:
        seen[node] = len(walk)
        target, rel = refers_to[node]
        walk.append((node, rel))
        node = target
    cycle = walk[seen[node] :]
    return [nodes[n] for n, _ in cycle], [rel for _, rel in cycle]


def _cycle_error(
    path: list[Any],
    rels: list[Relationship],
    deleting: bool,
    edges: Sequence[tuple[Any, Any, Relationship]],
) -> exc.CircularDependencyError:
    names = ", ".join(dict.fromkeys(f"{r.parent.class_.__name__}.{r.key}" for r in rels))
    if len(path) == 1:
        what = f"{describe_row(path[0])} refers to itself through {names}"
    else:
        chain = " -> ".join(describe_row(o) for o in [*path, path[0]])
        what = f"rows refer to each other in a cycle through {names}: {chain}"
    if deleting:
        rule = "the flush deletes a row only after the rows that refer to it"
        fix = "its foreign key is then cleared by an UPDATE before the rows are deleted"
    else:
        rule = "the flush writes a row only after the row it refers to"
        fix = "its foreign key is then set by a second UPDATE once the rows are written"
    members = {id(o) for o in path}
    among = [(a, b) for a, b, _ in edges if id(a) in members and id(b) in members]
    return exc.CircularDependencyError(
        f"Circular dependency in this flush: {what}, and {rule}, so no order of statements "
        f"can work. Configure relationship(..., post_update=True) on {names}: {fix}.",
        path,
        among,
    )


def describe_row(obj: Any) -> str:
    """A short description of a mapped object, for messages: its ``repr()`` when its class
    defines one, otherwise the class with the primary key (a new object: a few values)."""
    cls = type(obj)
    if any("__repr__" in vars(c) for c in cls.__mro__[:-1]):
        try:
            text = repr(obj)
        except Exception:  # a repr that fails must not hide the error being reported
            text = ""
        if text:
            return text if len(text) <= 60 else text[:57] + "..."
    d = obj.__dict__
    state = d.get(STATE)
    mapper = state.mapper if state is not None else mapper_of(cls)
    if mapper is None:
        return f"{cls.__name__} object"
    if state is not None and state.key is not None:
        values = list(zip(mapper.pk_keys, state.key[1], strict=True))
        prefix = ""
    else:
        values = [(k, d[k]) for k in mapper.table_keys if d.get(k) is not None][:2]
        prefix = "new "
    shown = ", ".join(f"{k}={_short(v)}" for k, v in values)
    return f"{prefix}{cls.__name__}({shown})"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 20 else text[:17] + "..."
