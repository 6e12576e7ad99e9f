"""Declarative bases and the registry: a class with ``__tablename__`` and columns becomes mapped.

    class Base(DeclarativeBase): ...

    class User(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str | None]                  # type from the annotation, nullable
        email = Column(String(100), unique=True)  # the classic spelling works too

The spellings of a base, all mapping their subclasses the same way (class_mapping.py):

* ``class Base(DeclarativeBase)``: a subclass is mapped in ``__init_subclass__``; attributes
  assigned to a mapped class later are mapped too (its metaclass sees them);
* ``class Base(DeclarativeBaseNoMeta)``: the same without a metaclass (attributes assigned
  later stay plain);
* ``declarative_base()`` / ``registry.generate_base()`` / ``@as_declarative()``: a base whose
  metaclass is ``DeclarativeMeta``, which maps a subclass when it initializes it;
* ``@registry.mapped`` and ``registry.map_imperatively()`` map a plain class.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, dataclass_transform

from ormkit import exc
from ormkit.event.registry import Dispatch, register_family
from ormkit.orm.attributes import track_setattr
from ormkit.orm.class_mapping import (
    DeclarativeAttributeIntercept,
    DeclarativeMeta,
    keyword_constructor,
    map_declaratively,
    map_imperatively,
    pickled_state,
    unmap,
    unpickled_state,
)
from ormkit.orm.dataclass_mapping import (
    dataclass_options,
    make_dataclass,
    set_dataclass_options,
)
from ormkit.orm.events import REGISTRY_EVENTS
from ormkit.orm.loading import clear_plans
from ormkit.orm.mapped_column import MappedColumn, mapped_column
from ormkit.orm.mapper import Mapper
from ormkit.orm.registries import configure_registry, mark_pending, pending
from ormkit.orm.relationships import Relationship, relationship
from ormkit.sql.schema import MetaData, Table

#: Every registry made (for clear_mappers()).
_registries: weakref.WeakSet[registry] = weakref.WeakSet()


class registry:
    """The MetaData, the mappers and the mapping settings shared by a set of classes."""

    def __init__(
        self,
        *,
        metadata: MetaData | None = None,
        class_registry: Any = None,
        type_annotation_map: dict[Any, Any] | None = None,
        constructor: Any = keyword_constructor,
    ) -> None:
        if class_registry is not None:
            raise exc.ArgumentError(
                "registry() does not support argument 'class_registry' yet; string targets "
                "are looked up among the registry's own mapped classes"
            )
        self.metadata = metadata if metadata is not None else MetaData()
        self.type_annotation_map = dict(type_annotation_map or {})
        #: The ``__init__`` given to bases and to mapped classes that have none.
        self.constructor = constructor
        self._mappers: list[Mapper] = []
        self._unconfigured = False
        #: Registries this one's relationships lead into, and those leading into this one.
        self._dependencies: weakref.WeakSet[registry] = weakref.WeakSet()
        self._dependents: weakref.WeakSet[registry] = weakref.WeakSet()
        #: Registry events' listeners.
        self.dispatch = Dispatch(REGISTRY_EVENTS, owner=self)
        _registries.add(self)

    def _add_mapper(self, mapper: Mapper) -> None:
        mapper.registry = self
        self._mappers.append(mapper)
        mark_pending(self)

    def _changed(self) -> None:
        """A relationship was added to one of the mappers: configure again at next use."""
        mark_pending(self)

    # -- mapping classes --------------------------------------------------------------------

    def generate_base(
        self,
        mapper: Any = None,
        cls: type | tuple[type, ...] = object,
        name: str = "Base",
        metaclass: type = DeclarativeMeta,
    ) -> Any:
        """A new declarative base class of this registry (``DeclarativeMeta`` style)."""
        if mapper is not None:
            raise exc.ArgumentError("generate_base() does not support argument 'mapper' yet")
        if not (isinstance(metaclass, type) and issubclass(metaclass, DeclarativeMeta)):
            raise exc.ArgumentError(
                f"generate_base(metaclass={metaclass!r}): the metaclass must be "
                "DeclarativeMeta or a subclass of it (it is what maps the subclasses)"
            )
        bases = cls if isinstance(cls, tuple) else (cls,)
        bases = tuple(b for b in bases if b is not object)
        if not any(issubclass(b, _MappedInstance) for b in bases):
            bases = (*bases, _MappedInstance)
        first = bases[0]
        namespace: dict[str, Any] = {
            "registry": self,
            "metadata": self.metadata,
            "__doc__": first.__doc__ if first is not _MappedInstance else None,
        }
        if self.constructor is not None:
            namespace["__init__"] = self.constructor
        if first is not _MappedInstance:
            namespace["__module__"] = first.__module__
        return metaclass(name, bases, namespace)

    def as_declarative_base(self, **kw: Any) -> Callable[[type], Any]:
        """A class decorator: the class becomes a declarative base of this registry."""

        def decorate(cls: type) -> Any:
            return self.generate_base(cls=cls, name=cls.__name__, **kw)

        return decorate

    def mapped(self, cls: type) -> type:
        """A class decorator: map the plain class ``cls`` declaratively, in this registry."""
        self.map_declaratively(cls)
        return cls

    @dataclass_transform(field_specifiers=(MappedColumn, Relationship, mapped_column, relationship))
    def mapped_as_dataclass(self, cls: type | None = None, /, **options: Any) -> Any:
        """A class decorator, ``@reg.mapped_as_dataclass`` or with options
        (``@reg.mapped_as_dataclass(kw_only=True)``): make the plain class ``cls`` a
        dataclass (see MappedAsDataclass) and map it declaratively."""

        def decorate(klass: type) -> type:
            set_dataclass_options(klass, options)
            self.map_declaratively(klass)
            return klass

        return decorate if cls is None else decorate(cls)

    def map_declaratively(self, cls: type) -> Mapper:
        """Map the plain class ``cls`` from its body (``__tablename__``, columns) and return
        its Mapper."""
        mapper = map_declaratively(cls, self)
        if mapper is None:
            raise exc.ArgumentError(f"class {cls.__name__} is __abstract__; nothing to map")
        return mapper

    def map_imperatively(self, class_: type, local_table: Table | None = None, **kw: Any) -> Mapper:
        """Map the plain class ``class_`` to ``local_table``; ``properties={key: column or
        relationship()}`` renames columns and adds relationships."""
        properties = kw.pop("properties", None)
        return map_imperatively(class_, self, local_table, properties, **kw)

    def update_type_annotation_map(self, type_annotation_map: dict[Any, Any]) -> None:
        """Add Python-type-to-SQL-type entries for the classes mapped from now on."""
        self.type_annotation_map.update(type_annotation_map)

    # -- the mapped classes -----------------------------------------------------------------

    def class_by_name(self, name: str) -> type | None:
        """The mapped class called ``name`` (a relationship target given as a string)."""
        for mapper in self._mappers:
            if mapper.class_.__name__ == name or mapper.class_.__qualname__ == name:
                return mapper.class_
        return None

    def class_names(self) -> list[str]:
        """Names of the mapped classes."""
        return [m.class_.__name__ for m in self._mappers]

    def class_items(self) -> list[tuple[str, type]]:
        """(name, class) of every mapped class."""
        return [(m.class_.__name__, m.class_) for m in self._mappers]

    def configure(self, cascade: bool = False) -> None:
        """Configure the relationships of this registry's mappers, then link their pairs.

        With ``cascade=True``, registries whose classes this one's relationships lead to are
        configured as well; without it, such a registry that is not configured yet is an
        ``InvalidRequestError`` (as SQLAlchemy documents).
        """
        configure_registry(self, cascade)

    @property
    def mappers(self) -> frozenset[Mapper]:
        """Every mapper made by this registry."""
        return frozenset(self._mappers)

    def dispose(self, cascade: bool = False) -> None:
        """Unmap every class of this registry: its mapped attributes and ``__mapper__`` are
        removed (the Table stays in the MetaData). With ``cascade``, registries whose
        relationships lead into this one are disposed of too (without, that is an error)."""
        dependents = [r for r in self._dependents if r._mappers]
        if dependents and not cascade:
            raise exc.InvalidRequestError(
                "registry.dispose() was called with cascade=False, but registries with "
                "relationships into it are still mapped (mapping "
                f"{', '.join(sorted(n for r in dependents for n in r.class_names()))}); "
                "call dispose(cascade=True)"
            )
        for mapper in self._mappers:
            unmap(mapper)
        self._mappers.clear()
        self._unconfigured = False
        pending.pop(id(self), None)
        clear_plans()
        for other in dependents:
            other.dispose(cascade=True)

    def __repr__(self) -> str:
        return f"<registry of {', '.join(self.class_names()) or 'no classes'}>"


def clear_mappers() -> None:
    """Unmap every mapped class of every registry (tests that map classes again use it)."""
    for reg in list(_registries):
        reg.dispose(cascade=True)


# -- declarative bases ---------------------------------------------------------------------


class _MappedInstance:
    """What instances of every mapped class share: change tracking and pickling."""

    __ok_internal__: ClassVar[bool] = True
    __ok_tracked__: ClassVar[frozenset[str]] = frozenset()
    __ok_listened__: ClassVar[dict[str, Any]] = {}
    __ok_rels__: ClassVar[dict[str, Any]] = {}

    if not TYPE_CHECKING:  # (to a type checker, a __setattr__ would allow any attribute)
        __setattr__ = track_setattr
    __getstate__ = pickled_state
    __setstate__ = unpickled_state


class _DeclarativeRoot(_MappedInstance):
    """What ``DeclarativeBase`` and ``DeclarativeBaseNoMeta`` share: the first subclass is
    the application's base (it gets a registry), subclasses of that one are mapped."""

    __ok_internal__: ClassVar[bool] = True
    #: (MappedAsDataclass leaves making a declarative class a dataclass to its mapping)
    __ok_declarative__: ClassVar[bool] = True
    metadata: ClassVar[MetaData]
    registry: ClassVar[registry]
    __table__: ClassVar[Table]
    __mapper__: ClassVar[Mapper]
    __tablename__: Any

    def __init__(self, **kwargs: Any) -> None:
        keyword_constructor(self, **kwargs)

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if cls.__dict__.get("__ok_internal__"):
            return  # DeclarativeBase itself, or DeclarativeBaseNoMeta
        if any(
            base.__dict__.get("__ok_internal__") and issubclass(base, _DeclarativeRoot)
            for base in cls.__bases__
        ):
            _setup_base(cls)
        else:
            map_declaratively(cls, cls.registry)


