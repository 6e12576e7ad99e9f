"""Reading PostgreSQL's catalog: tables, columns, keys and indexes (names bound as parameters)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ormkit.engine.base import Connection

# the table's namespace: the given schema, else the first schema on the search path
_WHERE_TABLE = "c.relname = %s AND n.nspname = COALESCE(%s, current_schema())"
_ACTIONS = {"a": None, "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


class PGReflection:
    """The reflection half of the PostgreSQL dialect (pg_catalog queries)."""

    if TYPE_CHECKING:

        def type_from_ddl(self, ddl: str) -> Any: ...

    def get_table_names(self, connection: Connection, schema: str | None = None) -> list[str]:
        """Names of ordinary and partitioned tables in ``schema``."""
        rows = connection.exec_driver_sql(
            "SELECT c.relname FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = COALESCE(%s, current_schema()) AND c.relkind IN ('r', 'p') "
            "ORDER BY c.relname",
            (schema,),
        ).fetchall()
        return [r[0] for r in rows]

    def has_table(self, connection: Connection, table_name: str, schema: str | None = None) -> bool:
        """True when the table exists."""
        row = connection.exec_driver_sql(
            "SELECT 1 FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            f"WHERE {_WHERE_TABLE} AND c.relkind IN ('r', 'p')",
            (table_name, schema),
        ).first()
        return row is not None

    def has_sequence(
        self, connection: Connection, sequence_name: str, schema: str | None = None
    ) -> bool:
        """True when the sequence exists."""
        row = connection.exec_driver_sql(
            "SELECT 1 FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            f"WHERE {_WHERE_TABLE} AND c.relkind = 'S'",
            (sequence_name, schema),
        ).first()
        return row is not None

    def get_sequence_names(self, connection: Connection, schema: str | None = None) -> list[str]:
        """Names of the sequences in ``schema``, sorted."""
        rows = connection.exec_driver_sql(
            "SELECT c.relname FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'S' AND n.nspname = COALESCE(%s, current_schema()) "
            "ORDER BY c.relname",
            (schema,),
        ).fetchall()
        return [r[0] for r in rows]

    def get_columns(
        self, connection: Connection, table_name: str, schema: str | None = None
    ) -> list[dict[str, Any]]:
        """Columns in table order; a SERIAL column's nextval() default is not reported."""
        pk = set(self.get_pk_constraint(connection, table_name, schema)["constrained_columns"])
        rows = connection.exec_driver_sql(
            "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull, "
            "pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attidentity "
            "FROM pg_catalog.pg_attribute a "
            "JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
            f"WHERE {_WHERE_TABLE} AND a.attnum > 0 AND NOT a.attisdropped "
            "ORDER BY a.attnum",
            (table_name, schema),
        ).fetchall()
        columns = []
        for name, type_name, notnull, default, identity in rows:
            autoincrement = bool(identity) or str(default or "").startswith("nextval(")
            columns.append(
                {
                    "name": name,
                    "type": self.type_from_ddl(type_name),
                    "nullable": not notnull,
                    "default": None if autoincrement else default,
                    "autoincrement": autoincrement,
                    "primary_key": name in pk,
                }
            )
        return columns

    def get_pk_constraint(
        self, connection: Connection, table_name: str, schema: str | None = None
    ) -> dict[str, Any]:
        """The primary key's name and columns, in key order."""
        rows = connection.exec_driver_sql(
            "SELECT con.conname, a.attname FROM pg_catalog.pg_constraint con "
            "JOIN pg_catalog.pg_class c ON c.oid = con.conrelid "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord) "
            "JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum "
            f"WHERE con.contype = 'p' AND {_WHERE_TABLE} ORDER BY k.ord",
            (table_name, schema),
        ).fetchall()
        return {
            "name": rows[0][0] if rows else None,
            "constrained_columns": [r[1] for r in rows],
        }

    def get_foreign_keys(
        self, connection: Connection, table_name: str, schema: str | None = None
    ) -> list[dict[str, Any]]:
        """Foreign keys by name; ``referred_schema`` is None for the table's own schema."""
        rows = connection.exec_driver_sql(
            "SELECT con.conname, n.nspname, rn.nspname, rc.relname, a.attname, ra.attname, "
            "con.confupdtype, con.confdeltype FROM pg_catalog.pg_constraint con "
            "JOIN pg_catalog.pg_class c ON c.oid = con.conrelid "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_catalog.pg_class rc ON rc.oid = con.confrelid "
            "JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace "
            "CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY "
            "AS k(attnum, refnum, ord) "
            "JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum "
            "JOIN pg_catalog.pg_attribute ra "
            "ON ra.attrelid = con.confrelid AND ra.attnum = k.refnum "
            f"WHERE con.contype = 'f' AND {_WHERE_TABLE} "
            "ORDER BY con.conname, k.ord",
            (table_name, schema),
        ).fetchall()
        found: dict[str, dict[str, Any]] = {}
        for name, own, ref_schema, ref_table, col, ref_col, on_update, on_delete in rows:
            fk = found.setdefault(
                name,
                {
                    "name": name,
                    "constrained_columns": [],
                    "referred_schema": None if ref_schema == own else ref_schema,
                    "referred_table": ref_table,
                    "referred_columns": [],
                    "options": {
                        "onupdate": _ACTIONS.get(on_update),
                        "ondelete": _ACTIONS.get(on_delete),
                    },
                },
            )
            fk["constrained_columns"].append(col)
            fk["referred_columns"].append(ref_col)
        return list(found.values())

    def get_indexes(
        self, connection: Connection, table_name: str, schema: str | None = None
    ) -> list[dict[str, Any]]:
        """Indexes made with CREATE INDEX (not those behind PRIMARY KEY / UNIQUE constraints).

        Expression indexes are left out: they have no column names to report.
        """
        rows = connection.exec_driver_sql(
            "SELECT i.relname, ix.indisunique, a.attname FROM pg_catalog.pg_index ix "
            "JOIN pg_catalog.pg_class c ON c.oid = ix.indrelid "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_catalog.pg_class i ON i.oid = ix.indexrelid "
            "CROSS JOIN LATERAL unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) "
            "LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum "
            f"WHERE {_WHERE_TABLE} AND NOT ix.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint con "
            "WHERE con.conindid = ix.indexrelid) "
            "ORDER BY i.relname, k.ord",
            (table_name, schema),
        ).fetchall()
        found: dict[str, dict[str, Any]] = {}
        expression: set[str] = set()
        for name, unique, col in rows:
            index = found.setdefault(name, {"name": name, "column_names": [], "unique": unique})
            if col is None:
                expression.add(name)
            index["column_names"].append(col)
        return [i for n, i in found.items() if n not in expression]
