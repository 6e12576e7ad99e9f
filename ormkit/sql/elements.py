"""Column expressions: the nodes a WHERE clause or a select list is made of.

Every node is immutable once built, so statements can share them freely. A node declares in
``_cache_attrs`` the attributes that make up its *shape*; ``cache_key.py`` walks them to build
the key the compiled cache is looked up by, collecting bound parameters (the values) on the way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from ormkit import exc
from ormkit.sql import operators as ops
from ormkit.sql import types as sqltypes
from ormkit.sql.base import Executable
from ormkit.sql.operators import ColumnOperators, Operator

if TYPE_CHECKING:
    from ormkit.sql.compiler import Compiled, GenericDialect
    from ormkit.sql.selectable import FromClause


# ``:name`` in text(), but not ``::cast`` (PostgreSQL) and not ``\:escaped``.
_TEXT_BIND = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")


class ClauseElement:
    """Base of every SQL node."""

    #: Attributes that make up the node's shape, walked to build the statement cache key.
    _cache_attrs: ClassVar[tuple[str, ...]] = ()
    #: How tightly the node binds; the compiler parenthesizes looser children.
    _precedence: ClassVar[int] = ops.ATOM_PRECEDENCE

    @property
    def _from_objects(self) -> list[FromClause]:
        """The tables (FROM entries) this node refers to."""
        return []

    def compile(
        self,
        bind: Any = None,
        dialect: GenericDialect | None = None,
        *,
        literal_binds: bool = False,
        compile_kwargs: dict[str, Any] | None = None,
    ) -> Compiled:
        """Render into SQL text and parameters for a dialect: ``dialect``, the dialect of
        ``bind`` (an Engine or Connection), or a generic one."""
        from ormkit.sql.compiler import GenericDialect, compile_statement

        if isinstance(bind, GenericDialect):
            dialect = bind
        elif bind is not None and dialect is None:
            dialect = bind.dialect
        literal_binds = literal_binds or bool((compile_kwargs or {}).get("literal_binds"))
        return compile_statement(self, dialect or GenericDialect(), literal_binds=literal_binds)

    def __str__(self) -> str:
        return self.compile().sql

    def _clone(self) -> Any:
        new = self.__class__.__new__(self.__class__)
        new.__dict__.update(self.__dict__)
        new.__dict__.pop("_ck", None)
        return new


class ColumnElement(ColumnOperators, ClauseElement):
    """An expression with a SQL type, usable in a select list, WHERE, ORDER BY, and so on."""

    type: sqltypes.TypeEngine[Any] = sqltypes.NULLTYPE
    #: The name this expression goes by in a result row or a ``.c`` collection.
    key: str | None = None
    #: The base of an anonymous label, when one is needed (``count`` -> ``count_1``).
    _anon_base: ClassVar[str] = "anon"

    def operate(self, op: Operator, *other: Any, **kw: Any) -> ColumnElement:
        """Build the node for ``self <op> other``."""
        handler = _OPERATE.get(op.name)
        if handler is not None:
            result: ColumnElement = handler(self, op, *other, **kw)
            return result
        if op.comparison:
            return _compare(self, op, other[0])
        if op is ops.collate:
            return BinaryExpression(self, LiteralColumn(str(other[0])), op, self.type)
        if not other:  # a custom operator without an operand is not a thing
            raise exc.ArgumentError(f"operator {op.sql!r} needs an operand")
        return _arithmetic(self, op, other[0])

    def reverse_operate(self, op: Operator, other: Any) -> ColumnElement:
        """Build the node for ``other <op> self`` (``5 - col``)."""
        left = literal(other, self.type.coerce_compared_value(other))
        return _arithmetic(left, op, self)

    def label(self, name: str | None) -> Label:
        """``expr AS name``."""
        return Label(name, self)

    def cast(self, type_: Any) -> Cast:
        """``CAST(self AS type_)``."""
        return Cast(self, type_)

    def __bool__(self) -> bool:
        raise TypeError(
            "the truth value of a SQL expression is not defined; "
            "use and_()/or_() to combine conditions, not 'and'/'or'/'not'"
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self}>"

    @property
    def _anon_label(self) -> str:
        return self.key or self._anon_base

    @property
    def comparator(self) -> ColumnElement:
        """The expression itself (SQLAlchemy compatibility)."""
        return self


class BindParameter(ColumnElement):
    """A value sent separately from the SQL text: ``:name`` / ``?`` / ``%s``."""

    _cache_attrs: ClassVar[tuple[str, ...]] = ("key", "unique", "type", "expanding")

    def __init__(
        self,
        key: str | None,
        value: Any = None,
        type_: Any = None,
        *,
        unique: bool = False,
        required: bool = False,
        callable_: Any = None,
        expanding: bool = False,
    ) -> None:
        self.key = key or "param"
        self.value = value
        self.callable = callable_
        self.unique = unique or key is None
        self.required = required
        self.expanding = expanding
        if type_ is None:
            type_ = sqltypes.type_for_value(value)
        self.type = sqltypes.to_instance(type_)

    def effective_value(self) -> Any:
        """The value to send: the callable's result when one was given."""
        return self.callable() if self.callable is not None else self.value

    def with_type(self, type_: Any) -> BindParameter:
        """The same parameter, of ``type_`` (an untyped ``bindparam()`` compared with a
        column, or given to it in ``values()``, takes the column's type)."""
        new = BindParameter.__new__(BindParameter)
        new.__dict__.update(self.__dict__)
        new.type = sqltypes.to_instance(type_)
        return new

    def __bool__(self) -> bool:
        return True


