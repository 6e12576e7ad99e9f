"""SQLAlchemy 2.x ORM: the shared ORM scenarios (bench/libs/_orm.py) on ``sqlalchemy``."""

import sqlalchemy as sa
from sqlalchemy import orm

from bench.libs._orm import Api, make_bench

Bench = make_bench(
    Api(
        create_engine=sa.create_engine,
        insert=sa.insert,
        select=sa.select,
        Integer=sa.Integer,
        String=sa.String,
        ForeignKey=sa.ForeignKey,
        DeclarativeBase=orm.DeclarativeBase,
        Mapped=orm.Mapped,
        mapped_column=orm.mapped_column,
        Session=orm.Session,
        relationship=orm.relationship,
        selectinload=orm.selectinload,
        joinedload=orm.joinedload,
        MappedAsDataclass=orm.MappedAsDataclass,
        column_property=orm.column_property,
    )
)
