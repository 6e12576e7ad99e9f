"""Object lifecycle edges, as SQLAlchemy documents them: deleted objects expunged or added
back, a stale object evicted by a new row with its key, the keys a failed flush generated,
and a change that begins the transaction.

Each was found by the differential test (tests/compat/test_session_differential.py).
"""

from __future__ import annotations

from typing import Any

import pytest

import ormkit
from ormkit import exc, inspect, select
from ormkit.orm import Session, make_transient, make_transient_to_detached

from .conftest import Models


def test_expunge_of_a_flushed_deleted_object_leaves_it_detached_only(
    engine: ormkit.Engine, seeded: Models
) -> None:
    User = seeded.User
    with Session(engine) as s:
        fred = s.get(User, 4)
        s.delete(fred)
        s.flush()
        assert inspect(fred).deleted
        s.expunge(fred)
        state = inspect(fred)
        assert state.detached and not state.deleted
        assert fred not in s and list(s.deleted) == []
        s.rollback()  # the row comes back; the expunged object stays out of the session
        assert fred not in s
        again = s.get(User, 4)
        assert again is not fred and again.name == "fred"


@pytest.mark.parametrize("expunging", ["expunge", "expunge_all"])
def test_an_object_expunged_after_its_delete_was_flushed_cannot_be_added_again(
    engine: ormkit.Engine, seeded: Models, expunging: str
) -> None:
    User = seeded.User
    with Session(engine) as s:
        fred = s.get(User, 4)
        s.delete(fred)
        s.flush()
        getattr(s, expunging)(*([fred] if expunging == "expunge" else []))
        assert inspect(fred).was_deleted and inspect(fred).detached
        refused = r"<User at .*> was deleted \(its DELETE was flushed.*make_transient"
        with pytest.raises(exc.InvalidRequestError, match=refused):
            s.add(fred)
        assert fred not in s
        s.commit()
    with Session(engine) as s:
        assert s.get(User, 4) is None


def test_add_of_a_flushed_deleted_object_is_refused(engine: ormkit.Engine, seeded: Models) -> None:
    User = seeded.User
    with Session(engine) as s:
        fred = s.get(User, 4)
        s.delete(fred)
        s.flush()
        refused = r"<User at .*deleted by a flush.*make_transient"
        with pytest.raises(exc.InvalidRequestError, match=refused):
            s.add(fred)
        assert inspect(fred).deleted  # nothing changed: the DELETE still commits
        s.commit()
    with Session(engine) as s:
        assert s.get(User, 4) is None


def test_add_after_delete_before_the_flush_cancels_the_delete(
    engine: ormkit.Engine, seeded: Models
) -> None:
    User = seeded.User
    with Session(engine) as s:
        ed = s.get(User, 1)
        s.delete(ed)
        s.add(ed)
        assert list(s.deleted) == []
        s.commit()
        assert s.get(User, 1) is ed


def test_failed_flush_leaves_the_primary_keys_it_generated(
    engine: ormkit.Engine, models: Models
) -> None:
    """The rollback makes the INSERTed objects transient; their attributes stay unchanged."""
    User, Address = models.User, models.Address
    with Session(engine) as s:
        ann = User(name="ann")
        s.add(ann)
        s.add(Address(email="no user"))  # user_id is NOT NULL: this INSERT fails
        with pytest.raises(exc.IntegrityError):
            s.flush()
        generated = ann.id
        assert isinstance(generated, int)
        assert inspect(ann).transient
        s.rollback()
        s.add(ann)
        s.add(Address(email="ann@x", user_id=generated))
        s.commit()
        assert ann.id == generated
    with Session(engine) as s:
        assert s.scalars(select(User.id).where(User.name == "ann")).all() == [generated]


def test_new_row_taking_the_key_of_a_stale_object_evicts_it(
    engine: ormkit.Engine, models: Models
) -> None:
    User = models.User
    with Session(engine) as s:
        ann = User(name="ann")
        s.add(ann)
        s.flush()
        key = ann.id
        s.close()  # the INSERT is rolled back; ann keeps the identity of a row that is gone
        s.add(ann)
        assert inspect(ann).persistent
        bob = User(id=key, name="bob")
        s.add(bob)
        s.commit()
        assert ann not in s and inspect(ann).detached
        assert s.get(User, key) is bob


