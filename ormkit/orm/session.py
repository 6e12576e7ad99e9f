"""The Session: a unit of work over one transaction, with an identity map.

Objects move transient -> pending (``add``) -> persistent (flushed) -> detached (``close``)
or deleted. The session begins a transaction by itself when first used, takes a connection
only when SQL must be sent, flushes pending changes before queries (autoflush), and ends the
transaction with ``commit()`` or ``rollback()``; ``commit()`` with nothing to do sends nothing.
"""

from __future__ import annotations

import contextlib
import gc
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, overload

from ormkit import exc
from ormkit.event.registry import Dispatch, register_family, subclass_dispatch
from ormkit.orm import bulk, loading, merging, persistence, unitofwork
from ormkit.orm.events import SESSION_EVENTS, LoadContext, ORMExecuteState, orm_execute
from ormkit.orm.identity import IdentityMap
from ormkit.orm.mapper import Mapper, class_mapper, mapper_of, object_mapper
from ormkit.orm.registries import configure_for, configure_for_objects, configure_for_statement
from ormkit.orm.registries import pending as unconfigured_registries
from ormkit.orm.state import STATE, InstanceState, state_of
from ormkit.orm.transaction import JoinedConnection, SessionTransaction, check_join_transaction_mode
from ormkit.sql.base import check_supported
from ormkit.sql.dml import DMLStatement
from ormkit.sql.elements import and_, bindparam
from ormkit.sql.selectable import Select
from ormkit.util import IdentitySet, gc_paused

if TYPE_CHECKING:
    from ormkit.engine.base import Connection, Engine
    from ormkit.orm.query import Query
    from ormkit.orm.relationships import Relationship

_T = TypeVar("_T")


def _check_future(future: Any, what: str) -> None:
    """``future=True`` (SQLAlchemy 1.4's opt-in to 2.0 behaviour) is how ormkit always works."""
    if future is not True:
        raise exc.ArgumentError(
            f"{what} got future={future!r}: ormkit has only SQLAlchemy 2.x behaviour; drop the "
            "argument (or pass future=True)"
        )


