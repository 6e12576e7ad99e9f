"""``python -m ormkit``: a short tour of ormkit on a real database (in-memory SQLite by default).

python -m ormkit                  # the tour on sqlite://
python -m ormkit --url URL        # the same tour on another database
python -m ormkit --echo           # also show every statement ormkit sends
"""

from __future__ import annotations

import argparse
import datetime
import decimal
import sys
from collections.abc import Sequence

import ormkit
from ormkit import (
    Column,
    CreateTable,
    Date,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    create_engine,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from ormkit.engine.url import mask


def _step(title: str) -> None:
    print(f"\n== {title}")


def _show(label: str, value: object) -> None:
    print(f"   {label}: {value}")


def core_tour(url: str, echo: bool = False) -> None:
    """The SQL toolkit: tables, inserts, queries, updates, transactions and errors on ``url``."""
    engine = create_engine(url, echo=echo)
    print(f"\n###### Part 2: the SQL toolkit under the ORM ({engine.dialect.name})")

    _step("Describe tables")
    metadata = MetaData()
    users = Table(
        "users",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(50), nullable=False, unique=True),
        Column("joined", Date),
    )
    orders = Table(
        "orders",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        Column("total", Numeric(10, 2), nullable=False),
    )
    metadata.drop_all(engine)
    metadata.create_all(engine)
    _show("created", ", ".join(t.name for t in metadata.sorted_tables))

    _step("Insert rows (values always travel as bound parameters)")
    with engine.begin() as conn:
        result = conn.execute(insert(users).values(name="ed", joined=datetime.date(2024, 3, 1)))
        _show("ed's generated key", result.inserted_primary_key[0])
        conn.execute(
            insert(users),
            [
                {"name": "wendy", "joined": datetime.date(2024, 5, 9)},
                {"name": "mary", "joined": None},
            ],
        )
        conn.execute(
            insert(orders),
            [
                {"user_id": 1, "total": decimal.Decimal("19.99")},
                {"user_id": 1, "total": decimal.Decimal("5.01")},
                {"user_id": 2, "total": decimal.Decimal("42.00")},
            ],
        )
    stmt = select(users.c.name).where(users.c.name == "ed")
    _show("a statement prints as SQL", " ".join(str(stmt).split()))

    _step("Query")
    with engine.connect() as conn:
        for row in conn.execute(select(users).order_by(users.c.id)):
            _show(f"user {row.id}", f"{row.name}, joined {row.joined!r}")
        per_user = (
            select(users.c.name, func.count(orders.c.id).label("n"), func.sum(orders.c.total))
            .join(orders)
            .group_by(users.c.name)
            .order_by(users.c.name)
        )
        for name, count, total in conn.execute(per_user):
            _show(f"{name}'s orders", f"{count}, totalling {total!r}")
        names = conn.scalars(select(users.c.name).where(users.c.name.startswith("m"))).all()
        _show("names starting with m", names)

    _step("Update and delete")
    with engine.begin() as conn:
        changed = conn.execute(update(users).where(users.c.name == "mary").values(name="Mary"))
        _show("rows updated", changed.rowcount)
        gone = conn.execute(delete(orders).where(orders.c.total < 10))
        _show("small orders deleted", gone.rowcount)

    _step("Transactions: rolled back work leaves no trace")
    with engine.connect() as conn:
        conn.execute(insert(users).values(name="temporary"))
        _show("inside the transaction", conn.scalar(select(func.count()).select_from(users)))
        conn.rollback()
        _show("after rollback", conn.scalar(select(func.count()).select_from(users)))
        with conn.begin_nested() as savepoint:
            conn.execute(insert(users).values(name="kept"))
            savepoint.commit()
        conn.commit()
        _show("after a released savepoint", conn.scalar(select(func.count()).select_from(users)))

    _step("Errors say what happened")
    try:
        with engine.begin() as conn:
            conn.execute(insert(users).values(name="ed"))
    except ormkit.exc.IntegrityError as err:
        _show(type(err).__name__, str(err).splitlines()[0])
    try:
        select(users).where("name = 'ed'")
    except ormkit.exc.ArgumentError as err:
        _show(type(err).__name__, err)

    _step("Raw SQL with text() still binds values")
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT count(*) AS n FROM users WHERE name != :name"), {"name": "ed"}
        ).one()
        _show("users other than ed", row.n)

    _step("Inspect the database")
    inspector = ormkit.inspect(engine)
    for table_name in inspector.get_table_names():
        columns = ", ".join(c["name"] for c in inspector.get_columns(table_name))
        _show(table_name, columns)
    _show("compiled statements (the rest came from the cache)", engine.compile_count)
    metadata.drop_all(engine)
    engine.dispose()


