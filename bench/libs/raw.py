"""The floor: the plain DB-API driver (sqlite3, or psycopg / PyMySQL with --url), one connection.

Each scenario does the same work as the ORMs with the least Python possible: executemany for
inserts, fetchall() tuples for loads, one parameterized SELECT per lookup.
"""

from __future__ import annotations

from typing import Any

from bench.common import Context, LibBench, filter_names, lookup_ids, placeholder, raw_connect

COLS = "id, name, fullname, nickname, age"


class Bench(LibBench):
    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.conn = raw_connect(ctx)
        self.p = placeholder(ctx.kind)
        self.held: list[Any] = []

    def setup(self, scenario: str) -> None:
        if scenario == "big_map":
            cur = self.conn.cursor()
            cur.execute(f"SELECT {COLS} FROM users")
            self.held = cur.fetchall()
            self.conn.commit()

    def _insert(self, rows: list[tuple[Any, ...]]) -> None:
        p = self.p
        cur = self.conn.cursor()
        cur.executemany(
            f"INSERT INTO users (name, fullname, nickname, age) VALUES ({p}, {p}, {p}, {p})", rows
        )
        self.conn.commit()

    def run_insert(self) -> None:
        self._insert(self.ctx.rows)

    def run_insert_bulk(self) -> None:
        self._insert(self.ctx.rows)

    def run_load_all(self) -> list[Any]:
        cur = self.conn.cursor()
        cur.execute(f"SELECT {COLS} FROM users")
        return cur.fetchall()  # type: ignore[no-any-return]

    def run_load_dataclass(self) -> list[Any]:
        return self.run_load_all()  # (rows are rows: the same work for the driver)

    def run_load_column_property(self) -> list[Any]:
        cur = self.conn.cursor()
        cur.execute(f"SELECT {COLS}, name || '/' || nickname FROM users")
        return cur.fetchall()  # type: ignore[no-any-return]

    def run_get_pk(self) -> tuple[int, int]:
        cur = self.conn.cursor()
        sql = f"SELECT {COLS} FROM users WHERE id = {self.p}"
        found = total = 0
        for ident in lookup_ids(self.ctx.n):
            cur.execute(sql, (ident,))
            row = cur.fetchone()
            found += 1
            total += row[4]
        return found, total

    def _filter_first(self) -> tuple[int, int]:
        cur = self.conn.cursor()
        sql = f"SELECT {COLS} FROM users WHERE name = {self.p} LIMIT 1"
        found = total = 0
        for name in filter_names(self.ctx.n):
            cur.execute(sql, (name,))
            row = cur.fetchone()
            found += 1
            total += row[0]
        return found, total

    def run_filter_first(self) -> tuple[int, int]:
        return self._filter_first()

    def run_big_map(self) -> tuple[int, int]:
        return self._filter_first()

    def run_update(self) -> None:
        cur = self.conn.cursor()
        cur.execute(f"SELECT {COLS} FROM users")
        rows = cur.fetchall()
        p = self.p
        cur.executemany(
            f"UPDATE users SET age = {p} WHERE id = {p}", [(r[4] + 1, r[0]) for r in rows]
        )
        self.conn.commit()

    def run_delete(self) -> None:
        cur = self.conn.cursor()
        cur.execute(f"SELECT {COLS} FROM users")
        rows = cur.fetchall()
        cur.executemany(f"DELETE FROM users WHERE id = {self.p}", [(r[0],) for r in rows])
        self.conn.commit()

    def run_columns_tuples(self) -> list[Any]:
        cur = self.conn.cursor()
        cur.execute("SELECT id, name FROM users")
        return cur.fetchall()  # type: ignore[no-any-return]

    def run_rel_selectin(self) -> list[Any]:
        cur = self.conn.cursor()
        cur.execute(f"SELECT {COLS} FROM users")
        users = cur.fetchall()
        posts: dict[int, list[Any]] = {u[0]: [] for u in users}
        marks = ", ".join([self.p] * len(users))
        cur.execute(
            f"SELECT id, user_id, title FROM posts WHERE user_id IN ({marks})",
            [u[0] for u in users],
        )
        for post in cur.fetchall():
            posts[post[1]].append(post)
        return [(u, posts[u[0]]) for u in users]

    def run_rel_joined(self) -> list[Any]:
        cur = self.conn.cursor()
        cur.execute(
            "SELECT u.id, u.name, u.fullname, u.nickname, u.age, p.id, p.user_id, p.title "
            "FROM users u LEFT OUTER JOIN posts p ON p.user_id = u.id ORDER BY u.id"
        )
        out: list[Any] = []
        last = None
        for row in cur.fetchall():
            if row[0] != last:
                last = row[0]
                posts: list[Any] = []
                out.append((row[:5], posts))
            if row[5] is not None:
                posts.append(row[5:])
        return out

    def digest(self, scenario: str, result: Any) -> Any:
        if scenario in ("load_all", "load_dataclass"):
            return [(r[0], r[1], r[4]) for r in result]
        if scenario == "load_column_property":
            return [(r[0], r[5].split("/")[0], r[4]) for r in result]
        if scenario == "columns_tuples":
            return [(r[0], r[1]) for r in result]
        if scenario in ("rel_selectin", "rel_joined"):
            return [(u[0], u[1], [tuple(p) for p in posts]) for u, posts in result]
        return result

    def close(self) -> None:
        self.conn.close()