class Session:
    """A unit of work: tracks new, changed and deleted objects, and one transaction."""

    #: The listeners of every Session of this class (each subclass has its own child).
    class_dispatch: ClassVar[Dispatch] = Dispatch(SESSION_EVENTS)

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        cls.class_dispatch = subclass_dispatch(cls)

    def __init__(
        self,
        bind: Engine | Connection | None = None,
        *,
        autoflush: bool = True,
        expire_on_commit: bool = True,
        autobegin: bool = True,
        info: dict[str, Any] | None = None,
        query_cls: type | None = None,
        autocommit: bool = False,
        n_plus_one_warning: int | None = 10,
        join_transaction_mode: str = "conditional_savepoint",
        close_resets_only: bool = True,
        future: bool = True,
        twophase: bool = False,
        enable_baked_queries: bool = True,
        binds: Mapping[Any, Any] | None = None,
    ) -> None:
        _check_future(future, "Session()")
        if twophase:
            raise exc.ArgumentError(
                "Session() got twophase=True: ormkit does not do two-phase commit"
            )
        if binds:
            raise exc.ArgumentError(
                "Session() got binds=...: ormkit sessions run on one bind; make one Session "
                "per engine instead"
            )
        # enable_baked_queries only switches SQLAlchemy's baked-query extension, which ormkit
        # does not have: either value behaves the same (statements are always cached)
        del enable_baked_queries
        self.bind = bind
        #: How a Connection given as bind is joined (see ormkit.orm.transaction).
        self.join_transaction_mode = check_join_transaction_mode(join_transaction_mode)
        #: False: close() ends the Session for good; further use raises.
        self.close_resets_only = close_resets_only
        self.autoflush = autoflush
        self.expire_on_commit = expire_on_commit
        self.autobegin = autobegin
        #: Legacy 1.x mode: every flush commits by itself (see the seed notebooks).
        self.autocommit = autocommit
        self.info = info or {}
        #: Warn (NPlusOneWarning) once a relationship is lazy-loaded this many times for the
        #: objects of one query; None turns the warning off.
        self.n_plus_one_warning = n_plus_one_warning
        self._query_cls = query_cls
        self.identity_map = IdentityMap()
        self._new: dict[int, Any] = {}
        self._deleted: dict[int, Any] = {}
        self._modified: dict[int, Any] = {}
        self._flushed_new: dict[int, Any] = {}
        self._flushed_deleted: dict[int, Any] = {}
        #: (object, relationship): orphans from delete-orphan collections expired since
        self._orphans: list[tuple[Any, Relationship]] = []
        self._connection: Connection | None = None
        self._owns_connection = True
        self._joined: JoinedConnection | None = None
        self._nested: list[SessionTransaction] = []
        self._begun = False
        self._failed: BaseException | None = None
        self._flushing = False
        self._autoflush_disabled = 0
        self._closed = False
        #: The open transaction, once begun (None until then, and after it ends).
        self._transaction: SessionTransaction | None = None
        #: Its class's listeners (or its sessionmaker's), until one is given to it alone.
        self.dispatch = type(self).class_dispatch

    # -- context manager --------------------------------------------------------------------

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    # -- state and checks -------------------------------------------------------------------

    def _check_usable(self) -> None:
        if self._failed is not None:
            original = f"{type(self._failed).__name__}: {str(self._failed).splitlines()[0]}"
            if self._nested and self._nested[-1].failed is not None:
                raise exc.PendingRollbackError(
                    "a flush inside begin_nested() failed, so the session went back to that "
                    "savepoint (work from before it is kept); it refuses further work until "
                    "the nested transaction is rolled back (leave its with block, or call its "
                    f"rollback()), or session.rollback() is called. Original error: {original}"
                )
            raise exc.PendingRollbackError(
                "this Session's transaction was rolled back because of an earlier error (a "
                "failed flush, or its transaction ended by another party); it refuses further "
                "work until you call session.rollback(). Original error: "
                f"{original}"
            )
        if self._closed:
            raise exc.InvalidRequestError(
                "this Session was closed and made with close_resets_only=False, so it cannot "
                "be used again; make a new Session"
            )

    def _autobegin(self) -> None:
        if not self._begun:
            if not self.autobegin:
                raise exc.InvalidRequestError(
                    "this Session was made with autobegin=False and no transaction is open; "
                    "call session.begin() first"
                )
            self._begun = True
            if self.dispatch.after_transaction_create:
                self._transaction_created()

    def _transaction_created(self) -> None:
        transaction = self.get_transaction()
        for listener in self.dispatch.after_transaction_create:
            listener(self, transaction)

    def _end_transaction(self, transaction: SessionTransaction | None = None) -> None:
        """The transaction is over (``transaction``: which one, when known already)."""
        listeners = self.dispatch.after_transaction_end
        if transaction is None and listeners:
            transaction = self.get_transaction()
        self._transaction = None
        self._begun = False
        if transaction is not None:
            for listener in listeners:
                listener(self, transaction)

    def get_transaction(self) -> SessionTransaction | None:
        """The open transaction (the outermost), or None."""
        if self._transaction is None and self._begun:
            # made when first asked for: a Session nobody asks pays nothing for it
            self._transaction = SessionTransaction(self)
        return self._transaction

    def get_nested_transaction(self) -> SessionTransaction | None:
        """The innermost open begin_nested() transaction, or None."""
        return self._nested[-1] if self._nested else None

    def in_transaction(self) -> bool:
        """True while the session's transaction is open (it begins on first use)."""
        return self._begun

    @property
    def is_active(self) -> bool:
        """False while a failed flush's transaction waits for rollback() (work is refused)."""
        return self._failed is None

    def in_nested_transaction(self) -> bool:
        """True while a savepoint from begin_nested() is open."""
        return bool(self._nested)

    def get_bind(self, mapper: Any = None, clause: Any = None, **kw: Any) -> Any:
        """The Engine (or Connection) the session runs SQL on. ``mapper``, ``clause`` and
        the other bind arguments choose among binds; a Session has one, so it is always it
        (a subclass may choose otherwise, see ``_check_bind_arguments``)."""
        if self.bind is None:
            raise exc.InvalidRequestError(
                "this Session is not bound to an Engine; make it with Session(engine) or "
                "sessionmaker(bind=engine)"
            )
        return self.bind

    def connection(
        self,
        bind_arguments: Mapping[str, Any] | None = None,
        execution_options: Mapping[str, Any] | None = None,
    ) -> Connection:
        """The Connection of the session's transaction (checked out on first need).

        ``execution_options`` are set on it when this call checks it out; on one already
        checked out they are not applied, with a warning, as in SQLAlchemy."""
        if bind_arguments:
            self._check_bind_arguments(bind_arguments)
        self._check_usable()
        self._autobegin()
        conn = self._connection
        if execution_options and conn is not None and not conn.closed:
            warnings.warn(
                exc.OrmkitWarning(
                    "Session.connection(execution_options=...) was given after the session's "
                    "connection was checked out, so they are not applied; pass them to "
                    "Session.execute(), or call connection() first in the transaction"
                ),
                stacklevel=2,
            )
        if conn is None or conn.closed:
            bind = self.get_bind()
            if hasattr(bind, "in_transaction"):  # a Connection given by the caller
                conn = bind
                self._owns_connection = False
                self._joined = JoinedConnection(conn, self.join_transaction_mode)
            else:
                conn = bind.connect()
                self._owns_connection = True
            self._connection = conn
            if execution_options:
                conn.execution_options(**execution_options)
            if self.dispatch.after_begin:
                for listener in self.dispatch.after_begin:
                    listener(self, self.get_transaction(), conn)
        return conn

    def _check_bind_arguments(self, bind_arguments: Mapping[str, Any]) -> None:
        """``bind_arguments`` choose the bind get_bind() gives; a Session runs on one, so
        one that names (or makes get_bind() choose) another is refused."""
        arguments = dict(bind_arguments)
        bind = arguments.pop("bind", None)
        if bind is None:
            bind = self.get_bind(**arguments)
        if bind is not self.bind:
            raise exc.ArgumentError(
                f"bind_arguments choose {bind!r}, not this Session's own bind {self.bind!r}; "
                "a Session on several binds (Session(binds=...)) is not supported yet"
            )

    def _end_connection_transaction(self, commit: bool, closing: bool = False) -> None:
        """Commit or roll back on the connection, as far as the Session may (see
        JoinedConnection for a caller's Connection)."""
        conn = self._connection
        if conn is None:
            return
        joined = self._joined
        if joined is not None:
            try:
                joined.commit() if commit else joined.rollback(closing)
            except exc.InvalidRequestError as err:
                self._failed = err  # the caller ended the transaction: nothing can go on
                raise
        elif commit:
            conn.commit()
        else:
            conn.rollback()

    # -- adding and removing objects --------------------------------------------------------

    def _state_for_add(self, obj: Any) -> InstanceState:
        state = obj.__dict__.get(STATE) if hasattr(obj, "__dict__") else None
        if state is not None:
            return state  # type: ignore[no-any-return]
        try:
            mapper = object_mapper(obj)
        except exc.UnmappedInstanceError:
            raise exc.UnmappedInstanceError(
                f"session.add() got {type(obj).__name__} object {obj!r}, whose class is not "
                "mapped; only instances of mapped classes can be added"
            ) from None
        state = InstanceState(mapper)
        obj.__dict__[STATE] = state
        return state

    def add(self, instance: Any, _warn: bool = True, _cascaded: bool = False) -> None:
        """Put an object in the session: new ones are INSERTed at the next flush."""
        state = self._state_for_add(instance)
        if state.orphaned_from is not None and not _cascaded:
            self._forget_orphan(instance, state)  # as SQLAlchemy: added itself, it is kept
        if unconfigured_registries:
            configure_for(state.mapper)
        if state.key is None or not state.was_deleted:
            # As SQLAlchemy: add() of a mapped object begins before it checks where the object
            # belongs, so a refused add() leaves the transaction begun.
            self._autobegin()
        if state.session is not None and state.session is not self:
            raise exc.InvalidRequestError(
                f"{_describe(instance)} is already in another Session; expunge it from that "
                "one first, or use session.merge(obj) to copy its state here"
            )
        if state.key is None:
            listened = self.dispatch.listened and state.session is None
            if listened:
                for listener in self.dispatch.before_attach:
                    listener(self, instance)
            self._new[id(instance)] = instance
            state.session = self
            if listened:
                for listener in self.dispatch.after_attach:
                    listener(self, instance)
                self._lifecycle_event("transient_to_pending", instance)
            if state.orphaned_from is not None:
                self._orphans.extend((instance, rel) for rel in state.orphaned_from)
            if state.mapper.relationships:
                self._cascade_add(instance, state)
            return
        if state.session is self:
            if state.deleted:
                raise exc.InvalidRequestError(
                    f"{_describe(instance)} was deleted by a flush of this transaction, so "
                    "it cannot be added back; session.rollback() brings its row back, or "
                    "ormkit.orm.make_transient(obj) turns it into a new object to INSERT"
                )
            self._deleted.pop(id(instance), None)  # add() after delete() cancels the delete
            if state.mapper.relationships:  # as SQLAlchemy: related objects join it again
                self._cascade_add(instance, state)
            return
        self._attach(instance, state)
        if state.mapper.relationships:
            self._cascade_add(instance, state)

    def _attach(self, instance: Any, state: InstanceState) -> None:
        """A detached object joins the session again (no cascade: delete() attaches so)."""
        self._check_attachable(instance, state)
        listened = self.dispatch.listened
        if listened:
            for listener in self.dispatch.before_attach:
                listener(self, instance)
        state.session = self
        self.identity_map.add(state.key, instance)
        if state.orphaned_from is not None:
            self._orphans.extend((instance, rel) for rel in state.orphaned_from)
        if state.modified:
            self._modified[id(instance)] = instance
        if listened:
            for listener in self.dispatch.after_attach:
                listener(self, instance)
            self._lifecycle_event("detached_to_persistent", instance)

    def _check_attachable(self, instance: Any, state: InstanceState) -> None:
        """Refuse a detached object this session cannot take back."""
        if not state.was_deleted:
            self._autobegin()  # before the refusal below, as SQLAlchemy begins
        existing = self.identity_map.get(state.key)
        if existing is not None and existing is not instance:
            raise exc.InvalidRequestError(
                f"can't attach {_describe(instance)}: this session already holds another "
                f"object for the same row {state.key[1]!r}; use session.merge(obj)"
            )
        if state.was_deleted:
            raise exc.InvalidRequestError(
                f"{_describe(instance)} was deleted (its DELETE was flushed, then it was "
                "committed or expunged); it cannot be added again; "
                "ormkit.orm.make_transient(obj) turns it into a new object to INSERT"
            )

    def _cascade_add(self, obj: Any, state: InstanceState) -> None:
        """save-update cascade at add(): related objects already linked join the session."""
        rels = state.mapper.relationships
        if not rels:
            return
        configure_for(state.mapper)
        for rel in rels.values():
            if "save-update" not in rel.cascade or rel.viewonly:
                continue
            for item in unitofwork.related_and_removed(obj, rel):
                item_state = item.__dict__.get(STATE)
                if item_state is None or item_state.session is None or item_state.deleted:
                    # one whose DELETE was flushed is refused, as SQLAlchemy does
                    self.add(item, _cascaded=True)

    def _forget_orphan(self, instance: Any, state: InstanceState) -> None:
        state.orphaned_from = None
        self._orphans = [(item, rel) for item, rel in self._orphans if item is not instance]

    def add_all(self, instances: Sequence[Any]) -> None:
        """Add each object."""
        for instance in instances:
            self.add(instance)

    def delete(self, instance: Any) -> None:
        """Mark a persistent object for DELETE at the next flush."""
        state = self._state_for_add(instance)
        if state.key is None:
            raise exc.InvalidRequestError(
                f"{_describe(instance)} is not persisted (it was never flushed), so it cannot "
                "be deleted; to discard a pending object use session.expunge(obj)"
            )
        self._autobegin()  # as SQLAlchemy, before it checks where the object belongs
        if state.session is None:
            self._attach(instance, state)
        elif state.session is not self:
            raise exc.InvalidRequestError(f"{_describe(instance)} belongs to another Session")
        reached_by_load: set[int] = set()
        cascade = (
            self._delete_cascade(instance, state, reached_by_load)
            if state.mapper.relationships
            else ()
        )
        for item in cascade:  # all refusals first: a refused delete() marks nothing
            item_state = state_of(item)
            if item_state is None:
                continue
            if item_state.session not in (None, self):
                raise exc.InvalidRequestError(
                    f"{unitofwork.describe_row(item)} belongs to another Session, so delete() "
                    f"of {unitofwork.describe_row(instance)} cannot cascade to it; expunge it "
                    "from that session first"
                )
            if item_state.session is None and item_state.key is not None:
                self._check_attachable(item, item_state)
        self._deleted[id(instance)] = instance
        for item in cascade:
            item_state = state_of(item)
            if item_state is None:
                continue
            if item_state.session is None and item_state.key is not None:
                self._attach(item, item_state)  # as SQLAlchemy: a detached one is deleted too
            if item_state.session is not self:
                continue
            if item_state.key is not None:
                self._deleted[id(item)] = item
            elif id(item) in reached_by_load and id(item) in self._new:
                # a new child linked to an unloaded collection: SQLAlchemy's load autoflushes
                # it, to delete it with its parent; ormkit never writes it
                self._detach(item, item_state)
            # a new child in a loaded collection stays new, as in SQLAlchemy (its INSERT then
            # points at the deleted parent, and the flush fails on the foreign key)

    def _delete_cascade(
        self, instance: Any, state: InstanceState, reached_by_load: set[int]
    ) -> list[Any]:
        """What delete() cascades to, loading unloaded collections at any depth without
        autoflush (SQLAlchemy autoflushes there, so that one delete() after another sends
        the earlier DELETEs one by one); new children not flushed yet are among them, from
        the links their backrefs made."""
        with self._no_autoflush():
            return unitofwork.delete_cascaded(instance, reached_by_load)

    def expunge(self, instance: Any) -> None:
        """Remove an object from the session; it becomes detached (or transient if new)."""
        state = state_of(instance)
        if state is None or state.session is not self:
            raise exc.InvalidRequestError(f"{_describe(instance)} is not in this Session")
        related = unitofwork.cascaded(instance, "expunge")
        self._detach_deleted_too(instance, state)
        for item in related:
            item_state = state_of(item)
            if item_state is not None and item_state.session is self:
                self._detach_deleted_too(item, item_state)

    def _detach_deleted_too(self, obj: Any, state: InstanceState) -> None:
        """Detach; an object whose DELETE was flushed stays one that was deleted (add()
        refuses it, as SQLAlchemy does, even if the transaction is later rolled back)."""
        if state.deleted:
            state.was_deleted = True
        self._detach(obj, state)

    def _detach(self, obj: Any, state: InstanceState) -> None:
        event = None
        if self.dispatch.listened:
            event = _leaving_event(self, obj, state)
        key = id(obj)
        self._new.pop(key, None)
        self._deleted.pop(key, None)
        self._modified.pop(key, None)
        # an object inserted in this transaction stays in _flushed_new: rollback() must still
        # make it transient, since its row goes away
        self._flushed_deleted.pop(key, None)  # its row stays deleted: it is only detached
        state.deleted = False
        if state.key is not None:
            self.identity_map.discard(state.key, obj)
        state.session = None
        if event is not None:
            self._lifecycle_event(event, obj)

    def _evict(self, stale: Any) -> None:
        """A new row took the key of an object attached for a row that no longer exists
        (INSERTed, rolled back, detached, then added again): that object is detached."""
        self._modified.pop(id(stale), None)
        stale.__dict__[STATE].session = None

    def expunge_all(self) -> None:
        """Remove every object from the session."""
        leaving = _everything_leaving(self) if self.dispatch.listened else ()
        # every set is cleared below, so detaching is just "belongs to no session"
        for group in (
            self.identity_map.values(),
            self._new.values(),
            self._deleted.values(),
            self._flushed_deleted.values(),
        ):
            for obj in group:
                state = obj.__dict__.get(STATE)
                if state is not None and state.session is self:
                    state.session = None
        for obj in self._flushed_deleted.values():
            state = obj.__dict__[STATE]
            if state.deleted:  # close() cleared it first: its rollback brings the row back
                state.deleted, state.was_deleted = False, True
        self.identity_map.clear()
        self._new.clear()
        self._deleted.clear()
        self._modified.clear()
        self._flushed_new.clear()
        self._flushed_deleted.clear()
        self._orphans.clear()
        for event, obj in leaving:
            self._lifecycle_event(event, obj)

    def __contains__(self, instance: Any) -> bool:
        state = state_of(instance)
        return state is not None and state.session is self and not state.deleted

    def __iter__(self) -> Iterator[Any]:
        return iter([*self._new.values(), *self.identity_map.values()])

    @property
    def new(self) -> IdentitySet[Any]:
        """Objects added and not yet flushed."""
        return IdentitySet(self._new.values())

    @property
    def dirty(self) -> IdentitySet[Any]:
        """Persistent objects with changed attributes (see is_modified() for real changes)."""
        return IdentitySet(
            o
            for o in self._modified.values()
            if id(o) not in self._deleted and not o.__dict__[STATE].deleted
        )

    @property
    def deleted(self) -> IdentitySet[Any]:
        """Objects marked for deletion and not yet flushed."""
        return IdentitySet(self._deleted.values())

    def is_modified(self, instance: Any, include_collections: bool = True) -> bool:
        """True when an attribute of ``instance`` now differs from its loaded value."""
        state = state_of(instance)
        if state is None:
            if mapper_of(type(instance)) is None:
                raise exc.UnmappedInstanceError(f"{_describe(instance)} is not a mapped object")
            state = InstanceState(object_mapper(instance))  # never tracked: nothing set yet
        return unitofwork.is_modified(instance, state, include_collections)

    # -- flushing ---------------------------------------------------------------------------

    @property
    def no_autoflush(self) -> contextlib.AbstractContextManager[Session]:
        """``with session.no_autoflush:`` queries inside do not flush first."""
        return self._no_autoflush()

    @contextlib.contextmanager
    def _no_autoflush(self) -> Iterator[Session]:
        self._autoflush_disabled += 1
        try:
            yield self
        finally:
            self._autoflush_disabled -= 1

    def _autoflush(self) -> None:
        if self.autoflush and not self._autoflush_disabled and not self._flushing:
            self.flush()

    def _has_changes(self) -> bool:
        if self._new or self._deleted:
            return True
        modified = self._modified
        # a change to an object whose DELETE was flushed is kept (a rollback brings the
        # object back) but is nothing to flush
        return bool(modified) and any(not o.__dict__[STATE].deleted for o in modified.values())

    def flush(self, objects: Sequence[Any] | None = None) -> None:
        """Send pending INSERTs, UPDATEs and DELETEs in the session's transaction."""
        if self._flushing:
            raise exc.InvalidRequestError("flush() called while already flushing")
        if self._failed is not None:
            unitofwork.drop_new_orphans(self)  # as SQLAlchemy, before it refuses the flush
        if not self._has_changes():
            return  # nothing to send: fine even after a failed flush, as in SQLAlchemy
        self._check_usable()
        if unconfigured_registries:
            configure_for_objects(
                [*self._new.values(), *self._modified.values(), *self._deleted.values()]
            )
        with gc_paused(len(self._new) + len(self._modified) + len(self._deleted)):
            self._flush(objects)

    def _flush(self, objects: Sequence[Any] | None) -> None:
        self._flushing = True
        record = persistence.FlushRecord(self)
        try:
            if self.dispatch.before_flush:
                self._before_flush(record, objects)
            for obj in self._new.values():
                if obj.__dict__[STATE].expired:
                    raise exc.InvalidRequestError(
                        f"{_describe(obj)} cannot be inserted: its attributes were expired "
                        "and its row rolled back, so their values are unknown; make a new "
                        "object (or set every attribute again) instead"
                    )
            unitofwork.cascade(self)
            plan = unitofwork.plan(self, objects)
            if any(s.new or s.modified or s.deleted for s in plan.steps) or plan.objects:
                persistence.run(plan, self, self.connection(), record)
            for listener in self.dispatch.after_flush:
                listener(self, record)
        except BaseException as err:
            self._flushing = False
            self._fail(err)
            raise
        self._flushing = False
        self._after_flush(plan, record, objects is None)
        for listener in self.dispatch.after_flush_postexec:
            listener(self, record)
        if self.autocommit:
            self._autocommit_release()

    def _before_flush(self, record: persistence.FlushRecord, objects: Any) -> None:
        """Run before_flush listeners; what they add, change or delete is in this flush."""
        for listener in self.dispatch.before_flush:
            listener(self, record, objects)
        if unconfigured_registries:
            configure_for_objects(
                [*self._new.values(), *self._modified.values(), *self._deleted.values()]
            )

    def _autocommit_release(self) -> None:
        """Legacy autocommit mode: end the statement's transaction, keeping loaded objects."""
        if self._connection is not None and not self._flushing:
            self._end_connection_transaction(commit=True)
            self._finish_transaction(expire=False)

    def _fail(self, err: BaseException) -> None:
        """A flush failed: the transaction is rolled back, in the database and in the objects
        (as rollback() does), and queries are refused until rollback() is called.

        Inside begin_nested() only the savepoint is rolled back, and work is refused until
        that nested transaction is rolled back."""
        innermost = self._nested[-1] if self._nested else None
        if innermost is not None and innermost.is_active:
            self._restore_savepoint(innermost)
            innermost.failed = self._failed = err
            return
        self._rollback_state()
        if not self.autocommit:
            self._failed = err
            self._begun = True  # the transaction waits for rollback()
        else:
            self._end_transaction()

    def _after_flush(self, plan: Any, record: persistence.FlushRecord, everything: bool) -> None:
        listened = self.dispatch.listened
        identity = self.identity_map
        new, flushed_new = self._new, self._flushed_new
        expressions = Mapper.maps_flushed_expressions  # (only then: the loops below pay)
        for obj in plan.switched.values():  # its row now belongs to the new object
            identity.discard(obj.__dict__[STATE].key, obj)
        for obj in record.inserted:
            state: InstanceState = obj.__dict__[STATE]
            mapper = state.mapper
            key = (mapper.class_, mapper.primary_key_from_instance(obj))
            state.key = key
            stale = identity.get(key)
            if stale is not None and stale is not obj:
                self._evict(stale)
            identity.add(key, obj)
            new.pop(id(obj), None)
            flushed_new[id(obj)] = obj
            state.reset_changes()
            if expressions and mapper.flush_expired_keys:
                _expire_expressions(obj, mapper)
            if listened:
                self._lifecycle_event("pending_to_persistent", obj)
        for obj in record.updated if expressions else ():
            mapper = obj.__dict__[STATE].mapper
            if mapper.flush_expired_keys:
                _expire_expressions(obj, mapper)
        touched = {id(o): o for o in plan.objects}
        touched.update({id(o): o for o in record.updated})
        if everything:
            touched.update(self._modified)
        for obj in record.deleted:
            state = obj.__dict__[STATE]
            state.deleted = True
            identity.discard(state.key, obj)
            self._deleted.pop(id(obj), None)
            self._modified.pop(id(obj), None)
            self._flushed_deleted[id(obj)] = obj
            if listened:
                self._lifecycle_event("persistent_to_deleted", obj)
        new = self._new
        for obj in touched.values():
            state = obj.__dict__[STATE]
            if state.deleted:  # its row is deleted: it keeps its changes, none was written,
                if state.mapper.relationships:  # but its collections' changes were done with
                    _reset_collections(obj, state)
                continue
            committed = state.committed
            if committed and state.key is not None:
                mapper = state.mapper
                if not committed.keys().isdisjoint(mapper.pk_keys):
                    pk = mapper.primary_key_from_instance(obj)
                    loaded = all(k in obj.__dict__ for k in mapper.pk_keys)
                    if loaded and pk != state.key[1]:  # the primary key itself changed
                        identity.discard(state.key, obj)
                        state.key = (mapper.class_, pk)
                        identity.add(state.key, obj)
            if id(obj) not in new:
                state.committed = None
                state.modified = False
                # as SQLAlchemy: links queued for an unloaded collection are done with once
                # the object is flushed; its collection loads them from the rows they wrote
                state.pending_links = None
            if state.mapper.relationships:
                _reset_collections(obj, state)
        if everything:
            self._modified.clear()
        else:
            for object_id in touched:
                self._modified.pop(object_id, None)
        for item, _ in self._orphans:  # flushed with a parent again: an orphan no more
            if item.__dict__[STATE].key is not None:
                item.__dict__[STATE].orphaned_from = None
        self._orphans.clear()
        if self._nested:
            # what rolling back each open savepoint must expire: as SQLAlchemy, the rows
            # written, not those deleted (one comes back as it was, unless it has changes)
            written = {k: o for k, o in touched.items() if not o.__dict__[STATE].deleted}
            for tx in self._nested:
                tx.changed.update(written)

    # -- transactions -----------------------------------------------------------------------

    def begin(self) -> SessionTransaction:
        """Begin the transaction explicitly; as a context manager it commits or rolls back."""
        self._check_usable()
        if self._begun:
            raise exc.InvalidRequestError(
                "a transaction is already begun on this Session (it begins by itself on first "
                "use); call commit() or rollback() first, or begin_nested() for a savepoint"
            )
        self._begun = True
        if self.dispatch.after_transaction_create:
            self._transaction_created()
        transaction = self.get_transaction()
        assert transaction is not None
        return transaction

    def begin_nested(self) -> SessionTransaction:
        """A SAVEPOINT; rolling it back undoes only the work done since."""
        self._check_usable()
        self.flush()
        conn = self.connection()
        tx = SessionTransaction(self, conn.begin_nested())
        self._nested.append(tx)
        for listener in self.dispatch.after_transaction_create:
            listener(self, tx)
        return tx

    def _forget_savepoint(self, tx: SessionTransaction) -> None:
        """Take ``tx`` and the savepoints opened inside it off the stack."""
        if tx in self._nested:
            start = self._nested.index(tx)
            ended = self._nested[start:]
            del self._nested[start:]
            for inner in reversed(ended):
                for listener in self.dispatch.after_transaction_end:
                    listener(self, inner)

    def _rollback_to_savepoint(self, tx: SessionTransaction) -> None:
        if tx.failed is None:
            self._restore_savepoint(tx)
        else:  # the database went back to it when its flush failed; what was done since goes
            self._restore_objects(tx)
        for listener in self.dispatch.after_soft_rollback:
            listener(self, tx)
        self._forget_savepoint(tx)

    def _restore_savepoint(self, tx: SessionTransaction) -> None:
        """ROLLBACK TO the savepoint, and the objects back to how they were when it began:
        those changed since (flushed inside it, or with changes not flushed) are expired,
        the others keep their values, as SQLAlchemy documents."""
        assert tx.nested is not None
        tx.nested.rollback()
        self._restore_objects(tx)

    def _restore_objects(self, tx: SessionTransaction) -> None:
        """The objects' side of rolling back to savepoint ``tx``."""
        assert tx._snapshot is not None
        changed = [*tx.changed.values(), *self._modified.values()]
        flushed_new, flushed_deleted = tx._snapshot
        for key, obj in list(self._flushed_new.items()):
            if key not in flushed_new:
                self._make_transient(obj)
        for key, obj in list(self._flushed_deleted.items()):
            if key not in flushed_deleted:
                self._restore_deleted(obj)
                if obj.__dict__[STATE].modified:
                    changed.append(obj)
        for obj in list(self._new.values()):
            self._make_transient(obj)
        self._deleted.clear()
        self._failed = None
        for obj in changed:
            state = obj.__dict__[STATE]
            if state.session is self:  # one expunged since is left alone, as in SQLAlchemy
                _expire(obj, state, None)
        self._modified.clear()

    def commit(self) -> None:
        """Flush, then COMMIT; with nothing pending and no SQL sent, nothing is sent."""
        self._check_usable()
        if not self._begun and not self._has_changes():
            return
        self._autobegin()
        for listener in self.dispatch.before_commit:
            listener(self)
        self.flush()
        self._end_connection_transaction(commit=True)
        self._finish_transaction(expire=self.expire_on_commit)

    def _finish_transaction(self, expire: bool) -> None:
        """After COMMIT: deleted objects detached, the others expired (if asked)."""
        for listener in self.dispatch.after_commit:
            listener(self)
        listened = self.dispatch.listened
        for obj in self._flushed_deleted.values():
            state = obj.__dict__[STATE]
            state.was_deleted = True
            state.deleted = False
            state.session = None
            if listened:
                self._lifecycle_event("deleted_to_detached", obj)
        self._flushed_deleted.clear()
        self._flushed_new.clear()
        if self._nested:
            self._forget_savepoint(self._nested[0])
        if expire:
            self.expire_all()
        self._release_connection()
        self._end_transaction()

    def _lifecycle_event(self, name: str, obj: Any) -> None:
        """Fire the object lifecycle event ``name`` (``pending_to_persistent``...)."""
        for listener in getattr(self.dispatch, name):
            listener(self, obj)

    def _release_connection(self) -> None:
        conn, self._connection = self._connection, None
        self._joined = None
        if conn is not None and self._owns_connection:
            conn.close()

    def rollback(self) -> None:
        """ROLLBACK: pending objects become transient, deleted ones come back, and every
        persistent object is expired so its next read shows what the database holds."""
        transaction = self.get_transaction() if self.dispatch.listened else None
        self._rollback_state()
        self._failed = None
        if transaction is not None:
            for listener in self.dispatch.after_soft_rollback:
                listener(self, transaction)
        self._end_transaction(transaction)

    def _rollback_state(self) -> None:
        """ROLLBACK, and the objects' side of it; the Session's transaction stays (ended
        by rollback(), or kept for it after a failed flush)."""
        rolled_back = self._connection is not None
        with contextlib.suppress(Exception):
            self._end_connection_transaction(commit=False)
        for tx in reversed(self._nested):  # each open savepoint's rollback, innermost first
            self._restore_objects(tx)
        for obj in [*self._flushed_new.values(), *self._new.values()]:
            self._make_transient(obj)
        for obj in list(self._flushed_deleted.values()):
            self._restore_deleted(obj)
        self._deleted.clear()
        self._new.clear()
        self._flushed_new.clear()
        self.expire_all()
        self._orphans.clear()
        if self._nested:
            self._forget_savepoint(self._nested[0])
        self._release_connection()
        self._begun = False
        if rolled_back:
            for listener in self.dispatch.after_rollback:
                listener(self)

    def _make_transient(self, obj: Any) -> None:
        state: InstanceState = obj.__dict__[STATE]
        event = "persistent_to_transient" if state.key is not None else "pending_to_transient"
        self._new.pop(id(obj), None)
        self._flushed_new.pop(id(obj), None)
        self._modified.pop(id(obj), None)
        if state.key is not None:
            self.identity_map.discard(state.key, obj)
            state.key = None
            state.flushed_values = unitofwork.values_as_flushed(obj, state)
            state.pending_links = None  # links to a row that is gone: nothing to load them into
        state.session = None
        state.reset_changes()
        if state.expired and all(k in obj.__dict__ for k in state.mapper.load_keys):
            state.expired = False  # loaded again since it was expired: nothing is unknown
        if self.dispatch.listened:
            self._lifecycle_event(event, obj)

    def _restore_deleted(self, obj: Any) -> None:
        state: InstanceState = obj.__dict__[STATE]
        state.deleted = False
        self._flushed_deleted.pop(id(obj), None)
        if state.key is not None:  # else its INSERT was undone too: it is transient now
            self.identity_map.add(state.key, obj)
            if self.dispatch.listened:
                self._lifecycle_event("deleted_to_persistent", obj)

    def close(self) -> None:
        """Detach every object, roll back and release the connection; usable again after.

        As in SQLAlchemy, objects are detached first: one flushed in the rolled-back
        transaction keeps its identity (it is detached, not transient).
        """
        for obj in self._flushed_deleted.values():
            obj.__dict__[STATE].deleted = False  # the rollback below brings the row back
        self.expunge_all()
        with contextlib.suppress(Exception):
            self._end_connection_transaction(commit=False, closing=True)
        if self._nested:
            self._forget_savepoint(self._nested[0])
        self._release_connection()
        if self.dispatch.listened:
            self._end_transaction()
        else:
            self._transaction, self._begun = None, False
        self._failed = None
        if not self.close_resets_only:
            self._closed = True

    def reset(self) -> None:
        """The same as close()."""
        self.close()

    # -- expiring and refreshing ------------------------------------------------------------

    def expire(self, instance: Any, attribute_names: Sequence[str] | None = None) -> None:
        """Forget loaded attribute values so the next read loads them from the database."""
        state = state_of(instance)
        if state is None or state.session is not self or state.key is None or state.deleted:
            raise exc.InvalidRequestError(
                f"{_describe(instance)} is not persistent within this Session (it is "
                f"{_lifecycle(state)}); only objects with a row can be expired"
            )
        related = unitofwork.cascaded(instance, "refresh-expire")  # before they are forgotten
        _expire(instance, state, attribute_names)
        if attribute_names is None:
            self._modified.pop(id(instance), None)
        self._expire_cascaded(related)

    def _expire_cascaded(self, related: list[Any]) -> None:
        """The ``refresh-expire`` cascade: related loaded objects are expired as a whole, and
        pending ones leave the session (there is nothing to load them from)."""
        for item in related:
            item_state = state_of(item)
            if item_state is None or item_state.session is not self:
                continue
            if item_state.key:
                _expire(item, item_state, None)
                self._modified.pop(id(item), None)
            elif id(item) in self._new:
                self._detach(item, item_state)

    def expire_all(self) -> None:
        """Expire every persistent object in the session."""
        refs = list(self.identity_map._refs.values())
        with gc_paused(len(refs)):
            self._expire_refs(refs)
        self._modified.clear()

    def _expire_refs(self, refs: list[Any]) -> None:
        # per mapper: what expiring removes, and the listeners of its expire event
        keys_of: dict[Any, tuple[list[str], Any]] = {}
        for ref in refs:
            obj = ref()
            if obj is None:
                continue
            d = obj.__dict__
            state = d.get(STATE)
            if state is None or state.key is None:
                continue
            found = keys_of.get(state.mapper)
            if found is None:
                mapper = state.mapper
                found = keys_of[mapper] = (_expired_keys(mapper), mapper.instance_dispatch.expire)
            keys, listeners = found
            for key in keys:
                if key in d:
                    del d[key]
            state.expired = True
            state.pending_links = None
            state.reset_changes()
            for listener in listeners:
                listener(obj, None)

    def refresh(self, instance: Any, attribute_names: Sequence[str] | None = None) -> None:
        """Load the object's attributes from the database now, discarding changes."""
        state = state_of(instance)
        if state is None or state.session is not self or state.key is None or state.deleted:
            raise exc.InvalidRequestError(
                f"{_describe(instance)} is not persistent in this Session"
                f"{' (its DELETE was flushed)' if state and state.deleted else ''}; only "
                "objects with a database row can be refreshed"
            )
        related = unitofwork.cascaded(instance, "refresh-expire")
        _expire(instance, state, attribute_names)  # local changes are discarded, not flushed
        if attribute_names is None:
            self._modified.pop(id(instance), None)  # also when the load below fails
        self._expire_cascaded(related)
        self._load_unloaded(instance, state)
        for key in attribute_names or ():  # named deferred attributes are loaded too
            if key in state.mapper.deferred_keys and key not in instance.__dict__:
                self._load_deferred(instance, state, key)
        missing = [
            k for k in (attribute_names or state.mapper.load_keys) if k not in instance.__dict__
        ]
        if missing:
            raise exc.InvalidRequestError(
                f"could not refresh {_describe(instance)}: its row no longer exists"
            )

    def _load_unloaded(self, obj: Any, state: InstanceState) -> None:
        """Load the missing attributes of one persistent object by primary key."""
        mapper = state.mapper
        row = self._row_by_pk(_pk_select(mapper), state)
        if row is None:
            return
        state.expired = False
        d = obj.__dict__
        loaded = []
        for key, value in zip(mapper.load_keys, row, strict=True):
            if key not in d:
                d[key] = value
                loaded.append(key)
        for listener in mapper.instance_dispatch.refresh:
            listener(obj, LoadContext(self), loaded)

    def _load_deferred(self, obj: Any, state: InstanceState, key: str) -> None:
        """Load deferred attribute ``key`` of one persistent object (with the other unloaded
        attributes of its group) in one SELECT by primary key."""
        mapper = state.mapper
        keys = [k for k in mapper.deferred_group(key) if k not in obj.__dict__] or [key]
        stmt = Select(*[mapper.column_attrs[k].selected(mapper) for k in keys]).where(
            _pk_criteria(mapper)
        )
        row = self._row_by_pk(stmt, state)
        if row is not None:
            obj.__dict__.update(zip(keys, row, strict=True))

    def _row_by_pk(self, stmt: Select, state: InstanceState) -> Any:
        """The row of ``stmt``, a SELECT by the primary key of ``state``'s object, sent after
        the autoflush a query makes; None when there is none (or that flush DELETEd it)."""
        params = {f"pk_{i}": v for i, v in enumerate(state.key[1])}
        self._autoflush()  # as a query would: pending changes (a DELETE, say) go out first
        if state.deleted:
            return None
        if self.dispatch.do_orm_execute:  # its listeners see column loads too
            return self.execute(stmt, params, _load="column").first()
        return self.connection().execute(stmt, params).first()

    # -- getting and merging ----------------------------------------------------------------

    def get(
        self,
        entity: type[_T],
        ident: Any,
        *,
        populate_existing: bool = False,
        with_for_update: Any = None,
        options: Any = None,
        execution_options: Mapping[str, Any] | None = None,
        bind_arguments: Mapping[str, Any] | None = None,
        identity_token: Any = None,
    ) -> _T | None:
        """The object with primary key ``ident``: from the identity map (no SQL) or loaded.

        ``execution_options`` apply to the load (``populate_existing`` and ``autoflush``
        among them); ``identity_token`` (horizontal sharding) is not supported."""
        if identity_token is not None:
            raise exc.ArgumentError(
                f"Session.get(identity_token={identity_token!r}): identity tokens (horizontal "
                "sharding) are not supported"
            )
        if bind_arguments:
            self._check_bind_arguments(bind_arguments)
        if execution_options:
            populate_existing = populate_existing or bool(
                execution_options.get("populate_existing")
            )
        mapper = _mapper_for(entity, "get")
        pk = _normalize_ident(mapper, ident)
        key = (mapper.class_, pk)
        obj = self.identity_map.get(key)
        if obj is not None and not populate_existing:
            state = obj.__dict__[STATE]
            # an object only marked for deletion is still the session's object for that row
            # (SQLAlchemy's get() returns it too); a flushed DELETE makes it gone
            if state.deleted:
                return None
            if any(k not in obj.__dict__ for k in mapper.load_keys):
                self._load_unloaded(obj, state)  # autoflushes: a DELETE may go out first
                if state.deleted:
                    return None
                if any(k not in obj.__dict__ for k in mapper.load_keys):
                    self._row_is_gone(obj, state)
                    return None
            return obj  # type: ignore[no-any-return]
        if any(v is None for v in pk):
            return None
        # only now: an object the identity map holds is returned after a failed flush too
        # (no SQL needed, as SQLAlchemy); a load must wait for rollback(). The autoflush
        # goes first, as SQLAlchemy's: it drops new orphans even when it is then refused
        if not execution_options or execution_options.get("autoflush", True):
            self._autoflush()
        self._check_usable()
        stmt = _pk_select(mapper)
        if with_for_update:
            stmt = stmt.with_for_update(
                **(with_for_update if isinstance(with_for_update, dict) else {})
            )
        params = {f"pk_{i}": v for i, v in enumerate(pk)}
        if unconfigured_registries:
            configure_for(mapper)
        if (
            not with_for_update
            and not options
            and not execution_options
            and not _has_eager(mapper)
            and not self.dispatch.do_orm_execute
        ):
            # the common case: one row, no eager loads; skip building a Result
            rows = self.connection()._rows(stmt, params)
            found = (
                loading.load_objects(self, _pk_layout(mapper), rows, populate_existing)[0]
                if rows
                else None
            )
            if self.autocommit:
                self._autocommit_release()
            return found
        result = self.execute(
            stmt,
            params,
            execution_options=execution_options,
            _entities=(mapper.class_,),
            _populate_existing=populate_existing,
            _options=tuple(options or ()),
        )
        return result.scalars().first()  # type: ignore[no-any-return]

    def _row_is_gone(self, obj: Any, state: InstanceState) -> None:
        """As SQLAlchemy: an object whose row get() found deleted (elsewhere, or by a
        rollback) is deleted; a rollback of this transaction brings it back."""
        state.deleted = True
        self.identity_map.discard(state.key, obj)
        self._modified.pop(id(obj), None)
        self._deleted.pop(id(obj), None)
        self._flushed_deleted[id(obj)] = obj

    def get_one(self, entity: type[_T], ident: Any, **kw: Any) -> _T:
        """Like get(), but NoResultFound when there is no such row."""
        found = self.get(entity, ident, **kw)
        if found is None:
            raise exc.NoResultFound(f"no {entity.__name__} row with primary key {ident!r}")
        return found

    def merge(self, instance: _T, *, load: bool = True, options: Any = None) -> _T:
        """Copy ``instance``'s state onto the session's object for the same row; return it.

        With ``load`` (the default) the session autoflushes, then loads the row when it does
        not hold it (``options`` are the loader options of that load); ``load=False`` trusts
        the copy, loads nothing and marks the result clean."""
        # no _check_usable() here: a merge that needs no SQL works after a failed flush, as
        # add() does; the flush and the load it may need check for themselves. Nor does it
        # begin a transaction by itself (as SQLAlchemy): its SQL, or attaching an object, does
        if load:
            self._autoflush()  # first, as SQLAlchemy: even when the copy is then refused
        merging.check_copy(instance, load)
        with self._no_autoflush():
            return merging.Merge(self, load, options).merge(instance)  # type: ignore[no-any-return]

    # -- running statements -----------------------------------------------------------------

    def execute(
        self,
        statement: Any,
        params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        *,
        execution_options: Mapping[str, Any] | None = None,
        bind_arguments: Any = None,
        _entities: tuple[Any, ...] | None = None,
        _populate_existing: bool = False,
        _options: Sequence[Any] = (),
        _depth: int = 0,
        _load: str | None = None,
    ) -> Any:
        """Run a statement in the session's transaction; selects of mapped classes give objects.

        ``do_orm_execute`` listeners see it first, and may change or replace it."""
        # a failed session refuses the statement when it asks for the connection: first, as
        # in SQLAlchemy, come the checks of the statement itself (criteria to evaluate)
        if isinstance(statement, str):
            raise exc.ArgumentError(
                "Session.execute() takes a statement object; wrap SQL text in text(...)"
            )
        if self.dispatch.do_orm_execute:
            if execution_options:
                check_supported(execution_options)

            def run(state: ORMExecuteState) -> Any:
                return self._execute(
                    state.statement,
                    state.parameters,
                    state.local_execution_options,
                    state.bind_arguments,
                    _entities,
                    _populate_existing,
                    _options,
                    _depth,
                )

            return orm_execute(
                self, statement, params, execution_options, bind_arguments, _load, _entities, run
            )
        return self._execute(
            statement,
            params,
            execution_options,
            bind_arguments,
            _entities,
            _populate_existing,
            _options,
            _depth,
        )

    def _execute(
        self,
        statement: Any,
        params: Any,
        execution_options: Mapping[str, Any] | None,
        bind_arguments: Any,
        _entities: tuple[Any, ...] | None,
        _populate_existing: bool,
        _options: Sequence[Any],
        _depth: int,
    ) -> Any:
        if bind_arguments:
            self._check_bind_arguments(bind_arguments)
        if execution_options:
            check_supported(execution_options)
        if unconfigured_registries:
            configure_for_statement(statement, _entities)
        options = {**getattr(statement, "_execution_options", {}), **(execution_options or {})}
        populate = _populate_existing or bool(options.get("populate_existing"))
        if options.get("autoflush", True):
            self._autoflush()
        entities = _entities or (statement._raw_entities if isinstance(statement, Select) else ())
        if isinstance(statement, DMLStatement) and _orm_target(statement) is not None:
            result: Any = bulk.execute_dml(self, statement, params, options)
        elif not any(loading.is_entity(e) for e in entities):
            result = self.connection().execute(
                statement, params, execution_options=execution_options
            )
        else:
            conn = self.connection()
            loader_options = (*getattr(statement, "_with_options", ()), *_options)
            prepared, plan = loading.prepare_select(statement, entities, loader_options, _depth)
            batch_size = options.get("yield_per")
            if batch_size is not None:  # objects made batch by batch, as the rows arrive
                loading.check_streamable(plan)
                streamed = conn.execute(prepared, params, execution_options=options)
                result = loading.streamed_objects_result(
                    self, plan, streamed, loader_options, populate, batch_size
                )
            else:
                rows = (
                    conn._rows(prepared, params)
                    if not options and (params is None or isinstance(params, Mapping))
                    else conn.execute(
                        prepared, params, execution_options=options
                    )._fetch_all_values()
                )
                result = loading.objects_result(self, plan, rows, loader_options, populate, _depth)
        if self.autocommit:
            self._autocommit_release()
        return result

    def scalars(self, statement: Any, params: Any = None, **kw: Any) -> Any:
        """The first column of each row (objects, for a select of one mapped class)."""
        return self.execute(statement, params, **kw).scalars()

    def scalar(self, statement: Any, params: Any = None, **kw: Any) -> Any:
        """The first column of the first row."""
        return self.execute(statement, params, **kw).scalar()

    @overload
    def query(self, entity: type[_T], /) -> Query[_T]: ...

    @overload
    def query(self, *entities: Any) -> Query[Any]: ...

    def query(self, *entities: Any) -> Query[Any]:
        """The legacy Query API: ``session.query(User).filter(...).all()``."""
        from ormkit.orm.query import Query

        cls = self._query_cls or Query
        return cls(entities, self)  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"<Session bind={self.bind!r} objects={len(self.identity_map) + len(self._new)}>"