def bindparam(
    key: str | None,
    value: Any = None,
    type_: Any = None,
    *,
    unique: bool = False,
    required: bool = False,
    callable_: Any = None,
    expanding: bool = False,
) -> BindParameter:
    """A named bound parameter; its value may be given now or at execution time."""
    return BindParameter(
        key,
        value,
        type_,
        unique=unique,
        required=required if value is not None or callable_ is not None else True,
        callable_=callable_,
        expanding=expanding,
    )


def literal(value: Any, type_: Any = None) -> BindParameter:
    """A Python value as a bound parameter in an expression: ``literal(5) + col``."""
    return BindParameter(None, value, type_, unique=True)


class ColumnClause(ColumnElement):
    """A named column, optionally of a FROM clause (``Column`` of a ``Table`` extends it)."""

    _cache_attrs: ClassVar[tuple[str, ...]] = ("name", "type", "table", "is_literal")
    is_literal: bool = False

    def __init__(
        self,
        name: str,
        type_: Any = None,
        table: FromClause | None = None,
        is_literal: bool = False,
    ) -> None:
        self.name = self.key = name
        self.type = sqltypes.to_instance(type_)
        self.table = table
        self.is_literal = is_literal

    @property
    def _from_objects(self) -> list[FromClause]:
        return [self.table] if self.table is not None else []

    @property
    def _anon_label(self) -> str:
        return self.name

    def _proxy(self, table: FromClause, name: str | None = None) -> ColumnClause:
        """A column of ``table`` standing for this one (aliases, subqueries)."""
        proxy = ColumnClause(name or self.key or self.name, self.type, table)
        proxy._proxied = self  # type: ignore[attr-defined]
        return proxy


def column(name: str, type_: Any = None) -> ColumnClause:
    """A lightweight column not tied to a ``Table``, as in ``select(column('x'))``."""
    return ColumnClause(name, type_)


class LiteralColumn(ColumnClause):
    """SQL text used as a column, rendered exactly as given (never a place for user values)."""

    is_literal = True

    def __init__(self, text: str, type_: Any = None) -> None:
        super().__init__(text, type_, None, True)


def literal_column(text: str, type_: Any = None) -> LiteralColumn:
    """Raw SQL text as a column expression, e.g. ``literal_column("1")``."""
    return LiteralColumn(text, type_)


class BinaryExpression(ColumnElement):
    """``left <operator> right``."""

    _cache_attrs: ClassVar[tuple[str, ...]] = ("left", "right", "operator", "type", "escape")

    def __init__(
        self,
        left: ColumnElement,
        right: ClauseElement,
        operator: Operator,
        type_: Any = None,
        escape: str | None = None,
    ) -> None:
        self.left = left
        self.right = right
        self.operator = operator
        self.type = sqltypes.to_instance(type_)
        self.escape = escape
        self._precedence = operator.precedence  # type: ignore[misc]

    @property
    def _from_objects(self) -> list[FromClause]:
        return self.left._from_objects + self.right._from_objects

    def __bool__(self) -> bool:
        # Makes ``col_a == col_b`` usable where Python compares keys (dicts, ``in``).
        if self.operator is ops.eq:
            return self.left is self.right
        if self.operator is ops.ne:
            return self.left is not self.right
        return super().__bool__()

    def __invert__(self) -> ColumnElement:
        negated = self.operator.negate
        if negated is None:
            return UnaryExpression(Grouping(self), operator=ops.not_, type_=sqltypes.Boolean())
        return BinaryExpression(self.left, self.right, negated, self.type, self.escape)


