"""ORM-enabled INSERT, UPDATE and DELETE through the session (``insert(User)``, ...).

Parameters are given by attribute name, as everywhere in the ORM, and become column keys
here. ``insert(User).returning(User)`` gives objects, identity-mapped. A list of parameter sets
for ``update(User)`` is a bulk UPDATE by primary key: each set names the row by its primary
key attributes and holds the attributes to change.

``synchronize_session`` says how objects already in the identity map learn of the change:
``"evaluate"`` applies the WHERE clause in Python to them, ``"fetch"`` selects the matching
primary keys first, ``"auto"`` evaluates when it can and fetches otherwise, ``False`` leaves
them as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ormkit import exc
from ormkit.engine.result import CursorResult
from ormkit.engine.returning import concatenate
from ormkit.orm import loading
from ormkit.orm.mapper import Mapper, mapper_of
from ormkit.orm.persistence import pk_params, pk_where
from ormkit.orm.state import STATE
from ormkit.sql import cache_key
from ormkit.sql import elements as el
from ormkit.sql import operators as ops
from ormkit.sql.dml import Delete, DMLStatement, Insert, Update
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


# -- parameters by attribute name ------------------------------------------------------------


def execute_dml(
    session: Session, statement: DMLStatement, params: Any, options: Mapping[str, Any]
) -> Any:
    """Run an INSERT, UPDATE or DELETE of a mapped class (``update(User)``) in the session."""
    mapper = mapper_of(statement._entity)
    assert mapper is not None
    sync = options.get("synchronize_session", "auto")
    many = isinstance(params, list | tuple)
    if isinstance(statement, Insert):
        return _insert(session, mapper, statement, params, options)
    if many and isinstance(statement, Delete):
        raise exc.InvalidRequestError(
            f"an ORM DELETE of {mapper.class_.__name__} takes no list of parameter sets; "
            "delete with a WHERE clause, or run the statement on session.connection()"
        )
    if many and isinstance(statement, Update):
        return _update_by_pk(session, mapper, statement, params, sync)
    assert isinstance(statement, Update | Delete)
    target: Update | Delete = statement
    if params:
        target, params = _values_from_params(mapper, statement, params)
    return bulk_update_delete(session, target, params, sync)


def _insert(
    session: Session, mapper: Mapper, stmt: Insert, params: Any, options: Mapping[str, Any]
) -> Any:
    conn = session.connection()
    if params is None or isinstance(params, Mapping):
        if params:
            (params,) = _without_defaulted_nones([params], _defaulted_keys(mapper))
            (params,) = _column_params(mapper, stmt, [params], params.keys())
        result = conn.execute(stmt, params)
    else:
        result = _insert_many(conn, mapper, stmt, params)
    entities = stmt._raw_returning
    if not any(loading.is_entity(e) for e in entities):
        return result
    rows = result._fetch_all_values()
    plan = loading.SelectPlan(entities, loading.layout(entities), [])
    populate = bool(options.get("populate_existing"))
    return loading.objects_result(session, plan, rows, (), populate)


def _insert_many(conn: Any, mapper: Mapper, stmt: Insert, sets: Sequence[Any]) -> Any:
    """An executemany per run of parameter sets with the same keys."""
    if not sets:
        return conn.execute(stmt, sets)  # which says what is wrong with an empty list
    defaulted = _defaulted_keys(mapper)
    first = sets[0].keys()
    if stmt._returning or len(set(map(len, sets))) != 1 or not defaulted.isdisjoint(first):
        groups = _key_groups(_without_defaulted_nones(sets, defaulted))
    else:
        # The common case: sets of one size, taken to have the first one's keys. When one
        # has not, Core finds it missing a key before anything is sent, and the sets are
        # grouped by their keys after all.
        try:
            return conn.execute(stmt, _column_params(mapper, stmt, sets, first))
        except exc.ArgumentError:
            groups = _key_groups(_without_defaulted_nones(sets, defaulted))
            if len(groups) == 1:
                raise
    translated = [_column_params(mapper, stmt, g, keys) for keys, g in groups]  # all checked
    return concatenate([conn.execute(stmt, sets) for sets in translated])


def _defaulted_keys(mapper: Mapper) -> frozenset[str]:
    """Attributes whose column has a default (in Python or on the server)."""
    found: frozenset[str] | None = mapper.__dict__.get("_ok_defaulted_keys")
    if found is None:
        found = frozenset(
            k
            for k, c in mapper.columns_by_key.items()
            if c.default is not None or c.server_default is not None
        )
        mapper.__dict__["_ok_defaulted_keys"] = found
    return found


def _without_defaulted_nones(sets: Sequence[Any], defaulted: frozenset[str]) -> Sequence[Any]:
    """The sets without None for a column that has a default: as in SQLAlchemy's ORM, the
    default applies (``null()`` in ``values()`` stores NULL there)."""
    if not defaulted:
        return sets
    return [{k: v for k, v in p.items() if v is not None or k not in defaulted} for p in sets]


def _key_groups(sets: Sequence[Mapping[str, Any]]) -> list[tuple[Any, list[Any]]]:
    """Runs of parameter sets with the same keys, in order: (keys, sets) each."""
    groups: list[tuple[Any, list[Any]]] = []
    for params in sets:
        keys = params.keys()
        if groups and keys == groups[-1][0]:
            groups[-1][1].append(params)
        else:
            groups.append((keys, [params]))
    return groups


def _renames(mapper: Mapper) -> dict[str, str]:
    """Attribute key -> column key, for the attributes whose column key differs."""
    found: dict[str, str] | None = mapper.__dict__.get("_ok_dml_renames")
    if found is None:
        found = {k: c.key for k, c in mapper.columns_by_key.items() if c.key != k}
        mapper.__dict__["_ok_dml_renames"] = found
    return found


def _bind_keys(stmt: Any) -> set[str]:
    """Keys of the statement's own ``bindparam()``s (parameters may be meant for them)."""
    return {b.key for b in cache_key.generate(stmt)[1] if not b.unique and b.key}


