"""SQL expressions computed in Python, for ``synchronize_session="evaluate"``.

An ORM-enabled UPDATE or DELETE with ``"evaluate"`` decides in Python which of the loaded
objects the statement touched, and computes the values its SET clause gave them, without
asking the database. This module turns the statement's expressions into Python functions of
an object's ``__dict__``, following what the database does:

- Three-valued logic. A comparison with NULL (None) is *unknown*, not false: ``note != 'y'``
  does not match an object whose ``note`` is None. AND, OR and NOT combine unknowns as SQL
  does (unknown AND false is false, unknown OR true is true, NOT unknown is unknown), and only
  a definite true matches. ``IS NULL`` / ``IS NOT NULL`` / ``IS [NOT] DISTINCT FROM`` are never
  unknown.
- Arithmetic (``+ - * / %``, unary minus) and string concatenation; NULL in, NULL out. ``/``
  of two integers truncates where the dialect says its database does
  (``integer_division_truncates``), and division by zero gives NULL.

What the database may work out differently for one object (an attribute of it that is not
loaded, a string comparison that depends on the column's collation, unequal values of
different types, which the column's type may convert, operand types Python does not combine as
SQL does) raises ``Undetermined`` for that object: the caller treats it as
possibly touched and expires what the statement may have changed. An expression with a piece
that cannot be computed in Python at all (``LIKE``, SQL functions, subqueries, a column of
another table) raises ``UnevaluableError`` when it is compiled, naming the piece.
"""

from __future__ import annotations

import decimal
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from ormkit.orm.mapper import Mapper
from ormkit.sql import elements as el
from ormkit.sql import operators as ops
from ormkit.sql.selectable import ScalarSelect, SelectBase

#: A compiled expression: the object's ``__dict__`` in, a Python value out (None for NULL;
#: a condition gives True, False or None for unknown).
Evaluator = Callable[[dict[str, Any]], Any]

_NUMBER = (int, float, decimal.Decimal)


class UnevaluableError(Exception):
    """An expression holds a piece Python cannot compute; ``piece`` describes it."""

    def __init__(self, piece: str) -> None:
        super().__init__(piece)
        self.piece = piece


class Undetermined(Exception):
    """For one object, Python cannot tell what the database computes (an attribute is not
    loaded, or the answer depends on a collation or on SQL's type conversions)."""


class _Context:
    """What compiling needs besides the expression: the mapper, the dialect's arithmetic and
    string rules, and the execution parameters (for ``bindparam()`` values)."""

    __slots__ = (
        "exact_equality",
        "keys",
        "mapper",
        "params",
        "python_ordering",
        "reads",
        "truncates",
    )

    def __init__(self, mapper: Mapper, dialect: Any, params: Mapping[str, Any] | None) -> None:
        self.mapper = mapper
        self.keys = {id(c): k for k, c in mapper.columns_by_key.items()}
        self.params = params or {}
        #: attribute keys the compiled expression reads
        self.reads: set[str] = set()
        self.truncates: bool = dialect.integer_division_truncates
        self.exact_equality: bool = dialect.exact_string_equality
        self.python_ordering: bool = dialect.binary_string_ordering


def compile_criteria(
    criteria: Any, mapper: Mapper, dialect: Any, params: Mapping[str, Any] | None = None
) -> Callable[[dict[str, Any]], bool]:
    """A function of an object's ``__dict__`` telling whether ``criteria`` is definitely true
    for it (unknown and false both say no); raises ``UnevaluableError`` for criteria Python
    cannot compute, and the function raises ``Undetermined`` for an object it cannot decide."""
    evaluate = _compile(criteria, _Context(mapper, dialect, params))

    def matches(d: dict[str, Any]) -> bool:
        return _truth(evaluate(d)) is True

    return matches


class CompiledValue(NamedTuple):
    """A compiled value expression and the attribute keys it reads."""

    evaluate: Evaluator
    reads: frozenset[str]


def compile_value(
    expression: Any, mapper: Mapper, dialect: Any, params: Mapping[str, Any] | None = None
) -> CompiledValue:
    """The function of an object's ``__dict__`` giving the value of ``expression`` (a SET
    value), and the keys it reads; raises ``UnevaluableError`` as ``compile_criteria`` does."""
    ctx = _Context(mapper, dialect, params)
    evaluate = _compile(expression, ctx)
    return CompiledValue(evaluate, frozenset(ctx.reads))


