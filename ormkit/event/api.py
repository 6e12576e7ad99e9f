"""``listen()``, ``listens_for()``, ``remove()`` and ``contains()``: the public face of events.

How a listener is called follows the flags given to listen(): ``named=True`` passes the
event's arguments by name, ``once=True`` calls it for the first event only, ``retval=True``
(on the events that take it) makes what it returns replace the values the event offered,
``insert=True`` puts it before the listeners registered earlier.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ormkit import exc
from ormkit.event.registry import EventDef, EventFamily, Listener, resolve

_F = TypeVar("_F", bound=Callable[..., Any])

#: listen() flags every family takes; the others belong to some families only.
_FLAGS = frozenset({"once", "retval", "named", "insert", "propagate", "raw"})


def listen(target: Any, identifier: str, fn: Callable[..., Any], **kw: Any) -> None:
    """Call ``fn`` whenever the event ``identifier`` happens on ``target``."""
    resolved = resolve(target, identifier)
    family = resolved.family
    call = _calling(family, identifier, family.events[identifier], fn, kw)
    listener = Listener(fn, call, bool(kw.get("insert")), bool(kw.get("propagate")), dict(kw))
    for dispatch in resolved.dispatchers:
        dispatch.add(identifier, listener)


def listens_for(target: Any, identifier: str, **kw: Any) -> Callable[[_F], _F]:
    """Decorator form of listen(): ``@event.listens_for(engine, "connect")``."""

    def decorate(fn: _F) -> _F:
        listen(target, identifier, fn, **kw)
        return fn

    return decorate


def remove(target: Any, identifier: str, fn: Callable[..., Any]) -> None:
    """Stop calling ``fn`` for ``identifier`` on ``target`` (as registered by listen())."""
    resolved = resolve(target, identifier)
    removed = [d.discard(identifier, fn) for d in resolved.dispatchers]
    if not any(removed):
        raise exc.InvalidRequestError(
            f"no listener {getattr(fn, '__name__', fn)!r} is registered for the "
            f"{identifier!r} event on {target!r}; nothing to remove"
        )


def contains(target: Any, identifier: str, fn: Callable[..., Any]) -> bool:
    """True when ``fn`` listens for ``identifier`` on ``target``."""
    resolved = resolve(target, identifier)
    return any(d.holds(identifier, fn) for d in resolved.dispatchers)


def _calling(
    family: EventFamily, name: str, event: EventDef, fn: Callable[..., Any], kw: dict[str, Any]
) -> Callable[..., Any]:
    """What the dispatcher calls for ``fn``, following the flags in ``kw``."""
    flags = _FLAGS | family.extra_flags
    unknown = set(kw) - flags
    if unknown:
        raise exc.ArgumentError(
            f"listen() for the {name!r} event got unknown argument(s) "
            f"{', '.join(sorted(unknown))}; it takes {', '.join(sorted(flags))}"
        )
    for flag, allowed in (("propagate", family.propagates), ("raw", family.raw)):
        if kw.get(flag) and not allowed:
            raise exc.ArgumentError(
                f"listen({flag}=True) does not apply to {family.name} events such as {name!r}"
            )
    retval = bool(kw.get("retval"))
    if retval and event.returns is None:
        raise exc.ArgumentError(
            f"the {name!r} event takes no retval=True: its listeners' return values are not used"
        )
    call = fn
    if kw.get("named"):
        names = event.args

        def by_name(*args: Any) -> Any:
            return fn(**dict(zip(names, args, strict=True)))

        call = by_name
    if kw.get("raw") and event.instance_arg is not None and family.state_of is not None:
        call = _with_state(call, event.instance_arg, family.state_of)
    if event.returns is not None and not retval:
        offered, inner = event.returns, call

        def unchanged(*args: Any) -> Any:
            inner(*args)
            return offered(args)

        call = unchanged
    if kw.get("once"):
        call = _once(call, event)
    return call


def _with_state(
    call: Callable[..., Any], position: int, state_of: Callable[[Any], Any]
) -> Callable[..., Any]:
    """``raw=True``: the listener gets the mapped object's state instead of the object."""

    def with_state(*args: Any) -> Any:
        converted = list(args)
        converted[position] = state_of(converted[position])
        return call(*converted)

    return with_state


def _once(call: Callable[..., Any], event: EventDef) -> Callable[..., Any]:
    done = False

    def first_time_only(*args: Any) -> Any:
        nonlocal done
        if done:
            return event.returns(args) if event.returns is not None else None
        done = True
        return call(*args)

    return first_time_only
