"""Per-object bookkeeping: identity key, owning session, old values of changed attributes.

One small ``InstanceState`` per tracked object, stored in the object's ``__dict__`` under
``STATE``. Loaded attribute values live in ``__dict__`` itself; the state keeps only what a
plain object cannot: which row it is, which session owns it, and the value each changed
attribute had before its first change (so a flush sends only real changes).
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from ormkit import exc
from ormkit.orm.mapper import Mapper, class_mapper, mapper_of

if TYPE_CHECKING:
    from ormkit.orm.session import Session

#: The key under which an object's state lives in its ``__dict__``.
STATE = "_ok_state"


class _NoValue:
    """Marks an attribute that had no loaded value before its first change."""

    def __repr__(self) -> str:
        return "NO_VALUE"

    def __reduce__(self) -> str:
        return "NO_VALUE"  # unpickles as the module's one instance: compared with ``is``


NO_VALUE: Any = _NoValue()


class InstanceState:
    """Where one mapped object stands: transient, pending, persistent, deleted or detached.

    The defaults are class attributes, so a new state carries only what differs: a loader
    sets ``mapper``, ``session`` and ``key`` on a bare ``InstanceState.__new__`` (no
    ``__init__`` call per row), and everything else reads the shared default until it changes.
    """

    #: The mapper of the object's class.
    mapper: Mapper
    #: The session that owns the object, if any.
    session: Session | None = None
    #: (class, primary key tuple) once the row exists in the database.
    key: Any = None
    #: Values changed attributes had before their first change, or None.
    committed: dict[str, Any] | None = None
    modified = False
    #: Deleted by a flush of this session's open transaction.
    deleted = False
    #: Deleted and committed: the row is gone for good.
    was_deleted = False
    #: The query that loaded the object (loader options, N+1 counting), if any.
    load_batch: Any = None
    #: Attributes were expired and not loaded since (reading them needs the database).
    expired = False
    #: Column values as of the last flush of an object whose INSERT was rolled back (it is
    #: new again): is_modified() compares with them, or None.
    flushed_values: dict[str, Any] | None = None
    #: collection key -> [(added, object)]: links a backref made while the collection was not
    #: loaded, applied when it loads (the rows may not be flushed yet), or None.
    pending_links: dict[str, list[tuple[bool, Any]]] | None = None
    #: delete-orphan relationships the object left while it was not new in its parent's
    #: session, or None: a session it joins by a cascade drops it at the next flush unless it
    #: has a parent again (add() of the object itself clears this), as SQLAlchemy does
    orphaned_from: list[Any] | None = None
    #: a weak reference to the object, set when the state is reached through it (inspect):
    #: loaders do not pay for one per row
    _obj_ref: Any = None

    def __init__(self, mapper: Mapper, session: Session | None = None, key: Any = None) -> None:
        self.mapper = mapper
        if session is not None:
            self.session = session
        if key is not None:
            self.key = key

    # -- pickling: the object is detached on the way (no session, no loading query) ---------

    def __getstate__(self) -> dict[str, Any]:
        """What a pickle of the object keeps: its class, row key, changes and expiry."""
        data: dict[str, Any] = {"class_": self.mapper.class_}
        if self.key is not None:
            data["key"] = self.key
        if self.committed:
            data["committed"] = self.committed
        if self.modified:
            data["modified"] = True
        if self.expired:
            data["expired"] = True
        return data

    def __setstate__(self, data: dict[str, Any]) -> None:
        self.mapper = class_mapper(data["class_"])
        for name in ("key", "committed", "modified", "expired"):
            if name in data:
                setattr(self, name, data[name])

    def modified_event(self, obj: object, key: str, old_dict: dict[str, Any]) -> None:
        """Called before ``key`` of a persistent object changes: keep the old value once."""
        if not self.modified:
            session = self.session
            if session is not None:
                if not session._begun:  # a change begins the transaction, as add() does
                    session._autobegin()
                session._modified[id(obj)] = obj
            self.modified = True
        committed = self.committed
        if committed is None:
            committed = self.committed = {}
        if key not in committed:
            committed[key] = old_dict.get(key, NO_VALUE)

    def reset_changes(self) -> None:
        """Forget old values: what is in ``__dict__`` now matches the database."""
        self.committed = None
        self.modified = False

    # -- lifecycle, as SQLAlchemy's inspect(obj) reports it ---------------------------------

    @property
    def transient(self) -> bool:
        """Not in a session and never saved."""
        return self.session is None and self.key is None

    @property
    def pending(self) -> bool:
        """Added to a session, not yet flushed."""
        return self.session is not None and self.key is None

    @property
    def persistent(self) -> bool:
        """In a session with a row in the database."""
        return self.session is not None and self.key is not None and not self.deleted

    @property
    def detached(self) -> bool:
        """Has a row (or had one) but belongs to no session."""
        return self.session is None and self.key is not None

    @property
    def has_identity(self) -> bool:
        """True once the object has a primary key in the database."""
        return self.key is not None

    @property
    def identity(self) -> tuple[Any, ...] | None:
        """The primary key values, once persistent."""
        return self.key[1] if self.key is not None else None

    @property
    def identity_key(self) -> Any:
        """(class, primary key tuple, None), SQLAlchemy's identity key shape."""
        return (self.key[0], self.key[1], None) if self.key is not None else None

    @property
    def class_(self) -> type:
        """The mapped class."""
        return self.mapper.class_

    def obj(self) -> Any:
        """The object, when this state was reached through it (``inspect(obj)``), or None."""
        return self._obj_ref() if self._obj_ref is not None else None

    @property
    def attrs(self) -> AttributeStates:
        """Each mapped attribute of the object: ``inspect(user).attrs.name.history``."""
        obj = self.obj()
        if obj is None:
            raise exc.InvalidRequestError(
                "this InstanceState does not know its object (it was garbage collected, or "
                "the state was not reached through inspect(obj))"
            )
        return AttributeStates(self, obj)