def _truth(value: Any) -> bool | None:
    """A value used as a condition: True, False, or None for unknown (NULL)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, _NUMBER):
        return value != 0
    raise Undetermined()


# -- compiling --------------------------------------------------------------------------------


def _compile(node: Any, ctx: _Context) -> Evaluator:
    if isinstance(node, el.Grouping | el.Label | el.TypeCoerce):
        return _compile(node.element, ctx)
    if isinstance(node, el.BindParameter):
        if node.expanding:
            raise UnevaluableError(f"the expanding parameter {node.key!r} outside IN")
        value = _bind_value(node, ctx)
        return lambda d: value
    if isinstance(node, el.Null):
        return lambda d: None
    if isinstance(node, el.True_ | el.False_):
        constant = isinstance(node, el.True_)
        return lambda d: constant
    if isinstance(node, el.ColumnClause):
        return _column(node, ctx)
    if isinstance(node, el.BooleanClauseList):
        parts = [_compile(c, ctx) for c in node.clauses]
        return _and(parts) if node.operator is ops.and_ else _or(parts)
    if isinstance(node, el.UnaryExpression) and node.modifier is None:
        if node.operator is ops.not_:
            inner = _compile(node.element, ctx)
            return lambda d: _not(inner(d))
        if node.operator is ops.neg:
            inner = _compile(node.element, ctx)
            return lambda d: _negate(inner(d))
    if isinstance(node, el.EmptyIn):
        constant = node.negated  # rendered as a constant comparison: NULL makes no difference
        return lambda d: constant
    if isinstance(node, el.BinaryExpression):
        return _binary(node, ctx)
    if isinstance(node, el.Case):
        return _case(node, ctx)
    raise UnevaluableError(_describe(node))


def _bind_value(node: el.BindParameter, ctx: _Context) -> Any:
    """A parameter's value as the statement sends it: from the execution parameters when they
    name it, else its own."""
    key = node.key
    if not node.unique and key is not None and key in ctx.params:
        return ctx.params[key]
    return node.effective_value()


def _column(node: el.ColumnClause, ctx: _Context) -> Evaluator:
    key = ctx.keys.get(id(node))
    if key is None:
        raise UnevaluableError(_describe(node))
    ctx.reads.add(key)

    def read(d: dict[str, Any]) -> Any:
        try:
            return d[key]
        except KeyError:
            raise Undetermined() from None  # expired: the row may hold anything

    return read


def _describe(node: Any) -> str:
    """The piece the evaluator cannot compute, as the error message names it."""
    if isinstance(node, el.LiteralColumn):
        return f"the literal SQL column {node.name!r}"
    if isinstance(node, el.ColumnClause):
        table = getattr(node.table, "name", None)
        if table is None:
            return f"the column {node.name!r}, which belongs to no table"
        return f"the column {table}.{node.name}, not a mapped column of the statement's class"
    if isinstance(node, el.FunctionElement):
        return f"the SQL function {node.name}()"
    if isinstance(node, ScalarSelect | SelectBase):
        return "a subquery"
    if isinstance(node, el.UnaryExpression) and node.operator is ops.exists_op:
        return "an EXISTS subquery"
    if isinstance(node, el.UnaryExpression):
        op = node.operator or node.modifier
        return f"the {op.sql if op is not None else '?'} operator"
    if isinstance(node, el.BinaryExpression):
        return f"the {node.operator.sql} operator"
    if isinstance(node, el.Cast):
        return "CAST (its conversion is the database's)"
    if isinstance(node, el.TextClause):
        return "a text() clause"
    return f"a {type(node).__name__} expression"


# -- AND, OR, NOT in three-valued logic -------------------------------------------------------


def _and(parts: list[Evaluator]) -> Evaluator:
    return _connective(parts, decisive=False)  # false AND anything is false


def _or(parts: list[Evaluator]) -> Evaluator:
    return _connective(parts, decisive=True)  # true OR anything is true


def _connective(parts: list[Evaluator], decisive: bool) -> Evaluator:
    """AND (``decisive`` False) or OR (True): one part with the decisive value decides,
    whatever the others are; else any unknown part makes the whole unknown."""

    def evaluate(d: dict[str, Any]) -> bool | None:
        unknown = undetermined = False
        for part in parts:
            try:
                value = _truth(part(d))
            except Undetermined:
                undetermined = True
                continue
            if value is decisive:
                return decisive
            if value is None:
                unknown = True
        if undetermined:
            raise Undetermined()
        return None if unknown else not decisive

    return evaluate


def _not(value: Any) -> bool | None:
    truth = _truth(value)
    return None if truth is None else not truth


# -- comparisons ------------------------------------------------------------------------------


def _fold(text: str) -> str:
    """A string as a case- and accent-insensitive, PAD SPACE collation sees it (roughly)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).rstrip(" ")


