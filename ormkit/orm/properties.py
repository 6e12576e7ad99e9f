"""Column properties: attributes loaded from a column, or from a SQL expression of the row.

    class User(Base):
        first: Mapped[str] = mapped_column(String(30))
        last: Mapped[str] = mapped_column(String(30))
        bio: Mapped[str] = mapped_column(Text, deferred=True)       # loaded on first read
        fullname: Mapped[str] = column_property(first + " " + last)  # computed by the database

Every mapped column is a ``ColumnProperty``. One made by ``column_property()`` of an
expression that is not a column of the table is read-only SQL: ``select(User)`` selects it
(labeled with its key) beside the table's columns, and a flush expires it, so the next read
loads the value the database computes then. A *deferred* property is left out of
``select(User)`` and loaded on first read, with the other deferred properties of its
``group``, in one SELECT (or refused with ``raiseload=True``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ormkit import exc
from ormkit.orm.mapped_column import DATACLASS_ARGS, MappedColumn
from ormkit.sql.elements import ColumnElement, Label
from ormkit.sql.plugins import resolve
from ormkit.sql.schema import Column

if TYPE_CHECKING:
    from ormkit.orm.mapper import Mapper


class ColumnProperty:
    """A mapped attribute backed by one column of the table, or by a SQL expression."""

    def __init__(
        self,
        column: Any,
        *,
        key: str = "",
        deferred: bool = False,
        group: str | None = None,
        raiseload: bool = False,
        expire_on_flush: bool = True,
        info: dict[str, Any] | None = None,
        doc: str | None = None,
    ) -> None:
        #: the attribute name (given when the class is mapped)
        self.key = key
        #: what was given: a Column, a mapped_column(), or any SQL expression
        self.declared = column
        self.deferred = deferred
        self.group = group
        self.raiseload = raiseload
        self.expire_on_flush = expire_on_flush
        self.info: dict[str, Any] = dict(info or {})
        self.doc = doc
        #: mapped_column()-style dataclass field arguments (MappedAsDataclass)
        self.dataclass_args: dict[str, Any] = {}

    @property
    def expression(self) -> Any:
        """The column or SQL expression the attribute loads."""
        declared = self.declared
        if isinstance(declared, MappedColumn):
            return declared.__clause_element__()
        return resolve(declared)

    @property
    def columns(self) -> list[Any]:
        """The expression, as a one-item list (SQLAlchemy's spelling)."""
        return [self.expression]

    @property
    def column(self) -> Any:
        """The expression (a Column for a column of the table)."""
        return self.expression

    def is_expression_of(self, mapper: Mapper) -> bool:
        """Whether this is a SQL expression rather than a column of ``mapper``'s table."""
        expression = self.expression
        return not (isinstance(expression, Column) and expression.table is mapper.local_table)

    def selected(self, mapper: Mapper) -> Any:
        """What ``select(Class)`` selects for this property: the column, or the expression
        labeled with the key."""
        if self.is_expression_of(mapper):
            return Label(self.key, self.expression)
        return self.expression

    def __repr__(self) -> str:
        return f"ColumnProperty({self.key!r})"


def column_property(
    column: Any,
    *additional_columns: Any,
    group: str | None = None,
    deferred: bool = False,
    raiseload: bool = False,
    comparator_factory: Any = None,
    active_history: bool = False,
    expire_on_flush: bool = True,
    info: dict[str, Any] | None = None,
    doc: str | None = None,
    **dataclass_args: Any,
) -> Any:
    """A mapped attribute loaded from ``column``: a column of the table (with options such as
    ``deferred=True``), or a SQL expression the database computes for each row (read-only;
    a correlated scalar subquery, ``first + " " + last``...).

    ``deferred=True`` leaves it out of the entity SELECT until first read, loading the other
    deferred attributes of its ``group`` with it; ``raiseload=True`` then refuses the read
    instead. ``expire_on_flush=False`` keeps an expression's value after a flush of its
    object (by default it is expired, to be computed again on the next read)."""
    if additional_columns:
        raise exc.ArgumentError(
            "column_property() of several columns (one attribute for columns of several "
            "tables) is not supported yet; map one column or expression per attribute"
        )
    for name, given in (
        ("comparator_factory", comparator_factory),
        ("active_history", active_history),
    ):
        if given:
            raise exc.ArgumentError(f"column_property() does not support argument {name!r} yet")
    unknown = sorted(k for k in dataclass_args if k not in (*DATACLASS_ARGS, "default"))
    if unknown:
        raise exc.ArgumentError(
            f"column_property() got unknown keyword argument(s): {', '.join(unknown)}"
        )
    if not isinstance(column, Column | MappedColumn) and not isinstance(
        resolve(column), ColumnElement
    ):
        raise exc.ArgumentError(
            f"column_property() needs a column or a SQL expression, got {column!r}"
        )
    prop = ColumnProperty(
        column,
        deferred=deferred or raiseload,
        group=group,
        raiseload=raiseload,
        expire_on_flush=expire_on_flush,
        info=info,
        doc=doc,
    )
    prop.dataclass_args = dict(dataclass_args)
    return prop


def deferred(column: Any, *additional_columns: Any, **kw: Any) -> Any:
    """``column_property(column, deferred=True, ...)`` (the same keyword arguments): loaded
    on first read, not with the entity SELECT."""
    return column_property(column, *additional_columns, deferred=True, **kw)
