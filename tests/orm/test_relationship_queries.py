"""Relationships in SQL: joins along relationships, any()/has()/contains()/==, with_parent."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

import ormkit
from ormkit import Column, ForeignKey, String, Table, exc, select
from ormkit.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    aliased,
    mapped_column,
    relationship,
    with_parent,
)


@dataclass
class Blog:
    User: Any
    Post: Any
    Tag: Any


@pytest.fixture
def blog(engine: ormkit.Engine) -> Blog:
    """ed: posts x (tags a, b) and y (tag b); wendy: post z; mary: no posts."""

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
        posts: Mapped[list[Post]] = relationship(back_populates="author", order_by="Post.id")

    class Post(Base):
        __tablename__ = "posts"
        id: Mapped[int] = mapped_column(primary_key=True)
        title: Mapped[str] = mapped_column(String(100))
        user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
        author: Mapped[User | None] = relationship(back_populates="posts")
        tags: Mapped[list[Tag]] = relationship(
            secondary=post_tags, back_populates="posts", order_by="Tag.id"
        )

    class Tag(Base):
        __tablename__ = "tags"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(30))
        posts: Mapped[list[Post]] = relationship(
            secondary=post_tags, back_populates="tags", order_by="Post.id"
        )

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        a, b = Tag(id=1, name="a"), Tag(id=2, name="b")
        s.add_all(
            [
                User(
                    id=1,
                    name="ed",
                    posts=[Post(id=1, title="x", tags=[a, b]), Post(id=2, title="y", tags=[b])],
                ),
                User(id=2, name="wendy", posts=[Post(id=3, title="z")]),
                User(id=3, name="mary"),
                Post(id=4, title="x"),  # no author
            ]
        )
        s.commit()
    return Blog(User, Post, Tag)


@pytest.fixture
def s(engine: ormkit.Engine, blog: Blog) -> Iterator[Session]:
    with Session(engine) as sess:
        yield sess


def names(users: Any) -> list[str]:
    return [u.name for u in users]


# -- joins along relationships ------------------------------------------------------------------


def test_select_join_along_a_one_to_many(blog: Blog, s: Session) -> None:
    User, Post = blog.User, blog.Post
    stmt = select(User).join(User.posts).where(Post.title == "x").order_by(User.id)
    assert names(s.scalars(stmt).all()) == ["ed"]
    pairs = s.execute(
        select(User.name, Post.title).join(User.posts).order_by(User.name, Post.title)
    ).all()
    assert [tuple(p) for p in pairs] == [("ed", "x"), ("ed", "y"), ("wendy", "z")]


def test_select_join_along_a_many_to_one(blog: Blog, s: Session) -> None:
    User, Post = blog.User, blog.Post
    stmt = select(Post.title).join(Post.author).where(User.name == "wendy")
    assert s.scalars(stmt).all() == ["z"]


def test_select_outerjoin_along_a_relationship_keeps_parents_without_children(
    blog: Blog, s: Session
) -> None:
    User, Post = blog.User, blog.Post
    rows = s.execute(
        select(User.name, Post.title).outerjoin(User.posts).order_by(User.id, Post.id)
    ).all()
    assert [tuple(r) for r in rows] == [("ed", "x"), ("ed", "y"), ("wendy", "z"), ("mary", None)]


def test_select_join_along_a_many_to_many(blog: Blog, s: Session) -> None:
    Post, Tag = blog.Post, blog.Tag
    stmt = select(Post.title).join(Post.tags).where(Tag.name == "b").order_by(Post.id)
    assert s.scalars(stmt).all() == ["x", "y"]


def test_legacy_query_join_along_a_relationship(blog: Blog, s: Session) -> None:
    User, Post = blog.User, blog.Post
    users = s.query(User).join(User.posts).filter(Post.title == "z").all()
    assert names(users) == ["wendy"]
    titles = [p.title for p in s.query(Post).join(Post.tags).filter(blog.Tag.name == "a").all()]
    assert titles == ["x"]


def test_legacy_filter_by_after_a_relationship_join_applies_to_the_joined_entity(
    blog: Blog, s: Session
) -> None:
    Post = blog.Post
    titles = [p.title for p in s.query(Post).join(Post.tags).filter_by(name="a").all()]
    assert titles == ["x"]


def test_aliased_targets_join_the_same_table_twice(blog: Blog, s: Session) -> None:
    User, Post = blog.User, blog.Post
    p1, p2 = aliased(Post), aliased(Post)
    stmt = (
        select(User)
        .join(p1, User.id == p1.user_id)
        .join(p2, User.id == p2.user_id)
        .where(p1.title == "x", p2.title == "y")
    )
    assert names(s.scalars(stmt).all()) == ["ed"]


def test_aliased_relationship_join_with_of_type(blog: Blog, s: Session) -> None:
    User, Post = blog.User, blog.Post
    p1, p2 = aliased(Post), aliased(Post)
    stmt = (
        select(User)
        .join(User.posts.of_type(p1))
        .join(User.posts.of_type(p2))
        .where(p1.title == "x", p2.title == "y")
    )
    assert names(s.scalars(stmt).all()) == ["ed"]


# -- any(), has(), contains(), == ----------------------------------------------------------------


def test_any_on_a_collection(blog: Blog, s: Session) -> None:
    User, Post = blog.User, blog.Post
    stmt = select(User).where(User.posts.any(Post.title == "x")).order_by(User.id)
    assert names(s.scalars(stmt).all()) == ["ed"]
    assert names(s.scalars(select(User).where(User.posts.any()).order_by(User.id))) == [
        "ed",
        "wendy",
    ]
    assert names(s.scalars(select(User).where(~User.posts.any()))) == ["mary"]
    assert names(s.scalars(select(User).where(User.posts.any(title="z")))) == ["wendy"]


def test_any_on_a_many_to_many(blog: Blog, s: Session) -> None:
    Post, Tag = blog.Post, blog.Tag
    stmt = select(Post.title).where(Post.tags.any(Tag.name == "a")).order_by(Post.id)
    assert s.scalars(stmt).all() == ["x"]
    stmt = select(Tag.name).where(Tag.posts.any(Post.title == "y")).order_by(Tag.id)
    assert s.scalars(stmt).all() == ["b"]


def test_has_on_a_many_to_one(blog: Blog, s: Session) -> None:
    User, Post = blog.User, blog.Post
    stmt = select(Post.id).where(Post.author.has(User.name == "ed")).order_by(Post.id)
    assert s.scalars(stmt).all() == [1, 2]
    assert s.scalars(select(Post.id).where(~Post.author.has()).order_by(Post.id)).all() == [4]


def test_any_on_a_many_to_one_and_has_on_a_collection_are_errors(blog: Blog) -> None:
    User, Post = blog.User, blog.Post
    with pytest.raises(exc.InvalidRequestError, match=r"has\(\)"):
        Post.author.any()
    with pytest.raises(exc.InvalidRequestError, match=r"any\(\)"):
        User.posts.has()


def test_contains_an_object(blog: Blog, s: Session) -> None:
    User, Post, Tag = blog.User, blog.Post, blog.Tag
    z = s.get(Post, 3)
    assert names(s.scalars(select(User).where(User.posts.contains(z)))) == ["wendy"]
    b = s.get(Tag, 2)
    stmt = select(Post.id).where(Post.tags.contains(b)).order_by(Post.id)
    assert s.scalars(stmt).all() == [1, 2]


def test_many_to_one_compared_with_an_object(blog: Blog, s: Session) -> None:
    User, Post = blog.User, blog.Post
    ed = s.get(User, 1)
    assert s.scalars(select(Post.id).where(Post.author == ed).order_by(Post.id)).all() == [1, 2]
    assert s.scalars(select(Post.id).where(Post.author == None)).all() == [4]  # noqa: E711


def test_many_to_one_not_equal_to_an_object_includes_rows_without_one(
    blog: Blog, s: Session
) -> None:
    User, Post = blog.User, blog.Post
    ed = s.get(User, 1)
    # as in SQLAlchemy: "posts.user_id != ? OR posts.user_id IS NULL"
    assert s.scalars(select(Post.id).where(Post.author != ed).order_by(Post.id)).all() == [3, 4]


# -- with_parent ----------------------------------------------------------------------------


def test_with_parent_selects_the_children_of_an_object(blog: Blog, s: Session) -> None:
    User, Post = blog.User, blog.Post
    ed = s.get(User, 1)
    stmt = select(Post).where(with_parent(ed, User.posts)).order_by(Post.id)
    assert [p.title for p in s.scalars(stmt)] == ["x", "y"]
    legacy = s.query(Post).filter(with_parent(ed, User.posts)).order_by(Post.id).all()
    assert [p.id for p in legacy] == [1, 2]


def test_with_parent_along_a_many_to_one_and_a_many_to_many(blog: Blog, s: Session) -> None:
    User, Post, Tag = blog.User, blog.Post, blog.Tag
    z = s.get(Post, 3)
    assert names(s.scalars(select(User).where(with_parent(z, Post.author)))) == ["wendy"]
    x = s.get(Post, 1)
    stmt = select(Tag.name).where(with_parent(x, Post.tags)).order_by(Tag.id)
    assert s.scalars(stmt).all() == ["a", "b"]


def test_with_parent_of_an_expired_object_loads_its_key(blog: Blog, s: Session) -> None:
    User, Post = blog.User, blog.Post
    wendy = s.get(User, 2)
    s.commit()  # expires wendy
    stmt = select(Post.title).where(with_parent(wendy, User.posts))
    assert s.scalars(stmt).all() == ["z"]
