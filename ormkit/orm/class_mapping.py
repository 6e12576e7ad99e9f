"""How a class becomes mapped: declaratively, from its body, or imperatively, from a Table.

Declarative: ``DeclarativeScan`` reads the class, then its mixins and its declarative base, in
method resolution order. Columns (``mapped_column()``, ``Column``, a bare ``Mapped[int]``
annotation) and ``relationship()``s are collected; a ``declared_attr`` is called with the class
being mapped, once, and its result taken as if written in the class body (so one mixin gives
each class its own ``user_id`` column and ``user`` relationship). The directives
``__tablename__``, ``__table_args__`` and ``__mapper_args__`` are looked up the same way.

A mixin's columns are copied for each class before any ``declared_attr`` runs, so that
``cls.user_id`` inside one is that class's own column (``foreign_keys=[cls.user_id]``).

Imperative: ``map_imperatively`` maps a class to a Table with a ``properties`` dict.

Both end in ``_install``: the Mapper, an ``InstrumentedAttribute`` per column, the
relationships, and, for a plain class (not a declarative base's subclass), the hooks a mapped
class needs (change tracking in ``__setattr__``, pickle events, the keyword constructor).
"""

from __future__ import annotations

import collections.abc
import inspect
import re
import types
import typing
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from ormkit import exc, inspection
from ormkit.orm import class_hooks
from ormkit.orm.attributes import ExpressionAttribute, InstrumentedAttribute, retrack, track_setattr
from ormkit.orm.dataclass_mapping import (
    dataclass_options,
    finish_dataclass,
    make_dataclass,
    refuse_dataclass_arguments,
)
from ormkit.orm.loading import clear_plans
from ormkit.orm.mapped_column import Mapped, MappedColumn, is_mapped_annotation
from ormkit.orm.mapper import Mapper, object_mapper
from ormkit.orm.properties import ColumnProperty
from ormkit.orm.registries import add_relationship, configure_for, pending
from ormkit.orm.relationships import Relationship
from ormkit.orm.state import STATE, inspected_state
from ormkit.orm.synonyms import Synonym
from ormkit.sql.schema import Column, MetaData, Table

if TYPE_CHECKING:
    from ormkit.orm.decl import registry

_T = TypeVar("_T")

#: The directives a declarative class (or its mixins, or its base) may give.
DIRECTIVES = ("__tablename__", "__table_args__", "__mapper_args__")


class declared_attr(Generic[_T]):
    """An attribute of a mixin or base computed for each class it is mapped into.

    ``@declared_attr def user(cls) -> Mapped[User]: return relationship(User)`` on a mixin
    gives every class using the mixin its own relationship; ``@declared_attr.directive`` is
    the spelling for ``__tablename__``, ``__table_args__`` and ``__mapper_args__``, and
    ``@declared_attr.cascading`` marks one to be called again for subclasses of mapped
    classes. While a class is being mapped, reading the attribute (``cls.user_id`` in another
    ``declared_attr``) gives the one value made for that class; afterwards the function is
    called again at each read of a directive, as SQLAlchemy does.
    """

    directive: ClassVar[type[declared_attr[Any]]]
    cascading: ClassVar[Callable[[Callable[..., Any]], declared_attr[Any]]]

    def __init__(self, fget: Callable[..., Any], *, cascading: bool = False) -> None:
        self.fget = fget
        self.is_cascading = cascading
        self.__doc__ = fget.__doc__
        self.__name__ = getattr(fget, "__name__", "declared_attr")

    def __get__(self, instance: Any, owner: type) -> Any:
        scan = _active_scans.get(owner)
        if scan is not None:
            return scan.value_of(self)
        return self.fget(owner)

    @property
    def return_annotation(self) -> Any:
        """The function's return annotation (``-> Mapped[int]``), or None."""
        return inspect.get_annotations(self.fget).get("return")

    def __repr__(self) -> str:
        return f"<declared_attr {self.__name__}>"


class _declared_directive(declared_attr[_T]):
    """``@declared_attr.directive``: a declared ``__tablename__`` and the like (the same
    behaviour; a type checker reads the function's own return type)."""


