"""Declarative models: a class with ``__tablename__`` and columns becomes a mapped class.

    class Base(DeclarativeBase): ...

    class User(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str | None]                  # type from the annotation, nullable
        email = Column(String(100), unique=True)  # the classic spelling works too

Mapping happens in ``__init_subclass__``: columns are collected from the class and its mixins
(in creation order), the Table is made in the base's MetaData, a Mapper is built, and each
column attribute is replaced by an ``InstrumentedAttribute``.
"""

from __future__ import annotations

import collections.abc
import datetime
import decimal
import enum
import inspect
import re
import sys
import types
import typing
import uuid
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, overload

from ormkit import exc, inspection
from ormkit.orm.attributes import InstrumentedAttribute, retrack, track_setattr
from ormkit.orm.events import TypeResolve
from ormkit.orm.loading import clear_plans
from ormkit.orm.mapper import Mapper
from ormkit.orm.registries import add_relationship, configure_for, pending, registry
from ormkit.orm.relationships import Relationship
from ormkit.orm.state import STATE, state_of
from ormkit.sql import types as sqltypes
from ormkit.sql.schema import Column, MetaData, Table

_T = TypeVar("_T")


class Mapped(Generic[_T]):
    """The annotation of a mapped attribute: ``id: Mapped[int]``.

    To a type checker, ``User.id`` is an expression and ``user.id`` an ``int``.
    """

    if TYPE_CHECKING:

        @overload
        def __get__(self, instance: None, owner: Any) -> InstrumentedAttribute[_T]: ...

        @overload
        def __get__(self, instance: object, owner: Any) -> _T: ...

        def __get__(self, instance: object | None, owner: Any) -> Any: ...

        def __set__(self, instance: Any, value: _T) -> None: ...


class MappedColumn:
    """What ``mapped_column()`` returns: a column whose type may come from the annotation."""

    def __init__(self, *args: Any, sort_order: int = 0, **kw: Any) -> None:
        for name in _MAPPED_COLUMN_UNSUPPORTED:
            value = kw.pop(name, None)
            if value is not None and (value is not False or name in _DATACLASS_ARGS):
                raise exc.ArgumentError(
                    f"mapped_column() does not support argument {name!r} yet"
                    + (" (ormkit has no dataclass mapping)" if name in _DATACLASS_ARGS else "")
                )
        if "insert_default" in kw:  # SQLAlchemy's other name for default=
            if kw.get("default") is not None:
                raise exc.ArgumentError(
                    "mapped_column() takes default= or insert_default=, not both"
                )
            kw["default"] = kw.pop("insert_default")
        type_ = kw.pop("type_", None)
        if type_ is not None:  # the type goes after the name, as Column() takes it
            named = bool(args) and isinstance(args[0], str)
            args = (*args[:1], type_, *args[1:]) if named else (type_, *args)
        self.args = args
        self.kw = kw
        self.sort_order = sort_order
        self.column: Column | None = None

    def __clause_element__(self) -> Column:
        """The mapped Column, once the class is mapped (``remote_side=[id]`` refers to it)."""
        if self.column is None:
            raise exc.InvalidRequestError(
                "this mapped_column() is not mapped yet; refer to it after the class is defined"
            )
        return self.column

    def make_column(self, key: str, annotation: Any, owner: type) -> Column:
        """The Column for attribute ``key``, filling type and nullability from ``annotation``."""
        args = list(self.args)
        kw = dict(self.kw)
        name = args.pop(0) if args and isinstance(args[0], str) else key
        has_type = bool(args) and (
            isinstance(args[0], sqltypes.TypeEngine)
            or (isinstance(args[0], type) and issubclass(args[0], sqltypes.TypeEngine))
        )
        has_fk = any(type(a).__name__ == "ForeignKey" for a in args)
        if annotation is not None:
            python_type, optional = _unwrap_annotation(annotation, owner, key)
            if not has_type and not has_fk:
                args.insert(0, _sql_type_for(python_type, owner, key))
            if "nullable" not in kw and not kw.get("primary_key"):
                kw["nullable"] = optional
        elif not has_type and not has_fk:
            raise exc.ArgumentError(
                f"{owner.__name__}.{key}: mapped_column() needs a type, either as an argument "
                f"(mapped_column(String(50))) or from an annotation ({key}: Mapped[str])"
            )
        self.column = Column(name, *args, **kw)
        return self.column


