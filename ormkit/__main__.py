"""``python -m ormkit``: a short tour of ormkit on a real database (in-memory SQLite by default).

python -m ormkit                  # the tour on sqlite://
python -m ormkit --url URL        # the same tour on another database
python -m ormkit --echo           # also show every statement ormkit sends
"""

from __future__ import annotations

import argparse
import datetime
import decimal
import logging
import sys
from collections.abc import Sequence

import ormkit
from ormkit import (
    Column,
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


def _step(title: str) -> None:
    print(f"\n== {title}")


def _show(label: str, value: object) -> None:
    print(f"   {label}: {value}")


def tour(url: str, echo: bool = False) -> None:
    """Walk through tables, inserts, queries, updates, transactions and errors on ``url``."""
    engine = create_engine(url, echo=echo)
    print(f"ormkit {ormkit.__version__} on {engine.url!r} ({engine.dialect.name})")

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
    _show("a statement prints as SQL", str(stmt).replace("\n", " "))

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
    print("\nDone. The ORM (models, Session, Query) builds on these parts.")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the tour; the exit status is 0 on success."""
    parser = argparse.ArgumentParser(prog="python -m ormkit", description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="sqlite://", help="database URL (default: sqlite://)")
    parser.add_argument("--echo", action="store_true", help="log every statement sent")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    tour(args.url, echo=args.echo)
    return 0


if __name__ == "__main__":
    sys.exit(main())