class UnaryExpression(ColumnElement):
    """A prefix operator (``NOT x``, ``DISTINCT x``, ``-x``) or a suffix modifier (``x DESC``)."""

    _cache_attrs: ClassVar[tuple[str, ...]] = ("element", "operator", "modifier", "type")

    def __init__(
        self,
        element: ClauseElement,
        operator: Operator | None = None,
        modifier: Operator | None = None,
        type_: Any = None,
    ) -> None:
        self.element = element
        self.operator = operator
        self.modifier = modifier
        self.type = sqltypes.to_instance(
            type_ if type_ is not None else getattr(element, "type", None)
        )
        self.key = getattr(element, "key", None) if operator is not ops.exists_op else None
        if operator is not None:
            self._precedence = operator.precedence  # type: ignore[misc]

    @property
    def _from_objects(self) -> list[FromClause]:
        return self.element._from_objects

    def __invert__(self) -> ColumnElement:
        if self.operator is ops.not_ and self.modifier is None:
            element = self.element
            return element.element if isinstance(element, Grouping) else element  # type: ignore[return-value]
        return UnaryExpression(Grouping(self), operator=ops.not_, type_=sqltypes.Boolean())


class ClauseList(ClauseElement):
    """Elements separated by a comma (function arguments, a tuple, IN lists)."""

    _cache_attrs: ClassVar[tuple[str, ...]] = ("clauses",)

    def __init__(self, *clauses: ClauseElement) -> None:
        self.clauses = tuple(clauses)

    @property
    def _from_objects(self) -> list[FromClause]:
        return [f for c in self.clauses for f in c._from_objects]


class BooleanClauseList(ColumnElement):
    """Conditions joined by AND or OR."""

    _cache_attrs: ClassVar[tuple[str, ...]] = ("operator", "clauses")
    type = sqltypes.Boolean()

    def __init__(self, operator: Operator, clauses: Sequence[ColumnElement]) -> None:
        self.operator = operator
        self.clauses = tuple(clauses)
        self._precedence = operator.precedence  # type: ignore[misc]

    @property
    def _from_objects(self) -> list[FromClause]:
        return [f for c in self.clauses for f in c._from_objects]

    def __invert__(self) -> ColumnElement:
        return UnaryExpression(Grouping(self), operator=ops.not_, type_=sqltypes.Boolean())


def _boolean_list(operator: Operator, clauses: Iterable[Any]) -> ColumnElement:
    from ormkit.sql.coercions import expect_where

    flat: list[ColumnElement] = []
    for clause in clauses:
        element = expect_where(clause)
        if isinstance(element, BooleanClauseList) and element.operator is operator:
            flat.extend(element.clauses)
        else:
            flat.append(element)
    # x AND true -> x; x OR false -> x; x AND false -> false
    identity, absorbing = (True_, False_) if operator is ops.and_ else (False_, True_)
    if any(isinstance(c, absorbing) for c in flat):
        return absorbing()
    flat = [c for c in flat if not isinstance(c, identity)]
    if not flat:
        return identity()
    if len(flat) == 1:
        return flat[0]
    return BooleanClauseList(operator, flat)


def and_(*clauses: Any) -> ColumnElement:
    """All the conditions: ``a AND b AND c``."""
    return _boolean_list(ops.and_, clauses)


def or_(*clauses: Any) -> ColumnElement:
    """Any of the conditions: ``a OR b OR c``."""
    return _boolean_list(ops.or_, clauses)


def not_(clause: Any) -> ColumnElement:
    """The negation of a condition (``~clause``)."""
    from ormkit.sql.coercions import expect_where

    result: ColumnElement = ~expect_where(clause)
    return result


class Grouping(ColumnElement):
    """Parentheses around an expression."""

    _cache_attrs: ClassVar[tuple[str, ...]] = ("element",)

    def __init__(self, element: ClauseElement) -> None:
        self.element = element
        self.type = getattr(element, "type", sqltypes.NULLTYPE)
        self.key = getattr(element, "key", None)

    @property
    def _from_objects(self) -> list[FromClause]:
        return self.element._from_objects


class Label(ColumnElement):
    """``expression AS name``."""

    _cache_attrs: ClassVar[tuple[str, ...]] = ("name", "element")

    def __init__(self, name: str | None, element: Any, type_: Any = None) -> None:
        from ormkit.sql.coercions import expect_column

        self.element = expect_column(element)
        self.name = self.key = name or f"{self.element._anon_label}_"
        self._anonymous = name is None
        self.type = sqltypes.to_instance(type_) if type_ is not None else self.element.type

    @property
    def _from_objects(self) -> list[FromClause]:
        return self.element._from_objects