def orm_tour(url: str, echo: bool = False) -> None:
    """The ORM: models, a Session, add, commit, query, update, rollback, delete, on ``url``."""
    from ormkit.orm import DeclarativeBase, Mapped, Session, mapped_column

    engine = create_engine(url, echo=echo)
    print(f"ormkit {ormkit.__version__} on {engine.url!r} ({engine.dialect.name})")
    print("\n###### Part 1: the ORM")

    class Base(DeclarativeBase):
        pass

    class Author(Base):
        __tablename__ = "tour_authors"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50), unique=True)
        email: Mapped[str | None] = mapped_column(String(100))

        def __repr__(self) -> str:
            return f"Author({self.name!r})"

    class Book(Base):
        __tablename__ = "tour_books"
        id: Mapped[int] = mapped_column(primary_key=True)
        title: Mapped[str] = mapped_column(String(100))
        author_id: Mapped[int] = mapped_column(ForeignKey("tour_authors.id"))
        year: Mapped[int | None]

    _step("Models are classes; their tables come from the annotations")
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    _show("CREATE TABLE", " ".join(str(CreateTable(Author.__table__).compile(engine)).split()))

    _step("add() only queues objects; commit() sends the INSERTs")
    session = Session(engine)
    ursula = Author(name="Ursula", email="ursula@example.com")
    session.add_all([ursula, Author(name="Terry"), Author(name="Iain")])
    _show("pending before commit (session.new)", sorted(a.name for a in session.new))
    _show("ursula.id before commit", ursula.id)
    session.commit()
    _show("ursula.id after commit (the database chose it)", ursula.id)
    _show("session.new after commit", list(session.new))

    _step("Query: the same row is always the same object (the identity map)")
    found = session.query(Author).filter_by(name="Ursula").first()
    _show("query(Author).filter_by(name='Ursula').first()", found)
    _show("found is ursula", found is ursula)
    same = session.scalars(select(Author).where(Author.name == "Ursula")).one()
    _show("2.0 style select(Author) gives it too", same is ursula)
    _show("get(Author, 1) from the identity map, no SQL", session.get(Author, ursula.id))

    _step("Autoflush: a query sees objects added but not yet committed")
    session.add(Book(title="A Wizard of Earthsea", author_id=ursula.id, year=1968))
    titles = session.scalars(select(Book.title).where(Book.year < 1970)).all()
    _show("books before 1970 (the new one was flushed first)", titles)
    session.commit()

    _step("Update: change attributes; only changed columns are sent")
    ursula.email = "ursula@earthsea.example"
    # is_modified() first: printing session.dirty reads ursula's expired name, and that load
    # autoflushes the change (as in SQLAlchemy), after which nothing is modified any more
    _show("is_modified(ursula)", session.is_modified(ursula))
    _show("session.dirty", list(session.dirty))
    session.commit()
    _show("after commit, the email reloads from the database", ursula.email)

    _step("Rollback: uncommitted changes are gone")
    ursula.name = "Ursula K. Le Guin"
    session.flush()
    _show("flushed, not committed", ursula.name)
    session.rollback()
    _show("after rollback()", ursula.name)

    _step("Delete")
    terry = session.query(Author).filter_by(name="Terry").one()
    session.delete(terry)
    _show("session.deleted", list(session.deleted))
    session.commit()
    _show("authors left", [a.name for a in session.query(Author).order_by(Author.name)])

    _step("A failed flush says what happened and what to do")
    session.add(Author(name="Iain"))  # the name is UNIQUE
    try:
        session.commit()
    except ormkit.exc.IntegrityError as err:
        _show("commit()", f"IntegrityError: {str(err).splitlines()[0]}")
    try:
        session.query(Author).all()
    except ormkit.exc.PendingRollbackError as err:
        _show("next query", f"PendingRollbackError: {err}")
    session.rollback()
    _show("after rollback() the session works again", session.query(Author).count())

    _step("echo=True shows every statement a block sends")
    engine.echo = True
    with Session(engine) as quiet:
        book = quiet.scalars(select(Book)).first()
        assert book is not None
        book.year = 1969
        quiet.commit()
    engine.echo = echo
    session.close()
    Base.metadata.drop_all(engine)
    engine.dispose()


def tour(url: str, echo: bool = False) -> None:
    """The whole tour: the ORM, then the SQL toolkit it is built on."""
    orm_tour(url, echo)
    core_tour(url, echo)
    print("\nDone. Read the README for more, and examples/ for the seed notebooks.")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the tour; the exit status is 0 on success."""
    parser = argparse.ArgumentParser(prog="python -m ormkit", description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="sqlite://", help="database URL (default: sqlite://)")
    parser.add_argument("--echo", action="store_true", help="log every statement sent")
    args = parser.parse_args(argv)
    try:
        tour(args.url, echo=args.echo)
    except (ormkit.exc.ArgumentError, ormkit.exc.DBAPIError) as err:
        # a URL ormkit cannot open, or a database that refuses or cannot be reached, is the
        # user's to fix: say so in one line; anything else is a bug and keeps its traceback
        print(f"python -m ormkit: {_one_line(args.url, err)}", file=sys.stderr)
        return 1
    return 0


def _one_line(url: str, err: ormkit.exc.OrmkitError) -> str:
    """``err`` as one line naming the (password-masked) URL it happened on."""
    text = err.message if isinstance(err, ormkit.exc.StatementError) else str(err)
    return f"cannot run the tour on {mask(url)}: {' '.join(text.split())}"


if __name__ == "__main__":
    sys.exit(main())