def _reset_collections(obj: Any, state: InstanceState) -> None:
    """After a flush: collections start tracking afresh; write-only queues are emptied."""
    d = obj.__dict__
    for rel in state.mapper.relationships.values():
        value = d.get(rel.key)
        if value is not None and hasattr(value, "_ok_reset"):
            value._ok_reset()
        d.pop("_ok_writeonly_" + rel.key, None)


def _expire(obj: Any, state: InstanceState, attribute_names: Sequence[str] | None) -> None:
    if state.key is None:
        return
    d = obj.__dict__
    keys = attribute_names if attribute_names is not None else _expired_keys(state.mapper)
    for key in keys:
        value = d.pop(key, None)
        orphans = getattr(value, "_ok_orphans", None)
        if orphans and state.session is not None:  # the next flush still deletes them
            rel = state.mapper.relationships[key]
            state.session._orphans.extend((item, rel) for item in orphans)
    state.expired = True
    if state.pending_links:
        for key in keys:
            state.pending_links.pop(key, None)
    if attribute_names is None:
        state.reset_changes()
    elif state.committed:
        for key in attribute_names:
            state.committed.pop(key, None)
    for listener in state.mapper.instance_dispatch.expire:
        listener(obj, attribute_names)


def _expired_keys(mapper: Mapper) -> list[str]:
    """What expiring a whole object removes: its column properties and relationships."""
    return [*mapper.column_attrs, *mapper.relationships]


