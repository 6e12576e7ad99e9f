"""Bulk UPDATE and DELETE through the session, keeping loaded objects in step.

``synchronize_session`` says how objects already in the identity map learn of the change:
``"evaluate"`` applies the WHERE clause in Python to them, ``"fetch"`` selects the matching
primary keys first, ``"auto"`` evaluates when it can and fetches otherwise, ``False`` leaves
them as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ormkit import exc
from ormkit.orm.mapper import Mapper, mapper_of
from ormkit.orm.state import STATE
from ormkit.sql import elements as el
from ormkit.sql import operators as ops
from ormkit.sql.dml import Delete, Update
from ormkit.sql.selectable import Select

if TYPE_CHECKING:
    from ormkit.orm.session import Session

_SYNC_CHOICES = ("auto", "evaluate", "fetch", False, None)


class _CannotEvaluate(Exception):
    pass


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a is not None and b is not None and a < b,
    "le": lambda a, b: a is not None and b is not None and a <= b,
    "gt": lambda a, b: a is not None and b is not None and a > b,
    "ge": lambda a, b: a is not None and b is not None and a >= b,
    "is_": lambda a, b: a is b,
    "is_not": lambda a, b: a is not b,
}


def _evaluator(node: Any, mapper: Mapper) -> Callable[[Any], Any]:
    """A Python function of an object that computes ``node``, or _CannotEvaluate."""
    if isinstance(node, el.BooleanClauseList):
        parts = [_evaluator(c, mapper) for c in node.clauses]
        if node.operator is ops.and_:
            return lambda obj: all(p(obj) for p in parts)
        return lambda obj: any(p(obj) for p in parts)
    if isinstance(node, el.UnaryExpression) and node.operator is ops.not_:
        inner = _evaluator(node.element, mapper)
        return lambda obj: not inner(obj)
    if isinstance(node, el.Grouping):
        return _evaluator(node.element, mapper)
    if isinstance(node, el.True_ | el.False_):
        value = isinstance(node, el.True_)
        return lambda obj: value
    if isinstance(node, el.EmptyIn):
        negated = node.negated
        return lambda obj: negated
    if isinstance(node, el.BinaryExpression):
        op = node.operator.name
        left = _value(node.left, mapper)
        if op in ("in_op", "not_in_op"):
            right_node = node.right
            if not isinstance(right_node, el.Grouping) or not isinstance(
                right_node.element, el.ClauseList
            ):
                raise _CannotEvaluate()
            values = [_value(c, mapper) for c in right_node.element.clauses]
            negate = op == "not_in_op"
            return lambda obj: (left(obj) in [v(obj) for v in values]) != negate
        compare = _COMPARE.get(op)
        if compare is None:
            raise _CannotEvaluate()
        right = _value(node.right, mapper)
        return lambda obj: compare(left(obj), right(obj))
    raise _CannotEvaluate()


def _value(node: Any, mapper: Mapper) -> Callable[[Any], Any]:
    if isinstance(node, el.BindParameter):
        value = node.effective_value()
        return lambda obj: value
    if isinstance(node, el.Null):
        return lambda obj: None
    if isinstance(node, el.ColumnClause) and node.table is mapper.local_table:
        key = mapper.key_for_column(node)  # type: ignore[arg-type]

        def read(obj: Any) -> Any:
            d = obj.__dict__
            if key not in d:
                raise _Unloaded()
            return d[key]

        return read
    raise _CannotEvaluate()


class _Unloaded(Exception):
    """The object's value for a criteria column is expired: it may match, so reload it."""


def bulk_update_delete(
    session: Session, statement: Update | Delete, params: Any, synchronize_session: Any
) -> Any:
    """Run an ORM-enabled UPDATE or DELETE and bring loaded objects up to date."""
    if synchronize_session not in _SYNC_CHOICES:
        raise exc.ArgumentError(
            f"synchronize_session must be 'auto', 'evaluate', 'fetch' or False, got "
            f"{synchronize_session!r}"
        )
    mapper = mapper_of(statement._entity)
    assert mapper is not None
    conn = session.connection()
    criteria = el.and_(*statement._where_criteria)
    matches: Callable[[Any], bool] | None = None
    fetched: set[tuple[Any, ...]] | None = None
    if synchronize_session in ("auto", "evaluate"):
        try:
            evaluate = _evaluator(criteria, mapper)
            matches = lambda obj: bool(evaluate(obj))  # noqa: E731
        except _CannotEvaluate:
            if synchronize_session == "evaluate":
                raise exc.ArgumentError(
                    f"synchronize_session='evaluate' cannot apply this WHERE clause in Python "
                    f"({criteria}); use synchronize_session='fetch'"
                ) from None
            synchronize_session = "fetch"
    if synchronize_session == "fetch":
        pk_query = Select(*mapper.primary_key).where(*statement._where_criteria)
        fetched = {tuple(r) for r in conn.execute(pk_query, params).fetchall()}
    result = conn.execute(statement, params)
    if synchronize_session in (False, None):
        return result
    targets = []
    unknown: list[Any] = []  # objects whose criteria attributes are expired
    for obj in list(session.identity_map.values()):
        state = obj.__dict__.get(STATE)
        if state is None or state.mapper is not mapper:
            continue
        if fetched is not None:
            if state.key[1] in fetched:
                targets.append((obj, state))
        elif matches is not None:
            try:
                if matches(obj):
                    targets.append((obj, state))
            except _Unloaded:
                unknown.append(obj)
    for obj in unknown:
        # it may have matched: forget what the statement may have changed
        if isinstance(statement, Update):
            for column, _ in statement._values or ():
                obj.__dict__.pop(mapper.key_for_column(column), None)  # type: ignore[arg-type]
    if isinstance(statement, Delete):
        for obj, state in targets:
            session._detach(obj, state)
            state.was_deleted = True
    else:
        for obj, _state in targets:
            _apply_update(obj, statement, mapper)
    return result


def _apply_update(obj: Any, statement: Update, mapper: Mapper) -> None:
    d = obj.__dict__
    for column, value in statement._values or ():
        key = mapper.key_for_column(column)  # type: ignore[arg-type]
        if isinstance(value, el.BindParameter):
            d[key] = value.effective_value()
        elif isinstance(value, el.Null):
            d[key] = None
        else:
            d.pop(key, None)  # an SQL expression: load the new value on next access
