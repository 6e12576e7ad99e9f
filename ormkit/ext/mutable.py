"""Mutation tracking: a dict, list or set column value changed in place is flushed.

    class Doc(Base):
        data: Mapped[dict[str, Any]] = mapped_column(MutableDict.as_mutable(JSON))

    doc.data["k"] = 1     # doc is dirty; the next flush writes data

The ORM sees assignments only; a value changed in place (``doc.data["k"] = 1``) is the same
object, so nothing tells it. A ``Mutable`` value knows the attributes holding it (its
parents) and, when changed, marks them modified (``flag_modified``). Values are coerced to the
mutable type when assigned (a ``set`` listener) and when loaded or refreshed (instance
``load`` / ``refresh`` listeners), and keep their parents across pickling.

``MutableDict.as_mutable(JSON)`` makes one column type tracked; ``MutableDict.associate_with(
JSON)`` every column of that type; ``MutableDict.associate_with_attribute(Doc.data)`` one
attribute.
"""

from __future__ import annotations

import weakref
from typing import Any, SupportsIndex, TypeVar

from ormkit import event
from ormkit.orm.attributes import flag_modified
from ormkit.orm.mapper import Mapper
from ormkit.orm.state import InstanceState, inspected_state
from ormkit.sql import types as sqltypes

_KT = TypeVar("_KT")
_VT = TypeVar("_VT")
_T = TypeVar("_T")


class MutableBase:
    """What mutable values share: their parents, and coercion of plain values."""

    @property
    def _parents(self) -> weakref.WeakKeyDictionary[InstanceState, str]:
        """The states of the objects holding this value, each with its attribute key."""
        found: weakref.WeakKeyDictionary[InstanceState, str] | None = self.__dict__.get(
            "_ok_parents"
        )
        if found is None:
            found = self.__dict__["_ok_parents"] = weakref.WeakKeyDictionary()
        return found

    @classmethod
    def coerce(cls, key: str, value: Any) -> Any:
        """``value`` as this mutable type (a subclass converts what it can); None stays."""
        if value is None:
            return None
        raise ValueError(
            f"attribute {key!r} does not accept objects of type {type(value).__name__} (it "
            f"holds {cls.__name__} values)"
        )

    @classmethod
    def _listen_on_attribute(cls, attribute: Any, coerce: bool) -> None:
        """Keep the values of ``attribute`` (a mapped column attribute) of this type, and
        their parents, up to date."""
        key = attribute.key
        mapper = attribute.mapper

        def adopt(target: Any) -> None:
            value = target.__dict__.get(key)
            if value is None:
                return
            if coerce and not isinstance(value, cls):
                value = cls.coerce(key, value)
                target.__dict__[key] = value
            if isinstance(value, cls):
                value._parents[inspected_state(target)] = key

        def on_load(target: Any, context: Any) -> None:
            adopt(target)

        def on_refresh(target: Any, context: Any, attrs: Any) -> None:
            if attrs is None or key in attrs:
                adopt(target)

        def on_set(target: Any, value: Any, oldvalue: Any, initiator: Any) -> Any:
            if not isinstance(value, cls):
                value = cls.coerce(key, value)
            if value is not None:
                value._parents[inspected_state(target)] = key
            if isinstance(oldvalue, MutableBase) and oldvalue is not value:
                oldvalue._parents.pop(inspected_state(target), None)
            return value

        def on_unpickle(target: Any, state: Any) -> None:
            adopt(target)

        event.listen(mapper, "load", on_load)
        event.listen(mapper, "refresh", on_refresh)
        event.listen(mapper, "unpickle", on_unpickle)
        event.listen(attribute, "set", on_set, retval=True)


class Mutable(MutableBase):
    """A mutable value: a subclass calls ``changed()`` after each change in place."""

    def changed(self) -> None:
        """Mark every attribute holding this value modified."""
        for state, key in list(self._parents.items()):
            parent = state.obj()
            if parent is not None:
                flag_modified(parent, key)

    @classmethod
    def associate_with_attribute(cls, attribute: Any) -> None:
        """Track the values of one mapped attribute (``Doc.data``)."""
        cls._listen_on_attribute(attribute, coerce=True)

    @classmethod
    def associate_with(cls, sqltype: Any) -> None:
        """Track every column of the SQL type ``sqltype`` (a class) mapped from now on."""

        def mapped(mapper: Mapper, class_: type) -> None:
            for key, column in mapper.columns_by_key.items():
                if isinstance(column.type, sqltype):
                    cls.associate_with_attribute(mapper.attrs[key])

        event.listen(Mapper, "mapper_configured", mapped)

    @classmethod
    def as_mutable(cls, sqltype: Any) -> Any:
        """``sqltype`` (an instance is made of a class), tracked wherever a column is given
        exactly this type: ``mapped_column(MutableDict.as_mutable(JSON))``."""
        instance = sqltypes.to_instance(sqltype)

        def mapped(mapper: Mapper, class_: type) -> None:
            for key, column in mapper.columns_by_key.items():
                if column.type is instance:
                    cls.associate_with_attribute(mapper.attrs[key])

        event.listen(Mapper, "mapper_configured", mapped)
        return instance


