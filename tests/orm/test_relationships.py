"""Relationships: cardinalities, in-memory sync of both sides, foreign keys, the unit of work.

Models are declared without ``from __future__ import annotations`` on purpose: the typed
``Mapped[list["Post"]]`` / ``Mapped[Optional["User"]]`` annotations are real typing objects
here (the other relationship test modules use postponed, string annotations).
"""

import re
from dataclasses import dataclass
from typing import Any, Optional

import pytest

import ormkit
from ormkit import Column, ForeignKey, Integer, String, Table, exc, select
from ormkit.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    backref,
    mapped_column,
    relationship,
    selectinload,
)
from ormkit.testing import count_queries

from .conftest import Recorder

# -- models -------------------------------------------------------------------------------------


@dataclass
class Blog:
    Base: Any
    User: Any
    Post: Any


def make_blog(engine: ormkit.Engine, cascade: str | None = None, **posts_kw: Any) -> Blog:
    """User.posts <-> Post.author (back_populates), ordered by Post.id."""

    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50))
        posts: Mapped[list["Post"]] = relationship(
            back_populates="author", order_by="Post.id", cascade=cascade, **posts_kw
        )

    class Post(Base):
        __tablename__ = "posts"
        id: Mapped[int] = mapped_column(primary_key=True)
        title: Mapped[str] = mapped_column(String(100))
        user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
        author: Mapped[Optional["User"]] = relationship(back_populates="posts")

    Base.metadata.create_all(engine)
    return Blog(Base, User, Post)


@pytest.fixture
def blog(engine: ormkit.Engine) -> Blog:
    return make_blog(engine)


def post_rows(engine: ormkit.Engine, blog: Blog) -> list[tuple[Any, ...]]:
    """(id, title, user_id) of every post row, read on a connection of its own."""
    t = blog.Post.__table__
    with engine.connect() as conn:
        rows = conn.execute(select(t.c.id, t.c.title, t.c.user_id).order_by(t.c.id)).all()
    return [tuple(r) for r in rows]


def table_rows(engine: ormkit.Engine, table: Any, *order: Any) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(table).order_by(*order)).all()]


def seed_two_users(engine: ormkit.Engine, blog: Blog) -> None:
    User, Post = blog.User, blog.Post
    with Session(engine) as s:
        s.add_all([User(id=1, name="ed"), User(id=2, name="wendy")])
        s.flush()
        s.add_all(
            [
                Post(id=1, title="a", user_id=1),
                Post(id=2, title="b", user_id=1),
                Post(id=3, title="c", user_id=2),
            ]
        )
        s.commit()


def first_index(statements: list[str], prefix: str) -> int:
    return next(i for i, s in enumerate(statements) if s.startswith(prefix))


def last_index(statements: list[str], prefix: str) -> int:
    return max(i for i, s in enumerate(statements) if s.startswith(prefix))


# -- cardinalities ------------------------------------------------------------------------------


def test_typed_many_to_one_and_one_to_many_load_the_related_objects(
    engine: ormkit.Engine, blog: Blog
) -> None:
    seed_two_users(engine, blog)
    User, Post = blog.User, blog.Post
    with Session(engine) as s:
        ed = s.get(User, 1)
        assert [p.title for p in ed.posts] == ["a", "b"]
        assert type(ed.posts).__name__ == "InstrumentedList"
        assert isinstance(ed.posts, list)
        c = s.get(Post, 3)
        assert c.author is s.get(User, 2)
        assert c.author.name == "wendy"
        assert all(p.author is ed for p in ed.posts)


def test_many_to_one_without_a_foreign_key_value_reads_none(
    engine: ormkit.Engine, blog: Blog
) -> None:
    with Session(engine) as s:
        s.add(blog.Post(id=1, title="orphan"))
        s.commit()
        post = s.get(blog.Post, 1)
        assert post.author is None


def test_annotation_decides_between_scalar_and_list(engine: ormkit.Engine, blog: Blog) -> None:
    rel_posts = blog.User.posts.property
    rel_author = blog.Post.author.property
    assert rel_posts.uselist is True
    assert rel_posts.direction.value == "one-to-many"
    assert rel_author.uselist is False
    assert rel_author.direction.value == "many-to-one"
    assert blog.User.posts.entity is blog.Post
    assert blog.Post.author.entity is blog.User


def test_one_to_many_with_collection_class_set_gives_a_tracked_set(
    engine: ormkit.Engine,
) -> None:
    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50))
        posts: Mapped[set["Post"]] = relationship(collection_class=set, back_populates="author")

    class Post(Base):
        __tablename__ = "posts"
        id: Mapped[int] = mapped_column(primary_key=True)
        title: Mapped[str] = mapped_column(String(50))
        user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
        author: Mapped[Optional[User]] = relationship(back_populates="posts")  # noqa: UP045

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        ed = User(id=1, name="ed")
        a, b = Post(id=1, title="a"), Post(id=2, title="b")
        ed.posts.add(a)
        ed.posts.add(b)
        ed.posts.add(a)  # a set: no duplicate
        assert isinstance(ed.posts, set)
        assert len(ed.posts) == 2
        assert a.author is ed
        s.add(ed)
        s.commit()
    with Session(engine) as s:
        ed = s.get(User, 1)
        assert isinstance(ed.posts, set)
        assert {p.title for p in ed.posts} == {"a", "b"}
        b = s.get(Post, 2)
        ed.posts.discard(b)
        s.commit()
        assert s.get(Post, 2).user_id is None
        assert {p.title for p in s.get(User, 1).posts} == {"a"}