class Cast(ColumnElement):
    """``CAST(expression AS type)``."""

    _cache_attrs: ClassVar[tuple[str, ...]] = ("element", "type")

    def __init__(self, expression: Any, type_: Any) -> None:
        from ormkit.sql.coercions import expect_column_or_value

        self.type = sqltypes.to_instance(type_)
        self.element = expect_column_or_value(expression, self.type)
        self.key = self.element.key

    @property
    def _from_objects(self) -> list[FromClause]:
        return self.element._from_objects


def cast(expression: Any, type_: Any) -> Cast:
    """``CAST(expression AS type_)``."""
    return Cast(expression, type_)


class TypeCoerce(ColumnElement):
    """An expression given a Python-side type without a CAST in the SQL."""

    _cache_attrs: ClassVar[tuple[str, ...]] = ("element", "type")

    def __init__(self, expression: Any, type_: Any) -> None:
        from ormkit.sql.coercions import expect_column_or_value

        self.type = sqltypes.to_instance(type_)
        self.element = expect_column_or_value(expression, self.type)
        self.key = self.element.key

    @property
    def _from_objects(self) -> list[FromClause]:
        return self.element._from_objects


def type_coerce(expression: Any, type_: Any) -> TypeCoerce:
    """Treat ``expression`` as ``type_`` on the Python side, rendering no CAST."""
    return TypeCoerce(expression, type_)


class Case(ColumnElement):
    """``CASE WHEN ... THEN ... ELSE ... END``."""

    _cache_attrs: ClassVar[tuple[str, ...]] = ("value", "whens", "else_")
    _anon_base = "case"

    def __init__(self, *whens: Any, value: Any = None, else_: Any = None) -> None:
        from ormkit.sql.coercions import expect_column_or_value, expect_where

        if len(whens) == 1 and isinstance(whens[0], dict):
            pairs = list(whens[0].items())
        else:
            pairs = list(whens)
        if not pairs:
            raise exc.ArgumentError("case() needs at least one (condition, result) pair")
        self.value = expect_column_or_value(value) if value is not None else None
        converted = []
        for condition, result in pairs:
            if self.value is not None:
                condition = expect_column_or_value(condition, self.value.type)
            else:
                condition = expect_where(condition)
            converted.append((condition, expect_column_or_value(result)))
        self.whens = tuple(converted)
        self.else_ = expect_column_or_value(else_) if else_ is not None else None
        result_types = [r.type for _, r in self.whens if not isinstance(r.type, sqltypes.NullType)]
        self.type = result_types[0] if result_types else sqltypes.NULLTYPE

    @property
    def _from_objects(self) -> list[FromClause]:
        found = [f for c, r in self.whens for f in c._from_objects + r._from_objects]
        return found + (self.else_._from_objects if self.else_ is not None else [])


def case(*whens: Any, value: Any = None, else_: Any = None) -> Case:
    """``CASE``: pairs of (condition, result), or ``{value: result}`` with ``value=``."""
    return Case(*whens, value=value, else_=else_)


class Null(ColumnElement):
    """SQL ``NULL``."""

    def __init__(self) -> None:
        self.type = sqltypes.NULLTYPE


class True_(ColumnElement):
    """SQL ``true`` (``1`` where the database has no boolean literal)."""

    type = sqltypes.Boolean()

    def __invert__(self) -> ColumnElement:
        return False_()


class False_(ColumnElement):
    """SQL ``false`` (``0`` where the database has no boolean literal)."""

    type = sqltypes.Boolean()

    def __invert__(self) -> ColumnElement:
        return True_()


def null() -> Null:
    """SQL ``NULL``."""
    return Null()


def true() -> True_:
    """SQL ``true``."""
    return True_()


def false() -> False_:
    """SQL ``false``."""
    return False_()


class Tuple(ColumnElement):
    """``(a, b, c)``: a row value, as in ``tuple_(a, b).in_([(1, 2), (3, 4)])``."""

    _cache_attrs: ClassVar[tuple[str, ...]] = ("clauses",)

    def __init__(self, *clauses: Any, types: Sequence[Any] | None = None) -> None:
        from ormkit.sql.coercions import expect_column_or_value

        given_types = list(types or [None] * len(clauses))
        self.clauses = tuple(
            expect_column_or_value(c, t) for c, t in zip(clauses, given_types, strict=True)
        )

    @property
    def _from_objects(self) -> list[FromClause]:
        return [f for c in self.clauses for f in c._from_objects]


