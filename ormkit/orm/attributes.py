"""Mapped attributes: expressions on the class, plain values on instances.

``User.name`` is an ``InstrumentedAttribute``: on the class it builds SQL (``User.name ==
"ed"``); it is a *non-data* descriptor, so on an instance Python reads ``__dict__`` first and
the descriptor runs only when the value is missing (never loaded, or expired), to load it.
Writes go through ``track_setattr``, the declarative base's ``__setattr__``: it keeps the old
value on the first change and puts the object in its session's modified set.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ormkit import exc
from ormkit.event.registry import Dispatch, register_family
from ormkit.orm.events import ATTRIBUTE_EVENTS, NO_ATTRIBUTE_LISTENERS, AttributeEvent
from ormkit.orm.state import NO_VALUE, STATE, InstanceState, tracked_state

# SQLAlchemy's users import these from orm.attributes
from ormkit.orm.state import History as History
from ormkit.orm.state import get_history as get_history
from ormkit.orm.state import instance_dict as instance_dict
from ormkit.orm.state import instance_state as instance_state
from ormkit.sql.elements import Label
from ormkit.sql.operators import ColumnOperators, Operator

if TYPE_CHECKING:
    from ormkit.orm.mapper import Mapper
    from ormkit.sql.schema import Column

_T = TypeVar("_T")

#: What happened to an attribute, as an attribute event's ``initiator.op`` says.
OP_REPLACE = "replace"
OP_APPEND = "append"
OP_REMOVE = "remove"
OP_BULK_REPLACE = "bulk_replace"
OP_MODIFIED = "modified"


class InstrumentedAttribute(ColumnOperators, Generic[_T]):
    """The class-level face of a mapped column attribute."""

    #: Attribute events' listeners (its own, once one is given: see _attribute_dispatchers).
    dispatch: Dispatch = NO_ATTRIBUTE_LISTENERS
    #: A set listener asked for active_history=True: the old value is loaded for it.
    active_history = False
    #: What the attribute reads on an object without a row that never set it (a dataclass
    #: field's default, see dataclass_mapping.py).
    unset_value: Any = None

    def __init__(self, mapper: Mapper, key: str, column: Column) -> None:
        self.class_ = mapper.class_
        self.mapper = mapper
        self.key = key
        self.column = column
        self.__doc__ = getattr(column, "doc", None)  # Column(doc=...) / mapped_column(doc=...)

    def __get__(self, obj: Any, owner: Any) -> Any:
        if obj is None:
            return self
        # only reached when the value is not in obj.__dict__: unloaded, expired or never set
        return load_missing_attribute(obj, self.key)

    def __clause_element__(self) -> Column:
        return self.column

    def operate(self, op: Operator, *other: Any, **kw: Any) -> Any:
        """Build SQL from the mapped column."""
        return self.column.operate(op, *other, **kw)

    def reverse_operate(self, op: Operator, other: Any) -> Any:
        """Build SQL from the mapped column (``5 + User.age``)."""
        return self.column.reverse_operate(op, other)

    def label(self, name: str | None) -> Any:
        """``column AS name``."""
        return self.column.label(name)

    @property
    def expression(self) -> Column:
        """The mapped column."""
        return self.column

    @property
    def type(self) -> Any:
        """The column's type."""
        return self.column.type

    @property
    def name(self) -> str:
        """The column's name."""
        return self.column.name

    @property
    def table(self) -> Any:
        """The column's table."""
        return self.column.table

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return getattr(self.column, name)
        except AttributeError:
            raise AttributeError(
                f"neither {self.class_.__name__}.{self.key} nor its column has an attribute "
                f"{name!r}"
            ) from None

    def __repr__(self) -> str:
        return f"{self.class_.__name__}.{self.key}"

    def __bool__(self) -> bool:
        return True

    # last in the class body: a method named "property" shadows the builtin for what follows
    @property
    def property(self) -> Any:
        """The mapper property behind this attribute."""
        return self.mapper.column_attrs[self.key]


