"""The ORM's events: Session, Mapper, Instance, Attribute and Query families, and where the
listeners given to mapped classes are kept.

A listener given to a class (a mapped class, a mixin or base with ``propagate=True``, or
``Mapper`` for every mapped class) goes to that class's *hold*; each mapped class's mapper has
a dispatcher that draws from the holds along its class's MRO (from a base's hold, only the
``propagate=True`` listeners), so a subclass declared later finds them, and firing reads one
tuple. The modules that do the work fire the events; those that own a kind of target
register its resolver (``session.py``, ``scoping.py``, ``attributes.py``, ``query.py``).
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ormkit import inspection
from ormkit.event.registry import Dispatch, EventDef, EventFamily

if TYPE_CHECKING:
    from ormkit.orm.mapper import Mapper
    from ormkit.orm.session import Session


def _state_of(obj: Any) -> Any:
    return inspection.inspect(obj)


def _second(args: tuple[Any, ...]) -> Any:
    return args[1]  # set(target, value, ...) / append(target, value, ...): the value


def _first(args: tuple[Any, ...]) -> Any:
    return args[0]  # before_compile(query): the query


#: The Session events of an object moving from one state to another.
LIFECYCLE_EVENTS = (
    "transient_to_pending",
    "pending_to_transient",
    "pending_to_persistent",
    "persistent_to_transient",
    "persistent_to_deleted",
    "deleted_to_persistent",
    "deleted_to_detached",
    "persistent_to_detached",
    "detached_to_persistent",
    "loaded_as_persistent",
)

SESSION_EVENTS = EventFamily(
    "Session",
    {
        "before_flush": EventDef(("session", "flush_context", "instances")),
        "after_flush": EventDef(("session", "flush_context")),
        "after_flush_postexec": EventDef(("session", "flush_context")),
        "after_begin": EventDef(("session", "transaction", "connection")),
        "before_commit": EventDef(("session",)),
        "after_commit": EventDef(("session",)),
        "after_rollback": EventDef(("session",)),
        "after_soft_rollback": EventDef(("session", "previous_transaction")),
        "after_transaction_create": EventDef(("session", "transaction")),
        "after_transaction_end": EventDef(("session", "transaction")),
        "before_attach": EventDef(("session", "instance"), instance_arg=1),
        "after_attach": EventDef(("session", "instance"), instance_arg=1),
        "after_bulk_update": EventDef(("update_context",)),
        "after_bulk_delete": EventDef(("delete_context",)),
        "do_orm_execute": EventDef(("orm_execute_state",)),
        **{name: EventDef(("session", "instance"), instance_arg=1) for name in LIFECYCLE_EVENTS},
    },
    raw=True,
    state_of=_state_of,
    # listeners of load-time events run once the load is done, so a load they start never
    # disturbs the one that fired them: restore_load_context=True is how they always run
    extra_flags=frozenset({"restore_load_context"}),
)

#: The Mapper events around each object's INSERT, UPDATE and DELETE in a flush.
PERSISTENCE_EVENTS = (
    "before_insert",
    "after_insert",
    "before_update",
    "after_update",
    "before_delete",
    "after_delete",
)

MAPPER_EVENTS = EventFamily(
    "Mapper",
    {
        **{
            name: EventDef(("mapper", "connection", "target"), instance_arg=2)
            for name in PERSISTENCE_EVENTS
        },
        "mapper_configured": EventDef(("mapper", "class_")),
        "before_mapper_configured": EventDef(("mapper", "class_")),
        "after_mapper_constructed": EventDef(("mapper", "class_")),
        "instrument_class": EventDef(("mapper", "class_")),
        "before_configured": EventDef(()),
        "after_configured": EventDef(()),
    },
    propagates=True,
    raw=True,
    state_of=_state_of,
)

INSTANCE_EVENTS = EventFamily(
    "Instance",
    {
        "first_init": EventDef(("manager", "cls")),
        "init": EventDef(("target", "args", "kwargs"), instance_arg=0),
        "init_failure": EventDef(("target", "args", "kwargs"), instance_arg=0),
        "load": EventDef(("target", "context"), instance_arg=0),
        "refresh": EventDef(("target", "context", "attrs"), instance_arg=0),
        "refresh_flush": EventDef(("target", "flush_context", "attrs"), instance_arg=0),
        "expire": EventDef(("target", "attrs"), instance_arg=0),
        "pickle": EventDef(("target", "state_dict"), instance_arg=0),
        "unpickle": EventDef(("target", "state_dict"), instance_arg=0),
    },
    propagates=True,
    raw=True,
    state_of=_state_of,
    extra_flags=frozenset({"restore_load_context"}),  # always so, as for Session events
)

ATTRIBUTE_EVENTS = EventFamily(
    "Attribute",
    {
        "set": EventDef(("target", "value", "oldvalue", "initiator"), _second, instance_arg=0),
        "append": EventDef(("target", "value", "initiator"), _second, instance_arg=0),
        "append_wo_mutation": EventDef(("target", "value", "initiator"), instance_arg=0),
        "remove": EventDef(("target", "value", "initiator"), instance_arg=0),
        "bulk_replace": EventDef(("target", "values", "initiator"), instance_arg=0),
        "init_scalar": EventDef(("target", "value", "dict_"), _second, instance_arg=0),
        "init_collection": EventDef(("target", "collection", "collection_adapter"), instance_arg=0),
        "dispose_collection": EventDef(
            ("target", "collection", "collection_adapter"), instance_arg=0
        ),
        "modified": EventDef(("target", "initiator"), instance_arg=0),
    },
    propagates=True,
    raw=True,
    state_of=_state_of,
    extra_flags=frozenset({"active_history"}),
)

REGISTRY_EVENTS = EventFamily(
    "Registry",
    {
        "before_configured": EventDef(("registry",)),
        "after_configured": EventDef(("registry",)),
        "resolve_type_annotation": EventDef(("resolve_type",)),
    },
)


class TypeResolve:
    """What a ``resolve_type_annotation`` listener is told: the class and attribute whose
    ``Mapped[...]`` annotation needs a SQL type, the Python type found in it, and the
    registry's type_annotation_map. A listener returns a type (or None to leave it)."""

    def __init__(
        self, cls: type, key: str, python_type: Any, type_annotation_map: Mapping[Any, Any]
    ) -> None:
        self.cls = cls
        self.key = key
        self.raw_type = self.resolved_type = python_type
        self.type_annotation_map = type_annotation_map


