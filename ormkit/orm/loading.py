"""Rows to objects: the hot path of every ORM query.

A loader is built once per query shape and entity: it knows where each mapped column sits in
the row and which positions hold the primary key. Per row it makes the identity key, returns
the object already in the identity map when there is one, and otherwise creates the object
without calling ``__init__`` and fills ``__dict__`` in one step.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ormkit.engine.result import Result, _ListCursor, row_class
from ormkit.orm.state import STATE, InstanceState
from ormkit.util import LRUCache

if TYPE_CHECKING:
    from ormkit.orm.mapper import Mapper
    from ormkit.orm.session import Session


class _LoaderShape:
    """Where a mapper's columns sit in a row: worked out once per (mapper, positions)."""

    __slots__ = ("contiguous", "end", "keys", "pairs", "pk_positions", "single_pk", "start")

    def __init__(self, mapper: Mapper, positions: Sequence[int]) -> None:
        keys = mapper.table_keys
        key_positions = dict(zip(keys, positions, strict=True))
        self.keys = keys
        self.pk_positions = [key_positions[k] for k in mapper.pk_keys]
        self.start = positions[0] if positions else 0
        self.end = self.start + len(positions)
        self.contiguous = list(positions) == list(range(self.start, self.end))
        self.pairs = list(zip(keys, positions, strict=True))
        self.single_pk = self.pk_positions[0] if len(self.pk_positions) == 1 else None


def _loader_shape(mapper: Mapper, positions: Sequence[int]) -> _LoaderShape:
    shapes: dict[tuple[int, ...], _LoaderShape] = mapper.__dict__.setdefault("_ok_shapes", {})
    key = tuple(positions)
    found = shapes.get(key)
    if found is None:
        found = shapes[key] = _LoaderShape(mapper, positions)
    return found


def instance_loader(
    session: Session, mapper: Mapper, positions: Sequence[int], populate_existing: bool = False
) -> Callable[[Sequence[Any]], Any]:
    """A function from a row to the mapped object whose columns sit at ``positions``."""
    shape = _loader_shape(mapper, positions)
    cls = mapper.class_
    keys = shape.keys
    pk_positions = shape.pk_positions
    identity = session.identity_map
    refs = identity._refs
    weak = weakref.ref
    make: Any = cls.__new__
    start, end, contiguous = shape.start, shape.end, shape.contiguous
    pairs = shape.pairs
    single_pk = shape.single_pk

    def load(row: Sequence[Any]) -> Any:
        if single_pk is not None:
            pk_value = row[single_pk]
            if pk_value is None:
                return None  # an outer join found no row for this entity
            pk: tuple[Any, ...] = (pk_value,)
        else:
            pk = tuple([row[i] for i in pk_positions])
            if all(v is None for v in pk):
                return None
        key = (cls, pk)
        ref = refs.get(key)
        if ref is not None:
            obj = ref()
            if obj is not None:
                d = obj.__dict__
                state = d[STATE]
                if populate_existing and not state.modified:
                    for k, i in pairs:
                        d[k] = row[i]
                else:
                    for k, i in pairs:  # fill what was expired; never overwrite changes
                        if k not in d:
                            d[k] = row[i]
                return obj
        obj = make(cls)
        d = obj.__dict__
        if contiguous:
            d.update(zip(keys, row[start:end], strict=False))
        else:
            d.update([(k, row[i]) for k, i in pairs])
        d[STATE] = InstanceState(mapper, session, key)
        refs[key] = weak(obj)
        if len(refs) > identity._sweep_at:
            identity.sweep()
        return obj

    return load


# -- running a select of mapped classes ---------------------------------------------------------


class _Joined:
    """One joined-eager relationship: where its target's columns sit in the row."""

    def __init__(
        self, rel: Any, parent: int | _Joined, positions: list[int], deeper: list[Any]
    ) -> None:
        self.rel = rel
        self.parent = parent  # index of the main entity, or the joined step it hangs off
        self.positions = positions
        self.deeper = deeper
        self.loader: Any = None
        self.depth = 0  # how deep in the options' paths this step's target sits


