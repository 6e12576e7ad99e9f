"""A small blog: users, posts, tags (many-to-many) and threaded comments (self-referential).

Run it: ``python examples/blog.py [URL]`` (in-memory SQLite by default). It shows the three
ways of loading related rows and how many statements each sends for 20 users.
"""

from __future__ import annotations

import sys
import warnings
from typing import Optional

from ormkit import Column, ForeignKey, String, Table, create_engine, func, select
from ormkit.exc import NPlusOneWarning
from ormkit.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    joinedload,
    mapped_column,
    relationship,
    selectinload,
)
from ormkit.testing import count_queries


class Base(DeclarativeBase):
    pass


post_tags = Table(
    "post_tags",
    Base.metadata,
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    posts: Mapped[list[Post]] = relationship(
        back_populates="author", cascade="all, delete-orphan", order_by="Post.id"
    )


class Post(Base):
    __tablename__ = "posts"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    author: Mapped[User] = relationship(back_populates="posts")
    tags: Mapped[list[Tag]] = relationship(secondary=post_tags, back_populates="posts")
    comments: Mapped[list[Comment]] = relationship(
        back_populates="post", cascade="all, delete-orphan", order_by="Comment.id"
    )


class Tag(Base):
    __tablename__ = "tags"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30), unique=True)
    posts: Mapped[list[Post]] = relationship(secondary=post_tags, back_populates="tags")


class Comment(Base):
    __tablename__ = "comments"
    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(500))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("comments.id"))
    post: Mapped[Post] = relationship(back_populates="comments")
    replies: Mapped[list[Comment]] = relationship(back_populates="parent")
    parent: Mapped[Optional[Comment]] = relationship(
        back_populates="replies", remote_side=[id]
    )


def show_thread(comment: Comment, depth: int = 0) -> None:
    """Print a comment and its replies, indented."""
    print("    " + "  " * depth + f"- {comment.text}")
    for reply in comment.replies:
        show_thread(reply, depth + 1)


def main(url: str = "sqlite://") -> None:
    """Build the blog, then read it back three ways."""
    engine = create_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)

    with Session(engine) as session:
        python, sql = Tag(name="python"), Tag(name="sql")
        ada = User(name="ada")
        post = Post(title="Sessions, explained", author=ada, tags=[python, sql])
        question = Comment(text="Does commit() send SQL?", post=post)
        answer = Comment(text="Only when something is pending.", post=post, parent=question)
        Comment(text="Thanks!", post=post, parent=answer)
        for n in range(19):
            writer = User(name=f"writer{n}")
            for k in range(3):
                Post(title=f"Post {k} by writer{n}", author=writer, tags=[python])
            session.add(writer)
        session.add(ada)  # adding ada adds her post, its tags and comments (save-update cascade)
        session.commit()
        print("saved:", session.scalar(select(func.count()).select_from(Post)), "posts,",
              session.scalar(select(func.count()).select_from(Comment)), "comments")

    print("\nA threaded discussion (self-referential comments):")
    with Session(engine) as session:
        post = session.scalars(select(Post).where(Post.title == "Sessions, explained")).one()
        print(f"  {post.title} by {post.author.name}, tagged {[t.name for t in post.tags]}")
        for comment in post.comments:
            if comment.parent is None:
                show_thread(comment)

    print("\nLoading 20 users and their posts:")
    for label, options in (
        ("lazy loading (one query per user)", ()),
        ("selectinload(User.posts)", (selectinload(User.posts),)),
        ("joinedload(User.posts)", (joinedload(User.posts),)),
    ):
        with Session(engine) as session, count_queries(engine) as queries:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", NPlusOneWarning)
                users = session.scalars(select(User).options(*options).order_by(User.id)).all()
                total = sum(len(user.posts) for user in users)
            note = " (ormkit warned: N+1)" if caught else ""
            print(f"  {label:38} {queries.count:3} statements, {total} posts{note}")

    with Session(engine) as session:
        ada = session.scalars(select(User).where(User.name == "ada")).one()
        session.delete(ada)  # cascade: her posts and their comments go too
        session.commit()
        print("\nafter deleting ada:",
              session.scalar(select(func.count()).select_from(Comment)), "comments left")
    engine.dispose()


if __name__ == "__main__":
    main(*sys.argv[1:2])