#: The dispatcher of attributes nobody listens to: shared, never given a listener (the
#: attribute resolver gives an attribute its own first).
NO_ATTRIBUTE_LISTENERS = Dispatch(ATTRIBUTE_EVENTS)


class AttributeEvent:
    """The ``initiator`` of an attribute event: the attribute, and what happened to it
    (``op``: one of the ``OP_*`` constants of ``ormkit.orm.attributes``)."""

    def __init__(self, attribute: Any, op: Any) -> None:
        self.impl = self.attribute = attribute
        self.key: str = attribute.key
        self.op = op

    def __repr__(self) -> str:
        return f"<AttributeEvent {self.op} {self.attribute!r}>"


QUERY_EVENTS = EventFamily(
    "Query",
    {
        "before_compile": EventDef(("query",), _first),
        "before_compile_update": EventDef(("query", "update_context")),
        "before_compile_delete": EventDef(("query", "delete_context")),
    },
)


class ClassHolds:
    """The listeners one family's events were given on classes, and the dispatchers of the
    mapped classes they reach (see the module docstring)."""

    def __init__(self, family: EventFamily) -> None:
        self.family = family
        #: Listeners for every mapped class (given to ``Mapper``).
        self.everywhere = Dispatch(family)
        self._holds: weakref.WeakKeyDictionary[type, Dispatch] = weakref.WeakKeyDictionary()
        #: (mapped class, its dispatcher) of every mapped class alive.
        self._mapped: weakref.WeakKeyDictionary[type, Dispatch] = weakref.WeakKeyDictionary()

    def hold(self, cls: type) -> Dispatch:
        """The listeners given to ``cls``; made, and joined to the mapped classes it reaches,
        the first time."""
        found = self._holds.get(cls)
        if found is None:
            found = self._holds[cls] = Dispatch(self.family)
            for mapped, dispatch in list(self._mapped.items()):
                if issubclass(mapped, cls):
                    dispatch.inherit(found, propagating_only=mapped is not cls)
        return found

    def dispatch_for(self, cls: type, owner: Any) -> Dispatch:
        """The dispatcher of the mapped class ``cls``: every listener that reaches it."""
        dispatch = self.everywhere.child(owner)
        for base in cls.__mro__:
            held = self._holds.get(base)
            if held is not None:
                dispatch.inherit(held, propagating_only=base is not cls)
        self._mapped[cls] = dispatch
        return dispatch

    def gathered(self, name: str, classes: list[type]) -> list[Any]:
        """The listeners of ``name`` for a configuration of ``classes``: given to ``Mapper``,
        or to any of the classes or their bases (propagate or not), each once."""
        found = list(self.everywhere.__dict__[name])
        for cls in classes:
            for base in cls.__mro__:
                held = self._holds.get(base)
                if held is not None:
                    found.extend(c for c in held.__dict__[name] if c not in found)
        return found

    def resolver(self, mapper_class: type) -> Any:
        """The resolver of this family's targets (see ormkit.event.registry): a mapper, the
        ``mapper_class`` itself (every mapped class), or a class (mapped or not)."""

        def resolve(target: Any) -> list[Dispatch] | None:
            if isinstance(target, mapper_class):
                return [self.hold(target.class_)]  # type: ignore[attr-defined]
            if isinstance(target, type):
                if issubclass(target, mapper_class):
                    return [self.everywhere]
                if _is_mappable(target):
                    return [self.hold(target)]
            return None

        return resolve


