"""Methods a mapped class marks for the ORM to call: validators and reconstructors.

    class User(Base):
        @validates("email")
        def check_email(self, key, value):
            if "@" not in value:
                raise ValueError(f"not an email address: {value!r}")
            return value

        @reconstructor
        def init_on_load(self):
            self.cache = {}

A validator becomes an attribute event listener (``set`` for a column or many-to-one,
``append`` and, with ``include_removes``, ``remove`` for a collection) whose return value is
what gets stored; so it runs for the constructor's keywords and every later assignment, and,
unless ``include_backrefs=False``, for changes that come through the other side of a
relationship. A reconstructor is an instance ``load`` listener: it runs on objects made from
rows, once their columns are loaded. Marked methods are found on the class and its mixins.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from ormkit import exc
from ormkit.event import api as event

if TYPE_CHECKING:
    from ormkit.orm.mapper import Mapper

_F = TypeVar("_F", bound=Callable[..., Any])

#: Where the marks are kept on the function objects.
_VALIDATES = "__ok_validates__"
_RECONSTRUCTOR = "__ok_reconstructor__"


def validates(
    *names: str, include_removes: bool = False, include_backrefs: bool = True
) -> Callable[[_F], _F]:
    """Mark a method as the validator of the attributes ``names``: it is called as
    ``method(self, key, value)`` (``..., is_remove)`` with ``include_removes``) before a value
    is stored, and returns the value to store, or raises to refuse it."""
    if not names:
        raise exc.ArgumentError("validates() needs the name of at least one attribute")

    def mark(fn: _F) -> _F:
        setattr(fn, _VALIDATES, (names, include_removes, include_backrefs))
        return fn

    return mark


def reconstructor(fn: _F) -> _F:
    """Mark a method to be called, with no arguments, on each object loaded from a row
    (``__init__`` is not called then)."""
    setattr(fn, _RECONSTRUCTOR, True)
    return fn


def install(mapper: Mapper) -> None:
    """Turn the marked methods of ``mapper``'s class (and its bases) into listeners."""
    cls = mapper.class_
    validated: dict[str, str] = {}
    seen: set[str] = set()
    for klass in cls.__mro__:
        for name, value in vars(klass).items():
            if name in seen:
                continue
            seen.add(name)
            function = getattr(value, "__func__", value)
            marks = getattr(function, _VALIDATES, None)
            if marks is not None:
                for key in marks[0]:
                    if key in validated:
                        raise exc.InvalidRequestError(
                            f"{cls.__name__}.{key} has two validators, {validated[key]} and "
                            f"{name}; merge them into one method"
                        )
                    validated[key] = name
                    _install_validator(mapper, key, name, *marks[1:])
            if getattr(function, _RECONSTRUCTOR, False):
                event.listen(mapper, "load", _reconstructing(name))


def _reconstructing(name: str) -> Callable[[Any, Any], None]:
    def reconstruct(target: Any, context: Any) -> None:
        getattr(target, name)()

    return reconstruct


def _install_validator(
    mapper: Mapper, key: str, method: str, include_removes: bool, include_backrefs: bool
) -> None:
    cls = mapper.class_
    rel = mapper.relationships.get(key)
    if key not in mapper.attrs and rel is None:
        raise exc.ArgumentError(
            f"@validates({key!r}) on {cls.__name__}.{method}: {cls.__name__} has no mapped "
            f"attribute {key!r}; its attributes are: {', '.join(mapper.all_keys())}"
        )
    attribute = getattr(cls, key)

    def own(initiator: Any) -> bool:
        # a change made through the other side of a relationship names that side
        return include_backrefs or rel is None or initiator.attribute is rel

    def call(target: Any, value: Any, *removing: bool) -> Any:
        validator = getattr(target, method)
        if include_removes:
            return validator(key, value, *(removing or (False,)))
        return validator(key, value)

    def on_set(target: Any, value: Any, oldvalue: Any, initiator: Any) -> Any:
        return call(target, value) if own(initiator) else value

    def on_append(target: Any, value: Any, initiator: Any) -> Any:
        return call(target, value) if own(initiator) else value

    def on_remove(target: Any, value: Any, initiator: Any) -> None:
        if own(initiator):
            call(target, value, True)

    event.listen(attribute, "set", on_set, retval=True)
    if rel is not None:  # (whether it is a collection is known once it is configured)
        event.listen(attribute, "append", on_append, retval=True)
        if include_removes:
            event.listen(attribute, "remove", on_remove)