def _equal(a: Any, b: Any, ctx: _Context) -> bool:
    """``a = b`` for two non-NULL values."""
    if a == b:
        return True
    if type(a) is not type(b) and not (isinstance(a, _NUMBER) and isinstance(b, _NUMBER)):
        raise Undetermined()  # the column's type converts one of them for the database
    folding = not ctx.exact_equality and isinstance(a, str) and isinstance(b, str)
    if folding and _fold(a) == _fold(b):
        raise Undetermined()  # equal or not: the column's collation decides
    return False


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
}


def _comparison(name: str, ctx: _Context) -> Callable[[Any, Any], bool | None]:
    if name in ("eq", "ne"):
        negate = name == "ne"

        def equality(a: Any, b: Any) -> bool | None:
            if a is None or b is None:
                return None
            return _equal(a, b, ctx) != negate

        return equality
    order = _ORDER[name]

    def ordering(a: Any, b: Any) -> bool | None:
        if a is None or b is None:
            return None
        if not ctx.python_ordering and (isinstance(a, str) or isinstance(b, str)):
            raise Undetermined()  # the column's collation orders strings, not code points
        try:
            return bool(order(a, b))
        except TypeError:
            raise Undetermined() from None

    return ordering


def _null_safe(name: str, ctx: _Context) -> Callable[[Any, Any], bool]:
    """IS, IS NOT, IS [NOT] DISTINCT FROM: NULL is a value like any other, never unknown."""
    negate = name in ("is_not", "is_distinct_from")

    def compare(a: Any, b: Any) -> bool:
        if a is None or b is None:
            same = a is None and b is None
        else:
            same = _equal(a, b, ctx)
        return same != negate

    return compare


def _binary(node: el.BinaryExpression, ctx: _Context) -> Evaluator:
    name = node.operator.name
    if name in ("in_op", "not_in_op"):
        return _in(node, ctx, negate=name == "not_in_op")
    if name in ("between", "not_between"):
        return _between(node, ctx, negate=name == "not_between")
    compute: Callable[[Any, Any], Any] | None
    if name in ("eq", "ne", "lt", "le", "gt", "ge"):
        compute = _comparison(name, ctx)
    elif name in ("is_", "is_not", "is_distinct_from", "is_not_distinct_from"):
        compute = _null_safe(name, ctx)
    elif name == "truediv":
        compute = _divide_truncating if ctx.truncates else _divide_exact
    else:
        compute = _ARITHMETIC.get(name)
        if compute is None:
            raise UnevaluableError(_describe(node))
    left, right = _compile(node.left, ctx), _compile(node.right, ctx)
    operation = compute
    return lambda d: operation(left(d), right(d))


def _in(node: el.BinaryExpression, ctx: _Context, negate: bool) -> Evaluator:
    left = _compile(node.left, ctx)
    right = node.right
    if isinstance(right, el.BindParameter) and right.expanding:
        values = list(_bind_value(right, ctx) or ())
        items = [_constant(v) for v in values]
    elif isinstance(right, el.Grouping) and isinstance(right.element, el.ClauseList):
        items = [_compile(c, ctx) for c in right.element.clauses]
    else:
        raise UnevaluableError(_describe(right))
    equality = _comparison("eq", ctx)
    # x IN (a, b) is x = a OR x = b, unknowns and all
    member = _or([_compared(equality, left, item) for item in items])
    if not negate:
        return member
    return lambda d: _not(member(d))


def _constant(value: Any) -> Evaluator:
    return lambda d: value


def _compared(
    compare: Callable[[Any, Any], bool | None], left: Evaluator, right: Evaluator
) -> Evaluator:
    return lambda d: compare(left(d), right(d))


