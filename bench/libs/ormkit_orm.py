"""ormkit's ORM: the shared ORM scenarios (bench/libs/_orm.py) on ``ormkit``.

SQLite files are opened with ``?journal_mode=delete``: ormkit defaults to WAL, the others use
SQLite's default rollback journal, and the comparison should not hinge on the journal mode.
"""

import ormkit
import ormkit.orm
from bench.libs._orm import Api, make_bench

_orm = ormkit.orm
_has_relationships = all(
    hasattr(_orm, name) for name in ("relationship", "selectinload", "joinedload")
)

Bench = make_bench(
    Api(
        create_engine=ormkit.create_engine,
        insert=ormkit.insert,
        select=ormkit.select,
        Integer=ormkit.Integer,
        String=ormkit.String,
        ForeignKey=ormkit.ForeignKey,
        DeclarativeBase=_orm.DeclarativeBase,
        Mapped=_orm.Mapped,
        mapped_column=_orm.mapped_column,
        Session=_orm.Session,
        relationship=getattr(_orm, "relationship", None) if _has_relationships else None,
        selectinload=getattr(_orm, "selectinload", None),
        joinedload=getattr(_orm, "joinedload", None),
        sqlite_query="?journal_mode=delete",
        MappedAsDataclass=getattr(_orm, "MappedAsDataclass", None),
        column_property=getattr(_orm, "column_property", None),
    )
)
