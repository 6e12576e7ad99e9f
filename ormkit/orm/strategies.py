"""How related objects are loaded, and relationship-based SQL criteria.

Strategies: ``select`` (lazy, on first access; a many-to-one already in the identity map costs
no SQL), ``selectin`` (one more query per relationship for all parents: ``IN (...)``),
``joined`` (a LEFT OUTER JOIN in the parents' own query), ``raise``, ``noload``, and
``write_only``/``dynamic`` for collections too big to load. Loader options
(``selectinload(User.posts).selectinload(Post.tags)``) choose them per query.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ormkit import exc
from ormkit.orm.attributes import value_of
from ormkit.orm.collections import new_collection
from ormkit.orm.relationships import Direction, Relationship
from ormkit.orm.state import STATE
from ormkit.sql import elements as el
from ormkit.sql.selectable import Exists, Select

if TYPE_CHECKING:
    from ormkit.orm.session import Session

#: Parents per ``IN (...)`` query of selectin loading.
SELECTIN_CHUNK = 500


class LoadBatch:
    """The objects one query loaded: options for them, and lazy-load counts (N+1 warnings)."""

    __slots__ = ("counts", "deeper", "size", "strategies", "warned")

    def __init__(self, size: int, strategies: dict[str, str] | None = None) -> None:
        self.size = size
        self.strategies = strategies or {}
        self.counts: dict[str, int] = {}
        self.warned: set[str] = set()
        #: relationship key -> (options for what its lazy load brings, their depth)
        self.deeper: dict[str, tuple[list[Load], int]] = {}


# -- loader options -----------------------------------------------------------------------------


class Load:
    """A chain of (relationship attribute, strategy) steps: a loader option."""

    def __init__(self, path: tuple[tuple[Any, str], ...]) -> None:
        self.path = path

    def _then(self, attr: Any, strategy: str) -> Load:
        return Load((*self.path, (attr, strategy)))

    def selectinload(self, attr: Any) -> Load:
        """Then load ``attr`` of the loaded objects with SELECT ... IN."""
        return self._then(attr, "selectin")

    def joinedload(self, attr: Any) -> Load:
        """Then load ``attr`` with a JOIN."""
        return self._then(attr, "joined")

    def lazyload(self, attr: Any) -> Load:
        """Then load ``attr`` lazily."""
        return self._then(attr, "select")

    def raiseload(self, attr: Any) -> Load:
        """Then make reading ``attr`` an error."""
        return self._then(attr, "raise")

    def noload(self, attr: Any) -> Load:
        """Then never load ``attr``."""
        return self._then(attr, "noload")

    def contains_eager(self, attr: Any) -> Load:
        """Then fill ``attr`` from columns the query already joins."""
        return self._then(attr, "contains_eager")

    def defaultload(self, attr: Any) -> Load:
        """Then keep ``attr``'s own strategy (to reach deeper options)."""
        return self._then(attr, "default")

    def __repr__(self) -> str:
        return "Load(" + ".".join(f"{s}({a})" for a, s in self.path) + ")"


def _option(attr: Any, strategy: str) -> Load:
    from ormkit.orm.attributes import RelationshipAttribute

    if not isinstance(attr, RelationshipAttribute):
        raise exc.ArgumentError(
            f"{strategy} loading takes a relationship attribute such as User.posts, got {attr!r}"
        )
    return Load(((attr, strategy),))


def selectinload(attr: Any) -> Load:
    """Load ``attr`` for all loaded objects with one extra ``SELECT ... WHERE ... IN``."""
    return _option(attr, "selectin")


def joinedload(attr: Any, innerjoin: bool = False) -> Load:
    """Load ``attr`` in the same query with a LEFT OUTER JOIN."""
    return _option(attr, "joined")


def lazyload(attr: Any) -> Load:
    """Load ``attr`` when first read (the default)."""
    return _option(attr, "select")


def raiseload(attr: Any, sql_only: bool = False) -> Load:
    """Make reading an unloaded ``attr`` raise an error naming it (catches N+1 in tests)."""
    return _option(attr, "raise")


def noload(attr: Any) -> Load:
    """Never load ``attr``: it reads as empty / None."""
    return _option(attr, "noload")


def contains_eager(attr: Any) -> Load:
    """Fill ``attr`` from the query's own explicit join to it."""
    return _option(attr, "contains_eager")


def defaultload(attr: Any) -> Load:
    """Keep ``attr``'s strategy; used to chain options to deeper relationships."""
    return _option(attr, "default")


