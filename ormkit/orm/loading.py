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

from ormkit.orm.state import STATE, InstanceState

if TYPE_CHECKING:
    from ormkit.orm.mapper import Mapper
    from ormkit.orm.session import Session


def instance_loader(
    session: Session, mapper: Mapper, positions: Sequence[int], populate_existing: bool = False
) -> Callable[[Sequence[Any]], Any]:
    """A function from a row to the mapped object whose columns sit at ``positions``."""
    cls = mapper.class_
    keys = mapper.table_keys
    key_positions = dict(zip(keys, positions, strict=True))
    pk_positions = [key_positions[k] for k in mapper.pk_keys]
    refs = session.identity_map._refs
    forget = session.identity_map._forget
    keyed_ref = weakref.KeyedRef
    make: Any = cls.__new__
    start = positions[0] if positions else 0
    contiguous = list(positions) == list(range(start, start + len(positions)))
    end = start + len(positions)
    pairs = list(zip(keys, positions, strict=True))
    single_pk = pk_positions[0] if len(pk_positions) == 1 else None

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
        refs[key] = keyed_ref(obj, forget, key)
        return obj

    return load
