"""The Session: unit of work, identity map, object states, transactions, bulk statements."""

from __future__ import annotations

import gc
import re
import weakref
from typing import Any

import pytest

import ormkit
from ormkit import (
    FetchedValue,
    Integer,
    String,
    create_engine,
    delete,
    exc,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from ormkit.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from ormkit.testing import count_queries

from .conftest import Models, Recorder


def db_names(engine: ormkit.Engine, models: Models) -> list[str]:
    """The user names the database holds, read on a connection of its own."""
    table = models.User.__table__
    with engine.connect() as conn:
        return list(conn.execute(select(table.c.name).order_by(table.c.name)).scalars())


def db_row(engine: ormkit.Engine, models: Models, user_id: int) -> Any:
    table = models.User.__table__
    with engine.connect() as conn:
        return conn.execute(select(table).where(table.c.id == user_id)).first()


# -- adding and flushing ----------------------------------------------------------------------


def test_add_flush_commit_persist_objects(engine: ormkit.Engine, models: Models) -> None:
    User = models.User
    with Session(engine) as s:
        ed = User(name="ed", fullname="Ed Jones")
        s.add(ed)
        s.add_all([User(name="wendy"), User(name="mary")])
        s.flush()
        assert isinstance(ed.id, int)
        s.commit()
    assert db_names(engine, models) == ["ed", "mary", "wendy"]


def test_add_all_inserts_in_the_order_added(
    engine: ormkit.Engine, models: Models, recorder: Recorder
) -> None:
    User = models.User
    with Session(engine) as s:
        s.add_all([User(id=3, name="c"), User(id=1, name="a"), User(id=2, name="b")])
        s.flush()
        assert recorder.dml == [
            "INSERT INTO users (id, name, fullname, nickname, age) VALUES (?, ?, ?, ?, ?)"
        ]
        params = recorder.params(0)
        firsts = [p["id"] if isinstance(p, dict) else p[0] for p in params]
        assert firsts == [3, 1, 2]


def test_rows_leaving_out_different_columns_insert_in_one_statement(
    engine: ormkit.Engine, models: Models, recorder: Recorder
) -> None:
    """A column left out is sent as NULL (it has no default), so the rows batch together."""
    User = models.User
    with Session(engine) as s:
        s.add_all([User(id=1, name="a", age=1), User(id=2, name="b", fullname="Bee")])
        s.flush()
        assert len(recorder.dml) == 1
        assert s.get(User, 2).age is None
        s.commit()
    with Session(engine) as s:
        assert [(u.age, u.fullname) for u in s.scalars(select(User).order_by(User.id))] == [
            (1, None),
            (None, "Bee"),
        ]


def test_unset_columns_read_as_none_after_flush_without_sql(
    engine: ormkit.Engine, models: Models
) -> None:
    User = models.User
    with Session(engine) as s:
        user = User(name="a")
        s.add(user)
        s.flush()
        with count_queries(engine) as counter:
            assert (user.fullname, user.nickname, user.age) == (None, None, None)
            assert s.get(User, user.id) is user
        assert counter.count == 0


def test_get_returns_an_object_marked_for_deletion_until_the_delete_is_flushed(
    engine: ormkit.Engine, models: Models
) -> None:
    User = models.User
    with Session(engine) as s:
        user = User(name="a")
        s.add(user)
        s.flush()
        s.delete(user)
        assert s.get(User, user.id) is user  # as in SQLAlchemy: no flush, same object
        s.flush()
        assert s.get(User, user.id) is None


def test_loading_many_rows_leaves_the_garbage_collector_as_it_was(
    engine: ormkit.Engine, models: Models
) -> None:
    User = models.User
    with Session(engine) as s:
        s.execute(insert(User), [{"name": f"u{i}"} for i in range(300)])
        assert gc.isenabled()
        assert len(s.scalars(select(User)).all()) == 300
        assert gc.isenabled()
        gc.disable()
        try:
            s.expire_all()
            assert len(s.scalars(select(User)).all()) == 300
            assert not gc.isenabled()
        finally:
            gc.enable()


def test_generated_primary_keys_are_set_after_flush(engine: ormkit.Engine, models: Models) -> None:
    User = models.User
    with Session(engine) as s:
        users = [User(name=f"u{i}") for i in range(3)]
        s.add_all(users)
        assert [u.id for u in users] == [None, None, None]
        s.flush()
        ids = [u.id for u in users]
        assert all(isinstance(i, int) for i in ids)
        assert len(set(ids)) == 3
        assert s.scalar(select(User.name).where(User.id == ids[1])) == "u1"


def test_server_default_and_python_defaults_are_available_after_flush(
    engine: ormkit.Engine,
) -> None:
    class Base(DeclarativeBase):
        pass

    counter = iter(range(100, 200))

    class Doc(Base):
        __tablename__ = "docs"
        id: Mapped[int] = mapped_column(primary_key=True)
        title: Mapped[str] = mapped_column(String(50))
        status: Mapped[str] = mapped_column(String(20), server_default=text("'draft'"))
        version: Mapped[int] = mapped_column(Integer, default=1)
        serial: Mapped[int] = mapped_column(Integer, default=lambda: next(counter))

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        doc = Doc(title="t")
        s.add(doc)
        s.flush()
        assert doc.version == 1
        assert doc.serial == 100
        assert doc.status == "draft"
        other = Doc(title="u", version=5)
        s.add(other)
        s.commit()
        assert (other.version, other.serial) == (5, 101)
    with engine.connect() as conn:
        rows = conn.execute(
            select(Doc.__table__.c.status, Doc.__table__.c.version).order_by(Doc.__table__.c.id)
        ).all()
    assert [tuple(r) for r in rows] == [("draft", 1), ("draft", 5)]


def test_add_of_an_unmapped_object_is_an_unmapped_instance_error(session: Session) -> None:
    class Plain:
        pass

    with pytest.raises(exc.UnmappedInstanceError, match=r"Plain object .*not mapped"):
        session.add(Plain())


def test_add_of_an_object_of_another_session_is_an_invalid_request(
    engine: ormkit.Engine, seeded: Models
) -> None:
    with Session(engine) as one, Session(engine) as two:
        ed = one.get(seeded.User, 1)
        with pytest.raises(exc.InvalidRequestError, match=r"already in another Session"):
            two.add(ed)


def test_delete_of_a_transient_object_is_an_invalid_request(
    session: Session, models: Models
) -> None:
    with pytest.raises(exc.InvalidRequestError, match=r"not persisted"):
        session.delete(models.User(name="never saved"))


def test_query_of_an_unmapped_class_is_an_unmapped_class_error(session: Session) -> None:
    class Plain:
        pass

    with pytest.raises(exc.UnmappedClassError, match=r"Plain.*not mapped"):
        session.query(Plain)
    with pytest.raises(exc.UnmappedClassError, match=r"Plain.*not a mapped class"):
        session.get(Plain, 1)


# -- get and the identity map -----------------------------------------------------------------


def test_get_of_a_loaded_object_sends_no_sql(
    engine: ormkit.Engine, seeded: Models, recorder: Recorder
) -> None:
    User = seeded.User
    with Session(engine) as s:
        ed = s.get(User, 1)
        assert ed is not None and ed.name == "ed"
        assert len(recorder.selects) == 1
        recorder.clear()
        assert s.get(User, 1) is ed
        assert s.get(User, (1,)) is ed
        assert s.get(User, {"id": 1}) is ed
        assert recorder.entries == []


def test_get_of_a_missing_row_autoflushes_then_selects(
    engine: ormkit.Engine, seeded: Models, recorder: Recorder
) -> None:
    User = seeded.User
    with Session(engine) as s:
        s.add(User(id=50, name="pending"))
        recorder.clear()
        assert s.get(User, 99) is None
        assert [x.split(" ")[0] for x in recorder.sql] == ["INSERT", "SELECT"]
        assert recorder.sql[1] == (
            "SELECT users.id, users.name, users.fullname, users.nickname, users.age "
            "FROM users WHERE users.id = ?"
        )
        found = s.get(User, 50)
        assert found is not None and found.name == "pending"


def test_get_takes_execution_options_for_its_load(
    engine: ormkit.Engine, seeded: Models, recorder: Recorder
) -> None:
    User = seeded.User
    with Session(engine) as s:
        ed = s.get(User, 1)
        s.execute(update(User.__table__).where(User.__table__.c.id == 1).values(age=41))
        assert s.get(User, 1).age == 30  # from the identity map
        assert s.get(User, 1, execution_options={"populate_existing": True}) is ed
        assert ed.age == 41
        s.add(User(id=60, name="pending"))
        recorder.clear()
        assert s.get(User, 99, execution_options={"autoflush": False}) is None
        assert [x.split(" ")[0] for x in recorder.sql] == ["SELECT"]
        assert s.new  # not flushed


def test_get_refuses_an_identity_token(session: Session, seeded: Models) -> None:
    with pytest.raises(exc.ArgumentError, match=r"identity_token='shard1'.*not supported"):
        session.get(seeded.User, 1, identity_token="shard1")


def test_bind_arguments_naming_the_sessions_own_bind_run_there(
    engine: ormkit.Engine, seeded: Models
) -> None:
    User = seeded.User
    with Session(engine) as s:
        assert s.get(User, 1, bind_arguments={"mapper": User.__mapper__}).name == "ed"
        stmt = select(User.name).where(User.id == 2)
        assert s.execute(stmt, bind_arguments={"bind": engine}).scalar() == "wendy"
        assert s.connection(bind_arguments={"mapper": User.__mapper__}) is s.connection()


def test_bind_arguments_choosing_another_bind_are_refused(
    engine: ormkit.Engine, seeded: Models
) -> None:
    other = ormkit.create_engine("sqlite://")

    class RoutingSession(Session):
        def get_bind(self, mapper: Any = None, clause: Any = None, **kw: Any) -> Any:
            return other if kw.get("replica") else super().get_bind(mapper, clause)

    User = seeded.User
    with RoutingSession(engine) as s:
        message = r"bind_arguments choose Engine\(sqlite://\), not this Session's own bind"
        with pytest.raises(exc.ArgumentError, match=message):
            s.execute(select(User), bind_arguments={"replica": True})
        with pytest.raises(exc.ArgumentError, match=message):
            s.get(User, 1, bind_arguments={"bind": other})
        with pytest.raises(exc.ArgumentError, match=message):
            s.connection(bind_arguments={"bind": other})
        assert not s.in_transaction()
        assert s.execute(select(User.name).where(User.id == 1)).scalar() == "ed"


def test_connection_execution_options_apply_when_it_is_checked_out(
    engine: ormkit.Engine,
) -> None:
    with Session(engine) as s:
        conn = s.connection(execution_options={"logging_token": "job-7"})
        assert conn.get_execution_options()["logging_token"] == "job-7"
        with pytest.warns(exc.OrmkitWarning, match=r"after the session's connection was checked"):
            s.connection(execution_options={"logging_token": "job-8"})
        assert conn.get_execution_options()["logging_token"] == "job-7"


def test_get_with_wrong_number_of_key_values_is_an_invalid_request(
    session: Session, models: Models
) -> None:
    with pytest.raises(exc.InvalidRequestError, match=r"primary key of 1 value\(s\) \(id\), got 2"):
        session.get(models.User, (1, 2))


def test_composite_and_string_primary_keys(engine: ormkit.Engine, recorder: Recorder) -> None:
    class Base(DeclarativeBase):
        pass

    class Pair(Base):
        __tablename__ = "pairs"
        left: Mapped[int] = mapped_column(primary_key=True)
        right: Mapped[str] = mapped_column(String(20), primary_key=True)
        label: Mapped[str | None] = mapped_column(String(50))

    class Tag(Base):
        __tablename__ = "tags"
        code: Mapped[str] = mapped_column(String(20), primary_key=True)
        title: Mapped[str] = mapped_column(String(50))

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Pair(left=1, right="a", label="1a"), Pair(left=1, right="b", label="1b")])
        s.add(Tag(code="py", title="Python"))
        s.commit()
    with Session(engine) as s:
        pair = s.get(Pair, (1, "b"))
        assert pair is not None and pair.label == "1b"
        assert inspect(pair).identity == (1, "b")
        recorder.clear()
        assert s.get(Pair, {"left": 1, "right": "b"}) is pair
        assert recorder.entries == []
        assert s.get(Pair, (2, "b")) is None
        with pytest.raises(exc.InvalidRequestError, match=r"primary key of 2 value\(s\)"):
            s.get(Pair, 1)
        tag = s.get(Tag, "py")
        assert tag is not None and tag.title == "Python"
        tag.title = "Python 3"
        s.commit()
    with Session(engine) as s:
        assert s.get(Tag, "py").title == "Python 3"  # type: ignore[union-attr]


