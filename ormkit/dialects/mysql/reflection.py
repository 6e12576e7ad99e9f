"""Reading MySQL/MariaDB's information_schema (names bound as parameters)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ormkit.engine.base import Connection

# the table's database: the given schema, else the connection's current database
_WHERE_TABLE = "TABLE_SCHEMA = COALESCE(%s, DATABASE()) AND TABLE_NAME = %s"


class MySQLReflection:
    """The reflection half of the MySQL dialect."""

    if TYPE_CHECKING:

        def type_from_ddl(self, ddl: str) -> Any: ...

    def get_table_names(self, connection: Connection, schema: str | None = None) -> list[str]:
        """Names of the base tables in ``schema`` (the current database when None)."""
        rows = connection.exec_driver_sql(
            "SELECT TABLE_NAME FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA = COALESCE(%s, DATABASE()) AND TABLE_TYPE = 'BASE TABLE' "
            "ORDER BY TABLE_NAME",
            (schema,),
        ).fetchall()
        return [r[0] for r in rows]

    def has_table(self, connection: Connection, table_name: str, schema: str | None = None) -> bool:
        """True when the table exists."""
        row = connection.exec_driver_sql(
            f"SELECT 1 FROM information_schema.TABLES WHERE {_WHERE_TABLE}",
            (schema, table_name),
        ).first()
        return row is not None

    def has_sequence(
        self, connection: Connection, sequence_name: str, schema: str | None = None
    ) -> bool:
        """True when the sequence exists (MariaDB lists sequences among the tables)."""
        row = connection.exec_driver_sql(
            f"SELECT 1 FROM information_schema.TABLES WHERE {_WHERE_TABLE} "
            "AND TABLE_TYPE = 'SEQUENCE'",
            (schema, sequence_name),
        ).first()
        return row is not None

    def get_sequence_names(self, connection: Connection, schema: str | None = None) -> list[str]:
        """Names of the sequences in ``schema`` (MariaDB), sorted."""
        rows = connection.exec_driver_sql(
            "SELECT TABLE_NAME FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA = COALESCE(%s, DATABASE()) AND TABLE_TYPE = 'SEQUENCE' "
            "ORDER BY TABLE_NAME",
            (schema,),
        ).fetchall()
        return [r[0] for r in rows]

    def get_columns(
        self, connection: Connection, table_name: str, schema: str | None = None
    ) -> list[dict[str, Any]]:
        """Columns in table order; an AUTO_INCREMENT column reports ``autoincrement``."""
        rows = connection.exec_driver_sql(
            "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, COLUMN_KEY "
            f"FROM information_schema.COLUMNS WHERE {_WHERE_TABLE} "
            "ORDER BY ORDINAL_POSITION",
            (schema, table_name),
        ).fetchall()
        columns = []
        for name, type_name, nullable, default, extra, key in rows:
            # MariaDB reports "no default" as the text NULL
            if default is not None and default.upper() == "NULL":
                default = None
            columns.append(
                {
                    "name": name,
                    "type": self.type_from_ddl(type_name),
                    "nullable": nullable == "YES",
                    "default": default,
                    "autoincrement": "auto_increment" in (extra or "").lower(),
                    "primary_key": key == "PRI",
                }
            )
        return columns

    def get_pk_constraint(
        self, connection: Connection, table_name: str, schema: str | None = None
    ) -> dict[str, Any]:
        """The primary key's columns, in key order (MySQL names every one PRIMARY)."""
        rows = connection.exec_driver_sql(
            "SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE "
            f"WHERE {_WHERE_TABLE} AND CONSTRAINT_NAME = 'PRIMARY' "
            "ORDER BY ORDINAL_POSITION",
            (schema, table_name),
        ).fetchall()
        return {"name": None, "constrained_columns": [r[0] for r in rows]}

    def get_foreign_keys(
        self, connection: Connection, table_name: str, schema: str | None = None
    ) -> list[dict[str, Any]]:
        """Foreign keys by name; ``referred_schema`` is None for the table's own database."""
        rows = connection.exec_driver_sql(
            "SELECT k.CONSTRAINT_NAME, k.TABLE_SCHEMA, k.REFERENCED_TABLE_SCHEMA, "
            "k.REFERENCED_TABLE_NAME, k.COLUMN_NAME, k.REFERENCED_COLUMN_NAME, "
            "r.UPDATE_RULE, r.DELETE_RULE FROM information_schema.KEY_COLUMN_USAGE k "
            "JOIN information_schema.REFERENTIAL_CONSTRAINTS r "
            "ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA "
            "AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME "
            "WHERE k.TABLE_SCHEMA = COALESCE(%s, DATABASE()) AND k.TABLE_NAME = %s "
            "AND k.REFERENCED_TABLE_NAME IS NOT NULL "
            "ORDER BY k.CONSTRAINT_NAME, k.ORDINAL_POSITION",
            (schema, table_name),
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
                        "onupdate": None if on_update in ("RESTRICT", "NO ACTION") else on_update,
                        "ondelete": None if on_delete in ("RESTRICT", "NO ACTION") else on_delete,
                    },
                },
            )
            fk["constrained_columns"].append(col)
            fk["referred_columns"].append(ref_col)
        return list(found.values())

    def get_indexes(
        self, connection: Connection, table_name: str, schema: str | None = None
    ) -> list[dict[str, Any]]:
        """Indexes other than the primary key and those made for foreign keys.

        MySQL keeps a UNIQUE constraint as a unique index, so those are listed too.
        """
        rows = connection.exec_driver_sql(
            "SELECT s.INDEX_NAME, s.NON_UNIQUE, s.COLUMN_NAME FROM information_schema.STATISTICS s "
            "WHERE s.TABLE_SCHEMA = COALESCE(%s, DATABASE()) AND s.TABLE_NAME = %s "
            "AND s.INDEX_NAME <> 'PRIMARY' ORDER BY s.INDEX_NAME, s.SEQ_IN_INDEX",
            (schema, table_name),
        ).fetchall()
        found: dict[str, dict[str, Any]] = {}
        expression: set[str] = set()
        for name, non_unique, col in rows:
            index = found.setdefault(
                name, {"name": name, "column_names": [], "unique": not int(non_unique)}
            )
            if col is None:
                expression.add(name)
            index["column_names"].append(col)
        # InnoDB adds an index for a foreign key that has none, named after the constraint
        # or after its first column: not one the user made
        made_for_fk = {
            (name, tuple(fk["constrained_columns"]))
            for fk in self.get_foreign_keys(connection, table_name, schema)
            for name in (fk["name"], fk["constrained_columns"][0])
        }
        return [
            i
            for n, i in found.items()
            if n not in expression
            and (i["unique"] or (n, tuple(i["column_names"])) not in made_for_fk)
        ]
