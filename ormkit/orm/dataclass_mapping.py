"""Mapped classes that are dataclasses: ``MappedAsDataclass`` and ``registry.mapped_as_dataclass``.

    class Base(MappedAsDataclass, DeclarativeBase): ...

    class User(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(init=False, primary_key=True)
        name: Mapped[str]
        score: Mapped[int] = mapped_column(default=0)
        posts: Mapped[list[Post]] = relationship(default_factory=list)

Before a class is mapped it is made a dataclass over its own annotations: each mapped
attribute becomes a field whose ``init``, ``repr``, ``compare``, ``kw_only``, ``hash``,
``default`` and ``default_factory`` come from its ``mapped_column()`` or ``relationship()``,
and the mapped attributes are put back afterwards. Mixins and ``__abstract__`` classes that
subclass MappedAsDataclass are made dataclasses too, so their fields are inherited.

A ``default`` is not stored by ``__init__``: the field's default is the marker DONT_SET,
which the class's ``__setattr__`` skips, the column's INSERT default gives the row its value,
and reading the attribute of an object without a row gives the default. So an attribute
left out of the constructor is not a change: ``merge()`` of such an object does not
overwrite the row's value. A ``default_factory`` is called by ``__init__`` and stored, except
a relationship's ``list``/``set``/``dict``: an unloaded collection reads as empty anyway.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any, TypeVar, dataclass_transform

from ormkit import exc
from ormkit.orm.attributes import track_setattr
from ormkit.orm.mapped_column import (
    DATACLASS_ARGS,
    MappedColumn,
    is_mapped_annotation,
    mapped_column,
)
from ormkit.orm.mapper import Mapper
from ormkit.orm.properties import ColumnProperty
from ormkit.orm.relationships import Relationship, relationship
from ormkit.sql.schema import Column

_C = TypeVar("_C", bound=type)


class _DontSet:
    """The default of a dataclass field whose attribute is left unset by ``__init__``."""

    def __repr__(self) -> str:
        return "DONT_SET"


DONT_SET: Any = _DontSet()

#: The class keywords of a dataclass mapping (MappedAsDataclass's, mapped_as_dataclass()'s).
_DEFAULT_OPTIONS: dict[str, Any] = {
    "init": True,
    "repr": True,
    "eq": True,
    "order": False,
    "unsafe_hash": False,
    "match_args": True,
    "kw_only": False,
    "dataclass_callable": dataclasses.dataclass,
}

#: Not there: a class attribute that is absent.
_ABSENT: Any = object()


@dataclass_transform(field_specifiers=(MappedColumn, Relationship, mapped_column, relationship))
class MappedAsDataclass:
    """A mixin: the class, and every class mapped from it, is made a dataclass.

    ``class Base(MappedAsDataclass, DeclarativeBase)`` makes all models dataclasses;
    ``class User(MappedAsDataclass, Base)`` one model. Class keywords set the dataclass's
    options for that class: ``init``, ``repr``, ``eq``, ``order``, ``unsafe_hash``,
    ``match_args``, ``kw_only``, ``dataclass_callable`` (another ``dataclass()`` to use).
    """

    __ok_internal__ = True  # (nothing of its own to map)

    def __init_subclass__(
        cls,
        init: Any = _ABSENT,
        repr: Any = _ABSENT,
        eq: Any = _ABSENT,
        order: Any = _ABSENT,
        unsafe_hash: Any = _ABSENT,
        match_args: Any = _ABSENT,
        kw_only: Any = _ABSENT,
        dataclass_callable: Any = _ABSENT,
        **kw: Any,
    ) -> None:
        given = {
            "init": init,
            "repr": repr,
            "eq": eq,
            "order": order,
            "unsafe_hash": unsafe_hash,
            "match_args": match_args,
            "kw_only": kw_only,
            "dataclass_callable": dataclass_callable,
        }
        # the keywords a class gives hold for its subclasses too, unless a class earlier in
        # their method resolution order (a MappedAsDataclass mixin) gives its own
        inherited: dict[str, Any] = getattr(cls, "__ok_dataclass_given__", {})
        own = {**inherited, **{k: v for k, v in given.items() if v is not _ABSENT}}
        type.__setattr__(cls, "__ok_dataclass_given__", own)
        type.__setattr__(cls, "__ok_dataclass__", {**_DEFAULT_OPTIONS, **own})
        if not getattr(cls, "__ok_declarative__", False):
            make_dataclass(cls)  # a mixin: a dataclass now (a declarative class: when mapped)
        super().__init_subclass__(**kw)


def dataclass_options(cls: type) -> dict[str, Any] | None:
    """The dataclass options of ``cls`` itself, if it is to be a dataclass."""
    options: dict[str, Any] | None = cls.__dict__.get("__ok_dataclass__")
    return options


def set_dataclass_options(cls: type, options: dict[str, Any]) -> None:
    """Mark ``cls`` to be made a dataclass with ``options`` (mapped_as_dataclass())."""
    unknown = sorted(set(options) - set(_DEFAULT_OPTIONS))
    if unknown:
        raise exc.ArgumentError(
            f"mapped_as_dataclass({cls.__name__}) got unknown option(s): {', '.join(unknown)}"
        )
    type.__setattr__(cls, "__ok_dataclass__", {**_DEFAULT_OPTIONS, **options})


@dataclass_transform(field_specifiers=(MappedColumn, Relationship, mapped_column, relationship))
def unmapped_dataclass(cls: _C | None = None, /, **options: Any) -> Any:
    """Make a plain mixin a dataclass the way MappedAsDataclass makes its classes, so that a
    dataclass mapping can inherit its ``mapped_column()`` fields."""

    def decorate(klass: _C) -> _C:
        set_dataclass_options(klass, options)
        make_dataclass(klass)
        return klass

    return decorate if cls is None else decorate(cls)


def make_dataclass(cls: type) -> None:
    """Make ``cls`` a dataclass over its own annotations, leaving its mapped attributes in
    place (see the module docstring)."""
    options = dict(cls.__dict__["__ok_dataclass__"])
    make = options.pop("dataclass_callable")
    _refuse_plain_superclasses(cls)
    order = list(cls.__dict__)
    replaced: dict[str, Any] = {}  # key -> the class attribute the field stood in for
    unset: dict[str, Any] = {}  # key -> what the attribute reads until it is set
    for key, annotation in inspect.get_annotations(cls).items():
        value = cls.__dict__.get(key, _ABSENT)
        if isinstance(value, MappedColumn | Relationship | Column | ColumnProperty) or (
            value is _ABSENT and is_mapped_annotation(annotation, cls)
        ):
            replaced[key] = value
            type.__setattr__(cls, key, _field(cls, key, value, unset))
    type.__setattr__(cls, "__ok_unset__", unset)
    try:
        made = make(cls, **options)
    except (TypeError, ValueError) as err:
        raise exc.InvalidRequestError(
            f"making class {cls.__name__} a dataclass failed: {err}. Fields without a default "
            "must come before those with one (or give the class kw_only=True), as in any "
            "dataclass"
        ) from err
    finally:
        for key, value in replaced.items():
            if value is not _ABSENT:
                type.__setattr__(cls, key, value)
            elif key in cls.__dict__:
                type.__delattr__(cls, key)
        # dataclass() deleted some of them: put all back in the order of the class body, which
        # is the order of the table's columns
        for key in order:
            if not key.startswith("__") and key in cls.__dict__:
                value = cls.__dict__[key]
                type.__delattr__(cls, key)
                type.__setattr__(cls, key, value)
    if made is not cls:
        raise exc.ArgumentError(
            f"dataclass_callable for {cls.__name__} gave another class; it must change the "
            "class in place, as dataclasses.dataclass does"
        )


def _field(cls: type, key: str, value: Any, unset: dict[str, Any]) -> Any:
    """The dataclass field standing for mapped attribute ``key`` (recording in ``unset``
    what it reads until set)."""
    given: dict[str, Any] = dict(getattr(value, "dataclass_args", {}))
    default = given.pop("default", _ABSENT)
    factory = given.pop("default_factory", _ABSENT)
    metadata = given.pop("dataclass_metadata", None)
    kw: dict[str, Any] = {**given, "metadata": metadata}
    if default is not _ABSENT and factory is not _ABSENT:
        raise exc.ArgumentError(
            f"{cls.__name__}.{key}: give default= or default_factory=, not both"
        )
    if isinstance(value, Relationship):
        if default is not _ABSENT and default is not None:
            raise exc.ArgumentError(
                f"{cls.__name__}.{key}: a relationship's default can only be None; give a "
                "collection default_factory= instead (default_factory=list)"
            )
        empty = factory in (list, set, dict) or (
            factory is not _ABSENT and factory is value.collection_class
        )
        if default is None or empty:  # unset, it reads None or an empty collection anyway
            return dataclasses.field(default=DONT_SET, **kw)
    if default is not _ABSENT:
        unset[key] = default
        return dataclasses.field(default=DONT_SET, **kw)
    if factory is not _ABSENT:
        return dataclasses.field(default_factory=factory, **kw)
    return dataclasses.field(**kw)


def _refuse_plain_superclasses(cls: type) -> None:
    """A superclass holding mapped attributes must be a dataclass too, or its attributes
    would be left out of the constructor."""
    for klass in cls.__mro__[1:]:
        if klass.__dict__.get("__ok_internal__") or dataclasses.is_dataclass(klass):
            continue
        annotations = inspect.get_annotations(klass)
        held = [
            key
            for key, value in vars(klass).items()
            if isinstance(value, MappedColumn | Relationship | Column | ColumnProperty)
        ] + [k for k, a in annotations.items() if is_mapped_annotation(a, klass)]
        if held:
            raise exc.InvalidRequestError(
                f"class {cls.__name__} is made a dataclass, but attribute(s) "
                f"{', '.join(repr(k) for k in dict.fromkeys(held))} come from its superclass "
                f"{klass.__name__}, which is not a dataclass; make {klass.__name__} a "
                "subclass of MappedAsDataclass too (or decorate it with @unmapped_dataclass)"
            )


def finish_dataclass(mapper: Mapper) -> None:
    """After mapping: attributes left unset read their defaults, and ``__init__``'s DONT_SET
    is skipped."""
    cls = mapper.class_
    unset: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        unset.update(klass.__dict__.get("__ok_unset__", {}))
    for key, value in unset.items():
        attr = mapper.attrs.get(key)
        if attr is not None:
            attr.unset_value = value
    type.__setattr__(cls, "__setattr__", dataclass_setattr)


def dataclass_setattr(self: Any, key: str, value: Any) -> None:
    """``__setattr__`` of a dataclass mapping: ``__init__`` leaves defaulted fields unset."""
    if value is not DONT_SET:
        track_setattr(self, key, value)


def refuse_dataclass_arguments(cls: type, attributes: list[tuple[str, Any, Any]]) -> None:
    """A class mapped without MappedAsDataclass: dataclass arguments would do nothing."""
    for key, value, _ in attributes:
        given = sorted(k for k in getattr(value, "dataclass_args", {}) if k in DATACLASS_ARGS)
        if given:
            raise exc.ArgumentError(
                f"attribute {key!r} of class {cls.__name__} gives dataclass argument(s) "
                f"{', '.join(repr(k) for k in given)}, but the class is not a dataclass "
                "mapping; subclass MappedAsDataclass (or map it with "
                "registry.mapped_as_dataclass), or leave them out"
            )