def test_same_row_loaded_twice_is_the_same_object(engine: ormkit.Engine, seeded: Models) -> None:
    User = seeded.User
    with Session(engine) as s:
        a = s.scalars(select(User).where(User.name == "ed")).one()
        b = s.scalars(select(User).where(User.id == 1)).one()
        c = s.query(User).filter_by(name="ed").one()
        everyone = s.scalars(select(User)).all()
        assert a is b is c
        assert any(u is a for u in everyone)
        assert s.get(User, 1) is a


def test_identity_map_does_not_keep_unreferenced_objects(
    engine: ormkit.Engine, seeded: Models
) -> None:
    User = seeded.User
    with Session(engine) as s:
        ed = s.get(User, 1)
        ref = weakref.ref(ed)
        assert len(s.identity_map) == 1
        del ed
        gc.collect()
        assert ref() is None
        assert len(s.identity_map) == 0


def test_identity_map_keeps_modified_unflushed_objects(
    engine: ormkit.Engine, seeded: Models, recorder: Recorder
) -> None:
    User = seeded.User
    with Session(engine) as s:
        ed = s.get(User, 1)
        ed.fullname = "Changed"
        ref = weakref.ref(ed)
        del ed
        gc.collect()
        assert ref() is not None
        recorder.clear()
        s.commit()
        assert recorder.dml == ["UPDATE users SET fullname=? WHERE users.id = ?"]
    assert db_row(engine, seeded, 1).fullname == "Changed"


