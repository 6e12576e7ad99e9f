"""Synonyms: a second name for a mapped attribute, on instances and in queries.

    class User(Base):
        status: Mapped[str]
        job_status = synonym("status")          # user.job_status is user.status

        @synonym_for("status")
        @property
        def status_label(self) -> str:          # its own Python value, status's SQL
            return self.status.title()

On an instance a synonym reads and writes the attribute it names (or, given a
``descriptor``, uses that descriptor); on the class it stands for that attribute's SQL, and
in a SELECT list it is labeled with its own name. ``filter_by(job_status=...)`` and keyword
constructors work through it as through the attribute itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ormkit import exc
from ormkit.sql.elements import ColumnElement, Label
from ormkit.sql.operators import ColumnOperators, Operator
from ormkit.sql.plugins import resolve


class Synonym:
    """What ``synonym()`` returns: a descriptor forwarding to the attribute it names."""

    def __init__(
        self, name: str, descriptor: Any = None, info: dict[str, Any] | None = None, doc: Any = None
    ) -> None:
        self.name = name
        self.descriptor = descriptor
        self.info = dict(info or {})
        self.key = ""  # given when it is set on a class
        self.__doc__ = doc if doc is not None else getattr(descriptor, "__doc__", None)

    def __set_name__(self, owner: type, key: str) -> None:
        self.key = key

    def __get__(self, instance: Any, owner: Any) -> Any:
        if instance is None:
            return SynonymAttribute(self, owner)
        if self.descriptor is not None:
            return self.descriptor.__get__(instance, owner)
        return getattr(instance, self.name)

    def __set__(self, instance: Any, value: Any) -> None:
        if self.descriptor is not None:
            self.descriptor.__set__(instance, value)
        else:
            setattr(instance, self.name, value)

    def __delete__(self, instance: Any) -> None:
        if self.descriptor is not None:
            self.descriptor.__delete__(instance)
        else:
            delattr(instance, self.name)

    def check_target(self, mapper: Any) -> None:
        """Refuse a synonym of an attribute the class does not map (at mapping time)."""
        cls = mapper.class_
        known = [*mapper.all_keys(), *mapper.synonyms]
        if self.name not in known:
            raise exc.ArgumentError(
                f"{cls.__name__}.{self.key} = synonym({self.name!r}): {cls.__name__} has no "
                f"mapped attribute {self.name!r}; its attributes are: {', '.join(known)}"
            )

    def __repr__(self) -> str:
        return f"synonym({self.name!r})"


def synonym(
    name: str,
    map_column: bool | None = None,
    descriptor: Any = None,
    comparator_factory: Any = None,
    info: dict[str, Any] | None = None,
    doc: str | None = None,
) -> Any:
    """A second name for the mapped attribute ``name`` (with ``descriptor``, a Python
    descriptor for instance access; the SQL is always ``name``'s)."""
    for argument, given in (("map_column", map_column), ("comparator_factory", comparator_factory)):
        if given:
            raise exc.ArgumentError(f"synonym() does not support argument {argument!r} yet")
    return Synonym(name, descriptor, info, doc)


def synonym_for(name: str, map_column: bool = False) -> Callable[[Any], Any]:
    """Decorator: the decorated descriptor (a ``@property``) becomes a synonym of ``name``."""
    if map_column:
        raise exc.ArgumentError("synonym_for() does not support argument 'map_column' yet")

    def decorate(descriptor: Any) -> Any:
        return Synonym(name, descriptor)

    return decorate


class NamedExpression(ColumnOperators):
    """An attribute of a class that stands for a SQL expression under its own name (a
    synonym, a hybrid): comparisons apply to ``comparand`` (the expression, or a comparator),
    and in a SELECT list it is labeled with ``key``."""

    def __init__(self, owner: Any, key: str, comparand: Any) -> None:
        self.class_ = owner
        self.key = key
        self.comparand = comparand

    @property
    def expression(self) -> Any:
        """The SQL expression (unlabeled)."""
        return resolve(self.comparand)

    def __clause_element__(self) -> Any:
        element = self.expression
        if isinstance(element, ColumnElement) and not isinstance(element, Label):
            return element.label(self.key)
        return element

    def operate(self, op: Operator, *other: Any, **kw: Any) -> Any:
        """``op`` as the comparand builds it."""
        return op(self.comparand, *other, **kw)

    def reverse_operate(self, op: Operator, other: Any, **kw: Any) -> Any:
        """``op`` with this attribute on the right."""
        return op(other, self.comparand, **kw)

    def label(self, name: str | None) -> Any:
        """``expression AS name``."""
        return self.expression.label(name)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return getattr(self.comparand, name)
        except AttributeError:
            raise AttributeError(
                f"neither {self.class_.__name__}.{self.key} nor its expression has an "
                f"attribute {name!r}"
            ) from None

    def __repr__(self) -> str:
        return f"{self.class_.__name__}.{self.key}"

    def __bool__(self) -> bool:
        return True


class SynonymAttribute(NamedExpression):
    """``User.job_status``: the synonym on its class, as the attribute it names."""

    def __init__(self, synonym: Synonym, owner: Any) -> None:
        super().__init__(owner, synonym.key, getattr(owner, synonym.name))
        self.synonym = synonym

    @property
    def target(self) -> Any:
        """The attribute the synonym names, on the class."""
        return self.comparand

    @property
    def property(self) -> Synonym:
        """The Synonym."""
        return self.synonym