def _has_eager(mapper: Mapper) -> bool:
    """True when the mapper's relationships load eagerly by default."""
    return any(rel.lazy in ("selectin", "joined") for rel in mapper.relationships.values())


def _pk_layout(mapper: Mapper) -> loading.RowLayout:
    found = mapper.__dict__.get("_pk_select_layout")
    if found is None:
        ((_, found),) = loading.layout([mapper.class_])
        mapper.__dict__["_pk_select_layout"] = found
    return found  # type: ignore[no-any-return]


def _pk_select(mapper: Mapper) -> Select:
    stmt = mapper.__dict__.get("_pk_select")
    if stmt is None:
        stmt = Select(mapper.selection).where(_pk_criteria(mapper))
        mapper.__dict__["_pk_select"] = stmt
    return stmt


def _expire_expressions(obj: Any, mapper: Mapper) -> None:
    """After its INSERT or UPDATE: the object's column_property() expressions are computed
    again on the next read (``expire_on_flush``)."""
    d = obj.__dict__
    for key in mapper.flush_expired_keys:
        d.pop(key, None)


def _pk_criteria(mapper: Mapper) -> Any:
    """``pk_col = :pk_0 AND ...``: a row of ``mapper``'s table by primary key."""
    return and_(*[col == bindparam(f"pk_{i}") for i, col in enumerate(mapper.primary_key)])