# -- object states ----------------------------------------------------------------------------


def test_object_states_through_the_lifecycle(engine: ormkit.Engine, models: Models) -> None:
    User = models.User
    s = Session(engine)
    ed = User(name="ed")
    state = inspect(ed)
    assert (state.transient, state.pending, state.persistent, state.detached) == (
        True,
        False,
        False,
        False,
    )
    s.add(ed)
    assert state.pending and not state.transient
    s.flush()
    assert state.persistent and not state.pending
    assert state.identity == (ed.id,)
    s.commit()
    assert state.persistent
    s.delete(ed)
    assert state.persistent  # marked, not yet flushed
    s.flush()
    assert state.deleted
    assert not state.persistent
    s.commit()
    assert state.detached
    assert not state.deleted
    s.close()


def test_close_and_expunge_make_objects_detached(engine: ormkit.Engine, seeded: Models) -> None:
    User = seeded.User
    s = Session(engine)
    ed, wendy = s.get(User, 1), s.get(User, 2)
    s.expunge(wendy)
    assert inspect(wendy).detached
    assert wendy not in s
    assert ed in s
    s.close()
    assert inspect(ed).detached
    assert ed not in s


def test_new_dirty_deleted_sets_before_and_after_flush_and_commit(
    engine: ormkit.Engine, seeded: Models
) -> None:
    User = seeded.User
    with Session(engine) as s:
        ed, mary = s.get(User, 1), s.get(User, 3)
        newbie = User(name="newbie")
        s.add(newbie)
        ed.nickname = "Ed!"
        s.delete(mary)
        assert list(s.new) == [newbie]
        assert list(s.dirty) == [ed]
        assert list(s.deleted) == [mary]
        assert newbie in s.new and ed in s.dirty and mary in s.deleted
        s.flush()
        assert (len(s.new), len(s.dirty), len(s.deleted)) == (0, 0, 0)
        ed.nickname = "again"
        assert list(s.dirty) == [ed]
        s.commit()
        assert (len(s.new), len(s.dirty), len(s.deleted)) == (0, 0, 0)
    assert db_names(engine, seeded) == ["ed", "fred", "newbie", "wendy"]