def test_one_to_one_with_uselist_false_is_a_scalar_on_both_sides(engine: ormkit.Engine) -> None:
    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50))
        profile = relationship("Profile", uselist=False, back_populates="user")

    class Profile(Base):
        __tablename__ = "profiles"
        id: Mapped[int] = mapped_column(primary_key=True)
        bio: Mapped[str] = mapped_column(String(100))
        user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
        user = relationship(User, back_populates="profile")

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        ed = User(name="ed")
        ed.profile = Profile(bio="hello")
        assert ed.profile.user is ed
        s.add(ed)
        s.commit()
        profile_id = ed.profile.id
    with Session(engine) as s:
        ed = s.scalars(select(User).where(User.name == "ed")).one()
        assert isinstance(ed.profile, Profile)
        assert ed.profile.bio == "hello"
        assert ed.profile.id == profile_id
        assert ed.profile.user is ed
        wendy = User(name="wendy")
        s.add(wendy)
        s.commit()
        assert wendy.profile is None


def many_to_many_models(engine: ormkit.Engine) -> tuple[Any, Any, Table]:
    class Base(DeclarativeBase):
        pass

    post_tags = Table(
        "post_tags",
        Base.metadata,
        Column("post_id", ForeignKey("posts.id"), primary_key=True),
        Column("tag_id", ForeignKey("tags.id"), primary_key=True),
    )

    class Post(Base):
        __tablename__ = "posts"
        id: Mapped[int] = mapped_column(primary_key=True)
        title: Mapped[str] = mapped_column(String(50))
        tags: Mapped[list["Tag"]] = relationship(
            secondary=post_tags, back_populates="posts", order_by="Tag.name"
        )

    class Tag(Base):
        __tablename__ = "tags"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(30))
        posts: Mapped[list[Post]] = relationship(
            secondary="post_tags", back_populates="tags", order_by=Post.id
        )

    Base.metadata.create_all(engine)
    return Post, Tag, post_tags


def test_many_to_many_through_a_secondary_table_loads_both_sides(
    engine: ormkit.Engine,
) -> None:
    Post, Tag, post_tags = many_to_many_models(engine)
    with Session(engine) as s:
        py, sql, orm = Tag(id=1, name="python"), Tag(id=2, name="sql"), Tag(id=3, name="orm")
        s.add_all(
            [
                Post(id=1, title="one", tags=[py, sql]),
                Post(id=2, title="two", tags=[sql, orm]),
                Post(id=3, title="three"),
            ]
        )
        s.commit()
    rows = table_rows(engine, post_tags, post_tags.c.post_id, post_tags.c.tag_id)
    assert rows == [(1, 1), (1, 2), (2, 2), (2, 3)]
    with Session(engine) as s:
        one = s.get(Post, 1)
        assert [t.name for t in one.tags] == ["python", "sql"]
        sql_tag = s.get(Tag, 2)
        assert [p.title for p in sql_tag.posts] == ["one", "two"]
        assert s.get(Post, 3).tags == []
        assert s.get(Post, 2).tags[1] is sql_tag  # ordered by Tag.name: orm, sql


def test_association_object_with_extra_columns_links_both_sides(
    engine: ormkit.Engine,
) -> None:
    class Base(DeclarativeBase):
        pass

    class Order(Base):
        __tablename__ = "orders"
        id: Mapped[int] = mapped_column(primary_key=True)
        customer: Mapped[str] = mapped_column(String(50))
        lines: Mapped[list["OrderLine"]] = relationship(
            back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.item_id"
        )

    class Item(Base):
        __tablename__ = "items"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50))
        lines: Mapped[list["OrderLine"]] = relationship(back_populates="item")

    class OrderLine(Base):
        __tablename__ = "order_lines"
        order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), primary_key=True)
        item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)
        quantity: Mapped[int] = mapped_column(Integer)
        note: Mapped[str | None] = mapped_column(String(50))
        order: Mapped[Order] = relationship(back_populates="lines")
        item: Mapped[Item] = relationship(back_populates="lines")

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        pen, ink = Item(id=1, name="pen"), Item(id=2, name="ink")
        order = Order(customer="ed")
        order.lines.append(OrderLine(item=pen, quantity=2, note="blue"))
        order.lines.append(OrderLine(item=ink, quantity=5))
        assert [line.order for line in order.lines] == [order, order]
        assert pen.lines[0].quantity == 2
        s.add(order)  # items reach the session through OrderLine.item
        s.commit()
        pen_id, ink_id, order_id = pen.id, ink.id, order.id
    rows = table_rows(engine, OrderLine.__table__, OrderLine.__table__.c.item_id)
    assert rows == [(order_id, pen_id, 2, "blue"), (order_id, ink_id, 5, None)]
    with Session(engine) as s:
        order = s.get(Order, order_id)
        assert [(line.item.name, line.quantity) for line in order.lines] == [
            ("pen", 2),
            ("ink", 5),
        ]
        ink = s.get(Item, ink_id)
        assert [line.order.customer for line in ink.lines] == ["ed"]


def tree_models(engine: ormkit.Engine) -> Any:
    class Base(DeclarativeBase):
        pass

    class Category(Base):
        __tablename__ = "categories"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50))
        parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
        parent: Mapped[Optional["Category"]] = relationship(
            back_populates="children", remote_side="Category.id"
        )
        children: Mapped[list["Category"]] = relationship(
            back_populates="parent", order_by="Category.name"
        )

    Base.metadata.create_all(engine)
    return Category


