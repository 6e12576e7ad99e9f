"""The Mapper: which table a class maps to, and which attribute is which column."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from ormkit import exc, inspection
from ormkit.event.registry import register_family
from ormkit.orm.events import (
    INSTANCE_EVENTS,
    INSTANCE_HOLDS,
    MAPPER_EVENTS,
    MAPPER_HOLDS,
    watch_constructor,
)
from ormkit.orm.properties import ColumnProperty
from ormkit.sql.schema import Column, ColumnDefault, Table
from ormkit.sql.selection import EntityColumns

if TYPE_CHECKING:
    from ormkit.orm.attributes import InstrumentedAttribute
    from ormkit.orm.decl import registry


class Mapper:
    """How one class maps to one table: columns, primary key, identity."""

    #: The registry (declarative base) the class was mapped by.
    registry: registry | None = None
    #: Some mapper has column_property() expressions a flush expires (the flush looks for
    #: them only then).
    maps_flushed_expressions: ClassVar[bool] = False

    def __init__(
        self,
        class_: type,
        table: Table,
        properties: dict[str, Column],
        declared: dict[str, ColumnProperty] | None = None,
    ) -> None:
        self.class_ = class_
        self.local_table = self.persist_selectable = table
        #: attribute key -> column
        self.columns_by_key: dict[str, Column] = dict(properties)
        #: key -> the ColumnProperty column_property(), deferred() or mapped_column(
        #: deferred=True) made: options of a column, or a SQL expression (not a column)
        self.declared_properties: dict[str, ColumnProperty] = dict(declared or {})
        self.attrs: dict[str, InstrumentedAttribute[Any]] = {}
        self.relationships: dict[str, Any] = {}
        #: key -> Synonym: second names of mapped attributes (orm/synonyms.py)
        self.synonyms: dict[str, Any] = {}
        self._derive()
        pk = [c for c in table.primary_key if id(c) in self._key_by_column]
        if not pk:
            raise exc.ArgumentError(
                f"mapper for class {class_.__name__} could not find a primary key in table "
                f"{table.name!r}; mark a column primary_key=True (an ORM needs a key to tell "
                "rows apart)"
            )
        self.primary_key: tuple[Column, ...] = tuple(pk)  # type: ignore[arg-type]
        self.pk_keys: tuple[str, ...] = tuple(self._key_by_column[id(c)] for c in pk)
        #: Mapper events' listeners for this class, and Instance events' (see orm/events.py).
        self.dispatch = MAPPER_HOLDS.dispatch_for(class_, self)
        self.instance_dispatch = INSTANCE_HOLDS.dispatch_for(class_, self)
        watch_constructor(self)
        # what other modules memoize in __dict__ goes when the mapping changes
        self._core_keys = frozenset(self.__dict__) | {"_core_keys", "registry"}

    def _derive(self) -> None:
        """Work out the facts that follow from the mapped columns."""
        properties = self.columns_by_key
        declared = self.declared_properties
        self.column_attrs: dict[str, ColumnProperty] = {
            key: declared.get(key) or ColumnProperty(col, key=key)
            for key, col in properties.items()
        }
        #: keys of column_property() SQL expressions (no column of the table: read-only)
        self.expression_keys: tuple[str, ...] = tuple(k for k in declared if k not in properties)
        for key in self.expression_keys:
            self.column_attrs[key] = declared[key]
        self._key_by_column: dict[int, str] = {id(c): k for k, c in properties.items()}
        #: attribute keys in the table's column order (the order a SELECT of the table gives)
        self.table_keys: tuple[str, ...] = tuple(
            self._key_by_column[id(c)]
            for c in self.local_table.columns
            if id(c) in self._key_by_column
        )
        self._derive_selection()
        self.tracked_keys: frozenset[str] = frozenset(properties)
        # what a flush fills in Python, worked out once per mapper:
        #: (key, default) of columns with an onupdate (an UPDATE sets them too)
        self.onupdates: tuple[tuple[str, ColumnDefault], ...] = tuple(
            (k, c.onupdate) for k, c in properties.items() if c.onupdate is not None
        )
        #: keys of columns with a default of any kind: None there means "no value" at INSERT
        self.defaulted_keys: tuple[str, ...] = tuple(
            k
            for k, c in properties.items()
            if (c.default is not None or c.server_default is not None) and not c.primary_key
        )
        #: (key, default) of columns whose default Python computes (not SQL) at INSERT
        self.insert_defaults: tuple[tuple[str, ColumnDefault], ...] = tuple(
            (k, c.default)
            for k, c in properties.items()
            if c.default is not None and not c.default.is_clause_element
        )
        #: keys of columns the database sets at UPDATE (server_onupdate): expired by one
        self.server_onupdate_keys: tuple[str, ...] = tuple(
            k for k, c in properties.items() if c.server_onupdate is not None
        )
        #: keys of columns an INSERT that leaves them out makes NULL: no default anywhere
        self.null_keys: frozenset[str] = frozenset(
            k
            for k, c in properties.items()
            if c.default is None and c.server_default is None and not c.primary_key
        )

    def _derive_selection(self) -> None:
        """What ``select(Class)`` loads: the columns and expressions that are not deferred."""
        attrs = self.column_attrs
        #: keys left out of the entity SELECT until read (deferred), with their groups
        self.deferred_keys: frozenset[str] = frozenset(k for k, p in attrs.items() if p.deferred)
        #: the column keys a SELECT of the table (or an alias of it) fills
        self.column_load_keys: tuple[str, ...] = tuple(
            k for k in self.table_keys if k not in self.deferred_keys
        )
        #: the keys an entity SELECT fills, in the order it selects them
        self.load_keys: tuple[str, ...] = tuple(
            k for k in (*self.table_keys, *self.expression_keys) if k not in self.deferred_keys
        )
        #: expression keys a flush of the object expires (computed again on the next read)
        self.flush_expired_keys: tuple[str, ...] = tuple(
            k for k in self.expression_keys if attrs[k].expire_on_flush
        )
        if self.flush_expired_keys:
            Mapper.maps_flushed_expressions = True
        cls = self.class_
        if self.load_keys == self.table_keys:
            #: what the entity SELECT lists: the table, or the chosen columns of it
            self.selection: Table | EntityColumns = self.local_table
            if "__ok_selects__" in cls.__dict__:
                type.__delattr__(cls, "__ok_selects__")
            return
        selected = [attrs[k].selected(self) for k in self.load_keys]
        self.selection = EntityColumns(self.local_table, selected)
        type.__setattr__(cls, "__ok_selects__", self.selection)

    def deferred_group(self, key: str) -> list[str]:
        """The deferred keys loaded together with ``key`` (those of its group, or itself)."""
        group = self.column_attrs[key].group
        if group is None:
            return [key]
        attrs = self.column_attrs
        return [k for k, p in attrs.items() if p.deferred and p.group == group] or [key]

    def add_property(self, key: str, prop: ColumnProperty) -> None:
        """Map ``prop`` (a column_property() set on the class after it was mapped)."""
        prop.key = key
        self.declared_properties[key] = prop
        self._derive()
        self.forget_memos()

    def add_column(self, key: str, column: Column) -> None:
        """Map ``column`` (already in the table) as attribute ``key`` of a mapped class."""
        self.columns_by_key[key] = column
        self._derive()
        self.forget_memos()

    def forget_memos(self) -> None:
        """Drop what other modules cached on the mapper (statements, row layouts)."""
        for key in [k for k in self.__dict__ if k not in self._core_keys]:
            del self.__dict__[key]

    @property
    def entity(self) -> type:
        """The mapped class."""
        return self.class_

    @property
    def mapped_table(self) -> Table:
        """The mapped table."""
        return self.local_table

    @property
    def columns(self) -> list[Column]:
        """The mapped columns in table order."""
        return [self.columns_by_key[k] for k in self.table_keys]

    @property
    def c(self) -> Any:
        """The table's column collection."""
        return self.local_table.c

    def key_for_column(self, column: Column) -> str:
        """The attribute key of a mapped column."""
        try:
            return self._key_by_column[id(column)]
        except KeyError:
            raise exc.UnmappedColumnError(
                f"column {column!r} is not mapped by {self.class_.__name__}"
            ) from None

    def identity_key_from_primary_key(self, pk: tuple[Any, ...]) -> tuple[type, tuple[Any, ...]]:
        """The identity map key for a primary key tuple."""
        return (self.class_, pk)

    def primary_key_from_instance(self, obj: object) -> tuple[Any, ...]:
        """The primary key values set on ``obj``."""
        d = obj.__dict__
        return tuple(d.get(k) for k in self.pk_keys)

    def iterate_properties(self) -> Iterator[ColumnProperty]:
        """Every mapped property."""
        return iter(self.column_attrs.values())

    def get_property(self, key: str) -> Any:
        """A mapped property by attribute key."""
        prop = self.column_attrs.get(key) or self.relationships.get(key)
        if prop is None:
            raise exc.InvalidRequestError(
                f"{self.class_.__name__} has no mapped attribute {key!r}; its attributes are: "
                f"{', '.join(self.all_keys())}"
            )
        return prop

    def all_keys(self) -> list[str]:
        """Every mapped attribute key."""
        return [*self.column_attrs, *self.relationships]

    def __repr__(self) -> str:
        return f"<Mapper {self.class_.__name__} -> {self.local_table.name}>"


