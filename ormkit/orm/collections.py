"""Relationship collections that notice in-place changes.

``user.posts.append(post)`` never calls ``__setattr__``, so collections are instrumented
list and set types: each remembers what was added and removed since the last flush (the flush
turns that into foreign key updates, orphan deletes or association rows), marks its owner as
changed, and keeps the other side of a ``back_populates``/``backref`` pair in step.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, SupportsIndex

from ormkit.orm.attributes import (
    OP_APPEND,
    cascade_add,
    collection_append_event,
    collection_changed,
    collection_remove_event,
)
from ormkit.orm.events import AttributeEvent
from ormkit.orm.registries import configure_for
from ormkit.orm.state import STATE

if TYPE_CHECKING:
    from ormkit.orm.relationships import Relationship


class _Tracking:
    """What the list and set collections share: owner, relationship, added/removed."""

    _ok_owner: weakref.ref[Any] | None
    _ok_rel: Relationship | None
    _ok_added: list[Any]
    _ok_removed: list[Any]
    _ok_orphans: list[Any]

    def _ok_bind(self, owner: Any, rel: Relationship) -> None:
        self._ok_owner = weakref.ref(owner)
        self._ok_rel = rel
        self._ok_added = []
        self._ok_removed = []
        self._ok_orphans = []

    def _ok_on_add(self, item: Any) -> None:
        if item is None:
            return
        self._ok_record(item, added=True)
        self._ok_changed(item, added=True)

    def _ok_on_remove(self, item: Any) -> None:
        # every removed item is a possible orphan, even one added (and never flushed) since
        self._ok_orphans.append(item)
        self._ok_record(item, added=False)
        self._ok_changed(item, added=False)
        rel = self._ok_rel
        if rel is not None and rel.dispatch.remove:
            owner = self._ok_owner() if self._ok_owner is not None else None
            if owner is not None:
                collection_remove_event(owner, rel, item)

    def _ok_record(self, item: Any, added: bool) -> None:
        """Note a change for the flush: an add cancels a removal not flushed yet, and a
        removal an add (the flush has nothing to write for either)."""
        undone = self._ok_removed if added else self._ok_added
        for i, other in enumerate(undone):
            if other is item:
                del undone[i]
                return
        (self._ok_added if added else self._ok_removed).append(item)

    def _ok_changed(self, item: Any, added: bool) -> None:
        owner = self._ok_owner() if self._ok_owner is not None else None
        rel = self._ok_rel
        if owner is None or rel is None:
            return
        collection_changed(owner, rel, item, added)

    def _ok_before_add(self, item: Any) -> Any:
        """What comes before an item is added: its ``append`` listeners (the item to add is
        what they return, with retval=True), then the save-update cascade, so that when it
        raises (the session holds another object for its row) neither side has changed."""
        owner = self._ok_owner() if self._ok_owner is not None else None
        rel = self._ok_rel
        if owner is None or rel is None:
            return item
        if rel.dispatch.append:
            item = collection_append_event(owner, rel, item)
        if item is not None:
            cascade_add(owner, rel, item)
        return item

    def _ok_added_again(self, item: Any) -> None:
        """An item added that was there already (a set): ``append_wo_mutation``."""
        rel = self._ok_rel
        owner = self._ok_owner() if self._ok_owner is not None else None
        if owner is not None and rel is not None and rel.dispatch.append_wo_mutation:
            initiator = AttributeEvent(rel, OP_APPEND)
            for listener in rel.dispatch.append_wo_mutation:
                listener(owner, item, initiator)

    def _ok_reset(self) -> None:
        """Forget adds and removes: the database now matches the collection."""
        self._ok_added = []
        self._ok_removed = []
        self._ok_orphans = []

    # pickling: the owner is kept as an object (pickle's memo makes it the same object as
    # the one being unpickled) and the relationship by its key; the owner's weak reference
    # and the Relationship itself cannot be pickled
    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[Any, ...]:
        owner = self._ok_owner() if self._ok_owner is not None else None
        rel = self._ok_rel
        state = (
            owner,
            rel.key if rel is not None else None,
            list(self),
            self._ok_added,
            self._ok_removed,
            self._ok_orphans,
        )
        return (type(self), (), state)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        owner, key, items, added, removed, orphans = state
        self._ok_load(items)
        if owner is not None and key is not None:
            self._ok_bind(owner, _relationship_of(owner, key))
        self._ok_added, self._ok_removed, self._ok_orphans = added, removed, orphans

    if TYPE_CHECKING:  # what the list and set types give the methods above

        def _ok_load(self, items: Iterable[Any]) -> None: ...

        def __iter__(self) -> Iterator[Any]: ...


def _relationship_of(owner: Any, key: str) -> Relationship:
    """The relationship ``key`` of ``owner``'s class (a backref exists once configured)."""
    mapper = type(owner).__mapper__
    if key not in mapper.relationships:
        configure_for(mapper)
    found: Relationship = mapper.relationships[key]
    return found