def test_changing_a_persistent_object_begins_the_transaction(
    engine: ormkit.Engine, seeded: Models
) -> None:
    User = seeded.User
    with Session(engine, expire_on_commit=False) as s:
        ed = s.get(User, 1)
        s.commit()
        s.add(ed)  # already in the session: add() begins the transaction all the same
        assert s.in_transaction()
        s.commit()
        assert not s.in_transaction()
        ed.age = 31
        assert s.in_transaction()
        with pytest.raises(exc.InvalidRequestError, match="already begun"):
            s.begin()
        s.commit()
    with Session(engine) as s:
        assert s.get(User, 1).age == 31


def test_a_refused_add_of_a_detached_object_still_begins_the_transaction(
    engine: ormkit.Engine, seeded: Models
) -> None:
    """As SQLAlchemy: add() begins before it finds the row already held by another object."""
    User = seeded.User
    with Session(engine) as s:
        stale = s.get(User, 1)
    with Session(engine) as s:
        held = s.get(User, 1)
        s.commit()
        assert not s.in_transaction()
        with pytest.raises(
            exc.InvalidRequestError,
            match=r"^can't attach <User at 0x[0-9a-f]+>: this session already holds",
        ):
            s.add(stale)
        assert s.in_transaction() and stale not in s and s.get(User, 1) is held


def test_get_that_finds_the_row_of_an_expired_object_gone_makes_it_deleted(
    engine: ormkit.Engine, seeded: Models
) -> None:
    """As SQLAlchemy: the object is deleted (out of the identity map); a rollback brings it
    back."""
    User = seeded.User
    with Session(engine) as s:
        fred = s.get(User, 4)
        s.commit()  # expires fred
        with engine.begin() as conn:
            conn.execute(ormkit.delete(User.__table__).where(User.__table__.c.id == 4))
        assert s.get(User, 4) is None
        assert inspect(fred).deleted and fred not in s
        s.rollback()
        assert inspect(fred).persistent and fred in s


def test_add_of_an_object_a_rollback_made_transient_begins_the_transaction(
    engine: ormkit.Engine, models: Models
) -> None:
    """Its DELETE was flushed and it was expunged, then its INSERT rolled back: new again."""
    with Session(engine) as s:
        ann = models.User(name="ann")
        s.add(ann)
        s.flush()
        s.delete(ann)
        s.flush()
        s.expunge(ann)
        s.rollback()
        assert inspect(ann).transient and not s.in_transaction()
        s.add(ann)
        assert inspect(ann).pending and s.in_transaction()


def test_changing_an_object_without_autobegin_and_no_transaction_is_refused(
    engine: ormkit.Engine, seeded: Models
) -> None:
    User = seeded.User
    with Session(engine, autobegin=False, expire_on_commit=False) as s:
        with s.begin():
            ed = s.get(User, 1)
        with pytest.raises(exc.InvalidRequestError, match=r"autobegin=False.*session\.begin\(\)"):
            ed.age = 31
        assert ed.age == 30 and list(s.dirty) == []
        with s.begin():
            ed.age = 32
    with Session(engine) as s:
        assert s.get(User, 1).age == 32


def test_make_transient_turns_a_deleted_object_into_a_new_row(
    engine: ormkit.Engine, seeded: Models
) -> None:
    User = seeded.User
    with Session(engine) as s:
        fred = s.get(User, 4)
        s.delete(fred)
        s.flush()
        make_transient(fred)
        assert inspect(fred).transient and fred.name == "fred"
        s.add(fred)
        s.commit()  # the DELETE and then the INSERT of the same values
    with Session(engine) as s:
        assert s.get(User, 4).name == "fred"


def test_make_transient_forgets_expired_values_instead_of_loading_them(
    engine: ormkit.Engine, seeded: Models
) -> None:
    User = seeded.User
    with Session(engine) as s:
        ed = s.get(User, 1)
        s.expire(ed, ["age"])
        make_transient(ed)
        assert ed not in s and inspect(ed).transient
        assert ed.name == "ed" and ed.age is None
        assert s.get(User, 1) is not ed


