"""The legacy Query API: ``session.query(User).filter(User.name == "ed").first()``.

A thin, generative layer over ``select()`` and ``Session.execute``: each method returns a new
Query wrapping a new Select, and running it goes through the session (autoflush, identity
map) like any 2.0-style statement.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from ormkit import exc
from ormkit.event.registry import Dispatch, register_family, subclass_dispatch
from ormkit.orm.events import QUERY_EVENTS, BulkContext
from ormkit.orm.mapper import mapper_of
from ormkit.sql import elements as el
from ormkit.sql.dml import delete, update
from ormkit.sql.elements import func
from ormkit.sql.plugins import resolve
from ormkit.sql.selectable import Exists, Select, Subquery

if TYPE_CHECKING:
    from ormkit.orm.session import Session

_T = TypeVar("_T")


class Query(Generic[_T]):
    """A SELECT bound to a session, built step by step."""

    #: Query events' listeners for queries of this class (each subclass has its own child).
    class_dispatch: ClassVar[Dispatch] = Dispatch(QUERY_EVENTS)

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        cls.class_dispatch = subclass_dispatch(cls)

    def __init__(self, entities: Any, session: Session | None = None) -> None:
        if not isinstance(entities, list | tuple):
            entities = (entities,)
        for entity in entities:
            _check_entity(entity)
        self.session = session
        self._entities = tuple(entities)
        self._statement = Select(*entities) if entities else None
        self._options: tuple[Any, ...] = ()
        self._populate_existing = False

    def _copy(self, statement: Select | None = None) -> Query[_T]:
        new = Query.__new__(type(self))
        new.__dict__.update(self.__dict__)
        if statement is not None:
            new._statement = statement
        return new

    @property
    def statement(self) -> Select:
        """The SELECT this query runs."""
        if self._statement is None:
            raise exc.InvalidRequestError("this Query selects nothing; give it an entity")
        return self._statement

    def _primary_mapper(self) -> Any:
        for entity in self._entities:
            mapper = _entity_mapper(entity)
            if mapper is not None:
                return mapper
        return None

    # -- building ---------------------------------------------------------------------------

    def filter(self, *criteria: Any) -> Query[_T]:
        """Add WHERE conditions (joined with AND)."""
        return self._copy(self.statement.where(*criteria))

    where = filter

    def filter_by(self, **kwargs: Any) -> Query[_T]:
        """Conditions ``attribute == value`` on the query's entity (or the last joined one)."""
        target = self.__dict__.get("_joined_entity") or self._primary_mapper()
        if target is None:
            return self._copy(self.statement.filter_by(**kwargs))
        mapper = target if not isinstance(target, type) else mapper_of(target)
        assert mapper is not None
        criteria = []
        for key, value in kwargs.items():
            attr = mapper.attrs.get(key) if mapper is not None else None
            if attr is None:
                names = ", ".join(mapper.all_keys()) if mapper is not None else ""
                raise exc.InvalidRequestError(
                    f"filter_by(): {mapper.class_.__name__} has no attribute {key!r}; its "
                    f"attributes are: {names}"
                )
            criteria.append(attr == value)
        return self.filter(*criteria)

    def order_by(self, *clauses: Any) -> Query[_T]:
        """ORDER BY; ``order_by(None)`` clears it."""
        return self._copy(self.statement.order_by(*clauses))

    def group_by(self, *clauses: Any) -> Query[_T]:
        """GROUP BY."""
        return self._copy(self.statement.group_by(*clauses))

    def having(self, *criteria: Any) -> Query[_T]:
        """HAVING."""
        return self._copy(self.statement.having(*criteria))

    def join(
        self, target: Any, onclause: Any = None, *, isouter: bool = False, full: bool = False
    ) -> Query[_T]:
        """JOIN ``target`` (ON inferred from foreign keys, or given)."""
        new = self._copy(self.statement.join(target, onclause, isouter=isouter, full=full))
        entity = target if mapper_of(target) is not None else getattr(target, "entity", None)
        if entity is not None:
            new._joined_entity = entity  # type: ignore[attr-defined]
        return new

    def outerjoin(self, target: Any, onclause: Any = None, *, full: bool = False) -> Query[_T]:
        """LEFT OUTER JOIN ``target``."""
        return self.join(target, onclause, isouter=True, full=full)

    def select_from(self, *froms: Any) -> Query[_T]:
        """Name the FROM entries explicitly."""
        return self._copy(self.statement.select_from(*froms))

    def limit(self, limit: int | None) -> Query[_T]:
        """At most ``limit`` rows."""
        return self._copy(self.statement.limit(limit))

    def offset(self, offset: int | None) -> Query[_T]:
        """Skip ``offset`` rows."""
        return self._copy(self.statement.offset(offset))

    def slice(self, start: int, stop: int) -> Query[_T]:
        """Rows ``start`` to ``stop``."""
        return self._copy(self.statement.slice(start, stop))

    def distinct(self, *on: Any) -> Query[_T]:
        """SELECT DISTINCT."""
        return self._copy(self.statement.distinct(*on))

    def add_columns(self, *columns: Any) -> Query[Any]:
        """Also select these columns; rows become tuples."""
        new = self._copy(self.statement.add_columns(*columns))
        new._entities = self._entities + columns
        return new

    add_column = add_columns

    def with_entities(self, *entities: Any) -> Query[Any]:
        """The same query selecting other entities or columns."""
        new = self._copy(self.statement.with_only_columns(*entities))
        new._entities = entities
        return new

    def options(self, *options: Any) -> Query[_T]:
        """Loader options (relationship loading strategies)."""
        new = self._copy()
        new._options = self._options + options
        return new

    def populate_existing(self) -> Query[_T]:
        """Overwrite objects already in the identity map with the loaded values."""
        new = self._copy()
        new._populate_existing = True
        return new

    def execution_options(self, **options: Any) -> Query[_T]:
        """Execution options for the query's statement (see ``Select.execution_options``)."""
        return self._copy(self.statement.execution_options(**options))

    def get_execution_options(self) -> dict[str, Any]:
        """The execution options given to the query."""
        return self.statement.get_execution_options()

    def yield_per(self, count: int) -> Query[_T]:
        """Load ``count`` rows at a time: iterating makes the objects batch by batch."""
        return self.execution_options(yield_per=count)

    def enable_assertions(self, value: bool) -> Query[_T]:
        """Accepted for compatibility."""
        return self

    def with_for_update(self, **kw: Any) -> Query[_T]:
        """SELECT ... FOR UPDATE."""
        return self._copy(self.statement.with_for_update(**kw))

    def params(self, *args: Any, **kw: Any) -> Query[_T]:
        """Values for ``bindparam()``s in the query."""
        new = self._copy()
        given = dict(args[0]) if args else {}
        given.update(kw)
        new._params = {**self.__dict__.get("_params", {}), **given}  # type: ignore[attr-defined]
        return new

    # -- running ----------------------------------------------------------------------------

    def _session(self) -> Session:
        if self.session is None:
            raise exc.InvalidRequestError(
                "this Query is not bound to a Session; make it with session.query(...)"
            )
        return self.session

    def _compiling(self) -> Query[_T]:
        """This query as ``before_compile`` listeners leave it (retval=True ones may give
        another), just before it becomes the statement that runs."""
        query = self
        for listener in type(self).class_dispatch.before_compile:
            query = listener(query)
        return query

    def _execute(self) -> Any:
        query = self._compiling()
        return query._session().execute(
            query.statement,
            query.__dict__.get("_params"),
            _entities=query._entities,
            _populate_existing=query._populate_existing,
            _options=query._options,
        )

    def _single_entity(self) -> bool:
        return len(self._entities) == 1 and _entity_mapper(self._entities[0]) is not None

    def _rows(self, result: Any) -> Any:
        return result.scalars() if self._single_entity() else result

    def __iter__(self) -> Iterator[_T]:
        return iter(self._rows(self._execute()))

    def all(self) -> list[_T]:
        """Every row: objects for a single entity, Rows otherwise."""
        return self._rows(self._execute()).all()  # type: ignore[no-any-return]

    def first(self) -> _T | None:
        """The first row (LIMIT 1), or None."""
        return self._rows(self.limit(1)._execute()).first()  # type: ignore[no-any-return]

    def one(self) -> _T:
        """The only row; NoResultFound or MultipleResultsFound otherwise."""
        try:
            return self._rows(self._execute()).one()  # type: ignore[no-any-return]
        except exc.NoResultFound:
            raise exc.NoResultFound(f"query expected one row and found none: {self}") from None
        except exc.MultipleResultsFound:
            raise exc.MultipleResultsFound(
                f"query expected one row and found more; add a filter or use first(): {self}"
            ) from None

    def one_or_none(self) -> _T | None:
        """The only row, or None; MultipleResultsFound when there are more."""
        return self._rows(self._execute()).one_or_none()  # type: ignore[no-any-return]

    def scalar(self) -> Any:
        """The first column of the only row, or None when there is none."""
        row = self._execute().one_or_none()
        if row is None:
            return None
        return row[0]

    def count(self) -> int:
        """How many rows the query returns: ``SELECT count(*) FROM (query)``."""
        query = self._compiling()
        counted = Select(func.count()).select_from(query.statement.order_by(None).subquery())
        value = query._session().execute(counted, query.__dict__.get("_params")).scalar()
        return int(value or 0)

    def get(self, ident: Any) -> _T | None:
        """The object with primary key ``ident`` (legacy; use session.get())."""
        mapper = self._primary_mapper()
        if mapper is None:
            raise exc.InvalidRequestError("get() needs a query of a mapped class")
        return self._session().get(mapper.class_, ident)

    def exists(self) -> Exists:
        """``EXISTS (this query)``, for ``session.query(q.exists()).scalar()``."""
        return Exists(self.statement)

    def subquery(self, name: str | None = None) -> Subquery:
        """This query as a FROM entry."""
        return self.statement.subquery(name)

    def scalar_subquery(self) -> Any:
        """This query as a value."""
        return self.statement.scalar_subquery()

    def cte(self, name: str | None = None, recursive: bool = False) -> Any:
        """This query as a common table expression."""
        return self.statement.cte(name, recursive)

    def label(self, name: str) -> Any:
        """This query as a labeled scalar value."""
        return self.statement.label(name)

    def union(self, *queries: Query[Any]) -> Query[_T]:
        """UNION with other queries."""
        compound = self.statement.union(*[q.statement for q in queries])
        return self._from_compound(compound)

    def union_all(self, *queries: Query[Any]) -> Query[_T]:
        """UNION ALL with other queries."""
        compound = self.statement.union_all(*[q.statement for q in queries])
        return self._from_compound(compound)

    def _from_compound(self, compound: Any) -> Query[_T]:
        sub = compound.subquery()
        mapper = self._primary_mapper()
        if mapper is None or not self._single_entity():
            return self._copy(Select(sub))
        columns = [sub.c[c.name] for c in mapper.local_table.columns]
        stmt = Select(*columns)
        new = self._copy(stmt)
        stmt._raw_entities = self._entities
        return new

    def delete(self, synchronize_session: Any = "auto") -> int:
        """DELETE the rows this query matches; returns how many."""
        mapper = self._primary_mapper()
        if mapper is None:
            raise exc.InvalidRequestError("delete() needs a query of a mapped class")
        stmt = delete(mapper.class_).where(*self.statement._where_criteria)
        options = {"synchronize_session": synchronize_session}
        params = self.__dict__.get("_params")
        listeners = type(self).class_dispatch.before_compile_delete
        if listeners:
            context = BulkContext(self._session(), stmt, params, options, mapper, None)
            for listener in listeners:
                listener(self, context)
        result = self._session().execute(stmt, params, execution_options=options)
        return int(result.rowcount)

    def update(self, values: Mapping[Any, Any], synchronize_session: Any = "auto") -> int:
        """UPDATE the rows this query matches with ``values``; returns how many."""
        mapper = self._primary_mapper()
        if mapper is None:
            raise exc.InvalidRequestError("update() needs a query of a mapped class")
        resolved = {
            resolve(k) if not isinstance(k, str) else mapper.attrs[k].column: v
            for k, v in values.items()
        }
        stmt = update(mapper.class_).where(*self.statement._where_criteria).values(resolved)
        options = {"synchronize_session": synchronize_session}
        params = self.__dict__.get("_params")
        listeners = type(self).class_dispatch.before_compile_update
        if listeners:
            context = BulkContext(self._session(), stmt, params, options, mapper, None)
            for listener in listeners:
                listener(self, context)
        result = self._session().execute(stmt, params, execution_options=options)
        return int(result.rowcount)

    def __getitem__(self, item: int | builtins.slice) -> Any:
        if isinstance(item, slice):
            if item.step not in (None, 1):
                raise exc.ArgumentError("Query slices take no step")
            start = item.start or 0
            if start < 0 or (item.stop is not None and item.stop < 0):
                return list(self)[item]
            q = self.offset(start) if start else self
            if item.stop is not None:
                q = q.limit(max(item.stop - start, 0))
            return q.all()
        if item < 0:
            return list(self)[item]
        rows = self.offset(item).limit(1).all()
        if not rows:
            raise IndexError(f"query index {item} out of range")
        return rows[0]

    def __str__(self) -> str:
        return str(self.statement)

    def __repr__(self) -> str:
        return f"<Query {str(self.statement)!r}>"


def _entity_mapper(entity: Any) -> Any:
    """The mapper of a mapped class or of an aliased() one, else None."""
    return mapper_of(getattr(entity, "_ok_aliased_mapper", None) or entity)


def _check_entity(entity: Any) -> None:
    if isinstance(entity, type) and mapper_of(entity) is None:
        raise exc.UnmappedClassError(
            f"query() got the class {entity.__name__}, which is not mapped; query a class made "
            "with your declarative base, or a column expression"
        )
    if isinstance(entity, el.ClauseElement | Exists) or hasattr(entity, "__clause_element__"):
        return
    if not isinstance(entity, type):
        raise exc.ArgumentError(
            f"query() takes mapped classes and column expressions, got {entity!r}"
        )


def _query_dispatchers(target: Any) -> list[Dispatch] | None:
    """Listeners of Query events go to a Query class (every query of it)."""
    if isinstance(target, type) and issubclass(target, Query):
        return [target.class_dispatch]
    return None


register_family(QUERY_EVENTS, _query_dispatchers)