def tuple_(*clauses: Any) -> Tuple:
    """A row value ``(a, b, ...)``."""
    return Tuple(*clauses)


class TextClause(Executable, ColumnElement):
    """Literal SQL text with ``:name`` parameters: ``text("SELECT * FROM t WHERE id = :id")``.

    The text is SQL written by the programmer; values always go in as ``:name`` parameters.
    """

    _cache_attrs: ClassVar[tuple[str, ...]] = ("text", "_bind_keys", "_column_types")

    def __init__(self, text: str) -> None:
        self.text = text
        self._bind_keys = tuple(dict.fromkeys(m.group(1) for m in _TEXT_BIND.finditer(text)))
        self._bindparams: dict[str, BindParameter] = {
            k: BindParameter(k, None, required=True) for k in self._bind_keys
        }
        self._column_types: tuple[tuple[str, Any], ...] = ()

    def bindparams(self, *binds: BindParameter, **values: Any) -> TextClause:
        """Give values (or typed ``bindparam()`` objects) to the text's ``:name`` parameters."""
        new = self._clone()
        new._bindparams = dict(self._bindparams)
        for bind in binds:
            self._check_key(bind.key)
            new._bindparams[bind.key] = bind
        for key, value in values.items():
            self._check_key(key)
            old = new._bindparams[key]
            new._bindparams[key] = BindParameter(
                key,
                value,
                old.type if old.value is not None or old.type is not sqltypes.NULLTYPE else None,
            )
        return new  # type: ignore[no-any-return]

    def _check_key(self, key: str | None) -> None:
        if key not in self._bindparams:
            raise exc.ArgumentError(
                f"text() has no parameter :{key}; its parameters are "
                f"{', '.join(':' + k for k in self._bind_keys) or 'none'}"
            )

    def columns(self, *cols: Any, **types: Any) -> TextClause:
        """Declare the result columns' types so values come back converted."""
        new = self._clone()
        pairs = [(c.key, c.type) for c in cols] + [
            (k, sqltypes.to_instance(t)) for k, t in types.items()
        ]
        new._column_types = tuple(pairs)
        return new  # type: ignore[no-any-return]


def text(text: str) -> TextClause:
    """Literal SQL with ``:name`` parameters whose values travel as bound parameters."""
    return TextClause(text)


class FunctionElement(ColumnElement):
    """A SQL function call: ``name(arg, ...)``."""

    _cache_attrs: ClassVar[tuple[str, ...]] = (
        "name",
        "packagenames",
        "clause_list",
        "type",
        "_distinct",
    )
    _distinct = False

    def __init__(
        self, name: str, *args: Any, type_: Any = None, packagenames: tuple[str, ...] = ()
    ) -> None:
        from ormkit.sql.coercions import expect_column_or_value

        self.name = name
        self.packagenames = packagenames
        self.clause_list = ClauseList(*[expect_column_or_value(a) for a in args])
        self.type = sqltypes.to_instance(type_) if type_ is not None else self._infer_type()

    def _infer_type(self) -> sqltypes.TypeEngine[Any]:
        return sqltypes.NULLTYPE

    @property
    def clauses(self) -> tuple[ClauseElement, ...]:
        """The function's arguments."""
        return self.clause_list.clauses

    @property
    def _anon_label(self) -> str:
        return self.name

    @property
    def _from_objects(self) -> list[FromClause]:
        return self.clause_list._from_objects

    def over(
        self,
        partition_by: Any = None,
        order_by: Any = None,
    ) -> Over:
        """A window function: ``fn() OVER (PARTITION BY ... ORDER BY ...)``."""
        return Over(self, partition_by, order_by)

    def filter(self, *criteria: Any) -> FunctionFilter:
        """An aggregate restricted to rows: ``count(*) FILTER (WHERE ...)``."""
        return FunctionFilter(self, and_(*criteria))

    def scalar_table_valued(self) -> FunctionElement:  # pragma: no cover - compatibility
        """This function as a column (compatibility shim)."""
        return self


class Function(FunctionElement):
    """A function made by ``func.<name>(...)`` that ormkit has no special knowledge of."""


class _ReturnsArgType(FunctionElement):
    def _infer_type(self) -> sqltypes.TypeEngine[Any]:
        clauses = self.clauses
        return getattr(clauses[0], "type", sqltypes.NULLTYPE) if clauses else sqltypes.NULLTYPE


