"""The legacy Query API, and 2.0-style select() through the session."""

from __future__ import annotations

import pytest

import ormkit
from ormkit import desc, exc, func, select
from ormkit.orm import Query, Session

from .conftest import Models, Recorder


@pytest.fixture
def s(engine: ormkit.Engine, seeded: Models) -> Session:
    with Session(engine) as sess:
        yield sess  # type: ignore[misc]


def names(users: list[object]) -> list[str]:
    return [u.name for u in users]  # type: ignore[attr-defined]


# -- entities ---------------------------------------------------------------------------------


def test_query_of_a_class_gives_objects(s: Session, seeded: Models) -> None:
    User = seeded.User
    q = s.query(User)
    assert isinstance(q, Query)
    users = q.order_by(User.id).all()
    assert names(users) == ["ed", "wendy", "mary", "fred"]
    assert all(isinstance(u, User) for u in users)


def test_query_of_columns_gives_rows_with_attribute_access(s: Session, seeded: Models) -> None:
    User = seeded.User
    rows = s.query(User.name, User.age).order_by(User.id).all()
    assert [(r.name, r.age) for r in rows] == [
        ("ed", 30),
        ("wendy", 25),
        ("mary", 40),
        ("fred", 25),
    ]
    assert tuple(rows[0]) == ("ed", 30)


def test_query_of_two_entities_gives_tuples(s: Session, seeded: Models) -> None:
    User, Address = seeded.User, seeded.Address
    rows = s.query(User, Address).filter(User.id == Address.user_id).order_by(Address.id).all()
    assert [(u.name, a.email) for u, a in rows] == [
        ("ed", "ed@example.com"),
        ("ed", "ed@work.example.com"),
        ("wendy", "wendy@example.com"),
    ]
    assert rows[0][0] is rows[1][0]
    assert rows[0].User is rows[0][0]
    assert rows[0].Address.email == "ed@example.com"


def test_query_of_count_function_scalar(s: Session, seeded: Models) -> None:
    User = seeded.User
    assert s.query(func.count(User.id)).scalar() == 4
    assert s.query(func.max(User.age)).scalar() == 40


# -- criteria ---------------------------------------------------------------------------------


def test_filter_and_filter_by(s: Session, seeded: Models) -> None:
    User = seeded.User
    assert names(s.query(User).filter(User.age == 25).order_by(User.name).all()) == [
        "fred",
        "wendy",
    ]
    assert names(s.query(User).filter(User.age == 25, User.name != "fred").all()) == ["wendy"]
    assert names(s.query(User).filter_by(nickname="mary").all()) == ["mary"]
    assert names(s.query(User).filter_by(age=25, name="wendy").all()) == ["wendy"]


def test_filter_by_unknown_attribute_is_an_invalid_request(s: Session, seeded: Models) -> None:
    with pytest.raises(exc.InvalidRequestError, match=r"User has no attribute 'nope'"):
        s.query(seeded.User).filter_by(nope=1)


def test_order_by_limit_offset(s: Session, seeded: Models) -> None:
    User = seeded.User
    q = s.query(User).order_by(desc(User.age), User.name)
    assert names(q.all()) == ["mary", "ed", "fred", "wendy"]
    assert names(q.limit(2).all()) == ["mary", "ed"]
    assert names(q.offset(1).limit(2).all()) == ["ed", "fred"]


def test_group_by_and_having(s: Session, seeded: Models) -> None:
    User = seeded.User
    rows = (
        s.query(User.age, func.count(User.id).label("n"))
        .group_by(User.age)
        .having(func.count(User.id) > 1)
        .all()
    )
    assert [(r.age, r.n) for r in rows] == [(25, 2)]


def test_join_infers_the_on_clause_from_foreign_keys(
    s: Session, seeded: Models, recorder: Recorder
) -> None:
    User, Address = seeded.User, seeded.Address
    recorder.clear()
    users = s.query(User).join(Address).filter(Address.email.like("%work%")).all()
    assert names(users) == ["ed"]
    sql = recorder.selects[-1]
    assert (
        "FROM users JOIN addresses ON users.id = addresses.user_id" in sql
        or "FROM users JOIN addresses ON addresses.user_id = users.id" in sql
    )