_DATACLASS_ARGS = ("init", "repr", "default_factory", "compare", "kw_only", "hash")
#: mapped_column() arguments of features ormkit does not have (None/False: left out)
_MAPPED_COLUMN_UNSUPPORTED = (
    *_DATACLASS_ARGS,
    "deferred",
    "deferred_group",
    "deferred_raiseload",
    "active_history",
    "use_existing_column",
    "dataclass_metadata",
)


def mapped_column(*args: Any, **kw: Any) -> Any:
    """A mapped column; takes Column's arguments, type optional with a ``Mapped[...]`` hint."""
    return MappedColumn(*args, **kw)


_PYTHON_TO_SQL: dict[type, type[sqltypes.TypeEngine[Any]]] = {
    bool: sqltypes.Boolean,
    int: sqltypes.Integer,
    float: sqltypes.Float,
    decimal.Decimal: sqltypes.Numeric,
    str: sqltypes.String,
    bytes: sqltypes.LargeBinary,
    datetime.datetime: sqltypes.DateTime,
    datetime.date: sqltypes.Date,
    datetime.time: sqltypes.Time,
    datetime.timedelta: sqltypes.Interval,
    uuid.UUID: sqltypes.Uuid,
    dict: sqltypes.JSON,
    list: sqltypes.JSON,
}


def _sql_type_for(python_type: Any, owner: type, key: str) -> sqltypes.TypeEngine[Any]:
    reg = owner.registry  # type: ignore[attr-defined]
    annotation_map = reg.type_annotation_map
    listeners = reg.dispatch.resolve_type_annotation
    if listeners:
        resolving = TypeResolve(owner, key, python_type, annotation_map)
        for listener in listeners:
            given = listener(resolving)
            if given is not None:
                return sqltypes.to_instance(given)
    if python_type in annotation_map:
        return sqltypes.to_instance(annotation_map[python_type])
    origin = typing.get_origin(python_type) or python_type
    if isinstance(origin, type):
        if issubclass(origin, enum.Enum):
            return sqltypes.Enum(origin)
        for base in origin.__mro__:
            found = _PYTHON_TO_SQL.get(base)
            if found is not None:
                return found()
    raise exc.ArgumentError(
        f"{owner.__name__}.{key}: no SQL type is known for the annotation {python_type!r}; "
        "give one explicitly, e.g. mapped_column(String(50))"
    )


def _unwrap_annotation(annotation: Any, owner: type, key: str) -> tuple[Any, bool]:
    """(inner Python type, optional?) from ``Mapped[X]`` / ``Mapped[X | None]``."""
    resolved = _resolve(annotation, owner)
    if typing.get_origin(resolved) is Mapped:
        (resolved,) = typing.get_args(resolved)
    if isinstance(resolved, str):
        resolved = _resolve(resolved, owner)
    optional = False
    origin = typing.get_origin(resolved)
    if origin is typing.Union or origin is types.UnionType:
        members = [a for a in typing.get_args(resolved) if a is not type(None)]
        optional = len(members) < len(typing.get_args(resolved))
        resolved = members[0] if len(members) == 1 else resolved
    return resolved, optional


def _resolve(annotation: Any, owner: type) -> Any:
    if not isinstance(annotation, str):
        return annotation
    module = sys.modules.get(owner.__module__)
    namespace = dict(vars(module)) if module is not None else {}
    namespace.setdefault("Mapped", Mapped)
    namespace.update({k: v for k, v in vars(owner).items() if not k.startswith("__")})
    try:
        return eval(annotation, namespace)  # annotations are the programmer's own code
    except Exception as err:
        raise exc.ArgumentError(
            f"{owner.__name__}: could not resolve the annotation {annotation!r}: {err}"
        ) from None