class ExpressionAttribute(InstrumentedAttribute[Any]):
    """The class-level face of a ``column_property()`` of a SQL expression: in queries it is
    the expression (labeled with its key in a SELECT list); on instances, the value loaded."""

    def __clause_element__(self) -> Any:
        return Label(self.key, self.column)

    def label(self, name: str | None) -> Any:
        """``expression AS name``."""
        return Label(name, self.column)

    @property
    def name(self) -> str:
        """The key: an expression has no column name of its own."""
        return self.key

    @property
    def table(self) -> Any:
        """None: an expression belongs to no one table."""
        return None


def load_missing_attribute(obj: Any, key: str) -> Any:
    """The value of an attribute missing from ``obj.__dict__``: None, or loaded from the row."""
    state: InstanceState | None = obj.__dict__.get(STATE)
    if state is None or state.key is None:
        if state is not None and state.expired:
            # DetachedInstanceError out of any session, as SQLAlchemy raises
            error = exc.InvalidRequestError if state.session else exc.DetachedInstanceError
            raise error(
                f"{_describe(obj)} was expired and its row rolled back, so its attribute "
                f"{key!r} has no value to load; set it again before using the object"
            )
        # transient or pending: an unset column reads as None (or what init_scalar gives)
        attr = type(obj).__mapper__.attrs.get(key)
        value = None
        if attr is not None:
            value = attr.unset_value
            for listener in attr.dispatch.init_scalar:
                value = listener(obj, value, obj.__dict__)
        return value
    session = state.session
    if state.deleted or state.was_deleted:
        # detached (its DELETE committed), it is DetachedInstanceError, as SQLAlchemy raises
        error = exc.ObjectDeletedError if session is not None else exc.DetachedInstanceError
        raise error(
            f"{_describe(obj)} was deleted"
            + ("" if session is not None else " and is detached")
            + f"; its attribute {key!r} cannot be loaded"
        )
    if key in state.mapper.deferred_keys:
        return _load_deferred(obj, state, key)
    if session is None:
        raise exc.DetachedInstanceError(
            f"{_describe(obj)} is detached (it belongs to no session), so its attribute "
            f"{key!r}, which was expired or never loaded, cannot be loaded. Add it to a session "
            "first (session.add(obj) or obj = session.merge(obj)), or keep attributes loaded "
            "after commit with Session(expire_on_commit=False)"
        )
    session._load_unloaded(obj, state)
    try:
        return obj.__dict__[key]
    except KeyError:
        raise exc.ObjectDeletedError(
            f"{_describe(obj)} has no row in the database any more (deleted elsewhere?); "
            f"its attribute {key!r} cannot be loaded"
        ) from None


def _load_deferred(obj: Any, state: InstanceState, key: str) -> Any:
    """A deferred attribute's first read: loaded with its group, or refused (raiseload)."""
    name = f"{type(obj).__name__}.{key}"
    if state.mapper.column_attrs[key].raiseload:
        raise exc.InvalidRequestError(
            f"'{name}' is not available due to raiseload=True: it is deferred and refuses to "
            "load on first read; map it without raiseload to load it then"
        )
    session = state.session
    if session is None:
        raise exc.DetachedInstanceError(
            f"{_describe(obj)} is detached (it belongs to no session), so its deferred "
            f"attribute '{name}', which the query that loaded the object left out, cannot be "
            "loaded; add the object to a session first (session.add(obj))"
        )
    session._load_deferred(obj, state, key)
    try:
        return obj.__dict__[key]
    except KeyError:
        raise exc.ObjectDeletedError(
            f"{_describe(obj)} has no row in the database any more (deleted elsewhere?); "
            f"its deferred attribute {key!r} cannot be loaded"
        ) from None


def value_of(obj: Any, key: str) -> Any:
    """An attribute's value, loading it when expired (``__dict__`` alone would read None)."""
    d = obj.__dict__
    return d[key] if key in d else getattr(obj, key)


def _describe(obj: Any) -> str:
    return f"<{type(obj).__name__} at 0x{id(obj):x}>"


