"""Configuring relationships, registry by registry (the ``registry`` class is in decl.py).

Relationships are configured lazily: their target classes may be declared after them. Each
registry is configured on its own, at the first use of one of its classes (instantiation,
``Session.add``, a query, ``Session.get``, a flush), so a broken mapping in one declarative
base raises for that base only and never stops the classes of another.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ormkit import exc
from ormkit.orm.attributes import RelationshipAttribute
from ormkit.orm.events import MAPPER_HOLDS
from ormkit.orm.mapper import Mapper, mapper_of
from ormkit.orm.relationships import Direction, Relationship

if TYPE_CHECKING:
    from ormkit.orm.decl import registry

#: id -> weak reference of every registry with mappers or relationships not configured yet.
#: A plain dict, so "is anything unconfigured?" costs one truth test on hot paths.
pending: dict[int, weakref.ref[registry]] = {}

#: Registries are configured one at a time (a second thread waits, then finds them done).
_configure_lock = threading.RLock()


def mark_pending(reg: registry) -> None:
    """``reg`` has mappers or relationships to configure (and so do registries using it)."""
    reg._unconfigured = True
    key = id(reg)
    if key not in pending:
        pending[key] = weakref.ref(reg, lambda _ref, key=key: pending.pop(key, None))  # type: ignore[misc]
    for dependent in list(reg._dependents):
        if not dependent._unconfigured:
            mark_pending(dependent)


def configure_mappers() -> None:
    """Configure the relationships of every registry not configured yet.

    Every registry that can be configured is; then the error of the first one whose
    mappings are broken (a relationship to a class that is not mapped, say) is raised.
    """
    failure: Exception | None = None
    for ref in list(pending.values()):
        reg = ref()
        if reg is not None and reg._unconfigured:
            try:
                configure_registry(reg, cascade=True)
            except Exception as err:  # the others are configured all the same
                failure = failure or err
    if failure is not None:
        raise failure


def configure_for(*mappers: Mapper) -> None:
    """Configure the registries of ``mappers`` (and those they depend on) when needed."""
    for mapper in mappers:
        reg = mapper.registry
        if reg is not None and reg._unconfigured:
            configure_registry(reg, cascade=True)


def configure_for_objects(objects: Iterable[Any]) -> None:
    """Configure the registries of the classes of ``objects`` (a flush's objects)."""
    seen: set[type] = set()
    for obj in objects:
        cls = type(obj)
        if cls not in seen:
            seen.add(cls)
            mapper = mapper_of(cls)
            if mapper is not None:
                configure_for(mapper)


def configure_for_statement(statement: Any, entities: Iterable[Any] | None = None) -> None:
    """Configure the registries of the mapped classes a statement selects or changes."""
    found = list(entities or ()) or list(getattr(statement, "_raw_entities", ()))
    target = getattr(statement, "_entity", None)
    if target is not None:
        found.append(target)
    for entity in found:
        mapper = mapper_of(getattr(entity, "_ok_aliased_mapper", None) or entity)
        if mapper is None:
            owner = getattr(entity, "mapper", None)  # a mapped attribute: User.name
            mapper = owner if isinstance(owner, Mapper) else None
        if mapper is not None:
            configure_for(mapper)


def configure_registry(reg: registry, cascade: bool = False) -> None:
    """Configure the relationships of a registry's mappers, then link their pairs.

    With ``cascade=True``, registries whose classes this one's relationships lead to are
    configured as well; without it, such a registry that is not configured yet is an
    ``InvalidRequestError`` (as SQLAlchemy documents).
    """
    with _configure_lock:
        if not reg._unconfigured:
            return
        mappers = list(reg._mappers)
        classes = [m.class_ for m in mappers]
        for listener in MAPPER_HOLDS.gathered("before_configured", classes):
            listener()
        for registry_listener in reg.dispatch.before_configured:
            registry_listener(reg)
        for mapper in mappers:
            for listener in mapper.dispatch.before_mapper_configured:
                listener(mapper, mapper.class_)
            for rel in list(mapper.relationships.values()):
                rel.configure()
                _depend_on(reg, rel.mapper.registry)
        for mapper in mappers:
            for rel in list(mapper.relationships.values()):
                _link_reverse(rel)
        others = [r for r in reg._dependencies if r._unconfigured]
        if others and not cascade:
            raise exc.InvalidRequestError(
                "registry.configure() was called with cascade=False, but registries its "
                "relationships depend on are not configured yet (mapping "
                f"{', '.join(sorted(n for r in others for n in r.class_names()))}); "
                "call configure(cascade=True)"
            )
        reg._unconfigured = False
        pending.pop(id(reg), None)
        for other in others:
            configure_registry(other, cascade=True)
        for mapper in mappers:
            for listener in mapper.dispatch.mapper_configured:
                listener(mapper, mapper.class_)
        for listener in MAPPER_HOLDS.gathered("after_configured", classes):
            listener()
        for registry_listener in reg.dispatch.after_configured:
            registry_listener(reg)


def _depend_on(reg: registry, other: registry | None) -> None:
    if other is not None and other is not reg:
        reg._dependencies.add(other)
        other._dependents.add(reg)


def add_relationship(mapper: Mapper, key: str, rel: Any) -> None:
    """Attach ``rel`` to ``mapper`` as attribute ``key`` (declarative and backrefs)."""
    cls = mapper.class_
    rel.key = key
    rel.parent = mapper
    mapper.relationships[key] = rel
    rels = dict(cls.__dict__.get("__ok_rels__", {}))
    rels[key] = rel
    cls.__ok_rels__ = rels  # type: ignore[attr-defined]
    type.__setattr__(cls, key, RelationshipAttribute(cls, key, rel))


def _link_reverse(rel: Any) -> None:
    """Connect ``rel`` with its other side (``back_populates``) or make one (``backref``)."""
    if rel._reverse_linked:
        return
    target = rel.mapper
    if rel.back_populates:
        other = target.relationships.get(rel.back_populates)
        if other is None:
            raise exc.InvalidRequestError(
                f"relationship {rel.parent.class_.__name__}.{rel.key} has "
                f"back_populates={rel.back_populates!r}, but {target.class_.__name__} has no "
                f"relationship {rel.back_populates!r}"
            )
        other.configure()
        _pair(rel, other)
        rel._reverse_linked = other._reverse_linked = True
        return
    if rel.backref:
        name, options = rel.backref if isinstance(rel.backref, tuple) else (rel.backref, {})
        if name in target.relationships:
            raise exc.ArgumentError(
                f"backref {name!r} of {rel.parent.class_.__name__}.{rel.key}: "
                f"{target.class_.__name__} already has a relationship named {name!r}"
            )
        rel._reverse_linked = True
        options = dict(options)
        if rel.secondary is not None:
            options.setdefault("secondary", rel.secondary)
            options.setdefault("primaryjoin", rel.secondaryjoin)
            options.setdefault("secondaryjoin", rel.primaryjoin)
        else:
            if rel.parent.local_table is target.local_table and (
                rel.direction is Direction.ONETOMANY
            ):
                # the other side of a self-referential one-to-many points back at the key
                options.setdefault("remote_side", [ref for ref, _ in rel.pairs])
            options.setdefault("foreign_keys", [fk for _, fk in rel.pairs])
        other = Relationship(rel.parent.class_, **options)
        add_relationship(target, name, other)
        other.configure()
        _pair(rel, other)
        other._reverse_linked = True
    rel._reverse_linked = True


def _pair(one: Any, other: Any) -> None:
    """Make ``one`` and ``other`` each other's side, as far as each is kept in step."""
    one.reverse = other if _synced(other, one) else None
    other.reverse = one if _synced(one, other) else None


def _synced(target: Any, source: Any) -> bool:
    """Whether changes made through ``source`` update ``target`` (``sync_backref``).

    Left out, as SQLAlchemy documents, a pair stays in step unless either side is view-only.
    """
    if target.sync_backref is not None:
        return bool(target.sync_backref)
    return not (target.viewonly or source.viewonly)