def _cascading(fget: Callable[..., Any]) -> declared_attr[Any]:
    return declared_attr(fget, cascading=True)


declared_attr.directive = _declared_directive
declared_attr.cascading = _cascading

#: The class being mapped -> its scan, while it runs (what ``declared_attr`` reads go to).
_active_scans: dict[type, DeclarativeScan] = {}


def _is_internal(klass: type) -> bool:
    """ormkit's own bases (DeclarativeBase and the like) hold nothing to map."""
    return klass is object or bool(klass.__dict__.get("__ok_internal__"))


class DeclarativeScan:
    """Reading one declarative class (with its mixins and base) into what its mapping needs."""

    def __init__(self, cls: type, reg: registry) -> None:
        self.cls = cls
        self.registry = reg
        #: the classes read, the mapped class first: it, its mixins, its declarative base
        self.classes = [k for k in cls.__mro__ if not _is_internal(k)]
        #: id(declared_attr) -> what it gave for this class (each is called once)
        self.values: dict[int, Any] = {}
        #: key -> this class's own copy of a column declared on a mixin or the base
        self.copies: dict[str, Column | MappedColumn] = {}

    def value_of(self, attr: declared_attr[Any]) -> Any:
        """What ``attr`` gives for the class being mapped, made on first use."""
        key = id(attr)
        if key not in self.values:
            self.values[key] = attr.fget(self.cls)
        return self.values[key]

    def directive(self, name: str, default: Any = None) -> Any:
        """``__tablename__`` and the like, from the first class that gives it."""
        for klass in self.classes:
            if name in klass.__dict__:
                value = klass.__dict__[name]
                return self.value_of(value) if isinstance(value, declared_attr) else value
        return default

    def copy_inherited_columns(self) -> None:
        """Give the class its own copy of each column of a mixin or base (before any
        declared_attr runs, so that ``cls.user_id`` there is the class's own)."""
        seen = set(self.cls.__dict__)
        for klass in self.classes[1:]:
            for key, value in klass.__dict__.items():
                if key in seen:
                    continue
                seen.add(key)
                if isinstance(value, Column | MappedColumn):
                    copy = value.copy() if isinstance(value, MappedColumn) else value._copy()
                    self.copies[key] = copy
                    type.__setattr__(self.cls, key, copy)

    def attributes(self) -> list[tuple[str, Any, Any]]:
        """(key, Column / MappedColumn / Relationship / None, annotation) of everything to
        map, the class's own first, then its mixins' and base's; None: a bare annotation."""
        found: dict[str, tuple[str, Any, Any]] = {}
        for klass in self.classes:
            for key, value, annotation in self._declared_in_order(klass):
                if key in found or (klass is self.cls and key in self.copies):
                    continue  # (a copy put on the class is read where it was declared)
                if isinstance(value, declared_attr):
                    value, annotation = self._declared(klass, key, value, annotation)
                    if value is None:
                        found[key] = (key, None, None)  # declared as nothing: not mapped
                        continue
                elif klass is not self.cls:
                    if isinstance(value, ColumnProperty):
                        raise exc.InvalidRequestError(
                            f"{klass.__name__}.{key}: a column_property() on a mixin must be "
                            "made by a @declared_attr function (each class needs its own, of "
                            f"its own columns), e.g. @declared_attr def {key}(cls) -> "
                            "Mapped[...]: return column_property(...)"
                        )
                    if isinstance(value, Relationship):
                        raise exc.InvalidRequestError(
                            f"{klass.__name__}.{key}: a relationship() on a mixin must be "
                            "made by a @declared_attr function (each class needs its own), "
                            f"e.g. @declared_attr def {key}(cls) -> Mapped[...]: return "
                            "relationship(...)"
                        )
                    value = self.copies.get(key, value)
                found[key] = (key, value, annotation)
        return [entry for entry in found.values() if entry[1] is not None or entry[2]]

    def _declared(
        self, klass: type, key: str, attr: declared_attr[Any], annotation: Any
    ) -> tuple[Any, Any]:
        value = self.value_of(attr)
        if value is None:
            return None, None
        if not isinstance(value, Column | MappedColumn | Relationship | ColumnProperty):
            raise exc.ArgumentError(
                f"{klass.__name__}.{key}: the @declared_attr gave {value!r}; a declared "
                "attribute must give a mapped_column(), Column, column_property() or "
                "relationship() (or None)"
            )
        if isinstance(value, Column) and value.table is not None:
            value = value._copy()  # a column of another table: this class gets its own
        return value, attr.return_annotation or annotation

    @staticmethod
    def _declared_in_order(klass: type) -> list[tuple[str, Any, Any]]:
        """(key, value or None, annotation) of one class body, in the order written there."""
        annotations: dict[str, Any] = dict(inspect.get_annotations(klass))
        annotation_keys = list(annotations)
        waiting = [k for k in annotation_keys if k not in klass.__dict__]
        out: list[tuple[str, Any, Any]] = []
        for key, value in klass.__dict__.items():
            if key in annotations:
                # annotation-only names written before this one come first
                position = annotation_keys.index(key)
                earlier = [k for k in waiting if annotation_keys.index(k) < position]
                out.extend((k, None, annotations[k]) for k in earlier)
                waiting = [k for k in waiting if k not in earlier]
            if key in DIRECTIVES:
                continue
            if isinstance(
                value, Column | MappedColumn | Relationship | ColumnProperty | declared_attr
            ):
                out.append((key, value, annotations.get(key)))
        out.extend((k, None, annotations[k]) for k in waiting)
        return [
            (k, v, a)
            for k, v, a in out
            if v is not None or (not k.startswith("__") and is_mapped_annotation(a, klass))
        ]


