"""Association proxies: a view of one attribute across a relationship.

    class User(Base):
        user_keywords: Mapped[list[UserKeyword]] = relationship()
        keywords = association_proxy("user_keywords", "keyword")

    user.keywords                 # [uk.keyword for uk in user.user_keywords], kept live
    user.keywords.append(kw)      # user.user_keywords.append(UserKeyword(keyword=kw))
    select(User).where(User.keywords.contains(kw))

On an instance the proxy is a list (or set) view of ``attr`` of each object in the
collection, or, over a many-to-one, that one object's ``attr``; adding a value makes the
intermediate object with ``creator(value)`` (by default the target class called with
``attr=value``). On the class, ``any()``, ``has()``, ``contains()`` and ``==`` build the
EXISTS criteria of the relationships involved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ormkit import exc
from ormkit.orm.mapper import class_mapper
from ormkit.orm.registries import configure_for
from ormkit.sql.elements import not_


def association_proxy(
    target_collection: str,
    attr: str,
    *,
    creator: Callable[[Any], Any] | None = None,
    getset_factory: Callable[[Any, Any], tuple[Any, Any]] | None = None,
    proxy_factory: Any = None,
    proxy_bulk_set: Any = None,
    info: dict[str, Any] | None = None,
    cascade_scalar_deletes: bool = False,
    create_on_none_assignment: bool = False,
) -> AssociationProxy:
    """A view of ``attr`` of the object(s) the relationship ``target_collection`` holds."""
    for name, given in (
        ("proxy_factory", proxy_factory),
        ("proxy_bulk_set", proxy_bulk_set),
        ("cascade_scalar_deletes", cascade_scalar_deletes),
        ("create_on_none_assignment", create_on_none_assignment),
    ):
        if given:
            raise exc.ArgumentError(f"association_proxy() does not support argument {name!r} yet")
    return AssociationProxy(target_collection, attr, creator, getset_factory, info)


class AssociationProxy:
    """What ``association_proxy()`` returns: the descriptor on the class."""

    def __init__(
        self,
        target_collection: str,
        value_attr: str,
        creator: Callable[[Any], Any] | None = None,
        getset_factory: Callable[[Any, Any], tuple[Any, Any]] | None = None,
        info: dict[str, Any] | None = None,
    ) -> None:
        self.target_collection = target_collection
        self.value_attr = value_attr
        self.creator = creator
        self.getset_factory = getset_factory
        self.info = dict(info or {})
        self.key = f"_{type(self).__name__}_{target_collection}_{id(self)}"

    def __set_name__(self, owner: type, name: str) -> None:
        self.key = name

    def _relationship(self, owner: type) -> Any:
        mapper = class_mapper(owner)
        configure_for(mapper)
        rel = mapper.relationships.get(self.target_collection)
        if rel is None:
            raise exc.InvalidRequestError(
                f"association_proxy {owner.__name__}.{self.key}: {owner.__name__} has no "
                f"relationship {self.target_collection!r} to proxy through"
            )
        return rel

    def accessors(self, owner: type) -> tuple[Callable[[Any], Any], Callable[[Any, Any], None]]:
        """(getter, setter) of the proxied attribute on one intermediate object."""
        if self.getset_factory is not None:
            rel = self._relationship(owner)
            kind = (rel.collection_class or list) if rel.uselist else None
            getter, setter = self.getset_factory(kind, self)
            return getter, setter
        attr = self.value_attr
        return (lambda obj: getattr(obj, attr)), (lambda obj, value: setattr(obj, attr, value))

    def create(self, owner: type, value: Any) -> Any:
        """A new intermediate object holding ``value``."""
        if self.creator is not None:
            return self.creator(value)
        target = self._relationship(owner).mapper.class_
        return target(**{self.value_attr: value})

    def __get__(self, instance: Any, owner: Any) -> Any:
        if instance is None:
            return AssociationProxyInstance(self, owner)
        rel = self._relationship(type(instance))
        if not rel.uselist:
            target = getattr(instance, self.target_collection)
            return None if target is None else self.accessors(type(instance))[0](target)
        if rel.collection_class in (set,) or isinstance(
            getattr(instance, self.target_collection), set
        ):
            return _AssociationSet(self, instance)
        return _AssociationList(self, instance)

    def __set__(self, instance: Any, values: Any) -> None:
        rel = self._relationship(type(instance))
        if not rel.uselist:
            target = getattr(instance, self.target_collection)
            if target is None:
                setattr(instance, self.target_collection, self.create(type(instance), values))
            else:
                self.accessors(type(instance))[1](target, values)
            return
        view = self.__get__(instance, type(instance))
        if view is values:
            return
        values = list(values)
        view.clear()
        for value in values:
            view.add(value) if isinstance(view, _AssociationSet) else view.append(value)

    def __delete__(self, instance: Any) -> None:
        delattr(instance, self.target_collection)

    def __repr__(self) -> str:
        return f"association_proxy({self.target_collection!r}, {self.value_attr!r})"


class _AssociationView:
    """What the list and set views share: the collection, getter and maker."""

    def __init__(self, proxy: AssociationProxy, instance: Any) -> None:
        self.proxy = proxy
        self.instance = instance
        self.getter, self.setter = proxy.accessors(type(instance))

    @property
    def col(self) -> Any:
        """The collection proxied through."""
        return getattr(self.instance, self.proxy.target_collection)

    def _create(self, value: Any) -> Any:
        return self.proxy.create(type(self.instance), value)

    def _member(self, value: Any) -> Any:
        for member in self.col:
            if self.getter(member) == value:
                return member
        raise ValueError(f"{value!r} is not in the association proxy {self.proxy.key!r}")

    def __len__(self) -> int:
        return len(self.col)

    def __iter__(self) -> Iterator[Any]:
        return (self.getter(member) for member in self.col)

    def __contains__(self, value: object) -> bool:
        return any(self.getter(member) == value for member in self.col)

    def __bool__(self) -> bool:
        return bool(len(self.col))


class _AssociationList(_AssociationView):
    """``user.keywords`` over a list collection."""

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self.getter(member) for member in self.col[index]]
        return self.getter(self.col[index])

    def __setitem__(self, index: int, value: Any) -> None:
        self.setter(self.col[index], value)

    def __delitem__(self, index: Any) -> None:
        del self.col[index]

    def append(self, value: Any) -> None:
        """Add ``value`` (a new intermediate object holding it) at the end."""
        self.col.append(self._create(value))

    def extend(self, values: Iterable[Any]) -> None:
        """Append each value."""
        for value in values:
            self.append(value)

    def insert(self, index: int, value: Any) -> None:
        """Add ``value`` at ``index``."""
        self.col.insert(index, self._create(value))

    def remove(self, value: Any) -> None:
        """Remove the first intermediate object holding ``value``."""
        self.col.remove(self._member(value))

    def pop(self, index: int = -1) -> Any:
        """Remove and return the value at ``index``."""
        member = self.col[index]
        self.col.remove(member)
        return self.getter(member)

    def clear(self) -> None:
        """Remove every intermediate object."""
        for member in list(self.col):
            self.col.remove(member)

    def count(self, value: Any) -> int:
        """How many intermediate objects hold ``value``."""
        return sum(1 for member in self.col if self.getter(member) == value)

    def index(self, value: Any) -> int:
        """The position of the first ``value``."""
        return list(self).index(value)

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, Iterable) else NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(list(self))


class _AssociationSet(_AssociationView):
    """``user.keywords`` over a set collection."""

    def add(self, value: Any) -> None:
        """Add ``value`` unless it is there."""
        if value not in self:
            self.col.add(self._create(value))

    def update(self, values: Iterable[Any]) -> None:
        """Add each value."""
        for value in values:
            self.add(value)

    def discard(self, value: Any) -> None:
        """Remove ``value`` if it is there."""
        if value in self:
            self.col.remove(self._member(value))

    def remove(self, value: Any) -> None:
        """Remove ``value`` (KeyError when it is not there)."""
        if value not in self:
            raise KeyError(value)
        self.discard(value)

    def clear(self) -> None:
        """Remove every intermediate object."""
        for member in list(self.col):
            self.col.remove(member)

    def __eq__(self, other: object) -> bool:
        return set(self) == set(other) if isinstance(other, Iterable) else NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(set(self))


class AssociationProxyInstance:
    """``User.keywords``: the proxy on its class, building criteria."""

    def __init__(self, proxy: AssociationProxy, owner: type) -> None:
        self.proxy = proxy
        self.owner_class = owner
        self.key = proxy.key
        self.parent = proxy

    @property
    def _rel(self) -> Any:
        return self.proxy._relationship(self.owner_class)

    @property
    def target_class(self) -> type:
        """The class of the intermediate objects."""
        target: type = self._rel.mapper.class_
        return target

    @property
    def remote_attr(self) -> Any:
        """The proxied attribute on the intermediate class (``UserKeyword.keyword``)."""
        return getattr(self.target_class, self.proxy.value_attr)

    @property
    def local_attr(self) -> Any:
        """The relationship proxied through (``User.user_keywords``)."""
        return getattr(self.owner_class, self.proxy.target_collection)

    @property
    def scalar(self) -> bool:
        """Whether the relationship proxied through is a many-to-one (or one-to-one)."""
        return not self._rel.uselist

    def _remote_is_relationship(self) -> bool:
        return self.proxy.value_attr in class_mapper(self.target_class).relationships

    def _on_remote(self, criterion: Any, **kwargs: Any) -> Any:
        """The criterion applied through the proxied attribute, when it is a relationship."""
        if not self._remote_is_relationship():
            return criterion
        remote = self.remote_attr
        rel = class_mapper(self.target_class).relationships[self.proxy.value_attr]
        return remote.any(criterion, **kwargs) if rel.uselist else remote.has(criterion, **kwargs)

    def any(self, criterion: Any = None, **kwargs: Any) -> Any:
        """EXISTS an intermediate object whose proxied value matches ``criterion``."""
        inner = self._on_remote(criterion, **kwargs)
        return self.local_attr.has(inner) if self.scalar else self.local_attr.any(inner)

    def has(self, criterion: Any = None, **kwargs: Any) -> Any:
        """For a proxy over a many-to-one: its object's proxied value matches."""
        inner = self._on_remote(criterion, **kwargs)
        return self.local_attr.has(inner) if self.scalar else self.local_attr.any(inner)

    def contains(self, value: Any) -> Any:
        """The proxied values include ``value`` (an object or a column value)."""
        condition = self.remote_attr == value
        return self.local_attr.has(condition) if self.scalar else self.local_attr.any(condition)

    def __eq__(self, other: Any) -> Any:
        condition = self.remote_attr == other
        return self.local_attr.has(condition) if self.scalar else self.local_attr.any(condition)

    def __ne__(self, other: Any) -> Any:
        return not_(self.__eq__(other))

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"{self.owner_class.__name__}.{self.key}"
