"""What every benchmark run shares: the scenarios, the data, the schema, and the checks.

The schema is created and seeded with the plain DB-API driver before a library is imported, so
every library works on the same table and only its scenario body is timed. Every run's result is
then checked (row counts, sums of ids and ages, names) against values computed from the same
formulas that generated the data, so a fast wrong answer fails loudly instead of winning.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

#: scenario -> what it does (the table's first column); the order is the table's row order
SCENARIOS: dict[str, str] = {
    "insert": "N objects through the unit of work (add_all + commit)",
    "insert_bulk": "N rows through the fastest documented bulk path",
    "load_all": "all N rows as objects",
    "load_dataclass": "all N rows as objects of a dataclass model (MappedAsDataclass)",
    "load_column_property": "all N rows as objects with a column_property (name + '/' + nickname)",
    "get_pk": "5,000 primary-key lookups, a fresh session each",
    "filter_first": "5,000 filter(name == x).first() in one session",
    "update": "load N objects, change one attribute each, commit",
    "delete": "load N objects, delete each through the session, commit",
    "columns_tuples": "query(User.id, User.name).all(): N tuples",
    "big_map": "5,000 filter_first in a session holding N loaded objects",
    "rel_selectin": "1,000 users x 10 posts with selectinload",
    "rel_joined": "1,000 users x 10 posts with joinedload",
}
#: names accepted by --scenarios that stand for several scenarios
ALIASES: dict[str, list[str]] = {"relationships": ["rel_selectin", "rel_joined"]}

LOOKUPS = 5000
REL_USERS = 1000
POSTS_PER_USER = 10
#: scenarios that start from N seeded users (the others start from an empty table)
SEEDED = {
    "load_all",
    "load_dataclass",
    "load_column_property",
    "get_pk",
    "filter_first",
    "update",
    "delete",
    "columns_tuples",
    "big_map",
}
RELATIONSHIPS = {"rel_selectin", "rel_joined"}
USER_COLUMNS = ("name", "fullname", "nickname", "age")


class NotApplicable(Exception):
    """The library lacks a feature the scenario needs (shown as "n/a", not as a failure)."""


class WrongResult(Exception):
    """The scenario ran but its result is not the expected one."""


# -- the data -----------------------------------------------------------------------------------


def age_of(i: int) -> int:
    return 18 + (i * 7) % 60


def user_row(i: int) -> tuple[str, str, str, int]:
    """(name, fullname, nickname, age) of the i-th user (1-based); names are unique."""
    return (f"user{i}", f"User Number {i}", f"nick{i % 100}", age_of(i))


def user_rows(n: int) -> list[tuple[str, str, str, int]]:
    return [user_row(i) for i in range(1, n + 1)]


def lookup_ids(n: int) -> list[int]:
    """The ids get_pk looks up: 5,000 of them, spread over 1..n."""
    return [(k * 7919) % n + 1 for k in range(LOOKUPS)]


def filter_names(n: int) -> list[str]:
    """The names filter_first and big_map look for: 5,000 of them, spread over the n users."""
    return [f"user{(k * 104729) % n + 1}" for k in range(LOOKUPS)]


def filter_expected(n: int) -> int:
    """The sum of the ids that the filter_names(n) queries find."""
    return sum((k * 104729) % n + 1 for k in range(LOOKUPS))


def post_id(user_id: int, k: int) -> int:
    return (user_id - 1) * POSTS_PER_USER + k + 1


# -- one run's context --------------------------------------------------------------------------


@dataclass
class Context:
    """Where and what one child process runs."""

    scenario: str
    n: int
    kind: str  # "sqlite", "postgresql" or "mysql"
    path: str | None = None  # the SQLite file
    url: str | None = None  # the server URL (given with --url)
    rows: list[tuple[str, str, str, int]] = field(default_factory=list)

    def sa_url(self, sqlite_query: str = "") -> str:
        """A SQLAlchemy-style URL for this database (ormkit takes the same form)."""
        if self.kind == "sqlite":
            return f"sqlite:///{self.path}{sqlite_query}"
        assert self.url is not None
        return self.url


def kind_of(url: str | None) -> str:
    if url is None:
        return "sqlite"
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower()
    if scheme in ("postgresql", "postgres"):
        return "postgresql"
    if scheme in ("mysql", "mariadb"):
        return "mysql"
    raise ValueError(
        f"--url {url!r}: only postgresql+psycopg:// and mysql+pymysql:// URLs are supported; "
        "SQLite is the default (a fresh temporary file per run), so leave --url out for it"
    )


def raw_connect(ctx: Context) -> Any:
    """A plain DB-API connection: sqlite3, psycopg or PyMySQL, in its default settings."""
    if ctx.kind == "sqlite":
        assert ctx.path is not None
        return sqlite3.connect(ctx.path)
    assert ctx.url is not None
    parts = urlsplit(ctx.url)
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    database = parts.path.lstrip("/")
    if ctx.kind == "postgresql":
        import psycopg

        return psycopg.connect(
            host=parts.hostname,
            port=parts.port or 5432,
            user=user,
            password=password,
            dbname=database,
        )
    import pymysql

    return pymysql.connect(
        host=parts.hostname or "localhost",
        port=parts.port or 3306,
        user=user,
        password=password or "",
        database=database,
    )


def placeholder(kind: str) -> str:
    return "?" if kind == "sqlite" else "%s"


_PK = {
    "sqlite": "INTEGER PRIMARY KEY AUTOINCREMENT",
    "postgresql": "SERIAL PRIMARY KEY",
    "mysql": "INTEGER PRIMARY KEY AUTO_INCREMENT",
}


def create_schema(ctx: Context, conn: Any) -> None:
    """users (and posts, for the relationship scenarios), dropped first on a server."""
    cur = conn.cursor()
    if ctx.kind != "sqlite":
        cur.execute("DROP TABLE IF EXISTS posts")
        cur.execute("DROP TABLE IF EXISTS users")
    pk = _PK[ctx.kind]
    cur.execute(
        f"CREATE TABLE users (id {pk}, name VARCHAR(50), fullname VARCHAR(100), "
        "nickname VARCHAR(50), age INTEGER)"
    )
    cur.execute("CREATE INDEX ix_users_name ON users (name)")
    if ctx.scenario in RELATIONSHIPS:
        cur.execute(
            f"CREATE TABLE posts (id {pk}, user_id INTEGER NOT NULL REFERENCES users (id), "
            "title VARCHAR(100))"
        )
        cur.execute("CREATE INDEX ix_posts_user_id ON posts (user_id)")
    conn.commit()


def prepare_database(ctx: Context) -> None:
    """Create the schema and seed what the scenario starts from (not timed)."""
    conn = raw_connect(ctx)
    try:
        create_schema(ctx, conn)
        p = placeholder(ctx.kind)
        cur = conn.cursor()
        seed = 0
        if ctx.scenario in SEEDED:
            seed = ctx.n
        elif ctx.scenario in RELATIONSHIPS:
            seed = REL_USERS
        if seed:
            cur.executemany(
                f"INSERT INTO users (id, name, fullname, nickname, age) "
                f"VALUES ({p}, {p}, {p}, {p}, {p})",
                [(i, *user_row(i)) for i in range(1, seed + 1)],
            )
        if ctx.scenario in RELATIONSHIPS:
            cur.executemany(
                f"INSERT INTO posts (id, user_id, title) VALUES ({p}, {p}, {p})",
                [
                    (post_id(u, k), u, f"post {post_id(u, k)}")
                    for u in range(1, REL_USERS + 1)
                    for k in range(POSTS_PER_USER)
                ],
            )
        conn.commit()
    finally:
        conn.close()


# -- checking results ---------------------------------------------------------------------------


def _fail(ctx: Context, message: str) -> None:
    raise WrongResult(f"{ctx.scenario}: {message}")


def check_users(ctx: Context, rows: list[tuple[Any, ...]], age_delta: int = 0) -> None:
    """rows of (id, name[, age]) must be exactly users 1..N with the seeded names and ages."""
    n = ctx.n
    if len(rows) != n:
        _fail(ctx, f"expected {n} rows, got {len(rows)}")
    ids = sorted(r[0] for r in rows)
    if ids != list(range(1, n + 1)):
        _fail(ctx, f"ids are not 1..{n} (sum {sum(ids)}, expected {n * (n + 1) // 2})")
    for row in rows:
        if row[1] != f"user{row[0]}":
            _fail(ctx, f"row id={row[0]} has name {row[1]!r}, expected 'user{row[0]}'")
        if len(row) > 2 and row[2] != age_of(row[0]) + age_delta:
            want = age_of(row[0]) + age_delta
            _fail(ctx, f"row id={row[0]} has age {row[2]!r}, expected {want}")


def check_table(ctx: Context, age_delta: int = 0) -> None:
    """The users table, read back with the plain driver after a write scenario."""
    conn = raw_connect(ctx)
    try:
        cur = conn.cursor()
        cur.execute("SELECT id, name, fullname, nickname, age FROM users")
        rows = list(cur.fetchall())
    finally:
        conn.close()
    if ctx.scenario == "delete":
        if rows:
            _fail(ctx, f"{len(rows)} rows are left after deleting all {ctx.n}")
        return
    if ctx.scenario in ("insert", "insert_bulk"):
        # ids 1..N, and each row's columns belong together (whatever order rows went in)
        by_number = sorted((int(r[1][4:]), r[0], r) for r in rows)
        if [b[0] for b in by_number] != list(range(1, ctx.n + 1)):
            _fail(ctx, f"the names inserted are not user1..user{ctx.n} ({len(rows)} rows)")
        if sorted(r[0] for r in rows) != list(range(1, ctx.n + 1)):
            _fail(ctx, f"the ids generated are not 1..{ctx.n}")
        for number, _id, row in by_number:
            if tuple(row[1:]) != user_row(number):
                _fail(ctx, f"row {tuple(row)!r} does not match {user_row(number)!r}")
        return
    check_users(ctx, [(r[0], r[1], r[4]) for r in rows], age_delta)


def verify(ctx: Context, digest: Any) -> None:
    """Raise WrongResult unless ``digest`` (a library's normalized result) is right."""
    sc, n = ctx.scenario, ctx.n
    if sc in ("insert", "insert_bulk", "delete"):
        check_table(ctx)
    elif sc == "update":
        check_table(ctx, age_delta=1)
    elif sc in ("load_all", "load_dataclass", "load_column_property", "columns_tuples"):
        check_users(ctx, list(digest))
    elif sc == "get_pk":
        expected = (LOOKUPS, sum(age_of(i) for i in lookup_ids(n)))
        if tuple(digest) != expected:
            _fail(ctx, f"(found, sum of ages) = {tuple(digest)}, expected {expected}")
    elif sc in ("filter_first", "big_map"):
        expected = (LOOKUPS, filter_expected(n))
        if tuple(digest) != expected:
            _fail(ctx, f"(found, sum of ids) = {tuple(digest)}, expected {expected}")
    elif sc in RELATIONSHIPS:
        users = sorted(digest)
        if [u[0] for u in users] != list(range(1, REL_USERS + 1)):
            _fail(ctx, f"expected users 1..{REL_USERS}, got {len(users)} users")
        for uid, name, posts in users:
            want = [
                (post_id(uid, k), uid, f"post {post_id(uid, k)}") for k in range(POSTS_PER_USER)
            ]
            if name != f"user{uid}" or sorted(posts) != want:
                _fail(ctx, f"user {uid} ({name!r}) has posts {sorted(posts)!r}, expected {want}")
    else:
        raise ValueError(f"unknown scenario {sc!r}")


# -- the library interface ----------------------------------------------------------------------


class LibBench:
    """One library's implementation of the scenarios.

    ``setup(scenario)`` runs untimed; ``run_<scenario>()`` is the timed body; ``digest()``
    turns its result into plain tuples for :func:`verify` (untimed, before ``close()``).
    Digests: load_all, load_dataclass -> [(id, name, age)], load_column_property -> [(id, the
    property's value up to its "/", age)], columns_tuples -> [(id, name)],
    get_pk -> (found, sum of ages), filter_first/big_map -> (found, sum of ids), rel_* ->
    [(user id, name, [(post id, post user_id, title)])]; write scenarios are checked in the
    table itself.
    """

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def setup(self, scenario: str) -> None:
        """Untimed preparation for ``scenario`` (engines, sessions, input data)."""

    def digest(self, scenario: str, result: Any) -> Any:
        return result

    def close(self) -> None:
        """Release connections."""