# -- UPDATE and DELETE ------------------------------------------------------------------------


def test_update_sends_only_changed_columns(
    engine: ormkit.Engine, seeded: Models, recorder: Recorder
) -> None:
    User = seeded.User
    with Session(engine) as s:
        ed = s.get(User, 1)
        recorder.clear()
        ed.fullname = "Edward Jones"
        s.flush()
        assert recorder.sql == ["UPDATE users SET fullname=? WHERE users.id = ?"]
        recorder.clear()
        ed.nickname = "ned"
        ed.age = 31
        s.flush()
        assert recorder.sql == ["UPDATE users SET age=?, nickname=? WHERE users.id = ?"] or (
            recorder.sql == ["UPDATE users SET nickname=?, age=? WHERE users.id = ?"]
        )
        s.commit()
    row = db_row(engine, seeded, 1)
    assert (row.name, row.fullname, row.nickname, row.age) == ("ed", "Edward Jones", "ned", 31)


def test_change_to_an_expired_object_is_flushed_and_the_object_stays_loadable(
    engine: ormkit.Engine, seeded: Models, recorder: Recorder
) -> None:
    User = seeded.User
    with Session(engine) as s:
        ed = s.get(User, 1)
        s.commit()  # expires every attribute, the primary key included
        ed.fullname = "Set While Expired"
        recorder.clear()
        s.commit()
        assert recorder.dml == ["UPDATE users SET fullname=? WHERE users.id = ?"]
        assert inspect(ed).identity == (1,)
        assert ed.fullname == "Set While Expired"
        assert ed.name == "ed"
        assert s.get(User, 1) is ed
    assert db_row(engine, seeded, 1).fullname == "Set While Expired"


def test_setting_an_attribute_to_its_current_value_sends_nothing(
    engine: ormkit.Engine, seeded: Models, recorder: Recorder
) -> None:
    User = seeded.User
    with Session(engine) as s:
        ed = s.get(User, 1)
        recorder.clear()
        ed.name = "ed"
        ed.age = 30
        ed.fullname = "changed"
        ed.fullname = "Ed Jones"  # and back again
        assert not s.is_modified(ed)
        s.flush()
        s.commit()
        assert recorder.dml == []


def test_delete_removes_the_row(engine: ormkit.Engine, seeded: Models, recorder: Recorder) -> None:
    User = seeded.User
    with Session(engine) as s:
        mary = s.get(User, 3)
        recorder.clear()
        s.delete(mary)
        s.flush()
        assert recorder.sql == ["DELETE FROM users WHERE users.id = ?"]
        assert s.get(User, 3) is None
        s.commit()
    assert db_names(engine, seeded) == ["ed", "fred", "wendy"]


def test_flush_inserts_parents_before_children(
    engine: ormkit.Engine, models: Models, recorder: Recorder
) -> None:
    User, Address = models.User, models.Address
    with Session(engine) as s:
        s.add(Address(id=1, user_id=7, email="x@example.com"))  # the child, added first
        s.add(User(id=7, name="parent"))
        s.flush()
        assert recorder.dml == [
            "INSERT INTO users (id, name, fullname, nickname, age) VALUES (?, ?, ?, ?, ?)",
            "INSERT INTO addresses (id, user_id, email) VALUES (?, ?, ?)",
        ]
        s.commit()


def test_flush_deletes_children_before_parents(
    engine: ormkit.Engine, seeded: Models, recorder: Recorder
) -> None:
    User, Address = seeded.User, seeded.Address
    with Session(engine) as s:
        wendy = s.get(User, 2)
        address = s.get(Address, 3)
        recorder.clear()
        s.delete(wendy)  # the parent, deleted first
        s.delete(address)
        s.flush()
        assert recorder.dml == [
            "DELETE FROM addresses WHERE addresses.id = ?",
            "DELETE FROM users WHERE users.id = ?",
        ]
        s.commit()
    assert "wendy" not in db_names(engine, seeded)


# -- autoflush --------------------------------------------------------------------------------


def test_queries_autoflush_pending_changes(engine: ormkit.Engine, models: Models) -> None:
    User = models.User
    with Session(engine) as s:
        s.add(User(name="fresh"))
        found = s.scalars(select(User).where(User.name == "fresh")).one()
        assert found.id is not None
        assert s.query(User).filter(User.name == "fresh").count() == 1


def test_no_autoflush_block_defers_the_flush(
    engine: ormkit.Engine, models: Models, recorder: Recorder
) -> None:
    User = models.User
    with Session(engine) as s:
        newbie = User(name="fresh")
        s.add(newbie)
        with s.no_autoflush:
            assert s.scalars(select(User).where(User.name == "fresh")).first() is None
            assert s.get(User, 1) is None
        assert recorder.dml == []
        assert newbie in s.new
        assert s.scalars(select(User).where(User.name == "fresh")).first() is newbie


