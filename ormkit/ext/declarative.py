"""The 1.x import location of declarative names (``sqlalchemy.ext.declarative``)."""

from ormkit.orm.class_mapping import DeclarativeMeta, declared_attr
from ormkit.orm.decl import (
    DeclarativeBase,
    as_declarative,
    declarative_base,
    has_inherited_table,
)

__all__ = [
    "DeclarativeBase",
    "DeclarativeMeta",
    "as_declarative",
    "declarative_base",
    "declared_attr",
    "has_inherited_table",
]