def track_setattr(self: Any, key: str, value: Any) -> None:
    """``__setattr__`` of mapped classes: record the first change of a mapped attribute.

    A column with ``set`` listeners is not among ``__ok_tracked__`` but in
    ``__ok_listened__``, so columns nobody listens to pay nothing for events."""
    cls = type(self)
    if key in cls.__ok_tracked__:
        d = self.__dict__
        state = d.get(STATE)
        if state is not None and state.key is not None:
            state.modified_event(self, key, d)
        d[key] = value
        return
    rel = cls.__ok_rels__.get(key)
    if rel is not None:
        if not rel.configured:
            _configure_registry(rel)
        set_relationship(self, rel, value)
        return
    listened = cls.__ok_listened__.get(key)
    if listened is not None:
        _set_with_events(self, listened, value)
    else:
        object.__setattr__(self, key, value)


def _set_with_events(obj: Any, attr: InstrumentedAttribute[Any], value: Any) -> None:
    """Set a column attribute that has ``set`` listeners: they see the new value and the old
    one (NO_VALUE when not loaded, unless one asked for active_history), and a retval=True
    listener may give the value to store instead."""
    key = attr.key
    d = obj.__dict__
    state = d.get(STATE)
    if key not in d and attr.active_history and state is not None and state.key is not None:
        value_of(obj, key)  # loads it, so that the listeners get the old value
    old = d.get(key, NO_VALUE)
    initiator = AttributeEvent(attr, OP_REPLACE)
    for listener in attr.dispatch.set:
        value = listener(obj, value, old, initiator)
    if state is not None and state.key is not None:
        state.modified_event(obj, key, d)
    d[key] = value


def retrack(mapper: Mapper) -> None:
    """Set which columns of ``mapper``'s class are tracked plainly and which have ``set``
    listeners (called when the mapping or the listeners change)."""
    listened = {k: a for k, a in mapper.attrs.items() if a.dispatch.set}
    cls = mapper.class_
    type.__setattr__(cls, "__ok_tracked__", mapper.tracked_keys - listened.keys())
    type.__setattr__(cls, "__ok_listened__", listened)


def set_committed_value(instance: Any, key: str, value: Any) -> None:
    """Put ``value`` in attribute ``key`` as if loaded from the row: no history, nothing to
    flush (a collection is given its items as loaded)."""
    state = tracked_state(instance, "set_committed_value")
    mapper = state.mapper
    d = instance.__dict__
    rel = mapper.relationships.get(key)
    if rel is None and key not in mapper.columns_by_key:
        raise exc.InvalidRequestError(
            f"set_committed_value(): {type(instance).__name__} has no mapped attribute "
            f"{key!r}; its attributes are: {', '.join(mapper.all_keys())}"
        )
    if rel is not None and not rel.configured:
        _configure_registry(rel)
    if rel is not None and rel.uselist:
        from ormkit.orm.collections import new_collection  # collections imports this module

        value = new_collection(rel, instance, value or ())
    d[key] = value
    if state.committed is not None:
        state.committed.pop(key, None)


def flag_modified(instance: Any, key: str) -> None:
    """Mark attribute ``key`` of ``instance`` changed, so that the next flush writes it, even
    if its value is the same object (a JSON dict changed in place, say); fires ``modified``."""
    state = tracked_state(instance, "flag_modified")
    mapper = state.mapper
    attr: Any = mapper.attrs.get(key) or type(instance).__dict__.get(key)
    if key not in mapper.attrs and key not in mapper.relationships:
        raise exc.InvalidRequestError(
            f"flag_modified(): {type(instance).__name__} has no mapped attribute {key!r}; its "
            f"attributes are: {', '.join(mapper.all_keys())}"
        )
    d = instance.__dict__
    if key not in d:
        raise exc.InvalidRequestError(
            f"can't flag attribute {key!r} of {_describe(instance)} modified: it is not loaded "
            "(expired or never set), so there is no value to write; set it instead"
        )
    if state.key is not None:
        state.modified_event(instance, key, d)
        assert state.committed is not None
        state.committed[key] = NO_VALUE  # whatever it was: the flush writes the value
    dispatch = attr.dispatch if key in mapper.attrs else mapper.relationships[key].dispatch
    initiator = AttributeEvent(attr, OP_MODIFIED)
    for listener in dispatch.modified:
        listener(instance, initiator)


def flag_dirty(instance: Any) -> None:
    """Mark ``instance`` changed without changing an attribute: the next flush takes it in
    (its ``before_update`` listeners run), and UPDATEs only what they change."""
    tracked_state(instance, "flag_dirty")
    _mark_changed(instance)