def _column_params(
    mapper: Mapper, stmt: Any, sets: Sequence[Any], keys: Any
) -> Sequence[Mapping[str, Any]]:
    """``sets`` (all with ``keys``) keyed by column key instead of attribute key."""
    columns = mapper.columns_by_key
    unknown = [k for k in keys if k not in columns]
    if unknown:
        binds = _bind_keys(stmt)
        unknown = [k for k in unknown if k not in binds]
        if unknown:
            raise _unknown_attribute(mapper, unknown[0], type(stmt).__name__.upper())
    renames = _renames(mapper)
    if not renames or renames.keys().isdisjoint(keys):
        return sets
    return [{renames.get(k, k): v for k, v in params.items()} for params in sets]


def _unknown_attribute(mapper: Mapper, key: Any, what: str) -> exc.ArgumentError:
    name = mapper.class_.__name__
    hint = next(
        (
            f"; column {key!r} is mapped as the attribute {attr!r}: name it by that"
            for attr, col in mapper.columns_by_key.items()
            if key in (col.key, col.name)
        ),
        "",
    )
    return exc.ArgumentError(
        f"{name} has no column attribute {key!r} (a parameter of an ORM {what} of {name}); "
        f"its column attributes are: {', '.join(mapper.columns_by_key)}{hint}"
    )


def _values_from_params(
    mapper: Mapper, stmt: Update | Delete, params: Mapping[str, Any]
) -> tuple[Any, Mapping[str, Any] | None]:
    """One parameter set of an ORM UPDATE: attributes become SET items (so loaded objects
    can be brought up to date); keys of the statement's ``bindparam()``s stay parameters."""
    binds = _bind_keys(stmt)
    columns = mapper.columns_by_key
    values: dict[Any, Any] = {}
    rest: dict[str, Any] = {}
    for key, value in params.items():
        if key in binds:
            rest[key] = value
        elif key in columns and isinstance(stmt, Update):
            values[columns[key]] = value
        else:
            raise _unknown_attribute(mapper, key, type(stmt).__name__.upper())
    if values:
        stmt = stmt.values(values)  # type: ignore[union-attr]
    return stmt, rest or None


