"""The SQL toolkit: types, schema, expressions, statements and their compilation."""

from ormkit.sql.compiler import Compiled, GenericDialect
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

__all__ = [
    "CTE", "DDL", "Alias", "BindParameter", "CheckConstraint", "Column", "ColumnElement",
    "Compiled", "CompoundSelect", "CreateIndex", "CreateTable", "Delete", "DropIndex",
    "DropTable", "ForeignKey", "ForeignKeyConstraint", "GenericDialect", "Index", "Insert",
    "Join", "MetaData", "PrimaryKeyConstraint", "Select", "Subquery", "Table",
    "UniqueConstraint", "Update", "and_", "asc", "between", "bindparam", "case", "cast",
    "column", "delete", "desc", "distinct", "except_", "exists", "false", "func", "insert",
    "intersect", "join", "literal", "literal_column", "not_", "null", "nulls_first",
    "nulls_last", "or_", "outerjoin", "select", "table", "text", "true", "tuple_",
    "type_coerce", "union", "union_all", "update",
]