def test_autoflush_false_session_does_not_flush_before_queries(
    engine: ormkit.Engine, models: Models
) -> None:
    with Session(engine, autoflush=False) as s:
        s.add(models.User(name="fresh"))
        assert s.scalars(select(models.User)).all() == []
        s.flush()
        assert len(s.scalars(select(models.User)).all()) == 1


# -- commit, expire, rollback -----------------------------------------------------------------


def test_commit_of_a_fresh_session_sends_nothing(
    engine: ormkit.Engine, models: Models, recorder: Recorder
) -> None:
    with Session(engine) as s:
        s.commit()
        s.commit()
    assert recorder.entries == []


def test_commit_with_nothing_pending_sends_no_dml(
    engine: ormkit.Engine, seeded: Models, recorder: Recorder
) -> None:
    with Session(engine) as s:
        s.get(seeded.User, 1)
        recorder.clear()
        s.commit()
        assert recorder.sql == []
        assert recorder.dml == []


def test_expire_on_commit_reloads_on_next_access(
    engine: ormkit.Engine, seeded: Models, recorder: Recorder
) -> None:
    User = seeded.User
    with Session(engine) as s:
        ed = s.get(User, 1)
        s.commit()
        assert "name" not in ed.__dict__
        with engine.begin() as conn:
            conn.execute(
                update(User.__table__).where(User.__table__.c.id == 1).values(fullname="Ext")
            )
        recorder.clear()
        assert ed.fullname == "Ext"
        assert ed.name == "ed"
        assert len(recorder.selects) == 1


def test_expire_on_commit_false_keeps_loaded_values(
    engine: ormkit.Engine, seeded: Models, recorder: Recorder
) -> None:
    User = seeded.User
    with Session(engine, expire_on_commit=False) as s:
        ed = s.get(User, 1)
        ed.nickname = "Eddy"
        s.commit()
        recorder.clear()
        assert (ed.name, ed.nickname) == ("ed", "Eddy")
        assert recorder.entries == []


def test_rollback_makes_pending_transient_restores_deleted_and_expires_persistent(
    engine: ormkit.Engine, seeded: Models
) -> None:
    User = seeded.User
    with Session(engine) as s:
        ed = s.get(User, 1)
        mary = s.get(User, 3)
        ed.name = "Edwardo"
        flushed_new = User(name="flushed")
        s.add(flushed_new)
        s.delete(mary)
        s.flush()
        pending = User(name="pending")
        s.add(pending)
        s.rollback()
        assert inspect(pending).transient
        assert inspect(flushed_new).transient
        assert pending not in s and flushed_new not in s
        assert inspect(mary).persistent
        assert mary in s
        assert ed.name == "ed"
        assert mary.name == "mary"
        assert s.get(User, 3) is mary
    assert db_names(engine, seeded) == ["ed", "fred", "mary", "wendy"]


def test_rollback_of_unflushed_change_reverts_attribute(
    engine: ormkit.Engine, seeded: Models
) -> None:
    with Session(engine) as s:
        ed = s.get(seeded.User, 1)
        ed.name = "Edwardo"
        assert ed in s.dirty
        s.rollback()
        assert ed.name == "ed"
        assert ed not in s.dirty


def test_close_detaches_and_session_is_usable_again(engine: ormkit.Engine, seeded: Models) -> None:
    User = seeded.User
    s = Session(engine)
    ed = s.get(User, 1)
    s.close()
    assert inspect(ed).detached
    assert ed.name == "ed"  # loaded values stay readable
    again = s.get(User, 1)
    assert again is not None and again is not ed
    s.add(User(name="after close"))
    s.commit()
    s.close()
    assert "after close" in db_names(engine, seeded)


def test_expired_attribute_of_detached_object_raises_detached_instance_error(
    engine: ormkit.Engine, seeded: Models
) -> None:
    s = Session(engine)
    ed = s.get(seeded.User, 1)
    s.commit()  # expires
    s.close()
    with pytest.raises(
        exc.DetachedInstanceError, match=r"(?s)detached.*'name'.*session\.add\(obj\).*merge"
    ):
        _ = ed.name


def test_session_context_manager_closes(engine: ormkit.Engine, seeded: Models) -> None:
    with Session(engine) as s:
        ed = s.get(seeded.User, 1)
        assert s.in_transaction()
    assert inspect(ed).detached
    assert not s.in_transaction()
    assert len(s.identity_map) == 0


# -- explicit transactions --------------------------------------------------------------------


def test_begin_context_manager_commits_on_success(engine: ormkit.Engine, models: Models) -> None:
    s = Session(engine)
    with s.begin():
        s.add(models.User(name="committed"))
    assert not s.in_transaction()
    s.close()
    assert db_names(engine, models) == ["committed"]


def test_begin_context_manager_rolls_back_on_error(engine: ormkit.Engine, models: Models) -> None:
    s = Session(engine)
    newbie = models.User(name="rolled back")
    with pytest.raises(RuntimeError, match="boom"), s.begin():
        s.add(newbie)
        s.flush()
        raise RuntimeError("boom")
    assert inspect(newbie).transient
    assert not s.in_transaction()
    s.close()
    assert db_names(engine, models) == []


def test_sessionmaker_begin_commits(engine: ormkit.Engine, models: Models) -> None:
    factory = sessionmaker(bind=engine)
    with factory.begin() as s:
        s.add(models.User(name="via factory"))
    assert db_names(engine, models) == ["via factory"]