def _mapper_for(entity: Any, what: str) -> Mapper:
    try:
        return class_mapper(entity)
    except exc.UnmappedClassError:
        name = getattr(entity, "__name__", repr(entity))
        raise exc.UnmappedClassError(
            f"{what}() got {name}, which is not a mapped class; pass a class made with your "
            "declarative base"
        ) from None


def _normalize_ident(mapper: Mapper, ident: Any) -> tuple[Any, ...]:
    names = mapper.pk_keys
    if isinstance(ident, Mapping):
        missing = [k for k in names if k not in ident]
        if missing:
            raise exc.InvalidRequestError(
                f"get() of {mapper.class_.__name__} needs the primary key attribute(s) "
                f"{', '.join(names)}; missing: {', '.join(missing)}"
            )
        return tuple(ident[k] for k in names)
    values = tuple(ident) if isinstance(ident, tuple | list) else (ident,)
    if len(values) != len(names):
        raise exc.InvalidRequestError(
            f"get() of {mapper.class_.__name__} takes a primary key of {len(names)} value(s) "
            f"({', '.join(names)}), got {len(values)}: {ident!r}"
        )
    return values


def _orm_target(statement: DMLStatement) -> Mapper | None:
    return mapper_of(statement._entity) if statement._entity is not None else None