def map_declaratively(cls: type, reg: registry) -> Mapper | None:
    """Map ``cls`` from its body, mixins and base (None for an ``__abstract__`` class)."""
    as_dataclass = dataclass_options(cls) is not None
    if as_dataclass:
        make_dataclass(cls)
    if cls.__dict__.get("__abstract__"):
        return None
    parent = next(
        (k for k in cls.__mro__[1:] if isinstance(k.__dict__.get("__mapper__"), Mapper)), None
    )
    if parent is not None:
        raise exc.InvalidRequestError(
            f"class {cls.__name__} inherits from the mapped class {parent.__name__}; mapped "
            "class inheritance (single-table, joined, concrete) is not supported yet. Put "
            "the shared columns on a mixin or an __abstract__ base instead"
        )
    scan = DeclarativeScan(cls, reg)
    _active_scans[cls] = scan
    try:
        mapper = _map_scanned(scan, as_dataclass)
    finally:
        del _active_scans[cls]
    if as_dataclass:
        finish_dataclass(mapper)
    return mapper


def _map_scanned(scan: DeclarativeScan, as_dataclass: bool) -> Mapper:
    cls, reg = scan.cls, scan.registry
    _check_hooks(cls)
    mapper_args = scan.directive("__mapper_args__")
    check_mapper_args(mapper_args, f"{cls.__name__}.__mapper_args__")
    table = cls.__dict__.get("__table__")
    columns: dict[str, Column] = {}
    relationships: list[tuple[str, Relationship, Any]] = []
    declared: dict[str, ColumnProperty] = {}
    if table is None:
        tablename = scan.directive("__tablename__")
        if tablename is None:
            _refuse_without_table(cls)
        scan.copy_inherited_columns()
        attributes = scan.attributes()
        if not as_dataclass:
            refuse_dataclass_arguments(cls, attributes)
        table_columns: list[tuple[int, Column]] = []  # (sort_order, column)
        for key, value, annotation in attributes:
            if isinstance(value, Relationship):
                relationships.append((key, value, annotation))
                continue
            if isinstance(value, ColumnProperty):
                declared[key] = value
                if not isinstance(value.declared, Column | MappedColumn):
                    continue  # a SQL expression: no column of the table
                value = value.declared
            if value is None:
                value = MappedColumn()
            if isinstance(value, MappedColumn):
                column = value.make_column(key, annotation, cls, reg)
            else:
                column = value._copy() if value.table is not None else value
                if column.name is None:
                    column._set_name(key)
            # mapped_column(sort_order=n) moves a column; the stable sort keeps the rest
            table_columns.append((getattr(value, "sort_order", 0) or 0, column))
            columns[key] = column
            if key not in declared and getattr(value, "deferred", False):
                declared[key] = _deferred_mapped_column(value)
        table_columns.sort(key=lambda entry: entry[0])
        args, kwargs = _split_table_args(scan.directive("__table_args__", ()), cls)
        metadata: MetaData = getattr(cls, "metadata", None) or reg.metadata
        table = Table(tablename, metadata, *(c for _, c in table_columns), *args, **kwargs)
    else:
        if not isinstance(table, Table):
            raise exc.ArgumentError(f"{cls.__name__}.__table__ must be a Table, got {table!r}")
        for col in table.columns:
            columns[col.key] = col
        attributes = scan.attributes()
        if not as_dataclass:
            refuse_dataclass_arguments(cls, attributes)
        relationships = [entry for entry in attributes if isinstance(entry[1], Relationship)]
        declared = {k: v for k, v, _ in attributes if isinstance(v, ColumnProperty)}
    return install(cls, reg, table, columns, relationships, declared)