class DeclarativeBase(_DeclarativeRoot, metaclass=DeclarativeAttributeIntercept):
    """Base class of declarative models: subclass it once as your ``Base``, then map classes."""

    __ok_internal__: ClassVar[bool] = True


class DeclarativeBaseNoMeta(_DeclarativeRoot):
    """``DeclarativeBase`` without a metaclass (for classes that need a metaclass of their
    own); attributes assigned to a mapped class after its declaration are not mapped."""

    __ok_internal__: ClassVar[bool] = True


def _setup_base(base: type) -> None:
    reg = base.__dict__.get("registry")
    metadata = base.__dict__.get("metadata")
    annotation_map = base.__dict__.get("type_annotation_map")
    if reg is None:
        reg = registry(metadata=metadata, type_annotation_map=annotation_map)
        type.__setattr__(base, "registry", reg)
    elif not isinstance(reg, registry):
        raise exc.ArgumentError(
            f"{base.__name__}.registry must be an ormkit.orm.registry, got {reg!r}"
        )
    elif annotation_map is not None:
        raise exc.ArgumentError(
            f"{base.__name__} has both a registry and a type_annotation_map; give the map to "
            "the registry instead: registry(type_annotation_map={...})"
        )
    if metadata is None:
        type.__setattr__(base, "metadata", reg.metadata)
    if reg.constructor is not keyword_constructor and "__init__" not in base.__dict__:
        type.__setattr__(base, "__init__", reg.constructor)
    if dataclass_options(base) is not None:
        make_dataclass(base)