class count(FunctionElement):
    """``count(expr)``, or ``count(*)`` when called without an argument."""

    def __init__(self, expression: Any = None, **kw: Any) -> None:
        if expression is None:
            expression = LiteralColumn("*")
        super().__init__("count", expression, type_=kw.pop("type_", sqltypes.Integer()), **kw)


class sum(_ReturnsArgType):
    """``sum(expr)``."""

    def __init__(self, expression: Any, **kw: Any) -> None:
        super().__init__("sum", expression, **kw)


class min(_ReturnsArgType):
    """``min(expr)``."""

    def __init__(self, expression: Any, **kw: Any) -> None:
        super().__init__("min", expression, **kw)


class max(_ReturnsArgType):
    """``max(expr)``."""

    def __init__(self, expression: Any, **kw: Any) -> None:
        super().__init__("max", expression, **kw)


class avg(FunctionElement):
    """``avg(expr)``: a Numeric for whole-number arguments, the argument's type otherwise."""

    def __init__(self, expression: Any, **kw: Any) -> None:
        super().__init__("avg", expression, **kw)

    def _infer_type(self) -> sqltypes.TypeEngine[Any]:
        arg_type = getattr(self.clauses[0], "type", sqltypes.NULLTYPE)
        if isinstance(arg_type, sqltypes.Integer):
            return sqltypes.Float()
        return arg_type