def _deferred_mapped_column(value: MappedColumn) -> ColumnProperty:
    """The ColumnProperty of ``mapped_column(deferred=True, ...)``."""
    return ColumnProperty(
        value, deferred=True, group=value.deferred_group, raiseload=value.deferred_raiseload
    )


def _refuse_without_table(cls: type) -> typing.NoReturn:
    raise exc.InvalidRequestError(
        f"class {cls.__name__} has no __tablename__ or __table__; give it one, or set "
        "__abstract__ = True for a base class that is not mapped itself"
    )


def map_imperatively(
    cls: type, reg: registry, local_table: Any, properties: dict[str, Any] | None, **kw: Any
) -> Mapper:
    """Map the plain class ``cls`` to ``local_table``: every column by its key, unless
    ``properties`` names it otherwise; relationships come in ``properties`` too."""
    if not isinstance(local_table, Table):
        raise exc.ArgumentError(
            f"map_imperatively({cls.__name__}, ...) needs a Table to map to, got {local_table!r}"
        )
    if "__mapper__" in cls.__dict__:
        raise exc.ArgumentError(f"class {cls.__name__} is mapped already")
    check_mapper_args(kw, f"map_imperatively({cls.__name__})")
    columns: dict[str, Column] = {}
    relationships: list[tuple[str, Relationship, Any]] = []
    renamed: set[int] = set()
    declared: dict[str, ColumnProperty] = {}
    for key, value in (properties or {}).items():
        if isinstance(value, ColumnProperty):
            declared[key] = value
            value = value.expression
            if not (isinstance(value, Column) and value.table is local_table):
                continue  # a SQL expression
        if isinstance(value, Relationship):
            relationships.append((key, value, None))
        elif isinstance(value, Column) and value.table is local_table:
            columns[key] = value
            renamed.add(id(value))
        else:
            raise exc.ArgumentError(
                f"map_imperatively({cls.__name__}): property {key!r} is {value!r}; ormkit "
                f"maps a column of table {local_table.name!r} or a relationship() there"
            )
    for column in local_table.columns:
        if id(column) not in renamed and column.key not in columns:
            columns[column.key] = column
    return install(cls, reg, local_table, columns, relationships, declared)


