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
from ormkit.orm.state import STATE, InstanceState
from ormkit.sql.operators import ColumnOperators, Operator

if TYPE_CHECKING:
    from ormkit.orm.mapper import Mapper
    from ormkit.sql.schema import Column

_T = TypeVar("_T")


class InstrumentedAttribute(ColumnOperators, Generic[_T]):
    """The class-level face of a mapped column attribute."""

    def __init__(self, mapper: Mapper, key: str, column: Column) -> None:
        self.class_ = mapper.class_
        self.mapper = mapper
        self.key = key
        self.column = column

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


def load_missing_attribute(obj: Any, key: str) -> Any:
    """The value of an attribute missing from ``obj.__dict__``: None, or loaded from the row."""
    state: InstanceState | None = obj.__dict__.get(STATE)
    if state is None or state.key is None:
        return None  # transient or pending: an unset column reads as None
    if state.deleted or state.was_deleted:
        raise exc.ObjectDeletedError(
            f"{_describe(obj)} was deleted; its attribute {key!r} cannot be loaded"
        )
    session = state.session
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


def _describe(obj: Any) -> str:
    return f"<{type(obj).__name__} at 0x{id(obj):x}>"


def track_setattr(self: Any, key: str, value: Any) -> None:
    """``__setattr__`` of mapped classes: record the first change of a mapped attribute."""
    if key in type(self).__ok_tracked__:
        d = self.__dict__
        state = d.get(STATE)
        if state is not None and state.key is not None:
            state.modified_event(self, key, d)
        d[key] = value
    else:
        object.__setattr__(self, key, value)