def _between(node: el.BinaryExpression, ctx: _Context, negate: bool) -> Evaluator:
    bounds = node.right
    if not isinstance(bounds, el.ClauseList) or len(bounds.clauses) != 2:
        raise UnevaluableError(_describe(node))
    value = _compile(node.left, ctx)
    low, high = (_compile(c, ctx) for c in bounds.clauses)
    ge, le = _comparison("ge", ctx), _comparison("le", ctx)

    def above(d: dict[str, Any]) -> bool | None:
        return ge(value(d), low(d))

    def below(d: dict[str, Any]) -> bool | None:
        return le(value(d), high(d))

    inside = _and([above, below])  # x BETWEEN a AND b is x >= a AND x <= b
    if not negate:
        return inside
    return lambda d: _not(inside(d))


def _case(node: el.Case, ctx: _Context) -> Evaluator:
    subject = _compile(node.value, ctx) if node.value is not None else None
    whens = [(_compile(c, ctx), _compile(r, ctx)) for c, r in node.whens]
    otherwise = _compile(node.else_, ctx) if node.else_ is not None else None
    equality = _comparison("eq", ctx)

    def evaluate(d: dict[str, Any]) -> Any:
        for condition, result in whens:
            if subject is not None:
                hit = equality(subject(d), condition(d))
            else:
                hit = _truth(condition(d))
            if hit is True:
                return result(d)
        return otherwise(d) if otherwise is not None else None

    return evaluate


# -- arithmetic -------------------------------------------------------------------------------


def _numbers(a: Any, b: Any) -> bool:
    """Both operands are numbers (else SQL's conversions, not Python's, would apply)."""
    if isinstance(a, _NUMBER) and isinstance(b, _NUMBER):
        return True
    raise Undetermined()


def _checked(operation: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def compute(a: Any, b: Any) -> Any:
        if a is None or b is None:
            return None
        _numbers(a, b)
        try:
            return operation(a, b)
        except (TypeError, ArithmeticError):  # Decimal with float, say
            raise Undetermined() from None

    return compute


def _truncated_quotient(a: int, b: int) -> int:
    quotient = abs(a) // abs(b)
    return -quotient if (a < 0) != (b < 0) else quotient


def _divide_truncating(a: Any, b: Any) -> Any:
    """``/`` where two integers give an integer, truncated toward zero (PostgreSQL, SQLite)."""
    if a is None or b is None:
        return None
    _numbers(a, b)
    if b == 0:
        return None  # SQLite gives NULL; PostgreSQL refuses the statement before this matters
    if isinstance(a, int) and isinstance(b, int):
        return _truncated_quotient(a, b)
    if isinstance(a, decimal.Decimal) or isinstance(b, decimal.Decimal):
        raise Undetermined()  # SQLite keeps a whole NUMERIC as an INTEGER: it may truncate
    return a / b


#: Digits after the point of MySQL's and MariaDB's ``/`` of two integers
#: (``div_precision_increment``, 4 unless the server was configured otherwise).
_MYSQL_DIVISION_SCALE = decimal.Decimal("0.0001")


def _divide_exact(a: Any, b: Any) -> Any:
    """``/`` where two integers give a DECIMAL fraction (MySQL, MariaDB)."""
    if a is None or b is None:
        return None
    _numbers(a, b)
    if b == 0:
        return None
    if isinstance(a, int) and isinstance(b, int):
        quotient = decimal.Decimal(a) / decimal.Decimal(b)
        return quotient.quantize(_MYSQL_DIVISION_SCALE, rounding=decimal.ROUND_HALF_UP)
    try:
        return a / b
    except (TypeError, ArithmeticError):
        raise Undetermined() from None


def _modulo(a: Any, b: Any) -> Any:
    """``%``: the remainder takes the dividend's sign in SQL (Python's takes the divisor's)."""
    if a is None or b is None:
        return None
    if isinstance(a, int) and isinstance(b, int):
        if b == 0:
            return None
        remainder = abs(a) % abs(b)
        return -remainder if a < 0 else remainder
    raise Undetermined()  # floats and NUMERIC: each database has its own rules


def _concat(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if isinstance(a, str) and isinstance(b, str):
        return a + b
    raise Undetermined()  # SQL turns the other operand into text its own way


def _negate(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, _NUMBER):
        return -value
    raise Undetermined()


_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "add": _checked(lambda a, b: a + b),
    "sub": _checked(lambda a, b: a - b),
    "mul": _checked(lambda a, b: a * b),
    "mod": _modulo,
    "concat": _concat,
}