def test_make_transient_to_detached_attaches_by_primary_key(
    engine: ormkit.Engine, seeded: Models
) -> None:
    User = seeded.User
    ed = User(id=1, name="ed")
    make_transient_to_detached(ed)
    assert inspect(ed).detached and inspect(ed).identity == (1,)
    with Session(engine) as s:
        s.add(ed)
        assert ed.fullname == "Ed Jones"  # not held: loaded from the row
        assert s.get(User, 1) is ed


def test_make_transient_to_detached_refuses_what_is_not_transient_or_has_no_key(
    engine: ormkit.Engine, seeded: Models
) -> None:
    User = seeded.User
    with pytest.raises(exc.InvalidRequestError, match=r"User\.id has no value"):
        make_transient_to_detached(User(name="no key"))
    with Session(engine) as s:
        ed = s.get(User, 1)
        with pytest.raises(exc.InvalidRequestError, match=r"transient object.*in a session"):
            make_transient_to_detached(ed)
        assert inspect(ed).persistent
    with pytest.raises(exc.UnmappedInstanceError, match="make_transient\\(\\) got str"):
        make_transient("not mapped")


def test_is_modified_of_an_object_whose_insert_was_rolled_back_compares_with_that_flush(
    engine: ormkit.Engine, models: Models
) -> None:
    with Session(engine) as s:
        u = models.User(name="ann")
        s.add(u)
        assert s.is_modified(u)
        s.flush()
        s.rollback()
        assert inspect(u).transient
        assert not s.is_modified(u)  # it holds what it was flushed with
        u.name = "bob"
        assert s.is_modified(u)
        u.name = "ann"
        assert not s.is_modified(u)


def test_changes_to_an_object_whose_delete_was_flushed_stay_changes(
    engine: ormkit.Engine, seeded: Models
) -> None:
    with Session(engine) as s:
        u = s.get(seeded.User, 4)  # fred: no addresses
        s.delete(u)
        s.flush()
        u.age = 99
        s.flush()  # writes nothing for it: its row is gone
        assert s.is_modified(u)


def test_refresh_of_an_object_whose_delete_was_flushed_is_refused_before_any_flush(
    engine: ormkit.Engine, seeded: Models
) -> None:
    with Session(engine) as s:
        u = s.get(seeded.User, 4)
        s.delete(u)
        s.flush()
        pending = seeded.User(name="new")
        s.add(pending)
        with pytest.raises(
            exc.InvalidRequestError,
            match=r"User.* is not persistent in this Session \(its DELETE was flushed\); only "
            "objects with a database row can be refreshed",
        ):
            s.refresh(u)
        assert inspect(pending).pending  # nothing was flushed


def fail_a_flush_in_a_savepoint(s: Session, User: Any) -> None:
    """Open a savepoint and fail a flush in it (users.name is NOT NULL)."""
    s.begin_nested()
    s.add(User(name=None))
    with pytest.raises(exc.IntegrityError):
        s.flush()


def test_get_of_an_object_held_works_after_a_failed_flush_a_load_does_not(
    engine: ormkit.Engine, seeded: Models
) -> None:
    """As SQLAlchemy: the identity map answers without SQL; loading waits for rollback()."""
    User = seeded.User
    with Session(engine) as s:
        fred = s.get(User, 4)
        fail_a_flush_in_a_savepoint(s, User)
        assert s.get(User, 4) is fred  # loaded before the savepoint: kept
        with pytest.raises(exc.PendingRollbackError):
            s.get(User, 1)


def test_a_refresh_that_fails_still_discards_the_objects_changes(
    engine: ormkit.Engine, seeded: Models
) -> None:
    User = seeded.User
    with Session(engine) as s:
        fred = s.get(User, 4)
        fail_a_flush_in_a_savepoint(s, User)
        fred.name = "changed"
        with pytest.raises(exc.PendingRollbackError):
            s.refresh(fred)
        assert fred not in s.dirty and "name" not in fred.__dict__