def _lifecycle(state: InstanceState | None) -> str:
    if state is None or state.transient:
        return "transient"
    if state.pending:
        return "pending"
    if state.deleted:
        return "deleted"
    if state.detached:
        return "detached"
    return "in another session"


def _describe(obj: Any) -> str:
    return f"<{type(obj).__name__} at 0x{id(obj):x}>"


def _leaving_event(session: Session, obj: Any, state: InstanceState) -> str:
    """The lifecycle event of ``obj`` leaving ``session`` (expunged, closed)."""
    if state.key is None:
        return "pending_to_transient"
    if state.deleted:
        return "deleted_to_detached"
    return "persistent_to_detached"


def _everything_leaving(session: Session) -> list[tuple[str, Any]]:
    """(event, object) for every object expunge_all() takes out of ``session``."""
    seen: dict[int, tuple[str, Any]] = {}
    for group in (
        session._new.values(),
        session.identity_map.values(),
        session._deleted.values(),
        session._flushed_deleted.values(),
    ):
        for obj in group:
            state = obj.__dict__.get(STATE)
            if state is not None and state.session is session and id(obj) not in seen:
                seen[id(obj)] = (_leaving_event(session, obj, state), obj)
    return list(seen.values())


class sessionmaker:
    """A factory of Sessions with preset arguments: ``Session = sessionmaker(bind=engine)``."""

    def __init__(self, bind: Any = None, *, class_: type[Session] = Session, **kw: Any) -> None:
        if "future" in kw:
            _check_future(kw.pop("future"), "sessionmaker()")
        self.bind = bind
        self.class_ = class_
        self.kw = kw
        #: Listeners for the sessions it makes: its class's, then its own.
        self.dispatch = class_.class_dispatch.child(self)

    def __call__(self, **local_kw: Any) -> Session:
        kw = {**self.kw, **local_kw}
        kw.setdefault("bind", self.bind)
        session = self.class_(**kw)
        session.dispatch = self.dispatch
        return session

    def begin(self) -> contextlib.AbstractContextManager[Session]:
        """A new session in a transaction: committed at the end, rolled back on error."""
        return self._begin()

    @contextlib.contextmanager
    def _begin(self) -> Iterator[Session]:
        with self() as session, session.begin():
            yield session

    def configure(self, **kw: Any) -> None:
        """Change the arguments future sessions get."""
        if "bind" in kw:
            self.bind = kw.pop("bind")
        self.kw.update(kw)

    def __repr__(self) -> str:
        return f"sessionmaker(class_={self.class_.__name__}, bind={self.bind!r})"


def close_all_sessions() -> None:
    """Close every Session in memory (as each one's close() does).

    Sessions are found by walking the garbage collector's objects rather than kept in a
    registry, so that only callers of this (mostly test teardowns) pay for it.
    """
    for obj in gc.get_objects():
        if isinstance(obj, Session):
            obj.close()


def _session_dispatchers(target: Any) -> list[Dispatch] | None:
    """Where listeners of Session events on ``target`` go: a Session class for every session
    of it, a sessionmaker for the sessions it makes (now and later), a session for itself."""
    if isinstance(target, type):
        return [target.class_dispatch] if issubclass(target, Session) else None
    if isinstance(target, Session):
        if not target.dispatch.owned_by(target):
            target.dispatch = target.dispatch.child(target)
        return [target.dispatch]
    if isinstance(target, sessionmaker):
        return [target.dispatch]
    return None


register_family(SESSION_EVENTS, _session_dispatchers)
