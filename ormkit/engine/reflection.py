"""The Inspector: what tables, columns, keys and indexes the database has."""

from __future__ import annotations

from typing import Any

from ormkit import inspection
from ormkit.engine.base import Connection, Engine


class Inspector:
    """Reads the database's schema through the dialect; from ``inspect(engine)``."""

    def __init__(self, bind: Engine | Connection) -> None:
        self.bind = bind
        self.dialect = bind.dialect

    def _run(self, method: str, *args: Any) -> Any:
        bind = self.bind
        if isinstance(bind, Connection):
            return getattr(self.dialect, method)(bind, *args)
        with bind.connect() as conn:
            return getattr(self.dialect, method)(conn, *args)

    def get_table_names(self, schema: str | None = None) -> list[str]:
        """Table names, sorted."""
        return self._run("get_table_names", schema)  # type: ignore[no-any-return]

    def has_table(self, table_name: str, schema: str | None = None) -> bool:
        """True when the table exists."""
        return self._run("has_table", table_name, schema)  # type: ignore[no-any-return]

    def has_sequence(self, sequence_name: str, schema: str | None = None) -> bool:
        """True when the sequence exists."""
        return self._run("has_sequence", sequence_name, schema)  # type: ignore[no-any-return]

    def get_sequence_names(self, schema: str | None = None) -> list[str]:
        """Names of the sequences (none where the database has no sequences), sorted; on
        PostgreSQL the SERIAL ones too."""
        return self._run("get_sequence_names", schema)  # type: ignore[no-any-return]

    def get_columns(self, table_name: str, schema: str | None = None) -> list[dict[str, Any]]:
        """Columns: name, type, nullable, default, primary_key."""
        return self._run("get_columns", table_name, schema)  # type: ignore[no-any-return]

    def get_pk_constraint(self, table_name: str, schema: str | None = None) -> dict[str, Any]:
        """The primary key: name and constrained_columns."""
        return self._run("get_pk_constraint", table_name, schema)  # type: ignore[no-any-return]

    def get_foreign_keys(self, table_name: str, schema: str | None = None) -> list[dict[str, Any]]:
        """Foreign keys: constrained_columns, referred_table, referred_columns."""
        return self._run("get_foreign_keys", table_name, schema)  # type: ignore[no-any-return]

    def get_indexes(self, table_name: str, schema: str | None = None) -> list[dict[str, Any]]:
        """Indexes: name, column_names, unique."""
        return self._run("get_indexes", table_name, schema)  # type: ignore[no-any-return]


inspection.register(Engine, Inspector)
inspection.register(Connection, Inspector)