@pytest.mark.parametrize("add_order", ["parents_first", "leaves_first"])
def test_self_referential_tree_of_three_levels_flushes_in_one_go(
    engine: ormkit.Engine, recorder: Recorder, add_order: str
) -> None:
    Category = tree_models(engine)
    root = Category(name="root")
    books = Category(name="books", parent=root)
    music = Category(name="music")
    root.children.append(music)
    novels = Category(name="novels", parent=books)
    poetry = Category(name="poetry")
    books.children.append(poetry)
    jazz = Category(name="jazz", parent=music)
    everything = [root, books, music, novels, poetry, jazz]
    if add_order == "leaves_first":
        everything.reverse()
    recorder.clear()
    with Session(engine) as s:
        s.add_all(everything)
        s.commit()
    inserts = [st for st in recorder.dml if st.startswith("INSERT")]
    assert inserts, recorder.dml
    with Session(engine) as s:
        root = s.scalars(select(Category).where(Category.parent_id.is_(None))).one()
        assert root.name == "root"
        assert [c.name for c in root.children] == ["books", "music"]
        books = root.children[0]
        assert [c.name for c in books.children] == ["novels", "poetry"]
        assert [c.name for c in root.children[1].children] == ["jazz"]
        novels = books.children[0]
        assert novels.parent is books
        assert novels.parent.parent is root
        assert root.parent is None
        assert novels.children == []
        assert s.scalar(select(ormkit.func.count()).select_from(Category)) == 6


def test_class_targets_and_string_targets_configure_the_same_relationship(
    engine: ormkit.Engine,
) -> None:
    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50))

    class Post(Base):
        __tablename__ = "posts"
        id: Mapped[int] = mapped_column(primary_key=True)
        user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
        by_class = relationship(User)
        by_string = relationship("User")
        by_lambda = relationship(lambda: User)

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(User(id=1, name="ed"))
        s.flush()
        s.add(Post(id=1, user_id=1))
        s.commit()
        post = s.get(Post, 1)
        ed = s.get(User, 1)
        assert post.by_class is ed
        assert post.by_string is ed
        assert post.by_lambda is ed
        for attr in (Post.by_class, Post.by_string, Post.by_lambda):
            assert attr.property.uselist is False
            assert attr.entity is User


def test_string_target_that_is_not_mapped_names_the_known_classes(
    engine: ormkit.Engine,
) -> None:
    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(primary_key=True)
        posts = relationship("Psot")

    try:
        with pytest.raises(exc.InvalidRequestError, match=r"'Psot'.*not mapped.*known: User"):
            _ = User.posts.entity
    finally:
        Base.registry.dispose()  # a broken mapping would fail every later configuration


def test_order_by_on_a_collection_orders_lazy_and_eager_loads(engine: ormkit.Engine) -> None:
    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(primary_key=True)
        posts: Mapped[list["Post"]] = relationship(order_by="Post.title.desc()")

    class Post(Base):
        __tablename__ = "posts"
        id: Mapped[int] = mapped_column(primary_key=True)
        title: Mapped[str] = mapped_column(String(50))
        user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(User(id=1))
        s.flush()
        s.add_all([Post(id=i, title=t, user_id=1) for i, t in enumerate("bdac", start=1)])
        s.commit()
    with Session(engine) as s:
        assert [p.title for p in s.get(User, 1).posts] == ["d", "c", "b", "a"]
    with Session(engine) as s:
        user = s.scalars(select(User).options(selectinload(User.posts))).one()
        assert [p.title for p in user.posts] == ["d", "c", "b", "a"]


# -- both sides in step before a flush ---------------------------------------------------------


def test_appending_to_a_collection_sets_the_many_to_one(blog: Blog) -> None:
    ed, post = blog.User(name="ed"), blog.Post(title="p")
    ed.posts.append(post)
    assert post.author is ed


def test_setting_the_many_to_one_appends_to_the_collection(blog: Blog) -> None:
    ed, post = blog.User(name="ed"), blog.Post(title="p")
    post.author = ed
    assert ed.posts == [post]


def test_reassigning_a_many_to_one_moves_it_between_loaded_collections(
    engine: ormkit.Engine, blog: Blog
) -> None:
    seed_two_users(engine, blog)
    User, Post = blog.User, blog.Post
    with Session(engine) as s:
        ed, wendy = s.get(User, 1), s.get(User, 2)
        assert [p.id for p in ed.posts] == [1, 2]
        assert [p.id for p in wendy.posts] == [3]
        a = s.get(Post, 1)
        a.author = wendy
        assert [p.id for p in ed.posts] == [2]
        assert [p.id for p in wendy.posts] == [3, 1]
        s.commit()
        assert post_rows(engine, blog)[0] == (1, "a", 2)


def test_appending_to_another_collection_moves_the_object(
    engine: ormkit.Engine, blog: Blog
) -> None:
    seed_two_users(engine, blog)
    with Session(engine) as s:
        ed, wendy = s.get(blog.User, 1), s.get(blog.User, 2)
        b = ed.posts[1]
        wendy.posts.append(b)
        assert b.author is wendy
        assert [p.id for p in ed.posts] == [1]
        s.commit()
    assert post_rows(engine, blog)[1] == (2, "b", 2)


def test_removing_from_a_collection_clears_the_many_to_one(blog: Blog) -> None:
    ed, post = blog.User(name="ed"), blog.Post(title="p")
    ed.posts.append(post)
    ed.posts.remove(post)
    assert post.author is None
    assert ed.posts == []