def inspected_state(obj: object) -> InstanceState:
    """The state of a mapped object, made if none yet, knowing its object (``inspect``)."""
    state = tracked_state(obj, "inspect")
    if state._obj_ref is None:
        state._obj_ref = weakref.ref(obj)
    return state


def state_of(obj: object) -> InstanceState | None:
    """The state of a mapped object, or None when it was never tracked."""
    try:
        found: InstanceState | None = obj.__dict__.get(STATE)
    except AttributeError:
        return None
    return found


# -- moving an object between states by hand, as SQLAlchemy's functions of the same names -------


def tracked_state(instance: object, what: str) -> InstanceState:
    """The state of a mapped object, made if it has none yet (``what`` names the caller)."""
    state = state_of(instance)
    if state is None:
        mapper = mapper_of(type(instance))
        if mapper is None:
            raise exc.UnmappedInstanceError(
                f"{what}() got {type(instance).__name__} object {instance!r}, whose class is "
                "not mapped"
            )
        state = instance.__dict__[STATE] = InstanceState(mapper)
    return state


def make_transient(instance: object) -> None:
    """Turn an object into a new one, as if never saved: out of its session, without a row
    identity, keeping the values it holds (those expired or never loaded stay unset); adding
    it again INSERTs it."""
    state = tracked_state(instance, "make_transient")
    session = state.session
    if session is not None:
        session._detach(instance, state)
        session._flushed_new.pop(id(instance), None)  # its rollback must not touch it now
    state.key = None
    state.deleted = state.was_deleted = state.expired = False
    state.load_batch = None
    state.flushed_values = None  # a new object by hand: all it holds is to be written
    state.reset_changes()


def make_transient_to_detached(instance: object) -> None:
    """Give a transient object the identity of its primary key values, as if loaded and then
    detached; adding it to a session attaches it to that row (attributes it does not hold
    load from the row when read)."""
    state = tracked_state(instance, "make_transient_to_detached")
    if state.session is not None or state.key is not None:
        raise exc.InvalidRequestError(
            f"make_transient_to_detached() takes a transient object; this "
            f"{type(instance).__name__} object is already "
            f"{'in a session' if state.session is not None else 'persisted (detached)'}"
        )
    mapper = state.mapper
    missing = [k for k in mapper.pk_keys if instance.__dict__.get(k) is None]
    if missing:
        raise exc.InvalidRequestError(
            f"make_transient_to_detached(): {type(instance).__name__}.{missing[0]} has no value; "
            "the primary key is what says which row the object is"
        )
    state.key = (mapper.class_, mapper.primary_key_from_instance(instance))
    state.reset_changes()
    state.expired = False  # what it does not hold loads from its row once it is attached


# -- what changed: attribute history, as SQLAlchemy's History and AttributeState -------------


class History(tuple[Any, Any, Any]):
    """``(added, unchanged, deleted)`` of one attribute since it was loaded: each a list of
    values (the items of a collection, or one value for a column or many-to-one), or ``()``
    when empty, as SQLAlchemy gives them."""

    __slots__ = ()

    def __new__(cls, added: Any = (), unchanged: Any = (), deleted: Any = ()) -> History:
        parts = tuple(list(part) if part else () for part in (added, unchanged, deleted))
        return super().__new__(cls, parts)

    @property
    def added(self) -> Any:
        """Values set or items appended since the last load or flush."""
        return self[0]

    @property
    def unchanged(self) -> Any:
        """Values loaded and still there."""
        return self[1]

    @property
    def deleted(self) -> Any:
        """Values replaced or items removed since the last load or flush."""
        return self[2]

    def empty(self) -> bool:
        """Nothing loaded, nothing changed."""
        return not (self[0] or self[1] or self[2])

    def has_changes(self) -> bool:
        """Something was added or deleted."""
        return bool(self[0] or self[2])

    def non_deleted(self) -> list[Any]:
        """added + unchanged: what the attribute holds now."""
        return [*self[0], *self[1]]

    def non_added(self) -> list[Any]:
        """unchanged + deleted: what it held when loaded."""
        return [*self[1], *self[2]]

    def sum(self) -> list[Any]:
        """added + unchanged + deleted."""
        return [*self[0], *self[1], *self[2]]

    def __repr__(self) -> str:
        return f"History(added={self[0]!r}, unchanged={self[1]!r}, deleted={self[2]!r})"


