"""MySQL and MariaDB through PyMySQL: ``mysql[+pymysql]://`` and ``mariadb[+pymysql]://``.

One dialect for both; ``MariaDBDialect`` (and a ``mysql://`` URL that reaches a MariaDB
server, detected on connect) turns on what MariaDB adds: DELETE ... RETURNING from 10.0.5,
INSERT ... RETURNING from 10.5 (UPDATE has none), and refuses FOR UPDATE OF, which MariaDB
lacks.

- Identifiers are quoted with backticks; parameters travel as positional ``%s``.
- ``String()`` needs a length (VARCHAR(n)); without one CREATE TABLE raises CompileError.
- Integer primary keys get AUTO_INCREMENT and ``cursor.lastrowid``; tables are utf8mb4 and the
  connection charset is utf8mb4; ``sql_mode`` gains NO_BACKSLASH_ESCAPES (standard string
  literals) and STRICT_TRANS_TABLES (errors, never silent truncation).
- Boolean is BOOL (TINYINT(1)) and comes back as bool; DateTime/Time keep microseconds
  (DATETIME(6), TIME(6)); Float is DOUBLE; a Numeric without precision is DECIMAL(65, 30);
  LargeBinary is LONGBLOB; Enum is VARCHAR(n) + CHECK, as on PostgreSQL.
- String concatenation renders as CONCAT(a, b) (|| is OR under the default sql_mode);
  IS [NOT] DISTINCT FROM as ``NOT (a <=> b)`` / ``a <=> b``; NULLS FIRST/LAST as an extra
  ``x IS NULL`` sort key; an OFFSET alone as ``LIMIT 18446744073709551615 OFFSET n``.
- UPDATE rowcount counts matched rows (CLIENT.FOUND_ROWS), as on the other backends.
- ``insert(t).on_duplicate_key_update(...)`` from this module; ``stmt.inserted.col`` is
  ``VALUES(col)``. ``stream_results`` / ``yield_per`` use PyMySQL's unbuffered SSCursor.
"""

from __future__ import annotations

from ormkit.dialects.mysql.base import (
    MariaDBDialect,
    MySQLCompiler,
    MySQLDDLCompiler,
    MySQLDialect,
)
from ormkit.dialects.mysql.dml import Insert, insert

dialect = MySQLDialect

__all__ = [
    "Insert",
    "MariaDBDialect",
    "MySQLCompiler",
    "MySQLDDLCompiler",
    "MySQLDialect",
    "dialect",
    "insert",
]