def install(
    cls: type,
    reg: registry,
    table: Table,
    columns: dict[str, Column],
    relationships: list[tuple[str, Relationship, Any]],
    declared: dict[str, ColumnProperty] | None = None,
) -> Mapper:
    """Make the Mapper of ``cls`` and put its attributes on the class (``declared``: the
    column properties column_property() and the like made, by key)."""
    _instrument_plain_class(cls, reg)
    for key, prop in (declared or {}).items():
        _check_property(cls, key, prop, columns.get(key))
    mapper = Mapper(cls, table, columns, declared)
    type.__setattr__(cls, "__mapper__", mapper)
    type.__setattr__(cls, "__table__", table)
    retrack(mapper)
    for key in mapper.column_attrs:
        _install_column_attribute(mapper, key)
    for key, rel, annotation in relationships:
        target, uselist = relationship_target(annotation)
        rel.annotation_target = target
        rel.annotation_uselist = uselist
        if rel.collection_class is None and _annotates_a_set(annotation):
            rel.collection_class = set  # Mapped[set[Tag]], as SQLAlchemy reads it
        add_relationship(mapper, key, rel)
    reg._add_mapper(mapper)
    for klass in reversed([k for k in cls.__mro__ if not _is_internal(k)]):
        for key, value in vars(klass).items():
            if isinstance(value, Synonym):
                mapper.synonyms[key] = value  # (the class's own, over a mixin's)
    for synonym in mapper.synonyms.values():
        synonym.check_target(mapper)
    class_hooks.install(mapper)
    for listener in mapper.dispatch.instrument_class:
        listener(mapper, cls)
    for listener in mapper.dispatch.after_mapper_constructed:
        listener(mapper, cls)
    return mapper


def _check_property(cls: type, key: str, prop: ColumnProperty, column: Column | None) -> None:
    """Give ``prop`` its key, and refuse options that mean nothing for what it maps."""
    prop.key = key
    if column is not None:
        if not prop.expire_on_flush:
            raise exc.ArgumentError(
                f"{cls.__name__}.{key}: column_property(expire_on_flush=False) applies to SQL "
                "expressions; a column holds the value the flush wrote"
            )
        if column.primary_key and prop.deferred:
            raise exc.ArgumentError(
                f"{cls.__name__}.{key}: a primary key column cannot be deferred (the identity "
                "of every loaded row needs it)"
            )
        column.info.update(prop.info)


def _install_column_attribute(mapper: Mapper, key: str) -> None:
    """Put the class attribute of column property ``key`` on the mapped class."""
    prop = mapper.column_attrs[key]
    attr: InstrumentedAttribute[Any]
    if key in mapper.columns_by_key:
        attr = InstrumentedAttribute(mapper, key, mapper.columns_by_key[key])
    else:
        attr = ExpressionAttribute(mapper, key, prop.expression)
    if prop.doc is not None:
        attr.__doc__ = prop.doc
    mapper.attrs[key] = attr
    type.__setattr__(mapper.class_, key, attr)


def _instrument_plain_class(cls: type, reg: registry) -> None:
    """What a declarative base gives its subclasses, given to a class mapped without one
    (``registry.mapped``, ``map_imperatively``, a ``DeclarativeMeta`` base of its own)."""
    if not any(klass.__dict__.get("__setattr__") is track_setattr for klass in cls.__mro__):
        if cls.__setattr__ is not object.__setattr__:  # type: ignore[comparison-overlap]
            raise exc.ArgumentError(
                f"class {cls.__name__} defines __setattr__; ormkit tracks changes to mapped "
                "attributes there, so a mapped class cannot have its own"
            )
        type.__setattr__(cls, "__setattr__", track_setattr)
    for name in ("__ok_rels__", "__ok_listened__"):
        if getattr(cls, name, None) is None:
            type.__setattr__(cls, name, {})
    if getattr(cls, "__getstate__", None) is object.__getstate__:
        type.__setattr__(cls, "__getstate__", pickled_state)
    if "__setstate__" not in dir(cls):
        type.__setattr__(cls, "__setstate__", unpickled_state)
    if cls.__init__ is object.__init__ and reg.constructor is not None:  # type: ignore[misc]
        type.__setattr__(cls, "__init__", reg.constructor)


def unmap(mapper: Mapper) -> None:
    """Take the mapping off ``mapper``'s class: its mapped attributes and ``__mapper__``."""
    cls = mapper.class_
    for key in [*mapper.attrs, *mapper.relationships]:
        if key in cls.__dict__:
            type.__delattr__(cls, key)
    for name in ("__mapper__", "__ok_selects__"):
        if name in cls.__dict__:
            type.__delattr__(cls, name)
    for name, empty in (("__ok_tracked__", frozenset()), ("__ok_listened__", {})):
        type.__setattr__(cls, name, empty)
    type.__setattr__(cls, "__ok_rels__", {})