def get_history(obj: object, key: str, passive: Any = None) -> History:
    """The History of attribute ``key`` of a mapped object, from what it holds (nothing is
    loaded: an attribute not loaded has an empty history)."""
    if passive is not None:
        raise exc.ArgumentError(
            "get_history() does not support argument 'passive' yet; it never loads anything"
        )
    state = tracked_state(obj, "get_history")
    mapper = state.mapper
    if key not in mapper.columns_by_key and key not in mapper.relationships:
        raise exc.InvalidRequestError(
            f"{type(obj).__name__} has no mapped attribute {key!r}; its attributes are: "
            f"{', '.join(mapper.all_keys())}"
        )
    d = obj.__dict__
    current = d.get(key, NO_VALUE)
    rel = mapper.relationships.get(key)
    if rel is not None and current is not NO_VALUE and hasattr(current, "_ok_added"):
        added = list(current._ok_added)
        return History(
            added,
            [item for item in current if not any(item is a for a in added)],
            current._ok_removed,
        )
    if state.key is None:  # no row yet: whatever it holds is to be added
        return History(() if current is NO_VALUE else (current,), (), ())
    committed = state.committed or {}
    if key not in committed:
        return History((), () if current is NO_VALUE else (current,), ())
    old = committed[key]
    if current is NO_VALUE:
        return History((), (), () if old is NO_VALUE else (old,))
    if old is NO_VALUE:
        return History((current,), (), ())
    if old is current or (rel is None and old == current):
        return History((), (current,), ())
    return History((current,), (), (old,))


class AttributeState:
    """One attribute of one object, as ``inspect(obj).attrs.name`` shows it."""

    def __init__(self, state: InstanceState, obj: object, key: str) -> None:
        self.state = state
        self.key = key
        self._obj = obj

    @property
    def value(self) -> Any:
        """The attribute's value, loaded if it is not (as reading ``obj.name`` does)."""
        return getattr(self._obj, self.key)

    @property
    def loaded_value(self) -> Any:
        """The value held now, or NO_VALUE when it is not loaded (nothing is loaded)."""
        return self._obj.__dict__.get(self.key, NO_VALUE)

    @property
    def history(self) -> History:
        """What changed since the last load or flush (nothing is loaded)."""
        return get_history(self._obj, self.key)

    def load_history(self) -> History:
        """The History, loading the attribute first when it is not loaded."""
        getattr(self._obj, self.key)
        return get_history(self._obj, self.key)

    def __repr__(self) -> str:
        return f"<AttributeState {type(self._obj).__name__}.{self.key}>"


class AttributeStates:
    """``inspect(obj).attrs``: every mapped attribute's AttributeState, by name."""

    def __init__(self, state: InstanceState, obj: object) -> None:
        self._state = state
        self._obj = obj
        self._keys = state.mapper.all_keys()

    def __getattr__(self, key: str) -> AttributeState:
        if key.startswith("_") or key not in self._keys:
            raise AttributeError(
                f"{type(self._obj).__name__} has no mapped attribute {key!r}; its attributes "
                f"are: {', '.join(self._keys)}"
            )
        return AttributeState(self._state, self._obj, key)

    def __getitem__(self, key: str) -> AttributeState:
        if key not in self._keys:
            raise KeyError(key)
        return AttributeState(self._state, self._obj, key)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __iter__(self) -> Any:
        return (AttributeState(self._state, self._obj, k) for k in self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def keys(self) -> list[str]:
        """The mapped attribute names."""
        return list(self._keys)

    def items(self) -> list[tuple[str, AttributeState]]:
        """(name, AttributeState) pairs."""
        return [(k, AttributeState(self._state, self._obj, k)) for k in self._keys]

    def values(self) -> list[AttributeState]:
        """Every AttributeState."""
        return [AttributeState(self._state, self._obj, k) for k in self._keys]


def instance_state(obj: object) -> InstanceState:
    """The InstanceState of a mapped object (what ``inspect(obj)`` gives)."""
    return inspected_state(obj)


def instance_dict(obj: object) -> dict[str, Any]:
    """The dictionary a mapped object keeps its loaded values in."""
    return obj.__dict__


def object_session(obj: object) -> Session | None:
    """The Session a mapped object belongs to, or None."""
    return tracked_state(obj, "object_session").session


def was_deleted(obj: object) -> bool:
    """Whether the object's DELETE was committed (it is detached, its row gone)."""
    return tracked_state(obj, "was_deleted").was_deleted