def test_setting_the_many_to_one_to_none_removes_from_the_collection(blog: Blog) -> None:
    ed, post = blog.User(name="ed"), blog.Post(title="p")
    post.author = ed
    post.author = None
    assert ed.posts == []


def test_replacing_a_collection_updates_the_many_to_ones(blog: Blog) -> None:
    ed = blog.User(name="ed")
    a, b, c = blog.Post(title="a"), blog.Post(title="b"), blog.Post(title="c")
    ed.posts = [a, b]
    ed.posts = [b, c]
    assert a.author is None
    assert b.author is ed
    assert c.author is ed


def test_backref_creates_the_other_side_and_keeps_it_in_step(engine: ormkit.Engine) -> None:
    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50))
        posts = relationship("Post", backref="author")
        notes = relationship("Note", backref=backref("owner", lazy="raise"))

    class Post(Base):
        __tablename__ = "posts"
        id: Mapped[int] = mapped_column(primary_key=True)
        user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    class Note(Base):
        __tablename__ = "notes"
        id: Mapped[int] = mapped_column(primary_key=True)
        user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    Base.metadata.create_all(engine)
    ed, post = User(name="ed"), Post()
    ed.posts.append(post)
    assert post.author is ed
    other = Post()
    other.author = ed
    assert ed.posts == [post, other]
    assert Note.owner.property.uselist is False
    assert Note.owner.property.lazy == "raise"
    note = Note()
    ed.notes.append(note)
    assert note.owner is ed
    with Session(engine) as s:
        s.add(ed)
        s.commit()
        assert (post.user_id, other.user_id, note.user_id) == (ed.id, ed.id, ed.id)


def test_many_to_many_back_populates_keeps_both_collections_in_step(
    engine: ormkit.Engine,
) -> None:
    Post, Tag, _ = many_to_many_models(engine)
    post, tag = Post(title="p"), Tag(name="t")
    post.tags.append(tag)
    assert tag.posts == [post]
    tag.posts.remove(post)
    assert post.tags == []


# -- foreign keys: which ones, and the error when it is ambiguous -------------------------------


def test_two_foreign_keys_to_one_table_are_told_apart_with_foreign_keys(
    engine: ormkit.Engine,
) -> None:
    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50))

    class Message(Base):
        __tablename__ = "messages"
        id: Mapped[int] = mapped_column(primary_key=True)
        body: Mapped[str] = mapped_column(String(100))
        sender_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
        recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
        sender: Mapped[User] = relationship(foreign_keys=[sender_id])
        recipient: Mapped[User] = relationship(foreign_keys="Message.recipient_id")

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        ed, wendy = User(name="ed"), User(name="wendy")
        s.add(Message(body="hi", sender=ed, recipient=wendy))
        s.commit()
        ed_id, wendy_id = ed.id, wendy.id
    with Session(engine) as s:
        msg = s.scalars(select(Message)).one()
        assert (msg.sender_id, msg.recipient_id) == (ed_id, wendy_id)
        assert msg.sender.name == "ed"
        assert msg.recipient.name == "wendy"


def test_two_foreign_keys_to_one_table_are_told_apart_with_primaryjoin(
    engine: ormkit.Engine,
) -> None:
    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50))
        sent: Mapped[list["Message"]] = relationship(
            primaryjoin="User.id == Message.sender_id", order_by="Message.id"
        )
        received: Mapped[list["Message"]] = relationship(
            primaryjoin="User.id == Message.recipient_id", order_by="Message.id"
        )

    class Message(Base):
        __tablename__ = "messages"
        id: Mapped[int] = mapped_column(primary_key=True)
        body: Mapped[str] = mapped_column(String(100))
        sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
        recipient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        ed, wendy = User(name="ed"), User(name="wendy")
        ed.sent.append(Message(body="to wendy"))
        wendy.received.append(ed.sent[0])
        wendy.sent.append(Message(body="to ed"))
        ed.received.append(wendy.sent[0])
        s.add_all([ed, wendy])
        s.commit()
    with Session(engine) as s:
        ed = s.scalars(select(User).where(User.name == "ed")).one()
        wendy = s.scalars(select(User).where(User.name == "wendy")).one()
        assert [m.body for m in ed.sent] == ["to wendy"]
        assert [m.body for m in ed.received] == ["to ed"]
        assert [m.body for m in wendy.sent] == ["to ed"]
        assert ed.sent[0].recipient_id == wendy.id


def test_ambiguous_foreign_keys_raise_an_argument_error_naming_the_candidates(
    engine: ormkit.Engine,
) -> None:
    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(primary_key=True)

    class Message(Base):
        __tablename__ = "messages"
        id: Mapped[int] = mapped_column(primary_key=True)
        sender_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
        recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
        sender: Mapped[User] = relationship()

    try:
        with pytest.raises(exc.ArgumentError) as info, Session(engine) as s:
            s.scalars(select(Message)).all()
    finally:
        Base.registry.dispose()  # a broken mapping would fail every later configuration
    message = str(info.value)
    assert "Message.sender" in message
    assert "messages.sender_id" in message
    assert "messages.recipient_id" in message
    assert re.search(r"foreign_keys", message)


# -- the unit of work: cascades and foreign keys -------------------------------------------------


def test_save_update_cascade_inserts_children_added_only_through_the_parent(
    engine: ormkit.Engine, blog: Blog
) -> None:
    User, Post = blog.User, blog.Post
    with Session(engine) as s:
        ed = User(name="ed", posts=[Post(title="a"), Post(title="b")])
        s.add(ed)
        s.commit()
        ed_id = ed.id
    assert [(t, uid) for _, t, uid in post_rows(engine, blog)] == [("a", ed_id), ("b", ed_id)]


