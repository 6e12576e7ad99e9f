"""ORM-enabled INSERT, UPDATE and DELETE through the session (``insert(User)``, ...).

Parameters are given by attribute name, as everywhere in the ORM, and become column keys
here. ``insert(User).returning(User)`` gives objects, identity-mapped. A list of parameter sets
for ``update(User)`` is a bulk UPDATE by primary key: each set names the row by its primary
key attributes and holds the attributes to change.

``synchronize_session`` says how objects already in the identity map learn of the change:
``"evaluate"`` applies the WHERE clause in Python to them (``ormkit.orm.evaluator``), and
computes their new values from the SET clause where it can (expiring the others);
``"fetch"`` has the database say which rows matched: ``RETURNING`` their primary keys and new
values where the database has UPDATE/DELETE ... RETURNING, else a SELECT of the primary keys
first; ``"auto"`` evaluates when it can and fetches otherwise; ``False`` leaves them as they
are. Only objects persistent in the session are touched.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ormkit import exc
from ormkit.engine.result import CursorResult
from ormkit.engine.returning import concatenate
from ormkit.orm import evaluator, loading
from ormkit.orm.events import BulkContext
from ormkit.orm.mapper import Mapper, mapper_of
from ormkit.orm.persistence import pk_params, pk_where
from ormkit.orm.state import STATE, InstanceState
from ormkit.sql import cache_key
from ormkit.sql import elements as el
from ormkit.sql.dml import Delete, DMLStatement, Insert, Update
from ormkit.sql.selectable import Select

if TYPE_CHECKING:
    from ormkit.orm.session import Session

_SYNC_CHOICES = ("auto", "evaluate", "fetch", False, None)


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
    if synchronize_session in (False, None):
        return session.connection().execute(statement, params)
    if synchronize_session in ("auto", "evaluate"):
        criteria = el.and_(*statement._where_criteria)
        try:
            # before the connection: criteria that cannot be evaluated begin no transaction
            dialect = session.get_bind().dialect
            matches = evaluator.compile_criteria(criteria, mapper, dialect, params)
        except evaluator.UnevaluableError as err:
            if synchronize_session == "evaluate":
                raise _unevaluable(mapper, statement, err) from None
        else:
            conn = session.connection()
            return _run_evaluated(session, conn, mapper, statement, params, matches)
    return _run_fetched(session, session.connection(), mapper, statement, params)


def _unevaluable(
    mapper: Mapper, statement: Update | Delete, err: evaluator.UnevaluableError
) -> exc.InvalidRequestError:
    what = "UPDATE" if isinstance(statement, Update) else "DELETE"
    return exc.InvalidRequestError(
        f"the criteria of this ORM {what} of {mapper.class_.__name__} could not be evaluated "
        f"in Python for synchronize_session='evaluate': {err.piece} is not supported there; "
        "specify synchronize_session='fetch' or False for this statement"
    )


def _persistent(session: Session, mapper: Mapper) -> list[tuple[Any, InstanceState]]:
    """The objects of ``mapper`` persistent in ``session``: those a statement can touch."""
    found = []
    for obj in session.identity_map.values():
        state = obj.__dict__.get(STATE)
        if _is_persistent(state, session, mapper):
            found.append((obj, state))
    return found


def _is_persistent(state: InstanceState | None, session: Session, mapper: Mapper) -> bool:
    return (
        state is not None
        and state.mapper is mapper
        and state.session is session
        and state.key is not None
        and not state.deleted
    )


def _loaded(session: Session, mapper: Mapper, pk: tuple[Any, ...]) -> Any:
    """The object persistent in ``session`` for the row with primary key ``pk``, or None."""
    obj = session.identity_map.get((mapper.class_, pk))
    if obj is None or not _is_persistent(obj.__dict__.get(STATE), session, mapper):
        return None
    return obj


def _run_evaluated(
    session: Session,
    conn: Any,
    mapper: Mapper,
    statement: Update | Delete,
    params: Any,
    matches: Callable[[dict[str, Any]], bool],
) -> Any:
    """``"evaluate"``: the WHERE clause, and the SET values, computed in Python."""
    matched, undetermined = [], []
    for obj, state in _persistent(session, mapper):
        try:
            if matches(obj.__dict__):
                matched.append((obj, state))
        except evaluator.Undetermined:
            undetermined.append((obj, state))  # it may match: what may have changed expires
    changes = _SetChanges(statement, mapper, conn.dialect, params)
    result = conn.execute(statement, params)
    if isinstance(statement, Delete):
        for obj, state in matched:
            _remove_deleted(session, obj, state)
        for obj, _state in undetermined:
            session.expire(obj)  # its next read finds the row, or finds it gone
        return result
    for obj, state in matched:
        changes.apply(session, obj, state)
    for obj, state in undetermined:
        _expire_keys(session, obj, state, changes.keys)
    return result


def _run_fetched(
    session: Session, conn: Any, mapper: Mapper, statement: Update | Delete, params: Any
) -> Any:
    """``"fetch"``: the database says which rows matched, with RETURNING in the statement
    itself where it can, else with a SELECT of their primary keys first."""
    is_delete = isinstance(statement, Delete)
    changes = _SetChanges(statement, mapper, conn.dialect, params)
    dialect = conn.dialect
    returning = dialect.delete_returning if is_delete else dialect.update_returning
    if returning and not statement._returning and not changes.sets_primary_key:
        # one statement: RETURNING the primary key, and the new values of what it changes
        width = len(mapper.primary_key)
        stmt = statement.returning(*mapper.primary_key, *changes.columns)
        rows = [tuple(r) for r in conn.execute(stmt, params).fetchall()]
        for row in rows:
            obj = _loaded(session, mapper, row[:width])
            if obj is None:
                continue
            state = obj.__dict__[STATE]
            if is_delete:
                _remove_deleted(session, obj, state)
            else:
                changes.apply_returned(session, obj, state, row[width:])
        return CursorResult(None, [], None, returns_rows=False, rowcount=len(rows))
    pk_query = Select(*mapper.primary_key).where(*statement._where_criteria)
    keys = [tuple(r) for r in conn.execute(pk_query, params).fetchall()]
    result = conn.execute(statement, params)
    for pk in keys:
        obj = _loaded(session, mapper, pk)
        if obj is None:
            continue
        state = obj.__dict__[STATE]
        if is_delete:
            _remove_deleted(session, obj, state)
        else:
            changes.apply(session, obj, state)
    return result


def _remove_deleted(session: Session, obj: Any, state: InstanceState) -> None:
    """A row the statement deleted: its object is deleted as by a flush (detached at commit,
    back in the session if the transaction rolls back), as SQLAlchemy does."""
    key = id(obj)
    state.deleted = True
    session.identity_map.discard(state.key, obj)
    session._deleted.pop(key, None)
    session._modified.pop(key, None)
    session._flushed_deleted[key] = obj
    for tx in session._nested:  # rolling back a savepoint open now brings it back
        tx.changed[key] = obj


def _expire_keys(session: Session, obj: Any, state: InstanceState, keys: Sequence[str]) -> None:
    """Forget ``keys`` of a persistent object: the next read loads them."""
    if not keys:
        return
    d = obj.__dict__
    for key in keys:
        d.pop(key, None)
    state.expired = True
    _now_clean(session, obj, state, keys)


def _now_clean(session: Session, obj: Any, state: InstanceState, keys: Sequence[str]) -> None:
    """``keys`` of the object hold (or will load) what the row holds: no change to flush."""
    for tx in session._nested:  # its row changed inside them: rolling one back expires it
        tx.changed[id(obj)] = obj
    committed = state.committed
    if not committed:
        return
    for key in keys:
        committed.pop(key, None)
    if not committed:
        state.reset_changes()
        session._modified.pop(id(obj), None)


def _python_type(column: Any) -> type:
    try:
        found: type = column.type.python_type
    except (NotImplementedError, AttributeError):
        return object
    return found


def _fits(value: Any, python_type: type) -> bool:
    """A value computed in Python is what the column would hold (no conversion to make)."""
    if isinstance(value, bool) and python_type is not bool:
        return False
    return isinstance(value, python_type)


class _SetChanges:
    """What an UPDATE does to the row of a matched object: its SET values, and the columns'
    ``onupdate`` / ``server_onupdate``. Constants are assigned; expressions are computed in
    Python from the object (``score + 1``) where they can be, and expired where they cannot
    (an SQL function, an attribute not loaded, a value of another type than the column's)."""

    def __init__(
        self,
        statement: Update | Delete,
        mapper: Mapper,
        dialect: Any,
        params: Any,
        given: Sequence[str] = (),
    ) -> None:
        """``given``: keys whose values each row's parameters give (a bulk UPDATE by primary
        key), assigned by ``apply()``."""
        #: (key, value) assigned as they are
        self.constants: list[tuple[str, Any]] = []
        #: (key, evaluator, the column's Python type) computed per object
        self.computed: list[tuple[str, evaluator.Evaluator, type]] = []
        #: keys of values only the database knows
        self.expired: list[str] = []
        #: the columns whose values change, and their attribute keys (in the same order)
        self.columns: list[Any] = []
        self.keys: list[str] = []
        #: the statement changes the primary key
        self.sets_primary_key = False
        if not isinstance(statement, Update):
            return
        by_column = {id(c): k for k, c in mapper.columns_by_key.items()}
        named: set[str] = set(given)
        for key in given:
            self._add(key, mapper.columns_by_key[key])
        pending_reads: list[tuple[str, frozenset[str]]] = []
        for column, value in statement._values or ():
            found = by_column.get(id(column))
            if found is None or found in named:
                continue  # not mapped (no attribute to bring up to date), or given per row
            key = found
            named.add(key)
            self._add(key, column)
            if isinstance(value, el.BindParameter | el.Null):
                compiled = evaluator.compile_value(value, mapper, dialect, params)
                self.constants.append((key, compiled.evaluate({})))
                continue
            try:
                compiled = evaluator.compile_value(value, mapper, dialect, params)
            except evaluator.UnevaluableError:
                self.expired.append(key)
                continue
            self.computed.append((key, compiled.evaluate, _python_type(column)))
            pending_reads.append((key, compiled.reads))
        for key, default in mapper.onupdates:
            if key not in named:
                named.add(key)
                self._add(key, mapper.columns_by_key[key])
                if default.is_scalar:
                    self.constants.append((key, default.arg))
                else:
                    self.expired.append(key)
        for key in mapper.server_onupdate_keys:
            if key not in named:
                self._add(key, mapper.columns_by_key[key])
                self.expired.append(key)
        # A value read from another column the statement changes may see that column's new
        # value (MySQL assigns SET items left to right): leave it to the database.
        changed = set(self.keys)
        for key, reads in pending_reads:
            if reads & (changed - {key}):
                self.computed = [c for c in self.computed if c[0] != key]
                self.expired.append(key)
        self.sets_primary_key = not changed.isdisjoint(mapper.pk_keys)

    def _add(self, key: str, column: Any) -> None:
        self.keys.append(key)
        self.columns.append(column)

    def apply(
        self,
        session: Session,
        obj: Any,
        state: InstanceState,
        given: Mapping[str, Any] | None = None,
    ) -> None:
        """Bring a matched object up to date, computing in Python what it can; ``given``
        holds the values of the keys given per row."""
        d = obj.__dict__
        new = dict(self.constants)
        if given:
            new.update(given)
        gone = list(self.expired)
        for key, compute, python_type in self.computed:
            try:
                value = compute(d)  # every value from the old row, as SQL computes them
            except evaluator.Undetermined:
                gone.append(key)
                continue
            if value is None or _fits(value, python_type):
                new[key] = value
            else:
                gone.append(key)  # the database converts it to the column's type its own way
        for key, value in new.items():
            if key in d:  # an attribute not loaded stays so: its next read loads the row's
                d[key] = value
        for key in gone:
            d.pop(key, None)
        if gone:
            state.expired = True
        _now_clean(session, obj, state, self.keys)

    def apply_returned(
        self, session: Session, obj: Any, state: InstanceState, values: Sequence[Any]
    ) -> None:
        """Bring a matched object up to date with the values RETURNING gave (those of
        attributes it holds: one not loaded stays so)."""
        d = obj.__dict__
        for key, value in zip(self.keys, values, strict=True):
            if key in d:
                d[key] = value
        _now_clean(session, obj, state, self.keys)


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
    result = bulk_update_delete(session, target, params, sync)
    dispatch = session.dispatch
    listeners = dispatch.after_bulk_update if target.is_update else dispatch.after_bulk_delete
    if listeners:
        context = BulkContext(session, target, params, options, mapper, result)
        for listener in listeners:
            listener(context)
    return result


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
    dialect = session.connection().dialect
    changes = _SetChanges(stmt, mapper, dialect, None, given=set_keys)
    pk_keys = mapper.pk_keys
    for values in group:
        obj = _loaded(session, mapper, tuple([values[k] for k in pk_keys]))
        if obj is not None:
            given = {k: values[k] for k in set_keys}
            changes.apply(session, obj, obj.__dict__[STATE], given)
