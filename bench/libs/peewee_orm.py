"""peewee: its documented paths for each scenario.

peewee has no unit of work: "insert" is Model.create() per row inside db.atomic(); "update" is
save() per object and "delete" delete_instance() per object, each inside db.atomic();
"insert_bulk" is insert_many() in chunks (SQLite limits bound variables per statement);
"get_pk" is Model.get_by_id(); "rel_selectin" is prefetch(); peewee has no joinedload, so
"rel_joined" is one LEFT OUTER JOIN query whose rows are grouped per user in Python.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

import peewee as pw

from bench.common import (
    USER_COLUMNS,
    Context,
    LibBench,
    NotApplicable,
    WrongResult,
    filter_names,
    lookup_ids,
)

INSERT_CHUNK = 1000  # rows per insert_many() statement: 5,000 bound variables


def _database(ctx: Context) -> pw.Database:
    if ctx.kind == "sqlite":
        return pw.SqliteDatabase(ctx.path)
    assert ctx.url is not None
    parts = urlsplit(ctx.url)
    kw: dict[str, Any] = {
        "host": parts.hostname,
        "user": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
    }
    if parts.port:
        kw["port"] = parts.port
    database = parts.path.lstrip("/")
    if ctx.kind == "postgresql":
        return pw.PostgresqlDatabase(database, prefer_psycopg3=True, **kw)
    return pw.MySQLDatabase(database, **kw)


def _models(db: pw.Database) -> tuple[Any, Any]:
    class User(pw.Model):
        name = pw.CharField(max_length=50, index=True)
        fullname = pw.CharField(max_length=100)
        nickname = pw.CharField(max_length=50)
        age = pw.IntegerField()

        class Meta:
            database = db
            table_name = "users"

    class Post(pw.Model):
        user = pw.ForeignKeyField(User, backref="posts", column_name="user_id")
        title = pw.CharField(max_length=100)

        class Meta:
            database = db
            table_name = "posts"

    return User, Post


class Bench(LibBench):
    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.db = _database(ctx)
        self.User, self.Post = _models(self.db)
        self.held: list[Any] = []
        self.dicts: list[dict[str, Any]] = []

    def setup(self, scenario: str) -> None:
        self.db.connect()
        if scenario == "insert_bulk":
            self.dicts = [dict(zip(USER_COLUMNS, r, strict=True)) for r in self.ctx.rows]
        if scenario == "big_map":
            self.held = list(self.User.select())

    def run_insert(self) -> None:
        User = self.User
        with self.db.atomic():
            for r in self.ctx.rows:
                User.create(name=r[0], fullname=r[1], nickname=r[2], age=r[3])

    def run_insert_bulk(self) -> None:
        User = self.User
        with self.db.atomic():
            for batch in pw.chunked(self.dicts, INSERT_CHUNK):
                User.insert_many(batch).execute()

    def run_load_all(self) -> list[Any]:
        return list(self.User.select())

    def run_load_dataclass(self) -> list[Any]:
        raise NotApplicable("peewee has no dataclass models")

    def run_load_column_property(self) -> list[Any]:
        raise NotApplicable("peewee maps no SQL expressions as model attributes")

    def run_get_pk(self) -> tuple[int, int]:
        User = self.User
        found = total = 0
        for ident in lookup_ids(self.ctx.n):
            user = User.get_by_id(ident)
            found += 1
            total += user.age
        return found, total

    def _filter_first(self) -> tuple[int, int]:
        User = self.User
        found = total = 0
        for name in filter_names(self.ctx.n):
            user = User.select().where(User.name == name).first()
            found += 1
            total += user.id
        return found, total

    def run_filter_first(self) -> tuple[int, int]:
        return self._filter_first()

    def run_big_map(self) -> tuple[int, int]:
        return self._filter_first()

    def run_update(self) -> None:
        with self.db.atomic():
            for user in list(self.User.select()):
                user.age = user.age + 1
                user.save()

    def run_delete(self) -> None:
        with self.db.atomic():
            for user in list(self.User.select()):
                user.delete_instance()

    def run_columns_tuples(self) -> list[Any]:
        User = self.User
        return list(User.select(User.id, User.name).tuples())

    def run_rel_selectin(self) -> list[Any]:
        return list(pw.prefetch(self.User.select(), self.Post.select()))

    def run_rel_joined(self) -> list[Any]:
        User, Post = self.User, self.Post
        query = (
            User.select(User, Post).join(Post, pw.JOIN.LEFT_OUTER, attr="post").order_by(User.id)
        )
        out: list[Any] = []
        last = None
        for row in query:
            if row.id != last:
                last = row.id
                posts: list[Any] = []
                out.append((row, posts))
            if row.post.id is not None:
                posts.append(row.post)
        return out

    def digest(self, scenario: str, result: Any) -> Any:
        if scenario == "load_all":
            return [(u.id, u.name, u.age) for u in result]
        if scenario == "columns_tuples":
            return [(r[0], r[1]) for r in result]
        if scenario == "rel_selectin":
            if not all(isinstance(vars(u).get("posts"), list) for u in result):
                raise WrongResult("rel_selectin: the posts were not loaded by prefetch()")
            return [(u.id, u.name, [(p.id, p.user_id, p.title) for p in u.posts]) for u in result]
        if scenario == "rel_joined":
            return [(u.id, u.name, [(p.id, p.user_id, p.title) for p in ps]) for u, ps in result]
        return result

    def close(self) -> None:
        self.db.close()