def _check_hooks(cls: type) -> None:
    for hook in ("__mapper_cls__", "__table_cls__"):
        if getattr(cls, hook, None) is not None:
            raise exc.ArgumentError(f"{cls.__name__}: {hook} is not supported yet")


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


def check_mapper_args(mapper_args: Any, where: str) -> None:
    """Refuse mapper arguments ormkit does not implement (``where`` names their source)."""
    if callable(mapper_args):
        mapper_args = mapper_args()
    if not mapper_args:
        return
    if not isinstance(mapper_args, dict):
        raise exc.ArgumentError(f"{where} must be a dict, got {mapper_args!r}")
    for key, value in mapper_args.items():
        if key not in _MAPPER_ARG_DEFAULTS or value != _MAPPER_ARG_DEFAULTS[key]:
            raise exc.ArgumentError(f"{where}: key {key!r} is not supported yet")


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


_COLLECTION_HINT = re.compile(
    r"^(?:\w+\.)*Mapped\[\s*(?P<coll>(?:typing\.)?(?:list|List|set|Set|Sequence|"
    r"WriteOnlyMapped|DynamicMapped)\[)?\s*['\"]?(?:Optional\[)?\s*['\"]?"
    r"(?P<name>[\w.]+)"
)


def relationship_target(annotation: Any) -> tuple[Any, bool | None]:
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
            return relationship_target(f"Mapped[{inner.__forward_arg__}]")
        origin = typing.get_origin(inner)
        if origin in (list, set, collections.abc.Sequence):
            (target,) = typing.get_args(inner)
            return _forward_name(target), True
        if origin is typing.Union or origin is types.UnionType:
            members = [a for a in typing.get_args(inner) if a is not type(None)]
            return _forward_name(members[0]), False
        return _forward_name(inner), False
    return None, None


def _annotates_a_set(annotation: Any) -> bool:
    """Whether a relationship's annotation is ``Mapped[set[...]]`` (text or object)."""
    if isinstance(annotation, str):
        match = _COLLECTION_HINT.match(annotation.replace(" ", ""))
        return match is not None and (match.group("coll") or "").lower().endswith("set[")
    if typing.get_origin(annotation) is Mapped:
        (inner,) = typing.get_args(annotation)
        return typing.get_origin(inner) in (set, collections.abc.Set, collections.abc.MutableSet)
    return False


def _forward_name(target: Any) -> Any:
    if isinstance(target, typing.ForwardRef):
        return target.__forward_arg__
    return target


def keyword_constructor(self: Any, **kwargs: Any) -> None:
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


def pickled_state(self: Any) -> dict[str, Any]:
    """What pickling keeps (the ``__dict__``); the ``pickle`` event sees it first."""
    d: dict[str, Any] = self.__dict__
    mapper = type(self).__dict__.get("__mapper__")
    if mapper is not None:
        for listener in mapper.instance_dispatch.pickle:
            listener(self, d)
    return d


def unpickled_state(self: Any, state: dict[str, Any]) -> None:
    """Unpickling: the ``__dict__`` back, then the ``unpickle`` event."""
    self.__dict__.update(state)
    mapper = type(self).__dict__.get("__mapper__")
    if mapper is not None:
        for listener in mapper.instance_dispatch.unpickle:
            listener(self, state)