# -- bulk UPDATE by primary key ----------------------------------------------------------------


def _update_by_pk(
    session: Session, mapper: Mapper, stmt: Update, sets: Sequence[Any], sync: Any
) -> Any:
    """``session.execute(update(User), [{"id": 1, "name": "x"}, ...])``: one UPDATE per row,
    run as an executemany per run of sets with the same keys."""
    name = mapper.class_.__name__
    if sync not in _SYNC_CHOICES:
        raise exc.ArgumentError(
            f"synchronize_session must be 'auto', 'evaluate', 'fetch' or False, got {sync!r}"
        )
    if sync == "fetch":
        raise exc.InvalidRequestError(
            "synchronize_session='fetch' is not available for a bulk UPDATE by primary key "
            "(a list of parameter sets): the rows are known by their keys; use 'auto' or False"
        )
    if stmt._where_criteria and sync not in (False, None):
        raise exc.InvalidRequestError(
            f"a bulk UPDATE of {name} by primary key with a WHERE clause cannot bring loaded "
            "objects up to date (a row may not match); pass "
            "execution_options={'synchronize_session': False}"
        )
    if stmt._returning:
        raise exc.InvalidRequestError(
            f"a bulk UPDATE of {name} by primary key (a list of parameter sets) has no "
            "RETURNING; update the rows one statement at a time to get rows back"
        )
    if not sets:
        raise exc.ArgumentError("execute() got an empty list of parameter sets")
    columns, pk_keys, pk_names = mapper.columns_by_key, mapper.pk_keys, pk_params(mapper)
    runs = []  # every run checked before the first is sent
    done = 0
    for keys, group in _key_groups(sets):
        missing = [k for k in pk_keys if k not in keys]
        if missing:
            raise exc.InvalidRequestError(
                f"a bulk UPDATE of {name} by primary key needs the primary key attribute(s) "
                f"{', '.join(pk_keys)} in every parameter set; parameter set {done + 1} has "
                f"no {', '.join(missing)} (to run the statement once per parameter set as "
                "written, execute it on session.connection())"
            )
        unknown = [k for k in keys if k not in columns]
        if unknown:
            raise _unknown_attribute(mapper, unknown[0], "UPDATE")
        set_keys = [k for k in keys if k not in pk_keys]
        done += len(group)
        if not set_keys and not stmt._values:
            continue  # nothing to change in these rows
        by_pk = stmt.where(pk_where(mapper))
        if set_keys:
            by_pk = by_pk.values({columns[k]: el.bindparam(k) for k in set_keys})
        params = []
        for values in group:
            row = {k: values[k] for k in set_keys}
            row.update(zip(pk_names, [values[k] for k in pk_keys], strict=True))
            params.append(row)
        runs.append((by_pk, params, group, set_keys))
    conn = session.connection()
    results = []
    for by_pk, params, group, set_keys in runs:
        result = conn.execute(by_pk, params)
        count = result.rowcount
        if (
            count >= 0
            and count != len(params)
            and (len(params) == 1 or conn.dialect.supports_sane_multi_rowcount)
        ):
            raise exc.StaleDataError(
                f"a bulk UPDATE of {name} by primary key matched {count} of {len(params)} "
                "row(s): a primary key in the parameter sets names no row"
            )
        results.append(result)
        if sync not in (False, None):
            _sync_by_pk(session, mapper, stmt, group, set_keys)
    if not results:
        return CursorResult(None, [], None, returns_rows=False, rowcount=0)
    return concatenate(results)


def _sync_by_pk(
    session: Session, mapper: Mapper, stmt: Update, group: Sequence[Any], set_keys: list[str]
) -> None:
    """Loaded objects of the updated rows take the new values."""
    identity, cls, pk_keys = session.identity_map, mapper.class_, mapper.pk_keys
    for values in group:
        obj = identity.get((cls, tuple([values[k] for k in pk_keys])))
        if obj is None:
            continue
        d = obj.__dict__
        for key in set_keys:
            d[key] = values[key]
        _apply_update(obj, stmt, mapper)
