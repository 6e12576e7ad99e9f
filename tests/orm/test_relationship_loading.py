"""Loading related objects: lazy, selectin, joined, raise, noload, write-only, dynamic; loader
options and their chains; statement counts; N+1 warnings; detached objects."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

import ormkit
from ormkit import Column, ForeignKey, String, Table, exc, func, select
from ormkit.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    contains_eager,
    defaultload,
    joinedload,
    lazyload,
    mapped_column,
    noload,
    raiseload,
    relationship,
    selectinload,
)
from ormkit.testing import count_queries


@dataclass
class Blog:
    User: Any
    Post: Any
    Tag: Any
    post_tags: Table


def make_blog(engine: ormkit.Engine, posts_lazy: str = "select") -> Blog:
    class Base(DeclarativeBase):
        pass

    post_tags = Table(
        "post_tags",
        Base.metadata,
        Column("post_id", ForeignKey("posts.id"), primary_key=True),
        Column("tag_id", ForeignKey("tags.id"), primary_key=True),
    )

    class User(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50))
        posts: Mapped[list[Post]] = relationship(
            back_populates="author", order_by="Post.id", lazy=posts_lazy
        )

    class Post(Base):
        __tablename__ = "posts"
        id: Mapped[int] = mapped_column(primary_key=True)
        title: Mapped[str] = mapped_column(String(100))
        user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
        author: Mapped[User | None] = relationship(back_populates="posts")
        tags: Mapped[list[Tag]] = relationship(secondary=post_tags, order_by="Tag.id")

    class Tag(Base):
        __tablename__ = "tags"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(30))

    Base.metadata.create_all(engine)
    return Blog(User, Post, Tag, post_tags)


def seed(engine: ormkit.Engine, blog: Blog, users: int = 3, posts_each: int = 4) -> None:
    """``users`` users (ids 1..), each with ``posts_each`` posts; every post tagged t1 and t2."""
    User, Post, Tag = blog.User, blog.Post, blog.Tag
    with Session(engine) as s:
        tags = [Tag(id=1, name="t1"), Tag(id=2, name="t2")]
        s.add_all(tags)
        pid = 0
        for uid in range(1, users + 1):
            user = User(id=uid, name=f"u{uid}")
            for _ in range(posts_each):
                pid += 1
                user.posts.append(Post(id=pid, title=f"p{pid}", tags=list(tags)))
            s.add(user)
        s.commit()


@pytest.fixture
def blog(engine: ormkit.Engine) -> Blog:
    b = make_blog(engine)
    seed(engine, b)
    return b


@pytest.fixture
def s(engine: ormkit.Engine) -> Iterator[Session]:
    with Session(engine) as sess:
        yield sess


def titles(user: Any) -> list[str]:
    return [p.title for p in user.posts]


# -- lazy loading (the default) -----------------------------------------------------------------


def test_lazy_select_loads_a_collection_on_first_access_only(
    engine: ormkit.Engine, blog: Blog, s: Session
) -> None:
    with count_queries(engine) as q:
        user = s.scalars(select(blog.User).where(blog.User.id == 1)).one()
    assert q.count == 1
    assert "posts" not in user.__dict__
    with count_queries(engine) as q:
        assert titles(user) == ["p1", "p2", "p3", "p4"]
        assert titles(user) == ["p1", "p2", "p3", "p4"]
    assert q.count == 1
    assert "posts" in q.statements[0]


def test_lazy_many_to_one_already_in_the_identity_map_costs_no_sql(
    engine: ormkit.Engine, blog: Blog, s: Session
) -> None:
    user = s.get(blog.User, 2)
    post = s.get(blog.Post, 5)
    with count_queries(engine) as q:
        assert post.author is user
    assert q.count == 0


def test_lazy_many_to_one_not_in_the_identity_map_loads_it(
    engine: ormkit.Engine, blog: Blog, s: Session
) -> None:
    post = s.get(blog.Post, 5)
    with count_queries(engine) as q:
        assert post.author.name == "u2"
    assert q.count == 1


def test_lazy_many_to_one_loads_an_expired_object_it_finds_in_the_identity_map(
    engine: ormkit.Engine, blog: Blog, s: Session
) -> None:
    """As SQLAlchemy: the object found is refreshed, so it is usable once detached."""
    user = s.get(blog.User, 2)
    post = s.get(blog.Post, 5)
    s.commit()  # expires both
    with count_queries(engine) as q:
        assert post.author is user
    assert q.count == 2  # the post's row, then the user's
    s.close()
    assert user.name == "u2"


def test_lazy_many_to_one_leaves_a_partly_expired_object_it_finds_as_it_is(
    engine: ormkit.Engine, blog: Blog, s: Session
) -> None:
    user = s.get(blog.User, 2)
    post = s.get(blog.Post, 5)
    s.expire(user, ["name"])
    with count_queries(engine) as q:
        assert post.author is user
    assert q.count == 0 and "name" not in user.__dict__


# -- eager strategies ---------------------------------------------------------------------------


def test_selectinload_loads_every_collection_with_one_more_statement(
    engine: ormkit.Engine, blog: Blog, s: Session
) -> None:
    User = blog.User
    with count_queries(engine) as q:
        users = s.scalars(select(User).options(selectinload(User.posts)).order_by(User.id)).all()
        assert [titles(u) for u in users] == [
            ["p1", "p2", "p3", "p4"],
            ["p5", "p6", "p7", "p8"],
            ["p9", "p10", "p11", "p12"],
        ]
        assert all(p.author is u for u in users for p in u.posts)
    assert q.count == 2
    assert " IN " in q.statements[1].upper()


def test_selectinload_of_a_many_to_one(engine: ormkit.Engine, blog: Blog, s: Session) -> None:
    Post = blog.Post
    with count_queries(engine) as q:
        posts = s.scalars(select(Post).options(selectinload(Post.author)).order_by(Post.id)).all()
        assert [p.author.name for p in posts] == ["u1"] * 4 + ["u2"] * 4 + ["u3"] * 4
    assert q.count == 2


def test_joinedload_uses_one_statement_and_deduplicates_parents(
    engine: ormkit.Engine, blog: Blog, s: Session
) -> None:
    User = blog.User
    with count_queries(engine) as q:
        users = (
            s.scalars(select(User).options(joinedload(User.posts)).order_by(User.id)).unique().all()
        )
        assert [u.name for u in users] == ["u1", "u2", "u3"]
        assert [len(u.posts) for u in users] == [4, 4, 4]
        assert titles(users[2]) == ["p9", "p10", "p11", "p12"]
    assert q.count == 1
    assert "JOIN" in q.statements[0].upper()


def test_joinedload_through_legacy_query_deduplicates_parents(
    engine: ormkit.Engine, blog: Blog, s: Session
) -> None:
    User = blog.User
    with count_queries(engine) as q:
        users = s.query(User).options(joinedload(User.posts)).order_by(User.id).all()
        assert len(users) == 3
        assert [len(u.posts) for u in users] == [4, 4, 4]
    assert q.count == 1


def test_relationship_level_lazy_selectin_and_joined(engine: ormkit.Engine) -> None:
    for strategy, expected in (("selectin", 2), ("joined", 1)):
        blog = make_blog(engine, posts_lazy=strategy)
        seed(engine, blog)
        with Session(engine) as s, count_queries(engine) as q:
            users = s.scalars(select(blog.User).order_by(blog.User.id)).unique().all()
            assert [len(u.posts) for u in users] == [4, 4, 4]
        assert q.count == expected, (strategy, q.statements)
        blog.User.__table__.metadata.drop_all(engine)


def test_lazyload_option_overrides_an_eager_relationship(engine: ormkit.Engine) -> None:
    blog = make_blog(engine, posts_lazy="selectin")
    seed(engine, blog)
    User = blog.User
    with Session(engine) as s, count_queries(engine) as q:
        users = s.scalars(select(User).options(lazyload(User.posts)).order_by(User.id)).all()
        assert q.count == 1
        assert "posts" not in users[0].__dict__
        assert len(users[0].posts) == 4
        assert q.count == 2


# -- raise and noload ---------------------------------------------------------------------------


def test_raiseload_makes_reading_the_attribute_an_error_naming_it(blog: Blog, s: Session) -> None:
    User = blog.User
    user = s.scalars(select(User).options(raiseload(User.posts)).where(User.id == 1)).one()
    with pytest.raises(exc.InvalidRequestError) as info:
        _ = user.posts
    message = str(info.value)
    assert "User.posts" in message
    assert "selectinload(User.posts)" in message


def test_lazy_raise_on_the_relationship_makes_reading_it_an_error(
    engine: ormkit.Engine,
) -> None:
    blog = make_blog(engine, posts_lazy="raise")
    seed(engine, blog, users=1, posts_each=1)
    with Session(engine) as s:
        user = s.get(blog.User, 1)
        with pytest.raises(exc.InvalidRequestError, match=r"User\.posts.*selectinload"):
            _ = user.posts
        loaded = s.scalars(select(blog.User).options(selectinload(blog.User.posts))).one()
        assert titles(loaded) == ["p1"]


def test_noload_leaves_the_relationship_empty_without_sql(
    engine: ormkit.Engine, blog: Blog, s: Session
) -> None:
    User, Post = blog.User, blog.Post
    user = s.scalars(select(User).options(noload(User.posts)).where(User.id == 1)).one()
    post = s.scalars(select(Post).options(noload(Post.author)).where(Post.id == 1)).one()
    with count_queries(engine) as q:
        assert user.posts == []
        assert post.author is None
    assert q.count == 0


# -- write-only and dynamic collections ---------------------------------------------------------


def big_collection_models(engine: ormkit.Engine, lazy: str) -> tuple[Any, Any]:
    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50))
        posts = relationship("Post", lazy=lazy, order_by="Post.id")

    class Post(Base):
        __tablename__ = "posts"
        id: Mapped[int] = mapped_column(primary_key=True)
        title: Mapped[str] = mapped_column(String(50))
        user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    Base.metadata.create_all(engine)
    return User, Post


def test_write_only_collection_queues_adds_and_removes_and_never_loads(
    engine: ormkit.Engine,
) -> None:
    User, Post = big_collection_models(engine, "write_only")
    with Session(engine) as s:
        ed = User(id=1, name="ed")
        ed.posts.add(Post(id=1, title="a"))
        ed.posts.add_all([Post(id=2, title="b"), Post(id=3, title="c")])
        s.add(ed)
        s.commit()
    with Session(engine) as s:
        ed = s.get(User, 1)
        with count_queries(engine) as q:
            stmt = ed.posts.select()
            assert not isinstance(ed.posts, list)
        assert q.count == 0
        assert [p.title for p in s.scalars(stmt).all()] == ["a", "b", "c"]
        filtered = s.scalars(ed.posts.select().where(Post.title != "b")).all()
        assert [p.title for p in filtered] == ["a", "c"]
        ed.posts.remove(s.get(Post, 1))
        ed.posts.add(Post(id=4, title="d"))
        s.flush()
        assert [p.title for p in s.scalars(ed.posts.select()).all()] == ["b", "c", "d"]
        assert s.get(Post, 1).user_id is None
        s.commit()
    rows = table_rows(engine, Post)
    assert rows == [(1, "a", None), (2, "b", 1), (3, "c", 1), (4, "d", 1)]


def test_write_only_select_of_an_expired_owner_loads_the_owner_key(
    engine: ormkit.Engine,
) -> None:
    User, Post = big_collection_models(engine, "write_only")
    with Session(engine) as s:
        s.add_all([User(id=1, name="ed"), Post(id=1, title="unowned")])
        s.get(User, 1).posts.add(Post(id=2, title="mine"))
        s.commit()  # expires ed: select() must load ed.id, not compare with NULL
        ed = s.get(User, 1)
        s.expire(ed)
        assert [p.title for p in s.scalars(ed.posts.select()).all()] == ["mine"]


def table_rows(engine: ormkit.Engine, cls: Any) -> list[tuple[Any, ...]]:
    t = cls.__table__
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(t).order_by(t.c.id)).all()]


def test_write_only_collection_cannot_be_iterated(engine: ormkit.Engine) -> None:
    User, _ = big_collection_models(engine, "write_only")
    with Session(engine) as s:
        s.add(User(id=1, name="ed"))
        s.commit()
        ed = s.get(User, 1)
        with count_queries(engine) as q, pytest.raises(TypeError):
            list(ed.posts)
        assert q.count == 0


def test_dynamic_relationship_is_a_query_with_filter_count_and_append(
    engine: ormkit.Engine,
) -> None:
    User, Post = big_collection_models(engine, "dynamic")
    with Session(engine) as s:
        ed = User(id=1, name="ed")
        s.add_all([ed, User(id=2, name="wendy"), Post(id=9, title="other", user_id=2)])
        s.commit()
        ed.posts.append(Post(id=1, title="a"))
        ed.posts.append(Post(id=2, title="b"))
        s.commit()
        assert ed.posts.count() == 2
        assert [p.title for p in ed.posts.all()] == ["a", "b"]
        assert [p.title for p in ed.posts.filter(Post.title == "b").all()] == ["b"]
        assert ed.posts.filter(Post.title == "zzz").first() is None


# -- chained options and both query APIs ------------------------------------------------------


def test_chained_selectinload_loads_two_levels_in_three_statements(
    engine: ormkit.Engine, blog: Blog, s: Session
) -> None:
    User, Post = blog.User, blog.Post
    with count_queries(engine) as q:
        users = s.scalars(
            select(User).options(selectinload(User.posts).selectinload(Post.tags)).order_by(User.id)
        ).all()
        assert [[t.name for t in p.tags] for p in users[0].posts] == [["t1", "t2"]] * 4
        assert sum(len(p.tags) for u in users for p in u.posts) == 24
    assert q.count == 3


def test_joinedload_then_selectinload_loads_two_levels_in_two_statements(
    engine: ormkit.Engine, blog: Blog, s: Session
) -> None:
    User, Post = blog.User, blog.Post
    with count_queries(engine) as q:
        users = (
            s.scalars(
                select(User)
                .options(joinedload(User.posts).selectinload(Post.tags))
                .order_by(User.id)
            )
            .unique()
            .all()
        )
        assert len(users) == 3
        assert [[t.name for t in p.tags] for p in users[1].posts] == [["t1", "t2"]] * 4
    assert q.count == 2


def test_defaultload_reaches_a_deeper_option_without_changing_the_first_hop(
    engine: ormkit.Engine, blog: Blog, s: Session
) -> None:
    User, Post = blog.User, blog.Post
    user = s.scalars(
        select(User).options(defaultload(User.posts).selectinload(Post.tags)).where(User.id == 1)
    ).one()
    assert "posts" not in user.__dict__
    with count_queries(engine) as q:
        posts = list(user.posts)
        assert [t.name for t in posts[0].tags] == ["t1", "t2"]
        assert all("tags" in p.__dict__ for p in posts)
    assert q.count == 2  # the lazy load of posts, and one selectin load of all their tags


def test_options_work_through_legacy_query_options(
    engine: ormkit.Engine, blog: Blog, s: Session
) -> None:
    User, Post = blog.User, blog.Post
    with count_queries(engine) as q:
        users = (
            s.query(User)
            .options(selectinload(User.posts).selectinload(Post.tags))
            .order_by(User.id)
            .all()
        )
        assert [len(u.posts) for u in users] == [4, 4, 4]
        assert len(users[2].posts[3].tags) == 2
    assert q.count == 3


def test_contains_eager_fills_the_collection_from_an_explicit_join(
    engine: ormkit.Engine, blog: Blog, s: Session
) -> None:
    User, Post = blog.User, blog.Post
    with count_queries(engine) as q:
        users = (
            s.scalars(
                select(User)
                .join(User.posts)
                .where(Post.title.in_(["p1", "p2", "p5"]))
                .options(contains_eager(User.posts))
                .order_by(User.id, Post.id)
            )
            .unique()
            .all()
        )
        assert [u.name for u in users] == ["u1", "u2"]
        assert titles(users[0]) == ["p1", "p2"]  # only the joined rows, as filtered
        assert titles(users[1]) == ["p5"]
    assert q.count == 1


def test_contains_eager_without_the_join_is_an_error(blog: Blog, s: Session) -> None:
    User = blog.User
    with pytest.raises(exc.InvalidRequestError, match=r"contains_eager\(User\.posts\).*join"):
        s.scalars(select(User).options(contains_eager(User.posts))).all()


def test_a_loader_option_needs_a_relationship_attribute(blog: Blog) -> None:
    with pytest.raises(exc.ArgumentError, match=r"relationship attribute.*User\.name"):
        selectinload(blog.User.name)


# -- the required statement counts: 100 users with 3 posts each ---------------------------------


@pytest.fixture
def hundred(engine: ormkit.Engine) -> Blog:
    blog = make_blog(engine)
    User, Post = blog.User, blog.Post
    with Session(engine) as s:
        for uid in range(1, 101):
            s.add(User(id=uid, name=f"u{uid}"))
        s.flush()
        s.add_all(
            [
                Post(id=uid * 10 + k, title=f"p{k}", user_id=uid)
                for uid in range(1, 101)
                for k in range(3)
            ]
        )
        s.commit()
    return blog


def touch_all(users: list[Any]) -> int:
    return sum(len(u.posts) for u in users)


def test_selectinload_of_100_users_is_exactly_2_statements(
    engine: ormkit.Engine, hundred: Blog
) -> None:
    User = hundred.User
    with Session(engine) as s, count_queries(engine) as q:
        users = s.scalars(select(User).options(selectinload(User.posts)).order_by(User.id)).all()
        assert len(users) == 100
        assert touch_all(users) == 300
    assert q.count == 2, q.statements


def test_joinedload_of_100_users_is_exactly_1_statement(
    engine: ormkit.Engine, hundred: Blog
) -> None:
    User = hundred.User
    with Session(engine) as s, count_queries(engine) as q:
        users = (
            s.scalars(select(User).options(joinedload(User.posts)).order_by(User.id)).unique().all()
        )
        assert len(users) == 100
        assert touch_all(users) == 300
    assert q.count == 1, q.statements


def test_lazy_loading_of_100_users_is_exactly_101_statements(
    engine: ormkit.Engine, hundred: Blog
) -> None:
    User = hundred.User
    with Session(engine, n_plus_one_warning=None) as s, count_queries(engine) as q:
        users = s.scalars(select(User).order_by(User.id)).all()
        assert len(users) == 100
        assert touch_all(users) == 300
    assert q.count == 101


# -- N+1 warnings --------------------------------------------------------------------------------


def test_lazy_loading_for_many_objects_of_one_query_warns_about_n_plus_one(
    engine: ormkit.Engine, hundred: Blog
) -> None:
    User = hundred.User
    with Session(engine) as s:
        users = s.scalars(select(User).order_by(User.id)).all()
        with pytest.warns(exc.NPlusOneWarning, match=r"User\.posts.*selectinload\(User\.posts\)"):
            touch_all(users)


def test_the_n_plus_one_warning_can_be_turned_off(engine: ormkit.Engine, hundred: Blog) -> None:
    User = hundred.User
    with Session(engine, n_plus_one_warning=None) as s, warnings.catch_warnings():
        warnings.simplefilter("error", exc.NPlusOneWarning)
        users = s.scalars(select(User).order_by(User.id)).all()
        assert touch_all(users) == 300


def test_selectinload_gives_no_n_plus_one_warning(engine: ormkit.Engine, hundred: Blog) -> None:
    User = hundred.User
    with Session(engine) as s, warnings.catch_warnings():
        warnings.simplefilter("error", exc.NPlusOneWarning)
        users = s.scalars(select(User).options(selectinload(User.posts))).all()
        assert touch_all(users) == 300


def test_a_few_lazy_loads_give_no_n_plus_one_warning(engine: ormkit.Engine, hundred: Blog) -> None:
    User = hundred.User
    with Session(engine) as s, warnings.catch_warnings():
        warnings.simplefilter("error", exc.NPlusOneWarning)
        users = s.scalars(select(User).order_by(User.id)).all()
        assert touch_all(users[:2]) == 6


# -- detached objects --------------------------------------------------------------------------


def test_reading_an_unloaded_relationship_of_a_detached_object_says_what_to_do(
    engine: ormkit.Engine, blog: Blog
) -> None:
    with Session(engine, expire_on_commit=False) as s:
        user = s.get(blog.User, 1)
    with pytest.raises(exc.DetachedInstanceError) as info:
        _ = user.posts
    message = str(info.value)
    assert "detached" in message
    assert "'posts'" in message
    assert "selectinload(User.posts)" in message
    assert "add it to a session" in message


def test_a_relationship_loaded_before_detaching_stays_readable(
    engine: ormkit.Engine, blog: Blog
) -> None:
    User = blog.User
    with Session(engine) as s:
        user = s.scalars(select(User).options(selectinload(User.posts)).where(User.id == 1)).one()
        s.expunge(user)
    assert titles(user) == ["p1", "p2", "p3", "p4"]


def test_count_queries_counts_only_inside_the_block(engine: ormkit.Engine, blog: Blog) -> None:
    with Session(engine) as s:
        with count_queries(engine) as q:
            s.scalar(select(func.count()).select_from(blog.User))
        s.scalar(select(func.count()).select_from(blog.Post))
    assert q.count == 1


def test_many_to_ones_found_in_the_identity_map_give_no_n_plus_one_warning(
    engine: ormkit.Engine, hundred: Blog
) -> None:
    User, Post = hundred.User, hundred.Post
    with Session(engine) as s, warnings.catch_warnings():
        warnings.simplefilter("error", exc.NPlusOneWarning)
        # every author is now in the identity map (kept referenced: the map holds objects
        # weakly, in ormkit as in SQLAlchemy, so unreferenced ones would be gone)
        authors = s.scalars(select(User)).all()
        posts = s.scalars(select(Post).order_by(Post.id)).all()
        with count_queries(engine) as q:
            assert len({p.author.id for p in posts}) == 100
        assert q.count == 0  # no SQL ran, so there is no N+1 pattern to warn about
        assert len(authors) == 100
