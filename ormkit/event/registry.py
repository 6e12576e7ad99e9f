"""Listeners and where they are kept: event families, dispatchers, and the targets they serve.

An event family (``EventFamily``) names the events one kind of target has, with the arguments
each listener gets. A target keeps a ``Dispatch``: one tuple of listeners per event name, read
by the code that fires the event (an empty tuple is false, so a call site with no listener
pays one attribute read). Dispatchers form a tree: the listeners of a class (``Engine``,
``Session``) come before those of an instance made from it, and a change to a parent reaches
every child, so firing never walks the tree.

The layers that own targets register each family with a resolver (``register_family``):
a function from a listen() target to the dispatchers the listener goes to, or None when the
target is not of that kind. ``ormkit.event`` itself imports none of them.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ormkit import exc


@dataclass(frozen=True)
class EventDef:
    """One event: the arguments its listeners get, in order.

    ``returns`` is set for events whose listeners may give back replacement values
    (``retval=True``): from the arguments, what a listener registered without ``retval``
    stands for (the values unchanged)."""

    args: tuple[str, ...]
    returns: Callable[[tuple[Any, ...]], Any] | None = None
    #: The position of the mapped object among the arguments, for ``raw=True`` listeners
    #: (they get its InstanceState instead); None when the event has no such argument.
    instance_arg: int | None = None


@dataclass
class EventFamily:
    """The events of one kind of target (``"Connection"``, ``"Pool"``, ``"Session"``...)."""

    name: str
    events: dict[str, EventDef]
    #: Whether ``propagate=True`` means something here (class hierarchies of mapped classes).
    propagates: bool = False
    #: Whether ``raw=True`` means something here (listeners get the object's state).
    raw: bool = False
    #: For ``raw=True``: the state of a mapped object.
    state_of: Callable[[Any], Any] | None = None
    #: listen() flags this family takes beyond the common ones, with what they mean.
    extra_flags: frozenset[str] = frozenset()


#: (family, resolver) in registration order; see register_family.
_FAMILIES: list[tuple[EventFamily, Callable[[Any], Sequence[Dispatch] | None]]] = []


def register_family(
    family: EventFamily, resolver: Callable[[Any], Sequence[Dispatch] | None]
) -> None:
    """Make ``family``'s events listenable on the targets ``resolver`` recognises."""
    _FAMILIES.append((family, resolver))


@dataclass(eq=False)
class Listener:
    """One listen() call: the function as given, and what the dispatcher calls."""

    fn: Callable[..., Any]
    call: Callable[..., Any]
    insert: bool
    #: Given with propagate=True: it also reaches what inherits from the target.
    propagate: bool = False
    #: The listen() flags it was given (some families act on theirs: active_history).
    flags: dict[str, Any] = field(default_factory=dict)