def test_save_update_cascade_puts_children_in_the_session_on_add_and_append(
    engine: ormkit.Engine, blog: Blog
) -> None:
    with Session(engine) as s:
        ed = blog.User(name="ed", posts=[blog.Post(title="a")])
        s.add(ed)
        assert ed.posts[0] in s  # cascaded by add() itself, as in SQLAlchemy
        late = blog.Post(title="late")
        ed.posts.append(late)
        assert late in s  # cascaded by the append to an object already in the session
        assert late in s.new


def test_save_update_cascade_follows_a_many_to_one(engine: ormkit.Engine, blog: Blog) -> None:
    with Session(engine) as s:
        post = blog.Post(title="a", author=blog.User(name="ed"))
        s.add(post)
        s.commit()
        assert post.author.id is not None
        assert post.user_id == post.author.id
    with engine.connect() as conn:
        names = conn.execute(select(blog.User.__table__.c.name)).scalars().all()
    assert list(names) == ["ed"]


def test_foreign_key_of_a_child_is_copied_from_a_pending_parent_at_flush(
    engine: ormkit.Engine, blog: Blog
) -> None:
    seed_two_users(engine, blog)
    with Session(engine) as s:
        post = s.get(blog.Post, 3)
        newcomer = blog.User(id=10, name="newcomer")  # explicit: seeded ids bypass sequences
        post.author = newcomer
        assert post.user_id == 2  # not yet: keys are copied at flush
        s.flush()
        assert post.user_id == 10
        s.commit()
        new_id = newcomer.id
    assert post_rows(engine, blog)[2] == (3, "c", new_id)


def test_parents_are_inserted_before_children_whatever_the_add_order(
    engine: ormkit.Engine, blog: Blog, recorder: Recorder
) -> None:
    User, Post = blog.User, blog.Post
    with Session(engine) as s:
        ed = User(name="ed")
        posts = [Post(title="a", author=ed), Post(title="b", author=ed)]
        s.add_all(posts)
        s.add(ed)
        recorder.clear()
        s.flush()
        dml = recorder.dml
        assert dml[0].startswith("INSERT INTO users")
        assert first_index(dml, "INSERT INTO posts") > last_index(dml, "INSERT INTO users")
        assert [p.user_id for p in posts] == [ed.id, ed.id]


def test_delete_cascade_deletes_children_before_the_parent(
    engine: ormkit.Engine, recorder: Recorder
) -> None:
    blog = make_blog(engine, cascade="all, delete-orphan")
    seed_two_users(engine, blog)
    with Session(engine) as s:
        ed = s.get(blog.User, 1)
        s.delete(ed)
        recorder.clear()
        s.commit()
        dml = recorder.dml
    assert first_index(dml, "DELETE FROM users") > last_index(dml, "DELETE FROM posts")
    assert post_rows(engine, blog) == [(3, "c", 2)]


def test_post_update_breaks_a_cycle_of_rows_pointing_at_each_other(
    engine: ormkit.Engine, recorder: Recorder
) -> None:
    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50))
        favorite_id: Mapped[int | None] = mapped_column(
            ForeignKey("posts.id", use_alter=True, name="fk_users_favorite")
        )
        favorite = relationship("Post", foreign_keys=[favorite_id], post_update=True)
        posts = relationship(
            "Post", foreign_keys="Post.user_id", back_populates="author", order_by="Post.id"
        )

    class Post(Base):
        __tablename__ = "posts"
        id: Mapped[int] = mapped_column(primary_key=True)
        title: Mapped[str] = mapped_column(String(50))
        user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
        author = relationship(User, foreign_keys=[user_id], back_populates="posts")

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        ed = User(name="ed")
        best = Post(title="best", author=ed)
        ed.favorite = best
        s.add(ed)
        recorder.clear()
        s.commit()
        dml = recorder.dml
        ed_id, best_id = ed.id, best.id
    assert dml[0].startswith("INSERT INTO users")
    assert dml[1].startswith("INSERT INTO posts")
    assert dml[2].startswith("UPDATE users SET favorite_id")
    row = table_rows(engine, User.__table__, User.__table__.c.id)
    assert row == [(ed_id, "ed", best_id)]
    with Session(engine) as s:
        ed = s.get(User, ed_id)
        assert ed.favorite is ed.posts[0]


def test_a_row_cycle_without_post_update_is_a_circular_dependency_error(
    engine: ormkit.Engine,
) -> None:
    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(primary_key=True)
        favorite_id: Mapped[int | None] = mapped_column(
            ForeignKey("posts.id", use_alter=True, name="fk_users_favorite")
        )
        favorite = relationship("Post", foreign_keys=[favorite_id])

    class Post(Base):
        __tablename__ = "posts"
        id: Mapped[int] = mapped_column(primary_key=True)
        user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
        author = relationship(User, foreign_keys=[user_id])

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        ed = User()
        best = Post(author=ed)
        ed.favorite = best
        s.add(ed)
        with pytest.raises(exc.CircularDependencyError, match=r"post_update=True"):
            s.flush()


def test_delete_orphan_cascade_deletes_the_children_with_the_parent(
    engine: ormkit.Engine,
) -> None:
    blog = make_blog(engine, cascade="all, delete-orphan")
    seed_two_users(engine, blog)
    with Session(engine) as s:
        s.delete(s.get(blog.User, 1))
        s.commit()
    assert post_rows(engine, blog) == [(3, "c", 2)]