def test_begin_twice_is_an_invalid_request(session: Session) -> None:
    session.begin()
    with pytest.raises(exc.InvalidRequestError, match=r"already begun"):
        session.begin()


def test_begin_after_autobegin_is_an_invalid_request(session: Session, models: Models) -> None:
    session.scalars(select(models.User)).all()
    assert session.in_transaction()
    with pytest.raises(exc.InvalidRequestError, match=r"already begun"):
        session.begin()


def test_begin_nested_rollback_keeps_outer_work(engine: ormkit.Engine, models: Models) -> None:
    User = models.User
    with Session(engine) as s:
        outer = User(name="outer")
        s.add(outer)
        nested = s.begin_nested()
        inner = User(name="inner")
        s.add(inner)
        s.flush()
        assert s.in_nested_transaction()
        nested.rollback()
        assert inspect(inner).transient
        assert inspect(outer).persistent
        assert s.scalars(select(User.name)).all() == ["outer"]
        s.commit()
    assert db_names(engine, models) == ["outer"]


def test_begin_nested_context_manager_releases_on_success(
    engine: ormkit.Engine, models: Models
) -> None:
    User = models.User
    with Session(engine) as s:
        s.add(User(name="outer"))
        with s.begin_nested():
            s.add(User(name="inner"))
        with pytest.raises(ValueError, match="undo"), s.begin_nested():
            s.add(User(name="undone"))
            s.flush()
            raise ValueError("undo")
        s.commit()
    assert db_names(engine, models) == ["inner", "outer"]


# -- refresh, expire, expunge, merge ----------------------------------------------------------


def test_refresh_loads_current_row_and_discards_changes(
    engine: ormkit.Engine, seeded: Models, recorder: Recorder
) -> None:
    User = seeded.User
    with Session(engine) as s:
        ed = s.get(User, 1)
        s.commit()
        with engine.begin() as conn:
            conn.execute(update(User.__table__).where(User.__table__.c.id == 1).values(age=99))
        ed.nickname = "local change"
        recorder.clear()
        s.refresh(ed)
        assert recorder.dml == []  # the pending change is discarded, not flushed
        assert len(recorder.selects) == 1
        assert ed.age == 99
        assert ed.nickname == "eddie"
        assert not s.is_modified(ed)


def test_expire_one_object_and_expire_all(
    engine: ormkit.Engine, seeded: Models, recorder: Recorder
) -> None:
    User = seeded.User
    with Session(engine) as s:
        ed, wendy = s.get(User, 1), s.get(User, 2)
        s.expire(ed)
        recorder.clear()
        assert wendy.name == "wendy"
        assert recorder.entries == []
        assert ed.name == "ed"
        assert len(recorder.selects) == 1
        s.expire(ed, ["age"])
        assert "age" not in ed.__dict__ and "name" in ed.__dict__
        s.expire_all()
        recorder.clear()
        assert (ed.name, wendy.name) == ("ed", "wendy")
        assert len(recorder.selects) == 2


def test_expunge_all_empties_the_session(engine: ormkit.Engine, seeded: Models) -> None:
    User = seeded.User
    with Session(engine) as s:
        ed = s.get(User, 1)
        newbie = User(name="newbie")
        s.add(newbie)
        s.expunge_all()
        assert ed not in s and newbie not in s
        assert inspect(ed).detached
        assert inspect(newbie).transient
        assert len(s.identity_map) == 0
        assert len(s.new) == 0


def test_merge_brings_a_detached_object_back(
    engine: ormkit.Engine, seeded: Models, recorder: Recorder
) -> None:
    User = seeded.User
    with Session(engine, expire_on_commit=False) as s:
        ed = s.get(User, 1)
    ed.fullname = "Merged Name"
    with Session(engine) as s2:
        merged = s2.merge(ed)
        assert merged is not ed
        assert inspect(merged).persistent
        assert merged.fullname == "Merged Name"
        assert s2.is_modified(merged)
        recorder.clear()
        s2.commit()
        assert recorder.dml == ["UPDATE users SET fullname=? WHERE users.id = ?"]
    assert db_row(engine, seeded, 1).fullname == "Merged Name"


def test_merge_of_a_new_object_makes_it_pending(engine: ormkit.Engine, models: Models) -> None:
    User = models.User
    with Session(engine) as s:
        fresh = User(name="fresh")
        merged = s.merge(fresh)
        assert merged is not fresh
        assert inspect(merged).pending
        assert inspect(fresh).transient
        assert merged in s.new
        s.commit()
    assert db_names(engine, models) == ["fresh"]


def test_merge_of_an_object_with_a_new_key_becomes_pending(
    engine: ormkit.Engine, seeded: Models
) -> None:
    User = seeded.User
    with Session(engine) as s:
        merged = s.merge(User(id=77, name="seventy-seven"))
        assert inspect(merged).pending
        s.commit()
    assert db_row(engine, seeded, 77).name == "seventy-seven"


def test_is_modified_and_membership(engine: ormkit.Engine, seeded: Models) -> None:
    User = seeded.User
    with Session(engine) as s:
        ed = s.get(User, 1)
        outsider = User(name="outsider")
        assert ed in s
        assert outsider not in s
        assert not s.is_modified(ed)
        ed.age = 31
        assert s.is_modified(ed)
        s.flush()
        assert not s.is_modified(ed)


