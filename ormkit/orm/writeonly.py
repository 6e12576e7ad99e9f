"""Collections too big to load: ``lazy="write_only"`` and the legacy ``lazy="dynamic"``.

A write-only collection never loads itself: ``add()``/``remove()`` queue changes for the next
flush and ``select()`` gives a statement to run (with filters, order, limits) when rows are
needed. ``dynamic`` is the 1.x form: a Query already filtered to the parent.
"""

from __future__ import annotations

from typing import Any

from ormkit import exc
from ormkit.orm.attributes import value_of
from ormkit.orm.relationships import Direction, Relationship
from ormkit.orm.state import STATE
from ormkit.sql import elements as el
from ormkit.sql.selectable import Select

_PENDING = "_ok_writeonly_"


def _pending(owner: Any, rel: Relationship) -> Any:
    """The added/removed list the flush reads, kept in the owner's ``__dict__``."""
    from ormkit.orm.collections import new_collection

    d = owner.__dict__
    key = _PENDING + rel.key
    collection = d.get(key)
    if collection is None:
        collection = d[key] = new_collection(rel, owner)
    return collection


class WriteOnlyCollection:
    """A relationship collection that is written to, and read only through ``select()``."""

    def __init__(self, owner: Any, rel: Relationship) -> None:
        self.owner = owner
        self.rel = rel

    def add(self, item: Any) -> None:
        """Link ``item`` to the owner at the next flush."""
        _pending(self.owner, self.rel).append(item)

    def add_all(self, items: Any) -> None:
        """Link each item."""
        for item in items:
            self.add(item)

    def remove(self, item: Any) -> None:
        """Unlink ``item`` at the next flush."""
        pending = _pending(self.owner, self.rel)
        pending._ok_on_remove(item)

    def select(self) -> Select:
        """``SELECT`` of the related rows, to refine and run with ``session.scalars()``."""
        rel = self.rel
        d = self.owner.__dict__
        parent = rel.parent
        values = [value_of(self.owner, parent.key_for_column(c)) for c in rel.local_columns]
        if d.get(STATE) is None or d[STATE].key is None:
            raise exc.InvalidRequestError(
                f"{type(self.owner).__name__}.{rel.key}.select() needs the owner flushed first "
                "(it has no primary key yet)"
            )
        stmt = Select(rel.mapper.class_).where(
            *[remote == v for remote, v in zip(rel.remote_columns, values, strict=True)]
        )
        if rel.direction is Direction.MANYTOMANY:
            stmt = stmt.where(rel.secondaryjoin)
        if rel.order_by:
            stmt = stmt.order_by(*rel.order_by)
        return stmt


def collection_for(owner: Any, rel: Relationship, dynamic: bool) -> Any:
    """The write-only collection (or dynamic query) of ``owner.<rel>``."""
    if not dynamic:
        return WriteOnlyCollection(owner, rel)
    from ormkit.orm.query import Query

    state = owner.__dict__.get(STATE)
    session = state.session if state is not None else None
    writer = WriteOnlyCollection(owner, rel)
    query: Any = Query((rel.mapper.class_,), session)
    query = query._copy(
        writer.select()
        if state is not None and state.key is not None
        else Select(rel.mapper.class_).where(el.false())
    )
    query.append = writer.add
    query.extend = writer.add_all
    query.remove = writer.remove
    return query