def test_delete_orphan_deletes_a_child_removed_from_the_collection(
    engine: ormkit.Engine,
) -> None:
    blog = make_blog(engine, cascade="all, delete-orphan")
    seed_two_users(engine, blog)
    with Session(engine) as s:
        ed = s.get(blog.User, 1)
        removed = ed.posts[0]
        ed.posts.remove(removed)
        s.commit()
        assert s.get(blog.Post, 1) is None
    assert post_rows(engine, blog) == [(2, "b", 1), (3, "c", 2)]


def test_delete_orphan_of_a_pending_child_inserts_nothing(
    engine: ormkit.Engine, recorder: Recorder
) -> None:
    blog = make_blog(engine, cascade="all, delete-orphan")
    with Session(engine) as s:
        ed = blog.User(name="ed")
        keep, drop = blog.Post(title="keep"), blog.Post(title="drop")
        ed.posts.extend([keep, drop])
        s.add(ed)
        ed.posts.remove(drop)
        s.commit()
    assert [t for _, t, _ in post_rows(engine, blog)] == ["keep"]


def test_deleting_a_parent_without_delete_cascade_nulls_the_childrens_foreign_keys(
    engine: ormkit.Engine, blog: Blog
) -> None:
    seed_two_users(engine, blog)
    with Session(engine) as s:
        ed = s.get(blog.User, 1)
        s.delete(ed)
        s.commit()
    assert post_rows(engine, blog) == [(1, "a", None), (2, "b", None), (3, "c", 2)]


def test_passive_deletes_leave_the_children_to_on_delete_cascade(engine: ormkit.Engine) -> None:
    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(primary_key=True)
        posts: Mapped[list["Post"]] = relationship(
            cascade="all, delete-orphan", passive_deletes=True
        )

    class Post(Base):
        __tablename__ = "posts"
        id: Mapped[int] = mapped_column(primary_key=True)
        user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([User(id=1), User(id=2)])
        s.flush()
        s.add_all([Post(id=i, user_id=1 + (i > 3)) for i in range(1, 6)])
        s.commit()
    with Session(engine) as s:
        ed = s.get(User, 1)
        s.delete(ed)
        with count_queries(engine) as q:
            s.flush()
        assert q.count == 1, q.statements
        assert q.statements[0].startswith("DELETE FROM users")
        s.commit()
    rows = table_rows(engine, Post.__table__, Post.__table__.c.id)
    assert rows == [(4, 2), (5, 2)]


def test_delete_cascades_through_every_level_loading_what_is_not_loaded(
    engine: ormkit.Engine,
) -> None:
    """delete() loads the collections it cascades to at every depth when it is called, so the
    grandchildren are deleted too (before their parents)."""

    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(primary_key=True)
        posts: Mapped[list["Post"]] = relationship(cascade="all, delete-orphan")

    class Post(Base):
        __tablename__ = "posts"
        id: Mapped[int] = mapped_column(primary_key=True)
        user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
        notes: Mapped[list["Note"]] = relationship(cascade="all, delete-orphan")

    class Note(Base):
        __tablename__ = "notes"
        id: Mapped[int] = mapped_column(primary_key=True)
        post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(User(id=1, posts=[Post(id=1, notes=[Note(id=1), Note(id=2)]), Post(id=2)]))
        s.add(User(id=2, posts=[Post(id=3, notes=[Note(id=3)])]))
        s.commit()
    with Session(engine) as s:
        s.delete(s.get(User, 1))
        assert sorted((type(o).__name__, o.id) for o in s.deleted) == [
            ("Note", 1),
            ("Note", 2),
            ("Post", 1),
            ("Post", 2),
            ("User", 1),
        ]
        s.commit()
    assert table_rows(engine, Note.__table__, Note.__table__.c.id) == [(3, 3)]
    assert table_rows(engine, Post.__table__, Post.__table__.c.id) == [(3, 2)]


def test_removing_from_a_collection_without_delete_orphan_nulls_the_foreign_key(
    engine: ormkit.Engine, blog: Blog
) -> None:
    seed_two_users(engine, blog)
    with Session(engine) as s:
        ed = s.get(blog.User, 1)
        ed.posts.remove(ed.posts[0])
        s.commit()
    assert post_rows(engine, blog) == [(1, "a", None), (2, "b", 1), (3, "c", 2)]


def test_setting_an_expired_many_to_one_to_its_parent_keeps_the_child_once(
    engine: ormkit.Engine, blog: Blog
) -> None:
    seed_two_users(engine, blog)
    with Session(engine) as s:
        ed = s.get(blog.User, 1)
        post = ed.posts[0]
        s.expire(post)
        post.user = ed  # the backref must not append it again (SQLAlchemy lists it twice)
        assert [p.id for p in ed.posts] == [1, 2]
        s.commit()
    assert post_rows(engine, blog)[:2] == [(1, "a", 1), (2, "b", 1)]


def test_a_many_to_one_change_dirties_the_parent_it_joins_and_the_one_it_leaves(
    engine: ormkit.Engine, blog: Blog
) -> None:
    seed_two_users(engine, blog)
    with Session(engine) as s:
        ed, wendy = s.get(blog.User, 1), s.get(blog.User, 2)
        post = s.get(blog.Post, 3)  # wendy's; neither collection is loaded
        post.author = ed  # the old author is known from the identity map, without SQL
        assert set(s.dirty) == {post, ed, wendy}  # as SQLAlchemy
        s.rollback()
        ed, wendy, post = s.get(blog.User, 1), s.get(blog.User, 2), s.get(blog.Post, 3)
        post.author = wendy  # what it is, and known: the other side is left alone
        assert set(s.dirty) == {post}
        s.rollback()
        post = s.get(blog.Post, 3)
        post.author = wendy  # what it was (not loaded): SQLAlchemy marks wendy all the same
        assert set(s.dirty) == {post, wendy}