class DeclarativeAttributeIntercept(type):
    """The metaclass of declarative bases: attributes assigned to a mapped class are mapped.

    ``User.addresses = relationship("Address", back_populates="user")`` and
    ``User.email = Column(String(100))`` after the class statement work as if they had been
    written in its body (the column is added to the table as well).
    """

    def __setattr__(cls, key: str, value: Any) -> None:
        mapper = cls.__dict__.get("__mapper__")
        if isinstance(value, Column | MappedColumn | Relationship) and mapper is not None:
            _map_added_attribute(cls, key, value)
        elif isinstance(value, ColumnProperty) and mapper is not None:
            _map_added_property(cls, key, value)
        elif isinstance(value, Synonym) and mapper is not None:
            value.__set_name__(cls, key)  # (Python calls it only in the class statement)
            value.check_target(mapper)
            mapper.synonyms[key] = value
            type.__setattr__(cls, key, value)
        else:
            type.__setattr__(cls, key, value)

    def __delattr__(cls, key: str) -> None:
        mapper = cls.__dict__.get("__mapper__")
        if mapper is not None and (key in mapper.column_attrs or key in mapper.relationships):
            raise exc.InvalidRequestError(
                f"{cls.__name__}.{key} is mapped; a mapped attribute cannot be removed from "
                "its class"
            )
        type.__delattr__(cls, key)


class DeclarativeMeta(DeclarativeAttributeIntercept):
    """The metaclass of a ``declarative_base()`` base: a class is mapped when the metaclass
    initializes it, so a subclass of this metaclass can set ``__tablename__`` and the like
    in its own ``__init__`` before calling this one."""

    def __init__(
        cls, classname: str, bases: tuple[type, ...], namespace: dict[str, Any], **kw: Any
    ) -> None:
        # (class keywords, **kw, went to __init_subclass__ already)
        if "registry" not in cls.__dict__ and not _is_internal(cls):
            reg = getattr(cls, "registry", None)
            if reg is None or not hasattr(reg, "_add_mapper"):
                raise exc.InvalidRequestError(
                    f"class {classname} has DeclarativeMeta as its metaclass but no registry; "
                    "give its base a registry = registry() attribute, or make the base with "
                    "declarative_base()"
                )
            map_declaratively(cls, reg)
        type.__init__(cls, classname, bases, namespace)


def _map_added_attribute(cls: type, key: str, value: Any) -> None:
    """Map ``value``, assigned to the mapped class ``cls`` after its declaration."""
    mapper: Mapper = cls.__mapper__  # type: ignore[attr-defined]
    if key in mapper.columns_by_key or key in mapper.relationships:
        raise exc.ArgumentError(
            f"{cls.__name__}.{key} is already mapped; a mapped attribute cannot be replaced "
            "after the class is declared"
        )
    reg: Any = mapper.registry
    if isinstance(value, Relationship):
        add_relationship(mapper, key, value)
        reg._changed()
        clear_plans()  # a cached query plan may lack the new relationship's eager load
        return
    table = mapper.local_table
    if isinstance(value, MappedColumn):
        column = value.make_column(key, None, cls, reg)
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


def _map_added_property(cls: type, key: str, prop: ColumnProperty) -> None:
    """Map a column_property() of a SQL expression assigned to ``cls`` after its
    declaration (``User.post_count = column_property(select(...).scalar_subquery())``)."""
    mapper: Mapper = cls.__mapper__  # type: ignore[attr-defined]
    if key in mapper.column_attrs or key in mapper.relationships:
        raise exc.ArgumentError(
            f"{cls.__name__}.{key} is already mapped; a mapped attribute cannot be replaced "
            "after the class is declared"
        )
    if isinstance(prop.declared, Column | MappedColumn):
        raise exc.ArgumentError(
            f"{cls.__name__}.{key}: a column_property() of a column cannot be added after the "
            "class is declared; assign the Column itself, or declare the property in the "
            "class body"
        )
    _check_property(cls, key, prop, None)
    mapper.add_property(key, prop)
    _install_column_attribute(mapper, key)
    clear_plans()  # cached plans and row layouts know the old columns


def _inspect_instance(obj: Any) -> Any:
    """``inspect(obj)`` of an instance of any mapped class: its state (made if none yet)."""
    if not isinstance(getattr(type(obj), "__mapper__", None), Mapper):
        return None  # not mapped: no inspection (an unmapped subclass raises below)
    object_mapper(obj)  # an unmapped subclass of a mapped class raises here
    return inspected_state(obj)


inspection.register(object, _inspect_instance)