# -- lazy loading on attribute access ----------------------------------------------------------


def load_relationship(obj: Any, rel: Relationship) -> Any:
    """The value of an unloaded relationship attribute (the descriptor calls this)."""
    d = obj.__dict__
    state = d.get(STATE)
    strategy = rel.lazy
    batch = state.load_batch if state is not None else None
    if batch is not None:
        strategy = batch.strategies.get(rel.key, strategy)
    if strategy in ("write_only", "dynamic"):
        from ormkit.orm.writeonly import collection_for

        return collection_for(obj, rel, dynamic=strategy == "dynamic")
    if state is None or state.key is None:
        value: Any = new_collection(rel, obj) if rel.uselist else None
        if rel.uselist:
            d[rel.key] = value
        return value
    if strategy in ("raise", "raise_on_sql"):
        raise exc.InvalidRequestError(
            f"'{type(obj).__name__}.{rel.key}' is not available due to lazy='raise'; load it "
            f"in the query, e.g. .options(selectinload({type(obj).__name__}.{rel.key}))"
        )
    if strategy == "noload":
        value = new_collection(rel, obj) if rel.uselist else None
        d[rel.key] = value
        return value
    session = state.session
    if session is None:
        raise exc.DetachedInstanceError(
            f"<{type(obj).__name__} at 0x{id(obj):x}> is detached (it belongs to no session), "
            f"so its relationship {rel.key!r} cannot be loaded; add it to a session first, "
            "or load the relationship in the query that loaded the object "
            f"(.options(selectinload({type(obj).__name__}.{rel.key})))"
        )
    value = lazy_load(session, obj, rel, batch)
    if rel.key in d and rel.uselist:
        return d[rel.key]  # loaded meanwhile (a backref filled it): keep that one
    d[rel.key] = value
    return value


def _count_lazy_load(session: Session, batch: LoadBatch, cls: type, rel: Relationship) -> None:
    threshold = session.n_plus_one_warning
    if not threshold or batch.size < threshold:
        return
    count = batch.counts.get(rel.key, 0) + 1
    batch.counts[rel.key] = count
    if count >= threshold and rel.key not in batch.warned:
        batch.warned.add(rel.key)
        name = f"{cls.__name__}.{rel.key}"
        warnings.warn(
            exc.NPlusOneWarning(
                f"lazy loading of {name} has run {count} times for objects loaded by one query "
                f"of {batch.size} rows: an N+1 pattern. Load it with the query instead: "
                f".options(selectinload({name}))"
            ),
            stacklevel=4,
        )


def _local_values(session: Session, obj: Any, rel: Relationship) -> tuple[Any, ...]:
    parent = rel.parent
    keys = [parent.key_for_column(c) for c in rel.local_columns]
    d = obj.__dict__
    if any(k not in d for k in keys):
        missing = [k for k in keys if k not in d]
        session._load_unloaded(obj, d[STATE])
        # the row is gone: the autoflush may have sent its DELETE (loading the row first for
        # its own needs, so "loaded" alone does not tell)
        if d[STATE].deleted or any(k not in d for k in keys):
            raise exc.ObjectDeletedError(
                f"<{type(obj).__name__} at 0x{id(obj):x}> has no row in the database (it was "
                f"deleted); its {missing[0]!r}, which {rel.key!r} is loaded by, cannot be loaded"
            )
    return tuple(d.get(k) for k in keys)


def lazy_load(session: Session, obj: Any, rel: Relationship, batch: LoadBatch | None = None) -> Any:
    """Load one object's relationship now (only loads that send SQL count towards N+1)."""
    values = _local_values(session, obj, rel)
    target = rel.mapper
    if rel.direction is Direction.MANYTOONE:
        if any(v is None for v in values):
            return None
        if rel.target_is_pk_lookup():
            by_col = {id(c): v for c, v in zip(rel.remote_columns, values, strict=True)}
            pk = tuple(by_col[id(c)] for c in target.primary_key)
            found = session.identity_map.get((target.class_, pk))
            if found is not None and not _expired_whole(found, target):
                return found  # no SQL: the identity map has it
            if batch is not None:
                _count_lazy_load(session, batch, type(obj), rel)
            return session.get(target.class_, pk)
    params = {f"lz_{i}": v for i, v in enumerate(values)}
    if any(v is None for v in values):
        return new_collection(rel, obj) if rel.uselist else None
    deeper: Sequence[Load] = ()
    depth = 0
    if batch is not None:
        _count_lazy_load(session, batch, type(obj), rel)
        deeper, depth = batch.deeper.get(rel.key, ((), 0))
    result = session.execute(
        _lazy_statement(rel),
        params,
        _entities=(target.class_,),
        _options=deeper,
        _depth=depth,
        _load="relationship",
    )
    objects = result.scalars().all()
    if not rel.uselist:
        return objects[0] if objects else None
    return new_collection(rel, obj, objects)