def _is_mapped_annotation(annotation: Any, owner: type) -> bool:
    if isinstance(annotation, str):
        text = annotation.replace(" ", "")
        return text.startswith(("Mapped[", "orm.Mapped[", "ormkit.orm.Mapped["))
    return typing.get_origin(annotation) is Mapped


def _declared_in_order(klass: type) -> list[tuple[str, Any, Any]]:
    """(key, value or None, annotation) of one class body, in the order written there."""
    annotations: dict[str, Any] = dict(inspect.get_annotations(klass))
    annotation_keys = list(annotations)
    pending = [k for k in annotation_keys if k not in klass.__dict__]
    out: list[tuple[str, Any, Any]] = []
    for key, value in klass.__dict__.items():
        if key in annotations:
            # annotation-only names written before this one come first
            position = annotation_keys.index(key)
            earlier = [k for k in pending if annotation_keys.index(k) < position]
            out.extend((k, None, annotations[k]) for k in earlier)
            pending = [k for k in pending if k not in earlier]
        if isinstance(value, Column | MappedColumn):
            out.append((key, value, annotations.get(key)))
    out.extend((k, None, annotations[k]) for k in pending)
    return [(k, v, a) for k, v, a in out if v is not None or _is_mapped_annotation(a, klass)]


def _column_sources(cls: type) -> list[tuple[str, Any, Any, bool]]:
    """(key, Column/MappedColumn/None, annotation, own?): the class first, then its bases.

    As SQLAlchemy documents: columns of the mapped class come first, then those of its
    superclasses and mixins; ``mapped_column(sort_order=n)`` moves one.
    """
    found: dict[str, tuple[str, Any, Any, bool]] = {}
    for klass in cls.__mro__:
        if klass is object or klass.__dict__.get("_ok_is_base"):
            continue
        for key, value, annotation in _declared_in_order(klass):
            if key not in found:
                found[key] = (key, value, annotation, klass is cls)
    sources = list(found.values())
    return sorted(sources, key=lambda s: getattr(s[1], "sort_order", 0) or 0)


def _relationship_sources(cls: type) -> list[tuple[str, Any, Any]]:
    """(key, Relationship, annotation) declared on the class body."""
    annotations = inspect.get_annotations(cls)
    return [
        (key, value, annotations.get(key))
        for key, value in cls.__dict__.items()
        if isinstance(value, Relationship)
    ]


_COLLECTION_HINT = re.compile(
    r"^(?:\w+\.)*Mapped\[\s*(?P<coll>(?:typing\.)?(?:list|List|set|Set|Sequence|"
    r"WriteOnlyMapped|DynamicMapped)\[)?\s*['\"]?(?:Optional\[)?\s*['\"]?"
    r"(?P<name>[\w.]+)"
)


def _relationship_target(annotation: Any) -> tuple[Any, bool | None]:
    """(target class or class name, uselist?) from ``Mapped[list["Post"]]`` and friends."""
    if annotation is None:
        return None, None
    if isinstance(annotation, str):
        match = _COLLECTION_HINT.match(annotation.replace(" ", ""))
        if match is None:
            return None, None
        return match.group("name").rpartition(".")[2], bool(match.group("coll"))
    if typing.get_origin(annotation) is Mapped:
        (inner,) = typing.get_args(annotation)
        if isinstance(inner, typing.ForwardRef):  # Mapped["Post | None"]: read as text
            return _relationship_target(f"Mapped[{inner.__forward_arg__}]")
        origin = typing.get_origin(inner)
        if origin in (list, set, collections.abc.Sequence):
            (target,) = typing.get_args(inner)
            return _forward_name(target), True
        if origin is typing.Union or origin is types.UnionType:
            members = [a for a in typing.get_args(inner) if a is not type(None)]
            return _forward_name(members[0]), False
        return _forward_name(inner), False
    return None, None