def test_in_transaction_follows_autobegin_and_commit(engine: ormkit.Engine, seeded: Models) -> None:
    with Session(engine) as s:
        assert not s.in_transaction()
        s.get(seeded.User, 1)
        assert s.in_transaction()
        s.commit()
        assert not s.in_transaction()


# -- execute, scalars, scalar -----------------------------------------------------------------


def test_execute_select_of_entity_gives_objects(engine: ormkit.Engine, seeded: Models) -> None:
    User = seeded.User
    with Session(engine) as s:
        rows = s.execute(select(User).order_by(User.id)).all()
        assert [r[0].name for r in rows] == ["ed", "wendy", "mary", "fred"]
        assert rows[0].User is rows[0][0]
        users = s.scalars(select(User).where(User.age == 25).order_by(User.name)).all()
        assert [u.name for u in users] == ["fred", "wendy"]
        assert all(isinstance(u, User) for u in users)
        one = s.scalar(select(User).where(User.name == "mary"))
        assert isinstance(one, User) and one.id == 3
        assert s.scalar(select(func.count(User.id))) == 4


def test_execute_select_of_columns_gives_rows_with_attribute_access(
    engine: ormkit.Engine, seeded: Models
) -> None:
    User = seeded.User
    with Session(engine) as s:
        rows = s.execute(select(User.id, User.name).order_by(User.id)).all()
        assert [(r.id, r.name) for r in rows] == [(1, "ed"), (2, "wendy"), (3, "mary"), (4, "fred")]
        assert tuple(rows[0]) == (1, "ed")


def test_execute_honours_the_statements_own_orm_options(
    engine: ormkit.Engine, seeded: Models
) -> None:
    """``populate_existing``, ``autoflush`` and ``synchronize_session`` given to the statement
    work as given to ``execute()``; those given to ``execute()`` come over them."""
    User = seeded.User
    with Session(engine) as s:
        ed = s.get(User, 1)
        ed.age = 99
        s.execute(select(User).where(User.id == 2).execution_options(autoflush=False)).all()
        assert ed in s.dirty  # not flushed
        ed.age = 7
        s.commit()
        assert ed.age == 7
        s.execute(update(User.__table__).where(User.__table__.c.id == 1).values(age=8))
        s.scalars(select(User).where(User.id == 1)).all()
        assert ed.age == 7  # a plain select keeps the loaded value
        s.scalars(select(User).where(User.id == 1).execution_options(populate_existing=True)).all()
        assert ed.age == 8
        stmt = update(User).where(User.id == 1).values(age=9)
        s.execute(stmt.execution_options(synchronize_session=False))
        assert ed.age == 8  # not synchronized
        s.execute(
            stmt.values(age=10).execution_options(synchronize_session=False),
            execution_options={"synchronize_session": "evaluate"},
        )
        assert ed.age == 10


def test_execute_insert_with_list_of_dicts_bulk_inserts(
    engine: ormkit.Engine, models: Models
) -> None:
    User = models.User
    with Session(engine) as s:
        s.execute(
            insert(User),
            [{"name": "a", "age": 1}, {"name": "b", "age": 2}, {"name": "c", "age": 3}],
        )
        assert s.scalars(select(User.age).order_by(User.age)).all() == [1, 2, 3]
        s.commit()
    assert db_names(engine, models) == ["a", "b", "c"]


@pytest.mark.parametrize("sync", ["evaluate", "fetch"])
def test_bulk_update_synchronizes_loaded_objects(
    engine: ormkit.Engine, seeded: Models, sync: str
) -> None:
    User = seeded.User
    with Session(engine) as s:
        ed, wendy, fred = s.get(User, 1), s.get(User, 2), s.get(User, 4)
        result = s.execute(
            update(User).where(User.age == 25).values(nickname="twenty-five"),
            execution_options={"synchronize_session": sync},
        )
        assert result.rowcount == 2
        assert wendy.nickname == "twenty-five"
        assert fred.nickname == "twenty-five"
        assert ed.nickname == "eddie"
        assert not s.is_modified(wendy)
        s.commit()
    assert db_row(engine, seeded, 2).nickname == "twenty-five"


def test_bulk_update_evaluate_brings_objects_with_expired_criteria_attributes_up_to_date(
    engine: ormkit.Engine, seeded: Models
) -> None:
    # SQLAlchemy: an object whose attribute in the WHERE clause is expired cannot be evaluated
    # in Python; it is treated as matched and the updated attributes are expired, so the next
    # read shows the database's new value rather than the stale one
    User = seeded.User
    with Session(engine) as s:
        wendy = s.get(User, 2)
        s.expire(wendy, ["age"])
        s.execute(
            update(User).where(User.age == 25).values(nickname="twenty-five"),
            execution_options={"synchronize_session": "evaluate"},
        )
        assert wendy.nickname == "twenty-five"


def test_bulk_update_without_synchronization_leaves_objects_stale(
    engine: ormkit.Engine, seeded: Models
) -> None:
    User = seeded.User
    with Session(engine) as s:
        wendy = s.get(User, 2)
        s.execute(
            update(User).where(User.id == 2).values(nickname="changed"),
            execution_options={"synchronize_session": False},
        )
        assert wendy.nickname == "windy"
        s.expire(wendy)
        assert wendy.nickname == "changed"