class MutableDict(Mutable, dict[_KT, _VT]):
    """A dict that marks its parents modified when changed in place."""

    @classmethod
    def coerce(cls, key: str, value: Any) -> Any:
        """A dict becomes a MutableDict."""
        if isinstance(value, cls) or value is None:
            return value
        if isinstance(value, dict):
            return cls(value)
        return Mutable.coerce(key, value)

    def __setitem__(self, key: _KT, value: _VT) -> None:
        super().__setitem__(key, value)
        self.changed()

    def __delitem__(self, key: _KT) -> None:
        super().__delitem__(key)
        self.changed()

    def setdefault(self, key: _KT, default: Any = None) -> Any:
        """As dict.setdefault; a change when the key was missing."""
        missing = key not in self
        value = super().setdefault(key, default)
        if missing:
            self.changed()
        return value

    def update(self, *args: Any, **kw: Any) -> None:
        """As dict.update."""
        super().update(*args, **kw)
        self.changed()

    def pop(self, *args: Any) -> Any:
        """As dict.pop."""
        value = super().pop(*args)
        self.changed()
        return value

    def popitem(self) -> tuple[_KT, _VT]:
        """As dict.popitem."""
        item = super().popitem()
        self.changed()
        return item

    def clear(self) -> None:
        """As dict.clear."""
        super().clear()
        self.changed()

    def __getstate__(self) -> dict[_KT, _VT]:
        return dict(self)

    def __setstate__(self, state: dict[_KT, _VT]) -> None:
        self.update(state)


class MutableList(Mutable, list[_T]):
    """A list that marks its parents modified when changed in place."""

    @classmethod
    def coerce(cls, key: str, value: Any) -> Any:
        """A list becomes a MutableList."""
        if isinstance(value, cls) or value is None:
            return value
        if isinstance(value, list):
            return cls(value)
        return Mutable.coerce(key, value)

    def __setitem__(self, index: Any, value: Any) -> None:
        super().__setitem__(index, value)
        self.changed()

    def __delitem__(self, index: Any) -> None:
        super().__delitem__(index)
        self.changed()

    def __iadd__(self, other: Any) -> MutableList[_T]:  # type: ignore[override,misc]
        self.extend(other)
        return self

    def append(self, value: _T) -> None:
        """As list.append."""
        super().append(value)
        self.changed()

    def extend(self, values: Any) -> None:
        """As list.extend."""
        super().extend(values)
        self.changed()

    def insert(self, index: SupportsIndex, value: _T) -> None:
        """As list.insert."""
        super().insert(index, value)
        self.changed()

    def pop(self, *args: Any) -> _T:
        """As list.pop."""
        value = super().pop(*args)
        self.changed()
        return value

    def remove(self, value: _T) -> None:
        """As list.remove."""
        super().remove(value)
        self.changed()

    def clear(self) -> None:
        """As list.clear."""
        super().clear()
        self.changed()

    def sort(self, **kw: Any) -> None:
        """As list.sort."""
        super().sort(**kw)
        self.changed()

    def reverse(self) -> None:
        """As list.reverse."""
        super().reverse()
        self.changed()

    def __reduce_ex__(self, protocol: SupportsIndex) -> Any:
        return (self.__class__, (list(self),))


class MutableSet(Mutable, set[_T]):
    """A set that marks its parents modified when changed in place."""

    @classmethod
    def coerce(cls, key: str, value: Any) -> Any:
        """A set becomes a MutableSet."""
        if isinstance(value, cls) or value is None:
            return value
        if isinstance(value, set):
            return cls(value)
        return Mutable.coerce(key, value)

    def add(self, value: _T) -> None:
        """As set.add."""
        super().add(value)
        self.changed()

    def discard(self, value: object) -> None:
        """As set.discard."""
        super().discard(value)
        self.changed()

    def remove(self, value: _T) -> None:
        """As set.remove."""
        super().remove(value)
        self.changed()

    def pop(self) -> _T:
        """As set.pop."""
        value = super().pop()
        self.changed()
        return value

    def clear(self) -> None:
        """As set.clear."""
        super().clear()
        self.changed()

    def update(self, *others: Any) -> None:
        """As set.update."""
        super().update(*others)
        self.changed()

    def intersection_update(self, *others: Any) -> None:
        """As set.intersection_update."""
        super().intersection_update(*others)
        self.changed()

    def difference_update(self, *others: Any) -> None:
        """As set.difference_update."""
        super().difference_update(*others)
        self.changed()

    def symmetric_difference_update(self, other: Any) -> None:
        """As set.symmetric_difference_update."""
        super().symmetric_difference_update(other)
        self.changed()

    def __ior__(self, other: Any) -> MutableSet[_T]:  # type: ignore[override,misc]
        self.update(other)
        return self

    def __iand__(self, other: Any) -> MutableSet[_T]:  # type: ignore[misc]
        self.intersection_update(other)
        return self

    def __isub__(self, other: Any) -> MutableSet[_T]:  # type: ignore[misc]
        self.difference_update(other)
        return self

    def __ixor__(self, other: Any) -> MutableSet[_T]:  # type: ignore[override,misc]
        self.symmetric_difference_update(other)
        return self

    def __reduce_ex__(self, protocol: SupportsIndex) -> Any:
        return (self.__class__, (set(self),))