def declarative_base(
    *,
    metadata: MetaData | None = None,
    mapper: Any = None,
    cls: type | tuple[type, ...] = object,
    name: str = "Base",
    class_registry: Any = None,
    type_annotation_map: dict[Any, Any] | None = None,
    constructor: Any = keyword_constructor,
    metaclass: type = DeclarativeMeta,
) -> Any:
    """A new declarative base class (the 1.x spelling of ``class Base(DeclarativeBase)``)."""
    for unsupported, given in (("mapper", mapper), ("class_registry", class_registry)):
        if given is not None:
            raise exc.ArgumentError(
                f"declarative_base() does not support argument {unsupported!r} yet"
            )
    reg = registry(
        metadata=metadata,
        class_registry=class_registry,
        type_annotation_map=type_annotation_map,
        constructor=constructor,
    )
    return reg.generate_base(mapper=mapper, cls=cls, name=name, metaclass=metaclass)


def as_declarative(**kw: Any) -> Callable[[type], Any]:
    """A class decorator making the class a declarative base (``declarative_base(cls=...)``);
    takes ``metadata``, ``class_registry`` and ``generate_base()``'s arguments."""
    reg = registry(metadata=kw.pop("metadata", None), class_registry=kw.pop("class_registry", None))
    return reg.as_declarative_base(**kw)


def declarative_mixin(cls: type) -> type:
    """Mark a class as a declarative mixin (for type checkers; it changes nothing)."""
    return cls


def has_inherited_table(cls: type) -> bool:
    """Whether a class ``cls`` inherits from has a Table (``__table__``): in a
    ``declared_attr``, tells a subclass of a mapped class from a top-level one."""
    return any(getattr(klass, "__table__", None) is not None for klass in cls.__mro__[1:])


def _registry_dispatchers(target: Any) -> list[Dispatch] | None:
    """Listeners of Registry events go to a registry, or a declarative base's registry."""
    if isinstance(target, registry):
        return [target.dispatch]
    found = getattr(target, "registry", None) if isinstance(target, type) else None
    if isinstance(found, registry):
        return [found.dispatch]
    return None


register_family(REGISTRY_EVENTS, _registry_dispatchers)
