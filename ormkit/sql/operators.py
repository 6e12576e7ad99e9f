"""Operators, and the mixin that makes ``column == value`` build a node instead of a bool.

An ``Operator`` is data: its SQL spelling, its precedence (for parentheses) and its negation
(for ``~``). The mixin turns every Python operator and comparison method into a call of
``self.operate(op, other)``; ``elements.ColumnElement`` implements ``operate``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any


class Operator:
    """A SQL operator: spelling, precedence, and what ``~`` turns it into."""

    __slots__ = ("associative", "comparison", "name", "negate_name", "precedence", "sql")

    def __init__(
        self,
        name: str,
        sql: str,
        precedence: int,
        *,
        comparison: bool = False,
        associative: bool = False,
        negate: str | None = None,
    ) -> None:
        self.name = name
        self.sql = sql
        self.precedence = precedence
        self.comparison = comparison
        self.associative = associative
        self.negate_name = negate

    @property
    def negate(self) -> Operator | None:
        """The operator meaning the opposite (``=`` for ``!=``), if there is one."""
        return BY_NAME.get(self.negate_name) if self.negate_name else None

    def __call__(self, left: Any, *other: Any, **kw: Any) -> Any:
        """Apply the operator: ``eq(User.name, "ed")`` is ``User.name == "ed"`` (what custom
        comparators' ``operate(op, ...)`` methods call)."""
        if hasattr(left, "operate"):
            return left.operate(self, *other, **kw)
        if len(other) == 1 and hasattr(other[0], "reverse_operate"):
            return other[0].reverse_operate(self, left)  # 5 + User.age
        raise TypeError(
            f"operator {self.name!r} needs a SQL expression on one side, got {left!r} and {other!r}"
        )

    def __repr__(self) -> str:
        return f"<operator {self.name}>"


# Precedence, tighter binding first: the compiler parenthesizes a child of lower precedence.
_P_UNARY, _P_MUL, _P_ADD, _P_CONCAT, _P_CMP, _P_NOT, _P_AND, _P_OR = 9, 8, 7, 6, 5, 4, 3, 2

mul = Operator("mul", "*", _P_MUL, associative=True)
truediv = Operator("truediv", "/", _P_MUL)
mod = Operator("mod", "%", _P_MUL)
add = Operator("add", "+", _P_ADD, associative=True)
sub = Operator("sub", "-", _P_ADD)
concat = Operator("concat", "||", _P_CONCAT, associative=True)
eq = Operator("eq", "=", _P_CMP, comparison=True, negate="ne")
ne = Operator("ne", "!=", _P_CMP, comparison=True, negate="eq")
lt = Operator("lt", "<", _P_CMP, comparison=True, negate="ge")
le = Operator("le", "<=", _P_CMP, comparison=True, negate="gt")
gt = Operator("gt", ">", _P_CMP, comparison=True, negate="le")
ge = Operator("ge", ">=", _P_CMP, comparison=True, negate="lt")
like = Operator("like", "LIKE", _P_CMP, comparison=True, negate="not_like")
not_like = Operator("not_like", "NOT LIKE", _P_CMP, comparison=True, negate="like")
ilike = Operator("ilike", "ILIKE", _P_CMP, comparison=True, negate="not_ilike")
not_ilike = Operator("not_ilike", "NOT ILIKE", _P_CMP, comparison=True, negate="ilike")
in_op = Operator("in_op", "IN", _P_CMP, comparison=True, negate="not_in_op")
not_in_op = Operator("not_in_op", "NOT IN", _P_CMP, comparison=True, negate="in_op")
is_ = Operator("is_", "IS", _P_CMP, comparison=True, negate="is_not")
is_not = Operator("is_not", "IS NOT", _P_CMP, comparison=True, negate="is_")
between = Operator("between", "BETWEEN", _P_CMP, comparison=True, negate="not_between")
not_between = Operator("not_between", "NOT BETWEEN", _P_CMP, comparison=True, negate="between")
is_distinct_from = Operator(
    "is_distinct_from", "IS DISTINCT FROM", _P_CMP, comparison=True, negate="is_not_distinct_from"
)
is_not_distinct_from = Operator(
    "is_not_distinct_from",
    "IS NOT DISTINCT FROM",
    _P_CMP,
    comparison=True,
    negate="is_distinct_from",
)
collate = Operator("collate", "COLLATE", _P_UNARY)
and_ = Operator("and_", "AND", _P_AND, associative=True)
or_ = Operator("or_", "OR", _P_OR, associative=True)
not_ = Operator("not_", "NOT", _P_NOT)
neg = Operator("neg", "-", _P_UNARY)
comma = Operator("comma", ",", 0, associative=True)

BY_NAME: dict[str, Operator] = {
    o.name: o for o in list(globals().values()) if isinstance(o, Operator)
}
#: Precedence above every operator: atoms (columns, binds, functions) never need parentheses.
ATOM_PRECEDENCE = 100


class ColumnOperators:
    """Python operators and comparison methods that build SQL expression nodes."""

    __slots__ = ()

    if TYPE_CHECKING:

        def operate(self, op: Operator, *other: Any, **kw: Any) -> Any: ...
        def reverse_operate(self, op: Operator, other: Any) -> Any: ...

    def __eq__(self, other: Any) -> Any:
        return self.operate(eq, other)

    def __ne__(self, other: Any) -> Any:
        return self.operate(ne, other)

    def __lt__(self, other: Any) -> Any:
        return self.operate(lt, other)

    def __le__(self, other: Any) -> Any:
        return self.operate(le, other)

    def __gt__(self, other: Any) -> Any:
        return self.operate(gt, other)

    def __ge__(self, other: Any) -> Any:
        return self.operate(ge, other)

    __hash__ = object.__hash__

    def __add__(self, other: Any) -> Any:
        return self.operate(add, other)

    def __radd__(self, other: Any) -> Any:
        return self.reverse_operate(add, other)

    def __sub__(self, other: Any) -> Any:
        return self.operate(sub, other)

    def __rsub__(self, other: Any) -> Any:
        return self.reverse_operate(sub, other)

    def __mul__(self, other: Any) -> Any:
        return self.operate(mul, other)

    def __rmul__(self, other: Any) -> Any:
        return self.reverse_operate(mul, other)

    def __truediv__(self, other: Any) -> Any:
        return self.operate(truediv, other)

    def __rtruediv__(self, other: Any) -> Any:
        return self.reverse_operate(truediv, other)

    def __mod__(self, other: Any) -> Any:
        return self.operate(mod, other)

    def __rmod__(self, other: Any) -> Any:
        return self.reverse_operate(mod, other)

    def __and__(self, other: Any) -> Any:
        return self.operate(and_, other)

    def __rand__(self, other: Any) -> Any:
        return self.operate(and_, other)

    def __or__(self, other: Any) -> Any:
        return self.operate(or_, other)

    def __ror__(self, other: Any) -> Any:
        return self.operate(or_, other)

    def __neg__(self) -> Any:
        return self.operate(neg)

    def __invert__(self) -> Any:
        return self.operate(not_)

    def concat(self, other: Any) -> Any:
        """``self || other``: string concatenation."""
        return self.operate(concat, other)

    def like(self, other: Any, escape: str | None = None) -> Any:
        """``self LIKE other``."""
        return self.operate(like, other, escape=escape)

    def not_like(self, other: Any, escape: str | None = None) -> Any:
        """``self NOT LIKE other``."""
        return self.operate(not_like, other, escape=escape)

    def ilike(self, other: Any, escape: str | None = None) -> Any:
        """Case-insensitive LIKE (``lower(x) LIKE lower(y)`` where there is no ILIKE)."""
        return self.operate(ilike, other, escape=escape)

    def not_ilike(self, other: Any, escape: str | None = None) -> Any:
        """Case-insensitive NOT LIKE."""
        return self.operate(not_ilike, other, escape=escape)

    def in_(self, other: Any) -> Any:
        """``self IN (...)`` for a list of values, an empty list, or a subquery."""
        return self.operate(in_op, other)

    def not_in(self, other: Any) -> Any:
        """``self NOT IN (...)``."""
        return self.operate(not_in_op, other)

    def is_(self, other: Any = None) -> Any:
        """``self IS other`` (``IS NULL`` by default)."""
        return self.operate(is_, other)

    def is_not(self, other: Any = None) -> Any:
        """``self IS NOT other`` (``IS NOT NULL`` by default)."""
        return self.operate(is_not, other)

    def is_distinct_from(self, other: Any) -> Any:
        """``self IS DISTINCT FROM other``: inequality where NULL counts as a value."""
        return self.operate(is_distinct_from, other)

    def is_not_distinct_from(self, other: Any) -> Any:
        """``self IS NOT DISTINCT FROM other``: equality where NULL counts as a value."""
        return self.operate(is_not_distinct_from, other)

    def between(self, low: Any, high: Any, symmetric: bool = False) -> Any:
        """``self BETWEEN low AND high``."""
        return self.operate(between, low, high)

    def startswith(self, other: Any, autoescape: bool = False, escape: str | None = None) -> Any:
        """``self LIKE other || '%'``; ``autoescape`` makes ``%`` and ``_`` in other literal."""
        return self.operate(like, other, pattern=("", "%"), autoescape=autoescape, escape=escape)

    def endswith(self, other: Any, autoescape: bool = False, escape: str | None = None) -> Any:
        """``self LIKE '%' || other``."""
        return self.operate(like, other, pattern=("%", ""), autoescape=autoescape, escape=escape)

    def contains(self, other: Any, autoescape: bool = False, escape: str | None = None) -> Any:
        """``self LIKE '%' || other || '%'``."""
        return self.operate(like, other, pattern=("%", "%"), autoescape=autoescape, escape=escape)

    def collate(self, collation: str) -> Any:
        """``self COLLATE collation``."""
        return self.operate(collate, collation)

    def asc(self) -> Any:
        """Ascending order in ORDER BY."""
        return self.operate(BY_NAME["asc"])

    def desc(self) -> Any:
        """Descending order in ORDER BY."""
        return self.operate(BY_NAME["desc"])

    def nulls_first(self) -> Any:
        """NULLs sort first."""
        return self.operate(BY_NAME["nulls_first"])

    def nulls_last(self) -> Any:
        """NULLs sort last."""
        return self.operate(BY_NAME["nulls_last"])

    def distinct(self) -> Any:
        """``DISTINCT self``, for use inside aggregates and select lists."""
        return self.operate(BY_NAME["distinct"])

    def op(self, opstring: str, precedence: int = _P_CMP, is_comparison: bool = False) -> Any:
        """A custom binary operator: ``col.op('&')(4)`` renders ``col & :param``."""
        custom = Operator(f"custom {opstring}", opstring, precedence, comparison=is_comparison)
        return lambda other: self.operate(custom, other)


# Unary modifiers rendered after their operand (ORDER BY modifiers) or before it (DISTINCT).
for _name, _sql in (
    ("asc", "ASC"),
    ("desc", "DESC"),
    ("nulls_first", "NULLS FIRST"),
    ("nulls_last", "NULLS LAST"),
    ("distinct", "DISTINCT"),
    ("exists", "EXISTS"),
):
    BY_NAME[_name] = Operator(_name, _sql, _P_UNARY)
asc_op, desc_op = BY_NAME["asc"], BY_NAME["desc"]
nulls_first_op, nulls_last_op = BY_NAME["nulls_first"], BY_NAME["nulls_last"]
distinct_op, exists_op = BY_NAME["distinct"], BY_NAME["exists"]