# -- relationships ------------------------------------------------------------------------------


def _configure_registry(rel: Any) -> None:
    """Configure the registry ``rel`` belongs to (only that one, and what it depends on)."""
    from ormkit.orm.registries import configure_for  # registries imports this module

    configure_for(rel.parent)


class RelationshipAttribute:
    """The class-level face of a relationship: loads on first access, builds join criteria."""

    def __init__(self, class_: type, key: str, rel: Any) -> None:
        self.class_ = class_
        self.key = key
        self.rel = rel
        self.__doc__ = rel.doc  # relationship(doc=...)

    @property
    def info(self) -> dict[str, Any]:
        """The ``info`` dictionary given to ``relationship()``."""
        info: dict[str, Any] = self.rel.info
        return info

    def __get__(self, obj: Any, owner: Any) -> Any:
        if obj is None:
            return self
        from ormkit.orm.strategies import load_relationship

        return load_relationship(obj, self._configured())

    def _configured(self) -> Any:
        if not self.rel.configured:
            _configure_registry(self.rel)
        return self.rel

    @property
    def entity(self) -> Any:
        """The related mapped class."""
        return self._configured().mapper.class_

    def __join_target__(self) -> tuple[Any, Any]:
        """(FROM entry, ON clause) for ``select(User).join(User.posts)``."""
        from ormkit.orm.strategies import join_target

        return join_target(self._configured())

    def any(self, criterion: Any = None, **kwargs: Any) -> Any:
        """EXISTS a related row (matching ``criterion``): for collections."""
        from ormkit.orm.strategies import exists_clause

        return exists_clause(self._configured(), criterion, kwargs, "any")

    def has(self, criterion: Any = None, **kwargs: Any) -> Any:
        """EXISTS the related row (matching ``criterion``): for many-to-one."""
        from ormkit.orm.strategies import exists_clause

        return exists_clause(self._configured(), criterion, kwargs, "has")

    def contains(self, other: Any) -> Any:
        """The collection holds ``other``."""
        from ormkit.orm.strategies import compare_to_object

        return compare_to_object(self._configured(), other, contains=True)

    def __eq__(self, other: Any) -> Any:
        from ormkit.orm.strategies import compare_to_object

        return compare_to_object(self._configured(), other, contains=False)

    def __ne__(self, other: Any) -> Any:
        from ormkit.orm.strategies import compare_to_object

        return compare_to_object(self._configured(), other, contains=False, negate=True)

    __hash__ = object.__hash__

    def of_type(self, entity: Any) -> Any:
        """This relationship leading to ``entity``, an ``aliased()`` target class."""
        return _OfType(self, entity)

    def __repr__(self) -> str:
        return f"{self.class_.__name__}.{self.key}"

    # last in the class body: a method named "property" shadows the builtin for what follows
    @property
    def property(self) -> Any:
        """The Relationship behind this attribute."""
        return self._configured()


class _OfType:
    """``User.posts.of_type(p1)``: join along the relationship to an alias of its target."""

    def __init__(self, attr: RelationshipAttribute, entity: Any) -> None:
        self.attr = attr
        self.entity = entity

    def __join_target__(self) -> tuple[Any, Any]:
        from ormkit.orm.strategies import join_target
        from ormkit.sql.plugins import resolve

        return join_target(self.attr._configured(), resolve(self.entity))


def _mark_changed(obj: Any) -> None:
    """Mark an object with a row changed without touching column values (put in its
    session's modified set, or in the next one's when detached)."""
    state = obj.__dict__.get(STATE)
    if state is not None and state.key is not None:
        state.modified = True  # a detached object is dirty once attached again
        session = state.session
        if session is not None:
            if not session._begun:  # a change begins the transaction, as add() does
                session._autobegin()
            session._modified[id(obj)] = obj