def test_outerjoin_keeps_rows_without_a_match(s: Session, seeded: Models) -> None:
    User, Address = seeded.User, seeded.Address
    rows = (
        s.query(User.name, func.count(Address.id))
        .outerjoin(Address)
        .group_by(User.name)
        .order_by(User.name)
        .all()
    )
    assert [tuple(r) for r in rows] == [("ed", 2), ("fred", 0), ("mary", 0), ("wendy", 1)]
    pairs = s.query(User, Address).outerjoin(Address).filter(User.name == "mary").all()
    assert [(u.name, a) for u, a in pairs] == [("mary", None)]


def test_distinct(s: Session, seeded: Models) -> None:
    User = seeded.User
    assert sorted(r.age for r in s.query(User.age).distinct().all()) == [25, 30, 40]


# -- fetching ---------------------------------------------------------------------------------


def test_slicing_uses_limit_and_offset(s: Session, seeded: Models, recorder: Recorder) -> None:
    User = seeded.User
    q = s.query(User).order_by(User.id)
    recorder.clear()
    assert names(q[1:3]) == ["wendy", "mary"]
    assert "LIMIT" in recorder.selects[-1] and "OFFSET" in recorder.selects[-1]
    assert q[0].name == "ed"
    assert q[3].name == "fred"
    with pytest.raises(IndexError, match="out of range"):
        q[10]


def test_first_sends_limit_1(s: Session, seeded: Models, recorder: Recorder) -> None:
    User = seeded.User
    recorder.clear()
    first = s.query(User).order_by(User.id).first()
    assert first is not None and first.name == "ed"
    assert recorder.sql == [
        "SELECT users.id, users.name, users.fullname, users.nickname, users.age "
        "FROM users ORDER BY users.id LIMIT ?"
    ] or recorder.sql == [
        "SELECT users.id, users.name, users.fullname, users.nickname, users.age "
        "FROM users ORDER BY users.id LIMIT 1"
    ]
    assert s.query(User).filter(User.name == "nobody").first() is None


def test_one_and_its_errors(s: Session, seeded: Models) -> None:
    User = seeded.User
    assert s.query(User).filter_by(name="ed").one().id == 1
    with pytest.raises(exc.NoResultFound, match=r"(?i)no ?row|found none"):
        s.query(User).filter_by(name="nobody").one()
    with pytest.raises(exc.MultipleResultsFound, match=r"(?i)more|multiple"):
        s.query(User).filter_by(age=25).one()


def test_one_or_none(s: Session, seeded: Models) -> None:
    User = seeded.User
    assert s.query(User).filter_by(name="mary").one_or_none().id == 3  # type: ignore[union-attr]
    assert s.query(User).filter_by(name="nobody").one_or_none() is None
    with pytest.raises(exc.MultipleResultsFound, match=r"(?i)multiple|more"):
        s.query(User).filter_by(age=25).one_or_none()  # message: "...found more..."


def test_scalar_count_and_get(s: Session, seeded: Models, recorder: Recorder) -> None:
    User = seeded.User
    assert s.query(User.name).filter(User.id == 2).scalar() == "wendy"
    assert s.query(User.name).filter(User.id == 99).scalar() is None
    assert s.query(User).count() == 4
    assert s.query(User).filter(User.age == 25).count() == 2
    wendy = s.query(User).get(2)
    assert wendy is not None and wendy.name == "wendy"
    recorder.clear()
    assert s.query(User).get(2) is wendy
    assert recorder.entries == []
    assert s.query(User).get(99) is None


def test_exists(s: Session, seeded: Models) -> None:
    User = seeded.User
    assert s.query(s.query(User).filter(User.name == "ed").exists()).scalar() is True
    assert s.query(s.query(User).filter(User.name == "nobody").exists()).scalar() is False


def test_options_are_accepted(s: Session, seeded: Models) -> None:
    User = seeded.User
    assert names(s.query(User).options().filter_by(name="ed").all()) == ["ed"]


def test_iteration(s: Session, seeded: Models) -> None:
    User = seeded.User
    assert [u.name for u in s.query(User).order_by(User.id)] == ["ed", "wendy", "mary", "fred"]
    assert [(r.id, r.name) for r in s.query(User.id, User.name).filter(User.id < 3)] == [
        (1, "ed"),
        (2, "wendy"),
    ]


def test_with_entities_and_add_columns(s: Session, seeded: Models) -> None:
    User, Address = seeded.User, seeded.Address
    q = s.query(User).filter(User.age == 25).order_by(User.id)
    assert [tuple(r) for r in q.with_entities(User.id, User.name).all()] == [
        (2, "wendy"),
        (4, "fred"),
    ]
    rows = q.add_columns(User.nickname).all()
    assert [(u.name, nick) for u, nick in rows] == [("wendy", "windy"), ("fred", "freddy")]
    emails = s.query(User).join(Address).filter(User.id == 2).add_columns(Address.email).all()
    assert [(u.name, r) for u, r in emails] == [("wendy", "wendy@example.com")]