def _forward_name(target: Any) -> Any:
    if isinstance(target, typing.ForwardRef):
        return target.__forward_arg__
    return target


#: __mapper_args__ keys whose SQLAlchemy default is what ormkit does; any other key or
#: value is refused (inheritance keys such as polymorphic_on come with a later issue).
_MAPPER_ARG_DEFAULTS: dict[str, Any] = {
    "eager_defaults": "auto",
    "confirm_deleted_rows": True,
    "always_refresh": False,
    "allow_partial_pks": True,
    "batch": True,
    "concrete": False,
    "polymorphic_abstract": False,
}


def _check_mapper_args(cls: type) -> None:
    for hook in ("__mapper_cls__", "__table_cls__"):
        if getattr(cls, hook, None) is not None:
            raise exc.ArgumentError(f"{cls.__name__}: {hook} is not supported yet")
    mapper_args = getattr(cls, "__mapper_args__", None)
    if callable(mapper_args):
        mapper_args = mapper_args()
    if not mapper_args:
        return
    if not isinstance(mapper_args, dict):
        raise exc.ArgumentError(
            f"{cls.__name__}.__mapper_args__ must be a dict, got {mapper_args!r}"
        )
    for key, value in mapper_args.items():
        if key not in _MAPPER_ARG_DEFAULTS or value != _MAPPER_ARG_DEFAULTS[key]:
            raise exc.ArgumentError(
                f"{cls.__name__}.__mapper_args__: key {key!r} is not supported yet"
            )


def _map_class(cls: type) -> None:
    if cls.__dict__.get("__abstract__"):
        return
    _check_mapper_args(cls)
    table = cls.__dict__.get("__table__")
    tablename = getattr(cls, "__tablename__", None)
    metadata: MetaData = cls.metadata  # type: ignore[attr-defined]
    properties: dict[str, Column] = {}
    if table is None:
        if tablename is None:
            if any(isinstance(getattr(b, "__mapper__", None), Mapper) for b in cls.__mro__[1:]):
                raise exc.InvalidRequestError(
                    f"class {cls.__name__} inherits from a mapped class without a "
                    "__tablename__; table inheritance is not supported yet"
                )
            raise exc.InvalidRequestError(
                f"class {cls.__name__} has no __tablename__ or __table__; give it one, or set "
                "__abstract__ = True for a base class that is not mapped itself"
            )
        columns = []
        for key, value, annotation, own in _column_sources(cls):
            if value is None:
                value = MappedColumn()
            if isinstance(value, MappedColumn):
                column = value.make_column(key, annotation, cls)
            else:
                column = value if own and value.table is None else value._copy()
                if column.name is None:
                    column._set_name(key)
            columns.append(column)
            properties[key] = column
        table_args = cls.__dict__.get("__table_args__", getattr(cls, "__table_args__", ()))
        args, kwargs = _split_table_args(table_args, cls)
        table = Table(tablename, metadata, *columns, *args, **kwargs)
    else:
        if not isinstance(table, Table):
            raise exc.ArgumentError(f"{cls.__name__}.__table__ must be a Table, got {table!r}")
        for col in table.columns:
            properties[col.key] = col
    mapper = Mapper(cls, table, properties)
    cls.__mapper__ = mapper  # type: ignore[attr-defined]
    cls.__table__ = table  # type: ignore[attr-defined]
    retrack(mapper)
    for key, column in properties.items():
        attr: InstrumentedAttribute[Any] = InstrumentedAttribute(mapper, key, column)
        mapper.attrs[key] = attr
        setattr(cls, key, attr)
    for key, rel, annotation in _relationship_sources(cls):
        target, uselist = _relationship_target(annotation)
        rel.annotation_target = target
        rel.annotation_uselist = uselist
        add_relationship(mapper, key, rel)
    cls.registry._add_mapper(mapper)  # type: ignore[attr-defined]
    for listener in mapper.dispatch.instrument_class:
        listener(mapper, cls)
    for listener in mapper.dispatch.after_mapper_constructed:
        listener(mapper, cls)