def _is_mappable(cls: type) -> bool:
    """A mapped class, or one that mapped classes may come from (a declarative base, a
    mixin): any class but builtins' and ormkit's own non-mapped ones."""
    module = getattr(cls, "__module__", "")
    return module != "builtins" and not (
        module.startswith("ormkit.") and getattr(cls, "__mapper__", None) is None
    )


MAPPER_HOLDS = ClassHolds(MAPPER_EVENTS)
INSTANCE_HOLDS = ClassHolds(INSTANCE_EVENTS)

_CONSTRUCTOR_EVENTS = ("first_init", "init", "init_failure")


def watch_constructor(mapper: Mapper) -> None:
    """Once anyone listens for init events of ``mapper``'s class, its ``__init__`` is wrapped
    to fire them; until then constructing an object costs nothing more."""

    def changed(name: str) -> None:
        if name in _CONSTRUCTOR_EVENTS and getattr(mapper.instance_dispatch, name):
            _wrap_constructor(mapper)

    mapper.instance_dispatch.on_change = changed
    for name in _CONSTRUCTOR_EVENTS:  # listeners given to a base before the class existed
        changed(name)


def _wrap_constructor(mapper: Mapper) -> None:
    cls = mapper.class_
    if getattr(cls.__dict__.get("__init__"), "_ok_fires_init_events", False):
        return
    original: Any = cls.__init__  # type: ignore[misc]  # the class's own or inherited one
    dispatch = mapper.instance_dispatch
    first = [True]

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if first[0] and dispatch.first_init:
            first[0] = False
            for listener in dispatch.first_init:
                listener(mapper, cls)
        for listener in dispatch.init:  # they may change kwargs in place
            listener(self, args, kwargs)
        try:
            original(self, *args, **kwargs)
        except BaseException:
            for listener in dispatch.init_failure:
                listener(self, args, kwargs)
            raise

    __init__._ok_fires_init_events = True  # type: ignore[attr-defined]
    __init__.__doc__ = original.__doc__
    type.__setattr__(cls, "__init__", __init__)


class LoadContext:
    """The ``context`` of ``load`` and ``refresh`` events: the session loading."""

    def __init__(self, session: Session) -> None:
        self.session = session


class BulkContext:
    """What ``after_bulk_update`` / ``after_bulk_delete`` listeners are told about an ORM
    UPDATE or DELETE with criteria that ran: the session, the statement (``query``), its
    parameters and options, the mapper, and the result (``result.rowcount``)."""

    def __init__(
        self,
        session: Session,
        statement: Any,
        parameters: Any,
        execution_options: Mapping[str, Any],
        mapper: Mapper,
        result: Any,
    ) -> None:
        self.session = session
        self.query = self.statement = statement
        self.parameters = parameters
        self.execution_options = execution_options
        self.mapper = mapper
        self.result = result

    @property
    def values(self) -> dict[str, Any]:
        """The values an UPDATE sets, by column key (empty for a DELETE)."""
        pairs = getattr(self.statement, "_values", None) or ()
        return {
            getattr(column, "key", column): getattr(value, "value", value)  # a bound value
            for column, value in pairs
        }