def _expired_whole(obj: Any, mapper: Any) -> bool:
    """Was ``obj`` expired as a whole (by commit or ``expire(obj)``) and not loaded since?
    As SQLAlchemy, a lazy load that finds such an object in the identity map loads it (by
    ``get()``), so that it is known to still exist."""
    d = obj.__dict__
    return bool(d[STATE].expired) and not any(k in d for k in mapper.table_keys)


def _lazy_statement(rel: Relationship) -> Select:
    stmt = rel.__dict__.get("_lazy_stmt")
    if stmt is None:
        stmt = Select(rel.mapper.class_).where(
            *[remote == el.bindparam(f"lz_{i}") for i, remote in enumerate(rel.remote_columns)]
        )
        if rel.direction is Direction.MANYTOMANY:
            stmt = stmt.where(rel.secondaryjoin)
        if rel.order_by:
            stmt = stmt.order_by(*rel.order_by)
        rel.__dict__["_lazy_stmt"] = stmt
    return stmt


# -- eager loading after a query -------------------------------------------------------------


def eager_plan(mapper: Any, options: Sequence[Load], depth: int = 0) -> dict[str, Any]:
    """{relationship key: (strategy, deeper options)} for objects of ``mapper``."""
    plan: dict[str, Any] = {}
    for rel in mapper.relationships.values():
        if rel.lazy in ("selectin", "joined"):
            plan[rel.key] = (rel.lazy, [])
    for option in options:
        if len(option.path) <= depth:
            continue
        attr, strategy = option.path[depth]
        rel = attr._configured()
        if rel.parent is not mapper:
            continue
        current = plan.get(rel.key, (rel.lazy, []))
        if strategy != "default":
            current = (strategy, current[1])
        if len(option.path) > depth + 1:
            current[1].append(option)
        plan[rel.key] = current
    return plan


def lazy_strategies(plan: dict[str, Any]) -> dict[str, str]:
    """The per-object overrides (raise, noload, select) that act when an attribute is read."""
    return {
        k: s for k, (s, _) in plan.items() if s in ("raise", "raise_on_sql", "noload", "select")
    }


def run_selectin(
    session: Session, parents: Sequence[Any], rel: Relationship, deeper: Sequence[Load], depth: int
) -> None:
    """Load ``rel`` for all ``parents`` with ``SELECT ... WHERE key IN (...)`` queries."""
    todo = _unique([p for p in parents if p is not None and rel.key not in p.__dict__])
    if not todo:
        return
    target = rel.mapper
    children: list[Any] = []
    if rel.direction is Direction.MANYTOONE:
        wanted: dict[tuple[Any, ...], list[Any]] = {}
        for parent in todo:
            values = _local_values(session, parent, rel)
            if any(v is None for v in values):
                parent.__dict__[rel.key] = None
                continue
            wanted.setdefault(values, []).append(parent)
        remote = rel.remote_columns
        found: dict[tuple[Any, ...], Any] = {}
        missing = []
        for values in wanted:
            obj = None
            if rel.target_is_pk_lookup():
                by_col = {id(c): v for c, v in zip(remote, values, strict=True)}
                obj = session.identity_map.get(
                    (target.class_, tuple(by_col[id(c)] for c in target.primary_key))
                )
            if obj is not None:
                found[values] = obj
            else:
                missing.append(values)
        remote_keys = [target.key_for_column(c) for c in remote]
        for chunk in _chunks(missing):
            stmt = Select(target.class_).where(_in(remote, chunk))
            for obj in session.execute(
                stmt,
                _entities=(target.class_,),
                _options=deeper,
                _depth=depth + 1,
                _load="relationship",
            ).scalars():
                found[tuple(obj.__dict__.get(k) for k in remote_keys)] = obj
        for values, group in wanted.items():
            for parent in group:
                parent.__dict__[rel.key] = found.get(values)
        return
    groups: dict[tuple[Any, ...], list[Any]] = {}
    for parent in todo:
        groups.setdefault(_local_values(session, parent, rel), []).append(parent)
    keys = [k for k in groups if all(v is not None for v in k)]
    collected: dict[tuple[Any, ...], list[Any]] = {k: [] for k in groups}
    remote = rel.remote_columns
    for chunk in _chunks(keys):
        stmt = Select(target.class_, *remote).where(_in(remote, chunk))
        if rel.direction is Direction.MANYTOMANY:
            stmt = stmt.where(rel.secondaryjoin)
        if rel.order_by:
            stmt = stmt.order_by(*rel.order_by)
        result = session.execute(
            stmt,
            _entities=(target.class_, *remote),
            _options=deeper,
            _depth=depth + 1,
            _load="relationship",
        )
        for row in result:
            obj = row[0]
            collected.setdefault(tuple(row[1:]), []).append(obj)
            children.append(obj)
    for key, group in groups.items():
        items = collected.get(key, [])
        for parent in group:
            if rel.uselist:
                parent.__dict__[rel.key] = new_collection(rel, parent, items)
            else:
                parent.__dict__[rel.key] = items[0] if items else None