def _split_table_args(table_args: Any, cls: type) -> tuple[tuple[Any, ...], dict[str, Any]]:
    if not table_args:
        return (), {}
    if isinstance(table_args, dict):
        return (), dict(table_args)
    if isinstance(table_args, tuple):
        if table_args and isinstance(table_args[-1], dict):
            return table_args[:-1], dict(table_args[-1])
        return table_args, {}
    raise exc.ArgumentError(
        f"{cls.__name__}.__table_args__ must be a tuple (optionally ending in a dict) or a "
        f"dict, got {table_args!r}"
    )


def _keyword_constructor(self: Any, **kwargs: Any) -> None:
    """Set mapped attributes from keyword arguments; an unknown keyword is a TypeError."""
    cls = type(self)
    if pending:  # some registry is not configured: the first instance of its classes does it
        mapper = getattr(cls, "__mapper__", None)
        if mapper is not None:
            configure_for(mapper)
    d = self.__dict__
    state = d.get(STATE)
    if (
        (state is None or state.key is None)
        and cls.__setattr__ is track_setattr  # type: ignore[comparison-overlap]
        and cls.__ok_tracked__.issuperset(kwargs)
    ):
        d.update(kwargs)  # columns of an object with no row yet: nothing to track
        return
    for key, value in kwargs.items():
        if not hasattr(cls, key):
            raise TypeError(f"{key!r} is an invalid keyword argument for {cls.__name__}")
        setattr(self, key, value)


class DeclarativeAttributeIntercept(type):
    """The metaclass of declarative bases: attributes assigned to a mapped class are mapped.

    ``User.addresses = relationship("Address", back_populates="user")`` and
    ``User.email = Column(String(100))`` after the class statement work as if they had been
    written in its body (the column is added to the table as well).
    """

    def __setattr__(cls, key: str, value: Any) -> None:
        if isinstance(value, Column | MappedColumn | Relationship) and "__mapper__" in cls.__dict__:
            _map_added_attribute(cls, key, value)
        else:
            type.__setattr__(cls, key, value)

    def __delattr__(cls, key: str) -> None:
        mapper = cls.__dict__.get("__mapper__")
        if mapper is not None and (key in mapper.columns_by_key or key in mapper.relationships):
            raise exc.InvalidRequestError(
                f"{cls.__name__}.{key} is mapped; a mapped attribute cannot be removed from "
                "its class"
            )
        type.__delattr__(cls, key)


def _map_added_attribute(cls: type, key: str, value: Any) -> None:
    """Map ``value``, assigned to the mapped class ``cls`` after its declaration."""
    mapper: Mapper = cls.__mapper__  # type: ignore[attr-defined]
    if key in mapper.columns_by_key or key in mapper.relationships:
        raise exc.ArgumentError(
            f"{cls.__name__}.{key} is already mapped; a mapped attribute cannot be replaced "
            "after the class is declared"
        )
    if isinstance(value, Relationship):
        add_relationship(mapper, key, value)
        cls.registry._changed()  # type: ignore[attr-defined]
        clear_plans()  # a cached query plan may lack the new relationship's eager load
        return
    table = mapper.local_table
    if isinstance(value, MappedColumn):
        column = value.make_column(key, None, cls)
    else:
        if value.table is not None:
            raise exc.ArgumentError(
                f"{cls.__name__}.{key}: column {value.name!r} already belongs to table "
                f"{value.table.name!r}; assign a new Column"
            )
        column = value
        column._set_name(key)
    if column.primary_key:
        raise exc.ArgumentError(
            f"{cls.__name__}.{key}: a primary key column cannot be added after the class is "
            "declared; declare it in the class body"
        )
    if column.name in table.c or column.key in table.c:
        raise exc.ArgumentError(
            f"{cls.__name__}.{key}: table {table.name!r} already has a column "
            f"{column.name!r}; give the new column another name"
        )
    table.append_column(column)
    mapper.add_column(key, column)
    retrack(mapper)
    attr: InstrumentedAttribute[Any] = InstrumentedAttribute(mapper, key, column)
    mapper.attrs[key] = attr
    type.__setattr__(cls, key, attr)
    clear_plans()  # cached plans and row layouts know the old columns


