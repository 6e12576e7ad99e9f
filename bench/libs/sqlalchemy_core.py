"""SQLAlchemy 2.x Core: Table objects and Connection.execute(), Row tuples instead of objects.

No unit of work here: "insert" builds the parameter dicts in the timed body and executes them
(executemany), "update"/"delete" load the rows and executemany one UPDATE/DELETE by primary key.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from bench.common import USER_COLUMNS, Context, LibBench, filter_names, lookup_ids

metadata = sa.MetaData()
users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(50), index=True),
    sa.Column("fullname", sa.String(100)),
    sa.Column("nickname", sa.String(50)),
    sa.Column("age", sa.Integer),
)
posts = sa.Table(
    "posts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id")),
    sa.Column("title", sa.String(100)),
)


class Bench(LibBench):
    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.engine = sa.create_engine(ctx.sa_url())
        self.conn: Any = None
        self.held: list[Any] = []
        self.dicts: list[dict[str, Any]] = []

    def setup(self, scenario: str) -> None:
        self.conn = self.engine.connect()
        if scenario == "insert_bulk":
            self.dicts = [dict(zip(USER_COLUMNS, r, strict=True)) for r in self.ctx.rows]
        if scenario == "big_map":
            self.held = self.conn.execute(sa.select(users)).all()

    def run_insert(self) -> None:
        with self.conn.begin():
            self.conn.execute(
                sa.insert(users), [dict(zip(USER_COLUMNS, r, strict=True)) for r in self.ctx.rows]
            )

    def run_insert_bulk(self) -> None:
        with self.conn.begin():
            self.conn.execute(sa.insert(users), self.dicts)

    def run_load_all(self) -> list[Any]:
        return self.conn.execute(sa.select(users)).all()  # type: ignore[no-any-return]

    def run_load_dataclass(self) -> list[Any]:
        return self.run_load_all()

    def run_load_column_property(self) -> list[Any]:
        label = (users.c.name + "/" + users.c.nickname).label("label")
        return self.conn.execute(sa.select(users, label)).all()  # type: ignore[no-any-return]

    def run_get_pk(self) -> tuple[int, int]:
        conn = self.conn
        found = total = 0
        for ident in lookup_ids(self.ctx.n):
            row = conn.execute(sa.select(users).where(users.c.id == ident)).first()
            found += 1
            total += row.age
        return found, total

    def _filter_first(self) -> tuple[int, int]:
        conn = self.conn
        found = total = 0
        for name in filter_names(self.ctx.n):
            row = conn.execute(sa.select(users).where(users.c.name == name).limit(1)).first()
            found += 1
            total += row.id
        return found, total

    def run_filter_first(self) -> tuple[int, int]:
        return self._filter_first()

    def run_big_map(self) -> tuple[int, int]:
        return self._filter_first()

    def run_update(self) -> None:
        conn = self.conn
        with conn.begin():
            rows = conn.execute(sa.select(users)).all()
            stmt = (
                sa.update(users)
                .where(users.c.id == sa.bindparam("b_id"))
                .values(age=sa.bindparam("b_age"))
            )
            conn.execute(stmt, [{"b_id": r.id, "b_age": r.age + 1} for r in rows])

    def run_delete(self) -> None:
        conn = self.conn
        with conn.begin():
            rows = conn.execute(sa.select(users)).all()
            stmt = sa.delete(users).where(users.c.id == sa.bindparam("b_id"))
            conn.execute(stmt, [{"b_id": r.id} for r in rows])

    def run_columns_tuples(self) -> list[Any]:
        return self.conn.execute(sa.select(users.c.id, users.c.name)).all()  # type: ignore[no-any-return]

    def run_rel_selectin(self) -> list[Any]:
        conn = self.conn
        user_rows = conn.execute(sa.select(users)).all()
        by_user: dict[int, list[Any]] = {u.id: [] for u in user_rows}
        stmt = sa.select(posts).where(posts.c.user_id.in_(list(by_user)))
        for post in conn.execute(stmt):
            by_user[post.user_id].append(post)
        return [(u, by_user[u.id]) for u in user_rows]

    def run_rel_joined(self) -> list[Any]:
        stmt = (
            sa.select(users, posts.c.id.label("post_id"), posts.c.user_id, posts.c.title)
            .outerjoin(posts, posts.c.user_id == users.c.id)
            .order_by(users.c.id)
        )
        out: list[Any] = []
        last = None
        for row in self.conn.execute(stmt):
            if row.id != last:
                last = row.id
                post_list: list[Any] = []
                out.append((row, post_list))
            if row.post_id is not None:
                post_list.append((row.post_id, row.user_id, row.title))
        return out

    def digest(self, scenario: str, result: Any) -> Any:
        if scenario in ("load_all", "load_dataclass"):
            return [(r.id, r.name, r.age) for r in result]
        if scenario == "load_column_property":
            return [(r.id, r.label.split("/")[0], r.age) for r in result]
        if scenario == "columns_tuples":
            return [(r[0], r[1]) for r in result]
        if scenario in ("rel_selectin", "rel_joined"):
            return [(u.id, u.name, [tuple(p) for p in ps]) for u, ps in result]
        return result

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.engine.dispose()
