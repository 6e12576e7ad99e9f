"""PostgreSQL through psycopg 3: ``postgresql://`` and ``postgresql+psycopg://`` URLs.

- Parameters travel as positional ``%s`` (psycopg's "format" style), bound by the server; a
  literal ``%`` in ``text()`` is doubled for the driver automatically.
- The autoincrement integer primary key is ``SERIAL`` (``BIGSERIAL``/``SMALLSERIAL`` for
  BigInteger/SmallInteger); PostgreSQL has no lastrowid, so a one-row INSERT whose key is
  generated adds ``RETURNING <key>`` and ``inserted_primary_key`` reads it from there.
- ``Enum`` is ``VARCHAR(n)`` plus a ``CHECK (col IN (...))`` constraint, not ``CREATE TYPE``:
  no schema object lives apart from its table (DROP TABLE removes everything, adding a value
  is an ALTER of one constraint), and the same DDL works on every backend ormkit supports.
- JSON is ``JSONB`` (adapted by psycopg's ``Jsonb``), UUID, INTERVAL, BOOLEAN, NUMERIC and
  timestamps are native; ``DateTime(timezone=True)`` is ``TIMESTAMP WITH TIME ZONE``.
- ``stream_results=True`` / ``yield_per=N`` read rows through a named (server-side) cursor.
- ``insert(t).on_conflict_do_nothing()`` / ``.on_conflict_do_update(...)`` from this module.
"""

from __future__ import annotations

from ormkit.dialects.postgresql.base import PGCompiler, PGDDLCompiler, PGDialect
from ormkit.dialects.postgresql.dml import Insert, OnConflict, insert

dialect = PGDialect

__all__ = ["Insert", "OnConflict", "PGCompiler", "PGDDLCompiler", "PGDialect", "dialect", "insert"]