class InstrumentedList(list[Any], _Tracking):
    """A list of related objects that reports appends and removes."""

    def __init__(self, items: Iterable[Any] = ()) -> None:
        super().__init__(items)
        self._ok_owner = None
        self._ok_rel = None
        self._ok_added = []
        self._ok_removed = []
        self._ok_orphans = []

    def append(self, item: Any) -> None:
        item = self._ok_before_add(item)
        super().append(item)
        self._ok_on_add(item)

    def extend(self, items: Iterable[Any]) -> None:
        for item in list(items):
            self.append(item)

    def __iadd__(self, items: Iterable[Any]) -> InstrumentedList:  # type: ignore[misc]
        self.extend(items)
        return self

    def insert(self, index: SupportsIndex, item: Any) -> None:
        item = self._ok_before_add(item)
        super().insert(index, item)
        self._ok_on_add(item)

    def remove(self, item: Any) -> None:
        for i, existing in enumerate(self):
            if existing is item:
                super().__delitem__(i)
                self._ok_on_remove(item)
                return
        raise ValueError(f"{item!r} is not in the collection")

    def pop(self, index: SupportsIndex = -1) -> Any:
        item = super().pop(index)
        self._ok_on_remove(item)
        return item

    def clear(self) -> None:
        items = list(self)
        super().clear()
        for item in items:
            self._ok_on_remove(item)

    def __setitem__(self, index: Any, value: Any) -> None:
        if isinstance(index, slice):
            old = self[index]
            new = list(value)
            super().__setitem__(index, new)
            for item in old:
                self._ok_on_remove(item)
            for item in new:
                self._ok_on_add(item)
            return
        old_item = self[index]
        value = self._ok_before_add(value)
        super().__setitem__(index, value)
        self._ok_on_remove(old_item)
        self._ok_on_add(value)

    def __delitem__(self, index: Any) -> None:
        old = self[index] if isinstance(index, slice) else [self[index]]
        super().__delitem__(index)
        for item in old:
            self._ok_on_remove(item)

    def _ok_load(self, items: Iterable[Any]) -> None:
        """Fill from the database without reporting changes."""
        super().extend(items)

    def _ok_quiet_append(self, item: Any) -> None:
        """Append as the other side of a link, recording the add but no second event."""
        if not any(existing is item for existing in self):
            super().append(item)
            self._ok_record(item, added=True)

    def _ok_quiet_remove(self, item: Any) -> None:
        for i, existing in enumerate(self):
            if existing is item:
                super().__delitem__(i)
                self._ok_record(item, added=False)
                return


class InstrumentedSet(set[Any], _Tracking):
    """A set of related objects that reports adds and removes."""

    def __init__(self, items: Iterable[Any] = ()) -> None:
        super().__init__(items)
        self._ok_owner = None
        self._ok_rel = None
        self._ok_added = []
        self._ok_removed = []
        self._ok_orphans = []

    def add(self, item: Any) -> None:
        if item not in self:
            item = self._ok_before_add(item)
            super().add(item)
            self._ok_on_add(item)
        else:
            self._ok_added_again(item)

    def update(self, *others: Iterable[Any]) -> None:
        for other in others:
            for item in list(other):
                self.add(item)

    def remove(self, item: Any) -> None:
        super().remove(item)
        self._ok_on_remove(item)

    def discard(self, item: Any) -> None:
        if item in self:
            self.remove(item)

    def pop(self) -> Any:
        item = super().pop()
        self._ok_on_remove(item)
        return item

    def clear(self) -> None:
        items = list(self)
        super().clear()
        for item in items:
            self._ok_on_remove(item)

    def _ok_load(self, items: Iterable[Any]) -> None:
        super().update(items)

    def _ok_quiet_append(self, item: Any) -> None:
        if item not in self:
            super().add(item)
            self._ok_record(item, added=True)

    def _ok_quiet_remove(self, item: Any) -> None:
        if item in self:
            super().remove(item)
            self._ok_record(item, added=False)


def new_collection(
    rel: Relationship, owner: Any, items: Iterable[Any] = (), loaded: bool = True
) -> Any:
    """An empty (or loaded) collection of the relationship's kind, bound to ``owner``."""
    cls = InstrumentedSet if rel.collection_class in (set, InstrumentedSet) else InstrumentedList
    collection = cls()
    collection._ok_bind(owner, rel)
    for listener in rel.dispatch.init_collection:  # the collection is its own adapter here
        listener(owner, collection, collection)
    if loaded:
        collection._ok_load(items)
        state = owner.__dict__.get(STATE)
        pending = state.pending_links.pop(rel.key, None) if state and state.pending_links else None
        for added, item in pending or ():  # links made by backrefs before the load
            if added:
                collection._ok_quiet_append(item)
            else:
                collection._ok_quiet_remove(item)
    else:
        for item in items:
            collection._ok_quiet_append(item)
    return collection