class ORMExecuteState:
    """What a ``do_orm_execute`` listener is told about one ``Session.execute()``: the
    statement (assignable: a listener may give another), parameters and options, and what
    kind of statement it is; ``invoke_statement()`` runs it and returns its result, which
    a listener may return to be the result of the execution."""

    def __init__(
        self,
        session: Session,
        statement: Any,
        parameters: Any,
        execution_options: Mapping[str, Any] | None,
        bind_arguments: Mapping[str, Any] | None,
        load: str | None,
        run: Any,
    ) -> None:
        self.session = session
        self.statement = statement
        self.parameters = parameters
        #: The options given to Session.execute() (and added by listeners).
        self.local_execution_options: dict[str, Any] = dict(execution_options or {})
        #: The statement's options with those over them: what the execution runs with.
        self.execution_options: dict[str, Any] = {
            **getattr(statement, "_execution_options", {}),
            **self.local_execution_options,
        }
        self.bind_arguments: dict[str, Any] = dict(bind_arguments or {})
        #: Which kind of load made the statement ("relationship", "column"), or None.
        self._load = load
        #: The mapped entities the session loads with it, when it says (get(), loads).
        self._entities: tuple[Any, ...] = ()
        #: Runs the statement as Session.execute() would, past the do_orm_execute listeners.
        self._run = run
        #: The listeners that have not been called yet (invoke_statement() calls them).
        self._remaining: list[Any] = []

    @property
    def is_select(self) -> bool:
        """The statement is a SELECT."""
        return bool(getattr(self.statement, "is_select", False))

    @property
    def is_insert(self) -> bool:
        """The statement is an INSERT."""
        return bool(getattr(self.statement, "is_insert", False))

    @property
    def is_update(self) -> bool:
        """The statement is an UPDATE."""
        return bool(getattr(self.statement, "is_update", False))

    @property
    def is_delete(self) -> bool:
        """The statement is a DELETE."""
        return bool(getattr(self.statement, "is_delete", False))

    @property
    def is_dml(self) -> bool:
        """The statement is an INSERT, UPDATE or DELETE."""
        return self.is_insert or self.is_update or self.is_delete

    @property
    def is_orm_statement(self) -> bool:
        """The statement names a mapped class."""
        return bool(self.all_mappers)

    @property
    def is_relationship_load(self) -> bool:
        """The statement loads a relationship (lazy or eager) rather than being the caller's."""
        return self._load == "relationship"

    @property
    def is_column_load(self) -> bool:
        """The statement loads expired or deferred columns of an object already loaded."""
        return self._load == "column"

    @property
    def user_defined_options(self) -> list[Any]:
        """The statement's options() that are not loader options."""
        return [o for o in getattr(self.statement, "_with_options", ()) if _is_user_option(o)]

    @property
    def all_mappers(self) -> list[Mapper]:
        """The mappers of the mapped classes the statement selects or changes."""
        found: list[Mapper] = []
        entities = self._entities or getattr(self.statement, "_raw_entities", ()) or ()
        for entity in [*entities, getattr(self.statement, "_entity", None)]:
            mapper = getattr(entity, "__mapper__", None)
            if mapper is not None and mapper.class_ is entity and mapper not in found:
                found.append(mapper)
        return found

    @property
    def bind_mapper(self) -> Mapper | None:
        """The first mapper of the statement, or None."""
        mappers = self.all_mappers
        return mappers[0] if mappers else None

    def update_execution_options(self, **options: Any) -> None:
        """Add options for this execution."""
        self.execution_options = {**self.execution_options, **options}
        self.local_execution_options.update(options)

    def invoke_statement(
        self,
        statement: Any = None,
        params: Any = None,
        execution_options: dict[str, Any] | None = None,
        bind_arguments: dict[str, Any] | None = None,
    ) -> Any:
        """Run the statement now (the listeners after this one see it first) and return
        its result; the arguments replace or add to this execution's."""
        if statement is not None:
            self.statement = statement
        if params is not None:
            if isinstance(self.parameters, dict) and isinstance(params, dict):
                self.parameters = {**self.parameters, **params}
            else:
                self.parameters = params
        if execution_options:
            self.update_execution_options(**execution_options)
        if bind_arguments:
            self.bind_arguments = {**self.bind_arguments, **bind_arguments}
        return run_orm_execute(self)

    def __repr__(self) -> str:
        return f"<ORMExecuteState {self.statement!r}>"


def _is_user_option(option: Any) -> bool:
    return bool(getattr(option, "_is_user_defined", False))


def orm_execute(
    session: Session,
    statement: Any,
    params: Any,
    execution_options: Any,
    bind_arguments: Any,
    load: str | None,
    entities: tuple[Any, ...] | None,
    run: Any,
) -> Any:
    """``Session.execute()`` with do_orm_execute listeners: each sees the ORMExecuteState in
    turn (``load`` says which kind of load made the statement: "relationship", "column")."""
    state = ORMExecuteState(
        session, statement, params, execution_options, bind_arguments, load, run
    )
    state._entities = entities or ()
    state._remaining = list(session.dispatch.do_orm_execute)
    return run_orm_execute(state)


def run_orm_execute(state: ORMExecuteState) -> Any:
    """Call the remaining do_orm_execute listeners in turn; the first that returns a result
    ends it, else the statement runs as the state now says."""
    while state._remaining:
        listener = state._remaining.pop(0)
        result = listener(state)
        if result is not None:
            return result
    return state._run(state)
