"""The ORM scenarios, written once against the SQLAlchemy 2.x API and run on two packages.

``ormkit_orm`` and ``sqlalchemy_orm`` pass their package's names in an :class:`Api`; the
scenario code is the same line for line, which is ormkit's promise (rename the import).
Models are built per run (:func:`make_models`), mapping the tables the harness created; this
module has no ``from __future__ import annotations``, so the ``Mapped[...]`` annotations are real
objects and need no name lookup in this module.
"""

from dataclasses import dataclass
from typing import Any

from bench.common import Context, LibBench, NotApplicable, WrongResult, filter_names, lookup_ids


@dataclass
class Api:
    """The names a scenario needs from one package (ormkit or sqlalchemy)."""

    create_engine: Any
    insert: Any
    select: Any
    Integer: Any
    String: Any
    ForeignKey: Any
    DeclarativeBase: Any
    Mapped: Any
    mapped_column: Any
    Session: Any
    relationship: Any  # None when the package has no relationship()/selectinload yet
    selectinload: Any
    joinedload: Any
    sqlite_query: str = ""  # appended to sqlite:///path (ormkit: the journal mode)
    MappedAsDataclass: Any = None  # None when the package has no dataclass models yet
    column_property: Any = None  # None when the package has no column_property() yet


def make_models(api: Api) -> tuple[Any, Any, Any]:
    """(User, RUser, RPost): plain User for most scenarios; RUser/RPost with relationships
    (None when the package has no relationship())."""
    Mapped, mapped_column = api.Mapped, api.mapped_column
    Integer, String = api.Integer, api.String

    class Base(api.DeclarativeBase):  # type: ignore[misc,name-defined]
        pass

    class User(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(Integer, primary_key=True)
        name: Mapped[str] = mapped_column(String(50), index=True)
        fullname: Mapped[str] = mapped_column(String(100))
        nickname: Mapped[str] = mapped_column(String(50))
        age: Mapped[int] = mapped_column(Integer)

    if api.relationship is None:
        return User, None, None
    relationship = api.relationship

    class RBase(api.DeclarativeBase):  # type: ignore[misc,name-defined]
        pass

    class RUser(RBase):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(Integer, primary_key=True)
        name: Mapped[str] = mapped_column(String(50), index=True)
        fullname: Mapped[str] = mapped_column(String(100))
        nickname: Mapped[str] = mapped_column(String(50))
        age: Mapped[int] = mapped_column(Integer)
        posts: Mapped[list["RPost"]] = relationship("RPost", back_populates="user")

    class RPost(RBase):
        __tablename__ = "posts"
        id: Mapped[int] = mapped_column(Integer, primary_key=True)
        user_id: Mapped[int] = mapped_column(Integer, api.ForeignKey("users.id"))
        title: Mapped[str] = mapped_column(String(100))
        user: Mapped["RUser"] = relationship("RUser", back_populates="posts")

    return User, RUser, RPost


def make_dataclass_model(api: Api) -> Any:
    """The users table mapped by a MappedAsDataclass model."""
    Mapped, mapped_column = api.Mapped, api.mapped_column
    Integer, String = api.Integer, api.String

    class Base(api.MappedAsDataclass, api.DeclarativeBase):  # type: ignore[misc,name-defined]
        pass

    class DataUser(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(Integer, primary_key=True, init=False)
        name: Mapped[str] = mapped_column(String(50), index=True)
        fullname: Mapped[str] = mapped_column(String(100))
        nickname: Mapped[str] = mapped_column(String(50))
        age: Mapped[int] = mapped_column(Integer, default=18)

    return DataUser


def make_column_property_model(api: Api) -> Any:
    """The users table mapped with a column_property() of a SQL expression."""
    Mapped, mapped_column = api.Mapped, api.mapped_column
    Integer, String = api.Integer, api.String

    class Base(api.DeclarativeBase):  # type: ignore[misc,name-defined]
        pass

    class LabeledUser(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(Integer, primary_key=True)
        name: Mapped[str] = mapped_column(String(50), index=True)
        fullname: Mapped[str] = mapped_column(String(100))
        nickname: Mapped[str] = mapped_column(String(50))
        age: Mapped[int] = mapped_column(Integer)
        label: Mapped[str] = api.column_property(name + "/" + nickname)

    return LabeledUser


def make_bench(api: Api) -> type[LibBench]:
    """The Bench class for one package."""
    Session, select, insert = api.Session, api.select, api.insert

    class Bench(LibBench):
        def __init__(self, ctx: Context) -> None:
            super().__init__(ctx)
            self.engine = api.create_engine(ctx.sa_url(api.sqlite_query))
            self.session: Any = None
            self.held: list[Any] = []
            self.dicts: list[dict[str, Any]] = []

        def setup(self, scenario: str) -> None:
            if scenario.startswith("rel_") and api.relationship is None:
                raise NotApplicable("no relationship()/selectinload/joinedload in this package")
            self.User, self.RUser, self.RPost = make_models(api)
            if scenario == "load_dataclass":
                if api.MappedAsDataclass is None:
                    raise NotApplicable("no MappedAsDataclass in this package")
                self.DataUser = make_dataclass_model(api)
            if scenario == "load_column_property":
                if api.column_property is None:
                    raise NotApplicable("no column_property() in this package")
                self.LabeledUser = make_column_property_model(api)
            with self.engine.connect():  # open the pooled connection outside the timing
                pass
            if scenario == "insert_bulk":
                self.dicts = [dict(zip(_COLUMNS, r, strict=True)) for r in self.ctx.rows]
            if scenario not in ("insert", "insert_bulk", "get_pk"):
                self.session = Session(self.engine)
            if scenario == "big_map":
                self.held = self.session.scalars(select(self.User)).all()

        def run_insert(self) -> None:
            User = self.User
            with Session(self.engine) as session:
                session.add_all(
                    [User(name=r[0], fullname=r[1], nickname=r[2], age=r[3]) for r in self.ctx.rows]
                )
                session.commit()

        def run_insert_bulk(self) -> None:
            with Session(self.engine) as session:
                session.execute(insert(self.User), self.dicts)
                session.commit()

        def run_load_all(self) -> list[Any]:
            return self.session.scalars(select(self.User)).all()  # type: ignore[no-any-return]

        def run_load_dataclass(self) -> list[Any]:
            return self.session.scalars(select(self.DataUser)).all()  # type: ignore[no-any-return]

        def run_load_column_property(self) -> list[Any]:
            return self.session.scalars(select(self.LabeledUser)).all()  # type: ignore[no-any-return]

        def run_get_pk(self) -> tuple[int, int]:
            User, engine = self.User, self.engine
            found = total = 0
            for ident in lookup_ids(self.ctx.n):
                with Session(engine) as session:
                    user = session.get(User, ident)
                    found += 1
                    total += user.age
            return found, total

        def _filter_first(self) -> tuple[int, int]:
            User, session = self.User, self.session
            found = total = 0
            for name in filter_names(self.ctx.n):
                user = session.query(User).filter(User.name == name).first()
                found += 1
                total += user.id
            return found, total

        def run_filter_first(self) -> tuple[int, int]:
            return self._filter_first()

        def run_big_map(self) -> tuple[int, int]:
            return self._filter_first()

        def run_update(self) -> None:
            session = self.session
            for user in session.scalars(select(self.User)).all():
                user.age = user.age + 1
            session.commit()

        def run_delete(self) -> None:
            session = self.session
            for user in session.scalars(select(self.User)).all():
                session.delete(user)
            session.commit()

        def run_columns_tuples(self) -> list[Any]:
            User = self.User
            return self.session.query(User.id, User.name).all()  # type: ignore[no-any-return]

        def run_rel_selectin(self) -> list[Any]:
            RUser = self.RUser
            stmt = select(RUser).options(api.selectinload(RUser.posts))
            return self.session.scalars(stmt).all()  # type: ignore[no-any-return]

        def run_rel_joined(self) -> list[Any]:
            RUser = self.RUser
            stmt = select(RUser).options(api.joinedload(RUser.posts))
            return self.session.scalars(stmt).unique().all()  # type: ignore[no-any-return]

        def digest(self, scenario: str, result: Any) -> Any:
            if scenario in ("load_all", "load_dataclass"):
                return [(u.id, u.name, u.age) for u in result]
            if scenario == "load_column_property":
                return [(u.id, u.label.split("/")[0], u.age) for u in result]
            if scenario == "columns_tuples":
                return [(r[0], r[1]) for r in result]
            if scenario in ("rel_selectin", "rel_joined"):
                if not all("posts" in vars(u) for u in result):
                    raise WrongResult(f"{scenario}: the posts were not loaded by the query")
                return [
                    (u.id, u.name, [(p.id, p.user_id, p.title) for p in u.posts]) for u in result
                ]
            return result

        def close(self) -> None:
            if self.session is not None:
                self.session.close()
            self.engine.dispose()

    return Bench


_COLUMNS = ("name", "fullname", "nickname", "age")
