"""The ORM: declarative models, the Session, Query, sessionmaker and scoped_session."""

from ormkit.orm.aliased import AliasedClass, aliased
from ormkit.orm.attributes import InstrumentedAttribute
from ormkit.orm.class_hooks import reconstructor, validates
from ormkit.orm.class_mapping import DeclarativeMeta, declared_attr
from ormkit.orm.dataclass_mapping import MappedAsDataclass, unmapped_dataclass
from ormkit.orm.decl import (
    DeclarativeBase,
    DeclarativeBaseNoMeta,
    as_declarative,
    clear_mappers,
    declarative_base,
    declarative_mixin,
    has_inherited_table,
    registry,
)
from ormkit.orm.mapped_column import Mapped, MappedColumn, mapped_column
from ormkit.orm.mapper import Mapper, class_mapper, object_mapper
from ormkit.orm.properties import ColumnProperty, column_property, deferred
from ormkit.orm.query import Query
from ormkit.orm.registries import configure_mappers
from ormkit.orm.relationships import Relationship, backref, relationship
from ormkit.orm.scoping import scoped_session
from ormkit.orm.session import Session, close_all_sessions, sessionmaker
from ormkit.orm.state import (
    InstanceState,
    make_transient,
    make_transient_to_detached,
    object_session,
    was_deleted,
)
from ormkit.orm.strategies import (
    Load,
    contains_eager,
    defaultload,
    joinedload,
    lazyload,
    noload,
    raiseload,
    selectinload,
    with_parent,
)
from ormkit.orm.synonyms import Synonym, synonym, synonym_for
from ormkit.orm.transaction import SessionTransaction
from ormkit.orm.writeonly import WriteOnlyCollection

__all__ = [
    "AliasedClass",
    "aliased",
    "Load",
    "Relationship",
    "WriteOnlyCollection",
    "backref",
    "configure_mappers",
    "contains_eager",
    "defaultload",
    "joinedload",
    "lazyload",
    "noload",
    "raiseload",
    "relationship",
    "selectinload",
    "with_parent",
    "DeclarativeBase",
    "Synonym",
    "synonym",
    "synonym_for",
    "ColumnProperty",
    "column_property",
    "deferred",
    "reconstructor",
    "validates",
    "DeclarativeBaseNoMeta",
    "DeclarativeMeta",
    "as_declarative",
    "clear_mappers",
    "declarative_mixin",
    "declared_attr",
    "has_inherited_table",
    "InstanceState",
    "InstrumentedAttribute",
    "Mapped",
    "MappedAsDataclass",
    "MappedColumn",
    "Mapper",
    "Query",
    "Session",
    "SessionTransaction",
    "class_mapper",
    "close_all_sessions",
    "declarative_base",
    "make_transient",
    "object_session",
    "was_deleted",
    "make_transient_to_detached",
    "mapped_column",
    "object_mapper",
    "registry",
    "unmapped_dataclass",
    "scoped_session",
    "sessionmaker",
]
