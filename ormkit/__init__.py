"""ormkit: an object-relational mapper with SQLAlchemy 2.x's API, written to be fast and clear.

This module only re-exports the public names; each lives in its own layer (see DESIGN.md).
"""

from ormkit import exc
from ormkit.engine import (
    URL,
    Connection,
    CursorResult,
    Engine,
    Inspector,
    Result,
    Row,
    create_engine,
    make_url,
)
from ormkit.inspection import inspect
from ormkit.sql.compiler import Compiled
from ormkit.sql.ddl import DDL, CreateIndex, CreateTable, DropIndex, DropTable
from ormkit.sql.dml import Delete, Insert, Update, delete, insert, update
from ormkit.sql.elements import (
    BindParameter,
    ColumnElement,
    and_,
    asc,
    between,
    bindparam,
    case,
    cast,
    column,
    desc,
    distinct,
    false,
    func,
    literal,
    literal_column,
    not_,
    null,
    nulls_first,
    nulls_last,
    or_,
    text,
    true,
    tuple_,
    type_coerce,
)
from ormkit.sql.schema import (
    CheckConstraint,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    UniqueConstraint,
)
from ormkit.sql.selectable import (
    CTE,
    Alias,
    CompoundSelect,
    Join,
    Select,
    Subquery,
    except_,
    exists,
    intersect,
    join,
    outerjoin,
    select,
    table,
    union,
    union_all,
)
from ormkit.sql.types import (
    BLOB,
    BOOLEAN,
    CHAR,
    DATE,
    DATETIME,
    DECIMAL,
    FLOAT,
    INTEGER,
    JSON,
    NUMERIC,
    TEXT,
    TIMESTAMP,
    UUID,
    VARCHAR,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Double,
    Enum,
    Float,
    Integer,
    Interval,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    Text,
    Time,
    TypeDecorator,
    Unicode,
    UnicodeText,
    Uuid,
)

__version__ = "0.1.0"

__all__ = [
    "BLOB", "BOOLEAN", "CHAR", "CTE", "DATE", "DATETIME", "DDL", "DECIMAL", "FLOAT", "INTEGER",
    "JSON", "NUMERIC", "TEXT", "TIMESTAMP", "URL", "UUID", "VARCHAR", "Alias", "BigInteger",
    "BindParameter", "Boolean", "CheckConstraint", "Column", "ColumnElement", "Compiled",
    "CompoundSelect", "Connection", "CreateIndex", "CreateTable", "CursorResult", "Date",
    "DateTime", "Delete", "Double", "DropIndex", "DropTable", "Engine", "Enum", "Float",
    "ForeignKey", "ForeignKeyConstraint", "Index", "Insert", "Inspector", "Integer", "Interval",
    "Join", "LargeBinary", "MetaData", "Numeric", "PrimaryKeyConstraint", "Result", "Row",
    "Select", "SmallInteger", "String", "Subquery", "Table", "Text", "Time", "TypeDecorator",
    "Unicode", "UnicodeText", "UniqueConstraint", "Update", "Uuid", "and_", "asc", "between",
    "bindparam", "case", "cast", "column", "create_engine", "delete", "desc", "distinct",
    "except_", "exc", "exists", "false", "func", "insert", "inspect", "intersect", "join",
    "literal", "literal_column", "make_url", "not_", "null", "nulls_first", "nulls_last", "or_",
    "outerjoin", "select", "table", "text", "true", "tuple_", "type_coerce", "union",
    "union_all", "update",
]
