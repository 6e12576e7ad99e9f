"""``Session.merge()``: copy an object's state onto the session's object for the same row.

The object merged may come from another session, be detached, or be an unpickled copy. The
session's object for its row is found in the identity map, else loaded (``load=True``), else
made: pending when the row does not exist, persistent when ``load=False`` trusts the copy. The
copy's loaded columns are set on it (as changes, so they are flushed), and its loaded
relationships with the ``merge`` cascade (the default) are merged the same way, object by
object, so a pickled user with its addresses comes back as the session's user holding the
session's addresses.

Walking a relationship and then its reverse would merge the same link twice, and would
replace the whole collection of the object at the other end (orphaning what the copy did not
hold): a relationship is not followed back along its reverse, as in SQLAlchemy; the backref
of the link just set keeps the other side in step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ormkit import exc
from ormkit.orm.collections import new_collection
from ormkit.orm.mapper import object_mapper
from ormkit.orm.state import STATE, InstanceState, state_of

if TYPE_CHECKING:
    from ormkit.orm.relationships import Relationship
    from ormkit.orm.session import Session


class Merge:
    """One ``merge()`` call: the objects merged so far, so each is merged once."""

    def __init__(self, session: Session, load: bool, options: Any) -> None:
        self.session = session
        self.load = load
        self.options = options
        #: id(copy) -> the session's object
        self.by_copy: dict[int, Any] = {}
        #: identity key -> the session's object: two copies of one row give one object
        self.by_key: dict[Any, Any] = {}
        #: (id(copy), relationship) for each object reached through a relationship
        self.reached: set[tuple[int, Relationship]] = set()
        #: the copies merged, kept alive so that their ids above stay theirs
        self.copies: list[Any] = []

    def merge(self, copy: Any) -> Any:
        """The session's object for ``copy``'s row, holding ``copy``'s loaded state."""
        done = self.by_copy.get(id(copy))
        if done is not None:
            return done
        mapper = object_mapper(copy)
        state = state_of(copy)
        if state is not None and state.session is self.session and not state.deleted:
            if state.key is None and not self.load:
                raise _transient_refused(mapper)  # pending: it names no row yet
            return copy  # already this session's object
        # (an object whose DELETE was flushed is merged as a copy, as SQLAlchemy does: its
        # row is gone, so a new pending object takes its state and will INSERT the row again)
        key, has_row = self._key(copy, state)
        target = self.session.identity_map.get(key) if has_row else None
        if target is None and has_row:
            target = self.by_key.get(key)
        made = False
        if target is not None and self.load:
            self._load_expired(target)
        if target is None:
            if not self.load:
                target = self._attached_copy(copy, state, key)
            elif has_row:
                target = self.session.get(mapper.class_, key[1], options=self.options)
        if target is None:
            cls: Any = mapper.class_
            target = cls.__new__(cls)
            self.session.add(target)
            made = True
        self.by_copy[id(copy)] = target
        self.copies.append(copy)
        if has_row:
            self.by_key[key] = target
        self._columns(copy, target, made)
        self._relationships(copy, target)
        if not self.load:
            self._forget_changes(target)
        return target

    def _key(self, copy: Any, state: InstanceState | None) -> tuple[Any, bool]:
        """(identity key, whether it can name a row) of the copy."""
        if state is not None and state.key is not None:
            return state.key, True
        mapper = object_mapper(copy)
        if not self.load:
            raise _transient_refused(mapper)
        pk = mapper.primary_key_from_instance(copy)
        return (mapper.class_, pk), all(v is not None for v in pk)

    def _load_expired(self, target: Any) -> None:
        """The session's object for the row, expired: its row is read first (as get() does),
        so what the copy sets is tracked against loaded values."""
        state: InstanceState = target.__dict__[STATE]
        keys = state.mapper.load_keys
        if not state.deleted and any(k not in target.__dict__ for k in keys):
            self.session._load_unloaded(target, state)
            if any(k not in target.__dict__ for k in keys):
                raise exc.ObjectDeletedError(
                    f"merge(): the session's {state.mapper.class_.__name__} object for the row "
                    f"{state.key[1]!r} was expired and its row is gone (deleted by another "
                    "statement?); expunge it first"
                )

    def _attached_copy(self, copy: Any, state: InstanceState | None, key: Any) -> Any:
        """load=False and the row is not in the session: a persistent object is made for it,
        trusting the copy (no SELECT)."""
        if state is not None and state.modified:
            raise exc.InvalidRequestError(
                f"merge(load=False) got a {type(copy).__name__} object with changes not "
                "flushed; load=False copies a row's state as clean, so it would lose them: "
                "flush them first, or merge with load=True"
            )
        self.session._autobegin()  # an object joins the session, as add() begins
        cls: Any = type(copy)
        target = cls.__new__(cls)
        target_state = InstanceState(object_mapper(copy), self.session, key)
        target.__dict__[STATE] = target_state
        self.session.identity_map.add(key, target)
        return target

    def _columns(self, copy: Any, target: Any, made: bool) -> None:
        source, dest = copy.__dict__, target.__dict__
        quiet = made or not self.load  # nothing to track: a new object, or copied as clean
        for key in object_mapper(copy).column_attrs:  # (deferred ones and expressions too)
            if key in source:
                if quiet:
                    dest[key] = source[key]
                else:
                    setattr(target, key, source[key])

    def _relationships(self, copy: Any, target: Any) -> None:
        source = copy.__dict__
        for rel in object_mapper(copy).relationships.values():
            if rel.key not in source or "merge" not in rel.cascade or rel.viewonly:
                continue  # not loaded: the session's object loads its own when asked
            if self.load and rel.reverse is not None and (id(copy), rel.reverse) in self.reached:
                continue  # reached through the reverse: that link is set already
            value = source[rel.key]
            if rel.uselist:
                merged = [self._reach(item, rel) for item in value or ()]
                if self.load:
                    setattr(target, rel.key, set(merged) if isinstance(value, set) else merged)
                else:
                    target.__dict__[rel.key] = new_collection(rel, target, merged)
            else:
                one = self._reach(value, rel) if value is not None else None
                if self.load:
                    setattr(target, rel.key, one)
                else:
                    target.__dict__[rel.key] = one

    def _reach(self, item: Any, rel: Relationship) -> Any:
        self.reached.add((id(item), rel))
        return self.merge(item)

    def _forget_changes(self, target: Any) -> None:
        """load=False: the merged object is clean, its values being the row's."""
        target.__dict__[STATE].reset_changes()
        self.session._modified.pop(id(target), None)


def check_copy(copy: Any, load: bool) -> None:
    """Refuse a copy merge() cannot take, after the autoflush but before anything else is
    looked at: with ``load=False`` one never flushed; one expired whose INSERT was rolled
    back, whose primary key cannot be read (DetachedInstanceError, as reading raises)."""
    state = state_of(copy)
    if state is None or state.key is None:
        if not load:
            raise _transient_refused(object_mapper(copy))
        for key in object_mapper(copy).pk_keys:
            if key not in copy.__dict__:
                getattr(copy, key)


def _transient_refused(mapper: Any) -> exc.InvalidRequestError:
    return exc.InvalidRequestError(
        f"merge(load=False) got a {mapper.class_.__name__} object never flushed (transient or "
        "pending), so it names no row; load=False only takes copies of rows, such as objects "
        "from another session or a cache: flush it first, or merge with load=True"
    )