def layout(entities: Sequence[Any]) -> list[tuple[str, Any]]:
    """Where each requested entity's values sit in the row."""
    from ormkit.orm.mapper import mapper_of
    from ormkit.sql.plugins import resolve
    from ormkit.sql.selectable import FromClause

    out: list[tuple[str, Any]] = []
    position = 0
    for entity in entities:
        mapper = mapper_of(getattr(entity, "_ok_aliased_mapper", None) or entity)
        if mapper is not None:
            source = resolve(entity)
            columns = list(source.columns)
            by_name = {c.name: position + i for i, c in enumerate(columns)}
            positions = [by_name[mapper.columns_by_key[k].name] for k in mapper.table_keys]
            out.append(("entity", (mapper, positions)))
            position += len(columns)
        else:
            resolved = resolve(entity)
            width = len(resolved.columns) if isinstance(resolved, FromClause) else 1
            out.append(("column", position))
            position += width
    return out


def prepare_select(
    stmt: Any, entities: Sequence[Any], options: Sequence[Any], depth: int = 0
) -> tuple[Any, list[_Joined], list[tuple[str, Any]]]:
    """Rewrite ``stmt`` for joined eager loads; (statement, joined steps, entity layout).

    Most queries have no joined eager loads: their layout is cached by statement shape,
    entities and options, so a repeated query shape costs one dict lookup here.
    """
    from ormkit.orm.strategies import eager_plan, joined_columns
    from ormkit.sql import cache_key
    from ormkit.sql.plugins import resolve

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
        return stmt, [], cached
    shape = layout(entities)
    width = _row_width(entities)
    joined: list[_Joined] = []
    limited = stmt._limit is not None or stmt._offset is not None
    for index, (kind, value) in enumerate(shape):
        if kind != "entity":
            continue
        mapper = value[0]
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
                positions = [
                    by_name[target_mapper.columns_by_key[k].name] for k in target_mapper.table_keys
                ]
                step = _Joined(rel, parent, positions, deeper)
                step.depth = depth + 1
                joined.append(step)
                width += count
                walk(target_mapper, target, step, deeper, depth + 1)

        walk(mapper, source, index, list(options), depth)
    if not joined and plan_key is not None:
        _plans.put(plan_key, shape)
    return stmt, joined, shape


#: layouts of queries without joined eager loads, by (statement shape, entities, options)
_plans: LRUCache[Any, list[tuple[str, Any]]] = LRUCache(1000)


def _row_width(entities: Sequence[Any]) -> int:
    from ormkit.orm.mapper import mapper_of
    from ormkit.sql.plugins import resolve
    from ormkit.sql.selectable import FromClause

    width = 0
    for entity in entities:
        resolved = resolve(entity)
        if mapper_of(
            getattr(entity, "_ok_aliased_mapper", None) or entity
        ) is not None or isinstance(resolved, FromClause):
            width += len(resolved.columns)
        else:
            width += 1
    return width