@pytest.mark.parametrize("sync", ["evaluate", "fetch"])
def test_bulk_delete_removes_loaded_objects_from_the_session(
    engine: ormkit.Engine, seeded: Models, sync: str
) -> None:
    User, Address = seeded.User, seeded.Address
    with Session(engine) as s:
        mary, fred, ed = s.get(User, 3), s.get(User, 4), s.get(User, 1)
        s.execute(delete(Address))
        result = s.execute(
            delete(User).where(User.name.in_(["mary", "fred"])),
            execution_options={"synchronize_session": sync},
        )
        assert result.rowcount == 2
        assert mary not in s and fred not in s
        assert ed in s
        assert s.get(User, 3) is None
        s.commit()
    assert db_names(engine, seeded) == ["ed", "wendy"]


def test_bulk_delete_without_synchronization_keeps_objects_in_session(
    engine: ormkit.Engine, seeded: Models
) -> None:
    User = seeded.User
    with Session(engine) as s:
        mary = s.get(User, 3)
        s.execute(
            delete(User).where(User.id == 3), execution_options={"synchronize_session": False}
        )
        assert mary in s
        s.commit()
    assert db_names(engine, seeded) == ["ed", "fred", "wendy"]


def test_bad_synchronize_session_value_is_an_argument_error(
    session: Session, seeded: Models
) -> None:
    User = seeded.User
    with pytest.raises(exc.ArgumentError, match=r"synchronize_session must be .*'bogus'"):
        session.execute(
            update(User).values(age=1), execution_options={"synchronize_session": "bogus"}
        )
    assert session.scalar(select(func.count()).where(User.age == 1)) == 0


# -- failed flushes ---------------------------------------------------------------------------

_UNIQUE = r"(?i)unique|duplicate"
_NOT_NULL = r"(?i)not null|null value|cannot be null"


@pytest.mark.parametrize(
    ("make", "pattern"),
    [
        (lambda User: User(name="ed"), _UNIQUE),
        (lambda User: User(fullname="no name"), _NOT_NULL),
    ],
    ids=["unique", "not_null"],
)
def test_failed_flush_needs_rollback_then_works_again(
    engine: ormkit.Engine, seeded: Models, make: Any, pattern: str
) -> None:
    User = seeded.User
    s = Session(engine)
    s.add(User(name="before the failure"))
    s.flush()
    s.add(make(User))
    with pytest.raises(exc.IntegrityError, match=pattern):
        s.flush()
    # as in SQLAlchemy: the failure rolled the session back, so nothing is pending and a
    # bare flush() has nothing to send; anything that needs the transaction is refused
    assert list(s.new) == []
    s.flush()
    s.add(User(name="queued after the failure"))
    for attempt in (
        lambda: s.query(User).all(),
        lambda: s.flush(),
        lambda: s.commit(),
        lambda: s.execute(select(User)),
    ):
        with pytest.raises(exc.PendingRollbackError) as info:
            attempt()
        message = str(info.value)
        assert "rollback()" in message
        assert "IntegrityError" in message
        assert re.search(pattern, message)
    s.rollback()
    assert s.scalars(select(User.name).order_by(User.id)).all() == ["ed", "wendy", "mary", "fred"]
    s.add(User(name="after rollback"))
    s.commit()
    s.close()
    assert db_names(engine, seeded) == ["after rollback", "ed", "fred", "mary", "wendy"]


# -- sessionmaker -----------------------------------------------------------------------------


def test_sessionmaker_passes_options_to_sessions(engine: ormkit.Engine, seeded: Models) -> None:
    factory = sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)
    s = factory()
    assert isinstance(s, Session)
    assert s.bind is engine
    assert s.expire_on_commit is False
    assert s.autoflush is False
    ed = s.get(seeded.User, 1)
    s.commit()
    assert "name" in ed.__dict__
    s.close()
    other = factory(expire_on_commit=True)
    assert other.expire_on_commit is True
    other.close()


def test_unclosed_sessions_give_their_connections_back(url: str) -> None:
    eng = create_engine(url, pool_size=2, max_overflow=0, pool_timeout=1)

    def handler() -> int:
        session = Session(eng)  # never closed, as in a careless request handler
        return session.execute(text("SELECT 1")).scalar()  # type: ignore[no-any-return]

    try:
        for _ in range(5):
            assert handler() == 1
            gc.collect()
        assert eng.pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        eng.dispose()


def test_column_the_database_sets_at_update_is_read_again_after_the_flush(
    engine: ormkit.Engine,
) -> None:
    """``server_onupdate=FetchedValue()``: the flushed UPDATE expires it, as in SQLAlchemy."""

    class Base(DeclarativeBase):
        pass

    class Doc(Base):
        __tablename__ = "docs"
        id: Mapped[int] = mapped_column(primary_key=True)
        title: Mapped[str] = mapped_column(String(20))
        stamp: Mapped[str | None] = mapped_column(String(20), server_onupdate=FetchedValue())

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Doc(id=1, title="a", stamp="old"))
        s.commit()
        doc = s.get(Doc, 1)
        assert doc.stamp == "old"
        doc.title = "b"
        s.flush()
        assert "stamp" not in doc.__dict__
        # what a trigger would do; the same transaction, so no lock waits
        s.execute(text("UPDATE docs SET stamp = 'by the database' WHERE id = 1"))
        assert doc.stamp == "by the database"
        assert doc.title == "b"
