"""``declarative_base`` at its 1.x import location (``sqlalchemy.ext.declarative``)."""

from ormkit.orm.decl import DeclarativeBase, declarative_base

__all__ = ["DeclarativeBase", "declarative_base"]