def test_query_autoflushes(s: Session, seeded: Models) -> None:
    User = seeded.User
    s.add(User(name="zed", age=25))
    assert s.query(User).filter_by(age=25).count() == 3


# -- bulk update and delete -------------------------------------------------------------------


@pytest.mark.parametrize("sync", ["evaluate", "fetch"])
def test_query_update_synchronizes_loaded_objects(s: Session, seeded: Models, sync: str) -> None:
    User = seeded.User
    wendy, ed = s.get(User, 2), s.get(User, 1)
    count = (
        s.query(User)
        .filter(User.age == 25)
        .update({User.nickname: "young", "fullname": "Someone"}, synchronize_session=sync)
    )
    assert count == 2
    assert (wendy.nickname, wendy.fullname) == ("young", "Someone")
    assert ed.nickname == "eddie"
    assert not s.is_modified(wendy)
    assert s.query(User.nickname).filter_by(id=4).scalar() == "young"


def test_query_update_without_synchronization_leaves_objects_alone(
    s: Session, seeded: Models
) -> None:
    User = seeded.User
    wendy = s.get(User, 2)
    count = s.query(User).filter(User.id == 2).update({"age": 26}, synchronize_session=False)
    assert count == 1
    assert wendy.age == 25
    s.refresh(wendy)
    assert wendy.age == 26


@pytest.mark.parametrize("sync", ["evaluate", "fetch"])
def test_query_delete_removes_loaded_objects(s: Session, seeded: Models, sync: str) -> None:
    User = seeded.User
    mary, ed = s.get(User, 3), s.get(User, 1)
    count = s.query(User).filter(User.age > 35).delete(synchronize_session=sync)
    assert count == 1
    assert mary not in s
    assert ed in s
    assert s.query(User).count() == 3


def test_query_delete_without_synchronization_keeps_objects(s: Session, seeded: Models) -> None:
    User = seeded.User
    mary = s.get(User, 3)
    assert s.query(User).filter(User.id == 3).delete(synchronize_session=False) == 1
    assert mary in s
    assert s.query(User).count() == 3


def test_query_update_with_bad_synchronize_session_is_an_argument_error(
    s: Session, seeded: Models
) -> None:
    with pytest.raises(exc.ArgumentError, match=r"synchronize_session.*'nope'"):
        s.query(seeded.User).update({"age": 1}, synchronize_session="nope")


def test_evaluate_of_an_unevaluable_criterion_is_an_invalid_request_error(
    s: Session, seeded: Models
) -> None:
    User = seeded.User
    with pytest.raises(
        exc.InvalidRequestError,
        match=r"could not be evaluated in Python.*the SQL function lower\(\).*"
        r"specify synchronize_session='fetch' or False",
    ):
        s.query(User).filter(func.lower(User.name) == "ed").update(
            {"age": 1}, synchronize_session="evaluate"
        )


# -- 2.0 style --------------------------------------------------------------------------------


def test_select_through_session_scalars(s: Session, seeded: Models) -> None:
    User = seeded.User
    users = s.scalars(select(User).where(User.age == 25).order_by(User.name)).all()
    assert names(users) == ["fred", "wendy"]
    assert s.scalars(select(User).where(User.name == "ed")).one().id == 1
    assert s.scalars(select(User).where(User.name == "x")).first() is None
    assert s.scalars(select(User).where(User.name == "x")).one_or_none() is None
    assert s.execute(select(User).where(User.id == 3)).scalar_one().name == "mary"
    with pytest.raises(exc.MultipleResultsFound):
        s.scalars(select(User)).one()
    assert s.scalars(select(User.name).order_by(User.name).limit(2)).all() == ["ed", "fred"]


def test_select_join_through_session(s: Session, seeded: Models) -> None:
    User, Address = seeded.User, seeded.Address
    rows = s.execute(
        select(User, Address.email).join(Address).where(User.name == "ed").order_by(Address.id)
    ).all()
    assert [(u.name, e) for u, e in rows] == [
        ("ed", "ed@example.com"),
        ("ed", "ed@work.example.com"),
    ]
    assert rows[0][0] is rows[1][0]