def _unique(items: Iterable[Any]) -> list[Any]:
    seen: set[int] = set()
    out = []
    for item in items:
        if id(item) not in seen:
            seen.add(id(item))
            out.append(item)
    return out


def _chunks(keys: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(keys), SELECTIN_CHUNK):
        yield keys[start : start + SELECTIN_CHUNK]


def _in(columns: Sequence[Any], keys: Sequence[tuple[Any, ...]]) -> Any:
    if len(columns) == 1:
        return columns[0].in_([k[0] for k in keys])
    return el.tuple_(*columns).in_(list(keys))


# -- joined eager loading: the statement rewrite ------------------------------------------------


def joined_columns(
    stmt: Select, rel: Relationship, source: Any, contains_eager: bool = False
) -> tuple[Select, Any]:
    """``stmt`` with ``rel``'s target LEFT OUTER JOINed from ``source``; (stmt, target FROM)."""
    target_table = rel.mapper.local_table
    if contains_eager:
        froms = [j[0] for j in stmt._setup_joins]
        match = next(
            (f for f in froms if f is target_table or f.is_derived_from(target_table)), None
        )
        if match is None:
            raise exc.InvalidRequestError(
                f"contains_eager({rel.parent.class_.__name__}.{rel.key}) needs the query to "
                f"join {target_table.name!r}; add .join({rel.parent.class_.__name__}.{rel.key})"
            )
        return stmt.add_columns(*match.columns), match
    alias = target_table.alias()
    local = _adapted_columns(source, rel.local_columns)
    if rel.direction is Direction.MANYTOMANY:
        secondary = rel.secondary
        assert secondary is not None
        sec = secondary.alias()
        on_secondary = el.and_(
            *[loc == sec.c[fk.key] for loc, (_, fk) in zip(local, rel.parent_pairs, strict=True)]
        )
        on_target = el.and_(*[alias.c[ref.key] == sec.c[fk.key] for ref, fk in rel.target_pairs])
        stmt = stmt.outerjoin_from(source, sec, on_secondary).outerjoin_from(sec, alias, on_target)
    else:
        on = el.and_(
            *[loc == alias.c[rem.key] for loc, rem in zip(local, rel.remote_columns, strict=True)]
        )
        stmt = stmt.outerjoin_from(source, alias, on)
    if rel.order_by:
        stmt = stmt.order_by(*_adapted_columns(alias, rel.order_by))
    return stmt.add_columns(*alias.columns), alias


def _adapted_columns(source: Any, columns: Sequence[Any]) -> list[Any]:
    """The columns of ``source`` (a table or an alias of it) standing for ``columns``."""
    adapted = []
    for column in columns:
        found = source.corresponding_column(column)
        adapted.append(found if found is not None else column)
    return adapted


# -- SQL criteria from relationships ------------------------------------------------------------


