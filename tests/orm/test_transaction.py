"""Session transactions: savepoints that survive a failed flush, Sessions joined to a caller's
Connection (join_transaction_mode), and the arguments Session and sessionmaker take."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import ormkit
from ormkit import Connection, exc, func, select
from ormkit.orm import Session, close_all_sessions, sessionmaker
from tests.orm.conftest import Models


def _names(engine: ormkit.Engine, models: Models) -> list[str]:
    with Session(engine) as s:
        return list(s.scalars(select(models.User.name).order_by(models.User.name)))


# -- a failed flush inside begin_nested() -------------------------------------------------------


def test_failed_flush_in_savepoint_keeps_good_rows_and_the_session(
    engine: ormkit.Engine, models: Models
) -> None:
    User = models.User
    with Session(engine) as session:
        session.add(User(name="outer"))
        session.flush()
        skipped = []
        for name in ["a", "outer", "b", "a", "c"]:
            try:
                with session.begin_nested():
                    session.add(User(name=name))
            except exc.IntegrityError:
                skipped.append(name)
        assert skipped == ["outer", "a"]
        assert not session.in_nested_transaction()
        session.commit()
    assert _names(engine, models) == ["a", "b", "c", "outer"]


def test_failed_flush_in_savepoint_refuses_work_until_it_is_rolled_back(
    engine: ormkit.Engine, models: Models
) -> None:
    User = models.User
    with Session(engine) as session:
        kept = User(name="kept")
        session.add(kept)
        session.commit()
        savepoint = session.begin_nested()
        duplicate = User(name="kept")
        session.add(duplicate)
        with pytest.raises(exc.IntegrityError):
            session.flush()
        assert not savepoint.is_active and not session.is_active
        assert duplicate not in session
        with pytest.raises(exc.PendingRollbackError, match="inside begin_nested\\(\\) failed"):
            session.execute(select(User))
        savepoint.rollback()
        assert session.is_active
        assert session.scalar(select(func.count()).select_from(User)) == 1
        assert kept.name == "kept"
        session.add(User(name="after"))
        session.commit()
    assert _names(engine, models) == ["after", "kept"]


def test_a_change_to_a_deleted_object_is_nothing_to_flush_after_a_failed_flush(
    engine: ormkit.Engine, models: Models
) -> None:
    User = models.User
    with Session(engine) as session:
        gone, kept = User(name="gone"), User(name="kept")
        session.add_all([gone, kept])
        session.flush()
        session.delete(gone)
        session.flush()
        session.begin_nested()
        session.add(User(name="kept"))  # a duplicate name: its flush fails
        with pytest.raises(exc.IntegrityError):
            session.flush()
        gone.name = "changed"  # its DELETE was flushed: nothing to send for it
        session.flush()  # nothing to flush, so no PendingRollbackError (as SQLAlchemy)
        assert session.merge(kept) is kept  # a merge that needs no SQL works too
        with pytest.raises(exc.PendingRollbackError, match="inside begin_nested"):
            session.execute(select(User))


def test_a_failed_flush_leaves_the_session_inactive_until_rollback(
    engine: ormkit.Engine, models: Models
) -> None:
    User = models.User
    with Session(engine) as session:
        assert session.is_active  # before anything begins, as after a commit
        session.add_all([User(name="twin"), User(name="twin")])
        with pytest.raises(exc.IntegrityError):
            session.flush()
        assert not session.is_active
        session.rollback()
        assert session.is_active


def test_nested_commit_leaves_the_savepoint_stack(session: Session, models: Models) -> None:
    with session.begin_nested():
        session.add(models.User(name="ann"))
        assert session.in_nested_transaction()
    assert not session.in_nested_transaction()
    session.commit()


@pytest.mark.parametrize("flush", [True, False])
def test_savepoint_rollback_expires_only_objects_changed_inside_it(
    session: Session, models: Models, flush: bool
) -> None:
    ann, bob = models.User(name="ann"), models.User(name="bob")
    session.add_all([ann, bob])
    session.commit()
    assert (ann.name, bob.name) == ("ann", "bob")  # loaded again after the commit
    savepoint = session.begin_nested()
    bob.name = "robert"
    if flush:
        session.flush()
    savepoint.rollback()
    assert bob not in session.dirty
    session.close()
    assert ann.name == "ann"  # kept its loaded values: readable detached
    with pytest.raises(exc.DetachedInstanceError, match="'name'"):
        bob.name  # noqa: B018 - expired by the rollback, so it cannot load detached


def test_savepoint_rollback_leaves_an_object_expunged_since_as_it_is(
    session: Session, models: Models
) -> None:
    bob = models.User(name="bob")
    session.add(bob)
    session.commit()
    savepoint = session.begin_nested()
    bob.name = "robert"
    session.flush()
    session.expunge(bob)
    savepoint.rollback()
    assert bob.name == "robert"  # as SQLAlchemy: the rollback no longer concerns it
    assert bob not in session


@pytest.mark.parametrize("changed", [False, True])
def test_savepoint_rollback_brings_back_a_deleted_object_expired_only_if_it_had_changes(
    session: Session, models: Models, changed: bool
) -> None:
    """As SQLAlchemy: a flushed DELETE undone by the rollback leaves the object's values as
    they were, unless it was changed before it was deleted."""
    ann = models.User(name="ann")
    session.add(ann)
    session.commit()
    assert ann.name == "ann"
    savepoint = session.begin_nested()
    if changed:
        ann.name = "anne"
    session.delete(ann)
    session.flush()
    savepoint.rollback()
    assert ormkit.inspect(ann).persistent and ann in session
    assert ("name" in ann.__dict__) is not changed
    session.close()
    if changed:
        with pytest.raises(exc.DetachedInstanceError, match="'name'"):
            ann.name  # noqa: B018 - expired by the rollback, so it cannot load detached
    else:
        assert ann.name == "ann"


def test_rollback_with_savepoints_open_expires_what_they_would(
    session: Session, models: Models
) -> None:
    """session.rollback() ends the open savepoints first: an object changed inside one is
    expired, so the INSERT rolled back with it leaves a transient object with no values."""
    ann, bob = models.User(name="ann"), models.User(name="bob")
    session.add_all([ann, bob])
    session.flush()
    session.begin_nested()
    bob.name = "robert"
    session.rollback()
    assert ann.name == "ann"  # unchanged since before the savepoint: its values are kept
    with pytest.raises(exc.DetachedInstanceError, match=r"expired and its row rolled back.*'nam"):
        bob.name  # noqa: B018 - expired by the savepoint's rollback
    assert ormkit.inspect(bob).transient and not session.in_nested_transaction()


@pytest.mark.parametrize("end", ["commit", "rollback", "close", "savepoint commit"])
def test_an_ended_savepoint_cannot_be_ended_again(
    session: Session, models: Models, end: str
) -> None:
    savepoint = session.begin_nested()
    if end == "savepoint commit":
        savepoint.commit()
    else:
        getattr(session, end)()
    assert not savepoint.is_active
    pending = models.User(name="ann")
    session.add(pending)
    with pytest.raises(exc.ResourceClosedError, match=r"begin_nested\(\) transaction"):
        savepoint.commit()
    assert pending in session.new  # the refused commit flushed nothing
    with pytest.raises(exc.ResourceClosedError, match="already ended"):
        savepoint.rollback()


def test_savepoint_block_ended_inside_leaves_quietly(session: Session, models: Models) -> None:
    with session.begin_nested():
        session.add(models.User(name="ann"))
        session.commit()
    assert not session.in_transaction()


def test_refused_delete_begins_no_transaction(session: Session, models: Models) -> None:
    with pytest.raises(exc.InvalidRequestError, match="not persisted"):
        session.delete(models.User(name="ann"))
    assert not session.in_transaction()


def test_refused_add_begins_no_transaction(session: Session, models: Models) -> None:
    ann = models.User(name="ann")
    session.add(ann)
    session.commit()
    session.delete(ann)
    session.commit()  # ann's row is gone for good
    with pytest.raises(exc.InvalidRequestError, match=r"was deleted .*committed or expunged"):
        session.add(ann)
    assert not session.in_transaction()


def test_failed_commit_of_a_begin_block_rolls_back_and_leaves_session_usable(
    engine: ormkit.Engine, models: Models
) -> None:
    User = models.User
    with Session(engine) as session:
        session.add(User(name="ann"))
        session.commit()
        with pytest.raises(exc.IntegrityError), session.begin():
            session.add(User(name="ann"))
        assert session.scalar(select(func.count()).select_from(User)) == 1


def test_core_savepoint_failure_keeps_the_outer_transaction(
    engine: ormkit.Engine, models: Models
) -> None:
    users = models.User.__table__
    with engine.connect() as conn:
        conn.execute(ormkit.insert(users), {"name": "outer"})
        for name in ["a", "outer", "b"]:
            try:
                with conn.begin_nested():
                    conn.execute(ormkit.insert(users), {"name": name})
            except exc.IntegrityError:
                pass
        conn.commit()
    assert _names(engine, models) == ["a", "b", "outer"]


# -- join_transaction_mode ----------------------------------------------------------------------


@pytest.fixture
def outer(engine: ormkit.Engine, models: Models) -> Iterator[Connection]:
    """A Connection in a transaction that the test rolls back, as a per-test fixture would."""
    conn = engine.connect()
    trans = conn.begin()
    yield conn
    if trans.is_active:
        trans.rollback()
    conn.close()


def test_create_savepoint_mode_commits_into_the_callers_transaction(
    engine: ormkit.Engine, models: Models, outer: Connection
) -> None:
    session = Session(bind=outer, join_transaction_mode="create_savepoint")
    session.add(models.User(name="ann"))
    session.commit()
    assert outer.in_transaction() and not outer.in_nested_transaction()
    session.add(models.User(name="bob"))
    session.flush()
    session.rollback()  # back to the Session's own savepoint: ann stays
    assert session.scalars(select(models.User.name)).all() == ["ann"]
    session.close()
    assert outer.get_transaction() is not None
    outer.rollback()
    assert _names(engine, models) == []


def test_default_mode_in_a_transaction_never_commits_it(
    engine: ormkit.Engine, models: Models, outer: Connection
) -> None:
    session = Session(bind=outer)
    session.add(models.User(name="ann"))
    session.commit()
    assert outer.in_transaction()
    assert outer.scalar(select(func.count()).select_from(models.User)) == 1
    session.close()
    assert outer.in_transaction()  # close() leaves the caller's transaction alone
    outer.rollback()
    assert _names(engine, models) == []


def test_rollback_only_mode_rolls_back_the_callers_transaction(
    models: Models, outer: Connection
) -> None:
    outer.execute(ormkit.insert(models.User.__table__), {"name": "before"})
    session = Session(bind=outer, join_transaction_mode="rollback_only")
    session.add(models.User(name="ann"))
    session.flush()
    session.rollback()
    assert not outer.in_transaction()
    assert outer.scalar(select(func.count()).select_from(models.User)) == 0


def test_control_fully_mode_commits_the_callers_transaction(
    engine: ormkit.Engine, models: Models, outer: Connection
) -> None:
    session = Session(bind=outer, join_transaction_mode="control_fully")
    session.add(models.User(name="ann"))
    session.commit()
    assert not outer.in_transaction()
    assert _names(engine, models) == ["ann"]


def test_default_mode_inside_a_savepoint_creates_its_own(
    engine: ormkit.Engine, models: Models, outer: Connection
) -> None:
    outer.begin_nested()
    session = Session(bind=outer)
    session.add(models.User(name="ann"))
    session.commit()
    assert outer.in_nested_transaction()  # the caller's savepoint is still open
    session.close()
    outer.rollback()
    assert _names(engine, models) == []


def test_default_mode_on_an_idle_connection_commits(engine: ormkit.Engine, models: Models) -> None:
    with engine.connect() as conn:
        session = Session(bind=conn)
        session.add(models.User(name="ann"))
        session.commit()
        session.close()
    assert _names(engine, models) == ["ann"]


@pytest.mark.parametrize("mode", ["create_savepoint", "rollback_only", "control_fully"])
def test_every_mode_on_an_idle_connection_commits_the_sessions_own_transaction(
    engine: ormkit.Engine, models: Models, mode: str
) -> None:
    with engine.connect() as conn:
        session = Session(bind=conn, join_transaction_mode=mode)
        session.add(models.User(name="ann"))
        session.commit()
        assert not conn.in_transaction()
        session.close()
    assert _names(engine, models) == ["ann"]


def test_control_fully_takes_the_callers_savepoint(
    engine: ormkit.Engine, models: Models, outer: Connection
) -> None:
    savepoint = outer.begin_nested()
    session = Session(bind=outer, join_transaction_mode="control_fully")
    session.add(models.User(name="ann"))
    session.commit()  # releases the caller's savepoint, not its transaction
    assert not savepoint.is_active
    assert outer.in_transaction() and not outer.in_nested_transaction()
    assert outer.scalar(select(func.count()).select_from(models.User)) == 1
    outer.rollback()
    assert _names(engine, models) == []


def test_commit_after_the_caller_ended_the_savepoint_taken_over_is_refused(
    models: Models, outer: Connection
) -> None:
    savepoint = outer.begin_nested()
    session = Session(bind=outer, join_transaction_mode="control_fully")
    session.add(models.User(name="ann"))
    session.flush()
    savepoint.rollback()  # the caller ends what it handed to the Session
    with pytest.raises(exc.InvalidRequestError, match=r"control_fully.*already ended.*rollback"):
        session.commit()
    with pytest.raises(exc.PendingRollbackError, match=r"ended by another party.*rollback\(\)"):
        session.scalars(select(models.User))
    session.rollback()
    assert session.scalars(select(models.User)).all() == []
    session.close()


def test_rollback_only_rolls_back_only_the_callers_savepoint(
    models: Models, outer: Connection
) -> None:
    outer.execute(ormkit.insert(models.User.__table__), {"name": "before"})
    outer.begin_nested()
    session = Session(bind=outer, join_transaction_mode="rollback_only")
    session.add(models.User(name="ann"))
    session.flush()
    session.rollback()
    assert outer.in_transaction() and not outer.in_nested_transaction()
    names = outer.execute(select(models.User.name)).scalars().all()
    assert names == ["before"]


def test_per_test_rollback_fixture_leaves_no_rows(engine: ormkit.Engine, models: Models) -> None:
    for name in ["first", "second"]:
        conn = engine.connect()
        trans = conn.begin()
        session = Session(bind=conn, join_transaction_mode="create_savepoint")
        session.add(models.User(name=name))
        session.commit()  # the test's own commit
        assert session.scalars(select(models.User.name)).all() == [name]
        session.close()
        trans.rollback()
        conn.close()
    assert _names(engine, models) == []


def test_unknown_join_transaction_mode_is_refused(engine: ormkit.Engine) -> None:
    with pytest.raises(exc.ArgumentError, match="join_transaction_mode='savepoint'"):
        Session(engine, join_transaction_mode="savepoint")


# -- arguments ----------------------------------------------------------------------------------


def test_future_true_is_accepted_everywhere(engine: ormkit.Engine) -> None:
    Session(engine, future=True).close()
    sessionmaker(bind=engine, future=True)().close()


@pytest.mark.parametrize(
    "make", [lambda: Session(future=False), lambda: sessionmaker(future=False)]
)
def test_future_false_is_refused(make: object) -> None:
    with pytest.raises(exc.ArgumentError, match=r"future=False: ormkit has only SQLAlchemy 2\.x"):
        make()  # type: ignore[operator]


def test_unsupported_session_arguments_are_refused(engine: ormkit.Engine) -> None:
    with pytest.raises(exc.ArgumentError, match="twophase=True"):
        Session(engine, twophase=True)
    with pytest.raises(exc.ArgumentError, match="binds="):
        Session(engine, binds={object: engine})
    with pytest.raises(TypeError, match="no_such_option"):
        Session(engine, no_such_option=1)  # type: ignore[call-arg]


def test_close_resets_only_false_ends_the_session(session: Session, engine: ormkit.Engine) -> None:
    closing = Session(engine, close_resets_only=False)
    closing.execute(select(1))
    closing.close()
    with pytest.raises(exc.InvalidRequestError, match="close_resets_only=False"):
        closing.execute(select(1))
    session.execute(select(1))
    session.close()
    session.execute(select(1))  # the default: close() only resets


def test_close_all_sessions_closes_every_session(engine: ormkit.Engine, models: Models) -> None:
    first, second = Session(engine), Session(engine)
    user = models.User(name="ann")
    first.add(user)
    second.execute(select(1))
    close_all_sessions()
    assert user not in first
    assert not second.in_transaction()
