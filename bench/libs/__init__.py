"""One module per library; each defines ``Bench``, a subclass of ``bench.common.LibBench``."""

#: library key -> (module, column title); the order is the table's column order
LIBS: dict[str, tuple[str, str]] = {
    "raw": ("bench.libs.raw", "raw"),
    "ormkit": ("bench.libs.ormkit_orm", "ormkit ORM"),
    "ormkit_listened": ("bench.libs.ormkit_listened", "ormkit + 1 listener"),
    "sa_orm": ("bench.libs.sqlalchemy_orm", "SQLAlchemy ORM"),
    "sa_core": ("bench.libs.sqlalchemy_core", "SQLAlchemy Core"),
    "peewee": ("bench.libs.peewee_orm", "peewee"),
}