def test_moving_a_child_to_another_parent_updates_its_foreign_key(
    engine: ormkit.Engine, blog: Blog, recorder: Recorder
) -> None:
    seed_two_users(engine, blog)
    with Session(engine) as s:
        ed, wendy = s.get(blog.User, 1), s.get(blog.User, 2)
        post = ed.posts[0]
        wendy.posts.append(post)
        recorder.clear()
        s.commit()
        assert recorder.dml == ["UPDATE posts SET user_id=? WHERE posts.id = ?"]
    assert post_rows(engine, blog) == [(1, "a", 2), (2, "b", 1), (3, "c", 2)]


def test_many_to_many_append_and_remove_write_and_delete_association_rows(
    engine: ormkit.Engine,
) -> None:
    Post, Tag, post_tags = many_to_many_models(engine)
    with Session(engine) as s:
        s.add_all([Post(id=1, title="p"), Tag(id=1, name="a"), Tag(id=2, name="b")])
        s.commit()
    with Session(engine) as s:
        post = s.get(Post, 1)
        post.tags.append(s.get(Tag, 1))
        post.tags.append(s.get(Tag, 2))
        s.commit()
        assert table_rows(engine, post_tags, post_tags.c.tag_id) == [(1, 1), (1, 2)]
    with Session(engine) as s:
        post = s.get(Post, 1)
        post.tags.remove(s.get(Tag, 1))
        s.commit()
    assert table_rows(engine, post_tags, post_tags.c.tag_id) == [(1, 2)]
    with Session(engine) as s:
        post, tag_a = s.get(Post, 1), s.get(Tag, 1)
        tag_a.posts.append(post)  # from the other side
        s.commit()
    assert table_rows(engine, post_tags, post_tags.c.tag_id) == [(1, 1), (1, 2)]


def test_many_to_many_append_of_an_expired_object_writes_its_association_row(
    engine: ormkit.Engine,
) -> None:
    Post, Tag, post_tags = many_to_many_models(engine)
    with Session(engine) as s:
        s.add_all([Post(id=1, title="p"), Tag(id=7, name="a")])
        s.commit()
        post, tag = s.get(Post, 1), s.get(Tag, 7)
        s.commit()  # both expired: their keys must be loaded, not read as NULL
        tag.posts.append(post)
        s.commit()
    assert table_rows(engine, post_tags, post_tags.c.tag_id) == [(1, 7)]


def test_deleting_an_object_removes_its_association_rows(engine: ormkit.Engine) -> None:
    Post, Tag, post_tags = many_to_many_models(engine)
    with Session(engine) as s:
        a, b = Tag(id=1, name="a"), Tag(id=2, name="b")
        s.add_all([Post(id=1, title="one", tags=[a, b]), Post(id=2, title="two", tags=[b])])
        s.commit()
    with Session(engine) as s:
        s.delete(s.get(Tag, 2))
        s.commit()
        assert table_rows(engine, post_tags, post_tags.c.post_id) == [(1, 1)]
        s.delete(s.get(Post, 1))
        s.commit()
    assert table_rows(engine, post_tags, post_tags.c.post_id) == []
    assert table_rows(engine, Tag.__table__, Tag.__table__.c.id) == [(1, "a")]


def test_a_link_added_to_an_object_the_flush_deletes_is_not_written(
    engine: ormkit.Engine,
) -> None:
    Post, Tag, post_tags = many_to_many_models(engine)
    with Session(engine) as s:
        s.add(Post(id=1, title="p", tags=[Tag(id=1, name="old")]))
        s.commit()
        post = s.get(Post, 1)
        post.tags.append(Tag(id=2, name="new"))
        s.delete(post)  # its links go with it, the one just added too (SQLAlchemy fails here)
        s.commit()
    assert table_rows(engine, post_tags, post_tags.c.tag_id) == []
    assert table_rows(engine, Tag.__table__, Tag.__table__.c.id) == [(1, "old"), (2, "new")]


# -- arguments: each one works or is refused by name ----------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("active_history", True),
        ("enable_typechecks", False),
        ("distinct_target_key", True),
        ("omit_join", False),
        ("join_depth", 2),
        ("comparator_factory", object),
        ("load_on_pending", True),
        ("query_class", object),
        ("innerjoin", True),
        ("single_parent", True),
    ],
)
def test_relationship_refuses_arguments_it_does_not_support(name: str, value: Any) -> None:
    message = rf"relationship\(\) does not support argument '{name}' yet"
    with pytest.raises(exc.ArgumentError, match=message):
        relationship("Post", **{name: value})
    with pytest.raises(exc.ArgumentError, match=message):
        backref("author", **{name: value})  # checked when backref() is called


def test_relationship_refuses_unknown_arguments_and_values() -> None:
    with pytest.raises(exc.ArgumentError, match=r"relationship\(\) got unknown argument\(s\): fo"):
        relationship("Post", fo=1)
    with pytest.raises(exc.ArgumentError, match=r"collection_class=<class 'dict'>\) is not"):
        relationship("Post", collection_class=dict)
    with pytest.raises(exc.ArgumentError, match=r"passive_deletes='yes'\): use True, False"):
        relationship("Post", passive_deletes="yes")
    with pytest.raises(exc.ArgumentError, match=r"sync_backref=True, viewonly=True"):
        relationship("Post", viewonly=True, sync_backref=True)
    relationship("Post", omit_join=None, enable_typechecks=True)  # the defaults are fine