def set_relationship(obj: Any, rel: Any, value: Any) -> None:
    """``obj.<rel> = value``: replace a collection or a related object, keeping links in step."""
    from ormkit.orm.collections import new_collection

    d = obj.__dict__
    key = rel.key
    dispatch = rel.dispatch
    if rel.uselist:
        old = d.get(key)
        if old is not None and old is value:
            return
        items = list(value) if value is not None else []
        if dispatch.listened:
            items = _bulk_replace_events(obj, rel, old, items)
        new = new_collection(rel, obj, (), loaded=True)
        old_items = list(old) if old is not None else []
        new._ok_load(items)
        for item in old_items:
            if not any(item is i for i in items):
                new._ok_removed.append(item)
                _reverse(obj, rel, item, added=False)
        for item in items:
            if not any(item is o for o in old_items):
                new._ok_added.append(item)
                _reverse(obj, rel, item, added=True)
                cascade_add(obj, rel, item)
        if old is not None:
            new._ok_removed.extend(r for r in old._ok_removed if r not in new._ok_removed)
        d[key] = new
        _mark_changed(obj)
        return
    old = d.get(key, _MISSING)
    if old is _MISSING and rel.direction.name == "MANYTOONE":
        old = _current_target(obj, rel)  # not read yet: the identity map may know it
    if dispatch.set:
        initiator = AttributeEvent(rel, OP_REPLACE)
        for listener in dispatch.set:
            value = listener(obj, value, NO_VALUE if old is _MISSING else old, initiator)
    if old is value:
        # set all the same: "dirty" is optimistic, as in SQLAlchemy; the other side is left
        # alone (the same object: SQLAlchemy's backref does nothing either)
        _mark_changed(obj)
        d[key] = value  # loaded now: the value it was known to have
        return
    cascade_add(obj, rel, value)  # first: when it raises, nothing has changed
    _changing(obj, key, old)
    d[key] = value
    if old is not _MISSING and old is not None:
        _reverse(obj, rel, old, added=False)
        reverse = rel.reverse
        if value is None and reverse is not None and "delete-orphan" in reverse.cascade:
            _orphaned(old, reverse, obj)
    if value is not None:
        _reverse(obj, rel, value, added=True)
        if rel.reverse is not None:
            _reparented(obj, rel.reverse)


def _reparented(item: Any, rel: Any) -> None:
    """``item`` has a parent along the delete-orphan ``rel`` again: no orphan of it any more
    (what SQLAlchemy's "has a parent" flag says, whatever is loaded or expired later)."""
    state = item.__dict__.get(STATE)
    if state is not None and state.orphaned_from:
        state.orphaned_from = [r for r in state.orphaned_from if r is not rel] or None


_MISSING: Any = object()


def _bulk_replace_events(obj: Any, rel: Any, old: Any, items: list[Any]) -> list[Any]:
    """A collection set as a whole: ``bulk_replace`` sees the new items, ``append`` each one
    not there before (a retval=True listener may give another), ``remove`` each one leaving,
    ``dispose_collection`` the old collection. The items to store are returned."""
    dispatch = rel.dispatch
    for listener in dispatch.bulk_replace:
        listener(obj, items, AttributeEvent(rel, OP_BULK_REPLACE))
    old_items = list(old) if old is not None else []
    if dispatch.append:
        appended = AttributeEvent(rel, OP_APPEND)
        kept = []
        for item in items:
            if not any(item is o for o in old_items):
                for listener in dispatch.append:
                    item = listener(obj, item, appended)
            kept.append(item)
        items = kept
    removed = AttributeEvent(rel, OP_REMOVE)
    for item in old_items:
        if not any(item is i for i in items):
            for listener in dispatch.remove:
                listener(obj, item, removed)
    if old is not None:
        for listener in dispatch.dispose_collection:
            listener(obj, old, old)
    return items


def collection_append_event(owner: Any, rel: Any, item: Any) -> Any:
    """``append`` listeners of an item about to join ``owner``'s collection: the item to add
    (a retval=True listener may give another)."""
    initiator = AttributeEvent(rel, OP_APPEND)
    for listener in rel.dispatch.append:
        item = listener(owner, item, initiator)
    return item


def collection_remove_event(owner: Any, rel: Any, item: Any) -> None:
    """``remove`` listeners of an item that left ``owner``'s collection."""
    initiator = AttributeEvent(rel, OP_REMOVE)
    for listener in rel.dispatch.remove:
        listener(owner, item, initiator)