def objects_result(
    session: Session,
    entities: Sequence[Any],
    shape: list[tuple[str, Any]],
    joined: list[_Joined],
    rows: list[Any],
    options: Sequence[Any],
    populate_existing: bool,
    depth: int = 0,
) -> Any:
    """Rows to (identity-mapped) objects, with joined and selectin eager loads applied.

    ``depth`` is how far into the loader options' paths these objects sit (0 for the
    objects a query asked for, 1 for what ``selectinload(A.b)`` loads for them, ...).
    """
    from ormkit.orm.collections import new_collection
    from ormkit.orm.strategies import eager_plan, lazy_strategies, run_selectin

    loaders: list[Any] = []
    for kind, value in shape:
        if kind == "entity":
            mapper, positions = value
            loaders.append(instance_loader(session, mapper, positions, populate_existing))
        else:
            loaders.append(value)
    for step in joined:
        step.loader = instance_loader(session, step.rel.mapper, step.positions, populate_existing)
    fields = [_entity_name(e) for e in entities]
    entity_indexes = [i for i, (kind, _) in enumerate(shape) if kind == "entity"]
    if len(shape) == 1 and shape[0][0] == "entity" and not joined:
        objects = [loaders[0](r) for r in rows]
        per_entity = {0: objects}
        result_rows: list[Any] = objects
        single = True
    else:
        single = len(shape) == 1 and shape[0][0] == "entity"
        per_entity = {i: [] for i in entity_indexes}
        result_rows = []
        found: dict[int, tuple[Any, Any, list[Any]]] = {}  # id(step, parent) -> collected
        seen_rows: set[tuple[int, ...]] = set()
        for row in rows:
            made = [
                loader(row) if kind == "entity" else row[loader]
                for (kind, _), loader in zip(shape, loaders, strict=True)
            ]
            for i in entity_indexes:
                per_entity[i].append(made[i])
            row_objects: dict[int, Any] = {}
            for step in joined:
                parent = (
                    made[step.parent]
                    if isinstance(step.parent, int)
                    else row_objects.get(id(step.parent))
                )
                child = step.loader(row)
                row_objects[id(step)] = child
                if parent is None:
                    continue
                slot = found.setdefault((id(step), id(parent)), (step, parent, []))  # type: ignore[arg-type]
                if child is not None and not any(c is child for c in slot[2]):
                    slot[2].append(child)
            if joined:
                identity = tuple(
                    id(m) if kind == "entity" else hash(_hashable(m))
                    for (kind, _), m in zip(shape, made, strict=True)
                )
                if identity in seen_rows:
                    continue  # the same parent row again, for another joined child
                seen_rows.add(identity)
            result_rows.append(made[0] if single else tuple(made))
        for step, parent, children in found.values():
            rel = step.rel
            d = parent.__dict__
            if rel.key in d and not populate_existing:
                continue
            d[rel.key] = (
                new_collection(rel, parent, children)
                if rel.uselist
                else (children[0] if children else None)
            )
        for step in joined:
            step_parents = [p for (s, p, _) in found.values() if s is step]
            for p in step_parents:
                if step.rel.key not in p.__dict__:
                    p.__dict__[step.rel.key] = (
                        new_collection(step.rel, p) if step.rel.uselist else None
                    )
    # selectin loads and per-object strategies, per entity
    for i in entity_indexes:
        mapper = shape[i][1][0]
        if not mapper.relationships:
            continue  # nothing to load eagerly, no lazy loads to count
        objs = [o for o in per_entity[i] if o is not None]
        plan = eager_plan(mapper, options, depth)
        _tag(objs, plan, lazy_strategies(plan), depth)
        for key, (strategy, deeper) in plan.items():
            if strategy == "selectin" or (
                strategy == "joined" and not any(s.rel.key == key and s.parent == i for s in joined)
            ):
                run_selectin(session, objs, mapper.relationships[key], deeper, depth)
    for step in joined:
        children = []
        for s, _, kids in found.values() if joined else ():
            if s is step:
                children.extend(kids)
        plan = eager_plan(step.rel.mapper, step.deeper, step.depth)
        for key, (strategy, deeper) in plan.items():
            if strategy == "selectin":
                run_selectin(
                    session, children, step.rel.mapper.relationships[key], deeper, step.depth
                )
    if single:
        return ObjectResult(result_rows, fields)
    return Result(_ListCursor(result_rows), fields, None, row_class(fields))


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


class ObjectResult(Result):
    """A Result whose rows each hold one mapped object; ``scalars()`` gives the objects."""

    def __init__(self, objects: list[Any], fields: list[str]) -> None:
        super().__init__(_ListCursor(objects), fields, None, row_class(fields))
        cls = self._row_cls
        new = tuple.__new__
        self._make_row = lambda obj: new(cls, (obj,))

    def _post(self, rows: list[Any]) -> list[Any]:
        if self._scalar_index == 0:
            return self._dedupe(rows) if self._unique else rows
        return super()._post(rows)


def is_entity(entity: Any) -> bool:
    """True for a mapped class (or an alias of one) in a select list."""
    from ormkit.orm.mapper import mapper_of

    return mapper_of(getattr(entity, "_ok_aliased_mapper", None) or entity) is not None