class DeclarativeBase(metaclass=DeclarativeAttributeIntercept):
    """Base class of declarative models: subclass it once as your ``Base``, then map classes."""

    _ok_is_base: ClassVar[bool] = True
    metadata: ClassVar[MetaData]
    registry: ClassVar[registry]
    __table__: ClassVar[Table]
    __mapper__: ClassVar[Mapper]
    __tablename__: ClassVar[str]
    __ok_tracked__: ClassVar[frozenset[str]] = frozenset()
    __ok_listened__: ClassVar[dict[str, Any]] = {}
    __ok_rels__: ClassVar[dict[str, Any]] = {}

    if not TYPE_CHECKING:
        __setattr__ = track_setattr

    def __getstate__(self) -> dict[str, Any]:
        """What pickling keeps (the ``__dict__``); the ``pickle`` event sees it first."""
        d = self.__dict__
        mapper = type(self).__dict__.get("__mapper__")
        if mapper is not None:
            for listener in mapper.instance_dispatch.pickle:
                listener(self, d)
        return d

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickling: the ``__dict__`` back, then the ``unpickle`` event."""
        self.__dict__.update(state)
        mapper = type(self).__dict__.get("__mapper__")
        if mapper is not None:
            for listener in mapper.instance_dispatch.unpickle:
                listener(self, state)

    def __init__(self, **kwargs: Any) -> None:
        _keyword_constructor(self, **kwargs)

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if DeclarativeBase in cls.__bases__:
            _setup_base(cls)
            return
        _map_class(cls)


def _setup_base(base: type) -> None:
    base._ok_is_base = True  # type: ignore[attr-defined]
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
    if reg.constructor is not None and "__init__" not in base.__dict__:
        type.__setattr__(base, "__init__", reg.constructor)


def declarative_base(
    *,
    metadata: MetaData | None = None,
    mapper: Any = None,
    cls: type = object,
    name: str = "Base",
    class_registry: Any = None,
    type_annotation_map: dict[Any, Any] | None = None,
    constructor: Any = _keyword_constructor,
    metaclass: type = DeclarativeAttributeIntercept,
) -> Any:
    """A new declarative base class (the 1.x spelling of ``class Base(DeclarativeBase)``)."""
    for unsupported, given in (("mapper", mapper), ("class_registry", class_registry)):
        if given is not None:
            raise exc.ArgumentError(
                f"declarative_base() does not support argument {unsupported!r} yet"
            )
    if not (isinstance(metaclass, type) and issubclass(metaclass, DeclarativeAttributeIntercept)):
        raise exc.ArgumentError(
            f"declarative_base(metaclass={metaclass!r}): the metaclass must be a subclass of "
            "ormkit.orm.decl.DeclarativeAttributeIntercept"
        )
    namespace: dict[str, Any] = {
        "metadata": metadata if metadata is not None else MetaData(),
        "__doc__": "Declarative base made by declarative_base().",
    }
    if type_annotation_map:
        namespace["type_annotation_map"] = type_annotation_map
    if constructor is not None:
        namespace["__init__"] = constructor
    bases = (cls, DeclarativeBase) if cls is not object else (DeclarativeBase,)
    return metaclass(name, bases, namespace)


def _inspect_instance(obj: Any) -> Any:
    from ormkit.orm.mapper import object_mapper

    mapper = object_mapper(obj)
    state = state_of(obj)
    if state is None:
        from ormkit.orm.state import InstanceState

        state = InstanceState(mapper)
        obj.__dict__[STATE] = state
    return state


inspection.register(DeclarativeBase, _inspect_instance)