def _changing(obj: Any, key: str, old: Any) -> None:
    """A many-to-one of a persistent object is about to change from ``old`` (known even when
    not loaded, from the identity map): remember it, so that cascades still reach it."""
    d = obj.__dict__
    state = d.get(STATE)
    if state is not None and state.key is not None:
        state.modified_event(obj, key, d if key in d or old is _MISSING else {key: old})


def _current_target(obj: Any, rel: Any) -> Any:
    """The loaded many-to-one value, or the one the foreign key names without SQL (None for
    a loaded NULL key, or the object the identity map holds), or _MISSING when not known."""
    d = obj.__dict__
    if rel.key in d:
        return d[rel.key]
    state = d.get(STATE)
    if state is None:
        return _MISSING
    parent = rel.parent
    fk_keys = [parent.key_for_column(fk) for _, fk in rel.pairs]
    if (
        state.key is not None
        and all(k in d for k in fk_keys)
        and any(d[k] is None for k in fk_keys)
    ):
        return None  # as SQLAlchemy's lazy loader: a NULL key names no object
    if state.session is None or not rel.target_is_pk_lookup():
        return _MISSING
    by_col = {id(ref): d.get(parent.key_for_column(fk)) for ref, fk in rel.pairs}
    pk = tuple(by_col.get(id(c)) for c in rel.mapper.primary_key)
    if any(v is None for v in pk):
        return _MISSING
    found = state.session.identity_map.get((rel.mapper.class_, pk))
    if found is None or _wholly_expired(found):
        return _MISSING  # SQLAlchemy does not take an expired object without loading it
    return found


def _wholly_expired(obj: Any) -> bool:
    """Expired as a whole (its primary key attributes too), not loaded since."""
    state = obj.__dict__.get(STATE)
    d = obj.__dict__
    return bool(
        state is not None
        and state.expired
        and not any(d.get(k) is not None for k in state.mapper.pk_keys)
    )


def cascade_add(owner: Any, rel: Any, item: Any) -> None:
    """save-update cascade as it happens: an object linked to one in a session joins it."""
    if item is None or "save-update" not in rel.cascade:
        return
    state = owner.__dict__.get(STATE)
    session = state.session if state is not None else None
    if session is None:
        return
    item_state = item.__dict__.get(STATE)
    if item_state is None or item_state.session is None:
        session.add(item)  # one whose DELETE was committed is refused, as SQLAlchemy
    elif item_state.session is session and item_state.deleted:
        raise exc.InvalidRequestError(
            f"{_describe(item)} was deleted by a flush of this transaction, so it cannot be "
            f"linked to {_describe(owner)} through {rel.parent.class_.__name__}.{rel.key}: "
            "the save-update cascade would add it back; session.rollback() brings its row "
            "back, or ormkit.orm.make_transient(obj) turns it into a new object to INSERT"
        )


def collection_changed(owner: Any, rel: Any, item: Any, added: bool) -> None:
    """A collection of ``owner`` gained or lost ``item``: mark it and update the other side."""
    _mark_changed(owner)
    _reverse(owner, rel, item, added)
    if added:
        cascade_add(owner, rel, item)
        _reparented(item, rel)
    elif "delete-orphan" in rel.cascade:
        _orphaned(owner, rel, item)


def _orphaned(owner: Any, rel: Any, item: Any) -> None:
    """``item`` left ``owner``'s delete-orphan collection ``rel``. A new object has no reason
    to be INSERTed: if it is new in the parent's session it leaves it at once (appending it
    to another parent brings it back). Otherwise, as in SQLAlchemy, the item remembers it: a
    session it is in, or joins by a cascade, drops it at the next flush (deletes it, if
    persistent) unless it has a parent again then."""
    owner_state = owner.__dict__.get(STATE)
    session = owner_state.session if owner_state is not None else None
    state = item.__dict__.get(STATE)
    if session is not None and state is not None and id(item) in session._new:
        session.expunge(item)
        return
    if state is None:
        state = tracked_state(item, "orphan tracking")
    if state.orphaned_from is None:
        state.orphaned_from = []
    state.orphaned_from.append(rel)
    if state.session is not None:
        # the flush looks at it then: still without a parent, it is an orphan
        state.session._orphans.append((item, rel))


