"""Hybrid attributes: one definition, read in Python on an instance and as SQL on the class.

    class User(Base):
        first: Mapped[str]
        last: Mapped[str]

        @hybrid_property
        def full_name(self) -> str:
            return self.first + " " + self.last

    user.full_name                                 # "Ann Lee", computed in Python
    select(User).where(User.full_name == "Ann Lee")  # the same expression, as SQL

On the class, the function runs with the class as ``self``, so ``self.first`` is a column
and the result an expression; ``.expression`` gives a different one where the Python code
does not translate (``len()`` becoming ``func.length()``), ``.comparator`` a whole
``Comparator`` of its own operators, ``.setter`` / ``.deleter`` the instance-level writes and
``.update_expression`` what ``update(User).values({User.full_name: ...})`` sets.
``hybrid_method`` is the same for a method with arguments.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from ormkit import exc
from ormkit.orm.synonyms import NamedExpression
from ormkit.sql.operators import ColumnOperators, Operator
from ormkit.sql.plugins import resolve

_T = TypeVar("_T")


class HybridExtensionType(enum.Enum):
    """What ``extension_type`` says a hybrid is."""

    HYBRID_METHOD = "HYBRID_METHOD"
    HYBRID_PROPERTY = "HYBRID_PROPERTY"


HYBRID_METHOD = HybridExtensionType.HYBRID_METHOD
HYBRID_PROPERTY = HybridExtensionType.HYBRID_PROPERTY


def _function_of(method: Any) -> Any:
    """The plain function of a ``@classmethod`` (the decorator order people write varies)."""
    return method.__func__ if isinstance(method, classmethod) else method


class hybrid_method(Generic[_T]):
    """A method that also works on the class, building SQL: ``User.longer_than(3)``."""

    is_attribute = True
    extension_type = HybridExtensionType.HYBRID_METHOD

    def __init__(self, func: Callable[..., Any], expr: Callable[..., Any] | None = None) -> None:
        self.func = _function_of(func)
        self.expr = _function_of(expr) if expr is not None else self.func
        self.__doc__ = self.func.__doc__
        self.__name__ = getattr(self.func, "__name__", "hybrid_method")

    def __get__(self, instance: Any, owner: Any) -> Any:
        if instance is None:
            return self.expr.__get__(owner, type(owner))
        return self.func.__get__(instance, owner)

    @property
    def inplace(self) -> hybrid_method[_T]:
        """This hybrid itself: ``@name.inplace.expression`` changes it in place (as every
        ``hybrid_method`` modifier does)."""
        return self

    def expression(self, expr: Callable[..., Any]) -> hybrid_method[_T]:
        """The class-level version of the method (the SQL it builds); returns this hybrid."""
        self.expr = _function_of(expr)
        return self


class Comparator(ColumnOperators, Generic[_T]):
    """The base of a hybrid's own comparator: ``operate()`` builds each comparison.

    ``@full_name.comparator`` gives a function of the class returning one; by default every
    operator applies to ``self.expression``, a subclass redefines the ones it changes.
    """

    def __init__(self, expression: Any) -> None:
        self.expression = expression

    def __clause_element__(self) -> Any:
        """The SQL element the comparator stands for."""
        return resolve(self.expression)

    def operate(self, op: Operator, *other: Any, **kw: Any) -> Any:
        """``op`` applied to the expression (``User.name == x`` is ``eq(expression, x)``)."""
        return op(self.expression, *other, **kw)

    def reverse_operate(self, op: Operator, other: Any, **kw: Any) -> Any:
        """``op`` with the expression on the right (``5 + User.age``)."""
        return op(other, self.expression, **kw)

    def adapt_to_entity(self, adapt_to_entity: Any) -> Comparator[_T]:
        """The comparator for an aliased class: this one (its expression is the class's)."""
        return self


class hybrid_property(Generic[_T]):
    """A property read in Python on instances and as a SQL expression on the class."""

    is_attribute = True
    extension_type = HybridExtensionType.HYBRID_PROPERTY

    def __init__(
        self,
        fget: Callable[[Any], Any],
        fset: Callable[[Any, Any], None] | None = None,
        fdel: Callable[[Any], None] | None = None,
        expr: Callable[[Any], Any] | None = None,
        custom_comparator: Callable[[Any], Comparator[Any]] | None = None,
        update_expr: Callable[[Any, Any], list[tuple[Any, Any]]] | None = None,
    ) -> None:
        self.fget = fget
        self.fset = fset
        self.fdel = fdel
        self.expr = _function_of(expr) if expr is not None else None
        self.custom_comparator = _function_of(custom_comparator) if custom_comparator else None
        self.update_expr = _function_of(update_expr) if update_expr is not None else None
        self.__doc__ = fget.__doc__
        self.__name__ = getattr(fget, "__name__", "hybrid_property")

    def __get__(self, instance: Any, owner: Any) -> Any:
        if instance is None:
            if owner is None:
                return self
            return HybridAttribute(self, owner)
        return self.fget(instance)

    def __set__(self, instance: Any, value: Any) -> None:
        if self.fset is None:
            raise AttributeError(
                f"can't set attribute {self.__name__!r} of {type(instance).__name__}: the "
                "hybrid_property has no setter (add one with @"
                f"{self.__name__}.setter)"
            )
        self.fset(instance, value)

    def __delete__(self, instance: Any) -> None:
        if self.fdel is None:
            raise AttributeError(
                f"can't delete attribute {self.__name__!r} of {type(instance).__name__}: the "
                "hybrid_property has no deleter"
            )
        self.fdel(instance)

    # -- modifiers: each returns a new hybrid (or, through .inplace, changes this one) -------

    def _copy(self, **changes: Any) -> hybrid_property[_T]:
        new: hybrid_property[_T] = hybrid_property.__new__(type(self))
        new.__dict__.update(self.__dict__)
        for key, value in changes.items():
            setattr(new, key, _function_of(value))
        return new

    def getter(self, fget: Callable[[Any], Any]) -> hybrid_property[_T]:
        """A copy reading with ``fget`` on instances."""
        return self._copy(fget=fget)

    def setter(self, fset: Callable[[Any, Any], None]) -> hybrid_property[_T]:
        """A copy writing with ``fset``: ``user.full_name = "Ann Lee"``."""
        return self._copy(fset=fset)

    def deleter(self, fdel: Callable[[Any], None]) -> hybrid_property[_T]:
        """A copy deleting with ``fdel``: ``del user.full_name``."""
        return self._copy(fdel=fdel)

    def expression(self, expr: Callable[[Any], Any]) -> hybrid_property[_T]:
        """A copy whose class-level value is ``expr(cls)`` instead of the getter's."""
        return self._copy(expr=expr)

    def comparator(self, comparator: Callable[[Any], Comparator[Any]]) -> hybrid_property[_T]:
        """A copy whose class-level value is the Comparator ``comparator(cls)`` gives."""
        return self._copy(custom_comparator=comparator)

    def update_expression(self, meth: Callable[[Any, Any], Any]) -> hybrid_property[_T]:
        """A copy that a bulk UPDATE setting it expands with ``meth(cls, value)``: a list of
        ``(column, value)`` pairs."""
        return self._copy(update_expr=meth)

    @property
    def inplace(self) -> _InPlace[_T]:
        """Modifiers that change this hybrid instead of copying it, so that the function
        given can have another name: ``@full_name.inplace.setter def _set_full_name``."""
        return _InPlace(self)

    @property
    def overrides(self) -> hybrid_property[_T]:
        """This hybrid, for redefining it in a subclass: ``@Base.name.overrides.expression``."""
        return self

    def class_value(self, owner: Any) -> Any:
        """What the hybrid stands for on the class ``owner``: its comparator or expression."""
        if self.custom_comparator is not None:
            return self.custom_comparator(owner)
        make = self.expr if self.expr is not None else self.fget
        return make(owner)


class _InPlace(Generic[_T]):
    """``hybrid.inplace``: the modifiers of one hybrid, changing it and returning it."""

    def __init__(self, hybrid: hybrid_property[_T]) -> None:
        self.hybrid = hybrid

    def _set(self, key: str, value: Any) -> hybrid_property[_T]:
        setattr(self.hybrid, key, _function_of(value))
        return self.hybrid

    def getter(self, fget: Callable[[Any], Any]) -> hybrid_property[_T]:
        """Read with ``fget``."""
        return self._set("fget", fget)

    def setter(self, fset: Callable[[Any, Any], None]) -> hybrid_property[_T]:
        """Write with ``fset``."""
        return self._set("fset", fset)

    def deleter(self, fdel: Callable[[Any], None]) -> hybrid_property[_T]:
        """Delete with ``fdel``."""
        return self._set("fdel", fdel)

    def expression(self, expr: Callable[[Any], Any]) -> hybrid_property[_T]:
        """The class-level value is ``expr(cls)``."""
        return self._set("expr", expr)

    def comparator(self, comparator: Callable[[Any], Comparator[Any]]) -> hybrid_property[_T]:
        """The class-level value is ``comparator(cls)``."""
        return self._set("custom_comparator", comparator)

    def update_expression(self, meth: Callable[[Any, Any], Any]) -> hybrid_property[_T]:
        """Bulk UPDATEs expand the hybrid with ``meth(cls, value)``."""
        return self._set("update_expr", meth)


class HybridAttribute(NamedExpression):
    """``User.full_name``: the hybrid on its class, usable wherever SQL is.

    In a SELECT list it is labeled with the hybrid's name (rows have a ``full_name``
    field); in comparisons its comparator, or the expression itself, builds the SQL.
    """

    def __init__(self, hybrid: hybrid_property[Any], owner: Any) -> None:
        super().__init__(owner, hybrid.__name__, hybrid.class_value(owner))
        self.hybrid = hybrid

    def _bulk_update_tuples(self, value: Any) -> list[tuple[Any, Any]]:
        """The (column, value) pairs a bulk UPDATE setting the hybrid to ``value`` sets."""
        if self.hybrid.update_expr is not None:
            return list(self.hybrid.update_expr(self.class_, value))
        if hasattr(self.comparand, "mapper") and hasattr(self.comparand, "column"):
            return [(self.comparand, value)]  # the hybrid is a plain mapped column
        raise exc.InvalidRequestError(
            f"can't set the hybrid {self.class_.__name__}.{self.key} in an UPDATE: it is an "
            "expression, not a column; give it an update_expression "
            f"(@{self.key}.update_expression) saying which columns to set"
        )
