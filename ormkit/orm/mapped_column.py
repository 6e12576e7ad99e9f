"""``Mapped[...]`` and ``mapped_column()``: a mapped column, its SQL type read from the annotation.

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None]                  # type from the annotation, nullable
    email: Mapped[str] = mapped_column(String(100), unique=True)

An annotation gives the SQL type (through the registry's ``type_annotation_map``, then the
built-in Python-to-SQL table) and the nullability (``X | None``) of a column that does not
give them itself.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import sys
import types
import typing
import uuid
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from ormkit import exc
from ormkit.orm.events import TypeResolve
from ormkit.sql import types as sqltypes
from ormkit.sql.operators import ColumnOperators, Operator
from ormkit.sql.schema import Column

if TYPE_CHECKING:
    from ormkit.orm.attributes import InstrumentedAttribute

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


class MappedColumn(ColumnOperators):
    """What ``mapped_column()`` returns: a column whose type may come from the annotation.

    In the class body it already stands for its column in SQL expressions
    (``fullname = column_property(first + " " + last)``): the Column those build on is the
    one the class maps, filled in with name, type and nullability when it is mapped."""

    def __init__(self, *args: Any, sort_order: int = 0, **kw: Any) -> None:
        for name in _MAPPED_COLUMN_UNSUPPORTED:
            value = kw.pop(name, None)
            if value is not None and value is not False:
                raise exc.ArgumentError(f"mapped_column() does not support argument {name!r} yet")
        group, raiseload = kw.pop("deferred_group", None), kw.pop("deferred_raiseload", False)
        #: deferred=True (implied by a group or raiseload): left out of the entity SELECT
        self.deferred: bool = bool(kw.pop("deferred", False) or group is not None or raiseload)
        self.deferred_group: str | None = group
        self.deferred_raiseload: bool = bool(raiseload)
        #: init=, repr=, default_factory= and the like: the dataclass field of the attribute
        #: (MappedAsDataclass); ``default`` is the field's default as well as the column's
        self.dataclass_args = {k: kw.pop(k) for k in DATACLASS_ARGS if k in kw}
        if "default" in kw:
            self.dataclass_args["default"] = kw["default"]
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
        #: the column was made before mapping (an expression refers to it): mapping fills it in
        self._unmapped = False

    def copy(self) -> MappedColumn:
        """An equal, unmapped ``mapped_column()``: each class a mixin's column lands in gets
        its own, with its own foreign keys and constraints."""
        new = MappedColumn.__new__(MappedColumn)
        new.args = tuple(
            arg._copy() if hasattr(arg, "_copy") and not _is_type(arg) else arg for arg in self.args
        )
        new.kw = dict(self.kw)
        new.dataclass_args = dict(self.dataclass_args)
        new.sort_order = self.sort_order
        new.deferred = self.deferred
        new.deferred_group = self.deferred_group
        new.deferred_raiseload = self.deferred_raiseload
        new.column = None
        new._unmapped = False
        return new

    def __clause_element__(self) -> Column:
        """The Column (``remote_side=[id]``, expressions in the class body refer to it);
        before the class is mapped, one without a name yet, of the type given if any."""
        if self.column is None:
            type_ = next((a for a in self.args if _is_type(a)), None)
            self.column = Column(type_) if type_ is not None else Column()
            self._unmapped = True
        return self.column

    def operate(self, op: Operator, *other: Any, **kw: Any) -> Any:
        """Build SQL from the column."""
        return self.__clause_element__().operate(op, *other, **kw)

    def reverse_operate(self, op: Operator, other: Any) -> Any:
        """Build SQL from the column, on the right."""
        return self.__clause_element__().reverse_operate(op, other)

    def make_column(self, key: str, annotation: Any, owner: type, registry: Any) -> Column:
        """The Column for attribute ``key`` of ``owner``, filling type and nullability from
        ``annotation`` (types through ``registry``'s type_annotation_map)."""
        args = list(self.args)
        kw = dict(self.kw)
        python_type, optional = (
            unwrap_annotation(annotation, owner, key) if annotation is not None else (None, False)
        )
        if typing.get_origin(python_type) is typing.Annotated:
            python_type, args, kw = _from_annotated(python_type, args, kw, registry)
        name = args.pop(0) if args and isinstance(args[0], str) else key
        has_type = bool(args) and _is_type(args[0])
        has_fk = any(type(a).__name__ == "ForeignKey" for a in args)
        if annotation is not None:
            if not has_type and not has_fk:
                args.insert(0, sql_type_for(python_type, owner, key, registry))
            if "nullable" not in kw and not kw.get("primary_key"):
                kw["nullable"] = optional
        elif not has_type and not has_fk:
            raise exc.ArgumentError(
                f"{owner.__name__}.{key}: mapped_column() needs a type, either as an argument "
                f"(mapped_column(String(50))) or from an annotation ({key}: Mapped[str])"
            )
        if self.column is not None and self._unmapped:
            Column.__init__(self.column, name, *args, **kw)  # the object expressions hold
            self._unmapped = False
        else:
            self.column = Column(name, *args, **kw)
        return self.column


def _from_annotated(
    annotated: Any, args: list[Any], kw: dict[str, Any], registry: Any
) -> tuple[Any, list[Any], dict[str, Any]]:
    """``Annotated[int, mapped_column(primary_key=True)]``: the type to look up (the
    Annotated itself when the type_annotation_map has it, else the plain type) and the
    column's arguments, those of a mapped_column() in the metadata under the attribute's own
    (which win)."""
    base, *extras = typing.get_args(annotated)
    lookup = annotated if annotated in registry.type_annotation_map else base
    declared = next((e for e in extras if isinstance(e, MappedColumn)), None)
    if declared is None:
        return lookup, args, kw
    template = declared.copy()
    merged_kw = {**template.kw, **kw}
    own_name = args[:1] if args and isinstance(args[0], str) else []
    rest = args[len(own_name) :]
    template_args = list(template.args)
    template_name = template_args[:1] if template_args and isinstance(template_args[0], str) else []
    merged_args = [*(own_name or template_name), *(rest or template_args[len(template_name) :])]
    return lookup, merged_args, merged_kw


def _is_type(arg: Any) -> bool:
    return isinstance(arg, sqltypes.TypeEngine) or (
        isinstance(arg, type) and issubclass(arg, sqltypes.TypeEngine)
    )


#: What mapped_column() and relationship() take for the attribute's dataclass field (besides
#: ``default``); a class mapped without MappedAsDataclass refuses them.
DATACLASS_ARGS = (
    "init",
    "repr",
    "default_factory",
    "compare",
    "kw_only",
    "hash",
    "dataclass_metadata",
)
#: mapped_column() arguments of features ormkit does not have (None/False: left out)
_MAPPED_COLUMN_UNSUPPORTED = (
    "active_history",
    "use_existing_column",
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


def sql_type_for(python_type: Any, owner: type, key: str, reg: Any) -> sqltypes.TypeEngine[Any]:
    """The SQL type of ``owner.key`` annotated with ``python_type``: resolve_type_annotation
    listeners first, then the registry's type_annotation_map, then the built-in table."""
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


def unwrap_annotation(annotation: Any, owner: type, key: str) -> tuple[Any, bool]:
    """(inner Python type, optional?) from ``Mapped[X]`` / ``Mapped[X | None]``."""
    resolved = resolve_annotation(annotation, owner)
    if typing.get_origin(resolved) is Mapped:
        (resolved,) = typing.get_args(resolved)
    if isinstance(resolved, str):
        resolved = resolve_annotation(resolved, owner)
    optional = False
    origin = typing.get_origin(resolved)
    if origin is typing.Union or origin is types.UnionType:
        members = [a for a in typing.get_args(resolved) if a is not type(None)]
        optional = len(members) < len(typing.get_args(resolved))
        resolved = members[0] if len(members) == 1 else resolved
    return resolved, optional


def resolve_annotation(annotation: Any, owner: type) -> Any:
    """An annotation written as text (``from __future__ import annotations``), evaluated in
    the namespace of ``owner``'s module and class."""
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


def is_mapped_annotation(annotation: Any, owner: type) -> bool:
    """Whether ``annotation`` is ``Mapped[...]`` (text or object): it declares a column."""
    if isinstance(annotation, str):
        text = annotation.replace(" ", "")
        return text.startswith(("Mapped[", "orm.Mapped[", "ormkit.orm.Mapped["))
    return typing.get_origin(annotation) is Mapped