def _reverse(owner: Any, rel: Any, item: Any, added: bool) -> None:
    """Update ``item``'s side of a back_populates/backref pair, without loading anything (an
    unloaded collection changed this way makes its owner dirty, as in SQLAlchemy)."""
    reverse = getattr(rel, "reverse", None)
    if reverse is None or item is None:
        return
    listeners = reverse.dispatch
    if listeners.set or listeners.append or listeners.remove:
        _backref_events(owner, rel, reverse, item, added)
    d = item.__dict__
    if reverse.uselist:
        collection = d.get(reverse.key)
        if collection is None:
            if _queue_link(item, reverse.key, added, owner):
                return
            from ormkit.orm.collections import new_collection

            collection = d[reverse.key] = new_collection(reverse, item)  # new: nothing to load
        if added:
            collection._ok_quiet_append(owner)
        else:
            collection._ok_quiet_remove(owner)
        _mark_changed(item)
        return
    current = d.get(reverse.key, _MISSING)
    if current is _MISSING:
        current = _current_target(item, reverse)  # not read yet: the identity map may know it
    if added:
        if current is owner:
            _mark_changed(item)  # set to what it was: dirty all the same, as in SQLAlchemy
            return
        _changing(item, reverse.key, current)
        d[reverse.key] = owner
        if current is not _MISSING and current is not None and rel.uselist:
            # the item moved from another owner: take it out of that owner's collection
            previous = current.__dict__.get(rel.key)
            if previous is not None:
                previous._ok_quiet_remove(item)
                _mark_changed(current)
            else:
                _queue_link(current, rel.key, False, item)
    elif current is owner or current is _MISSING:  # not known: None all the same, as SA
        _changing(item, reverse.key, current)
        d[reverse.key] = None


def _queue_link(owner: Any, key: str, added: bool, item: Any) -> bool:
    """``owner.<key>`` (a collection) gains or loses ``item`` while not loaded: for an
    object with a row, the change waits to be applied when it loads, flushed or not (True),
    and the owner is marked changed all the same, as SQLAlchemy reports it dirty."""
    state = owner.__dict__.get(STATE)
    if state is None or state.key is None:
        return False
    if state.pending_links is None:
        state.pending_links = {}
    state.pending_links.setdefault(key, []).append((added, item))
    _mark_changed(owner)
    return True


def _backref_events(owner: Any, rel: Any, reverse: Any, item: Any, added: bool) -> None:
    """The other side's listeners see a change made through this side, as in SQLAlchemy;
    the initiator names this side (what ``validates(include_backrefs=False)`` looks at).
    What they return is not used: the other side holds ``owner`` itself."""
    if reverse.uselist:
        op = OP_APPEND if added else OP_REMOVE
        initiator = AttributeEvent(rel, op)
        for listener in reverse.dispatch.append if added else reverse.dispatch.remove:
            listener(item, owner, initiator)
        return
    old = item.__dict__.get(reverse.key, NO_VALUE)
    initiator = AttributeEvent(rel, OP_REPLACE)
    for listener in reverse.dispatch.set:
        listener(item, owner if added else None, old, initiator)


def _attribute_dispatchers(target: Any) -> list[Dispatch] | None:
    """Where listeners of Attribute events on ``target`` go: a mapped column attribute
    (``User.email``) or a relationship attribute (``User.posts``), each its own."""
    if isinstance(target, InstrumentedAttribute):
        if not target.dispatch.owned_by(target):
            target.dispatch = Dispatch(ATTRIBUTE_EVENTS, owner=target)
            target.dispatch.on_change = lambda name, attr=target: _listeners_changed(attr)
        return [target.dispatch]
    if isinstance(target, RelationshipAttribute):
        rel = target.rel
        if not rel.dispatch.owned_by(rel):
            rel.dispatch = Dispatch(ATTRIBUTE_EVENTS, owner=rel)
        return [rel.dispatch]
    return None


def _listeners_changed(attr: InstrumentedAttribute[Any]) -> None:
    attr.active_history = attr.dispatch.flagged("set", "active_history")
    retrack(attr.mapper)


register_family(ATTRIBUTE_EVENTS, _attribute_dispatchers)