class Dispatch:
    """The listeners of one target, one tuple per event name (see the module docstring)."""

    def __init__(self, family: EventFamily, parent: Dispatch | None = None, owner: Any = None):
        self.family = family
        #: Where inherited listeners come from, in order: (dispatcher, whether only its
        #: propagate=True listeners count), e.g. a class's listeners for a subclass.
        self.parents: list[tuple[Dispatch, bool]] = []
        #: The object this dispatcher belongs to (weakly), when it was made for one instance.
        self.owner = weakref.ref(owner) if owner is not None else None
        self._own: dict[str, list[Listener]] = {}
        self._children: weakref.WeakSet[Dispatch] = weakref.WeakSet()
        for name in family.events:
            setattr(self, name, parent.__dict__[name] if parent is not None else ())
        #: True when any event here has a listener: one check for call sites that fire
        #: several events, or none.
        self.listened: bool = parent.listened if parent is not None else False
        #: Called with an event's name after its listeners here changed: for targets that
        #: put hooks in place only while someone listens (a class's ``__init__``...).
        self.on_change: Callable[[str], None] | None = None
        if parent is not None:
            self.parents.append((parent, False))
            parent._children.add(self)

    def inherit(self, parent: Dispatch, propagating_only: bool = False) -> None:
        """Take ``parent``'s listeners too (only its propagate=True ones, if so asked)."""
        if any(p is parent for p, _ in self.parents):
            return
        self.parents.append((parent, propagating_only))
        parent._children.add(self)
        for name in self.family.events:
            self._refresh(name)

    def __getattr__(self, name: str) -> tuple[Callable[..., Any], ...]:
        # only for names that are not events of the family: each event is set in __init__
        raise AttributeError(f"{self.family.name} events have no event {name!r}")

    def child(self, owner: Any = None) -> Dispatch:
        """A dispatcher whose listeners come after this one's (for an instance, or a copy)."""
        return Dispatch(self.family, self, owner)

    def owned_by(self, target: Any) -> bool:
        """True when this dispatcher was made for ``target`` itself."""
        return self.owner is not None and self.owner() is target

    def _listeners(self, name: str, propagating_only: bool = False) -> Iterator[Listener]:
        for parent, only in self.parents:
            yield from parent._listeners(name, only or propagating_only)
        for entry in self._own.get(name, ()):
            if entry.propagate or not propagating_only:
                yield entry

    def _refresh(self, name: str) -> None:
        own = self._own.get(name, [])
        first = [entry.call for entry in own if entry.insert]
        later = [entry.call for entry in own if not entry.insert]
        inherited = [
            call
            for parent, only in self.parents
            for call in (parent._propagating(name) if only else parent.__dict__[name])
        ]
        setattr(self, name, (*first, *inherited, *later))
        self.listened = any(self.__dict__[event] for event in self.family.events)
        if self.on_change is not None:
            self.on_change(name)
        for child in list(self._children):
            child._refresh(name)

    def _propagating(self, name: str) -> list[Callable[..., Any]]:
        return [entry.call for entry in self._listeners(name, propagating_only=True)]

    def add(self, name: str, listener: Listener) -> None:
        """Register ``listener`` for ``name`` (first when ``listener.insert``)."""
        own = self._own.setdefault(name, [])
        if listener.insert:
            own.insert(0, listener)
        else:
            own.append(listener)
        self._refresh(name)

    def discard(self, name: str, fn: Callable[..., Any]) -> bool:
        """Unregister every listener of ``fn`` for ``name``; True if there was one."""
        own = self._own.get(name, [])
        kept = [entry for entry in own if entry.fn is not fn]
        if len(kept) == len(own):
            return False
        self._own[name] = kept
        self._refresh(name)
        return True

    def flagged(self, name: str, flag: str) -> bool:
        """True when a listener of ``name`` here or inherited was given ``flag=True``."""
        return any(entry.flags.get(flag) for entry in self._listeners(name))

    def holds(self, name: str, fn: Callable[..., Any]) -> bool:
        """True when ``fn`` is registered for ``name`` here or on a parent."""
        return any(entry.fn is fn for entry in self._listeners(name))


def subclass_dispatch(cls: type) -> Dispatch:
    """For ``__init_subclass__`` of a class whose listeners reach its instances: a child of
    the ``class_dispatch`` of the nearest base that has one, so that a listener given to a
    subclass reaches that subclass's instances only, and one given to a base reaches all."""
    base = next(k for k in cls.__mro__[1:] if "class_dispatch" in k.__dict__)
    parent: Dispatch = base.__dict__["class_dispatch"]
    return parent.child()


@dataclass
class _Resolved:
    family: EventFamily
    dispatchers: Sequence[Dispatch] = field(default_factory=list)


def resolve(target: Any, identifier: str) -> _Resolved:
    """The family of ``identifier`` on ``target`` and the dispatchers it is kept in; a
    misspelled name, or a target that has no such event, raises InvalidRequestError."""
    kinds: list[_Resolved] = []
    for family, resolver in _FAMILIES:
        dispatchers = resolver(target)
        if dispatchers is None:
            continue
        if identifier in family.events:
            return _Resolved(family, dispatchers)
        kinds.append(_Resolved(family, dispatchers))
    described = _describe(target)
    if not kinds:
        raise exc.InvalidRequestError(
            f"no events are defined for {described}; event targets are engines, connections, "
            "pools, sessions and sessionmakers, mapped classes and mappers, and their "
            "attributes"
        )
    valid = sorted(name for kind in kinds for name in kind.family.events)
    owners = " and ".join(f"{kind.family.name} events" for kind in kinds)
    raise exc.InvalidRequestError(
        f"no event {identifier!r} for {described} ({owners}); its events are: {', '.join(valid)}"
    )


def _describe(target: Any) -> str:
    if isinstance(target, type):
        return f"class {target.__name__}"
    return f"{type(target).__name__} object {target!r}"