def test_relationship_info_and_doc_are_on_the_attribute(engine: ormkit.Engine) -> None:
    blog = make_blog(engine, info={"audited": True}, doc="the user's posts", overlaps="x")
    assert blog.User.posts.info == {"audited": True}
    assert blog.User.posts.__doc__ == "the user's posts"
    assert blog.User.posts.property.overlaps == "x"


def _blog_with_sync(engine: ormkit.Engine, **author_kw: Any) -> Blog:
    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50))
        posts: Mapped[list["Post"]] = relationship(back_populates="author")

    class Post(Base):
        __tablename__ = "posts"
        id: Mapped[int] = mapped_column(primary_key=True)
        title: Mapped[str] = mapped_column(String(100))
        user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
        author: Mapped[Optional["User"]] = relationship(back_populates="posts", **author_kw)

    Base.metadata.create_all(engine)
    return Blog(Base, User, Post)


def test_sync_backref_false_keeps_that_side_out_of_step(engine: ormkit.Engine) -> None:
    blog = _blog_with_sync(engine, sync_backref=False)
    ed, post = blog.User(id=1, name="ed"), blog.Post(id=1, title="a")
    ed.posts.append(post)
    assert "author" not in post.__dict__  # Post.author is not updated from User.posts
    other = blog.Post(id=2, title="b")
    other.author = ed
    assert other in ed.posts  # the other direction still is


def test_view_only_side_of_a_pair_is_not_kept_in_step(engine: ormkit.Engine) -> None:
    blog = _blog_with_sync(engine, viewonly=True)
    ed, post = blog.User(id=1, name="ed"), blog.Post(id=1, title="a")
    ed.posts.append(post)
    assert "author" not in post.__dict__
    other = blog.Post(id=2, title="b")
    other.author = ed
    assert other not in ed.posts


@pytest.mark.parametrize(("passive", "nulled_by_the_flush"), [(True, True), ("all", False)])
def test_passive_deletes_true_nulls_loaded_children_and_all_leaves_them_to_the_database(
    engine: ormkit.Engine, recorder: Recorder, passive: Any, nulled_by_the_flush: bool
) -> None:
    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(primary_key=True)
        posts: Mapped[list["Post"]] = relationship(passive_deletes=passive)

    class Post(Base):
        __tablename__ = "posts"
        id: Mapped[int] = mapped_column(primary_key=True)
        user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(User(id=1, posts=[Post(id=1), Post(id=2)]))
        s.commit()
    with Session(engine) as s:
        ed = s.get(User, 1)
        assert len(ed.posts) == 2  # loaded
        recorder.clear()
        s.delete(ed)
        s.commit()
    updates = [sql for sql in recorder.dml if sql.startswith("UPDATE")]
    assert bool(updates) is nulled_by_the_flush, recorder.dml
    assert table_rows(engine, Post.__table__, Post.__table__.c.id) == [(1, None), (2, None)]


@pytest.mark.parametrize(("cascade", "cascades"), [("all", True), (None, False)])
def test_expunge_and_expire_follow_the_cascade_rules(
    engine: ormkit.Engine, cascade: str | None, cascades: bool
) -> None:
    blog = make_blog(engine, cascade=cascade)
    seed_two_users(engine, blog)
    with Session(engine) as s:
        ed = s.get(blog.User, 1)
        posts = list(ed.posts)
        s.expire(ed)  # "refresh-expire" (in "all") expires the loaded posts too
        assert all(("title" not in p.__dict__) is cascades for p in posts)
        ed = s.get(blog.User, 1)
        posts = list(ed.posts)
        s.refresh(ed)
        assert all(("title" not in p.__dict__) is cascades for p in posts)
        posts = list(ed.posts)
        s.expunge(ed)  # "expunge" (in "all") takes the posts out as well
        assert all((p not in s) is cascades for p in posts)


def test_setting_a_many_to_one_to_the_value_it_has_leaves_it_loaded(
    engine: ormkit.Engine, blog: Blog
) -> None:
    """The key says None, so ``post.author = None`` changes nothing, but the attribute is
    loaded from then on (as in SQLAlchemy): readable once the object is detached."""
    with Session(engine) as s:
        post = blog.Post(id=1, title="a")
        s.add(post)
        s.commit()
        assert post.user_id is None and "author" not in post.__dict__
        post.author = None
    assert post.author is None  # detached: no load needed


def test_a_link_change_queued_on_an_unloaded_collection_is_written_by_itself(
    engine: ormkit.Engine,
) -> None:
    """As SQLAlchemy: the backref queues the change on the other side's unloaded collection,
    and the flush writes it from there too (here the side it was made on is expired, which
    forgets its own record of it). Made and undone there, it writes nothing."""
    Post, Tag, post_tags = many_to_many_models(engine)
    with Session(engine) as s:
        post, tag = Post(id=1, title="p"), Tag(id=1, name="t")
        post.tags.append(tag)
        s.add(post)
        s.commit()
        post.tags.remove(tag)  # tag.posts is not loaded: the removal is queued there
        s.expire(post)
        s.commit()
        other = Tag(id=2, name="u")
        s.add(other)
        s.flush()
        post.tags.append(other)
        post.tags.remove(other)
        s.expire(post)
        s.commit()
    with engine.connect() as conn:
        assert conn.execute(select(post_tags)).all() == []