class coalesce(_ReturnsArgType):
    """``coalesce(a, b, ...)``: the first argument that is not NULL."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__("coalesce", *args, **kw)

    def _infer_type(self) -> sqltypes.TypeEngine[Any]:
        for clause in self.clauses:
            found = getattr(clause, "type", sqltypes.NULLTYPE)
            if not isinstance(found, sqltypes.NullType):
                return found  # type: ignore[no-any-return]
        return sqltypes.NULLTYPE


class _NoArgFunction(FunctionElement):
    """A function rendered without parentheses (``CURRENT_TIMESTAMP``)."""

    _sql_name: ClassVar[str] = ""
    _type: ClassVar[type[sqltypes.TypeEngine[Any]]] = sqltypes.NullType

    def __init__(self, **kw: Any) -> None:
        super().__init__(self._sql_name, type_=kw.pop("type_", self._type()))


class current_timestamp(_NoArgFunction):
    """``CURRENT_TIMESTAMP``."""

    _sql_name = "CURRENT_TIMESTAMP"
    _type = sqltypes.DateTime


class current_date(_NoArgFunction):
    """``CURRENT_DATE``."""

    _sql_name = "CURRENT_DATE"
    _type = sqltypes.Date


class current_time(_NoArgFunction):
    """``CURRENT_TIME``."""

    _sql_name = "CURRENT_TIME"
    _type = sqltypes.Time


class now(FunctionElement):
    """The current date and time (``CURRENT_TIMESTAMP`` on SQLite, ``now()`` elsewhere)."""

    def __init__(self, **kw: Any) -> None:
        super().__init__("now", type_=kw.pop("type_", sqltypes.DateTime()))


class random(FunctionElement):
    """A random number (``random()``, ``rand()`` on MySQL)."""

    def __init__(self, **kw: Any) -> None:
        super().__init__("random", type_=kw.pop("type_", sqltypes.Float()))


_KNOWN_FUNCTIONS: dict[str, type[FunctionElement]] = {
    "count": count,
    "sum": sum,
    "min": min,
    "max": max,
    "avg": avg,
    "coalesce": coalesce,
    "current_timestamp": current_timestamp,
    "current_date": current_date,
    "current_time": current_time,
    "now": now,
    "random": random,
}


class _FunctionGenerator:
    """``func.<name>(...)``: any SQL function by name, typed where ormkit knows it."""

    def __init__(self, packagenames: tuple[str, ...] = ()) -> None:
        self._packagenames = packagenames

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        name = name.rstrip("_")  # func.sum_ style avoids shadowing builtins
        known = _KNOWN_FUNCTIONS.get(name.lower())
        if known is not None and not self._packagenames:
            return known
        packagenames = self._packagenames

        def make(*args: Any, **kw: Any) -> Function:
            return Function(name, *args, packagenames=packagenames, **kw)

        return _FunctionGeneratorCallable(make, (*packagenames, name))


class _FunctionGeneratorCallable(_FunctionGenerator):
    def __init__(self, make: Any, path: tuple[str, ...]) -> None:
        super().__init__(path)
        self._make = make

    def __call__(self, *args: Any, **kw: Any) -> Function:
        return self._make(*args, **kw)  # type: ignore[no-any-return]


func = _FunctionGenerator()


class Over(ColumnElement):
    """``function OVER (PARTITION BY ... ORDER BY ...)``."""

    _cache_attrs: ClassVar[tuple[str, ...]] = ("element", "partition_by", "order_by")

    def __init__(self, element: FunctionElement, partition_by: Any, order_by: Any) -> None:
        from ormkit.sql.coercions import expect_column, expect_order_by

        self.element = element
        self.type = element.type
        self.partition_by = tuple(expect_column(p) for p in _as_tuple(partition_by))
        self.order_by = tuple(expect_order_by(o) for o in _as_tuple(order_by))

    @property
    def _anon_label(self) -> str:
        return self.element._anon_label

    @property
    def _from_objects(self) -> list[FromClause]:
        return self.element._from_objects


class FunctionFilter(ColumnElement):
    """``aggregate FILTER (WHERE condition)``."""

    _cache_attrs: ClassVar[tuple[str, ...]] = ("func", "criterion")

    def __init__(self, function: FunctionElement, criterion: ColumnElement) -> None:
        self.func = function
        self.criterion = criterion
        self.type = function.type

    @property
    def _anon_label(self) -> str:
        return self.func._anon_label

    @property
    def _from_objects(self) -> list[FromClause]:
        return self.func._from_objects


def _as_tuple(value: Any) -> tuple[Any, ...]:
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return tuple(value)
    return (value,)


def asc(column: Any) -> UnaryExpression:
    """``column ASC``."""
    from ormkit.sql.coercions import expect_column

    return UnaryExpression(expect_column(column), modifier=ops.asc_op)


def desc(column: Any) -> UnaryExpression:
    """``column DESC``."""
    from ormkit.sql.coercions import expect_column

    return UnaryExpression(expect_column(column), modifier=ops.desc_op)


def nulls_first(column: Any) -> UnaryExpression:
    """``column NULLS FIRST``."""
    from ormkit.sql.coercions import expect_column

    return UnaryExpression(expect_column(column), modifier=ops.nulls_first_op)


def nulls_last(column: Any) -> UnaryExpression:
    """``column NULLS LAST``."""
    from ormkit.sql.coercions import expect_column

    return UnaryExpression(expect_column(column), modifier=ops.nulls_last_op)


def distinct(expression: Any) -> UnaryExpression:
    """``DISTINCT expression``."""
    from ormkit.sql.coercions import expect_column

    return UnaryExpression(expect_column(expression), operator=ops.distinct_op)


def between(expression: Any, low: Any, high: Any) -> ColumnElement:
    """``expression BETWEEN low AND high``."""
    from ormkit.sql.coercions import expect_column

    return expect_column(expression).between(low, high)  # type: ignore[no-any-return]


# -- building nodes for operators ------------------------------------------------------------


def _compare(left: ColumnElement, op: Operator, other: Any) -> ColumnElement:
    from ormkit.sql.coercions import expect_column_or_value

    if other is None or isinstance(other, Null):
        if op is ops.eq:
            op = ops.is_
        elif op is ops.ne:
            op = ops.is_not
        elif op not in (ops.is_, ops.is_not, ops.is_distinct_from, ops.is_not_distinct_from):
            raise exc.ArgumentError(
                f"cannot compare {left} with None using {op.sql!r}; only == and != "
                "(IS NULL / IS NOT NULL) make sense with None"
            )
        return BinaryExpression(left, Null(), op, sqltypes.Boolean())
    if (op is ops.is_ or op is ops.is_not) and isinstance(other, bool):
        # IS TRUE / IS FALSE: SQL takes no parameter there, only the literal
        return BinaryExpression(left, True_() if other else False_(), op, sqltypes.Boolean())
    right = expect_column_or_value(other, left.type.coerce_compared_value(other), left.key)
    return BinaryExpression(left, right, op, sqltypes.Boolean())


def _arithmetic(left: ColumnElement, op: Operator, other: Any) -> ColumnElement:
    from ormkit.sql.coercions import expect_column_or_value

    right = expect_column_or_value(other, left.type.coerce_compared_value(other), left.key)
    if op is ops.add and (left.type._concatenable or right.type._concatenable):
        op = ops.concat
    result_type = left.type.result_type(op.sql, right.type)
    if isinstance(result_type, sqltypes.NullType):
        result_type = right.type
    return BinaryExpression(left, right, op, result_type)


def _concat(left: ColumnElement, op: Operator, other: Any) -> ColumnElement:
    from ormkit.sql.coercions import expect_column_or_value

    right = expect_column_or_value(other, sqltypes.String())
    return BinaryExpression(left, right, ops.concat, left.type)


def _like(
    left: ColumnElement,
    op: Operator,
    other: Any,
    escape: str | None = None,
    pattern: tuple[str, str] | None = None,
    autoescape: bool = False,
) -> ColumnElement:
    from ormkit.sql.coercions import expect_column_or_value

    if autoescape:
        if not isinstance(other, str):
            raise exc.ArgumentError("autoescape=True needs a string to match against")
        escape = escape or "/"
        other = (
            other.replace(escape, escape * 2).replace("%", escape + "%").replace("_", escape + "_")
        )
    if pattern is not None:
        before, after = pattern
        if isinstance(other, str):
            other = f"{before}{other}{after}"
        else:
            right: ColumnElement = expect_column_or_value(other, sqltypes.String())
            if before:
                right = BinaryExpression(literal(before), right, ops.concat, sqltypes.String())
            if after:
                right = BinaryExpression(right, literal(after), ops.concat, sqltypes.String())
            return BinaryExpression(left, right, op, sqltypes.Boolean(), escape)
    right = expect_column_or_value(other, sqltypes.String(), left.key)
    return BinaryExpression(left, right, op, sqltypes.Boolean(), escape)


def _in(left: ColumnElement, op: Operator, other: Any) -> ColumnElement:
    from ormkit.sql.coercions import expect_column_or_value, expect_in_subquery

    subquery = expect_in_subquery(other)
    if subquery is not None:
        return BinaryExpression(left, subquery, op, sqltypes.Boolean())
    if isinstance(other, BindParameter) and other.expanding:
        return BinaryExpression(left, other, op, sqltypes.Boolean())
    if isinstance(other, str | bytes) or not isinstance(other, Iterable):
        raise exc.ArgumentError(
            f"in_() takes a list of values or a subquery, got {type(other).__name__} {other!r}"
        )
    values = list(other)
    if not values:
        return EmptyIn(left, op is ops.not_in_op)
    if isinstance(left, Tuple):
        items: list[ClauseElement] = [
            Tuple(*v, types=[c.type for c in left.clauses]) for v in values
        ]
    else:
        compared = left.type
        items = [
            expect_column_or_value(v, compared.coerce_compared_value(v), left.key) for v in values
        ]
    return BinaryExpression(left, Grouping(ClauseList(*items)), op, sqltypes.Boolean())


class EmptyIn(ColumnElement):
    """``x IN ()`` with no values: always false (``NOT IN ()`` always true).

    Rendered as a constant comparison because PostgreSQL and MySQL reject ``IN ()``.
    """

    _cache_attrs: ClassVar[tuple[str, ...]] = ("element", "negated")
    type = sqltypes.Boolean()

    def __init__(self, element: ColumnElement, negated: bool) -> None:
        self.element = element
        self.negated = negated

    @property
    def _from_objects(self) -> list[FromClause]:
        return self.element._from_objects

    def __invert__(self) -> ColumnElement:
        return EmptyIn(self.element, not self.negated)


def _between(left: ColumnElement, op: Operator, low: Any, high: Any) -> ColumnElement:
    from ormkit.sql.coercions import expect_column_or_value

    bounds = ClauseList(
        expect_column_or_value(low, left.type.coerce_compared_value(low), left.key),
        expect_column_or_value(high, left.type.coerce_compared_value(high), left.key),
    )
    return BinaryExpression(left, bounds, op, sqltypes.Boolean())


def _unary_modifier(element: ColumnElement, op: Operator) -> ColumnElement:
    return UnaryExpression(element, modifier=op)


def _unary_prefix(element: ColumnElement, op: Operator) -> ColumnElement:
    if op is ops.not_:
        return UnaryExpression(Grouping(element), operator=op, type_=sqltypes.Boolean())
    return UnaryExpression(element, operator=op)


_OPERATE: dict[str, Any] = {
    "and_": lambda left, op, other: and_(left, other),
    "or_": lambda left, op, other: or_(left, other),
    "concat": _concat,
    "like": _like,
    "not_like": _like,
    "ilike": _like,
    "not_ilike": _like,
    "in_op": _in,
    "not_in_op": _in,
    "between": _between,
    "not_between": _between,
    "asc": _unary_modifier,
    "desc": _unary_modifier,
    "nulls_first": _unary_modifier,
    "nulls_last": _unary_modifier,
    "distinct": _unary_prefix,
    "neg": _unary_prefix,
    "not_": _unary_prefix,
}