def join_target(rel: Relationship, target: Any = None) -> tuple[Any, Any]:
    """(FROM entry, ON clause) to join from the parent's table to ``rel``'s target, or to
    ``target``, an alias of it (``of_type``)."""
    table = rel.mapper.local_table
    if target is None or target is table:
        if rel.direction is Direction.MANYTOMANY:
            assert rel.secondary is not None
            return rel.secondary.join(table, rel.secondaryjoin), rel.primaryjoin
        return table, rel.primaryjoin
    if rel.direction is Direction.MANYTOMANY:
        assert rel.secondary is not None
        on_target = el.and_(*[target.c[ref.key] == fk for ref, fk in rel.target_pairs])
        return rel.secondary.join(target, on_target), rel.primaryjoin
    remote = _adapted_columns(target, rel.remote_columns)
    on = el.and_(*[loc == rem for loc, rem in zip(rel.local_columns, remote, strict=True)])
    return target, on


def exists_clause(rel: Relationship, criterion: Any, kwargs: dict[str, Any], kind: str) -> Any:
    """``EXISTS (SELECT 1 FROM related WHERE <link> AND criterion)`` for any() and has()."""
    if kind == "any" and not rel.uselist:
        raise exc.InvalidRequestError(
            f"any() is for collections; use {rel.parent.class_.__name__}.{rel.key}.has()"
        )
    if kind == "has" and rel.uselist:
        raise exc.InvalidRequestError(
            f"has() is for many-to-one; use {rel.parent.class_.__name__}.{rel.key}.any()"
        )
    target = rel.mapper
    conditions = [rel.primaryjoin]
    if rel.direction is Direction.MANYTOMANY:
        conditions.append(rel.secondaryjoin)
    if criterion is not None:
        conditions.append(criterion)
    for key, value in kwargs.items():
        conditions.append(target.attrs[key] == value)
    inner = Select(el.literal_column("1")).select_from(target.local_table).where(*conditions)
    if rel.direction is Direction.MANYTOMANY and rel.secondary is not None:
        inner = inner.select_from(rel.secondary)
    if rel.parent.local_table is target.local_table:
        raise exc.InvalidRequestError(
            f"{kind}() on the self-referential {rel.parent.class_.__name__}.{rel.key} needs an "
            "alias; query with aliased() and an explicit join instead"
        )
    return Exists(inner)


def compare_to_object(rel: Relationship, other: Any, contains: bool, negate: bool = False) -> Any:
    """``Post.author == user`` / ``User.posts.contains(post)`` as column criteria.

    ``negate`` gives ``!=``: for a many-to-one that includes rows with no related object
    (NULL foreign key), as SQLAlchemy does.
    """
    if other is None:
        if rel.direction is Direction.MANYTOONE:
            criterion = el.and_(*[fk.is_(None) for fk in rel.local_columns])
            return ~criterion if negate else criterion
        exists = exists_clause(rel, None, {}, "any" if rel.uselist else "has")
        return exists if negate else ~exists
    if rel.direction is Direction.MANYTOONE:
        target = rel.mapper
        values = [value_of(other, target.key_for_column(c)) for c in rel.remote_columns]
        pairs = list(zip(rel.local_columns, values, strict=True))
        if negate:
            return el.or_(*[fk != v for fk, v in pairs], *[fk.is_(None) for fk, _ in pairs])
        return el.and_(*[fk == v for fk, v in pairs])
    if negate:
        return ~compare_to_object(rel, other, contains)
    if rel.direction is Direction.ONETOMANY:
        target = rel.mapper
        values = [value_of(other, target.key_for_column(c)) for c in rel.remote_columns]
        return el.and_(*[loc == v for loc, v in zip(rel.local_columns, values, strict=True)])
    target = rel.mapper
    assert rel.secondary is not None
    values = [value_of(other, target.key_for_column(ref)) for ref, _ in rel.target_pairs]
    inner = (
        Select(el.literal_column("1"))
        .select_from(rel.secondary)
        .where(
            rel.primaryjoin, *[fk == v for (_, fk), v in zip(rel.target_pairs, values, strict=True)]
        )
    )
    return Exists(inner)


def with_parent(instance: Any, prop: Any) -> Any:
    """Criteria for the objects related to ``instance`` through ``prop`` (``User.posts``)."""
    rel = prop._configured()
    parent = rel.parent
    values = [value_of(instance, parent.key_for_column(c)) for c in rel.local_columns]
    if rel.direction is Direction.MANYTOMANY:
        assert rel.secondary is not None
        inner = (
            Select(el.literal_column("1"))
            .select_from(rel.secondary)
            .where(
                rel.secondaryjoin,
                *[fk == v for fk, v in zip(rel.remote_columns, values, strict=True)],
            )
        )
        return Exists(inner)
    return el.and_(*[rem == v for rem, v in zip(rel.remote_columns, values, strict=True)])