def mapper_of(cls: Any) -> Mapper | None:
    """The Mapper of a mapped class, or None."""
    if isinstance(cls, type):
        found = cls.__dict__.get("__mapper__")
        if found is None:
            found = getattr(cls, "__mapper__", None)
            # a plain subclass of a mapped class is not mapped on its own
            if found is not None and found.class_ is not cls:
                return None
        return found if isinstance(found, Mapper) else None
    return None


def class_mapper(cls: Any) -> Mapper:
    """The Mapper of ``cls``, or an UnmappedClassError."""
    found = mapper_of(cls)
    if found is None:
        name = getattr(cls, "__name__", repr(cls))
        raise exc.UnmappedClassError(
            f"class {name} is not mapped; map it by subclassing your DeclarativeBase (or "
            "declarative_base()) with a __tablename__ and columns"
        )
    return found


def object_mapper(obj: object) -> Mapper:
    """The Mapper of a mapped object's class, or an UnmappedInstanceError."""
    found = mapper_of(type(obj))
    if found is None:
        raise exc.UnmappedInstanceError(
            f"{type(obj).__name__} object {obj!r} is not an instance of a mapped class"
        )
    return found


def _inspect_class(cls: Any) -> Any:
    return mapper_of(cls)


inspection.register(type, _inspect_class)

register_family(MAPPER_EVENTS, MAPPER_HOLDS.resolver(Mapper))
register_family(INSTANCE_EVENTS, INSTANCE_HOLDS.resolver(Mapper))
