"""``Session.merge()``: copy an object's state onto the session's object for the same row.

The object merged may come from another session, be detached, or be an unpickled copy. Its
loaded columns are copied; its loaded relationships with the ``merge`` cascade (the default)
are merged the same way, object by object, so a pickled user with its addresses comes back
as the session's user holding the session's addresses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ormkit.orm.mapper import object_mapper
from ormkit.orm.state import state_of

if TYPE_CHECKING:
    from ormkit.orm.session import Session


def merge(session: Session, instance: Any, load: bool, memo: dict[int, Any]) -> Any:
    """The session's object for ``instance``'s row (new and pending when there is none)."""
    done = memo.get(id(instance))
    if done is not None:
        return done
    mapper = object_mapper(instance)
    state = state_of(instance)
    if state is not None and state.session is session:
        return instance
    pk = mapper.primary_key_from_instance(instance)
    target = None
    if all(v is not None for v in pk):
        identity = (mapper.class_, pk)
        target = session.get(mapper.class_, pk) if load else session.identity_map.get(identity)
    source = instance.__dict__
    if target is None:
        cls: Any = mapper.class_
        target = cls.__new__(cls)
        for key in mapper.table_keys:
            if key in source:
                target.__dict__[key] = source[key]
        session.add(target)
    else:
        for key in mapper.table_keys:
            if key in source:
                setattr(target, key, source[key])
    memo[id(instance)] = target
    for rel in mapper.relationships.values():
        if rel.key not in source or "merge" not in rel.cascade or rel.viewonly:
            continue  # not loaded: the session's object loads its own when asked
        value = source[rel.key]
        if rel.uselist:
            merged = [merge(session, item, load, memo) for item in value or ()]
            setattr(target, rel.key, set(merged) if isinstance(value, set) else merged)
        else:
            setattr(
                target, rel.key, merge(session, value, load, memo) if value is not None else None
            )
    return target
