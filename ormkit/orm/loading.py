"""Rows to objects: the hot path of every ORM query.

A ``SelectPlan`` is worked out once per statement shape: a ``RowLayout`` per entity (where
each mapped column sits in the row, which positions hold the primary key), the field names and
the Row maker. ``load_objects`` then turns a batch of rows into objects in one loop: per row it
makes the identity key, returns the object already in the identity map when there is one, and
otherwise creates the object without calling ``__init__`` and fills ``__dict__`` in one step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ormkit import exc
from ormkit.engine.result import Result, _ListCursor, row_class
from ormkit.orm.events import LoadContext
from ormkit.orm.identity import KeyedRef
from ormkit.orm.state import STATE, InstanceState
from ormkit.sql.plugins import columns_clause, resolve
from ormkit.util import LRUCache, gc_paused

if TYPE_CHECKING:
    from ormkit.orm.mapper import Mapper
    from ormkit.orm.session import Session


class RowLayout:
    """Where one mapper's attributes sit in a row: worked out once per (mapper, keys,
    positions). ``keys`` are the attributes the row holds (by default every column's)."""

    __slots__ = ("cls", "keys", "mapper", "pairs", "pk_positions", "single_pk", "start")

    def __init__(
        self, mapper: Mapper, positions: Sequence[int], keys: tuple[str, ...] | None = None
    ) -> None:
        keys = mapper.table_keys if keys is None else keys
        key_positions = dict(zip(keys, positions, strict=True))
        self.mapper = mapper
        self.cls = mapper.class_
        self.keys = keys
        self.pk_positions = [key_positions[k] for k in mapper.pk_keys]
        self.single_pk = self.pk_positions[0] if len(self.pk_positions) == 1 else None
        self.pairs = list(zip(keys, positions, strict=True))
        first = positions[0] if positions else 0
        contiguous = list(positions) == list(range(first, first + len(positions)))
        #: the position of the first column when the columns sit side by side, else None
        self.start = first if contiguous else None


def row_layout(
    mapper: Mapper, positions: Sequence[int], keys: tuple[str, ...] | None = None
) -> RowLayout:
    """The (cached) RowLayout of ``mapper``'s attributes ``keys`` at ``positions``."""
    layouts: dict[Any, RowLayout] = mapper.__dict__.setdefault("_ok_layouts", {})
    key = (tuple(positions), keys)
    found = layouts.get(key)
    if found is None:
        found = layouts[key] = RowLayout(mapper, positions, keys)
    return found


def load_objects(
    session: Session,
    layout: RowLayout,
    rows: Sequence[Sequence[Any]],
    populate_existing: bool = False,
    refreshed: list[tuple[Any, list[str]]] | None = None,
) -> list[Any]:
    """The mapped objects whose columns sit in ``rows`` as ``layout`` says, identity-mapped.

    The list is aligned with the rows: None where a row holds no such object (an outer join
    that found nothing). Objects made from rows fire ``load`` and ``loaded_as_persistent``,
    and those refilled ``refresh`` (see _load_notifying; ``refreshed`` is its own).
    """
    if refreshed is None and (
        session.dispatch.listened or layout.mapper.instance_dispatch.listened
    ):
        events = layout.mapper.instance_dispatch
        if session.dispatch.loaded_as_persistent or events.load or events.refresh:
            return _load_notifying(session, layout, rows, populate_existing)
    cls, mapper, keys, pairs = layout.cls, layout.mapper, layout.keys, layout.pairs
    single_pk, pk_positions, start = layout.single_pk, layout.pk_positions, layout.start
    identity = session.identity_map
    refs = identity._refs
    get = refs.get
    make: Any = cls.__new__
    new_state = InstanceState.__new__
    keyed_ref = KeyedRef
    collected = identity.on_collected
    out: list[Any] = []
    append = out.append
    with gc_paused(len(rows)):  # the objects made are not garbage: see ormkit.util.gcpause
        for row in rows:
            if single_pk is not None:
                pk_value = row[single_pk]
                if pk_value is None:  # an outer join found no row for this entity
                    append(None)
                    continue
                key = (cls, (pk_value,))
            else:
                pk = tuple([row[i] for i in pk_positions])
                if all(v is None for v in pk):
                    append(None)
                    continue
                key = (cls, pk)
            ref = get(key)
            if ref is not None:
                obj = ref()
                if obj is not None:
                    _refill(obj, row, pairs, populate_existing, refreshed)
                    append(obj)
                    continue
            obj = make(cls)
            d = obj.__dict__
            if start == 0:
                d.update(zip(keys, row, strict=False))  # stops at the last key
            elif start is not None:
                d.update(zip(keys, row[start:], strict=False))
            else:
                d.update([(k, row[i]) for k, i in pairs])
            state = new_state(InstanceState)
            state.mapper = mapper
            state.session = session
            state.key = key
            d[STATE] = state
            weak = keyed_ref(obj, collected)  # the entry goes when the object does
            weak.key = key
            refs[key] = weak
            append(obj)
    return out


def _load_notifying(
    session: Session, layout: RowLayout, rows: Sequence[Sequence[Any]], populate_existing: bool
) -> list[Any]:
    """load_objects() with listeners waiting: the objects it made, and those it refilled,
    are told once the rows are all loaded."""
    before = set(session.identity_map._refs)
    refreshed: list[tuple[Any, list[str]]] = []
    out = load_objects(session, layout, rows, populate_existing, refreshed)
    made = {id(o): o for o in out if o is not None and o.__dict__[STATE].key not in before}
    events = layout.mapper.instance_dispatch
    context = LoadContext(session)
    for obj in made.values():
        for listener in events.load:
            listener(obj, context)
        for persisted in session.dispatch.loaded_as_persistent:
            persisted(session, obj)
    for obj, keys in refreshed:
        for listener in events.refresh:
            listener(obj, context, keys)
    return out


def _refill(
    obj: Any,
    row: Sequence[Any],
    pairs: list[tuple[str, int]],
    overwrite: bool,
    refreshed: list[tuple[Any, list[str]]] | None,
) -> None:
    """A row for an object already in the identity map: fill what was expired (or, with
    populate_existing, everything, unless it has unflushed changes). With ``refreshed``
    (refresh listeners wait), the object and the keys filled are noted there."""
    d = obj.__dict__
    if overwrite and not d[STATE].modified:
        for k, i in pairs:
            d[k] = row[i]
        if refreshed is not None:
            refreshed.append((obj, [k for k, _ in pairs]))
    elif refreshed is None:
        for k, i in pairs:  # never overwrite changes
            if k not in d:
                d[k] = row[i]
    else:
        filled = [k for k, _ in pairs if k not in d]
        for k, i in pairs:
            if k not in d:
                d[k] = row[i]
        if filled:
            refreshed.append((obj, filled))


# -- running a select of mapped classes ---------------------------------------------------------


class _Joined:
    """One joined-eager relationship: where its target's columns sit in the row."""

    def __init__(
        self,
        rel: Any,
        parent: int | _Joined,
        positions: list[int],
        deeper: list[Any],
        keys: tuple[str, ...],
    ) -> None:
        self.rel = rel
        self.parent = parent  # index of the main entity, or the joined step it hangs off
        self.layout = row_layout(rel.mapper, positions, keys)
        self.deeper = deeper
        self.depth = 0  # how deep in the options' paths this step's target sits


def layout(entities: Sequence[Any]) -> list[tuple[str, Any]]:
    """Where each requested entity's values sit in the row."""
    from ormkit.orm.mapper import mapper_of
    from ormkit.sql.selectable import FromClause

    out: list[tuple[str, Any]] = []
    position = 0
    for entity in entities:
        mapper = mapper_of(getattr(entity, "_ok_aliased_mapper", None) or entity)
        if mapper is not None:
            source = columns_clause(entity)
            columns = list(source.columns)
            if source is mapper.selection and source is not mapper.local_table:
                # the mapping's own column list: its attributes, one after the other
                keys = mapper.load_keys
                positions = list(range(position, position + len(keys)))
                out.append(("entity", row_layout(mapper, positions, keys)))
            else:
                # a table or an alias of it: its columns that are not deferred, by name
                by_name = {c.name: position + i for i, c in enumerate(columns)}
                keys = mapper.column_load_keys
                positions = [by_name[mapper.columns_by_key[k].name] for k in keys]
                out.append(("entity", row_layout(mapper, positions, keys)))
            position += len(columns)
        else:
            resolved = resolve(entity)
            width = len(resolved.columns) if isinstance(resolved, FromClause) else 1
            out.append(("column", position))
            position += width
    return out


class SelectPlan:
    """How the rows of one select of mapped classes become its result."""

    __slots__ = ("fields", "joined", "make_row", "related", "row_cls", "shape", "single")

    def __init__(
        self, entities: Sequence[Any], shape: list[tuple[str, Any]], joined: list[_Joined]
    ) -> None:
        #: per requested entity: ("entity", RowLayout) or ("column", position)
        self.shape = shape
        self.joined = joined
        self.fields = [_entity_name(e) for e in entities]
        #: one mapped class and nothing else: the result's rows are its objects
        self.single = len(shape) == 1 and shape[0][0] == "entity"
        #: some entity's class has relationships (eager loads to run, lazy loads to count)
        self.related = any(kind == "entity" and value.mapper.relationships for kind, value in shape)
        self.row_cls = row_cls = row_class(self.fields)
        new = tuple.__new__
        #: the Row of a single-entity result, from its object
        self.make_row: Callable[[Any], Any] = lambda obj: new(row_cls, (obj,))


def prepare_select(
    stmt: Any, entities: Sequence[Any], options: Sequence[Any], depth: int = 0
) -> tuple[Any, SelectPlan]:
    """Rewrite ``stmt`` for joined eager loads; (statement, plan).

    Most queries have no joined eager loads: their plan is cached by statement shape,
    entities and options, so a repeated query shape costs one dict lookup here.
    """
    from ormkit.orm.strategies import eager_plan, joined_columns
    from ormkit.sql import cache_key

    try:
        plan_key: Any = (
            cache_key.generate(stmt)[0],
            tuple(entities),
            tuple(o.path for o in options),
            depth,
        )
        cached = _plans.get(plan_key)
    except TypeError:  # something unhashable in the statement: no caching
        plan_key, cached = None, None
    if cached is not None:
        return stmt, cached
    shape = layout(entities)
    width = _row_width(entities)
    joined: list[_Joined] = []
    limited = stmt._limit is not None or stmt._offset is not None
    for index, (kind, value) in enumerate(shape):
        if kind != "entity":
            continue
        mapper = value.mapper
        source = resolve(entities[index])

        def walk(
            mapper: Any, source: Any, parent: int | _Joined, opts: list[Any], depth: int
        ) -> None:
            nonlocal stmt, width
            plan = eager_plan(mapper, opts, depth)
            for key, (strategy, deeper) in plan.items():
                rel = mapper.relationships[key]
                if strategy not in ("joined", "contains_eager"):
                    continue
                if strategy == "joined" and limited and rel.uselist:
                    continue  # LIMIT would cut the joined rows: selectin loads these instead
                stmt, target = joined_columns(stmt, rel, source, strategy == "contains_eager")
                count = len(target.columns)
                by_name = {c.name: width + i for i, c in enumerate(target.columns)}
                target_mapper = rel.mapper
                keys = target_mapper.column_load_keys
                positions = [by_name[target_mapper.columns_by_key[k].name] for k in keys]
                step = _Joined(rel, parent, positions, deeper, keys)
                step.depth = depth + 1
                joined.append(step)
                width += count
                walk(target_mapper, target, step, deeper, depth + 1)

        walk(mapper, source, index, list(options), depth)
    plan = SelectPlan(entities, shape, joined)
    if not joined and plan_key is not None:
        _plans.put(plan_key, plan)
    return stmt, plan


#: plans of queries without joined eager loads, by (statement shape, entities, options)
_plans: LRUCache[Any, SelectPlan] = LRUCache(1000)


def clear_plans() -> None:
    """Forget every cached select plan (a mapping changed: a column or relationship added)."""
    _plans.clear()


def _row_width(entities: Sequence[Any]) -> int:
    from ormkit.orm.mapper import mapper_of
    from ormkit.sql.selectable import FromClause

    width = 0
    for entity in entities:
        resolved = columns_clause(entity)
        if mapper_of(
            getattr(entity, "_ok_aliased_mapper", None) or entity
        ) is not None or isinstance(resolved, FromClause):
            width += len(resolved.columns)
        else:
            width += 1
    return width


def objects_result(
    session: Session,
    plan: SelectPlan,
    rows: list[Any],
    options: Sequence[Any],
    populate_existing: bool,
    depth: int = 0,
) -> Any:
    """Rows to (identity-mapped) objects, with joined and selectin eager loads applied.

    ``depth`` is how far into the loader options' paths these objects sit (0 for the
    objects a query asked for, 1 for what ``selectinload(A.b)`` loads for them, ...).
    """
    shape, joined, single = plan.shape, plan.joined, plan.single
    if single and not joined and not plan.related:  # the common case, in a few steps
        return ObjectResult(load_objects(session, shape[0][1], rows, populate_existing), plan)
    from ormkit.orm.strategies import eager_plan, lazy_strategies, run_selectin

    # column-wise: each entity's objects (or each column's values), aligned with the rows
    columns: list[list[Any]] = [
        load_objects(session, value, rows, populate_existing)
        if kind == "entity"
        else [row[value] for row in rows]
        for kind, value in shape
    ]
    aligned: dict[int, list[Any]] = {}  # each joined step's objects, aligned with the rows
    step_children: dict[int, list[Any]] = {}  # ... and its distinct objects
    for step in joined:
        loaded = load_objects(session, step.layout, rows, populate_existing)
        parents = columns[step.parent] if isinstance(step.parent, int) else aligned[id(step.parent)]
        aligned[id(step)] = loaded
        step_children[id(step)] = _attach_joined(step.rel, parents, loaded, populate_existing)
    entity_indexes = [i for i, (kind, _) in enumerate(shape) if kind == "entity"]
    result_rows: list[Any] = columns[0] if single else list(zip(*columns, strict=True))
    if joined:  # the same parent row again, for another joined child: keep the first
        kinds = [kind for kind, _ in shape]
        seen_rows: set[Any] = set()
        unique_rows = []
        for made in result_rows:
            identity = (
                id(made)
                if single
                else tuple(
                    id(m) if kind == "entity" else hash(_hashable(m))
                    for kind, m in zip(kinds, made, strict=True)
                )
            )
            if identity not in seen_rows:
                seen_rows.add(identity)
                unique_rows.append(made)
        result_rows = unique_rows
    # selectin loads and per-object strategies, per entity
    for i in entity_indexes:
        mapper = shape[i][1].mapper
        if not mapper.relationships:
            continue  # nothing to load eagerly, no lazy loads to count
        objs = [o for o in columns[i] if o is not None]
        eager = eager_plan(mapper, options, depth)
        _tag(objs, eager, lazy_strategies(eager), depth)
        for key, (strategy, deeper) in eager.items():
            if strategy == "selectin" or (
                strategy == "joined" and not any(s.rel.key == key and s.parent == i for s in joined)
            ):
                run_selectin(session, objs, mapper.relationships[key], deeper, depth)
    for step in joined:
        eager = eager_plan(step.rel.mapper, step.deeper, step.depth)
        for key, (strategy, deeper) in eager.items():
            if strategy == "selectin":
                run_selectin(
                    session,
                    step_children[id(step)],
                    step.rel.mapper.relationships[key],
                    deeper,
                    step.depth,
                )
    if single:
        return ObjectResult(result_rows, plan)
    return Result(_ListCursor(result_rows), plan.fields, None, row_class(plan.fields))


def _attach_joined(
    rel: Any, parents: list[Any], children: list[Any], populate_existing: bool
) -> list[Any]:
    """Set ``rel`` on each parent from the joined rows; the distinct children, in row order.

    ``parents`` and ``children`` are aligned with the rows. A relationship already loaded on
    a parent is kept unless ``populate_existing``.
    """
    from ormkit.orm.collections import new_collection

    groups: dict[int, tuple[Any, list[Any]]] = {}
    distinct: dict[int, Any] = {}
    pairs_seen: set[tuple[int, int]] = set()
    for parent, child in zip(parents, children, strict=True):
        if parent is None:
            continue
        group = groups.get(id(parent))
        if group is None:
            group = groups[id(parent)] = (parent, [])
        if child is None:
            continue
        pair = (id(parent), id(child))
        if pair not in pairs_seen:
            pairs_seen.add(pair)
            group[1].append(child)
            distinct[id(child)] = child
    key = rel.key
    for parent, kids in groups.values():
        d = parent.__dict__
        if key in d and not populate_existing:
            continue
        d[key] = new_collection(rel, parent, kids) if rel.uselist else (kids[0] if kids else None)
    return list(distinct.values())


def _tag(objects: list[Any], plan: dict[str, Any], strategies: dict[str, str], depth: int) -> None:
    from ormkit.orm.strategies import LoadBatch

    if not objects:
        return
    batch = LoadBatch(len(objects), strategies)
    for key, (strategy, deeper) in plan.items():
        if deeper and strategy not in ("selectin", "joined", "contains_eager"):
            batch.deeper[key] = (deeper, depth + 1)  # e.g. defaultload(A.b).selectinload(B.c)
    for obj in objects:
        obj.__dict__[STATE].load_batch = batch
    del plan


def _hashable(value: Any) -> Any:
    try:
        hash(value)
        return value
    except TypeError:
        return id(value)


def _entity_name(entity: Any) -> str:
    if isinstance(entity, type):
        return entity.__name__
    name = getattr(entity, "_ok_name", None)
    if name:
        return str(name)
    return str(getattr(entity, "key", None) or getattr(entity, "name", None) or "anon")


def check_streamable(plan: SelectPlan) -> None:
    """Refuse ``yield_per`` for a select that joins a collection in."""
    for step in plan.joined:
        if step.rel.uselist:
            raise exc.InvalidRequestError(
                f"yield_per cannot be used with joined eager loading of the collection "
                f"{step.rel.parent.class_.__name__}.{step.rel.key} (a parent's rows may span "
                "two batches); load it with selectinload(), or lazily"
            )


def streamed_objects_result(
    session: Session,
    plan: SelectPlan,
    rows: Result,
    options: Sequence[Any],
    populate_existing: bool,
    batch_size: int,
) -> Result:
    """The result of an ORM select run with ``yield_per``: objects made (and their eager
    loads run) one batch of ``batch_size`` rows at a time, as the rows arrive (the select
    passed ``check_streamable()``)."""

    def objects(batch: list[Any]) -> list[Any]:
        made: Result = objects_result(session, plan, batch, options, populate_existing)
        return made._fetch_all_raw()

    cursor = _ObjectBatches(rows, objects, batch_size)
    if plan.single:
        result: Result = ObjectResult([], plan)
        result._cursor, result._closed = cursor, False
    else:
        result = Result(cursor, plan.fields, None, row_class(plan.fields))
    return result.yield_per(batch_size)


class _ObjectBatches:
    """A cursor over what ``make`` turns the rows of ``rows`` into, batch by batch."""

    def __init__(
        self, rows: Result, make: Callable[[list[Any]], list[Any]], batch_size: int
    ) -> None:
        self._rows = rows
        self._make = make
        self._batch_size = batch_size
        self._ready: list[Any] = []

    def _fill(self, wanted: int) -> None:
        while len(self._ready) < wanted:
            batch = self._rows._fetch_many_values(max(self._batch_size, wanted - len(self._ready)))
            if not batch:
                return
            self._ready.extend(self._make(batch))

    def fetchmany(self, size: int | None = None) -> list[Any]:
        size = size or self._batch_size
        self._fill(size)
        out, self._ready = self._ready[:size], self._ready[size:]
        return out

    def fetchone(self) -> Any:
        got = self.fetchmany(1)
        return got[0] if got else None

    def fetchall(self) -> list[Any]:
        out = self._ready
        self._ready = []
        while True:
            batch = self._rows._fetch_many_values(self._batch_size)
            if not batch:
                return out
            out.extend(self._make(batch))

    def close(self) -> None:
        self._ready = []
        self._rows.close()


class ObjectResult(Result):
    """A Result whose rows each hold one mapped object; ``scalars()`` gives the objects."""

    def __init__(self, objects: list[Any], plan: SelectPlan) -> None:
        super().__init__(_ListCursor(objects), plan.fields, None, plan.row_cls)
        self._make_row = plan.make_row

    def _post(self, rows: list[Any]) -> list[Any]:
        if self._scalar_index == 0:
            return self._dedupe(rows) if self._unique else rows
        return super()._post(rows)


def is_entity(entity: Any) -> bool:
    """True for a mapped class (or an alias of one) in a select list."""
    from ormkit.orm.mapper import mapper_of

    return mapper_of(getattr(entity, "_ok_aliased_mapper", None) or entity) is not None
